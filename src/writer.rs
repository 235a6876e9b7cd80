//! Writer keys: who signed a vault. age proves a file was encrypted to a set of keys, not who
//! wrote it; every save is therefore also signed with the writer's Ed25519 key, and readers
//! decide from their own, local, trust which writers they accept.
//!
//! An age X25519 identity derives its writer key (HKDF-SHA-256 with a label of its own, so the
//! two keys share nothing an attacker could use), leaving no new secret to keep. Identities that
//! cannot derive one (SSH keys) keep a writer key in a 0600 file beside them.

use std::fmt;
use std::path::{Path, PathBuf};

use bech32::{Bech32, Hrp};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use zeroize::Zeroizing;

use crate::error::Result;

/// The human-readable part of a writer's public key: `vaultw1…`.
const PUBLIC_HRP: &str = "vaultw";
/// The human-readable part of a writer key file's secret line: `VAULT-WRITER-KEY-1…`.
const SECRET_HRP: &str = "vault-writer-key-";
/// HKDF label: a writer key derived from an age identity is bound to this purpose alone.
const DERIVE_INFO: &[u8] = b"vault.writer-key.v1 ed25519 from age x25519";
/// Domain separation: what a writer key signs is always this context and a document digest,
/// so no signature (not even one the agent makes for a client) serves any other purpose.
const CONTEXT: &[u8] = b"vault signed document v1\n";

/// The SHA-256 digest of the signed part of a document.
pub type Digest = [u8; 32];

fn message(digest: &Digest) -> Vec<u8> {
    let mut message = CONTEXT.to_vec();
    message.extend_from_slice(digest);
    message
}

/// A writer's public key, as `vaultw1…` text. Compared by value: two spellings of one key
/// (upper and lower case bech32) are the same writer.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct WriterId([u8; 32]);

impl WriterId {
    pub fn parse(text: &str) -> Result<Self, String> {
        let (hrp, bytes) =
            bech32::decode(text.trim()).map_err(|_| "not a writer key (vaultw1…)".to_string())?;
        if !hrp.as_str().eq_ignore_ascii_case(PUBLIC_HRP) {
            return Err("not a writer key (vaultw1…)".into());
        }
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "a writer key holds 32 bytes".to_string())?;
        VerifyingKey::from_bytes(&bytes)
            .map(|_| WriterId(bytes))
            .map_err(|_| "not a valid Ed25519 public key".into())
    }

    /// Whether `signature` is this writer's over the document with `digest`.
    pub fn verifies(&self, digest: &Digest, signature: &[u8; 64]) -> bool {
        // Checked at parse: a WriterId always holds a valid point.
        VerifyingKey::from_bytes(&self.0).is_ok_and(|key| {
            key.verify(&message(digest), &Signature::from_bytes(signature))
                .is_ok()
        })
    }

    /// The first characters, enough to tell keys apart in a one-line message.
    pub fn short(&self) -> String {
        let full = self.to_string();
        format!("{}…", &full[..16])
    }
}

impl fmt::Display for WriterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hrp = Hrp::parse(PUBLIC_HRP).expect("valid hrp");
        let text = bech32::encode::<Bech32>(hrp, &self.0).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

impl fmt::Debug for WriterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WriterId({self})")
    }
}

/// A writer's secret key. Wiped on drop (dalek's `zeroize` feature); never printed.
pub struct WriterKey(SigningKey);

impl WriterKey {
    /// The writer key of an age X25519 identity, given as its `AGE-SECRET-KEY-1…` text.
    pub fn derive_from_age(identity_text: &str) -> Self {
        let hkdf = hkdf::Hkdf::<sha2::Sha256>::new(None, identity_text.trim().as_bytes());
        let mut seed = Zeroizing::new([0u8; 32]);
        hkdf.expand(DERIVE_INFO, seed.as_mut())
            .expect("32 bytes is a valid HKDF-SHA-256 length");
        WriterKey(SigningKey::from_bytes(&seed))
    }

