//! Trust: `cpcall trust` shows the certificate and writes pin_sha256
//! into the profile, keeping the rest of the file as it was.

use std::os::unix::fs::PermissionsExt;

use crate::common::Fixture;
use crate::emulator::accounts::{fingerprint_hint, ROOT};
use crate::emulator::{Options, Service};

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
    out.assert_code(2).assert_stderr("--sha256 FINGERPRINT");
    assert_eq!(
        std::fs::read_to_string(f.path("config.toml")).unwrap(),
        before,
        "unchanged"
    );
    // --sha256 pins only the certificate it names: another is exit 4 and nothing changes.
    let other = "ab".repeat(32);
    f.call(&before, &["-p", "prod", "trust", "--sha256", &other])
        .assert_code(4)
        .assert_stderr("nothing changed");
    f.call(&before, &["-p", "prod", "trust", "--sha256", "12:34"])
        .assert_failure(2, "64 hex digits");
    assert_eq!(
        std::fs::read_to_string(f.path("config.toml")).unwrap(),
        before
    );
    let mut cmd = f.cmd();
    cmd.arg("-c").arg(f.path("config.toml")).args([
        "-p",
        "prod",
        "trust",
        "--sha256",
        &f.emu.pin_hex(),
    ]);
    f.output(cmd, None)
        .assert_code(0)
        .assert_stderr("pinned it");
    assert!(std::fs::read_to_string(f.path("config.toml"))
        .unwrap()
        .contains(&f.emu.pin_hex()));
    let port = f.emu.port(Service::Whm, true).to_string();
    let mut cmd = f.cmd();
    cmd.args(["--host", "127.0.0.1", "--port", &port, "trust", "--yes"])
        .env("CPCALL_TOKEN", "x");
    f.output(cmd, None).assert_failure(2, "name one with -p");
}

/// A profile that pins another certificate than the one the server presents: `--yes` and
/// `--sha256` refuse (exit 3, both fingerprints, nothing changed) unless `--replace` says so,
/// even when `--insecure` turns the pin off for the run; at a terminal the question shows both.
#[test]
fn a_different_pin_is_never_replaced_unasked() {
    let f = Fixture::new();
    let old = "ab".repeat(32);
    let before = untrusted(&f, &format!("pin_sha256 = \"{old}\"  # last year's\n"));
    let path = f.config(&before);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let new = fingerprint_hint(&f.emu.pin_hex());
    let run = |args: &[&str]| {
        let mut cmd = f.cmd();
        cmd.arg("-c").arg(&path).args(args);
        f.output(cmd, None)
    };
    for args in [
        &["-p", "prod", "trust", "--yes"][..],
        &["-p", "prod", "trust", "--sha256", &f.emu.pin_hex()],
        &["-p", "prod", "--insecure", "trust", "--yes"],
    ] {
        let out = run(args);
        out.assert_code(3)
            .assert_stderr("--replace")
            .assert_stderr(&fingerprint_hint(&old))
            .assert_stderr(&new);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before, "{args:?}");
    }
    let term = crate::common::Tmux::start(&f);
    if let Some(term) = term {
        term.send(&format!("cpcall -c {path} -p prod trust; echo \"exit=$?\""));
        term.key("Enter");
        let screen = term.wait_for("Replace the pin?");
        let question = screen.replace('\n', "");
        assert!(question.contains(&fingerprint_hint(&old)), "{screen}");
        assert!(question.contains(&new), "{screen}");
        term.send("n");
        term.key("Enter");
        term.wait_for("exit=2");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    }
    run(&["-p", "prod", "trust", "--yes", "--replace"])
        .assert_code(0)
        .assert_stderr("(was ");
    let after = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        after,
        before.replace(&old, &f.emu.pin_hex()),
        "only the pin changed, its comment kept"
    );
    run(&["-p", "prod", "whm", "version"]).assert_code(0);
}

