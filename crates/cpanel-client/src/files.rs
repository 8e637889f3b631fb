//! The files cpcall writes, written so that nothing is lost and nobody else can steer them.
//!
//! - Atomic: a temporary file in the same folder, synced, then renamed over the target; a crash
//!   leaves the old file or the new one, never half of one.
//! - Safe folders: a file is written (or a state file read) only in a folder that nobody but
//!   the running user or root can change, up to `/`: in a folder another user owns or can write,
//!   they could swap in a link and make cpcall (root, in a cron job) replace any file.
//! - State files (sessions, locks, marks) are never opened through a link and are created
//!   0600 whatever the umask; config edits are locked, re-read under the lock, and keep the
//!   file's mode and owner, so parallel edits are all kept.

use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result, Term};

/// A program that cleans up when a signal ends it learns here of the temporary files this
/// crate makes (to remove them on the signal), and runs each rename over a file, so that none
/// happens once the signal came ([`watch_temp_files`]). Without one, temporary files are
/// removed when dropped, as ever, and a signal may leave one behind.
pub trait TempFiles: Send + Sync {
    /// A temporary file was made at `path`.
    fn made(&self, path: &Path);
    /// The temporary file at `path` is gone (renamed, or removed).
    fn gone(&self, path: &Path);
    /// Runs `rename` unless the process is ending on a signal; `last`: it is the run's last
    /// step (after it, a signal no longer makes the run a failure).
    fn rename(&self, last: bool, rename: &mut dyn FnMut() -> Result<()>) -> Result<()>;
}

static WATCHER: std::sync::OnceLock<&'static dyn TempFiles> = std::sync::OnceLock::new();

/// Installs the process's [`TempFiles`] watcher, once (later calls change nothing): a
/// program's signal handling is the program's, so this is its choice, made in `main`.
pub fn watch_temp_files(watcher: &'static dyn TempFiles) {
    let _ = WATCHER.set(watcher);
}

/// A file being written beside `path`, put in its place only by [`Pending::commit`]: until
/// then (and for ever, on any failure) the old file is untouched. The temporary file is made
/// exclusively, mode 0600, in the same folder (so the rename is atomic), and removed when
/// dropped uncommitted or when a signal ends cpcall.
pub struct Pending {
    /// Taken by `commit`.
    file: Option<tempfile::NamedTempFile>,
    target: PathBuf,
    /// The old file's mode, owner and group, kept by the new one.
    keep: Option<(u32, u32, u32)>,
}

impl Pending {
    /// For the file at `path` (a link there is replaced, not followed): its mode and owner
    /// are kept unless `private` (0600); a new file is 0600. A file of another user's is
    /// refused unless cpcall runs as root: rewriting it would make it the runner's.
    pub fn beside(path: &Path, private: bool) -> Result<Pending> {
        let fail = |e: &dyn std::fmt::Display| {
            Error::local(format!("cannot write {}: {e}", path.display()))
        };
        let old = std::fs::metadata(path).ok().filter(|m| m.is_file());
        if let Some(old) = &old {
            let me = rustix::process::geteuid().as_raw();
            if me != 0 && old.uid() != me {
                return Err(Error::local(format!(
                    "cannot write {}: it belongs to user {}, and rewriting it would make it yours: {}",
                    path.display(),
                    old.uid(),
                    Term::RunAs
                )));
            }
        }
        let keep = old.map(|m| {
            let mode = if private { 0o600 } else { m.mode() & 0o7777 };
            (mode, m.uid(), m.gid())
        });
        let dir = folder_of(path);
        sweep_dead(dir);
        let file = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .suffix(".tmp")
            .permissions(std::fs::Permissions::from_mode(0o600))
            .tempfile_in(dir)
            .map_err(|e| fail(&e))?;
        // Locked while it lives: a temporary file nobody holds is a killed run's, and goes.
        let _ = file.as_file().try_lock();
        // Ctrl-C before the rename must not leave a copy of a secret behind.
        if let Some(w) = WATCHER.get() {
            w.made(file.path());
        }
        Ok(Pending {
            file: Some(file),
            target: path.to_path_buf(),
            keep,
        })
    }

