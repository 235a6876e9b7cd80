//! Writing results and errors.

use std::borrow::Cow;
use std::io::Write;

use crate::error::{Error, Result};

/// One line on stderr: `vault: error: …; hint: …`.
pub fn report(err: &Error) {
    let mut line = format!("vault: error: {err}");
    if let Some(hint) = err.hint() {
        line.push_str("; hint: ");
        line.push_str(&hint);
    }
    eprintln!("{}", line.replace('\n', " "));
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
    crate::text::printable(value, false)
}
