//! `KeePassXC`'s CSV export: `Group,Title,Username,Password,URL,Notes,TOTP,Icon,Last Modified,
//! Created`, the group path starting with the database's root group.

use std::path::Path;

use super::table::{Columns, read_items, without_root};
use super::{BadInput, Parsed, rfc3339};

pub fn parse(file: &Path, bytes: &[u8], now: &str) -> Result<Parsed, BadInput> {
    let columns = Columns {
        title: Some("Title"),
        username: Some("Username"),
        password: Some("Password"),
        url: Some("URL"),
        notes: Some("Notes"),
        group: Some("Group"),
        totp: Some("TOTP"),
        required: vec!["Group", "Title", "Username", "Password", "URL", "Notes"],
    };
    read_items(
        file,
        bytes,
        "KeePassXC CSV",
        &columns,
        now,
        |row, item, _| {
            item.group = without_root(&item.group);
            if let Some(created) = rfc3339(row.get("Created")) {
                item.entry.created = created;
            }
            if let Some(modified) = rfc3339(row.get("Last Modified")) {
                item.entry.updated = modified;
            }
            None
        },
    )
}
