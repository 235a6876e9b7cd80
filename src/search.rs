//! Finding entries by what a person remembers of them: a fuzzy query over names, usernames,
//! URLs and tags (`vault find`), a name pattern or a group (`vault list bank/`), and the names
//! nearest to one mistyped (`did you mean …?`).

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use crate::document::Document;

/// The names of the entries `query` matches, best first (ties by name). The name counts most;
/// a username, URL or tag match still finds the entry. An empty query matches nothing.
pub fn find<'a>(doc: &'a Document, query: &str) -> Vec<&'a str> {
    if query.trim().is_empty() {
        return Vec::new();
    }
    let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut buf = Vec::new();
    let mut score = |text: &str| pattern.score(Utf32Str::new(text, &mut buf), &mut matcher);
    let mut hits: Vec<(u32, &str)> = doc
        .entries
        .iter()
        .filter_map(|(name, entry)| {
            let mut best = score(name).map(|s| s * 2);
            for other in [&entry.username, &entry.url].into_iter().chain(&entry.tags) {
                best = best.max(score(other));
            }
            Some((best?, name.as_str()))
        })
        .collect();
    hits.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    hits.into_iter().map(|(_, name)| name).collect()
}

/// What `vault list PATTERN` selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// `bank/`: every entry of the group, subgroups included.
    Group(String),
    /// `bank/*`, `*prod*`: a glob over whole names, `*` any run of characters (`/` included),
    /// `?` one character.
    Glob(String),
    /// `bank`: the entry of that name and, as `bank/` would, its group.
    Name(String),
}

impl Selection {
    pub fn parse(pattern: &str) -> Selection {
        if pattern.contains(['*', '?']) {
            Selection::Glob(pattern.to_owned())
        } else if pattern.ends_with('/') {
            Selection::Group(pattern.to_owned())
        } else {
            Selection::Name(pattern.to_owned())
        }
    }

    pub fn matches(&self, name: &str) -> bool {
        match self {
            Selection::Group(prefix) => name.starts_with(prefix.as_str()),
            Selection::Glob(glob) => crate::scope::glob(glob, name),
            Selection::Name(wanted) => name
                .strip_prefix(wanted.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/')),
        }
    }
}

/// The entries of group `group` (given with or without its trailing `/`), sorted.
pub fn group<'a>(doc: &'a Document, group: &str) -> Vec<&'a str> {
    let prefix = format!("{}/", group.trim_end_matches('/'));
    doc.entries
        .range(prefix.clone()..)
        .map(|(name, _)| name.as_str())
        .take_while(|name| name.starts_with(&prefix))
        .collect()
}

/// Up to three names close to `wanted`, nearest first: a typo (`bank/chekcing`), a name given
/// without its group (`checking`), a group's name in another case. Empty when none is close.
pub fn nearest<'a>(names: impl IntoIterator<Item = &'a str>, wanted: &str) -> Vec<&'a str> {
    const SHOWN: usize = 3;
    // Edit distance, not a prefix-weighted measure: names of one group share a long prefix
    // (`bank/`) that would make every one of them look close.
    let similarity = |a: &str, b: &str| strsim::normalized_damerau_levenshtein(a, b);
    let wanted_lower = wanted.to_lowercase();
    let wanted_leaf = leaf(&wanted_lower);
    let mut close: Vec<(f64, &str)> = names
        .into_iter()
        .filter_map(|name| {
            let lower = name.to_lowercase();
            let mut score =
                similarity(&wanted_lower, &lower).max(similarity(wanted_leaf, leaf(&lower)));
            // One inside the other (`bank` in `bank/checking`) is what a person means far more
            // often than a name a letter away by chance.
            if wanted_lower.len() >= 3 && lower.contains(&wanted_lower) {
                score += 1.0;
            }
            (score >= 0.7).then_some((score, name))
        })
        .collect();
    close.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    let best = close.first().map_or(0.0, |c| c.0);
    close
        .into_iter()
        .take_while(|c| c.0 >= best - 0.1)
        .take(SHOWN)
        .map(|(_, name)| name)
        .collect()
}

fn leaf(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Entry;

    fn doc() -> Document {
        let mut doc = Document::new(vec![]);
        for (name, user, url, tags) in [
            (
                "bank/checking",
                "dustin",
                "https://bank.example",
                &["money"][..],
            ),
            ("bank/savings", "dustin", "", &[][..]),
            (
                "mail",
                "d@example.org",
                "https://mail.example",
                &["personal"][..],
            ),
            ("db/prod", "postgres", "", &["ops", "money"][..]),
            ("bankruptcy-lawyer", "", "", &[][..]),
        ] {
            let mut entry = Entry::new("t");
            entry.username = user.into();
            entry.url = url.into();
            entry.tags = tags.iter().map(|t| (*t).to_owned()).collect();
            doc.entries.insert(name.into(), entry);
        }
        doc
    }

    #[test]
    fn find_ranks_names_first_and_reaches_usernames_urls_and_tags() {
        let doc = doc();
        assert_eq!(find(&doc, "bnkchk"), ["bank/checking"]);
        assert_eq!(find(&doc, "postgres"), ["db/prod"]);
        assert_eq!(find(&doc, "mail.example")[0], "mail");
        assert_eq!(find(&doc, "personal"), ["mail"]);
        let money = find(&doc, "money");
        assert_eq!(money.len(), 2, "{money:?}");
        assert!(find(&doc, "zzzz").is_empty());
        assert!(find(&doc, "  ").is_empty());
    }

    #[test]
    fn selections_of_list() {
        let doc = doc();
        let select = |pattern: &str| -> Vec<&str> {
            let selection = Selection::parse(pattern);
            doc.entries
                .keys()
                .map(String::as_str)
                .filter(|n| selection.matches(n))
                .collect()
        };
        assert_eq!(select("bank/"), ["bank/checking", "bank/savings"]);
        assert_eq!(select("bank"), ["bank/checking", "bank/savings"]);
        assert_eq!(
            select("bank*"),
            ["bank/checking", "bank/savings", "bankruptcy-lawyer"]
        );
        assert_eq!(select("*s"), ["bank/savings"]);
        assert_eq!(select("mail"), ["mail"]);
        assert!(select("ban").is_empty());
        assert_eq!(group(&doc, "bank"), ["bank/checking", "bank/savings"]);
        assert_eq!(group(&doc, "bank/"), ["bank/checking", "bank/savings"]);
        assert!(group(&doc, "mail").is_empty());
    }

    #[test]
    fn nearest_names_for_a_typo_a_missing_group_and_nothing_close() {
        let doc = doc();
        let names = || doc.entries.keys().map(String::as_str);
        assert_eq!(nearest(names(), "bank/chekcing"), ["bank/checking"]);
        assert_eq!(nearest(names(), "chekcing"), ["bank/checking"]);
        assert_eq!(nearest(names(), "checking"), ["bank/checking"]);
        assert_eq!(nearest(names(), "MAIL"), ["mail"]);
        assert!(nearest(names(), "github").is_empty());
        assert!(nearest(names(), "bank/").len() <= 3);
    }
}
