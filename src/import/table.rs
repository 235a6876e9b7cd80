//! The one CSV reader every CSV format shares: a header row, columns found by name (any
//! case), one row at a time, and the error for a file that is not the format it claims.
//!
//! The csv crate's record buffer is reused from row to row and is not wiped when dropped; the
//! values leave it at once for [`Secret`]s.

use std::collections::HashMap;
use std::path::Path;

use super::{BadInput, Item, Parsed, bad, entry_at};
use crate::secret::Secret;

/// Where a CSV format keeps the fields every entry has: header names, `None` for a field the
/// format has not got. `required` lists the columns without which the file is not that
/// format; the others may be missing (an older exporter's version).
#[derive(Default, Clone)]
pub struct Columns<'a> {
    pub title: Option<&'a str>,
    pub username: Option<&'a str>,
    pub password: Option<&'a str>,
    pub url: Option<&'a str>,
    pub notes: Option<&'a str>,
    pub group: Option<&'a str>,
    pub totp: Option<&'a str>,
    pub required: Vec<&'a str>,
}

/// One row: its values by column name, and its line in the file for messages.
pub struct Row<'r> {
    record: &'r csv::StringRecord,
    index: &'r HashMap<String, usize>,
    pub line: u64,
}

impl Row<'_> {
    /// The value in `column`, or empty when the file has no such column.
    pub fn get(&self, column: &str) -> &str {
        self.index
            .get(&column.to_lowercase())
            .and_then(|&i| self.record.get(i))
            .unwrap_or_default()
    }

    pub fn secret(&self, column: Option<&str>) -> Secret {
        column
            .map(|c| Secret::from(self.get(c)))
            .unwrap_or_default()
    }

    pub fn plain(&self, column: Option<&str>) -> String {
        column.map(|c| self.get(c).to_owned()).unwrap_or_default()
    }
}

/// Reads a CSV export of `format` into items: the columns map the common fields, and `more`
/// adds what else the format has to each item (or says to skip it, with why).
pub fn read_items(
    file: &Path,
    bytes: &[u8],
    format: &str,
    columns: &Columns,
    now: &str,
    mut more: impl FnMut(&Row, &mut Item, &mut Parsed) -> Option<String>,
) -> Result<Parsed, BadInput> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|err| csv_error(file, format, &err))?
        .clone();
    if headers.is_empty() || headers.iter().all(str::is_empty) {
        return Err(bad(file, format!("not a {format} export: it is empty")));
    }
    let index: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, name)| (name.trim().to_lowercase(), i))
        .collect();
    for name in &columns.required {
        if !index.contains_key(&name.to_lowercase()) {
            let found: Vec<&str> = headers.iter().take(12).collect();
            return Err(bad(
                file,
                format!(
                    "not a {format} export: it has no '{name}' column (its header: {})",
                    crate::text::one_line(&found.join(","))
                ),
            ));
        }
    }
    let mut parsed = Parsed::default();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => return Err(csv_error(file, format, &err)),
        }
        let row = Row {
            record: &record,
            index: &index,
            line: record.position().map_or(0, csv::Position::line),
        };
        let mut entry = entry_at(None, None, now);
        entry.username = row.plain(columns.username);
        entry.password = row.secret(columns.password);
        entry.url = row.plain(columns.url);
        entry.notes = row.secret(columns.notes);
        entry.totp = row.secret(columns.totp);
        let mut item = Item {
            group: row.plain(columns.group),
            title: row.plain(columns.title),
            entry,
        };
        match more(&row, &mut item, &mut parsed) {
            None => parsed.items.push(item),
            Some(why) => parsed
                .skipped
                .push((format!("line {} ({})", row.line, item.title), why)),
        }
    }
    Ok(parsed)
}

fn csv_error(file: &Path, format: &str, err: &csv::Error) -> BadInput {
    let line = err.position().map_or(0, csv::Position::line);
    // The csv crate's own text is fine for these kinds, which never quote a value.
    let reason = match err.kind() {
        csv::ErrorKind::Utf8 { .. } => format!("line {line} is not UTF-8 text"),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("line {line} has {len} fields where the header has {expected_len}"),
        csv::ErrorKind::Io(e) => crate::error::describe_io(e),
        _ => format!("line {line} is not valid CSV"),
    };
    bad(file, format!("not a {format} export: {reason}"))
}

/// `Social/Media` from `KeePassXC`'s `Root/Social/Media`: the database's root group is no group.
pub fn without_root(group: &str) -> String {
    group
        .split_once('/')
        .map_or_else(String::new, |(_, rest)| rest.to_owned())
}
