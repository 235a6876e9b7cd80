//! Firefox's password CSV: `url,username,password,httpRealm,formActionOrigin,guid,
//! timeCreated,timeLastUsed,timePasswordChanged`, times in milliseconds since 1970. It has no
//! titles: the URL's host is the title.

use std::path::Path;

use super::table::{Columns, read_items};
use super::{BadInput, Parsed, add_field, from_unix};
use crate::secret::Secret;

pub fn parse(file: &Path, bytes: &[u8], now: &str) -> Result<Parsed, BadInput> {
    let columns = Columns {
        username: Some("username"),
        password: Some("password"),
        url: Some("url"),
        required: vec!["url", "username", "password", "httpRealm"],
        ..Columns::default()
    };
    read_items(file, bytes, "Firefox CSV", &columns, now, |row, item, _| {
        let millis = |column| row.get(column).trim().parse::<u64>().ok();
        if let Some(created) = millis("timeCreated") {
            item.entry.created = from_unix(created / 1000);
        }
        if let Some(changed) = millis("timePasswordChanged").or(millis("timeCreated")) {
            item.entry.updated = from_unix(changed / 1000);
        }
        let realm = row.get("httpRealm");
        if !realm.is_empty() {
            add_field(&mut item.entry.fields, "http realm", Secret::from(realm));
        }
        None
    })
}
