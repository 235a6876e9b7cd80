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
//! sorted (made by hand) goes on keeping a 64-bit hash of each name, in the same pass when it
//! shows itself among the first names, else read again; and, when two hashes are equal, once
//! more keeping every name, to tell a repeat from a shared hash and name it (see [`Keep`]).

use std::collections::HashSet;

use zeroize::Zeroizing;

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

/// How a scan ended.
pub enum Scan {
    /// The entry, `None` when there is no such entry; or why the document is refused.
    Done(Result<Option<Box<Entry>>, ParseError>),
    /// The names cannot be judged keeping this little of them: scan again, keeping this much.
    /// Nothing of this pass may be used: it may have stopped before the end of the input.
    Again(Keep),
}

/// Scans the whole plaintext `feed` gives for the entry `name`, reading the feed to its end
/// whatever the document holds (but for [`Scan::Again`]), so that a feed that checks what
/// passes (authentication, the signature's hash) has seen all of it. `keep`: [`Keep::Order`]
/// first, then what [`Scan::Again`] asks for.
pub fn find_entry(feed: &mut dyn Feed, name: &str, keep: Keep) -> Scan {
    let mut source = Source::new(feed, false);
    let mut state = State {
        name,
        verdict: Verdict::default(),
        entry: None,
        found: false,
        names: Names::new(keep),
    };
    let outcome = top_level(&mut source, &mut state).and_then(|()| source.end());
    if let Err(Stop::Again(keep)) = outcome {
        // This pass is given up: the next one reads everything.
        return Scan::Again(keep);
    }
    // Whatever was found, the rest of the input is read.
    source.drain();
    match outcome {
        Ok(()) if state.names.maybe_repeated() => Scan::Again(Keep::All),
        Err(Stop::Again(keep)) => Scan::Again(keep),
        Err(Stop::Syntax(message)) => Scan::Done(Err(state.verdict.after(message))),
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
    /// The hashes of the first [`EARLY_NAMES`] are kept too: a name out of order among them
    /// (a vault made by hand shows itself early) goes on as `Hashes` in the same pass; one
    /// later stops the scan ([`Scan::Again`] with `Hashes`).
    Order,
    /// A 64-bit hash of each name, compared at the end: two equal hashes (a repeat, or rarely
    /// two names that share a hash) ask for a scan with `All`.
    Hashes,
    /// Every name.
    All,
}

/// How many names' hashes a scan by order keeps, in case the names turn out not sorted: 32 KiB.
const EARLY_NAMES: usize = 4096;

enum Names {
    /// The last name, whether there was one, and the hashes of the names so far while there
    /// are at most [`EARLY_NAMES`].
    Order(Vec<u8>, bool, Option<Vec<u64>>),
    Hashes(Vec<u64>),
    All(HashSet<String>),
}

impl Names {
    fn new(keep: Keep) -> Self {
        match keep {
            Keep::Order => Names::Order(Vec::new(), false, Some(Vec::new())),
            Keep::Hashes => Names::Hashes(Vec::new()),
            Keep::All => Names::All(HashSet::new()),
        }
    }

    /// Whether `key` repeats a name before it; `Err` when that cannot be told in this pass.
    fn repeated(&mut self, key: &str) -> Result<bool, Keep> {
        match self {
            Names::Order(last, any, early) => {
                let after = !*any || key.as_bytes() > last.as_slice();
                let repeat = *any && key.as_bytes() == last.as_slice();
                if !after && !repeat {
                    let Some(mut hashes) = early.take() else {
                        return Err(Keep::Hashes);
                    };
                    hashes.push(fnv(key.as_bytes()));
                    *self = Names::Hashes(hashes);
                    return Ok(false);
                }
                if let Some(hashes) = early {
                    if hashes.len() < EARLY_NAMES {
                        hashes.push(fnv(key.as_bytes()));
                    } else {
                        *early = None;
                    }
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
    verdict: Verdict,
    /// The entry's JSON, as it is in the document.
    entry: Option<SecretBuf>,
    found: bool,
    names: Names,
}

impl State<'_> {
    fn finish(self) -> Result<Option<Box<Entry>>, ParseError> {
        self.verdict.check()?;
        let Some(json) = self.entry else {
            return Ok(None);
        };
        serde_json::from_slice::<Entry>(&json)
            .map(|entry| Some(Box::new(entry)))
            .map_err(|err| ParseError::Invalid(document::describe_json_error(&err)))
    }
}

/// What decides a document's verdict besides its syntax: its format, and the first thing wrong
/// that left it readable as JSON (a wrong type, a duplicate key, a missing member), which a
/// newer format, found reading on, explains.
#[derive(Default)]
struct Verdict {
    format: Option<u64>,
    soft: Option<String>,
}

impl Verdict {
    fn soft(&mut self, message: impl FnOnce() -> String) {
        if self.soft.is_none() {
            self.soft = Some(message());
        }
    }

    fn wrong_type(&mut self, what: &str) {
        self.soft(|| format!("a value has the wrong type: {what}"));
    }

    fn duplicate_key(&mut self, key: &str) {
        self.soft(|| document::duplicate_key::<serde_json::Error>(key).to_string());
    }

    /// A newer format explains any error, as a full parse says.
    fn after(&self, message: String) -> ParseError {
        match self.format {
            Some(found) if found > FORMAT => ParseError::TooNew(found),
            _ => ParseError::Invalid(message),
        }
    }

    /// Once the whole document is read: nothing went wrong, and its format is one this
    /// version reads.
    fn check(&self) -> Result<(), ParseError> {
        if let Some(message) = self.soft.clone() {
            return Err(self.after(message));
        }
        match self.format.unwrap_or(FORMAT) {
            0 => Err(ParseError::Invalid("format 0 is not a format".into())),
            found if found > FORMAT => Err(ParseError::TooNew(found)),
            _ => Ok(()),
        }
    }
}

/// The plaintext as a cursor over the current chunk.
struct Source<'f> {
    chunk: SecretBuf,
    pos: usize,
    /// The offset in the plaintext of the chunk's first byte.
    base: usize,
    feed: &'f mut dyn Feed,
    /// The value being copied out (the entry asked for) and where in the chunk it resumes.
    capture: Option<(SecretBuf, usize)>,
    ended: bool,
    /// The containers open while a value is skipped (their closing brackets), kept between
    /// values so skipping allocates nothing.
    open: Vec<u8>,
    /// Checked as a full parse checks what it keeps, not only as it checks what it passes
    /// over: every escape decoded (no lone surrogate), every number finite, the whole input
    /// UTF-8 (the bytes of an unfinished character carried to the next chunk).
    strict: bool,
    utf8_carry: Zeroizing<Vec<u8>>,
    /// In strict mode, the first thing wrong that reading on can pass (a character that is
    /// not UTF-8, a number out of range): a full parse refuses it, a newer format explains it.
    lapse: Option<String>,
    /// The text of the number being read, in strict mode (a member of its own may hold a PIN
    /// as a number): wiped on drop, as the chunks are.
    number_text: Zeroizing<Vec<u8>>,
}

impl<'f> Source<'f> {
    fn new(feed: &'f mut dyn Feed, strict: bool) -> Self {
        Source {
            chunk: SecretBuf::with_capacity(0),
            pos: 0,
            base: 0,
            feed,
            capture: None,
            ended: false,
            open: Vec::new(),
            strict,
            utf8_carry: Zeroizing::new(Vec::new()),
            lapse: None,
            number_text: Zeroizing::new(Vec::new()),
        }
    }

    /// Checks that the new chunk goes on as UTF-8 from where the last one stopped.
    fn check_utf8(&mut self) {
        if self.lapse.is_some() {
            return;
        }
        let mut bytes: &[u8] = &self.chunk;
        // A character cut by the chunk's start: finish it first.
        while !self.utf8_carry.is_empty() {
            let Some((&b, rest)) = bytes.split_first() else {
                return;
            };
            self.utf8_carry.push(b);
            bytes = rest;
            match std::str::from_utf8(&self.utf8_carry) {
                Ok(_) => self.utf8_carry.clear(),
                Err(e) if e.error_len().is_none() => {}
                Err(_) => {
                    self.not_utf8();
                    return;
                }
            }
        }
        if let Err(e) = std::str::from_utf8(bytes) {
            if e.error_len().is_none() {
                self.utf8_carry.extend_from_slice(&bytes[e.valid_up_to()..]);
            } else {
                self.not_utf8();
            }
        }
    }

    fn not_utf8(&mut self) {
        self.lapse = Some("not valid UTF-8".into());
    }

    /// In strict mode, the first lapse, once the whole input has been read.
    fn take_lapse(&mut self) -> Option<String> {
        if self.lapse.is_none() && !self.utf8_carry.is_empty() {
            self.not_utf8();
        }
        self.lapse.take()
    }

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
            self.base += self.chunk.len();
            let used = std::mem::replace(&mut self.chunk, SecretBuf::with_capacity(0));
            self.pos = 0;
            match self.feed.next(used) {
                Some(chunk) => {
                    self.chunk = chunk;
                    if self.strict {
                        self.check_utf8();
                    }
                    if !self.chunk.is_empty() {
                        return true;
                    }
                }
                None => self.ended = true,
            }
        }
        false
    }

    /// Reads to the end of the input.
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

    /// Where the next byte is in the plaintext.
    fn offset(&self) -> usize {
        self.base + self.pos
    }

    fn eof() -> Stop {
        Stop::Syntax("the JSON document ends early".into())
    }

    #[inline]
    fn skip_ws(&mut self) {
        // Compact JSON, as vault writes it, has none: one look, no loop.
        if let Some(&b) = self.chunk.get(self.pos)
            && !matches!(b, b' ' | b'\n' | b'\r' | b'\t')
        {
            return;
        }
        self.skip_ws_run();
    }

    fn skip_ws_run(&mut self) {
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
    #[inline]
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
        self.number_text.clear();
        let mut integer: Option<u64> = Some(0);
        let negative = self.peek() == Some(b'-');
        if negative {
            self.take_number_byte(b'-');
        }
        match self.peek() {
            Some(b'0') => self.take_number_byte(b'0'),
            Some(b'1'..=b'9') => {
                while let Some(d @ b'0'..=b'9') = self.peek() {
                    integer = integer
                        .and_then(|n| n.checked_mul(10))
                        .and_then(|n| n.checked_add(u64::from(d - b'0')));
                    self.take_number_byte(d);
                }
            }
            _ => return Err(self.error("invalid number")),
        }
        let mut whole = !negative || integer == Some(0);
        if self.peek() == Some(b'.') {
            self.take_number_byte(b'.');
            whole = false;
            self.digits()?;
        }
        if let Some(e @ (b'e' | b'E')) = self.peek() {
            self.take_number_byte(e);
            whole = false;
            if let Some(sign @ (b'+' | b'-')) = self.peek() {
                self.take_number_byte(sign);
            }
            self.digits()?;
        }
        // As a full parse reads it: a number too large for a double is refused.
        if self.strict {
            let finite = std::str::from_utf8(&self.number_text)
                .ok()
                .and_then(|text| text.parse::<f64>().ok())
                .is_some_and(f64::is_finite);
            if !finite && self.lapse.is_none() {
                self.lapse = Some(format!(
                    "number out of range at byte {}",
                    self.base + self.pos
                ));
            }
        }
        if let Some(value) = value.as_mut() {
            **value = if whole { integer } else { None };
        }
        Ok(())
    }

    /// Takes one byte of a number (just peeked), keeping it in strict mode.
    #[inline]
    fn take_number_byte(&mut self, b: u8) {
        if self.strict {
            self.number_text.push(b);
        }
        self.pos += 1;
    }

    fn digits(&mut self) -> Step {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.error("invalid number"));
        }
        while let Some(d @ b'0'..=b'9') = self.peek() {
            self.take_number_byte(d);
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
                // Passed over, an escape's code is not checked (as a full parse ignores it),
                // but in strict mode it is read as a full parse reads what it keeps.
                if out.is_none() && !self.strict {
                    return Ok(());
                }
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
                if let Some(out) = out {
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
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

    /// The members or elements of a container just opened (after its `{` or `[`), up to its
    /// `close`: `item` reads each one (a member's key too); the commas between them are
    /// checked here.
    fn items(&mut self, close: u8, mut item: impl FnMut(&mut Self) -> Step) -> Step {
        self.skip_ws();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(());
        }
        loop {
            item(self)?;
            match self.next_token()? {
                b',' => {}
                b if b == close => return Ok(()),
                _ if close == b'}' => return Err(self.back("expected ',' or '}'")),
                _ => return Err(self.back("expected ',' or ']'")),
            }
        }
    }

    /// A key below the top level, decoded into `scratch`, and the `:` after it. Its bytes are
    /// not checked as UTF-8 here: in strict mode the check of the whole input does that, and
    /// reading goes on past such a key (as a full parse's search for a newer format does).
    fn nested_key(&mut self, scratch: &mut Vec<u8>) -> Step {
        if self.next_token()? != b'"' {
            return Err(self.back("expected a key"));
        }
        self.string(Some(scratch))?;
        if self.next_token()? != b':' {
            return Err(self.back("expected ':'"));
        }
        Ok(())
    }
}

/// What a scan does with the top-level object's `entries` and its other members; the walk
/// itself (the `format`, a key twice, a missing `entries`) is [`top_level`]'s.
trait TopLevel {
    fn verdict(&mut self) -> &mut Verdict;
    /// The members of `entries`, after its `{`.
    fn entries(&mut self, src: &mut Source) -> Step;
    /// A member other than `format` and `entries`, its value next.
    fn other(&mut self, src: &mut Source, key: &str) -> Step;
}

/// The top-level object.
fn top_level(src: &mut Source, state: &mut impl TopLevel) -> Step {
    src.skip_ws();
    if src.peek() != Some(b'{') {
        if src.peek().is_some() {
            state.verdict().wrong_type("the document is not an object");
        }
        return src.skip_value();
    }
    src.pos += 1;
    let mut seen: Vec<String> = Vec::new();
    let mut entries = false;
    let mut scratch = Vec::new();
    src.items(b'}', |src| {
        let key = src.key(&mut scratch)?.to_owned();
        src.skip_ws();
        match key.as_str() {
            "format" => {
                if matches!(src.peek(), Some(b'-' | b'0'..=b'9')) {
                    let mut value = None;
                    src.number(Some(&mut value))?;
                    match value {
                        Some(found) => state.verdict().format = Some(found),
                        None => state.verdict().wrong_type("format"),
                    }
                } else {
                    state.verdict().wrong_type("format");
                    src.skip_value()?;
                }
            }
            "entries" => {
                entries = true;
                if src.peek() == Some(b'{') {
                    src.pos += 1;
                    state.entries(src)?;
                } else {
                    state.verdict().wrong_type("entries");
                    src.skip_value()?;
                }
            }
            _ => state.other(src, &key)?,
        }
        if seen.contains(&key) {
            state.verdict().duplicate_key(&key);
        } else {
            seen.push(key);
        }
        Ok(())
    })?;
    if !entries {
        state.verdict().soft(|| "missing field `entries`".into());
    }
    Ok(())
}

impl TopLevel for State<'_> {
    fn verdict(&mut self) -> &mut Verdict {
        &mut self.verdict
    }

    fn entries(&mut self, src: &mut Source) -> Step {
        let mut scratch = Vec::new();
        src.items(b'}', |src| {
            let key = src.key(&mut scratch)?;
            if self.names.repeated(key).map_err(Stop::Again)? {
                self.verdict.duplicate_key(key);
            }
            if key == self.name && !self.found {
                self.found = true;
                src.skip_ws();
                src.start_capture();
                src.skip_value()?;
                self.entry = Some(src.end_capture());
                Ok(())
            } else {
                src.skip_value()
            }
        })
    }

    fn other(&mut self, src: &mut Source, _key: &str) -> Step {
        src.skip_value()
    }
}

