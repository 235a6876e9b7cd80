//! `KeePass` 2's XML export (`KeePassFile/Root/Group/Entry`): groups, `String` key/value pairs
//! (the five standard ones, a TOTP key under `otp`, `TOTP Seed` or `TimeOtp-Secret-Base32`, the
//! rest as fields), tags, times, and `History` (older versions of the entry) as password
//! history. The recycle bin's entries are skipped.
//!
//! Read as a stream of events, so a value never sits in a tree of plain strings.

use std::path::Path;

use quick_xml::Reader;
use quick_xml::events::Event;
use zeroize::Zeroizing;

use super::{BadInput, Item, Parsed, add_field, bad, entry_at, rfc3339};
use crate::document::{Entry, Extra, PastPassword};
use crate::secret::Secret;

/// Custom strings that hold a TOTP key: `KeePassXC`'s, the `TrayTOTP` plugin's, `KeePass` 2.47's
/// own.
const TOTP_KEYS: [&str; 3] = ["otp", "TOTP Seed", "TimeOtp-Secret-Base32"];

#[derive(Default)]
struct Draft {
    strings: Vec<(String, Secret)>,
    created: Option<String>,
    modified: Option<String>,
    tags: Vec<String>,
    attachments: usize,
    history: Vec<Draft>,
}

struct Group {
    name: String,
    uuid: String,
}

#[derive(Default)]
struct State {
    /// Open elements, outermost first.
    path: Vec<String>,
    /// The text of the innermost element so far (a value may arrive in pieces).
    text: Zeroizing<String>,
    groups: Vec<Group>,
    /// The entry being read, and the history version inside it, if any.
    entry: Option<Draft>,
    old: Option<Draft>,
    key: String,
    recycle_bin: String,
    protected: bool,
}

impl State {
    fn parent_is(&self, names: &[&str]) -> bool {
        self.path.len() > names.len()
            && self.path[self.path.len() - 1 - names.len()..self.path.len() - 1]
                .iter()
                .zip(names)
                .all(|(a, b)| a == b)
    }

    fn draft(&mut self) -> Option<&mut Draft> {
        self.old.as_mut().or(self.entry.as_mut())
    }
}

pub fn parse(file: &Path, bytes: &[u8], now: &str) -> Result<Parsed, BadInput> {
    let not_xml = |reason: String| bad(file, format!("not a KeePass 2 XML export: {reason}"));
    let mut reader = Reader::from_reader(bytes);
    let mut state = State::default();
    let mut parsed = Parsed::default();
    let mut seen_root = false;
    loop {
        let event = reader.read_event().map_err(|_| {
            not_xml(format!(
                "the XML is broken near byte {}",
                reader.buffer_position()
            ))
        })?;
        match event {
            Event::Start(start) => {
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                if !seen_root {
                    if name != "KeePassFile" {
                        return Err(not_xml("its root element is not KeePassFile".into()));
                    }
                    seen_root = true;
                }
                if name == "Value"
                    && start
                        .try_get_attribute("Protected")
                        .ok()
                        .flatten()
                        .is_some_and(|a| a.value.as_ref() == b"True")
                {
                    state.protected = true;
                }
                state.path.push(name);
                state.text.clear();
                open(&mut state);
            }
            Event::Empty(start) => {
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                state.path.push(name);
                state.text.clear();
                open(&mut state);
                close(&mut state, &mut parsed, now);
            }
            Event::End(_) => close(&mut state, &mut parsed, now),
            Event::Text(text) => {
                let text = text
                    .xml10_content()
                    .map_err(|_| not_xml("it is not UTF-8 text".into()))?;
                state.text.push_str(&text);
            }
            Event::CData(data) => {
                let text = data
                    .decode()
                    .map_err(|_| not_xml("it is not UTF-8 text".into()))?;
                state.text.push_str(&text);
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    _ => match &*reference {
                        b"lt" => '<',
                        b"gt" => '>',
                        b"amp" => '&',
                        b"apos" => '\'',
                        b"quot" => '"',
                        _ => return Err(not_xml("it uses an unknown entity".into())),
                    },
                };
                state.text.push(resolved);
            }
            Event::Eof => break,
            _ => {}
        }
        if state.protected {
            return Err(bad(
                file,
                "its values are encrypted (Protected=\"True\"): export from KeePass with File > Export > KeePass XML (2.x)",
            ));
        }
    }
    if !seen_root {
        return Err(not_xml("it has no KeePassFile element".into()));
    }
    if !state.path.is_empty() {
        return Err(not_xml("it ends early (is it truncated?)".into()));
    }
    Ok(parsed)
}

fn open(state: &mut State) {
    let top = state.path.last().map_or("", String::as_str);
    match top {
        "Group" => state.groups.push(Group {
            name: String::new(),
            uuid: String::new(),
        }),
        "Entry" if state.parent_is(&["History"]) => state.old = Some(Draft::default()),
        "Entry" if state.parent_is(&["Group"]) => state.entry = Some(Draft::default()),
        _ => {}
    }
}

