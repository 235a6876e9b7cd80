//! The agent process: a socket only its user can reach, answering one small request at a
//! time until it is stopped, signalled, or left idle.

use std::fs::{self, DirBuilder};
use std::io;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};

use super::client;
use super::protocol::{self, Answer, Deadline, Info, Request};
use crate::error::{Error, Result};
use crate::identity::Identity;

/// How long one client may take over its whole request and answer: requests are served one
/// at a time, so this is the longest a slow or stuck client can keep the others waiting.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);

/// A bound socket, removed again when the agent ends.
pub struct Listener {
    listener: UnixListener,
    path: PathBuf,
}

impl Drop for Listener {
    fn drop(&mut self) {
        fs::remove_file(&self.path).ok();
    }
}

/// Binds the socket: its directory made private (0700) when it is ours to make, the socket
/// 0600, a stale socket from a killed agent replaced, a live agent left alone.
pub fn bind(path: &Path) -> Result<Listener> {
    let fail = |what: &str, e: io::Error| Error::io(format!("cannot {what} {}", path.display()), e);
    private_dir(client::directory_of(path))?;
    if let Ok(meta) = fs::symlink_metadata(path) {
        if let Some(info) = client::info(path)? {
            return Err(already_running(path, &info));
        }
        if !meta.file_type().is_socket() {
            return Err(Error::other(format!(
                "{} exists and is not a socket; refusing to replace it",
                path.display()
            )));
        }
        fs::remove_file(path).map_err(|e| fail("remove the stale socket", e))?;
    }
    // Created 0600 from the start: no moment when another user could connect.
    let old_mask = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o177));
    let bound = UnixListener::bind(path);
    rustix::process::umask(old_mask);
    let listener = bound.map_err(|e| fail("listen on", e))?;
    let listener = Listener {
        listener,
        path: path.to_owned(),
    };
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
        .map_err(|e| fail("set the mode of", e))?;
    Ok(listener)
}

/// Refusing a second agent on the same socket.
pub fn already_running(socket: &Path, info: &Info) -> Error {
    Error::with_hint(
        format!(
            "an agent is already running at {} (pid {})",
            socket.display(),
            info.pid
        ),
        "vault agent stop ends it",
    )
}

/// The agent's own directory: created 0700, or refused when it is open to others or not ours
/// (a `/tmp/vault-UID` made by someone else would let them swap the socket).
fn private_dir(dir: &Path) -> Result<()> {
    let refuse = |why: &str| {
        Error::with_hint(
            format!("refusing agent directory {}: {why}", dir.display()),
            "remove it, or set VAULT_AGENT_SOCK to a path in a directory of your own",
        )
    };
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => DirBuilder::new()
            .mode(0o700)
            .create(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e)),
        Err(e) => Err(Error::io(format!("cannot read {}", dir.display()), e)),
        Ok(meta) if !meta.is_dir() => Err(refuse("it is not a directory")),
        Ok(meta) => match client::not_private(&meta) {
            Some(why) => Err(refuse(&format!("it {why}"))),
            None => Ok(()),
        },
    }
}

/// Answers requests until `stop` is raised (SIGTERM, SIGINT), a client asks it to stop, or
/// no request came for `idle`. `log` gets one line per notable event, never a secret.
pub fn serve(
    listener: &Listener,
    identity: &Identity,
    idle: Option<Duration>,
    stop: &AtomicBool,
    log: &dyn Fn(&str),
) -> io::Result<()> {
    let info = Info {
        pid: std::process::id(),
        identity: identity.path().display().to_string(),
        recipients: identity.recipients().to_vec(),
        idle_timeout_secs: idle.map(|d| d.as_secs()),
        writer: identity.writer_id().ok().map(|id| id.to_string()),
    };
    let me = rustix::process::geteuid();
    let mut last_used = Instant::now();
    listener.listener.set_nonblocking(true)?;
    loop {
        if stop.load(Ordering::Relaxed) {
            log("stopping: signalled");
            return Ok(());
        }
        if idle.is_some_and(|idle| last_used.elapsed() >= idle) {
            log("stopping: idle timeout");
            return Ok(());
        }
        // A signal interrupts the wait (EINTR), so a stop is seen at once; the timeout only
        // bounds how late an idle timeout is noticed.
        let mut fds = [PollFd::new(&listener.listener, PollFlags::IN)];
        let wait = Timespec {
            tv_sec: 1,
            tv_nsec: 0,
        };
        match poll(&mut fds, Some(&wait)) {
            Ok(0) | Err(rustix::io::Errno::INTR) => continue,
            Ok(_) => {}
            Err(e) => return Err(e.into()),
        }
        let stream = match listener.listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => {
                log(&format!("accept failed: {e}"));
                continue;
            }
        };
        match client::peer_uid(&stream) {
            Ok(uid) if uid == me.as_raw() => {}
            Ok(uid) => {
                log(&format!("refused a connection from uid {uid}"));
                continue;
            }
            Err(e) => {
                log(&format!("refused a connection: no peer credentials ({e})"));
                continue;
            }
        }
        match answer(&stream, identity, &info) {
            Ok(Handled::Stop) => {
                log("stopping: asked to");
                return Ok(());
            }
            Ok(Handled::Served) => last_used = Instant::now(),
            // A client that died or spoke nonsense affects nobody else.
            Err(e) => log(&format!("a request failed: {e}")),
        }
    }
}

enum Handled {
    Served,
    Stop,
}

fn answer(stream: &UnixStream, identity: &Identity, info: &Info) -> io::Result<Handled> {
    stream.set_nonblocking(false)?;
    let mut stream = Deadline::new(stream, CLIENT_TIMEOUT);
    let (answer, handled) = match protocol::read_request(&mut stream)? {
        Request::Info => (Answer::Info(info.clone()), Handled::Served),
        Request::Stop => (Answer::Stopping, Handled::Stop),
        Request::Unwrap(stanzas) => {
            let unwrapped = identity
                .keys()
                .iter()
                .find_map(|key| key.unwrap_stanzas(&stanzas));
            let answer = match unwrapped {
                Some(Ok(key)) => Answer::FileKey(key),
                Some(Err(e)) => Answer::Failed(e.to_string()),
                None => Answer::NoMatch,
            };
            (answer, Handled::Served)
        }
        // The agent signs for its clients, as it decrypts for them: the writer key never leaves.
        Request::Sign(digest) => {
            let answer = match identity.signer().and_then(|signer| signer.sign(&digest)) {
                Ok(signature) => Answer::Signature(signature),
                Err(e) => Answer::Failed(e.to_string()),
            };
            (answer, Handled::Served)
        }
    };
    protocol::write_answer(&mut stream, &answer)?;
    Ok(handled)
}
