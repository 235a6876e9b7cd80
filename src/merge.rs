//! Merging copies of a vault entry by entry and field by field: three-way for git (base, ours,
//! theirs), two-way for a sync tool's conflict copy (by id and `updated` time).
//!
//! Entries are matched by id, so a rename on one side and an edit on the other merge. A field
//! both sides changed differently, or an entry one side deleted and the other edited, is a
//! conflict: the result keeps ours and records theirs in the document (`conflicts`), for
//! `vault resolve` to settle. Password histories are united; recipients merge as a set.

use std::collections::{BTreeMap, BTreeSet};

use crate::crypto;
use crate::document::{
    Conflict, Document, Entry, HISTORY_LIMIT, NamedEntry, PastPassword, Recipient,
};

/// A merged document and how many conflicts it recorded.
pub struct Merged {
    pub doc: Document,
    pub conflicts: usize,
}

/// Entries by id (an entry without one, from before ids, by its name).
fn by_id(doc: &Document) -> BTreeMap<String, (String, &Entry)> {
    doc.entries
        .iter()
        .map(|(name, entry)| {
            let id = if entry.id.is_empty() {
                format!("name:{name}")
            } else {
                entry.id.clone()
            };
            (id, (name.clone(), entry))
        })
        .collect()
}

/// An entry of the merged document: one of ours, moved over whole when it is done, or one
/// made (or copied from theirs) here.
enum Kept {
    Ours(String),
    Made(String, Box<Entry>),
}

/// Three-way merge. `base` is the common ancestor when one is known and trusted; without it,
/// tombstones tell a deletion from an addition. Ours is consumed: most entries of a merge are
/// ours as they stand, and are moved into the result rather than copied.
pub fn three_way(
    base: Option<&Document>,
    mut ours: Document,
    theirs: &Document,
    now: &str,
) -> Merged {
    let empty = Document::new(Vec::new());
    let base_doc = base.unwrap_or(&empty);
    let (b, o, t) = (by_id(base_doc), by_id(&ours), by_id(theirs));
    let ids: BTreeSet<&String> = b.keys().chain(o.keys()).chain(t.keys()).collect();
    let mut entries: Vec<Kept> = Vec::new();
    let mut conflicts: Vec<Conflict> = ours.conflicts.clone();
    let conflict =
        |id: &str, name: &str, fields: Vec<String>, theirs: Option<NamedEntry>| Conflict {
            id: id.to_owned(),
            name: name.to_owned(),
            fields,
            theirs,
            at: now.to_owned(),
            ..Conflict::default()
        };
    for id in ids {
        let (bv, ov, tv) = (b.get(id), o.get(id), t.get(id));
        match (ov, tv) {
            // Most entries of a merge changed on one side or neither: taken whole, without the
            // field-by-field work (a merge of two large vaults is mostly this).
            (Some(o), Some(t)) if same(o, t) || bv.is_some_and(|b| same(b, t)) => {
                entries.push(Kept::Ours(o.0.clone()));
            }
            (Some(o), Some(t)) if bv.is_some_and(|b| same(b, o)) => {
                entries.push(Kept::Made(t.0.clone(), Box::new(t.1.clone())));
            }
            (Some(o), Some(t)) => {
                let ((name, entry), fields) = merge_entry(bv, o, t);
                if !fields.is_empty() {
                    conflicts.push(conflict(id, &name, fields, Some(named_entry(t))));
                }
                entries.push(Kept::Made(name, Box::new(entry)));
            }
            (Some(o), None) => match gone(bv, o, theirs.deleted.get(id)) {
                Gone::Deleted => {}
                // Deleted there, edited here: ours stands, their deletion is recorded.
                Gone::DeletedAndEdited => {
                    conflicts.push(conflict(id, &o.0, vec!["deleted".into()], None));
                    entries.push(Kept::Ours(o.0.clone()));
                }
                Gone::Added => entries.push(Kept::Ours(o.0.clone())),
            },
            (None, Some(t)) => match gone(bv, t, ours.deleted.get(id)) {
                Gone::Deleted => {}
                // Deleted here, edited there: our deletion stands, their version is kept.
                Gone::DeletedAndEdited => conflicts.push(conflict(
                    id,
                    &t.0,
                    vec!["deleted".into()],
                    Some(named_entry(t)),
                )),
                Gone::Added => entries.push(Kept::Made(t.0.clone(), Box::new(t.1.clone()))),
            },
            (None, None) => {}
        }
    }
    let mut doc = Document {
        format: ours.format.max(theirs.format),
        recipients: merge_recipients(&base_doc.recipients, &ours.recipients, &theirs.recipients),
        entries: BTreeMap::new(),
        derived: ours.derived.clone(),
        deleted: ours
            .deleted
            .iter()
            .chain(&theirs.deleted)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        conflicts: Vec::new(),
        extra: ours.extra.clone(),
    };
    drop(o);
    let mut ours_entries = std::mem::take(&mut ours.entries);
    let entries = entries.into_iter().filter_map(|kept| match kept {
        Kept::Ours(name) => ours_entries.remove_entry(&name),
        Kept::Made(name, entry) => Some((name, *entry)),
    });
    // Two entries that end up with one name (both sides added "mail"): theirs steps aside.
    for (name, entry) in entries {
        if doc.entries.contains_key(&name) {
            let mut other = format!("{name} (theirs)");
            let mut n = 2;
            while doc.entries.contains_key(&other) {
                other = format!("{name} (theirs {n})");
                n += 1;
            }
            conflicts.push(conflict(&entry.id, &other, vec!["name".into()], None));
            doc.entries.insert(other, entry);
        } else {
            doc.entries.insert(name, entry);
        }
    }
    conflicts.dedup_by(|a, b| a.id == b.id && a.fields == b.fields);
    let count = conflicts.len() - ours.conflicts.len().min(conflicts.len());
    doc.conflicts = conflicts;
    Merged {
        doc,
        conflicts: count,
    }
}

