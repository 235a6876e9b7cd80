//! A vault's plaintext read with the index of its entries (see [`scan::index_entries`], which
//! checks each one as a full parse checks it), and what that index allows:
//!
//! - a change to a few entries made without parsing the others, which are written back byte
//!   for byte as they were, so adding one entry to a vault of 100,000 costs the crypto, not a
//!   parse and a serialization of every entry ([`open`], [`Unparsed::json`]);
//! - a whole document parsed on two threads, each entry from where it is ([`parse_whole`]).

use std::ops::Range;

use crate::document::{self, Document, Entry, ParseError};
use crate::scan::{self, Feed, Index, Span};
use crate::scope;
use crate::secret::SecretBuf;
use crate::signature;

/// A feed passed on to a scan, every chunk kept: the plaintext the index points into.
struct Keeping<'f> {
    feed: &'f mut dyn Feed,
    plaintext: SecretBuf,
}

impl Feed for Keeping<'_> {
    fn next(&mut self, used: SecretBuf) -> Option<SecretBuf> {
        let chunk = self.feed.next(used)?;
        self.plaintext.extend_from_slice(&chunk);
        Some(chunk)
    }
}

/// The plaintext `feed` gives, read to its end and kept (`size`: about how long it is), and
/// the index of its entries or why the document is refused.
pub fn read(feed: &mut dyn Feed, size: usize) -> (SecretBuf, Result<Index, ParseError>) {
    let mut keeping = Keeping {
        feed,
        plaintext: SecretBuf::with_capacity(size),
    };
    let index = scan::index_entries(&mut keeping);
    (keeping.plaintext, index)
}

/// The entries of a document as they are in its plaintext, in name order, and which of them
/// were parsed (those are written anew from the document).
pub struct Unparsed {
    plaintext: SecretBuf,
    entries: Vec<(String, Span, bool)>,
}

/// The document `plaintext` holds (`index`: its checked index) with only the entries named
/// in `touched` parsed, and those a scoped recipient is granted (its derived vault is made
/// from them); the others as [`Unparsed`]. `None` when it must be read whole: its names are
/// not sorted, an entry has no id, or it lists no recipient (a vault made by hand, whose
/// first save sorts the names and gives the ids and recipients).
pub fn open(
    plaintext: SecretBuf,
    index: Index,
    touched: &[&str],
) -> Result<Option<(Document, Unparsed)>, ParseError> {
    if !index.sorted || !index.ids {
        return Ok(None);
    }
    let mut doc = members(&index)?;
    if doc.recipients.is_empty() {
        return Ok(None);
    }
    // A save signs anew; the old signature is only evidence about this version.
    doc.extra.remove(signature::MEMBER);
    let scopes: Vec<&[String]> = doc
        .recipients
        .iter()
        .filter_map(|r| r.only.as_deref())
        .collect();
    let mut entries = Vec::with_capacity(index.names.len());
    for (name, span) in index.names.into_iter().zip(index.spans) {
        let wanted =
            touched.contains(&name.as_str()) || scopes.iter().any(|p| scope::grants(p, &name));
        if wanted {
            let entry = serde_json::from_slice::<Entry>(&plaintext[span.value..span.end])
                .map_err(|err| ParseError::Invalid(document::describe_json_error(&err)))?;
            doc.entries.insert(name.clone(), entry);
        }
        entries.push((name, span, wanted));
    }
    Ok(Some((doc, Unparsed { plaintext, entries })))
}

