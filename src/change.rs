//! A change to the document, as a value: every writer (CLI command, TUI form) describes what it
//! wants and what it last saw, and the store applies it to the document as it is on disk now.

use crate::document::{Document, Entry, Recipient, validate_name};
use crate::error::{Error, Result};
use crate::import::{Done, OnConflict};

// A change lives briefly, one at a time: boxing its entries would buy nothing.
// Debug shows entries as Entry's own Debug does: names and shape, no secret.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Change {
    /// A new entry; refused if the name is taken.
    Add { name: String, entry: Entry },
    /// Replaces an entry (and may rename it), provided it is still as `seen`.
    Update {
        name: String,
        seen: Entry,
        entry: Entry,
        rename: Option<String>,
    },
    /// Deletes an entry, provided it is still as `seen`.
    Remove { name: String, seen: Entry },
    /// Replaces the recipient list, provided it is still as `seen`.
    Recipients {
        seen: Vec<Recipient>,
        recipients: Vec<Recipient>,
    },
    /// Entries read from another password manager's export, named already, merged by
    /// [`crate::import::merge`] into the vault as it is on disk now: one transaction. What
    /// happened to each goes to `report`, when there is someone to tell.
    Import {
        entries: Vec<(String, Entry)>,
        on_conflict: OnConflict,
        now: String,
        report: Option<std::sync::mpsc::Sender<Vec<Done>>>,
    },
    /// Re-signs the vault as it is: how a user adopts a vault no trusted writer signed (made
    /// by hand, or before vaults were signed). The only change the store makes to such a vault.
    Adopt,
    /// Saves the vault as it is: re-signs it and makes every derived vault again.
    Refresh,
    /// Settles the merge conflict recorded for `name`: their version, or ours as it stands.
    Resolve { name: String, theirs: bool },
    /// Merges another copy of the vault in (two ways, by id and time).
    MergeCopy(Box<Document>),
}

impl Change {
    /// The entries this change reads and writes, by name, each once, when it needs no other
    /// entry (and none of the document but its other members): a save then parses only these.
    pub fn entries_touched(&self) -> Option<Vec<&str>> {
        match self {
            Change::Add { name, .. } | Change::Remove { name, .. } => Some(vec![name]),
            Change::Update { name, rename, .. } => Some(
                [Some(name), rename.as_ref().filter(|new| *new != name)]
                    .into_iter()
                    .flatten()
                    .map(String::as_str)
                    .collect(),
            ),
            _ => None,
        }
    }

    pub fn apply(self, doc: &mut Document) -> Result<()> {
        match self {
            Change::Add { name, entry } => {
                check_name(&name)?;
                if doc.entries.contains_key(&name) {
                    return Err(Error::EntryExists(name));
                }
                doc.entries.insert(name, entry);
            }
            Change::Update {
                name,
                seen,
                entry,
                rename,
            } => {
                unchanged(doc, &name, &seen)?;
                let mut entry = entry;
                // An edit is the same entry: it keeps its id, whoever built the new value.
                if entry.id.is_empty() {
                    entry.id.clone_from(&seen.id);
                }
                let target = rename.unwrap_or_else(|| name.clone());
                if target != name {
                    check_name(&target)?;
                    if doc.entries.contains_key(&target) {
                        return Err(Error::EntryExists(target));
                    }
                    doc.entries.remove(&name);
                }
                doc.entries.insert(target, entry);
            }
            Change::Remove { name, seen } => {
                unchanged(doc, &name, &seen)?;
                if let Some(gone) = doc.entries.remove(&name)
                    && !gone.id.is_empty()
                {
                    doc.deleted
                        .insert(gone.id, crate::document::timestamp_now());
                }
            }
            Change::Recipients { seen, recipients } => {
                if doc.recipients != seen {
                    return Err(Error::Changed("the recipient list".into()));
                }
                doc.recipients = recipients;
            }
            Change::Import {
                entries,
                on_conflict,
                now,
                report,
            } => {
                let done = crate::import::merge(doc, entries, on_conflict, &now);
                if let Some(report) = report {
                    // The receiver gone means nobody wants the summary: not a failure.
                    report.send(done).ok();
                }
            }
            Change::Adopt | Change::Refresh => {}
            Change::Resolve { name, theirs } => resolve(doc, &name, theirs)?,
            Change::MergeCopy(other) => *doc = crate::merge::two_way(doc, &other),
        }
        Ok(())
    }
}

/// `recipients` with one more: `new.name` must be non-empty and new, `new.key` (canonical) not
/// there yet, its scope patterns (if any) well formed.
pub fn with_recipient(recipients: &[Recipient], new: Recipient) -> Result<Vec<Recipient>> {
    let (name, key) = (new.name.as_str(), new.key.as_str());
    if name.trim().is_empty() || name.chars().any(char::is_control) {
        return Err(Error::Usage(
            "a recipient needs a name, such as backup@host, without control characters".into(),
        ));
    }
    if recipients.iter().any(|r| r.name == name) {
        return Err(Error::RecipientExists(format!("named '{name}'")));
    }
    if let Some(same) = recipients
        .iter()
        .find(|r| crate::crypto::canonical_key(&r.key) == key)
    {
        return Err(Error::RecipientExists(format!(
            "{key} (as '{}')",
            same.name
        )));
    }
    if let Some(patterns) = &new.only {
        check_scope(patterns)?;
    }
    let mut more = recipients.to_vec();
    more.push(new);
    Ok(more)
}