/// Whether two sides hold an entry under the same name with the same content.
fn same(a: &(String, &Entry), b: &(String, &Entry)) -> bool {
    a.0 == b.0 && a.1 == b.1
}

/// What it means that one side has an entry the other has not.
enum Gone {
    /// The other side deleted it, and this side left it as it was.
    Deleted,
    /// The other side deleted it, and this side changed it.
    DeletedAndEdited,
    /// This side added it.
    Added,
}

/// Judges an entry (`present`) the other side lacks: with a base, by whether the base had it and
/// whether it changed since; without one, by the other side's tombstone and its time.
fn gone(
    base: Option<&(String, &Entry)>,
    present: &(String, &Entry),
    tombstone: Option<&String>,
) -> Gone {
    match (base, tombstone) {
        (Some(before), _) if before.0 == present.0 && before.1 == present.1 => Gone::Deleted,
        (Some(_), _) => Gone::DeletedAndEdited,
        (None, Some(at)) if present.1.updated.as_str() > at.as_str() => Gone::DeletedAndEdited,
        (None, Some(_)) => Gone::Deleted,
        (None, None) => Gone::Added,
    }
}

fn named_entry(side: &(String, &Entry)) -> NamedEntry {
    NamedEntry {
        name: side.0.clone(),
        entry: side.1.clone(),
    }
}

