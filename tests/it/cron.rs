//! Cron-grade runs: success is quiet, `-q` keeps only errors, and `-o FILE` replaces last
//! night's good file only with a whole success.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};

use crate::common::Fixture;
use crate::emulator::{Fault, Options};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// What is left in the folder besides the files named: no temporary file.
fn leftovers(dir: &std::path::Path, known: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !known.contains(&n.as_str()))
        .collect()
}

/// `-q` drops warnings (a config open to others, an unknown parameter) and the API's notes,
/// never an error; a fan-out's summary is said when something failed, quiet or not.
#[test]
fn quiet_keeps_only_errors() {
    let f = Fixture::new();
    f.sends_unknown_params();
    let config = f.root_token("w", "");
    let loud = f.call(&config, &["whm", "listaccts", "serach=bob"]);
    loud.assert_code(0)
        .assert_stderr("open to others")
        .assert_stderr("serach is not");
    let quiet = f.call(&config, &["-q", "whm", "listaccts", "serach=bob"]);
    quiet.assert_code(0);
    assert_eq!(quiet.stderr, "", "{quiet:#?}");
    f.call(&config, &["-q", "whm", "no_such_function"])
        .assert_code(1)
        .assert_stderr("API error");
    let two = format!(
        "{config}{}",
        f.root_token("v", "")
            .replace("token = \"", "token = \"WRONG")
    );
    f.call(&two, &["-q", "-p", "w,v", "whm", "version"])
        .assert_code(3)
        .assert_stderr("1 ok, 1 failed: v (exit 3)");
    f.call(&config, &["-q", "-v", "whm", "version"])
        .assert_code(2)
        .assert_stderr("cannot be used with");
}

/// `-o FILE`: the answer lands in FILE only on exit 0; a refusal, an API failure, a broken
/// answer or a signal leave the old FILE as it was, with no temporary file beside it. A new
/// FILE is 0600; an old one keeps its mode.
#[test]
fn output_files_survive_failures() {
    let f = Fixture::new();
    let config = f.config(&f.root_token("w", ""));
    let wrong = f
        .root_token("w", "")
        .replace("token = \"", "token = \"WRONG");
    let wrong = f.write("wrong.toml", &wrong);
    let dir = f.path("out");
    std::fs::create_dir(&dir).unwrap();
    let file = dir.join("accounts.json");
    std::fs::write(&file, "last night's good copy\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out_arg = file.display().to_string();
    for (label, args) in [
        (
            "refused",
            vec![
                "-c",
                wrong.to_str().unwrap(),
                "-o",
                &out_arg,
                "whm",
                "listaccts",
            ],
        ),
        (
            "API failure",
            vec!["-c", &config, "-o", &out_arg, "whm", "no_such_function"],
        ),
        (
            "fan-out with a failure",
            vec![
                "-c",
                &config,
                "-o",
                &out_arg,
                "-p",
                "w,w",
                "whm",
                "no_such_function",
            ],
        ),
    ] {
        let out = f.run(&args);
        assert_ne!(out.code, 0, "{label}: {out:#?}");
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "last night's good copy\n",
            "{label}"
        );
        assert_eq!(
            leftovers(&dir, &["accounts.json"]),
            Vec::<String>::new(),
            "{label}"
        );
    }
    f.run(&["-c", &config, "-o", &out_arg, "whm", "listaccts"])
        .assert_code(0);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert!(json["data"]["acct"].as_array().unwrap().len() >= 3);
    assert_eq!(mode(&file), 0o640, "the old file's mode is kept");
    let new = dir.join("new.json");
    f.run(&[
        "-c",
        &config,
        "-o",
        new.to_str().unwrap(),
        "--jq",
        ".data.version",
        "whm",
        "version",
    ])
    .assert_code(0);
    assert_eq!(std::fs::read_to_string(&new).unwrap(), "11.130.0.5\n");
    assert_eq!(mode(&new), 0o600, "a new file is private");
    f.run(&["-c", &config, "-o", &out_arg, "login"])
        .assert_failure(2, "drop -o");
    f.run(&[
        "-c",
        &config,
        "-o",
        f.path("no/such/dir/x.json").to_str().unwrap(),
        "whm",
        "version",
    ])
    .assert_failure(2, "cannot write");
    assert_eq!(
        leftovers(&dir, &["accounts.json", "new.json"]),
        Vec::<String>::new()
    );
}

/// A signal while the answer arrives (into the temporary file) leaves the old FILE whole and
/// no temporary file.
#[test]
fn a_signal_mid_answer_leaves_the_old_output_file() {
    let f = Fixture::with(Options {
        fault: Some(Fault::StallMidBody),
        ..Options::default()
    });
    let config = f.config(&f.root_token("w", ""));
    let dir = f.path("out");
    std::fs::create_dir(&dir).unwrap();
    let file = dir.join("accounts.json");
    std::fs::write(&file, "old\n").unwrap();
    let mut cmd = f.cmd();
    cmd.args([
        "-c",
        &config,
        "-o",
        file.to_str().unwrap(),
        "whm",
        "listaccts",
    ])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while f.requests().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(child.id() as i32).unwrap(),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    let status = child.wait().unwrap();
    // It dies of the signal, as it would have (a shell says exit 143).
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(15)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "old\n");
    assert_eq!(leftovers(&dir, &["accounts.json"]), Vec::<String>::new());
}

