//! Finding one entry in a plaintext that arrives chunk by chunk (a vault decrypted as it is
//! read), holding only the chunk at hand and the entry asked for: what `export` does with a
//! vault of any size in bounded memory.
//!
//! The whole document is checked as JSON as strictly as a full parse checks it (structure,
//! strings and their escapes, numbers, literals, what follows the document), and what decides
//! the answer as strictly as [`crate::lookup::find_entry`] does: the top-level keys, the entry
//! names (a name twice is an error, never a silent pick), the format, and the entry itself,
//! which serde reads with every duplicate key refused. Other entries are checked as JSON only.
//!
//! Entry names are checked for repeats by order: vault writes them sorted, so each name must
//! sort after the one before, and nothing but the last is kept. A document whose names are not
//! sorted (made by hand) is read again keeping a 64-bit hash of each name, and, when two hashes
//! are equal, once more keeping every name, to tell a repeat from a shared hash and name it
//! (see [`Keep`]).

use std::collections::HashSet;

use crate::document::{self, Entry, FORMAT, ParseError};
use crate::secret::SecretBuf;

/// Where the plaintext comes from: chunks in order, each handed back once read.
pub trait Feed {
    /// The next chunk, given the one just read (to fill again, or drop); `None` at the end,
    /// when the input is used up or could not be read (the feed keeps why).
    fn next(&mut self, used: SecretBuf) -> Option<SecretBuf>;
}

/// A plaintext that is in memory already: one chunk.
pub struct Whole(Option<SecretBuf>);

impl Whole {
    pub fn new(plaintext: SecretBuf) -> Self {
        Whole(Some(plaintext))
    }
}

impl Feed for Whole {
    fn next(&mut self, _used: SecretBuf) -> Option<SecretBuf> {
        self.0.take()
    }
}

/// Sees every byte of the plaintext, in order, once: the signature's hash.
pub trait Observer {
    fn observe(&mut self, bytes: &[u8]);
}

impl Observer for () {
    fn observe(&mut self, _bytes: &[u8]) {}
}

impl Observer for crate::signature::Verifier {
    fn observe(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

/// How a scan ended.
pub enum Scan {
    /// The entry, `None` when there is no such entry; or why the document is refused.
    Done(Result<Option<Box<Entry>>, ParseError>),
    /// The names cannot be judged keeping this little of them: scan again, keeping this much.
    /// Nothing of this pass may be used: it may have stopped before the end of the input.
    Again(Keep),
}

/// Scans the whole plaintext `feed` gives for the entry `name`. Every byte passes `observer`,
/// to the end of the input, whatever the document holds (but for [`Scan::Again`]). `keep`:
/// [`Keep::Order`] first, then what [`Scan::Again`] asks for.
pub fn find_entry(
    feed: &mut dyn Feed,
    observer: &mut dyn Observer,
    name: &str,
    keep: Keep,
) -> Scan {
    let mut source = Source {
        chunk: SecretBuf::with_capacity(0),
        pos: 0,
        base: 0,
        feed,
        observer,
        capture: None,
        ended: false,
        open: Vec::new(),
    };
    let mut state = State {
        name,
        format: None,
        soft: None,
        entry: None,
        found: false,
        names: Names::new(keep),
    };
    let outcome = document(&mut source, &mut state).and_then(|()| source.end());
    if let Err(Stop::Again(keep)) = outcome {
        // This pass is given up: the next one reads everything.
        return Scan::Again(keep);
    }
    // Whatever was found, the rest of the input passes the observer.
    source.drain();
    match outcome {
        Ok(()) if state.names.maybe_repeated() => Scan::Again(Keep::All),
        Err(Stop::Again(keep)) => Scan::Again(keep),
        Err(Stop::Syntax(message)) => Scan::Done(Err(state.verdict_after(message))),
        Ok(()) => Scan::Done(state.finish()),
    }
}

/// Why scanning stopped early.
enum Stop {
    /// Not JSON (what is wrong, and where): nothing after it can be read.
    Syntax(String),
    /// The names cannot be judged keeping this little of them.
    Again(Keep),
}

type Step = Result<(), Stop>;

/// How much of the entry names a scan keeps to find a repeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// The last name only: vault writes names sorted, so each must sort after the one before.
    /// The first name out of order stops the scan ([`Scan::Again`] with `Hashes`).
    Order,
    /// A 64-bit hash of each name, compared at the end: two equal hashes (a repeat, or rarely
    /// two names that share a hash) ask for a scan with `All`.
    Hashes,
    /// Every name.
    All,
}

enum Names {
    Order(Vec<u8>, bool),
    Hashes(Vec<u64>),
    All(HashSet<String>),
}

impl Names {
    fn new(keep: Keep) -> Self {
        match keep {
            Keep::Order => Names::Order(Vec::new(), false),
            Keep::Hashes => Names::Hashes(Vec::new()),
            Keep::All => Names::All(HashSet::new()),
        }
    }

