//! The vault document, format 1: the serde types and their rules.
//!
//! Reading is strict where silence would lose data (duplicate keys anywhere are an error, a newer
//! format is refused) and lenient where a hand-made file deserves it (a missing `format` means 1,
//! missing fields are empty). Fields this version does not know are kept and written back.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::time::SystemTime;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};
use zeroize::{Zeroize, Zeroizing};

use crate::secret::{Secret, SecretBuf};

/// The document format this version reads and writes.
pub const FORMAT: u64 = 1;
/// How many earlier passwords an entry keeps.
pub const HISTORY_LIMIT: usize = 20;

#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    #[serde(default = "current_format")]
    pub format: u64,
    #[serde(default)]
    pub recipients: Vec<Recipient>,
    #[serde(deserialize_with = "strict_map")]
    pub entries: BTreeMap<String, Entry>,
    /// For each scoped recipient, the SHA-256 of its derived vault as this save wrote it: how
    /// `vault check` tells a missing, stale or changed derived file without decrypting it.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "strict_map"
    )]
    pub derived: BTreeMap<String, String>,
    /// Entries deleted, by id, with when: so a merge tells "deleted here" from "added there".
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "strict_map"
    )]
    pub deleted: BTreeMap<String, String>,
    /// What a merge could not decide: the other side's version, kept until resolved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One entry both sides of a merge changed differently (or one deleted, the other edited):
/// the document keeps ours, and theirs here.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Conflict {
    /// The entry's id.
    pub id: String,
    /// Its name in the document (ours), or theirs when ours deleted it.
    pub name: String,
    /// The fields that differ ("deleted" when one side deleted the entry).
    pub fields: Vec<String>,
    /// Their version, with its name; `None` when they deleted it.
    pub theirs: Option<NamedEntry>,
    /// When the merge recorded it.
    pub at: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// An entry with its name, as a conflict keeps the other side's version.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NamedEntry {
    pub name: String,
    pub entry: Entry,
}

impl fmt::Debug for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conflict")
            .field("name", &self.name)
            .field("fields", &self.fields)
            .finish_non_exhaustive()
    }
}

/// Who can decrypt the vault: an age or SSH public key, with a label.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub name: String,
    pub key: String,
    /// The entries this recipient is granted (names or group globs such as `bank/*`): it reads
    /// them from a derived vault of its own. Absent: a full recipient of the main vault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only: Option<Vec<String>>,
    /// A Unix group that may read this recipient's derived vault (0640).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Recipient {
    pub fn new(name: impl Into<String>, key: impl Into<String>) -> Self {
        Recipient {
            name: name.into(),
            key: key.into(),
            ..Recipient::default()
        }
    }

    /// Whether it reads the main vault (and so every entry).
    pub fn is_full(&self) -> bool {
        self.only.is_none()
    }
}

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Entry {
    /// A stable identity across renames, so copies of the vault merge entry by entry. Given to
    /// every entry at its first save.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    pub username: String,
    pub password: Secret,
    pub url: String,
    pub notes: Secret,
    /// A TOTP key: an `otpauth://totp/…` URI or a bare base32 secret. Written only when set, so
    /// entries without one look as they always did.
    #[serde(skip_serializing_if = "Secret::is_empty")]
    pub totp: Secret,
    // The members below are written only when not empty (a missing member reads as empty):
    // most entries have no fields, tags or history, and a hand-made one no dates.
    #[serde(
        deserialize_with = "strict_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub fields: BTreeMap<String, Secret>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub created: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub updated: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<PastPassword>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A password an entry had before, and when it stopped being the current one.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PastPassword {
    pub password: Secret,
    pub until: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Fields a newer version (or a person) added that this version does not know: kept verbatim,
/// and wiped on drop like every other part of the plaintext.
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Extra(Map<String, Value>);

/// Why a plaintext is not a vault document. The text never quotes the document's content.
#[derive(Debug, PartialEq, Eq)]
pub enum ParseError {
    TooNew(u64),
    Invalid(String),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::TooNew(found) => write!(f, "format {found} is newer than {FORMAT}"),
            ParseError::Invalid(reason) => f.write_str(reason),
        }
    }
}

