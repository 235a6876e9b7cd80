//! All cryptography goes through the `age` crate: this module only adapts it. It knows
//! nothing of files or paths; callers add that context to its errors.

use std::cell::Cell;
use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::sync::{Arc, PoisonError, RwLock};

use crate::secret::{Secret, SecretBuf};
use crate::signature::{Signed, Verifier};
use age::armor::ArmoredReader;
use age::secrecy::SecretString;
use age_core::format::{FileKey, Stanza};

/// scrypt work factor for passphrase-protected identities: what the `age` CLI writes (~0.5 s
/// here). The crate would calibrate ~20 on this kind of machine: seconds and ~1 GB per unlock.
pub const SCRYPT_WORK_FACTOR: u8 = 18;

/// The highest scrypt work factor (log N) a passphrase-protected file may ask for: four times
/// the work of ours (~2.5 s and 1 GB here). age would go up to its calibrated target + 4, and a
/// file that asks for 23 costs 8 GB and over a minute before a wrong passphrase shows.
pub const MAX_SCRYPT_WORK_FACTOR: u8 = SCRYPT_WORK_FACTOR + 2;

/// The most bcrypt rounds an encrypted OpenSSH key may ask for: 64 times what `ssh-keygen`
/// writes by default (16, ~0.1 s), more than hardening guides advise (100, 256), and still a
/// few seconds; the field is 32 bits, and a key that asks for 2^32 rounds never opens.
pub const MAX_BCRYPT_ROUNDS: u32 = 1024;

/// Bounds on an age header, checked before age reads it: age 0.12 parses the header again from
/// its start after each line, so its cost grows with lines times bytes (20,000 stanzas take
/// minutes). A recipient's stanza is 2 lines and ~100 bytes (X25519, ssh-ed25519, most plugins)
/// or ~12 lines and ~720 bytes (ssh-rsa 4096): room for ~500 small or ~80 RSA recipients, far
/// more than a vault has, and a header at the bound still parses in a fraction of a second.
pub const MAX_HEADER_LINES: usize = 1024;
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

pub type AgeRecipient = Box<dyn age::Recipient + Send>;
pub type AgeIdentity = Box<dyn age::Identity + Send + Sync>;

/// Why a decryption failed, in the terms a user can act on.
#[derive(Debug, PartialEq, Eq)]
pub enum DecryptFailure {
    /// Not an age file at all (or its header is damaged).
    NotAge,
    /// An age file from a newer age version.
    UnknownAgeFormat,
    /// Encrypted with a passphrase, not to recipients.
    PassphraseFile,
    /// Encrypted to recipients, not with a passphrase.
    RecipientFile,
    /// None of the identities (or the passphrase) opens it.
    NoMatch,
    /// The header or the payload fails authentication: changed after it was written.
    Tampered,
    /// The file stops before its end.
    Truncated,
    /// The header is larger than `MAX_HEADER_LINES` / `MAX_HEADER_BYTES`: not read at all.
    HeaderTooLarge,
    /// The passphrase's scrypt work factor (log N) is above `MAX_SCRYPT_WORK_FACTOR`.
    WorkFactorTooHigh(u8),
    /// An age plugin failed or was refused what it asked for: its words, and ours.
    Plugin(String),
}

impl DecryptFailure {
    pub fn describe(&self) -> &'static str {
        match self {
            DecryptFailure::NotAge => "not an age-encrypted file",
            DecryptFailure::UnknownAgeFormat => "an age format newer than this version knows",
            DecryptFailure::PassphraseFile => "encrypted with a passphrase, not to recipients",
            DecryptFailure::RecipientFile => "encrypted to recipients, not with a passphrase",
            DecryptFailure::NoMatch => "no identity matches",
            DecryptFailure::Tampered => "it fails authentication (damaged or tampered with)",
            DecryptFailure::Truncated => "it is truncated",
            DecryptFailure::HeaderTooLarge => "its age header is too large",
            DecryptFailure::WorkFactorTooHigh(_) => "its passphrase's work factor is too high",
            DecryptFailure::Plugin(_) => "an age plugin could not decrypt it",
        }
    }
}

/// Parses a recipient (`age1…`, `ssh-ed25519 …`, `ssh-rsa …`) and gives back its canonical
/// text (lower-case age key; SSH key without its comment) for storing and comparing.
pub fn parse_recipient(key: &str) -> Result<(AgeRecipient, String), String> {
    let key = key.trim();
    if key.starts_with("age1") {
        if let Ok(recipient) = key.parse::<age::x25519::Recipient>() {
            let canonical = recipient.to_string();
            return Ok((Box::new(recipient), canonical));
        }
        let recipient: age::plugin::Recipient = key.parse().map_err(|_| {
            "not a valid age public key (age1… or a plugin's age1NAME1…)".to_string()
        })?;
        // bech32 is one case throughout: the lower one is the key's canonical spelling.
        let canonical = key.to_lowercase();
        return Ok((Box::new(PluginRecipient(recipient)), canonical));
    }
    if key.starts_with("ssh-") {
        let recipient: age::ssh::Recipient = key.parse().map_err(|err| match err {
            age::ssh::ParseRecipientKeyError::Unsupported(kind) => {
                format!("SSH key type {kind} is not supported (use ssh-ed25519 or ssh-rsa)")
            }
            _ => "not a valid SSH public key".to_string(),
        })?;
        let canonical = recipient.to_string();
        return Ok((Box::new(recipient), canonical));
    }
    Err("not a recipient: expected an age1… or ssh-… public key".into())
}

