//! What a call does: read, change or unknown for every function (`describe`), the read-only
//! guard, retries of reads only, and one-time login links.

use crate::common::Fixture;
use crate::emulator::{Fault, Options};

/// Every function has a class; a sample of everyday ones has the right one, said by describe
/// (with the method cpcall sends) and in its JSON.
#[test]
fn describe_says_whether_a_function_reads_or_changes() {
    let f = Fixture::new();
    let cases = [
        (vec!["whm", "listaccts"], "read"),
        (vec!["whm", "accountsummary"], "read"),
        (vec!["whm", "createacct"], "change"),
        (vec!["whm", "removeacct"], "change"),
        (vec!["whm", "suspendacct"], "change"),
        (vec!["whm", "api_token_create"], "change"),
        (vec!["whm", "backup_config_get"], "read"),
        (vec!["cpanel", "Email", "list_pops"], "read"),
        (vec!["cpanel", "Email", "add_pop"], "change"),
        (vec!["cpanel", "Mysql", "list_databases"], "read"),
        (vec!["cpanel", "Mysql", "create_database"], "change"),
    ];
    for (names, class) in cases {
        let mut args = vec!["describe"];
        args.extend(&names);
        args.push("--json");
        let out = f.run(&args);
        out.assert_code(0);
        assert_eq!(out.json()["class"], class, "{names:?}: {}", out.stdout);
        assert_eq!(out.json()["method"], "POST", "{names:?}");
    }
    let text = f.run(&["describe", "whm", "createacct"]);
    text.assert_code(0)
        .assert_stdout("changes the server")
        .assert_stdout("POST (the documentation shows GET; --get sends GET)");
}

/// Read-only (flag, variable, profile key) refuses a change before anything is sent, and a
/// function the catalogue cannot tell; reads go through. In a batch, one change line stops
/// every line.
#[test]
fn read_only_refuses_changes_before_sending() {
    let f = Fixture::new();
    let plain = f.root_token("w", "");
    let guarded = f.root_token("w", "read_only = true");
    let create = ["whm", "createacct", "username=ro1", "domain=ro1.example"];
    let sent = f.requests().len();
    for (config, flag) in [(&plain, true), (&guarded, false)] {
        let mut args: Vec<&str> = Vec::new();
        if flag {
            args.push("--read-only");
        }
        args.extend(create);
        f.call(config, &args).assert_failure(
            2,
            "whm createacct changes the server (its name says create): not sent",
        );
    }
    f.call(&plain, &["--read-only", "whm", "no_such_function_x"])
        .assert_failure(2, "not known; treated as a change");
    assert_eq!(f.requests().len(), sent, "nothing sent");
    let mut env = f.cmd();
    env.env("CPCALL_READ_ONLY", "1")
        .arg("-c")
        .arg(f.config(&plain))
        .args(create);
    f.output(env, None).assert_failure(2, "read-only");
    f.call(&guarded, &["whm", "listaccts"]).assert_code(0);
    let batch = f.write(
        "b.txt",
        "whm listaccts\nwhm createacct username=ro2 domain=ro2.example\n",
    );
    let sent = f.requests().len();
    let out = f.call(&guarded, &["batch", &batch.display().to_string()]);
    out.assert_failure(2, "batch line 2: whm createacct changes the server");
    assert!(
        !out.stderr.contains("batch line 2: batch line 2"),
        "{}",
        out.stderr
    );
    assert_eq!(
        f.requests().len(),
        sent,
        "the read on line 1 was not sent either"
    );
}

/// `--retry N`: a read that meets a restarting server (503, twice) is tried again and
/// succeeds; a change that may have run is never tried again, whatever --retry says.
#[test]
fn retries_are_for_reads_only() {
    let f = Fixture::with(Options {
        fault: Some(Fault::Status(503)),
        fault_until: 2,
        ..Options::default()
    });
    let out = f.as_root(&["--retry", "3", "-v", "whm", "listaccts"]);
    out.assert_code(0).assert_stderr("trying again in");
    assert_eq!(f.requests().len(), 3, "two 503s, then the answer");

    let g = Fixture::with(Options {
        fault: Some(Fault::Status(503)),
        fault_until: 2,
        ..Options::default()
    });
    g.as_root(&[
        "--retry",
        "3",
        "whm",
        "createacct",
        "username=rt1",
        "domain=rt1.example",
    ])
    .assert_code(4);
    assert_eq!(g.requests().len(), 1, "a change is sent once");

    // Without --retry (and no `retry` in the profile), a read is not tried again either.
    let h = Fixture::with(Options {
        fault: Some(Fault::Status(503)),
        fault_until: 1,
        ..Options::default()
    });
    h.as_root(&["whm", "listaccts"]).assert_code(4);
    assert_eq!(h.requests().len(), 1);
    h.call(&h.root_token("w", "retry = 2"), &["whm", "listaccts"])
        .assert_code(0);
}

