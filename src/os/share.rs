//! Sharing files with a job's Unix user through a group, and keeping who owns a file a save
//! replaces: what scoped recipients and `--group` need of the OS.

use std::fs::{self, File};
use std::io;
use std::path::Path;

#[cfg(unix)]
pub use unix::*;
#[cfg(windows)]
pub use windows::*;

#[cfg(unix)]
mod unix {
    use super::{File, Path, fs, io};
    use std::os::fd::AsFd;
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};

    /// The gid of a group given by name (or as a number).
    pub fn group_id(group: &str) -> io::Result<u32> {
        if let Ok(gid) = group.parse::<u32>() {
            return Ok(gid);
        }
        uzers::get_group_by_name(group)
            .map(|g| g.gid())
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no group '{group}'")))
    }

    /// Makes `dir` (if need be) so that others can reach a file in it by name but list
    /// nothing: 0711, or 0710 owned by `group` when one group is to read what is inside.
    pub fn prepare_shared_dir(dir: &Path, group: Option<&str>) -> io::Result<()> {
        match fs::DirBuilder::new().mode(0o700).create(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        let handle = File::open(dir)?;
        let meta = handle.metadata()?;
        if !meta.is_dir() {
            return Err(io::Error::other("it is not a directory"));
        }
        let mode = match group {
            Some(group) => {
                let gid = group_id(group)?;
                rustix::fs::fchown(handle.as_fd(), None, Some(rustix::fs::Gid::from_raw(gid)))?;
                0o710
            }
            None => 0o711,
        };
        handle.set_permissions(fs::Permissions::from_mode(mode))
    }

    /// Gives `path` to `group`, readable by it: 0640.
    pub fn share_with_group(path: &Path, group: &str) -> io::Result<()> {
        let gid = group_id(group)?;
        let file = File::open(path)?;
        rustix::fs::fchown(file.as_fd(), None, Some(rustix::fs::Gid::from_raw(gid)))?;
        file.set_permissions(fs::Permissions::from_mode(0o640))
    }

    /// Points `link` at `target`, replacing what was there in one rename.
    pub fn replace_symlink(link: &Path, target: &Path) -> io::Result<()> {
        if fs::read_link(link).ok().as_deref() == Some(target) {
            return Ok(());
        }
        let mut temp = link.as_os_str().to_owned();
        temp.push(".new");
        let temp = Path::new(&temp);
        fs::remove_file(temp).ok();
        std::os::unix::fs::symlink(target, temp)?;
        fs::rename(temp, link)
    }

    /// Gives `file` the owner and group of `like`, as far as this process may: root keeps
    /// both; a user keeps a group of theirs (`chgrp svc vault.age`), which is what a save
    /// must not lose.
    pub fn copy_owner(like: &fs::Metadata, file: &File) -> io::Result<()> {
        let (uid, gid) = (like.uid(), like.gid());
        let current = file.metadata()?;
        if current.uid() == uid && current.gid() == gid {
            return Ok(());
        }
        let owner = rustix::fs::Uid::from_raw(uid);
        let group = rustix::fs::Gid::from_raw(gid);
        match rustix::fs::fchown(file.as_fd(), Some(owner), Some(group)) {
            Ok(()) => Ok(()),
            // Only root gives a file away; the group alone is still ours to keep.
            Err(rustix::io::Errno::PERM) => {
                rustix::fs::fchown(file.as_fd(), None, Some(group)).map_err(Into::into)
            }
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(windows)]
mod windows {
    use super::{File, Path, fs, io};

    fn unsupported() -> io::Error {
        io::Error::new(
            io::ErrorKind::Unsupported,
            "groups are a Unix feature; on Windows share the file with its access list",
        )
    }

    pub fn prepare_shared_dir(dir: &Path, group: Option<&str>) -> io::Result<()> {
        if group.is_some() {
            return Err(unsupported());
        }
        fs::create_dir_all(dir)
    }

    pub fn share_with_group(_path: &Path, _group: &str) -> io::Result<()> {
        Err(unsupported())
    }

    /// Windows symlinks need a privilege: a copy under the link's name serves the same lookup.
    pub fn replace_symlink(link: &Path, target: &Path) -> io::Result<()> {
        let dir = link.parent().unwrap_or(Path::new("."));
        fs::copy(dir.join(target), link).map(|_| ())
    }

    /// Files a save replaces get the access list of their directory; owners are kept by NTFS.
    #[allow(clippy::unnecessary_wraps)]
    pub fn copy_owner(_like: &fs::Metadata, _file: &File) -> io::Result<()> {
        Ok(())
    }
}
