//! Derived vaults on disk: made by every save for each scoped recipient (after the main vault,
//! under the same lock, each written atomically), found by a job through its key's link, and
//! checked against the digests the main vault records.
//!
//! A crash between the main save and the derived files leaves a derived file stale, never torn:
//! `vault check` sees that its digest is not the one the main vault expects, and `check --fix`
//! (or the next save) makes it again.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::atomic::{self, Mode};
use crate::crypto;
use crate::document::{Document, Recipient};
use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::os;
use crate::scope;
use crate::signature;

/// A derived vault made in memory, ready to be written.
pub struct Prepared {
    recipient: String,
    file_name: String,
    key_link: String,
    group: Option<String>,
    ciphertext: Vec<u8>,
}

impl Prepared {
    pub fn digest(&self) -> String {
        hex_digest(&self.ciphertext)
    }
}

/// Makes the derived vault of each scoped recipient of `doc`, signed by `identity`.
pub fn prepare(doc: &Document, identity: &Identity, vault: &Path) -> Result<Vec<Prepared>> {
    let vault_name = vault
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let scoped: Vec<&Recipient> = doc.recipients.iter().filter(|r| !r.is_full()).collect();
    if scoped.is_empty() {
        return Ok(Vec::new());
    }
    let signer = identity.signer()?;
    scoped
        .into_iter()
        .map(|recipient| {
            let derived = scope::derive(doc, recipient, &vault_name);
            let json = derived.to_json(0);
            let plaintext = signature::seal(&json, signer.as_ref())?;
            let (key, _) = crypto::parse_recipient(&recipient.key).map_err(|reason| {
                Error::with_hint(
                    format!(
                        "recipient '{}' in the vault has an unusable key: {reason}",
                        recipient.name
                    ),
                    format!("vault recipients remove '{}'", recipient.name),
                )
            })?;
            let ciphertext = crypto::encrypt(&plaintext, &[key]).map_err(|failure| {
                Error::encrypting(
                    &format!("the derived vault of '{}'", recipient.name),
                    failure,
                )
            })?;
            Ok(Prepared {
                recipient: recipient.name.clone(),
                file_name: scope::file_name(&recipient.name),
                key_link: scope::key_link_name(&recipient.key),
                group: recipient.group.clone(),
                ciphertext,
            })
        })
        .collect()
}

/// The digests a main vault records for `prepared`.
pub fn digests(prepared: &[Prepared]) -> BTreeMap<String, String> {
    prepared
        .iter()
        .map(|p| (p.recipient.clone(), p.digest()))
        .collect()
}

/// Writes the derived vaults and their key links, and removes the files of recipients that are
/// no longer scoped. The directory is made so that a job can reach its own file by name and
/// list nothing: 0711, or 0710 with its group when every derived file shares one group.
pub fn write_all(vault: &Path, prepared: &[Prepared]) -> Result<()> {
    let dir = scope::dir_of(vault);
    if prepared.is_empty() {
        return remove_dir_if_present(&dir);
    }
    let groups: Vec<Option<&str>> = prepared.iter().map(|p| p.group.as_deref()).collect();
    let shared_group = match groups.first() {
        Some(Some(first)) if groups.iter().all(|g| *g == Some(*first)) => Some(*first),
        _ => None,
    };
    os::prepare_shared_dir(&dir, shared_group).map_err(|e| cannot("prepare", &dir, e))?;
    for file in prepared {
        let path = dir.join(&file.file_name);
        atomic::write(&path, &file.ciphertext, Mode::Keep)
            .map_err(|e| cannot("write", &path, e))?;
        if let Some(group) = &file.group {
            os::share_with_group(&path, group).map_err(|e| cannot("share", &path, e))?;
        }
        os::replace_symlink(&dir.join(&file.key_link), Path::new(&file.file_name))
            .map_err(|e| cannot("link", &path, e))?;
    }
    remove_extra(&dir, prepared)
}

/// What is wrong with the derived files of `doc` on disk, one line per file.
pub fn problems(vault: &Path, doc: &Document) -> Vec<String> {
    let dir = scope::dir_of(vault);
    let mut problems = Vec::new();
    let scoped: Vec<&Recipient> = doc.recipients.iter().filter(|r| !r.is_full()).collect();
    for recipient in &scoped {
        let path = dir.join(scope::file_name(&recipient.name));
        let expected = doc.derived.get(&recipient.name);
        match fs::read(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                problems.push(format!("{}: missing", path.display()));
            }
            Err(e) => problems.push(format!(
                "{}: unreadable ({})",
                path.display(),
                crate::error::describe_io(&e)
            )),
            Ok(bytes) if Some(&hex_digest(&bytes)) != expected => {
                problems.push(format!(
                    "{}: stale (not the file the last save of the vault wrote)",
                    path.display()
                ));
            }
            Ok(_) => {}
        }
        let link = dir.join(scope::key_link_name(&recipient.key));
        if fs::read_link(&link).ok().as_deref()
            != Some(Path::new(&scope::file_name(&recipient.name)))
        {
            problems.push(format!(
                "{}: the key link of '{}' is missing or wrong",
                link.display(),
                recipient.name
            ));
        }
    }
    let wanted: Vec<String> = scoped
        .iter()
        .flat_map(|r| [scope::file_name(&r.name), scope::key_link_name(&r.key)])
        .collect();
    if let Ok(entries) = fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if scope::is_managed(&name) && !wanted.contains(&name) {
                problems.push(format!(
                    "{}: extra (no scoped recipient has it)",
                    entry.path().display()
                ));
            }
        }
    }
    problems
}

/// The derived vault a key of `identity` opens, found through the key's link: the job's user
/// may not list the directory, nor read the main vault.
pub fn find_for(vault: &Path, identity: &Identity) -> Option<(PathBuf, Vec<u8>)> {
    let dir = scope::dir_of(vault);
    // Most vaults have no scoped copies: then the keys' public halves need not be worked out.
    if fs::metadata(&dir).is_err_and(|e| e.kind() == io::ErrorKind::NotFound) {
        return None;
    }
    identity.recipients().iter().find_map(|key| {
        let path = dir.join(scope::key_link_name(key));
        fs::read(&path).ok().map(|bytes| (path, bytes))
    })
}

fn remove_extra(dir: &Path, prepared: &[Prepared]) -> Result<()> {
    let wanted: Vec<&str> = prepared
        .iter()
        .flat_map(|p| [p.file_name.as_str(), p.key_link.as_str()])
        .collect();
    let entries = fs::read_dir(dir).map_err(|e| cannot("read", dir, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if scope::is_managed(&name) && !wanted.contains(&name.as_str()) {
            fs::remove_file(entry.path()).map_err(|e| cannot("remove", &entry.path(), e))?;
        }
    }
    Ok(())
}

fn remove_dir_if_present(dir: &Path) -> Result<()> {
    match fs::read_dir(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(cannot("read", dir, e)),
        Ok(entries) => {
            for entry in entries.flatten() {
                if scope::is_managed(&entry.file_name().to_string_lossy()) {
                    fs::remove_file(entry.path())
                        .map_err(|e| cannot("remove", &entry.path(), e))?;
                }
            }
            // Left in place when something else lives there.
            fs::remove_dir(dir).ok();
            Ok(())
        }
    }
}

fn hex_digest(bytes: &[u8]) -> String {
    scope::hex(&Sha256::digest(bytes))
}

fn cannot(what: &str, path: &Path, e: io::Error) -> Error {
    Error::io(format!("cannot {what} {}", path.display()), e)
}
