//! The vault file on disk. Readers take no lock: saves rename a whole new file into place, so
//! every read sees one complete version. Every write goes through [`Store::apply`]: lock, read
//! the vault as it is now, apply the change (which checks what the writer saw), encrypt to the
//! document's recipients, keep the previous version as `.bak`, replace atomically.

use std::ffi::OsString;
use std::fs::{self, File, TryLockError};
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;

use crate::atomic::{self, Mode};
use crate::change::Change;
use crate::crypto::{self, AgeRecipient, DecryptFailure, Decrypting, Verify};
use crate::secret::SecretBuf;
use crate::writer::Signer;

use crate::derived;
use crate::document::{Document, Entry, Listing, ParseError, Recipient};
use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::os;
use crate::scan::{self, Feed as _, Keep, Scan};
use crate::signature::{self, Signed};
use crate::splice::{self, Json};
use crate::trust::Refusal;

/// How long a writer waits for another one to finish.
pub const LOCK_WAIT: Duration = Duration::from_secs(5);

/// The name given to the operator's own key when a vault is created.
pub const OPERATOR: &str = "operator";

#[derive(Clone)]
pub struct Store {
    path: PathBuf,
}

impl Store {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Store { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn backup_path(&self) -> PathBuf {
        with_suffix(&self.real_path(), ".bak")
    }

    pub fn lock_path(&self) -> PathBuf {
        with_suffix(&self.real_path(), ".lock")
    }

    /// The encrypted bytes as they are on disk now.
    pub fn read(&self) -> Result<Vec<u8>> {
        match fs::read(&self.path) {
            Ok(bytes) => Ok(bytes),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Err(Error::VaultMissing(self.path.clone()))
            }
            Err(e) if e.kind() == io::ErrorKind::IsADirectory || self.path.is_dir() => {
                Err(self.unreadable("it is a directory"))
            }
            Err(e) => Err(Error::io(format!("cannot read {}", self.path.display()), e)),
        }
    }

    /// Decrypts and parses the vault, refusing it when the identity has anchors and no
    /// anchored writer signed it. Takes no lock and never writes.
    pub fn load(&self, identity: &Identity) -> Result<Document> {
        let (read, signed) = self.read_indexed(identity, identity.trust().has_anchors())?;
        self.check(identity, Check::Read, &signed)?;
        self.parse_indexed(read)
    }

    /// The whole plaintext this identity reads, as [`Store::read_plaintext`] finds it, and who
    /// signed it (`Unsigned` unless `verify`). Decrypted on a second thread, which hashes it as
    /// it goes; a large one is indexed meanwhile, on this one, for its entries to be parsed on
    /// two threads after (see [`Store::parse_indexed`]).
    fn read_indexed(&self, identity: &Identity, verify: bool) -> Result<(Indexed, Signed)> {
        let verify = if verify {
            Verify::Decrypting
        } else {
            Verify::No
        };
        let (path, mut feed, size) = self.plaintext_feed(identity, verify)?;
        if size < crypto::PIPELINE_FROM || !crypto::several_cores() {
            let (plaintext, signed) = read_all(&path, feed, size)?;
            return Ok((
                Indexed {
                    plaintext,
                    index: None,
                },
                signed,
            ));
        }
        let (plaintext, index) = splice::read(&mut feed, usize::try_from(size).unwrap_or(0));
        read_whole(&path, &feed)?;
        let index = Some(index);
        Ok((Indexed { plaintext, index }, feed.signed()))
    }

    /// The document [`Store::read_indexed`] read, without its signature.
    fn parse_indexed(&self, read: Indexed) -> Result<Document> {
        match read.index {
            Some(Ok(index)) => splice::parse_whole(&read.plaintext, index),
            // Small, or refused: the full parse, which says why as every whole read says it.
            _ => Document::parse(&read.plaintext),
        }
        .map(without_signature)
        .map_err(|err| self.invalid(err))
    }

    /// The entries' names, each read as `E` (see [`Listing`]), as [`Store::load`] would find
    /// them (the same signer check first, the same documents refused), without keeping any
    /// secret: what `list` needs. Takes no lock and never writes.
    pub fn load_listing<E: DeserializeOwned>(&self, identity: &Identity) -> Result<Listing<E>> {
        let (plaintext, signed) = self.read_plaintext_streamed(identity)?;
        self.check(identity, Check::Read, &signed)?;
        Listing::parse(&plaintext).map_err(|err| self.invalid(err))
    }

