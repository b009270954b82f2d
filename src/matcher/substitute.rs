//! Auto-substitution of placeables: numbers, dates and names.
//!
//! When a query differs from a stored source only in placeables, the stored
//! target is patched: each differing source placeable is found in the target
//! and replaced by the query's. A number keeps the target's decimal style
//! (`4.5` becomes `4,5` where the target wrote `3,2` for the source's `3.2`).
//! A name (a capitalised word, Latin or Cyrillic) is substituted only when the
//! source's name appears verbatim in the target; an inflected or
//! transliterated name is left alone, since guessing its form would be wrong.

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use super::score::{Token, tokens};
use crate::normalize::{Fold, normalize_with};

/// One substituted placeable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Substitution {
    /// As it stood in the stored source.
    pub from: String,
    /// As the query has it.
    pub to: String,
}

/// A patched suggestion.
#[derive(Debug, Clone, PartialEq)]
pub struct Substituted {
    pub subs: Vec<Substitution>,
    /// The stored source with the query's placeables.
    pub source: String,
    /// The stored target with the query's placeables.
    pub target: String,
}

fn is_name(t: &Token) -> bool {
    !t.number && t.text.chars().next().is_some_and(char::is_uppercase)
}

/// Swaps `.` and `,` in a number.
fn swap_decimal(n: &str) -> String {
    n.chars()
        .map(|c| match c {
            '.' => ',',
            ',' => '.',
            c => c,
        })
        .collect()
}

/// Replaces byte ranges of `text` (sorted, disjoint) with new strings.
fn patch(text: &str, mut edits: Vec<(usize, usize, String)>) -> String {
    edits.sort_by_key(|e| e.0);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (s, e, new) in edits {
        out.push_str(&text[at..s]);
        out.push_str(&new);
        at = e;
    }
    out.push_str(&text[at..]);
    out
}

/// Substitutes the query's placeables into `target` when `query` and
/// `source` differ only in placeables; `None` otherwise.
pub fn substitute(query: &str, source: &str, target: &str) -> Option<Substituted> {
    let keep = Fold { case: false };
    let (nq, src) = (
        normalize_with(query, keep),
        source.nfc().collect::<String>(),
    );
    let ns = normalize_with(&src, keep);
    let (qt, st, raw_st) = (tokens(&nq), tokens(&ns), tokens(&src));
    if qt.len() != st.len() || st.len() != raw_st.len() {
        return None;
    }
    let tgt: String = target.nfc().collect();
    let tt = tokens(&tgt);
    let mut used = vec![false; tt.len()];
    let (mut subs, mut src_edits, mut tgt_edits) = (Vec::new(), Vec::new(), Vec::new());
    for ((q, s), raw) in qt.iter().zip(&st).zip(&raw_st) {
        if q.text == s.text {
            continue;
        }
        let placeable = (q.number && s.number) || (is_name(q) && is_name(s));
        if !placeable {
            return None;
        }
        let swapped = swap_decimal(s.text);
        let (i, t) = tt
            .iter()
            .enumerate()
            .find(|(i, t)| !used[*i] && (t.text == s.text || (s.number && t.text == swapped)))?;
        used[i] = true;
        let to = if s.number && t.text != s.text {
            swap_decimal(q.text)
        } else {
            q.text.to_string()
        };
        tgt_edits.push((t.start, t.end, to));
        src_edits.push((raw.start, raw.end, q.text.to_string()));
        subs.push(Substitution {
            from: s.text.to_string(),
            to: q.text.to_string(),
        });
    }
    if subs.is_empty() {
        return None;
    }
    Some(Substituted {
        subs,
        source: patch(&src, src_edits),
        target: patch(&tgt, tgt_edits),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_target_decimal_style() {
        let s = substitute(
            "The rate rose to 4.5 percent on 30 May.",
            "The rate rose to 3.2 percent on 29 May.",
            "Ставка выросла до 3,2 процента 29 мая.",
        )
        .expect("numbers only");
        assert_eq!(s.target, "Ставка выросла до 4,5 процента 30 мая.");
        assert_eq!(
            s.subs[1],
            Substitution {
                from: "29".into(),
                to: "30".into()
            }
        );
        assert_eq!(s.source, "The rate rose to 4.5 percent on 30 May.");
    }

    #[test]
    fn names_only_when_verbatim_in_target() {
        let s = substitute(
            "Contact Gazprom today.",
            "Contact Siemens today.",
            "Свяжитесь с Siemens сегодня.",
        );
        assert_eq!(
            s.map(|s| s.target).as_deref(),
            Some("Свяжитесь с Gazprom сегодня.")
        );
        // Russian name inflected in the English target: no guess.
        assert!(substitute("Звонил Петров.", "Звонил Иванов.", "Ivanov called.").is_none());
    }

    #[test]
    fn other_words_block_substitution() {
        assert!(
            substitute(
                "The cat sat on 3 mats.",
                "The dog sat on 2 mats.",
                "Собака сидела на 2 ковриках."
            )
            .is_none()
        );
        assert!(substitute("Same 5.", "Same 5.", "То же 5.").is_none());
    }
}