/// The whole document `plaintext` holds, `index` its checked index: its entries parsed from
/// where the index found them, half of them on a second thread.
pub fn parse_whole(plaintext: &[u8], index: Index) -> Result<Document, ParseError> {
    if !index.sorted {
        // No spans: a vault made by hand is parsed as one.
        return Document::parse(plaintext);
    }
    let mut doc = members(&index)?;
    let parse = |names: Vec<String>, spans: &[Span]| -> Result<Vec<(String, Entry)>, ParseError> {
        names
            .into_iter()
            .zip(spans)
            .map(|(name, span)| {
                serde_json::from_slice::<Entry>(&plaintext[span.value..span.end])
                    .map(|entry| (name, entry))
                    .map_err(|err| ParseError::Invalid(document::describe_json_error(&err)))
            })
            .collect()
    };
    let mut first = index.names;
    let second = first.split_off(first.len() / 2);
    let (spans_first, spans_second) = index.spans.split_at(first.len());
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| parse(second, spans_second));
        let first = parse(first, spans_first);
        (
            first,
            second
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        )
    });
    // Sorted already: the map is built in one pass.
    doc.entries = first?.into_iter().chain(second?).collect();
    Ok(doc)
}

/// The document `plaintext` holds (`index`: its checked index) with only the entries named in
/// `wanted` parsed (those it has); `None` when its names are not in order, so not found by
/// name (a vault made by hand).
pub fn parse_some(
    plaintext: &[u8],
    index: &Index,
    wanted: &[&str],
) -> Option<Result<Document, ParseError>> {
    if !index.sorted {
        return None;
    }
    let parse = || {
        let mut doc = members(index)?;
        for name in wanted {
            let Ok(at) = index.names.binary_search_by(|n| n.as_str().cmp(name)) else {
                continue;
            };
            let span = index.spans[at];
            let entry = serde_json::from_slice::<Entry>(&plaintext[span.value..span.end])
                .map_err(|err| ParseError::Invalid(document::describe_json_error(&err)))?;
            doc.entries.insert((*name).to_owned(), entry);
        }
        Ok(doc)
    };
    Some(parse())
}

/// The document's members besides its entries (none of those yet), as `index` holds them.
fn members(index: &Index) -> Result<Document, ParseError> {
    let mut doc = Document::parse(&index.others)?;
    if let Some(format) = index.format {
        doc.format = format;
    }
    Ok(doc)
}

impl Unparsed {
    /// `doc` as [`Document::to_json_buf`] writes it, the entries not parsed among its own:
    /// those (as a change left them) written anew, the others copied from the plaintext as
    /// they were, in runs, in name order. Refused (rather than a name written twice, and
    /// signed) when `doc` holds a name not parsed: every name a change touches is.
    pub fn json<'a>(&'a self, doc: &Document) -> serde_json::Result<Json<'a>> {
        let mut json = Json {
            fresh: SecretBuf::with_capacity(4096),
            parts: Vec::new(),
            old: &self.plaintext,
            fresh_from: 0,
        };
        self.write(&mut json, doc)?;
        json.close_fresh();
        Ok(json)
    }

    fn write(&self, json: &mut Json, doc: &Document) -> serde_json::Result<()> {
        doc.write_head(&mut json.fresh)?;
        json.fresh.extend_from_slice(b"{");
        let mut parsed = doc.entries.iter().peekable();
        let mut first = true;
        // The members copied next, from the first one's key to the last one's end.
        let mut run: Option<Range<usize>> = None;
        for (name, span, was_parsed) in &self.entries {
            if *was_parsed {
                // Written from the document: the run stops here.
                json.copy_run(run.take(), &mut first);
                continue;
            }
            while let Some((key, entry)) = parsed.next_if(|(key, _)| key.as_str() < name.as_str()) {
                json.copy_run(run.take(), &mut first);
                json.member(key, entry, &mut first)?;
            }
            if parsed.peek().is_some_and(|(key, _)| *key == name) {
                return Err(serde::ser::Error::custom("an entry both parsed and not"));
            }
            run = Some(run.map_or(span.key..span.end, |run| run.start..span.end));
        }
        json.copy_run(run, &mut first);
        for (key, entry) in parsed {
            json.member(key, entry, &mut first)?;
        }
        json.fresh.extend_from_slice(b"}");
        doc.write_tail(&mut json.fresh)
    }
}