/// One entry both sides have: field by field; returns the merged entry with its name, and the
/// fields that conflict (where ours is kept).
fn merge_entry(
    base: Option<&(String, &Entry)>,
    ours: &(String, &Entry),
    theirs: &(String, &Entry),
) -> ((String, Entry), Vec<String>) {
    let (o, t) = (ours.1, theirs.1);
    let b = base.map(|b| b.1);
    let mut conflicts = Vec::new();
    let mut merged = o.clone();
    let name = pick(
        "name",
        base.map(|b| &b.0),
        &ours.0,
        &theirs.0,
        &mut conflicts,
    )
    .clone();
    merged.username.clone_from(pick(
        "username",
        b.map(|b| &b.username),
        &o.username,
        &t.username,
        &mut conflicts,
    ));
    merged.password.clone_from(pick(
        "password",
        b.map(|b| &b.password),
        &o.password,
        &t.password,
        &mut conflicts,
    ));
    merged.url.clone_from(pick(
        "url",
        b.map(|b| &b.url),
        &o.url,
        &t.url,
        &mut conflicts,
    ));
    merged.notes.clone_from(pick(
        "notes",
        b.map(|b| &b.notes),
        &o.notes,
        &t.notes,
        &mut conflicts,
    ));
    merged.totp.clone_from(pick(
        "totp",
        b.map(|b| &b.totp),
        &o.totp,
        &t.totp,
        &mut conflicts,
    ));
    merged.extra.clone_from(pick(
        "extra",
        b.map(|b| &b.extra),
        &o.extra,
        &t.extra,
        &mut conflicts,
    ));
    // The entry's own fields, each on its own; a removal is a change like any other.
    let keys: BTreeSet<&String> = o
        .fields
        .keys()
        .chain(t.fields.keys())
        .chain(b.into_iter().flat_map(|b| b.fields.keys()))
        .collect();
    let mut fields = BTreeMap::new();
    for key in keys {
        let base_value = b.map(|b| b.fields.get(key));
        let (mine, their) = (o.fields.get(key), t.fields.get(key));
        let chosen = *pick(
            &format!("field {key}"),
            base_value.as_ref(),
            &mine,
            &their,
            &mut conflicts,
        );
        if let Some(value) = chosen {
            fields.insert(key.clone(), (*value).clone());
        }
    }
    merged.fields = fields;
    merged.tags = merge_set(b.map(|b| &b.tags[..]), &o.tags, &t.tags);
    let mut history = unite_history(&o.history, &t.history);
    // The password a side replaced is history too.
    for side in [o, t] {
        if side.password != merged.password && !side.password.is_empty() {
            history.push(PastPassword {
                password: side.password.clone(),
                until: o.updated.clone().max(t.updated.clone()),
                ..PastPassword::default()
            });
        }
    }
    merged.history = unite_history(&history, &[]);
    merged.created = o.created.clone().min(t.created.clone());
    merged.updated = o.updated.clone().max(t.updated.clone());
    ((name, merged), conflicts)
}

/// One field, three ways: the side that changed it wins; when both changed it differently, ours
/// is kept and the field is listed as a conflict.
fn pick<'a, T: PartialEq>(
    label: &str,
    base: Option<&T>,
    ours: &'a T,
    theirs: &'a T,
    conflicts: &mut Vec<String>,
) -> &'a T {
    if ours == theirs || base == Some(theirs) {
        return ours;
    }
    if base == Some(ours) {
        return theirs;
    }
    conflicts.push(label.to_owned());
    ours
}

/// A set merged three ways: kept where both keep it, added where either adds it, removed where
/// either removes it.
fn merge_set(base: Option<&[String]>, ours: &[String], theirs: &[String]) -> Vec<String> {
    let base: BTreeSet<&String> = base.unwrap_or_default().iter().collect();
    let (o, t): (BTreeSet<&String>, BTreeSet<&String>) =
        (ours.iter().collect(), theirs.iter().collect());
    let mut out: Vec<String> = ours
        .iter()
        .filter(|x| t.contains(x) || !base.contains(x))
        .cloned()
        .collect();
    out.extend(
        theirs
            .iter()
            .filter(|x| !o.contains(x) && !base.contains(x))
            .cloned(),
    );
    out
}

/// Both histories, each old password once, oldest first, the newest [`HISTORY_LIMIT`] kept.
fn unite_history(ours: &[PastPassword], theirs: &[PastPassword]) -> Vec<PastPassword> {
    let mut all: Vec<PastPassword> = Vec::new();
    for past in ours.iter().chain(theirs) {
        if !all
            .iter()
            .any(|p| p.password == past.password && p.until == past.until)
        {
            all.push(past.clone());
        }
    }
    all.sort_by(|a, b| a.until.cmp(&b.until));
    let excess = all.len().saturating_sub(HISTORY_LIMIT);
    all.drain(..excess);
    all
}

