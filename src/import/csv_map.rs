//! Any CSV, with `--map title=COLUMN,username=COLUMN,password=COLUMN,url=COLUMN,notes=COLUMN,
//! group=COLUMN,totp=COLUMN` naming the header of each column to read.

use std::path::Path;

use super::table::{Columns, read_items};
use super::{BadInput, Parsed};

/// The user's `--map`: for each field, the header of its column.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnMap {
    pub title: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub url: Option<String>,
    pub notes: Option<String>,
    pub group: Option<String>,
    pub totp: Option<String>,
}

impl ColumnMap {
    /// Reads `title=Name,password=Secret,…`; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<ColumnMap, String> {
        let mut map = ColumnMap::default();
        for pair in text.split(',').filter(|p| !p.trim().is_empty()) {
            let Some((field, column)) = pair.split_once('=') else {
                return Err(format!("'{pair}' is not FIELD=COLUMN"));
            };
            let column = column.trim();
            if column.is_empty() {
                return Err(format!("'{pair}' names no column"));
            }
            let slot = match field.trim() {
                "title" | "name" => &mut map.title,
                "username" | "user" | "login" => &mut map.username,
                "password" => &mut map.password,
                "url" => &mut map.url,
                "notes" | "note" => &mut map.notes,
                "group" | "folder" => &mut map.group,
                "totp" | "otp" => &mut map.totp,
                other => {
                    return Err(format!(
                        "unknown field '{other}': title, username, password, url, notes, group and totp can be mapped"
                    ));
                }
            };
            *slot = Some(column.to_owned());
        }
        if map.title.is_none() && map.url.is_none() {
            return Err("map a title or a url column: entries need names".into());
        }
        Ok(map)
    }
}

pub fn parse(file: &Path, bytes: &[u8], map: &ColumnMap, now: &str) -> Result<Parsed, BadInput> {
    let all = [
        &map.title,
        &map.username,
        &map.password,
        &map.url,
        &map.notes,
        &map.group,
        &map.totp,
    ];
    let columns = Columns {
        title: map.title.as_deref(),
        username: map.username.as_deref(),
        password: map.password.as_deref(),
        url: map.url.as_deref(),
        notes: map.notes.as_deref(),
        group: map.group.as_deref(),
        totp: map.totp.as_deref(),
        // Every column the user named must be there: a typo would otherwise import blanks.
        required: all.iter().filter_map(|c| c.as_deref()).collect(),
    };
    read_items(file, bytes, "CSV (--map)", &columns, now, |_, _, _| None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps() {
        let map = ColumnMap::parse("title=Name, password = Pass ,url=Site").unwrap();
        assert_eq!(map.title.as_deref(), Some("Name"));
        assert_eq!(map.password.as_deref(), Some("Pass"));
        assert!(ColumnMap::parse("colour=x").is_err());
        assert!(ColumnMap::parse("password=P").is_err());
        assert!(ColumnMap::parse("title").is_err());
    }
}