/// The names of every entry of the plaintext `feed` gives, sorted, with the whole document
/// checked as [`crate::document::Listing`] reads it with [`crate::document::Checked`]
/// entries (it refuses exactly the documents that refuses), while it arrives: what `list`
/// needs, with no secret decoded and no copy of the plaintext kept. The feed is read to its
/// end whatever the document holds.
pub fn list_names(feed: &mut dyn Feed) -> Result<Vec<String>, ParseError> {
    index_entries(feed).map(|index| index.names)
}

/// Where each entry of a document is, found as [`list_names`] finds the names (the whole
/// document checked the same way, the same documents refused): what a change to a few
/// entries needs to write the others back as they were, without parsing them.
pub struct Index {
    /// The names, sorted.
    pub names: Vec<String>,
    /// Where each entry is in the plaintext, name for name; none when the document does not
    /// have them in order.
    pub spans: Vec<Span>,
    /// Whether the document has each name sort after the one before it, as vault writes them.
    pub sorted: bool,
    /// Whether every entry has an id, as every entry vault saved has.
    pub ids: bool,
    /// The document's members other than `format` and `entries`, as a document of their own
    /// with an empty `entries`.
    pub others: SecretBuf,
    /// The document's `format`, when it has one.
    pub format: Option<u64>,
}

