//! pass and passage stores: a directory tree of encrypted files, one entry each, named by its
//! path (`Social/twitter.com.gpg` is `Social/twitter.com`). A file holds the password on its
//! first line; `login:`, `user:`, `username:` and `url:` lines and an `otpauth://` line map to
//! those fields, and every other line goes to the notes.
//!
//! pass files are decrypted by the user's own `gpg`, its output read through a pipe into
//! memory; passage files by this crate's age (see [`decrypt_age`]). Nothing is written.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use zeroize::Zeroizing;

use super::{BadInput, Item, Parsed, bad, entry_at};
use crate::crypto::{self, AgeIdentity};
use crate::secret::{Secret, SecretBuf};

/// One encrypted file of a store and the entry name it gives.
pub struct PassFile {
    pub path: PathBuf,
    pub group: String,
    pub title: String,
}

/// Every file ending in `extension` (`.gpg`, `.age`) under `dir`, sorted by name; hidden
/// files and directories (`.git`, `.gpg-id`, `.extensions`) are not entries.
pub fn list_store(dir: &Path, extension: &str) -> Result<Vec<PassFile>, BadInput> {
    let meta = fs::metadata(dir).map_err(|e| {
        bad(
            dir,
            format!("cannot read the store: {}", crate::error::describe_io(&e)),
        )
    })?;
    if !meta.is_dir() {
        return Err(bad(dir, "a store is a directory, and this is not one"));
    }
    let mut files = Vec::new();
    let mut pending = vec![(dir.to_owned(), Vec::<String>::new())];
    while let Some((here, group)) = pending.pop() {
        let listing = fs::read_dir(&here).map_err(|e| {
            bad(
                &here,
                format!("cannot list it: {}", crate::error::describe_io(&e)),
            )
        })?;
        for dirent in listing.flatten() {
            let name = dirent.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            // Not followed: a link out of the store would import whatever it points at.
            let Ok(kind) = dirent.file_type() else {
                continue;
            };
            if kind.is_dir() {
                let mut deeper = group.clone();
                deeper.push(name);
                pending.push((dirent.path(), deeper));
            } else if kind.is_file()
                && let Some(title) = name.strip_suffix(extension)
            {
                files.push(PassFile {
                    path: dirent.path(),
                    group: group.join("/"),
                    title: title.to_owned(),
                });
            }
        }
    }
    files.sort_by(|a, b| (&a.group, &a.title).cmp(&(&b.group, &b.title)));
    Ok(files)
}

/// Decrypts each file with `decrypt` and reads it; `step` is called after each (a progress
/// bar). The first file that cannot be decrypted stops the import: a store is imported whole.
pub fn read_store(
    files: Vec<PassFile>,
    mut decrypt: impl FnMut(&Path) -> Result<Zeroizing<Vec<u8>>, String>,
    mut step: impl FnMut(),
    now: &str,
) -> Result<Parsed, BadInput> {
    let mut parsed = Parsed::default();
    for file in files {
        let plaintext = decrypt(&file.path).map_err(|why| bad(&file.path, why))?;
        let Ok(text) = std::str::from_utf8(&plaintext) else {
            return Err(bad(&file.path, "it does not decrypt to UTF-8 text"));
        };
        parsed.items.push(Item {
            group: file.group,
            title: file.title,
            entry: decode(text, now),
        });
        step();
    }
    Ok(parsed)
}

/// The entry in one decrypted file.
pub fn decode(text: &str, now: &str) -> crate::document::Entry {
    let mut entry = entry_at(None, None, now);
    let mut lines = text.lines();
    entry.password = Secret::from(lines.next().unwrap_or_default());
    // Sized for the whole file, so it never grows and leaves a copy behind.
    let mut notes = Zeroizing::new(String::with_capacity(text.len()));
    for line in lines {
        let (key, value) = line
            .split_once(':')
            .map_or(("", ""), |(k, v)| (k.trim(), v.trim()));
        let key = key.to_ascii_lowercase();
        if line.starts_with("otpauth://") && entry.totp.is_empty() {
            entry.totp = Secret::from(line.trim());
        } else if matches!(key.as_str(), "login" | "user" | "username") && entry.username.is_empty()
        {
            value.clone_into(&mut entry.username);
        } else if key == "url" && entry.url.is_empty() {
            value.clone_into(&mut entry.url);
        } else {
            notes.push_str(line);
            notes.push('\n');
        }
    }
    // Trailing blank lines are the file's layout, not part of the note.
    entry.notes = Secret::from(notes.trim_end_matches('\n'));
    entry
}

/// `gpg --batch --quiet --decrypt FILE`, its output read into wiped memory. gpg asks for a
/// passphrase (through its agent) as the user's gpg is set up to.
pub fn decrypt_gpg(path: &Path) -> Result<Zeroizing<Vec<u8>>, String> {
    let mut child = Command::new("gpg")
        .args(["--batch", "--quiet", "--decrypt", "--"])
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run gpg: {}", crate::error::describe_io(&e)))?;
    let mut out = SecretBuf::with_capacity(4096);
    if let Some(mut stdout) = child.stdout.take() {
        std::io::copy(&mut stdout, &mut out).map_err(|e| crate::error::describe_io(&e))?;
    }
    let mut errors = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        stderr.read_to_string(&mut errors).ok();
    }
    let status = child.wait().map_err(|e| crate::error::describe_io(&e))?;
    if status.success() {
        return Ok(out.into_inner());
    }
    // gpg's last line says why (no secret key, bad passphrase); it never holds the plaintext.
    let why = errors
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    Err(format!(
        "gpg cannot decrypt it ({})",
        why.trim_start_matches("gpg: ").trim()
    ))
}

/// A passage file, decrypted with the identities from `PASSAGE_IDENTITIES_FILE`.
pub fn decrypt_age(
    identities: &[AgeIdentity],
) -> impl FnMut(&Path) -> Result<Zeroizing<Vec<u8>>, String> {
    move |path| {
        let ciphertext = fs::read(path).map_err(|e| crate::error::describe_io(&e))?;
        crypto::decrypt(&ciphertext, identities)
            .map(crate::secret::SecretBuf::into_inner)
            .map_err(|failure| match failure {
                crypto::DecryptFailure::NoMatch => {
                    "no identity in the passage identities file opens it".to_owned()
                }
                other => other.describe().to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_map_to_fields() {
        let e = decode(
            "pw: with colon\nlogin: me\nURL: https://x.example\notpauth://totp/x?secret=AB\nemail: a@b\n\nmore\n",
            "t",
        );
        assert_eq!(e.password.expose(), "pw: with colon");
        assert_eq!(e.username, "me");
        assert_eq!(e.url, "https://x.example");
        assert_eq!(e.totp.expose(), "otpauth://totp/x?secret=AB");
        assert_eq!(e.notes.expose(), "email: a@b\n\nmore");
    }
}
