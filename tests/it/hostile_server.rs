//! Nothing crashes and nothing reaches the terminal raw, whatever the server sends: answers
//! nested 30,000 deep, bad UTF-8 inside strings, terminal escape sequences in reasons, jq's
//! `halt` against the verdict, a jq error on a big answer, a closed stderr.

use std::process::Stdio;

use crate::common::{Fixture, Out};
use crate::emulator::{Emulator, Options};

const OK: &str =
    r#"{"metadata":{"version":1,"command":"version","result":1,"reason":"OK"},"data":"#;

fn deep(levels: usize) -> String {
    format!("{OK}{}{}}}", "[".repeat(levels), "]".repeat(levels))
}

fn answering(body: impl Into<Vec<u8>>) -> Fixture {
    Fixture::with(Options::default().answering("version", body))
}

#[track_caller]
fn no_crash(out: &Out) {
    assert!(
        (0..=4).contains(&out.code),
        "exit {} is not a documented code: {out:#?}",
        out.code
    );
}

#[test]
fn a_deep_answer_fails_alone_in_a_fan_out() {
    let f = answering(deep(5_000));
    let other = Emulator::start();
    let config = format!(
        "{}{}",
        f.root_token("deep", ""),
        f.root_token_on(&other, "fine")
    );
    let single = f.call(
        &config,
        &["-p", "deep", "--jq", ".data | length", "whm", "version"],
    );
    no_crash(&single);
    single.assert_failure(4, "nests deeper than 512 levels");
    // Without --jq the answer is printed as received; pretty too, its indentation written
    // out as it grows.
    f.call(&config, &["-p", "deep", "whm", "version"])
        .assert_code(0);
    let pretty = f.call(&config, &["-p", "deep", "--pretty", "whm", "version"]);
    pretty.assert_code(0);
    assert!(
        pretty.stdout.lines().count() > 2 * 5_000,
        "one line per bracket"
    );

    let fan = f.call(
        &config,
        &["--all", "--jq", ".data | length", "whm", "version"],
    );
    no_crash(&fan);
    fan.assert_code(4)
        .assert_stderr("1 ok, 1 failed: deep (exit 4)");
    let lines = fan.lines();
    let fine = lines.iter().find(|l| l["profile"] == "fine").unwrap();
    assert_eq!(fine["result"], serde_json::json!([1]), "{fine}");
    let deep = lines.iter().find(|l| l["profile"] == "deep").unwrap();
    assert!(
        deep["error"].as_str().unwrap().contains("nests deeper"),
        "{deep}"
    );
}

/// Past 10,000 levels an answer is not an API's: exit 4 at once, in every style, nothing printed.
#[test]
fn an_answer_nested_past_the_limit_is_refused_in_every_style() {
    let f = answering(deep(30_000));
    let config = f.root_token("deep", "");
    for style in [&[][..], &["--pretty"], &["-d"], &["--jq", "."]] {
        let mut args = vec!["-p", "deep"];
        args.extend_from_slice(style);
        args.extend_from_slice(&["whm", "version"]);
        f.call(&config, &args)
            .assert_failure(4, "nests deeper than 10000 levels");
    }
}

#[test]
fn bad_utf8_inside_a_string_is_exit_4_in_every_mode() {
    let mut body = OK.as_bytes().to_vec();
    body.extend_from_slice(b"{\"user\":\"a\xff\xfeb\"}}");
    let f = answering(body);
    let config = f.root_token("w", "");
    let calls = f.write("calls.txt", "whm version\n");
    let batch = calls.display().to_string();
    for args in [
        &["whm", "version"][..],
        &["-d", "whm", "version"],
        &["--jq", ".data.user", "whm", "version"],
        &["--compact", "whm", "version"],
    ] {
        f.call(&config, args)
            .assert_failure(4, "not valid UTF-8 (bad bytes at offset");
    }
    for args in [
        &["-p", "w,w", "whm", "version"][..],
        &["batch", &batch],
        &["-d", "batch", &batch],
    ] {
        let out = f.call(&config, args);
        out.assert_code(4);
        for line in out.lines() {
            assert_eq!(
                (&line["ok"], &line["exit"]),
                (&serde_json::json!(false), &serde_json::json!(4)),
                "{line}"
            );
            assert!(line["error"].as_str().unwrap().contains("UTF-8"), "{line}");
        }
    }
}

