//! Ctrl-C, SIGTERM and SIGHUP leave nothing behind: the temporary file of a write in progress
//! (it may hold a session cookie) is removed, and a terminal put in no-echo mode for a password
//! prompt gets its echo back. Then the process dies of the same signal, as it would have.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

use rustix::termios::{self, LocalModes, OptionalActions, Termios};

use crate::error::{Error, Result};

/// The length stdout's file had before an answer was written into it as it arrived
/// (output::Direct): a signal cuts it back, so no half answer stays in the file.
static STDOUT_CUT: Mutex<Option<u64>> = Mutex::new(None);

/// Temporary files being written right now.
static TEMP_FILES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// A signal arrived: no temporary file is renamed into place any more.
static SIGNALLED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// The run's output file is in place: a signal now lets the run end as it was ending (exit 0),
/// since its promise — the file replaced only on success — is already kept.
static COMMITTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// The terminal's settings before a hidden prompt turned echo off.
static TERMINAL: Mutex<Option<(std::fs::File, Termios)>> = Mutex::new(None);

/// Starts the thread that cleans up on SIGINT, SIGTERM and SIGHUP. Idempotent.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        watch_library_files();
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        let _ = std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    // Decided under the temporary files' lock, which a rename into place holds.
                    {
                        let _files = TEMP_FILES.lock().unwrap_or_else(|e| e.into_inner());
                        if COMMITTED.load(std::sync::atomic::Ordering::SeqCst) {
                            return;
                        }
                        SIGNALLED.store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                    // Held until the process is gone: no thread writes stdout after its cut.
                    let _stdout = clean_up();
                    let _ = signal_hook::low_level::emulate_default_handler(signal);
                    std::process::exit(128 + signal);
                }
            });
    });
}

/// Undoes what a signal must not leave behind, and returns stdout's gate, locked: whoever holds
/// it is the last to touch stdout's file.
fn clean_up() -> std::sync::MutexGuard<'static, Option<u64>> {
    let cut = STDOUT_CUT.lock().unwrap_or_else(|e| e.into_inner());
    if let Ok(mut terminal) = TERMINAL.lock() {
        if let Some((tty, saved)) = terminal.take() {
            let _ = termios::tcsetattr(&tty, OptionalActions::Now, &saved);
            let _ = (&tty).write_all(b"\n");
        }
    }
    if let Ok(files) = TEMP_FILES.lock() {
        for path in files.iter() {
            let _ = std::fs::remove_file(path);
        }
    }
    if let Some(len) = *cut {
        let stdout = rustix::stdio::stdout();
        let _ = rustix::fs::ftruncate(stdout, len);
        let _ = rustix::fs::seek(stdout, rustix::fs::SeekFrom::Start(len));
    }
    cut
}

/// Writes to stdout's file (output::Direct) behind the gate a signal's clean-up takes: a write
/// is either done before the file is cut back, or never done.
pub fn write_stdout_file(file: &mut std::fs::File, buf: &[u8]) -> std::io::Result<usize> {
    let _gate = STDOUT_CUT.lock().unwrap_or_else(|e| e.into_inner());
    file.write(buf)
}

/// A signal from now on cuts stdout's file back to `len`.
pub fn cut_stdout_on_signal(len: u64) {
    if let Ok(mut cut) = STDOUT_CUT.lock() {
        *cut = Some(len);
    }
}

/// The answer on stdout is whole and judged: a signal leaves it.
pub fn keep_stdout() {
    if let Ok(mut cut) = STDOUT_CUT.lock() {
        *cut = None;
    }
}

/// Marks `path` as a temporary file to remove if a signal ends the process before
/// [`forget_temp`].
pub fn track_temp(path: &Path) {
    if let Ok(mut files) = TEMP_FILES.lock() {
        files.push(path.to_path_buf());
    }
}

/// Runs `rename` (a temporary file renamed into place) unless a signal arrived: a signal
/// either comes first and the file stays out of place, or after, and then (for the run's
/// `last` step, its `-o` file) lets the run end as it was ending. When a signal came first,
/// this waits for its clean-up to end the process.
pub fn unless_signalled<T>(last: bool, rename: impl FnOnce() -> T) -> T {
    use std::sync::atomic::Ordering::SeqCst;
    let files = TEMP_FILES.lock().unwrap_or_else(|e| e.into_inner());
    if SIGNALLED.load(SeqCst) {
        // The signal's thread is cleaning up and ends the process as the signal would have:
        // waiting for it keeps the exit the signal's (143), not an error of ours.
        drop(files);
        loop {
            std::thread::park();
        }
    }
    let done = rename();
    if last {
        COMMITTED.store(true, SeqCst);
    }
    done
}

pub fn forget_temp(path: &Path) {
    if let Ok(mut files) = TEMP_FILES.lock() {
        files.retain(|p| p != path);
    }
}

/// Asks on the terminal (`/dev/tty`) with echo off, and returns the line typed. Echo comes
/// back afterwards, and also when Ctrl-C interrupts the question.
pub fn hidden_prompt(question: &str) -> Result<String> {
    let fail =
        |e: &dyn std::fmt::Display| Error::usage(format!("cannot read from the terminal: {e}"));
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|e| fail(&e))?;
    let saved = termios::tcgetattr(&tty).map_err(|e| fail(&e))?;
    let mut quiet = saved.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    quiet.local_modes.insert(LocalModes::ECHONL);
    if let Ok(mut terminal) = TERMINAL.lock() {
        *terminal = Some((tty.try_clone().map_err(|e| fail(&e))?, saved.clone()));
    }
    (&tty)
        .write_all(question.as_bytes())
        .and_then(|()| (&tty).flush())
        .map_err(|e| fail(&e))?;
    let answer = termios::tcsetattr(&tty, OptionalActions::Flush, &quiet)
        .map_err(|e| fail(&e))
        .and_then(|()| {
            let mut line = String::new();
            let read = std::io::BufReader::new(&tty)
                .read_line(&mut line)
                .map_err(|e| fail(&e))?;
            if read == 0 {
                // Ctrl-D: the person gave up; nothing is sent.
                return Err(Error::usage("no answer (end of input): nothing sent"));
            }
            Ok(line)
        });
    let _ = termios::tcsetattr(&tty, OptionalActions::Now, &saved);
    if let Ok(mut terminal) = TERMINAL.lock() {
        *terminal = None;
    }
    Ok(answer?.trim_end_matches(['\n', '\r']).to_string())
}

/// The library's temporary files, tracked for the clean-up ([`cpanel_client::files::TempFiles`]).
struct Watcher;

impl cpanel_client::files::TempFiles for Watcher {
    fn made(&self, path: &Path) {
        track_temp(path);
    }
    fn gone(&self, path: &Path) {
        forget_temp(path);
    }
    fn rename(
        &self,
        last: bool,
        rename: &mut dyn FnMut() -> cpanel_client::Result<()>,
    ) -> cpanel_client::Result<()> {
        unless_signalled(last, rename)
    }
}

/// Hands the library the watcher of its temporary files.
pub fn watch_library_files() {
    cpanel_client::files::watch_temp_files(&Watcher);
}
