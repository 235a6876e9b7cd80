//! The client side: one connection per request, and an `age::Identity` that forwards the
//! header's stanzas to the agent, so the rest of vault decrypts through it unchanged.

use std::io;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use age::DecryptError;
use age_core::format::{FileKey, Stanza};

use super::protocol::{self, Answer, Deadline, Info, Request};
use crate::identity::Identity;

/// An agent answers at once; this only bounds a hung one.
const TIMEOUT: Duration = Duration::from_secs(10);

pub fn request(socket: &Path, request: &Request) -> io::Result<Answer> {
    let stream = UnixStream::connect(socket)?;
    let mut stream = Deadline::new(&stream, TIMEOUT);
    protocol::write_request(&mut stream, request)?;
    protocol::read_answer(&mut stream)
}

/// What the agent at `socket` holds, if one answers there.
pub fn info(socket: &Path) -> Option<Info> {
    match request(socket, &Request::Info) {
        Ok(Answer::Info(info)) => Some(info),
        _ => None,
    }
}

pub fn held_identity(socket: &Path) -> Option<Identity> {
    let info = info(socket)?;
    let key = AgentKey {
        socket: socket.to_owned(),
    };
    Some(Identity::held_elsewhere(
        socket.to_owned(),
        vec![Box::new(key)],
        info.recipients,
    ))
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
        match request(&self.socket, &Request::Unwrap(stanzas)) {
            Ok(Answer::FileKey(key)) => Some(Ok(key)),
            Ok(Answer::Failed(_)) => Some(Err(DecryptError::KeyDecryptionFailed)),
            // Gone since it answered the first time: as if its key did not match.
            _ => None,
        }
    }
}
