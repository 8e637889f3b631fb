//! Hygiene: bad input gets one line and exit 2; `--curl`; warnings about files open to others; the layers.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::common::Fixture;
use crate::emulator::accounts::{BOB, CPTEST, ROOT};
use crate::emulator::server::{totp_at, unix_now};
use crate::emulator::Service;

#[test]
fn bad_input_table() {
    let f = Fixture::new();
    let dir = f.path("a-directory");
    std::fs::create_dir_all(&dir).unwrap();
    let h = "[profiles.p]\nhost = \"h.example\"\n";
    let dir_text = dir.display().to_string();
    let cases: Vec<(String, &[&str], &str)> = vec![
        ("[profiles.p\nhost = 1\n".into(), &[], "config.toml:1:"),
        (
            format!("{h}colour = \"red\"\n"),
            &[],
            "unknown field `colour`",
        ),
        (format!("{h}timeout = \"slow\"\n"), &[], "config.toml:3:11"),
        (
            format!("{h}token = \"t\"\n"),
            &["-p", "nope"],
            "known profiles: p",
        ),
        (format!("{h}auth = \"magic\"\n"), &[], "magic"),
        (
            format!("{h}service = \"ftp\"\ntoken = \"t\"\n"),
            &[],
            "unknown variant `ftp`",
        ),
        ("[profiles.p]\ntoken = \"t\"\n".into(), &[], "has no host"),
        (
            format!("{h}auth = \"token\"\npassword = \"p\"\n"),
            &[],
            "sets no token",
        ),
        (
            format!("{h}token_file = \"{}\"\n", dir.display()),
            &[],
            &dir_text,
        ),
        (
            format!("{h}token_file = \"/nonexistent/secret\"\n"),
            &[],
            "/nonexistent/secret",
        ),
        (
            format!("{h}token_env = \"CPCALL_EMPTY\"\n"),
            &[],
            "is empty",
        ),
        (
            format!("{h}token_command = \"echo $((40+2))leaked; exit 9\"\n"),
            &[],
            "status 9",
        ),
        (
            format!("{h}user = \"u\"\npassword = \"p\"\ntotp_secret = \"0189\"\n"),
            &[],
            "not valid base32",
        ),
        (
            format!("{h}token = \"t\"\npin_sha256 = \"12:34\"\n"),
            &[],
            "64 hex digits",
        ),
        (
            format!("{h}token = \"t\"\nca_file = \"{}\"\n", dir.display()),
            &[],
            "cannot read the CA file",
        ),
        (
            format!("{h}token = \"t\"\nport = 65536\n"),
            &[],
            "config.toml:4:8",
        ),
        (
            format!("{h}token = \"t\"\n"),
            &["--port", "0"],
            "0 is not in 1..=65535",
        ),
        (
            format!("{h}token = \"t\"\n"),
            &["--timeout=0"],
            "out of range",
        ),
    ];
    for (config, flags, want) in &cases {
        let mut cmd = f.cmd();
        cmd.arg("-c")
            .arg(f.config(config))
            .args(*flags)
            .args(["whm", "version"])
            .env("CPCALL_EMPTY", "");
        let out = f.output(cmd, None);
        assert_eq!(out.code, 2, "{config}: {out:#?}");
        assert!(
            out.stdout.is_empty() && out.stderr.contains(want),
            "{config} wants {want:?}: {out:#?}"
        );
        assert!(
            !out.stderr.contains("42leaked") && !out.stderr.contains("40+2"),
            "a failing command's output is not shown, nor its text (it may hold a secret)"
        );
        assert!(out.stderr.lines().count() <= 3, "short: {out:#?}");
    }
    let ok = format!("{h}token = \"t\"\n");
    for (args, want) in [
        (&["whm", "version", "novalue"][..], "has no `=`"),
        (
            &["whm", "version", "x=@/nonexistent/param"][..],
            "/nonexistent/param",
        ),
        (&["whm", "../etc"][..], "not a valid name"),
    ] {
        f.call(&ok, args).assert_failure(2, want);
    }
    assert!(f.requests().is_empty());
}

fn run_sh(f: &Fixture, script: &str, env: &[(&str, String)]) -> String {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let out = cmd.output().expect("sh");
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = f;
    String::from_utf8(out.stdout).unwrap()
}