    /// Whether `key` repeats a name before it; `Err` when that cannot be told in this pass.
    fn repeated(&mut self, key: &str) -> Result<bool, Keep> {
        match self {
            Names::Order(last, any) => {
                let after = !*any || key.as_bytes() > last.as_slice();
                let repeat = *any && key.as_bytes() == last.as_slice();
                if !after && !repeat {
                    return Err(Keep::Hashes);
                }
                *any = true;
                last.clear();
                last.extend_from_slice(key.as_bytes());
                Ok(repeat)
            }
            Names::Hashes(hashes) => {
                hashes.push(fnv(key.as_bytes()));
                Ok(false)
            }
            Names::All(all) => {
                if all.contains(key) {
                    Ok(true)
                } else {
                    all.insert(key.to_owned());
                    Ok(false)
                }
            }
        }
    }

    /// Whether two names may be the same (see [`Keep::Hashes`]).
    fn maybe_repeated(&mut self) -> bool {
        match self {
            Names::Hashes(hashes) => {
                hashes.sort_unstable();
                hashes.windows(2).any(|pair| pair[0] == pair[1])
            }
            _ => false,
        }
    }
}

/// FNV-1a, 64 bits: the names come from authenticated plaintext, and a collision only costs a
/// second scan.
fn fnv(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

struct State<'n> {
    name: &'n str,
    format: Option<u64>,
    /// The first thing wrong that left the document readable as JSON (a wrong type, a
    /// duplicate key, a missing member): reading on finds a newer format that explains it.
    soft: Option<String>,
    /// The entry's JSON, as it is in the document.
    entry: Option<SecretBuf>,
    found: bool,
    names: Names,
}

impl State<'_> {
    fn soft(&mut self, message: impl FnOnce() -> String) {
        if self.soft.is_none() {
            self.soft = Some(message());
        }
    }

    /// A newer format explains any error, as a full parse says.
    fn verdict_after(&self, message: String) -> ParseError {
        match self.format {
            Some(found) if found > FORMAT => ParseError::TooNew(found),
            _ => ParseError::Invalid(message),
        }
    }

    fn finish(self) -> Result<Option<Box<Entry>>, ParseError> {
        if let Some(message) = self.soft.clone() {
            return Err(self.verdict_after(message));
        }
        match self.format.unwrap_or(FORMAT) {
            0 => return Err(ParseError::Invalid("format 0 is not a format".into())),
            found if found > FORMAT => return Err(ParseError::TooNew(found)),
            _ => {}
        }
        let Some(json) = self.entry else {
            return Ok(None);
        };
        serde_json::from_slice::<Entry>(&json)
            .map(|entry| Some(Box::new(entry)))
            .map_err(|err| ParseError::Invalid(document::describe_json_error(&err)))
    }
}

/// The plaintext as a cursor over the current chunk.
struct Source<'f> {
    chunk: SecretBuf,
    pos: usize,
    /// The offset in the plaintext of the chunk's first byte.
    base: usize,
    feed: &'f mut dyn Feed,
    observer: &'f mut dyn Observer,
    /// The value being copied out (the entry asked for) and where in the chunk it resumes.
    capture: Option<(SecretBuf, usize)>,
    ended: bool,
    /// The containers open while a value is skipped (their closing brackets), kept between
    /// values so skipping allocates nothing.
    open: Vec<u8>,
}