    /// The entries' names, sorted, as [`Store::load_listing`] with [`crate::document::Checked`]
    /// entries finds them (the same documents refused, the same signer check), checked as the
    /// plaintext is decrypted, without holding it: what `list` needs.
    pub fn load_names(&self, identity: &Identity) -> Result<Vec<String>> {
        let (path, mut feed, _) = self.plaintext_feed(identity, hashed_if_anchored(identity))?;
        let names = scan::list_names(&mut feed);
        read_whole(&path, &feed)?;
        self.check(identity, Check::Read, &feed.signed())?;
        names.map_err(|err| self.invalid(err))
    }

    /// The whole plaintext this identity reads, as [`Store::read_plaintext`] finds it, decrypted
    /// chunk by chunk into one buffer (a large file on a thread of its own, no copy of the
    /// ciphertext held), and who signed it, hashed as it arrives; when the identity has no
    /// anchors nothing depends on the signer, and it is not hashed (`Unsigned`).
    fn read_plaintext_streamed(&self, identity: &Identity) -> Result<(SecretBuf, Signed)> {
        let (path, feed, size) = self.plaintext_feed(identity, hashed_if_anchored(identity))?;
        read_all(&path, feed, size)
    }

    /// The vault as it is and who signed it, whatever this identity trusts: for showing a
    /// user what they are asked to accept. Takes no lock and never writes.
    pub fn inspect(&self, identity: &Identity) -> Result<(Document, Signed)> {
        let (read, signed) = self.inspect_unparsed(identity)?;
        Ok((read.parse()?, signed))
    }

    /// The vault as [`Store::inspect`] finds it, read to its end and its signature checked, its
    /// entries not parsed yet: a large one's names, and any entry, can be had before the whole
    /// document (an interface shows its list while the rest is parsed).
    pub fn inspect_unparsed(&self, identity: &Identity) -> Result<(Unparsed, Signed)> {
        let (read, signed) = self.read_indexed(identity, true)?;
        Ok((
            Unparsed {
                store: self.clone(),
                read,
            },
            signed,
        ))
    }

    /// How the recipients of `doc` differ from those of the last version a writer this
    /// identity trusts signed (the `.bak`): what a user is shown before adopting a vault.
    pub fn recipient_changes(&self, identity: &Identity, doc: &Document) -> RecipientChanges {
        let keys = |list: &[Recipient]| -> Vec<String> {
            list.iter().map(|r| crypto::canonical_key(&r.key)).collect()
        };
        let Some(before) = self.last_trusted(identity) else {
            return RecipientChanges {
                added: doc.recipients.clone(),
                removed: Vec::new(),
                compared: false,
            };
        };
        let (now_keys, before_keys) = (keys(&doc.recipients), keys(&before.recipients));
        let only_in = |list: &[Recipient], keys: &[String], other: &[String]| -> Vec<Recipient> {
            list.iter()
                .zip(keys)
                .filter(|(_, key)| !other.contains(key))
                .map(|(r, _)| r.clone())
                .collect()
        };
        RecipientChanges {
            added: only_in(&doc.recipients, &now_keys, &before_keys),
            removed: only_in(&before.recipients, &before_keys, &now_keys),
            compared: true,
        }
    }

    /// The previous version (`.bak`) when a writer this identity trusts signed it.
    pub fn last_trusted(&self, identity: &Identity) -> Option<Document> {
        let ciphertext = fs::read(self.backup_path()).ok()?;
        self.open(&ciphertext, identity, Check::Write)
            .ok()
            .map(|opened| opened.doc)
    }

