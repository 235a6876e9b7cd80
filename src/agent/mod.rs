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

use crate::identity::Identity;

/// Where the agent listens and clients look: `VAULT_AGENT_SOCK`, else `$XDG_RUNTIME_DIR/vault/`,
/// else `/run/user/$UID/vault/` when that exists (cron sets no `XDG_RUNTIME_DIR`, yet a job
/// must find the agent its user started at login), else `/tmp/vault-$UID/`.
pub fn socket_path() -> Option<PathBuf> {
    imp::socket_path()
}

/// The identity an agent at `socket` holds, if one answers there.
pub fn held_identity(socket: &Path) -> Option<Identity> {
    imp::held_identity(socket)
}

#[cfg(unix)]
mod imp {
    use std::path::{Path, PathBuf};

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

    pub fn held_identity(socket: &Path) -> Option<Identity> {
        super::client::held_identity(socket)
    }
}

#[cfg(windows)]
mod imp {
    use std::path::{Path, PathBuf};

    use crate::identity::Identity;

    pub fn socket_path() -> Option<PathBuf> {
        None
    }

    pub fn held_identity(_socket: &Path) -> Option<Identity> {
        None
    }
}