impl Source<'_> {
    /// The next byte, without taking it; `None` at the end of the input.
    #[inline]
    fn peek(&mut self) -> Option<u8> {
        if self.pos < self.chunk.len() || self.refill() {
            Some(self.chunk[self.pos])
        } else {
            None
        }
    }

    /// Moves to the next chunk that has bytes; false at the end.
    fn refill(&mut self) -> bool {
        while !self.ended {
            if let Some((buf, from)) = &mut self.capture {
                buf.extend_from_slice(&self.chunk[*from..]);
                *from = 0;
            }
            self.observer.observe(&self.chunk);
            self.base += self.chunk.len();
            let used = std::mem::replace(&mut self.chunk, SecretBuf::with_capacity(0));
            self.pos = 0;
            match self.feed.next(used) {
                Some(chunk) => {
                    self.chunk = chunk;
                    if !self.chunk.is_empty() {
                        return true;
                    }
                }
                None => self.ended = true,
            }
        }
        false
    }

    /// Reads to the end of the input, so every byte passes the observer.
    fn drain(&mut self) {
        self.capture = None;
        self.pos = self.chunk.len();
        while self.refill() {
            self.pos = self.chunk.len();
        }
    }

    fn error(&self, what: &str) -> Stop {
        Stop::Syntax(format!(
            "not valid JSON at byte {}: {what}",
            self.base + self.pos + 1
        ))
    }

    fn eof() -> Stop {
        Stop::Syntax("the JSON document ends early".into())
    }

    fn skip_ws(&mut self) {
        const SPACES: u64 = u64::from_le_bytes([b' '; 8]);
        loop {
            // Indentation: runs of spaces, eight at a time.
            while let Some(word) = self.chunk.get(self.pos..self.pos + 8) {
                if u64::from_le_bytes(word.try_into().expect("eight bytes")) != SPACES {
                    break;
                }
                self.pos += 8;
            }
            while let Some(&b) = self.chunk.get(self.pos) {
                if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                    return;
                }
                self.pos += 1;
            }
            if !self.refill() {
                return;
            }
        }
    }

    /// The next byte after whitespace, taken.
    fn next_token(&mut self) -> Result<u8, Stop> {
        self.skip_ws();
        let b = self.peek().ok_or_else(Self::eof)?;
        self.pos += 1;
        Ok(b)
    }

    /// After the whole document: nothing but whitespace.
    fn end(&mut self) -> Step {
        self.skip_ws();
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("trailing characters")),
        }
    }

    fn start_capture(&mut self) {
        self.capture = Some((SecretBuf::with_capacity(4096), self.pos));
    }

    fn end_capture(&mut self) -> SecretBuf {
        let (mut buf, from) = self.capture.take().expect("a capture in progress");
        buf.extend_from_slice(&self.chunk[from..self.pos]);
        buf
    }

    /// Any JSON value, checked and passed over. Nesting costs a byte of heap a level, not
    /// stack, so no depth is refused here that the lookup in memory reads.
    fn skip_value(&mut self) -> Step {
        let mut open = std::mem::take(&mut self.open);
        open.clear();
        let skipped = self.skip_value_with(&mut open);
        self.open = open;
        skipped
    }

    fn skip_value_with(&mut self, open: &mut Vec<u8>) -> Step {
        loop {
            // A value.
            self.skip_ws();
            match self.peek().ok_or_else(Self::eof)? {
                b @ (b'{' | b'[') => {
                    self.pos += 1;
                    let close = if b == b'{' { b'}' } else { b']' };
                    self.skip_ws();
                    if self.peek() == Some(close) {
                        self.pos += 1;
                    } else {
                        open.push(close);
                        if close == b'}' {
                            self.member_key()?;
                        }
                        continue;
                    }
                }
                b'"' => {
                    self.pos += 1;
                    self.string(None)?;
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                b'-' | b'0'..=b'9' => self.number(None)?,
                _ => return Err(self.error("expected a value")),
            }
            // What follows it, closing every container that ends here.
            loop {
                let Some(&close) = open.last() else {
                    return Ok(());
                };
                match self.next_token()? {
                    b',' => {
                        if close == b'}' {
                            self.member_key()?;
                        }
                        break;
                    }
                    b if b == close => {
                        open.pop();
                    }
                    _ => return Err(self.back("expected ',' or a closing bracket")),
                }
            }
        }
    }

    /// A member's key and its `:`, passed over.
    fn member_key(&mut self) -> Step {
        if self.next_token()? != b'"' {
            return Err(self.back("expected a key"));
        }
        self.string(None)?;
        if self.next_token()? != b':' {
            return Err(self.back("expected ':'"));
        }
        Ok(())
    }

    /// The error for the byte just taken.
    fn back(&mut self, what: &str) -> Stop {
        self.pos = self.pos.saturating_sub(1);
        self.error(what)
    }

    fn literal(&mut self, word: &[u8]) -> Step {
        for &expected in word {
            if self.peek() != Some(expected) {
                return Err(self.error("expected a value"));
            }
            self.pos += 1;
        }
        Ok(())
    }

    /// A number, checked against JSON's grammar; its value when it is a whole number that fits
    /// a `u64` and `value` asks for it.
    fn number(&mut self, mut value: Option<&mut Option<u64>>) -> Step {
        let mut integer: Option<u64> = Some(0);
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                while let Some(d @ b'0'..=b'9') = self.peek() {
                    integer = integer
                        .and_then(|n| n.checked_mul(10))
                        .and_then(|n| n.checked_add(u64::from(d - b'0')));
                    self.pos += 1;
                }
            }
            _ => return Err(self.error("invalid number")),
        }
        let mut whole = !negative || integer == Some(0);
        if self.peek() == Some(b'.') {
            self.pos += 1;
            whole = false;
            self.digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            whole = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.digits()?;
        }
        if let Some(value) = value.as_mut() {
            **value = if whole { integer } else { None };
        }
        Ok(())
    }

    fn digits(&mut self) -> Step {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.error("invalid number"));
        }
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        Ok(())
    }

    /// The rest of a string after its opening quote: control characters refused, escapes
    /// checked, as `serde_json` checks a string. Decoded into `out` when there is one (a key);
    /// passed over when not (a value: a secret is never copied out).
    fn string(&mut self, mut out: Option<&mut Vec<u8>>) -> Step {
        if let Some(out) = out.as_deref_mut() {
            out.clear();
        }
        loop {
            let rest = &self.chunk[self.pos..];
            let Some(at) = special(rest) else {
                if let Some(out) = out.as_deref_mut() {
                    out.extend_from_slice(rest);
                }
                self.pos = self.chunk.len();
                if !self.refill() {
                    return Err(Self::eof());
                }
                continue;
            };
            if let Some(out) = out.as_deref_mut() {
                out.extend_from_slice(&rest[..at]);
            }
            self.pos += at;
            match self.chunk[self.pos] {
                b'"' => {
                    self.pos += 1;
                    return Ok(());
                }
                b'\\' => {
                    self.pos += 1;
                    self.escape(out.as_deref_mut())?;
                }
                _ => return Err(self.error("control character in a string")),
            }
        }
    }

    /// One escape after its backslash, decoded into `out` when given.
    fn escape(&mut self, out: Option<&mut Vec<u8>>) -> Step {
        let b = self.peek().ok_or_else(Self::eof)?;
        self.pos += 1;
        let simple = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let unit = self.hex4()?;
                let Some(out) = out else {
                    return Ok(());
                };
                let code = match unit {
                    0xD800..=0xDBFF => {
                        if self.peek() != Some(b'\\') {
                            return Err(self.error("lone surrogate in an escape"));
                        }
                        self.pos += 1;
                        if self.peek() != Some(b'u') {
                            return Err(self.error("lone surrogate in an escape"));
                        }
                        self.pos += 1;
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(self.error("lone surrogate in an escape"));
                        }
                        0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00)
                    }
                    0xDC00..=0xDFFF => return Err(self.error("lone surrogate in an escape")),
                    _ => u32::from(unit),
                };
                let c = char::from_u32(code).ok_or_else(|| self.error("invalid escape"))?;
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                return Ok(());
            }
            _ => return Err(self.back("invalid escape")),
        };
        if let Some(out) = out {
            out.push(simple);
        }
        Ok(())
    }

    fn hex4(&mut self) -> Result<u16, Stop> {
        let mut unit = 0u16;
        for _ in 0..4 {
            let b = self.peek().ok_or_else(Self::eof)?;
            let digit = (b as char)
                .to_digit(16)
                .ok_or_else(|| self.error("invalid escape"))?;
            unit = unit * 16 + u16::try_from(digit).unwrap_or(0);
            self.pos += 1;
        }
        Ok(unit)
    }

    /// A key (after whitespace), decoded into `scratch`, and the `:` after it.
    fn key<'s>(&mut self, scratch: &'s mut Vec<u8>) -> Result<&'s str, Stop> {
        if self.next_token()? != b'"' {
            return Err(self.back("expected a key"));
        }
        self.string(Some(scratch))?;
        if self.next_token()? != b':' {
            return Err(self.back("expected ':'"));
        }
        std::str::from_utf8(scratch).map_err(|_| self.error("invalid UTF-8 in a key"))
    }
}