/// Where an entry is in the plaintext: its member (`"name":{…}`) from `key` to `end`, its
/// value from `value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub key: usize,
    pub value: usize,
    pub end: usize,
}

/// The [`Index`] of the plaintext `feed` gives, checked as [`list_names`] checks it. The feed is
/// read to its end whatever the document holds.
pub fn index_entries(feed: &mut dyn Feed) -> Result<Index, ParseError> {
    let mut source = Source::new(feed, true);
    let mut rest = SecretBuf::with_capacity(256);
    rest.extend_from_slice(b"{");
    let mut state = Listing {
        verdict: Verdict::default(),
        names: Vec::new(),
        spans: Vec::new(),
        ids: true,
        rest,
        keys: Vec::new(),
        scratch: Vec::new(),
    };
    let outcome = top_level(&mut source, &mut state).and_then(|()| source.end());
    source.drain();
    if let Some(lapse) = source.take_lapse() {
        state.verdict.soft(|| lapse);
    }
    match outcome {
        // Not JSON: not a vault of any format, as a full parse finds no format in it either.
        Err(Stop::Syntax(message)) => Err(ParseError::Invalid(message)),
        Err(Stop::Again(_)) => unreachable!("only a scan by order asks to read again"),
        Ok(()) => state.finish(),
    }
}

