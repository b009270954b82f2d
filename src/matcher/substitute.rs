//! Auto-substitution of placeables: numbers, dates and names.
//!
//! When a query differs from a stored source only in placeables, the stored
//! target is patched: each differing source placeable is found in the target
//! and replaced by the query's. A number keeps the target's grouping and
//! decimal style (`150,000` becomes `150 000` where the target wrote
//! `120 000` for the source's `120,000`; see [`crate::numbers`]), a numeric
//! date the target's layout, a month name the target's language and case
//! (`June 20` → `July 20` turns `20 июня` into `20 июля`). A name (a
//! capitalised word, Latin or Cyrillic, that is not the segment's first) is
//! substituted only when the source's name appears verbatim in the target;
//! an inflected or transliterated name is left alone, since guessing its
//! form would be wrong. Any other difference leaves the draft unpatched: the
//! match keeps its own score.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use super::score::{Token, tokens};
use crate::normalize::{Fold, normalize_with};

/// One substituted placeable.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Substitution {
    /// As it stood in the stored source.
    pub from: String,
    /// As the query has it.
    pub to: String,
}

/// A patched suggestion.
#[derive(Debug, Clone, PartialEq)]
pub struct Substituted {
    /// The placeables replaced, in source order.
    pub subs: Vec<Substitution>,
    /// The stored source with the query's placeables.
    pub source: String,
    /// The stored target with the query's placeables.
    pub target: String,
}

/// A capitalised word that is not the first of the segment: a sentence's
/// first word is capitalised whatever it is, so its case says nothing.
fn is_name(t: &Token, at: usize) -> bool {
    at > 0 && !t.number && t.text.chars().next().is_some_and(char::is_uppercase)
}