    /// Creates an empty vault encrypted to `identity`'s keys (the first named `operator`);
    /// refuses if one exists.
    pub fn create_for(&self, identity: &Identity) -> Result<()> {
        let recipients = identity
            .recipients()
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let name = if i == 0 {
                    OPERATOR.into()
                } else {
                    format!("{OPERATOR}-{}", i + 1)
                };
                Recipient::new(name, key.clone())
            })
            .collect();
        self.create(&Document::new(recipients), identity)
    }

    /// Writes a new vault holding `doc`; refuses if one exists.
    pub fn create(&self, doc: &Document, identity: &Identity) -> Result<()> {
        let dir = atomic::parent_dir(&self.path);
        os::create_private_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
        let _lock = self.lock()?;
        if fs::symlink_metadata(&self.path).is_ok() {
            return Err(Error::VaultExists(self.path.clone()));
        }
        self.save(&mut doc.clone(), identity, None, 0)
    }

    /// Applies one change under the lock, to the vault as it is on disk now, and saves.
    /// Returns the document as saved.
    /// Only a vault signed by a writer the identity trusts is built on ([`Change::Adopt`]
    /// excepted: it is how a user accepts one); the new version is signed by the identity.
    pub fn apply(&self, identity: &Identity, change: Change) -> Result<Document> {
        let _lock = self.lock()?;
        atomic::remove_leftovers(&self.real_path());
        self.apply_locked(identity, change)
    }

    /// Applies one change as [`Store::apply`] does, without handing the document back. A
    /// change to named entries (an add, an edit, a delete) parses only those, and those a
    /// scoped recipient is granted: every other entry is checked as a full parse checks it
    /// and written back as it was (see [`splice`]).
    pub fn save_change(&self, identity: &Identity, change: Change) -> Result<()> {
        self.apply_change(identity, change).map(drop)
    }

    /// Applies one change as [`Store::save_change`] does, and tells what it saved: the whole
    /// document when it was read whole, or only the entries it touched (for a caller holding
    /// the document to bring up to date, see [`Saved::onto`]).
    pub fn apply_change(&self, identity: &Identity, change: Change) -> Result<Saved> {
        let _lock = self.lock()?;
        atomic::remove_leftovers(&self.real_path());
        // A vault read whole after all is opened with the file key this read unwrapped: a
        // plugin identity is asked once.
        let mut saved =
            crypto::remembering_file_keys(|| match self.apply_spliced(identity, change)? {
                Err(change) => self.apply_locked(identity, change).map(Saved::whole),
                Ok(saved) => Ok(saved),
            })?;
        saved.written = fs::metadata(&self.path).ok();
        Ok(saved)
    }

    /// [`Store::save_change`] without a full parse, under the lock; the change back when it
    /// needs the whole document (it is not about named entries, or the vault was made by
    /// hand, or it is refused: the full parse says why).
    fn apply_spliced(
        &self,
        identity: &Identity,
        change: Change,
    ) -> Result<std::result::Result<Saved, Change>> {
        let Some(touched) = change
            .entries_touched()
            .map(|names| names.into_iter().map(str::to_owned).collect::<Vec<_>>())
        else {
            return Ok(Err(change));
        };
        let (file, size) = self.open_file()?;
        let unreadable = |e| Error::io(format!("cannot read {}", self.path.display()), e);
        let previous = file.try_clone().map_err(unreadable)?;
        let replaced = previous.metadata().map_err(unreadable)?;
        // What the vault is signed by matters for every write, whatever the anchors.
        let mut feed = crypto::decrypt_stream(file, size, identity.keys(), Verify::Decrypting)
            .map_err(|failure| self.decrypt_failure(identity, failure))?;
        let (plaintext, index) = splice::read(&mut feed, usize::try_from(size).unwrap_or(0));
        read_whole(&self.path, &feed)?;
        self.check(identity, Check::Write, &feed.signed())?;
        let Ok(index) = index else {
            return Ok(Err(change));
        };
        let names: Vec<&str> = touched.iter().map(String::as_str).collect();
        let Some((mut doc, unparsed)) =
            splice::open(plaintext, index, &names).map_err(|err| self.invalid(err))?
        else {
            return Ok(Err(change));
        };
        change.apply(&mut doc)?;
        self.save_with(&mut doc, identity, Some(previous), |doc| unparsed.json(doc))?;
        Ok(Ok(Saved {
            what: Written::Entries { doc, touched },
            replaced: Some(replaced),
            written: None,
        }))
    }

    /// Applies one change under the lock, to the vault as it is on disk now, and saves.
    fn apply_locked(&self, identity: &Identity, change: Change) -> Result<Document> {
        let (mut file, _) = self.open_file()?;
        let mut ciphertext = Vec::new();
        file.read_to_end(&mut ciphertext)
            .map_err(|e| Error::io(format!("cannot read {}", self.path.display()), e))?;
        let Opened {
            mut doc,
            plaintext_len,
            ..
        } = self.open(
            &ciphertext,
            identity,
            if matches!(change, Change::Adopt) {
                Check::None
            } else {
                Check::Write
            },
        )?;
        change.apply(&mut doc)?;
        if doc.recipients.is_empty() {
            // A hand-made vault lists nobody; without this its first save would lock out the
            // very identity that just opened it.
            doc.recipients = identity
                .recipients()
                .iter()
                .map(|key| Recipient::new(OPERATOR, key.clone()))
                .collect();
        }
        self.save(&mut doc, identity, Some(file), plaintext_len)?;
        Ok(doc)
    }

    /// One entry, without building the rest of the document: the read a job makes. The vault
    /// is decrypted and scanned chunk by chunk, holding only the chunk at hand and the entry,
    /// and always read to its end: truncation or tampering anywhere is an error, and so is a
    /// signer this identity's anchors refuse, before any entry is given out.
    /// Takes no lock and never writes.
    pub fn load_entry(&self, identity: &Identity, name: &str) -> Result<Option<Entry>> {
        let mut keep = Keep::Order;
        loop {
            let (path, mut feed, _) =
                self.plaintext_feed(identity, hashed_if_anchored(identity))?;
            let scan = scan::find_entry(&mut feed, name, keep);
            // Names out of order (a vault made by hand): once more, keeping more of them.
            if let Scan::Again(more) = scan {
                keep = more;
                continue;
            }
            read_whole(&path, &feed)?;
            self.check(identity, Check::Read, &feed.signed())?;
            if let Scan::Done(found) = scan {
                return found
                    .map(|entry| entry.map(|entry| *entry))
                    .map_err(|err| self.invalid(err));
            }
        }
    }

    /// One entry, as [`Store::load_entry`] reads it, or `NoEntry` naming the nearest names:
    /// what export, copy and show ask for. The names cost a second, whole read, made only
    /// when the entry is not there, with the file key the first read unwrapped (a plugin
    /// identity is not asked twice).
    pub fn entry(&self, identity: &Identity, name: &str) -> Result<Entry> {
        crypto::remembering_file_keys(|| {
            if let Some(entry) = self.load_entry(identity, name)? {
                return Ok(entry);
            }
            let names = self
                .load(identity)
                .map(|doc| doc.entries.into_keys().collect::<Vec<_>>())
                .unwrap_or_default();
            Err(Error::no_entry(
                name,
                self.path(),
                names.iter().map(String::as_str),
            ))
        })
    }

    /// The plaintext this identity reads, as [`Store::read_plaintext`] finds it, opened for
    /// reading chunk by chunk, hashed for its signature as `verify` says; with the path of the
    /// file it comes from and that file's size.
    fn plaintext_feed(
        &self,
        identity: &Identity,
        verify: Verify,
    ) -> Result<(PathBuf, Decrypting, u64)> {
        if let Some((path, ciphertext)) = derived::find_for(&self.real_path(), identity) {
            let size = ciphertext.len() as u64;
            match crypto::decrypt_stream(io::Cursor::new(ciphertext), size, identity.keys(), verify)
            {
                Ok(feed) => return Ok((path, feed, size)),
                Err(DecryptFailure::NoMatch) => {}
                Err(failure) => {
                    return Err(Error::VaultUnreadable {
                        path,
                        reason: failure.describe().into(),
                    });
                }
            }
        }
        let (file, size) = self.open_file()?;
        crypto::decrypt_stream(file, size, identity.keys(), verify)
            .map(|feed| (self.path.clone(), feed, size))
            .map_err(|failure| self.decrypt_failure(identity, failure))
    }

    /// The vault file, opened for reading, and its size.
    fn open_file(&self) -> Result<(File, u64)> {
        let file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::VaultMissing(self.path.clone()));
            }
            Err(e) if e.kind() == io::ErrorKind::IsADirectory || self.path.is_dir() => {
                return Err(self.unreadable("it is a directory"));
            }
            Err(e) => return Err(Error::io(format!("cannot read {}", self.path.display()), e)),
        };
        let meta = file
            .metadata()
            .map_err(|e| Error::io(format!("cannot read {}", self.path.display()), e))?;
        if meta.is_dir() {
            return Err(self.unreadable("it is a directory"));
        }
        Ok((file, meta.len()))
    }

    /// Decrypts, checks the signer as `check` asks, then parses: a document no trusted writer
    /// signed is not even parsed where trust is required.
    fn open(&self, ciphertext: &[u8], identity: &Identity, check: Check) -> Result<Opened> {
        let plaintext = self.decrypt(ciphertext, identity)?;
        self.open_plaintext(&plaintext, identity, check)
    }

    /// The plaintext this identity reads: the main vault's, or, for a scoped recipient (whose
    /// key opens no stanza of the main vault, or whose user may not read it at all), that of
    /// its derived vault, found without a new flag.
    fn read_plaintext(&self, identity: &Identity) -> Result<SecretBuf> {
        // A key with a derived vault of its own is a scoped recipient, never a full one (one key,
        // one recipient): its file is read at once, without the main vault at all.
        if let Some((path, ciphertext)) = derived::find_for(&self.real_path(), identity) {
            match crypto::decrypt(&ciphertext, identity.keys()) {
                Ok(plaintext) => return Ok(plaintext),
                // Not ours after all (a link left by hand): the main vault decides.
                Err(DecryptFailure::NoMatch) => {}
                Err(failure) => {
                    return Err(Error::VaultUnreadable {
                        path,
                        reason: failure.describe().into(),
                    });
                }
            }
        }
        self.read()
            .and_then(|ciphertext| self.decrypt(&ciphertext, identity))
    }

    fn open_plaintext(
        &self,
        plaintext: &[u8],
        identity: &Identity,
        check: Check,
    ) -> Result<Opened> {
        let signed = signature::split(plaintext).verify();
        self.check(identity, check, &signed)?;
        let doc = self.parse(plaintext)?;
        Ok(Opened {
            doc,
            plaintext_len: plaintext.len(),
        })
    }

    /// The document a plaintext whose signer was checked holds, without its signature.
    fn parse(&self, plaintext: &[u8]) -> Result<Document> {
        let mut doc = Document::parse(plaintext).map_err(|err| self.invalid(err))?;
        // A save signs anew; the old signature is only evidence about this version.
        doc.extra.remove(signature::MEMBER);
        Ok(doc)
    }

    fn check(&self, identity: &Identity, check: Check, signed: &Signed) -> Result<()> {
        let trust = identity.trust();
        let verdict = match check {
            Check::None => Ok(()),
            Check::Read => trust.check_read(signed),
            Check::Write => trust.check_write(signed),
        };
        verdict.map_err(|refusal| self.untrusted(identity, refusal))
    }

    fn untrusted(&self, identity: &Identity, refusal: Refusal) -> Error {
        let signed = match &refusal {
            Refusal::Unsigned => Signed::Unsigned,
            Refusal::UnknownWriter(writer) => Signed::By(writer.clone()),
            Refusal::BadSignature(writer) => Signed::Invalid(writer.clone()),
        };
        Error::Untrusted {
            vault: self.path.clone(),
            who: identity.trust().describe_signed(&signed),
            refusal,
        }
    }

    fn decrypt(&self, ciphertext: &[u8], identity: &Identity) -> Result<SecretBuf> {
        crypto::decrypt(ciphertext, identity.keys())
            .map_err(|failure| self.decrypt_failure(identity, failure))
    }

    fn decrypt_failure(&self, identity: &Identity, failure: DecryptFailure) -> Error {
        match failure {
            DecryptFailure::NoMatch => Error::NoMatchingIdentity {
                identity: identity.path().to_owned(),
                vault: self.path.clone(),
            },
            // The identity could not be used (its plugin failed, or wanted a person): exit 4.
            DecryptFailure::Plugin(reason) => Error::IdentityInvalid {
                path: identity.path().to_owned(),
                reason,
            },
            other => self.unreadable(other.describe()),
        }
    }

    fn invalid(&self, err: ParseError) -> Error {
        match err {
            ParseError::TooNew(found) => Error::VaultTooNew {
                path: self.path.clone(),
                found,
                known: crate::document::FORMAT,
            },
            ParseError::Invalid(reason) => {
                self.unreadable(format!("its document is invalid: {reason}"))
            }
        }
    }

    /// Encrypts `doc` to its full recipients, signs and saves it (keeping `previous`, the file
    /// the old version was read from, as `.bak`), then re-makes the derived vault of each scoped recipient. The digests of those
    /// are recorded in the main vault first, so a crash in between leaves them stale, as
    /// `vault check` says, never trusted as current.
    fn save(
        &self,
        doc: &mut Document,
        identity: &Identity,
        previous: Option<File>,
        size_hint: usize,
    ) -> Result<()> {
        self.save_with(doc, identity, previous, |doc| {
            Ok(Json::whole(doc.to_json_buf(size_hint)))
        })
    }

    /// [`Store::save`], the document written as JSON by `json`.
    fn save_with<'a>(
        &self,
        doc: &mut Document,
        identity: &Identity,
        previous: Option<File>,
        json: impl FnOnce(&Document) -> serde_json::Result<Json<'a>>,
    ) -> Result<()> {
        let recipients = recipients_of(doc)?;
        let full: Vec<String> = doc
            .recipients
            .iter()
            .filter(|r| r.is_full())
            .map(|r| crypto::canonical_key(&r.key))
            .collect();
        if !identity.recipients().iter().any(|mine| full.contains(mine)) {
            return Err(Error::with_hint(
                format!(
                    "refusing to save: {} would no longer be able to decrypt the vault",
                    identity.path().display()
                ),
                "keep a full recipient for your own key",
            ));
        }
        doc.assign_ids();
        let target = self.real_path();
        let prepared = derived::prepare(doc, identity, &target)?;
        doc.derived = derived::digests(&prepared);
        let json = json(doc).map_err(|e| Error::other(format!("cannot write the vault: {e}")))?;
        // What can refuse before the `.bak` is touched: a recipient's plugin, a missing writer
        // key. (A signer in an agent can still fail after it: the vault is then as it was, and
        // the `.bak` holds it too.)
        let encryption = crypto::Encryption::to(&recipients)
            .map_err(|failure| Error::encrypting("the vault", failure))?;
        let signer = identity.signer()?;
        let backup = with_suffix(&target, ".bak");
        // Closed once kept: Windows replaces no file that is open.
        if let Some(mut previous) = previous {
            atomic::keep_copy(&backup, &target, &mut previous)
                .map_err(|e| Error::io(format!("cannot write {}", backup.display()), e))?;
        }
        let failed = |e| Error::io(format!("cannot save {}", target.display()), e);
        atomic::write_with(
            &target,
            Mode::Keep,
            |file| seal_and_encrypt(&json, signer.as_ref(), encryption, file, &failed),
            failed,
        )?;
        derived::write_all(&target, &prepared)
    }

    /// A vault file holding `doc`, signed by `identity`, written atomically to `path` (not this
    /// store's vault): what a merge leaves for git. No lock, no `.bak`, no derived files.
    pub fn write_copy(doc: &mut Document, identity: &Identity, path: &Path) -> Result<()> {
        doc.assign_ids();
        let recipients = recipients_of(doc)?;
        // The file it replaces (ours, in a merge) is about its size: one buffer, never grown.
        let size_hint = fs::metadata(path).map_or(0, |meta| {
            usize::try_from(meta.len()).unwrap_or(usize::MAX / 2)
        });
        let json = Json::whole(doc.to_json_buf(size_hint));
        let encryption = crypto::Encryption::to(&recipients)
            .map_err(|failure| Error::encrypting("the vault", failure))?;
        let signer = identity.signer()?;
        let failed = |e| Error::io(format!("cannot write {}", path.display()), e);
        atomic::write_with(
            path,
            Mode::Keep,
            |file| seal_and_encrypt(&json, signer.as_ref(), encryption, file, &failed),
            failed,
        )
    }

    /// The vault, only when a writer this identity trusts for writing signed it: what a merge
    /// builds on.
    pub fn load_trusted(&self, identity: &Identity) -> Result<Document> {
        let plaintext = self.read_plaintext(identity)?;
        self.open_plaintext(&plaintext, identity, Check::Write)
            .map(|opened| opened.doc)
    }

    /// What is wrong with the derived vaults beside this one (missing, stale, extra): one line
    /// each; empty when all is well.
    pub fn check_derived(&self, identity: &Identity) -> Result<Vec<String>> {
        let doc = self.load(identity)?;
        Ok(derived::problems(&self.real_path(), &doc))
    }

    /// Waits up to [`LOCK_WAIT`] for the advisory lock. The lock is a file of its own: a lock on
    /// the vault itself would be lost when a save renames a new file over it.
    fn lock(&self) -> Result<File> {
        let path = self.lock_path();
        atomic::warn_if_others_can_write(&path);
        let file = atomic::open_lock_file(&path)
            .map_err(|e| Error::io(format!("cannot open lock file {}", path.display()), e))?;
        let deadline = Instant::now() + LOCK_WAIT;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(file),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    thread::sleep(Duration::from_millis(20));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(Error::Busy {
                        vault: self.path.clone(),
                        lock: path,
                    });
                }
                Err(TryLockError::Error(e)) => {
                    return Err(Error::io(format!("cannot lock {}", path.display()), e));
                }
            }
        }
    }

    /// Where saves go: through a symlinked vault to its target, so the link stays a link.
    fn real_path(&self) -> PathBuf {
        os::canonicalize(&self.path).unwrap_or_else(|_| self.path.clone())
    }

    fn unreadable(&self, reason: impl Into<String>) -> Error {
        Error::VaultUnreadable {
            path: self.path.clone(),
            reason: reason.into(),
        }
    }
}