    /// Where the new content goes.
    pub fn file(&mut self) -> &mut std::fs::File {
        match &mut self.file {
            Some(file) => file.as_file_mut(),
            None => unreachable!("a committed Pending is gone"),
        }
    }

    /// Gives the new file the old one's mode and owner, syncs it, and renames it over the
    /// old one; the folder is synced too, so the rename is durable.
    pub fn commit(self) -> Result<()> {
        self.commit_as(false)
    }

    /// [`Pending::commit`] as the run's last step (`-o FILE`): once the file is in place, a
    /// signal no longer makes the run a failure.
    pub fn commit_last(self) -> Result<()> {
        self.commit_as(true)
    }

    fn commit_as(mut self, last: bool) -> Result<()> {
        let target = self.target.clone();
        let fail = |e: &dyn std::fmt::Display| {
            Error::local(format!("cannot write {}: {e}", target.display()))
        };
        let Some(temp_file) = self.file.take() else {
            return Ok(());
        };
        let file = temp_file.as_file();
        let finished = match self.keep {
            Some((mode, uid, gid)) => (|| {
                // root rewriting a user's file must leave it the user's.
                let meta = file.metadata()?;
                if (meta.uid(), meta.gid()) != (uid, gid) {
                    rustix::fs::fchown(
                        file,
                        Some(rustix::process::Uid::from_raw(uid)),
                        Some(rustix::process::Gid::from_raw(gid)),
                    )?;
                }
                // After the owner: chown clears set-id bits.
                file.set_permissions(std::fs::Permissions::from_mode(mode))
            })(),
            None => file.set_permissions(std::fs::Permissions::from_mode(0o600)),
        };
        finished
            .and_then(|()| file.sync_all())
            .map_err(|e| fail(&e))?;
        let temp = temp_file.path().to_path_buf();
        let dir = folder_of(&target).to_path_buf();
        let mut temp_file = Some(temp_file);
        let mut rename = || match temp_file.take() {
            Some(t) => t.persist(&target).map(|_| ()).map_err(|e| fail(&e.error)),
            None => Ok(()),
        };
        let renamed = match WATCHER.get() {
            Some(w) => w.rename(last, &mut rename),
            None => rename(),
        };
        if let Some(w) = WATCHER.get() {
            w.gone(&temp);
        }
        renamed?;
        // The rename is durable once the folder is.
        std::fs::File::open(&dir)
            .and_then(|folder| folder.sync_all())
            .map_err(|e| fail(&e))
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let (Some(file), Some(w)) = (&self.file, WATCHER.get()) {
            w.gone(file.path());
        }
    }
}

/// Writes a state file (a session) atomically, mode 0600, in `path`'s folder, which the caller
/// has checked ([`check_folder`]). A link at `path` is replaced, never followed.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut pending = Pending::beside(path, true)?;
    pending
        .file()
        .write_all(bytes)
        .map_err(|e| Error::local(format!("cannot write {}: {e}", path.display())))?;
    pending.commit()
}

/// How cpcall's temporary files start (`.cpcall-XXXXXX.tmp`), beside the file they replace.
pub const TEMP_PREFIX: &str = ".cpcall-";

/// Whether `name` is one of cpcall's temporary files.
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX) && name.ends_with(".tmp")
}

/// Whether the temporary file at `path` (cpcall's, this user's) is a dead run's: nobody holds
/// its lock. A SIGKILL or a power cut leaves such files; they may hold a config's secrets or
/// an answer's accounts.
pub fn is_dead_temp(path: &Path) -> bool {
    let me = rustix::process::geteuid().as_raw();
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    if !meta.is_file() || meta.uid() != me {
        return false;
    }
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
        .is_ok_and(|f| f.try_lock().is_ok())
}

/// Removes the dead temporary files of cpcall's in `dir` (this user's only).
fn sweep_dead(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if is_temp_name(&entry.file_name().to_string_lossy()) && is_dead_temp(&path) {
            let _ = std::fs::remove_file(&path);
        }
    }
}

fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The largest config file an edit reads (as [`crate::profiles`] does).
const MAX_EDITED: u64 = 4 << 20;

/// How long an edit waits for another cpcall editing the same config.
const EDIT_WAIT: Duration = Duration::from_secs(10);

