//! Reading other password managers' exports into entries, and merging them into a document.
//!
//! Each format has a file of its own that turns the export's bytes into [`Item`]s (a group, a
//! title and an entry) plus notes on what it skipped or could not map. [`merge`] then applies
//! the naming and conflict rules; [`crate::change::Change::Import`] runs it under the store's
//! lock, so an import is one transaction and one save. Nothing here writes a file: secrets go
//! from the export's bytes in memory into [`Secret`]s.

mod bitwarden_csv;
mod bitwarden_json;
mod chrome_csv;
mod csv_map;
mod firefox_csv;
mod keepass_xml;
mod keepassxc_csv;
mod onepassword_1pux;
mod onepassword_csv;
mod pass;
mod table;
mod text;
mod vault_json;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::document::{Document, Entry, HISTORY_LIMIT, PastPassword, validate_name};
use crate::secret::Secret;

pub use csv_map::ColumnMap;
pub use pass::{PassFile, decrypt_age, decrypt_gpg, list_store, read_store};

/// What a title's own `/` becomes, so that it does not make groups the source never had.
pub const SLASH_IN_TITLE: char = '-';

/// The formats read from one file (`pass` and `passage` read a directory: see [`pass`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    BitwardenJson,
    BitwardenCsv,
    KeepassXml,
    KeepassxcCsv,
    OnePassword1pux,
    OnePasswordCsv,
    ChromeCsv,
    FirefoxCsv,
    /// Any CSV, its columns named by the user.
    Csv,
    /// `vault export --all --format json`, or a decrypted vault.
    VaultJson,
}

/// One entry read from an export, before naming rules are applied.
pub struct Item {
    /// The folder path in the source (`Social/Media`), empty for none.
    pub group: String,
    pub title: String,
    pub entry: Entry,
}

/// Something said about one item: (its title or row, what happened to it). Never a value.
pub type Note = (String, String);

/// What a source gave: its items, and what was left out or could not be kept.
#[derive(Default)]
pub struct Parsed {
    pub items: Vec<Item>,
    /// Left out whole: (what, why). `what` names the item by title or row.
    pub skipped: Vec<Note>,
    /// Kept, but without something the source had: (item, what was lost).
    pub unmapped: Vec<Note>,
}

/// Why an export cannot be imported. The text names the file and the place (row, line,
/// item title), never a value from it.
#[derive(Debug)]
pub struct BadInput {
    pub file: PathBuf,
    pub reason: String,
}

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot import {}: {}", self.file.display(), self.reason)
    }
}

impl From<BadInput> for crate::error::Error {
    fn from(bad: BadInput) -> Self {
        crate::error::Error::other(bad.to_string())
    }
}

pub fn bad(file: &Path, reason: impl Into<String>) -> BadInput {
    BadInput {
        file: file.to_owned(),
        reason: reason.into(),
    }
}

/// Reads an export held in memory. `file` only names it in errors; `map` is `csv`'s columns.
pub fn parse(
    format: FileFormat,
    file: &Path,
    bytes: &[u8],
    map: Option<&ColumnMap>,
) -> Result<Parsed, BadInput> {
    let now = crate::document::timestamp_now();
    let mut parsed = match format {
        FileFormat::BitwardenJson => bitwarden_json::parse(file, bytes, &now),
        FileFormat::BitwardenCsv => bitwarden_csv::parse(file, bytes, &now),
        FileFormat::KeepassXml => keepass_xml::parse(file, bytes, &now),
        FileFormat::KeepassxcCsv => keepassxc_csv::parse(file, bytes, &now),
        FileFormat::OnePassword1pux => onepassword_1pux::parse(file, bytes, &now),
        FileFormat::OnePasswordCsv => onepassword_csv::parse(file, bytes, &now),
        FileFormat::ChromeCsv => chrome_csv::parse(file, bytes, &now),
        FileFormat::FirefoxCsv => firefox_csv::parse(file, bytes, &now),
        FileFormat::Csv => match map {
            Some(map) => csv_map::parse(file, bytes, map, &now),
            None => Err(bad(file, "the csv format needs --map title=COLUMN,…")),
        },
        FileFormat::VaultJson => vault_json::parse(file, bytes),
    }?;
    note_odd_totp(&mut parsed);
    Ok(parsed)
}

/// A TOTP key is kept as the source gave it; say which ones `--field otp` cannot use.
fn note_odd_totp(parsed: &mut Parsed) {
    for item in &parsed.items {
        if !item.entry.totp.is_empty()
            && let Err(reason) = crate::otp::validate(item.entry.totp.expose())
        {
            parsed.unmapped.push((
                item.title.clone(),
                format!("its TOTP key is kept as given, but makes no codes: {reason}"),
            ));
        }
    }
}