/// Nesting depth at which a full parse stops: `serde_json`'s recursion limit.
const MAX_DEPTH: usize = 128;

/// What a listing scan has found so far.
struct Listing {
    verdict: Verdict,
    names: Vec<String>,
    /// Where each entry is, in the plaintext.
    spans: Vec<Span>,
    /// Whether every entry so far has an id.
    ids: bool,
    /// The document's other members, `{"key": value, ...`, as they are: checked by the full
    /// parse once the end is reached (they are small: recipients, tombstones).
    rest: SecretBuf,
    /// The keys of the objects open inside an entry, one list a level, reused.
    keys: Vec<Vec<Vec<u8>>>,
    scratch: Vec<u8>,
}

impl Listing {
    fn finish(mut self) -> Result<Index, ParseError> {
        let sorted = self.names.is_sorted_by(|a, b| a < b);
        if !sorted {
            // Out of order, the spans are of no use: a save parses the whole document.
            self.spans = Vec::new();
            self.names.sort_unstable();
            if let Some(pair) = self.names.windows(2).find(|pair| pair[0] == pair[1]) {
                let name = pair[0].clone();
                self.verdict.duplicate_key(&name);
            }
        }
        self.verdict.check()?;
        // The other members, read by the full parse itself.
        self.rest.extend_from_slice(br#""entries":{}}"#);
        document::Listing::<document::Checked>::parse(&self.rest)?;
        Ok(Index {
            names: self.names,
            spans: self.spans,
            sorted,
            ids: self.ids,
            others: self.rest,
            format: self.verdict.format,
        })
    }

    /// Opens the container `open` (`{` or `[`) that must come next, its keys (for an object)
    /// kept at `level`; `false`, the value passed over and its type noted, when it is not one.
    fn open(&mut self, src: &mut Source, open: u8, level: usize, what: &str) -> Result<bool, Stop> {
        src.skip_ws();
        if src.peek() != Some(open) {
            self.verdict.wrong_type(what);
            src.skip_value()?;
            return Ok(false);
        }
        src.pos += 1;
        if open == b'{' {
            while self.keys.len() <= level {
                self.keys.push(Vec::new());
            }
            self.keys[level].clear();
        }
        Ok(true)
    }

    /// The next key of the object open at `level`, in `scratch`, a key twice in it noted.
    fn key_at(&mut self, src: &mut Source, level: usize) -> Step {
        src.nested_key(&mut self.scratch)?;
        self.note_key(level);
        Ok(())
    }

    /// Notes the key in `scratch` among those of the object open at `level`, or that it is
    /// there twice.
    fn note_key(&mut self, level: usize) {
        let keys = &mut self.keys[level];
        if keys.contains(&self.scratch) {
            let key = String::from_utf8_lossy(&self.scratch).into_owned();
            self.verdict.duplicate_key(&key);
        } else {
            keys.push(self.scratch.clone());
        }
    }
}

impl TopLevel for Listing {
    fn verdict(&mut self) -> &mut Verdict {
        &mut self.verdict
    }