/// Changes the config file at `path`: under a lock on its folder (other cpcall processes
/// editing it wait), `change` gets the file's text as it is now (`None`: no file yet) and
/// returns the new text, which is written atomically, the file's owner kept and its mode too
/// unless `private` (0600; a new file is 0600). Parallel edits are all kept, or fail loudly.
///
/// A symbolic link (dotfile managers keep configs that way) is written through: the file it
/// points to is replaced in its own folder (which must be safe), and the link stays a link.
pub fn edit<E: From<Error>>(
    path: &Path,
    private: bool,
    mut change: impl FnMut(Option<String>) -> std::result::Result<String, E>,
) -> std::result::Result<(), E> {
    let fail = |e: &dyn std::fmt::Display| {
        E::from(Error::local(format!(
            "cannot update {}: {e}",
            path.display()
        )))
    };
    let real = follow_links(path).map_err(|e| fail(&e))?;
    let dir = folder_of(&real);
    create_private_dir(dir).map_err(|e| fail(&e))?;
    check_folder(dir, "the config file's folder").map_err(E::from)?;
    let _lock = lock_folder(dir).map_err(|e| fail(&e))?;
    // The lock keeps other cpcall runs out, not an editor or a script: if the file changed
    // between reading it and putting the new one in its place, the edit starts over on what
    // is there now, so their change is kept too (or, changing all the while, this one fails).
    for _ in 0..5 {
        let before = stamp(&real);
        let old = match read_text(&real, MAX_EDITED) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(fail(&e)),
        };
        let new = keep_style(old.as_deref(), change(old.clone())?);
        let mut pending = Pending::beside(&real, private).map_err(E::from)?;
        pending
            .file()
            .write_all(new.as_bytes())
            .map_err(|e| fail(&e))?;
        if stamp(&real) != before {
            continue;
        }
        return pending.commit().map_err(E::from);
    }
    Err(fail(&format!("it kept changing while {} edited it (another program writes it): try again when it is done", Term::Program)))
}

/// The new text written as the old one was: with its byte-order mark, and with CRLF line
/// ends when the old one had them (an editor on Windows, a file from a Windows share): a line
/// cpcall adds is then like the others.
fn keep_style(old: Option<&str>, new: String) -> String {
    let Some(old) = old else { return new };
    let bom = old.starts_with('\u{feff}');
    let crlf = old.contains("\r\n");
    let mut new = new.trim_start_matches('\u{feff}').to_string();
    if crlf {
        new = new.replace("\r\n", "\n").replace('\n', "\r\n");
    }
    if bom {
        new.insert(0, '\u{feff}');
    }
    new
}

/// What tells one version of a file from the next: its inode, size and modification time.
fn stamp(path: &Path) -> Option<(u64, u64, i64, i64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.ino(), meta.size(), meta.mtime(), meta.mtime_nsec()))
}

/// An exclusive `flock` on the folder itself (no lock file left behind), waited for at most
/// [`EDIT_WAIT`]; released when the file is dropped or the process dies.
fn lock_folder(dir: &Path) -> std::io::Result<std::fs::File> {
    let lock = std::fs::File::open(dir)?;
    let deadline = Instant::now() + EDIT_WAIT;
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(lock),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(std::io::Error::other(format!(
                    "another {} has been editing it for {} s; try again",
                    Term::Program,
                    EDIT_WAIT.as_secs()
                )))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
    }
}

