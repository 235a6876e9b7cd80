//! Whose signature a user accepts. Trust is local, never read from the vault: the user's trust
//! list (`$XDG_CONFIG_HOME/vault/trust`), and for a job the `# vault-trust: KEY` pins in its
//! own identity file.
//!
//! An identity has anchors when its file carries pins, or when its own writer key is in the
//! user's trust list (an operator). With anchors, every read and write refuses a vault not
//! signed by an anchored writer. Without (a job key made without pins, or a user who has not
//! adopted signing yet), reads work as they always did, and writes still need a signature by a
//! writer the user trusts: a listed one, or the user's own key.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::atomic::{self, Mode};
use crate::error::{Error, Result};
use crate::os;
use crate::signature::Signed;
use crate::writer::WriterId;

/// The comment that pins a writer in a job's identity file.
pub const PIN_PREFIX: &str = "# vault-trust:";

/// The user's trust list: writers whose vaults they accept, each with a name.
#[derive(Debug, Clone, Default)]
pub struct TrustList {
    pub writers: Vec<(WriterId, String)>,
}

/// Where the user's trust list is: `VAULT_TRUST`, else beside the default identity
/// (`$XDG_CONFIG_HOME/vault/trust`, `%APPDATA%\vault\trust`).
pub fn default_path() -> Option<PathBuf> {
    std::env::var_os("VAULT_TRUST")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| os::default_identity_path().map(|identity| identity.with_file_name("trust")))
}

/// The name a user's own writer key has in their trust list.
pub const SELF_NAME: &str = "self";

/// Puts the user's own writer key in their trust list (made if need be): from then on their
/// vaults must be signed by a writer they trust. Does nothing where there is no list.
pub fn list_own_writer(own: &WriterId) -> Result<()> {
    let Some(path) = default_path() else {
        return Ok(());
    };
    let mut list = TrustList::load(&path)?;
    if !list.contains(own) {
        // A second identity of the same user (or a new one after a lost key) is "self-2".
        let name = (1..=list.writers.len() + 1)
            .map(|n| {
                if n == 1 {
                    SELF_NAME.to_owned()
                } else {
                    format!("{SELF_NAME}-{n}")
                }
            })
            .find(|name| list.writers.iter().all(|(_, taken)| taken != name))
            .expect("an unused name");
        list.add(own.clone(), &name)?;
        list.save(&path)?;
    }
    Ok(())
}

impl TrustList {
    /// The list at `path`; empty when there is none. A list that others could change is
    /// refused: whoever writes it decides which vaults this user accepts.
    pub fn load(path: &Path) -> Result<Self> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(TrustList::default()),
            Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), e)),
        };
        check_not_writable_by_others(path)?;
        let mut writers = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, name) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let id = WriterId::parse(key).map_err(|reason| Error::Other {
                message: format!("line {} of {}: {reason}", number + 1, path.display()),
                hint: Some("fix or remove that line; vault trust list shows the rest".into()),
            })?;
            writers.push((id, name.trim().to_owned()));
        }
        Ok(TrustList { writers })
    }

    /// Writes the list atomically, 0600.
    pub fn save(&self, path: &Path) -> Result<()> {
        let dir = atomic::parent_dir(path);
        os::create_private_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
        let mut text =
            String::from("# writers whose signed vaults you accept (vault trust add / remove)\n");
        for (id, name) in &self.writers {
            let _ = writeln!(text, "{id} {name}");
        }
        atomic::write(path, text.as_bytes(), Mode::Private)
            .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
    }

    pub fn contains(&self, id: &WriterId) -> bool {
        self.writers.iter().any(|(w, _)| w == id)
    }

    pub fn name_of(&self, id: &WriterId) -> Option<&str> {
        self.writers
            .iter()
            .find(|(w, _)| w == id)
            .map(|(_, name)| name.as_str())
    }

    /// Adds a writer; refuses a name or a key already listed.
    pub fn add(&mut self, id: WriterId, name: &str) -> Result<()> {
        if name.trim().is_empty() || name.chars().any(|c| c.is_control() || c == '\n') {
            return Err(Error::Usage(
                "a trusted writer needs a name, such as alice@laptop".into(),
            ));
        }
        if let Some(existing) = self.name_of(&id) {
            return Err(Error::with_hint(
                format!("that writer key is already trusted as '{existing}'"),
                "vault trust list shows the list",
            ));
        }
        if self.writers.iter().any(|(_, n)| n == name) {
            return Err(Error::with_hint(
                format!("a trusted writer is already named '{name}'"),
                "choose another name, or vault trust remove it first",
            ));
        }
        self.writers.push((id, name.to_owned()));
        Ok(())
    }

    /// Removes the writer named `name` (or whose key is `name`).
    pub fn remove(&mut self, name: &str) -> Result<(WriterId, String)> {
        let at = self
            .writers
            .iter()
            .position(|(id, n)| n == name || id.to_string() == name)
            .ok_or_else(|| {
                Error::with_hint(
                    format!("no trusted writer named '{name}'"),
                    "vault trust list shows them",
                )
            })?;
        Ok(self.writers.remove(at))
    }
}

