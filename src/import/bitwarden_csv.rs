//! Bitwarden's CSV export: `folder,favorite,type,name,notes,fields,reprompt,login_uri,
//! login_username,login_password,login_totp`. `fields` holds one `name: value` a line;
//! `login_uri` may list several URIs, comma-separated. Only logins and notes are in it.

use std::path::Path;

use super::table::{Columns, read_items};
use super::{BadInput, Parsed, add_field, append};
use crate::secret::Secret;

pub fn parse(file: &Path, bytes: &[u8], now: &str) -> Result<Parsed, BadInput> {
    let columns = Columns {
        title: Some("name"),
        username: Some("login_username"),
        password: Some("login_password"),
        notes: Some("notes"),
        group: Some("folder"),
        totp: Some("login_totp"),
        required: vec!["folder", "type", "name", "login_username", "login_password"],
        ..Columns::default()
    };
    read_items(
        file,
        bytes,
        "Bitwarden CSV",
        &columns,
        now,
        |row, item, _| {
            let mut uris = row.get("login_uri").split(',').map(str::trim);
            uris.next()
                .unwrap_or_default()
                .clone_into(&mut item.entry.url);
            for (n, uri) in uris.filter(|u| !u.is_empty()).enumerate() {
                add_field(
                    &mut item.entry.fields,
                    &format!("url {}", n + 2),
                    Secret::from(uri),
                );
            }
            read_fields(row.get("fields"), &mut item.entry.fields);
            None
        },
    )
}

/// `name: value` lines; a line without `: ` continues the value above it (a value with a
/// newline in it).
fn read_fields(text: &str, fields: &mut std::collections::BTreeMap<String, Secret>) {
    let mut current: Option<(String, Secret)> = None;
    for line in text.lines() {
        match (line.split_once(": "), current.as_mut()) {
            (None, Some((_, value))) => append(value, "\n", line),
            (Some((name, value)), _) => {
                if let Some((name, value)) = current.take() {
                    add_field(fields, &name, value);
                }
                current = Some((name.to_owned(), Secret::from(value)));
            }
            (None, None) => current = Some((String::new(), Secret::from(line))),
        }
    }
    if let Some((name, value)) = current {
        add_field(fields, &name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_column() {
        let mut fields = std::collections::BTreeMap::new();
        read_fields("pin: 1234\nmemo: one\ntwo\nempty: ", &mut fields);
        assert_eq!(fields["pin"].expose(), "1234");
        assert_eq!(fields["memo"].expose(), "one\ntwo");
        assert_eq!(fields.len(), 3);
    }
}
