//! Identities: the private keys that open a vault. Reading one checks the file's permissions
//! first, then accepts an age identity file (X25519 keys, and plugin identities whose plugin is
//! on PATH), the same encrypted with a passphrase (as `age -p` writes it), or an OpenSSH private
//! key (ed25519, rsa; encrypted or not).

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use age::secrecy::ExposeSecret;
use zeroize::Zeroizing;

use crate::credential_store;
use crate::crypto::{self, AgeIdentity, DecryptFailure};
use crate::document::timestamp_now;
use crate::error::{Error, Result};
use crate::os::{self, PrivateFileProblem};
use crate::secret::Secret;
use crate::trust::{self, Trust, TrustList};
use crate::writer::{self, Signer, WriterId, WriterKey};

/// Identity files are small; anything larger is not one (and is not read into memory).
const MAX_IDENTITY_BYTES: u64 = 1 << 20;

/// An unlocked identity: the keys, the public recipients they answer to, the writer key that
/// signs its saves, and whom it trusts as the author of a vault.
pub struct Identity {
    path: PathBuf,
    keys: Vec<AgeIdentity>,
    recipients: PublicKeys,
    /// Behind a lock: an SSH or plugin key's writer key file is made at the first save, through
    /// `&self`.
    writer: Mutex<Writer>,
    trust: Trust,
}

/// An identity's public keys, in the order of its keys. An age key's is derived from its secret
/// when first asked for: that costs about as much as decrypting a small vault, and a job's read
/// does not ask (unless the vault has scoped copies, one of which may be its own).
struct PublicKeys {
    worked_out: OnceLock<Vec<String>>,
    /// Copies of the age keys, until their public keys are worked out. Boxed, so a growing
    /// list moves pointers, never a secret (a copy left behind would not be wiped).
    #[allow(
        clippy::vec_box,
        reason = "a reallocation must not leave a secret behind"
    )]
    age_keys: Mutex<Vec<Box<age::x25519::Identity>>>,
    /// Known without deriving (plugins name theirs), after the age keys'.
    named: Vec<String>,
}

impl PublicKeys {
    fn known(keys: Vec<String>) -> Self {
        PublicKeys {
            worked_out: OnceLock::from(keys),
            age_keys: Mutex::default(),
            named: Vec::new(),
        }
    }

    fn get(&self) -> &[String] {
        self.worked_out.get_or_init(|| {
            // The copies are wiped as they go: the identity's own keys remain.
            let age_keys =
                std::mem::take(&mut *self.age_keys.lock().unwrap_or_else(PoisonError::into_inner));
            age_keys
                .iter()
                .map(|key| key.to_public().to_string())
                .chain(self.named.iter().cloned())
                .collect()
        })
    }
}

/// How an identity signs.
#[derive(Clone)]
pub enum Writer {
    /// A key in hand: derived from an age identity, read from its file, or held by the agent.
    Key(Arc<dyn Signer>),
    /// An SSH or plugin key's writer key file, not made yet: made at the first save that needs
    /// it.
    NotYet(PathBuf),
}

/// Asked for a passphrase for `path`; `attempt` counts the wrong ones before. `None` means no
/// (more) passphrase can be had: no terminal, or the tries are used up.
pub type AskPassphrase<'a> = &'a mut dyn FnMut(&Path, u32) -> Result<Option<Secret>>;

impl Identity {
    /// Keys that live elsewhere (the agent, at `path`): decrypting goes through `keys`, and
    /// `recipients` are their public keys, so a save still knows whom it must not lock out.
    pub fn held_elsewhere(
        path: PathBuf,
        keys: Vec<AgeIdentity>,
        recipients: Vec<String>,
        signer: Arc<dyn Signer>,
    ) -> Self {
        Identity {
            path,
            keys,
            recipients: PublicKeys::known(recipients),
            trust: Trust {
                own: Some(signer.id()),
                ..Trust::default()
            },
            writer: Mutex::new(Writer::Key(signer)),
        }
    }