// Debug by hand: the derived one would print every value. These show the shape only.
impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("format", &self.format)
            .field("recipients", &self.recipients)
            .field("entries", &self.entries)
            .field("derived", &self.derived)
            .field("deleted", &self.deleted.len())
            .field("conflicts", &self.conflicts)
            .field("extra", &self.extra)
            .finish()
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("username", &self.username)
            .field("url", &self.url)
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .field("history", &self.history.len())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for PastPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PastPassword")
            .field("until", &self.until)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Extra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Document {
    pub fn new(recipients: Vec<Recipient>) -> Self {
        Document {
            format: FORMAT,
            recipients,
            entries: BTreeMap::new(),
            derived: BTreeMap::new(),
            deleted: BTreeMap::new(),
            conflicts: Vec::new(),
            extra: Extra::default(),
        }
    }

    /// Gives every entry without an id a new random one.
    pub fn assign_ids(&mut self) {
        for entry in self.entries.values_mut() {
            if entry.id.is_empty() {
                entry.id = new_id();
            }
        }
    }

    pub fn parse(plaintext: &[u8]) -> Result<Document, ParseError> {
        parse_checked(plaintext, |doc: &Document| doc.format)
    }

    /// The document as compact JSON (one pass, no indentation to write, hash and encrypt), in
    /// a buffer that is wiped when dropped.
    pub fn to_json(&self, size_hint: usize) -> Zeroizing<Vec<u8>> {
        self.to_json_buf(size_hint).into_inner()
    }

    /// [`Document::to_json`] in locked pages of its own, sized for about `size_hint` bytes:
    /// the one buffer a save signs in place and encrypts.
    pub fn to_json_buf(&self, size_hint: usize) -> SecretBuf {
        self.to_json_with(size_hint, |buf| serde_json::to_writer(buf, &self.entries))
    }

    /// [`Document::to_json_buf`], with `entries` written by `entries` (an object).
    fn to_json_with(
        &self,
        size_hint: usize,
        entries: impl FnOnce(&mut SecretBuf) -> serde_json::Result<()>,
    ) -> SecretBuf {
        let mut buf = SecretBuf::with_capacity(size_hint + size_hint / 8 + 4096);
        // Writing to memory cannot fail, and every map key here is a string.
        self.write_head(&mut buf)
            .and_then(|()| entries(&mut buf))
            .and_then(|()| self.write_tail(&mut buf))
            .ok();
        buf
    }

    /// The JSON [`Document::to_json_buf`] writes before the value of `entries`:
    /// `{"format":…,"recipients":[…],"entries":`. With [`Document::write_tail`] after that
    /// value, how a save that parsed only the entries it changes writes the others around them.
    pub fn write_head(&self, out: &mut SecretBuf) -> serde_json::Result<()> {
        /// The members before `entries`, in the order `Document` has them.
        #[derive(Serialize)]
        struct Head<'a> {
            format: u64,
            recipients: &'a [Recipient],
        }
        serde_json::to_writer(
            &mut *out,
            &Head {
                format: self.format,
                recipients: &self.recipients,
            },
        )?;
        // `{"format":…,"recipients":[…]}` goes on where its `}` was.
        out.truncate(out.len() - 1);
        out.extend_from_slice(b",\"entries\":");
        Ok(())
    }

    /// The JSON [`Document::to_json_buf`] writes after the value of `entries`: the other
    /// members, the closing brace and a newline.
    pub fn write_tail(&self, out: &mut SecretBuf) -> serde_json::Result<()> {
        /// The members after `entries`, in the order `Document` has them.
        #[derive(Serialize)]
        struct Tail<'a> {
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            derived: &'a BTreeMap<String, String>,
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            deleted: &'a BTreeMap<String, String>,
            #[serde(skip_serializing_if = "<[Conflict]>::is_empty")]
            conflicts: &'a [Conflict],
            #[serde(flatten)]
            extra: &'a Extra,
        }
        let from = out.len();
        serde_json::to_writer(
            &mut *out,
            &Tail {
                derived: &self.derived,
                deleted: &self.deleted,
                conflicts: &self.conflicts,
                extra: &self.extra,
            },
        )?;
        if out.len() - from == 2 {
            // `{}`: nothing after the entries.
            out.truncate(from);
            out.extend_from_slice(b"}");
        } else {
            // `{"derived":…}`: its `{` becomes the comma after the entries.
            out[from] = b',';
        }
        out.extend_from_slice(b"\n");
        Ok(())
    }

    pub fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name)
    }
}

/// A plaintext read as `T`, with the format rules every reading of a document shares: a newer
/// format is refused (even when shaped differently), format 0 is not a format.
fn parse_checked<T: de::DeserializeOwned>(
    plaintext: &[u8],
    format: impl Fn(&T) -> u64,
) -> Result<T, ParseError> {
    match serde_json::from_slice::<T>(plaintext) {
        Ok(doc) if format(&doc) > FORMAT => Err(ParseError::TooNew(format(&doc))),
        Ok(doc) if format(&doc) == 0 => Err(ParseError::Invalid("format 0 is not a format".into())),
        Ok(doc) => Ok(doc),
        // A newer format may be shaped differently: say it is newer, not that it is broken.
        Err(err) => match probe_format(plaintext) {
            Some(found) if found > FORMAT => Err(ParseError::TooNew(found)),
            _ => Err(ParseError::Invalid(describe_json_error(&err))),
        },
    }
}

