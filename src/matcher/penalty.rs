//! Penalties: differences the matching key hides but a translator must fix.
//!
//! Each is charged once per kind (numbers and tags per differing item) and
//! listed in the match, so a 99 says *why* it is not 100.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use super::score::tokens;
use crate::normalize::{Fold, normalize_with};

/// Points charged per kind of difference (`--penalty-*` on the command line).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Penalties {
    /// Some word differs only in letter case.
    pub case: f64,
    /// Punctuation, quotes or spacing differ.
    pub punctuation: f64,
    /// Per number that differs.
    pub number: f64,
    /// Per inline tag missing on one side.
    pub tag: f64,
}

impl Default for Penalties {
    fn default() -> Self {
        Penalties {
            case: 1.0,
            punctuation: 1.0,
            number: 1.0,
            tag: 1.0,
        }
    }
}

/// One charged penalty.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Penalty {
    /// `case`, `punctuation`, `number` or `tag`; `origin` or `older-than`
    /// for a source trusted less (read back from a server, an unknown kind
    /// is `other`).
    pub kind: &'static str,
    /// Score points subtracted (percentage points).
    pub points: f64,
}

/// A [`Penalty`] as read back from JSON (a server's answer).
#[derive(Deserialize)]
struct PenaltyRead {
    kind: String,
    points: f64,
}

impl<'de> Deserialize<'de> for Penalty {
    /// The kind as the name this build uses; `other` for one it does not know.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Penalty, D::Error> {
        const KINDS: [&str; 6] = [
            "case",
            "punctuation",
            "number",
            "tag",
            "origin",
            "older-than",
        ];
        let p = PenaltyRead::deserialize(d)?;
        Ok(Penalty {
            kind: KINDS
                .iter()
                .find(|k| **k == p.kind)
                .copied()
                .unwrap_or("other"),
            points: p.points,
        })
    }
}

/// Items of `a` not matched in `b` and vice versa (multiset), the larger count.
fn multiset_diff<T: std::hash::Hash + Eq>(
    a: impl IntoIterator<Item = T>,
    b: impl IntoIterator<Item = T>,
) -> usize {
    let mut m: HashMap<T, i64> = HashMap::new();
    for x in a {
        *m.entry(x).or_default() += 1;
    }
    for x in b {
        *m.entry(x).or_default() -= 1;
    }
    let plus: i64 = m.values().filter(|v| **v > 0).sum();
    let minus: i64 = -m.values().filter(|v| **v < 0).sum::<i64>();
    plus.max(minus) as usize
}

/// Inline tag names of a text or TMX markup (`bpt`, `ph`, `g`, ...), in order.
pub(crate) fn tags(markup: &str) -> Vec<String> {
    const NAMES: [&str; 11] = [
        "bpt", "ept", "ph", "it", "hi", "ut", "sub", "g", "x", "bx", "ex",
    ];
    let mut out = Vec::new();
    let mut rest = markup;
    while let Some(p) = rest.find('<') {
        rest = &rest[p + 1..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if NAMES.contains(&name.as_str()) {
            out.push(name);
        }
    }
    out
}

/// What penalties compare, computed once per text (a query is compared
/// with many candidates).
#[derive(Debug, Clone)]
pub(crate) struct Side {
    nfc: String,
    norm: String,
    /// Words with case kept, and the set of them lower-cased.
    words: HashSet<String>,
    lower: HashSet<String>,
    numbers: Vec<String>,
    punct: String,
    tags: Vec<String>,
}

impl Side {
    /// `markup` is the stored TMX segment with inline codes, if any.
    pub fn new(text: &str, markup: Option<&str>) -> Side {
        // ASCII is its own NFC: skip the composition pass.
        let nfc: String = if text.is_ascii() {
            text.to_string()
        } else {
            text.nfc().collect()
        };
        let kept = normalize_with(&nfc, Fold { case: false });
        let toks = tokens(&kept);
        let words: HashSet<String> = toks.iter().map(|t| t.text.to_string()).collect();
        Side {
            lower: words.iter().map(|w| w.to_lowercase()).collect(),
            words,
            numbers: toks
                .iter()
                .filter(|t| t.number)
                .map(|t| t.text.to_string())
                .collect(),
            norm: kept.to_lowercase(),
            punct: nfc
                .chars()
                .filter(|c| !c.is_alphanumeric() && !c.is_whitespace())
                .collect(),
            tags: tags(markup.unwrap_or(text)),
            nfc,
        }
    }
}

/// True when some word of one side equals a word of the other only when
/// letter case is ignored.
fn case_differs(a: &Side, b: &Side) -> bool {
    let one_way = |x: &Side, y: &Side| {
        x.words
            .iter()
            .any(|w| !y.words.contains(w) && y.lower.contains(&w.to_lowercase()))
    };
    one_way(a, b) || one_way(b, a)
}

/// The penalties between query `q` and stored source `s` (with its TMX
/// markup, when it has inline codes). Symmetric in `q` and `s` when `markup`
/// is `None`.
pub(crate) fn penalties(q: &str, s: &str, markup: Option<&str>, cfg: &Penalties) -> Vec<Penalty> {
    between(&Side::new(q, None), &Side::new(s, markup), cfg)
}

/// [`penalties`] on prepared sides.
pub(crate) fn between(q: &Side, s: &Side, cfg: &Penalties) -> Vec<Penalty> {
    let mut out = Vec::new();
    let mut push = |kind, points: f64| {
        if points > 0.0 {
            out.push(Penalty { kind, points });
        }
    };
    let case = case_differs(q, s);
    if case {
        push("case", cfg.case);
    }
    let nums = multiset_diff(q.numbers.iter(), s.numbers.iter());
    push("number", nums as f64 * cfg.number);
    let ntags = multiset_diff(q.tags.iter(), s.tags.iter());
    push("tag", ntags as f64 * cfg.tag);
    let punct_differs = q.punct != s.punct;
    // Anything else the key hides (spacing, ё for е, composition) when the
    // rest is equal: still not the identical text a 100 promises.
    let spacing_only =
        !punct_differs && nums == 0 && ntags == 0 && !case && q.nfc != s.nfc && q.norm == s.norm;
    if punct_differs || spacing_only {
        push("punctuation", cfg.punctuation);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(q: &str, s: &str) -> Vec<&'static str> {
        penalties(q, s, None, &Penalties::default())
            .into_iter()
            .map(|p| p.kind)
            .collect()
    }

    #[test]
    fn each_kind_is_found() {
        assert_eq!(
            kinds("The Report is ready.", "The report is ready."),
            ["case"]
        );
        assert_eq!(
            kinds("The report is ready!", "The report is ready."),
            ["punctuation"]
        );
        assert_eq!(
            kinds("Отчёт готов к 5 мая.", "Отчёт готов к 6 мая."),
            ["number"]
        );
        assert_eq!(kinds("Отчёт  готов.", "Отчёт готов."), ["punctuation"]);
        assert!(kinds("Same text.", "Same text.").is_empty());
    }

    #[test]
    fn tags_count_per_missing_tag() {
        let p = penalties(
            "Click Save now.",
            "Click Save now.",
            Some("Click <bpt i=\"1\">&lt;b&gt;</bpt>Save<ept i=\"1\">&lt;/b&gt;</ept> now."),
            &Penalties::default(),
        );
        assert_eq!(
            p,
            vec![Penalty {
                kind: "tag",
                points: 2.0
            }]
        );
    }
}
