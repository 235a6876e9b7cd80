//! Chrome's (and Edge's, Brave's) password CSV: `name,url,username,password,note` (older
//! versions have no `note`).

use std::path::Path;

use super::table::{Columns, read_items};
use super::{BadInput, Parsed};

pub fn parse(file: &Path, bytes: &[u8], now: &str) -> Result<Parsed, BadInput> {
    let columns = Columns {
        title: Some("name"),
        username: Some("username"),
        password: Some("password"),
        url: Some("url"),
        notes: Some("note"),
        required: vec!["name", "url", "username", "password"],
        ..Columns::default()
    };
    read_items(file, bytes, "Chrome CSV", &columns, now, |_, _, _| None)
}