/// The printed curl command runs as printed, with the secrets in variables: the same request
/// (a sensitive parameter's value from `$CPCALL_PARAM_…`, never `***`), `-f` so an HTTP error
/// fails, `--pinnedpubkey` for a pinned profile, POST and GET alike.
#[test]
fn curl_prints_an_equivalent_command_without_secrets() {
    let f = Fixture::new();
    // A password parameter listaccts does not take, to show how a sensitive one is passed.
    f.sends_unknown_params();
    let token = format!("token = \"{}\"", ROOT.whm_token.unwrap());
    let trusted = f.profile("p", Service::Whm, &token);
    let pinned = f
        .profile(
            "p",
            Service::Whm,
            &format!("{token}\npin_sha256 = \"{}\"", f.emu.pin_hex()),
        )
        .replace("ca_file", "# ca_file");
    let secret = "Sup3r Secret/Välue&x";
    let form = |body: &str| -> Vec<(String, String)> {
        form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect()
    };
    for (label, profile, get) in [
        ("ca_file", &trusted, false),
        ("pinned", &pinned, false),
        ("GET", &trusted, true),
    ] {
        let mut args = vec![
            "--curl",
            "whm",
            "listaccts",
            "search=bob b",
            "password=Sup3r-Secret-Value",
        ];
        if get {
            args.insert(0, "--get");
        }
        let out = f.call(profile, &args);
        out.assert_code(0);
        assert!(
            out.stdout.contains("$CPCALL_TOKEN")
                && out.stdout.contains("\"password=$CPCALL_PARAM_PASSWORD\"")
                && out.stdout.contains("curl -sSf"),
            "{label}: {out:#?}"
        );
        assert!(
            !out.stdout.contains("Sup3r-Secret-Value") && !out.stdout.contains("***"),
            "{label}: {out:#?}"
        );
        assert_eq!(
            out.stdout.contains("--pinnedpubkey 'sha256//"),
            label == "pinned",
            "{label}: {out:#?}"
        );
        assert!(f.requests().is_empty(), "--curl does not call");

        let answer = run_sh(
            &f,
            &out.stdout,
            &[
                ("CPCALL_TOKEN", ROOT.whm_token.unwrap().to_string()),
                ("CPCALL_PARAM_PASSWORD", secret.to_string()),
            ],
        );
        let curl_request = f.requests().pop().unwrap().request;
        let password = format!("password={secret}");
        let mut ours_args = vec!["whm", "listaccts", "search=bob b", &password];
        if get {
            ours_args.insert(0, "--get");
        }
        let ours = f.call(profile, &ours_args);
        let a: serde_json::Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(a, ours.json(), "{label}: curl gets the same answer");
        let ours_request = f.requests().pop().unwrap().request;
        assert_eq!(curl_request.method, ours_request.method, "{label}");
        assert_eq!(curl_request.path(), ours_request.path(), "{label}");
        assert_eq!(
            form(curl_request.query()),
            form(ours_request.query()),
            "{label}"
        );
        assert_eq!(
            form(&String::from_utf8_lossy(&curl_request.body)),
            form(&String::from_utf8_lossy(&ours_request.body)),
            "{label}"
        );
        assert_eq!(
            curl_request.header("Authorization"),
            ours_request.header("Authorization"),
            "{label}"
        );
        f.emu.state.log.lock().unwrap().clear();
    }
    // -f: an HTTP error is a failing exit status for curl too.
    let out = f.call(&trusted, &["--curl", "whm", "version"]);
    let status = Command::new("sh")
        .arg("-c")
        .arg(&out.stdout)
        .env("CPCALL_TOKEN", "WRONG")
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(22), "{status:?}");
}

#[test]
fn curl_with_password_and_two_factor_code() {
    let f = Fixture::new();
    let profile = f.tfa_profile("c", Service::Cpanel, &CPTEST, "");
    let out = f.call(&profile, &["--curl", "cpanel", "Ftp", "list_ftp"]);
    assert!(
        out.stdout.contains("$CPCALL_PASSWORD") && out.stdout.contains("$CPCALL_OTP"),
        "{out:#?}"
    );
    let env = [
        ("CPCALL_PASSWORD", CPTEST.password.to_string()),
        ("CPCALL_OTP", totp_at(CPTEST.totp.unwrap(), unix_now())),
    ];
    let answer: serde_json::Value = serde_json::from_str(&run_sh(&f, &out.stdout, &env)).unwrap();
    assert_eq!(answer["status"], 1);
}