    /// Adds the user's trust list to what this identity trusts.
    #[must_use]
    pub fn with_trust_list(mut self, list: TrustList) -> Self {
        self.trust.list = list;
        self
    }

    /// Adds the trust list at its default place (none there: nothing added).
    pub fn with_local_trust(self) -> Result<Self> {
        match trust::default_path() {
            Some(path) => Ok(self.with_trust_list(TrustList::load(&path)?)),
            None => Ok(self),
        }
    }

    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// What signs this identity's saves; an SSH or plugin key's writer key file is made here
    /// when it does not exist yet (0600, beside the key).
    pub fn signer(&self) -> Result<Arc<dyn Signer>> {
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let file = match &*writer {
            Writer::Key(signer) => return Ok(Arc::clone(signer)),
            Writer::NotYet(file) => file.clone(),
        };
        let key = WriterKey::generate();
        write_new(&file, key.file_text(&self.path).as_bytes())?;
        let signer: Arc<dyn Signer> = Arc::new(key);
        *writer = Writer::Key(Arc::clone(&signer));
        Ok(signer)
    }

    /// The public key this identity signs with (its writer key made first if need be).
    pub fn writer_id(&self) -> Result<WriterId> {
        self.signer().map(|signer| signer.id())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn keys(&self) -> &[AgeIdentity] {
        &self.keys
    }

    /// The canonical public keys of this identity's keys.
    pub fn recipients(&self) -> &[String] {
        self.recipients.get()
    }
}

/// A freshly generated age identity, as the text of an identity file.
pub struct NewIdentity {
    pub file_text: Secret,
    pub recipient: String,
}

pub fn generate() -> NewIdentity {
    generate_with_header("")
}

/// A new identity whose file carries `header` (comment lines, such as writer pins) after the
/// usual ones.
pub fn generate_with_header(header: &str) -> NewIdentity {
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let file_text = format!(
        "# created: {}\n# public key: {recipient}\n{header}{}\n",
        timestamp_now(),
        identity.to_string().expose_secret()
    );
    NewIdentity {
        file_text: Secret::new(file_text),
        recipient,
    }
}

/// Creates a new identity file at `path` (0600, its directory 0700 if new; never replacing a
/// file), encrypted with `passphrase` as `age -p` would, or plain when there is none.
pub fn create(path: &Path, passphrase: Option<&Secret>) -> Result<Identity> {
    let new = generate();
    let contents = match passphrase {
        None => Zeroizing::new(new.file_text.expose().as_bytes().to_vec()),
        Some(passphrase) => Zeroizing::new(
            crypto::encrypt_with_passphrase(
                new.file_text.expose().as_bytes(),
                passphrase,
                crypto::SCRYPT_WORK_FACTOR,
            )
            .map_err(|reason| Error::other(format!("cannot encrypt the identity: {reason}")))?,
        ),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        os::create_private_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    }
    write_new(path, &contents)?;
    parse_age(path, new.file_text.expose())
}

/// What marks an identity "path" as a systemd credential: `cred:NAME`, the file
/// `$CREDENTIALS_DIRECTORY/NAME` that `LoadCredential=` / `LoadCredentialEncrypted=` hand a
/// service.
pub const SYSTEMD_CREDENTIAL_PREFIX: &str = "cred:";

/// The name in `cred:NAME`, when `path` is one.
pub fn systemd_credential_name(path: &Path) -> Option<&str> {
    path.to_str()?.strip_prefix(SYSTEMD_CREDENTIAL_PREFIX)
}

/// Opens `cred:NAME` where systemd put it, checked as systemd lays it out (see
/// `os::open_credential_file`); gives the file's real path with it.
fn open_systemd_credential(path: &Path, name: &str) -> Result<(PathBuf, fs::File)> {
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(Error::Usage(format!(
            "{} names no credential: NAME in cred:NAME is a file name, without / or ..",
            path.display()
        )));
    }
    let dir = std::env::var_os("CREDENTIALS_DIRECTORY")
        .filter(|dir| Path::new(dir).is_absolute())
        .ok_or_else(|| Error::IdentityRefused {
            what: "identity",
            path: path.to_owned(),
            reason: "CREDENTIALS_DIRECTORY is not set (or not an absolute path)".into(),
            hint: format!(
                "cred:{name} is for a systemd service started with LoadCredentialEncrypted={name}:FILE; \
                 elsewhere give the key file's path"
            ),
        })?;
    let file = Path::new(&dir).join(name);
    let opened = os::open_credential_file(Path::new(&dir), name)
        .map_err(|problem| refusal(&file, "identity file", problem))?;
    Ok((file, opened))
}

