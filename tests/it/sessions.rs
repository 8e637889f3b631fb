//! Sessions: login/logout with and without 2FA, on cPanel, WHM and Webmail; the saved
//! session file; automatic re-login for `auth = "session"` profiles, exactly once.

use std::path::PathBuf;
use std::time::Duration;

use crate::common::Fixture;
use crate::emulator::accounts::{ASDER, BOB, CPTEST, MAILBOXES, ROOT};
use crate::emulator::server::{totp_at, unix_now};
use crate::emulator::{Options, Service};

fn session_file(f: &Fixture, profile: &str) -> PathBuf {
    f.session_file(profile)
}

fn bob_password(f: &Fixture) -> String {
    f.password_profile("bob", Service::Cpanel, &BOB)
}

/// Bob's password in a profile that calls through sessions.
fn bob_session(f: &Fixture) -> String {
    format!("{}auth = \"session\"\n", bob_password(f))
}

#[test]
fn login_saves_a_private_session_that_later_calls_use() {
    let f = Fixture::new();
    let config = bob_session(&f);
    f.call(&config, &["-p", "bob", "login"])
        .assert_code(0)
        .assert_stderr("logged in to 127.0.0.1");
    let login = f.last();
    assert_eq!(
        (login.method.as_str(), login.target.as_str()),
        ("POST", "/login/?login_only=1")
    );

    let file = session_file(&f, "bob");
    let text = std::fs::read_to_string(&file).expect("session file");
    assert!(!text.contains(BOB.password), "the password is not saved");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(file.parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
    }
    let saved: serde_json::Value = serde_json::from_str(&text).unwrap();
    let token = saved["security_token"].as_str().unwrap().to_string();

    let out = f.call(&config, &["-p", "bob", "cpanel", "Email", "list_pops"]);
    out.assert_code(0);
    let req = f.last();
    assert_eq!(req.target, format!("{token}/execute/Email/list_pops"));
    assert!(
        req.header("Authorization").is_none(),
        "no Authorization header inside a session"
    );
    assert!(req.header("Cookie").unwrap().starts_with("cpsession="));
    assert_eq!(f.emu.logins(), 1);

    f.call(&config, &["-p", "bob", "logout"])
        .assert_code(0)
        .assert_stderr("logged out");
    let logout = f.last();
    assert_eq!(logout.target, "/logout/");
    assert!(logout.header("Cookie").is_some());
    assert!(!file.exists());
    f.call(&config, &["-p", "bob", "logout"])
        .assert_code(0)
        .assert_stderr("no saved session");
    // Without the session, the profile logs in again by itself, quietly.
    let out = f.call(&config, &["-p", "bob", "cpanel", "Email", "list_pops"]);
    out.assert_code(0);
    assert_eq!(f.emu.logins(), 2);
    assert!(f.last().header("Authorization").is_none());
}

/// A profile with a credential of its own never calls through a saved session: `login` says
/// so, and its calls keep their token or password (with its 2FA code) after the login and after
/// the session is gone.
#[test]
fn a_session_never_shadows_a_profiles_own_credential() {
    let f = Fixture::with(Options {
        session_idle: Duration::from_millis(300),
        ..Options::default()
    });
    let whm = format!(
        "{}user = \"root\"\npassword_env = \"ROOT_PW\"\n",
        f.root_token("w", "auth = \"token\"")
    );
    let config = format!("{whm}{}", bob_password(&f));
    let run = |args: &[&str]| {
        let mut cmd = f.cmd();
        cmd.arg("-c")
            .arg(f.private_config(&config))
            .args(args)
            .env("ROOT_PW", ROOT.password);
        f.output(cmd, None)
    };
    for (profile, call) in [
        ("w", &["whm", "listaccts"][..]),
        ("bob", &["cpanel", "Email", "list_pops"]),
    ] {
        run(&[&["-p", profile], &["login"][..]].concat())
            .assert_code(0)
            .assert_stderr("not through a session")
            .assert_stderr("set auth = \"session\"");
        for _ in 0..2 {
            let out = run(&[&["-p", profile], call].concat());
            out.assert_code(0);
            assert!(out.stderr.is_empty(), "{out:#?}");
            let req = f.last();
            assert!(!req.target.starts_with("/cpsess"), "{}", req.target);
            assert!(req.header("Authorization").is_some());
            assert!(req.header("Cookie").is_none());
            // Past the session's life: nothing changes for the profile.
            std::thread::sleep(Duration::from_millis(400));
        }
    }
    assert_eq!(f.emu.logins(), 2, "the two explicit logins, nothing more");
}

