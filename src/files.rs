//! Writing files so that nothing is lost: a temporary file in the same directory, synced, then
//! renamed over the target; a crash leaves the old file or the new one, never half of one.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically with `mode` (Unix permissions; the old file's mode when
/// `None` and the file exists, else 0600 from the temporary file).
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let fail =
        |e: &dyn std::fmt::Display| Error::usage(format!("cannot write {}: {e}", path.display()));
    create_private_dir(dir).map_err(|e| fail(&e))?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| fail(&e))?;
    file.write_all(bytes).map_err(|e| fail(&e))?;
    let permissions = match mode {
        Some(mode) => permissions(mode),
        None => std::fs::metadata(path).ok().map(|m| m.permissions()),
    };
    if let Some(permissions) = permissions {
        file.as_file()
            .set_permissions(permissions)
            .map_err(|e| fail(&e))?;
    }
    file.as_file().sync_all().map_err(|e| fail(&e))?;
    file.persist(path).map_err(|e| fail(&e.error))?;
    Ok(())
}

#[cfg(unix)]
fn permissions(mode: u32) -> Option<std::fs::Permissions> {
    Some(std::os::unix::fs::PermissionsExt::from_mode(mode))
}

#[cfg(not(unix))]
fn permissions(_mode: u32) -> Option<std::fs::Permissions> {
    None
}

/// Creates the directory (and parents) with mode 0700 where it does not exist.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
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
}