/// Reads the identity at `path`, asking for a passphrase if it is encrypted.
pub fn load(path: &Path, ask: AskPassphrase) -> Result<Identity> {
    if let Some(name) = systemd_credential_name(path) {
        let (file, opened) = open_systemd_credential(path, name)?;
        return parse(&file, &read_limited(&file, opened)?, ask);
    }
    let data = if let Some(name) = credential_store::name_of(path) {
        credential_store::read(name)?
    } else {
        let file = open_private(path, "identity file")?;
        read_limited(path, file)?
    };
    parse(path, &data, ask)
}

/// Whether an identity is there to load (a file, or a name in the credential store).
pub fn exists(path: &Path) -> bool {
    if let Some(name) = systemd_credential_name(path) {
        return open_systemd_credential(path, name).is_ok();
    }
    match credential_store::name_of(path) {
        Some(name) => credential_store::read(name).is_ok(),
        None => fs::symlink_metadata(path).is_ok(),
    }
}

/// Opens a file that holds a secret (`what`: "identity file", "passphrase file") for reading,
/// refusing it, with the fix as the hint, when others could read it. The checks are made on the
/// open file, so what is read is what was checked.
pub fn open_private(path: &Path, what: &'static str) -> Result<fs::File> {
    os::open_private_file(path).map_err(|problem| refusal(path, what, problem))
}

/// The same checks on the file at `path` as it is now, for a caller that opens it itself.
pub fn check_private(path: &Path, what: &'static str) -> Result<()> {
    os::check_private_file(path).map_err(|problem| refusal(path, what, problem))
}

fn refusal(path: &Path, what: &'static str, problem: PrivateFileProblem) -> Error {
    let refused = |reason: String, hint: String| Error::IdentityRefused {
        what,
        path: path.to_owned(),
        reason,
        hint,
    };
    match problem {
        PrivateFileProblem::Missing if what == "identity file" => {
            Error::IdentityMissing(path.to_owned())
        }
        PrivateFileProblem::Missing => Error::io(
            format!("cannot read {what} {}", path.display()),
            std::io::ErrorKind::NotFound.into(),
        ),
        PrivateFileProblem::NotRegular(kind) => refused(
            format!("it is {kind}, not a regular file"),
            "point it at a key file".into(),
        ),
        PrivateFileProblem::OtherOwner => refused(
            "it is owned by another user".into(),
            // Not "chown it" first: run as root on a job's key, that would break the job.
            format!(
                "run vault as the user it belongs to (a job's key: as the job's user, \
                 sudo -u USER vault …); only if the key is yours, chown $USER {}",
                path.display()
            ),
        ),
        PrivateFileProblem::TooOpen(mode) => refused(
            format!("its mode {mode:03o} lets group or others read it"),
            format!("chmod 600 {}", path.display()),
        ),
        PrivateFileProblem::OpenToOthers(reason) => refused(
            reason,
            format!(
                "icacls \"{}\" /inheritance:r /grant:r \"%USERNAME%:F\"",
                path.display()
            ),
        ),
        PrivateFileProblem::Io(e) => Error::io(format!("cannot read {}", path.display()), e),
    }
}

/// Writes a new identity (or other secret) file, 0600, refusing to replace an existing one;
/// for `keyring:NAME`, a new entry in the credential store.
pub fn write_new(path: &Path, contents: &[u8]) -> Result<()> {
    if let Some(name) = credential_store::name_of(path) {
        return credential_store::write_new(name, contents);
    }
    let mut file = os::create_private_file(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::with_hint(
                format!(
                    "{} already exists; refusing to overwrite it",
                    path.display()
                ),
                "choose another path, or remove the old file first",
            )
        } else {
            Error::io(format!("cannot create {}", path.display()), e)
        }
    })?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

