//! At home in the shell: --data, --jq, colour, completions, config commands.

use crate::common::{Fixture, Out};
use crate::emulator::Service;

#[test]
fn data_prints_only_the_payload_of_every_api() {
    let f = Fixture::new();
    let bob = f.bob_token("b", Service::Cpanel);
    let cases: Vec<(String, Vec<&str>, serde_json::Value)> = vec![
        (
            f.root_token("w", ""),
            vec!["whm", "version"],
            serde_json::json!({"version": "11.130.0.5"}),
        ),
        (
            bob.clone(),
            vec!["cpanel", "Variables", "get_user_information"],
            serde_json::json!({"user": "bob", "domain": "bob.example", "contact_email": "admin@bob.example"}),
        ),
        (
            f.root_token("w", ""),
            vec!["cpanel", "--user", "bob", "Ftp", "list_ftp"],
            serde_json::json!([{"user": "bob", "type": "main"}, {"user": "anonymous", "type": "anonymous"}]),
        ),
        (
            bob.clone(),
            vec!["cpanel", "--api2", "Email", "listpopswithdisk"],
            serde_json::json!([{"email": "info@bob.example", "diskused": "0"}]),
        ),
        (
            f.root_token("w", ""),
            vec![
                "whm",
                "uapi_cpanel",
                "cpanel.user=bob",
                "cpanel.module=Variables",
                "cpanel.function=get_user_information",
            ],
            serde_json::json!({"user": "bob", "domain": "bob.example", "contact_email": "admin@bob.example"}),
        ),
    ];
    for (config, args, want) in cases {
        let out = f.call(&config, &[&["--data"], &args[..]].concat());
        out.assert_code(0);
        assert_eq!(out.json(), want, "{args:?}");
    }
    // Success is still judged on the whole answer.
    let out = f.as_root(&["-d", "whm", "createacct"]);
    out.assert_code(1).assert_stderr("API error");
    assert_eq!(out.stdout.trim(), "null");
}

#[test]
fn jq_filters_in_process() {
    let f = Fixture::new();
    let out = f.as_root(&[
        "--jq",
        ".data.acct[] | select(.owner == \"root\") | .user",
        "whm",
        "listaccts",
    ]);
    out.assert_code(0);
    assert_eq!(out.stdout, "reseller\ncptest\nasder\n");
    let out = f.as_root(&[
        "-d",
        "--jq",
        "[.acct[].domain] | length",
        "whm",
        "listaccts",
    ]);
    assert_eq!(out.stdout, "4\n");
    f.as_root(&["--jq", ".data[", "whm", "version"])
        .assert_failure(2, "invalid --jq filter");
    f.as_root(&["--jq", ".data.version + 1", "whm", "version"])
        .assert_failure(2, "jq filter error");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let f = Fixture::new();
    let piped = f.as_root(&["whm", "version"]);
    assert!(!piped.stdout.contains('\x1b'), "no colour when piped");
    let always = f.as_root(&["--color", "always", "whm", "version"]);
    assert!(
        always.stdout.contains("\x1b[1;34m\"metadata\"\x1b[0m"),
        "{always:#?}"
    );
    let never = f.as_root(&["--color", "never", "--pretty", "whm", "version"]);
    assert!(!never.stdout.contains('\x1b'));
    f.as_root(&["--color", "sometimes", "whm", "version"])
        .assert_code(2);
}

/// Committed generated files must match what the code generates now. `CPCALL_BLESS=1` rewrites them.
fn check_generated(path: &str, fresh: &[u8]) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var_os("CPCALL_BLESS").is_some() {
        std::fs::write(&path, fresh).unwrap();
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale: run CPCALL_BLESS=1 cargo test --test it generated_files",
        path.display()
    );
}

#[test]
fn generated_files_are_fresh() {
    let f = Fixture::new();
    for shell in cpcall::internal::SHELLS {
        let out = f.run(&["completions", shell]);
        out.assert_code(0);
        check_generated(
            &format!("completions/cpcall.{shell}"),
            out.stdout.as_bytes(),
        );
    }
    let pages = cpcall::internal::man_pages().unwrap();
    let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
    for (name, page) in &pages {
        check_generated(&format!("man/{name}"), page);
    }
    // No page left over from a subcommand that is gone.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            names.contains(&file.as_str()),
            "man/{file} is not generated: remove it"
        );
    }
    // Every page a page names exists: no dangling cpcall-*(1).
    let all: String = pages
        .iter()
        .map(|(_, p)| String::from_utf8_lossy(p).into_owned())
        .collect();
    for reference in all.split("cpcall\\-").skip(1) {
        let Some((page, _)) = reference.split_once("(1)") else {
            continue;
        };
        let page = page.replace("\\-", "-").replace("\\fR", "");
        if page.contains(char::is_whitespace) {
            continue;
        }
        let file = format!("cpcall-{page}.1");
        assert!(
            names.contains(&file.as_str()),
            "a page names {file}, which is not made"
        );
    }
}