/// `--host`/`--port` with `trust` would write another server's certificate into the
/// profile: refused before connecting.
#[test]
fn trust_pins_only_the_profiles_own_server() {
    let f = Fixture::new();
    let other = crate::emulator::Emulator::start();
    let before = untrusted(&f, "");
    let path = f.config(&before);
    let port = other.port(Service::Whm, true).to_string();
    for args in [
        &["-p", "prod", "--host", "localhost", "trust", "--yes"][..],
        &["-p", "prod", "--port", &port, "trust", "--yes"],
        // The profile says no service: --service moves it to another port.
        &["-p", "other", "--service", "cpanel", "trust", "--yes"],
    ] {
        f.run(&[&["-c", &path][..], args].concat())
            .assert_failure(2, "another server's certificate");
    }
    let mut cmd = f.cmd();
    cmd.args(["-c", &path, "-p", "other", "trust", "--yes"])
        .env("CPCALL_SERVICE", "cpanel");
    f.output(cmd, None)
        .assert_failure(2, "another server's certificate");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    assert!(other.requests().is_empty());
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

fn self_signed(options: Options) -> Fixture {
    Fixture::with(Options {
        self_signed: true,
        ..options
    })
}

/// `openssl req -x509` makes a self-signed certificate with CA:TRUE: `ca_file` pointing at it
/// works, as `curl --cacert` does; the name and the dates are still checked.
#[test]
fn ca_file_accepts_the_servers_own_self_signed_certificate() {
    let f = self_signed(Options::default());
    f.as_root(&["whm", "version"]).assert_code(0);
    let doctor = f.as_root(&["doctor"]);
    doctor.assert_stdout("is itself in ca_file (self-signed), and its names and dates fit");

    let elsewhere = self_signed(Options {
        cert_names: Some(vec!["other.example".into()]),
        ..Options::default()
    });
    elsewhere
        .call(&elsewhere.root_token("w", ""), &["whm", "version"])
        .assert_failure(4, "not valid for that name");
    let expired = self_signed(Options {
        cert_days_left: Some(-3),
        ..Options::default()
    });
    expired
        .call(&expired.root_token("w", ""), &["whm", "version"])
        .assert_failure(4, "has expired");
    // Without ca_file the certificate is as unknown as ever.
    let bare = self_signed(Options::default());
    let config = format!(
        "[profiles.w]\nhost = \"127.0.0.1\"\nport = {}\ntoken = \"{}\"\n",
        bare.emu.port(Service::Whm, true),
        ROOT.whm_token.unwrap()
    );
    bare.call(&config, &["whm", "version"])
        .assert_failure(4, "is self-signed and not trusted here");
}

#[test]
fn a_certificate_made_by_openssl_req_x509_works_from_ca_file() {
    if !crate::common::have_tool("openssl", "it makes the certificate users give us") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for san in [true, false] {
        let mut cmd = std::process::Command::new("openssl");
        cmd.current_dir(dir.path())
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
            ])
            .args([
                "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "30",
            ])
            .args(["-subj", "/CN=localhost"]);
        if san {
            cmd.args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]);
        }
        let made = cmd.output().unwrap();
        assert!(made.status.success(), "{made:?}");
        let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
        let text = std::process::Command::new("openssl")
            .args(["x509", "-noout", "-text", "-in"])
            .arg(dir.path().join("cert.pem"))
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&text.stdout).contains("CA:TRUE"),
            "openssl makes CA:TRUE"
        );
        let f = Fixture::with(Options {
            identity_pem: Some((read("cert.pem"), read("key.pem"))),
            ..Options::default()
        });
        // With a subjectAltName the names are those; without one, the common name.
        let host = if san { "127.0.0.1" } else { "localhost" };
        let config = f
            .root_token("w", "")
            .replace("host = \"127.0.0.1\"", &format!("host = \"{host}\""));
        f.call(&config, &["whm", "version"]).assert_code(0);
    }
}

#[test]
fn the_platform_trust_store_is_used_and_named() {
    let f = Fixture::new();
    let ca = f.ca_file();
    let config = format!(
        "[profiles.w]\nhost = \"127.0.0.1\"\nport = {}\ntoken = \"{}\"\n",
        f.emu.port(Service::Whm, true),
        ROOT.whm_token.unwrap()
    );
    for var in ["SSL_CERT_FILE", "SSL_CERT_DIR"] {
        let value = if var == "SSL_CERT_FILE" {
            ca.display().to_string()
        } else {
            // A c_rehash-style directory: the CA under its subject hash name.
            let dir = f.path("certs");
            std::fs::create_dir_all(&dir).unwrap();
            let hash = std::process::Command::new("openssl")
                .args(["x509", "-noout", "-subject_hash", "-in"])
                .arg(&ca)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .unwrap_or_default();
            if hash.is_empty() {
                continue;
            }
            std::fs::copy(&ca, dir.join(format!("{hash}.0"))).unwrap();
            dir.display().to_string()
        };
        let mut cmd = f.cmd();
        cmd.arg("-c")
            .arg(f.config(&config))
            .args(["whm", "version"])
            .env(var, &value);
        f.output(cmd, None).assert_code(0);
        let mut cmd = f.cmd();
        cmd.arg("-c")
            .arg(f.config(&config))
            .arg("doctor")
            .env(var, &value);
        f.output(cmd, None)
            .assert_stdout("verifies against the platform's trust store");
    }
    f.as_root(&["doctor"])
        .assert_stdout("verifies against ca_file");
}

