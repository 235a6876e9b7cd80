//! The entry list, optionally narrowed by a fuzzy query over names, usernames and URLs.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use vault::document::Document;

/// Entry names to show: all, sorted, for an empty query; otherwise those that match, best first.
pub fn visible(doc: &Document, query: &str) -> Vec<String> {
    if query.trim().is_empty() {
        return doc.entries.keys().cloned().collect();
    }
    ranked(query, doc.entries.iter())
}

/// As [`visible`], looking only among `previous`, the matches of a query this one extends:
/// a character typed at the end can only narrow a fuzzy match, so at 100,000 entries a
/// keystroke scores what is left, not everything.
pub fn narrowed(doc: &Document, query: &str, previous: &[String]) -> Vec<String> {
    ranked(
        query,
        previous
            .iter()
            .filter_map(|name| Some((name, doc.entries.get(name)?))),
    )
}

/// Whether the matches of `new` are among those of `old`: `new` is `old` with more typed
/// after it, and uses none of the signs that widen a match (`!` negates a word; a `$` that
/// anchored the end stops doing so once followed by more).
pub fn narrows(old: &str, new: &str) -> bool {
    !old.trim().is_empty()
        && new.starts_with(old)
        && !old.ends_with('$')
        && !new.contains(['!', '\\'])
}

/// The entries among `entries` that match `query`, best first. Walks the entries it is given
/// (no lookup by name: at 100,000 that alone costs more than the matching); a long list is
/// scored in two halves at once, one on a second thread.
fn ranked<'a>(
    query: &str,
    entries: impl Iterator<Item = (&'a String, &'a vault::document::Entry)>,
) -> Vec<String> {
    /// Below this, a thread costs more than it saves.
    const SPLIT_FROM: usize = 20_000;
    let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
    let needle = plain_needle(query);
    let entries: Vec<_> = entries.collect();
    let mut hits = if entries.len() >= SPLIT_FROM {
        let (first, second) = entries.split_at(entries.len() / 2);
        std::thread::scope(|scope| {
            let first = scope.spawn(|| score_all(&pattern, needle.as_deref(), first));
            let mut hits = score_all(&pattern, needle.as_deref(), second);
            hits.extend(
                first
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
            hits
        })
    } else {
        score_all(&pattern, needle.as_deref(), &entries)
    };
    hits.sort_unstable_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    hits.into_iter().map(|(_, name)| name.clone()).collect()
}

/// Each of `entries` that matches, with its score: the name counts most, and a username or
/// URL match still finds the entry.
fn score_all<'a>(
    pattern: &Pattern,
    needle: Option<&[u8]>,
    entries: &[(&'a String, &'a vault::document::Entry)],
) -> Vec<(u32, &'a String)> {
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut buf = Vec::new();
    let mut score = |text: &str| {
        if let Some(needle) = needle
            && text.is_ascii()
            && !is_subsequence(needle, text.as_bytes())
        {
            return None;
        }
        pattern.score(Utf32Str::new(text, &mut buf), &mut matcher)
    };
    entries
        .iter()
        .filter_map(|&(name, entry)| {
            let best = [
                score(name).map(|s| s * 2),
                score(&entry.username),
                score(&entry.url),
            ]
            .into_iter()
            .flatten()
            .max()?;
            Some((best, name))
        })
        .collect()
}

/// A query of plain characters (one fuzzy word, no signs), lowercased: then a text that does
/// not hold its characters in order, whatever their case, cannot match, and is passed over
/// without scoring. Most texts fail that test in a few nanoseconds, which is what keeps the
/// first keystroke fast at 100,000 entries.
fn plain_needle(query: &str) -> Option<Vec<u8>> {
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"-_./@:".contains(&b);
    (!query.is_empty() && query.bytes().all(plain)).then(|| query.to_ascii_lowercase().into_bytes())
}

fn is_subsequence(needle: &[u8], text: &[u8]) -> bool {
    let mut wanted = needle.iter().peekable();
    for &b in text {
        match wanted.peek() {
            Some(&&c) if c == b.to_ascii_lowercase() => {
                wanted.next();
            }
            Some(_) => {}
            None => return true,
        }
    }
    wanted.peek().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use vault::document::Entry;

    fn doc() -> Document {
        let mut doc = Document::new(vec![]);
        for (name, user, url) in [
            ("bank/checking", "dustin", "https://bank.example"),
            ("bank/savings", "dustin", ""),
            ("mail", "d@example.org", "https://mail.example"),
            ("db/prod", "postgres", ""),
        ] {
            let mut entry = Entry::new("t");
            entry.username = user.into();
            entry.url = url.into();
            doc.entries.insert(name.into(), entry);
        }
        doc
    }

    #[test]
    fn empty_query_lists_everything_sorted() {
        assert_eq!(
            visible(&doc(), " "),
            ["bank/checking", "bank/savings", "db/prod", "mail"]
        );
    }

    #[test]
    fn fuzzy_on_names_then_usernames_and_urls() {
        assert_eq!(visible(&doc(), "bnkchk"), ["bank/checking"]);
        assert_eq!(visible(&doc(), "postgres"), ["db/prod"]);
        assert_eq!(visible(&doc(), "mail.example")[0], "mail");
        assert!(visible(&doc(), "zzzz").is_empty());
        let bank = visible(&doc(), "bank");
        assert_eq!(bank.len(), 2, "{bank:?}");
    }

    #[test]
    fn the_quick_test_never_drops_what_the_matcher_finds() {
        assert!(is_subsequence(b"bnk", b"Bank/Checking"));
        assert!(!is_subsequence(b"kb", b"bank"));
        assert!(plain_needle("Bank").is_some());
        assert!(plain_needle("bank !x").is_none());
        let doc = doc();
        for query in ["b", "B", "bk", "ex.org", "pg", "Dust", "zz", "mail.example"] {
            let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
            let mut matcher = Matcher::new(Config::DEFAULT);
            let mut buf = Vec::new();
            let expected: Vec<&String> = doc
                .entries
                .iter()
                .filter(|(name, e)| {
                    [name.as_str(), &e.username, &e.url].iter().any(|t| {
                        pattern
                            .score(Utf32Str::new(t, &mut buf), &mut matcher)
                            .is_some()
                    })
                })
                .map(|(name, _)| name)
                .collect();
            let mut found = visible(&doc, query);
            found.sort();
            assert_eq!(found.iter().collect::<Vec<_>>(), expected, "{query}");
        }
    }

    #[test]
    fn a_longer_query_narrows_what_the_shorter_found() {
        let doc = doc();
        let first = visible(&doc, "ba");
        assert!(narrows("ba", "bank"));
        assert_eq!(narrowed(&doc, "bank", &first), visible(&doc, "bank"));
        assert!(!narrows("ba", "b"), "a deleted character widens");
        assert!(!narrows("ba", "ba !sav"), "a negation widens");
        assert!(!narrows("", "b"));
        assert!(!narrows("ab$", "ab$c"), "no longer anchored at the end");
    }
}
