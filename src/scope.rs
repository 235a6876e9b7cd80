//! Scoped recipients: a recipient granted only some entries reads them from a derived vault of
//! its own, `VAULT.d/NAME.age`, and cannot open the main vault (encrypted to full recipients
//! only) nor another recipient's file.
//!
//! A derived vault is an ordinary signed format-1 document: the granted entries' current
//! values (no password history), encrypted to that recipient alone. Beside it a link named by
//! the recipient key's fingerprint lets a job find its file without listing the directory,
//! which it is not allowed to.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::crypto;
use crate::document::{Document, Extra, Recipient};

/// What a derived document says it was made from, for a person reading it with `age -d`.
pub const DERIVED_FROM: &str = "derived_from";

/// The directory beside `vault` that holds derived vaults: `vault.age.d`.
pub fn dir_of(vault: &Path) -> PathBuf {
    let mut name: OsString = vault.as_os_str().to_owned();
    name.push(".d");
    PathBuf::from(name)
}

/// A derived vault's file name: the recipient's name, with anything but letters, digits and
/// `@._-` made `_`, so no name can leave the directory or hide as a dot file.
pub fn file_name(recipient: &str) -> String {
    let safe: String = recipient
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "@._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{}.age", safe.trim_start_matches('.'))
}

/// The link by which a key finds its derived vault: a fingerprint of the canonical public key.
pub fn key_link_name(key: &str) -> String {
    let digest = Sha256::digest(crypto::canonical_key(key).as_bytes());
    format!(".key-{}.age", hex(&digest[..16]))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Whether a file in the derived directory is one vault manages: a derived vault or a key link.
pub fn is_managed(file_name: &str) -> bool {
    Path::new(file_name)
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("age"))
}

/// Whether `name` is granted by `patterns`: an exact name, or a glob where `*` is any run of
/// characters (`/` included, so `bank/*` is the whole group) and `?` one character.
pub fn grants(patterns: &[String], name: &str) -> bool {
    patterns.iter().any(|p| glob(p, name))
}

/// Whether `name` matches the glob `pattern` (`*` any run of characters, `/` included; `?` one).
pub fn glob(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // Iterative matching with one backtrack point: linear enough for names, no recursion.
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Checks a scope pattern as given on the command line.
pub fn validate_pattern(pattern: &str) -> Result<(), String> {
    if pattern.trim().is_empty() {
        return Err("a scope pattern is empty".into());
    }
    if pattern.chars().any(char::is_control) {
        return Err("a scope pattern contains a control character".into());
    }
    Ok(())
}

/// The document a scoped recipient gets: its granted entries as they are now, without their
/// password history, and itself as the only recipient.
pub fn derive(doc: &Document, recipient: &Recipient, vault_name: &str) -> Document {
    let patterns = recipient.only.as_deref().unwrap_or_default();
    let entries: BTreeMap<_, _> = doc
        .entries
        .iter()
        .filter(|(name, _)| grants(patterns, name))
        .map(|(name, entry)| {
            let mut entry = entry.clone();
            entry.history.clear();
            (name.clone(), entry)
        })
        .collect();
    let mut extra = Extra::default();
    extra.insert(
        DERIVED_FROM,
        serde_json::Value::String(vault_name.to_owned()),
    );
    Document {
        format: doc.format,
        recipients: vec![recipient.clone()],
        entries,
        extra,
        ..Document::new(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Entry;

    #[test]
    fn globs_match_names_and_whole_groups() {
        let p = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(grants(&p(&["bank/*"]), "bank/checking"));
        assert!(grants(&p(&["bank/*"]), "bank/eu/savings"));
        assert!(!grants(&p(&["bank/*"]), "bank"));
        assert!(!grants(&p(&["bank/*"]), "mail"));
        assert!(grants(&p(&["db", "bank/*"]), "db"));
        assert!(!grants(&p(&["db"]), "db2"));
        assert!(grants(&p(&["db?"]), "db2"));
        assert!(grants(&p(&["*"]), "anything/at/all"));
        assert!(grants(&p(&["*-prod"]), "db-prod"));
        assert!(!grants(&p(&["*-prod"]), "db-prod-old"));
        assert!(!grants(&[], "bank"));
    }

    #[test]
    fn file_names_stay_in_the_directory() {
        assert_eq!(file_name("backup@host"), "backup@host.age");
        assert_eq!(file_name("../etc/passwd"), "_etc_passwd.age");
        assert_eq!(file_name(".hidden"), "hidden.age");
        assert_eq!(file_name("a b/c"), "a_b_c.age");
    }

    #[test]
    fn a_derived_document_holds_the_granted_entries_without_history() {
        let mut doc = Document::new(vec![]);
        for name in ["bank/checking", "bank/savings", "mail"] {
            let mut entry = Entry::new("t0");
            entry.set_password("old".into(), "t0");
            entry.set_password("new".into(), "t1");
            doc.entries.insert(name.into(), entry);
        }
        let recipient = Recipient {
            name: "backup".into(),
            key: "age1x".into(),
            only: Some(vec!["bank/*".into()]),
            ..Recipient::default()
        };
        let derived = derive(&doc, &recipient, "vault.age");
        assert_eq!(
            derived.entries.keys().collect::<Vec<_>>(),
            ["bank/checking", "bank/savings"]
        );
        assert!(derived.entries.values().all(|e| e.history.is_empty()));
        assert_eq!(derived.entries["bank/savings"].password.expose(), "new");
        assert_eq!(derived.recipients, vec![recipient]);
    }

    #[test]
    fn key_links_are_stable_and_hidden() {
        let a = key_link_name("age1abc");
        assert_eq!(a, key_link_name(" age1abc "));
        assert!(a.starts_with(".key-") && is_managed(&a));
        assert_ne!(a, key_link_name("age1abd"));
    }
}
