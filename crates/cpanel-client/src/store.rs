//! Where a target keeps its sessions between calls, the lock that makes one login serve many
//! processes, and the mark a refused login leaves.
//!
//! A profile (the command line, `Client::profile`) keeps them in files in the state folder,
//! which `cpcall login` and later runs share. A target built in code keeps them in memory
//! unless it names a folder: a library client must not pick up, nor leave behind, sessions of
//! the command line's.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result, Term};
use crate::report::Voice;
use crate::session::Session;
use crate::target::{Origin, Target};

/// Where sessions are kept.
#[derive(Debug, Clone)]
pub enum Store {
    /// Files in a folder: `None` is the state folder (`$XDG_STATE_HOME/cpcall/sessions`).
    Files(Option<PathBuf>),
    /// In this process, shared by the target's clones; gone with them.
    Memory(Arc<Memory>),
}

impl Default for Store {
    fn default() -> Self {
        Store::Files(None)
    }
}

impl Store {
    /// A store in memory, for a target built in code.
    pub fn memory() -> Store {
        Store::Memory(Arc::default())
    }
}

/// Sessions, the login gate and refusal marks of a memory store.
#[derive(Debug, Default)]
pub struct Memory {
    sessions: Mutex<HashMap<String, Session>>,
    refused: Mutex<HashMap<String, Instant>>,
    busy: Mutex<bool>,
    freed: Condvar,
}

/// The key of a target's session, lock and refusal mark: the account and the server (user,
/// host, port, service), after the profile's name when it has one (`prod@root@host_2087_whm`).
/// Two config files' profiles of one name for different servers then keep apart: one's refused
/// login does not pause the other's, nor do they overwrite each other's session.
fn key(target: &Target, user: &str) -> String {
    let account = format!(
        "{user}@{}_{}_{}",
        target.host,
        target.port,
        target.service.name()
    );
    match &target.profile {
        Origin::AdHoc | Origin::Built => account,
        Origin::Named(name) => format!("{name}@{account}"),
    }
}

/// The state folder for sessions: the platform state (else cache) dir + `cpcall/sessions/`.
pub fn state_dir() -> Result<PathBuf> {
    dirs::state_dir()
        .or_else(dirs::cache_dir)
        .map(|d| d.join("cpcall").join("sessions"))
        .ok_or_else(|| {
            Error::local("cannot find a state or cache directory for sessions: set HOME")
        })
}

/// The folder of a file store, checked (when it exists) to be one nobody but this user or root
/// can change: in another user's folder (root with that user's HOME or XDG_STATE_HOME), a link
/// planted there would make cpcall replace, truncate or create any file.
fn folder(dir: &Option<PathBuf>) -> Result<PathBuf> {
    let dir = match dir {
        Some(dir) => dir.clone(),
        None => state_dir()?,
    };
    crate::files::check_folder(&dir, "the sessions folder")?;
    Ok(dir)
}

/// The folder of a file store, made (0700) if it is not there yet, and checked once made.
fn made_folder(dir: &Option<PathBuf>) -> Result<PathBuf> {
    let dir = folder(dir)?;
    crate::files::create_private_dir(&dir).map_err(|e| {
        Error::local(format!(
            "cannot make the sessions folder {}: {e}",
            dir.display()
        ))
    })?;
    crate::files::check_folder(&dir, "the sessions folder")?;
    Ok(dir)
}

/// The session file of a target in a file store (`PROFILE@USER@HOST_PORT_SERVICE.json`),
/// when it keeps files.
pub fn path(target: &Target, user: &str) -> Result<Option<PathBuf>> {
    let Store::Files(dir) = &target.sessions else {
        return Ok(None);
    };
    let key = key(target, user);
    // A name starting with `.` is written `%2E…`: no profile's file looks hidden, or like
    // cpcall's temporary files (`.cpcall-…`).
    let safe: String = key
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if c.is_ascii_alphanumeric() || "_-@".contains(c) || (c == '.' && i > 0) {
                c.to_string()
            } else {
                format!("%{:02X}", c as u32)
            }
        })
        .collect();
    // File names end at 255 bytes: a long name keeps its start and gets a digest for the rest.
    let safe = if safe.len() > 160 {
        let digest = crate::tls::sha256(safe.as_bytes());
        let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        format!("{}~{hex}", &safe[..120])
    } else {
        safe
    };
    Ok(Some(folder(dir)?.join(format!("{safe}.json"))))
}

