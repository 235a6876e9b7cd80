//! `vault init` and `vault keygen`: making identities.

use std::fs;
use std::path::Path;

use zeroize::Zeroizing;

use super::{Context, Prompting, prompt};
use crate::crypto::{self, SCRYPT_WORK_FACTOR};
use crate::document::{Document, Extra, Recipient};
use crate::error::{Error, Result};
use crate::identity::{self, Identity};
use crate::os;
use crate::store::OPERATOR;

pub fn init(ctx: &Context, no_passphrase: bool) -> Result<()> {
    let store = ctx.store()?;
    // Before any question is asked: a vault that exists is never replaced.
    if fs::symlink_metadata(store.path()).is_ok() {
        return Err(Error::VaultExists(store.path().to_owned()));
    }
    let identity_path = ctx.identity_path()?;
    let identity = if fs::symlink_metadata(&identity_path).is_ok() {
        let identity = ctx.identity(Prompting::IfTerminal)?;
        eprintln!(
            "vault: using the existing identity {}",
            identity_path.display()
        );
        identity
    } else {
        create_identity(&identity_path, no_passphrase, ctx.passphrase_file())?
    };
    let recipients = identity
        .recipients()
        .iter()
        .enumerate()
        .map(|(i, key)| Recipient {
            name: if i == 0 {
                OPERATOR.into()
            } else {
                format!("{OPERATOR}-{}", i + 1)
            },
            key: key.clone(),
            extra: Extra::default(),
        })
        .collect();
    store.create(&Document::new(recipients), &identity)?;
    eprintln!("vault: created {}", store.path().display());
    Ok(())
}

fn create_identity(
    path: &Path,
    no_passphrase: bool,
    passphrase_file: Option<&Path>,
) -> Result<Identity> {
    let new = identity::generate();
    let contents = if no_passphrase {
        Zeroizing::new(new.file_text.expose().as_bytes().to_vec())
    } else {
        let passphrase = prompt::new_passphrase(passphrase_file)?;
        let encrypted = crypto::encrypt_with_passphrase(
            new.file_text.expose().as_bytes(),
            &passphrase,
            SCRYPT_WORK_FACTOR,
        )
        .map_err(|reason| Error::other(format!("cannot encrypt the identity: {reason}")))?;
        Zeroizing::new(encrypted)
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        os::create_private_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    }
    identity::write_new(path, &contents)?;
    eprintln!(
        "vault: created identity {} ({}); public key {}",
        path.display(),
        if no_passphrase {
            "no passphrase"
        } else {
            "passphrase-protected"
        },
        new.recipient
    );
    identity::parse_age(path, new.file_text.expose())
}

pub fn keygen(output: &Path) -> Result<()> {
    let new = identity::generate();
    identity::write_new(output, new.file_text.expose().as_bytes())?;
    eprintln!("vault: created identity {}", output.display());
    super::output::stdout(format!("{}\n", new.recipient).as_bytes())
}
