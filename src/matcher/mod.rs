//! Fuzzy matching: scoring a query against stored sources, as a CAT tool does.
//!
//! A lookup runs in three steps. The [`index`] proposes candidates that share
//! rare words with the query and whose length leaves the threshold within
//! reach; `score` ranks them by edit distance on matching keys; the best are
//! then read in full from the memory and charged their [`Penalty`]s, checked
//! for context (101%), auto-substituted ([`substitute`]) and diffed
//! ([`diff`]). `Options::exhaustive` replaces the first step by a scan of every
//! stored source, the oracle the index is measured against. docs/matching.md
//! gives the formula and the design.

pub mod concordance;
mod diff;
pub mod index;
pub mod live;
mod penalty;
mod readers;
mod score;
mod substitute;
mod trust;

use serde::{Deserialize, Serialize};

pub use diff::{Span, diff};
pub use penalty::{Penalties, Penalty};
pub use score::{Pattern, Prepared, base, base_fast, bound, key};
pub use substitute::{Substituted, Substitution, substitute};
pub use trust::{SourcePenalty, Trust, today};

use crate::error::Result;
use crate::memory::{Memory, Pair};
use crate::normalize::normalize;
use index::Index;
use readers::Readers;

/// Lookup options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Lowest score (percent) returned.
    pub threshold: f64,
    /// At most this many matches per query.
    pub limit: usize,
    /// Score every stored source instead of the index's candidates.
    pub exhaustive: bool,
    /// Points charged per kind of difference.
    pub penalties: Penalties,
    /// How many index candidates to score (0: automatic).
    pub candidates: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threshold: 70.0,
            limit: 5,
            exhaustive: false,
            penalties: Penalties::default(),
            candidates: 0,
        }
    }
}

/// A query: the text and, when known, its neighbours in the document.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<'a> {
    /// The text to match.
    pub text: &'a str,
    /// The segment before it in its document, for context (101%) matches.
    pub prev: Option<&'a str>,
    /// The segment after it in its document.
    pub next: Option<&'a str>,
}

/// One match. It reads back from its JSON (what a server answers) as it
/// was: the fields left out when empty default to empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Match {
    /// What the user sees: 101 for a context match, 100 for an identical
    /// source, else the base score less the penalties.
    pub score: f64,
    /// The stored source text.
    pub source: String,
    /// Its stored translation.
    pub target: String,
    /// Unit id.
    pub id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The unit's origin, if stored.
    pub origin: Option<String>,
    /// Similarity before penalties.
    pub base: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// Penalties charged against `base`, in points.
    pub penalties: Vec<Penalty>,
    /// The stored and the query's neighbours agree too (101%).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub context: bool,
    /// Placeables replaced in `substituted_target`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub substituted: Vec<Substitution>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The stored target with the query's placeables (numbers, tags) put in, when any differ.
    pub substituted_target: Option<String>,
    /// Score of the substituted suggestion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub substituted_score: Option<f64>,
    /// From this match's source to the query.
    #[serde(default)]
    pub diff: Vec<Span>,
}

/// Why a query is not looked up: a blank text, or one with no word (only
/// numbers or punctuation), which would otherwise be scored against every
/// stored segment and match junk. `None` for a query worth looking up.
pub fn skip_reason(q: &str) -> Option<&'static str> {
    if q.trim().is_empty() {
        return Some("blank");
    }
    key(q)
        .split(' ')
        .all(|w| w == "#" || w.is_empty())
        .then_some("no words (only numbers or punctuation)")
}

/// Where full pairs are read once the index has ranked them.
enum Store {
    /// A stored memory: private read handles, one per concurrent lookup.
    File(Readers),
    /// A memory in RAM (`:memory:`): the pairs themselves, by index id.
    Ram(Vec<Pair>),
}

/// Matches queries against the pairs of one language direction.
pub struct Matcher {
    from: String,
    to: String,
    index: Index,
    store: Store,
}

/// How many ranked candidates past `limit` get penalties computed, so that a
/// penalty can reorder near-ties.
const EXTRA: usize = 8;

/// How many candidates ahead `rank` prefetches index data.
const AHEAD: usize = 8;

/// Index candidates scored per lookup unless `Options::candidates` says.
const CANDIDATES: usize = 100;

/// Above this many entries, every lookup scores [`LARGE_CANDIDATES`]: at
/// 10M units the lists are ten times longer than at 1M, and more entries
/// tie on shared words. Measured at 10M (seed 7, 200 queries): top-1
/// agreement with `--exhaustive` 94.0% with 100/300 candidates, 99.5% with
/// 500 (warm p50 2.26 ms, p99 24.1 ms, loaded machine).
const LARGE: usize = 2_000_000;
const LARGE_CANDIDATES: usize = 500;

