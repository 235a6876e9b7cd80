//! Bitwarden's unencrypted JSON export (`encrypted: false`): folders, items of every type
//! (login, secure note, card, identity, SSH key), custom fields, TOTP, password history.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::text::{Text, json_reason, words};
use super::{BadInput, Item, Parsed, add_field, bad, entry_at, rfc3339};
use crate::document::PastPassword;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Export {
    #[serde(default)]
    encrypted: bool,
    #[serde(default)]
    password_protected: bool,
    #[serde(default)]
    folders: Vec<Folder>,
    items: Option<Vec<BwItem>>,
}

#[derive(Deserialize)]
struct Folder {
    id: String,
    #[serde(default)]
    name: Text,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BwItem {
    #[serde(default)]
    name: Text,
    #[serde(default)]
    notes: Text,
    folder_id: Option<String>,
    #[serde(default)]
    fields: Option<Vec<Field>>,
    login: Option<Login>,
    card: Option<BTreeMap<String, Text>>,
    identity: Option<BTreeMap<String, Text>>,
    ssh_key: Option<BTreeMap<String, Text>>,
    #[serde(default)]
    password_history: Option<Vec<History>>,
    revision_date: Option<String>,
    creation_date: Option<String>,
    deleted_date: Option<String>,
    attachments: Option<Vec<IgnoredAny>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Login {
    #[serde(default)]
    username: Text,
    #[serde(default)]
    password: Text,
    #[serde(default)]
    totp: Text,
    uris: Option<Vec<Uri>>,
    fido2_credentials: Option<Vec<IgnoredAny>>,
}

#[derive(Deserialize)]
struct Uri {
    #[serde(default)]
    uri: Text,
}

#[derive(Deserialize)]
struct Field {
    #[serde(default)]
    name: Text,
    #[serde(default)]
    value: Text,
    #[serde(rename = "type", default)]
    kind: u8,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct History {
    last_used_date: Option<String>,
    #[serde(default)]
    password: Text,
}

/// Bitwarden's field type for a field that points at another (`linkedId`): it has no value.
const LINKED_FIELD: u8 = 3;

pub fn parse(file: &Path, bytes: &[u8], now: &str) -> Result<Parsed, BadInput> {
    let export: Export = serde_json::from_slice(bytes).map_err(|err| {
        bad(
            file,
            format!("not a Bitwarden JSON export: {}", json_reason(&err)),
        )
    })?;
    if export.encrypted || export.password_protected {
        return Err(bad(
            file,
            "it is an encrypted Bitwarden export; export again as .json (not \"encrypted\")",
        ));
    }
    let Some(items) = export.items else {
        return Err(bad(
            file,
            "not a Bitwarden JSON export: it has no items list",
        ));
    };
    let folders: BTreeMap<&str, String> = export
        .folders
        .iter()
        .map(|f| (f.id.as_str(), f.name.plain()))
        .collect();
    let mut parsed = Parsed::default();
    for item in items {
        let title = item.name.plain();
        if item.deleted_date.is_some() {
            parsed
                .skipped
                .push((title, "it is in Bitwarden's trash".into()));
            continue;
        }
        let group = item
            .folder_id
            .as_deref()
            .and_then(|id| folders.get(id))
            .cloned()
            .unwrap_or_default();
        let entry = to_entry(item, &title, &mut parsed, now);
        parsed.items.push(Item {
            group,
            title,
            entry,
        });
    }
    Ok(parsed)
}

fn to_entry(item: BwItem, title: &str, parsed: &mut Parsed, now: &str) -> crate::document::Entry {
    let mut entry = entry_at(
        item.creation_date.as_deref().and_then(rfc3339),
        item.revision_date.as_deref().and_then(rfc3339),
        now,
    );
    entry.notes = item.notes.secret();
    if let Some(login) = item.login {
        entry.username = login.username.plain();
        entry.password = login.password.secret();
        entry.totp = login.totp.secret();
        let mut uris = login.uris.unwrap_or_default().into_iter().map(|u| u.uri);
        entry.url = uris.next().map(|u| u.plain()).unwrap_or_default();
        for (n, uri) in uris.enumerate() {
            add_field(&mut entry.fields, &format!("url {}", n + 2), uri.secret());
        }
        if login.fido2_credentials.is_some_and(|c| !c.is_empty()) {
            parsed.unmapped.push((
                title.to_owned(),
                "a passkey (passkeys are not imported)".into(),
            ));
        }
    }
    // Cards, identities and SSH keys have no place of their own: their parts become fields.
    for part in [item.card, item.identity, item.ssh_key]
        .into_iter()
        .flatten()
    {
        for (key, value) in part {
            if !value.is_empty() {
                add_field(&mut entry.fields, &words(&key), value.secret());
            }
        }
    }
    for field in item.fields.unwrap_or_default() {
        if field.kind == LINKED_FIELD {
            parsed.unmapped.push((
                title.to_owned(),
                format!(
                    "linked field '{}' (it has no value of its own)",
                    field.name.expose()
                ),
            ));
            continue;
        }
        add_field(&mut entry.fields, field.name.expose(), field.value.secret());
    }
    for past in item.password_history.unwrap_or_default() {
        entry.history.push(PastPassword {
            password: past.password.secret(),
            until: past
                .last_used_date
                .as_deref()
                .and_then(rfc3339)
                .unwrap_or_default(),
            extra: crate::document::Extra::default(),
        });
    }
    // Bitwarden lists the newest first; the vault keeps the oldest first.
    entry.history.sort_by(|a, b| a.until.cmp(&b.until));
    if let Some(attachments) = item.attachments.filter(|a| !a.is_empty()) {
        parsed.unmapped.push((
            title.to_owned(),
            format!(
                "{} attachment(s) (attachments are not in the export's JSON)",
                attachments.len()
            ),
        ));
    }
    entry
}
