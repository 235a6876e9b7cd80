//! The client side: one connection per request, and an `age::Identity` that forwards the
//! header's stanzas to the agent, so the rest of vault decrypts through it unchanged.
//!
//! Every connection is checked first: the socket's path may be in `/tmp`, where any user can
//! get there first, and whoever answers gets the stanzas and chooses the recipients of a new
//! vault. So nothing is sent to a socket another user could have made or could be listening
//! on, and such a socket is not even connected to.

use std::fs::{self, Metadata};
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use age::DecryptError;
use age_core::format::{FileKey, Stanza};

use super::protocol::{self, Answer, Deadline, Info, Request};
use crate::error::{Error, Result, describe_io};
use crate::identity::Identity;
use crate::writer::{Digest, Signer, WriterId};

/// An agent answers at once; this only bounds a hung one.
const TIMEOUT: Duration = Duration::from_secs(10);

/// One request and its answer. `Ok(None)`: no agent answered (none listens there, or it
/// died or spoke nonsense); an error: the socket is refused, and was never written to.
pub fn request(socket: &Path, request: &Request) -> Result<Option<Answer>> {
    let Some(stream) = connect(socket)? else {
        return Ok(None);
    };
    let mut stream = Deadline::new(&stream, TIMEOUT);
    let answer = protocol::write_request(&mut stream, request)
        .and_then(|()| protocol::read_answer(&mut stream));
    Ok(answer.ok())
}

/// What the agent at `socket` holds, if one answers there.
pub fn info(socket: &Path) -> Result<Option<Info>> {
    Ok(match request(socket, &Request::Info)? {
        Some(Answer::Info(info)) => Some(info),
        _ => None,
    })
}

pub fn held_identity(socket: &Path) -> Result<Option<Identity>> {
    let Some(info) = info(socket)? else {
        return Ok(None);
    };
    let key = AgentKey {
        socket: socket.to_owned(),
    };
    // An agent too old to sign is no agent for this version.
    let Some(writer) = info.writer.as_deref().and_then(|w| WriterId::parse(w).ok()) else {
        return Ok(None);
    };
    let signer = AgentSigner {
        socket: socket.to_owned(),
        writer,
    };
    Ok(Some(Identity::held_elsewhere(
        socket.to_owned(),
        vec![Box::new(key)],
        info.recipients,
        std::sync::Arc::new(signer),
    )))
}

/// A connection to the agent at `socket`, if one listens there and it is ours: the socket and
/// its directory ours and closed to others (checked before connecting, so a planted socket
/// never sees us), and the process on the other end running as us.
fn connect(socket: &Path) -> Result<Option<UnixStream>> {
    let refuse = |reason: String| Error::AgentRefused {
        socket: socket.to_owned(),
        reason,
    };
    let dir = directory_of(socket);
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(refuse(format!(
                "cannot read {}: {}",
                dir.display(),
                describe_io(&e)
            )));
        }
        Ok(meta) if !meta.is_dir() => {
            return Err(refuse(format!("{} is not a directory", dir.display())));
        }
        Ok(meta) => {
            if let Some(why) = not_private(&meta) {
                return Err(refuse(format!("its directory {} {why}", dir.display())));
            }
        }
    }
    match fs::symlink_metadata(socket) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(refuse(format!("cannot read it: {}", describe_io(&e)))),
        Ok(meta) if !meta.file_type().is_socket() => {
            return Err(refuse("it is not a socket".into()));
        }
        Ok(meta) => {
            if let Some(why) = not_private(&meta) {
                return Err(refuse(format!("it {why}")));
            }
        }
    }
    // Refused (a killed agent's socket) or gone since: no agent, as before.
    let Ok(stream) = UnixStream::connect(socket) else {
        return Ok(None);
    };
    match peer_uid(&stream) {
        Ok(uid) if uid == rustix::process::geteuid().as_raw() => Ok(Some(stream)),
        Ok(uid) => Err(refuse(format!(
            "the process listening on it runs as uid {uid}"
        ))),
        Err(e) => Err(refuse(format!(
            "cannot tell who listens on it: {}",
            describe_io(&e)
        ))),
    }
}

/// The directory whose owner decides who may put a socket at `socket`.
pub(super) fn directory_of(socket: &Path) -> &Path {
    socket
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Why another user could have made or could reach the file `meta` describes; `None` when it
/// is ours and has no bits for group or others.
pub(super) fn not_private(meta: &Metadata) -> Option<String> {
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        Some(format!("belongs to another user (uid {})", meta.uid()))
    } else if meta.mode() & 0o077 != 0 {
        Some(format!(
            "has mode {:03o}, which lets others in",
            meta.mode() & 0o777
        ))
    } else {
        None
    }
}

/// The uid of the process on the other end of `stream`.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) fn peer_uid(stream: &UnixStream) -> io::Result<u32> {
    Ok(rustix::net::sockopt::socket_peercred(stream.as_fd())?
        .uid
        .as_raw())
}

/// Elsewhere the socket's mode and directory are the only guard.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(super) fn peer_uid(_stream: &UnixStream) -> io::Result<u32> {
    Ok(rustix::process::geteuid().as_raw())
}

/// The agent's writer key, seen from a client.
struct AgentSigner {
    socket: PathBuf,
    writer: WriterId,
}

impl Signer for AgentSigner {
    fn id(&self) -> WriterId {
        self.writer.clone()
    }

    fn sign(&self, digest: &Digest) -> crate::error::Result<[u8; 64]> {
        let failed = |why: String| {
            crate::error::Error::other(format!(
                "the agent at {} could not sign the vault: {why}",
                self.socket.display()
            ))
        };
        match request(&self.socket, &Request::Sign(*digest)) {
            Ok(Some(Answer::Signature(signature))) if self.writer.verifies(digest, &signature) => {
                Ok(signature)
            }
            Ok(Some(Answer::Signature(_))) => Err(failed("it signed with another key".into())),
            Ok(Some(Answer::Failed(message))) => Err(failed(message)),
            Ok(Some(_)) => Err(failed("unexpected answer".into())),
            Ok(None) => Err(failed("it no longer answers".into())),
            Err(e) => Err(e),
        }
    }
}

/// The agent's keys, seen from a client.
struct AgentKey {
    socket: PathBuf,
}

impl age::Identity for AgentKey {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, DecryptError>> {
        self.unwrap_stanzas(std::slice::from_ref(stanza))
    }

    fn unwrap_stanzas(&self, stanzas: &[Stanza]) -> Option<Result<FileKey, DecryptError>> {
        let stanzas = stanzas
            .iter()
            .map(|s| Stanza {
                tag: s.tag.clone(),
                args: s.args.clone(),
                body: s.body.clone(),
            })
            .collect();
        // Checked again on every request: the socket may have been replaced since `info`.
        match request(&self.socket, &Request::Unwrap(stanzas)) {
            Ok(Some(Answer::FileKey(key))) => Some(Ok(key)),
            Ok(Some(Answer::Failed(_))) => Some(Err(DecryptError::KeyDecryptionFailed)),
            // Gone or refused since it answered the first time: as if its key did not match.
            _ => None,
        }
    }
}