/// First contact with a self-signed server: `config add` shows the certificate and, at a
/// terminal, offers to pin it; piped, it says how (trust, ca_file) and saves nothing.
#[test]
fn config_add_offers_to_pin_a_self_signed_server() {
    let f = self_signed(Options::default());
    let path = f.path("new.toml");
    let port = f.emu.port(Service::Whm, true);
    let token = ROOT.whm_token.unwrap();
    let mut cmd = f.cmd();
    cmd.arg("-c").arg(&path).args(["config", "add", "box"]);
    let piped = f.output(
        cmd,
        Some(&format!("127.0.0.1\nwhm\n{port}\nroot\ntoken\n{token}\n\n")),
    );
    piped
        .assert_code(4)
        .assert_stderr("presents a certificate this machine does not trust")
        .assert_stderr(&fingerprint_hint(&f.emu.pin_hex()))
        .assert_stderr("nothing saved")
        .assert_stderr("it is self-signed")
        .assert_stderr("give ca_file the CA that signed it")
        .assert_stderr("offers to pin it (as cpcall trust does)");
    assert!(!piped.stderr.contains("OtherError"), "{}", piped.stderr);
    assert!(!path.exists());
    // Tested with --ca-file (or --pin-sha256) from the command line: the saved profile keeps
    // it, so its first call trusts what the test call trusted.
    let ca = f.write("ca.pem", &f.emu.ca_pem);
    for (flag, value, key) in [
        ("--ca-file", ca.display().to_string(), "ca_file"),
        ("--pin-sha256", f.emu.pin_hex(), "pin_sha256"),
    ] {
        let saved = f.path(&format!("flag-{key}.toml"));
        let mut cmd = f.cmd();
        cmd.arg("-c")
            .arg(&saved)
            .args(["-q", flag, &value, "config", "add", "box"]);
        let out = f.output(
            cmd,
            Some(&format!("127.0.0.1\nwhm\n{port}\nroot\ntoken\n{token}\n\n")),
        );
        out.assert_code(0);
        // Answers from a pipe under -q: no questions said.
        assert!(!out.stderr.contains("Host name"), "{out:#?}");
        let text = std::fs::read_to_string(&saved).unwrap();
        assert!(text.contains(&format!("{key} = \"{value}\"")), "{text}");
        let mut cmd = f.cmd();
        cmd.arg("-c")
            .arg(&saved)
            .args(["-p", "box", "whm", "version"]);
        f.output(cmd, None).assert_code(0);
    }
    // What the flags say is not asked again: host, port, service and trust come from them,
    // the answers give only the rest (a stray line meant for the CA question is not taken).
    let saved = f.path("flags-only.toml");
    let mut cmd = f.cmd();
    cmd.arg("-c").arg(&saved).args([
        "-q",
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--service",
        "whm",
        "--ca-file",
        &ca.display().to_string(),
        "config",
        "add",
        "box",
    ]);
    f.output(cmd, Some(&format!("root\ntoken\n{token}\n/typed/ca.pem\n")))
        .assert_code(0);
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(
        text.contains(&format!("ca_file = \"{}\"", ca.display()))
            && text.contains(&format!("port = {port}"))
            && !text.contains("/typed/"),
        "{text}"
    );

    let Some(term) = crate::common::Tmux::start(&f) else {
        return;
    };
    term.send(&format!("cpcall -c {} config add box", path.display()));
    term.key("Enter");
    for (question, answer) in [
        ("Host name", "127.0.0.1"),
        ("Service", "whm"),
        ("Port", &port.to_string()),
        ("User name", "root"),
        ("Authentication", "token"),
        ("The token", token),
        ("CA certificate file", ""),
        ("Pin it for this profile?", "y"),
    ] {
        term.wait_for(question);
        term.send(answer);
        term.key("Enter");
    }
    term.wait_for("saved in");
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(
        saved.contains(&format!("pin_sha256 = \"{}\"", f.emu.pin_hex())),
        "{saved}"
    );
    let mut cmd = f.cmd();
    cmd.arg("-c")
        .arg(&path)
        .args(["-p", "box", "whm", "version"]);
    f.output(cmd, None).assert_code(0);
}