fn close(state: &mut State, parsed: &mut Parsed, now: &str) {
    let Some(top) = state.path.last().cloned() else {
        return;
    };
    let text = std::mem::take(&mut state.text);
    match top.as_str() {
        "Name" if state.parent_is(&["Group"]) => {
            if let Some(group) = state.groups.last_mut() {
                text.trim().clone_into(&mut group.name);
            }
        }
        "UUID" if state.parent_is(&["Group"]) => {
            if let Some(group) = state.groups.last_mut() {
                text.trim().clone_into(&mut group.uuid);
            }
        }
        "RecycleBinUUID" if state.parent_is(&["Meta"]) => {
            text.trim().clone_into(&mut state.recycle_bin);
        }
        "Key" if state.parent_is(&["String"]) => state.key = text.to_string(),
        "Value" if state.parent_is(&["String"]) => {
            let key = std::mem::take(&mut state.key);
            if let Some(draft) = state.draft() {
                draft.strings.push((key, Secret::from(text.as_str())));
            }
        }
        "CreationTime" if state.parent_is(&["Times"]) => {
            if let Some(draft) = state.draft() {
                draft.created = time(&text);
            }
        }
        "LastModificationTime" if state.parent_is(&["Times"]) => {
            if let Some(draft) = state.draft() {
                draft.modified = time(&text);
            }
        }
        "Tags" if state.parent_is(&["Entry"]) => {
            if let Some(draft) = state.draft() {
                draft.tags = super::tags(text.split([';', ',']));
            }
        }
        "Binary" if state.parent_is(&["Entry"]) => {
            if let Some(draft) = state.draft() {
                draft.attachments += 1;
            }
        }
        "Entry" if state.old.is_some() && state.parent_is(&["History"]) => {
            let old = state.old.take();
            if let (Some(old), Some(entry)) = (old, state.entry.as_mut()) {
                entry.history.push(old);
            }
        }
        "Entry" if state.parent_is(&["Group"]) => {
            if let Some(draft) = state.entry.take() {
                finish(state, draft, parsed, now);
            }
        }
        "Group" => {
            state.groups.pop();
        }
        _ => {}
    }
    state.path.pop();
}

fn finish(state: &State, draft: Draft, parsed: &mut Parsed, now: &str) {
    let title = draft
        .strings
        .iter()
        .find(|(k, _)| k == "Title")
        .map(|(_, v)| v.expose().to_owned())
        .unwrap_or_default();
    if !state.recycle_bin.is_empty() && state.groups.iter().any(|g| g.uuid == state.recycle_bin) {
        parsed
            .skipped
            .push((title, "it is in KeePass's recycle bin".into()));
        return;
    }
    if draft.attachments > 0 {
        parsed.unmapped.push((
            title.clone(),
            format!(
                "{} attachment(s) (attachments are not imported)",
                draft.attachments
            ),
        ));
    }
    // The database's own root group is no group.
    let group = state
        .groups
        .iter()
        .skip(1)
        .map(|g| g.name.as_str())
        .collect::<Vec<_>>()
        .join("/");
    let mut history: Vec<Draft> = draft.history;
    let mut entry = to_entry(draft.strings, draft.created, draft.modified, now);
    entry.tags = draft.tags;
    // Each older version's password, oldest first, until the next version replaced it.
    history.sort_by(|a, b| a.modified.cmp(&b.modified));
    let mut until: Vec<String> = history
        .iter()
        .skip(1)
        .map(|h| h.modified.clone().unwrap_or_default())
        .collect();
    until.push(entry.updated.clone());
    let mut last = Secret::default();
    for (old, until) in history.into_iter().zip(until) {
        let Some((_, password)) = old.strings.into_iter().find(|(k, _)| k == "Password") else {
            continue;
        };
        if password.is_empty() || password == last {
            continue;
        }
        last = password.clone();
        entry.history.push(PastPassword {
            password,
            until,
            extra: Extra::default(),
        });
    }
    // A version that kept the current password is no past password.
    if entry
        .history
        .last()
        .is_some_and(|h| h.password == entry.password)
    {
        entry.history.pop();
    }
    parsed.items.push(Item {
        group,
        title,
        entry,
    });
}

fn to_entry(
    strings: Vec<(String, Secret)>,
    created: Option<String>,
    modified: Option<String>,
    now: &str,
) -> Entry {
    let mut entry = entry_at(created, modified, now);
    for (key, value) in strings {
        match key.as_str() {
            "Title" => {}
            "UserName" => entry.username = value.expose().to_owned(),
            "Password" => entry.password = value,
            "URL" => entry.url = value.expose().to_owned(),
            "Notes" => entry.notes = value,
            key if TOTP_KEYS.contains(&key) && entry.totp.is_empty() => entry.totp = value,
            key => add_field(&mut entry.fields, key, value),
        }
    }
    entry
}

/// `KeePass` writes times as RFC 3339 in its XML export, and as base64 of the seconds since
/// year 1 (little-endian) inside KDBX 4 databases; both are read.
fn time(text: &str) -> Option<String> {
    use base64::Engine;
    // 0001-01-01 to 1970-01-01.
    const UNIX_FROM_YEAR_ONE: i64 = 62_135_596_800;
    if let Some(time) = rfc3339(text) {
        return Some(time);
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()?;
    let seconds = i64::from_le_bytes(bytes.try_into().ok()?);
    u64::try_from(seconds - UNIX_FROM_YEAR_ONE)
        .ok()
        .map(super::from_unix)
}
