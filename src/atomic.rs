//! Replacing a file so that a reader, a crash or a full disk only ever sees the old or the new
//! version: temp file beside it, fsync, rename over it, fsync the directory.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use crate::os;

#[derive(Clone, Copy)]
pub enum Mode {
    /// The mode of the file being replaced; 0600 when there is none yet.
    Keep,
    /// 0600 whatever the old file had.
    Private,
}

pub fn write(path: &Path, bytes: &[u8], mode: Mode) -> io::Result<()> {
    let dir = parent_dir(path);
    let mut temp = tempfile::Builder::new()
        .prefix(&temp_prefix(path))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    match mode {
        Mode::Keep => {
            if let Ok(meta) = fs::metadata(path) {
                os::copy_permissions(&meta, temp.as_file())?;
            }
        }
        Mode::Private => os::make_private(temp.path())?,
    }
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    os::sync_dir(dir)
}

/// Removes the temp files a writer killed mid-save left beside `path`. Call it only while
/// holding the lock, when no other save can be under way.
pub fn remove_leftovers(path: &Path) {
    let prefix = temp_prefix(path);
    let Ok(entries) = fs::read_dir(parent_dir(path)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&prefix) && name.ends_with(".tmp") {
            fs::remove_file(entry.path()).ok();
        }
    }
}

pub fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn temp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    format!(".{name}.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.age");
        write(&path, b"one", Mode::Keep).unwrap();
        write(&path, b"two", Mode::Keep).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn leftovers_of_this_file_only_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.age");
        fs::write(dir.path().join(".v.age.abc123.tmp"), b"x").unwrap();
        fs::write(dir.path().join(".other.abc.tmp"), b"x").unwrap();
        remove_leftovers(&path);
        assert!(!dir.path().join(".v.age.abc123.tmp").exists());
        assert!(dir.path().join(".other.abc.tmp").exists());
    }

    #[cfg(unix)]
    #[test]
    fn keep_preserves_mode_and_private_forces_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.age");
        write(&path, b"one", Mode::Keep).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        write(&path, b"two", Mode::Keep).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o640
        );
        write(&path, b"three", Mode::Private).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
