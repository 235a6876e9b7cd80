//! Replacing a file so that a reader, a crash or a full disk only ever sees the old or the new
//! version: temp file beside it, fsync, rename over it, fsync the directory. And the lock file
//! writers take, with the checks on the directory the vault lives in.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::Path;

use crate::os;

#[derive(Clone, Copy)]
pub enum Mode {
    /// The mode of the file being replaced; 0600 when there is none yet.
    Keep,
    /// As [`Mode::Keep`] where this process may give the file the owner and group of the one
    /// it replaces (a file root left, in a group not this user's, it may not); otherwise this
    /// user's own, 0600. For a copy kept aside (the `.bak`), never refused over whose the file
    /// it replaces was.
    KeepOrPrivate,
    /// 0600 whatever the old file had. For plaintext (`export -o`): where the OS allows it, the
    /// file has no name until it is whole, so a writer killed halfway leaves nothing behind.
    Private,
}

pub fn write(path: &Path, bytes: &[u8], mode: Mode) -> io::Result<()> {
    write_with(path, mode, |file| file.write_all(bytes), |e| e)
}

/// [`write`], the content written into the new file by `write` as it is made: a large file
/// need not be held whole in memory first. `io_error` says what an I/O error means.
pub fn write_with<E>(
    path: &Path,
    mode: Mode,
    write: impl FnOnce(&mut File) -> Result<(), E>,
    io_error: impl Fn(io::Error) -> E,
) -> Result<(), E> {
    let dir = parent_dir(path);
    #[cfg(target_os = "linux")]
    if matches!(mode, Mode::Private)
        && let Some(mut unnamed) = unnamed::create(dir).map_err(&io_error)?
    {
        write(&mut unnamed.file)?;
        unnamed.name(path).map_err(&io_error)?;
        return os::sync_dir(dir).map_err(io_error);
    }
    let mut temp = tempfile::Builder::new()
        .prefix(&temp_prefix(path))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(&io_error)?;
    match mode {
        Mode::Keep | Mode::KeepOrPrivate => {
            if let Ok(meta) = fs::metadata(path) {
                // Owner first: a chown may clear mode bits the chmod then sets again.
                match os::copy_owner(&meta, temp.as_file()) {
                    Ok(()) => os::copy_permissions(&meta, temp.as_file()).map_err(&io_error)?,
                    Err(e)
                        if matches!(mode, Mode::KeepOrPrivate)
                            && e.kind() == io::ErrorKind::PermissionDenied =>
                    {
                        os::make_private(temp.path()).map_err(&io_error)?;
                    }
                    Err(e) => return Err(io_error(e)),
                }
            }
        }
        Mode::Private => os::make_private(temp.path()).map_err(&io_error)?,
    }
    write(temp.as_file_mut())?;
    temp.as_file().sync_all().map_err(&io_error)?;
    persist(temp, path).map_err(&io_error)?;
    os::sync_dir(dir).map_err(io_error)
}

/// How long a rename over a file someone holds open is tried again (Windows).
const HELD_FOR_AT_MOST: std::time::Duration = std::time::Duration::from_secs(3);

/// Renames `temp` over `path`. On Windows a reader that does not share deletion (a virus
/// scanner, a backup or indexing agent, an editor looking at the file) makes the rename fail
/// for as long as it holds the file, usually a moment: it is tried again, waiting longer each
/// time, for up to [`HELD_FOR_AT_MOST`].
fn persist(mut temp: tempfile::NamedTempFile, path: &Path) -> io::Result<()> {
    let give_up = std::time::Instant::now() + HELD_FOR_AT_MOST;
    let mut wait = std::time::Duration::from_millis(10);
    loop {
        match temp.persist(path) {
            Ok(_) => return Ok(()),
            Err(e) if held_by_another(&e.error) && std::time::Instant::now() < give_up => {
                temp = e.file;
                std::thread::sleep(wait);
                wait = (wait * 2).min(std::time::Duration::from_millis(250));
            }
            Err(e) => return Err(e.error),
        }
    }
}