/// The recipients a `-R FILE` names: the lines of a recipients file, or the public keys of an
/// identity file, read without decrypting anything: an age identity's from its secret keys, an
/// SSH key's from its header, which OpenSSH keeps in the clear. An identity encrypted with a
/// passphrase hides its public key, and is refused rather than decrypted.
pub fn recipients_in_file(path: &Path) -> Result<Vec<String>> {
    let data = read_limited(path, open_for_reading(path)?)?;
    if crypto::looks_like_age(&data) {
        return Err(Error::Usage(format!(
            "{} is encrypted with a passphrase, and its public key is inside: give the key \
             (age1…; age -d {0} | age-keygen -y prints it) or a recipients file instead",
            path.display()
        )));
    }
    let text = std::str::from_utf8(&data).unwrap_or("");
    if text.contains("PRIVATE KEY-----") {
        return ssh_identity(path, text).map(|(_, recipient)| vec![recipient]);
    }
    if text.contains("AGE-SECRET-KEY-") {
        return parse_age(path, text).map(|identity| identity.recipients().to_vec());
    }
    if text.contains("AGE-PLUGIN-") {
        // Its plugin is not needed, nor run: the recipients are in its comments, or nowhere.
        let keys = plugin_recipients_in(text);
        if keys.is_empty() {
            return Err(Error::Usage(format!(
                "{} names no recipient for its plugin identity: give the plugin's recipient \
                 (age1NAME1…) instead",
                path.display()
            )));
        }
        return Ok(keys);
    }
    let mut keys = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (_, canonical) = crypto::parse_recipient(line).map_err(|reason| {
            Error::Usage(format!(
                "line {} of {}: {reason}",
                number + 1,
                path.display()
            ))
        })?;
        keys.push(canonical);
    }
    if keys.is_empty() {
        return Err(Error::Usage(format!(
            "{} holds no recipient",
            path.display()
        )));
    }
    Ok(keys)
}

/// The one recipient a file names (a recipients file or an identity file); a file with several
/// is refused, so that each gets a name of its own. `_ask` is never called (see
/// `recipients_in_file`); it stays for the callers that still pass one.
pub fn one_recipient_in_file(path: &Path, _ask: AskPassphrase) -> Result<String> {
    let mut keys = recipients_in_file(path)?;
    if keys.len() != 1 {
        return Err(Error::Usage(format!(
            "{} holds {} keys; add them one at a time, each with its own name",
            path.display(),
            keys.len()
        )));
    }
    Ok(keys.remove(0))
}

fn open_for_reading(path: &Path) -> Result<fs::File> {
    fs::File::open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::IdentityMissing(path.to_owned())
        } else {
            Error::io(format!("cannot read {}", path.display()), e)
        }
    })
}

