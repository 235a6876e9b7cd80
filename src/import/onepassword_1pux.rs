//! 1Password's `.1pux` export: a zip whose `export.data` is JSON, `accounts[].vaults[].items[]`
//! with `overview` (title, URLs, tags) and `details` (login fields, notes, sections of custom
//! fields, TOTP among them, password history). Files in the archive are not imported.
//!
//! Vault names become groups when the export holds more than one vault.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::Path;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::text::{Text, json_reason};
use super::{ARCHIVED_TAG, BadInput, Item, Parsed, add_field, bad, entry_at, from_unix};
use crate::document::{Entry, Extra, PastPassword};
use crate::secret::SecretBuf;

/// Far more than any real export.data; a zip that claims more is refused, not unpacked.
const MAX_DATA: u64 = 512 * 1024 * 1024;

#[derive(Deserialize)]
struct Export {
    accounts: Vec<Account>,
}

#[derive(Deserialize)]
struct Account {
    #[serde(default)]
    vaults: Vec<Vault>,
}

#[derive(Deserialize)]
struct Vault {
    attrs: VaultAttrs,
    #[serde(default)]
    items: Vec<OpItem>,
}

#[derive(Deserialize)]
struct VaultAttrs {
    #[serde(default)]
    name: Text,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OpItem {
    created_at: Option<u64>,
    updated_at: Option<u64>,
    state: Option<String>,
    #[serde(default)]
    trashed: bool,
    #[serde(default)]
    details: Details,
    #[serde(default)]
    overview: Overview,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Details {
    #[serde(default)]
    login_fields: Vec<LoginField>,
    #[serde(default)]
    notes_plain: Text,
    #[serde(default)]
    sections: Vec<Section>,
    #[serde(default)]
    password_history: Vec<OldPassword>,
    /// The "Password" category keeps its one password here.
    #[serde(default)]
    password: Text,
    document_attributes: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct LoginField {
    #[serde(default)]
    value: Text,
    #[serde(default)]
    name: Text,
    designation: Option<String>,
}

#[derive(Deserialize)]
struct Section {
    #[serde(default)]
    fields: Vec<SectionField>,
}

#[derive(Deserialize)]
struct SectionField {
    #[serde(default)]
    title: Text,
    #[serde(default)]
    id: Text,
    /// One member, named by the kind of value: `string`, `concealed`, `totp`, `email`, …
    #[serde(default)]
    value: BTreeMap<String, Text>,
}

#[derive(Deserialize)]
struct OldPassword {
    #[serde(default)]
    value: Text,
    time: Option<u64>,
}

#[derive(Deserialize, Default)]
struct Overview {
    #[serde(default)]
    title: Text,
    #[serde(default)]
    url: Text,
    #[serde(default)]
    urls: Vec<Url>,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize)]
struct Url {
    #[serde(default)]
    url: Text,
}

pub fn parse(file: &Path, bytes: &[u8], now: &str) -> Result<Parsed, BadInput> {
    let not_1pux = |reason: &str| bad(file, format!("not a 1Password .1pux export: {reason}"));
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|_| not_1pux("not a whole zip archive (is it truncated?)"))?;
    let data = {
        let member = archive
            .by_name("export.data")
            .map_err(|_| not_1pux("the archive has no export.data"))?;
        if member.size() > MAX_DATA {
            return Err(not_1pux("its export.data is too large"));
        }
        let mut data = SecretBuf::with_capacity(usize::try_from(member.size()).unwrap_or(0));
        std::io::copy(&mut member.take(MAX_DATA), &mut data)
            .map_err(|_| not_1pux("its export.data is damaged"))?;
        data.into_inner()
    };
    let export: Export = serde_json::from_slice(&data).map_err(|err| {
        not_1pux(&format!(
            "export.data is not its JSON: {}",
            json_reason(&err)
        ))
    })?;
    let vaults: Vec<Vault> = export.accounts.into_iter().flat_map(|a| a.vaults).collect();
    let several = vaults.len() > 1;
    let mut parsed = Parsed::default();
    for vault in vaults {
        let group = if several {
            vault.attrs.name.plain()
        } else {
            String::new()
        };
        for item in vault.items {
            let title = item.overview.title.plain();
            if item.trashed || item.state.as_deref() == Some("deleted") {
                parsed
                    .skipped
                    .push((title, "it is in 1Password's trash".into()));
                continue;
            }
            let entry = to_entry(item, &title, &mut parsed, now);
            parsed.items.push(Item {
                group: group.clone(),
                title,
                entry,
            });
        }
    }
    Ok(parsed)
}

fn to_entry(item: OpItem, title: &str, parsed: &mut Parsed, now: &str) -> Entry {
    let mut entry = entry_at(
        item.created_at.map(from_unix),
        item.updated_at.map(from_unix),
        now,
    );
    let OpItem {
        details, overview, ..
    } = item;
    entry.url = overview.url.plain();
    let mut urls = overview.urls.into_iter().map(|u| u.url.plain());
    let mut n = 1;
    for url in urls.by_ref() {
        if entry.url.is_empty() {
            entry.url = url;
        } else if url != entry.url {
            n += 1;
            add_field(&mut entry.fields, &format!("url {n}"), url.into());
        }
    }
    entry.tags = super::tags(overview.tags.iter().map(String::as_str));
    if item.state.as_deref() == Some("archived") {
        entry.tags.push(ARCHIVED_TAG.into());
    }
    entry.notes = details.notes_plain.secret();
    entry.password = details.password.secret();
    for field in details.login_fields {
        match field.designation.as_deref() {
            Some("username") => entry.username = field.value.plain(),
            Some("password") => entry.password = field.value.secret(),
            _ if !field.value.is_empty() => {
                add_field(&mut entry.fields, field.name.expose(), field.value.secret());
            }
            _ => {}
        }
    }
    for field in details.sections.into_iter().flat_map(|s| s.fields) {
        let name = if field.title.is_empty() {
            field.id
        } else {
            field.title
        };
        for (kind, value) in field.value {
            match kind.as_str() {
                "totp" if entry.totp.is_empty() => entry.totp = value.secret(),
                "file" => parsed.unmapped.push((
                    title.to_owned(),
                    format!("file '{}' (files are not imported)", name.expose()),
                )),
                _ if value.is_empty() => {}
                _ => add_field(&mut entry.fields, name.expose(), value.secret()),
            }
        }
    }
    let mut history: Vec<OldPassword> = details.password_history;
    history.sort_by_key(|h| h.time);
    entry.history = history
        .into_iter()
        .map(|h| PastPassword {
            password: h.value.secret(),
            until: h.time.map(from_unix).unwrap_or_default(),
            extra: Extra::default(),
        })
        .collect();
    if details.document_attributes.is_some() {
        parsed.unmapped.push((
            title.to_owned(),
            "a document (files are not imported)".into(),
        ));
    }
    entry
}