/// The canonical text of a recipient key, or the key as it is when it does not parse.
pub fn canonical_key(key: &str) -> String {
    parse_recipient(key).map_or_else(|_| key.trim().to_owned(), |(_, canonical)| canonical)
}

/// Why a file could not be encrypted: a plugin a recipient needs (missing, or refusing), which
/// is the same "cannot use this key here" as on the reading side; or anything else.
#[derive(Debug)]
pub enum EncryptFailure {
    Plugin(String),
    Other(String),
}

impl std::fmt::Display for EncryptFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EncryptFailure::Plugin(reason) | EncryptFailure::Other(reason) => f.write_str(reason),
        }
    }
}

pub fn encrypt(plaintext: &[u8], recipients: &[AgeRecipient]) -> Result<Vec<u8>, EncryptFailure> {
    Encryption::to(recipients)?
        .into_vec(plaintext, 256 * (recipients.len() + 1))
        .map_err(|e| EncryptFailure::Other(e.to_string()))
}

/// A file key wrapped for its recipients (what can fail, a plugin's refusal included, is
/// over): ready to encrypt one file into any writer.
pub struct Encryption(age::Encryptor);

impl Encryption {
    pub fn to(recipients: &[AgeRecipient]) -> Result<Self, EncryptFailure> {
        age::Encryptor::with_recipients(
            recipients.iter().map(|r| r.as_ref() as &dyn age::Recipient),
        )
        .map(Encryption)
        .map_err(|err| match err {
            age::EncryptError::PluginResolve(age::plugin::ResolveError::MissingPlugin {
                binary_name,
            }) => EncryptFailure::Plugin(missing_plugin(&binary_name)),
            age::EncryptError::Plugin(errors) => EncryptFailure::Plugin(plugin_errors(&errors)),
            other => EncryptFailure::Other(other.to_string().to_lowercase()),
        })
    }

    /// Writes the header to `out`; the plaintext follows piece by piece.
    pub fn into_writer<W: Write>(self, out: W) -> io::Result<Encrypting<W>> {
        self.0.wrap_output(out).map(Encrypting)
    }

    /// `plaintext` encrypted into memory (`header`: about how long the header is), in a
    /// buffer that is never grown.
    fn into_vec(self, plaintext: &[u8], header: usize) -> io::Result<Vec<u8>> {
        // Each 64 KiB chunk grows by its 16-byte tag.
        let capacity = plaintext.len() + plaintext.len() / 64 + header;
        let mut encrypting = self.into_writer(Vec::with_capacity(capacity))?;
        encrypting.write(plaintext)?;
        encrypting.finish()
    }
}

/// An age file being written, its plaintext given piece by piece.
pub struct Encrypting<W: Write>(age::stream::StreamWriter<W>);

impl<W: Write> Encrypting<W> {
    pub fn write(&mut self, plaintext: &[u8]) -> io::Result<()> {
        self.0.write_all(plaintext)
    }

    /// Encrypts the last chunk: the file is whole.
    pub fn finish(self) -> io::Result<W> {
        self.0.finish()
    }
}

pub fn encrypt_with_passphrase(
    plaintext: &[u8],
    passphrase: &Secret,
    work_factor: u8,
) -> Result<Vec<u8>, String> {
    let mut recipient = age::scrypt::Recipient::new(to_secret_string(passphrase));
    recipient.set_work_factor(work_factor);
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .map_err(|err| err.to_string().to_lowercase())?;
    Encryption(encryptor)
        .into_vec(plaintext, 512)
        .map_err(|e| e.to_string())
}

/// Decrypts a whole age file (binary or armored) into a buffer that is wiped on drop.
pub fn decrypt(ciphertext: &[u8], identities: &[AgeIdentity]) -> Result<SecretBuf, DecryptFailure> {
    REFUSED.set(None);
    // Binary files (what age and vault write) skip the armor layer and its extra copy.
    if ciphertext.starts_with(b"age-encryption.org/") {
        check_header_size(ciphertext)?;
        let decryptor =
            age::Decryptor::new_buffered(ciphertext).map_err(|e| map_open_error(e, ciphertext))?;
        decrypt_with(decryptor, ciphertext.len(), identities)
    } else {
        decrypt_with(open(ciphertext)?, ciphertext.len(), identities)
    }
}

fn decrypt_with<R: std::io::BufRead>(
    decryptor: age::Decryptor<R>,
    size_hint: usize,
    identities: &[AgeIdentity],
) -> Result<SecretBuf, DecryptFailure> {
    if decryptor.is_scrypt() {
        return Err(DecryptFailure::PassphraseFile);
    }
    let reader = decryptor
        .decrypt(std::iter::once(
            &Remembering(identities) as &dyn age::Identity
        ))
        .map_err(map_decrypt_error)?;
    read_all(reader, size_hint)
}

/// How much plaintext one chunk of a streamed decryption holds: one of age's own.
pub const STREAM_CHUNK: usize = 64 * 1024;

