//! What cpcall reads and writes on this machine: secret sources and `@file` values are bounded
//! and must be what they claim; relative paths follow the config file; symlinked configs stay
//! links; a crowd of processes logs in once; signals and killed logins leave no live cookie
//! behind; Ctrl-C at the password prompt gives the terminal its echo back.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{have_tool, Fixture, Tmux};
use crate::emulator::accounts::{BOB, ROOT};
use crate::emulator::Service;

fn session_profile(f: &Fixture, extra: &str) -> String {
    f.profile(
        "s",
        Service::Cpanel,
        &format!("auth = \"session\"\nuser = \"bob\"\n{extra}"),
    )
}

fn sessions_dir(f: &Fixture) -> std::path::PathBuf {
    f.path("xdg-state/cpcall/sessions")
}

#[test]
fn secret_sources_are_bounded_and_must_be_files() {
    let f = Fixture::new();
    let fifo = f.path("token.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let big = f.write("big.token", &"x".repeat(100_000));
    // One final line break is dropped; a second is the token's, and refused.
    let two = f.write("two.token", "TOKEN0123456789\n\n");
    let cases = [
        (
            format!("token_file = \"{}\"", two.display()),
            "contains a line break",
        ),
        (
            "token_file = \"/dev/zero\"".to_string(),
            "/dev/zero: it is not a regular file",
        ),
        (
            format!("token_file = \"{}\"", fifo.display()),
            "token.fifo: it is not a regular file",
        ),
        (
            format!("token_file = \"{}\"", big.display()),
            "it holds more than 64 KiB",
        ),
        (
            "token_command = \"head -c 100000000 /dev/zero\"".to_string(),
            "printed more than 64 KiB",
        ),
        ("token = \"abc\\ndef\"".to_string(), "contains a line break"),
        (
            "token_env = \"TOKEN_WITH_CR\"".to_string(),
            "contains a line break",
        ),
        (
            "accesshash = \"ab\\u0007cd\"".to_string(),
            "control character",
        ),
    ];
    for (line, want) in cases {
        let config = f.profile("p", Service::Whm, &line);
        let started = Instant::now();
        let mut cmd = f.cmd();
        cmd.arg("-c")
            .arg(f.config(&config))
            .args(["whm", "version"])
            .env("TOKEN_WITH_CR", "abc\r\ndef");
        f.output(cmd, None).assert_failure(2, want);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{line}: took {:?}",
            started.elapsed()
        );
    }
    let ok = f.root_token("w", "");
    f.call(&ok, &["whm", "version", "k=@/dev/zero"])
        .assert_failure(2, "/dev/zero: it holds more than 16 MiB");
    assert!(f.requests().is_empty());
}

#[test]
fn relative_paths_follow_the_config_file() {
    let f = Fixture::new();
    std::fs::create_dir_all(f.path("conf")).unwrap();
    std::fs::write(f.path("conf/root.token"), ROOT.whm_token.unwrap()).unwrap();
    std::fs::write(f.path("conf/ca.pem"), &f.emu.ca_pem).unwrap();
    let config = format!(
        "[profiles.w]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"ca.pem\"\ntoken_file = \"root.token\"\n",
        f.emu.port(Service::Whm, true)
    );
    std::fs::write(f.path("conf/config.toml"), config).unwrap();
    let mut cmd = f.cmd();
    cmd.current_dir("/")
        .arg("-c")
        .arg(f.path("conf/config.toml"))
        .args(["whm", "version"]);
    f.output(cmd, None).assert_code(0);
}

#[test]
fn a_symlinked_config_stays_a_link() {
    let f = Fixture::new();
    std::fs::create_dir_all(f.path("dotfiles")).unwrap();
    let real = f.path("dotfiles/cpcall.toml");
    let config = format!(
        "# managed by my dotfiles\n[profiles.prod]\nhost = \"127.0.0.1\"\nport = {}\ntoken = \"{}\"\n",
        f.emu.port(Service::Whm, true),
        ROOT.whm_token.unwrap()
    );
    std::fs::write(&real, &config).unwrap();
    std::fs::set_permissions(&real, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let link = f.path("config.toml");
    std::os::unix::fs::symlink("dotfiles/cpcall.toml", &link).unwrap();
    let mut cmd = f.cmd();
    cmd.arg("-c")
        .arg(&link)
        .args(["-p", "prod", "trust", "--yes"]);
    f.output(cmd, None).assert_code(0);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let text = std::fs::read_to_string(&real).unwrap();
    assert!(
        text.starts_with(&config) && text.contains("pin_sha256"),
        "{text}"
    );
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&real).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
}