/// The server's own self-signed certificate installed system-wide (`SSL_CERT_FILE`, or a
/// hashed `SSL_CERT_DIR`) is trusted as OpenSSL trusts it; and what those variables name is
/// read as a bounded regular file: `/dev/zero` or a FIFO neither fills the memory nor hangs.
#[test]
fn the_platform_store_holds_a_self_signed_server_and_reads_only_files() {
    let f = Fixture::with(crate::emulator::Options {
        self_signed: true,
        ..Default::default()
    });
    let cert = f.ca_file();
    let config = f.config(&format!(
        "[profiles.w]\nhost = \"localhost\"\nport = {}\ntoken = \"{}\"\n",
        f.emu.port(Service::Whm, true),
        ROOT.whm_token.unwrap()
    ));
    let dir = f.path("certs");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&cert, dir.join("0a1b2c3d.0")).unwrap();
    let fifo = f.path("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let run = |var: &str, value: &std::path::Path| {
        let mut cmd = f.cmd();
        cmd.arg("-c")
            .arg(&config)
            .args(["--timeout", "5", "whm", "version"])
            .env(var, value);
        f.output(cmd, None)
    };
    run("SSL_CERT_FILE", &cert).assert_code(0);
    run("SSL_CERT_DIR", &dir).assert_code(0);
    run("SSL_CERT_FILE", std::path::Path::new("/dev/zero"))
        .assert_failure(4, "certificate")
        .assert_stderr("SSL_CERT_FILE /dev/zero is not used: it is not a regular file");
    if made.is_ok_and(|s| s.success()) {
        run("SSL_CERT_FILE", &fifo).assert_failure(4, "certificate");
    }
    // A store others could replace is not trusted, as ca_file is not.
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    run("SSL_CERT_DIR", &dir)
        .assert_failure(4, "certificate")
        .assert_stderr("is not used: someone other than you or root could replace it");
    run("SSL_CERT_FILE", &dir.join("0a1b2c3d.0"))
        .assert_failure(4, "certificate")
        .assert_stderr("is not used: someone other than you or root could replace it");
}

/// One-off targets without a config trust what `--ca-file` and `--pin-sha256` (or
/// `CPCALL_CA_FILE`, `CPCALL_PIN_SHA256`) name; the refusal without them says so. A profile
/// with its own trust setting and such a variable set is an error naming both.
#[test]
fn one_off_targets_take_ca_file_and_pin_from_flags_and_environment() {
    let f = Fixture::new();
    let port = f.emu.port(Service::Whm, true).to_string();
    let ca = f.ca_file().display().to_string();
    let pin = f.emu.pin_hex();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = f.cmd();
        cmd.args(["--host", "127.0.0.1", "--port", &port])
            .args(args)
            .args(["whm", "version"])
            .env("CPCALL_TOKEN", ROOT.whm_token.unwrap());
        for (k, v) in env {
            cmd.env(k, v);
        }
        f.output(cmd, None)
    };
    let refused = run(&[], &[]);
    refused
        .assert_failure(4, "not signed by a trusted CA")
        .assert_stderr("--pin-sha256 ")
        .assert_stderr("--ca-file FILE (CPCALL_CA_FILE)");
    assert!(
        !refused.stderr.contains("cpcall trust (pins"),
        "{refused:#?}"
    );
    run(&["--ca-file", &ca], &[]).assert_code(0);
    run(&["--pin-sha256", &pin], &[]).assert_code(0);
    run(&[], &[("CPCALL_CA_FILE", &ca)]).assert_code(0);
    run(&[], &[("CPCALL_PIN_SHA256", &pin)]).assert_code(0);
    run(&["--pin-sha256", &"ab".repeat(32)], &[]).assert_failure(4, "does not match the pin");
    run(&[], &[("CPCALL_PIN_SHA256", "12:34")]).assert_failure(2, "$CPCALL_PIN_SHA256");
    run(&["--pin-sha256", "zz"], &[])
        .assert_failure(2, "--pin-sha256 \"zz\" is not a SHA-256 fingerprint");

    // A profile: the variables fill in one that says nothing of trust, and clash with one
    // that does; the flags win over either.
    let bare = f.root_token("w", "").replace("ca_file", "# ca_file");
    let own = f.root_token("w", "");
    for (config, env, want) in [
        (&bare, ("CPCALL_CA_FILE", ca.as_str()), Ok(())),
        (
            &own,
            ("CPCALL_PIN_SHA256", pin.as_str()),
            Err("has its own ca_file"),
        ),
    ] {
        let mut cmd = f.cmd();
        cmd.args(["-c", &f.config(config), "whm", "version"])
            .env(env.0, env.1);
        let out = f.output(cmd, None);
        match want {
            Ok(()) => out.assert_code(0),
            Err(says) => out.assert_failure(2, says),
        };
    }
    f.call(&bare, &["--pin-sha256", &pin, "whm", "version"])
        .assert_code(0);
}