/// Files at least this large are decrypted on a thread of their own while the caller reads
/// what is already decrypted; smaller ones are decrypted as they are read.
pub const PIPELINE_FROM: u64 = 1024 * 1024;

/// Chunks decrypted ahead of the reader, at most.
const PIPELINE_DEPTH: usize = 2;

/// Opens an age file read from `input` (`size` bytes, for sizing buffers) for decryption as a
/// stream: its header is checked and unwrapped with `identities` now, its payload decrypted
/// chunk by chunk as the returned feed is read, each chunk authenticated before it is handed
/// out. Truncation or tampering anywhere shows as [`Decrypting::failure`] once the feed ends.
/// Unless `verify` is [`Verify::No`], every byte is hashed for the signature as it is
/// decrypted, for [`Decrypting::signed`], on the thread `verify` says.
/// Armored files are read whole, as [`decrypt`] reads them.
pub fn decrypt_stream(
    mut input: impl Read + Send + 'static,
    size: u64,
    identities: &[AgeIdentity],
    verify: Verify,
) -> Result<Decrypting, DecryptFailure> {
    REFUSED.set(None);
    let mut head = Vec::with_capacity(8 * 1024);
    (&mut input)
        .take((MAX_HEADER_BYTES + 1024) as u64)
        .read_to_end(&mut head)
        .map_err(|e| read_failure(&e))?;
    if !head.starts_with(b"age-encryption.org/") {
        input.read_to_end(&mut head).map_err(|e| read_failure(&e))?;
        let plaintext = decrypt(&head, identities)?;
        return Ok(Decrypting {
            source: Some(Producer::Whole(plaintext)),
            failure: None,
            verifier: (verify != Verify::No).then(Verifier::default),
        });
    }
    header_within_bounds(&head)?;
    // age reads its 64 KiB chunks past this buffer; only the header is read through it.
    let reader =
        std::io::BufReader::with_capacity(8 * 1024, std::io::Cursor::new(head).chain(input));
    let decryptor = age::Decryptor::new_buffered(reader)
        .map_err(|e| map_open_error(e, b"age-encryption.org/"))?;
    if decryptor.is_scrypt() {
        return Err(DecryptFailure::PassphraseFile);
    }
    let reader: Box<dyn Read + Send> = Box::new(
        decryptor
            .decrypt(std::iter::once(
                &Remembering(identities) as &dyn age::Identity
            ))
            .map_err(map_decrypt_error)?,
    );
    let chunk = usize::try_from(size)
        .unwrap_or(STREAM_CHUNK)
        .clamp(4096, STREAM_CHUNK);
    let mut verifier = (verify != Verify::No).then(Verifier::default);
    let source = if size >= PIPELINE_FROM && several_cores() {
        let on_thread = verifier.take_if(|_| verify == Verify::Decrypting);
        Producer::Thread(Pipeline::start(reader, on_thread))
    } else {
        Producer::Inline { reader, chunk }
    };
    Ok(Decrypting {
        source: Some(source),
        failure: None,
        verifier,
    })
}

/// Whether, and where, [`decrypt_stream`] hashes the plaintext for its signature.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verify {
    No,
    /// On the thread that reads the feed: the lighter one when reading it is a quick look.
    Reading,
    /// On the thread that decrypts (when there is one): for a reader with more to do.
    Decrypting,
}

/// Whether a second thread can decrypt while this one reads. Asked once: the answer reads
/// cgroup files, which costs more than decrypting a small vault.
pub fn several_cores() -> bool {
    static SEVERAL: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SEVERAL.get_or_init(|| std::thread::available_parallelism().is_ok_and(|n| n.get() > 1))
}

/// A decryption in progress, read chunk by chunk through [`crate::scan::Feed`].
pub struct Decrypting {
    source: Option<Producer>,
    failure: Option<DecryptFailure>,
    /// The signature's hash of every chunk handed out.
    verifier: Option<Verifier>,
}

enum Producer {
    /// Already decrypted (an armored file).
    Whole(SecretBuf),
    /// Decrypted on the reader's thread, as it reads.
    Inline {
        reader: Box<dyn Read + Send>,
        chunk: usize,
    },
    Thread(Pipeline),
}

impl Decrypting {
    /// Why the payload could not be read to its end (truncated, tampered), once the feed has
    /// ended. A caller must check it before using anything the feed gave.
    pub fn failure(&self) -> Option<&DecryptFailure> {
        self.failure.as_ref()
    }

    /// Who signed the plaintext, once the feed has ended without a failure; `Unsigned` when
    /// it was opened without `verify`.
    pub fn signed(&mut self) -> Signed {
        self.verifier
            .take()
            .map_or(Signed::Unsigned, Verifier::finish)
    }
}

