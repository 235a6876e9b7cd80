//! Random passwords and passphrases, from the operating system's CSPRNG, uniformly (rejection
//! sampling: no modulo bias).

use crate::error::{Error, Result};
use crate::secret::Secret;

pub const DEFAULT_LENGTH: usize = 24;
pub const MAX_LENGTH: usize = 4096;
pub const MAX_WORDS: usize = 64;

const LOWER: &str = "abcdefghijkmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS: &str = "23456789";
/// No quotes, backslash, backtick or space: a generated password pastes into a shell, a URL
/// userinfo or a config file without escaping.
const SYMBOLS: &str = "!#%&()*+,-./:;<=>?@[]^_{}~";

/// The EFF large wordlist (7,776 words, 12.9 bits each), CC-BY 3.0, Electronic Frontier Foundation.
const WORDS: &str = include_str!("../assets/eff_large_wordlist.txt");

/// A password of `length` characters that has each character class at least once (when it is
/// long enough to), as many sites demand.
pub fn password(length: usize, symbols: bool) -> Result<Secret> {
    if length == 0 || length > MAX_LENGTH {
        return Err(Error::Usage(format!(
            "password length must be 1 to {MAX_LENGTH}"
        )));
    }
    let mut classes = vec![LOWER, UPPER, DIGITS];
    if symbols {
        classes.push(SYMBOLS);
    }
    let alphabet: Vec<char> = classes.concat().chars().collect();
    loop {
        let mut chars = String::with_capacity(length);
        for _ in 0..length {
            chars.push(alphabet[random_below(alphabet.len())?]);
        }
        let candidate = Secret::new(chars);
        let complete = length < classes.len()
            || classes
                .iter()
                .all(|class| candidate.expose().chars().any(|c| class.contains(c)));
        if complete {
            return Ok(candidate);
        }
    }
}

/// `count` words from the EFF large wordlist, joined by `-`. The four words that hold a `-`
/// themselves are left out, so the phrase splits back into its words.
pub fn passphrase(count: usize) -> Result<Secret> {
    if count == 0 || count > MAX_WORDS {
        return Err(Error::Usage(format!("word count must be 1 to {MAX_WORDS}")));
    }
    let words: Vec<&str> = WORDS.lines().filter(|w| !w.contains('-')).collect();
    let mut phrase = String::with_capacity(count * 10);
    for i in 0..count {
        if i > 0 {
            phrase.push('-');
        }
        phrase.push_str(words[random_below(words.len())?]);
    }
    Ok(Secret::new(phrase))
}

/// A uniform random number in `0..bound`.
fn random_below(bound: usize) -> Result<usize> {
    let bound = u64::try_from(bound).unwrap_or(u64::MAX);
    // The largest multiple of `bound` that fits: draws at or above it would favour low values.
    let zone = u64::MAX - (u64::MAX % bound);
    loop {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes)
            .map_err(|_| Error::other("the system's random number generator failed"))?;
        let value = u64::from_le_bytes(bytes);
        if value < zone {
            return Ok(usize::try_from(value % bound).unwrap_or(0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn wordlist_is_the_eff_large_list() {
        let words: HashSet<&str> = WORDS.lines().collect();
        assert_eq!(words.len(), 7776);
        assert!(
            words
                .iter()
                .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        );
    }

    #[test]
    fn passwords_have_the_length_and_every_class() {
        for _ in 0..200 {
            let pw = password(DEFAULT_LENGTH, true).unwrap();
            assert_eq!(pw.expose().chars().count(), DEFAULT_LENGTH);
            for class in [LOWER, UPPER, DIGITS, SYMBOLS] {
                assert!(pw.expose().chars().any(|c| class.contains(c)));
            }
        }
        let plain = password(12, false).unwrap();
        assert!(plain.expose().chars().all(char::is_alphanumeric));
        assert_eq!(password(2, true).unwrap().len(), 2);
        assert!(password(0, true).is_err());
    }

    #[test]
    fn passwords_differ_and_use_the_whole_alphabet() {
        let mut seen = HashSet::new();
        let mut all = HashSet::new();
        for _ in 0..300 {
            let pw = password(32, true).unwrap();
            all.extend(pw.expose().chars());
            assert!(seen.insert(pw.expose().to_owned()));
        }
        assert_eq!(
            all.len(),
            LOWER.len() + UPPER.len() + DIGITS.len() + SYMBOLS.len()
        );
    }

    #[test]
    fn passphrases_have_the_word_count() {
        let phrase = passphrase(6).unwrap();
        let words: HashSet<&str> = WORDS.lines().collect();
        let parts: Vec<&str> = phrase.expose().split('-').collect();
        assert_eq!(parts.len(), 6);
        assert!(parts.iter().all(|w| words.contains(w)));
        assert!(passphrase(0).is_err());
    }
}