/// `man cpcall` answers what the README answers: every config key the library reads, each
/// exit code, every environment variable cpcall reads, and the README's config keys.
#[test]
fn the_man_page_has_the_config_reference_exit_codes_and_environment() {
    let pages = cpcall::internal::man_pages().unwrap();
    let main = String::from_utf8_lossy(&pages[0].1)
        .replace("\\-", "-")
        .replace("\\e", "\\");
    // The keys serde knows, from the error an unknown key earns.
    let err = toml::from_str::<cpanel_client::profiles::ConfigFile>("[profiles.x]\nzzz = 1\n")
        .err()
        .unwrap()
        .to_string();
    let expected = err.split("expected one of").nth(1).unwrap();
    let keys: Vec<&str> = expected
        .split('`')
        .filter(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_') && !k.is_empty())
        .collect();
    assert!(keys.len() > 20, "{err}");
    for key in keys {
        // A secret's other forms are the SECRETS section's KEY_file, KEY_env, KEY_command.
        let base = ["_file", "_env", "_command"]
            .iter()
            .find_map(|s| key.strip_suffix(s))
            .filter(|b| ["accesshash", "token", "password", "totp_secret"].contains(b))
            .unwrap_or(key);
        assert!(
            main.contains(&format!("\\fB{base}\\fR")),
            "the man page lacks the key {key}"
        );
    }
    for form in [
        "KEY_file",
        "KEY_env",
        "KEY_command",
        "default_profile",
        "[groups]",
    ] {
        assert!(main.contains(form), "{form}");
    }
    for (code, _) in cpcall::internal::EXIT_CODES {
        assert!(
            main.contains(&format!("\\fB{code}\\fR")),
            "exit code {code}"
        );
    }
    // Every CPCALL_ variable the code reads (but the test's own) is in ENVIRONMENT.
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut read = std::collections::BTreeSet::new();
    for dir in ["src", "crates/cpanel-client/src"] {
        for file in walk_rs(&src.join(dir)) {
            let text = std::fs::read_to_string(file).unwrap();
            for part in text.split("\"CPCALL_").skip(1) {
                let name: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if part[name.len()..].starts_with('"') && !name.is_empty() && !name.contains("TEST")
                {
                    read.insert(format!("CPCALL_{name}"));
                }
            }
        }
    }
    let documented: Vec<&str> = cpcall::internal::ENVIRONMENT
        .iter()
        .map(|(n, _)| *n)
        .collect();
    for name in &read {
        let known = documented.contains(&name.as_str())
            // Variables the commands --curl prints read (and $ENV leaves out), not cpcall.
            || [
                "CPCALL_SESSION_COOKIE",
                "CPCALL_SESSION_TOKEN",
                "CPCALL_OTP",
                "CPCALL_COMPLETE",
            ]
            .contains(&name.as_str());
        assert!(
            known,
            "{name} is read but not in the man page's ENVIRONMENT"
        );
    }
}

fn walk_rs(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk_rs(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn completion_offers_profile_names_from_the_config() {
    let f = Fixture::new();
    let config = f.config(&format!(
        "{}{}",
        f.root_token("w", ""),
        f.bob_token("shop", Service::Cpanel)
    ));
    let mut cmd = f.cmd();
    cmd.env("COMPLETE", "fish")
        .env("CPCALL_CONFIG", &config)
        .args(["--", "cpcall", "-p", ""]);
    let out = f.output(cmd, None);
    out.assert_code(0);
    let names: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(names, ["shop", "w"], "{out:#?}");
    let mut cmd = f.cmd();
    cmd.env("COMPLETE", "fish").args(["--", "cpcall", "log"]);
    assert!(f.output(cmd, None).stdout.starts_with("login"));
    // `-c FILE` on the line being completed names the file profiles come from.
    let other = f.write("other.toml", &f.root_token("elsewhere", ""));
    for config_args in [
        vec!["-c".to_string(), other.display().to_string()],
        vec![format!("--config={}", other.display())],
    ] {
        let mut cmd = f.cmd();
        cmd.env("COMPLETE", "fish")
            .env("CPCALL_CONFIG", &config)
            .args(["--", "cpcall"])
            .args(&config_args)
            .args(["-p", ""]);
        let out = f.output(cmd, None);
        assert!(
            out.stdout.starts_with("elsewhere"),
            "{config_args:?}: {out:#?}"
        );
    }
    // A list completes its last name, without the names already in it.
    let mut cmd = f.cmd();
    cmd.env("COMPLETE", "fish")
        .env("CPCALL_CONFIG", &config)
        .args(["--", "cpcall", "-p", "w,"]);
    let out = f.output(cmd, None);
    let names: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(names, ["w,shop"], "{out:#?}");
}

#[test]
fn mistyped_subcommands_get_a_suggestion() {
    let f = Fixture::new();
    f.run(&["whn", "version"])
        .assert_code(2)
        .assert_stderr("a similar subcommand exists: 'whm'");
    f.run(&["cpanle", "Email", "list_pops"])
        .assert_code(2)
        .assert_stderr("'cpanel'");
    f.run(&["whm", "--help"])
        .assert_code(0)
        .assert_stdout("cpcall whm listaccts search=example searchtype=domain");
    f.run(&["cpanel", "--help"])
        .assert_code(0)
        .assert_stdout("cpcall cpanel Email list_pops");
    f.run(&["login", "--help"])
        .assert_code(0)
        .assert_stdout("cpcall -p prod login");
}

#[test]
fn config_path_list_and_show() {
    let f = Fixture::new();
    let text = format!(
        "default_profile = \"w\"\n{}{}[profiles.broken]\ntoken = \"t\"\n",
        f.root_token("w", ""),
        f.profile("shop", Service::Cpanel, "user = \"bob\"\ntoken_env = \"SHOP_TOKEN\"\npassword = \"hunter2-secret\"\nauth = \"token\"")
    );
    let path = f.config(&text);
    f.run(&["-c", &path, "config", "path"])
        .assert_code(0)
        .assert_stdout(&format!("{path}\n"));
    f.run(&["config", "path"]).assert_stdout(&format!(
        "{}\n",
        f.path("xdg-config/cpcall/config.toml").display()
    ));

    let list = f.run(&["-c", &path, "config", "list"]);
    list.assert_code(0);
    let port = f.emu.port(Service::Whm, true);
    let lines: Vec<Vec<&str>> = list
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines[0], ["PROFILE", "HOST:PORT", "SERVICE", "AUTH"]);
    assert!(
        lines.contains(&vec![
            "*",
            "w",
            &format!("127.0.0.1:{port}"),
            "whm",
            "token"
        ]),
        "{list:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l[0] == "shop" && l[2] == "cpanel" && l[3] == "token"),
        "{list:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l[..3] == ["broken", "error:", "profile"]),
        "{list:#?}"
    );

    let show = f.run(&["-c", &path, "config", "show", "shop"]);
    show.assert_code(0)
        .assert_stdout("[profiles.shop]\n")
        .assert_stdout("token_env = \"SHOP_TOKEN\"")
        .assert_stdout("password = \"***\"");
    assert!(!show.stdout.contains("hunter2-secret"));
    // A command's text may hold the secret: shown as *** too.
    let commanded =
        f.config("[profiles.c]\nhost = \"h\"\ntoken_command = \"echo SECRETINCOMMAND\"\n");
    let show = f.run(&["-c", &commanded, "config", "show", "c"]);
    show.assert_code(0).assert_stdout("token_command = \"***\"");
    assert!(!show.stdout.contains("SECRETINCOMMAND"), "{show:#?}");
    let path = f.config(&text);
    f.run(&["-c", &path, "config", "show", "nope"])
        .assert_failure(2, "known profiles");
    // A name with escape sequences reaches the terminal escaped.
    let evil = f.config("[profiles.\"evil\\u001b[31mRED\\u0007\"]\nhost = \"h\"\ntoken = \"t\"\n");
    let list = f.run(&["-c", &evil, "config", "list"]);
    list.assert_code(0).assert_stdout("RED");
    assert!(!list.stdout.contains(['\x1b', '\x07']), "{list:#?}");
}

#[test]
fn config_add_tests_the_profile_before_saving_it() {
    let f = Fixture::new();
    let path = f.path("new/config.toml");
    let port = f.emu.port(Service::Cpanel, true).to_string();
    let ca = f.ca_file().display().to_string();
    let answers = |token: &str| format!("127.0.0.1\ncpanel\n{port}\nbob\ntoken\n{token}\n{ca}\n");
    let add = |name: &str, input: &str| {
        let mut cmd = f.cmd();
        cmd.arg("-c").arg(&path).args(["config", "add", name]);
        f.output(cmd, Some(input))
    };
    add("shop", &answers("WRONG-TOKEN")).assert_failure(3, "nothing saved");
    assert!(!path.exists());

    add(
        "shop",
        &answers(crate::emulator::accounts::BOB.cpanel_token.unwrap()),
    )
    .assert_code(0)
    .assert_stderr("saved");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let mut cmd = f.cmd();
    cmd.arg("-c")
        .arg(&path)
        .args(["-p", "shop", "cpanel", "Email", "list_pops"]);
    f.output(cmd, None).assert_code(0);
    add("shop", &answers("x")).assert_failure(2, "exists already");
}

/// `--paginate --page-size SIZE -d --jq JQ` and the call.
fn paged(f: &Fixture, profile: &str, size: &str, jq: &str, call: &[&str]) -> Out {
    let mut args = vec!["--paginate", "--page-size", size, "-d", "--jq", jq];
    args.extend(call);
    f.call(profile, &args)
}

#[test]
fn paginate_fetches_every_page_and_merges_them() {
    let f = Fixture::with(crate::emulator::Options {
        extra_records: 2500,
        ..Default::default()
    });
    let out = f.as_root(&["--paginate", "whm", "listaccts"]);
    out.assert_code(0);
    let json = out.json();
    let accts = json["data"]["acct"].as_array().unwrap();
    assert_eq!(accts.len(), 2504);
    assert_eq!(accts[2503]["user"], "user02500");
    assert!(json["metadata"].get("chunk").is_none());
    let starts = f.bodies();
    assert_eq!(starts.len(), 3, "{starts:?}");
    assert!(
        starts[2].contains("api.chunk.size=1000&api.chunk.start=2001"),
        "{starts:?}"
    );

    let bob = f.bob_token("b", Service::Cpanel);
    let out = paged(&f, &bob, "100", "length", &["cpanel", "Email", "list_pops"]);
    out.assert_code(0);
    assert_eq!(out.stdout, "2502\n");
    assert_eq!(f.requests().len(), 3 + 26);

    let out = f.as_root(&[
        "--paginate",
        "--page-size",
        "500",
        "cpanel",
        "--user",
        "bob",
        "Email",
        "list_pops",
    ]);
    assert_eq!(out.json()["result"]["data"].as_array().unwrap().len(), 2502);

    f.as_root(&["--paginate", "whm", "listaccts", "api.chunk.size=5"])
        .assert_failure(2, "set by --paginate");
    f.call(
        &bob,
        &[
            "--paginate",
            "cpanel",
            "--api2",
            "Email",
            "listpopswithdisk",
        ],
    )
    .assert_failure(2, "not API 2");
}

/// A paged answer whose count cannot be read, or a server that ignores the start asked for:
/// exit 4 and nothing on stdout, never the first page (or the same page twice) with exit 0.
#[test]
fn paginate_refuses_counts_it_cannot_read_and_pages_it_did_not_ask_for() {
    use crate::emulator::Options;
    let cases = [
        (
            "records abc",
            Options {
                total_as: Some("abc".into()),
                ..Options::default()
            },
            "cannot read the page count",
        ),
        (
            "records -1",
            Options {
                total_as: Some((-1).into()),
                ..Options::default()
            },
            "cannot read the page count",
        ),
        (
            "records null",
            Options {
                total_as: Some(serde_json::Value::Null),
                ..Options::default()
            },
            "cannot read the page count",
        ),
        (
            "start ignored",
            Options {
                ignore_start: true,
                ..Options::default()
            },
            "the server sent the one at 1",
        ),
    ];
    for (_label, options, want) in cases {
        let f = Fixture::with(Options {
            extra_records: 10,
            ..options.clone()
        });
        f.as_root(&["--paginate", "--page-size", "5", "whm", "listaccts"])
            .assert_failure(4, want);
        let bob = f.bob_token("b", Service::Cpanel);
        let out = f.call(
            &bob,
            &[
                "--paginate",
                "--page-size",
                "1",
                "cpanel",
                "Email",
                "list_pops",
            ],
        );
        out.assert_failure(4, want);
    }
}

#[test]
fn paginate_follows_capped_pages_and_string_counts_and_never_loses_records() {
    use crate::emulator::Options;
    let f = Fixture::with(Options {
        extra_records: 250,
        string_counts: true,
        page_cap: Some(100),
        ..Options::default()
    });
    let root = f.root_token("w", "");
    let out = paged(&f, &root, "1000", ".acct | length", &["whm", "listaccts"]);
    out.assert_code(0);
    assert_eq!(out.stdout, "254\n");
    let starts = f.bodies();
    assert_eq!(starts.len(), 3, "{starts:?}");
    assert!(starts[1].ends_with("api.chunk.start=101"), "{starts:?}");
    let bob = f.bob_token("b", Service::Cpanel);
    let out = paged(&f, &bob, "30", "length", &["cpanel", "Email", "list_pops"]);
    out.assert_code(0);
    assert_eq!(out.stdout, "252\n");

    let short = Fixture::with(Options {
        extra_records: 250,
        announce_extra: 3,
        ..Options::default()
    });
    short
        .call(
            &short.root_token("w", ""),
            &["--paginate", "--page-size", "100", "whm", "listaccts"],
        )
        .assert_failure(
            4,
            "--paginate got 254 records, but the server announced 257",
        );
}