/// Entries whose key equals the query's (base 100: they differ at most in
/// numbers, case or punctuation) are all kept for penalties, up to this
/// many, so that the identical source is never cut off by a tie: "day 1." …
/// "day 30." share one key, and only penalties tell "day 10." apart.
const SAME_KEY: usize = 2000;

impl Matcher {
    /// Prepares lookups `from` → `to` in `memory`: opens (or builds) the
    /// index of `from` (see [`index::open`]).
    pub fn load(memory: &Memory, from: &str, to: &str) -> Result<Matcher> {
        Self::load_with(memory, from, to, &mut |_| {})
    }

    /// [`Matcher::load`], telling `on` when the index has to be built or
    /// extended first (and how far it got), so that a command never
    /// rebuilds in the foreground without saying so.
    pub fn load_with(
        memory: &Memory,
        from: &str,
        to: &str,
        on: &mut dyn FnMut(&index::Event),
    ) -> Result<Matcher> {
        let primary = crate::lang::primary(from).to_ascii_lowercase();
        let Some(reader) = memory.reader()? else {
            // A memory in RAM: keep its pairs, by index id.
            let pairs = memory.pairs(from, to)?;
            let rows = pairs
                .iter()
                .enumerate()
                .map(|(i, p)| (i as i64, normalize(&p.source)))
                .collect();
            return Ok(Matcher {
                from: from.into(),
                to: to.into(),
                index: Index::build(rows),
                store: Store::Ram(pairs),
            });
        };
        let index = index::open_with(memory, &primary, on)?;
        Ok(Matcher {
            from: from.into(),
            to: to.into(),
            index,
            store: Store::File(Readers::new(reader)),
        })
    }

    /// A matcher over `rows` only (`(variant id, normalised text)` of
    /// `from`), reading pairs through `reader` (a read handle on the
    /// memory): the appended part of a memory that [`live::Live`] keeps
    /// current.
    pub(crate) fn over_rows(
        reader: Memory,
        from: &str,
        to: &str,
        rows: Vec<(i64, String)>,
    ) -> Matcher {
        Matcher {
            from: from.into(),
            to: to.into(),
            index: Index::build(rows),
            store: Store::File(Readers::new(reader)),
        }
    }

    /// The read handle this matcher fetches pairs through, for reuse (a
    /// new PostgreSQL connection costs milliseconds).
    pub(crate) fn into_reader(self) -> Option<Memory> {
        match self.store {
            Store::File(r) => Some(r.into_first()),
            Store::Ram(_) => None,
        }
    }

    /// Number of stored sources this matcher searches (in a multilingual
    /// memory, also those without a `to` variant).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when there is nothing to match against.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Ranks index entries by base score: `(base, entry)`, best first, at
    /// most `keep`, none below `threshold`. The indexed path scores with the
    /// bit-parallel [`score::Pattern`]; the exhaustive path is the plain
    /// reference (every entry, `strsim` tables), which makes it an oracle for
    /// both the candidate filter and the fast distance.
    fn rank(&self, qk: &str, opts: &Options, keep: usize) -> Vec<(f64, u32)> {
        let mut top: Vec<(f64, u32)> = Vec::with_capacity(keep.min(1024) + 1);
        let cutoff = |top: &Vec<(f64, u32)>| {
            if top.len() >= keep {
                top.last()
                    .map_or(opts.threshold, |t| t.0.max(opts.threshold))
            } else {
                opts.threshold
            }
        };
        let push = |top: &mut Vec<(f64, u32)>, b: f64, e: u32| {
            let at = top.partition_point(|t| t.0 > b || (t.0 == b && t.1 < e));
            top.insert(at, (b, e));
            let same = top.partition_point(|t| t.0 >= 100.0).min(SAME_KEY);
            top.truncate(keep.max(same));
        };
        // One buffer for every candidate's key: keys are stored as word
        // ids and written out here, with no allocation per candidate.
        let mut key = String::new();
        if opts.exhaustive {
            let q = Prepared::new(qk);
            for e in 0..self.index.len() as u32 {
                let c = cutoff(&top);
                let (sc, sw) = self.index.lengths(e as usize);
                if score::bound(q.chars.len(), q.words.len(), sc, sw) < c {
                    continue;
                }
                self.index.key_into(e as usize, &mut key);
                let s = Prepared::new(&key);
                if let Some(b) = score::base(&q, &s, c).filter(|b| *b >= c) {
                    push(&mut top, b, e);
                }
            }
        } else {
            let q = score::Pattern::new(qk);
            let max = match opts.candidates {
                0 if self.index.len() > LARGE => LARGE_CANDIDATES,
                0 if q.words.len() <= 4 => 3 * CANDIDATES,
                0 => CANDIDATES,
                n => n,
            };
            let mut words = Vec::new();
            // A key of numbers only has no word to look up: every entry is
            // a candidate, and the length bound keeps the scan cheap.
            let cands: Vec<(u32, f64)> = if qk.split(' ').all(|w| w == "#" || w.is_empty()) {
                (0..self.index.len() as u32).map(|e| (e, 100.0)).collect()
            } else {
                let mut c =
                    self.index
                        .candidates(qk, q.chars(), q.words.len(), opts.threshold, max);
                // A full list ending in an entry of the query's own length
                // may have cut off entries with the query's key (ties on
                // the bound and length are ordered by entry, not by text),
                // the identical source among them: ask again with room for
                // all of them.
                if c.len() >= max
                    && max < SAME_KEY
                    && c.last().is_some_and(|&(e, _)| {
                        self.index.lengths(e as usize) == (q.chars(), q.words.len())
                            && same_words(&self.index.key(e as usize), qk)
                    })
                {
                    c = self.index.candidates(
                        qk,
                        q.chars(),
                        q.words.len(),
                        opts.threshold,
                        SAME_KEY,
                    );
                }
                // Scored highest bound first, so that the scan stops at the
                // first bound below the cut-off (below). The candidate set
                // is the same, so the answers are too.
                c.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                c
            };
            // Candidates are scattered over the index: their lengths,
            // key offsets and keys are prefetched a few entries ahead (at
            // 10M entries these misses were a third of the scoring loop).
            for (j, &(e, est)) in cands.iter().enumerate() {
                let c = cutoff(&top);
                // Candidates come highest bound first: once the bound is
                // below the cut-off, no later one can enter the top. (The
                // margin covers the rounding of two ways to write one
                // score.)
                if est + 1e-9 < c {
                    break;
                }
                if let Some(&(f, _)) = cands.get(j + 2 * AHEAD) {
                    self.index.prefetch_entry(f as usize);
                }
                if let Some(&(f, _)) = cands.get(j + AHEAD) {
                    self.index.prefetch_key(f as usize);
                }
                let (sc, sw) = self.index.lengths(e as usize);
                if score::bound(q.chars(), q.words.len(), sc, sw) < c {
                    continue;
                }
                self.index.key_hashes_into(e as usize, &mut key, &mut words);
                if let Some(b) = score::base_hashed(&q, &key, sc, &words, c).filter(|b| *b >= c) {
                    push(&mut top, b, e);
                }
            }
        }
        top
    }

