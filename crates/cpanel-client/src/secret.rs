//! Secrets (access hashes, tokens, passwords, TOTP secrets, cookies) and where they come from.
//!
//! A [`Secret`] never prints its value through `Debug` or `Display`: the only way to the text is
//! [`Secret::expose`], which is called where a header or form field is built and nowhere else.

use std::fmt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::report::Voice;

/// A secret's text: never shown by `Debug` or `Display`, wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(zeroize::Zeroizing<String>);

impl Secret {
    /// A secret. The target that holds it masks it in what it says.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(zeroize::Zeroizing::new(value.into()))
    }

    /// The text, for the header or form field it goes into.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where a secret is read from: `NAME`, `NAME_file`, `NAME_env` or `NAME_command` in a profile.
#[non_exhaustive]
#[derive(Clone, PartialEq)]
pub enum Source {
    /// The secret itself.
    Value(Secret),
    /// A file holding it (a line break at its end is not part of it).
    File(PathBuf),
    /// An environment variable holding it.
    Env(String),
    /// A shell command printing it (`sh -c`), within the target's timeout.
    Command(String),
}

/// A command's text may hold a secret itself (`echo TOKEN`): Debug shows only its kind.
impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Value(secret) => write!(f, "Value({secret:?})"),
            Source::File(path) => write!(f, "File({path:?})"),
            Source::Env(name) => write!(f, "Env({name:?})"),
            Source::Command(_) => f.write_str("Command(***)"),
        }
    }
}

impl Source {
    /// Reads the secret; a command gets `timeout` to print it. `what` names it for messages
    /// (`token of profile "prod"`); the value itself never appears in an error.
    pub(crate) fn resolve(&self, what: &str, timeout: Duration, voice: &Voice) -> Result<Secret> {
        // A command's stderr is passed on when this returns: after its secret joined the mask,
        // so a script that echoes it (`set -x`) does not show it.
        let mut said = PassOn(Vec::new(), voice);
        let raw = match self {
            Source::Value(secret) => secret.expose().to_string(),
            Source::File(path) => read_file(path, what, voice)?,
            Source::Env(var) => match std::env::var(var) {
                Ok(v) => v,
                Err(std::env::VarError::NotPresent) => {
                    return Err(Error::config(format!(
                        "the {what} comes from ${var}, which is not set: export it or change the profile"
                    )))
                }
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(Error::config(format!("${var} (the {what}) is not valid UTF-8")))
                }
            },
            Source::Command(cmd) => run_command(cmd, what, timeout, &mut said.0)?,
        };
        if raw.len() > MAX_SECRET {
            return Err(Error::config(format!(
                "the {what} from {} is longer than {} KiB, the most a secret may be: point it at the secret alone",
                self.describe(),
                MAX_SECRET >> 10
            )));
        }
        let value = trim_line_end(&raw);
        if value.is_empty() {
            return Err(Error::config(format!(
                "the {what} from {} is empty: put the secret there",
                self.describe()
            )));
        }
        voice.hide(value);
        Ok(Secret::new(value))
    }

    /// Where the secret lives, for messages: never the value.
    pub fn describe(&self) -> String {
        match self {
            Source::Value(_) => "the config file".to_string(),
            Source::File(p) => p.display().to_string(),
            Source::Env(v) => format!("${v}"),
            // Its text may hold a secret itself (`echo TOKEN`, `curl -u user:pw …`).
            Source::Command(_) => "its command".to_string(),
        }
    }
}

/// The longest secret cpcall reads (an access hash is about 1 KiB): a source that gives more is
/// a mistake (`token_file = "/dev/zero"`), reported before memory runs out.
pub const MAX_SECRET: usize = 64 << 10;

/// A secret file: a regular file (a FIFO would block forever, a device never end), read up to
/// one byte past the limit.
fn read_file(path: &std::path::Path, what: &str, voice: &Voice) -> Result<String> {
    let text = crate::files::read_text(path, MAX_SECRET as u64).map_err(|e| {
        let fix = match e.kind() {
            std::io::ErrorKind::Other => "keep the secret alone in a regular file, or use a _command to read it from a program",
            _ => "fix the path or the file's permissions",
        };
        Error::config(format!(
            "cannot read the {what} from {}: {e}; {fix}",
            path.display()
        ))
    })?;
    if let Some(message) = crate::files::loose_mode(path, 0o600) {
        voice.warning(message);
    }
    Ok(text)
}