#[test]
fn halt_never_overrides_the_verdict() {
    let f =
        answering(r#"{"metadata":{"version":1,"command":"version","result":0,"reason":"nope"}}"#);
    let config = f.root_token("w", "");
    let out = f.call(
        &config,
        &["--jq", ".metadata.reason, halt", "whm", "version"],
    );
    out.assert_code(1).assert_stderr("API error: nope");
    assert_eq!(out.stdout, "nope\n");
    f.call(&config, &["--jq", "halt_error(7)", "whm", "version"])
        .assert_code(1);
    let ok = f.call(
        &config,
        &["--jq", "\"x\" | halt_error(7)", "whm", "applist"],
    );
    ok.assert_code(0).assert_stderr("cpcall: jq: x");
    assert_eq!(ok.stdout, "");
    // In a batch, halt ends one line's filter, never the batch.
    let calls = f.write("calls.txt", "whm applist\nwhm applist\nwhm applist\n");
    let batch = f.call(
        &config,
        &[
            "--jq",
            ".metadata.result, halt",
            "batch",
            &calls.display().to_string(),
        ],
    );
    batch.assert_all_ok(3);
    assert_eq!(batch.lines().len(), 3);
}

#[test]
fn a_jq_error_on_a_big_answer_says_little() {
    let f = Fixture::with(Options {
        extra_records: 20_000,
        ..Options::default()
    });
    let out = f.as_root(&["--jq", ".data.acct + 1", "whm", "listaccts"]);
    out.assert_failure(2, "jq filter error: cannot");
    assert!(
        out.stderr.len() < 600,
        "{} bytes on stderr",
        out.stderr.len()
    );
}

#[test]
fn escape_sequences_from_the_server_never_reach_the_terminal() {
    let reason = r#"bad \u001b]0;pwned\u0007 \u001b[2J \u009b31m \u202egnp"#;
    let f = answering(format!(
        r#"{{"metadata":{{"version":1,"command":"version","result":0,"reason":"{reason}"}}}}"#
    ));
    let config = format!("{}{}", f.root_token("a", ""), f.root_token("b", ""));
    for args in [
        &["-p", "a", "whm", "version"][..],
        &["-p", "a", "-v", "whm", "version"],
        &["-p", "a,b", "whm", "version"],
    ] {
        let out = f.call(&config, args);
        out.assert_code(1);
        for bad in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
            assert!(!out.stderr.contains(bad), "{bad:?} on stderr: {out:#?}");
        }
    }
    f.call(&config, &["-p", "a", "whm", "version"])
        .assert_stderr(r"API error: bad \u{1b}]0;pwned\u{7} \u{1b}[2J");
}

#[test]
fn a_closed_stderr_is_not_a_crash() {
    let f = Fixture::new();
    let config = f.root_token("w", "insecure = true");
    for (args, code) in [
        (&["--insecure", "whm", "version"][..], 0),
        (&["whm", "nosuchfunction"], 1),
        (&["-v", "whm", "version"], 0),
        (&["-p", "w,w", "whm", "version"], 0),
        (&["-p", "nope", "whm", "version"], 2),
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let mut cmd = f.cmd();
        cmd.arg("-c")
            .arg(f.config(&config))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(writer);
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}: {out:?}");
        if code == 0 {
            assert!(!out.stdout.is_empty(), "{args:?}");
        }
    }
}