/// Whether a rename failed because another process has the file open (Windows: access denied,
/// a sharing or a lock violation). Elsewhere a rename does not care who reads the file.
fn held_by_another(err: &io::Error) -> bool {
    cfg!(windows) && matches!(err.raw_os_error(), Some(5 | 32 | 33))
}

/// Keeps what `file` holds (the file at `original`, open for reading) as `path`, as [`write`]
/// with [`Mode::Keep`] would write its bytes. Where the copy would be the same file in every
/// respect that shows (owner, group and mode), and the file system allows it, `path` becomes
/// a hard link to it instead: a
/// save only ever renames a new file over `original`, so it stays as it is, and keeping it
/// costs no byte written.
pub fn keep_copy(path: &Path, original: &Path, file: &mut File) -> io::Result<()> {
    let dir = parent_dir(path);
    if is_already(path, file) {
        // Linked by a save that stopped before it replaced the original. (A rename of one link
        // over another of the same file does nothing: the temp link would stay behind.)
        return os::sync_dir(dir);
    }
    if same_as_a_copy(path, original, file) {
        // Where the file system (vfat, some network mounts) or the kernel's hard-link
        // protection refuses the link, a copy it is.
        if let Ok(temp) = tempfile::Builder::new()
            .prefix(&temp_prefix(path))
            .suffix(".tmp")
            .make_in(dir, |temp| fs::hard_link(original, temp))
        {
            temp.persist(path).map_err(|e| e.error)?;
            return os::sync_dir(dir);
        }
    }
    file.seek(SeekFrom::Start(0))?;
    write_with(
        path,
        Mode::KeepOrPrivate,
        |temp| io::copy(file, temp).map(drop),
        |e| e,
    )
}

/// Whether `file`, found at `original`, has the owner, group and mode of the `path` it would
/// replace: a copy of it there would differ in nothing but its inode.
#[cfg(unix)]
fn same_as_a_copy(path: &Path, original: &Path, file: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    let shown = |meta: &fs::Metadata| (meta.uid(), meta.gid(), meta.mode() & 0o7777);
    let (Ok(open), Ok(named)) = (file.metadata(), fs::metadata(original)) else {
        return false;
    };
    let me = rustix::process::geteuid().as_raw();
    // Only root gives a copy another owner: for anyone else it would be theirs.
    if me != 0 && open.uid() != me {
        return false;
    }
    let copy = match fs::metadata(path) {
        Ok(replaced) => shown(&replaced),
        // Nothing to replace: the copy would be a new file, as the temp file is made, in the
        // directory's group where that is the rule (BSDs, or a setgid directory on Linux).
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let Ok(dir) = fs::metadata(parent_dir(path)) else {
                return false;
            };
            let gid = if dir.mode() & 0o2000 != 0 || !cfg!(target_os = "linux") {
                dir.gid()
            } else {
                rustix::process::getegid().as_raw()
            };
            (me, gid, 0o600)
        }
        Err(_) => return false,
    };
    (open.dev(), open.ino()) == (named.dev(), named.ino()) && shown(&open) == copy
}

