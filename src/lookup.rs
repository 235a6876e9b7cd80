//! Reading one entry out of a plaintext document without building the rest: what `export`
//! needs on every run of a job. What decides the answer is checked as strictly as a full parse
//! does: the top-level keys, the entry names (a name twice is an error, never a silent pick)
//! and the entry printed, duplicate keys at every depth of it refused, the format refused when
//! newer. Other entries are skipped without being decoded or copied out of the plaintext; the
//! commands that read the whole document (list, show, every write) check them in full.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::document::{self, Entry, FORMAT, ParseError};

/// The entry named `name`, or `None` when the document has no such entry.
pub fn find_entry(plaintext: &[u8], name: &str) -> Result<Option<Entry>, ParseError> {
    let mut deserializer = serde_json::Deserializer::from_slice(plaintext);
    let found = TopLevel { name }
        .deserialize(&mut deserializer)
        .and_then(|found| deserializer.end().map(|()| found));
    match found {
        Ok(Found { format, .. }) if format > FORMAT => Err(ParseError::TooNew(format)),
        Ok(Found { format: 0, .. }) => Err(ParseError::Invalid("format 0 is not a format".into())),
        Ok(Found { entry, .. }) => Ok(entry),
        // As in a full parse: a newer format may be shaped differently, so say it is newer.
        Err(err) => Err(document::Document::parse(plaintext)
            .err()
            .unwrap_or_else(|| ParseError::Invalid(document::describe_json_error(&err)))),
    }
}

struct Found {
    format: u64,
    entry: Option<Entry>,
}

/// A map key, borrowed from the plaintext when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Remembers the keys of one JSON object and refuses a second of any.
struct SeenKeys<'de> {
    keys: Vec<Cow<'de, str>>,
    /// True while every key so far came in ascending order, so the last is the greatest.
    sorted: bool,
    /// Used instead of `keys` once an unsorted object grows past a few keys.
    set: HashSet<Cow<'de, str>, BuildHasherDefault<Fnv>>,
}

/// FNV-1a: a few instructions a byte, where `SipHash` costs more than the whole scan. Its only
/// weakness, inputs crafted to collide, does not apply: the keys come from authenticated
/// plaintext.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for byte in bytes {
            hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl Default for SeenKeys<'_> {
    fn default() -> Self {
        SeenKeys {
            keys: Vec::new(),
            sorted: true,
            set: HashSet::default(),
        }
    }
}

impl<'de> SeenKeys<'de> {
    /// Small objects (an entry's fields): a linear scan beats hashing.
    const FEW: usize = 16;

    fn insert<E: de::Error>(&mut self, key: Cow<'de, str>) -> Result<(), E> {
        if !self.set.is_empty() {
            return if self.set.insert(key.clone()) {
                Ok(())
            } else {
                Err(document::duplicate_key(&key))
            };
        }
        // vault writes entries sorted: a key above the greatest so far cannot repeat one.
        if self.sorted && self.keys.last().is_none_or(|last| *last < key) {
            self.keys.push(key);
            return Ok(());
        }
        self.sorted = false;
        if self.keys.contains(&key) {
            return Err(document::duplicate_key(&key));
        }
        self.keys.push(key);
        if self.keys.len() > Self::FEW {
            self.set.extend(self.keys.drain(..));
        }
        Ok(())
    }
}

struct TopLevel<'a> {
    name: &'a str,
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_> {
    type Value = Found;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Found, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = Found;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a vault document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Found, A::Error> {
        let mut seen = SeenKeys::default();
        let mut format = FORMAT;
        let mut entries = None;
        while let Some(Key(key)) = map.next_key()? {
            match key.as_ref() {
                "format" => format = map.next_value()?,
                "entries" => entries = Some(map.next_value_seed(Entries { name: self.name })?),
                _ => map.next_value::<IgnoredAny>().map(|_| ())?,
            }
            seen.insert(key)?;
        }
        let entry = entries.ok_or_else(|| de::Error::missing_field("entries"))?;
        Ok(Found { format, entry })
    }
}

struct Entries<'a> {
    name: &'a str,
}

