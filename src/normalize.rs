//! Normalisation for matching.
//!
//! Stored text stays exactly as given; this module produces the *key* that
//! indexing and querying compare, so that differences a translator does not
//! care about (typographic quotes, dash variants, non-breaking spaces, letter
//! case, Unicode composition, Russian ё written as е) never cost a match.
//! Both the index and the query side call the same functions, which is the
//! whole point: a rule applied on one side only would lose matches.

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// Which differences to fold away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fold {
    /// Fold letter case (Unicode lower case).
    pub case: bool,
}

impl Default for Fold {
    fn default() -> Self {
        Fold { case: true }
    }
}

/// Maps one character to its matching form, or `None` to mean "white space".
fn unify(c: char) -> Option<char> {
    Some(match c {
        // Quotes: « » „ “ ” ‟ ″ and friends become a plain double quote.
        '\u{00AB}' | '\u{00BB}' | '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}'
        | '\u{2033}' | '\u{301D}' | '\u{301E}' | '\u{FF02}' => '"',
        // Apostrophes and single quotes: ‘ ’ ‚ ‛ ′ ` ´ ‹ ›.
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '`' | '\u{00B4}'
        | '\u{2039}' | '\u{203A}' | '\u{FF07}' => '\'',
        // Hyphens and dashes: ‐ ‑ ‒ – — ― − and the minus sign.
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => '-',
        '\u{2026}' => return Some('\u{2026}'), // expanded by the caller
        'ё' => 'е',
        'Ё' => 'Е',
        c if c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}' => return None,
        c => c,
    })
}

/// The matching key of `text`: NFC, unified punctuation, collapsed white
/// space (trimmed), `…` as `...`, ё as е, and lower case unless `fold.case`
/// is off.
pub fn normalize_with(text: &str, fold: Fold) -> String {
    // Most text is already NFC; checking is far cheaper than recomposing.
    let nfc: Cow<str> = if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.nfc().collect())
    };
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in nfc.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(if fold.case { c.to_ascii_lowercase() } else { c });
            continue;
        }
        match unify(c) {
            None => pending_space = !out.is_empty(),
            Some(u) => {
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                if u == '\u{2026}' {
                    out.push_str("...");
                } else if fold.case {
                    out.extend(u.to_lowercase());
                } else {
                    out.push(u);
                }
            }
        }
    }
    out
}

/// The matching key with every fold on; see [`normalize_with`].
pub(crate) fn normalize(text: &str) -> String {
    normalize_with(text, Fold::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_dashes_and_spaces_are_unified() {
        assert_eq!(normalize("«Да» — сказал\u{00A0}он"), "\"да\" - сказал он");
        assert_eq!(normalize("  It’s   “fine”  "), "it's \"fine\"");
    }

    #[test]
    fn yo_and_case_fold() {
        assert_eq!(normalize("Ещё ЁЛКА"), "еще елка");
        assert_eq!(normalize_with("Ещё", Fold { case: false }), "Еще");
    }

    #[test]
    fn composition_is_nfc() {
        // e + combining acute composes to é.
        assert_eq!(normalize("Cafe\u{0301}"), "café");
        assert_eq!(normalize("Wait…"), "wait...");
    }

    #[test]
    fn empty_and_blank() {
        assert_eq!(normalize(""), "");
        assert_eq!(normalize(" \t\n "), "");
    }
}
