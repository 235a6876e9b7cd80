//! Slow work the interface hands to a worker thread (scrypt unlock, saves), and what comes
//! back. Each runs the library's own code paths; nothing here touches the terminal.

use std::path::PathBuf;
use std::sync::Arc;

use vault::change::Change;
use vault::document::{Document, Recipient};
use vault::error::{Error, Result};
use vault::identity::{self, Identity};
use vault::secret::Secret;
use vault::signature::Signed;
use vault::store::{Saved, Store, Unparsed};

// Short-lived, one at a time: boxing the change would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Effect {
    /// Read the identity (with this passphrase, if it needs one) and the vault. `relock`: after
    /// a lock, where the agent is not asked: the identity file (and its passphrase) is.
    Open {
        passphrase: Option<Secret>,
        relock: bool,
    },
    /// First run: a new identity protected by this passphrase, and an empty vault.
    CreateAll { passphrase: Secret },
    /// An identity but no vault yet: an empty vault encrypted to it.
    CreateVault { identity: Arc<Identity> },
    /// Apply one change through the store's write path.
    Save {
        identity: Arc<Identity>,
        change: Change,
        select: Option<String>,
    },
    /// Read the vault again, as it is on disk now. `quiet`: because it changed there, not
    /// because the user asked; the keys do not wait for it.
    Reload {
        identity: Arc<Identity>,
        quiet: bool,
    },
    /// Look whether the vault file is still the one last read (`known`).
    Watch { known: Option<FileId> },
    /// Answer a plugin's question: done by the loop, at once.
    Answer(
        std::sync::mpsc::Sender<super::prompt::Reply>,
        super::prompt::Reply,
    ),
    /// Put a value on the clipboard, cleared after the default delay.
    Copy { value: Secret, what: &'static str },
    /// Send a value through the terminal (OSC 52): done by the loop, which owns the terminal.
    Osc52(Secret),
    /// Find weak, reused and old passwords, for the marks in the list (zxcvbn takes its time:
    /// never on the thread that draws).
    Audit(Box<Document>),
    /// Parse the entries of the vault just opened, whose list shows already.
    Parse(Unparsed),
}

// One at a time, sent once: boxing the opened vault would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Done {
    Opened(Result<Opened>),
    /// Neither an identity nor a vault yet.
    FirstRun,
    Saved {
        result: Result<Saved>,
        select: Option<String>,
    },
    Reloaded {
        result: Result<Document>,
        quiet: bool,
        file: Option<FileId>,
    },
    /// What the vault file is now, and whether that differs from the one last read.
    Watched {
        now: Option<FileId>,
        changed: bool,
    },
    /// Each entry with findings, by name.
    Audited(Findings),
    /// The whole document of the vault opened with only its first entry parsed.
    Parsed(Result<Document>),
    /// `Err` carries the value back, for the terminal fallback.
    Copied {
        what: &'static str,
        result: std::result::Result<(), Secret>,
    },
}

/// Audit findings by entry name.
pub type Findings = std::collections::BTreeMap<String, Vec<vault::audit::Finding>>;

/// How old a password may get before the list marks it (as `vault audit`'s default).
const OLD_AFTER: std::time::Duration = std::time::Duration::from_secs(180 * 86_400);

pub struct Opened {
    pub identity: Arc<Identity>,
    /// Whether unlocking again needs a passphrase: the identity file has one (also when the
    /// agent opened it this time).
    pub protected: bool,
    pub file: Option<FileId>,
    /// `None`: the identity opened, but there is no vault yet.
    pub doc: Option<Document>,
    /// A large vault's entries, when `doc` holds only the first: their names are in the list at
    /// once, the rest is parsed on a worker ([`Effect::Parse`]).
    pub rest: Option<Unparsed>,
    /// Set when no writer this user trusts signed the vault: it opens read-only, and says why.
    pub untrusted: Option<Untrusted>,
}