/// `login-url USER`: the URL alone on stdout, masked everywhere else (-v included); an
/// account the caller cannot reach is the API's "no"; a cPanel profile is told to use WHM.
#[test]
fn login_url_prints_a_one_time_link() {
    let f = Fixture::new();
    let out = f.as_root(&["-v", "login-url", "bob"]);
    out.assert_code(0);
    let url = out.stdout.trim();
    assert!(
        url.starts_with("https://") && url.contains(":2083/cpsess") && url.contains("session="),
        "{url}"
    );
    assert_eq!(out.stdout.lines().count(), 1);
    assert!(!out.stderr.contains("session="), "{}", out.stderr);
    let last = f.last();
    assert!(
        String::from_utf8_lossy(&last.body).contains("service=cpaneld"),
        "{last:?}"
    );
    let webmail = f.as_root(&["login-url", "bob", "--to", "webmail"]);
    webmail.assert_code(0).assert_stdout(":2096/");
    // A WHM profile that does not spell out its service is still a WHM target: --to is
    // login-url's own flag, the global --service is left alone.
    let plain = f.root_token_on(&f.emu, "plain");
    assert!(!plain.contains("service"));
    f.call(&plain, &["login-url", "bob", "--to", "whm"])
        .assert_code(0)
        .assert_stdout(":2087/");
    let before = f.requests().len();
    for user in ["", "bob smith", "bob\nx"] {
        f.as_root(&["login-url", user])
            .assert_failure(2, "login-url needs an account name");
    }
    for args in [
        &["login-url", "bob", "--jq", "."][..],
        &["-d", "login-url", "bob"],
    ] {
        f.as_root(args)
            .assert_failure(2, "login-url prints only the link");
    }
    f.as_root(&["login-url", "../root"])
        .assert_failure(2, "login-url needs an account name");
    assert_eq!(
        f.requests().len(),
        before,
        "a bad name is refused before sending"
    );
    f.as_root(&["login-url", "nosuchuser"])
        .assert_failure(1, "WHM made no login link for nosuchuser");
    let cpanel = f.bob_token("c", crate::emulator::Service::Cpanel);
    f.call(&cpanel, &["login-url", "bob"])
        .assert_failure(2, "use a WHM profile");
}