/// The saved session of the target, if there is one made for this very host, port and user.
pub fn load(target: &Target, user: &str) -> Result<Option<Session>> {
    let found = match &target.sessions {
        Store::Memory(memory) => lock(&memory.sessions).get(&key(target, user)).cloned(),
        Store::Files(_) => {
            let Some(path) = path(target, user)? else {
                return Ok(None);
            };
            match read_file(&path, &target.voice)? {
                Some(text) => serde_json::from_str::<Session>(&text).ok(),
                None => return Ok(None),
            }
        }
    };
    // A damaged file or one for other settings is stale: the next login replaces it.
    Ok(found.filter(|s| s.belongs_to(target, user)))
}

fn read_file(path: &std::path::Path, voice: &Voice) -> Result<Option<String>> {
    match crate::files::read_private(path, 64 << 10) {
        Ok(text) => {
            let dir = path.parent().unwrap_or(path);
            for message in [
                crate::files::loose_mode(dir, 0o700),
                crate::files::loose_mode(path, 0o600),
            ]
            .into_iter()
            .flatten()
            {
                voice.warning(message);
            }
            Ok(Some(text))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::local(format!(
            "cannot read session file {}: {e}; remove it, then log in again",
            path.display()
        ))),
    }
}

/// Keeps the session: in memory, or as a file with mode 0600 in a 0700 folder, atomically
/// (temporary file + rename). The file's path, for a file store.
pub fn save(target: &Target, session: &Session) -> Result<Option<PathBuf>> {
    let dir = match &target.sessions {
        Store::Memory(memory) => {
            lock(&memory.sessions).insert(key(target, &session.user), session.clone());
            return Ok(None);
        }
        Store::Files(dir) => dir,
    };
    made_folder(dir)?;
    let Some(path) = path(target, &session.user)? else {
        return Ok(None);
    };
    let json = serde_json::to_vec_pretty(session)
        .map_err(|e| Error::local(format!("cannot encode the session: {e}")))?;
    crate::files::write_private(&path, &json)?;
    Ok(Some(path))
}

/// While a process (or thread) logs in for a profile, the others wait here and then use its
/// session: many cron jobs starting at once must not make many logins (cPHulk counts them).
/// For files, a lock file beside the session file, locked with `flock` (the kernel releases it
/// if the process dies); in memory, a gate.
pub enum LoginLock {
    File(std::fs::File),
    Memory(Arc<Memory>),
}

/// Takes the login lock of the target's session, waiting for another login at most the
/// target's timeout.
pub fn login_lock(target: &Target, user: &str) -> Result<LoginLock> {
    let deadline = Instant::now() + target.timeout;
    let busy = || {
        Error::new(
            ErrorKind::Timeout,
            format!(
                "another {} has been logging in to {} for {:.0} s: try again later",
                Term::Program,
                target.describe(),
                target.timeout.as_secs_f64()
            ),
        )
    };
    let dir = match &target.sessions {
        Store::Memory(memory) => {
            let mut taken = lock(&memory.busy);
            while *taken {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(busy());
                }
                taken = memory
                    .freed
                    .wait_timeout(taken, left)
                    .map(|(guard, _)| guard)
                    .unwrap_or_else(|e| e.into_inner().0);
            }
            *taken = true;
            return Ok(LoginLock::Memory(memory.clone()));
        }
        Store::Files(dir) => dir,
    };
    made_folder(dir)?;
    let path = path(target, user)?
        .unwrap_or_default()
        .with_extension("lock");
    let fail = |e: &dyn std::fmt::Display| {
        Error::local(format!("cannot use lock file {}: {e}", path.display()))
    };
    let file = crate::files::open_private(&path, false).map_err(|e| fail(&e))?;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(LoginLock::File(file)),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(25));
            }
            Err(std::fs::TryLockError::WouldBlock) => return Err(busy()),
            Err(std::fs::TryLockError::Error(e)) => return Err(fail(&e)),
        }
    }
}

impl Drop for LoginLock {
    fn drop(&mut self) {
        match self {
            LoginLock::File(file) => {
                let _ = file.unlock();
            }
            LoginLock::Memory(memory) => {
                *lock(&memory.busy) = false;
                memory.freed.notify_one();
            }
        }
    }
}

/// Automatic logins of a profile stop this long after one was refused, so that neither the
/// processes that waited for the lock nor the next cron runs feed cPHulk (5 failures in 15
/// minutes lock the IP).
pub const REFUSAL_PAUSE: Duration = Duration::from_secs(15 * 60);