/// What the warning screen tells about a vault no trusted writer signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untrusted {
    /// Who signed it, in words ("it is unsigned", "it is signed by an unknown writer …").
    pub signer: String,
    /// Recipients (`name  key`) it has that the last version a trusted writer signed has not.
    pub added: Vec<String>,
    /// Recipients that version had and this one has not.
    pub removed: Vec<String>,
    /// Whether there was a trusted version (`.bak`) to compare with at all.
    pub compared: bool,
}

/// What tells one version of the vault file from another without reading it: a save renames
/// a new file over the old, so the inode changes; an edit in place changes the time or size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileId {
    modified: Option<std::time::SystemTime>,
    len: u64,
    inode: u64,
}

pub fn file_id(path: &std::path::Path) -> Option<FileId> {
    std::fs::metadata(path).ok().as_ref().map(file_id_of)
}

pub fn file_id_of(meta: &std::fs::Metadata) -> FileId {
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(meta);
    #[cfg(not(unix))]
    let inode = 0;
    FileId {
        modified: meta.modified().ok(),
        len: meta.len(),
        inode,
    }
}

#[derive(Clone)]
pub struct Paths {
    pub vault: PathBuf,
    pub identity: PathBuf,
    /// An agent to ask first, when no identity file was named.
    pub agent: Option<PathBuf>,
}

/// Does the work; `None` for an effect with nothing to report.
pub fn run(effect: Effect, paths: &Paths) -> Option<Done> {
    let store = Store::new(&paths.vault);
    Some(match effect {
        Effect::Open { passphrase, relock } => match open(&store, paths, passphrase, relock) {
            // No identity and no vault: a first run, offered to set both up.
            Err(Error::IdentityMissing(_)) if !relock && !paths.vault.exists() => Done::FirstRun,
            result => Done::Opened(result),
        },
        Effect::CreateAll { passphrase } => Done::Opened(
            identity::create(&paths.identity, Some(&passphrase))
                .and_then(|identity| {
                    vault::trust::list_own_writer(&identity.writer_id()?)?;
                    identity.with_local_trust()
                })
                .and_then(|identity| create_vault(&store, Arc::new(identity)))
                .map(|opened| Opened {
                    protected: true,
                    ..opened
                }),
        ),
        Effect::CreateVault { identity } => Done::Opened(create_vault(&store, identity)),
        Effect::Save {
            identity,
            change,
            select,
        } => {
            let result = store.apply_change(&identity, change);
            Done::Saved { result, select }
        }
        Effect::Reload { identity, quiet } => {
            // Before the read: a change in between makes the next look read it again.
            let file = file_id(&paths.vault);
            Done::Reloaded {
                result: store.load(&identity),
                quiet,
                file,
            }
        }
        Effect::Watch { known } => {
            let now = file_id(&paths.vault);
            Done::Watched {
                changed: now != known,
                now,
            }
        }
        Effect::Answer(reply, answer) => {
            // The worker waiting for it may have given up: nothing to tell anyone then.
            reply.send(answer).ok();
            return None;
        }
        Effect::Copy { value, what } => Done::Copied {
            what,
            result: vault::clipboard::copy(&value, vault::clipboard::DEFAULT_CLEAR_AFTER)
                .map_err(|_| value),
        },
        Effect::Audit(doc) => {
            let reports = vault::audit::audit(&doc, OLD_AFTER, std::time::SystemTime::now(), None)
                .unwrap_or_default();
            Done::Audited(reports.into_iter().map(|r| (r.name, r.findings)).collect())
        }
        Effect::Osc52(value) => {
            vault::clipboard::send_osc52(&value).ok();
            return None;
        }
        Effect::Parse(rest) => Done::Parsed(rest.parse()),
    })
}