/// `--open` hands the page to `$BROWSER` (arguments and `%s` allowed), never the URL as an
/// argument; the page is gone when cpcall ends; when no browser opens, the link is printed.
#[test]
fn login_url_open_uses_a_private_page() {
    let f = Fixture::new();
    let seen = f.dir.path().join("seen");
    // The browser notes the folder's and page's modes, its own arguments and the page's path.
    let browser = f.write(
        "browser",
        &format!(
            "#!/bin/sh\nstat -c %a \"$(dirname \"$2\")\" \"$2\" > {0}\necho \"$1\" \"$2\" >> {0}\ncat \"$2\" >> {0}\n",
            seen.display()
        ),
    );
    let config = f.config(&f.root_token("w", ""));
    let mut cmd = f.cmd();
    // Run through sh: a script just written may not be executable yet (ETXTBSY) while
    // other tests fork.
    cmd.env(
        "BROWSER",
        format!("sh {} --new-window %s", browser.display()),
    )
    .args(["-c", &config, "login-url", "bob", "--open"]);
    let out = f.output(cmd, None);
    out.assert_code(0)
        .assert_stderr("opened a login link for bob");
    assert_eq!(out.stdout, "", "the link goes to the browser only");
    let seen = std::fs::read_to_string(&seen).unwrap();
    let lines: Vec<&str> = seen.lines().collect();
    assert_eq!(&lines[..2], ["700", "600"], "{seen}");
    let (flag, page) = lines[2].split_once(' ').unwrap();
    assert_eq!(flag, "--new-window");
    assert!(seen.contains("session="), "{seen}");
    assert!(
        !std::path::Path::new(page).exists(),
        "the page with the live link outlived the run: {page}"
    );
    // A signal while the browser starts: the page and its folder go with the run.
    let slow = f.write(
        "slow-browser",
        &format!(
            "#!/bin/sh\necho \"$1\" > {}\nsleep 30\n",
            f.path("slow-page").display()
        ),
    );
    let mut cmd = f.cmd();
    cmd.env("BROWSER", format!("sh {} '%s'", slow.display()))
        .args(["-c", &config, "login-url", "bob", "--open"]);
    let child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let noted = f.path("slow-page");
    let started = std::time::Instant::now();
    while !noted.exists() && started.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let page = std::fs::read_to_string(&noted).unwrap();
    let page = std::path::Path::new(page.trim());
    assert!(page.exists(), "{page:?}");
    rustix::process::kill_process(
        rustix::process::Pid::from_child(&child),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    let status = child.wait_with_output().unwrap().status;
    assert_eq!(status.code(), None, "ended by the signal");
    assert!(
        !page.exists(),
        "the page with the live link outlived SIGTERM"
    );
    assert!(!page.parent().unwrap().exists(), "its folder too");
    let mut cmd = f.cmd();
    cmd.env("BROWSER", "/nonexistent/browser:false").args([
        "-c",
        &config,
        "login-url",
        "bob",
        "--open",
    ]);
    f.output(cmd, None)
        .assert_code(0)
        .assert_stderr("cannot open the browser")
        .assert_stdout("session=");
}

/// TAB shows the class where the shell shows descriptions (fish, zsh): a change is seen
/// before Enter.
#[test]
fn tab_marks_changes() {
    let f = Fixture::new();
    let mut cmd = f.cmd();
    cmd.env("COMPLETE", "fish")
        .args(["--", "cpcall", "whm", "createac"]);
    let out = f.output(cmd, None);
    out.assert_code(0).assert_stdout("createacct\tchanges · ");
    let mut cmd = f.cmd();
    cmd.env("COMPLETE", "fish")
        .args(["--", "cpcall", "cpanel", "Email", "list_po"]);
    f.output(cmd, None).assert_stdout("list_pops\treads · ");
}

/// `describe --search` finds the function for twenty everyday questions: every word of the
/// question matches its name, section, summary or keywords, and it comes among the first three.
#[test]
fn search_answers_everyday_questions() {
    let f = Fixture::new();
    let questions = [
        ("login link", "whm create_user_session"),
        ("list database", "cpanel Mysql list_databases"),
        ("create account", "whm createacct"),
        ("delete account", "whm removeacct"),
        ("suspend account", "whm suspendacct"),
        ("list accounts", "whm listaccts"),
        ("change password", "whm passwd"),
        ("add email", "cpanel Email add_pop"),
        ("list email accounts", "cpanel Email list_pops"),
        ("email forwarder", "cpanel Email add_forwarder"),
        // dumpzone is deprecated: its replacement comes first.
        ("dns zone", "whm parse_dns_zone"),
        ("login as user", "whm create_user_session"),
        ("list ftp accounts", "cpanel Ftp list_ftp"),
        ("free disk space", "whm getdiskusage"),
        ("ssl expiry", "cpanel SSL installed_hosts"),
        ("upgrade php", "whm php_set_vhost_versions"),
        ("reset password email", "cpanel Email passwd_pop"),
        ("add dns record", "whm addzonerecord"),
        ("install ssl", "whm installssl"),
        ("list packages", "whm listpkgs"),
        ("disk usage", "whm getdiskusage"),
        ("backup config", "whm backup_config_get"),
        ("restart service", "whm restartservice"),
        ("server version", "whm version"),
        ("create database", "cpanel Mysql create_database"),
        ("api token", "whm api_token_create"),
    ];
    let mut missed = Vec::new();
    for (question, want) in questions {
        let out = f.run(&["describe", "--search", question]);
        let top: Vec<String> = out
            .stdout
            .lines()
            .take(3)
            .map(|l| l.split("  ").next().unwrap_or("").trim().to_string())
            .collect();
        if !top.iter().any(|t| t == want) {
            missed.push(format!("{question:?} → {top:?}, not {want}"));
        }
    }
    assert!(missed.is_empty(), "{missed:#?}");
}

/// A change that failed in a way that may have let it run is not met with "try again": the
/// message says to check first. A read that is refused with 429 is tried again (--retry).
#[test]
fn a_change_that_may_have_run_says_check_first() {
    let f = Fixture::with(Options {
        fault: Some(Fault::Status(503)),
        fault_until: 1,
        ..Options::default()
    });
    let out = f.as_root(&["whm", "createacct", "username=rt2", "domain=rt2.example"]);
    out.assert_failure(
        4,
        "whm createacct changes the server and may have run: check",
    );
    assert!(!out.stderr.contains("try again"), "{}", out.stderr);
    // A refused token ran nothing: no such advice.
    let wrong = f.profile(
        "bad",
        crate::emulator::Service::Whm,
        "token = \"WRONGTOKEN123456\"",
    );
    let refused = f.call(
        &wrong,
        &["whm", "createacct", "username=rt3", "domain=rt3.example"],
    );
    refused.assert_code(3);
    assert!(
        !refused.stderr.contains("may have run"),
        "{}",
        refused.stderr
    );
    let h = Fixture::with(Options {
        fault: Some(Fault::Status(429)),
        fault_until: 1,
        ..Options::default()
    });
    h.as_root(&["--retry", "1", "whm", "listaccts"])
        .assert_code(0);
    assert_eq!(h.requests().len(), 2);
}