impl<'de> DeserializeSeed<'de> for Entries<'_> {
    type Value = Option<Entry>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<Entry>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Entries<'_> {
    type Value = Option<Entry>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of entries")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Entry>, A::Error> {
        let mut seen = SeenKeys::default();
        let mut found = None;
        while let Some(Key(key)) = map.next_key()? {
            if key == self.name {
                found = Some(map.next_value::<Entry>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
            seen.insert(key)?;
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(json: &str, name: &str) -> Result<Option<Entry>, ParseError> {
        find_entry(json.as_bytes(), name)
    }

    #[test]
    fn finds_the_entry_a_full_parse_finds() {
        let json = r#"{"recipients": [{"name": "op", "key": "age1x"}], "entries": {
            "a": {"password": "pa", "fields": {"k": "v"}},
            "b\u0020c": {"password": "pb", "x": [1, {"y": null}]},
            "d": {"password": "pd", "history": [{"password": "old", "until": "t"}]}}}"#;
        let doc = document::Document::parse(json.as_bytes()).unwrap();
        for name in ["a", "b c", "d"] {
            let entry = find(json, name).unwrap().unwrap();
            assert!(entry == doc.entries[name], "{name}");
        }
        assert!(find(json, "zz").unwrap().is_none());
    }

    #[test]
    fn refuses_what_a_full_parse_refuses() {
        for json in [
            r#"{"entries": {"a": {}, "a": {}}}"#,
            r#"{"entries": {"a": {"password": "1", "password": "2"}}}"#,
            r#"{"entries": {"a": {"x": [{"k": 1, "k": 2}]}}}"#,
            r#"{"entries": {"a": {"fields": {"pin": "1", "pin": "2"}}}}"#,
            r#"{"entries": {}, "entries": {}}"#,
            r#"{"format": 1, "entries": {"a": {}}, "format": 1}"#,
        ] {
            let err = find(json, "a").unwrap_err();
            assert!(err.to_string().starts_with("duplicate"), "{json}: {err}");
        }
        // Many keys, sorted and then not: every way of remembering them catches a repeat.
        let many: Vec<String> = (0..40).map(|i| format!("\"e{i:02}\": {{}}")).collect();
        let many = many.join(", ") + ",";
        for tail in [
            r#""e07": {}"#,
            r#""e39": {}"#,
            r#""e41": {}, "e00": {}, "e41": {}"#,
        ] {
            let json = format!(r#"{{"entries": {{{many} {tail}}}}}"#);
            let err = find(&json, "e01").unwrap_err().to_string();
            assert!(err.contains("duplicate key"), "{tail}: {err}");
        }
        for few in [
            r#"{"entries": {"m": {}, "a": {}, "m": {}}}"#,
            r#"{"entries": {"b": {}, "a": {}, "c": {}, "a": {}}}"#,
        ] {
            assert!(
                find(few, "a")
                    .unwrap_err()
                    .to_string()
                    .contains("duplicate key"),
                "{few}"
            );
        }
        assert_eq!(
            find(r#"{"format": 2, "entries": {}}"#, "a").unwrap_err(),
            ParseError::TooNew(2)
        );
        assert_eq!(
            find(r#"{"format": 5, "entries": []}"#, "a").unwrap_err(),
            ParseError::TooNew(5)
        );
        assert!(
            find(r#"{"recipients": []}"#, "a")
                .unwrap_err()
                .to_string()
                .contains("entries")
        );
        assert!(find(r#"{"entries": {}} trailing"#, "a").is_err());
        assert!(find(r#"{"entries": {"a": {}}"#, "a").is_err());
    }

    #[test]
    fn duplicates_are_found_in_every_order() {
        fn verdict(keys: &[String]) -> bool {
            let body: Vec<String> = keys.iter().map(|k| format!("\"{k}\": {{}}")).collect();
            let json = format!(r#"{{"entries": {{{}}}}}"#, body.join(", "));
            find(&json, "zz").is_err()
        }
        let alphabet = ["a", "b", "c", "d"];
        for len in 0..=6u32 {
            for mut n in 0..4usize.pow(len) {
                let keys: Vec<String> = (0..len)
                    .map(|_| {
                        let k = alphabet[n % 4].to_string();
                        n /= 4;
                        k
                    })
                    .collect();
                let unique: HashSet<&String> = keys.iter().collect();
                assert_eq!(verdict(&keys), unique.len() < keys.len(), "{keys:?}");
            }
        }
        // Past the linear-scan threshold, sorted, reversed and shuffled, with and without a repeat.
        let sorted: Vec<String> = (0..50).map(|i| format!("k{i:03}")).collect();
        let reversed: Vec<String> = sorted.iter().rev().cloned().collect();
        let shuffled: Vec<String> = (0..50).map(|i| format!("k{:03}", (i * 17) % 50)).collect();
        for keys in [sorted, reversed, shuffled] {
            assert!(!verdict(&keys));
            for repeat in [0, 17, 49] {
                let mut with = keys.clone();
                with.insert(25, keys[repeat].clone());
                assert!(verdict(&with), "{repeat}");
                let mut at_end = keys.clone();
                at_end.push(keys[repeat].clone());
                assert!(verdict(&at_end), "{repeat} at end");
            }
        }
    }

    #[test]
    fn other_entries_are_skipped_not_judged() {
        // Their duplicates do not change the answer; list, show and writes refuse them.
        let json = r#"{"entries": {"a": {"password": "pa"}, "b": {"k": 1, "k": 2}}}"#;
        assert_eq!(find(json, "a").unwrap().unwrap().password.expose(), "pa");
        assert!(document::Document::parse(json.as_bytes()).is_err());
        // Broken JSON is broken wherever it is.
        assert!(find(r#"{"entries": {"a": {}, "b": {"k": 1,}}}"#, "a").is_err());
    }

    #[test]
    fn errors_never_quote_the_content() {
        let err = find(r#"{"entries": {"a": {"password": ["hunter2"]}}}"#, "a").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
