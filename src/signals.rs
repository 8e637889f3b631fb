//! Ctrl-C, SIGTERM, SIGHUP (and SIGQUIT, SIGUSR1/2, SIGALRM, SIGXCPU, SIGXFSZ) leave nothing
//! behind: the temporary file of a write in progress
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

/// Temporary files being written right now, with their paths as C strings made in advance
/// for the stack-overflow handler (which may not allocate).
static TEMP_FILES: Mutex<Vec<(PathBuf, std::ffi::CString)>> = Mutex::new(Vec::new());
/// A signal arrived: no temporary file is renamed into place any more.
static SIGNALLED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// The run's output file is in place: a signal now lets the run end as it was ending (exit 0),
/// since its promise — the file replaced only on success — is already kept.
static COMMITTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// The terminal's settings before a hidden prompt turned echo off.
static TERMINAL: Mutex<Option<(std::fs::File, Termios)>> = Mutex::new(None);

/// Starts the thread that cleans up on the signals that end a process. Idempotent.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        watch_library_files();
        catch_filter_overflow();
        use signal_hook::consts::*;
        // Every signal whose default action ends the process and that a handler may catch.
        let ending = [
            SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGXCPU, SIGXFSZ,
        ];
        let Ok(mut signals) = signal_hook::iterator::Signals::new(ending) else {
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
        // Files first, then the folders tracked before them (a page in its private folder).
        for (path, _) in files.iter().rev() {
            let _ = std::fs::remove_file(path).or_else(|_| std::fs::remove_dir(path));
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
    use std::os::unix::ffi::OsStrExt;
    let Ok(c_path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return;
    };
    if let Ok(mut files) = TEMP_FILES.lock() {
        files.push((path.to_path_buf(), c_path));
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
        files.retain(|(p, _)| p != path);
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

/// How many `--jq` filters are running now (each on a thread of its own, with a big stack).
static JQ_RUNNING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The SIGSEGV and SIGBUS handlers before ours (Rust's stack-overflow report), for faults
/// that are not a filter's.
static PREVIOUS: std::sync::OnceLock<[libc::sigaction; 2]> = std::sync::OnceLock::new();

/// How many `--jq` filters run now.
pub fn filters_running() -> usize {
    JQ_RUNNING.load(std::sync::atomic::Ordering::SeqCst)
}

/// Marks a `--jq` filter as running while it lives.
pub struct JqRunning(());

impl JqRunning {
    pub fn start() -> JqRunning {
        JQ_RUNNING.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        JqRunning(())
    }
}

impl Drop for JqRunning {
    fn drop(&mut self) {
        JQ_RUNNING.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A `--jq` filter that recurses without end (`def f: [f]; f`) exhausts its thread's stack,
/// which no Rust code can catch: the process would abort (exit 134) and leave `-o`'s temporary
/// file. While a filter runs, a stack fault instead removes the temporary files and ends the
/// run with exit 2 and a one-line reason. Other faults go to the handler that was there.
fn catch_filter_overflow() {
    let mut previous: [libc::sigaction; 2] = unsafe { std::mem::zeroed() };
    for (signal, old) in [libc::SIGSEGV, libc::SIGBUS]
        .into_iter()
        .zip(previous.iter_mut())
    {
        // SAFETY: a handler that only reads atomics and pre-made C strings and makes
        // async-signal-safe calls (unlink, write, _exit, sigaction); it runs on the alternate
        // signal stack Rust gives every thread.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_fault as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            if libc::sigaction(signal, &action, old) != 0 {
                return;
            }
        }
    }
    let _ = PREVIOUS.set(previous);
}

extern "C" fn on_fault(signal: libc::c_int, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    if JQ_RUNNING.load(std::sync::atomic::Ordering::SeqCst) > 0 {
        if let Ok(files) = TEMP_FILES.try_lock() {
            for (_, c_path) in files.iter() {
                // SAFETY: a NUL-terminated path made when the file was tracked.
                unsafe { libc::unlink(c_path.as_ptr()) };
            }
        }
        let say = b"cpcall: the --jq filter recursed too deep and ran out of stack (a recursion without a base case?): the run ends here, and calls it already made (batch lines, other profiles) may have run: check them, and fix the filter\n";
        // SAFETY: write and _exit are async-signal-safe.
        unsafe {
            libc::write(2, say.as_ptr().cast(), say.len());
            libc::_exit(2);
        }
    }
    // Not a filter's: the handler before takes the fault when it happens again on return.
    if let Some(previous) = PREVIOUS.get() {
        let old = match signal {
            libc::SIGSEGV => &previous[0],
            _ => &previous[1],
        };
        // SAFETY: restores a sigaction read from the kernel.
        unsafe { libc::sigaction(signal, old, std::ptr::null_mut()) };
    }
}