#[test]
fn files_open_to_others_are_warned_about_with_the_fix() {
    let f = Fixture::new();
    let inline = f.bob_token("b", Service::Cpanel);
    let path = f.config(&inline);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut cmd = f.cmd();
    cmd.args(["-c", &path, "cpanel", "Email", "list_pops"]);
    f.output(cmd, None)
        .assert_code(0)
        .assert_stderr(&format!("run chmod 600 {path}"));

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut cmd = f.cmd();
    cmd.args(["-c", &path, "cpanel", "Email", "list_pops"]);
    let quiet = f.output(cmd, None);
    assert!(!quiet.stderr.contains("warning"), "{quiet:#?}");

    // No secret in the file itself: nothing to warn about.
    let by_env = f.profile(
        "b",
        Service::Cpanel,
        "user = \"bob\"\ntoken_env = \"BOB_TOKEN\"",
    );
    let path = f.config(&by_env);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut cmd = f.cmd();
    cmd.args(["-c", &path, "cpanel", "Email", "list_pops"])
        .env("BOB_TOKEN", BOB.cpanel_token.unwrap());
    let out = f.output(cmd, None);
    assert!(!out.stderr.contains("warning"), "{out:#?}");

    // The session directory and file.
    let config = format!(
        "{}auth = \"session\"\n",
        f.password_profile("s", Service::Cpanel, &BOB)
    );
    f.call(&config, &["login"]).assert_code(0);
    let dir = f.path("xdg-state/cpcall/sessions");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    f.call(&config, &["cpanel", "Email", "list_pops"])
        .assert_code(0)
        .assert_stderr(&format!("run chmod 700 {}", dir.display()));
}

#[test]
fn verbose_and_curl_for_every_credential_kind_show_no_secret() {
    // The fixture checks every run's stdout and stderr for every secret; this drives each kind
    // of credential through -v and --curl, including a login and a session call.
    let f = Fixture::new();
    let hash = f.write("hash", crate::emulator::accounts::ROOT_ACCESSHASH);
    let profiles = [
        f.profile(
            "p",
            Service::Whm,
            &format!("token = \"{}\"", ROOT.whm_token.unwrap()),
        ),
        f.profile(
            "p",
            Service::Whm,
            &format!(
                "auth = \"accesshash\"\naccesshash_file = \"{}\"",
                hash.display()
            ),
        ),
        f.tfa_profile("p", Service::Cpanel, &CPTEST, ""),
        f.bob_token("p", Service::Cpanel),
        f.tfa_profile("p", Service::Cpanel, &CPTEST, "auth = \"session\""),
    ];
    for profile in &profiles {
        let args: &[&str] = if profile.contains("service = \"whm\"") {
            &["whm", "version"]
        } else {
            &["cpanel", "Email", "list_pops"]
        };
        let out = f.call(profile, &[&["-v"], args].concat());
        out.assert_code(0).assert_stderr("***");
        f.call(profile, &[&["--curl"], args].concat())
            .assert_code(0);
        if !profile.contains("auth = \"session\"") {
            continue;
        }
        f.call(profile, &["-v", "login"])
            .assert_code(0)
            .assert_stderr("pass=***&tfa_token=***");
        let verbose = f.call(profile, &[&["-v"], args].concat());
        verbose.assert_code(0).assert_stderr("> Cookie: ***");
        // The security token is the session's too: masked in -v, a variable in --curl.
        assert!(!verbose.stderr.contains("/cpsess"), "{}", verbose.stderr);
        let curl = f.call(profile, &[&["--curl"], args].concat());
        curl.assert_code(0)
            .assert_stdout("$CPCALL_SESSION_COOKIE")
            .assert_stdout("\"https://127.0.0.1:");
        assert!(
            curl.stdout.contains("$CPCALL_SESSION_TOKEN/execute/")
                && !curl.stdout.contains("/cpsess"),
            "{}",
            curl.stdout
        );
        f.call(profile, &["-v", "logout"]).assert_code(0);
    }
    assert_eq!(
        f.emu.logins(),
        2,
        "the session profile's own first login, and the explicit one"
    );
}

