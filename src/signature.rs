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
        let Some(found) = &self.signature else {
            return Signed::Unsigned;
        };
        let Ok(writer) = &found.writer else {
            return Signed::Invalid(None);
        };
        match &found.signature {
            Some(sig) if writer.verifies(&digest(self.signed), sig) => Signed::By(writer.clone()),
            _ => Signed::Invalid(Some(writer.clone())),
        }
    }
}

/// Finds the signature member at the end of `plaintext`, if it is there in its one shape.
pub fn split(plaintext: &[u8]) -> Split<'_> {
    let unsigned = Split {
        signed: plaintext,
        signature: None,
    };
    let window_start = plaintext.len().saturating_sub(TAIL_WINDOW);
    let key = format!("\"{MEMBER}\"");
    let Some(at) = rfind(&plaintext[window_start..], key.as_bytes()).map(|i| i + window_start)
    else {
        return unsigned;
    };
    let before = trim_end(&plaintext[..at]);
    let Some(comma) = before.len().checked_sub(1).filter(|&i| before[i] == b',') else {
        return unsigned;
    };
    let rest = trim_start(&plaintext[at + key.len()..]);
    let Some(rest) = rest.strip_prefix(b":") else {
        return unsigned;
    };
    let Some(object) = trim_end(rest).strip_suffix(b"}") else {
        return unsigned;
    };
    let Ok(member) = serde_json::from_slice::<Member>(object) else {
        return unsigned;
    };
    let signature = BASE64
        .decode(member.sig.as_bytes())
        .ok()
        .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok());
    Split {
        signed: &plaintext[..comma],
        signature: Some(Found {
            writer: WriterId::parse(&member.writer),
            signature,
        }),
    }
}

/// Signs a document's JSON (one object, as `Document::to_json` writes it): returns the
/// plaintext with the signature member spliced in before the closing brace.
pub fn seal(json: &[u8], signer: &dyn Signer) -> Result<Zeroizing<Vec<u8>>> {
    let body = trim_end(json);
    let head = trim_end(body.strip_suffix(b"}").unwrap_or(body));
    let sig = signer.sign(&digest(head))?;
    let member = format!(
        ",\n  \"{MEMBER}\": {{\"writer\": \"{}\", \"sig\": \"{}\"}}\n}}\n",
        signer.id(),
        BASE64.encode(sig)
    );
    let mut out = Zeroizing::new(Vec::with_capacity(head.len() + member.len()));
    out.extend_from_slice(head);
    out.extend_from_slice(member.as_bytes());
    Ok(out)
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

    fn doc() -> &'static [u8] {
        b"{\n  \"format\": 1,\n  \"entries\": {\n    \"bank\": {\"password\": \"pw\"}\n  }\n}\n"
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

    #[test]
    fn a_recognised_member_with_a_bad_key_is_invalid_not_unsigned() {
        let json = br#"{"entries": {}, "signature": {"writer": "vaultw1nope", "sig": "AAAA"}}"#;
        assert_eq!(split(json).verify(), Signed::Invalid(None));
    }
}