/// The entries of a document by name, sorted, each read as `E`: [`Summary`] (the non-secret
/// fields `list --json` shows) or [`Checked`] (nothing kept: `list`). Read as strictly as
/// [`Document::parse`] reads the whole (it refuses exactly the documents that refuses: duplicate
/// keys at any depth, wrong types, a newer format), but no secret is kept: passwords, notes,
/// TOTP keys and field values are checked to be strings and dropped as they are read.
#[derive(Debug)]
pub struct Listing<E> {
    entries: Vec<(String, E)>,
}

/// An entry's non-secret fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Summary {
    pub username: String,
    pub url: String,
    /// The names of the entry's own fields, sorted.
    #[serde(deserialize_with = "field_names")]
    pub fields: Vec<String>,
    pub tags: Vec<String>,
    pub created: String,
    pub updated: String,
    #[serde(rename = "id")]
    _id: Unkept,
    #[serde(rename = "password")]
    _password: Unkept,
    #[serde(rename = "notes")]
    _notes: Unkept,
    #[serde(rename = "totp")]
    _totp: Unkept,
    #[serde(rename = "history")]
    _history: Vec<PastPassword>,
    #[serde(flatten)]
    _extra: Extra,
}

/// An entry checked as [`Entry`] is read, and nothing of it kept.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Checked {
    #[serde(rename = "username")]
    _username: Unkept,
    #[serde(rename = "url")]
    _url: Unkept,
    #[serde(rename = "fields", deserialize_with = "field_names")]
    _fields: Vec<String>,
    #[serde(rename = "tags")]
    _tags: Vec<Unkept>,
    #[serde(rename = "created")]
    _created: Unkept,
    #[serde(rename = "updated")]
    _updated: Unkept,
    #[serde(rename = "id")]
    _id: Unkept,
    #[serde(rename = "password")]
    _password: Unkept,
    #[serde(rename = "notes")]
    _notes: Unkept,
    #[serde(rename = "totp")]
    _totp: Unkept,
    #[serde(rename = "history")]
    _history: Vec<PastPassword>,
    #[serde(flatten)]
    _extra: Extra,
}

impl<E: de::DeserializeOwned> Listing<E> {
    pub fn parse(plaintext: &[u8]) -> Result<Listing<E>, ParseError> {
        /// The document's shape, member for member as [`Document`] has it.
        #[derive(Deserialize)]
        #[serde(bound(deserialize = "E: de::DeserializeOwned"))]
        struct Shape<E> {
            #[serde(default = "current_format")]
            format: u64,
            #[serde(default, rename = "recipients")]
            _recipients: Vec<Recipient>,
            #[serde(deserialize_with = "named")]
            entries: Vec<(String, E)>,
            #[serde(default, rename = "derived", deserialize_with = "strict_map")]
            _derived: BTreeMap<String, String>,
            #[serde(default, rename = "deleted", deserialize_with = "strict_map")]
            _deleted: BTreeMap<String, String>,
            #[serde(default, rename = "conflicts")]
            _conflicts: Vec<Conflict>,
            #[serde(flatten)]
            _extra: Extra,
        }
        parse_checked(plaintext, |shape: &Shape<E>| shape.format).map(|shape| Listing {
            entries: shape.entries,
        })
    }
}

impl<E> Listing<E> {
    /// The names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> + Clone {
        self.entries.iter().map(|(name, _)| name.as_str())
    }

    pub fn get(&self, name: &str) -> Option<&E> {
        self.entries
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .map(|at| &self.entries[at].1)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A JSON object as (key, value) pairs sorted by key, refusing a key that appears twice (at
/// the second, as [`strict_map`] does). Keys that arrive sorted (as vault writes them) are
/// checked against the one before; from the first out of order on, against hashes of all.
fn named<'de, D, V>(deserializer: D) -> Result<Vec<(String, V)>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    struct Named<V>(PhantomData<V>);

    impl<'de, V: Deserialize<'de>> Visitor<'de> for Named<V> {
        type Value = Vec<(String, V)>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
            let mut named: Vec<(String, V)> = Vec::new();
            let state = std::collections::hash_map::RandomState::new();
            // Hashes of every key so far, once one came out of order.
            let mut hashes: Option<HashSet<u64>> = None;
            while let Some(key) = access.next_key::<String>()? {
                let repeated = match (&mut hashes, named.last()) {
                    (None, None) => false,
                    (None, Some((last, _))) if key.as_str() > last.as_str() => false,
                    (None, Some((last, _))) if key == *last => true,
                    (slot, _) => {
                        let set = slot.get_or_insert_with(|| {
                            named.iter().map(|(n, _)| state.hash_one(n)).collect()
                        });
                        !set.insert(state.hash_one(&key)) && named.iter().any(|(n, _)| *n == key)
                    }
                };
                // The value first, as a map reads it: its own error comes before the repeat.
                let value = access.next_value()?;
                if repeated {
                    return Err(duplicate_key(&key));
                }
                named.push((key, value));
            }
            if hashes.is_some() {
                named.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
            }
            Ok(named)
        }
    }

    deserializer.deserialize_map(Named(PhantomData))
}

