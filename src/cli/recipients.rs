//! `vault recipients list|add|remove`.

use std::fmt::Write as _;

use super::args::RecipientsCommand;
use super::{Context, Prompting, output};
use vault::change::{Change, with_recipient};
use vault::crypto;
use vault::document::Recipient;
use vault::error::{Error, Result};
use vault::identity;

pub fn run(ctx: &Context, action: RecipientsCommand) -> Result<()> {
    match action {
        RecipientsCommand::List => list(ctx),
        RecipientsCommand::Add {
            key,
            file,
            name,
            only,
            group,
        } => add(ctx, key, file, &name, only, group),
        RecipientsCommand::Remove { name } => remove(ctx, &name),
        RecipientsCommand::Scope {
            name,
            patterns,
            all,
            group,
        } => scope(
            ctx,
            &name,
            (!all).then_some(patterns.as_slice()),
            group.as_deref(),
        ),
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
        let scope = match (&recipient.only, &recipient.group) {
            (None, _) => String::new(),
            (Some(only), None) => format!("  only: {}", only.join(", ")),
            (Some(only), Some(group)) => {
                format!("  only: {}  group: {group}", only.join(", "))
            }
        };
        let _ = writeln!(
            text,
            "{:width$}  {}{}{}",
            output::printable(&recipient.name),
            output::printable(&recipient.key),
            if mine { "  (you)" } else { "" },
            output::printable(&scope)
        );
    }
    output::stdout(text.as_bytes())
}

fn add(
    ctx: &Context,
    key: Option<String>,
    file: Option<std::path::PathBuf>,
    name: &str,
    only: Option<Vec<String>>,
    group: Option<String>,
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
    let new = Recipient {
        only,
        group,
        ..Recipient::new(name, key)
    };
    let scoped = new.only.is_some();
    let recipients = with_recipient(&doc.recipients, new)?;
    let saved = store.apply(
        &identity,
        Change::Recipients {
            seen: doc.recipients.clone(),
            recipients,
        },
    )?;
    if scoped {
        eprintln!(
            "vault: added recipient '{}', granted {}; it reads {}",
            output::printable(name),
            granted_count(&saved, name),
            derived_path(&store, name).display()
        );
    } else {
        eprintln!(
            "vault: added recipient '{}'; the vault is encrypted to {}",
            output::printable(name),
            keys(full_count(&saved))
        );
    }
    Ok(())
}

/// `recipients scope NAME PATTERN…` (or `--all`: `patterns` is `None`).
fn scope(
    ctx: &Context,
    name: &str,
    patterns: Option<&[String]>,
    group: Option<&str>,
) -> Result<()> {
    if let Some(patterns) = patterns {
        vault::change::check_scope(patterns)?;
    }
    let (store, saved) = change_recipient(ctx, name, |r| {
        Some(Recipient {
            only: patterns.map(<[String]>::to_vec),
            group: patterns.and_then(|_| group.map(str::to_owned).or_else(|| r.group.clone())),
            ..r.clone()
        })
    })?;
    if patterns.is_some() {
        eprintln!(
            "vault: '{}' is granted {}; it reads {} (copies made before still hold what they \
             held: change the passwords it lost)",
            output::printable(name),
            granted_count(&saved, name),
            derived_path(&store, name).display()
        );
    } else {
        eprintln!(
            "vault: '{}' is granted every entry again; it reads the main vault",
            output::printable(name)
        );
    }
    Ok(())
}

/// Replaces the recipient named `name` with what `edit` makes of it (`None`: removes it), as
/// one change to the recipient list; returns the store and the document as saved.
fn change_recipient(
    ctx: &Context,
    name: &str,
    edit: impl Fn(&Recipient) -> Option<Recipient>,
) -> Result<(vault::store::Store, vault::document::Document)> {
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let store = ctx.store()?;
    let doc = store.load(&identity)?;
    if !doc.recipients.iter().any(|r| r.name == name) {
        return Err(Error::NoRecipient(name.to_owned()));
    }
    let recipients = doc
        .recipients
        .iter()
        .filter_map(|r| {
            if r.name == name {
                edit(r)
            } else {
                Some(r.clone())
            }
        })
        .collect();
    let saved = store.apply(
        &identity,
        Change::Recipients {
            seen: doc.recipients.clone(),
            recipients,
        },
    )?;
    Ok((store, saved))
}

/// `vault check [--fix]`.
pub fn check(ctx: &Context, fix: bool) -> Result<()> {
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let store = ctx.store()?;
    let problems = store.check_derived(&identity)?;
    if problems.is_empty() {
        eprintln!("vault: the derived vaults are as the last save wrote them");
        return Ok(());
    }
    if fix {
        store.apply(&identity, Change::Refresh)?;
        let left = store.check_derived(&identity)?;
        if left.is_empty() {
            eprintln!(
                "vault: made the derived vaults again ({} fixed)",
                problems.len()
            );
            return Ok(());
        }
        return Err(reported(&left));
    }
    Err(reported(&problems))
}

fn reported(problems: &[String]) -> Error {
    for problem in problems {
        eprintln!("vault: {}", output::printable(problem));
    }
    Error::with_hint(
        format!("{} derived vault file(s) need attention", problems.len()),
        "vault check --fix makes them again",
    )
}

fn granted_count(doc: &vault::document::Document, name: &str) -> String {
    let patterns = doc
        .recipients
        .iter()
        .find(|r| r.name == name)
        .and_then(|r| r.only.clone())
        .unwrap_or_default();
    let count = doc
        .entries
        .keys()
        .filter(|entry| vault::scope::grants(&patterns, entry))
        .count();
    format!(
        "{count} {} ({})",
        if count == 1 { "entry" } else { "entries" },
        patterns.join(", ")
    )
}

fn derived_path(store: &vault::store::Store, name: &str) -> std::path::PathBuf {
    vault::scope::dir_of(store.path()).join(vault::scope::file_name(name))
}

fn full_count(doc: &vault::document::Document) -> usize {
    doc.recipients.iter().filter(|r| r.is_full()).count()
}

fn keys(n: usize) -> String {
    if n == 1 {
        "1 key".into()
    } else {
        format!("{n} keys")
    }
}

fn remove(ctx: &Context, name: &str) -> Result<()> {
    let (store, saved) = change_recipient(ctx, name, |_| None)?;
    eprintln!(
        "vault: removed recipient '{}'; the vault is encrypted to {} (copies made before, {} among them, still open with the old key)",
        output::printable(name),
        keys(full_count(&saved)),
        store.backup_path().display()
    );
    Ok(())
}
