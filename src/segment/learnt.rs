//! Word lists learnt from unlabelled text by `scripts/learn_starters.py`
//! (Punkt's orthographic heuristic), kept as data files under
//! `src/segment/data/` (one word per line) and parsed on first use: a
//! language that is never segmented never touches its lists. Generated from
//! the WMT en-ru news documents and the 40k en-ru memory pairs of the team's
//! evaluation data; derived word lists only. Do not edit the files by hand.

use std::sync::LazyLock;

/// The non-empty lines of a word-list file.
fn parse(text: &'static str) -> Vec<&'static str> {
    text.lines()
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect()
}

/// English sentence starters: words that open sentences and are otherwise
/// written in lowercase (`Analysts`, `However`).
pub static EN_STARTERS_LEARNT: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| parse(include_str!("data/en_starters.txt")));

/// Russian sentence starters.
pub static RU_STARTERS_LEARNT: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| parse(include_str!("data/ru_starters.txt")));

/// English words that end sentences and are not abbreviations (`it`,
/// `said`, `people`).
pub static EN_ORDINARY_LEARNT: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| parse(include_str!("data/en_ordinary.txt")));

/// Russian words seen only capitalised inside sentences: names.
pub static RU_NAMES_LEARNT: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| parse(include_str!("data/ru_names.txt")));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_to_plain_words() {
        for (list, min) in [
            (&*EN_STARTERS_LEARNT, 500),
            (&*RU_STARTERS_LEARNT, 1000),
            (&*EN_ORDINARY_LEARNT, 2500),
            (&*RU_NAMES_LEARNT, 4500),
        ] {
            assert!(list.len() >= min, "{} words", list.len());
            // The rules join them into regex alternations unescaped, and
            // the word matchers cut words at non-word characters.
            assert!(
                list.iter()
                    .all(|w| w.chars().all(|c| c.is_alphanumeric() || c == '_')),
                "a word with other characters"
            );
        }
        assert!(EN_STARTERS_LEARNT.contains(&"Analysts"));
        assert!(RU_NAMES_LEARNT.contains(&"Ларсон"));
    }
}
