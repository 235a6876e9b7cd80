//! `vault audit`: which entries have a weak, reused, old or breached password.
//!
//! A report names entries and reasons, never a password or its hash.
//!
//! - weak: zxcvbn's score below [`WEAK_BELOW`] (3 of 0–4: under about 10^8 guesses), with the
//!   entry's name and username as words an attacker would try first;
//! - reused: the same password in two or more entries;
//! - old: the password was set longer ago than the limit. It was set when the newest earlier
//!   password stopped being current (the history's last `until`), or, with no history, when the
//!   entry was `created` (else `updated`);
//! - breached: its SHA-1 is in a Pwned Passwords file ([`PwnedPasswords`]).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use sha1::{Digest, Sha1};
use zeroize::{Zeroize, Zeroizing};

use crate::document::{Document, Entry};

/// zxcvbn scores 0 to 4; below this a password is weak.
pub const WEAK_BELOW: u8 = 3;
/// zxcvbn's time grows fast with length, and the first 100 characters of a password decide
/// whether it is guessable (zxcvbn's own advice).
const ESTIMATED_CHARS: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Finding {
    Weak,
    Reused,
    Old,
    Breached,
}

/// One entry's findings.
#[derive(Debug, Serialize)]
pub struct Report {
    pub name: String,
    pub findings: Vec<Finding>,
    /// The other entries with the same password.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reused_with: Vec<String>,
    /// Days since the password was set, when the entry says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_days: Option<u64>,
    /// How often the Pwned Passwords file has seen it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breach_count: Option<u64>,
}

/// The entries with findings, by name. Entries without a password are skipped.
pub fn audit(
    doc: &Document,
    older_than: Duration,
    now: SystemTime,
    mut pwned: Option<&mut PwnedPasswords>,
) -> io::Result<Vec<Report>> {
    let with_password = || {
        doc.entries
            .iter()
            .filter(|(_, entry)| !entry.password.is_empty())
    };
    let mut by_password: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, entry) in with_password() {
        by_password
            .entry(entry.password.expose())
            .or_default()
            .push(name);
    }
    let mut reports = Vec::new();
    for (name, entry) in with_password() {
        let password = entry.password.expose();
        let mut findings = Vec::new();
        if is_weak(password, &[name, &entry.username]) {
            findings.push(Finding::Weak);
        }
        let reused_with: Vec<String> = by_password[password]
            .iter()
            .filter(|other| **other != name)
            .map(|other| (*other).to_owned())
            .collect();
        if !reused_with.is_empty() {
            findings.push(Finding::Reused);
        }
        let age = password_set_at(entry).and_then(|set| now.duration_since(set).ok());
        if age.is_some_and(|age| age > older_than) {
            findings.push(Finding::Old);
        }
        let breach_count = match pwned.as_deref_mut() {
            Some(file) => file.count(password)?,
            None => None,
        };
        if breach_count.is_some() {
            findings.push(Finding::Breached);
        }
        if !findings.is_empty() {
            reports.push(Report {
                name: name.clone(),
                findings,
                reused_with,
                age_days: age.map(|age| age.as_secs() / 86_400),
                breach_count,
            });
        }
    }
    Ok(reports)
}

/// Whether zxcvbn guesses `password` too easily; `words` are what an attacker knows of it.
pub fn is_weak(password: &str, words: &[&str]) -> bool {
    let end = password
        .char_indices()
        .nth(ESTIMATED_CHARS)
        .map_or(password.len(), |(at, _)| at);
    let words: Vec<&str> = words.iter().copied().filter(|w| !w.is_empty()).collect();
    u8::from(zxcvbn::zxcvbn(&password[..end], &words).score()) < WEAK_BELOW
}

