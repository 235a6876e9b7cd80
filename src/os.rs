//! Everything that differs between operating systems, in one place: default paths, the
//! key-file permission check, private file creation, directory sync and process hardening.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

#[cfg(windows)]
mod acl;
#[cfg(windows)]
mod handles;
mod locked;
mod share;

pub use locked::Pages;

/// Why a file that holds a key or a passphrase is refused.
#[derive(Debug)]
pub enum PrivateFileProblem {
    Missing,
    NotRegular(&'static str),
    OtherOwner,
    /// Unix: group or others have these mode bits.
    TooOpen(u32),
    /// Windows: the access list lets others in (who, in words).
    OpenToOthers(String),
    Io(io::Error),
}

pub fn default_vault_path() -> Option<PathBuf> {
    imp::data_dir().map(|dir| dir.join("vault").join("vault.age"))
}

pub fn default_identity_path() -> Option<PathBuf> {
    imp::config_dir().map(|dir| dir.join("vault").join("identity"))
}

/// Opens a file about to be read for a secret (identity, passphrase file) and checks the open
/// file, as OpenSSH checks key files: a regular file (after symlinks) owned by us and closed to
/// group and others. A pipe passes the same test: `/dev/fd/N` and `<(…)` are pipes of our own,
/// mode 0600; a FIFO others can open, or that another user made, is refused. Checking what was
/// opened, not the path, leaves no moment to swap the file between the check and the read.
pub fn open_private_file(path: &Path) -> Result<File, PrivateFileProblem> {
    imp::open_private(path)
}

/// Opens `name` in `dir`, a systemd credentials directory (`$CREDENTIALS_DIRECTORY`), with the
/// check relaxed to the layout systemd gives it: the file owned by root or us, readable by a
/// group or through an ACL (root's 0440 plus `u:SERVICE:r`), but writable by its owner alone
/// and closed to others; the directory owned by root or us and writable by its owner alone.
/// Nowhere else is a file of root's, or one a group reads, accepted as a key.
pub fn open_credential_file(dir: &Path, name: &str) -> Result<File, PrivateFileProblem> {
    imp::open_credential(dir, name)
}

/// The checks of `open_private_file` on the file at `path` as it is now, for a caller that
/// opens it itself (a FIFO opened twice would lose its writer to the first open).
pub fn check_private_file(path: &Path) -> Result<(), PrivateFileProblem> {
    imp::check_private_path(path)
}

/// Makes a file just created private, where creating it did not already (a temp file on
/// Windows inherits its directory's access list).
pub fn make_private(path: &Path) -> io::Result<()> {
    imp::make_private(path)
}

/// Creates a new file only we can read and write; fails if it exists.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    imp::create_private(path)
}

/// Creates a directory (and its parents) for our files, closed to others where we create it.
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    imp::create_private_dir_all(dir)
}

/// Gives `file` the permissions of `like`, so a save keeps the vault's mode (say 0640 for a
/// group of readers).
pub fn copy_permissions(like: &fs::Metadata, file: &File) -> io::Result<()> {
    imp::copy_permissions(like, file)
}

pub use share::{prepare_shared_dir, replace_symlink, share_with_group};

/// Gives `file` the owner and group of `like` (where this process may), so a save keeps the
/// vault shared with a group as it was.
pub fn copy_owner(like: &fs::Metadata, file: &File) -> io::Result<()> {
    share::copy_owner(like, file)
}

/// `path` with every link resolved, as a user writes it: on Windows without the `\\?\`
/// prefix `fs::canonicalize` adds, where the path does not need it (a drive path shorter than
/// `MAX_PATH` that names the same file without it: no trailing dot or space, no device name),
/// since every message naming the file would show it.
pub fn canonicalize(path: &Path) -> io::Result<PathBuf> {
    let real = fs::canonicalize(path)?;
    if cfg!(windows)
        && let Some(plain) = real.to_str().and_then(|text| text.strip_prefix(r"\\?\"))
        && plain.len() < 260
        && plain.as_bytes().get(1..3) == Some(b":\\")
        && plain.as_bytes()[0].is_ascii_alphabetic()
        && fs::canonicalize(plain).is_ok_and(|again| again == real)
    {
        return Ok(PathBuf::from(plain));
    }
    Ok(real)
}

/// Makes a rename inside `dir` durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    imp::sync_dir(dir)
}

/// Prepares a helper process to outlive this one and its terminal.
pub fn detach(command: &mut std::process::Command) {
    command.current_dir(std::env::temp_dir());
    imp::detach(command);
}

/// Called first thing in a helper: leave the terminal's session, so closing the terminal
/// (SIGHUP to its session) does not end it.
pub fn detach_self() {
    imp::detach_self();
}

/// A flag raised when the process is asked to stop (SIGTERM, SIGINT), so the terminal
/// interface can put the terminal back before it exits.
pub fn termination_flag() -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    imp::on_termination(&flag);
    flag
}

