//! The signature inside a vault document.
//!
//! A signed plaintext is the document's JSON with one more top-level member spliced in before
//! its closing brace: `, "signature": {"writer": "vaultw1…", "sig": "…"}`. What is signed is
//! every byte before that comma, so the signature covers everything else in the document
//! (entries, recipients, scopes, unknown fields) exactly as written, with no canonical form to
//! get wrong; `age -d | jq` still reads the whole as ordinary JSON.
//!
//! Reading back, the member is recognised only in exactly that place and shape (the last
//! member, two fields of fixed alphabets); anything else means "unsigned". That is safe both
//! ways: a forger gains nothing by making a signature unrecognisable (unsigned is refused
//! wherever signed-by-a-trusted-writer is required), and a recognised tail can only be the
//! top-level member, since the bytes before it plus one closing brace must parse as the whole
//! document.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as BASE64;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::error::Result;
use crate::secret::SecretBuf;
use crate::writer::{Digest, Signer, WriterId};

/// The top-level member that holds the signature.
pub const MEMBER: &str = "signature";

/// How far from the end the signature member can start: its size is fixed but for spacing.
const TAIL_WINDOW: usize = 1024;

/// A signature found in a plaintext, not yet checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Who the document says signed it (unverified until [`Split::verify`]).
    pub writer: Result<WriterId, String>,
    signature: Option<[u8; 64]>,
}

/// A plaintext cut into what is signed and its signature.
pub struct Split<'a> {
    /// Every byte before the signature member: what the signature covers.
    pub signed: &'a [u8],
    pub signature: Option<Found>,
}

/// What the signature of a document says about its author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signed {
    /// No signature at all: a hand-made vault, or one written before signing existed.
    Unsigned,
    /// A valid signature by this writer.
    By(WriterId),
    /// A signature that does not verify (or names no valid key): forged or damaged.
    Invalid(Option<WriterId>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Member {
    writer: String,
    sig: String,
}

impl Split<'_> {
    /// Checks the signature against what it covers: one SHA-256 pass over the document.
    pub fn verify(&self) -> Signed {
        verdict(self.signature.as_ref(), || digest(self.signed))
    }
}

fn verdict(found: Option<&Found>, digest: impl FnOnce() -> Digest) -> Signed {
    let Some(found) = found else {
        return Signed::Unsigned;
    };
    let Ok(writer) = &found.writer else {
        return Signed::Invalid(None);
    };
    match &found.signature {
        Some(sig) if writer.verifies(&digest(), sig) => Signed::By(writer.clone()),
        _ => Signed::Invalid(Some(writer.clone())),
    }
}

/// Finds the signature member at the end of `plaintext`, if it is there in its one shape.
pub fn split(plaintext: &[u8]) -> Split<'_> {
    match locate(plaintext, true) {
        Some((comma, found)) => Split {
            signed: &plaintext[..comma],
            signature: Some(found),
        },
        None => Split {
            signed: plaintext,
            signature: None,
        },
    }
}

/// The signature member in `tail`, the end of a plaintext (all of it when `whole`), and where
/// the comma before it is. When not `whole`, the byte before `tail` is neither whitespace nor a
/// comma, and `tail` holds at least the last `TAIL_WINDOW` bytes.
fn locate(tail: &[u8], whole: bool) -> Option<(usize, Found)> {
    let window_start = tail.len().saturating_sub(TAIL_WINDOW);
    let key = format!("\"{MEMBER}\"");
    let at = rfind(&tail[window_start..], key.as_bytes())? + window_start;
    let before = trim_end(&tail[..at]);
    let comma = before.len().checked_sub(1).filter(|&i| before[i] == b',')?;
    // Outside `tail` there is no comma to find (see above).
    debug_assert!(whole || comma < at);
    let rest = trim_start(&tail[at + key.len()..]);
    let rest = rest.strip_prefix(b":")?;
    let object = trim_end(rest).strip_suffix(b"}")?;
    let member = serde_json::from_slice::<Member>(object).ok()?;
    let signature = BASE64
        .decode(member.sig.as_bytes())
        .ok()
        .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok());
    Some((
        comma,
        Found {
            writer: WriterId::parse(&member.writer),
            signature,
        },
    ))
}

/// Checks a signature over a plaintext that arrives in pieces (a vault decrypted chunk by
/// chunk): everything is hashed as it passes but the end, where the signature member may
/// be, which is held back (in locked memory) until [`Verifier::finish`].
pub struct Verifier {
    hasher: Sha256,
    held: SecretBuf,
    /// Whether anything was hashed yet (so `held` is not the whole plaintext).
    hashed_any: bool,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            hasher: Sha256::new(),
            held: SecretBuf::with_capacity(4 * TAIL_WINDOW),
            hashed_any: false,
        }
    }
}

