//! Secrets taken out of a stream of output, for `vault exec --redact`: every occurrence becomes
//! `<redacted>`, also when the program wrote it in two pieces.
//!
//! Output is held until a line is complete, so a secret written half now and half later is
//! still seen whole. A secret that spans lines (a note) is redacted line by line: each of its
//! lines is a secret of its own, so no line of it gets through, at the price of also hiding
//! those lines where they appear alone. A line longer than 64 KiB is passed on in parts, all
//! but what could still be the start of a secret.

use std::io::{self, Read, Write};

use zeroize::Zeroizing;

/// What a secret is replaced with.
pub const MARK: &[u8] = b"<redacted>";
/// How much of an unfinished line is held back at most.
const MAX_PENDING: usize = 64 * 1024;
const CHUNK: usize = 8 * 1024;

pub struct Redactor {
    /// Longest first, so a secret that contains another is replaced whole.
    secrets: Vec<Zeroizing<Vec<u8>>>,
    longest: usize,
    /// Sized once: growing it would leave a copy of the output behind, unwiped.
    pending: Zeroizing<Vec<u8>>,
}

impl Redactor {
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let mut pieces: Vec<Zeroizing<Vec<u8>>> = secrets
            .into_iter()
            .flat_map(|secret| secret.split('\n'))
            .map(|line| line.strip_suffix('\r').unwrap_or(line))
            .filter(|line| !line.is_empty())
            .map(|line| Zeroizing::new(line.as_bytes().to_vec()))
            .collect();
        pieces.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        pieces.dedup();
        let longest = pieces.first().map_or(0, |piece| piece.len());
        Redactor {
            secrets: pieces,
            longest,
            pending: Zeroizing::new(Vec::with_capacity(MAX_PENDING + longest + CHUNK)),
        }
    }

    /// Takes more of the stream and writes what is settled: whole lines, and of a line past
    /// 64 KiB, all but its last bytes that could begin a secret.
    pub fn feed(&mut self, data: &[u8], out: &mut impl Write) -> io::Result<()> {
        for piece in data.chunks(CHUNK) {
            self.pending.extend_from_slice(piece);
            if let Some(newline) = self.pending.iter().rposition(|&b| b == b'\n') {
                // No secret holds a newline, so none straddles this one.
                self.emit(newline + 1, out)?;
            }
            if self.pending.len() > MAX_PENDING {
                let undecided = self.longest.saturating_sub(1);
                self.emit(self.pending.len() - undecided, out)?;
            }
        }
        Ok(())
    }

    /// The end of the stream: writes what is left.
    pub fn finish(&mut self, out: &mut impl Write) -> io::Result<()> {
        self.emit(self.pending.len(), out)
    }

    /// Writes the held bytes before `limit` with every secret that starts there replaced (one
    /// may end past `limit`: the callers make sure it is held whole), and forgets them.
    fn emit(&mut self, limit: usize, out: &mut impl Write) -> io::Result<()> {
        let held = &self.pending[..];
        let (mut at, mut plain_from) = (0, 0);
        while at < limit {
            match self.secrets.iter().find(|s| held[at..].starts_with(s)) {
                Some(secret) => {
                    out.write_all(&held[plain_from..at])?;
                    out.write_all(MARK)?;
                    at += secret.len();
                    plain_from = at;
                }
                None => at += 1,
            }
        }
        out.write_all(&held[plain_from..at])?;
        self.pending.drain(..at);
        Ok(())
    }
}

/// Copies `from` to `to` through `redactor` until `from` ends, flushing as lines complete.
pub fn pump(mut from: impl Read, to: &mut impl Write, redactor: &mut Redactor) -> io::Result<()> {
    let mut buf = Zeroizing::new([0u8; CHUNK]);
    loop {
        let n = match from.read(&mut buf[..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        redactor.feed(&buf[..n], to)?;
        to.flush()?;
    }
    redactor.finish(to)?;
    to.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(secrets: &[&str], writes: &[&[u8]]) -> String {
        let mut redactor = Redactor::new(secrets.iter().copied());
        let mut out = Vec::new();
        for write in writes {
            redactor.feed(write, &mut out).unwrap();
        }
        redactor.finish(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn secrets_are_replaced_even_when_written_in_pieces() {
        assert_eq!(
            run(
                &["hunter2"],
                &[b"pw=hun", b"ter2 and hunter2\nhunter", b"2"]
            ),
            "pw=<redacted> and <redacted>\n<redacted>"
        );
        assert_eq!(
            run(&["abc", "abcdef"], &[b"abcdef abc ab"]),
            "<redacted> <redacted> ab"
        );
        assert_eq!(run(&[], &[b"as is\n"]), "as is\n");
        assert_eq!(
            run(&["line one\nline two"], &[b"line one\n", b"line two\n"]),
            "<redacted>\n<redacted>\n"
        );
    }

    #[test]
    fn complete_lines_are_passed_on_at_once() {
        let mut redactor = Redactor::new(["hunter2"]);
        let mut out = Vec::new();
        redactor.feed(b"one\ntwo hun", &mut out).unwrap();
        assert_eq!(out, b"one\n");
    }

    #[test]
    fn a_long_line_is_passed_on_in_parts_and_still_redacted() {
        let secret = "s3cr3t-value";
        let mut redactor = Redactor::new([secret]);
        let mut out = Vec::new();
        let mut line = vec![b'x'; MAX_PENDING + 5];
        line.extend_from_slice(&secret.as_bytes()[..4]);
        redactor.feed(&line, &mut out).unwrap();
        assert!(
            out.len() > MAX_PENDING - CHUNK,
            "held back {}",
            line.len() - out.len()
        );
        redactor.feed(&secret.as_bytes()[4..], &mut out).unwrap();
        redactor.finish(&mut out).unwrap();
        assert!(out.ends_with(b"x<redacted>"));
        assert!(!out.windows(4).any(|w| w == b"s3cr"));
    }
}
