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
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
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
    /// Set when the query matched one sentence of a stored unit that holds
    /// several (a 2:1 or 1:2 link of an alignment): `source` and `target`
    /// are the whole unit's, and the score is charged a `part` penalty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<Part>,
}

/// Which sentence of a larger stored unit a match is.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Part {
    /// The sentence, numbered from 1.
    pub segment: usize,
    /// Sentences in the unit's source.
    pub of: usize,
}

impl Match {
    /// How a table marks the substituted draft beside the match's own
    /// score: `substituted 120,000 → 130,000`. The draft is shown with the
    /// match's score, never the (often 100) score of the query against the
    /// patched source, since a translator trusts a 100 and this draft was
    /// made by a program.
    pub fn substitution_note(&self) -> String {
        substitution_note(
            self.substituted
                .iter()
                .map(|s| (s.from.as_str(), s.to.as_str())),
        )
    }
}

/// [`Match::substitution_note`] from `(from, to)` pairs.
pub fn substitution_note<'a>(subs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let list: Vec<String> = subs.map(|(f, t)| format!("{f} \u{2192} {t}")).collect();
    if list.is_empty() {
        "substituted".into()
    } else {
        format!("substituted {}", list.join(", "))
    }
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
        Ok(Self::load_lagging(memory, from, to, 0, on)?.0)
    }

    /// [`Matcher::load_with`] for [`live::Live`], which reads what was
    /// appended since into a small index of its own: a saved (or fetched)
    /// index behind by at most `lag` variant ids is used as it is, and the
    /// stamp it covers is returned beside it (`None`: the memory as on
    /// entry; always with `lag` 0).
    pub(crate) fn load_lagging(
        memory: &Memory,
        from: &str,
        to: &str,
        lag: i64,
        on: &mut dyn FnMut(&index::Event),
    ) -> Result<(Matcher, Option<crate::memory::Stamp>)> {
        let primary = crate::lang::primary(from).to_ascii_lowercase();
        let Some(reader) = memory.reader()? else {
            // A memory in RAM: keep its pairs, by index id.
            let pairs = memory.pairs(from, to)?;
            let rows = pairs
                .iter()
                .enumerate()
                .map(|(i, p)| (i as i64, normalize(&p.source)))
                .collect();
            let m = Matcher {
                from: from.into(),
                to: to.into(),
                index: Index::build(rows),
                store: Store::Ram(pairs),
            };
            return Ok((m, None));
        };
        let (index, behind) = index::open_lagging(memory, &primary, on, lag)?;
        let m = Matcher {
            from: from.into(),
            to: to.into(),
            index,
            store: Store::File(Readers::new(reader)),
        };
        Ok((m, behind))
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
            // Equal bases: the later entry (a newer variant) first, so
            // that a cut among ties keeps the newest units (`best_first`).
            let at = top.partition_point(|t| t.0 > b || (t.0 == b && t.1 > e));
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
        // No identical source: the query may be one sentence of a unit
        // that holds several (a merged 2:1 link), which scores far below
        // the threshold against the whole. A part scores 95 at most, so
        // `limit` matches at 95 or more leave nothing to find.
        if !found.iter().any(|m| m.score >= 100.0)
            && found.iter().filter(|m| m.score >= 95.0).count() < opts.limit
        {
            self.parts(query, &qk, &qside, opts, guard.as_deref(), &mut found)?;
        }
        drop(guard);
        found.sort_by(best_first);
        found.truncate(opts.limit);
        for m in &mut found {
            explain(query, m, opts);
        }
        Ok(found)
    }
}

/// Points a match of one sentence of a larger unit is charged: 30 times the
/// share of the unit's source (in characters) outside that sentence, at
/// least 5. An identical half of an even 2:1 unit shows as 85%; in the
/// issue's story the long first sentence (76% of the unit) as 93% and the
/// short second one as 77%, both above pretranslate's 75. The target holds
/// the other sentence's translation too, which the translator must cut, so
/// a part is never offered as a 100.
fn part_points(segment: usize, whole: usize) -> f64 {
    let other = whole.saturating_sub(segment) as f64 / whole.max(1) as f64;
    (30.0 * other).round().max(5.0)
}

/// The sentences of a stored source, for the part search: a break after
/// `.`, `!`, `?` or `…` (and any closing quotes or brackets) followed by a
/// space and a capital letter, a digit or an opening quote. Cheaper than
/// the segmenter by far (building a language's rules took 670 million
/// instructions, two thirds of what 300 lookups cost), and enough here: an
/// n:m unit is its segments joined by a space, and a false break (after
/// `Mr.`) only adds a fragment that no query equals.
fn sentences(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (_, c) = chars[i];
        if matches!(c, '.' | '!' | '?' | '…') {
            let mut j = i + 1;
            while j < chars.len()
                && matches!(
                    chars[j].1,
                    '.' | '!' | '?' | '…' | '"' | '\'' | '»' | '”' | '’' | ')' | ']'
                )
            {
                j += 1;
            }
            let spaced = j < chars.len() && chars[j].1.is_whitespace();
            let mut k = j;
            while k < chars.len() && chars[k].1.is_whitespace() {
                k += 1;
            }
            let opens = chars.get(k).is_some_and(|&(_, n)| {
                n.is_uppercase()
                    || n.is_ascii_digit()
                    || matches!(n, '"' | '«' | '“' | '„' | '(' | '\'')
            });
            if spaced && opens {
                let end = chars.get(j).map_or(text.len(), |c| c.0);
                out.push(start..end);
                start = chars[k].0;
                i = k;
                continue;
            }
            i = j;
            continue;
        }
        i += 1;
    }
    if start < text.len() && !text[start..].trim().is_empty() {
        out.push(start..text.len());
    }
    out
}