#[test]
fn login_with_totp_secret_or_otp_flag() {
    let f = Fixture::new();
    let base = format!("user = \"cptest\"\npassword = \"{}\"", CPTEST.password);
    let with_secret = f.profile(
        "c",
        Service::Cpanel,
        &format!("{base}\ntotp_secret = \"{}\"", CPTEST.totp.unwrap()),
    );
    f.call(&with_secret, &["login"]).assert_code(0);
    let with_secret = format!("{with_secret}auth = \"session\"\n");
    let text = std::fs::read_to_string(session_file(&f, "c")).unwrap();
    assert!(!text.contains(CPTEST.totp.unwrap()) && !text.contains(CPTEST.password));
    f.call(&with_secret, &["cpanel", "Ftp", "list_ftp"])
        .assert_code(0);
    f.call(&with_secret, &["logout"]).assert_code(0);

    let without = f.profile("c", Service::Cpanel, &format!("{base}\nauth = \"session\""));
    let code = totp_at(CPTEST.totp.unwrap(), unix_now());
    f.call(&without, &["login", "--otp", &code]).assert_code(0);
    f.call(&without, &["cpanel", "Ftp", "list_ftp"])
        .assert_code(0);
    assert_eq!(f.emu.logins(), 2);

    // --otp typed on the command line wins over the profile's totp_secret (here a wrong one).
    let stale = f.profile(
        "c",
        Service::Cpanel,
        &format!(
            "{base}
totp_secret = \"AAAAAAAAAAAAAAAA\""
        ),
    );
    let code = totp_at(CPTEST.totp.unwrap(), unix_now());
    f.call(&stale, &["login", "--otp", &code]).assert_code(0);
}

#[test]
fn refused_logins_exit_3_and_are_never_retried() {
    let f = Fixture::new();
    let base = format!("user = \"cptest\"\npassword = \"{}\"", CPTEST.password);
    let without = f.profile("c", Service::Cpanel, &base);
    let now = unix_now();
    let wrong = (0..1000)
        .map(|n| format!("{n:06}"))
        .find(|c| (0..3).all(|d| *c != totp_at(CPTEST.totp.unwrap(), now - 30 + d * 30)))
        .unwrap();
    f.call(&without, &["login", "--otp", &wrong])
        .assert_failure(3, "not retried");
    assert_eq!(f.emu.logins(), 1);
    f.call(&without, &["login"]).assert_failure(3, "refused");
    assert_eq!(f.emu.logins(), 2, "no 2FA code: one attempt");
    let bad = f.profile("b", Service::Cpanel, "user = \"bob\"\npassword = \"wrong\"");
    f.call(&bad, &["login"])
        .assert_failure(3, "wrong user or password");
    assert_eq!(f.emu.logins(), 3);
    assert!(!session_file(&f, "c").exists());
    f.call(&without, &["login", "--otp", "12x"])
        .assert_failure(2, "6 digits");
    assert_eq!(f.emu.logins(), 3, "a malformed code is not sent");
}

