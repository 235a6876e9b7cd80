//! `vault recipients list|add|remove`.

use std::fmt::Write as _;

use super::args::RecipientsCommand;
use super::{Context, Prompting, output};
use crate::change::{Change, with_recipient};
use crate::crypto;
use crate::error::{Error, Result};
use crate::identity;

pub fn run(ctx: &Context, action: RecipientsCommand) -> Result<()> {
    match action {
        RecipientsCommand::List => list(ctx),
        RecipientsCommand::Add { key, file, name } => add(ctx, key, file, &name),
        RecipientsCommand::Remove { name } => remove(ctx, &name),
    }
}

fn list(ctx: &Context) -> Result<()> {
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let doc = ctx.store()?.load(&identity)?;
    let width = doc
        .recipients
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for recipient in &doc.recipients {
        let mine = identity
            .recipients()
            .contains(&crypto::canonical_key(&recipient.key));
        let _ = writeln!(
            text,
            "{:width$}  {}{}",
            output::printable(&recipient.name),
            output::printable(&recipient.key),
            if mine { "  (you)" } else { "" }
        );
    }
    output::stdout(text.as_bytes())
}

fn add(
    ctx: &Context,
    key: Option<String>,
    file: Option<std::path::PathBuf>,
    name: &str,
) -> Result<()> {
    let key = match (key, file) {
        (Some(key), _) => crypto::parse_recipient(&key).map_err(Error::Usage)?.1,
        // A key file's public key is read without its passphrase: nothing to ask.
        (None, Some(file)) => identity::one_recipient_in_file(&file, &mut |_, _| Ok(None))?,
        (None, None) => return Err(Error::Usage("give a KEY or -R FILE".into())),
    };
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let store = ctx.store()?;
    let doc = store.load(&identity)?;
    let recipients = with_recipient(&doc.recipients, name, key)?;
    let saved = store.apply(
        &identity,
        Change::Recipients {
            seen: doc.recipients.clone(),
            recipients,
        },
    )?;
    eprintln!(
        "vault: added recipient '{name}'; the vault is encrypted to {} keys",
        saved.recipients.len()
    );
    Ok(())
}

fn remove(ctx: &Context, name: &str) -> Result<()> {
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let store = ctx.store()?;
    let doc = store.load(&identity)?;
    if !doc.recipients.iter().any(|r| r.name == name) {
        return Err(Error::NoRecipient(name.to_owned()));
    }
    let recipients = doc
        .recipients
        .iter()
        .filter(|r| r.name != name)
        .cloned()
        .collect();
    let saved = store.apply(
        &identity,
        Change::Recipients {
            seen: doc.recipients.clone(),
            recipients,
        },
    )?;
    eprintln!(
        "vault: removed recipient '{name}'; the vault is encrypted to {} keys (copies made before, {} among them, still open with the old key)",
        saved.recipients.len(),
        store.backup_path().display()
    );
    Ok(())
}