/// The content of an open key file (`path` names it in errors), up to `MAX_IDENTITY_BYTES`.
fn read_limited(path: &Path, file: fs::File) -> Result<Zeroizing<Vec<u8>>> {
    let cannot = |e| Error::io(format!("cannot read {}", path.display()), e);
    let mut data = Zeroizing::new(Vec::with_capacity(8192));
    file.take(MAX_IDENTITY_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(cannot)?;
    if data.len() as u64 > MAX_IDENTITY_BYTES {
        return Err(invalid(path, "it is far too large for a key file"));
    }
    Ok(data)
}

/// An identity from the bytes of an identity file (any of the kinds `load` reads); `path`
/// only names it in errors.
pub fn parse(path: &Path, data: &[u8], ask: AskPassphrase) -> Result<Identity> {
    if crypto::looks_like_age(data) {
        return parse_encrypted(path, data, ask);
    }
    let text = std::str::from_utf8(data).map_err(|_| invalid(path, "it is not a text file"))?;
    if text.contains("-----BEGIN OPENSSH PRIVATE KEY-----")
        || text.contains("-----BEGIN RSA PRIVATE KEY-----")
    {
        return parse_ssh(path, text, ask);
    }
    parse_age(path, text)
}

/// An identity from the text of a plain age identity file.
pub fn parse_age(path: &Path, text: &str) -> Result<Identity> {
    let mut keys: Vec<AgeIdentity> = Vec::new();
    let mut age_keys = Vec::new();
    let mut writer = None;
    let mut plugin_lines = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if crypto::is_plugin_identity(line) {
            plugin_lines.push((number + 1, line));
            continue;
        }
        let key: age::x25519::Identity = line.parse().map_err(|_| {
            let what = if line.starts_with("age1") || line.starts_with("ssh-") {
                "a public key; an identity line starts with AGE-SECRET-KEY-1"
            } else {
                "not an age identity"
            };
            invalid(path, format!("line {} is {what}", number + 1))
        })?;
        age_keys.push(Box::new(key.clone()));
        // The first key signs: adding keys to a file never changes who it writes as.
        if writer.is_none() {
            writer = Some(WriterKey::derive_from_age(key.to_string().expose_secret()));
        }
        keys.push(Box::new(key));
    }
    let mut named = Vec::new();
    if !plugin_lines.is_empty() {
        keys.extend(
            crypto::plugin_identities(&plugin_lines).map_err(|reason| invalid(path, reason))?,
        );
        // A plugin identity need not hold its public key: the one its file's comments name
        // (as plugins write it) is how a save knows it keeps this identity's access.
        named = plugin_recipients_in(text);
    }
    let (writer, own) = match writer {
        Some(derived) => {
            let signer: Arc<dyn Signer> = Arc::new(derived);
            let id = signer.id();
            (Writer::Key(signer), Some(id))
        }
        // A plugin keeps its secret to itself: nothing to derive a writer key from.
        None if !plugin_lines.is_empty() => writer_file(path)?,
        None => return Err(invalid(path, "it holds no identity")),
    };
    Ok(Identity {
        path: path.to_owned(),
        keys,
        recipients: PublicKeys {
            worked_out: OnceLock::new(),
            age_keys: Mutex::new(age_keys),
            named,
        },
        trust: Trust {
            own,
            pins: trust::pins_in(path, text)?,
            list: TrustList::default(),
        },
        writer: Mutex::new(writer),
    })
}

/// The plugin recipients (`age1NAME1…`) named in an identity file's comments, as plugins write
/// them (`# recipient: …`, `#    Recipient: …`), for the plugins whose identities it holds.
fn plugin_recipients_in(text: &str) -> Vec<String> {
    let plugins: Vec<String> = text
        .lines()
        .filter_map(|line| crypto::plugin_of_identity(line.trim()))
        .collect();
    let mut found: Vec<String> = Vec::new();
    for comment in text.lines().filter_map(|l| l.trim().strip_prefix('#')) {
        for word in comment.split_whitespace() {
            let word = word.to_lowercase();
            let ours = crypto::plugin_of_recipient(&word).is_some_and(|p| plugins.contains(&p));
            if ours && !found.contains(&word) {
                found.push(word);
            }
        }
    }
    found
}

fn parse_encrypted(path: &Path, data: &[u8], ask: AskPassphrase) -> Result<Identity> {
    let mut attempt = 0;
    loop {
        let passphrase = next_passphrase(path, attempt, ask)?;
        match crypto::decrypt_with_passphrase(data, &passphrase) {
            Ok(plaintext) => {
                let text = std::str::from_utf8(&plaintext)
                    .map_err(|_| invalid(path, "its decrypted content is not an identity"))?;
                return parse_age(path, text);
            }
            Err(DecryptFailure::NoMatch) => attempt += 1,
            Err(DecryptFailure::WorkFactorTooHigh(log_n)) => {
                return Err(work_factor_too_high(
                    path,
                    &format!("scrypt log N {log_n}"),
                    crypto::MAX_SCRYPT_WORK_FACTOR.into(),
                ));
            }
            Err(other) => return Err(invalid(path, other.describe())),
        }
    }
}