/// [`tokens`] with digit groups split by a space joined into one number
/// (`120 000`, `1\u{A0}250\u{A0}000`), so that every grouping style is one
/// placeable. Applied alike to query, source and target.
fn placeables(text: &str) -> Vec<Token<'_>> {
    let mut out: Vec<Token> = Vec::new();
    for t in tokens(text) {
        if let Some(last) = out.last_mut()
            && last.number
            && t.number
            && t.text.len() == 3
            && t.text.bytes().all(|b| b.is_ascii_digit())
            && text[last.end..t.start]
                .chars()
                .map(|c| crate::numbers::is_space_sep(c).then_some(()))
                .collect::<Option<Vec<()>>>()
                .is_some_and(|v| v.len() == 1)
        {
            // The group before must be a leading group (1-3 digits) or a
            // full one; `2024 100` stays two numbers.
            let run = last
                .text
                .rsplit(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap_or("");
            let spaced = last.text.chars().any(crate::numbers::is_space_sep);
            if (1..=3).contains(&run.len())
                && (!spaced || run.len() == 3)
                && !last.text.contains(['.', ','])
            {
                last.end = t.end;
                last.text = &text[last.start..t.end];
                continue;
            }
        }
        out.push(t);
    }
    out
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

/// Where the source placeable `s` stands in the target (an unused token),
/// and what the query's `q` becomes there. `None` when `s` is not a
/// placeable aligned on both sides.
fn place_in_target(
    q: &Token,
    s: &Token,
    at: usize,
    tt: &[Token],
    used: &[bool],
) -> Option<(usize, String)> {
    use crate::numbers::{StyleMap, dates, figure, month, month_as};
    let free = || tt.iter().enumerate().filter(|(i, _)| !used[*i]);
    if q.number && s.number {
        let (qd, sd) = (dates(q.text), dates(s.text));
        if !qd.is_empty() && !sd.is_empty() {
            // A numeric date: found by its day, month and year, written
            // in the target's layout.
            for (i, t) in free().filter(|(_, t)| t.number) {
                for td in dates(t.text) {
                    if let Some(sdi) = sd.iter().find(|d| (d.y, d.m, d.d) == (td.y, td.m, td.d)) {
                        let qdi = qd.iter().find(|d| d.order == sdi.order).or(qd.first())?;
                        return Some((i, qdi.write_as(&td)));
                    }
                }
            }
            return None;
        }
        let sf = figure(s.text)?;
        figure(q.text)?;
        return free().filter(|(_, t)| t.number).find_map(|(i, t)| {
            let map = StyleMap::learn(&sf, &figure(t.text)?)?;
            Some((i, map.apply(q.text)))
        });
    }
    if let (Some(qm), Some(sm)) = (month(q.text), month(s.text)) {
        return free().find_map(|(i, t)| {
            let tm = month(t.text).filter(|m| m.month == sm.month)?;
            Some((i, month_as(qm.month, &tm, t.text, &sm.rows)))
        });
    }
    if is_name(q, at) && is_name(s, at) {
        return free()
            .find(|(_, t)| t.text == s.text)
            .map(|(i, _)| (i, q.text.to_string()));
    }
    None
}

/// Substitutes the query's placeables into `target` when `query` and
/// `source` differ only in placeables that the target holds too (a number
/// or date in any of its styles, a month name in the target's language, a
/// name verbatim); `None` otherwise, so that a draft is never patched on a
/// guess.
pub fn substitute(query: &str, source: &str, target: &str) -> Option<Substituted> {
    let keep = Fold { case: false };
    let (nq, src) = (
        normalize_with(query, keep),
        source.nfc().collect::<String>(),
    );
    let ns = normalize_with(&src, keep);
    let (qt, st, raw_st) = (placeables(&nq), placeables(&ns), placeables(&src));
    if qt.len() != st.len() || st.len() != raw_st.len() {
        return None;
    }
    let tgt: String = target.nfc().collect();
    let tt = placeables(&tgt);
    let mut used = vec![false; tt.len()];
    let (mut subs, mut src_edits, mut tgt_edits) = (Vec::new(), Vec::new(), Vec::new());
    for (at, ((q, s), raw)) in qt.iter().zip(&st).zip(&raw_st).enumerate() {
        if q.text == s.text {
            continue;
        }
        let (i, to) = place_in_target(q, s, at, &tt, &used)?;
        used[i] = true;
        tgt_edits.push((tt[i].start, tt[i].end, to));
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

    fn draft(q: &str, s: &str, t: &str) -> Option<String> {
        substitute(q, s, t).map(|s| s.target)
    }

    #[test]
    fn grouping_styles_are_one_number() {
        assert_eq!(
            draft(
                "Sales reached 150,000 tonnes.",
                "Sales reached 120,000 tonnes.",
                "Продажи достигли 120 000 тонн."
            )
            .as_deref(),
            Some("Продажи достигли 150 000 тонн.")
        );
        assert_eq!(
            draft(
                "Sales reached 1,150,000 tonnes.",
                "Sales reached 120,000 tonnes.",
                "Продажи достигли 120\u{A0}000 тонн."
            )
            .as_deref(),
            Some("Продажи достигли 1\u{A0}150\u{A0}000 тонн.")
        );
        assert_eq!(
            draft(
                "Продажи достигли 130 000 тонн.",
                "Продажи достигли 120 000 тонн.",
                "Sales reached 120,000 tonnes."
            )
            .as_deref(),
            Some("Sales reached 130,000 tonnes.")
        );
        assert_eq!(
            draft(
                "Der Wert ist 4,5.",
                "Der Wert ist 3,2.",
                "The value is 3.2."
            )
            .as_deref(),
            Some("The value is 4.5.")
        );
        // A figure the target does not hold: no draft, never the old figure.
        assert!(draft("It cost 150,000.", "It cost 120,000.", "Стоило 12 000.").is_none());
    }

    #[test]
    fn dates_follow_the_target_layout_and_language() {
        assert_eq!(
            draft(
                "The talks ended on July 20.",
                "The talks ended on June 20.",
                "Переговоры завершились 20 июня."
            )
            .as_deref(),
            Some("Переговоры завершились 20 июля.")
        );
        assert_eq!(
            draft(
                "The talks ended on June 21.",
                "The talks ended on June 20.",
                "Переговоры завершились 20 июня."
            )
            .as_deref(),
            Some("Переговоры завершились 21 июня.")
        );
        assert_eq!(
            draft(
                "Signed on 06/03/2024.",
                "Signed on 05/29/2024.",
                "Подписано 29.05.2024."
            )
            .as_deref(),
            Some("Подписано 03.06.2024.")
        );
    }

    #[test]
    fn a_sentence_initial_word_is_not_a_name() {
        // An untranslated target (common in OmegaT memories) holds every
        // source word verbatim: "The" must still not replace "Run".
        assert!(
            substitute(
                "The aligner utility",
                "Run aligner utility",
                "Run aligner utility"
            )
            .is_none()
        );
    }
}