/// Recipients a vault has that the last trusted version had not (`added`; all of them when
/// there is no trusted version to compare with, `compared` false), and the other way round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientChanges {
    pub added: Vec<Recipient>,
    pub removed: Vec<Recipient>,
    pub compared: bool,
}

/// What a signature must show before a document is used.
#[derive(Clone, Copy)]
enum Check {
    /// Nothing: the caller shows the user what they are asked to accept.
    None,
    /// An anchored writer, when the identity has anchors.
    Read,
    /// A writer the identity trusts, always.
    Write,
}

/// A decrypted vault: the document and its plaintext size (to size the next buffer).
struct Opened {
    doc: Document,
    plaintext_len: usize,
}

/// A document's JSON, signed by `signer`, encrypted into `file` (`failed` tells what an I/O
/// error means). On two cores the
/// signature's hash is taken on one while the other encrypts: the signature goes last, so
/// all but it is encrypted before it is known.
fn seal_and_encrypt(
    json: &Json,
    signer: &dyn Signer,
    encryption: crypto::Encryption,
    file: &mut File,
    failed: &dyn Fn(io::Error) -> Error,
) -> Result<()> {
    /// Below this, a thread costs more than it saves.
    const HASH_APART_FROM: usize = 1 << 20;
    let mut head = json.pieces();
    if let Some(last) = head.last_mut() {
        *last = &last[..signature::head_len(last)];
    }
    let size: usize = head.iter().map(|piece| piece.len()).sum();
    let mut encrypting = encryption.into_writer(file).map_err(failed)?;
    let digest = thread::scope(|scope| {
        let hashing = (size >= HASH_APART_FROM && crypto::several_cores())
            .then(|| scope.spawn(|| signature::digest_of(&head)));
        for piece in &head {
            encrypting.write(piece).map_err(failed)?;
        }
        Ok::<_, Error>(match hashing {
            Some(hashing) => hashing
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            None => signature::digest_of(&head),
        })
    })?;
    let member = signature::member(signer, &digest)?;
    encrypting.write(member.as_bytes()).map_err(failed)?;
    encrypting.finish().map_err(failed)?;
    Ok(())
}

