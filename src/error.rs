//! One error type for the whole program. Each variant knows its exit code (the table in the
//! README) and, where it helps, a hint. Messages name files and entries, never a secret or a
//! file's content.

use std::io;
use std::path::PathBuf;

use crate::trust::Refusal;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no entry '{name}' in {}", vault.display())]
    NoEntry {
        name: String,
        vault: PathBuf,
        /// The names nearest to `name`, for "did you mean".
        nearest: Vec<String>,
    },

    #[error("entry '{entry}' has no field '{field}'")]
    NoField { entry: String, field: String },

    #[error("nothing in {} matches '{pattern}'", vault.display())]
    NoMatch { pattern: String, vault: PathBuf },

    #[error("entry '{entry}' has no earlier password {number}")]
    NoEarlierPassword { entry: String, number: usize },

    #[error("no recipient named '{0}'")]
    NoRecipient(String),

    #[error("no identity in {} can decrypt {}", identity.display(), vault.display())]
    NoMatchingIdentity { identity: PathBuf, vault: PathBuf },

    #[error("wrong passphrase for {}", .0.display())]
    WrongPassphrase(PathBuf),

    #[error("{} is encrypted with a passphrase and none can be asked here", .0.display())]
    PassphraseNeeded(PathBuf),

    #[error("identity file {} not found", .0.display())]
    IdentityMissing(PathBuf),

    #[error("no identity keyring:{0} in the OS credential store")]
    KeyringMissing(String),

    #[error("cannot reach the OS credential store for keyring:{name}: {reason}")]
    KeyringUnavailable { name: String, reason: String },

    #[error("cannot encrypt to a plugin recipient: {0}")]
    PluginUnavailable(String),

    #[error("refusing agent socket {}: {reason}", socket.display())]
    AgentRefused { socket: PathBuf, reason: String },

    #[error("{} is not a usable identity: {reason}", path.display())]
    IdentityInvalid { path: PathBuf, reason: String },

    #[error("{what} {} refused: {reason}", path.display())]
    IdentityRefused {
        what: &'static str,
        path: PathBuf,
        reason: String,
        hint: String,
    },

    #[error("vault {} not found", .0.display())]
    VaultMissing(PathBuf),

    #[error("vault {} already exists", .0.display())]
    VaultExists(PathBuf),

    #[error("{} is not a readable vault: {reason}", path.display())]
    VaultUnreadable { path: PathBuf, reason: String },

    #[error("{} uses vault format {found}, newer than this version knows ({known})", path.display())]
    VaultTooNew {
        path: PathBuf,
        found: u64,
        known: u64,
    },

    #[error("vault {} is busy: another writer holds {}", vault.display(), lock.display())]
    Busy { vault: PathBuf, lock: PathBuf },

    #[error("{0} changed on disk since it was read")]
    Changed(String),

    #[error("entry '{0}' already exists")]
    EntryExists(String),

    #[error("recipient {0} is already in the vault")]
    RecipientExists(String),

    #[error("invalid entry name {name:?}: {reason}")]
    InvalidName { name: String, reason: &'static str },

    #[error("{0}")]
    Usage(String),

    #[error("{} was not written by a writer you trust: {who}", vault.display())]
    Untrusted {
        vault: PathBuf,
        refusal: Refusal,
        /// The signer in words ("it is unsigned", "signed by an unknown writer vaultw1…").
        who: String,
    },

    #[error("{context}: {}", describe_io(source))]
    Io { context: String, source: io::Error },

    /// Already told to the user (by a helper process, on its stderr); only the code is left.
    #[error("exit {0}")]
    Reported(u8),

    #[error("{message}")]
    Other {
        message: String,
        hint: Option<String>,
    },
}