/// The layers: the library (`crates/cpanel-client`) never names the command line, stdout or
/// jq (its manifest has no such dependency, so the compiler enforces it; this says why a
/// change that adds one is wrong), and the command line's folders import one another in one
/// direction only: no circle.
#[test]
fn the_library_names_no_command_line_and_folders_form_no_circle() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = root.join("crates/cpanel-client");
    let manifest = std::fs::read_to_string(lib.join("Cargo.toml")).unwrap();
    let normal = manifest
        .split("[dependencies]")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .unwrap();
    for crate_name in [
        "clap",
        "jaq",
        "toml_edit",
        "signal-hook",
        "clap_mangen",
        "shlex",
    ] {
        assert!(
            !normal.lines().any(|l| l.starts_with(crate_name)),
            "the library depends on {crate_name}"
        );
    }
    for entry in std::fs::read_dir(lib.join("src")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        // Code, not the docs' examples (which print, as a program would).
        let code: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect();
        for word in ["println!", "eprintln!", "io::stdout()", "cpcall::"] {
            assert!(
                !code.iter().any(|l| l.contains(word)),
                "{} says {word}",
                path.display()
            );
        }
    }
    // Folder → the folders and top-level modules it names (`crate::output`).
    let src = root.join("src");
    let folders = ["catalog", "cli", "commands", "config", "output"];
    let mut edges = std::collections::BTreeSet::new();
    for folder in folders {
        for entry in std::fs::read_dir(src.join(folder)).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for other in folders.iter().chain(&["app"]) {
                let named = text
                    .match_indices(&format!("crate::{other}"))
                    .any(|(at, m)| {
                        !text[at + m.len()..]
                            .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                    });
                if *other != folder && named {
                    edges.insert((folder, *other));
                }
            }
        }
    }
    for (from, to) in &edges {
        assert_ne!(*to, "app", "{from} imports app, which only dispatches");
        assert!(
            !edges.contains(&(*to, *from)),
            "{from} and {to} import each other: {edges:?}"
        );
    }
    // And no longer circle (a → b → c → a): a topological order exists.
    let mut left: Vec<&str> = folders.to_vec();
    while !left.is_empty() {
        let free = left
            .iter()
            .position(|f| {
                !edges
                    .iter()
                    .any(|(from, to)| from == f && left.contains(to))
            })
            .unwrap_or_else(|| panic!("a circle among {left:?}: {edges:?}"));
        left.remove(free);
    }
}

/// The command line's crate has no public API (the library is `cpanel-client`): only the
/// hidden door the binary, the tests and the fuzz targets go through.
#[test]
fn only_the_hidden_door_is_public() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let text = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let public: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|rest| rest.trim_end_matches([';', ' ', '{']))
        .collect();
    assert_eq!(public, ["internal", "fuzz"]);
    assert!(!text.lines().any(|l| l.starts_with("pub use")), "{text}");
}

