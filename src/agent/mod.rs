//! `vault agent`: holds an unlocked identity, as ssh-agent does, so that jobs and commands run
//! later need neither the passphrase nor an unencrypted key on disk. The key never leaves the
//! agent: a client sends the recipient stanzas of an age header and gets back the file key.
//!
//! Unix only (a Unix socket, peer credentials); on Windows [`socket_path`] is `None` and every
//! command reads its identity file as before.

#[cfg(unix)]
pub mod client;
#[cfg(unix)]
pub mod protocol;
#[cfg(unix)]
pub mod server;

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::identity::Identity;

/// Where the agent listens and clients look: `VAULT_AGENT_SOCK`, else `$XDG_RUNTIME_DIR/vault/`,
/// else `/run/user/$UID/vault/` when that exists (cron sets no `XDG_RUNTIME_DIR`, yet a job
/// must find the agent its user started at login), else `/tmp/vault-$UID/`. Whichever it is,
/// the agent and its clients use it only when its directory is the user's and closed to others.
pub fn socket_path() -> Option<PathBuf> {
    imp::socket_path()
}

/// The identity an agent at `socket` holds: `None` when no agent answers there, an error
/// naming the path and why when the socket is one another user could have planted or listens
/// on (it is never written to). For a caller with nothing else to decrypt with, so the user
/// learns why the agent was not used.
pub fn find_held_identity(socket: &Path) -> Result<Option<Identity>> {
    imp::held_identity(socket)
}

/// As [`find_held_identity`], for a caller with an identity file to fall back on: a refused
/// socket counts as no agent, never as one to trust.
pub fn held_identity(socket: &Path) -> Option<Identity> {
    find_held_identity(socket).ok().flatten()
}

#[cfg(unix)]
mod imp {
    use std::path::{Path, PathBuf};

    use crate::error::Result;
    use crate::identity::Identity;

    pub const SOCKET_NAME: &str = "agent.sock";

    // Always a path here; the Option is Windows', which has none.
    #[allow(clippy::unnecessary_wraps)]
    pub fn socket_path() -> Option<PathBuf> {
        if let Some(path) = std::env::var_os("VAULT_AGENT_SOCK").filter(|p| !p.is_empty()) {
            return Some(PathBuf::from(path));
        }
        let uid = rustix::process::getuid().as_raw();
        let runtime = std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| Some(PathBuf::from(format!("/run/user/{uid}"))).filter(|p| p.is_dir()));
        Some(match runtime {
            Some(dir) => dir.join("vault").join(SOCKET_NAME),
            None => PathBuf::from(format!("/tmp/vault-{uid}")).join(SOCKET_NAME),
        })
    }

    pub fn held_identity(socket: &Path) -> Result<Option<Identity>> {
        super::client::held_identity(socket)
    }
}

#[cfg(windows)]
mod imp {
    use std::path::{Path, PathBuf};

    use crate::error::Result;
    use crate::identity::Identity;

    pub fn socket_path() -> Option<PathBuf> {
        None
    }

    // The Result is Unix's, where a socket can be refused; here there is none to refuse.
    #[allow(clippy::unnecessary_wraps)]
    pub fn held_identity(_socket: &Path) -> Result<Option<Identity>> {
        Ok(None)
    }
}
