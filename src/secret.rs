//! Types that hold secrets: zeroized when dropped, never printed.

use std::fmt;
use std::io;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, Zeroizing};

use crate::os::Pages;

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

/// A growable byte buffer for plaintext, in pages of its own that are locked in memory (kept
/// out of swap) where the memlock limit has room, and left out of core dumps (see
/// [`crate::os::Pages`]). It never leaves a copy behind: when it must grow, the old pages are
/// wiped before they are unmapped, as they are when it is dropped.
pub struct SecretBuf {
    pages: Pages,
    len: usize,
}

impl SecretBuf {
    pub fn with_capacity(capacity: usize) -> Self {
        SecretBuf {
            pages: Pages::new(capacity),
            len: 0,
        }
    }

    /// The bytes, copied into an ordinary (unlocked) buffer that is wiped on drop: for callers
    /// that need a `Vec`. Prefer reading the buffer in place.
    pub fn into_inner(self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.to_vec())
    }

    pub fn capacity(&self) -> usize {
        self.pages.capacity()
    }

    /// Whether its pages are locked in memory.
    pub fn is_locked(&self) -> bool {
        self.pages.is_locked()
    }

    pub fn clear(&mut self) {
        self.pages.as_mut_slice()[..self.len].zeroize();
        self.len = 0;
    }

    /// Keeps the first `len` bytes, wiping the rest.
    pub fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.pages.as_mut_slice()[len..self.len].zeroize();
            self.len = len;
        }
    }

    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.reserve(bytes.len());
        self.pages.as_mut_slice()[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// Makes room for `additional` more bytes.
    pub fn reserve(&mut self, additional: usize) {
        let needed = self.len + additional;
        if needed > self.capacity() {
            let mut bigger = Pages::new(needed.max(self.capacity() * 2));
            bigger.as_mut_slice()[..self.len].copy_from_slice(&self.pages.as_slice()[..self.len]);
            // Dropping the old pages wipes them.
            self.pages = bigger;
        }
    }

    /// Reads from `reader` into the free room at the end (making some when there is none):
    /// the bytes read, 0 at the end of the input.
    pub fn read_from(&mut self, reader: &mut impl io::Read) -> io::Result<usize> {
        if self.len == self.capacity() {
            self.reserve(64 * 1024);
        }
        let read = reader.read(&mut self.pages.as_mut_slice()[self.len..])?;
        self.len += read;
        Ok(read)
    }

    /// Reads from `reader` until the buffer is full or the input ends, never growing it: the
    /// bytes read, fewer than the room there was only at the end of the input.
    pub fn fill_from(&mut self, reader: &mut impl io::Read) -> io::Result<usize> {
        let start = self.len;
        while self.len < self.capacity() {
            match reader.read(&mut self.pages.as_mut_slice()[self.len..]) {
                Ok(0) => break,
                Ok(read) => self.len += read,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.len - start)
    }

    /// Reads `reader` to its end.
    pub fn read_to_end(&mut self, reader: &mut impl io::Read) -> io::Result<()> {
        loop {
            match self.read_from(reader) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl io::Write for SecretBuf {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl fmt::Debug for SecretBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBuf([redacted; {}])", self.len)
    }
}

impl std::ops::Deref for SecretBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.pages.as_slice()[..self.len]
    }
}

impl std::ops::DerefMut for SecretBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.pages.as_mut_slice()[..self.len]
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
pub fn read_line(mut reader: impl io::BufRead) -> Result<Secret, LineError> {
    let limit = MAX_LINE_BYTES + 2;
    // Allocated once at full size, in locked pages: growing would leave copies behind.
    let mut line = SecretBuf::with_capacity(limit);
    while line.len() < limit {
        let available = match reader.fill_buf() {
            Ok([]) => break,
            Ok(available) => available,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(LineError::Io(e)),
        };
        let room = &available[..available.len().min(limit - line.len())];
        let (take, done) = match room.iter().position(|&b| b == b'\n') {
            Some(at) => (at + 1, true),
            None => (room.len(), false),
        };
        line.extend_from_slice(&room[..take]);
        reader.consume(take);
        if done {
            break;
        }
    }
    if line.last() == Some(&b'\n') {
        line.truncate(line.len() - 1);
        if line.last() == Some(&b'\r') {
            line.truncate(line.len() - 1);
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