/// Whether `path` is the very file `file` is open on.
#[cfg(unix)]
fn is_already(path: &Path, file: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(path), file.metadata()) {
        (Ok(at_path), Ok(open)) => (at_path.dev(), at_path.ino()) == (open.dev(), open.ino()),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_already(_path: &Path, _file: &File) -> bool {
    false
}

/// Windows keeps more about a file than `fs::Metadata` shows (its ACL): always a copy.
#[cfg(not(unix))]
fn same_as_a_copy(_path: &Path, _original: &Path, _file: &File) -> bool {
    false
}

/// Linux's `O_TMPFILE`: the content goes into a file with no name, fsynced, then `linkat` gives
/// it its name. A SIGKILL anywhere before that leaves no file at all, where a named temp file
/// would keep the plaintext on disk until someone noticed it.
#[cfg(target_os = "linux")]
mod unnamed {
    use std::fs::File;
    use std::io;
    use std::os::fd::AsRawFd;
    use std::path::Path;

    use rustix::fs::{AtFlags, CWD, Mode, OFlags};
    use rustix::io::Errno;

    /// A file with no name yet in `dir`, 0600; `None` when this kernel or file system has no
    /// unnamed files, for the caller to write a named temp instead.
    pub struct Unnamed {
        pub file: File,
        dir_fd: rustix::fd::OwnedFd,
    }

    pub fn create(dir: &Path) -> io::Result<Option<Unnamed>> {
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
            Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        // 0600 exactly, whatever the umask took away.
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o600))?;
        if !Path::new("/proc/self/fd").exists() {
            return Ok(None);
        }
        Ok(Some(Unnamed {
            file: File::from(fd),
            dir_fd,
        }))
    }

    impl Unnamed {
        /// Syncs the file and gives it its name, `path`.
        pub fn name(self, path: &Path) -> io::Result<()> {
            let Some(name) = path.file_name() else {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "no file name"));
            };
            self.file.sync_all()?;
            // Naming through /proc needs no privilege, unlike AT_EMPTY_PATH.
            let unnamed = format!("/proc/self/fd/{}", self.file.as_raw_fd());
            match rustix::fs::linkat(CWD, &unnamed, &self.dir_fd, name, AtFlags::SYMLINK_FOLLOW) {
                Ok(()) => Ok(()),
                // Linux cannot link over an existing file: link under a temp name, rename over
                // it. That leaves a window of two system calls in which a kill leaves the
                // (whole, 0600) temp file beside a target that already held the same kind of
                // content.
                Err(Errno::EXIST) => {
                    let temp = tempfile::Builder::new()
                        .prefix(&super::temp_prefix(path))
                        .suffix(".tmp")
                        .make_in(super::parent_dir(path), |temp| {
                            rustix::fs::linkat(CWD, &unnamed, CWD, temp, AtFlags::SYMLINK_FOLLOW)
                                .map_err(io::Error::from)
                        })?;
                    temp.persist(path).map_err(|e| e.error)?;
                    Ok(())
                }
                Err(e) => Err(e.into()),
            }
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

    #[cfg(unix)]
    #[test]
    fn a_kept_copy_is_a_link_only_where_a_copy_would_look_the_same() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let (vault, bak) = (dir.path().join("v.age"), dir.path().join("v.age.bak"));
        let keep = |expected: &[u8]| {
            let mut file = File::open(&vault).unwrap();
            let inode = file.metadata().unwrap().ino();
            keep_copy(&bak, &vault, &mut file).unwrap();
            assert_eq!(fs::read(&bak).unwrap(), expected);
            fs::metadata(&bak).unwrap().ino() == inode
        };
        let mode = |path: &Path| fs::metadata(path).unwrap().mode() & 0o7777;

        // Ours, 0600, no .bak yet: a new file would be the same.
        write(&vault, b"one", Mode::Keep).unwrap();
        assert!(keep(b"one"), "linked");
        // A save renames a new file over the vault: the .bak keeps the old one.
        write(&vault, b"two", Mode::Keep).unwrap();
        assert_eq!(fs::read(&bak).unwrap(), b"one");
        assert!(keep(b"two"), "linked again");
        // A save that stopped after that leaves the .bak the vault itself: nothing to do.
        assert!(keep(b"two"), "still the same file");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temp link left"
        );
        // A .bak of another mode keeps it: a copy.
        write(&vault, b"three", Mode::Keep).unwrap();
        fs::set_permissions(&bak, fs::Permissions::from_mode(0o640)).unwrap();
        assert!(!keep(b"three"), "copied");
        assert_eq!((mode(&bak), mode(&vault)), (0o640, 0o600));
        // A vault others may read, and no .bak: copied, 0600.
        fs::remove_file(&bak).unwrap();
        fs::set_permissions(&vault, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(!keep(b"three"), "copied");
        assert_eq!(mode(&bak), 0o600);
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temp file left"
        );
    }

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
