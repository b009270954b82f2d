//! Fuzzy matching: scoring a query against stored sources.
//!
//! Scores are percentages on the normalised text (see [`crate::normalize`]),
//! combining character-level and word-level edit distance so that a one-word
//! change in a long sentence and a typo in a short one both score sensibly.
//! 100 is reserved for identical normalised sources.

use serde::Serialize;

use crate::error::Result;
use crate::memory::Memory;
use crate::normalize::normalize;

/// Lookup options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Lowest score (percent) returned.
    pub threshold: f64,
    /// At most this many matches per query.
    pub limit: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threshold: 70.0,
            limit: 5,
        }
    }
}

/// A query: the text and, when known, its neighbours in the document.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<'a> {
    pub text: &'a str,
    pub prev: Option<&'a str>,
    pub next: Option<&'a str>,
}

/// One match.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    pub score: f64,
    pub source: String,
    pub target: String,
    pub id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

struct Entry {
    unit_id: i64,
    norm: String,
    source: String,
    target: String,
    origin: Option<String>,
}

/// Matches queries against the pairs of one language direction.
pub struct Matcher {
    entries: Vec<Entry>,
}

impl Matcher {
    /// Loads every `from` → `to` pair of `memory`.
    pub fn load(memory: &Memory, from: &str, to: &str) -> Result<Matcher> {
        let mut entries = Vec::new();
        memory.for_each_pair(from, to, |p| {
            entries.push(Entry {
                unit_id: p.unit_id,
                norm: normalize(&p.source),
                source: p.source,
                target: p.target,
                origin: p.origin,
            });
            Ok(())
        })?;
        Ok(Matcher { entries })
    }

    /// Number of pairs this matcher searches.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is nothing to match against.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The best matches for `query`, best first.
    pub fn lookup(&self, query: &Query, opts: &Options) -> Vec<Match> {
        let q = normalize(query.text);
        let mut found: Vec<Match> = self
            .entries
            .iter()
            .filter_map(|e| {
                let s = score_normalized(&q, &e.norm);
                (s >= opts.threshold).then(|| Match {
                    score: s,
                    source: e.source.clone(),
                    target: e.target.clone(),
                    id: e.unit_id,
                    origin: e.origin.clone(),
                })
            })
            .collect();
        found.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        found.truncate(opts.limit);
        found
    }
}

/// Similarity of two texts in percent, on their normalised forms.
pub fn score(a: &str, b: &str) -> f64 {
    score_normalized(&normalize(a), &normalize(b))
}

/// [`score`] for texts that are already normalised.
pub fn score_normalized(a: &str, b: &str) -> f64 {
    if a == b {
        return 100.0;
    }
    let ac: Vec<char> = a.chars().collect();
    let bc: Vec<char> = b.chars().collect();
    let char_sim = 1.0 - strsim::generic_levenshtein(&ac, &bc) as f64 / ac.len().max(bc.len()).max(1) as f64;
    let aw: Vec<&str> = a.split(' ').collect();
    let bw: Vec<&str> = b.split(' ').collect();
    let word_sim = 1.0 - strsim::generic_levenshtein(&aw, &bw) as f64 / aw.len().max(bw.len()).max(1) as f64;
    let s = 100.0 * (0.5 * char_sim + 0.5 * word_sim);
    // Never 100 for texts that differ, however little.
    (s.min(99.0) * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_after_normalisation_is_100() {
        assert_eq!(score("It’s «fine».", "it's \"fine\"."), 100.0);
    }

    #[test]
    fn different_is_below_100_and_ordered() {
        let q = "The minister arrived in Moscow on Monday.";
        let close = score(q, "The minister arrived in Moscow on Tuesday.");
        let far = score(q, "Prices rose sharply last year.");
        assert!(close < 100.0 && close > 70.0, "{close}");
        assert!(far < close, "{far} {close}");
    }
}
