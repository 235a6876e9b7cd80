//! `vault init` and `vault keygen`: making identities.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use super::{Context, Prompting, prompt};
use vault::error::{Error, Result};
use vault::identity;
use vault::trust;
use vault::writer::WriterId;

pub fn init(ctx: &Context, no_passphrase: bool) -> Result<()> {
    let store = ctx.store()?;
    // Before any question is asked: a vault that exists is never replaced.
    if fs::symlink_metadata(store.path()).is_ok() {
        return Err(Error::VaultExists(store.path().to_owned()));
    }
    let identity_path = ctx.identity_path()?;
    let identity = if identity::exists(&identity_path) {
        let identity = ctx.identity(Prompting::IfTerminal)?;
        eprintln!(
            "vault: using the existing identity {}",
            identity_path.display()
        );
        identity
    } else {
        let passphrase = if no_passphrase {
            None
        } else {
            Some(prompt::new_passphrase(ctx.passphrase_file())?)
        };
        let identity = identity::create(&identity_path, passphrase.as_ref())?;
        eprintln!(
            "vault: created identity {} ({}); public key {}",
            identity_path.display(),
            if no_passphrase {
                "no passphrase"
            } else {
                "passphrase-protected"
            },
            identity.recipients().join(", ")
        );
        identity
    };
    // The user's own writer key starts (or joins) their trust list: from now on their vaults
    // must be signed by a writer they trust.
    let writer = identity.writer_id()?;
    trust::list_own_writer(&writer)?;
    store.create_for(&identity)?;
    eprintln!(
        "vault: created {}, encrypted to {} and signed by your writer key {writer}",
        store.path().display(),
        identity.recipients().join(", ")
    );
    Ok(())
}

/// A new identity in `output`, a file or `keyring:NAME`, pinning the writers in `trust`.
pub fn keygen(output: &Path, trust: &[String]) -> Result<()> {
    let mut pins = String::new();
    for key in trust {
        let id = WriterId::parse(key)
            .map_err(|reason| Error::Usage(format!("--trust {key}: {reason}")))?;
        let _ = writeln!(pins, "{} {id}", trust::PIN_PREFIX);
    }
    let new = identity::generate_with_header(&pins);
    identity::write_new(output, new.file_text.expose().as_bytes())?;
    eprintln!("vault: created identity {}", output.display());
    super::output::stdout(format!("{}\n", new.recipient).as_bytes())
}