    /// Reads the full pair behind index entry `e`, if it still serves this
    /// direction and its key is unchanged (a stale index never shows
    /// another text). A store failure is an error, never "no match".
    fn fetch(&self, e: u32, reader: Option<&Memory>) -> Result<Option<Pair>> {
        if e as usize >= self.index.len() {
            return Ok(None);
        }
        let id = self.index.id(e as usize);
        let pair = match (&self.store, reader) {
            (Store::Ram(pairs), _) => {
                return Ok(usize::try_from(id).ok().and_then(|i| pairs.get(i)).cloned());
            }
            (Store::File(_), Some(mem)) => mem.pair_of(id, &self.from, &self.to)?,
            (Store::File(_), None) => None,
        };
        Ok(pair.filter(|p| {
            score::key_of_normalized(&normalize(&p.source)) == self.index.key(e as usize)
        }))
    }

    /// The best matches for `query`, best first.
    pub fn lookup(&self, query: &Query, opts: &Options) -> Result<Vec<Match>> {
        if opts.limit == 0 {
            return Ok(Vec::new());
        }
        let qk = score::key(query.text);
        let ranked = self.rank(&qk, opts, opts.limit.saturating_add(EXTRA));
        // Base 100 means a stored key equal to the query's: only then can an
        // identical source exist and have been cut off among its ties.
        let tied = ranked.first().is_some_and(|(base, _)| *base >= 100.0);
        let qside = penalty::Side::new(query.text, None);
        let guard = match &self.store {
            Store::File(r) => Some(r.lease()?),
            Store::Ram(_) => None,
        };
        // Final scores never exceed base scores, so once `limit` matches
        // beat the next base score, no later candidate can enter.
        let mut found: Vec<Match> = Vec::with_capacity(opts.limit.min(ranked.len()) + 1);
        for (base, e) in ranked {
            if found.iter().filter(|m| m.score >= base.min(100.0)).count() >= opts.limit {
                break;
            }
            let Some(p) = self.fetch(e, guard.as_deref())? else {
                continue;
            };
            let m = finish(query, &qside, p, base, opts);
            if m.score >= opts.threshold {
                found.push(m);
            }
        }
        // The identical source is found by one indexed probe of the store,
        // not only through the ranked candidates: those are capped, and
        // thousands of stored sources can tie with the query's key ("line
        // 0." ... "line 999." of eight writers lost "line 999." at 8,000).
        if let Some(mem) = guard.as_deref()
            && tied
            && !found.iter().any(|m| m.score >= 100.0)
        {
            for v in mem.variants_with_text(&self.from, query.text, opts.limit)? {
                if let Some(p) = mem.pair_of(v, &self.from, &self.to)?
                    && !found.iter().any(|m| m.id == p.unit_id)
                {
                    found.push(finish(query, &qside, p, 100.0, opts));
                }
            }
        }
        drop(guard);
        found.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        found.truncate(opts.limit);
        for m in &mut found {
            explain(query, m, opts);
        }
        Ok(found)
    }
}