/// Fails (exit 2, with the fix) unless nobody but the running user or root can change what
/// lies in `dir`: every folder from it up to `/`, as written and with links resolved, must be
/// owned by the user or root and not writable by group or others, except a sticky folder
/// owned by root (`/tmp`), where others cannot touch what is ours. Folders not made yet are
/// skipped: cpcall makes them itself, 0700. `what` names the folder for the message.
pub fn check_folder(dir: &Path, what: &str) -> Result<()> {
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut chains = vec![absolute.clone()];
    if let Ok(real) = std::fs::canonicalize(&absolute) {
        if real != absolute {
            chains.push(real);
        }
    }
    for folder in chains.iter().flat_map(|c| c.ancestors()) {
        let Ok(meta) = std::fs::symlink_metadata(folder) else {
            continue;
        };
        // A link is as safe as the folder it sits in, which is checked next.
        if meta.file_type().is_symlink() {
            continue;
        }
        let (owner, mode) = (meta.uid(), meta.mode());
        let sticky_root = owner == 0 && mode & 0o1000 != 0;
        let (why, fix) = if foreign(owner) {
            (
                format!(
                    "{} belongs to user {owner}, not to you or root",
                    folder.display()
                ),
                format!("use a folder of your own, or {}", Term::RunAs),
            )
        } else if mode & 0o022 != 0 && !sticky_root {
            let who = if mode & 0o002 != 0 {
                "anyone"
            } else {
                "its group"
            };
            (
                format!(
                    "{} can be written by {who} (mode {:03o})",
                    folder.display(),
                    mode & 0o777
                ),
                format!("run chmod go-w {}", folder.display()),
            )
        } else {
            continue;
        };
        return Err(Error::local(format!(
            "{what} {} is not safe to use: {why}, so another user could make {} replace or read other files; {fix}",
            dir.display(),
            Term::Program
        )));
    }
    Ok(())
}

/// Fails (exit 2, with the fix) unless nobody but the running user or root can change the file
/// at `path`: the file itself (links resolved) owned by the user or root and not writable by
/// group or others, and its folders as [`check_folder`] says. For files that decide whom
/// cpcall trusts (`ca_file`): whoever can replace one can read every call.
pub fn check_file(path: &Path, what: &str) -> Result<()> {
    // Not a regular file (a device, a FIFO): the reader refuses it, saying so.
    if let Some(meta) = std::fs::metadata(path).ok().filter(|m| m.is_file()) {
        let (owner, mode) = (meta.uid(), meta.mode());
        let why = if foreign(owner) {
            Some((
                format!("it belongs to user {owner}, not to you or root"),
                format!("copy it to a folder of your own, or {}", Term::RunAs),
            ))
        } else if mode & 0o022 != 0 {
            Some((
                format!("it can be written by others (mode {:03o})", mode & 0o777),
                format!("run chmod go-w {}", path.display()),
            ))
        } else {
            None
        };
        if let Some((why, fix)) = why {
            return Err(Error::local(format!(
                "{what} {} is not safe to use: {why}, so another user could make {} trust their server; {fix}",
                path.display(),
                Term::Program
            )));
        }
    }
    let mut folders: Vec<PathBuf> = path.parent().map(Path::to_path_buf).into_iter().collect();
    if let Some(real) = std::fs::canonicalize(path)
        .ok()
        .and_then(|r| r.parent().map(Path::to_path_buf))
    {
        folders.push(real);
    }
    for folder in folders.iter().filter(|f| !f.as_os_str().is_empty()) {
        check_folder(folder, &format!("the folder of {what}"))?;
    }
    Ok(())
}

/// Opens (creating it 0600, whatever the umask) a state file for writing, never through a
/// link: a lock or a mark, in a checked folder.
pub fn open_private(path: &Path, truncate: bool) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(truncate)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
        .map_err(not_a_link)
}

/// Reads a state file (a session) as [`read_text`] does, but never through a link.
pub fn read_private(path: &Path, limit: u64) -> std::io::Result<String> {
    // O_NONBLOCK: opening a FIFO planted where the file goes must not wait for a writer.
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32)
        .open(path)
        .map_err(not_a_link)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("it is not a regular file"));
    }
    read_text_from(&mut file, limit)
}

/// `O_NOFOLLOW`'s ELOOP, in words.
fn not_a_link(e: std::io::Error) -> std::io::Error {
    if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
        return std::io::Error::other(format!(
            "it is a symbolic link, and {} follows none for its state files: remove it",
            Term::Program
        ));
    }
    e
}

/// The file a chain of symbolic links ends at (`path` itself when it is not a link); the end
/// need not exist yet. Only links of the runner's or root's are followed (as the kernel's
/// protected_symlinks does in sticky folders): another user's link could point anywhere.
pub fn follow_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() && foreign(meta.uid()) => {
                return Err(std::io::Error::other(format!(
                    "{} is a link of user {}'s, and {} follows only its own or root's: replace it with the file, or run as that user",
                    current.display(),
                    meta.uid(),
                    Term::Program
                )))
            }
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// Reads one of the text files cpcall keeps (config, session, secret): it must be a regular
/// file — a FIFO would block, a device never end — of at most `limit` bytes, in UTF-8.
pub fn read_text(path: &Path, limit: u64) -> std::io::Result<String> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::other("it is not a regular file"));
    }
    read_text_from(&mut std::fs::File::open(path)?, limit)
}