#[test]
fn session_profiles_log_in_by_themselves_and_again_once_after_expiry() {
    let f = Fixture::with(Options {
        session_idle: Duration::from_millis(700),
        ..Options::default()
    });
    let profile = f.tfa_profile("s", Service::Cpanel, &CPTEST, "auth = \"session\"");
    f.call(
        &profile,
        &["cpanel", "Email", "add_pop", "email=a", "password=x1"],
    )
    .assert_code(0);
    assert_eq!(f.emu.logins(), 1);
    f.private_config(&profile);
    f.call(
        &profile,
        &["cpanel", "Email", "add_pop", "email=b", "password=x2"],
    )
    .assert_code(0);
    assert_eq!(f.emu.logins(), 1, "the saved session is reused");

    std::thread::sleep(Duration::from_millis(1000));
    let mut cmd = f.cmd();
    cmd.arg("-c").arg(f.path("config.toml")).args([
        "cpanel",
        "Email",
        "add_pop",
        "email=c",
        "password=x3",
    ]);
    let out = f.output(cmd, None);
    out.assert_code(0);
    assert!(
        out.stderr.is_empty(),
        "a successful re-login is quiet: {out:#?}"
    );
    assert_eq!(f.emu.logins(), 2, "exactly one more login");
    let runs: Vec<_> = f
        .requests()
        .into_iter()
        .filter(|r| r.request.path().ends_with("/execute/Email/add_pop") && r.status == 200)
        .collect();
    assert_eq!(runs.len(), 3, "each call ran once");
    let refused: Vec<_> = f
        .requests()
        .into_iter()
        .filter(|r| r.status == 401)
        .collect();
    assert_eq!(
        refused.len(),
        1,
        "the expired attempt was refused before running"
    );
}

#[test]
fn a_session_profile_without_password_says_run_login_once_its_session_expired() {
    let f = Fixture::with(Options {
        session_idle: Duration::from_millis(300),
        ..Options::default()
    });
    let config = f.profile(
        "bob",
        Service::Cpanel,
        "user = \"bob\"\nauth = \"session\"\npassword_env = \"BOB_PW\"",
    );
    let run = |args: &[&str], password: bool| {
        let mut cmd = f.cmd();
        cmd.arg("-c").arg(f.config(&config)).args(args);
        if password {
            cmd.env("BOB_PW", BOB.password);
        }
        f.output(cmd, None)
    };
    run(&["-p", "bob", "login"], true).assert_code(0);
    std::thread::sleep(Duration::from_millis(500));
    run(&["-p", "bob", "cpanel", "Email", "list_pops"], false)
        .assert_failure(2, "comes from $BOB_PW, which is not set");
    let no_password = f.profile("bob", Service::Cpanel, "user = \"bob\"\nauth = \"session\"");
    f.call(&no_password, &["-p", "bob", "cpanel", "Email", "list_pops"])
        .assert_failure(3, "the session expired for profile \"bob\" and no password to log in with: run cpcall -c ")
        .assert_stderr("-p bob login");
    assert_eq!(f.emu.logins(), 1);
    assert!(
        !session_file(&f, "bob").exists(),
        "the dead session is dropped"
    );
}

#[test]
fn a_session_is_only_used_for_the_server_it_was_made_for() {
    let f = Fixture::new();
    let config = bob_session(&f);
    f.call(&config, &["-p", "bob", "login"]).assert_code(0);
    // Same profile name, another port: the saved session must not be sent there.
    let moved = config
        .replace(
            &f.emu.port(Service::Cpanel, true).to_string(),
            &f.emu.port(Service::Webmail, true).to_string(),
        )
        .replace("service = \"cpanel\"", "service = \"webmail\"");
    f.call(
        &moved,
        &["-p", "bob", "cpanel", "Variables", "get_user_information"],
    )
    .assert_code(0);
    // It logged in there anew instead, and the old session was not sent.
    assert!(f
        .requests()
        .iter()
        .rev()
        .take(2)
        .all(|r| !r.request.target.starts_with("/cpsess") || r.service == Service::Webmail));
    let req = f.requests().pop().unwrap();
    assert_eq!(req.service, Service::Webmail);
    assert_eq!(f.emu.logins(), 2);
    assert!(req
        .request
        .header("Cookie")
        .unwrap()
        .starts_with("webmailsession="));
}

#[test]
fn whm_logins_for_root_and_a_2fa_reseller() {
    let f = Fixture::new();
    let root = format!(
        "{}auth = \"session\"\n",
        f.password_profile("root", Service::Whm, &ROOT)
    );
    f.call(&root, &["login"]).assert_code(0);
    let out = f.call(&root, &["whm", "listaccts"]);
    out.assert_code(0);
    let req = f.last();
    assert!(
        req.target.starts_with("/cpsess")
            && req.target.contains("/json-api/listaccts?api.version=1"),
        "{}",
        req.target
    );
    assert!(req
        .header("Cookie")
        .unwrap()
        .starts_with("whostmgrsession="));

    let asder = f.tfa_profile("asder", Service::Whm, &ASDER, "auth = \"session\"");
    f.call(&asder, &["whm", "applist"]).assert_code(0);
    assert_eq!(f.emu.logins(), 2);
}

