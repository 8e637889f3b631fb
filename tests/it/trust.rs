//! Issue 4, pinning on first use: `cpcall trust` shows the certificate and writes pin_sha256
//! into the profile, keeping the rest of the file as it was.

use std::os::unix::fs::PermissionsExt;

use crate::common::Fixture;
use crate::emulator::accounts::{fingerprint_hint, ROOT};
use crate::emulator::Service;

fn untrusted(f: &Fixture, extra: &str) -> String {
    format!(
        "# production fleet\n[profiles.prod]\nhost = \"127.0.0.1\"   # the main box\nport = {}\ntoken = \"{}\"\n{extra}\n[profiles.other]\nhost = \"other.example\"\ntoken = \"x\"\n",
        f.emu.port(Service::Whm, true),
        ROOT.whm_token.unwrap()
    )
}

#[test]
fn trust_pins_the_certificate_and_keeps_the_file() {
    let f = Fixture::new();
    let before = untrusted(&f, "");
    let path = f.config(&before);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let run = |args: &[&str]| {
        let mut cmd = f.cmd();
        cmd.arg("-c").arg(&path).args(args);
        f.output(cmd, None)
    };
    run(&["-p", "prod", "whm", "version"]).assert_failure(4, "not signed by a trusted CA");

    let out = run(&["-p", "prod", "trust", "--yes"]);
    out.assert_code(0)
        .assert_stderr("subject: CN=localhost")
        .assert_stderr("issuer:  CN=cpcall emulator test CA")
        .assert_stderr("127.0.0.1")
        .assert_stderr(&fingerprint_hint(&f.emu.pin_hex()));
    assert!(out.stdout.is_empty());
    let after = std::fs::read_to_string(&path).unwrap();
    let pin_line = format!("pin_sha256 = \"{}\"\n", f.emu.pin_hex());
    assert_eq!(
        after.replacen(&pin_line, "", 1),
        before,
        "only the pin line was added"
    );
    assert!(
        after.contains(&format!(
            "token = \"{}\"\n{pin_line}",
            ROOT.whm_token.unwrap()
        )),
        "in the prod table: {after}"
    );
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );

    run(&["-p", "prod", "whm", "version"]).assert_code(0);
    run(&["-p", "prod", "trust"])
        .assert_code(0)
        .assert_stderr("already pins it");
    assert_eq!(f.requests().len(), 1, "trust itself makes no API call");
}

#[test]
fn trust_needs_confirmation_and_a_profile() {
    let f = Fixture::new();
    let before = untrusted(&f, "");
    let out = f.call(&before, &["-p", "prod", "trust"]);
    out.assert_code(2).assert_stderr("--yes");
    assert_eq!(
        std::fs::read_to_string(f.path("config.toml")).unwrap(),
        before,
        "unchanged"
    );
    let port = f.emu.port(Service::Whm, true).to_string();
    let mut cmd = f.cmd();
    cmd.args(["--host", "127.0.0.1", "--port", &port, "trust", "--yes"])
        .env("CPCALL_TOKEN", "x");
    f.output(cmd, None).assert_failure(2, "name one with -p");
}

#[test]
fn a_pin_beats_insecure_in_the_file() {
    let f = Fixture::new();
    let config = untrusted(&f, "insecure = true\n");
    f.call(&config, &["-p", "prod", "whm", "version"])
        .assert_code(0)
        .assert_stderr("verification is off");
    f.call(&config, &["-p", "prod", "trust", "--yes"])
        .assert_code(0);
    let pinned = std::fs::read_to_string(f.path("config.toml")).unwrap();
    let mut cmd = f.cmd();
    cmd.arg("-c")
        .arg(f.path("config.toml"))
        .args(["-p", "prod", "whm", "version"]);
    let out = f.output(cmd, None);
    out.assert_code(0);
    assert!(
        !out.stderr.contains("verification is off"),
        "{pinned}\n{out:#?}"
    );
}