/// Recipients as a set by key: added where either adds, removed where either removes, and a
/// recipient both changed (name, scope) keeps ours.
fn merge_recipients(
    base: &[Recipient],
    ours: &[Recipient],
    theirs: &[Recipient],
) -> Vec<Recipient> {
    let key = |r: &Recipient| crypto::canonical_key(&r.key);
    let (b, o): (BTreeMap<String, &Recipient>, BTreeMap<String, &Recipient>) = (
        base.iter().map(|r| (key(r), r)).collect(),
        ours.iter().map(|r| (key(r), r)).collect(),
    );
    let t: BTreeMap<String, &Recipient> = theirs.iter().map(|r| (key(r), r)).collect();
    let mut out = Vec::new();
    for r in ours {
        let k = key(r);
        match (b.get(&k), t.get(&k)) {
            // Removed there, unchanged here: removed.
            (Some(before), None) if *before == r => {}
            // Changed there only: theirs.
            (Some(before), Some(there)) if *before == r => out.push((*there).clone()),
            _ => out.push(r.clone()),
        }
    }
    for r in theirs {
        let k = key(r);
        if !o.contains_key(&k) && !b.contains_key(&k) {
            out.push(r.clone());
        }
    }
    out
}

/// Two-way merge of another copy of the same vault (a sync tool's conflict copy): by id, the
/// newer `updated` wins, the other's password going to history; entries only one copy has are
/// kept unless the other deleted them.
pub fn two_way(ours: &Document, theirs: &Document) -> Document {
    let mut merged = three_way(None, ours.clone(), theirs, "").doc;
    // Without a base every difference would be a conflict: decide by time instead.
    let (o, t) = (by_id(ours), by_id(theirs));
    for entry in merged.entries.values_mut() {
        if let (Some((_, mine)), Some((_, their))) = (o.get(&entry.id), t.get(&entry.id))
            && their.updated > mine.updated
        {
            let mine = std::mem::replace(entry, (*their).clone());
            entry.history = unite_history(&mine.history, &their.history);
            if mine.password != entry.password && !mine.password.is_empty() {
                entry.history.push(PastPassword {
                    password: mine.password,
                    until: entry.updated.clone(),
                    ..PastPassword::default()
                });
                entry.history = unite_history(&entry.history, &[]);
            }
        }
    }
    merged.conflicts.clone_from(&ours.conflicts);
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn entry(id: &str, password: &str, updated: &str) -> Entry {
        Entry {
            id: id.into(),
            password: Secret::from(password),
            updated: updated.into(),
            created: "t0".into(),
            ..Entry::default()
        }
    }

    fn doc(entries: &[(&str, Entry)]) -> Document {
        let mut doc = Document::new(vec![]);
        for (name, e) in entries {
            doc.entries.insert((*name).into(), e.clone());
        }
        doc
    }

    #[test]
    fn disjoint_changes_and_two_fields_of_one_entry_merge() {
        let base = doc(&[
            ("bank", entry("1", "pw", "t1")),
            ("mail", entry("2", "m", "t1")),
        ]);
        let mut ours = base.clone();
        ours.entries.get_mut("bank").unwrap().username = "dustin".into();
        ours.entries.insert("db".into(), entry("3", "d", "t2"));
        let mut theirs = base.clone();
        theirs.entries.get_mut("bank").unwrap().url = "https://bank".into();
        theirs.entries.get_mut("mail").unwrap().password = Secret::from("m2");
        let merged = three_way(Some(&base), ours.clone(), &theirs, "now");
        assert_eq!(merged.conflicts, 0);
        let bank = &merged.doc.entries["bank"];
        assert_eq!(
            (bank.username.as_str(), bank.url.as_str()),
            ("dustin", "https://bank")
        );
        assert_eq!(merged.doc.entries["mail"].password.expose(), "m2");
        assert!(merged.doc.entries.contains_key("db"));
    }

    #[test]
    fn a_rename_and_an_edit_meet_in_one_entry() {
        let base = doc(&[("bank", entry("1", "pw", "t1"))]);
        let ours = doc(&[("bank/checking", entry("1", "pw", "t1"))]);
        let theirs = doc(&[("bank", entry("1", "pw2", "t2"))]);
        let merged = three_way(Some(&base), ours.clone(), &theirs, "now");
        assert_eq!(merged.conflicts, 0);
        assert_eq!(merged.doc.entries.len(), 1);
        let e = &merged.doc.entries["bank/checking"];
        assert_eq!(e.password.expose(), "pw2");
        assert!(e.history.iter().any(|p| p.password.expose() == "pw"));
    }

    #[test]
    fn the_same_password_changed_twice_keeps_ours_and_records_theirs() {
        let base = doc(&[("bank", entry("1", "pw", "t1"))]);
        let ours = doc(&[("bank", entry("1", "ours", "t2"))]);
        let theirs = doc(&[("bank", entry("1", "theirs", "t3"))]);
        let merged = three_way(Some(&base), ours.clone(), &theirs, "now");
        assert_eq!(merged.conflicts, 1);
        assert_eq!(merged.doc.entries["bank"].password.expose(), "ours");
        let c = &merged.doc.conflicts[0];
        assert_eq!(
            (c.name.as_str(), c.fields.clone()),
            ("bank", vec!["password".to_owned()])
        );
        assert_eq!(c.theirs.as_ref().unwrap().entry.password.expose(), "theirs");
    }

    #[test]
    fn delete_against_edit_is_a_conflict_and_a_plain_delete_is_not() {
        let base = doc(&[
            ("bank", entry("1", "pw", "t1")),
            ("mail", entry("2", "m", "t1")),
        ]);
        let mut ours = base.clone();
        ours.entries.remove("bank");
        ours.entries.remove("mail");
        let theirs = doc(&[
            ("bank", entry("1", "edited", "t2")),
            ("mail", entry("2", "m", "t1")),
        ]);
        let merged = three_way(Some(&base), ours.clone(), &theirs, "now");
        assert!(merged.doc.entries.is_empty(), "our deletions stand");
        assert_eq!(merged.conflicts, 1);
        assert_eq!(merged.doc.conflicts[0].fields, ["deleted"]);
        assert!(merged.doc.conflicts[0].theirs.is_some());
    }

    #[test]
    fn without_a_base_tombstones_tell_deletions_from_additions() {
        let mut ours = doc(&[]);
        ours.deleted.insert("1".into(), "t5".into());
        let theirs = doc(&[
            ("bank", entry("1", "pw", "t1")),
            ("new", entry("9", "n", "t1")),
        ]);
        let merged = three_way(None, ours.clone(), &theirs, "now");
        assert!(!merged.doc.entries.contains_key("bank"));
        assert!(merged.doc.entries.contains_key("new"));
    }

    #[test]
    fn two_way_takes_the_newer_and_keeps_the_older_password_in_history() {
        let ours = doc(&[("bank", entry("1", "old", "t1"))]);
        let theirs = doc(&[
            ("bank", entry("1", "new", "t2")),
            ("x", entry("2", "x", "t1")),
        ]);
        let merged = two_way(&ours, &theirs);
        let bank = &merged.entries["bank"];
        assert_eq!(bank.password.expose(), "new");
        assert!(bank.history.iter().any(|p| p.password.expose() == "old"));
        assert!(merged.entries.contains_key("x"));
    }

    #[test]
    fn recipients_merge_as_a_set() {
        let r = |n: &str, k: &str| Recipient::new(n, k);
        let base = vec![r("op", "age1a"), r("job", "age1b")];
        let ours = vec![r("op", "age1a"), r("job", "age1b"), r("new", "age1c")];
        let theirs = vec![r("op", "age1a")];
        let merged = merge_recipients(&base, &ours, &theirs);
        let names: Vec<&str> = merged.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["op", "new"]);
    }
}