fn resolve(doc: &mut Document, name: &str, theirs: bool) -> Result<()> {
    let at = doc
        .conflicts
        .iter()
        .position(|c| c.name == name)
        .ok_or_else(|| {
            Error::with_hint(
                format!("no merge conflict is recorded for '{name}'"),
                "vault conflicts lists them",
            )
        })?;
    let conflict = doc.conflicts.remove(at);
    if !theirs {
        return Ok(());
    }
    let now = crate::document::timestamp_now();
    let ours = doc
        .entries
        .iter()
        .find(|(_, e)| e.id == conflict.id)
        .map(|(n, _)| n.clone())
        .or_else(|| doc.entries.contains_key(name).then(|| name.to_owned()));
    let mine = ours.and_then(|n| doc.entries.remove(&n));
    match conflict.theirs {
        Some(their) => {
            let mut entry = their.entry;
            if let Some(mine) = mine {
                // Ours becomes history, as any replaced password does.
                let password = entry.password.clone();
                entry.password = mine.password;
                entry.set_password(password, &now);
            }
            doc.deleted.remove(&conflict.id);
            doc.entries.insert(their.name, entry);
        }
        None => {
            doc.deleted.insert(conflict.id, now);
        }
    }
    Ok(())
}

/// A scope must grant something, in patterns that are well formed.
pub fn check_scope(patterns: &[String]) -> Result<()> {
    if patterns.is_empty() {
        return Err(Error::Usage(
            "a scope needs at least one entry name or group pattern (or --all)".into(),
        ));
    }
    for pattern in patterns {
        crate::scope::validate_pattern(pattern).map_err(Error::Usage)?;
    }
    Ok(())
}

pub fn check_name(name: &str) -> Result<()> {
    validate_name(name).map_err(|reason| Error::InvalidName {
        name: name.to_owned(),
        reason,
    })
}

fn unchanged(doc: &Document, name: &str, seen: &Entry) -> Result<()> {
    match doc.entries.get(name) {
        Some(current) if current == seen => Ok(()),
        Some(_) => Err(Error::Changed(format!("entry '{name}'"))),
        None => Err(Error::Changed(format!("entry '{name}' (it was deleted)"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn doc_with(name: &str, password: &str) -> Document {
        let mut doc = Document::new(vec![]);
        let mut entry = Entry::new("t");
        entry.password = Secret::from(password);
        doc.entries.insert(name.into(), entry);
        doc
    }

    #[test]
    fn update_refuses_an_entry_that_changed_since_it_was_seen() {
        let mut doc = doc_with("bank", "one");
        let seen = doc.entries["bank"].clone();
        doc.entries.get_mut("bank").unwrap().password = Secret::from("two");
        let mut mine = seen.clone();
        mine.username = "me".into();
        let change = Change::Update {
            name: "bank".into(),
            seen,
            entry: mine,
            rename: None,
        };
        let err = change.apply(&mut doc).err().unwrap();
        assert_eq!(err.exit_code(), 7);
        assert_eq!(doc.entries["bank"].password.expose(), "two");
    }

    #[test]
    fn rename_moves_the_entry_and_refuses_a_taken_name() {
        let mut doc = doc_with("a", "pw");
        doc.entries.insert("b".into(), Entry::new("t"));
        let seen = doc.entries["a"].clone();
        let taken = Change::Update {
            name: "a".into(),
            seen: seen.clone(),
            entry: seen.clone(),
            rename: Some("b".into()),
        };
        assert_eq!(taken.apply(&mut doc).err().unwrap().exit_code(), 1);
        let ok = Change::Update {
            name: "a".into(),
            seen: seen.clone(),
            entry: seen,
            rename: Some("c/d".into()),
        };
        ok.apply(&mut doc).unwrap();
        assert!(!doc.entries.contains_key("a"));
        assert_eq!(doc.entries["c/d"].password.expose(), "pw");
    }

    #[test]
    fn add_refuses_an_existing_or_invalid_name() {
        let mut doc = doc_with("a", "pw");
        let err = Change::Add {
            name: "a".into(),
            entry: Entry::new("t"),
        }
        .apply(&mut doc)
        .err()
        .unwrap();
        assert!(matches!(err, Error::EntryExists(_)));
        let err = Change::Add {
            name: "x\ty".into(),
            entry: Entry::new("t"),
        }
        .apply(&mut doc)
        .err()
        .unwrap();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn remove_of_a_deleted_entry_is_a_conflict() {
        let mut doc = doc_with("a", "pw");
        let seen = doc.entries["a"].clone();
        doc.entries.clear();
        let err = Change::Remove {
            name: "a".into(),
            seen,
        }
        .apply(&mut doc)
        .err()
        .unwrap();
        assert_eq!(err.exit_code(), 7);
    }
}
