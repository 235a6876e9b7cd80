//! The entry list, optionally narrowed by a fuzzy query over names, usernames and URLs.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use vault::document::Document;

/// Entry names to show: all, sorted, for an empty query; otherwise those that match, best first.
pub fn visible(doc: &Document, query: &str) -> Vec<String> {
    if query.trim().is_empty() {
        return doc.entries.keys().cloned().collect();
    }
    let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut buf = Vec::new();
    let mut score = |text: &str| pattern.score(Utf32Str::new(text, &mut buf), &mut matcher);
    let mut hits: Vec<(u32, &String)> = doc
        .entries
        .iter()
        .filter_map(|(name, entry)| {
            // The name counts most; a username or URL match still finds the entry.
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
        .collect();
    hits.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    hits.into_iter().map(|(_, name)| name.clone()).collect()
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
}