/// When the current password was set (see the module's notes), if the entry says.
pub fn password_set_at(entry: &Entry) -> Option<SystemTime> {
    let parse = |text: &str| humantime::parse_rfc3339_weak(text).ok();
    entry
        .history
        .iter()
        .filter_map(|past| parse(&past.until))
        .max()
        .or_else(|| parse(&entry.created))
        .or_else(|| parse(&entry.updated))
}

/// A Pwned Passwords file: `SHA1HEX:COUNT` lines sorted by hash, searched by binary search on
/// disk, so a file of tens of gigabytes is searched in a few dozen reads of a kilobyte.
pub struct PwnedPasswords {
    file: File,
    len: u64,
}

/// Longer lines are not of a Pwned Passwords file (a line is about 50 bytes).
const MAX_LINE: usize = 1024;
/// Below this many bytes between the bounds, reading the lines beats seeking.
const SCAN: u64 = 8 * 1024;

struct Line {
    hash: [u8; 40],
    count: u64,
    next: u64,
}

impl PwnedPasswords {
    /// Opens the file and checks that its first line looks like one.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        let mut pwned = PwnedPasswords { file, len };
        pwned.line_at(0)?;
        Ok(pwned)
    }

    /// How often the file has seen `password`, or `None`.
    pub fn count(&mut self, password: &str) -> io::Result<Option<u64>> {
        self.find(&sha1_hex(password))
    }

    fn find(&mut self, target: &[u8; 40]) -> io::Result<Option<u64>> {
        // Every line before `lo` (a line start) sorts below the target; every line starting
        // at or after `hi` sorts at or above it.
        let (mut lo, mut hi) = (0, self.len);
        while hi - lo > SCAN {
            let mid = lo + (hi - lo) / 2;
            let start = self.line_start_from(mid)?;
            if start >= hi {
                hi = mid;
                continue;
            }
            match self.line_at(start)? {
                Some(line) if line.hash < *target => lo = line.next,
                _ => hi = start,
            }
        }
        let mut pos = lo;
        // A sorted file ends the scan within a line of `hi`; an unsorted one must not make it
        // read the whole file.
        while pos <= hi + MAX_LINE as u64 {
            let Some(line) = self.line_at(pos)? else {
                break;
            };
            match line.hash.cmp(target) {
                std::cmp::Ordering::Less => pos = line.next,
                std::cmp::Ordering::Equal => return Ok(Some(line.count)),
                std::cmp::Ordering::Greater => break,
            }
        }
        Ok(None)
    }

    /// Where the first line starting at or after `pos` begins (the file's length if none).
    fn line_start_from(&mut self, pos: u64) -> io::Result<u64> {
        if pos == 0 {
            return Ok(0);
        }
        let mut buf = [0u8; MAX_LINE];
        let n = self.read_at(pos - 1, &mut buf)?;
        match buf[..n].iter().position(|&b| b == b'\n') {
            Some(i) => Ok(pos + i as u64),
            None if n < MAX_LINE => Ok(self.len),
            None => Err(not_pwned_passwords()),
        }
    }

    /// The line starting at `pos`, or `None` at the end of the file.
    fn line_at(&mut self, pos: u64) -> io::Result<Option<Line>> {
        let mut buf = [0u8; MAX_LINE];
        let n = self.read_at(pos, &mut buf)?;
        if n == 0 {
            return Ok(None);
        }
        let (text, next) = match buf[..n].iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], pos + i as u64 + 1),
            None if n < MAX_LINE => (&buf[..n], pos + n as u64),
            None => return Err(not_pwned_passwords()),
        };
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        let (hash, count) = match text.iter().position(|&b| b == b':') {
            Some(i) => (&text[..i], &text[i + 1..]),
            None => (text, &b""[..]),
        };
        let mut line = Line {
            hash: hash.try_into().map_err(|_| not_pwned_passwords())?,
            count: 0,
            next,
        };
        if !line.hash.iter().all(u8::is_ascii_hexdigit) {
            return Err(not_pwned_passwords());
        }
        line.hash.make_ascii_uppercase();
        if !count.is_empty() {
            line.count = std::str::from_utf8(count)
                .ok()
                .and_then(|c| c.trim().parse().ok())
                .ok_or_else(not_pwned_passwords)?;
        }
        Ok(Some(line))
    }

    /// Fills `buf` from `pos`; short only at the end of the file.
    fn read_at(&mut self, pos: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.file.seek(SeekFrom::Start(pos))?;
        let mut filled = 0;
        while filled < buf.len() {
            match self.file.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
        Ok(filled)
    }
}