/// A document's JSON in pieces, each written anew or copied from the plaintext it was read
/// from; all of them in a row are the document.
pub struct Json<'a> {
    fresh: SecretBuf,
    parts: Vec<Part>,
    old: &'a [u8],
    /// Where the bytes of `fresh` no part holds yet begin.
    fresh_from: usize,
}

enum Part {
    Fresh(Range<usize>),
    Old(Range<usize>),
}

impl Json<'_> {
    /// A JSON written whole.
    pub fn whole(json: SecretBuf) -> Json<'static> {
        let mut whole = Json {
            fresh: json,
            parts: Vec::new(),
            old: &[],
            fresh_from: 0,
        };
        whole.close_fresh();
        whole
    }

    /// The pieces, in order.
    pub fn pieces(&self) -> Vec<&[u8]> {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Fresh(range) => &self.fresh[range.clone()],
                Part::Old(range) => &self.old[range.clone()],
            })
            .collect()
    }

    /// Ends the part written anew so far.
    fn close_fresh(&mut self) {
        if self.fresh.len() > self.fresh_from {
            self.parts
                .push(Part::Fresh(self.fresh_from..self.fresh.len()));
            self.fresh_from = self.fresh.len();
        }
    }

    fn comma(&mut self, first: &mut bool) {
        if !std::mem::take(first) {
            self.fresh.extend_from_slice(b",");
        }
    }

    /// Members copied as they are, commas between them included.
    fn copy_run(&mut self, run: Option<Range<usize>>, first: &mut bool) {
        if let Some(run) = run {
            self.comma(first);
            self.close_fresh();
            self.parts.push(Part::Old(run));
        }
    }

    /// `"key":entry`, written anew.
    fn member(&mut self, key: &str, entry: &Entry, first: &mut bool) -> serde_json::Result<()> {
        self.comma(first);
        serde_json::to_writer(&mut self.fresh, key)?;
        self.fresh.extend_from_slice(b":");
        serde_json::to_writer(&mut self.fresh, entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::Change;
    use crate::document::{Conflict, Recipient};
    use crate::scan::Whole;
    use crate::secret::Secret;

    fn entry(id: &str, password: &str) -> Entry {
        let mut entry = Entry::new("2026-01-01T00:00:00Z");
        entry.id = id.into();
        entry.password = Secret::from(password);
        entry
    }

    /// A vault as vault writes it: names that need escapes, fields, history, an unknown member
    /// at every level, tombstones and a conflict.
    fn written() -> Document {
        let mut doc = Document::new(vec![Recipient::new("op", "age1op")]);
        for (i, name) in [
            "a",
            "bank/eu",
            "bank/us",
            "c\"quoted\"",
            "d\\e",
            "mail",
            "é",
        ]
        .iter()
        .enumerate()
        {
            let mut e = entry(&format!("id{i}"), &format!("pw{i}"));
            e.fields.insert("pin".into(), Secret::from("1234"));
            e.tags = vec!["t".into()];
            e.set_password(Secret::from("newer"), "2026-02-01T00:00:00Z");
            e.extra
                .insert("passkey", serde_json::json!({"k": [1, 2.5, null]}));
            doc.entries.insert((*name).into(), e);
        }
        doc.deleted
            .insert("gone".into(), "2026-01-02T00:00:00Z".into());
        doc.conflicts.push(Conflict {
            id: "id1".into(),
            name: "bank/eu".into(),
            fields: vec!["password".into()],
            theirs: None,
            at: "2026-01-03T00:00:00Z".into(),
            ..Conflict::default()
        });
        doc.extra.insert("future", serde_json::json!({"z": [1]}));
        doc
    }

    fn index(json: &[u8]) -> (SecretBuf, Index) {
        let mut buf = SecretBuf::with_capacity(json.len());
        buf.extend_from_slice(json);
        let (plaintext, index) = read(&mut Whole::new(buf), json.len());
        (plaintext, index.expect("a valid document"))
    }

    fn joined(json: &Json) -> Vec<u8> {
        json.pieces().concat()
    }

    /// The change made with only the entries it touches parsed, written back, is the document
    /// a full parse, the same change and a full write give (byte for byte when `json` is
    /// compact, as vault writes it); or both refuse it.
    fn agrees(json: &[u8], change: impl Fn() -> Change, compact: bool) {
        let mut full = Document::parse(json).unwrap();
        full.extra.remove(signature::MEMBER);
        let full_result = change().apply(&mut full);

        let (plaintext, index) = index(json);
        let change = change();
        let touched: Vec<String> = change
            .entries_touched()
            .expect("a change to named entries")
            .into_iter()
            .map(str::to_owned)
            .collect();
        let touched: Vec<&str> = touched.iter().map(String::as_str).collect();
        let (mut doc, unparsed) = open(plaintext, index, &touched)
            .unwrap()
            .expect("opened in part");
        assert!(
            doc.entries.len() <= touched.len(),
            "only what it touches is parsed"
        );
        let part_result = change.apply(&mut doc);
        assert_eq!(
            full_result.map_err(|e| e.to_string()),
            part_result.map_err(|e| e.to_string())
        );
        let spliced = joined(&unparsed.json(&doc).unwrap());
        assert_eq!(Document::parse(&spliced).unwrap(), full);
        if compact {
            assert_eq!(
                String::from_utf8(spliced).unwrap(),
                String::from_utf8(full.to_json_buf(0).to_vec()).unwrap()
            );
        }
    }

    fn changes() -> Vec<Box<dyn Fn() -> Change>> {
        let doc = written();
        let seen = |name: &str| doc.entries[name].clone();
        let (bank, mail, a, last) = (seen("bank/eu"), seen("mail"), seen("a"), seen("é"));
        let update = move |name: &str, seen: Entry, rename: Option<&str>| {
            let name = name.to_owned();
            let rename = rename.map(str::to_owned);
            Box::new(move || {
                let mut entry = seen.clone();
                entry.username = "changed".into();
                Change::Update {
                    name: name.clone(),
                    seen: seen.clone(),
                    entry,
                    rename: rename.clone(),
                }
            }) as Box<dyn Fn() -> Change>
        };
        let add = |name: &'static str| {
            Box::new(move || Change::Add {
                name: name.into(),
                entry: entry("new", "fresh"),
            }) as Box<dyn Fn() -> Change>
        };
        let remove = |name: &'static str, seen: Entry| {
            Box::new(move || Change::Remove {
                name: name.into(),
                seen: seen.clone(),
            }) as Box<dyn Fn() -> Change>
        };
        vec![
            add("0 first"),
            add("bank/fr"),
            add("zz last"),
            add("mail"),
            update("bank/eu", bank.clone(), None),
            update("bank/eu", bank.clone(), Some("0 first")),
            update("bank/eu", bank.clone(), Some("zz last")),
            update("bank/eu", bank.clone(), Some("mail")),
            update("mail", bank.clone(), None),
            remove("a", a),
            remove("mail", mail),
            remove("é", last),
            remove("bank/eu", entry("other", "x")),
            remove("nothing", bank),
        ]
    }

    #[test]
    fn a_change_in_part_gives_what_a_full_parse_gives() {
        let json = written().to_json_buf(0).to_vec();
        for change in changes() {
            agrees(&json, change, true);
        }
    }

    #[test]
    fn entries_written_by_hand_are_copied_as_they_are() {
        let json = br#"{ "recipients": [ {"name": "op", "key": "age1op"} ],
            "entries": {
              "a" : {"id": "id0", "password": "pw0"} ,
              "bank/eu": {"id": "id1", "password": "pw1", "custom": {"k": [1, 2]}},
              "bank/us":{"id":"id2","password":"p\u00e9"},
              "c\"quoted\"": {"id": "id3"}, "d\\e": {"id": "id4"},
              "mail": {"id": "id5", "history": [{"password": "old", "until": "t"}]},
              "\u00e9": {"id": "id6"}
            },
            "signature": {"writer": "w", "sig": "s"} }"#;
        let doc = Document::parse(json).unwrap();
        let (plaintext, index) = index(json);
        let (partial, unparsed) = open(plaintext, index, &[]).unwrap().unwrap();
        let copy = joined(&unparsed.json(&partial).unwrap());
        let text = String::from_utf8(copy.clone()).unwrap();
        assert!(
            text.contains(r#""bank/us":{"id":"id2","password":"p\u00e9"}"#),
            "{text}"
        );
        // All as it was, but the old signature: a save signs anew.
        assert!(!text.contains("signature"), "{text}");
        let mut copied = Document::parse(&copy).unwrap();
        copied.extra.insert(
            signature::MEMBER,
            serde_json::json!({"writer": "w", "sig": "s"}),
        );
        assert_eq!(copied, doc);
        for change in changes() {
            agrees(json, change, false);
        }
    }

    #[test]
    fn a_name_both_parsed_and_not_is_never_written_twice() {
        let json = written().to_json_buf(0).to_vec();
        let (plaintext, index) = index(&json);
        let (mut doc, unparsed) = open(plaintext, index, &["a"]).unwrap().unwrap();
        doc.entries.insert("mail".into(), entry("dup", "x"));
        assert!(unparsed.json(&doc).is_err());
    }

    #[test]
    fn a_vault_made_by_hand_is_read_whole() {
        for json in [
            // Names out of order.
            r#"{"recipients": [{"name": "op", "key": "k"}], "entries": {"b": {"id": "1"}, "a": {"id": "2"}}}"#,
            // An entry without an id, or an empty one.
            r#"{"recipients": [{"name": "op", "key": "k"}], "entries": {"a": {"id": "1"}, "b": {}}}"#,
            r#"{"recipients": [{"name": "op", "key": "k"}], "entries": {"a": {"id": ""}}}"#,
            // Nobody to encrypt to yet.
            r#"{"entries": {"a": {"id": "1"}}}"#,
        ] {
            let (plaintext, index) = index(json.as_bytes());
            assert!(open(plaintext, index, &["a"]).unwrap().is_none(), "{json}");
        }
    }

    #[test]
    fn a_whole_document_parsed_from_its_index_is_the_document() {
        let mut large = written();
        for i in 0..1000 {
            large
                .entries
                .insert(format!("n{i:04}"), entry(&format!("x{i}"), "pw"));
        }
        let hand_made = br#"{"entries": {"b": {"password": "1"}, "a": {"x": [1, {"y": 2}]}},
            "format": 1, "settings": {"k": "v"}}"#;
        for json in [
            written().to_json_buf(0).to_vec(),
            large.to_json_buf(0).to_vec(),
            hand_made.to_vec(),
            br#"{"entries": {}}"#.to_vec(),
        ] {
            let (plaintext, index) = index(&json);
            assert_eq!(
                parse_whole(&plaintext, index).unwrap(),
                Document::parse(&json).unwrap(),
                "{}",
                String::from_utf8_lossy(&json)
            );
        }
    }

    #[test]
    fn what_a_scoped_recipient_is_granted_is_parsed_too() {
        let mut doc = written();
        let mut job = Recipient::new("job", "age1job");
        job.only = Some(vec!["bank/*".into()]);
        doc.recipients.push(job);
        let json = doc.to_json_buf(0).to_vec();
        let (plaintext, index) = index(&json);
        let (parsed, _) = open(plaintext, index, &["mail"]).unwrap().unwrap();
        let names: Vec<&str> = parsed.entries.keys().map(String::as_str).collect();
        assert_eq!(names, ["bank/eu", "bank/us", "mail"]);
        assert!(parsed.entries["bank/eu"] == doc.entries["bank/eu"]);
    }
}