/// The main vault's recipients: the full ones; scoped ones read derived vaults.
fn recipients_of(doc: &Document) -> Result<Vec<AgeRecipient>> {
    doc.recipients
        .iter()
        .filter(|r| r.is_full())
        .map(|r| {
            crypto::parse_recipient(&r.key)
                .map(|(recipient, _)| recipient)
                .map_err(|reason| {
                    Error::with_hint(
                        format!(
                            "recipient '{}' in the vault has an unusable key: {reason}",
                            r.name
                        ),
                        format!("vault recipients remove '{}'", r.name),
                    )
                })
        })
        .collect()
}

/// How a read that only checks the signer against the identity's anchors hashes: on the
/// reading thread, and not at all without anchors (nothing then depends on the signer).
fn hashed_if_anchored(identity: &Identity) -> Verify {
    if identity.trust().has_anchors() {
        Verify::Reading
    } else {
        Verify::No
    }
}

/// The whole plaintext `feed` gives (`size`: the file's, which it is shorter than, so the
/// buffer is never grown), and who signed it.
fn read_all(path: &Path, mut feed: Decrypting, size: u64) -> Result<(SecretBuf, Signed)> {
    let mut plaintext = SecretBuf::with_capacity(usize::try_from(size).unwrap_or(0));
    let mut used = SecretBuf::with_capacity(0);
    while let Some(chunk) = feed.next(used) {
        plaintext.extend_from_slice(&chunk);
        used = chunk;
    }
    read_whole(path, &feed)?;
    Ok((plaintext, feed.signed()))
}

