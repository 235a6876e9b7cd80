//! Replacing a file so that a reader, a crash or a full disk only ever sees the old or the new
//! version: temp file beside it, fsync, rename over it, fsync the directory. And the lock file
//! writers take, with the checks on the directory the vault lives in.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use crate::os;

#[derive(Clone, Copy)]
pub enum Mode {
    /// The mode of the file being replaced; 0600 when there is none yet.
    Keep,
    /// 0600 whatever the old file had. For plaintext (`export -o`): where the OS allows it, the
    /// file has no name until it is whole, so a writer killed halfway leaves nothing behind.
    Private,
}

pub fn write(path: &Path, bytes: &[u8], mode: Mode) -> io::Result<()> {
    let dir = parent_dir(path);
    #[cfg(target_os = "linux")]
    if matches!(mode, Mode::Private) && unnamed::write(path, dir, bytes)? {
        return os::sync_dir(dir);
    }
    let mut temp = tempfile::Builder::new()
        .prefix(&temp_prefix(path))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    match mode {
        Mode::Keep => {
            if let Ok(meta) = fs::metadata(path) {
                // Owner first: a chown may clear mode bits the chmod then sets again.
                os::copy_owner(&meta, temp.as_file())?;
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

/// Linux's `O_TMPFILE`: the content goes into a file with no name, fsynced, then `linkat` gives
/// it its name. A SIGKILL anywhere before that leaves no file at all, where a named temp file
/// would keep the plaintext on disk until someone noticed it.
#[cfg(target_os = "linux")]
mod unnamed {
    use std::fs::File;
    use std::io::{self, Write};
    use std::os::fd::AsRawFd;
    use std::path::Path;

    use rustix::fs::{AtFlags, CWD, Mode, OFlags};
    use rustix::io::Errno;

    /// Writes `bytes` to `path`; `Ok(false)` when this kernel or file system has no unnamed
    /// files (or no /proc to name them through), for the caller to write a named temp instead.
    pub fn write(path: &Path, dir: &Path, bytes: &[u8]) -> io::Result<bool> {
        let Some(name) = path.file_name() else {
            return Ok(false);
        };
        let dir_fd = rustix::fs::open(
            dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let fd = match rustix::fs::openat(
            &dir_fd,
            ".",
            OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        ) {
            Ok(fd) => fd,
            // How kernels before 3.11 and file systems without support answer.
            Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        // 0600 exactly, whatever the umask took away.
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o600))?;
        let mut file = File::from(fd);
        file.write_all(bytes)?;
        file.sync_all()?;
        // Naming through /proc needs no privilege, unlike AT_EMPTY_PATH.
        let unnamed = format!("/proc/self/fd/{}", file.as_raw_fd());
        match rustix::fs::linkat(CWD, &unnamed, &dir_fd, name, AtFlags::SYMLINK_FOLLOW) {
            Ok(()) => Ok(true),
            // Linux cannot link over an existing file: link under a temp name, rename over it.
            // That leaves a window of two system calls in which a kill leaves the (whole, 0600)
            // temp file beside a target that already held the same kind of content.
            Err(Errno::EXIST) => {
                let temp = tempfile::Builder::new()
                    .prefix(&super::temp_prefix(path))
                    .suffix(".tmp")
                    .make_in(dir, |temp| {
                        rustix::fs::linkat(CWD, &unnamed, CWD, temp, AtFlags::SYMLINK_FOLLOW)
                            .map_err(io::Error::from)
                    })?;
                temp.persist(path).map_err(|e| e.error)?;
                Ok(true)
            }
            Err(Errno::NOENT) if !Path::new("/proc/self/fd").exists() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

/// Opens the lock file writers take, creating it 0600. Never through a symbolic link: one
/// planted at the lock's name (by whoever can write to the directory) would otherwise have
/// vault create, or open for writing, whatever file it points to.
pub fn open_lock_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits().cast_signed());
    }
    options.open(path).map_err(|err| {
        // ELOOP on Linux, EMLINK on FreeBSD: asking the file system says it plainly everywhere.
        if fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink()) {
            io::Error::other(
                "it is a symbolic link, which vault does not follow there; remove it if you did \
                 not make it",
            )
        } else {
            err
        }
    })
}

/// Warns when others can delete or replace the vault (and its backup) in the directory holding
/// `file` (the vault's lock): it is group- or world-writable without the sticky bit, as
/// OpenSSH's checks count it, or belongs to someone other than us or root. With the sticky bit
/// (`/tmp`) others can only plant names that do not exist yet, and vault follows no symlink
/// there: the worst left is a save that fails (a lock file someone else holds) and says why.
/// Called once per write, when the lock is taken.
pub fn warn_if_others_can_write(file: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let dir = parent_dir(file);
        let Ok(meta) = fs::metadata(dir) else {
            return;
        };
        let owner = meta.uid();
        let mode = meta.mode() & 0o7777;
        let problem = if mode & 0o022 != 0 && mode & 0o1000 == 0 {
            format!("others can write to {} (mode {mode:o})", dir.display())
        } else if owner != 0 && owner != rustix::process::geteuid().as_raw() {
            format!("{} belongs to another user (uid {owner})", dir.display())
        } else {
            return;
        };
        crate::error::warn(&format!(
            "{problem}: they can delete or replace the vault; keep it in a \
             directory only you can write"
        ));
    }
    #[cfg(not(unix))]
    let _ = file;
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

    #[test]
    fn private_writes_make_and_replace_files_leaving_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.env");
        write(&path, b"one", Mode::Private).unwrap();
        write(&path, b"two", Mode::Private).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn the_lock_file_is_private_and_never_a_symlink() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("v.age.lock");
        open_lock_file(&lock).unwrap();
        assert_eq!(
            fs::metadata(&lock).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let planted = dir.path().join("planted.lock");
        let target = dir.path().join("elsewhere");
        std::os::unix::fs::symlink(&target, &planted).unwrap();
        let err = open_lock_file(&planted).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(!target.exists());
    }
}