/// 30,000 parameters the catalogue does not know make one warning line with their count, at
/// once (not 30,000 lines, nor a did-you-mean for each); a few are named one by one.
#[test]
fn many_unknown_parameters_are_one_warning_line() {
    let f = Fixture::new();
    f.sends_unknown_params();
    let config = f.root_token("w", "");
    let many: Vec<String> = (0..30_000).map(|i| format!("nosuch{i}=1")).collect();
    let mut args = vec!["whm", "listaccts"];
    args.extend(many.iter().map(String::as_str));
    let started = std::time::Instant::now();
    let out = f.call(&config, &args);
    out.assert_code(0).assert_stderr(
        "30000 parameters are not parameters of listaccts: nosuch0, nosuch1, nosuch2, …",
    );
    let warnings = out.stderr.lines().filter(|l| l.contains("warning")).count();
    assert_eq!(
        warnings, 2,
        "the count line and the config's mode: {}",
        out.stderr
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let few = f.call(&config, &["whm", "listaccts", "serach=bob", "serach=bob"]);
    few.assert_code(0)
        .assert_stderr("serach is not a parameter of listaccts; did you mean search?");
    assert_eq!(few.stderr.matches("serach is not").count(), 1);
}

/// `-p NAME` with no config file says that the file is missing, and where it was looked for.
#[test]
fn a_named_profile_without_a_config_file_names_the_file() {
    let f = Fixture::new();
    f.run(&["-p", "prod", "whm", "version"])
        .assert_failure(2, "profile \"prod\" is looked up in the config file")
        .assert_stderr("which does not exist");
}

/// With several profiles in one printed script, each profile's credentials have variables of
/// their own (`$CPCALL_TOKEN_ROOT`, `$CPCALL_TOKEN_RES`), and the script runs as printed; a
/// sensitive parameter's name goes encoded (curl encodes only the value).
#[test]
fn curl_for_several_profiles_names_each_ones_variables() {
    let f = Fixture::new();
    let config = format!(
        "{}{}",
        f.root_token("root", ""),
        f.root_token("res", "user = \"reseller\"").replace(
            crate::emulator::accounts::ROOT.whm_token.unwrap(),
            crate::emulator::accounts::RESELLER.whm_token.unwrap(),
        )
    );
    let out = f.call(&config, &["--curl", "-p", "root,res", "whm", "version"]);
    out.assert_code(0)
        .assert_stdout("root:$CPCALL_TOKEN_ROOT")
        .assert_stdout("reseller:$CPCALL_TOKEN_RES");
    let answers = run_sh(
        &f,
        &out.stdout,
        &[
            ("CPCALL_TOKEN_ROOT", ROOT.whm_token.unwrap().to_string()),
            (
                "CPCALL_TOKEN_RES",
                crate::emulator::accounts::RESELLER
                    .whm_token
                    .unwrap()
                    .to_string(),
            ),
        ],
    );
    assert_eq!(answers.matches("\"result\":1").count(), 2, "{answers}");
    f.sends_unknown_params();
    let odd = f.call(
        &config,
        &["--curl", "-p", "root", "whm", "version", "pass&x=3"],
    );
    odd.assert_stdout("\"pass%26x=$CPCALL_PARAM_PASS_X\"");
    // Names that make the same suffix get numbered ones, each profile its own.
    let same = ["web-1", "web.1", "web_1", "Web_1"]
        .iter()
        .map(|n| f.root_token(&format!("\"{n}\""), ""))
        .collect::<String>();
    let out = f.call(
        &same,
        &["--curl", "-p", "web-1,web.1,web_1,Web_1", "whm", "version"],
    );
    out.assert_code(0);
    let vars: Vec<&str> = out
        .stdout
        .split("$CPCALL_TOKEN")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap_or_default())
        .collect();
    assert_eq!(
        vars,
        ["_WEB_1", "_WEB_1_2", "_WEB_1_3", "_WEB_1_4"],
        "{}",
        out.stdout
    );
}

/// Messages that name their cause: a login without a profile, a service from a variable left
/// set, a group that lists nothing or a profile that is not there.
#[test]
fn messages_name_what_caused_them() {
    let f = Fixture::new();
    let port = f.emu.port(Service::Cpanel, true).to_string();
    let mut cmd = f.cmd();
    cmd.args(["--host", "127.0.0.1", "--port", &port, "login"])
        .env("CPCALL_USER", "bob")
        .env("CPCALL_PASSWORD", BOB.password);
    f.output(cmd, None)
        .assert_failure(2, "--host alone names no profile");
    assert_eq!(f.emu.logins(), 0);

    // A profile that says no service of its own (so $CPCALL_SERVICE decides it).
    let config = format!(
        "{}[groups]\nempty = []\nghost = [\"w\", \"nosuch\"]\n",
        f.root_token("w", "").replace("service = \"whm\"\n", "")
    );
    let path = f.config(&config);
    let mut cmd = f.cmd();
    cmd.args(["-c", &path, "-p", "w", "whm", "version"])
        .env("CPCALL_SERVICE", "cpanel");
    f.output(cmd, None)
        .assert_failure(2, "(its service comes from $CPCALL_SERVICE)");
    f.call(&config, &["--group", "empty", "whm", "version"])
        .assert_failure(2, "group \"empty\" lists no profiles");
    f.call(&config, &["--group", "ghost", "whm", "version"])
        .assert_failure(2, "no profile named \"nosuch\" (listed in group \"ghost\")");
    f.call(&config, &["config", "list"])
        .assert_code(0)
        .assert_stdout("w, nosuch (no such profile)");
}
