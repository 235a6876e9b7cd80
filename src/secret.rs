//! Types that hold secrets: zeroized when dropped, never printed.

use std::fmt;
use std::io;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, Zeroizing};

/// A secret string (a password, a passphrase, a note). Its memory is wiped on drop; `Debug`
/// prints a placeholder and there is no `Display`, so it cannot reach a log or an error by
/// accident. Read it with [`Secret::expose`] at the one place that needs the value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(Zeroizing::new(value))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }
}

/// A growable byte buffer for plaintext that never leaves a copy behind: when it must grow,
/// the old allocation is wiped before it is freed (a plain `Vec` would just free it).
pub struct SecretBuf(Zeroizing<Vec<u8>>);

impl SecretBuf {
    pub fn with_capacity(capacity: usize) -> Self {
        SecretBuf(Zeroizing::new(Vec::with_capacity(capacity)))
    }

    pub fn into_inner(self) -> Zeroizing<Vec<u8>> {
        self.0
    }

    fn reserve(&mut self, additional: usize) {
        let needed = self.0.len() + additional;
        if needed > self.0.capacity() {
            let mut bigger = Zeroizing::new(Vec::with_capacity(needed.max(self.0.capacity() * 2)));
            bigger.extend_from_slice(&self.0);
            // The old buffer is a Zeroizing<Vec>: replacing it wipes it.
            self.0 = bigger;
        }
    }
}

impl io::Write for SecretBuf {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.reserve(buf.len());
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl std::ops::Deref for SecretBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// Longest secret read as a line (a password on stdin, a passphrase file, the clipboard
/// helper's input).
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Why a secret line could not be read.
#[derive(Debug)]
pub enum LineError {
    Io(io::Error),
    TooLong,
    NotUtf8,
}

/// The first line of `reader` without its line ending (`\n` or `\r\n`), in memory that is
/// wiped afterwards; at most [`MAX_LINE_BYTES`].
pub fn read_line(reader: impl io::BufRead) -> Result<Secret, LineError> {
    use io::BufRead;
    let limit = MAX_LINE_BYTES + 2;
    // Allocated once at full size: growing would leave copies of the secret behind.
    let mut line = Zeroizing::new(Vec::with_capacity(limit));
    reader
        .take(limit as u64)
        .read_until(b'\n', &mut line)
        .map_err(LineError::Io)?;
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
    if line.len() > MAX_LINE_BYTES {
        return Err(LineError::TooLong);
    }
    std::str::from_utf8(&line)
        .map(Secret::from)
        .map_err(|_| LineError::NotUtf8)
}

/// Wipes a string we no longer need but cannot wrap (for example one handed to us by a crate).
pub fn wipe(mut value: String) {
    value.zeroize();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::from("hunter2");
        assert_eq!(format!("{secret:?}"), "Secret([redacted])");
        assert!(!format!("{:?}", vec![secret]).contains("hunter2"));
    }

    #[test]
    fn serde_round_trip_keeps_the_value() {
        let secret = Secret::from("p\"w");
        let json = serde_json::to_string(&secret).unwrap();
        assert_eq!(json, r#""p\"w""#);
        let back: Secret = serde_json::from_str(&json).unwrap();
        assert_eq!(back.expose(), "p\"w");
    }

    #[test]
    fn secret_buf_grows_and_keeps_content() {
        let mut buf = SecretBuf::with_capacity(2);
        for _ in 0..100 {
            buf.write_all(b"abc").unwrap();
        }
        assert_eq!(buf.len(), 300);
        assert!(buf.chunks(3).all(|c| c == b"abc"));
    }
}