    /// Each name kept, each entry checked, and where it is.
    fn entries(&mut self, src: &mut Source) -> Step {
        src.items(b'}', |src| {
            src.skip_ws();
            let key = src.offset();
            src.nested_key(&mut self.scratch)?;
            self.names
                .push(String::from_utf8_lossy(&self.scratch).into_owned());
            src.skip_ws();
            let value = src.offset();
            checked_entry(src, self)?;
            self.spans.push(Span {
                key,
                value,
                end: src.offset(),
            });
            Ok(())
        })
    }

    fn other(&mut self, src: &mut Source, key: &str) -> Step {
        serde_json::to_writer(&mut self.rest, key)
            .map_err(|_| src.error("a key that cannot be written"))?;
        self.rest.extend_from_slice(b":");
        src.start_capture();
        src.skip_value()?;
        let value = src.end_capture();
        self.rest.extend_from_slice(&value);
        self.rest.extend_from_slice(b",");
        Ok(())
    }
}

/// What an entry's own members hold.
#[derive(Clone, Copy)]
enum Member {
    Text,
    /// An object of strings.
    Fields,
    /// An array of strings.
    Tags,
    History,
}

/// An entry's own members, as [`crate::document::Entry`] has them.
const MEMBERS: [(&str, Member); 11] = [
    ("username", Member::Text),
    ("url", Member::Text),
    ("created", Member::Text),
    ("updated", Member::Text),
    ("id", Member::Text),
    ("password", Member::Text),
    ("notes", Member::Text),
    ("totp", Member::Text),
    ("fields", Member::Fields),
    ("tags", Member::Tags),
    ("history", Member::History),
];

/// Which of [`MEMBERS`] `key` is.
fn member(key: &[u8]) -> Option<usize> {
    Some(match key {
        b"username" => 0,
        b"url" => 1,
        b"created" => 2,
        b"updated" => 3,
        b"id" => 4,
        b"password" => 5,
        b"notes" => 6,
        b"totp" => 7,
        b"fields" => 8,
        b"tags" => 9,
        b"history" => 10,
        _ => return None,
    })
}

/// One entry (at nesting level 3), checked as [`crate::document::Checked`] reads it.
fn checked_entry(src: &mut Source, state: &mut Listing) -> Step {
    const LEVEL: usize = 3;
    if !state.open(src, b'{', LEVEL, "an entry is not an object")? {
        return Ok(());
    }
    let mut known: u16 = 0;
    let mut id = false;
    src.items(b'}', |src| {
        src.nested_key(&mut state.scratch)?;
        let Some(index) = member(&state.scratch) else {
            // A member of its own: no key twice among those either.
            state.note_key(LEVEL);
            return strict_value(src, state, LEVEL + 1);
        };
        let (name, kind) = MEMBERS[index];
        let bit = 1 << index;
        if known & bit != 0 {
            state.verdict.soft(|| format!("duplicate field `{name}`"));
        }
        known |= bit;
        match kind {
            Member::Text if name == "id" => {
                src.skip_ws();
                let start = src.offset();
                string_value(src, state)?;
                // More than `""`: an id, not an empty one.
                id = src.offset() - start > 2;
                Ok(())
            }
            Member::Text => string_value(src, state),
            Member::Fields => string_map(src, state, LEVEL + 1),
            Member::Tags => string_array(src, state),
            Member::History => history(src, state, LEVEL + 1),
        }
    })?;
    state.ids &= id;
    Ok(())
}

/// A value that must be a string.
fn string_value(src: &mut Source, state: &mut Listing) -> Step {
    src.skip_ws();
    if src.peek() == Some(b'"') {
        src.pos += 1;
        return src.string(None);
    }
    state.verdict.wrong_type("expected a string");
    src.skip_value()
}

/// An object of strings (an entry's `fields`) opened at `level`, no key twice.
fn string_map(src: &mut Source, state: &mut Listing, level: usize) -> Step {
    if !state.open(src, b'{', level, "expected an object")? {
        return Ok(());
    }
    src.items(b'}', |src| {
        state.key_at(src, level)?;
        string_value(src, state)
    })
}

/// An array of strings (an entry's `tags`).
fn string_array(src: &mut Source, state: &mut Listing) -> Step {
    if !state.open(src, b'[', 0, "expected an array")? {
        return Ok(());
    }
    src.items(b']', |src| string_value(src, state))
}

/// An entry's `history`, opened at `level`: an array of objects whose `password` and `until`
/// are strings.
fn history(src: &mut Source, state: &mut Listing, level: usize) -> Step {
    if !state.open(src, b'[', level, "expected an array")? {
        return Ok(());
    }
    src.items(b']', |src| past_password(src, state, level + 1))
}

/// One earlier password, an object opened at `level`.
fn past_password(src: &mut Source, state: &mut Listing, level: usize) -> Step {
    if !state.open(src, b'{', level, "expected an object")? {
        return Ok(());
    }
    let mut known: u8 = 0;
    src.items(b'}', |src| {
        src.nested_key(&mut state.scratch)?;
        let bit = match state.scratch.as_slice() {
            b"password" => 1,
            b"until" => 2,
            _ => 0,
        };
        if bit == 0 {
            state.note_key(level);
            return strict_value(src, state, level + 1);
        }
        if known & bit != 0 {
            state
                .verdict
                .soft(|| "duplicate field in an earlier password".into());
        }
        known |= bit;
        string_value(src, state)
    })
}

/// Any JSON value whose containers open at `level`, read as a full parse reads a value it
/// keeps: no key twice in any object, no deeper than the parser goes.
fn strict_value(src: &mut Source, state: &mut Listing, level: usize) -> Step {
    src.skip_ws();
    let open = match src.peek().ok_or_else(Source::eof)? {
        open @ (b'{' | b'[') => open,
        b'"' => {
            src.pos += 1;
            return src.string(None);
        }
        b't' => return src.literal(b"true"),
        b'f' => return src.literal(b"false"),
        b'n' => return src.literal(b"null"),
        b'-' | b'0'..=b'9' => return src.number(None),
        _ => return Err(src.error("expected a value")),
    };
    if level >= MAX_DEPTH {
        state.verdict.soft(|| "recursion limit exceeded".into());
        return src.skip_value();
    }
    state.open(src, open, level, "")?;
    if open == b'{' {
        src.items(b'}', |src| {
            state.key_at(src, level)?;
            strict_value(src, state, level + 1)
        })
    } else {
        src.items(b']', |src| strict_value(src, state, level + 1))
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
    use crate::document;
    use crate::lookup;

    /// A plaintext handed out in pieces of `size` bytes; `ended` once asked past its end.
    struct Pieces<'a> {
        rest: &'a [u8],
        size: usize,
        ended: bool,
    }

    impl Feed for Pieces<'_> {
        fn next(&mut self, _used: SecretBuf) -> Option<SecretBuf> {
            if self.rest.is_empty() {
                self.ended = true;
                return None;
            }
            let (piece, rest) = self.rest.split_at(self.size.min(self.rest.len()));
            self.rest = rest;
            let mut buf = SecretBuf::with_capacity(piece.len());
            buf.extend_from_slice(piece);
            Some(buf)
        }
    }