/// Whom one identity accepts as the author of a vault.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// The identity's own writer key, when it has one.
    pub own: Option<WriterId>,
    /// Writers pinned in the identity file.
    pub pins: Vec<WriterId>,
    /// The user's trust list.
    pub list: TrustList,
}

/// Why a vault is not accepted: who signed it, as far as can be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Unsigned,
    /// Signed by a writer this identity does not trust.
    UnknownWriter(WriterId),
    /// A signature that does not verify: the document was changed after it was signed.
    BadSignature(Option<WriterId>),
}

impl Trust {
    /// Writers that make every read strict: the pins, and the trust list of an operator (a
    /// user whose own key is in it).
    fn anchors(&self) -> impl Iterator<Item = &WriterId> {
        let operator = self.own.as_ref().is_some_and(|own| self.list.contains(own));
        self.pins.iter().chain(
            self.list
                .writers
                .iter()
                .map(|(id, _)| id)
                .filter(move |_| operator),
        )
    }

    pub fn has_anchors(&self) -> bool {
        self.anchors().next().is_some()
    }

    /// Whether a reader with this trust may use a vault signed as `signed`.
    pub fn check_read(&self, signed: &Signed) -> Result<(), Refusal> {
        if !self.has_anchors() {
            return Ok(());
        }
        match signed {
            Signed::By(writer) if self.anchors().any(|a| a == writer) => Ok(()),
            other => Err(refusal(other)),
        }
    }

    /// Whether a writer with this trust may build on a vault signed as `signed`: always needs
    /// a signature by an anchor, a listed writer or the identity itself.
    pub fn check_write(&self, signed: &Signed) -> Result<(), Refusal> {
        match signed {
            Signed::By(writer)
                if self.anchors().any(|a| a == writer)
                    || self.list.contains(writer)
                    || self.own.as_ref() == Some(writer) =>
            {
                Ok(())
            }
            other => Err(refusal(other)),
        }
    }

    /// Who signed a vault, in words for a one-line message: "it is unsigned", "it is signed by
    /// 'alice' (vaultw1…)", "its signature by you (…) does not match its content".
    pub fn describe_signed(&self, signed: &Signed) -> String {
        match signed {
            Signed::Unsigned => "it is unsigned".to_owned(),
            Signed::By(writer) => format!("it is signed by {}", self.describe(writer)),
            Signed::Invalid(Some(writer)) => format!(
                "its signature by {} does not match its content",
                self.describe(writer)
            ),
            Signed::Invalid(None) => "its signature is malformed".to_owned(),
        }
    }

    /// How a writer is known here: "you", a name from the list, "pinned", or its key.
    pub fn describe(&self, writer: &WriterId) -> String {
        if self.own.as_ref() == Some(writer) {
            return format!("you ({})", writer.short());
        }
        if let Some(name) = self.list.name_of(writer) {
            return format!("'{name}' ({})", writer.short());
        }
        if self.pins.contains(writer) {
            return format!("a pinned writer ({})", writer.short());
        }
        format!("an unknown writer {writer}")
    }
}

fn refusal(signed: &Signed) -> Refusal {
    match signed {
        Signed::Unsigned => Refusal::Unsigned,
        Signed::By(writer) => Refusal::UnknownWriter(writer.clone()),
        Signed::Invalid(writer) => Refusal::BadSignature(writer.clone()),
    }
}

/// Pins in the text of an identity file: `# vault-trust: KEY` lines.
pub fn pins_in(path: &Path, text: &str) -> Result<Vec<WriterId>> {
    let mut pins = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let Some(key) = line.trim().strip_prefix(PIN_PREFIX) else {
            continue;
        };
        let id = WriterId::parse(key).map_err(|reason| Error::IdentityInvalid {
            path: path.to_owned(),
            reason: format!("line {} pins no writer: {reason}", number + 1),
        })?;
        pins.push(id);
    }
    Ok(pins)
}

