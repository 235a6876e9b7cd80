//! Writing results and errors.

use std::borrow::Cow;
use std::io::Write;

use vault::error::{Error, Result};
use vault::text;

/// One line on stderr: `vault: error: …; hint: …`. Messages quote entry names, which a
/// hand-made vault may fill with escape sequences: they are escaped here, for every message.
pub fn report(err: &Error) {
    let mut line = err.to_string();
    if let Some(hint) = err.hint() {
        line.push_str("; hint: ");
        line.push_str(&hint);
    }
    eprintln!("vault: error: {}", text::one_line(&line));
}

/// `vault: …` on stderr, for what a command did: one line, escaped as [`report`] does.
pub fn say(message: &str) {
    eprintln!("vault: {}", text::one_line(message));
}

/// Writes to stdout; a closed pipe comes back as an error the caller treats as success.
pub fn stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("cannot write to standard output", e))
}

/// A value fit for a terminal, on one line.
pub fn printable(value: &str) -> Cow<'_, str> {
    text::printable(value, false)
}