#[test]
fn webmail_with_password_token_and_session() {
    let f = Fixture::new();
    let (email, password, _) = MAILBOXES[0];
    let webmail = f.profile(
        "mail",
        Service::Webmail,
        &format!("user = \"{email}\"\npassword = \"{password}\""),
    );
    let out = f.call(&webmail, &["cpanel", "Variables", "get_user_information"]);
    out.assert_code(0);
    assert_eq!(out.json()["data"]["user"], email);
    assert_eq!(f.requests().pop().unwrap().service, Service::Webmail);

    let webmail = format!("{webmail}auth = \"session\"\n");
    f.call(&webmail, &["login"]).assert_code(0);
    f.call(&webmail, &["cpanel", "Variables", "get_user_information"])
        .assert_code(0);
    let req = f.last();
    assert!(req.header("Cookie").unwrap().starts_with("webmailsession="));
    assert!(session_file(&f, "mail").exists());

    let token = f.bob_token("bobmail", Service::Webmail);
    f.call(&token, &["cpanel", "Email", "list_pops"])
        .assert_code(0);
    assert_eq!(
        f.last().header("Authorization").unwrap(),
        format!("cpanel bob:{}", BOB.cpanel_token.unwrap())
    );

    f.call(&webmail, &["whm", "version"])
        .assert_failure(2, "WHM API calls need WHM credentials");
}

#[test]
fn default_webmail_port_is_2096() {
    // No emulator on 2096 here: the port choice alone is checked, through the error message.
    let f = Fixture::new();
    let config = "[profiles.m]\nhost = \"127.0.0.1\"\nservice = \"webmail\"\nuser = \"a@b.example\"\npassword = \"p\"\ntimeout = 2\n";
    let out = f.call(config, &["cpanel", "Email", "list_pops"]);
    out.assert_code(4).assert_stderr("127.0.0.1:2096");
    let plain = format!("{config}tls = false\n");
    f.call(&plain, &["cpanel", "Email", "list_pops"])
        .assert_code(4)
        .assert_stderr("127.0.0.1:2095");
}

#[test]
fn a_login_answered_by_redirect_is_not_followed() {
    let f = Fixture::with(Options {
        login_redirects: true,
        ..Options::default()
    });
    let config = bob_session(&f);
    f.call(&config, &["-p", "bob", "login"]).assert_code(0);
    let login = f.requests().pop().unwrap();
    assert_eq!(login.status, 301);
    assert_eq!(login.request.target, "/login/?login_only=1");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(session_file(&f, "bob")).unwrap()).unwrap();
    let token = saved["security_token"].as_str().unwrap().to_string();
    f.call(&config, &["-p", "bob", "cpanel", "Email", "list_pops"])
        .assert_code(0);
    assert!(f.last().target.starts_with(&format!("{token}/execute/")));
    assert_eq!(
        f.requests().len(),
        2,
        "the redirect's landing page was never fetched"
    );
}

#[test]
fn a_session_profile_without_password_asks_for_login_once_its_session_is_gone() {
    let f = Fixture::new();
    let profile = f.profile("s", Service::Cpanel, "auth = \"session\"\nuser = \"bob\"");
    f.call(&profile, &["cpanel", "Email", "list_pops"])
        .assert_failure(3, "-p s login");
    assert!(f.requests().is_empty());
    let mut cmd = f.cmd();
    cmd.arg("-c")
        .arg(f.config(&profile))
        .arg("login")
        .env("BOB_PW", BOB.password);
    // Not a terminal and no password in the profile: a usage error, nothing sent.
    f.output(cmd, None).assert_failure(2, "has no password");
    assert_eq!(f.emu.logins(), 0);
}