#[test]
fn a_huge_content_length_is_not_allocated() {
    let answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000000000\r\n\r\n{}".to_vec();
    let f = Fixture::with(Options {
        fault: Some(crate::emulator::Fault::Answer(answer)),
        ..Options::default()
    });
    let config = format!("{}{}", f.root_token("a", ""), f.root_token("b", ""));
    let out = f.call(
        &config,
        &["-p", "a", "--max-size", "1000G", "whm", "version"],
    );
    no_crash(&out);
    out.assert_failure(4, "closed the connection");
    let fan = f.call(
        &config,
        &["-p", "a,b", "--max-size", "1000G", "whm", "version"],
    );
    no_crash(&fan);
    fan.assert_code(4).assert_stderr("0 ok, 2 failed");
}

#[test]
fn a_lone_surrogate_is_exit_4_in_every_mode() {
    let f = answering(format!(r#"{OK}{{"a":"\ud800 x"}}}}"#));
    let config = f.root_token("w", "");
    for args in [
        &["whm", "version"][..],
        &["-d", "whm", "version"],
        &["--jq", ".", "whm", "version"],
        &["--paginate", "whm", "version"],
    ] {
        f.call(&config, args)
            .assert_failure(4, "half a surrogate pair");
    }
    let out = f.call(&config, &["-p", "w,w", "whm", "version"]);
    out.assert_code(4);
}

#[test]
fn a_filter_error_does_not_hide_the_api_failure() {
    let f = Fixture::new();
    let config = f.root_token("w", "");
    let out = f.call(&config, &["--jq", ".data.acct[]", "whm", "nosuchfunction"]);
    out.assert_code(1)
        .assert_stderr("API error: Unknown app")
        .assert_stderr("jq filter error");
    let calls = f.write("calls.txt", "whm nosuchfunction\n");
    let batch = f.call(
        &config,
        &[
            "--jq",
            ".data.acct[]",
            "batch",
            &calls.display().to_string(),
        ],
    );
    batch.assert_code(1);
    assert_eq!(batch.lines()[0]["exit"], 1);
}

#[test]
fn server_text_in_doctor_and_trust_is_escaped() {
    let evil = "evil\n  SHA-256: 00:11:22\u{1b}]0;pwned\u{7}";
    let f = Fixture::with(
        Options {
            cert_common_name: Some(evil.to_string()),
            ..Options::default()
        }
        .answering(
            "version",
            format!(r#"{OK}{{"version":"11.1\u001b[2J\n\u202e"}}}}"#),
        ),
    );
    let config = f.root_token("w", "");
    let doctor = f.call(&config, &["doctor"]);
    for bad in ['\u{1b}', '\u{7}', '\u{202e}'] {
        assert!(!doctor.stdout.contains(bad), "{bad:?}: {doctor:#?}");
    }
    assert!(
        doctor
            .stdout
            .lines()
            .all(|l| l.starts_with("profile") || l.starts_with(['✓', '!', '✗'])),
        "one line per check: {doctor:#?}"
    );
    let trust = f.call(&config, &["trust", "--yes"]);
    trust.assert_code(0);
    assert!(
        !trust
            .stderr
            .lines()
            .any(|l| l.trim_start().starts_with("SHA-256: 00:11")),
        "a certificate name forged a line: {trust:#?}"
    );
    assert!(!trust.stderr.contains('\u{1b}'));
}

#[test]
fn stdout_that_cannot_be_written_is_exit_2_in_every_mode() {
    let f = Fixture::new();
    let config = f.config(&format!(
        "{}{}",
        f.root_token("a", ""),
        f.root_token("b", "")
    ));
    let calls = f.write("calls.txt", "whm version\n");
    for args in [
        &["-p", "a", "whm", "version"][..],
        &["-p", "a,b", "whm", "version"],
        &["-p", "a", "batch", calls.to_str().unwrap()],
        &["--help"],
        &["whm", "--help"],
    ] {
        let mut cmd = f.cmd();
        cmd.arg("-c")
            .arg(&config)
            .args(args)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .stderr(Stdio::piped());
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("cannot write"),
            "{out:?}"
        );
    }
}

/// A server that echoes what it was sent (the Authorization header in its reason and in a
/// header) does not get the secret onto the terminal: every secret of the run is masked on
/// stderr, `-v` included.
#[test]
fn a_server_that_echoes_the_credential_does_not_get_it_shown() {
    let token = crate::emulator::accounts::ROOT
        .whm_token
        .unwrap_or_default();
    let body = format!(
        r#"{{"metadata":{{"version":1,"command":"version","result":0,"reason":"bad header: whm root:{token}"}}}}"#
    );
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Echo: whm root:{token}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let f = Fixture::with(Options {
        fault: Some(crate::emulator::Fault::Answer(answer.into_bytes())),
        ..Options::default()
    });
    let config = f.root_token("w", "");
    // stdout is the server's own answer, as received (--jq keeps the echo out of it here).
    for args in [
        &["--jq", ".metadata.result", "whm", "version"][..],
        &["-v", "--jq", ".metadata.result", "whm", "version"],
    ] {
        let out = f.call(&config, args);
        out.assert_code(1).assert_stderr("bad header: ***");
        assert!(!out.stderr.contains(token), "{args:?}: {}", out.stderr);
    }
}

/// A secret the server echoes where a jq message cuts the value it quotes: masked before the
/// cut, so no part of it shows (cut first, its first 31 characters were no longer a secret).
#[test]
fn a_jq_message_that_cuts_a_quoted_secret_shows_none_of_it() {
    let token = crate::emulator::accounts::ROOT
        .whm_token
        .unwrap_or_default();
    for (prefix, filter) in [
        (190, ".metadata.reason|.[0]"),
        (945, ".metadata.reason|stderr|empty"),
        (1900, ".metadata.reason|halt_error"),
    ] {
        let reason = format!("{}root:{token}{}", "x".repeat(prefix), "y".repeat(300));
        let body = format!(
            r#"{{"metadata":{{"version":1,"command":"version","result":1,"reason":"{reason}"}}}}"#
        );
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let g = Fixture::with(Options {
            fault: Some(crate::emulator::Fault::Answer(answer.into_bytes())),
            ..Options::default()
        });
        let out = g.call(&g.root_token("w", ""), &["--jq", filter, "whm", "version"]);
        assert!(
            out.stderr.contains("root:***") || !out.stderr.contains("root:"),
            "{filter}: {out:#?}"
        );
        assert!(
            !out.stderr.contains(&token[..8]),
            "{filter}: a part of the token shows: {out:#?}"
        );
    }
}

/// A server that quotes the credential in its refusal, in every encoding (as received, form-
/// and percent-encoded, JSON-escaped, base64, decoded from the Basic header): nothing of it
/// reaches stdout or stderr, in a single call, in fan-out and batch JSON lines, in `doctor`
/// and `doctor --json`, with `-v` or without. The fixture's sweep checks every output for
/// each of those forms of every test secret.
#[test]
fn a_credential_echoed_in_any_encoding_is_masked_in_every_channel() {
    use crate::emulator::accounts::OPS;
    use crate::emulator::Service;
    let f = Fixture::with(Options {
        echo_credentials: true,
        ..Options::default()
    });
    // OPS's password under a user the server does not know: refused, and quoted.
    let refused = |name: &str| {
        f.password_profile(name, Service::Whm, &OPS)
            .replace("user = \"ops\"", "user = \"opsx\"")
    };
    let config = format!("{}{}", refused("a"), refused("b"));
    let calls = f.write("calls.txt", "whm version\nwhm listaccts\n");
    let calls = calls.to_str().unwrap();
    // An account password as a parameter comes back too (the server quotes the body).
    let new_password = "N3w~acct*/pässword&x'";
    let with_password = format!("password={new_password}");
    let cases: Vec<(&str, Vec<&str>, i32)> = vec![
        ("single call", vec!["-p", "a", "whm", "version"], 3),
        ("-v", vec!["-v", "-p", "a", "whm", "version"], 3),
        ("fan-out", vec!["-p", "a,b", "whm", "version"], 3),
        ("batch", vec!["-p", "a", "batch", calls], 3),
        ("fan-out batch", vec!["-p", "a,b", "batch", calls], 3),
        ("doctor", vec!["-p", "a", "doctor"], 1),
        ("doctor --json", vec!["-p", "a", "doctor", "--json"], 1),
        ("doctor fan-out", vec!["-p", "a,b", "doctor", "--json"], 1),
    ];
    for (label, args, code) in cases {
        let out = f.call(&config, &args);
        assert_eq!(out.code, code, "{label}: {out:#?}");
        assert!(
            out.stdout.contains("***") || out.stderr.contains("***"),
            "{label}: the echo is there, masked: {out:#?}"
        );
    }
    // A token with a trailing space (the server trims what it quotes), read from a file.
    let spaced = f.write("spaced.token", "SPACEDTOKEN0000000000000000000000 \n");
    let trimmed = f.profile(
        "sp",
        Service::Whm,
        &format!("token_file = \"{}\"", spaced.display()),
    );
    let out = f.call(&trimmed, &["-p", "sp", "whm", "version"]);
    out.assert_code(3);
    assert!(!out.stderr.contains("SPACEDTOKEN"), "{out:#?}");
    // A session cookie, percent-encoded as cPanel's are, quoted decoded after the session
    // expired on the server.
    let g = Fixture::with(Options {
        echo_credentials: true,
        session_idle: std::time::Duration::from_millis(300),
        ..Options::default()
    });
    let session = format!(
        "{}auth = \"session\"\n",
        g.password_profile("s", Service::Cpanel, &crate::emulator::accounts::BOB)
    );
    g.call(&session, &["-p", "s", "login"]).assert_code(0);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let out = g.call(&session, &["-p", "s", "cpanel", "Email", "list_pops"]);
    out.assert_code(3)
        .assert_stderr("decoded cookie: cpsession=***");
    for cookie in g.emu.state.cookies() {
        let decoded = cookie.replace("%3a", ":").replace("%40", "@");
        assert!(!out.stderr.contains(&decoded), "{out:#?}");
    }

    // A wrong token is a secret of the run too, and so is a parameter that holds a password
    // (a new account's): the server quotes the body, so both come back.
    let wrong = "WRONGTOKEN0000000000000000000000";
    let bad = f.root_token("t", "").replace(
        crate::emulator::accounts::ROOT
            .whm_token
            .unwrap_or_default(),
        wrong,
    );
    let config = format!("{bad}{}", bad.replace("[profiles.t]", "[profiles.t2]"));
    let encoded: String = form_urlencoded::byte_serialize(new_password.as_bytes()).collect();
    for profiles in ["t", "t,t2"] {
        let args = [
            "-p",
            profiles,
            "whm",
            "createacct",
            "username=eve",
            "domain=eve.example",
            &with_password,
        ];
        let out = f.call(&config, &args);
        assert_eq!(out.code, 3, "{out:#?}");
        let b64 = |s: &str| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, s);
        let (pair, header) = (
            b64(&format!("root:{wrong}")),
            b64(&format!("whm root:{wrong}")),
        );
        assert!(
            out.stderr.contains("pair base64: ***") || out.stdout.contains("pair base64: ***"),
            "{out:#?}"
        );
        for form in [new_password, encoded.as_str(), wrong, &pair, &header] {
            assert!(
                !out.stdout.contains(form) && !out.stderr.contains(form),
                "{profiles}: {form} shown: {out:#?}"
            );
        }
        assert!(
            out.stdout.contains("password=***") || out.stderr.contains("password=***"),
            "{out:#?}"
        );
    }
}

/// Messages that name what happened: a 304 is no redirect; a key twice inside `metadata` is
/// refused as a key twice at the top is, whichever value comes last.
#[test]
fn odd_statuses_and_repeated_keys_are_named() {
    let answer = |head: &str, body: &str| {
        format!(
            "HTTP/1.1 {head}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    };
    let cases = [
        (
            answer("304 Not Modified", ""),
            "unexpected HTTP status 304 (Not Modified)",
        ),
        (
            answer("204 No Content", ""),
            "unexpected HTTP status 204 (No Content)",
        ),
        (
            answer(
                "200 OK",
                r#"{"metadata":{"result":0,"reason":"no","result":1},"data":{}}"#,
            ),
            "`result` twice",
        ),
        (
            answer(
                "200 OK",
                r#"{"metadata":{"result":1},"data":{},"metadata":{"result":0}}"#,
            ),
            "`metadata` twice",
        ),
    ];
    for (bytes, want) in cases {
        let f = Fixture::with(Options {
            fault: Some(crate::emulator::Fault::Answer(bytes)),
            ..Options::default()
        });
        let out = f.as_root(&["whm", "version"]);
        out.assert_failure(4, want);
        assert!(!out.stderr.contains("redirect"), "{out:#?}");
    }
}

/// `--get` with more parameters than a URL holds: refused before sending past what can be
/// sent at all, and a server's 414 says to drop `--get` too.
#[test]
fn a_get_too_long_for_a_url_says_to_drop_get() {
    let f = Fixture::new();
    let huge = format!("search={}", "x".repeat(70_000));
    f.as_root(&["--get", "whm", "listaccts", &huge])
        .assert_failure(2, "drop --get");
    assert!(f.requests().is_empty(), "nothing sent");
    let long = format!("search={}", "x".repeat(10_000));
    f.as_root(&["--get", "whm", "listaccts", &long])
        .assert_failure(4, "HTTP status 414")
        .assert_stderr("drop --get");
    f.as_root(&["whm", "listaccts", &long]).assert_code(0);
}

/// A reader of stdout that goes away (`| head -c1`) ends the run: a batch starts no further
/// call (it must not go on creating accounts for nobody) and cpcall exits 141, as a program
/// killed by SIGPIPE does; a single call whose answer outgrows the pipe too. With stdout closed
/// outright (`>&-`) a call still runs (its answer goes nowhere) and exits 0.
#[test]
fn a_reader_that_goes_away_ends_the_run() {
    let bin = env!("CARGO_BIN_EXE_cpcall");
    // `cpcall -c CONFIG ARGS | head -c1`, in bash: cpcall's exit status.
    let piped = |f: &Fixture, config: &str, args: &str| {
        let out = std::process::Command::new("bash")
            .args([
                "-c",
                &format!("'{bin}' -c '{config}' {args} | head -c1 >/dev/null; echo \"${{PIPESTATUS[0]}}\""),
            ])
            .env("HOME", f.dir.path())
            .env("XDG_STATE_HOME", f.path("xdg-state"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let slow = Fixture::with(Options {
        fault: Some(crate::emulator::Fault::Slow(
            std::time::Duration::from_millis(300),
        )),
        ..Options::default()
    });
    let config = slow.config(&slow.root_token("w", ""));
    let calls = slow.write("calls.txt", &"whm version\n".repeat(20));
    assert_eq!(
        piped(&slow, &config, &format!("batch '{}'", calls.display())),
        "141"
    );
    let sent = slow.requests().len();
    assert!(
        sent <= 3,
        "the batch stopped when its reader went away: {sent} calls sent"
    );

    let big = Fixture::with(
        Options::default().answering("listaccts", crate::emulator::big_listaccts(2_000_000)),
    );
    let config = big.config(&big.root_token("w", ""));
    assert_eq!(piped(&big, &config, "whm listaccts"), "141");
    let closed = std::process::Command::new("bash")
        .args([
            "-c",
            &format!("'{bin}' -c '{config}' whm version >&-; echo $?"),
        ])
        .env("HOME", big.dir.path())
        .env("XDG_STATE_HOME", big.path("xdg-state"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&closed.stdout).trim(), "0");
}
