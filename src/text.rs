//! Showing vault content to a person: entries as rows, secrets masked, untrusted text made
//! safe for a terminal. The CLI's `show` and the interface's detail pane share it.

use std::borrow::Cow;
use std::io;

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};
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

/// Whether `c` could make text on a terminal say something other than what it holds: control
/// characters (an escape sequence recolours, moves the cursor, retitles the window) and the
/// invisible format characters (Unicode category Cf: U+202E turns `gpj.exe` into `exe.jpg`,
/// U+200B makes two different names look the same), with the line and paragraph separators.
/// Names refuse control characters when created, but a hand-made vault holds whatever its
/// author typed, so everything shown from a vault goes through here.
pub fn disguises(c: char) -> bool {
    c.is_control() || is_format(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Unicode's Cf category (as of Unicode 16), which the standard library does not expose.
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{600}'..='\u{605}'
            | '\u{61c}'
            | '\u{6dd}'
            | '\u{70f}'
            | '\u{890}'..='\u{891}'
            | '\u{8e2}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{110bd}'
            | '\u{110cd}'
            | '\u{13430}'..='\u{1343f}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0001}'
            | '\u{e0020}'..='\u{e007f}'
    )
}

/// A value fit for a terminal: what [`disguises`] finds is shown escaped (`\u{1b}`,
/// `\u{202e}`) rather than obeyed or hidden. Newlines are kept when `keep_newlines` is set.
pub fn printable(value: &str, keep_newlines: bool) -> Cow<'_, str> {
    // Printable ASCII, the usual name or value, holds nothing to escape: one quick pass.
    if value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Cow::Borrowed(value);
    }
    let bad = |c: char| disguises(c) && !(keep_newlines && c == '\n');
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

/// A message for one line of stderr: its own line breaks become spaces (an error from a library
/// may hold some), and whatever else [`disguises`] finds is escaped.
pub fn one_line(message: &str) -> String {
    printable(&message.replace('\n', " "), false).into_owned()
}

/// `word` as one shell word a person can paste: bare when it holds nothing a shell reads
/// specially, else in single quotes. For hints such as `vault edit 'my bank'`.
pub fn shell_word(word: &str) -> Cow<'_, str> {
    let plain = |c: char| c.is_alphanumeric() || "/._-+@:,".contains(c);
    if !word.is_empty() && word.chars().all(plain) && !word.chars().any(disguises) {
        return Cow::Borrowed(word);
    }
    let mut quoted = Vec::with_capacity(word.len() + 2);
    write_single_quoted(&mut quoted, word).expect("writing to memory");
    Cow::Owned(String::from_utf8(quoted).expect("quoting keeps UTF-8"))
}

/// POSIX single quotes: everything literal, a `'` written as `'\''`. Writes through `out` so
/// that a secret being quoted lands only in the caller's (zeroized) buffer.
pub fn write_single_quoted(out: &mut impl io::Write, value: &str) -> io::Result<()> {
    out.write_all(b"'")?;
    for (i, part) in value.split('\'').enumerate() {
        if i > 0 {
            out.write_all(b"'\\''")?;
        }
        out.write_all(part.as_bytes())?;
    }
    out.write_all(b"'")
}

/// Pretty JSON that a terminal shows harmlessly and a JSON reader (`jq`) reads back exactly:
/// `serde_json` escapes only what JSON requires (below U+0020), so DEL, C1 controls and the
/// format characters are escaped here too, as `\u007f`, `\u202e`.
pub fn write_json<W: io::Write, T: Serialize + ?Sized>(
    out: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut serializer =
        serde_json::Serializer::with_formatter(out, TerminalSafe(PrettyFormatter::new()));
    value.serialize(&mut serializer)
}

/// A formatter that escapes what [`disguises`] finds, wrapped around one that lays JSON out.
struct TerminalSafe<F>(F);

impl<F: Formatter> Formatter for TerminalSafe<F> {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if disguises(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    // The layout is the inner formatter's.
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_and_format_characters_only() {
        assert_eq!(printable("plain café ✓", false), "plain café ✓");
        assert_eq!(printable("a\u{1b}[31mb", false), "a\\u{1b}[31mb");
        assert_eq!(printable("a\nb", false), "a\\nb");
        assert_eq!(printable("a\nb\tc", true), "a\nb\\tc");
        assert_eq!(printable("gpj\u{202e}.exe", false), "gpj\\u{202e}.exe");
        assert_eq!(
            printable("a\u{200b}b\u{feff}", false),
            "a\\u{200b}b\\u{feff}"
        );
        assert_eq!(
            printable("\u{2066}x\u{2069}\u{9b}", false),
            "\\u{2066}x\\u{2069}\\u{9b}"
        );
        assert_eq!(one_line("one\ntwo\u{1b}"), "one two\\u{1b}");
    }

    #[test]
    fn json_escapes_what_a_terminal_would_obey_and_reads_back_the_same() {
        let value = vec!["a\u{1b}b\u{7f}\u{202e}c\u{200b}\u{e0041}", "é ✓"];
        let mut out = Vec::new();
        write_json(&mut out, &value).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.chars().any(|c| c != '\n' && disguises(c)), "{text}");
        assert!(
            text.contains(r"a\u001bb\u007f\u202ec\u200b\udb40\udc41"),
            "{text}"
        );
        assert!(text.contains("é ✓"));
        let back: Vec<String> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("bank/checking"), "bank/checking");
        assert_eq!(shell_word("my bank"), "'my bank'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word("$(x)"), "'$(x)'");
        assert_eq!(shell_word(""), "''");
    }
}
