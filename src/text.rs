//! Showing untrusted text on a terminal.

use std::borrow::Cow;

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