/// Reads at most `limit` bytes of UTF-8 text from `source` (a file, standard input): more is
/// an error rather than memory spent on it (`@/dev/zero`).
pub fn read_text_from(source: &mut dyn std::io::Read, limit: u64) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    source.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        let size = match limit >> 20 {
            0 => format!("{} KiB", limit >> 10),
            mib => format!("{mib} MiB"),
        };
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("it holds more than {size}"),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}

/// Creates the directory (and parents) with mode 0700 where it does not exist, whatever the
/// umask.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Whether `uid` is neither the running user nor root: what such a user owns, they control.
pub fn foreign(uid: u32) -> bool {
    uid != 0 && uid != rustix::process::geteuid().as_raw()
}

/// Who besides the running user (and root) may write the file: its owner, when that is
/// someone else, or its group or everyone by its mode. In words, for a message.
pub fn writable_by_others(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    let (owner, mode) = (meta.uid(), meta.mode() & 0o777);
    if foreign(owner) {
        return Some(format!("user {owner} owns it"));
    }
    match (mode & 0o002 != 0, mode & 0o020 != 0) {
        (true, _) => Some(format!("anyone can write it (mode {mode:03o})")),
        (false, true) => Some(format!("its group can write it (mode {mode:03o})")),
        (false, false) => None,
    }
}