/// An SSH private key and its public key (as a recipient), neither decrypted nor asking.
fn ssh_identity(path: &Path, text: &str) -> Result<(age::ssh::Identity, String)> {
    let parsed = age::ssh::Identity::from_buffer(text.as_bytes(), Some(path.display().to_string()))
        .map_err(|_| invalid(path, "it is not a valid SSH private key"))?;
    let recipient = age::ssh::Recipient::try_from(parsed.clone())
        .map_err(|_| {
            invalid(
                path,
                "this SSH key type is not supported (use ed25519 or rsa)",
            )
        })?
        .to_string();
    Ok((parsed, recipient))
}

fn parse_ssh(path: &Path, text: &str, ask: AskPassphrase) -> Result<Identity> {
    use age::ssh::Identity as Ssh;
    let (parsed, recipient) = ssh_identity(path, text)?;
    let key: AgeIdentity = match parsed {
        Ssh::Unencrypted(_) => Box::new(parsed),
        Ssh::Encrypted(encrypted) => {
            // Before any passphrase is asked for, let alone bcrypt run that many times.
            match openssh_bcrypt_rounds(text) {
                Some(rounds) if rounds <= crypto::MAX_BCRYPT_ROUNDS => {}
                Some(rounds) => {
                    return Err(work_factor_too_high(
                        path,
                        &format!("bcrypt with {rounds} rounds"),
                        crypto::MAX_BCRYPT_ROUNDS,
                    ));
                }
                None => return Err(invalid(path, "its key derivation cannot be read")),
            }
            let mut attempt = 0;
            loop {
                let passphrase = next_passphrase(path, attempt, ask)?;
                match encrypted.decrypt(crypto::to_secret_string(&passphrase)) {
                    Ok(key) => break Box::new(Ssh::from(key)),
                    Err(_) => attempt += 1,
                }
            }
        }
        Ssh::Unsupported(_) => {
            return Err(invalid(
                path,
                "this SSH key type is not supported (use ed25519 or rsa)",
            ));
        }
    };
    let (writer, own) = writer_file(path)?;
    Ok(Identity {
        path: path.to_owned(),
        keys: vec![key],
        recipients: PublicKeys::known(vec![recipient]),
        trust: Trust {
            own,
            pins: Vec::new(),
            list: TrustList::default(),
        },
        writer: Mutex::new(writer),
    })
}

/// An SSH or plugin key cannot derive a writer key: it lives in a file of its own beside the
/// key (for a plugin, beside the identity file).
fn writer_file(path: &Path) -> Result<(Writer, Option<WriterId>)> {
    let file = writer::key_file_for(path);
    if fs::symlink_metadata(&file).is_err() {
        return Ok((Writer::NotYet(file), None));
    }
    let opened = open_private(&file, "writer key file")?;
    let data = read_limited(&file, opened)?;
    let text = std::str::from_utf8(&data).map_err(|_| invalid(&file, "it is not a text file"))?;
    let key = WriterKey::parse_file(text).map_err(|reason| invalid(&file, reason))?;
    let id = key.id();
    Ok((Writer::Key(Arc::new(key)), Some(id)))
}