impl crate::scan::Feed for Decrypting {
    fn next(&mut self, used: SecretBuf) -> Option<SecretBuf> {
        let next = match self.source.as_mut()? {
            Producer::Whole(_) => match self.source.take() {
                Some(Producer::Whole(plaintext)) => Ok(Some(plaintext)),
                _ => Ok(None),
            },
            Producer::Inline { reader, chunk } => {
                let mut buf = if used.capacity() >= *chunk {
                    used
                } else {
                    SecretBuf::with_capacity(*chunk)
                };
                buf.clear();
                match buf.fill_from(reader) {
                    Ok(0) => Ok(None),
                    Ok(_) => Ok(Some(buf)),
                    Err(e) => Err(read_failure(&e)),
                }
            }
            Producer::Thread(pipeline) => match pipeline.next(used) {
                Piece::Chunk(chunk) => Ok(Some(chunk)),
                Piece::End(hashed) => {
                    if hashed.is_some() {
                        self.verifier = hashed;
                    }
                    Ok(None)
                }
                Piece::Failed(failure) => Err(failure),
            },
        };
        match next {
            Ok(Some(chunk)) => {
                if let Some(verifier) = &mut self.verifier {
                    verifier.update(&chunk);
                }
                Some(chunk)
            }
            Ok(None) => {
                self.source = None;
                None
            }
            Err(failure) => {
                self.source = None;
                self.failure = Some(failure);
                None
            }
        }
    }
}

/// What the decrypting thread sends.
enum Piece {
    Chunk(SecretBuf),
    /// With the hash of every chunk, when the thread took it.
    End(Option<Verifier>),
    Failed(DecryptFailure),
}

/// A thread that decrypts chunks ahead of the reader, into a few buffers that go back and
/// forth: the decryption of a large vault and the reading of it share the machine's cores.
struct Pipeline {
    full: Option<std::sync::mpsc::Receiver<Piece>>,
    empty: Option<std::sync::mpsc::Sender<SecretBuf>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Pipeline {
    fn start(mut reader: Box<dyn Read + Send>, mut verifier: Option<Verifier>) -> Self {
        let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Piece>(PIPELINE_DEPTH);
        let (empty_tx, empty_rx) = std::sync::mpsc::channel::<SecretBuf>();
        let thread = std::thread::spawn(move || {
            let mut made = 0;
            loop {
                let mut buf = match empty_rx.try_recv() {
                    Ok(buf) => buf,
                    Err(_) if made <= PIPELINE_DEPTH => {
                        made += 1;
                        SecretBuf::with_capacity(STREAM_CHUNK)
                    }
                    Err(_) => match empty_rx.recv() {
                        Ok(buf) => buf,
                        Err(_) => return,
                    },
                };
                buf.clear();
                let piece = match buf.fill_from(&mut reader) {
                    Ok(0) => Piece::End(verifier.take()),
                    Ok(_) => {
                        if let Some(verifier) = &mut verifier {
                            verifier.update(&buf);
                        }
                        Piece::Chunk(buf)
                    }
                    Err(e) => Piece::Failed(read_failure(&e)),
                };
                let last = !matches!(piece, Piece::Chunk(_));
                if full_tx.send(piece).is_err() || last {
                    return;
                }
            }
        });
        Pipeline {
            full: Some(full_rx),
            empty: Some(empty_tx),
            thread: Some(thread),
        }
    }

    fn next(&mut self, used: SecretBuf) -> Piece {
        if used.capacity() >= STREAM_CHUNK
            && let Some(empty) = &self.empty
        {
            empty.send(used).ok();
        }
        match self.full.as_ref().map(std::sync::mpsc::Receiver::recv) {
            Some(Ok(piece)) => piece,
            // The thread ended without saying the input did: nothing read can be trusted whole.
            Some(Err(_)) | None => Piece::Failed(DecryptFailure::Truncated),
        }
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        // Closing both channels ends the thread wherever it waits; its buffers are wiped as
        // they drop.
        self.full = None;
        self.empty = None;
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}

/// Decrypts an age file made with a passphrase (`age -p`).
pub fn decrypt_with_passphrase(
    ciphertext: &[u8],
    passphrase: &Secret,
) -> Result<SecretBuf, DecryptFailure> {
    let decryptor = open(ciphertext)?;
    if !decryptor.is_scrypt() {
        return Err(DecryptFailure::RecipientFile);
    }
    let mut identity = age::scrypt::Identity::new(to_secret_string(passphrase));
    // Checked before scrypt runs: the header MAC that would expose a raised work factor can
    // only be checked with the key scrypt derives.
    identity.set_max_work_factor(MAX_SCRYPT_WORK_FACTOR);
    let reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|err| match err {
            // The stanza's AEAD fails to open: for a passphrase, that is a wrong passphrase.
            age::DecryptError::DecryptionFailed => DecryptFailure::NoMatch,
            other => map_decrypt_error(other),
        })?;
    read_all(reader, ciphertext.len())
}

/// Whether one of `identities` can open this file's header (the payload is not read).
pub fn opens(ciphertext: &[u8], identities: &[AgeIdentity]) -> bool {
    REFUSED.set(None);
    open(ciphertext).is_ok_and(|d| {
        d.decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
            .is_ok()
    })
}

/// Whether these bytes start like an age file (binary or armored).
pub fn looks_like_age(data: &[u8]) -> bool {
    data.starts_with(b"age-encryption.org/")
        || data.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----")
}

fn open(
    ciphertext: &[u8],
) -> Result<age::Decryptor<ArmoredReader<std::io::BufReader<&[u8]>>>, DecryptFailure> {
    check_header_size(ciphertext)?;
    age::Decryptor::new_buffered(ArmoredReader::new(ciphertext))
        .map_err(|err| map_open_error(err, ciphertext))
}

/// Refuses a header beyond `MAX_HEADER_LINES` or `MAX_HEADER_BYTES` before age parses it. An
/// armored file's header is measured after decoding only as much of it as the bound allows.
fn check_header_size(ciphertext: &[u8]) -> Result<(), DecryptFailure> {
    const MAGIC: &[u8] = b"age-encryption.org/";
    if ciphertext.starts_with(MAGIC) {
        return header_within_bounds(ciphertext);
    }
    let mut start = Vec::with_capacity(MAX_HEADER_BYTES + 1);
    let limit = (MAX_HEADER_BYTES + 1) as u64;
    let decoded = ArmoredReader::new(ciphertext)
        .take(limit)
        .read_to_end(&mut start);
    // Anything else is not an age file, and age says so.
    if decoded.is_ok() && start.starts_with(MAGIC) {
        header_within_bounds(&start)
    } else {
        Ok(())
    }
}

fn header_within_bounds(file: &[u8]) -> Result<(), DecryptFailure> {
    let mut bytes = 0;
    for (count, line) in file.split_inclusive(|&b| b == b'\n').enumerate() {
        if line.starts_with(b"---") {
            return Ok(());
        }
        bytes += line.len();
        if count >= MAX_HEADER_LINES || bytes > MAX_HEADER_BYTES {
            return Err(DecryptFailure::HeaderTooLarge);
        }
    }
    // No MAC line within the bounds: a truncated file, which age reports as such.
    Ok(())
}

fn map_open_error(err: age::DecryptError, ciphertext: &[u8]) -> DecryptFailure {
    match err {
        age::DecryptError::UnknownFormat => DecryptFailure::UnknownAgeFormat,
        age::DecryptError::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            if looks_like_age(ciphertext) {
                DecryptFailure::Truncated
            } else {
                DecryptFailure::NotAge
            }
        }
        age::DecryptError::InvalidMac => DecryptFailure::Tampered,
        _ => DecryptFailure::NotAge,
    }
}