    pub fn generate() -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut()).expect("the OS random source");
        WriterKey(SigningKey::from_bytes(&seed))
    }

    pub fn id(&self) -> WriterId {
        WriterId(self.0.verifying_key().to_bytes())
    }

    /// Signs the document with `digest`.
    pub fn sign(&self, digest: &Digest) -> [u8; 64] {
        self.0.sign(&message(digest)).to_bytes()
    }

    /// The text of a writer key file: comments naming what it is for, then the secret line.
    pub fn file_text(&self, for_identity: &Path) -> Zeroizing<String> {
        let hrp = Hrp::parse(SECRET_HRP).expect("valid hrp");
        let secret = Zeroizing::new(
            bech32::encode_upper::<Bech32>(hrp, self.0.as_bytes()).expect("32 bytes encode"),
        );
        Zeroizing::new(format!(
            "# vault writer key for {}\n# writer: {}\n{}\n",
            for_identity.display(),
            self.id(),
            secret.as_str()
        ))
    }

    /// The key in the text of a writer key file.
    pub fn parse_file(text: &str) -> Result<Self, String> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .ok_or("it holds no writer key")?;
        let (hrp, bytes) = bech32::decode(line).map_err(|_| "it holds no writer key")?;
        let bytes = Zeroizing::new(bytes);
        if !hrp.as_str().eq_ignore_ascii_case(SECRET_HRP) {
            return Err("it holds no writer key".into());
        }
        let seed: &[u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| "its writer key has the wrong length")?;
        Ok(WriterKey(SigningKey::from_bytes(seed)))
    }
}

impl fmt::Debug for WriterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WriterKey({})", self.id())
    }
}

/// Where the writer key of an identity that cannot derive one lives: beside it.
pub fn key_file_for(identity: &Path) -> PathBuf {
    let mut name = identity.as_os_str().to_owned();
    name.push(".vault-writer");
    PathBuf::from(name)
}

/// Signs for a writer: a key in this process, or one held by the agent.
pub trait Signer: Send + Sync {
    fn id(&self) -> WriterId;
    fn sign(&self, digest: &Digest) -> Result<[u8; 64]>;
}

impl Signer for WriterKey {
    fn id(&self) -> WriterId {
        WriterKey::id(self)
    }

    fn sign(&self, digest: &Digest) -> Result<[u8; 64]> {
        Ok(WriterKey::sign(self, digest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_keys_are_stable_and_distinct() {
        use age::secrecy::ExposeSecret;
        let a = age::x25519::Identity::generate();
        let b = age::x25519::Identity::generate();
        let text_a = a.to_string();
        let ka1 = WriterKey::derive_from_age(text_a.expose_secret());
        let ka2 = WriterKey::derive_from_age(text_a.expose_secret());
        let kb = WriterKey::derive_from_age(b.to_string().expose_secret());
        assert_eq!(ka1.id(), ka2.id());
        assert_ne!(ka1.id(), kb.id());
    }

    #[test]
    fn public_keys_round_trip_and_signatures_verify() {
        let key = WriterKey::generate();
        let text = key.id().to_string();
        assert!(text.starts_with("vaultw1"), "{text}");
        let id = WriterId::parse(&text).unwrap();
        assert_eq!(id, key.id());
        assert_eq!(WriterId::parse(&text.to_uppercase()).unwrap(), id);
        let sig = key.sign(&[1; 32]);
        assert!(id.verifies(&[1; 32], &sig));
        assert!(!id.verifies(&[2; 32], &sig));
        assert!(WriterId::parse("age1qqqq").is_err());
    }

    #[test]
    fn key_files_round_trip_and_never_show_in_debug() {
        let key = WriterKey::generate();
        let text = key.file_text(Path::new("id_ed25519"));
        let back = WriterKey::parse_file(&text).unwrap();
        assert_eq!(back.id(), key.id());
        let secret_line = text.lines().last().unwrap();
        assert!(secret_line.starts_with("VAULT-WRITER-KEY-1"));
        assert!(!format!("{key:?}").contains(secret_line));
        assert!(WriterKey::parse_file("# nothing\n").is_err());
    }
}