/// A string that is checked to be one and not kept (a secret a listing has no use for): what
/// `String` accepts, nothing else. An owned copy the parser had to make is wiped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Unkept;

impl<'de> Deserialize<'de> for Unkept {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct UnkeptVisitor;

        impl Visitor<'_> for UnkeptVisitor {
            type Value = Unkept;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_str<E: de::Error>(self, _v: &str) -> Result<Unkept, E> {
                Ok(Unkept)
            }

            fn visit_string<E: de::Error>(self, mut v: String) -> Result<Unkept, E> {
                v.zeroize();
                Ok(Unkept)
            }

            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Unkept, E> {
                std::str::from_utf8(v)
                    .map(|_| Unkept)
                    .map_err(|_| E::invalid_type(de::Unexpected::Other("bytes"), &self))
            }
        }

        deserializer.deserialize_string(UnkeptVisitor)
    }
}

/// The keys of an entry's `fields`, each value checked to be a string and not kept; a key
/// twice refused, as the entry's own map refuses it.
fn field_names<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    strict_map::<D, Unkept>(deserializer).map(|map| map.into_keys().collect())
}

impl Entry {
    pub fn new(now: &str) -> Self {
        Entry {
            created: now.to_owned(),
            updated: now.to_owned(),
            ..Entry::default()
        }
    }

    /// Sets a new password; the old one moves to the history (the newest 20 are kept).
    pub fn set_password(&mut self, password: Secret, now: &str) {
        if password == self.password {
            return;
        }
        let old = std::mem::replace(&mut self.password, password);
        if !old.is_empty() {
            self.history.push(PastPassword {
                password: old,
                until: now.to_owned(),
                extra: Extra::default(),
            });
            let excess = self.history.len().saturating_sub(HISTORY_LIMIT);
            self.history.drain(..excess);
        }
    }

    /// A field by name: the four standard ones, then the entry's own `fields`.
    pub fn field(&self, name: &str) -> Option<&str> {
        match name {
            "username" => Some(&self.username),
            "password" => Some(self.password.expose()),
            "url" => Some(&self.url),
            "notes" => Some(self.notes.expose()),
            "totp" if !self.totp.is_empty() => Some(self.totp.expose()),
            other => self.fields.get(other).map(Secret::expose),
        }
    }

    /// The value of `field` as `inject`, `export`, `copy` and `exec` resolve it: `username`,
    /// `password`, `url`, `notes`; `otp`, the TOTP code at `now` (Unix seconds), and `totp`, the
    /// key itself, when the entry has one; then the entry's own fields.
    pub fn value(&self, field: &str, now: u64) -> Result<Secret, FieldError> {
        if field == OTP && !self.totp.is_empty() {
            return crate::otp::code_at(self.totp.expose(), now)
                .map(|mut code| Secret::new(std::mem::take(&mut *code.digits)))
                .map_err(FieldError::Otp);
        }
        self.field(field)
            .map(Secret::from)
            .ok_or(FieldError::Missing)
    }

    /// Every field with its value: the standard four first, then the entry's own, sorted.
    pub fn all_fields(&self) -> Vec<(&str, &str)> {
        let mut all = vec![
            ("username", self.username.as_str()),
            ("password", self.password.expose()),
            ("url", self.url.as_str()),
            ("notes", self.notes.expose()),
        ];
        all.extend(self.fields.iter().map(|(k, v)| (k.as_str(), v.expose())));
        all
    }
}

/// The field name that asks for an entry's current TOTP code.
pub const OTP: &str = "otp";

/// Why [`Entry::value`] has no value. Names nothing: the caller knows the entry and field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldError {
    /// The entry has no such field.
    Missing,
    /// `otp` was asked of an entry whose TOTP key makes no codes.
    Otp(crate::otp::OtpError),
}

/// Checks a new entry name: non-empty, no control characters, `/` only between group parts.
pub fn validate_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("it is empty");
    }
    if name.chars().any(char::is_control) {
        return Err("it contains a control character");
    }
    if name.split('/').any(str::is_empty) {
        return Err("a part between slashes is empty");
    }
    if name.trim() != name {
        return Err("it starts or ends with a space");
    }
    Ok(())
}

/// The field names every entry has, or that ask for its TOTP key or code: an entry's own field
/// of one of these names could never be read back.
pub const STANDARD_FIELDS: [&str; 6] = ["username", "password", "url", "notes", "totp", OTP];

/// Checks the name of an entry's own field: one a template (`vault://NAME/FIELD`), an
/// environment variable and `--field` can all name.
pub fn validate_field_name(key: &str) -> Result<(), &'static str> {
    if STANDARD_FIELDS.contains(&key) {
        return Err("it is a standard field: set it with its own option");
    }
    validate_label(key)?;
    if key.contains('/') {
        return Err("it contains a /, which a template could not name");
    }
    Ok(())
}