/// The top-level object.
fn document(src: &mut Source, state: &mut State) -> Step {
    src.skip_ws();
    if src.peek() != Some(b'{') {
        if src.peek().is_some() {
            state.soft(|| "a value has the wrong type: the document is not an object".into());
        }
        return src.skip_value();
    }
    src.pos += 1;
    let mut seen: Vec<String> = Vec::new();
    let mut entries = false;
    let mut scratch = Vec::new();
    src.skip_ws();
    if src.peek() == Some(b'}') {
        src.pos += 1;
    } else {
        loop {
            let key = src.key(&mut scratch)?.to_owned();
            src.skip_ws();
            match key.as_str() {
                "format" => {
                    if matches!(src.peek(), Some(b'-' | b'0'..=b'9')) {
                        let mut value = None;
                        src.number(Some(&mut value))?;
                        match value {
                            Some(found) => state.format = Some(found),
                            None => state.soft(|| "a value has the wrong type: format".into()),
                        }
                    } else {
                        state.soft(|| "a value has the wrong type: format".into());
                        src.skip_value()?;
                    }
                }
                "entries" => {
                    entries = true;
                    if src.peek() == Some(b'{') {
                        src.pos += 1;
                        entries_object(src, state)?;
                    } else {
                        state.soft(|| "a value has the wrong type: entries".into());
                        src.skip_value()?;
                    }
                }
                _ => src.skip_value()?,
            }
            if seen.contains(&key) {
                state.soft(|| document::duplicate_key::<serde_json::Error>(&key).to_string());
            } else {
                seen.push(key);
            }
            match src.next_token()? {
                b',' => {}
                b'}' => break,
                _ => return Err(src.back("expected ',' or '}'")),
            }
        }
    }
    if !entries {
        state.soft(|| "missing field `entries`".into());
    }
    Ok(())
}