fn map_decrypt_error(err: age::DecryptError) -> DecryptFailure {
    let refused = REFUSED.take();
    match err {
        age::DecryptError::Plugin(errors) => {
            let mut reason = plugin_errors(&errors);
            if let Some(why) = refused {
                reason = format!("{reason} ({why})");
            }
            DecryptFailure::Plugin(reason)
        }
        age::DecryptError::PluginResolve(age::plugin::ResolveError::MissingPlugin {
            binary_name,
        }) => DecryptFailure::Plugin(missing_plugin(&binary_name)),
        // A plugin that was refused a prompt may just not answer: that, not "no match", is why.
        age::DecryptError::NoMatchingKeys if refused.is_some() => DecryptFailure::Plugin(format!(
            "a plugin asked for something ({})",
            refused.unwrap_or_default()
        )),
        age::DecryptError::NoMatchingKeys | age::DecryptError::KeyDecryptionFailed => {
            DecryptFailure::NoMatch
        }
        age::DecryptError::ExcessiveWork { required, .. } => {
            DecryptFailure::WorkFactorTooHigh(required)
        }
        age::DecryptError::InvalidHeader => DecryptFailure::NotAge,
        age::DecryptError::UnknownFormat => DecryptFailure::UnknownAgeFormat,
        age::DecryptError::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            DecryptFailure::Truncated
        }
        _ => DecryptFailure::Tampered,
    }
}

fn read_all(mut reader: impl Read, size_hint: usize) -> Result<SecretBuf, DecryptFailure> {
    // The plaintext is shorter than the ciphertext: sized up front, the buffer is never
    // reallocated, and it fills in place, in locked pages where the memlock limit has room.
    let mut plaintext = SecretBuf::with_capacity(size_hint);
    plaintext
        .read_to_end(&mut reader)
        .map_err(|e| read_failure(&e))?;
    Ok(plaintext)
}

/// What a failed read of an age payload means.
pub(crate) fn read_failure(e: &std::io::Error) -> DecryptFailure {
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof => DecryptFailure::Truncated,
        _ => DecryptFailure::Tampered,
    }
}

pub fn to_secret_string(secret: &Secret) -> SecretString {
    SecretString::from(secret.expose().to_owned())
}

/// How an age plugin (a hardware key, a TPM) reaches the person at the keyboard: a PIN, a
/// touch, a yes or no. The binary decides, once, what answers (a terminal, nothing); this
/// library never touches a terminal itself.
pub trait PluginPrompts: Send + Sync {
    fn show(&self, message: &str);
    /// `None`: nobody can be asked.
    fn confirm(&self, message: &str, yes: &str, no: Option<&str>) -> Option<bool>;
    /// A value typed by the person, hidden when `secret`; `None`: nobody can be asked.
    fn ask(&self, description: &str, secret: bool) -> Option<Secret>;
    /// Why nobody could be asked, with what to do instead: added to the plugin's error.
    fn why_not(&self) -> &'static str;
}

/// Until the binary says otherwise, every request is refused: a plugin that needs a person
/// fails at once rather than waiting for one.
static PROMPTS: RwLock<Option<Arc<dyn PluginPrompts>>> = RwLock::new(None);