/// What to do when an imported name is taken, by an entry in the vault or an earlier item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnConflict {
    Skip,
    /// `name (2)`, `name (3)`, …
    Rename,
    /// The imported entry replaces it; the old password goes to the history.
    Overwrite,
}

/// What happened to one item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Added,
    Renamed { wanted: String },
    Overwrote,
    Skipped { why: String },
}

/// One item's fate, under the name it got (or would have had).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Done {
    pub name: String,
    pub outcome: Outcome,
}

/// Items named by the rules: `prefix` (from `--group`), the source's group, then the title
/// with its own `/` replaced. Returns the named entries and, for each changed title, a note.
pub fn name_items(items: Vec<Item>, prefix: &str) -> (Vec<(String, Entry)>, Vec<Note>) {
    let mut notes = Vec::new();
    let prefix = clean_path(prefix);
    let named = items
        .into_iter()
        .map(|item| {
            let title = clean_title(&item.title, &item.entry);
            if title != item.title {
                notes.push((
                    item.title.clone(),
                    format!("named '{title}': a title cannot hold control characters, an empty part or a '/' (it becomes '{SLASH_IN_TITLE}')"),
                ));
            }
            let name = [prefix.as_str(), clean_path(&item.group).as_str(), &title]
                .iter()
                .filter(|part| !part.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("/");
            (name, item.entry)
        })
        .collect();
    (named, notes)
}

/// A group path as name parts: empty parts dropped, each part's control characters turned
/// into spaces and the ends trimmed.
fn clean_path(path: &str) -> String {
    path.split('/')
        .map(clean_part)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

fn clean_part(part: &str) -> String {
    part.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A title fit for the last part of a name; an empty one becomes the URL's host, or
/// `untitled`.
fn clean_title(title: &str, entry: &Entry) -> String {
    let cleaned = clean_part(&title.replace('/', &SLASH_IN_TITLE.to_string()));
    if !cleaned.is_empty() {
        return cleaned;
    }
    let host = clean_part(&host_of(&entry.url).replace('/', &SLASH_IN_TITLE.to_string()));
    if host.is_empty() {
        "untitled".into()
    } else {
        host
    }
}

/// `https://user@www.example.com:8443/path` -> `www.example.com`; what is not a URL, as it is.
pub fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = if host.starts_with('[') {
        host.split_inclusive(']').next().unwrap_or(host)
    } else {
        host.split(':').next().unwrap_or(host)
    };
    host.to_owned()
}

/// Merges named entries into `doc` by the conflict rule. Names are checked here too, so a
/// change built by hand cannot slip an invalid one in.
pub fn merge(
    doc: &mut Document,
    entries: Vec<(String, Entry)>,
    on_conflict: OnConflict,
    now: &str,
) -> Vec<Done> {
    let mut done = Vec::with_capacity(entries.len());
    for (name, entry) in entries {
        if let Err(why) = validate_name(&name) {
            done.push(Done {
                name,
                outcome: Outcome::Skipped {
                    why: format!("not a valid name: {why}"),
                },
            });
            continue;
        }
        let Some(old) = doc.entries.get_mut(&name) else {
            doc.entries.insert(name.clone(), entry);
            done.push(Done {
                name,
                outcome: Outcome::Added,
            });
            continue;
        };
        match on_conflict {
            OnConflict::Skip => done.push(Done {
                name,
                outcome: Outcome::Skipped {
                    why: "an entry with this name exists".into(),
                },
            }),
            OnConflict::Overwrite => {
                overwrite(old, entry, now);
                done.push(Done {
                    name,
                    outcome: Outcome::Overwrote,
                });
            }
            OnConflict::Rename => {
                let free = free_name(&name, |candidate| doc.entries.contains_key(candidate));
                doc.entries.insert(free.clone(), entry);
                done.push(Done {
                    name: free,
                    outcome: Outcome::Renamed { wanted: name },
                });
            }
        }
    }
    done
}

/// The imported entry replaces `old`, keeping its creation time and its history, with its
/// password (when it differs) as the newest past one.
fn overwrite(old: &mut Entry, mut new: Entry, now: &str) {
    let mut history = std::mem::take(&mut old.history);
    history.append(&mut new.history);
    if !old.password.is_empty() && old.password != new.password {
        history.push(PastPassword {
            password: std::mem::take(&mut old.password),
            until: now.to_owned(),
            extra: crate::document::Extra::default(),
        });
    }
    let excess = history.len().saturating_sub(HISTORY_LIMIT);
    history.drain(..excess);
    new.history = history;
    if !old.created.is_empty() {
        new.created = std::mem::take(&mut old.created);
    }
    *old = new;
}

/// Adds a custom field, under `name (2)` when the entry has one by that name already.
pub fn add_field(fields: &mut BTreeMap<String, Secret>, name: &str, value: Secret) {
    let name = match clean_part(name) {
        empty if empty.is_empty() => "field".to_owned(),
        name => name,
    };
    let free = if fields.contains_key(&name) {
        free_name(&name, |candidate| fields.contains_key(candidate))
    } else {
        name
    };
    fields.insert(free, value);
}

/// `name (2)`, `name (3)`, …: the first that is not `taken`.
fn free_name(name: &str, taken: impl Fn(&str) -> bool) -> String {
    let mut n = 2_u64;
    loop {
        let candidate = format!("{name} ({n})");
        if !taken(&candidate) {
            return candidate;
        }
        n += 1;
    }
}

/// Appends `more` to `text`, `separator` between when both have something.
pub fn append(text: &mut Secret, separator: &str, more: &str) {
    if more.is_empty() {
        return;
    }
    let mut joined = String::with_capacity(text.len() + separator.len() + more.len());
    joined.push_str(text.expose());
    if !joined.is_empty() {
        joined.push_str(separator);
    }
    joined.push_str(more);
    *text = Secret::new(joined);
}

/// The tag an item archived in its source gets, so that it is kept and still told apart.
pub const ARCHIVED_TAG: &str = "archived";

/// Tags from a source's list: trimmed, empty ones dropped.
pub fn tags<'a>(list: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    list.into_iter()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An RFC 3339 time as the vault writes them (UTC, to the second); `None` if it is not one.
pub fn rfc3339(text: &str) -> Option<String> {
    let time = humantime::parse_rfc3339_weak(text.trim().trim_end_matches('Z'))
        .or_else(|_| humantime::parse_rfc3339(text.trim()))
        .ok()?;
    Some(humantime::format_rfc3339_seconds(time).to_string())
}

/// Seconds since 1970 as the vault writes times.
pub fn from_unix(seconds: u64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds);
    humantime::format_rfc3339_seconds(time).to_string()
}

/// A new entry stamped with the source's times, or `now` where it has none.
pub fn entry_at(created: Option<String>, updated: Option<String>, now: &str) -> Entry {
    let created = created.unwrap_or_else(|| now.to_owned());
    let updated = updated.unwrap_or_else(|| created.clone());
    Entry {
        created,
        updated,
        ..Entry::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(group: &str, title: &str, password: &str) -> Item {
        let mut entry = Entry::new("t");
        entry.password = Secret::from(password);
        Item {
            group: group.into(),
            title: title.into(),
            entry,
        }
    }

    #[test]
    fn names_join_prefix_group_and_a_cleaned_title() {
        let (named, notes) = name_items(
            vec![
                item("Social//Media ", "twitter.com", "a"),
                item("", "AC/DC", "b"),
                item("", "  ", "c"),
            ],
            "old/",
        );
        assert_eq!(
            named.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
            ["old/Social/Media/twitter.com", "old/AC-DC", "old/untitled"]
        );
        assert_eq!(notes.len(), 2);
    }

    #[test]
    fn conflicts_follow_the_rule() {
        let mut doc = Document::new(vec![]);
        let mut old = Entry::new("2020-01-01T00:00:00Z");
        old.password = Secret::from("old");
        doc.entries.insert("a".into(), old);
        let entries = |pw: &str| {
            let mut e = Entry::new("t");
            e.password = Secret::from(pw);
            vec![("a".to_owned(), e.clone()), ("a".to_owned(), e)]
        };
        let mut renamed = doc.clone();
        let done = merge(&mut renamed, entries("new"), OnConflict::Rename, "now");
        assert_eq!(done[0].name, "a (2)");
        assert_eq!(done[1].name, "a (3)");
        let mut skipped = doc.clone();
        let done = merge(&mut skipped, entries("new"), OnConflict::Skip, "now");
        assert!(matches!(done[1].outcome, Outcome::Skipped { .. }));
        assert_eq!(skipped.entries.len(), 1);
        let mut over = doc.clone();
        merge(&mut over, entries("new"), OnConflict::Overwrite, "now");
        let a = &over.entries["a"];
        assert_eq!(a.password.expose(), "new");
        assert_eq!(a.history.len(), 1);
        assert_eq!(a.history[0].password.expose(), "old");
        assert_eq!(a.created, "2020-01-01T00:00:00Z");
    }

    #[test]
    fn hosts() {
        assert_eq!(
            host_of("https://u@www.example.com:8443/p?q"),
            "www.example.com"
        );
        assert_eq!(host_of("example.org"), "example.org");
        assert_eq!(host_of("http://[::1]:80/"), "[::1]");
    }

    #[test]
    fn times() {
        assert_eq!(
            rfc3339("2023-04-05T06:07:08.123Z").as_deref(),
            Some("2023-04-05T06:07:08Z")
        );
        assert_eq!(from_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339("yesterday"), None);
    }
}