/// SIGTERM while the output file is being made durable (strace holds `fsync`), with the
/// signal's clean-up slowed too (`unlink`): the run dies of the signal and the old FILE stays,
/// or it had finished and exits 0 with the new one; never exit 143 with FILE replaced.
#[test]
fn a_signal_during_the_rename_into_place_is_never_a_replaced_file_and_a_failure() {
    if !crate::common::have_tool("strace", "it holds cpcall inside fsync to signal it there") {
        return;
    }
    let f = Fixture::new();
    let config = f.config(&f.root_token("w", ""));
    let dir = f.path("out");
    std::fs::create_dir(&dir).unwrap();
    let file = dir.join("version.json");
    std::fs::write(&file, "old\n").unwrap();
    let mut cmd = std::process::Command::new("strace");
    cmd.args([
        "-f",
        "-qq",
        "-o",
        "/dev/null",
        "-e",
        "trace=fsync,unlink,unlinkat",
    ])
    .args(["-e", "inject=fsync:delay_enter=800000"])
    .args(["-e", "inject=unlink,unlinkat:delay_enter=800000"])
    .arg(env!("CARGO_BIN_EXE_cpcall"))
    .args([
        "-c",
        &config,
        "-o",
        file.to_str().unwrap(),
        "whm",
        "version",
    ])
    .env("HOME", f.dir.path())
    .stdin(std::process::Stdio::null())
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    // The answer is in: the temporary file holds it, and the commit's fsync is under way.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let held = || {
        std::fs::read_dir(&dir).unwrap().flatten().any(|e| {
            e.file_name().to_string_lossy().ends_with(".tmp")
                && e.metadata().is_ok_and(|m| m.len() > 0)
        })
    };
    while !held() {
        if let Ok(Some(status)) = child.try_wait() {
            let mut why = String::new();
            let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut why);
            assert!(
                why.contains("ptrace") || why.contains("PTRACE"),
                "{status:?}: {why}"
            );
            crate::common::skipped(&format!("strace cannot trace here ({})", why.trim()));
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the answer never arrived"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let pid = std::process::Command::new("pgrep")
        .args(["-P", &child.id().to_string()])
        .output()
        .unwrap();
    let pid: i32 = String::from_utf8_lossy(&pid.stdout).trim().parse().unwrap();
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(pid).unwrap(),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    let now = std::fs::read_to_string(&file).unwrap();
    // strace reports the traced process's death by a signal as its own exit 143.
    match out.status.code() {
        Some(0) => assert_ne!(now, "old\n", "exit 0 with the new file"),
        other => assert_eq!(now, "old\n", "{other:?}: a failure leaves the old file"),
    }
    assert_eq!(leftovers(&dir, &["version.json"]), Vec::<String>::new());
}

/// `-o` onto what is not a regular file: a folder is refused before anything is sent; a FIFO
/// (or /dev/null) is written straight to and stays what it is; a link is written through to
/// its file and stays a link; a temporary file a killed run left is removed by the next run.
#[test]
fn output_files_that_are_not_plain_files() {
    let f = Fixture::new();
    let config = f.config(&f.root_token("w", ""));
    let dir = f.path("out");
    std::fs::create_dir(&dir).unwrap();
    f.run(&["-c", &config, "-o", dir.to_str().unwrap(), "whm", "version"])
        .assert_failure(2, "is a folder");
    assert!(f.requests().is_empty(), "nothing was sent");

    let fifo = dir.join("fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    f.run(&[
        "-c",
        &config,
        "-o",
        fifo.to_str().unwrap(),
        "--jq",
        ".data.version",
        "whm",
        "version",
    ])
    .assert_code(0);
    assert_eq!(reader.join().unwrap(), "11.130.0.5\n");
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());

    let real = dir.join("2026-12-03.json");
    std::fs::write(&real, "old\n").unwrap();
    let link = dir.join("latest.json");
    std::os::unix::fs::symlink("2026-12-03.json", &link).unwrap();
    f.run(&[
        "-c",
        &config,
        "-o",
        link.to_str().unwrap(),
        "--jq",
        ".data.version",
        "whm",
        "version",
    ])
    .assert_code(0);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "11.130.0.5\n");

    // What a SIGKILL leaves (a temporary file nobody holds) goes with the next run there.
    std::fs::write(dir.join(".cpcall-Killed1.tmp"), "half an answer").unwrap();
    f.run(&[
        "-c",
        &config,
        "-o",
        real.to_str().unwrap(),
        "whm",
        "version",
    ])
    .assert_code(0);
    assert_eq!(
        leftovers(&dir, &["fifo", "2026-12-03.json", "latest.json"]),
        Vec::<String>::new()
    );
}

/// `> log 2>&1`: a broken answer is not cut back out of a file stderr shares, which would take
/// the -v trace and the error with it.
#[test]
fn a_log_shared_by_stdout_and_stderr_keeps_the_diagnostics() {
    let f = Fixture::with(Options {
        fault: Some(Fault::TruncatedJson),
        ..Options::default()
    });
    let config = f.config(&f.root_token("w", ""));
    let log = f.path("run.log");
    let file = std::fs::File::create(&log).unwrap();
    let status = f
        .cmd()
        .args(["-c", &config, "-v", "whm", "version"])
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(4));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("> POST /json-api/version"), "{text}");
    assert!(
        text.contains("cpcall: the server's answer is not valid JSON"),
        "{text}"
    );
    assert!(!text.contains("{\"metadata\""), "no half answer: {text}");
}