impl Error {
    /// The stable exit code scripts rely on.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::NoEntry { .. }
            | Error::NoField { .. }
            | Error::NoMatch { .. }
            | Error::NoEarlierPassword { .. }
            | Error::NoRecipient(_) => 3,
            Error::NoMatchingIdentity { .. }
            | Error::WrongPassphrase(_)
            | Error::PassphraseNeeded(_)
            | Error::IdentityMissing(_)
            | Error::KeyringMissing(_)
            | Error::KeyringUnavailable { .. }
            | Error::AgentRefused { .. }
            | Error::PluginUnavailable(_)
            | Error::IdentityInvalid { .. } => 4,
            Error::IdentityRefused { .. } => 5,
            Error::VaultMissing(_) | Error::VaultUnreadable { .. } | Error::VaultTooNew { .. } => 6,
            Error::Busy { .. } | Error::Changed(_) => 7,
            Error::InvalidName { .. } | Error::Usage(_) => 2,
            Error::Untrusted { .. } => 8,
            Error::Reported(code) => *code,
            Error::VaultExists(_)
            | Error::EntryExists(_)
            | Error::RecipientExists(_)
            | Error::Io { .. }
            | Error::Other { .. } => 1,
        }
    }

    /// What the user can do about it, when there is something useful to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::NoEntry { nearest, .. } => Some(match nearest.as_slice() {
                [] => "vault list shows the entries".into(),
                [one] => format!("did you mean {}?", crate::text::shell_word(one)),
                many => format!(
                    "did you mean one of {}?",
                    many.iter()
                        .map(|n| crate::text::shell_word(n))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
            Error::NoField { .. } => {
                Some("fields are username, password, url, notes, the entry's own, and otp and totp where it has a TOTP key".into())
            }
            Error::NoMatch { .. } => Some("vault list shows the entries".into()),
            Error::NoEarlierPassword { entry, .. } => Some(format!(
                "vault history {} numbers them",
                crate::text::shell_word(entry)
            )),
            Error::NoRecipient(_) => Some("vault recipients list shows them".into()),
            Error::NoMatchingIdentity { .. } => Some(
                "check --identity; the vault's owner adds your key with vault recipients add"
                    .into(),
            ),
            Error::PassphraseNeeded(_) => Some(
                "run it from a terminal, or give --passphrase-file FILE (a 0600 file or /dev/fd/N)"
                    .into(),
            ),
            Error::IdentityMissing(_) => {
                Some("create one with vault init, or point --identity at yours".into())
            }
            Error::KeyringMissing(name) => Some(format!(
                "create it with vault keygen --keyring {name}, or check the name"
            )),
            Error::KeyringUnavailable { .. } => Some(
                "on Linux it needs a D-Bus session with an unlocked Secret Service (a desktop \
                 login); a job without one uses an identity file or vault agent"
                    .into(),
            ),
            Error::IdentityRefused { hint, .. } => Some(hint.clone()),
            Error::AgentRefused { .. } => Some(
                "set VAULT_AGENT_SOCK to a path in a directory only you can enter, or fix the \
                 owner and mode of that one"
                    .into(),
            ),
            Error::VaultMissing(_) => {
                Some("create one with vault init, or point --vault at yours".into())
            }
            Error::VaultTooNew { .. } => Some("upgrade vault to read this file".into()),
            Error::Busy { .. } => Some("wait for the other writer, then try again".into()),
            Error::Changed(_) => Some("read it again and repeat the change".into()),
            Error::EntryExists(name) => Some(format!(
                "change it with vault edit {}",
                crate::text::shell_word(name)
            )),
            Error::Other { hint, .. } => hint.clone(),
            Error::Untrusted { vault, refusal, .. } => Some(match refusal {
                Refusal::Unsigned => "if you made this vault by hand or it predates signed vaults, \
                     check it and adopt it with vault trust accept"
                    .into(),
                Refusal::UnknownWriter(writer) => format!(
                    "if {} is another operator's writer key, vault trust add {writer} --name \
                     NAME; if not, someone rewrote the vault: restore {}.bak or a copy you trust",
                    writer.short(),
                    vault.display()
                ),
                Refusal::BadSignature(_) => format!(
                    "the document was changed after it was signed: restore {}.bak or a copy you \
                     trust",
                    vault.display()
                ),
            }),
            _ => None,
        }
    }

    /// No entry `name` in `vault`, naming the nearest of `names` it has.
    pub fn no_entry<'a>(
        name: &str,
        vault: impl Into<PathBuf>,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        Error::NoEntry {
            name: name.to_owned(),
            vault: vault.into(),
            nearest: crate::search::nearest(names, name)
                .into_iter()
                .map(str::to_owned)
                .collect(),
        }
    }

    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// An encryption that failed: exit 4 when a plugin a recipient needs is missing or refused.
    pub fn encrypting(what: &str, failure: crate::crypto::EncryptFailure) -> Self {
        match failure {
            crate::crypto::EncryptFailure::Plugin(reason) => Error::PluginUnavailable(reason),
            crate::crypto::EncryptFailure::Other(reason) => {
                Error::other(format!("cannot encrypt {what}: {reason}"))
            }
        }
    }

    pub fn other(message: impl Into<String>) -> Self {
        Error::Other {
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Other {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// A write to a closed pipe (`vault list | head -1`): not a failure worth reporting.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// `io::Error`'s own text is capitalised and OS-flavoured; keep messages in one style.
/// An I/O error as a lower-case phrase, for `context: phrase` messages.
pub fn describe_io(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => "not found".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::AlreadyExists => "already exists".into(),
        io::ErrorKind::IsADirectory => "is a directory".into(),
        io::ErrorKind::StorageFull => "no space left on the device".into(),
        io::ErrorKind::ReadOnlyFilesystem => "read-only file system".into(),
        _ => {
            let text = err.to_string();
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => "i/o error".into(),
            }
        }
    }
}

/// `vault: warning: …`, one line on stderr, escaped as errors are: for what the user should
/// know but that does not stop the command. Not while the terminal interface owns the screen
/// (raw mode), where a stray line would be drawn over.
pub fn warn(message: &str) {
    if crossterm::terminal::is_raw_mode_enabled().unwrap_or(false) {
        return;
    }
    eprintln!("vault: warning: {}", crate::text::one_line(message));
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
