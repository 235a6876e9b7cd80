//! Showing vault content to a person: entries as rows, secrets masked, untrusted text made
//! safe for a terminal. The CLI's `show` and the interface's detail pane share it.

use std::borrow::Cow;

use zeroize::Zeroizing;

use crate::document::Entry;

/// Shown in place of a secret: the same for every length, so it tells nothing.
pub const MASK: &str = "••••••••";

/// An entry as (label, value) rows: username, password, url, the entry's own fields, tags,
/// dates, history. Secrets are masked unless `reveal`. Notes are left to the caller, which lays
/// out their lines its own way.
pub fn entry_rows(entry: &Entry, reveal: bool) -> Vec<(String, Zeroizing<String>)> {
    let secret = |value: &str| {
        Zeroizing::new(if reveal {
            value.to_owned()
        } else {
            MASK.to_owned()
        })
    };
    let plain = |value: &str| Zeroizing::new(value.to_owned());
    let mut rows = vec![
        ("username".to_owned(), plain(&entry.username)),
        ("password".to_owned(), secret(entry.password.expose())),
        ("url".to_owned(), plain(&entry.url)),
    ];
    for (field, value) in &entry.fields {
        rows.push((field.clone(), secret(value.expose())));
    }
    if !entry.tags.is_empty() {
        rows.push(("tags".to_owned(), plain(&entry.tags.join(", "))));
    }
    rows.push(("created".to_owned(), plain(&entry.created)));
    rows.push(("updated".to_owned(), plain(&entry.updated)));
    if !entry.history.is_empty() {
        let n = entry.history.len();
        let s = if n == 1 { "" } else { "s" };
        rows.push((
            "history".to_owned(),
            plain(&format!("{n} earlier password{s}")),
        ));
    }
    rows
}

/// A value fit for a terminal: control characters (an escape sequence in a hand-made vault)
/// are shown escaped rather than obeyed. Newlines are kept when `keep_newlines` is set.
pub fn printable(value: &str, keep_newlines: bool) -> Cow<'_, str> {
    let bad = |c: char| c.is_control() && !(keep_newlines && c == '\n');
    if value.chars().any(bad) {
        let mut shown = String::with_capacity(value.len() * 2);
        for c in value.chars() {
            if bad(c) {
                shown.extend(c.escape_debug());
            } else {
                shown.push(c);
            }
        }
        Cow::Owned(shown)
    } else {
        Cow::Borrowed(value)
    }
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn escapes_control_characters_only() {
        assert_eq!(printable("plain café", false), "plain café");
        assert_eq!(printable("a\u{1b}[31mb", false), "a\\u{1b}[31mb");
        assert_eq!(printable("a\nb", false), "a\\nb");
        assert_eq!(printable("a\nb\tc", true), "a\nb\\tc");
    }
}