/// Candidates a part search reads at most, and the longest word list it
/// intersects (a query of only common words is not searched for parts).
const PART_CANDIDATES: usize = 20;
const PART_LIST_MAX: usize = 20_000;

impl Matcher {
    /// Adds to `found` the stored units whose source holds a sentence that
    /// matches the query (at or above the threshold after the `part`
    /// penalty), with the whole unit's source and target: the entries
    /// longer than the query that hold its two rarest words, each
    /// segmented with the source language's rules.
    fn parts(
        &self,
        query: &Query,
        qk: &str,
        qside: &penalty::Side,
        opts: &Options,
        reader: Option<&Memory>,
        found: &mut Vec<Match>,
    ) -> Result<()> {
        use unicode_normalization::UnicodeNormalization;
        let qchars = qk.chars().count();
        let mut lists: Vec<index::Postings> = qk
            .split(' ')
            .filter(|w| *w != "#" && !w.is_empty())
            .map(|w| self.index.postings(w))
            .collect();
        lists.sort_by_key(|l| l.len());
        lists.truncate(2);
        let Some(first) = lists.first() else {
            return Ok(());
        };
        if first.is_empty() || first.len() > PART_LIST_MAX {
            return Ok(());
        }
        let mut cands: Vec<u32> = first.iter().collect();
        for l in lists.iter().skip(1) {
            l.retain_in(&mut cands);
        }
        // A larger unit is longer than the query (by a third at least) and
        // holds most of its words: the threshold's share of them, counted
        // on the index's key, before any pair is read from the store.
        let qwords: Vec<&str> = qk.split(' ').collect();
        let need = ((qwords.len() as f64) * opts.threshold.min(100.0) / 100.0).ceil() as usize;
        let mut key = String::new();
        cands.retain(|&e| {
            let (c, w) = self.index.lengths(e as usize);
            if c * 3 <= qchars * 4 || w < qwords.len() + 2 {
                return false;
            }
            self.index.key_into(e as usize, &mut key);
            let mut have: Vec<&str> = key.split(' ').collect();
            let mut shared = 0;
            for q in &qwords {
                if let Some(i) = have.iter().position(|h| h == q) {
                    have.swap_remove(i);
                    shared += 1;
                }
            }
            shared >= need
        });
        cands.sort_by_key(|&e| (self.index.lengths(e as usize).0, std::cmp::Reverse(e)));
        cands.truncate(PART_CANDIDATES);
        let q = Prepared::new(qk);
        for e in cands {
            let Some(p) = self.fetch(e, reader)? else {
                continue;
            };
            if found.iter().any(|m| m.id == p.unit_id && m.score >= 100.0) {
                continue;
            }
            let ranges = sentences(&p.source);
            if ranges.len() < 2 {
                continue;
            }
            let whole = p.source.chars().count();
            let mut best: Option<(f64, usize, Vec<Penalty>, f64)> = None;
            for (k, r) in ranges.iter().enumerate() {
                let s = p.source[r.clone()].trim();
                let identical = query.text.trim().nfc().eq(s.nfc());
                let base = if identical {
                    100.0
                } else {
                    score::base(&q, &Prepared::new(&score::key(s)), opts.threshold).unwrap_or(0.0)
                };
                let mut pens = if identical {
                    Vec::new()
                } else {
                    penalty::between(qside, &penalty::Side::new(s, None), &opts.penalties)
                };
                pens.push(Penalty {
                    kind: "part",
                    points: part_points(s.chars().count(), whole),
                });
                let p: f64 = pens.iter().map(|p| p.points).sum();
                let total = score::round1((base - p).clamp(0.0, 99.9));
                if best.as_ref().is_none_or(|b| total > b.0) {
                    best = Some((total, k, pens, base));
                }
            }
            let Some((total, k, pens, base)) = best else {
                continue;
            };
            if total < opts.threshold {
                continue;
            }
            // The unit may have matched whole, lower: the part is the
            // better account of it.
            match found.iter().position(|m| m.id == p.unit_id) {
                Some(i) if found[i].score >= total => continue,
                Some(i) => {
                    found.remove(i);
                }
                None => {}
            }
            found.push(Match {
                score: total,
                source: p.source,
                target: p.target,
                id: p.unit_id,
                origin: p.origin,
                base: score::round1(base),
                penalties: pens,
                part: Some(Part {
                    segment: k + 1,
                    of: ranges.len(),
                }),
                ..Match::default()
            });
        }
        Ok(())
    }
}

/// The order matches are shown in: best score first and, among equal
/// scores, the newest unit (the highest id) first, as CAT tools list them:
/// a corrected translation stored after the old one comes before it.
pub(crate) fn best_first(a: &Match, b: &Match) -> std::cmp::Ordering {
    b.score.total_cmp(&a.score).then(b.id.cmp(&a.id))
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
    // A part of a larger unit: its target is the whole unit's, which the
    // query's numbers cannot be put into sentence by sentence.
    if m.part.is_some() {
        return;
    }
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
    fn sentences_of_a_joined_unit() {
        let t = "According to her, Egypt took 150,000 tonnes. Algeria bought the rest.";
        let s: Vec<&str> = sentences(t).into_iter().map(|r| &t[r]).collect();
        assert_eq!(
            s,
            [
                "According to her, Egypt took 150,000 tonnes.",
                "Algeria bought the rest."
            ]
        );
        let t = "«Да!» — сказал он. Цены выросли на 3,5%. 2024 год был трудным.";
        assert_eq!(sentences(t).len(), 3, "{:?}", sentences(t));
        assert_eq!(sentences("One sentence only.").len(), 1);
        assert_eq!(sentences("Version 1.5 is out.").len(), 1);
    }

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
