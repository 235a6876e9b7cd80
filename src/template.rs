//! `vault inject`'s templates: text in which each `{{ vault://NAME/FIELD }}` stands for a value.
//!
//! Entry names may contain `/` (groups) and field names may not, so the field is the last path
//! segment: `vault://bank/checking/password` is the `password` of `bank/checking`. Whitespace
//! inside the braces is allowed. Other `{{ … }}` (another tool's templates) are left as they are.
//!
//! The whole output is rendered in memory before anything is written, so a missing entry or
//! field leaves no half-written file and prints nothing.

use std::io::Write;

use crate::document::{Document, FieldError};
use crate::secret::SecretBuf;

const OPEN: &[u8] = b"{{";
const CLOSE: &[u8] = b"}}";
const SCHEME: &[u8] = b"vault://";

/// Why a template cannot be rendered. Names the entry and field, or the line, never a value.
#[derive(Debug, PartialEq, Eq)]
pub enum TemplateError {
    NoEntry(String),
    NoField {
        entry: String,
        field: String,
    },
    Otp {
        entry: String,
        reason: String,
    },
    /// A reference that cannot be read, with its 1-based line.
    Malformed {
        line: usize,
        reason: &'static str,
    },
}

/// The template with every reference replaced, in a buffer wiped when dropped.
pub fn render(template: &[u8], doc: &Document, now: u64) -> Result<SecretBuf, TemplateError> {
    let mut out = SecretBuf::with_capacity(template.len() + 1024);
    let mut rest = template;
    while let Some(at) = find(rest, OPEN) {
        let (before, from_open) = rest.split_at(at);
        // Writing to memory cannot fail.
        out.write_all(before).ok();
        let inner_and_more = &from_open[OPEN.len()..];
        if !inner_and_more.trim_ascii_start().starts_with(SCHEME) {
            out.write_all(OPEN).ok();
            rest = inner_and_more;
            continue;
        }
        let line = line_of(template, template.len() - from_open.len());
        let end = find(inner_and_more, CLOSE).ok_or(TemplateError::Malformed {
            line,
            reason: "a {{ vault:// reference has no closing }}",
        })?;
        let (entry, field) = reference(&inner_and_more[..end], line)?;
        let value = doc
            .entry(entry)
            .ok_or_else(|| TemplateError::NoEntry(entry.to_owned()))?
            .value(field, now)
            .map_err(|err| match err {
                FieldError::Missing => TemplateError::NoField {
                    entry: entry.to_owned(),
                    field: field.to_owned(),
                },
                FieldError::Otp(reason) => TemplateError::Otp {
                    entry: entry.to_owned(),
                    reason: reason.to_string(),
                },
            })?;
        out.write_all(value.expose().as_bytes()).ok();
        rest = &inner_and_more[end + CLOSE.len()..];
    }
    out.write_all(rest).ok();
    Ok(out)
}

/// ` vault://bank/checking/password ` -> (`bank/checking`, `password`).
fn reference(inner: &[u8], line: usize) -> Result<(&str, &str), TemplateError> {
    let malformed = |reason| TemplateError::Malformed { line, reason };
    let path = std::str::from_utf8(&inner.trim_ascii()[SCHEME.len()..])
        .map_err(|_| malformed("a vault:// reference is not UTF-8"))?;
    path.rsplit_once('/')
        .filter(|(entry, field)| !entry.is_empty() && !field.is_empty())
        .ok_or_else(|| malformed("expected {{ vault://NAME/FIELD }}"))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// 1-based: n newlines before `offset` make n + 1 pieces.
fn line_of(text: &[u8], offset: usize) -> usize {
    text[..offset].split(|&b| b == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Document {
        Document::parse(
            br#"{"entries": {"db": {"username": "app", "password": "pw1", "fields": {"port": "5432"}},
                "bank/checking": {"password": "pw2", "totp": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"}}}"#,
        )
        .unwrap()
    }

    fn text(template: &str) -> Result<String, TemplateError> {
        render(template.as_bytes(), &doc(), 59).map(|out| String::from_utf8(out.to_vec()).unwrap())
    }

    #[test]
    fn references_are_replaced_and_the_rest_is_kept() {
        assert_eq!(
            text("u={{vault://db/username}} p={{ vault://db/password }}\n{{\tvault://db/port\t}}")
                .unwrap(),
            "u=app p=pw1\n5432"
        );
        assert_eq!(
            text("{{ vault://bank/checking/password }}{{ vault://bank/checking/password }}")
                .unwrap(),
            "pw2pw2"
        );
        assert_eq!(text("{{ vault://bank/checking/otp }}").unwrap(), "287082");
        assert_eq!(
            text("{{ name }} {{ {{vault://db/password}} }} {").unwrap(),
            "{{ name }} {{ pw1 }} {"
        );
    }

    #[test]
    fn missing_and_malformed_references_say_what_and_where() {
        assert_eq!(
            text("{{ vault://nope/password }}"),
            Err(TemplateError::NoEntry("nope".into()))
        );
        assert_eq!(
            text("{{ vault://bank/checking/pin }}"),
            Err(TemplateError::NoField {
                entry: "bank/checking".into(),
                field: "pin".into()
            })
        );
        for (bad, line) in [
            ("a\n{{ vault://db }}", 2),
            ("\n\n{{ vault://db/password", 3),
            ("{{ vault://db/ }}", 1),
        ] {
            match text(bad) {
                Err(TemplateError::Malformed { line: at, .. }) => assert_eq!(at, line, "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}
