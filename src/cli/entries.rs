//! `vault list|show|add|edit|rm`.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::Path;

use serde::Serialize;

use super::args::{EditArgs, EntryFields};
use super::{Context, Prompting, output, prompt};
use vault::change::{Change, check_name};
use vault::document::{Document, Entry, Summary, timestamp_now, validate_field_name, validate_tag};
use vault::error::{Error, Result};
use vault::generate;
use vault::otp;
use vault::search::{self, Selection};
use vault::secret::Secret;
use vault::text;
use zeroize::Zeroizing;

pub fn list(ctx: &Context, pattern: Option<&str>, json: bool) -> Result<()> {
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let store = ctx.store()?;
    // Names (and for --json the non-secret fields) only: no secret is decoded to list them.
    if !json {
        let names = store.load_names(&identity)?;
        let names = select(names.iter().map(String::as_str), pattern, store.path())?;
        return print_listed(&names, false, |_| None);
    }
    let listing = store.load_listing::<Summary>(&identity)?;
    let names = select(listing.names(), pattern, store.path())?;
    print_listed(&names, true, |name| {
        listing.get(name).map(|e| Listed {
            name,
            username: &e.username,
            url: &e.url,
            tags: &e.tags,
            fields: e.fields.iter().map(String::as_str).collect(),
            created: &e.created,
            updated: &e.updated,
        })
    })
}

/// The names of `all` (sorted) that `pattern` selects (all without one); none is an error
/// naming the nearest.
fn select<'a>(
    all: impl Iterator<Item = &'a str> + Clone,
    pattern: Option<&str>,
    vault: &Path,
) -> Result<Vec<&'a str>> {
    let Some(pattern) = pattern else {
        return Ok(all.collect());
    };
    let selection = Selection::parse(pattern);
    let names: Vec<&str> = all.clone().filter(|name| selection.matches(name)).collect();
    if names.is_empty() {
        return Err(match selection {
            Selection::Name(name) => Error::no_entry(&name, vault, all),
            _ => no_match(pattern, vault),
        });
    }
    Ok(names)
}

pub fn find(ctx: &Context, text: &str, json: bool) -> Result<()> {
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let store = ctx.store()?;
    let doc = store.load(&identity)?;
    let names = search::find(&doc, text);
    if names.is_empty() {
        return Err(no_match(text, store.path()));
    }
    print_names(&doc, &names, json)
}

/// What `--json` lists of an entry: its non-secret fields.
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

/// Names one a line, or with `json` an array of their non-secret fields, in the order given.
fn print_names(doc: &Document, names: &[&str], json: bool) -> Result<()> {
    print_listed(names, json, |name| {
        doc.entries.get(name).map(|e| Listed {
            name,
            username: &e.username,
            url: &e.url,
            tags: &e.tags,
            fields: e.fields.keys().map(String::as_str).collect(),
            created: &e.created,
            updated: &e.updated,
        })
    })
}