/// The bcrypt rounds an encrypted OpenSSH key asks for: its KDF options come before the
/// encrypted part, in the clear. `None` when that part does not parse.
fn openssh_bcrypt_rounds(text: &str) -> Option<u32> {
    // The options end within the first ~100 bytes; decoding no further keeps the rest of the
    // key, encrypted or not, out of this buffer.
    const PREFIX_CHARS: usize = 256;
    let body: String = text
        .lines()
        .skip_while(|line| !line.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"))
        .skip(1)
        .take_while(|line| !line.starts_with("-----END"))
        .flat_map(|line| line.trim().chars())
        .take(PREFIX_CHARS)
        .collect();
    let blob = decode_base64(body.as_bytes())?;
    let rest = blob.strip_prefix(b"openssh-key-v1\0")?;
    let (_cipher, rest) = ssh_string(rest)?;
    let (kdf, rest) = ssh_string(rest)?;
    let (options, _) = ssh_string(rest)?;
    if kdf != b"bcrypt" {
        return None;
    }
    let (_salt, rounds) = ssh_string(options)?;
    Some(u32::from_be_bytes(rounds.get(..4)?.try_into().ok()?))
}

/// An SSH wire-format string (a 32-bit big-endian length, then the bytes), and what follows.
fn ssh_string(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = u32::from_be_bytes(data.get(..4)?.try_into().ok()?);
    let rest = &data[4..];
    let len = usize::try_from(len).ok().filter(|&len| len <= rest.len())?;
    Some(rest.split_at(len))
}

/// Standard base64, stopping at padding; `None` on any other character.
fn decode_base64(text: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() / 4 * 3 + 3));
    let (mut bits, mut held) = (0u32, 0u32);
    for &c in text {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        bits = (bits << 6 | u32::from(value)) & 0xffff;
        held += 6;
        if held >= 8 {
            held -= 8;
            out.push((bits >> held).to_le_bytes()[0]);
        }
    }
    Some(out)
}

fn work_factor_too_high(path: &Path, found: &str, most: u32) -> Error {
    invalid(
        path,
        format!("work factor too high: {found}, more than the {most} vault accepts"),
    )
}

fn next_passphrase(path: &Path, attempt: u32, ask: AskPassphrase) -> Result<Secret> {
    match ask(path, attempt)? {
        Some(passphrase) => Ok(passphrase),
        None if attempt == 0 => Err(Error::PassphraseNeeded(path.to_owned())),
        None => Err(Error::WrongPassphrase(path.to_owned())),
    }
}

fn invalid(path: &Path, reason: impl Into<String>) -> Error {
    Error::IdentityInvalid {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::unnecessary_wraps)] // the shape AskPassphrase requires
    fn never(_: &Path, _: u32) -> Result<Option<Secret>> {
        Ok(None)
    }

    #[test]
    fn generated_identity_parses_back_to_its_recipient() {
        let new = generate();
        let identity = parse(
            Path::new("k"),
            new.file_text.expose().as_bytes(),
            &mut never,
        )
        .unwrap();
        assert_eq!(identity.recipients(), std::slice::from_ref(&new.recipient));
        assert!(
            new.file_text
                .expose()
                .contains(&format!("# public key: {}", new.recipient))
        );
    }

    #[test]
    fn encrypted_identity_asks_until_right_or_out_of_tries() {
        let new = generate();
        let pass = Secret::from("right");
        let data =
            crypto::encrypt_with_passphrase(new.file_text.expose().as_bytes(), &pass, 10).unwrap();
        let mut asked = Vec::new();
        let mut ask = |_: &Path, attempt: u32| {
            asked.push(attempt);
            Ok(Some(Secret::from(if attempt < 2 {
                "wrong"
            } else {
                "right"
            })))
        };
        let identity = parse(Path::new("k"), &data, &mut ask).unwrap();
        assert_eq!(identity.recipients(), [new.recipient]);
        assert_eq!(asked, [0, 1, 2]);

        let err = parse(Path::new("k"), &data, &mut never).err().unwrap();
        assert!(matches!(err, Error::PassphraseNeeded(_)));
        let mut once = |_: &Path, attempt: u32| Ok((attempt == 0).then(|| Secret::from("wrong")));
        let err = parse(Path::new("k"), &data, &mut once).err().unwrap();
        assert!(matches!(err, Error::WrongPassphrase(_)));
    }

    #[test]
    fn a_public_key_is_not_an_identity() {
        let new = generate();
        let err = parse(Path::new("k"), new.recipient.as_bytes(), &mut never)
            .err()
            .unwrap();
        assert!(err.to_string().contains("line 1 is a public key"), "{err}");
        assert_eq!(err.exit_code(), 4);
        let err = parse(Path::new("k"), b"# nothing\n", &mut never)
            .err()
            .unwrap();
        assert!(err.to_string().contains("holds no identity"), "{err}");
    }
}
