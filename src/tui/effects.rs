//! Slow work the interface hands to a worker thread (scrypt unlock, saves), and what comes
//! back. Each runs the library's own code paths; nothing here touches the terminal.

use std::path::PathBuf;
use std::sync::Arc;

use crate::change::Change;
use crate::document::Document;
use crate::error::{Error, Result};
use crate::identity::{self, Identity};
use crate::secret::Secret;
use crate::store::Store;

// Short-lived, one at a time: boxing the change would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Effect {
    /// Read the identity (with this passphrase, if it needs one) and the vault.
    Open { passphrase: Option<Secret> },
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
    /// Read the vault again, as it is on disk now.
    Reload { identity: Arc<Identity> },
    /// Put a value on the clipboard, cleared after the default delay.
    Copy { value: Secret, what: &'static str },
    /// Send a value through the terminal (OSC 52): done by the loop, which owns the terminal.
    Osc52(Secret),
}

pub enum Done {
    Opened(Result<Opened>),
    Saved {
        result: Result<Document>,
        select: Option<String>,
    },
    Reloaded(Result<Document>),
    /// `Err` carries the value back, for the terminal fallback.
    Copied {
        what: &'static str,
        result: std::result::Result<(), Secret>,
    },
}

pub struct Opened {
    pub identity: Arc<Identity>,
    /// `None`: the identity opened, but there is no vault yet.
    pub doc: Option<Document>,
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
        Effect::Open { passphrase } => Done::Opened(open(&store, paths, passphrase)),
        Effect::CreateAll { passphrase } => Done::Opened(
            identity::create(&paths.identity, Some(&passphrase))
                .and_then(|identity| create_vault(&store, Arc::new(identity))),
        ),
        Effect::CreateVault { identity } => Done::Opened(create_vault(&store, identity)),
        Effect::Save {
            identity,
            change,
            select,
        } => Done::Saved {
            result: store.apply(&identity, change),
            select,
        },
        Effect::Reload { identity } => Done::Reloaded(store.load(&identity)),
        Effect::Copy { value, what } => Done::Copied {
            what,
            result: crate::clipboard::copy(&value, crate::clipboard::DEFAULT_CLEAR_AFTER)
                .map_err(|_| value),
        },
        Effect::Osc52(value) => {
            crate::clipboard::send_osc52(&value).ok();
            return None;
        }
    })
}

fn open(store: &Store, paths: &Paths, passphrase: Option<Secret>) -> Result<Opened> {
    let held = paths.agent.as_deref().and_then(crate::agent::held_identity);
    let identity = if let Some(identity) = held {
        Arc::new(identity)
    } else {
        let mut once = passphrase;
        Arc::new(identity::load(
            &paths.identity,
            &mut |_, _| Ok(once.take()),
        )?)
    };
    match store.load(&identity) {
        Ok(doc) => Ok(Opened {
            identity,
            doc: Some(doc),
        }),
        Err(Error::VaultMissing(_)) => Ok(Opened {
            identity,
            doc: None,
        }),
        Err(err) => Err(err),
    }
}

fn create_vault(store: &Store, identity: Arc<Identity>) -> Result<Opened> {
    store.create_for(&identity)?;
    let doc = store.load(&identity)?;
    Ok(Opened {
        identity,
        doc: Some(doc),
    })
}