/// A password's SHA-1 as the Pwned Passwords file writes it: upper-case hex.
pub fn sha1_hex(password: &str) -> Zeroizing<[u8; 40]> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut digest: [u8; 20] = Sha1::digest(password.as_bytes()).into();
    let mut hex = Zeroizing::new([0u8; 40]);
    for (i, byte) in digest.iter().enumerate() {
        hex[2 * i] = HEX[usize::from(byte >> 4)];
        hex[2 * i + 1] = HEX[usize::from(byte & 0xf)];
    }
    digest.zeroize();
    hex
}

fn not_pwned_passwords() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "not a Pwned Passwords SHA-1 file (SHA1HEX:COUNT lines sorted by hash)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn strong_random_passwords_are_not_weak_and_common_ones_are() {
        assert!(!is_weak("q7#Vd9!rT2@zL5$wXk8&", &["bank"]));
        assert!(!is_weak(
            crate::generate::password(24, true).unwrap().expose(),
            &[]
        ));
        for weak in ["password", "123456", "bank2024", "dustin1", "Summer2024!"] {
            assert!(is_weak(weak, &["bank", "dustin"]), "{weak}");
        }
        // Cut to 100 characters, not slow; and a repeat is weak however long.
        assert!(is_weak(&"x7Q!".repeat(10_000), &[]));
    }

    fn hex(password: &str) -> String {
        String::from_utf8(sha1_hex(password).to_vec()).unwrap()
    }

    /// A sorted file of `lines` pseudo-random hashes plus those of `passwords`.
    fn pwned_file(lines: usize, passwords: &[&str], crlf: bool) -> tempfile::NamedTempFile {
        let mut hashes: Vec<String> = (0..lines)
            .map(|i| hex(&format!("filler {i}")))
            .chain(passwords.iter().map(|p| hex(p)))
            .collect();
        hashes.sort();
        let mut file = tempfile::NamedTempFile::new().unwrap();
        let mut out = io::BufWriter::new(file.as_file_mut());
        for (i, hash) in hashes.iter().enumerate() {
            write!(out, "{hash}:{}{}", i + 1, if crlf { "\r\n" } else { "\n" }).unwrap();
        }
        out.flush().unwrap();
        drop(out);
        file
    }

    #[test]
    fn hashes_are_upper_case_hex() {
        assert_eq!(hex("password"), "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8");
    }

    #[test]
    fn binary_search_finds_every_line_and_nothing_else() {
        for crlf in [false, true] {
            let file = pwned_file(5_000, &["hunter2"], crlf);
            let mut pwned = PwnedPasswords::open(file.path()).unwrap();
            assert!(pwned.count("hunter2").unwrap().is_some());
            for i in (0..5_000).step_by(37) {
                assert!(
                    pwned.count(&format!("filler {i}")).unwrap().is_some(),
                    "{i}"
                );
            }
            assert_eq!(pwned.count("not in it").unwrap(), None);
        }
        let empty = tempfile::NamedTempFile::new().unwrap();
        assert_eq!(
            PwnedPasswords::open(empty.path())
                .unwrap()
                .count("x")
                .unwrap(),
            None
        );
    }

    #[test]
    fn a_file_of_another_kind_is_refused() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(b"8846F7EAEE8FB117AD06BDD830B7586C:3\n")
            .unwrap();
        let err = PwnedPasswords::open(file.path()).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