/// Checks a tag: shown in lists joined by commas, so it holds none.
pub fn validate_tag(tag: &str) -> Result<(), &'static str> {
    validate_label(tag)?;
    if tag.contains(',') {
        return Err("it contains a comma");
    }
    Ok(())
}

fn validate_label(label: &str) -> Result<(), &'static str> {
    if label.is_empty() {
        return Err("it is empty");
    }
    if label
        .chars()
        .any(|c| c.is_control() || crate::text::disguises(c))
    {
        return Err("it contains a control or invisible character");
    }
    if label.trim() != label {
        return Err("it starts or ends with a space");
    }
    Ok(())
}

/// A new entry id: 16 random bytes, hex.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source");
    crate::scope::hex(&bytes)
}

/// The current time as an RFC 3339 UTC timestamp, to the second.
pub fn timestamp_now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

fn current_format() -> u64 {
    FORMAT
}

fn probe_format(plaintext: &[u8]) -> Option<u64> {
    #[derive(Deserialize)]
    struct Probe {
        format: Option<u64>,
    }
    serde_json::from_slice::<Probe>(plaintext).ok()?.format
}

/// serde's messages can quote the offending value ("invalid type: string \"hunter2\""), which
/// may be a secret: keep only the kinds of message that cannot, plus the position.
pub(crate) fn describe_json_error(err: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!("line {} column {}", err.line(), err.column());
    match err.classify() {
        Category::Eof => "the JSON document ends early".into(),
        Category::Syntax => format!("not valid JSON at {at}"),
        Category::Data => {
            let message = err.to_string();
            if message.starts_with("duplicate ") || message.starts_with("missing field") {
                message
            } else {
                format!("a value has the wrong type at {at}")
            }
        }
        Category::Io => "the document could not be read".into(),
    }
}

pub(crate) fn duplicate_key<E: de::Error>(key: &str) -> E {
    let shown: String = key.chars().take(64).flat_map(char::escape_debug).collect();
    E::custom(format_args!("duplicate key \"{shown}\""))
}

/// A JSON object into a map, refusing a key that appears twice (serde's maps keep the last).
fn strict_map<'de, D, V>(deserializer: D) -> Result<BTreeMap<String, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    use std::collections::btree_map::Entry;

    struct StrictMap<V>(PhantomData<V>);

    impl<'de, V: Deserialize<'de>> Visitor<'de> for StrictMap<V> {
        type Value = BTreeMap<String, V>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
            let mut map = BTreeMap::new();
            while let Some(key) = access.next_key::<String>()? {
                let value = access.next_value()?;
                // One search a key: the duplicate check and the insert share it.
                match map.entry(key) {
                    Entry::Vacant(slot) => {
                        slot.insert(value);
                    }
                    Entry::Occupied(taken) => return Err(duplicate_key(taken.key())),
                }
            }
            Ok(map)
        }
    }

    deserializer.deserialize_map(StrictMap(PhantomData))
}

/// Any JSON value, with duplicate keys refused at every depth.
struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictValueVisitor)
    }
}

struct StrictValueVisitor;

impl<'de> Visitor<'de> for StrictValueVisitor {
    type Value = StrictValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Number(v.into())))
    }

    fn visit_u64<E>(self, v: u64) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Number(v.into())))
    }

    fn visit_f64<E>(self, v: f64) -> Result<StrictValue, E> {
        Ok(StrictValue(
            Number::from_f64(v).map_or(Value::Null, Value::Number),
        ))
    }

    fn visit_str<E>(self, v: &str) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::String(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::String(v)))
    }

    fn visit_unit<E>(self) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Null))
    }

    fn visit_none<E>(self) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<StrictValue, D::Error> {
        StrictValue::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StrictValue, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(StrictValue(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<StrictValue, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(duplicate_key(&key));
            }
            let StrictValue(value) = access.next_value()?;
            map.insert(key, value);
        }
        Ok(StrictValue(Value::Object(map)))
    }
}

impl<'de> Deserialize<'de> for Extra {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match StrictValue::deserialize(deserializer)?.0 {
            Value::Object(map) => Ok(Extra(map)),
            _ => Err(de::Error::custom("expected an object")),
        }
    }
}

impl Extra {
    pub fn insert(&mut self, key: &str, value: Value) {
        self.0.insert(key.to_owned(), value);
    }

    /// Takes a field out (wiping it), as when a member is handled elsewhere.
    pub fn remove(&mut self, key: &str) {
        if let Some(mut value) = self.0.remove(key) {
            scrub(&mut value);
        }
    }
}

impl Drop for Extra {
    fn drop(&mut self) {
        scrub_map(&mut self.0);
    }
}

fn scrub_map(map: &mut Map<String, Value>) {
    for (mut key, mut value) in std::mem::take(map) {
        scrub(&mut value);
        key.zeroize();
    }
}