/// What a command wrote on stderr (a password manager's messages), passed on when dropped:
/// masked (its own secret included, once read) and escaped for the terminal.
struct PassOn<'a>(Vec<u8>, &'a Voice);

impl Drop for PassOn<'_> {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            self.1.passthrough(&String::from_utf8_lossy(&self.0));
        }
    }
}

/// The most of a command's stderr kept to pass on.
const MAX_SAID: usize = 64 << 10;

/// Files and commands end their output with a line break that is not part of the secret: one
/// is dropped; any other stays, and a token or hash holding it is refused (auth's
/// `header_safe`).
fn trim_line_end(s: &str) -> &str {
    crate::params::without_line_end(s)
}

fn run_command(cmd: &str, what: &str, timeout: Duration, said: &mut Vec<u8>) -> Result<String> {
    use std::io::Read;
    // stdout is the secret and is never echoed, not even when the command fails. Its stderr
    // (a password manager's messages) is passed on as it comes, escaped like all text cpcall
    // shows, through a pipe of ours: a command left running after the timeout then holds
    // that pipe, not the user's stderr (which would keep `cpcall … | tee` waiting).
    //
    // Without a terminal (cron) it runs in a process group of its own, so that a timeout ends
    // all it started (`sh -c 'vault … | jq …'`), not just `sh`. At a terminal it stays in
    // ours: a command that asks there (keepassxc-cli) must not be stopped as a background job.
    let own_group = !std::io::IsTerminal::is_terminal(&std::io::stdin());
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if own_group {
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
    }
    let started = std::time::Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| Error::config(format!("cannot run the command for the {what}: {e}")))?;
    let (passed_on, stderr_done) = std::sync::mpsc::channel::<()>();
    let kept = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    if let Some(mut err) = child.stderr.take() {
        let kept = kept.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = err.read(&mut chunk) {
                let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
                let room = MAX_SAID.saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..n.min(room)]);
            }
            drop(passed_on);
        });
    }
    // Its last words (briefly: a background child may keep the pipe open), whatever came.
    let collect = |said: &mut Vec<u8>| {
        let _ = stderr_done.recv_timeout(Duration::from_millis(200));
        *said = std::mem::take(&mut *kept.lock().unwrap_or_else(|e| e.into_inner()));
    };
    // Read on a thread so a command that hangs (a prompt nobody answers) is killed at the
    // timeout instead of holding cpcall forever.
    let too_slow = || {
        Error::config(format!(
            "the command for the {what} did not finish within {:.0} s: run it by hand to see why (or raise {})",
            timeout.as_secs_f64(),
            crate::Term::Timeout
        ))
    };
    let (tx, rx) = std::sync::mpsc::channel();
    if let Some(out) = child.stdout.take() {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let read = out.take(MAX_SECRET as u64 + 1).read_to_end(&mut bytes);
            let _ = tx.send(read.map(|_| bytes));
        });
    }
    let (stdout, read) = match rx.recv_timeout(timeout) {
        Ok(Ok(bytes)) => (bytes, Ok(())),
        Ok(Err(e)) => (Vec::new(), Err(e)),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            end_all(&mut child, own_group);
            collect(said);
            return Err(too_slow());
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => (Vec::new(), Ok(())),
    };
    if stdout.len() > MAX_SECRET {
        end_all(&mut child, own_group);
        collect(said);
        return Err(Error::config(format!(
            "the command for the {what} printed more than {} KiB, the most a secret may be: make it print the secret alone",
            MAX_SECRET >> 10
        )));
    }
    // A command that closed its stdout may still run (`echo T; exec 1>&-; sleep 30`): it too
    // has until the timeout, counted from its start.
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < timeout => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(None) => {
                end_all(&mut child, own_group);
                collect(said);
                return Err(too_slow());
            }
            Err(e) => {
                return Err(Error::config(format!(
                    "cannot run the command for the {what}: {e}"
                )))
            }
        }
    };
    collect(said);
    if let Err(e) = read {
        return Err(Error::config(format!(
            "cannot read the output of the command for the {what}: {e}"
        )));
    }
    if !status.success() {
        let status = status
            .code()
            .map_or_else(|| "a signal".to_string(), |c| format!("status {c}"));
        return Err(Error::config(format!(
            "the command for the {what} failed with {status}: run it by hand to see why"
        )));
    }
    String::from_utf8(stdout).map_err(|_| {
        Error::config(format!(
            "the command for the {what} printed bytes that are not UTF-8"
        ))
    })
}

