//! The vendor's own example clients (tests/vendor/, from shared/seeds/) run unchanged against
//! the emulator, through real Perl HTTP stacks (LWP with its cookie jar, HTTP::Tiny): the
//! requests they make must succeed. CI installs their Perl modules; elsewhere, without them,
//! these tests print a SKIPPED line that `cargo test` shows, and under CI=true they fail.

use std::path::Path;
use std::process::Command;

use crate::emulator::accounts;
use crate::emulator::{Emulator, Service};

fn perl_ready() -> bool {
    let modules = [
        "LWP::UserAgent",
        "LWP::Protocol::https",
        "HTTP::Cookies",
        "Cpanel::JSON::XS",
        "HTTP::Tiny",
        "IO::Socket::SSL",
    ];
    let mut cmd = Command::new("perl");
    cmd.args(modules.iter().map(|m| format!("-M{m}")))
        .args(["-e", "1"]);
    let ready = cmd.output().is_ok_and(|o| o.status.success());
    if !ready {
        let hint = "the vendor's Perl clients need libwww-perl liblwp-protocol-https-perl libcpanel-json-xs-perl";
        assert!(
            std::env::var_os("CI").is_none(),
            "{hint} (CI must install them: see .ci/run)"
        );
        crate::common::skipped(hint);
    }
    ready
}

/// Runs a vendor script with only its server address and the access hash placeholder changed,
/// trusting the emulator's CA the way a real server's public CA is trusted.
///
/// One fix: the access-hash example passes `SSL_verify_mode => 'SSL_VERIFY_NONE'`, a string that
/// IO::Socket::SSL 2.x refuses outright ("must be a number"), so it fails against any server;
/// it becomes the number that constant stands for.
fn run(emu: &Emulator, script: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vendor");
    let text = std::fs::read_to_string(dir.join(script)).expect("vendor script");
    let text = text
        .replace(
            "https://127.0.0.1:2083",
            &format!("https://127.0.0.1:{}", emu.port(Service::Cpanel, true)),
        )
        .replace(
            "https://127.0.0.1:2087",
            &format!("https://127.0.0.1:{}", emu.port(Service::Whm, true)),
        )
        .replace("accesshashhere", &accounts::root_accesshash_joined())
        .replace(
            "SSL_verify_mode => 'SSL_VERIFY_NONE'",
            "SSL_verify_mode => 0",
        );
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join(script);
    std::fs::write(&path, text).expect("write script");
    let ca = tmp.path().join("ca.pem");
    std::fs::write(&ca, &emu.ca_pem).expect("write CA");
    let out = Command::new("perl")
        .arg("-I")
        .arg(dir.join("lib"))
        .arg(&path)
        .env("PERL_LWP_SSL_CA_FILE", &ca)
        .output()
        .expect("run perl");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{script} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn access_hash_example_lists_accounts() {
    if !perl_ready() {
        return;
    }
    let emu = Emulator::start();
    let json: serde_json::Value = serde_json::from_str(&run(&emu, "access-hash.pl")).expect("JSON");
    assert_eq!(json["metadata"]["result"], 1);
    assert_eq!(json["data"]["acct"][0]["user"], "reseller");
}

#[test]
fn two_factor_session_example_logs_in_and_lists_mail() {
    if !perl_ready() {
        return;
    }
    let emu = Emulator::start();
    let out = run(&emu, "tfa-session.pl");
    assert!(
        out.contains("'status' => 1") && out.contains("info@cptest.example"),
        "{out}"
    );
    let log: Vec<_> = emu
        .requests()
        .into_iter()
        .map(|r| {
            (
                r.request.method.clone(),
                r.request.path().to_string(),
                r.status,
            )
        })
        .collect();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(
        (log[0].0.as_str(), log[0].1.as_str(), log[0].2),
        ("POST", "/login", 301)
    );
    assert!(
        log[1].1.starts_with("/cpsess")
            && log[1].1.ends_with("/execute/Email/list_pops")
            && log[1].2 == 200,
        "{log:?}"
    );
}

#[test]
fn two_factor_per_request_example_reaches_cpanel_and_whm() {
    if !perl_ready() {
        return;
    }
    let emu = Emulator::start();
    let out = run(&emu, "tfa-per-request.pl");
    assert!(out.contains("CPANEL API Request successful"), "{out}");
    assert!(out.contains("WHM API Request successful"), "{out}");
}
