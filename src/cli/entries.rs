//! `vault list|show|add|edit|rm`.

use std::fmt::Write as _;
use std::io::IsTerminal;

use serde::Serialize;

use super::args::EntryFields;
use super::{Context, Prompting, output, prompt};
use vault::change::{Change, check_name};
use vault::document::{Entry, timestamp_now};
use vault::error::{Error, Result};
use vault::generate;
use vault::otp;
use vault::secret::Secret;
use vault::text;
use zeroize::Zeroizing;

pub fn list(ctx: &Context, json: bool) -> Result<()> {
    #[derive(Serialize)]
    struct Listed<'a> {
        name: &'a str,
        username: &'a str,
        url: &'a str,
        tags: &'a [String],
        fields: Vec<&'a str>,
        created: &'a str,
        updated: &'a str,
    }
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let doc = ctx.store()?.load(&identity)?;
    if !json {
        let mut text = String::new();
        for name in doc.entries.keys() {
            let _ = writeln!(text, "{}", output::printable(name));
        }
        return output::stdout(text.as_bytes());
    }
    let listed: Vec<Listed> = doc
        .entries
        .iter()
        .map(|(name, e)| Listed {
            name,
            username: &e.username,
            url: &e.url,
            tags: &e.tags,
            fields: e.fields.keys().map(String::as_str).collect(),
            created: &e.created,
            updated: &e.updated,
        })
        .collect();
    // Escaped for the terminal it may land on; `jq` still reads the exact names back.
    let mut json = Vec::new();
    text::write_json(&mut json, &listed).map_err(|_| Error::other("cannot format the list"))?;
    json.push(b'\n');
    output::stdout(&json)
}

pub fn show(ctx: &Context, name: &str, reveal: bool) -> Result<()> {
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let store = ctx.store()?;
    let entry = store
        .load_entry(&identity, name)?
        .ok_or_else(|| no_entry(name, store.path()))?;
    let mut rows = text::entry_rows(&entry, reveal);
    if !entry.totp.is_empty() {
        // The code, not the key: like an authenticator app, it is shown without --reveal.
        let shown = match otp::current(entry.totp.expose()) {
            Ok(code) => format!("{} ({} s left)", code.digits.as_str(), code.seconds_left),
            Err(reason) => format!("unusable totp: {reason}"),
        };
        rows.insert(2, ("otp".into(), Zeroizing::new(shown)));
    }
    if !entry.notes.is_empty() {
        let after_url = rows
            .iter()
            .position(|(k, _)| k == "url")
            .map_or(0, |i| i + 1);
        rows.insert(
            after_url,
            (
                "notes".into(),
                Zeroizing::new(entry.notes.expose().to_owned()),
            ),
        );
    }
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    // Sized once: a growing String would leave copies of revealed values behind.
    let size: usize = rows
        .iter()
        .map(|(k, v)| k.len() + v.len() * 4 + width + 8)
        .sum();
    let mut text = zeroize::Zeroizing::new(String::with_capacity(size + name.len() * 4 + 1));
    let _ = writeln!(text, "{}", output::printable(name));
    for (key, value) in &rows {
        let mut lines = value.split('\n');
        let first = lines.next().unwrap_or("");
        let _ = writeln!(
            text,
            "  {:width$}  {}",
            output::printable(key),
            output::printable(first)
        );
        for more in lines {
            let _ = writeln!(text, "  {:width$}  {}", "", output::printable(more));
        }
    }
    output::stdout(text.as_bytes())
}

pub fn add(
    ctx: &Context,
    name: String,
    fields: &EntryFields,
    generate: Option<usize>,
    totp: bool,
) -> Result<()> {
    check_name(&name)?;
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let store = ctx.store()?;
    // Refuse a taken name before asking for a password that would be thrown away.
    if store.load_entry(&identity, &name)?.is_some() {
        return Err(Error::EntryExists(name));
    }
    let password = match generate {
        Some(length) => generate::password(length, true)?,
        None => prompt::new_password()?,
    };
    let mut entry = Entry::new(&timestamp_now());
    entry.password = password;
    if totp {
        entry.totp = prompt::new_totp()?;
    }
    set_fields(&mut entry, fields);
    store.apply(
        &identity,
        Change::Add {
            name: name.clone(),
            entry,
        },
    )?;
    match generate {
        Some(length) => {
            output::say(&format!(
                "added '{name}' with a generated {length}-character password"
            ));
        }
        None => output::say(&format!("added '{name}'")),
    }
    Ok(())
}

/// What `edit` does with the entry's TOTP key.
#[derive(Clone, Copy)]
pub enum TotpChange {
    Keep,
    Set,
    Remove,
}

pub fn edit(
    ctx: &Context,
    name: String,
    fields: &EntryFields,
    password: bool,
    generate: Option<usize>,
    rename: Option<String>,
    totp: TotpChange,
) -> Result<()> {
    if let Some(new_name) = &rename {
        check_name(new_name)?;
    }
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let store = ctx.store()?;
    // Only the entries concerned are read here; the write re-reads the whole vault under the lock.
    let seen = store
        .load_entry(&identity, &name)?
        .ok_or_else(|| no_entry(&name, store.path()))?;
    if let Some(new_name) = rename.as_ref().filter(|n| **n != name)
        && store.load_entry(&identity, new_name)?.is_some()
    {
        return Err(Error::EntryExists(new_name.clone()));
    }
    let now = timestamp_now();
    let mut entry = seen.clone();
    set_fields(&mut entry, fields);
    let new_password = match (generate, password) {
        (Some(length), _) => Some(generate::password(length, true)?),
        (None, true) => Some(prompt::new_password()?),
        (None, false) => None,
    };
    if let Some(new_password) = new_password {
        entry.set_password(new_password, &now);
    }
    match totp {
        TotpChange::Keep => {}
        TotpChange::Set => entry.totp = prompt::new_totp()?,
        TotpChange::Remove => entry.totp = Secret::default(),
    }
    entry.updated = now;
    let target = rename.clone().unwrap_or_else(|| name.clone());
    store.apply(
        &identity,
        Change::Update {
            name,
            seen,
            entry,
            rename,
        },
    )?;
    output::say(&format!("updated '{target}'"));
    Ok(())
}

pub fn remove(ctx: &Context, name: &str, yes: bool) -> Result<()> {
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let store = ctx.store()?;
    let seen = store
        .load_entry(&identity, name)?
        .ok_or_else(|| no_entry(name, store.path()))?;
    if !yes
        && std::io::stdin().is_terminal()
        && !prompt::confirm(&format!("delete '{}'?", output::printable(name)))?
    {
        return Err(Error::other(format!("'{name}' was not deleted")));
    }
    store.apply(
        &identity,
        Change::Remove {
            name: name.to_owned(),
            seen,
        },
    )?;
    output::say(&format!("deleted '{name}'"));
    Ok(())
}

fn set_fields(entry: &mut Entry, fields: &EntryFields) {
    if let Some(username) = &fields.username {
        entry.username.clone_from(username);
    }
    if let Some(url) = &fields.url {
        entry.url.clone_from(url);
    }
    if let Some(notes) = &fields.notes {
        entry.notes = Secret::from(notes.as_str());
    }
}

pub fn no_entry(name: &str, vault: &std::path::Path) -> Error {
    Error::NoEntry {
        name: name.to_owned(),
        vault: vault.to_owned(),
    }
}