/// Two config files with a profile of one name for two servers keep their sessions and
/// refusal marks apart: a refused login on staging does not pause production's.
#[test]
fn same_named_profiles_of_two_configs_keep_apart() {
    let f = Fixture::new();
    let other = crate::emulator::Emulator::start();
    let ca = f.write("other-ca.pem", &other.ca_pem);
    let staging = f.write(
        "staging.toml",
        &f.profile(
            "web",
            Service::Cpanel,
            "auth = \"session\"\nuser = \"bob\"\npassword = \"wrong-password\"",
        ),
    );
    let prod = f.write(
        "prod.toml",
        &format!(
            "[profiles.web]\nhost = \"127.0.0.1\"\nport = {}\nservice = \"cpanel\"\nca_file = \"{}\"\nauth = \"session\"\nuser = \"bob\"\npassword = \"{}\"\n",
            other.port(Service::Cpanel, true),
            ca.display(),
            BOB.password
        ),
    );
    let run = |config: &std::path::Path| {
        f.run(&[
            "-c",
            config.to_str().unwrap(),
            "-p",
            "web",
            "cpanel",
            "Email",
            "list_pops",
        ])
    };
    run(&staging).assert_failure(3, "refused");
    run(&prod).assert_code(0);
    run(&staging).assert_failure(3, "automatic logins pause");
    run(&prod).assert_code(0);
    assert_eq!((f.emu.logins(), other.logins()), (1, 1));
}

/// A profile whose name starts with a dot (`.tmpx`) keeps its session whatever other saves
/// sweep: its file is written `%2Etmpx@…`, nothing like a temporary file.
#[test]
fn a_profile_named_like_a_temporary_file_keeps_its_session() {
    let f = Fixture::new();
    let config = format!(
        "{}{}",
        bob_session(&f).replace("[profiles.bob]", "[profiles.\".tmpx\"]"),
        bob_session(&f).replace("[profiles.bob]", "[profiles.other]")
    );
    f.call(&config, &["-p", ".tmpx", "cpanel", "Email", "list_pops"])
        .assert_code(0);
    let names = || -> Vec<String> {
        std::fs::read_dir(f.sessions_dir())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    };
    assert!(
        names()
            .iter()
            .any(|n| n.starts_with("%2Etmpx@") && n.ends_with(".json")),
        "{:?}",
        names()
    );
    f.call(&config, &["-p", "other", "cpanel", "Email", "list_pops"])
        .assert_code(0);
    f.call(&config, &["-p", ".tmpx", "cpanel", "Email", "list_pops"])
        .assert_code(0);
    assert_eq!(f.emu.logins(), 2, "each logged in once: {:?}", names());
}

/// A login refused by hand (a mistyped code) does not pause the profile's automatic logins:
/// the cron job's `totp_secret` still logs in. A refused automatic login says it pauses them.
#[test]
fn a_refused_login_by_hand_does_not_pause_automatic_ones() {
    let f = Fixture::new();
    let profile = f.tfa_profile("c", Service::Cpanel, &CPTEST, "auth = \"session\"");
    let now = unix_now();
    let wrong = (0..1000)
        .map(|n| format!("{n:06}"))
        .find(|c| (0..3).all(|d| *c != totp_at(CPTEST.totp.unwrap(), now - 30 + d * 30)))
        .unwrap();
    f.call(&profile, &["login", "--otp", &wrong])
        .assert_failure(3, "refused");
    f.call(&profile, &["cpanel", "Ftp", "list_ftp"])
        .assert_code(0);
    assert_eq!(f.emu.logins(), 2);
    let bad = f.profile(
        "b",
        Service::Cpanel,
        "auth = \"session\"\nuser = \"bob\"\npassword = \"wrong-password\"",
    );
    f.call(&bad, &["cpanel", "Email", "list_pops"])
        .assert_failure(3, "automatic logins of profile \"b\" pause for 15 minutes");
}

