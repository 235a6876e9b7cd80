//! 1Password 8's CSV export: `Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes`.

use std::path::Path;

use super::table::{Columns, read_items};
use super::{BadInput, Parsed};

pub fn parse(file: &Path, bytes: &[u8], now: &str) -> Result<Parsed, BadInput> {
    let columns = Columns {
        title: Some("Title"),
        username: Some("Username"),
        password: Some("Password"),
        url: Some("Url"),
        notes: Some("Notes"),
        totp: Some("OTPAuth"),
        required: vec!["Title", "Username", "Password"],
        ..Columns::default()
    };
    read_items(
        file,
        bytes,
        "1Password CSV",
        &columns,
        now,
        |row, item, _| {
            item.entry.tags = super::tags(row.get("Tags").split([',', ';']));
            if row.get("Archived").eq_ignore_ascii_case("true") {
                item.entry.tags.push(super::ARCHIVED_TAG.into());
            }
            None
        },
    )
}