thread_local! {
    /// Set when a request of a plugin went unanswered during the current decryption (plugins
    /// run on the thread that decrypts), so its failure can say why.
    static REFUSED: Cell<Option<&'static str>> = const { Cell::new(None) };
    /// Inside [`remembering_file_keys`]: the last file key unwrapped, with a digest of the
    /// stanzas it came from.
    static REMEMBERED: std::cell::RefCell<Memory> = const { std::cell::RefCell::new(Memory::Off) };
}

enum Memory {
    /// Outside [`remembering_file_keys`].
    Off,
    Empty,
    Holds(Remembered),
}

struct Remembered {
    stanzas: [u8; 32],
    file_key: zeroize::Zeroizing<[u8; 16]>,
}

/// Runs `read`, in which every file opened on this thread whose header holds the very stanzas
/// of one opened before in it is opened with the file key unwrapped then: reading one file
/// twice with one identity (the names for a hint after a miss) asks a plugin identity for one
/// touch or PIN, not two. The key is wiped when `read` returns. The caller reads with one
/// identity throughout: a remembered key is given whatever the identities asked.
pub fn remembering_file_keys<T>(read: impl FnOnce() -> T) -> T {
    struct Forget;
    impl Drop for Forget {
        fn drop(&mut self) {
            REMEMBERED.with_borrow_mut(|memory| *memory = Memory::Off);
        }
    }
    REMEMBERED.with_borrow_mut(|memory| *memory = Memory::Empty);
    let _forget = Forget;
    read()
}

/// The identities a file is opened with, as age tries them (each in turn, the first answer
/// wins), remembering what they unwrap inside [`remembering_file_keys`].
struct Remembering<'a>(&'a [AgeIdentity]);

impl age::Identity for Remembering<'_> {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, age::DecryptError>> {
        self.unwrap_stanzas(std::slice::from_ref(stanza))
    }

    fn unwrap_stanzas(&self, stanzas: &[Stanza]) -> Option<Result<FileKey, age::DecryptError>> {
        use age::secrecy::ExposeSecret as _;
        let digest = REMEMBERED
            .with_borrow(|memory| !matches!(memory, Memory::Off))
            .then(|| stanzas_digest(stanzas));
        if let Some(digest) = digest {
            let known = REMEMBERED.with_borrow(|memory| match memory {
                Memory::Holds(r) if r.stanzas == digest => Some(FileKey::init_with_mut(|key| {
                    key.copy_from_slice(&r.file_key[..]);
                })),
                _ => None,
            });
            if let Some(file_key) = known {
                return Some(Ok(file_key));
            }
        }
        let found = self.0.iter().find_map(|i| i.unwrap_stanzas(stanzas));
        if let (Some(digest), Some(Ok(file_key))) = (digest, &found) {
            REMEMBERED.with_borrow_mut(|memory| {
                *memory = Memory::Holds(Remembered {
                    stanzas: digest,
                    file_key: zeroize::Zeroizing::new(*file_key.expose_secret()),
                });
            });
        }
        found
    }
}

/// SHA-256 of a header's stanzas, each field length-prefixed.
fn stanzas_digest(stanzas: &[Stanza]) -> [u8; 32] {
    use sha2::{Digest as _, Sha256};
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    for stanza in stanzas {
        field(stanza.tag.as_bytes());
        field(&(stanza.args.len() as u64).to_le_bytes());
        for arg in &stanza.args {
            field(arg.as_bytes());
        }
        field(&stanza.body);
    }
    hasher.finalize().into()
}

/// Sets what answers plugins' requests from now on, in this process.
pub fn set_plugin_prompts(prompts: Arc<dyn PluginPrompts>) {
    *PROMPTS.write().unwrap_or_else(PoisonError::into_inner) = Some(prompts);
}

/// The `age::Callbacks` every plugin gets: whatever `set_plugin_prompts` set, when it runs.
#[derive(Clone, Copy)]
struct Prompts;

impl Prompts {
    fn answer<T>(ask: impl FnOnce(&dyn PluginPrompts) -> Option<T>) -> Option<T> {
        let prompts = PROMPTS
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let answer = prompts.as_deref().and_then(ask);
        if answer.is_none() {
            REFUSED.set(Some(prompts.as_deref().map_or(
                "nothing here can answer a plugin's prompt",
                PluginPrompts::why_not,
            )));
        }
        answer
    }
}

impl age::Callbacks for Prompts {
    fn display_message(&self, message: &str) {
        if let Some(prompts) = PROMPTS
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_deref()
        {
            prompts.show(message);
        }
    }

    fn confirm(&self, message: &str, yes: &str, no: Option<&str>) -> Option<bool> {
        Self::answer(|p| p.confirm(message, yes, no))
    }

    fn request_public_string(&self, description: &str) -> Option<String> {
        Self::answer(|p| p.ask(description, false)).map(|value| value.expose().to_owned())
    }

    fn request_passphrase(&self, description: &str) -> Option<SecretString> {
        Self::answer(|p| p.ask(description, true)).map(|value| to_secret_string(&value))
    }
}