/// A refusal mark dated in the future (the clock was set back) pauses automatic logins for
/// 15 minutes from now, not until the clock catches up: it is taken as a refusal now.
#[test]
fn a_refusal_mark_from_the_future_counts_from_now() {
    let f = Fixture::new();
    let bad = f.profile(
        "b",
        Service::Cpanel,
        "auth = \"session\"\nuser = \"bob\"\npassword = \"wrong-password\"",
    );
    f.call(&bad, &["cpanel", "Email", "list_pops"])
        .assert_failure(3, "pause for 15 minutes");
    let mark = f.sessions_dir().join(format!(
        "{}.refused",
        f.session_stem("b", "bob", Service::Cpanel)
    ));
    assert!(mark.exists());
    let future = std::process::Command::new("touch")
        .args(["-d", "+1 day"])
        .arg(&mark)
        .status()
        .unwrap();
    assert!(future.success());
    f.call(&bad, &["cpanel", "Email", "list_pops"])
        .assert_failure(3, "refused 0 s ago");
    let modified = std::fs::metadata(&mark).unwrap().modified().unwrap();
    assert!(
        modified <= std::time::SystemTime::now(),
        "the mark now says now"
    );
    assert_eq!(f.emu.logins(), 1, "paused: no second login");
}

/// A server that refuses the session it has just made (a balancer sending the next request to
/// another node; here: sessions that expire at once) sees one login per run, not one per
/// batch line, and the refused session is not left saved for the next run.
#[test]
fn a_server_refusing_its_new_session_sees_one_login_per_run() {
    let f = Fixture::with(Options {
        session_idle: Duration::ZERO,
        ..Options::default()
    });
    let mut cmd = f.cmd();
    cmd.arg("-c")
        .arg(f.private_config(&bob_session(&f)))
        .args(["batch", "-"]);
    let out = f.output(
        cmd,
        Some("cpanel Email list_pops\ncpanel Email list_pops\ncpanel Email list_pops\n"),
    );
    out.assert_code(3)
        .assert_stdout("did not accept the session it just made")
        .assert_stdout("this run logs in no more");
    assert_eq!(f.emu.logins(), 1, "{out:#?}");
    assert!(
        !session_file(&f, "bob").exists(),
        "the refused session stays saved"
    );
}

/// A saved session edited by hand (or by someone else) is not used as it is: a security token
/// that is not `/cpsess` and ten digits would go into every path (`/../x`), a cookie with a
/// line break into a header. It counts as no session: one login, then calls as usual.
#[test]
fn a_tampered_session_file_is_not_sent() {
    let f = Fixture::new();
    let config = bob_session(&f);
    f.call(&config, &["-p", "bob", "login"]).assert_code(0);
    let file = session_file(&f, "bob");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    for (key, value) in [
        (
            "security_token",
            "/cpsess0123456789/../../json-api/listaccts",
        ),
        ("cookie", "bob%3aabc\r\nX-Injected: 1"),
    ] {
        let mut tampered = saved.clone();
        tampered[key] = serde_json::Value::String(value.into());
        std::fs::write(&file, tampered.to_string()).unwrap();
        let logins = f.emu.logins();
        f.call(&config, &["-p", "bob", "cpanel", "Email", "list_pops"])
            .assert_code(0);
        assert_eq!(
            f.emu.logins(),
            logins + 1,
            "{key}: a new login, not the file's"
        );
        for r in f.requests() {
            assert!(
                !r.request.target.contains(".."),
                "{key}: sent {}",
                r.request.target
            );
            assert!(r.request.header("X-Injected").is_none(), "{key}");
        }
    }
}

/// A login answered by neither a session nor a refusal (a restart's 502, an HTML page) is a
/// transport failure (exit 4), not a refusal: it leaves no mark, and the next run logs in.
#[test]
fn an_unreadable_login_answer_is_not_counted_as_a_refusal() {
    let f = Fixture::with(Options {
        fault: Some(crate::emulator::Fault::Status(502)),
        fault_until: 1,
        ..Options::default()
    });
    let config = bob_session(&f);
    f.call(&config, &["cpanel", "Email", "list_pops"])
        .assert_failure(4, "neither a session nor a refusal");
    f.call(&config, &["cpanel", "Email", "list_pops"])
        .assert_code(0);
    assert_eq!(
        f.emu.logins(),
        2,
        "the 502, then the second run logged in, unpaused"
    );
}