fn open(store: &Store, paths: &Paths, passphrase: Option<Secret>, relock: bool) -> Result<Opened> {
    // After a lock the agent is not asked: it would open without the person proving anything.
    let held = if relock {
        None
    } else {
        paths.agent.as_deref().and_then(vault::agent::held_identity)
    };
    let file = file_id(&paths.vault);
    let (identity, protected) = if let Some(identity) = held {
        (identity, identity_protected(&identity_file(paths)))
    } else {
        let path = if relock {
            identity_file(paths)
        } else {
            paths.identity.clone()
        };
        let mut asked = false;
        let mut once = passphrase;
        let identity = identity::load(&path, &mut |_, _| {
            asked = true;
            Ok(once.take())
        })
        .map_err(|err| match err {
            // The agent opened it at the start; a lock wants the person, through the file.
            Error::IdentityMissing(path) if relock => Error::with_hint(
                format!(
                    "locked: unlocking needs the identity file ({}) and its passphrase",
                    path.display()
                ),
                "the agent alone does not unlock a locked screen; Esc quits",
            ),
            other => other,
        })?;
        (identity, asked)
    };
    let identity = Arc::new(identity.with_local_trust()?);
    match first_look(store, &identity) {
        Ok((doc, rest, signed)) => {
            // Read-only unless a save would be accepted: showing it is fine, building on it not.
            let untrusted = match identity.trust().check_write(&signed) {
                Ok(()) => None,
                Err(_) => Some(untrusted(store, &identity, &doc, &signed)),
            };
            Ok(Opened {
                identity,
                protected,
                file,
                doc: Some(doc),
                rest,
                untrusted,
            })
        }
        Err(Error::VaultMissing(_)) => Ok(Opened {
            identity,
            protected,
            file,
            doc: None,
            rest: None,
            untrusted: None,
        }),
        Err(err) => Err(err),
    }
}

/// The vault as the interface first shows it, and who signed it: a large one with only the
/// entry selected at first parsed (every name is in the list), the rest to be parsed
/// ([`Effect::Parse`]) while the list is on screen.
pub fn first_look(
    store: &Store,
    identity: &Identity,
) -> Result<(Document, Option<Unparsed>, Signed)> {
    let (read, signed) = store.inspect_unparsed(identity)?;
    let first = read.names().and_then(|names| names.first()).cloned();
    Ok(match first.and_then(|name| read.partial(&[&name])) {
        Some(partial) => (partial?, Some(read), signed),
        None => (read.parse()?, None, signed),
    })
}

/// The identity file a lock asks to open again: the one named, or, when the agent opened the
/// vault and the named one is not there, the file the agent holds (its path is public).
fn identity_file(paths: &Paths) -> std::path::PathBuf {
    if paths.identity.exists() {
        return paths.identity.clone();
    }
    #[cfg(unix)]
    if let Some(info) = paths
        .agent
        .as_deref()
        .and_then(|socket| vault::agent::client::info(socket).ok().flatten())
    {
        return info.identity.into();
    }
    paths.identity.clone()
}

/// Whether the identity file wants a passphrase: asked without one, it says so. A file that is
/// not there is taken as protected, so a lock still asks (and then says what is missing).
fn identity_protected(path: &std::path::Path) -> bool {
    identity::load(path, &mut |_, _| Ok(None)).is_err()
}

fn untrusted(store: &Store, identity: &Identity, doc: &Document, signed: &Signed) -> Untrusted {
    let changes = store.recipient_changes(identity, doc);
    let shown = |list: &[Recipient]| -> Vec<String> {
        list.iter()
            .map(|r| format!("{}  {}", r.name, r.key))
            .collect()
    };
    Untrusted {
        signer: identity.trust().describe_signed(signed),
        added: shown(&changes.added),
        removed: shown(&changes.removed),
        compared: changes.compared,
    }
}

fn create_vault(store: &Store, identity: Arc<Identity>) -> Result<Opened> {
    vault::trust::list_own_writer(&identity.writer_id()?)?;
    store.create_for(&identity)?;
    let doc = store.load(&identity)?;
    Ok(Opened {
        protected: false,
        file: file_id(store.path()),
        identity,
        doc: Some(doc),
        rest: None,
        untrusted: None,
    })
}