/// Replaces this process with `command` (Unix), so nothing of vault, its memory included, lives
/// on beside it; the command's exit status is the caller's. Where a process cannot be replaced
/// (Windows), runs it, waits, and exits with its code. Returns only when it cannot be started.
pub fn exec(command: &mut std::process::Command) -> io::Error {
    imp::exec(command)
}

/// Starts `command` with the core-size limit vault itself was started with: the lowered one
/// is vault's own concern, not the command's. For that moment vault runs with the user's
/// limit too, still not dumpable (which alone keeps the kernel from writing its core).
pub fn spawn_with_user_limits(
    command: &mut std::process::Command,
) -> io::Result<std::process::Child> {
    imp::spawn_with_user_limits(command)
}

/// Keeps decrypted secrets out of core dumps and away from other processes of the same user
/// that would attach a debugger. Best effort: a failure leaves the process as it was.
pub fn harden_process() {
    imp::harden_process();
}

#[cfg(unix)]
mod imp {
    use super::PrivateFileProblem;
    use std::fs::{self, DirBuilder, File, OpenOptions};
    use std::io;
    use std::os::unix::fs::{
        DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt,
    };
    use std::path::{Path, PathBuf};

    fn home() -> Option<PathBuf> {
        std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
    }

    fn xdg(var: &str, fallback: &str) -> Option<PathBuf> {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| home().map(|h| h.join(fallback)))
    }

    pub fn data_dir() -> Option<PathBuf> {
        xdg("XDG_DATA_HOME", ".local/share")
    }

    pub fn config_dir() -> Option<PathBuf> {
        xdg("XDG_CONFIG_HOME", ".config")
    }

    pub fn open_private(path: &Path) -> Result<File, PrivateFileProblem> {
        use rustix::fs::OFlags;
        // Without waiting: a FIFO's open would block until someone writes to it, before it is
        // checked. And a terminal named here must not become our controlling terminal.
        let flags = (OFlags::NONBLOCK | OFlags::NOCTTY).bits().cast_signed();
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(flags)
            .open(path)
            .map_err(|e| unopenable(path, e))?;
        let meta = file.metadata().map_err(PrivateFileProblem::Io)?;
        check_private(&meta)?;
        if meta.file_type().is_fifo() {
            wait_for_writer(&file).map_err(PrivateFileProblem::Io)?;
        }
        Ok(file)
    }

    /// Why a file that would not open is refused: what the path shows, when that is reason
    /// enough (someone else's file, a socket), else the error itself.
    fn unopenable(path: &Path, err: io::Error) -> PrivateFileProblem {
        if err.kind() == io::ErrorKind::NotFound {
            return PrivateFileProblem::Missing;
        }
        match fs::metadata(path).map(|meta| check_private(&meta)) {
            Ok(Err(problem)) => problem,
            _ => PrivateFileProblem::Io(err),
        }
    }

    /// A FIFO opened without waiting reads as empty until a writer comes: wait for its data
    /// (or its end), as a plain open would have, then read it the ordinary, blocking way.
    fn wait_for_writer(file: &File) -> io::Result<()> {
        use rustix::event::{PollFd, PollFlags, poll};
        use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
        let mut fds = [PollFd::new(file, PollFlags::IN)];
        loop {
            match poll(&mut fds, None) {
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
                Ok(_) => break,
            }
        }
        let flags = fcntl_getfl(file)?;
        fcntl_setfl(file, flags - OFlags::NONBLOCK)?;
        Ok(())
    }

    pub fn check_private_path(path: &Path) -> Result<(), PrivateFileProblem> {
        let meta = fs::metadata(path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => PrivateFileProblem::Missing,
            _ => PrivateFileProblem::Io(e),
        })?;
        check_private(&meta)
    }

    fn check_private(meta: &fs::Metadata) -> Result<(), PrivateFileProblem> {
        let kind = meta.file_type();
        if !kind.is_file() && !kind.is_fifo() {
            return Err(PrivateFileProblem::NotRegular(if kind.is_dir() {
                "a directory"
            } else if kind.is_socket() {
                "a socket"
            } else {
                "a device"
            }));
        }
        if meta.uid() != rustix::process::geteuid().as_raw() {
            return Err(PrivateFileProblem::OtherOwner);
        }
        let mode = meta.mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(PrivateFileProblem::TooOpen(mode));
        }
        Ok(())
    }

    pub fn open_credential(dir: &Path, name: &str) -> Result<File, PrivateFileProblem> {
        use rustix::fs::OFlags;
        let owner_ok = |uid: u32| uid == 0 || uid == rustix::process::geteuid().as_raw();
        let dir_meta = fs::metadata(dir).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => PrivateFileProblem::Missing,
            _ => PrivateFileProblem::Io(e),
        })?;
        if !owner_ok(dir_meta.uid()) {
            return Err(PrivateFileProblem::OtherOwner);
        }
        if dir_meta.mode() & 0o022 != 0 {
            return Err(PrivateFileProblem::TooOpen(dir_meta.mode() & 0o777));
        }
        // systemd writes a regular file there: no symlink is followed, no FIFO waited on.
        let flags = (OFlags::NOFOLLOW | OFlags::NOCTTY | OFlags::NONBLOCK)
            .bits()
            .cast_signed();
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(flags)
            .open(dir.join(name))
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => PrivateFileProblem::Missing,
                _ if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
                    PrivateFileProblem::NotRegular("a symbolic link")
                }
                _ => PrivateFileProblem::Io(e),
            })?;
        let meta = file.metadata().map_err(PrivateFileProblem::Io)?;
        if !meta.file_type().is_file() {
            return Err(PrivateFileProblem::NotRegular("not a regular file"));
        }
        if !owner_ok(meta.uid()) {
            return Err(PrivateFileProblem::OtherOwner);
        }
        let mode = meta.mode() & 0o777;
        if mode & 0o027 != 0 {
            return Err(PrivateFileProblem::TooOpen(mode));
        }
        Ok(file)
    }

    pub fn create_private(path: &Path) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
    }

    /// Files are created 0600 already (`create_private`, tempfile's default).
    #[allow(clippy::unnecessary_wraps)]
    pub fn make_private(_path: &Path) -> io::Result<()> {
        Ok(())
    }

    pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
        DirBuilder::new().recursive(true).mode(0o700).create(dir)
    }

    pub fn copy_permissions(like: &fs::Metadata, file: &File) -> io::Result<()> {
        file.set_permissions(fs::Permissions::from_mode(like.mode() & 0o7777))
    }

    pub fn sync_dir(dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }

    pub fn detach(_command: &mut std::process::Command) {}

    pub fn exec(command: &mut std::process::Command) -> io::Error {
        use std::os::unix::process::CommandExt;
        if let Some(limit) = CORE_LIMIT.get() {
            rustix::process::setrlimit(rustix::process::Resource::Core, *limit).ok();
        }
        // Non-dumpable is reset by execve itself.
        command.exec()
    }

    pub fn spawn_with_user_limits(
        command: &mut std::process::Command,
    ) -> io::Result<std::process::Child> {
        use rustix::process::{Resource, getrlimit, setrlimit};
        let Some(user) = CORE_LIMIT.get() else {
            return command.spawn();
        };
        let own = getrlimit(Resource::Core);
        setrlimit(Resource::Core, *user).ok();
        let child = command.spawn();
        setrlimit(Resource::Core, own).ok();
        child
    }

    pub fn detach_self() {
        // Not a process group leader (started by a plain spawn), so this cannot fail for that.
        rustix::process::setsid().ok();
    }

    pub fn on_termination(flag: &std::sync::Arc<std::sync::atomic::AtomicBool>) {
        use signal_hook::consts::{SIGINT, SIGTERM};
        // SIGHUP keeps its default and ends the process: the terminal is gone, there is nothing
        // to put back, and crossterm would keep polling the dead tty instead of returning.
        for signal in [SIGTERM, SIGINT] {
            signal_hook::flag::register(signal, flag.clone()).ok();
        }
    }

    /// The core-size limit the process was started with, given back to a command run by
    /// `exec`: the limit is the user's choice for their own programs.
    static CORE_LIMIT: std::sync::OnceLock<rustix::process::Rlimit> = std::sync::OnceLock::new();

    pub fn harden_process() {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let started_with = getrlimit(Resource::Core);
        // Only the soft limit: the kernel writes no core above it, and a lowered hard limit
        // could not be raised again for a command run by exec.
        let none = Rlimit {
            current: Some(0),
            maximum: started_with.maximum,
        };
        if setrlimit(Resource::Core, none).is_ok() {
            CORE_LIMIT.set(started_with).ok();
        }
        // Non-dumpable also bars ptrace and /proc/PID/mem from other processes of this user.
        #[cfg(target_os = "linux")]
        rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable).ok();
    }
}