/// True when two keys hold the same words, in any order: the entries that
/// tie with the query's key in the candidate order.
fn same_words(a: &str, b: &str) -> bool {
    let mut a: Vec<&str> = a.split(' ').collect();
    let mut b: Vec<&str> = b.split(' ').collect();
    a.sort_unstable();
    b.sort_unstable();
    a == b
}

/// Final score from a base score and penalties (see docs/matching.md).
fn final_score(identical: bool, base: f64, pens: &[Penalty]) -> f64 {
    if identical {
        return 100.0;
    }
    let p: f64 = pens.iter().map(|p| p.points).sum();
    score::round1((base - p).clamp(0.0, 99.9))
}

fn same_context(q: Option<&str>, s: Option<&str>) -> bool {
    matches!((q, s), (Some(a), Some(b)) if normalize(a) == normalize(b))
}

/// Turns a ranked pair into a [`Match`]: penalties and context.
fn finish(query: &Query, qside: &penalty::Side, p: Pair, base: f64, opts: &Options) -> Match {
    use unicode_normalization::UnicodeNormalization;
    let identical = query.text.nfc().eq(p.source.nfc()) && p.source_markup.is_none();
    let pens = if identical {
        Vec::new()
    } else {
        penalty::between(
            qside,
            &penalty::Side::new(&p.source, p.source_markup.as_deref()),
            &opts.penalties,
        )
    };
    let mut score = final_score(identical, base, &pens);
    // 101: identical, the previous segments agree, and the next ones too when
    // both sides know them.
    let context = score == 100.0
        && same_context(query.prev, p.prev.as_deref())
        && (query.next.is_none()
            || p.next.is_none()
            || same_context(query.next, p.next.as_deref()));
    if context {
        score = 101.0;
    }
    Match {
        score,
        source: p.source,
        target: p.target,
        id: p.unit_id,
        origin: p.origin,
        base: score::round1(base),
        penalties: pens,
        context,
        ..Match::default()
    }
}

/// Adds the diff and the substituted suggestion to a match that is shown.
fn explain(query: &Query, m: &mut Match, opts: &Options) {
    use unicode_normalization::UnicodeNormalization;
    if m.score >= 100.0 {
        return;
    }
    m.diff = diff::diff(&m.source, query.text);
    if let Some(s) = substitute::substitute(query.text, &m.source, &m.target) {
        let spens = penalty::penalties(query.text, &s.source, None, &opts.penalties);
        let sbase = score::base(
            &Prepared::new(&score::key(query.text)),
            &Prepared::new(&score::key(&s.source)),
            0.0,
        )
        .unwrap_or(0.0);
        let same = query.text.nfc().eq(s.source.nfc());
        m.substituted_score = Some(final_score(same, sbase, &spens));
        m.substituted = s.subs;
        m.substituted_target = Some(s.target);
    }
}

/// Similarity of two texts in percent, as a lookup would show it (default
/// penalties, no context, no markup).
pub fn score(a: &str, b: &str) -> f64 {
    use unicode_normalization::UnicodeNormalization;
    let identical = a.nfc().eq(b.nfc());
    let base = score::base(
        &Prepared::new(&score::key(a)),
        &Prepared::new(&score::key(b)),
        0.0,
    )
    .unwrap_or(0.0);
    let pens = if identical {
        Vec::new()
    } else {
        penalty::penalties(a, b, None, &Penalties::default())
    };
    final_score(identical, base, &pens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_is_100_and_typography_costs_a_point() {
        assert_eq!(score("It’s fine.", "It’s fine."), 100.0);
        assert_eq!(score("It’s «fine».", "it's \"fine\"."), 98.0);
    }

    #[test]
    fn different_is_below_100_and_ordered() {
        let q = "The minister arrived in Moscow on Monday.";
        let close = score(q, "The minister arrived in Moscow on Tuesday.");
        let far = score(q, "Prices rose sharply last year.");
        assert!(close < 100.0 && close > 70.0, "{close}");
        assert!(far < close, "{far} {close}");
    }

    #[test]
    fn number_only_difference_is_99() {
        assert_eq!(score("Room 12 is free.", "Room 14 is free."), 99.0);
        assert_eq!(
            score(
                "Комната 12 свободна, 3 места.",
                "Комната 14 свободна, 5 места."
            ),
            98.0
        );
    }
}