/// The `chmod` to suggest when a file or directory holding secrets is open to group or others.
pub fn loose_mode(path: &Path, private_mode: u32) -> Option<String> {
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "{} holds secrets and is open to others (mode {mode:03o}): run chmod {private_mode:o} {}",
            path.display(),
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    fn put(text: &'static str) -> impl FnMut(Option<String>) -> Result<String> {
        move |_| Ok(text.to_string())
    }

    #[test]
    fn modes_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/f");
        edit(&path, false, put("one")).unwrap();
        assert_eq!(
            (mode(&path), mode(path.parent().unwrap())),
            (0o600, 0o700),
            "new file, new dir"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        edit(&path, false, put("two")).unwrap();
        assert_eq!(mode(&path), 0o640, "an existing file keeps its mode");
        edit(&path, true, put("three")).unwrap();
        assert_eq!(
            (
                mode(&path),
                std::fs::read_to_string(&path).unwrap().as_str()
            ),
            (0o600, "three")
        );
        let leftovers = std::fs::read_dir(path.parent().unwrap()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
        edit(&path, false, |old| {
            Ok::<_, Error>(format!("{}+four", old.unwrap()))
        })
        .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "three+four");
        let refused = edit(&path, false, |_| Err(Error::local("no"))).unwrap_err();
        assert_eq!(refused.to_string(), "no");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "three+four");
    }

    #[test]
    fn a_symlink_is_written_through_and_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let real_dir = dir.path().join("dotfiles");
        std::fs::create_dir(&real_dir).unwrap();
        let real = real_dir.join("config.toml");
        std::fs::write(&real, "old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("config.toml");
        std::os::unix::fs::symlink("dotfiles/config.toml", &link).unwrap();
        let chain = dir.path().join("chain.toml");
        std::os::unix::fs::symlink(&link, &chain).unwrap();
        edit(&chain, false, put("new")).unwrap();
        for l in [&link, &chain] {
            assert!(std::fs::symlink_metadata(l)
                .unwrap()
                .file_type()
                .is_symlink());
        }
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(mode(&real), 0o640);
        assert_eq!(std::fs::read_dir(&real_dir).unwrap().count(), 1);
    }

    /// Folders others can write are refused, with the chmod; a sticky root folder (/tmp) is
    /// not, nor are folders not made yet.
    #[test]
    fn folders_others_can_change_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let open = dir.path().join("open");
        std::fs::create_dir(&open).unwrap();
        let cases = [
            (0o700, None),
            (0o755, None),
            (0o775, Some("its group")),
            (0o777, Some("anyone")),
        ];
        for (bits, refused) in cases {
            std::fs::set_permissions(&open, std::fs::Permissions::from_mode(bits)).unwrap();
            let got = check_folder(&open.join("not/yet"), "the test folder");
            match refused {
                None => assert!(got.is_ok(), "{bits:o}: {got:?}"),
                Some(who) => {
                    let e = got.unwrap_err();
                    assert_eq!(*e.kind(), crate::ErrorKind::Local);
                    assert!(e.to_string().contains(who), "{e}");
                    assert!(e.to_string().contains("chmod go-w"), "{e}");
                }
            }
        }
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o700)).unwrap();
        // A link into an unsafe folder is judged by where it leads.
        let wide = dir.path().join("wide");
        std::fs::create_dir(&wide).unwrap();
        std::fs::set_permissions(&wide, std::fs::Permissions::from_mode(0o777)).unwrap();
        let link = open.join("link");
        std::os::unix::fs::symlink(&wide, &link).unwrap();
        assert!(check_folder(&link, "x").is_err());
        assert!(
            check_folder(Path::new("/tmp"), "x").is_ok(),
            "sticky, root's"
        );
    }

    /// State files are never opened through a link, and are 0600 under any umask.
    #[test]
    fn state_files_follow_no_link_and_stay_private() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let link = dir.path().join("s.lock");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let e = open_private(&link, true).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(read_private(&link, 100).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        let old = rustix::process::umask(rustix::fs::Mode::empty());
        let made = open_private(&dir.path().join("new.lock"), false).map(|_| ());
        let written = write_private(&dir.path().join("s.json"), b"{}");
        rustix::process::umask(old);
        made.unwrap();
        written.unwrap();
        assert_eq!(mode(&dir.path().join("new.lock")), 0o600);
        assert_eq!(mode(&dir.path().join("s.json")), 0o600);
        // A link where a session goes is replaced, not followed.
        let session = dir.path().join("p.json");
        std::os::unix::fs::symlink(&victim, &session).unwrap();
        write_private(&session, b"{}").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!std::fs::symlink_metadata(&session)
            .unwrap()
            .file_type()
            .is_symlink());
    }

    /// A Windows-made file keeps its CRLF line ends and its byte-order mark.
    #[test]
    fn an_edit_keeps_line_ends_and_the_byte_order_mark() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "\u{feff}a = 1\r\nb = 2\r\n").unwrap();
        edit(&path, false, |old| {
            Ok::<_, Error>(format!(
                "{}c = 3\n",
                old.unwrap()
                    .trim_start_matches('\u{feff}')
                    .replace("\r\n", "\n")
            ))
        })
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "\u{feff}a = 1\r\nb = 2\r\nc = 3\r\n"
        );
    }

    /// A change made by another program between the read and the rename (an editor, a
    /// script's `>>`) makes the edit start over on the new text: both changes are kept.
    #[test]
    fn an_edit_starts_over_when_the_file_changes_under_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "a\n").unwrap();
        let mut runs = 0;
        edit(&path, false, |old| {
            runs += 1;
            if runs == 1 {
                // Someone appends while cpcall has read but not yet written.
                std::thread::sleep(std::time::Duration::from_millis(5));
                let mut f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&path)
                    .unwrap();
                f.write_all(b"by hand\n").unwrap();
            }
            Ok::<_, Error>(format!("{}cpcall\n", old.unwrap_or_default()))
        })
        .unwrap();
        assert_eq!(runs, 2);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "a\nby hand\ncpcall\n"
        );
    }

    /// Edits at once from many threads (each its own lock file descriptor, as processes
    /// have) all land.
    #[test]
    fn parallel_edits_are_all_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::thread::scope(|s| {
            for i in 0..16 {
                let path = &path;
                s.spawn(move || {
                    edit(path, false, |old| {
                        Ok::<_, Error>(format!("{}{i}\n", old.unwrap_or_default()))
                    })
                    .unwrap()
                });
            }
        });
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<u32> = text.lines().map(|l| l.parse().unwrap()).collect();
        lines.sort();
        assert_eq!(lines, (0..16).collect::<Vec<_>>());
    }
}