#[cfg(windows)]
mod imp {
    use super::PrivateFileProblem;
    use std::fs::{self, File};
    use std::io;
    use std::path::{Path, PathBuf};

    pub fn data_dir() -> Option<PathBuf> {
        std::env::var_os("APPDATA")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
    }

    pub fn config_dir() -> Option<PathBuf> {
        data_dir()
    }

    /// Windows has no mode bits: the open file's access list decides who may use it. Only its
    /// owner, the current user, SYSTEM and Administrators may be let in.
    pub fn open_private(path: &Path) -> Result<File, PrivateFileProblem> {
        let file = File::open(path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => PrivateFileProblem::Missing,
            // A directory does not open as a file; the path says why, the refusal stands.
            _ if path.is_dir() => PrivateFileProblem::NotRegular("a directory"),
            _ => PrivateFileProblem::Io(e),
        })?;
        let meta = file.metadata().map_err(PrivateFileProblem::Io)?;
        if meta.is_dir() {
            return Err(PrivateFileProblem::NotRegular("a directory"));
        }
        if !meta.is_file() {
            return Err(PrivateFileProblem::NotRegular("not a regular file"));
        }
        match super::acl::check_private(&file).map_err(PrivateFileProblem::Io)? {
            Ok(()) => Ok(file),
            Err(super::acl::Open::OtherOwner) => Err(PrivateFileProblem::OtherOwner),
            Err(super::acl::Open::NoDacl) => Err(PrivateFileProblem::OpenToOthers(
                "it has no access list, so everyone can read it".into(),
            )),
            Err(super::acl::Open::Granted(who)) => Err(PrivateFileProblem::OpenToOthers(format!(
                "its access list lets {} in",
                who.join(", ")
            ))),
        }
    }

    pub fn check_private_path(path: &Path) -> Result<(), PrivateFileProblem> {
        open_private(path).map(drop)
    }

    /// systemd credentials are Linux's: on Windows a file there gets the usual check.
    pub fn open_credential(dir: &Path, name: &str) -> Result<File, PrivateFileProblem> {
        open_private(&dir.join(name))
    }

    /// A new file whose access list lets only the current user in: not inherited from the
    /// directory, which may be shared. It is empty until that is done.
    pub fn create_private(path: &Path) -> io::Result<File> {
        super::acl::create_private(path)
    }

    pub fn make_private(path: &Path) -> io::Result<()> {
        super::acl::make_private(path)
    }

    /// Creates the missing directories; the last one, when new, is made private to the user
    /// (its files inherit that). An existing directory is left as it is.
    pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
        if dir.is_dir() {
            return Ok(());
        }
        fs::create_dir_all(dir)?;
        super::acl::make_private_dir(dir)
    }

    pub fn copy_permissions(like: &fs::Metadata, file: &File) -> io::Result<()> {
        file.set_permissions(like.permissions())
    }

    /// Windows offers no directory fsync through std; NTFS journals the rename itself.
    #[allow(clippy::unnecessary_wraps)]
    pub fn sync_dir(_dir: &Path) -> io::Result<()> {
        Ok(())
    }

    pub fn exec(command: &mut std::process::Command) -> io::Error {
        match command.status() {
            // Exit codes are 32-bit here; std::process::exit passes them on whole.
            Ok(status) => std::process::exit(status.code().unwrap_or(1)),
            Err(err) => err,
        }
    }

    /// Windows writes no core files by default; crash dumps (WER) are a system setting.
    pub fn harden_process() {}

    pub fn spawn_with_user_limits(
        command: &mut std::process::Command,
    ) -> io::Result<std::process::Child> {
        command.spawn()
    }

    pub fn detach(command: &mut std::process::Command) {
        use std::os::windows::process::CommandExt;
        const DETACHED_PROCESS: u32 = 0x0000_0008;
        const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
        super::handles::stop_inheriting_std_handles();
        command.creation_flags(DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP);
    }

    pub fn detach_self() {}

    /// A console's Ctrl-C reaches the interface as a key in raw mode; closing the window ends
    /// the process without a signal to catch.
    pub fn on_termination(_flag: &std::sync::Arc<std::sync::atomic::AtomicBool>) {}
}