/// Nothing went wrong in the feed from `path` that has ended: it was read whole, authenticated.
fn read_whole(path: &Path, feed: &Decrypting) -> Result<()> {
    match feed.failure() {
        Some(failure) => Err(Error::VaultUnreadable {
            path: path.to_owned(),
            reason: failure.describe().into(),
        }),
        None => Ok(()),
    }
}

/// A whole plaintext as [`Store::read_indexed`] read it: with the index of its entries, or why
/// it is refused, when it was large enough to be indexed.
struct Indexed {
    plaintext: SecretBuf,
    index: Option<std::result::Result<scan::Index, ParseError>>,
}

/// A vault read and checked by [`Store::inspect_unparsed`], its entries not parsed yet.
pub struct Unparsed {
    store: Store,
    read: Indexed,
}

impl Unparsed {
    /// Every entry's name, sorted, when they are known before the parse: a large vault whose
    /// names are in order, as vault writes them. `None`: only the whole parse tells.
    pub fn names(&self) -> Option<&[String]> {
        match &self.read.index {
            Some(Ok(index)) if index.sorted => Some(&index.names),
            _ => None,
        }
    }

    /// The document with only the entries named in `wanted` (those it has), when
    /// [`Unparsed::names`] are known; its other members (recipients, conflicts) all there.
    pub fn partial(&self, wanted: &[&str]) -> Option<Result<Document>> {
        let Some(Ok(index)) = &self.read.index else {
            return None;
        };
        let partial = splice::parse_some(&self.read.plaintext, index, wanted)?;
        Some(
            partial
                .map(without_signature)
                .map_err(|err| self.store.invalid(err)),
        )
    }