/// Names one a line, or with `json` an array of what `listed` gives for each, in the order
/// given.
fn print_listed<'a>(
    names: &[&'a str],
    json: bool,
    listed: impl Fn(&'a str) -> Option<Listed<'a>>,
) -> Result<()> {
    if !json {
        let mut text = String::with_capacity(names.iter().map(|n| n.len() + 1).sum());
        for name in names {
            text.push_str(&output::printable(name));
            text.push('\n');
        }
        return output::stdout(text.as_bytes());
    }
    let listed: Vec<Listed> = names.iter().filter_map(|name| listed(name)).collect();
    // Escaped for the terminal it may land on; `jq` still reads the exact names back.
    let mut json = Vec::new();
    text::write_json(&mut json, &listed).map_err(|_| Error::other("cannot format the list"))?;
    json.push(b'\n');
    output::stdout(&json)
}

fn no_match(pattern: &str, vault: &Path) -> Error {
    Error::NoMatch {
        pattern: pattern.to_owned(),
        vault: vault.to_owned(),
    }
}

/// `vault show NAME`, or for a group (`bank/`, or `bank` when no entry has that name) its
/// entries' names, as `vault list bank/` prints them.
pub fn show(ctx: &Context, name: &str, reveal: bool) -> Result<()> {
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let store = ctx.store()?;
    let doc = store.load(&identity)?;
    drop(identity);
    if let Some(entry) = doc.entries.get(name) {
        return show_entry(name, entry, reveal);
    }
    let members = search::group(&doc, name);
    if members.is_empty() {
        return Err(Error::no_entry(
            name,
            store.path(),
            doc.entries.keys().map(String::as_str),
        ));
    }
    print_names(&doc, &members, false)
}

fn show_entry(name: &str, entry: &Entry, reveal: bool) -> Result<()> {
    let mut rows = text::entry_rows(entry, reveal);
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
    print_rows(name, &rows)
}

/// A title line, then `key  value` rows aligned, each line of a value on a line of its own.
fn print_rows(title: &str, rows: &[(String, Zeroizing<String>)]) -> Result<()> {
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
    let mut text = Zeroizing::new(String::with_capacity(size + title.len() * 4 + 1));
    let _ = writeln!(text, "{}", output::printable(title));
    for (key, value) in rows {
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

/// `vault history NAME`: the earlier passwords, newest first, numbered as `--restore` takes
/// them, each with the time it stopped being the password.
pub fn history(ctx: &Context, name: &str, reveal: bool) -> Result<()> {
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let entry = ctx.store()?.entry(&identity, name)?;
    drop(identity);
    if entry.history.is_empty() {
        output::say(&format!("'{name}' has no earlier passwords"));
        return Ok(());
    }
    let width = entry.history.len().to_string().len();
    let size: usize = entry
        .history
        .iter()
        .map(|old| old.until.len() + old.password.len() * 4 + text::MASK.len() + width + 8)
        .sum();
    let mut out = Zeroizing::new(String::with_capacity(size));
    for (number, old) in entry.history.iter().rev().enumerate() {
        let shown = if reveal {
            output::printable(old.password.expose())
        } else {
            text::MASK.into()
        };
        let _ = writeln!(
            out,
            "{:>width$}  {}  {shown}",
            number + 1,
            output::printable(&old.until)
        );
    }
    output::stdout(out.as_bytes())
}

pub fn add(
    ctx: &Context,
    name: String,
    fields: &EntryFields,
    generate: Option<usize>,
    totp: bool,
) -> Result<()> {
    check_name(&name)?;
    check_field_options(fields, &[], &[])?;
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let store = ctx.store()?;
    // Refuse a taken name before asking for a password that would be thrown away; with no one
    // to ask, the save refuses it just the same, without a read of its own.
    if std::io::stdin().is_terminal() && store.load_entry(&identity, &name)?.is_some() {
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
    set_fields(&mut entry, fields)?;
    store.save_change(
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

/// What `edit` does with the password.
enum PasswordChange {
    Keep,
    /// Asked twice, or the first line of stdin.
    Ask,
    /// A generated one of this length.
    Generate(usize),
    /// Earlier password N, as `vault history` numbers them (1: the newest).
    Restore(usize),
}

pub fn edit(ctx: &Context, args: &EditArgs) -> Result<()> {
    let EditArgs {
        name,
        fields,
        rename,
        remove_field: remove_fields,
        untag,
        ..
    } = args;
    let password = match (args.generate, args.restore, args.password) {
        (Some(length), _, _) => PasswordChange::Generate(length),
        (None, Some(number), _) => PasswordChange::Restore(number),
        (None, None, true) => PasswordChange::Ask,
        (None, None, false) => PasswordChange::Keep,
    };
    if let Some(new_name) = rename {
        check_name(new_name)?;
    }
    check_field_options(fields, remove_fields, untag)?;
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let store = ctx.store()?;
    // Only the entries concerned are read here; the write re-reads the whole vault under the lock.
    let seen = store.entry(&identity, name)?;
    if let Some(new_name) = rename.as_ref().filter(|n| *n != name)
        && store.load_entry(&identity, new_name)?.is_some()
    {
        return Err(Error::EntryExists(new_name.clone()));
    }
    // Every refusal that needs no input comes before a prompt.
    for key in remove_fields {
        if !seen.fields.contains_key(key) {
            return Err(Error::NoField {
                entry: name.clone(),
                field: key.clone(),
            });
        }
    }
    if let Some(tag) = untag.iter().find(|t| !seen.tags.contains(t)) {
        return Err(Error::with_hint(
            format!("entry '{name}' has no tag '{tag}'"),
            format!("vault show {} lists its tags", text::shell_word(name)),
        ));
    }
    if let PasswordChange::Restore(number) = password
        && !(1..=seen.history.len()).contains(&number)
    {
        return Err(Error::NoEarlierPassword {
            entry: name.clone(),
            number,
        });
    }

    let now = timestamp_now();
    let mut entry = seen.clone();
    let new_password = match password {
        PasswordChange::Keep => None,
        PasswordChange::Ask => Some(prompt::new_password()?),
        PasswordChange::Generate(length) => Some(generate::password(length, true)?),
        PasswordChange::Restore(number) => {
            // Out of the history, so it is there once; the current one takes its place.
            let index = entry.history.len() - number;
            Some(entry.history.remove(index).password)
        }
    };
    if let Some(new_password) = new_password {
        entry.set_password(new_password, &now);
    }
    if args.totp {
        entry.totp = prompt::new_totp()?;
    } else if args.remove_totp {
        entry.totp = Secret::default();
    }
    for key in remove_fields {
        entry.fields.remove(key);
    }
    entry.tags.retain(|tag| !untag.contains(tag));
    set_fields(&mut entry, fields)?;
    entry.updated = now;
    let target = rename.clone().unwrap_or_else(|| name.clone());
    store.save_change(
        &identity,
        Change::Update {
            name: name.clone(),
            seen,
            entry,
            rename: rename.clone(),
        },
    )?;
    output::say(&format!("updated '{target}'"));
    Ok(())
}

pub fn remove(ctx: &Context, name: &str, yes: bool) -> Result<()> {
    let identity = ctx.identity(Prompting::IfTerminal)?;
    let store = ctx.store()?;
    let seen = store.entry(&identity, name)?;
    if !yes
        && std::io::stdin().is_terminal()
        && !prompt::confirm(&format!("delete '{}'?", output::printable(name)))?
    {
        return Err(Error::other(format!("'{name}' was not deleted")));
    }
    store.save_change(
        &identity,
        Change::Remove {
            name: name.to_owned(),
            seen,
        },
    )?;
    output::say(&format!("deleted '{name}'"));
    Ok(())
}

/// Sets the plain fields given, then the entry's own fields (each value read as a password
/// is, in the order given) and tags.
fn set_fields(entry: &mut Entry, fields: &EntryFields) -> Result<()> {
    if let Some(username) = &fields.username {
        entry.username.clone_from(username);
    }
    if let Some(url) = &fields.url {
        entry.url.clone_from(url);
    }
    if let Some(notes) = &fields.notes {
        entry.notes = Secret::from(notes.as_str());
    }
    for key in &fields.field {
        let value = prompt::new_field_value(key)?;
        entry.fields.insert(key.clone(), value);
    }
    for tag in &fields.tag {
        if !entry.tags.contains(tag) {
            entry.tags.push(tag.clone());
        }
    }
    Ok(())
}

/// Refuses field names and tags no entry could hold, and the same key twice, before anything
/// is read or asked.
fn check_field_options(fields: &EntryFields, remove: &[String], untag: &[String]) -> Result<()> {
    let refuse = |what: &str, value: &str, reason: &str| {
        Err(Error::Usage(format!(
            "{what} {}: {reason}",
            text::shell_word(value)
        )))
    };
    for (i, key) in fields.field.iter().chain(remove).enumerate() {
        if let Err(reason) = validate_field_name(key) {
            return refuse("cannot use the field name", key, reason);
        }
        if fields.field.iter().chain(remove).take(i).any(|k| k == key) {
            return refuse("the field", key, "it is given twice");
        }
    }
    for tag in fields.tag.iter().chain(untag) {
        if let Err(reason) = validate_tag(tag) {
            return refuse("cannot use the tag", tag, reason);
        }
        if fields.tag.contains(tag) && untag.contains(tag) {
            return refuse("the tag", tag, "it is both added and taken off");
        }
    }
    Ok(())
}