/// A plugin's recipient, its plugin found on PATH only when a file is encrypted to it: a
/// vault names it whether or not this machine has the plugin, and only a save needs it.
struct PluginRecipient(age::plugin::Recipient);

impl age::Recipient for PluginRecipient {
    fn wrap_file_key(
        &self,
        file_key: &FileKey,
    ) -> Result<(Vec<Stanza>, HashSet<String>), age::EncryptError> {
        age::plugin::RecipientPluginV1::new(
            self.0.plugin(),
            std::slice::from_ref(&self.0),
            &[],
            Prompts,
        )
        .map_err(age::EncryptError::PluginResolve)?
        .wrap_file_key(file_key)
    }
}

/// Whether this line of an identity file is a plugin's identity (`AGE-PLUGIN-NAME-1…`).
pub fn is_plugin_identity(line: &str) -> bool {
    line.starts_with("AGE-PLUGIN-")
}

/// The plugin identities of a file (lines `is_plugin_identity` accepts), one age identity per
/// plugin, each plugin found on PATH now. `Err(reason)` names the line or the missing binary.
pub fn plugin_identities(lines: &[(usize, &str)]) -> Result<Vec<AgeIdentity>, String> {
    let mut parsed: Vec<age::plugin::Identity> = Vec::new();
    for &(number, line) in lines {
        let identity = line
            .parse()
            .map_err(|_| format!("line {number} is not a valid plugin identity"))?;
        parsed.push(identity);
    }
    let mut names: Vec<&str> = parsed.iter().map(age::plugin::Identity::plugin).collect();
    names.dedup();
    let mut keys: Vec<AgeIdentity> = Vec::new();
    for name in names {
        let plugin =
            age::plugin::IdentityPluginV1::new(name, &parsed, Prompts).map_err(
                |err| match err {
                    age::plugin::ResolveError::MissingPlugin { binary_name } => {
                        missing_plugin(&binary_name)
                    }
                    _ => format!("{name:?} is not a valid plugin name"),
                },
            )?;
        keys.push(Box::new(plugin));
    }
    Ok(keys)
}

/// The plugin a recipient (`age1NAME1…`) belongs to, when it is a plugin's.
pub fn plugin_of_recipient(key: &str) -> Option<String> {
    key.parse::<age::plugin::Recipient>()
        .ok()
        .map(|recipient| recipient.plugin().to_owned())
}

/// The plugin an identity line (`AGE-PLUGIN-NAME-1…`) belongs to.
pub fn plugin_of_identity(line: &str) -> Option<String> {
    line.parse::<age::plugin::Identity>()
        .ok()
        .map(|identity| identity.plugin().to_owned())
}

fn missing_plugin(binary_name: &str) -> String {
    format!(
        "{binary_name} not found on PATH; install it (e.g. cargo install {binary_name}, or \
         your distribution's package)"
    )
}