    /// The whole document, its entries parsed on two threads when they were indexed.
    pub fn parse(self) -> Result<Document> {
        self.store.parse_indexed(self.read)
    }
}

/// What [`Store::apply_change`] saved.
pub struct Saved {
    what: Written,
    /// The file the save replaced, when only the entries it touched were parsed.
    replaced: Option<fs::Metadata>,
    /// The file the save wrote, looked at before the lock was let go: no other writer's.
    written: Option<fs::Metadata>,
}

enum Written {
    /// The whole document as saved: the change read it whole.
    Whole(Document),
    /// The entries the change touched as saved (a touched name the document lacks was
    /// removed), each named once, and every member besides the entries; the other entries
    /// were written back as they were in the file the save replaced.
    Entries { doc: Document, touched: Vec<String> },
}

impl Saved {
    /// The whole document `doc` as saved, nothing known of the files.
    pub fn whole(doc: Document) -> Saved {
        Saved {
            what: Written::Whole(doc),
            replaced: None,
            written: None,
        }
    }

    /// The file the save replaced, when only the entries it touched were parsed: `base` in
    /// [`Saved::onto`] must have been read from that very file to give what was saved.
    pub fn replaced(&self) -> Option<&fs::Metadata> {
        self.replaced.as_ref()
    }

    /// The file the save wrote, as it was when the save ended (before another writer could
    /// replace it).
    pub fn written(&self) -> Option<&fs::Metadata> {
        self.written.as_ref()
    }

    /// Whether only the entries the change touched were parsed and written anew.
    pub fn spliced(&self) -> bool {
        matches!(self.what, Written::Entries { .. })
    }

    /// The whole document as saved, made from `base` (the document as read before) with the
    /// touched entries and the other members as the save wrote them.
    pub fn onto(self, base: Document) -> Document {
        match self.what {
            Written::Whole(doc) => doc,
            Written::Entries { mut doc, touched } => {
                let mut entries = base.entries;
                for name in touched {
                    match doc.entries.remove(&name) {
                        Some(entry) => entries.insert(name, entry),
                        None => entries.remove(&name),
                    };
                }
                doc.entries = entries;
                doc
            }
        }
    }
}

/// A document as it is read back: its signature is evidence about the file, not content.
fn without_signature(mut doc: Document) -> Document {
    doc.extra.remove(signature::MEMBER);
    doc
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name: OsString = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