#[cfg(unix)]
fn check_not_writable_by_others(path: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta =
        fs::metadata(path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    let refused = |reason: String, hint: String| Error::IdentityRefused {
        what: "trust list",
        path: path.to_owned(),
        reason,
        hint,
    };
    if meta.uid() != rustix::process::geteuid().as_raw() {
        return Err(refused(
            "it is owned by another user".into(),
            "keep your own trust list; run as the user it belongs to".into(),
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(refused(
            format!(
                "its mode {:03o} lets others change whom you trust",
                meta.mode() & 0o777
            ),
            format!("chmod 600 {}", path.display()),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
#[allow(clippy::unnecessary_wraps)] // the Unix check's shape
fn check_not_writable_by_others(path: &Path) -> Result<()> {
    // The directory it lives in is made private to the user (a protected access list).
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writer::WriterKey;

    fn ids(n: usize) -> Vec<WriterId> {
        (0..n).map(|_| WriterKey::generate().id()).collect()
    }

    #[test]
    fn without_anchors_reads_accept_anything_and_writes_need_a_known_writer() {
        let [me, other] = <[WriterId; 2]>::try_from(ids(2)).unwrap();
        let trust = Trust {
            own: Some(me.clone()),
            ..Trust::default()
        };
        assert!(!trust.has_anchors());
        for signed in [
            Signed::Unsigned,
            Signed::By(other.clone()),
            Signed::Invalid(None),
        ] {
            assert!(trust.check_read(&signed).is_ok());
            assert!(trust.check_write(&signed).is_err());
        }
        assert!(trust.check_write(&Signed::By(me)).is_ok());
    }

    #[test]
    fn an_operator_accepts_only_listed_writers() {
        let [me, alice, mallory] = <[WriterId; 3]>::try_from(ids(3)).unwrap();
        let mut list = TrustList::default();
        list.add(me.clone(), "self").unwrap();
        list.add(alice.clone(), "alice").unwrap();
        let trust = Trust {
            own: Some(me.clone()),
            pins: vec![],
            list,
        };
        assert!(trust.has_anchors());
        assert!(trust.check_read(&Signed::By(alice.clone())).is_ok());
        assert!(trust.check_read(&Signed::By(me)).is_ok());
        assert_eq!(
            trust.check_read(&Signed::By(mallory.clone())),
            Err(Refusal::UnknownWriter(mallory.clone()))
        );
        assert_eq!(trust.check_read(&Signed::Unsigned), Err(Refusal::Unsigned));
        assert!(trust.check_write(&Signed::By(mallory)).is_err());
    }

    #[test]
    fn a_pinned_job_trusts_its_pins_and_not_its_own_key() {
        let [job, operator] = <[WriterId; 2]>::try_from(ids(2)).unwrap();
        let trust = Trust {
            own: Some(job.clone()),
            pins: vec![operator.clone()],
            list: TrustList::default(),
        };
        assert!(trust.check_read(&Signed::By(operator)).is_ok());
        assert!(trust.check_read(&Signed::By(job)).is_err());
    }

    #[test]
    fn the_list_refuses_repeats_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trust");
        let [a, b] = <[WriterId; 2]>::try_from(ids(2)).unwrap();
        let mut list = TrustList::default();
        list.add(a.clone(), "a").unwrap();
        assert!(list.add(a.clone(), "again").is_err());
        assert!(list.add(b.clone(), "a").is_err());
        list.add(b.clone(), "b b").unwrap();
        list.save(&path).unwrap();
        let back = TrustList::load(&path).unwrap();
        assert_eq!(back.writers, list.writers);
        assert_eq!(back.name_of(&b), Some("b b"));
        let mut back = back;
        assert_eq!(back.remove("a").unwrap().0, a);
        assert!(back.remove("a").is_err());
    }

    #[test]
    fn pins_are_read_from_comment_lines() {
        let [a] = <[WriterId; 1]>::try_from(ids(1)).unwrap();
        let text = format!("# created: now\n{PIN_PREFIX} {a}\nAGE-SECRET-KEY-1XYZ\n");
        assert_eq!(pins_in(Path::new("k"), &text).unwrap(), vec![a]);
        assert!(pins_in(Path::new("k"), &format!("{PIN_PREFIX} nonsense\n")).is_err());
    }
}