/// A plugin's errors (age does not name their type outside the crate), on one line.
fn plugin_errors<E: ToString>(errors: &[E]) -> String {
    let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
    if all.is_empty() {
        "the plugin failed".into()
    } else {
        all.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> (AgeIdentity, String) {
        let id = age::x25519::Identity::generate();
        let public = id.to_public().to_string();
        (Box::new(id), public)
    }

    #[test]
    fn round_trip_and_failures() {
        let (id, public) = identity();
        let (other, _) = identity();
        let (recipient, canonical) = parse_recipient(&public).unwrap();
        assert_eq!(canonical, public);
        let ct = encrypt(b"{\"entries\":{}}", &[recipient]).unwrap();
        assert_eq!(
            &decrypt(&ct, std::slice::from_ref(&id)).unwrap()[..],
            b"{\"entries\":{}}"
        );
        assert_eq!(decrypt(&ct, &[other]).unwrap_err(), DecryptFailure::NoMatch);
        // Cut inside the last chunk, truncation cannot be told from tampering: both are refused.
        assert!(decrypt(&ct[..ct.len() - 5], std::slice::from_ref(&id)).is_err());
        assert_eq!(
            decrypt(&ct[..20], std::slice::from_ref(&id)).unwrap_err(),
            DecryptFailure::Truncated
        );
        let mut tampered = ct.clone();
        let last = tampered.len() - 3;
        tampered[last] ^= 1;
        assert_eq!(
            decrypt(&tampered, std::slice::from_ref(&id)).unwrap_err(),
            DecryptFailure::Tampered
        );
        assert_eq!(
            decrypt(b"{\"entries\":{}}", &[id]).unwrap_err(),
            DecryptFailure::NotAge
        );
    }

    /// An identity that unwraps as the one it wraps does, counting how often it is asked: a
    /// plugin that needs a touch each time.
    struct Counted(AgeIdentity, std::sync::atomic::AtomicUsize);

    impl age::Identity for Counted {
        fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, age::DecryptError>> {
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.0.unwrap_stanza(stanza)
        }
    }

    #[test]
    fn a_file_key_is_remembered_for_one_read_and_forgotten_after() {
        let (id, public) = identity();
        let counted = std::sync::Arc::new(Counted(id, 0.into()));
        let asked = || counted.1.load(std::sync::atomic::Ordering::SeqCst);
        let ids: Vec<AgeIdentity> = vec![Box::new(ArcIdentity(counted.clone()))];
        let (recipient, _) = parse_recipient(&public).unwrap();
        let ct = encrypt(b"{\"entries\":{}}", &[recipient]).unwrap();
        remembering_file_keys(|| {
            assert!(decrypt(&ct, &ids).is_ok());
            assert!(decrypt(&ct, &ids).is_ok());
        });
        assert_eq!(asked(), 1, "asked once for two reads of one file");
        // Outside, nothing is remembered: the identity is asked, and another one fails.
        assert!(decrypt(&ct, &ids).is_ok());
        assert_eq!(asked(), 2);
        let (other, _) = identity();
        assert_eq!(decrypt(&ct, &[other]).unwrap_err(), DecryptFailure::NoMatch);
        // Another file in the same read is not opened with the first one's key.
        let (recipient, _) = parse_recipient(&public).unwrap();
        let second = encrypt(b"{\"entries\":{}}", &[recipient]).unwrap();
        remembering_file_keys(|| {
            assert!(decrypt(&ct, &ids).is_ok());
            assert!(decrypt(&second, &ids).is_ok());
        });
        assert_eq!(asked(), 4);
    }

    struct ArcIdentity(std::sync::Arc<Counted>);

    impl age::Identity for ArcIdentity {
        fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, age::DecryptError>> {
            self.0.unwrap_stanza(stanza)
        }
    }

    #[test]
    fn passphrase_round_trip() {
        let pass = Secret::from("correct horse");
        let ct = encrypt_with_passphrase(b"key", &pass, 10).unwrap();
        assert_eq!(&decrypt_with_passphrase(&ct, &pass).unwrap()[..], b"key");
        assert_eq!(
            decrypt_with_passphrase(&ct, &Secret::from("wrong")).unwrap_err(),
            DecryptFailure::NoMatch
        );
        let (id, _) = identity();
        assert_eq!(
            decrypt(&ct, &[id]).unwrap_err(),
            DecryptFailure::PassphraseFile
        );
    }

    /// `file` with `extra` put into its header, before the MAC line.
    fn spliced(file: &[u8], extra: &[u8]) -> Vec<u8> {
        let mac = file.windows(4).position(|w| w == b"\n---").unwrap() + 1;
        [&file[..mac], extra, &file[mac..]].concat()
    }

    #[test]
    fn headers_beyond_the_bounds_are_refused_before_age_reads_them() {
        let (id, public) = identity();
        let (recipient, _) = parse_recipient(&public).unwrap();
        let ct = encrypt(b"{}", &[recipient]).unwrap();
        let ids = std::slice::from_ref(&id);
        let lines = "-> x\n\n".repeat(MAX_HEADER_LINES / 2);
        assert_eq!(
            decrypt(&spliced(&ct, lines.as_bytes()), ids).unwrap_err(),
            DecryptFailure::HeaderTooLarge
        );
        let long = format!("-> x {}\n\n", "A".repeat(MAX_HEADER_BYTES));
        assert_eq!(
            decrypt(&spliced(&ct, long.as_bytes()), ids).unwrap_err(),
            DecryptFailure::HeaderTooLarge
        );
        // Within the bounds, age reads it, and finds the MAC no longer matches.
        assert_eq!(
            decrypt(&spliced(&ct, b"-> x\n\n"), ids).unwrap_err(),
            DecryptFailure::Tampered
        );
        // A text file of many lines is still "not age", not a large header.
        assert_eq!(
            decrypt("{}\n".repeat(5000).as_bytes(), ids).unwrap_err(),
            DecryptFailure::NotAge
        );
        let pass = Secret::from("p");
        let locked = encrypt_with_passphrase(b"key", &pass, 10).unwrap();
        assert_eq!(
            decrypt_with_passphrase(&spliced(&locked, lines.as_bytes()), &pass).unwrap_err(),
            DecryptFailure::HeaderTooLarge
        );
    }

    #[test]
    fn a_work_factor_above_the_bound_is_refused_before_scrypt() {
        let pass = Secret::from("p");
        let ct = encrypt_with_passphrase(b"key", &pass, 10).unwrap();
        let text = String::from_utf8_lossy(&ct).into_owned();
        let line = text.lines().nth(1).unwrap();
        assert!(
            line.starts_with("-> scrypt ") && line.ends_with(" 10"),
            "{line}"
        );
        let raised = line.replace(" 10", " 30");
        let at = ct
            .windows(line.len())
            .position(|w| w == line.as_bytes())
            .unwrap();
        let bomb = [&ct[..at], raised.as_bytes(), &ct[at + line.len()..]].concat();
        // 2^30: 1 TiB of memory, were it run.
        assert_eq!(
            decrypt_with_passphrase(&bomb, &pass).unwrap_err(),
            DecryptFailure::WorkFactorTooHigh(30)
        );
    }

    #[test]
    fn recipients_are_checked_and_canonical() {
        let (_, public) = identity();
        assert_eq!(parse_recipient(&format!(" {public}\n")).unwrap().1, public);
        assert!(parse_recipient("age1nope").is_err());
        assert!(parse_recipient("hello").is_err());
        assert!(parse_recipient("ssh-ed25519 AAAA").is_err());
    }
}
