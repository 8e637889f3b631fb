//! Nothing runs that the user did not ask to run: `--curl` never sends (single calls, fan-out,
//! batch, login, logout), and whatever can be checked offline (the `--jq` filter, every batch
//! line, reserved parameters) stops the run before the first request.

use crate::common::Fixture;
use crate::emulator::accounts::BOB;
use crate::emulator::Service;

fn session_profile(f: &Fixture) -> String {
    f.profile(
        "s",
        Service::Cpanel,
        &format!(
            "auth = \"session\"\nuser = \"bob\"\npassword = \"{}\"",
            BOB.password
        ),
    )
}

#[test]
fn curl_never_sends_anything() {
    let f = Fixture::new();
    let whm = f.root_token("w", "");
    let calls = f.write(
        "calls.txt",
        "whm createacct username=carol domain=carol.example\ncpanel --user bob Email list_pops\n",
    );
    let batch = f.call(&whm, &["--curl", "batch", &calls.display().to_string()]);
    batch
        .assert_code(0)
        .assert_stdout("# line 1\ncurl -sS")
        .assert_stdout("/json-api/createacct?api.version=1")
        .assert_stdout("# line 2\ncurl -sS")
        .assert_stdout("cpanel_jsonapi_user=bob");
    let fleet = format!("{}{}", whm, f.root_token("x", ""));
    let fanned = f.call(&fleet, &["--curl", "-p", "w,x", "whm", "version"]);
    fanned
        .assert_code(0)
        .assert_stdout("# profile w\ncurl")
        .assert_stdout("# profile x\ncurl");
    let fanned_batch = f.call(
        &fleet,
        &["--curl", "--all", "batch", &calls.display().to_string()],
    );
    fanned_batch.assert_code(0).assert_stdout("# line 2 on x\n");

    let session = session_profile(&f);
    let login = f.call(&session, &["--curl", "login"]);
    login
        .assert_code(0)
        .assert_stdout("/login/?login_only=1")
        .assert_stdout("pass=$CPCALL_PASSWORD");
    assert!(!login.stdout.contains("tfa_token"), "{login:#?}");
    let with_code = f.call(&session, &["--curl", "login", "--otp", "123456"]);
    with_code.assert_stdout("tfa_token=$CPCALL_OTP");
    assert!(!with_code.stdout.contains("123456"));
    f.call(&session, &["--curl", "logout"])
        .assert_code(0)
        .assert_stdout("Cookie: cpsession=$CPCALL_SESSION_COOKIE")
        .assert_stdout("/logout/");
    // A session profile's call would log in first: --curl must not.
    f.call(&session, &["--curl", "cpanel", "Email", "list_pops"])
        .assert_code(0)
        .assert_stdout("# no saved session");
    for args in [
        &["--curl", "doctor"][..],
        &["--curl", "trust", "--yes"],
        &["--curl", "config", "list"],
    ] {
        f.call(&whm, args)
            .assert_failure(2, "--curl prints the curl command");
    }
    assert!(f.requests().is_empty(), "--curl sent {:?}", f.requests());
    assert_eq!(f.emu.logins(), 0);
}

#[test]
fn a_bad_filter_stops_the_call_before_it_is_sent() {
    let f = Fixture::new();
    let whm = f.root_token("w", "");
    let fleet = format!("{}{}", whm, f.root_token("x", ""));
    let calls = f.write("calls.txt", "whm createacct username=a domain=a.example\n");
    let runs: Vec<(&str, Vec<&str>)> = vec![
        (
            &whm,
            vec![
                "--jq",
                ".data[",
                "whm",
                "createacct",
                "username=a",
                "domain=a.example",
            ],
        ),
        (
            &fleet,
            vec!["--all", "--jq", ".data | nosuch", "whm", "createacct"],
        ),
        (&whm, vec!["--jq", "{", "batch", &calls.to_str().unwrap()]),
    ];
    for (config, args) in runs {
        f.call(config, &args)
            .assert_failure(2, "invalid --jq filter at 1:");
    }
    assert!(f.requests().is_empty(), "sent {:?}", f.requests());
}

#[test]
fn every_batch_line_is_checked_before_the_first_runs() {
    let f = Fixture::new();
    let whm = f.root_token("w", "");
    let cases = [
        (
            "whm listaccts\nwhm list-accts\n",
            "batch line 2: WHM function \"list-accts\"",
        ),
        (
            "whm listaccts\nwhm listaccts api.version=0\n",
            "batch line 2: api.version",
        ),
        (
            "whm listaccts\ncpanel --user bob Email list_pops cpanel_jsonapi_user=root\n",
            "batch line 2: cpanel_jsonapi_user",
        ),
        (
            "whm listaccts\nwhm\n",
            "batch line 2: the following required arguments were not provided: <FUNCTION>",
        ),
        (
            "whm listaccts\ncpanel --user bob Email/x list\n",
            "batch line 2",
        ),
    ];
    for (text, want) in cases {
        let file = f.write("calls.txt", text);
        f.call(&whm, &["batch", &file.display().to_string()])
            .assert_failure(2, want);
    }
    // --paginate on an API 2 line is as wrong offline as it is on the server.
    let file = f.write(
        "calls.txt",
        "whm listaccts\ncpanel --api2 --user bob Email x\n",
    );
    f.call(&whm, &["--paginate", "batch", &file.display().to_string()])
        .assert_failure(2, "batch line 2: --paginate works with");
    assert!(f.requests().is_empty(), "sent {:?}", f.requests());
}

#[test]
fn profiles_are_checked_before_the_first_call() {
    let f = Fixture::new();
    let config = format!("{}{}", f.root_token("a", ""), f.root_token("b", ""));
    for (args, want) in [
        (
            &[
                "-p",
                "a,nosuch",
                "whm",
                "createacct",
                "username=x",
                "domain=x.example",
            ][..],
            "no profile named \"nosuch\"",
        ),
        (&["-p", "a,A", "whm", "version"], "no profile named \"A\""),
        (&["-p", "a", "--all", "whm", "version"], "use one of them"),
    ] {
        f.call(&config, args).assert_failure(2, want);
    }
    assert!(f.requests().is_empty(), "sent {:?}", f.requests());
    // CPCALL_PROFILE in the environment yields to --all on the command line.
    let mut cmd = f.cmd();
    cmd.arg("-c")
        .arg(f.config(&config))
        .args(["--all", "whm", "version"])
        .env("CPCALL_PROFILE", "a");
    f.output(cmd, None).assert_all_ok(2);
}

#[test]
fn curl_output_ends_with_a_line_break() {
    let f = Fixture::new();
    let session = session_profile(&f);
    for args in [
        &["--curl", "login"][..],
        &["--curl", "logout"],
        &["--curl", "cpanel", "Email", "list_pops"],
    ] {
        let out = f.call(&session, args);
        assert!(out.stdout.ends_with("'\n"), "{args:?}: {out:#?}");
    }
}
