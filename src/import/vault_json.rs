//! What `vault export --all --format json` writes (`{"format": 1, "entries": {…}}`), or a
//! vault decrypted with `age -d`: the entries come back exactly, history and times included.

use std::path::Path;

use super::{BadInput, Item, Parsed, bad};
use crate::document::{Document, ParseError};

pub fn parse(file: &Path, bytes: &[u8]) -> Result<Parsed, BadInput> {
    let doc = Document::parse(bytes).map_err(|err| match err {
        ParseError::TooNew(found) => bad(
            file,
            format!("it is vault format {found}, newer than this version knows"),
        ),
        ParseError::Invalid(reason) => bad(file, format!("not a vault JSON export: {reason}")),
    })?;
    let items = doc
        .entries
        .into_iter()
        .map(|(name, entry)| {
            // The name's groups are the item's group: the naming rules see what they expect.
            let (group, title) = name.rsplit_once('/').unwrap_or(("", &name));
            Item {
                group: group.to_owned(),
                title: title.to_owned(),
                entry,
            }
        })
        .collect();
    Ok(Parsed {
        items,
        ..Parsed::default()
    })
}