/// Notes a refused login: a mark beside the session file (`PROFILE.refused`), or in memory.
pub fn note_refusal(target: &Target, user: &str) {
    let dir = match &target.sessions {
        Store::Memory(memory) => {
            lock(&memory.refused).insert(key(target, user), Instant::now());
            return;
        }
        Store::Files(dir) => dir,
    };
    let Ok(Some(path)) = made_folder(dir).and_then(|_| path(target, user)) else {
        return;
    };
    // Written, not just opened: the mark's time is what counts.
    let _ = crate::files::open_private(&path.with_extension("refused"), true)
        .and_then(|mut file| std::io::Write::write_all(&mut file, b"refused\n"));
}

/// How long ago an automatic login of the target was refused, within [`REFUSAL_PAUSE`], and
/// what to delete to try sooner (the mark file; nothing for a memory store).
pub fn recent_refusal(target: &Target, user: &str) -> Result<Option<(Duration, Option<PathBuf>)>> {
    let (ago, mark) = match &target.sessions {
        Store::Memory(memory) => match lock(&memory.refused).get(&key(target, user)) {
            Some(when) => (when.elapsed(), None),
            None => return Ok(None),
        },
        Store::Files(_) => {
            let Some(mark) = path(target, user)?.map(|p| p.with_extension("refused")) else {
                return Ok(None);
            };
            let Ok(meta) = std::fs::symlink_metadata(&mark) else {
                return Ok(None);
            };
            // A link where a mark goes is an error, as for a session file or a lock: its date
            // is whatever file it points at.
            if meta.file_type().is_symlink() {
                return Err(Error::local(format!(
                    "{} is a symbolic link, and {} follows none for its state files: remove it",
                    mark.display(),
                    Term::Program
                )));
            }
            let Ok(modified) = meta.modified() else {
                return Ok(None);
            };
            let ago = match modified.elapsed() {
                Ok(ago) => ago,
                // Dated in the future (the clock was set back): the refusal is taken as now,
                // and the mark rewritten, so the pause ends 15 minutes from now, not later.
                Err(_) => {
                    let _ = crate::files::open_private(&mark, true)
                        .and_then(|mut file| std::io::Write::write_all(&mut file, b"refused\n"));
                    Duration::ZERO
                }
            };
            (ago, Some(mark))
        }
    };
    Ok((ago < REFUSAL_PAUSE).then_some((ago, mark)))
}

pub fn clear_refusal(target: &Target, user: &str) {
    match &target.sessions {
        Store::Memory(memory) => {
            lock(&memory.refused).remove(&key(target, user));
        }
        Store::Files(_) => {
            if let Ok(Some(path)) = path(target, user) {
                let _ = std::fs::remove_file(path.with_extension("refused"));
            }
        }
    }
}

/// Removes the saved session if it is still `dead` (another process may have replaced it).
pub fn remove_if(target: &Target, dead: &Session) -> Result<()> {
    let _lock = login_lock(target, &dead.user)?;
    if load(target, &dead.user)?.as_ref() == Some(dead) {
        remove(target, &dead.user)?;
    }
    Ok(())
}

/// Whether there was a saved session to remove.
pub fn remove(target: &Target, user: &str) -> Result<bool> {
    if let Store::Memory(memory) = &target.sessions {
        return Ok(lock(&memory.sessions).remove(&key(target, user)).is_some());
    }
    let Some(path) = path(target, user)? else {
        return Ok(false);
    };
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::local(format!(
            "cannot remove session file {}: {e}",
            path.display()
        ))),
    }
}

/// Sessions in temporary files of interrupted saves (`.cpcall-….tmp` in the sessions folder)
/// made for this target: `logout` ends them too. (The next save removes such files anyway.)
pub fn leftovers(target: &Target) -> Result<Vec<(PathBuf, Session)>> {
    let (Some(user), Store::Files(dir)) = (target.user.as_deref(), &target.sessions) else {
        return Ok(Vec::new());
    };
    Ok(temporary_files(dir)?
        .into_iter()
        .filter_map(|path| {
            let text = crate::files::read_private(&path, 64 << 10).ok()?;
            let session: Session = serde_json::from_str(&text).ok()?;
            session.belongs_to(target, user).then_some((path, session))
        })
        .collect())
}

/// Deletes a leftover; a file that cannot be deleted stays for the next sweep.
pub fn discard(path: &std::path::Path) {
    let _ = std::fs::remove_file(path);
}

/// cpcall's temporary files in the sessions folder that no live process holds: saves a
/// SIGKILL or a power cut interrupted (a signal is cleaned up).
fn temporary_files(dir: &Option<PathBuf>) -> Result<Vec<PathBuf>> {
    let Ok(entries) = std::fs::read_dir(folder(dir)?) else {
        return Ok(Vec::new());
    };
    Ok(entries
        .flatten()
        .filter(|e| crate::files::is_temp_name(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .filter(|p| crate::files::is_dead_temp(p))
        .collect())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