    /// The scan's answer, the same in pieces of every size, and the input read to its end.
    fn scan(json: &str, name: &str) -> Result<Option<Box<Entry>>, ParseError> {
        let mut answers = Vec::new();
        for size in [1, 2, 3, 7, 64, 4096] {
            let mut keep = Keep::Order;
            let answer = loop {
                let mut feed = Pieces {
                    rest: json.as_bytes(),
                    size,
                    ended: false,
                };
                match find_entry(&mut feed, name, keep) {
                    Scan::Done(answer) => {
                        assert!(feed.ended, "the input read to its end: {json}");
                        break answer;
                    }
                    Scan::Again(more) => {
                        assert!(more != keep, "{json}");
                        keep = more;
                    }
                }
            };
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

    /// A vault of `names`, in that order.
    fn vault_of(names: &[String]) -> String {
        let body: Vec<String> = names
            .iter()
            .map(|k| format!("\"{k}\": {{\"password\": \"p-{k}\"}}"))
            .collect();
        format!(r#"{{"entries": {{{}}}}}"#, body.join(", "))
    }

    /// How many passes a scan for `name` takes, and its answer.
    fn passes(json: &str, name: &str) -> (usize, Result<Option<Box<Entry>>, ParseError>) {
        let mut keep = Keep::Order;
        for pass in 1.. {
            let mut plaintext = SecretBuf::with_capacity(json.len());
            plaintext.extend_from_slice(json.as_bytes());
            let mut feed = Whole::new(plaintext);
            match find_entry(&mut feed, name, keep) {
                Scan::Done(answer) => return (pass, answer),
                Scan::Again(more) => keep = more,
            }
        }
        unreachable!()
    }

    #[test]
    fn names_out_of_order_early_take_one_pass_late_two() {
        let sorted: Vec<String> = (0..EARLY_NAMES + 10).map(|i| format!("n{i:06}")).collect();
        let mut early = sorted.clone();
        early.swap(3, 4);
        let (count, found) = passes(&vault_of(&early), "n000100");
        assert_eq!(count, 1);
        assert_eq!(found.unwrap().unwrap().password.expose(), "p-n000100");
        let mut late = sorted.clone();
        let last = late.len() - 1;
        late.swap(last - 1, last);
        let (count, found) = passes(&vault_of(&late), "n000100");
        assert_eq!(count, 2);
        assert!(found.unwrap().is_some());
        // A repeat is found on both paths, and named.
        for at in [5, EARLY_NAMES + 5] {
            let mut repeated = sorted.clone();
            repeated.push(sorted[at].clone());
            let err = passes(&vault_of(&repeated), "n000100").1.unwrap_err();
            assert!(err.to_string().contains(&sorted[at]), "{err}");
            agrees(&vault_of(&repeated), "n000100");
        }
        agrees(&vault_of(&early), "n000007");
    }

    /// The listing scan's answer, the same in pieces of each size, the input read to its end.
    fn listed(json: &[u8], sizes: &[usize]) -> Result<Vec<String>, ParseError> {
        let mut answers = sizes.iter().map(|&size| {
            let mut feed = Pieces {
                rest: json,
                size,
                ended: false,
            };
            let answer = list_names(&mut feed);
            assert!(feed.ended, "the input read to its end");
            answer
        });
        let first = answers.next().expect("a size");
        for other in answers {
            match (&first, &other) {
                (Ok(a), Ok(b)) => assert_eq!(a, b),
                (Err(a), Err(b)) => assert_eq!(a, b),
                _ => panic!(
                    "answers differ by piece size: {}",
                    String::from_utf8_lossy(json)
                ),
            }
        }
        first
    }

    /// The listing scan agrees with the full parse of a listing: the same names, or both
    /// refuse (a newer format, named, the same way).
    fn listing_agrees(json: &[u8], sizes: &[usize]) {
        let streamed = listed(json, sizes);
        let parsed = document::Listing::<document::Checked>::parse(json)
            .map(|listing| listing.names().map(str::to_owned).collect::<Vec<_>>());
        match (&streamed, &parsed) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            (Err(ParseError::TooNew(a)), Err(ParseError::TooNew(b))) => assert_eq!(a, b),
            (Err(ParseError::Invalid(_)), Err(ParseError::Invalid(_))) => {}
            _ => panic!(
                "{}: streamed {streamed:?}, parsed {parsed:?}",
                String::from_utf8_lossy(json)
            ),
        }
    }

    const RICH: &str = r#"{"format": 1, "recipients": [{"name": "op", "key": "age1x"}],
        "entries": {"b/z": {"id": "1", "username": "u", "password": "p\u00e9\"", "url": "",
            "notes": "n", "totp": "t", "fields": {"pin": "1", "k": "v"}, "tags": ["a", "b"],
            "created": "c", "updated": "u", "history": [{"password": "old", "until": "t",
            "x": [1, -2.5e3, {"y": null}]}], "custom": {"k": [true, false, 0]}},
          "a": {}, "c\u0020d": {"password": "x"}},
        "deleted": {"gone": "t"}, "derived": {}, "conflicts": [], "future": {"z": [1]}}"#;

    #[test]
    fn a_listing_finds_the_names_a_full_parse_finds() {
        let names = listed(RICH.as_bytes(), &[1, 2, 7, 4096]).unwrap();
        assert_eq!(names, ["a", "b/z", "c d"]);
        listing_agrees(RICH.as_bytes(), &[1, 5, 4096]);
        assert!(listed(br#"{"entries": {}}"#, &[1]).unwrap().is_empty());
    }

    #[test]
    fn a_listing_refuses_what_a_full_parse_refuses() {
        let deep = |levels: usize| {
            format!(
                r#"{{"entries": {{"a": {{"x": {}{}}}}}}}"#,
                "[".repeat(levels),
                "]".repeat(levels)
            )
        };
        let cases: Vec<String> = [
            r#"{"entries": {"a": {}, "a": {}}}"#,
            r#"{"entries": {"b": {}, "a": {}, "b": {}}}"#,
            r#"{"entries": {"a": {"password": "1", "password": "2"}}}"#,
            r#"{"entries": {"a": {"fields": {"k": "1", "k": "2"}}}}"#,
            r#"{"entries": {"a": {"fields": {"k": 1}}}}"#,
            r#"{"entries": {"a": {"fields": []}}}"#,
            r#"{"entries": {"a": {"tags": ["x", 1]}}}"#,
            r#"{"entries": {"a": {"tags": "x"}}}"#,
            r#"{"entries": {"a": {"history": [{"password": 1}]}}}"#,
            r#"{"entries": {"a": {"history": [{"until": "1", "until": "2"}]}}}"#,
            r#"{"entries": {"a": {"history": [{"k": 1, "k": 2}]}}}"#,
            r#"{"entries": {"a": {"history": ["x"]}}}"#,
            r#"{"entries": {"a": {"history": {}}}}"#,
            r#"{"entries": {"a": {"x": {"k": 1, "k": 2}}}}"#,
            r#"{"entries": {"a": {"x": [{"k": 1, "k": 2}]}}}"#,
            r#"{"entries": {"a": {"x": 1, "x": 2}}}"#,
            r#"{"entries": {"a": {"x": 1e400}}}"#,
            r#"{"entries": {"a": {"x": -1e400}}}"#,
            r#"{"entries": {"a": {"x": 1e-400}}}"#,
            r#"{"entries": {"a": {"x": 123456789012345678901234567890}}}"#,
            r#"{"entries": {"a": {"x": "\ud800"}}}"#,
            r#"{"entries": {"a": {"password": "\udc00"}}}"#,
            r#"{"entries": {"a": {"password": "\ud83d\ude00"}}}"#,
            r#"{"entries": {"a": {"password": null}}}"#,
            r#"{"entries": {"a": {"password": ["x"]}}}"#,
            r#"{"entries": {"a": []}}"#,
            r#"{"entries": {"a": null}}"#,
            r#"{"entries": {"a": "x"}}"#,
            r#"{"entries": []}"#,
            r#"{"entries": {}, "entries": {}}"#,
            r#"{"entries": {}, "x": 1, "x": 2}"#,
            r#"{"entries": {}, "x": {"k": 1, "k": 2}}"#,
            r#"{"entries": {}, "recipients": {}}"#,
            r#"{"entries": {}, "recipients": [{"name": 1}]}"#,
            r#"{"entries": {}, "deleted": {"a": 1}}"#,
            r#"{"entries": {}, "deleted": {"a": "1", "a": "2"}}"#,
            r#"{"entries": {}, "conflicts": {}}"#,
            r#"{"format": 2, "entries": {}}"#,
            r#"{"format": 2, "entries": {"a": []}}"#,
            r#"{"entries": {"a": []}, "format": 9}"#,
            r#"{"format": 0, "entries": {}}"#,
            r#"{"format": -0, "entries": {}}"#,
            r#"{"format": 1.0, "entries": {}}"#,
            r#"{"format": "1", "entries": {}}"#,
            r#"{"recipients": []}"#,
            r#"{"entries": {}} x"#,
            r#"{"entries": {"a": {}}"#,
            "[]",
            "",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .chain([deep(124), deep(125), deep(126), deep(200)])
        .collect();
        for json in &cases {
            listing_agrees(json.as_bytes(), &[1, 3, 4096]);
        }
        for bytes in [
            &b"{\"entries\": {\"a\": {\"password\": \"\xff\"}}}"[..],
            &b"{\"entries\": {\"a\": {\"x\": \"\xc3\xa9\xe2\x82\"}}}"[..],
            &b"{\"entries\": {\"a\": {\"x\": \"\xe2\x82\xac\xf0\x9f\x98\x80\"}}}"[..],
            &b"{\"entries\": {\"\xc3\"}}"[..],
        ] {
            listing_agrees(bytes, &[1, 2, 3, 4096]);
        }
    }

    #[test]
    fn members_are_told_apart_as_the_table_lists_them() {
        for (index, (name, _)) in MEMBERS.iter().enumerate() {
            assert_eq!(member(name.as_bytes()), Some(index), "{name}");
        }
        assert_eq!(member(b"user"), None);
        assert_eq!(member(b"Password"), None);
    }

    /// Every document one byte away from a rich one (a byte dropped, replaced or added), in
    /// this format and in a newer one, is refused or listed exactly as the full parse refuses
    /// or lists it.
    #[test]
    fn a_listing_agrees_with_a_full_parse_one_byte_away() {
        let newer = RICH.replacen(r#""format": 1"#, r#""format": 2"#, 1);
        for base in [RICH.as_bytes(), newer.as_bytes()] {
            for at in 0..base.len() {
                let mut dropped = base.to_vec();
                dropped.remove(at);
                listing_agrees(&dropped, &[7]);
                for b in [
                    b'"', b'\\', b'{', b'}', b'[', b']', b',', b':', b'1', b'e', b'n', 0xc3,
                ] {
                    let mut replaced = base.to_vec();
                    replaced[at] = b;
                    listing_agrees(&replaced, &[7]);
                    let mut added = base.to_vec();
                    added.insert(at, b);
                    listing_agrees(&added, &[7]);
                }
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