fn scrub(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(scrub),
        Value::Object(map) => scrub_map(map),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Document, ParseError> {
        Document::parse(json.as_bytes())
    }

    #[test]
    fn a_hand_made_document_with_only_entries_is_a_vault() {
        let doc = parse(r#"{"entries": {"bank": {"password": "pw"}}}"#).unwrap();
        assert_eq!(doc.format, 1);
        assert!(doc.recipients.is_empty());
        let bank = doc.entry("bank").unwrap();
        assert_eq!(bank.password.expose(), "pw");
        assert_eq!(bank.username, "");
        assert!(bank.history.is_empty());
    }

    #[test]
    fn unknown_fields_survive_a_round_trip_at_every_level() {
        let json = r#"{"format": 1, "recipients": [{"name": "op", "key": "age1x", "added": "today"}],
            "entries": {"bank": {"password": "pw", "passkey": {"id": "ABC", "digits": 6},
                "history": [{"password": "old", "until": "t", "why": "rotated"}]}},
            "settings": {"theme": "dark"}}"#;
        let doc = parse(json).unwrap();
        let out = doc.to_json(0);
        let value: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["settings"]["theme"], "dark");
        assert_eq!(value["recipients"][0]["added"], "today");
        assert_eq!(value["entries"]["bank"]["passkey"]["digits"], 6);
        assert_eq!(value["entries"]["bank"]["history"][0]["why"], "rotated");
        assert_eq!(Document::parse(&out).unwrap(), doc);
    }

    #[test]
    fn the_document_is_written_in_parts_as_serde_writes_it_whole() {
        let bare = Document::new(Vec::new());
        let mut rich = parse(
            r#"{"format": 1, "recipients": [{"name": "op", "key": "age1x", "only": ["a*"]}],
                "entries": {"a": {"id": "1", "password": "pw", "x": {"y": 1}}},
                "derived": {"op": "abc"}, "deleted": {"2": "t"},
                "conflicts": [{"id": "1", "name": "a", "fields": ["password"], "at": "t"}],
                "settings": {"theme": "dark"}, "more": [1]}"#,
        )
        .unwrap();
        let mut only_extra = Document::new(Vec::new());
        only_extra.extra.insert("settings", Value::Bool(true));
        for doc in [&bare, &rich, &only_extra] {
            let mut whole = serde_json::to_vec(doc).unwrap();
            whole.push(b'\n');
            assert_eq!(
                String::from_utf8(doc.to_json_buf(0).to_vec()).unwrap(),
                String::from_utf8(whole).unwrap()
            );
        }
        rich.conflicts.clear();
        rich.deleted.clear();
        let json = rich.to_json_buf(0).to_vec();
        assert_eq!(Document::parse(&json).unwrap(), rich);
    }

    #[test]
    fn long_numbers_in_unknown_fields_survive_a_save_exactly() {
        // Found by fuzzing: a float written with more digits than f64 holds read back 1 ULP off
        // after a save, so an unknown field changed. Parsing is now exact (float_roundtrip).
        let digits = "9".repeat(108);
        let json =
            format!(r#"{{"entries": {{"x": {{"y": [1, 2.5, 2{digits}.5, 0.1, 1e-320]}}}}}}"#);
        let doc = parse(&json).unwrap();
        let saved = doc.to_json(0);
        assert!(Document::parse(&saved).unwrap() == doc);
    }

    #[test]
    fn duplicate_keys_are_refused_wherever_they_are() {
        for json in [
            r#"{"entries": {"a": {}, "a": {}}}"#,
            r#"{"entries": {"a": {"password": "x", "password": "y"}}}"#,
            r#"{"entries": {"a": {"fields": {"pin": "1", "pin": "2"}}}}"#,
            r#"{"entries": {"a": {"custom": {"k": 1, "k": 2}}}}"#,
            r#"{"entries": {}, "entries": {}}"#,
            r#"{"entries": {}, "x": 1, "x": 2}"#,
        ] {
            match parse(json) {
                Err(ParseError::Invalid(reason)) => {
                    assert!(reason.starts_with("duplicate"), "{json}: {reason}");
                }
                Err(other) => panic!("{json}: {other}"),
                Ok(_) => panic!("{json}: accepted"),
            }
        }
    }

    /// The listing agrees with the full parse: the same names and non-secret fields, or the
    /// same refusal.
    fn listing_agrees(json: &str) -> Option<Listing<Summary>> {
        let full = parse(json);
        let listed = Listing::<Summary>::parse(json.as_bytes());
        let checked = Listing::<Checked>::parse(json.as_bytes());
        match (&full, &listed, &checked) {
            (Ok(doc), Ok(listing), Ok(names)) => {
                assert!(
                    doc.entries.keys().map(String::as_str).eq(listing.names()),
                    "{json}"
                );
                assert!(
                    doc.entries.keys().map(String::as_str).eq(names.names()),
                    "{json}"
                );
                for (name, entry) in &doc.entries {
                    let summary = listing.get(name).unwrap();
                    assert_eq!(entry.username, summary.username, "{json}");
                    assert_eq!(entry.url, summary.url, "{json}");
                    assert_eq!(entry.tags, summary.tags, "{json}");
                    assert!(entry.fields.keys().eq(summary.fields.iter()), "{json}");
                    assert_eq!(entry.created, summary.created, "{json}");
                    assert_eq!(entry.updated, summary.updated, "{json}");
                }
            }
            (Err(a), Err(b), Err(c)) => {
                assert_eq!(a, b, "{json}");
                assert_eq!(a, c, "{json}");
            }
            _ => panic!("{json}: full {full:?}, listing {listed:?}, names {checked:?}"),
        }
        listed.ok()
    }

    #[test]
    fn a_listing_reads_what_the_full_parse_reads_and_refuses_what_it_refuses() {
        let listing = listing_agrees(
            r#"{"format": 1, "recipients": [{"name": "op", "key": "age1x", "added": "today"}],
            "entries": {"b": {"username": "u", "password": "hunter2", "url": "https://b",
                "notes": "hunter3", "totp": "hunter4", "fields": {"pin": "hunter5", "a": ""},
                "tags": ["x", "y"], "created": "t0", "updated": "t1", "id": "01",
                "history": [{"password": "hunter6", "until": "t", "why": "rotated"}],
                "passkey": {"id": "ABC", "digits": 6}},
                "a": {}, "c\u00e9": {"password": "\u0068unter7"}},
            "deleted": {"x": "t"}, "derived": {"job": "00"},
            "conflicts": [{"id": "01", "name": "b", "fields": ["password"], "at": "t",
                "theirs": {"name": "b", "entry": {"password": "hunter8"}}}],
            "settings": {"theme": "dark"}, "signature": {"writer": "w", "sig": "s"}}"#,
        )
        .unwrap();
        let b = listing.get("b").unwrap();
        assert_eq!(b.fields, ["a", "pin"]);
        assert_eq!(b.tags, ["x", "y"]);
        let shown = format!("{listing:?}");
        assert!(
            shown.contains("https://b") && !shown.contains("hunter"),
            "{shown}"
        );
        let names = listing_agrees(r#"{"entries": {"m": {}, "b": {}, "z": {}, "a": {}}}"#);
        assert!(names.unwrap().names().eq(["a", "b", "m", "z"]));
        for json in [
            r#"{"entries": {"a": {}, "a": {}}}"#,
            r#"{"entries": {"a": {}, "b": {}, "b": {}}}"#,
            r#"{"entries": {"b": {}, "a": {}, "b": {}}}"#,
            r#"{"entries": {"b": {}, "a": {}, "c": {}, "a": {}}}"#,
            r#"{"entries": {"a": {}, "a": {"password": 1}}}"#,
            r#"{"entries": {"a": {"password": "x", "password": "y"}}}"#,
            r#"{"entries": {"a": {"fields": {"pin": "1", "pin": "2"}}}}"#,
            r#"{"entries": {"a": {"custom": {"k": 1, "k": 2}}}}"#,
            r#"{"entries": {"a": {"custom": [{"k": 1, "k": 2}]}}}"#,
            r#"{"entries": {"a": {"history": [{"password": "1", "x": {"k": 1, "k": 2}}]}}}"#,
            r#"{"entries": {"a": {"custom": 1, "custom": 2}}}"#,
            r#"{"entries": {}, "entries": {}}"#,
            r#"{"entries": {}, "x": 1, "x": 2}"#,
            r#"{"entries": {}, "recipients": [{"name": "a", "key": "k", "k": 1, "k": 2}]}"#,
            r#"{"entries": {}, "deleted": {"i": "t", "i": "t"}}"#,
            r#"{"entries": {"a": {"password": ["hunter2"]}}}"#,
            r#"{"entries": {"a": {"password": null}}}"#,
            r#"{"entries": {"a": {"password": 12345678}}}"#,
            r#"{"entries": {"a": {"notes": {}}}}"#,
            r#"{"entries": {"a": {"totp": true}}}"#,
            r#"{"entries": {"a": {"id": 1}}}"#,
            r#"{"entries": {"a": {"fields": {"pin": 1}}}}"#,
            r#"{"entries": {"a": {"fields": []}}}"#,
            r#"{"entries": {"a": {"tags": "x"}}}"#,
            r#"{"entries": {"a": {"history": [{"password": 1}]}}}"#,
            r#"{"entries": {"a": {"password": "x",}}}"#,
            r#"{"entries": {"a": {}}"#,
            r#"{"entries": {}} trailing"#,
            r#"{"entries": []}"#,
            r#"{"recipients": []}"#,
            r#"{"format": 2, "entries": {}}"#,
            r#"{"format": 3, "entries": []}"#,
            r#"{"format": 0, "entries": {}}"#,
            r#"{"format": "1", "entries": {}}"#,
            r"[]",
            "",
        ] {
            assert!(listing_agrees(json).is_none(), "{json}: accepted");
        }
        let err = Listing::<Checked>::parse(br#"{"entries": {"a": {"password": ["hunter2"]}}}"#)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn a_saved_document_is_one_line_of_json_that_reads_back_the_same() {
        let json = r#"{"format": 1, "recipients": [{"name": "op", "key": "age1x"}],
            "entries": {"b": {"password": "p\"w\n", "fields": {"k": "v"}, "x": [1, 2.5]},
                "a": {"tags": ["t"]}}, "settings": {"theme": "dark"}}"#;
        let doc = parse(json).unwrap();
        let out = doc.to_json(0);
        assert!(out.ends_with(b"}\n"));
        assert!(!out[..out.len() - 1].contains(&b'\n'), "one line");
        assert_eq!(Document::parse(&out).unwrap(), doc);
        let value: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value, serde_json::to_value(&doc).unwrap());
    }

    #[test]
    fn a_newer_format_is_refused_even_when_shaped_differently() {
        assert_eq!(
            parse(r#"{"format": 2, "entries": {}}"#).err(),
            Some(ParseError::TooNew(2))
        );
        assert_eq!(
            parse(r#"{"format": 3, "entries": []}"#).err(),
            Some(ParseError::TooNew(3))
        );
    }

    #[test]
    fn errors_never_quote_the_content() {
        let err = parse(r#"{"entries": {"a": {"password": 12345678}}}"#)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("12345678"), "{err}");
        let err = parse(r#"{"entries": {"a": {"username": ["hunter2"]}}}"#)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
        let err = parse(r#"{"entries": "hunter2"}"#).unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn bad_json_says_where() {
        let err = parse("{\"entries\": {,}}").unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
        assert_eq!(
            parse("{\"entries\": {").unwrap_err().to_string(),
            "the JSON document ends early"
        );
    }

    #[test]
    fn history_keeps_the_newest_twenty() {
        let mut entry = Entry::new("t0");
        for i in 0..30 {
            entry.set_password(Secret::new(format!("pw{i}")), &format!("t{i}"));
        }
        assert_eq!(entry.password.expose(), "pw29");
        assert_eq!(entry.history.len(), HISTORY_LIMIT);
        assert_eq!(entry.history.first().unwrap().password.expose(), "pw9");
        assert_eq!(entry.history.last().unwrap().password.expose(), "pw28");
        entry.set_password(Secret::from("pw29"), "t");
        assert_eq!(entry.history.last().unwrap().password.expose(), "pw28");
    }

    #[test]
    fn debug_shows_no_value() {
        let doc = parse(
            r#"{"entries": {"bank": {"username": "u", "password": "hunter2",
            "notes": "hunter3", "fields": {"pin": "hunter4"}, "x": "hunter5"}}}"#,
        )
        .unwrap();
        let shown = format!("{doc:?}");
        assert!(shown.contains("bank") && shown.contains("pin"), "{shown}");
        assert!(!shown.contains("hunter"), "{shown}");
    }

    #[test]
    fn values_resolve_standard_fields_totp_and_the_entry_own() {
        let doc = parse(
            r#"{"entries": {"a": {"username": "u", "password": "pw", "fields": {"pin": "1", "otp": "mine"},
                "totp": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"}, "b": {"fields": {"otp": "mine"}}}}"#,
        )
        .unwrap();
        let (a, b) = (doc.entry("a").unwrap(), doc.entry("b").unwrap());
        let value = |entry: &Entry, field| entry.value(field, 59).map(|v| v.expose().to_owned());
        assert_eq!(value(a, "username").unwrap(), "u");
        assert_eq!(value(a, "password").unwrap(), "pw");
        assert_eq!(value(a, "pin").unwrap(), "1");
        assert_eq!(
            value(a, "otp").unwrap(),
            "287082",
            "the code, not a field of that name"
        );
        assert_eq!(
            value(a, "totp").unwrap(),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        assert_eq!(
            value(b, "otp").unwrap(),
            "mine",
            "no TOTP key: the entry's own field"
        );
        assert_eq!(value(b, "totp"), Err(FieldError::Missing));
        assert_eq!(value(a, "nope"), Err(FieldError::Missing));
    }

    #[test]
    fn names() {
        assert!(validate_name("bank/checking").is_ok());
        assert!(validate_name("my bank").is_ok());
        for bad in ["", "a\nb", "a\u{1b}[31m", "/a", "a/", "a//b", " a"] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn timestamps_are_rfc3339_utc_seconds() {
        let now = timestamp_now();
        assert_eq!(now.len(), 20, "{now}");
        assert!(now.ends_with('Z') && now.as_bytes()[10] == b'T', "{now}");
    }
}
