//! Penalties: differences the matching key hides but a translator must fix.
//!
//! Each is charged once per kind (numbers and tags per differing item) and
//! listed in the match, so a 99 says *why* it is not 100.

use std::collections::HashMap;

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use super::score::tokens;
use crate::normalize::{Fold, normalize, normalize_with};

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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Penalty {
    /// `case`, `punctuation`, `number` or `tag`.
    pub kind: &'static str,
    pub points: f64,
}

/// The numbers of a text, in order, as written (after normalisation).
pub fn numbers(text: &str) -> Vec<String> {
    let n = normalize(text);
    tokens(&n)
        .into_iter()
        .filter(|t| t.number)
        .map(|t| t.text.to_string())
        .collect()
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
pub fn tags(markup: &str) -> Vec<String> {
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

/// True when some word of one text equals a word of the other only when
/// letter case is ignored.
fn case_differs(a: &str, b: &str) -> bool {
    let keep = Fold { case: false };
    let (ak, bk) = (normalize_with(a, keep), normalize_with(b, keep));
    let aw: Vec<&str> = tokens(&ak).into_iter().map(|t| t.text).collect();
    let bw: Vec<&str> = tokens(&bk).into_iter().map(|t| t.text).collect();
    let one_way = |x: &[&str], y: &[&str]| {
        x.iter()
            .any(|w| !y.contains(w) && y.iter().any(|v| v.to_lowercase() == w.to_lowercase()))
    };
    one_way(&aw, &bw) || one_way(&bw, &aw)
}

/// Punctuation marks of a text in order (letters, digits and spaces dropped).
fn punctuation(text: &str) -> String {
    text.nfc()
        .filter(|c| !c.is_alphanumeric() && !c.is_whitespace())
        .collect()
}

/// The penalties between query `q` and stored source `s` (with its TMX
/// markup, when it has inline codes). Symmetric in `q` and `s` when `markup`
/// is `None`.
pub fn penalties(q: &str, s: &str, markup: Option<&str>, cfg: &Penalties) -> Vec<Penalty> {
    let mut out = Vec::new();
    let mut push = |kind, points: f64| {
        if points > 0.0 {
            out.push(Penalty { kind, points });
        }
    };
    if case_differs(q, s) {
        push("case", cfg.case);
    }
    let nums = multiset_diff(numbers(q), numbers(s));
    push("number", nums as f64 * cfg.number);
    let ntags = multiset_diff(tags(q), tags(markup.unwrap_or(s)));
    push("tag", ntags as f64 * cfg.tag);
    let punct_differs = punctuation(q) != punctuation(s);
    // Anything else the key hides (spacing, ё for е, composition) when the
    // rest is equal: still not the identical text a 100 promises.
    let spacing_only = !punct_differs
        && nums == 0
        && ntags == 0
        && q.nfc().ne(s.nfc())
        && normalize(q) == normalize(s)
        && !case_differs(q, s);
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