/// The members of `entries`, after its `{`.
fn entries_object(src: &mut Source, state: &mut State) -> Step {
    let mut scratch = Vec::new();
    src.skip_ws();
    if src.peek() == Some(b'}') {
        src.pos += 1;
        return Ok(());
    }
    loop {
        let key = src.key(&mut scratch)?;
        if state.names.repeated(key).map_err(Stop::Again)? {
            state.soft(|| document::duplicate_key::<serde_json::Error>(key).to_string());
        }
        if key == state.name && !state.found {
            state.found = true;
            src.skip_ws();
            src.start_capture();
            src.skip_value()?;
            state.entry = Some(src.end_capture());
        } else {
            src.skip_value()?;
        }
        match src.next_token()? {
            b',' => {}
            b'}' => return Ok(()),
            _ => return Err(src.back("expected ',' or '}'")),
        }
    }
}

/// The index of the first byte that ends a plain run of string content: a quote, a backslash
/// or a control character. Eight bytes at a time: the lowest flagged byte of each test is a
/// true match (a borrow only runs upward from one).
#[inline]
fn special(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    let mut offset = 0;
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        let hits = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (w.wrapping_sub(ONES * 0x20) & !w);
        let hits = hits & HIGH;
        if hits != 0 {
            return Some(offset + (hits.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|at| offset + at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lookup;

    /// A plaintext handed out in pieces of `size` bytes.
    struct Pieces<'a> {
        rest: &'a [u8],
        size: usize,
    }

    impl Feed for Pieces<'_> {
        fn next(&mut self, _used: SecretBuf) -> Option<SecretBuf> {
            if self.rest.is_empty() {
                return None;
            }
            let (piece, rest) = self.rest.split_at(self.size.min(self.rest.len()));
            self.rest = rest;
            let mut buf = SecretBuf::with_capacity(piece.len());
            buf.extend_from_slice(piece);
            Some(buf)
        }
    }

    struct Count(usize);

    impl Observer for Count {
        fn observe(&mut self, bytes: &[u8]) {
            self.0 += bytes.len();
        }
    }

    /// The scan's answer, the same in pieces of every size, and every byte observed.
    fn scan(json: &str, name: &str) -> Result<Option<Box<Entry>>, ParseError> {
        let mut answers = Vec::new();
        for size in [1, 2, 3, 7, 64, 4096] {
            let mut seen = Count(0);
            let mut keep = Keep::Order;
            let answer = loop {
                let mut feed = Pieces {
                    rest: json.as_bytes(),
                    size,
                };
                match find_entry(&mut feed, &mut seen, name, keep) {
                    Scan::Done(answer) => break answer,
                    Scan::Again(more) => {
                        assert!(more != keep, "{json}");
                        keep = more;
                    }
                }
                seen.0 = 0;
            };
            assert_eq!(seen.0, json.len(), "every byte observed: {json}");
            answers.push(answer);
        }
        let first = answers.remove(0);
        for other in &answers {
            match (&first, other) {
                (Ok(a), Ok(b)) => assert!(a == b, "{json}"),
                (Err(a), Err(b)) => assert_eq!(a, b, "{json}"),
                _ => panic!("answers differ by piece size: {json}"),
            }
        }
        first
    }

    /// The scan agrees with the lookup in memory: the same entry, or both refuse.
    fn agrees(json: &str, name: &str) {
        let streamed = scan(json, name);
        let whole = lookup::find_entry(json.as_bytes(), name);
        match (&streamed, &whole) {
            (Ok(a), Ok(b)) => assert!(a.as_deref() == b.as_ref(), "{json}"),
            (Err(ParseError::TooNew(a)), Err(ParseError::TooNew(b))) => assert_eq!(a, b),
            (Err(ParseError::Invalid(_)), Err(ParseError::Invalid(_))) => {}
            _ => panic!("{json}: streamed {streamed:?}, whole {whole:?}"),
        }
    }

    #[test]
    fn finds_what_the_lookup_finds() {
        let json = r#"{"recipients": [{"name": "op", "key": "age1x"}], "entries": {
            "a": {"password": "pa", "fields": {"k": "v"}, "n": [1, -2.5e3, 0, true, null]},
            "b\u0020c": {"password": "p\"b\\\u00e9\ud83d\ude00", "x": [1, {"y": null}]},
            "d": {"password": "pd", "history": [{"password": "old", "until": "t"}]}},
            "signature": {"writer": "w", "sig": "s"}}
"#;
        for name in ["a", "b c", "d", "zz", ""] {
            agrees(json, name);
        }
        let found = scan(json, "b c").unwrap().unwrap();
        assert_eq!(found.password.expose(), "p\"b\\\u{e9}\u{1f600}");
        assert!(scan(json, "zz").unwrap().is_none());
        assert!(scan(r#"{"entries": {}}"#, "a").unwrap().is_none());
    }

    #[test]
    fn refuses_what_the_lookup_refuses() {
        for json in [
            r#"{"entries": {"a": {}, "a": {}}}"#,
            r#"{"entries": {"a": {"password": "1", "password": "2"}}}"#,
            r#"{"entries": {"a": {"x": [{"k": 1, "k": 2}]}}}"#,
            r#"{"entries": {}, "entries": {}}"#,
            r#"{"format": 1, "entries": {"a": {}}, "format": 1}"#,
            r#"{"entries": {"m": {}, "a": {}, "m": {}}}"#,
            r#"{"entries": {"b": {}, "a": {}, "c": {}, "a": {}}}"#,
            r#"{"format": 2, "entries": {}}"#,
            r#"{"format": 5, "entries": []}"#,
            r#"{"entries": [], "format": 5}"#,
            r#"{"format": 0, "entries": {}}"#,
            r#"{"format": -1, "entries": {}}"#,
            r#"{"format": 1.5, "entries": {}}"#,
            r#"{"format": "1", "entries": {}}"#,
            r#"{"recipients": []}"#,
            r#"{"entries": {}} trailing"#,
            r#"{"entries": {"a": {}}"#,
            r#"{"entries": {"a": {}, "b": {"k": 1,}}}"#,
            r#"{"entries": {"a": {"password": ["x"]}}}"#,
            r#"{"entries": {"a": {"password": "x",}}}"#,
            r#"{"entries": {"b": {"k": "a\u12"}}}"#,
            r#"{"entries": {"b": {"k": "a\q"}}}"#,
            "{\"entries\": {\"b\": {\"k\": \"a\u{1}\"}}}",
            r#"{"entries": {"b": {"k": 01}}}"#,
            r#"{"entries": {"b": {"k": 1.}}}"#,
            r#"{"entries": {"b": {"k": -}}}"#,
            r#"{"entries": {"b": {"k": tru}}}"#,
            r#"{"entries": {"b": {"k": [1 2]}}}"#,
            r#"{"entries": {"b": {"k" 1}}}"#,
            r#"{"entries": {"\ud800": {}}}"#,
            r#"{"entries": {"b": {}},}"#,
            r"[]",
            "",
            "   ",
        ] {
            agrees(json, "a");
            assert!(scan(json, "a").is_err(), "{json}");
        }
        let deep = format!(
            r#"{{"entries": {{"b": {}{}}}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        agrees(&deep, "a");
        assert_eq!(
            scan(r#"{"entries": [], "format": 5}"#, "a").unwrap_err(),
            ParseError::TooNew(5)
        );
        let err = scan(r#"{"entries": {"b": {}, "b": {}}}"#, "a").unwrap_err();
        assert!(err.to_string().contains("duplicate key \"b\""), "{err}");
    }

    #[test]
    fn repeats_are_found_in_every_order() {
        let alphabet = ["a", "b", "c", "d"];
        for len in 0..=5u32 {
            for mut n in 0..4usize.pow(len) {
                let keys: Vec<&str> = (0..len)
                    .map(|_| {
                        let k = alphabet[n % 4];
                        n /= 4;
                        k
                    })
                    .collect();
                let body: Vec<String> = keys.iter().map(|k| format!("\"{k}\": {{}}")).collect();
                let json = format!(r#"{{"entries": {{{}}}}}"#, body.join(", "));
                let unique: HashSet<&&str> = keys.iter().collect();
                assert_eq!(
                    scan(&json, "zz").is_err(),
                    unique.len() < keys.len(),
                    "{json}"
                );
            }
        }
    }

    #[test]
    fn special_bytes_are_found_wherever_they_are() {
        for len in 0..40 {
            for at in 0..len {
                for b in [b'"', b'\\', 0u8, 0x1f] {
                    let mut bytes = vec![b'x'; len];
                    bytes[at] = b;
                    if at + 1 < len {
                        bytes[at + 1] = b'"';
                    }
                    assert_eq!(special(&bytes), Some(at), "{len} {at} {b}");
                }
            }
            let mut plain = vec![0xc3u8; len];
            plain.extend(std::iter::repeat_n(b' ', len));
            assert_eq!(special(&plain), None);
        }
    }

    #[test]
    fn errors_never_quote_the_content() {
        for json in [
            r#"{"entries": {"a": {"password": ["hunter2"]}}}"#,
            r#"{"entries": {"a": {"password": "hunter2",}}}"#,
            r#"{"entries": {"a": {"password": "hunter2"}, "b": hunter2}}"#,
        ] {
            let err = scan(json, "a").unwrap_err();
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
    }
}