/// Ends a command and all it started: its process group when it has one of its own, and
/// every descendant still running under it (one that moved to another group, too). Read
/// before anything dies: orphans are handed to init and could no longer be found.
fn end_all(child: &mut std::process::Child, own_group: bool) {
    use rustix::process::{kill_process, kill_process_group, Pid, Signal};
    let descendants = descendants(child.id());
    if let (true, Some(group)) = (own_group, Pid::from_raw(child.id() as i32)) {
        let _ = kill_process_group(group, Signal::KILL);
    }
    for pid in descendants
        .into_iter()
        .filter_map(|p| Pid::from_raw(p as i32))
    {
        let _ = kill_process(pid, Signal::KILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The processes below `pid`, from Linux's `/proc/PID/task/TID/children` (none elsewhere).
fn descendants(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let mut todo = vec![pid];
    while let Some(pid) = todo.pop() {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let children =
                std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
                if !found.contains(&child) && found.len() < 4096 {
                    found.push(child);
                    todo.push(child);
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(1);

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{:?}", Source::Value(s)), "Value(Secret(***))");
    }

    #[test]
    fn sources_resolve_and_trim_the_line_end() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tok");
        std::fs::write(&file, "abc\n").unwrap();
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        let cases = [
            (Source::Value(Secret::new("v1")), "v1"),
            (Source::File(file.clone()), "abc"),
            (Source::Command("printf 'xyz\\r\\n'".into()), "xyz"),
            (Source::Command("echo ' spaced '".into()), " spaced "),
            // One line break goes, not two: the second is the secret's, and refused later.
            (Source::Command("printf 'two\\n\\n'".into()), "two\n"),
            (Source::Command("printf 'cr\\r'".into()), "cr\r"),
        ];
        for (source, want) in cases {
            assert_eq!(
                source
                    .resolve("token", T, &crate::report::Voice::default())
                    .unwrap()
                    .expose(),
                want,
                "{source:?}"
            );
        }
    }

    #[test]
    fn failures_name_the_source_not_the_value() {
        let cases = [
            (
                Source::File("/nonexistent/cpcall".into()),
                "/nonexistent/cpcall",
            ),
            (
                Source::Env("CPCALL_TEST_SURELY_UNSET".into()),
                "$CPCALL_TEST_SURELY_UNSET",
            ),
            (
                Source::Command("echo $((6*7))topsecret; exit 3".into()),
                "status 3",
            ),
            (Source::Command("printf '\\n'".into()), "is empty"),
            (
                Source::File("/dev/zero".into()),
                "/dev/zero: it is not a regular file",
            ),
            (
                Source::Command("head -c 100000000 /dev/zero".into()),
                "more than 64 KiB",
            ),
            (
                Source::Command("sleep 30".into()),
                "did not finish within 1 s",
            ),
            // Its stdout closed, but still running: the timeout holds all the same.
            (
                Source::Command("echo TOKEN0123456789; exec 1>&-; sleep 30".into()),
                "did not finish within 1 s",
            ),
        ];
        for (source, want) in cases {
            let err = source
                .resolve("token", T, &crate::report::Voice::default())
                .unwrap_err();
            assert!(err.to_string().contains(want), "{source:?}: {err}");
            assert!(!err.to_string().contains("42topsecret"), "{err}");
            assert_eq!(*err.kind(), crate::ErrorKind::Config);
        }
    }
}
