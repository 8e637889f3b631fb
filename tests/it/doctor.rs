//! `cpcall doctor` says what is wrong and how to fix it, one check per line.

use crate::common::{Fixture, Out};
use crate::emulator::accounts::{self, CPTEST};
use crate::emulator::{Options, Service};

/// The checks of a `--json` report, as (check, status) pairs, and the report.
fn checks(out: &Out) -> (Vec<(String, String)>, serde_json::Value) {
    let report = out.json();
    let list = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["check"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (list, report)
}

fn status<'a>(list: &'a [(String, String)], check: &str) -> Vec<&'a str> {
    list.iter()
        .filter(|(c, _)| c == check)
        .map(|(_, s)| s.as_str())
        .collect()
}

#[test]
fn a_working_profile_passes_every_check() {
    let f = Fixture::new();
    let out = f.as_root(&["doctor"]);
    out.assert_code(0)
        .assert_stdout("! file modes:")
        .assert_stdout("run chmod 600");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        f.path("config.toml"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let mut cmd = f.cmd();
    cmd.arg("-c").arg(f.path("config.toml")).arg("doctor");
    let out = f.output(cmd, None);
    out.assert_code(0).assert_stdout("✓ file modes:");
    for line in [
        "✓ config:",
        "✓ secrets:",
        "✓ name:",
        "✓ route:",
        "✓ tls:",
        "✓ clock:",
        "✓ credentials:",
        "✓ privileges: privileges: all; API tokens: cpcall [all]",
        "✓ version: cPanel & WHM 11.130.0.5",
    ] {
        out.assert_stdout(line);
    }
    let mut cmd = f.cmd();
    cmd.arg("-c")
        .arg(f.path("config.toml"))
        .args(["doctor", "--json"]);
    let (list, report) = checks(&f.output(cmd, None));
    assert_eq!(report["ok"], true);
    assert!(list.iter().all(|(_, s)| s == "ok"), "{list:?}");
}

#[test]
fn an_untrusted_certificate_names_the_trust_step() {
    let f = Fixture::new();
    let config = format!(
        "[profiles.p]\nhost = \"127.0.0.1\"\nport = {}\ntoken = \"{}\"\n",
        f.emu.port(Service::Whm, true),
        accounts::ROOT.whm_token.unwrap()
    );
    let out = f.call(&config, &["doctor"]);
    out.assert_code(1)
        .assert_stdout("✗ tls:")
        .assert_stdout("it is not signed by a trusted CA")
        .assert_stdout(&format!(
            "run cpcall -c {} -p p trust (pins it)",
            f.path("config.toml").display()
        ));
    assert!(out
        .stdout
        .contains(&accounts::fingerprint_hint(&f.emu.pin_hex())));
}

#[test]
fn a_certificate_about_to_expire_is_a_warning() {
    let f = Fixture::with(Options {
        cert_days_left: Some(5),
        ..Options::default()
    });
    let out = f.as_root(&["doctor"]);
    out.assert_code(0)
        .assert_stdout("! tls:")
        .assert_stdout("renew it soon");
    assert!(
        out.stdout.contains("expires in 4 days") || out.stdout.contains("expires in 5 days"),
        "{out:#?}"
    );
}

#[test]
fn clock_skew_is_measured_and_blamed_before_the_secret() {
    let f = Fixture::with(Options {
        clock_skew_secs: 120,
        ..Options::default()
    });
    let profile = f.tfa_profile("c", Service::Cpanel, &CPTEST, "");
    let out = f.call(&profile, &["doctor"]);
    out.assert_code(1)
        .assert_stdout("✗ clock: the server's clock is 120 s ahead of this machine's")
        .assert_stdout("✗ credentials: two-factor")
        .assert_stdout("fix the clock first");
}

#[test]
fn refused_credentials_missing_2fa_and_missing_secrets() {
    let f = Fixture::new();
    let (list, _) = checks(&f.call(
        &f.profile("p", Service::Whm, "token = \"WRONG\""),
        &["doctor", "--json"],
    ));
    assert_eq!(status(&list, "credentials"), ["fail"]);
    assert_eq!(status(&list, "tls"), ["ok"]);

    let no_otp = f.password_profile("c", Service::Cpanel, &CPTEST);
    let out = f.call(&no_otp, &["doctor"]);
    out.assert_code(1)
        .assert_stdout("✗ credentials: two-factor code missing")
        .assert_stdout("set totp_secret");

    let unset = f.profile("p", Service::Whm, "token_env = \"CPCALL_DOCTOR_UNSET\"");
    let out = f.call(&unset, &["doctor"]);
    out.assert_code(1)
        .assert_stdout("✗ secrets:")
        .assert_stdout("export CPCALL_DOCTOR_UNSET");
}

#[test]
fn an_access_hash_is_flagged_as_deprecated() {
    let f = Fixture::new();
    let hash = f.write("hash", accounts::ROOT_ACCESSHASH);
    let profile = f.profile(
        "h",
        Service::Whm,
        &format!(
            "auth = \"accesshash\"\naccesshash_file = \"{}\"",
            hash.display()
        ),
    );
    f.call(&profile, &["doctor"])
        .assert_code(0)
        .assert_stdout("! privileges:")
        .assert_stdout("create an API token");
}

#[test]
fn a_closed_port_is_named_with_the_one_that_answers() {
    // Doctor probes WHM's standard ports on the host: they must be free on this machine.
    let standard = [2087, 2086].map(|p| std::net::TcpListener::bind(("127.0.0.1", p)));
    if standard.iter().any(|l| l.is_err()) {
        crate::common::skipped(
            "127.0.0.1:2087 or 2086 is taken on this machine: wrong-port doctor test not run",
        );
        return;
    }
    drop(standard);
    let f = Fixture::new();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let profile = format!("[profiles.p]\nhost = \"127.0.0.1\"\nport = {closed}\ntoken = \"x\"\n");
    f.call(&profile, &["doctor"])
        .assert_code(1)
        .assert_stdout(&format!("✗ route: port {closed} does not answer"));

    // The WHM plain port answers while the configured TLS port does not.
    let plain =
        std::net::TcpListener::bind("127.0.0.1:2086").expect("port 2086 free for this test");
    let profile = "[profiles.p]\nhost = \"127.0.0.1\"\nport = 2087\ntoken = \"x\"\n";
    f.call(profile, &["doctor"])
        .assert_code(1)
        .assert_stdout("✗ route: 2087 refuses")
        .assert_stdout("2086 answers")
        .assert_stdout("tls = false");
    drop(plain);
}

#[test]
fn all_profiles_in_one_run() {
    let f = Fixture::new();
    let config = format!(
        "{}{}",
        f.root_token("good", ""),
        f.profile("bad", Service::Whm, "token = \"WRONG\"")
    );
    let out = f.call(&config, &["--all", "doctor", "--json"]);
    out.assert_code(1);
    let reports: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let oks: Vec<(String, bool)> = reports
        .iter()
        .map(|r| {
            (
                r["profile"].as_str().unwrap().into(),
                r["ok"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(oks, [("bad".into(), false), ("good".into(), true)]);
}

#[test]
fn doctor_agrees_with_calls_on_secret_files_and_pinned_expiry() {
    let f = Fixture::with(Options {
        cert_days_left: Some(-30),
        ..Options::default()
    });
    let token = f.write("root.token", accounts::ROOT.whm_token.unwrap());
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
    let config = format!(
        "[profiles.p]\nhost = \"127.0.0.1\"\nport = {}\ntoken_file = \"{}\"\npin_sha256 = \"{}\"\n",
        f.emu.port(Service::Whm, true),
        token.display(),
        f.emu.pin_hex()
    );
    // A real call accepts the pinned certificate and warns about the token file ...
    f.call(&config, &["whm", "version"])
        .assert_code(0)
        .assert_stderr("root.token holds secrets and is open to others");
    // ... and so does doctor: no ✗, a warning for each.
    let out = f.call(&config, &["doctor"]);
    out.assert_code(0)
        .assert_stdout("! file modes: ")
        .assert_stdout("run chmod 600 ")
        .assert_stdout("root.token")
        .assert_stdout("! tls:")
        .assert_stdout("matches pin_sha256, so calls accept it");
    assert!(
        out.stdout.contains("expired 30 days ago") || out.stdout.contains("expired 31 days ago"),
        "{out:#?}"
    );
    assert!(!out.stdout.contains("expires in -"), "{out:#?}");
}

/// A server offering only TLS 1.0 and one whose certificate has a 1024-bit key (real ones:
/// openssl s_server, as old cPanel boxes run): calls and doctor name the cause and the
/// server-side fix, never `tls = false` or "not signed by a trusted CA".
#[test]
fn old_tls_and_weak_keys_get_their_own_advice() {
    let f = Fixture::new();
    let seclevel0 = "DEFAULT@SECLEVEL=0";
    let Some(tls10) =
        crate::common::OpensslServer::start(&f, 2048, &["-tls1", "-cipher", seclevel0])
    else {
        return;
    };
    let Some(weak) = crate::common::OpensslServer::start(&f, 1024, &["-cipher", seclevel0]) else {
        return;
    };
    let profile = |name: &str, server: &crate::common::OpensslServer, extra: &str| {
        format!(
            "[profiles.{name}]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\ntoken = \"x\"\n{extra}\n",
            server.port,
            server.cert.display()
        )
    };
    let config = format!(
        "{}{}{}",
        profile("old", &tls10, ""),
        profile("weak", &weak, ""),
        profile("weakpin", &weak, "insecure = true")
    );
    f.call(&config, &["-p", "old", "whm", "version"])
        .assert_failure(4, "offers only TLS older than 1.2")
        .assert_stderr("enable TLS 1.2 or 1.3 on the server");
    for name in ["weak", "weakpin"] {
        let out = f.call(&config, &["-p", name, "whm", "version"]);
        out.assert_code(4).assert_stderr("1024-bit RSA key");
        assert!(!out.stderr.contains("trusted CA"), "{out:#?}");
    }
    let (checks, report) = checks(&f.call(&config, &["-p", "old", "doctor", "--json"]));
    assert_eq!(status(&checks, "tls"), ["fail"], "{report}");
    let tls = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "tls")
        .unwrap();
    let (found, fix) = (tls["found"].as_str().unwrap(), tls["fix"].as_str().unwrap());
    assert!(found.contains("offers only TLS 1.0"), "{found}");
    assert!(!fix.contains("use tls = false"), "{fix}");
    let out = f.call(&config, &["-p", "weak", "doctor"]);
    out.assert_code(1)
        .assert_stdout("✗ tls: CN=localhost")
        .assert_stdout("1024-bit RSA key")
        .assert_stdout("replace the certificate on the server");
    assert!(
        !out.stdout.contains("trusted CA") && !out.stdout.contains("tls = false"),
        "{out:#?}"
    );
}

/// A certificate not valid yet is said in words, with the clock to check (not rustls' debug).
#[test]
fn a_certificate_not_valid_yet_is_said_in_words() {
    let f = Fixture::with(Options {
        cert_valid_in_days: Some(3),
        ..Options::default()
    });
    let out = f.as_root(&["whm", "version"]);
    out.assert_failure(4, "is not valid yet")
        .assert_stderr("check this machine's clock");
    assert!(!out.stderr.contains("Context"), "{out:#?}");
    let out = f.as_root(&["doctor"]);
    out.assert_code(1).assert_stdout("is not valid yet");
    assert!(!out.stdout.contains("Context"), "{out:#?}");
}

/// A certificate the trust accepts but made for other names: doctor says to connect by one of
/// those names (as a call does), not only to pin it.
#[test]
fn a_certificate_for_other_names_says_which() {
    let f = Fixture::with(Options {
        cert_names: Some(vec!["other.example".into()]),
        ..Options::default()
    });
    let out = f.as_root(&["doctor"]);
    out.assert_code(1)
        .assert_stdout("it is not valid for this host name")
        .assert_stdout("connect by a name the certificate is for (other.example: set host to one)");
}
