//! Writing files so that nothing is lost: a temporary file in the same directory, synced, then
//! renamed over the target; a crash leaves the old file or the new one, never half of one.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically with `mode` (Unix permissions; the old file's mode when
/// `None` and the file exists, else 0600 from the temporary file).
///
/// A symbolic link (dotfile managers keep configs that way) is written through: the file it
/// points to is replaced, in its own directory, and the link stays a link.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<()> {
    let path = &follow_links(path)
        .map_err(|e| Error::usage(format!("cannot write {}: {e}", path.display())))?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let fail =
        |e: &dyn std::fmt::Display| Error::usage(format!("cannot write {}: {e}", path.display()));
    create_private_dir(dir).map_err(|e| fail(&e))?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| fail(&e))?;
    // Ctrl-C from here to the rename must not leave a copy of a secret behind.
    let temp = file.path().to_path_buf();
    crate::signals::track_temp(&temp);
    let written = write_and_rename(&mut file, path, bytes, mode);
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    crate::signals::forget_temp(&temp);
    written.map_err(|e| fail(&e))
}

fn write_and_rename(
    file: &mut tempfile::NamedTempFile,
    path: &Path,
    bytes: &[u8],
    mode: Option<u32>,
) -> std::io::Result<()> {
    file.write_all(bytes)?;
    let permissions = match mode {
        Some(mode) => permissions(mode),
        None => std::fs::metadata(path).ok().map(|m| m.permissions()),
    };
    if let Some(permissions) = permissions {
        file.as_file().set_permissions(permissions)?;
    }
    file.as_file().sync_all()?;
    std::fs::rename(file.path(), path)
}

/// The file a chain of symbolic links ends at (`path` itself when it is not a link); the end
/// need not exist yet.
fn follow_links(path: &Path) -> std::io::Result<std::path::PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
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

#[cfg(unix)]
fn permissions(mode: u32) -> Option<std::fs::Permissions> {
    Some(std::os::unix::fs::PermissionsExt::from_mode(mode))
}

#[cfg(not(unix))]
fn permissions(_mode: u32) -> Option<std::fs::Permissions> {
    None
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

/// Creates the directory (and parents) with mode 0700 where it does not exist.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// The file's mode, when group or others may write it.
pub fn writable_by_others(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o022 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// The `chmod` to suggest when a file or directory holding secrets is open to group or others.
pub fn loose_mode(path: &std::path::Path, private_mode: u32) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then(|| {
            format!(
                "{} holds secrets and is open to others (mode {mode:03o}): run chmod {private_mode:o} {}",
                path.display(),
                path.display()
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = (path, private_mode);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn modes_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/f");
        write_atomic(&path, b"one", None).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            (mode(&path), mode(path.parent().unwrap())),
            (0o600, 0o700),
            "new file, new dir"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"two", None).unwrap();
        assert_eq!(mode(&path), 0o640, "an existing file keeps its mode");
        write_atomic(&path, b"three", Some(0o600)).unwrap();
        assert_eq!(
            (
                mode(&path),
                std::fs::read_to_string(&path).unwrap().as_str()
            ),
            (0o600, "three")
        );
        let leftovers = std::fs::read_dir(path.parent().unwrap()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
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
        write_atomic(&chain, b"new", None).unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(std::fs::symlink_metadata(&chain)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert_eq!(std::fs::read_dir(&real_dir).unwrap().count(), 1);
    }
}