/// `n` processes started at once, each calling `cpanel Email list_pops`: their exit codes and
/// stderr.
fn list_pops_at_once(f: &Fixture, config: &str, n: usize) -> Vec<(Option<i32>, String)> {
    let children: Vec<_> = (0..n)
        .map(|_| {
            let mut cmd = f.cmd();
            cmd.arg("-c")
                .arg(config)
                .args(["cpanel", "Email", "list_pops"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    let done = |child: std::process::Child| {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), stderr)
    };
    children.into_iter().map(done).collect()
}

#[test]
fn twenty_processes_at_once_log_in_once() {
    let f = Fixture::new();
    let config = f.config(&session_profile(
        &f,
        &format!("password = \"{}\"", BOB.password),
    ));
    for (code, stderr) in list_pops_at_once(&f, &config, 20) {
        assert_eq!(code, Some(0), "{stderr}");
    }
    assert_eq!(f.emu.logins(), 1, "one login for twenty processes");
}

/// A session file a killed login left behind (`.tmpXXXX`): logout ends it on the server and
/// removes it, and any later save sweeps stale ones.
#[test]
fn leftover_sessions_are_ended_and_swept() {
    let f = Fixture::new();
    let config = session_profile(&f, &format!("password = \"{}\"", BOB.password));
    f.call(&config, &["login"]).assert_code(0);
    let dir = sessions_dir(&f);
    let saved = std::fs::read_to_string(f.session_file("s")).unwrap();
    std::fs::write(dir.join(".cpcall-AbC123.tmp"), &saved).unwrap();
    std::fs::remove_file(f.session_file("s")).unwrap();
    let cookie = serde_json::from_str::<serde_json::Value>(&saved).unwrap()["cookie"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(f.emu.state.sessions.lock().unwrap().contains_key(&cookie));
    f.call(&config, &["logout"]).assert_code(0);
    assert!(
        !f.emu.state.sessions.lock().unwrap().contains_key(&cookie),
        "ended on the server"
    );
    assert!(!dir.join(".cpcall-AbC123.tmp").exists());

    // Debris (nobody holds it) goes with the next save; a file another live run holds stays.
    std::fs::write(dir.join(".cpcall-Old999.tmp"), "debris").unwrap();
    let busy = dir.join(".cpcall-New999.tmp");
    std::fs::write(&busy, "a write in progress").unwrap();
    let held = std::fs::File::open(&busy).unwrap();
    held.lock().unwrap();
    f.call(&config, &["login"]).assert_code(0);
    assert!(!dir.join(".cpcall-Old999.tmp").exists(), "debris swept");
    assert!(
        busy.exists(),
        "a file another run holds is its write in progress"
    );
    drop(held);
}

/// SIGTERM while the session file is being written (held there by strace delaying fsync):
/// the temporary file with the cookie is gone afterwards.
#[test]
fn a_signal_mid_write_leaves_no_session_copy() {
    if !have_tool(
        "strace",
        "it holds cpcall inside a write to deliver a signal there",
    ) {
        return;
    }
    let f = Fixture::new();
    let config = f.config(&session_profile(
        &f,
        &format!("password = \"{}\"", BOB.password),
    ));
    let mut cmd = Command::new("strace");
    cmd.args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync"])
        .args(["-e", "inject=fsync:delay_enter=1500000"])
        .arg(env!("CARGO_BIN_EXE_cpcall"))
        .args(["-c", &config, "login"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", f.dir.path())
        .env("XDG_STATE_HOME", f.path("xdg-state"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let dir = sessions_dir(&f);
    let temp = || {
        std::fs::read_dir(&dir)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with(".cpcall-"))
                    .count()
            })
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while temp() == 0 {
        if let Ok(Some(_)) = child.try_wait() {
            let mut why = String::new();
            let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut why);
            // A sandbox without ptrace cannot run this test; anything else is a failure.
            assert!(
                why.contains("ptrace") || why.contains("PTRACE"),
                "strace: {why}"
            );
            crate::common::skipped(&format!("strace cannot trace here ({})", why.trim()));
            return;
        }
        assert!(Instant::now() < deadline, "the session write never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = Command::new("pgrep")
        .args(["-P", &child.id().to_string()])
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&pid.stdout)
        .lines()
        .next()
        .unwrap()
        .to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let _ = child.wait();
    assert_eq!(temp(), 0, "a temporary copy of the session is left");
    assert!(!f.session_file("s").exists());
}

#[test]
fn ctrl_c_at_the_password_prompt_gives_echo_back() {
    let f = Fixture::new();
    let Some(term) = Tmux::start(&f) else { return };
    let config = f.config(&session_profile(&f, ""));
    // The shell reads the terminal's mode right after cpcall dies, before an interactive
    // shell would repair it.
    let state = f.path("echo-state.txt");
    let script = f.write(
        "login.sh",
        &format!(
            "trap 'stty -a | tr \" \" \"\\n\" | grep -x -- \"-*echo\" > {}' INT\ncpcall -c {config} login\n",
            state.display()
        ),
    );
    term.send(&format!("sh {}", script.display()));
    term.key("Enter");
    term.wait_for("Password for bob@127.0.0.1:");
    term.key("C-c");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(&state).map_or(true, |s| s.is_empty()) {
        assert!(
            Instant::now() < deadline,
            "no terminal state:\n{}",
            term.screen()
        );
        std::thread::sleep(Duration::from_millis(30));
    }
    assert_eq!(
        std::fs::read_to_string(&state).unwrap(),
        "echo\n",
        "echo is still off"
    );
    assert_eq!(f.emu.logins(), 0);
}

#[test]
fn a_refused_login_is_not_repeated_by_the_processes_that_waited() {
    let f = Fixture::new();
    let config = f.config(&session_profile(&f, "password = \"wrong-password\""));
    for (code, stderr) in list_pops_at_once(&f, &config, 12) {
        assert_eq!(code, Some(3), "{stderr}");
    }
    assert_eq!(f.emu.logins(), 1, "one refused login, not one per process");
}

#[test]
fn a_hanging_secret_command_ends_at_the_timeout() {
    let f = Fixture::new();
    let config = f.profile("p", Service::Whm, "token_command = \"sleep 30\"");
    let started = Instant::now();
    f.call(&config, &["--timeout", "1", "whm", "version"])
        .assert_failure(2, "did not finish within 1 s");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// A timed-out command's whole tree ends with it: the processes of a pipeline (its process
/// group) and a job that moved to a group of its own (`set -m`), not just `sh`.
#[test]
fn a_timed_out_secret_command_ends_all_it_started() {
    let f = Fixture::new();
    let running = |marker: &str| -> Vec<String> {
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|p| std::fs::read(p.path().join("cmdline")).ok())
            .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
            .filter(|c| c.contains(marker))
            .collect()
    };
    for (marker, command) in [
        ("sleep 3001", "sleep 3001 | cat"),
        ("sleep 3002", "set -m; sleep 3002 & wait"),
    ] {
        let config = f.profile("p", Service::Whm, &format!("token_command = \"{command}\""));
        f.call(&config, &["--timeout", "1", "whm", "version"])
            .assert_failure(2, "did not finish within 1 s");
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(running(marker), Vec::<String>::new(), "{command}");
    }
}

#[test]
fn endless_files_are_refused_not_read() {
    let f = Fixture::new();
    let config = f.root_token("w", "");
    let started = Instant::now();
    f.call(&config, &["batch", "/dev/zero"])
        .assert_failure(2, "batch line 1 is longer than 16 MiB");
    f.run(&["-c", "/dev/zero", "whm", "version"])
        .assert_failure(2, "/dev/zero: it is not a regular file");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(f.requests().is_empty());
}

#[test]
fn enter_or_ctrl_d_at_the_password_prompt_sends_nothing() {
    let f = Fixture::new();
    let Some(term) = Tmux::start(&f) else { return };
    let config = f.config(&session_profile(&f, ""));
    for (key, want) in [
        ("Enter", "no password typed"),
        ("C-d", "no answer (end of input)"),
    ] {
        term.send(&format!("cpcall -c {config} login; echo \"exit=$?\""));
        term.key("Enter");
        term.wait_for("Password for bob@127.0.0.1:");
        term.key(key);
        let screen = term.wait_for("exit=2");
        assert!(screen.contains(want), "{key}:\n{screen}");
        term.send("clear");
        term.key("Enter");
        term.wait_until("a cleared screen", |s| !s.contains("exit=2"));
    }
    assert_eq!(f.emu.logins(), 0);
}

/// A config file others can write must not run its `*_command`s: whoever writes it would run
/// commands as the user. Refused before anything runs; fine once it is the user's alone.
#[test]
fn a_config_others_can_write_runs_no_commands() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new();
    let ran = f.dir.path().join("ran");
    let text = f.root_token_command("p", &ran);
    let config = f.config(&text);
    let run = |mode: u32| {
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(mode)).unwrap();
        let mut cmd = f.cmd();
        cmd.args(["-c", &config, "whm", "version"]);
        f.output(cmd, None)
    };
    for (mode, who) in [
        (0o666, "anyone can write it"),
        (0o620, "its group can write it"),
    ] {
        run(mode).assert_failure(2, who);
        assert!(!ran.exists(), "mode {mode:o}: the command ran");
    }
    run(0o600).assert_code(0);
    assert!(ran.exists());
}

/// A secret command's stderr (a password manager's messages) is passed on, escaped, with its
/// own secret masked (a script run with `set -x` echoes it); a failing one's too.
#[test]
fn a_secret_commands_stderr_is_passed_on_masked() {
    let f = Fixture::new();
    let token = crate::emulator::accounts::ROOT.whm_token.unwrap();
    let config = f.profile(
        "p",
        Service::Whm,
        &format!("token_command = \"echo 'pass: unlocked \\u001b[2J' >&2; echo '+ printf {token}' >&2; printf {token}\""),
    );
    let out = f.call(&config, &["whm", "version"]);
    out.assert_code(0)
        .assert_stderr("pass: unlocked \\u{1b}[2J")
        .assert_stderr("+ printf ***");
    let failing = f.profile(
        "p",
        Service::Whm,
        "token_command = \"echo 'vault: permission denied' >&2; exit 3\"",
    );
    f.call(&failing, &["whm", "version"])
        .assert_code(2)
        .assert_stderr("vault: permission denied")
        .assert_stderr("failed with status 3");
}