impl Verifier {
    /// The next bytes of the plaintext.
    pub fn update(&mut self, bytes: &[u8]) {
        if bytes.len() >= TAIL_WINDOW {
            let cut = cut_point(bytes);
            if cut > 0 {
                self.hasher.update(&self.held[..]);
                self.hasher.update(&bytes[..cut]);
                self.hashed_any = true;
                self.held.clear();
                self.held.extend_from_slice(&bytes[cut..]);
                return;
            }
        }
        self.held.extend_from_slice(bytes);
        if self.held.len() >= 4 * TAIL_WINDOW {
            let cut = cut_point(&self.held);
            if cut > 0 {
                self.hasher.update(&self.held[..cut]);
                self.hashed_any = true;
                let len = self.held.len();
                self.held.copy_within(cut..len, 0);
                self.held.truncate(len - cut);
            }
        }
    }

    /// What the signature says, once the whole plaintext has passed.
    pub fn finish(mut self) -> Signed {
        let found = locate(&self.held, !self.hashed_any);
        let held = &self.held;
        let hasher = &mut self.hasher;
        let (comma, found) = match found {
            Some((comma, found)) => (comma, Some(found)),
            None => (0, None),
        };
        verdict(found.as_ref(), || {
            let mut hasher = std::mem::take(hasher);
            hasher.update(&held[..comma]);
            hasher.finalize().into()
        })
    }
}

/// Where to stop hashing `bytes` for now: before the last `TAIL_WINDOW` bytes, and before any
/// whitespace and commas that end what comes before them (the signed part ends before the
/// comma, wherever the signature member turns out to start). 0: hash nothing yet.
fn cut_point(bytes: &[u8]) -> usize {
    let mut cut = bytes.len().saturating_sub(TAIL_WINDOW);
    while cut > 0 && (bytes[cut - 1].is_ascii_whitespace() || bytes[cut - 1] == b',') {
        cut -= 1;
    }
    cut
}

/// Signs a document's JSON (one object, as `Document::to_json` writes it): returns the
/// plaintext with the signature member spliced in before the closing brace.
pub fn seal(json: &[u8], signer: &dyn Signer) -> Result<Zeroizing<Vec<u8>>> {
    let head = &json[..head_len(json)];
    let member = member(signer, &digest(head))?;
    let mut out = Zeroizing::new(Vec::with_capacity(head.len() + member.len()));
    out.extend_from_slice(head);
    out.extend_from_slice(member.as_bytes());
    Ok(out)
}

/// [`seal`] in place: the signature member replaces the closing brace of the JSON in `buf`, so
/// the document is never copied.
pub fn seal_in_place(buf: &mut SecretBuf, signer: &dyn Signer) -> Result<()> {
    let head_len = head_len(buf);
    let member = member(signer, &digest(&buf[..head_len]))?;
    buf.truncate(head_len);
    buf.extend_from_slice(member.as_bytes());
    Ok(())
}

/// How much of a document's JSON (or of its last piece, which holds the closing brace) is
/// signed: all but the closing brace and the whitespace around it.
pub fn head_len(json: &[u8]) -> usize {
    let body = trim_end(json);
    trim_end(body.strip_suffix(b"}").unwrap_or(body)).len()
}

/// What follows the signed head of a document, whose digest is `digest`: the signature
/// member and the closing brace.
pub fn member(signer: &dyn Signer, digest: &Digest) -> Result<String> {
    let sig = signer.sign(digest)?;
    Ok(format!(
        ",\n  \"{MEMBER}\": {{\"writer\": \"{}\", \"sig\": \"{}\"}}\n}}\n",
        signer.id(),
        BASE64.encode(sig)
    ))
}

/// The digest of a signed head held in pieces, as [`seal`] takes it of the same bytes in one.
pub fn digest_of(pieces: &[&[u8]]) -> Digest {
    let mut hasher = Sha256::new();
    for piece in pieces {
        hasher.update(piece);
    }
    hasher.finalize().into()
}

