//! Many servers at once, many calls per run.

use std::time::{Duration, Instant};

use crate::common::{Fixture, Out};
use crate::emulator::accounts::{RESELLER, ROOT};
use crate::emulator::{Emulator, Fault, Options, Service};

fn lines(out: &Out) -> Vec<serde_json::Value> {
    out.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn profile_on(emu: &Emulator, name: &str, ca: &str, token: &str) -> String {
    format!(
        "[profiles.{name}]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{ca}\"\ntoken = \"{token}\"\n",
        emu.port(Service::Whm, true)
    )
}

#[test]
fn fan_out_gives_one_line_per_profile_and_the_worst_exit() {
    let f = Fixture::new();
    let config = format!(
        "{}{}{}[profiles.gone]\nhost = \"cpcall-test.invalid\"\ntoken = \"x\"\n[groups]\nweb = [\"root\", \"res\"]\n",
        f.root_token("root", ""),
        f.profile("res", Service::Whm, &format!("user = \"reseller\"\ntoken = \"{}\"", RESELLER.whm_token.unwrap())),
        f.profile("bad", Service::Whm, "token = \"WRONG\""),
    );
    let out = f.call(&config, &["-p", "root,res,bad,gone", "whm", "version"]);
    out.assert_code(4).assert_stderr("2 ok, 2 failed");
    assert!(
        !out.stderr.contains('\r'),
        "no progress line when stderr is not a terminal"
    );
    let mut got: Vec<(String, bool, u64)> = lines(&out)
        .iter()
        .map(|l| {
            (
                l["profile"].as_str().unwrap().to_string(),
                l["ok"].as_bool().unwrap(),
                l["exit"].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("bad".into(), false, 3),
            ("gone".into(), false, 4),
            ("res".into(), true, 0),
            ("root".into(), true, 0)
        ]
    );
    let root = lines(&out)
        .into_iter()
        .find(|l| l["profile"] == "root")
        .unwrap();
    assert_eq!(root["host"], "127.0.0.1");
    assert_eq!(root["response"]["data"]["version"], "11.130.0.5");

    let group = f.call(&config, &["--group", "web", "-d", "whm", "version"]);
    group.assert_all_ok(2);
    assert!(lines(&group)
        .iter()
        .all(|l| l["response"]["version"] == "11.130.0.5"));
    let all = f.call(
        &config,
        &["--all", "--jq", ".data.version", "whm", "version"],
    );
    assert_eq!(lines(&all).len(), 4);
    assert!(lines(&all)
        .iter()
        .any(|l| l["profile"] == "root" && l["result"] == serde_json::json!(["11.130.0.5"])));
    f.call(&config, &["--group", "db", "whm", "version"])
        .assert_failure(2, "known groups: web");
    f.call(&config, &["-p", "root,res", "login"])
        .assert_failure(2, "one profile at a time");
}

#[test]
fn a_profile_named_twice_runs_once() {
    let f = Fixture::new();
    let config = format!(
        "{}{}[groups]\ntwice = [\"a\", \"b\", \"a\"]\n",
        f.root_token("a", ""),
        f.root_token("b", "")
    );
    for args in [
        &["-p", "a,a,b", "whm", "version"][..],
        &["--group", "twice", "whm", "version"],
    ] {
        let before = f.requests().len();
        let out = f.call(&config, args);
        out.assert_all_ok(2);
        assert_eq!(f.requests().len() - before, 2, "{args:?}");
    }
}

#[test]
fn a_slow_server_delays_only_itself() {
    let f = Fixture::new();
    let slow = Emulator::start_with(Options {
        fault: Some(Fault::Slow(Duration::from_secs(6))),
        ..Options::default()
    });
    let ca = f.ca_file().display().to_string();
    let slow_ca = f.write("slow-ca.pem", &slow.ca_pem).display().to_string();
    let token = ROOT.whm_token.unwrap();
    let config = format!(
        "{}{}",
        profile_on(&slow, "slow", &slow_ca, token),
        profile_on(&f.emu, "fast", &ca, token)
    );
    let started = Instant::now();
    let out = f.call(
        &config,
        &["-p", "slow,fast", "--timeout", "1", "whm", "version"],
    );
    let elapsed = started.elapsed();
    out.assert_code(4);
    let got = lines(&out);
    assert_eq!(
        (got[0]["profile"].as_str(), got[0]["ok"].as_bool()),
        (Some("fast"), Some(true)),
        "the fast answer comes first"
    );
    assert_eq!(
        (got[1]["profile"].as_str(), got[1]["exit"].as_u64()),
        (Some("slow"), Some(4))
    );
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}

#[test]
fn batch_runs_each_line_over_kept_alive_connections() {
    let f = Fixture::new();
    let mut text = String::from("# accounts\nwhm listaccts search=bob\n\n");
    text.push_str("whm createacct username=carol domain='carol example.test'\n");
    for _ in 0..18 {
        text.push_str("whm version\n");
    }
    let file = f.write("calls.txt", &text);
    let before = f
        .emu
        .state
        .connections
        .load(std::sync::atomic::Ordering::SeqCst);
    let out = f.as_root(&["batch", &file.display().to_string()]);
    out.assert_all_ok(20);
    let got = lines(&out);
    let numbers: Vec<u64> = got.iter().map(|l| l["line"].as_u64().unwrap()).collect();
    assert_eq!(numbers[..3], [2, 4, 5], "in order, by line number");
    assert_eq!(got[0]["response"]["data"]["acct"][0]["user"], "bob");
    let sent = f.requests();
    assert_eq!(sent.len(), 20);
    assert_eq!(
        String::from_utf8_lossy(&sent[1].request.body),
        "username=carol&domain=carol+example.test"
    );
    let used = f
        .emu
        .state
        .connections
        .load(std::sync::atomic::Ordering::SeqCst)
        - before;
    assert_eq!(used, 1, "one kept-alive connection for 20 calls");

    let parallel = f.as_root(&["-j", "4", "batch", &file.display().to_string()]);
    parallel.assert_stderr("19 ok, 1 failed");
    assert_eq!(lines(&parallel).len(), 20);
}

/// A `token_command` runs once a run, not once a line: a vault or `pass` is asked once.
#[test]
fn a_token_command_runs_once_for_a_whole_batch() {
    let f = Fixture::new();
    let ran = f.dir.path().join("ran");
    let profile = f.root_token_command("w", &ran);
    let file = f.write("calls.txt", &"whm version\n".repeat(6));
    for jobs in ["1", "3"] {
        std::fs::remove_file(&ran).ok();
        let out = f.call(
            &profile,
            &["-j", jobs, "batch", &file.display().to_string()],
        );
        out.assert_all_ok(6);
        let runs = std::fs::read_to_string(&ran).unwrap();
        assert_eq!(runs.lines().count(), 1, "-j {jobs}: {runs:?}");
    }
}

/// A password or token the server refused is not sent again in the run: one refusal for a
/// batch of ten lines (or at most one per job in flight), not ten for cPHulk to count.
#[test]
fn refused_credentials_are_not_sent_again_in_a_batch() {
    let f = Fixture::new();
    let wrong = f
        .password_profile("b", Service::Cpanel, &crate::emulator::accounts::BOB)
        .replace(crate::emulator::accounts::BOB.password, "wrong-password-1");
    let token = f.root_token("t", "").replace(
        ROOT.whm_token.unwrap_or_default(),
        "WRONGTOKEN0000000000000000000000",
    );
    for (profile, line) in [(&wrong, "cpanel Ftp list_ftp\n"), (&token, "whm version\n")] {
        let file = f.write("calls.txt", &line.repeat(10));
        for jobs in ["1", "3"] {
            let before = f.requests().len();
            let out = f.call(profile, &["-j", jobs, "batch", &file.display().to_string()]);
            assert_eq!(out.code, 3, "{out:#?}");
            let sent = f.requests().len() - before;
            assert!(
                sent <= jobs.parse::<usize>().unwrap(),
                "-j {jobs}: {sent} sent"
            );
            assert_eq!(out.stdout.lines().count(), 10, "{out:#?}");
            assert!(
                out.stdout
                    .contains("not sent: the server refused the credentials"),
                "{out:#?}"
            );
        }
    }
}

#[test]
fn batch_checks_every_line_first_and_can_stop_on_error() {
    let f = Fixture::new();
    let bad = f.write("bad.txt", "whm version\nwhm version nokey\n");
    f.as_root(&["batch", &bad.display().to_string()])
        .assert_failure(2, "batch line 2");
    let wrong = f.write("wrong.txt", "whm version\nlogin\n");
    f.as_root(&["batch", &wrong.display().to_string()])
        .assert_failure(2, "batch line 2");
    assert!(f.requests().is_empty(), "nothing runs when a line is wrong");

    let failing = f.write("fail.txt", "whm version\nwhm createacct\nwhm version\n");
    let out = f.as_root(&["batch", "--stop-on-error", &failing.display().to_string()]);
    out.assert_code(1)
        .assert_stderr("1 ok, 1 failed")
        .assert_stderr("1 calls not run");
    assert_eq!(lines(&out).len(), 2);

    let mut cmd = f.cmd();
    cmd.arg("-c")
        .arg(f.config(&f.root_token("w", "")))
        .args(["batch", "-"]);
    let out = f.output(cmd, Some("whm version\nwhm applist\n"));
    out.assert_code(0);
    assert_eq!(lines(&out).len(), 2);
}

#[test]
fn batch_composes_with_fan_out() {
    let f = Fixture::new();
    let config = format!("{}{}", f.root_token("a", ""), f.root_token("b", ""));
    let file = f.write("calls.txt", "whm version\nwhm applist\n");
    let out = f.call(
        &config,
        &["-p", "a,b", "batch", &file.display().to_string()],
    );
    out.assert_all_ok(4);
    let mut tags: Vec<(String, u64)> = lines(&out)
        .iter()
        .map(|l| {
            (
                l["profile"].as_str().unwrap().to_string(),
                l["line"].as_u64().unwrap(),
            )
        })
        .collect();
    tags.sort();
    assert_eq!(
        tags,
        [
            ("a".into(), 1),
            ("a".into(), 2),
            ("b".into(), 1),
            ("b".into(), 2)
        ]
    );
}

#[test]
fn a_parallel_batch_on_a_session_profile_logs_in_once() {
    let f = Fixture::new();
    let profile = f.profile(
        "s",
        Service::Cpanel,
        &format!(
            "auth = \"session\"\nuser = \"bob\"\npassword = \"{}\"",
            crate::emulator::accounts::BOB.password
        ),
    );
    let file = f.write("calls.txt", &"cpanel Email list_pops\n".repeat(12));
    f.call(&profile, &["-j", "6", "batch", &file.display().to_string()])
        .assert_all_ok(12);
    assert_eq!(f.emu.logins(), 1);
}

/// Servers that close connections (cpsrvd often does, above all after errors) must never make
/// a batch call fail or run twice: 30 calls that each create an account, in order and four at
/// a time.
#[test]
fn servers_that_close_connections_never_fail_or_repeat_a_call() {
    for (label, options) in [
        (
            "Connection: close",
            Options {
                connection_close: true,
                ..Options::default()
            },
        ),
        (
            "silent close after each answer",
            Options {
                hang_up: true,
                ..Options::default()
            },
        ),
        (
            "idle connections closed after 50 ms",
            Options {
                idle_close: Some(Duration::from_millis(50)),
                ..Options::default()
            },
        ),
    ] {
        for jobs in ["1", "4"] {
            let f = Fixture::with(options.clone());
            let calls: String = (0..30)
                .map(|i| format!("whm createacct username=u{i} domain=u{i}.example\nwhm version\n"))
                .collect();
            let file = f.write("calls.txt", &calls);
            let out = f.as_root(&["-j", jobs, "batch", &file.display().to_string()]);
            let failed: Vec<&str> = out
                .stdout
                .lines()
                .filter(|l| l.contains("\"ok\":false"))
                .collect();
            assert_eq!(out.code, 0, "{label} -j {jobs}: {}{failed:#?}", out.stderr);
            out.assert_all_ok(60);
            assert_eq!(
                f.requests().len(),
                60,
                "{label} -j {jobs}: each call sent once"
            );
            assert_eq!(f.emu.state.created.lock().unwrap().len(), 30, "{label}");
        }
    }
}

/// A reused connection that dies after the request went out may have run it: the server
/// read it and closed, or began to answer. Neither is sent again (the line fails, exit 4);
/// only a reset — the request hit a socket already closed — is, once (above).
#[test]
fn a_call_cut_off_after_it_was_sent_is_never_sent_again() {
    for (label, fault) in [
        ("read, then closed", Fault::CloseBeforeAnswer),
        ("answer cut mid-body", Fault::CloseMidBody),
        ("answer cut after the head", Fault::Answer(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"meta".to_vec())),
    ] {
        let f = Fixture::with(Options {
            fault: Some(fault),
            fault_from: 2,
            ..Options::default()
        });
        let file = f.write(
            "calls.txt",
            "whm createacct username=a1 domain=a1.example\nwhm createacct username=a2 domain=a2.example\n",
        );
        let out = f.as_root(&["batch", &file.display().to_string()]);
        out.assert_code(4);
        let exits: Vec<i64> = lines(&out)
            .iter()
            .map(|l| l["exit"].as_i64().unwrap_or(-1))
            .collect();
        assert_eq!(exits, [0, 4], "{label}: {}", out.stdout);
        let sent = f.bodies();
        assert_eq!(sent.len(), 2, "{label}: each line sent once: {sent:?}");
    }
}

/// `--all` and `--group` over a config of mixed services: `--service` keeps one kind; `config
/// list` shows the groups; `--group <TAB>` completes their names.
#[test]
fn fan_out_over_mixed_services_selects_by_service() {
    let f = Fixture::new();
    let config = format!(
        "{}{}{}[groups]\nweb = [\"root\", \"shop\"]\nshops = [\"shop\", \"shop2\"]\n",
        f.root_token("root", ""),
        f.bob_token("shop", Service::Cpanel),
        f.bob_token("shop2", Service::Cpanel),
    );
    let all_cpanel = f.call(
        &config,
        &[
            "--all",
            "--service",
            "cpanel",
            "cpanel",
            "Email",
            "list_pops",
        ],
    );
    all_cpanel.assert_all_ok(2);
    let names: Vec<_> = all_cpanel
        .lines()
        .iter()
        .map(|l| l["profile"].as_str().unwrap().to_string())
        .collect();
    assert!(
        names.contains(&"shop".into()) && names.contains(&"shop2".into()),
        "{names:?}"
    );
    f.call(
        &config,
        &["--group", "web", "--service", "whm", "whm", "version"],
    )
    .assert_all_ok(1);
    f.call(
        &config,
        &["--group", "shops", "--service", "whm", "whm", "version"],
    )
    .assert_failure(2, "no whm profile among those chosen");
    // Without --service, the cPanel profiles of --all are refused one by one (exit 2 each).
    f.call(&config, &["--all", "whm", "version"]).assert_code(2);

    let list = f.call(&config, &["config", "list"]);
    list.assert_code(0)
        .assert_stdout("GROUP PROFILES\n")
        .assert_stdout("shops shop, shop2\n")
        .assert_stdout("web   root, shop\n");
    let mut cmd = f.cmd();
    cmd.env("COMPLETE", "fish")
        .env("CPCALL_CONFIG", f.path("config.toml"))
        .args(["--", "cpcall", "--group", "s"]);
    let out = f.output(cmd, None);
    out.assert_code(0);
    assert_eq!(
        out.stdout
            .lines()
            .map(|l| l.split('\t').next().unwrap())
            .collect::<Vec<_>>(),
        ["shops"],
        "{out:#?}"
    );
}
