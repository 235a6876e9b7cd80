//! Reading JSON exports leniently and into wiped memory: a value may be a string, null, a
//! number or an object, depending on the exporter's version.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::secret::Secret;

/// Any JSON value as text, held as a [`Secret`]: a string as it is, null as empty, a number or
/// a boolean as written, an object or an array as its non-empty leaves, one a line (1Password
/// writes an address or an email as an object).
#[derive(Default, Clone)]
pub struct Text(pub Secret);

impl Text {
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn secret(self) -> Secret {
        self.0
    }

    /// The value as a plain string, for what is not secret (names, URLs, times).
    pub fn plain(&self) -> String {
        self.0.expose().to_owned()
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }

    fn visit_str<E>(self, v: &str) -> Result<Text, E> {
        Ok(Text(Secret::from(v)))
    }

    fn visit_string<E>(self, v: String) -> Result<Text, E> {
        Ok(Text(Secret::new(v)))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Text, E> {
        Ok(Text(Secret::new(v.to_string())))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Text, E> {
        Ok(Text(Secret::new(v.to_string())))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Text, E> {
        Ok(Text(Secret::new(v.to_string())))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Text, E> {
        Ok(Text(Secret::new(v.to_string())))
    }

    fn visit_unit<E>(self) -> Result<Text, E> {
        Ok(Text::default())
    }

    fn visit_none<E>(self) -> Result<Text, E> {
        Ok(Text::default())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Text, D::Error> {
        Text::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
        let mut lines = Lines::default();
        while let Some(item) = seq.next_element::<Text>()? {
            lines.push(&item);
        }
        Ok(lines.into_text())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
        let mut lines = Lines::default();
        while let Some(key) = map.next_key::<de::IgnoredAny>()? {
            let _: de::IgnoredAny = key;
            lines.push(&map.next_value::<Text>()?);
        }
        Ok(lines.into_text())
    }
}

#[derive(Default)]
struct Lines(Secret);

impl Lines {
    fn push(&mut self, item: &Text) {
        crate::import::append(&mut self.0, "\n", item.expose());
    }

    fn into_text(self) -> Text {
        Text(self.0)
    }
}

/// `expMonth` -> `exp month`, `cardholderName` -> `cardholder name`: a field name a person
/// reads, from an exporter's key.
pub fn words(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_uppercase() && !out.is_empty() {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// serde's error, as a reason that never quotes the value.
pub fn json_reason(err: &serde_json::Error) -> String {
    crate::document::describe_json_error(err)
}