/// What a writer key signs (with a context of its own): the digest of the document, so the
/// signature costs one hash pass however large the vault is.
fn digest(signed: &[u8]) -> Digest {
    Sha256::digest(signed).into()
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

fn trim_end(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &bytes[..end]
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writer::WriterKey;
    use std::fmt::Write as _;

    fn doc() -> &'static [u8] {
        b"{\n  \"format\": 1,\n  \"entries\": {\n    \"bank\": {\"password\": \"pw\"}\n  }\n}\n"
    }

    #[test]
    fn sealing_in_place_gives_the_bytes_seal_gives() {
        let key = WriterKey::generate();
        for json in [doc(), b"{\"entries\":{}}\n", b"{\"entries\":{}}"] {
            let mut buf = SecretBuf::with_capacity(0);
            buf.extend_from_slice(json);
            seal_in_place(&mut buf, &key).unwrap();
            assert_eq!(&buf[..], &seal(json, &key).unwrap()[..]);
            assert!(matches!(split(&buf).verify(), Signed::By(_)));
        }
    }

    #[test]
    fn a_sealed_document_is_json_and_verifies() {
        let key = WriterKey::generate();
        let sealed = seal(doc(), &key).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&sealed).unwrap();
        assert_eq!(value["entries"]["bank"]["password"], "pw");
        assert_eq!(value["signature"]["writer"], key.id().to_string());
        assert_eq!(split(&sealed).verify(), Signed::By(key.id()));
    }

    #[test]
    fn any_change_to_what_is_signed_breaks_it() {
        let key = WriterKey::generate();
        let sealed = seal(doc(), &key).unwrap();
        let forged = String::from_utf8(sealed.to_vec())
            .unwrap()
            .replace("\"pw\"", "\"px\"");
        assert_eq!(
            split(forged.as_bytes()).verify(),
            Signed::Invalid(Some(key.id()))
        );
    }

    #[test]
    fn another_writers_signature_names_that_writer() {
        let mallory = WriterKey::generate();
        let sealed = seal(doc(), &mallory).unwrap();
        assert_eq!(split(&sealed).verify(), Signed::By(mallory.id()));
    }

    #[test]
    fn anything_but_the_one_shape_is_unsigned() {
        assert_eq!(split(doc()).verify(), Signed::Unsigned);
        for json in [
            // An entry named "signature", last in the document.
            r#"{"entries": {"a": {}, "signature": {"writer": "x", "sig": "y"}}}"#,
            // A signature member with more in it.
            r#"{"entries": {}, "signature": {"writer": "x", "sig": "y", "z": 1}}"#,
            // Not the last member.
            r#"{"entries": {}, "signature": {"writer": "x", "sig": "y"}, "x": 1}"#,
            r#"{"signature": {"writer": "x", "sig": "y"}}"#,
        ] {
            let split = split(json.as_bytes());
            assert!(
                split.signature.is_none() || split.signed.len() < json.len(),
                "{json}"
            );
            assert_ne!(
                split.verify(),
                Signed::By(WriterKey::generate().id()),
                "{json}"
            );
        }
        let split_entry =
            split(br#"{"entries": {"a": {}, "signature": {"writer": "x", "sig": "y"}}}"#);
        assert!(split_entry.signature.is_none());
    }

    /// What a [`Verifier`] fed `plaintext` in pieces of `size` bytes says.
    fn streamed(plaintext: &[u8], size: usize) -> Signed {
        let mut verifier = Verifier::default();
        for piece in plaintext.chunks(size) {
            verifier.update(piece);
        }
        verifier.finish()
    }

    #[test]
    fn a_streamed_plaintext_gets_the_verdict_of_the_whole() {
        let key = WriterKey::generate();
        let mut big = String::from("{\n  \"entries\": {");
        for i in 0..500 {
            write!(big, "\n    \"e{i}\": {{\"password\": \"p{i}\"}},").unwrap();
        }
        big.push_str("\n    \"z\": {}\n  }\n}\n");
        let sealed = seal(big.as_bytes(), &key).unwrap();
        let forged = String::from_utf8(sealed.to_vec())
            .unwrap()
            .replace("\"p7\"", "\"px\"");
        // Whitespace and commas before the signature, more than a window of them.
        let spaced = String::from_utf8(sealed.to_vec()).unwrap().replacen(
            ",\n  \"signature\"",
            &format!(",{}\"signature\"", " ".repeat(5000)),
            1,
        );
        let mut samples: Vec<Vec<u8>> = vec![
            sealed.to_vec(),
            forged.into_bytes(),
            spaced.into_bytes(),
            doc().to_vec(),
            seal(doc(), &key).unwrap().to_vec(),
            br#"{"entries": {"a": {}, "signature": {"writer": "x", "sig": "y"}}}"#.to_vec(),
            br#"{"entries": {}, "signature": {"writer": "vaultw1nope", "sig": "AAAA"}}"#.to_vec(),
            Vec::new(),
        ];
        samples.push(b" ".repeat(9000));
        for sample in &samples {
            let whole = split(sample).verify();
            for size in [1, 7, 100, 1023, 1024, 1025, 4096, 65536] {
                assert_eq!(streamed(sample, size), whole, "pieces of {size}");
            }
        }
        assert_eq!(streamed(&samples[0], 100), Signed::By(key.id()));
        assert_eq!(streamed(&samples[2], 100), Signed::By(key.id()));
        assert_eq!(streamed(&samples[1], 100), Signed::Invalid(Some(key.id())));
    }

    #[test]
    fn a_recognised_member_with_a_bad_key_is_invalid_not_unsigned() {
        let json = br#"{"entries": {}, "signature": {"writer": "vaultw1nope", "sig": "AAAA"}}"#;
        assert_eq!(split(json).verify(), Signed::Invalid(None));
    }
}
