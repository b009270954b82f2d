//! Bilingual sentence alignment.
//!
//! Given the segments of a source and a target text, finds the monotone
//! sequence of links (1:1, 1:0, 0:1, 2:1, 1:2, 2:2, 3:1, 1:3, 3:2, 2:3) that
//! minimises a cost by banded dynamic programming (`dp`). A link's cost
//! adds a prior for its shape, a Gale–Church length cost (length ratio and
//! variance estimated from the pair itself, so any language pair works),
//! rewards for shared lexical anchors (`anchors`: numbers, dates, names
//! through transliteration, acronyms, identical tokens, punctuation; and
//! dictionary pairs with [`Dict`]), a penalty for anchors left unmatched, and
//! penalties for links that cross paragraph boundaries. Each link's
//! confidence is its posterior probability under that cost model.
//! See `docs/alignment.md` for the model and measured figures.

mod anchors;
mod dict;
mod dp;
pub mod html;

pub use dict::Dict;

/// The hash map of the aligner's own tables (words, stems, anchors): no
/// iteration order of one decides anything, so a fast fixed-seed hasher.
type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

use std::sync::Arc;

use anchors::{Anchor, Extract};

/// One segment to align: its text and the paragraph it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    /// The segment's text.
    pub text: &'a str,
    /// 0-based paragraph number.
    pub para: usize,
}

/// One link: 0-based segment indices on each side (either may be empty,
/// never both) and a confidence in 0..=1.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// Source segment indices.
    pub src: Vec<usize>,
    /// Target segment indices.
    pub tgt: Vec<usize>,
    /// Posterior probability of this link, 0..=1.
    pub confidence: f64,
}

/// Alignment options.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Source language tag (e.g. `en`).
    pub src_lang: String,
    /// Target language tag (e.g. `ru`).
    pub tgt_lang: String,
    /// Optional bilingual dictionary (source word to target words).
    pub dict: Option<Arc<dict::Dict>>,
    /// Model parameters; the defaults are tuned on news text.
    pub params: Params,
}

/// Parameters of the cost model. Costs are in nats (negative log
/// probabilities), so the defaults can be read as odds.
#[derive(Debug, Clone)]
pub struct Params {
    /// Prior probability of a 1:1 link.
    pub p11: f64,
    /// Prior of a 1:0 or 0:1 link (each).
    pub p10: f64,
    /// Prior of a 2:1 or 1:2 link (each).
    pub p21: f64,
    /// Prior of a 2:2 link.
    pub p22: f64,
    /// Prior of a 3:1 or 1:3 link (each).
    pub p31: f64,
    /// Prior of a 3:2 or 2:3 link (each).
    pub p32: f64,
    /// Reward per unit of shared anchor weight.
    pub gain: f64,
    /// Penalty per unit of anchor weight left unmatched inside a link.
    pub miss: f64,
    /// Penalty per unit of anchor weight of a segment left unlinked.
    pub skip_miss: f64,
    /// Weight of the length cost.
    pub len_weight: f64,
    /// Penalty for a link that joins segments of two paragraphs (per side).
    pub para_cross: f64,
    /// Penalty for a link that starts a paragraph on one side only.
    pub para_break: f64,
    /// Temperature of the posterior: above 1 flattens confidences.
    pub temperature: f64,
    /// Penalty for a link that ends at a boundary that looks like a false
    /// sentence split (per side).
    pub glue: f64,
    /// Penalty for a link that ends after a semicolon (per side): texts
    /// segmented at semicolons mostly join them again in translation (the
    /// de–fr gold ends a link at 32 of 99 such boundaries, at 87% of those
    /// after a full stop).
    pub semicolon: f64,
    /// Cost per unit of difference in each of the `COUNTS` features.
    pub count_cost: [f64; COUNTS],
    /// Difference in each count that a true link typically shows.
    pub count_base: [f64; COUNTS],
}

impl Default for Params {
    fn default() -> Self {
        Params {
            p11: 0.85,
            p10: 0.04,
            p21: 0.05,
            p22: 0.0003,
            p31: 0.0002,
            p32: 0.000001,
            gain: 1.3,
            miss: 0.8,
            skip_miss: 0.2,
            len_weight: 1.0,
            para_cross: 4.0,
            para_break: 0.5,
            temperature: 1.0,
            glue: 4.0,
            semicolon: 0.9,
            count_cost: [0.4, 0.5, 1.5, 2.0, 0.3],
            count_base: [0.8, 0.5, 0.1, 0.0, 0.1],
        }
    }
}

/// The length cost `-ln 2(1-Φ(z))` for `z ≥ 0`, with the normal upper tail
/// by the Abramowitz–Stegun approximation `φ(z)·poly(t)`. Taken in the log
/// domain, `z²/2 - ln(2·0.3989·poly)`, it needs one logarithm where
/// `-ln(2·φ(z)·poly)` needs an exponential and a logarithm (the cost is
/// evaluated for every shape at every node of every search). The cap is
/// the old clamp of the tail at 1e-300.
fn len_cost(z: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.2316419 * z);
    let poly = t
        * (0.319381530
            + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
    (z * z / 2.0 - (2.0 * 0.398_942_280_4 * poly).ln()).min(LEN_COST_MAX)
}

/// `-ln(2·1e-300)`: the length cost of a hopeless length mismatch.
const LEN_COST_MAX: f64 = 690.0841;

fn char_len(s: &str) -> f64 {
    s.chars().filter(|c| !c.is_whitespace()).count() as f64
}

/// Counted features whose numbers a translation tends to keep: commas,
/// capitalised words inside the sentence, quotes, brackets, spaced dashes.
const COUNTS: usize = 5;

fn counts(text: &str) -> [f64; COUNTS] {
    let mut c = [0.0; COUNTS];
    let mut prev_space = false;
    let mut first = true;
    for ch in text.chars() {
        match ch {
            ',' => c[0] += 1.0,
            '"' | '«' | '»' | '“' | '”' | '„' => c[2] += 0.5,
            '(' | '[' => c[3] += 1.0,
            '-' | '–' | '—' if prev_space => c[4] += 1.0,
            _ => {}
        }
        if prev_space && ch.is_uppercase() && !first {
            c[1] += 1.0;
        }
        if !ch.is_whitespace() && prev_space {
            first = false;
        }
        prev_space = ch.is_whitespace();
    }
    c
}

/// Abbreviations after which a segmenter's split is probably wrong. (Not
/// `m`: French `M.` is caught as an initial, while `m.` ends sentences as
/// the metre: 8 of the 9 such boundaries in the de–fr gold end a link.)
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "st", "sr", "jr", "gen", "col", "lt", "sgt", "capt", "prof", "inc",
    "co", "corp", "ltd", "no", "vs", "fig", "vol", "rev", "gov", "sen", "rep", "u.s", "dj", "д",
    "дж", "г", "гг", "им", "т", "тыс", "млн", "млрд", "руб", "ул", "проф", "акад", "св", "ст",
    "стр", "см", "др", "пр", "н", "э", "z", "b", "bzw", "nr", "hr", "mme", "mlle",
];

/// True when the boundary after `a` (followed by `b`) looks like a false
/// sentence split: `a` ends in an initial or a known abbreviation, or `b`
/// starts in lowercase.
fn glued(a: &str, b: &str) -> bool {
    let starts_lower = b
        .chars()
        .find(|c| c.is_alphanumeric())
        .is_some_and(char::is_lowercase);
    let last = a.split_whitespace().last().unwrap_or("");
    // Texts segmented at colons and semicolons (the de–fr gold: 174 of its
    // 191 segments that start in lowercase follow one) continue in
    // lowercase by design.
    if last.ends_with([';', ':']) {
        return false;
    }
    let Some(stem) = last.strip_suffix('.') else {
        return starts_lower;
    };
    let stem = stem.trim_start_matches(|c: char| !c.is_alphanumeric());
    let initial = stem.chars().count() == 1 && stem.chars().all(char::is_uppercase);
    starts_lower || initial || ABBREVIATIONS.contains(&stem.to_lowercase().as_str())
}

/// Per-side features of the segments.
#[derive(Clone)]
struct Side {
    /// Prefix sums of lengths: `len[k]` is the length of segments `0..k`.
    len: Vec<f64>,
    /// Prefix sums of anchor weights.
    weight: Vec<f64>,
    anchors: Vec<Vec<Anchor>>,
    para: Vec<usize>,
    /// Prefix sums of [`counts`].
    counts: Vec<[f64; COUNTS]>,
    /// `glue[k]`: the boundary after segment `k` looks like a false split.
    glue: Vec<bool>,
    /// `semi[k]`: segment `k` ends with a semicolon.
    semi: Vec<bool>,
}

/// The anchors of every segment (with those of `dicts`), each list sorted
/// by key. The segments are cut into one run per thread, each with its own
/// word memo ([`anchors::Extractor`]): one run per thread rather than
/// rayon's finer split, since each run starts with an empty memo.
fn extract_all(
    segs: &[Segment],
    ex: Extract,
    dicts: &[&dict::Dict],
    is_src: bool,
) -> Vec<Vec<Anchor>> {
    use rayon::prelude::*;
    let runs = rayon::current_num_threads().max(1);
    let chunk = segs.len().div_ceil(runs).max(1);
    let per_run: Vec<Vec<Vec<Anchor>>> = segs
        .par_chunks(chunk)
        .map(|run| {
            let mut x = anchors::Extractor::new(ex);
            run.iter()
                .map(|s| {
                    let mut a = x.extract(s.text);
                    for d in dicts {
                        d.anchors(s.text, is_src, &mut a);
                    }
                    if !dicts.is_empty() {
                        a.sort_by_key(|x| x.key);
                    }
                    a
                })
                .collect()
        })
        .collect();
    per_run.into_iter().flatten().collect()
}

impl Side {
    fn new(segs: &[Segment], ex: Extract, dicts: &[&dict::Dict], is_src: bool) -> Side {
        let mut len = vec![0.0];
        let mut cs = vec![[0.0; COUNTS]];
        for s in segs {
            let mut c = counts(s.text);
            if let Some(last) = cs.last() {
                for (x, y) in c.iter_mut().zip(last) {
                    *x += y;
                }
            }
            cs.push(c);
            len.push(len.last().copied().unwrap_or(0.0) + char_len(s.text));
        }
        let anchors = extract_all(segs, ex, dicts, is_src);
        let glue = (0..segs.len())
            .map(|k| {
                segs.get(k + 1)
                    .is_some_and(|next| next.para == segs[k].para && glued(segs[k].text, next.text))
            })
            .collect();
        Side {
            len,
            weight: Vec::new(),
            anchors,
            para: segs.iter().map(|s| s.para).collect(),
            counts: cs,
            glue,
            semi: segs
                .iter()
                .map(|s| s.text.trim_end().ends_with(';'))
                .collect(),
        }
    }

    /// Prefix sums of the active anchor weights.
    fn sum_weights(&mut self) {
        self.weight = vec![0.0];
        for a in &self.anchors {
            let w: f64 = a
                .iter()
                .filter(|x| !x.passive && x.kind != anchors::Kind::Dict)
                .map(|x| f64::from(x.weight))
                .sum();
            self.weight
                .push(self.weight.last().copied().unwrap_or(0.0) + w);
        }
    }
    fn span_len(&self, a: usize, b: usize) -> f64 {
        self.len[b] - self.len[a]
    }
    /// True when segments `a..b` belong to more than one paragraph.
    fn crosses(&self, a: usize, b: usize) -> bool {
        b > a + 1 && self.para[a] != self.para[b - 1]
    }
    /// True when segment `a` opens a paragraph (other than the first).
    fn opens(&self, a: usize) -> bool {
        a > 0 && a < self.para.len() && self.para[a] != self.para[a - 1]
    }
}

/// Makes anchors that nothing on the other side can match passive (they
/// are no evidence either way: `Czech` has no match in `чешский`), and
/// divides the weight of the others by the square root of the number of
/// their possible partners, so a name that occurs everywhere counts less.
fn weigh(s: &mut [Vec<Anchor>], t: &[Vec<Anchor>]) {
    use Map as HashMap;
    /// Distinct forms per key beyond which partners are counted by key only.
    const FORMS: usize = 16;
    // Other side: per key, its distinct anchors with their counts.
    let mut other: HashMap<u64, Vec<(&Anchor, u32)>> = HashMap::default();
    for a in t.iter().flatten() {
        let forms = other.entry(a.key).or_default();
        if let Some(k) = forms.iter().position(|(b, _)| {
            // Forms of one word share their text: equal pointers first.
            (Arc::ptr_eq(&b.form, &a.form) || b.form == a.form) && b.passive == a.passive
        }) {
            forms[k].1 += 1;
        } else {
            forms.push((a, 1));
        }
    }
    // Own side: the partner count of each distinct anchor, computed once.
    let mut memo: HashMap<(u64, &str, bool), u32> = HashMap::default();
    let mut factors = Vec::new();
    for a in s.iter().flatten() {
        let partners = *memo.entry((a.key, &*a.form, a.passive)).or_insert_with(|| {
            let forms = other.get(&a.key).map_or(&[][..], Vec::as_slice);
            let check = forms.len() <= FORMS;
            forms
                .iter()
                .filter(|(b, _)| !(a.passive && b.passive) && (!check || anchors::matches(a, b)))
                .map(|(_, c)| c)
                .sum()
        });
        factors.push(partners);
    }
    for (a, partners) in s.iter_mut().flatten().zip(factors) {
        if partners == 0 {
            a.passive = true;
        } else {
            a.weight /= (partners as f32).sqrt();
        }
    }
}

/// Shared anchor weight of segment pairs near the search band.
struct Pairs {
    band: dp::Band,
    w: Vec<f32>,
}

impl Pairs {
    /// `prev`: pairs of an earlier search over the same anchors, whose
    /// values are taken instead of computed again where the bands overlap.
    fn new(
        s: &Side,
        t: &Side,
        lattice: &dp::Band,
        n: usize,
        m: usize,
        prev: Option<&Pairs>,
    ) -> Pairs {
        // A link ending at node (i, j) uses segments i-3..i and j-3..j.
        let reach = dp::SHAPES.iter().map(|s| s.0.max(s.1)).max().unwrap_or(1);
        let ranges: Vec<(usize, usize)> = (0..n)
            .map(|r| {
                let a = *lattice.cols(r).start();
                let b = *lattice.cols((r + reach).min(n)).end();
                (a.saturating_sub(reach), b)
            })
            .collect();
        let band = dp::Band::new(&ranges, 0, m.saturating_sub(1));
        // Rows in parallel: about half a million segment pairs per band on
        // the 8k-segment scale pair, each a merge of two anchor lists.
        use rayon::prelude::*;
        let rows: Vec<Vec<f32>> = (0..n)
            .into_par_iter()
            .with_min_len(16)
            .map(|r| {
                let known = prev.and_then(|p| Some((p.band.row(r)?, &p.w)));
                band.cols(r)
                    .map(|c| match known {
                        Some(((lo, hi, off), w)) if (lo..=hi).contains(&c) => w[off + c - lo],
                        _ if c < m => anchors::shared(&s.anchors[r], &t.anchors[c]),
                        _ => 0.0,
                    })
                    .collect()
            })
            .collect();
        let w = rows.concat();
        debug_assert_eq!(w.len(), band.len());
        Pairs { band, w }
    }
}

/// The cost model with its per-document length statistics.
struct Model<'a> {
    s: &'a Side,
    t: &'a Side,
    p: &'a Params,
    /// Target characters per source character.
    ratio: f64,
    /// Variance of the length difference per character.
    var: f64,
    paragraphs: bool,
    /// Added to the cost of 1:0 and 0:1 links.
    skip_extra: f64,
    /// `-ln` of the prior of each shape `di:dj`, computed once.
    prior_cost: [[f64; 4]; 4],
    /// `p.count_cost`, with the count of capitalised words left out (0)
    /// when one side capitalises common nouns, so that the counts differ
    /// by the number of nouns.
    count_cost: [f64; COUNTS],
    /// [`Spans`] ending at each node row (source) and column (target),
    /// computed once rather than at every node.
    spans_s: Vec<Spans>,
    spans_t: Vec<Spans>,
    /// The length costs of this `ratio` and `var`, per pair of span lengths.
    memo: LenMemo,
    /// Rows and columns of [`LenMemo`] for these spans.
    memo_dims: (usize, usize),
}

impl<'a> Model<'a> {
    fn new(
        s: &'a Side,
        t: &'a Side,
        p: &'a Params,
        (ratio, var): (f64, f64),
        paragraphs: bool,
        no_capitals: bool,
    ) -> Model<'a> {
        let mut prior_cost = [[0.0; 4]; 4];
        for (di, row) in prior_cost.iter_mut().enumerate() {
            for (dj, c) in row.iter_mut().enumerate() {
                let prior = match (di, dj) {
                    (0, _) | (_, 0) => p.p10,
                    (1, 1) => p.p11,
                    (2, 1) | (1, 2) => p.p21,
                    (2, 2) => p.p22,
                    (3, 1) | (1, 3) => p.p31,
                    _ => p.p32,
                };
                *c = -prior.ln();
            }
        }
        let mut count_cost = p.count_cost;
        if no_capitals {
            count_cost[1] = 0.0;
        }
        let spans = |side: &Side| -> Vec<Spans> {
            (0..side.len.len())
                .map(|k| Spans::new(side, k, paragraphs))
                .collect()
        };
        let (mut spans_s, mut spans_t) = (spans(s), spans(t));
        let (rows, cols) = LenMemo::dims(&spans_s, &spans_t);
        // Span lengths become the parts of a cell's index (see `Spans::ix`).
        let none = (rows * cols) as u32;
        for sp in &mut spans_s {
            sp.ix = sp.ix.map(|k| {
                if (k as usize) < rows {
                    k * cols as u32
                } else {
                    none
                }
            });
        }
        for sp in &mut spans_t {
            sp.ix = sp.ix.map(|k| if (k as usize) < cols { k } else { none });
        }
        let memo = LenMemo::new(ratio, var, (rows, cols));
        Model {
            memo_dims: (rows, cols),
            spans_s,
            spans_t,
            memo,
            s,
            t,
            p,
            ratio,
            var,
            paragraphs,
            skip_extra: 0.0,
            prior_cost,
            count_cost,
        }
    }

    /// Sets the length ratio and variance, with a memo of their length costs.
    fn set_stats(&mut self, ratio: f64, var: f64) {
        self.ratio = ratio;
        self.var = var;
        if self.memo.valid_for(ratio, var).is_some() {
            return;
        }
        self.memo = LenMemo::new(ratio, var, self.memo_dims);
    }

    /// Sets the length ratio and variance without a memo (for a model no
    /// search uses any more).
    fn drop_memo(&mut self, ratio: f64, var: f64) {
        self.ratio = ratio;
        self.var = var;
        self.memo = LenMemo::none();
    }

    /// The length cost of a link of `ls` source and `lt` target characters.
    #[inline(always)]
    fn len_cost(&self, ls: f64, lt: f64) -> f64 {
        let mean = ((ls + lt / self.ratio) / 2.0).max(1.0);
        let delta = (lt - ls * self.ratio) / (mean * self.var).sqrt();
        len_cost(delta.abs())
    }

    /// The cost of the link of shape `di:dj` ending at node `(i, j)`.
    fn cost(&self, pairs: &Pairs, i: usize, j: usize, di: usize, dj: usize) -> f64 {
        let mut out = [f64::INFINITY; dp::SHAPES.len()];
        self.costs(pairs, i, j, &mut out);
        dp::SHAPES
            .iter()
            .position(|&sh| sh == (di, dj))
            .map_or(f64::INFINITY, |k| out[k])
    }

    /// The costs of the links of every shape of [`dp::SHAPES`] ending at
    /// node `(i, j)` (infinite for those that would start before the first
    /// segment). One call per node rather than one per link: what the
    /// shapes share (the 3×3 window of shared weights, span lengths and
    /// counts, glue at the node) is read once. This is the inner loop of
    /// every search: 18 million links on the 8k-segment scale pair.
    fn costs(&self, pairs: &Pairs, i: usize, j: usize, out: &mut [f64; dp::SHAPES.len()]) {
        let p = self.p;
        let (s, t) = (self.s, self.t);
        // w[x][y]: shared weight of segments i-R+x and j-R+y.
        let mut w = [[0.0f64; R]; R];
        for (x, row) in w.iter_mut().enumerate() {
            if i + x < R {
                continue;
            }
            let Some((lo, hi, off)) = pairs.band.row(i + x - R) else {
                continue;
            };
            for (y, v) in row.iter_mut().enumerate() {
                if j + y >= R && (lo..=hi).contains(&(j + y - R)) {
                    *v = f64::from(pairs.w[off + j + y - R - lo]);
                }
            }
        }
        // A link that ends right before a false split cuts a sentence: the
        // glue cost of links with segments on both sides, on the source
        // side only and on the target side only.
        let (glue_s, semi_s) = (i > 0 && s.glue[i - 1], i > 0 && s.semi[i - 1]);
        let (glue_t, semi_t) = (j > 0 && t.glue[j - 1], j > 0 && t.semi[j - 1]);
        let glue = |di: usize, dj: usize| {
            let cut = (di > 0 && glue_s) as u8 + (dj > 0 && glue_t) as u8;
            let semi = (di > 0 && semi_s) as u8 + (dj > 0 && semi_t) as u8;
            p.glue * f64::from(cut) + p.semicolon * f64::from(semi)
        };
        let g = [glue(1, 1), glue(1, 0), glue(0, 1)];
        let (ss, st) = (&self.spans_s[i], &self.spans_t[j]);
        // The memo holds only where it was made for these statistics.
        // Kept in step with the statistics by `set_stats` and `drop_memo`.
        debug_assert!(
            self.memo.valid_for(self.ratio, self.var).is_some() || self.memo.cells.is_empty()
        );
        let memo = &self.memo;
        // Away from the first row and column every shape fits.
        let inside = i >= R && j >= R;
        for (k, &(di, dj)) in dp::SHAPES.iter().enumerate() {
            out[k] = if !inside && (di > i || dj > j) {
                f64::INFINITY
            } else {
                match (di, dj) {
                    (1, 0) => self.skip(g[1], 1, 0, ss.weight[1]),
                    (0, 1) => self.skip(g[2], 0, 1, st.weight[1]),
                    (1, 1) => self.link::<1, 1>(g[0], ss, st, &w, memo),
                    (2, 1) => self.link::<2, 1>(g[0], ss, st, &w, memo),
                    (1, 2) => self.link::<1, 2>(g[0], ss, st, &w, memo),
                    (2, 2) => self.link::<2, 2>(g[0], ss, st, &w, memo),
                    (3, 1) => self.link::<3, 1>(g[0], ss, st, &w, memo),
                    (1, 3) => self.link::<1, 3>(g[0], ss, st, &w, memo),
                    (3, 2) => self.link::<3, 2>(g[0], ss, st, &w, memo),
                    (2, 3) => self.link::<2, 3>(g[0], ss, st, &w, memo),
                    _ => f64::INFINITY,
                }
            };
        }
    }

    /// The cost of a 1:0 or 0:1 link leaving segments of weight `w` unlinked.
    #[inline(always)]
    fn skip(&self, glue: f64, di: usize, dj: usize, w: f64) -> f64 {
        self.prior_cost[di][dj] + self.skip_extra + self.p.skip_miss * w + glue
    }

    /// The cost of a `DI:DJ` link (both at least 1) over the spans `ss` and
    /// `st`, with `w` the window of shared weights.
    #[inline(always)]
    fn link<const DI: usize, const DJ: usize>(
        &self,
        glue: f64,
        ss: &Spans,
        st: &Spans,
        w: &[[f64; R]; R],
        memo: &LenMemo,
    ) -> f64 {
        let p = self.p;
        let prior = self.prior_cost[DI][DJ];
        let (ls, lt) = (ss.len[DI], st.len[DJ]);
        let len_cost = memo.get(ss.ix[DI], st.ix[DJ], || self.len_cost(ls, lt));
        let mut shared = 0.0;
        for row in &w[R - DI..] {
            for v in &row[R - DJ..] {
                shared += v;
            }
        }
        let (ws, wt) = (ss.weight[DI], st.weight[DJ]);
        let missed = (ws - shared).max(0.0) + (wt - shared).max(0.0);
        let mut c = prior + p.len_weight * len_cost - p.gain * shared + p.miss * missed + glue;
        let (cs, ct) = (&ss.counts[DI], &st.counts[DJ]);
        for k in 0..COUNTS {
            let diff = (ct[k] - cs[k]).abs();
            c += self.count_cost[k] * (diff - p.count_base[k]);
        }
        if self.paragraphs {
            c += p.para_cross
                * (f64::from(u8::from(ss.crosses[DI])) + f64::from(u8::from(st.crosses[DJ])));
            if ss.opens[DI] != st.opens[DJ] {
                c += p.para_break;
            }
        }
        c
    }
}

/// Rows and columns of the window of shared weights a link may use.
const R: usize = 3;

/// The spans of one side that end at a node: index `d` is the span of the
/// `d` segments before it (0 to 3; zero where there are fewer).
struct Spans {
    len: [f64; 4],
    /// `len` as a part of an index of [`LenMemo`]: the length when it is a
    /// whole number below `u32::MAX`, `u32::MAX` otherwise; then, in a
    /// [`Model`], the length times the memo's columns (source) or the length
    /// (target), or the memo's size where the memo has no row or column
    /// for it, so that the sum of the two is a cell's index or past the
    /// cells.
    ix: [u32; 4],
    weight: [f64; 4],
    counts: [[f64; COUNTS]; 4],
    /// [`Side::crosses`] of the span (with paragraphs only).
    crosses: [bool; 4],
    /// [`Side::opens`] at the span's first segment (with paragraphs only).
    opens: [bool; 4],
}

impl Spans {
    #[inline]
    fn new(side: &Side, end: usize, paragraphs: bool) -> Spans {
        let mut sp = Spans {
            len: [0.0; 4],
            ix: [0; 4],
            weight: [0.0; 4],
            counts: [[0.0; COUNTS]; 4],
            crosses: [false; 4],
            opens: [false; 4],
        };
        let (c1, l1, w1) = (&side.counts[end], side.len[end], side.weight[end]);
        for d in 0..=end.min(3) {
            let a = end - d;
            sp.len[d] = l1 - side.len[a];
            sp.ix[d] = memo_index(sp.len[d]);
            sp.weight[d] = w1 - side.weight[a];
            let c0 = &side.counts[a];
            for k in 0..COUNTS {
                sp.counts[d][k] = c1[k] - c0[k];
            }
            if paragraphs {
                sp.crosses[d] = side.crosses(a, end);
                sp.opens[d] = side.opens(a);
            }
        }
        sp
    }
}

/// [`Spans::ix`] of a span length.
fn memo_index(len: f64) -> u32 {
    // `as` saturates (NaN to 0): only a length it gives back exactly is
    // an index.
    let k = len as u32;
    if k < u32::MAX && f64::from(k) == len {
        k
    } else {
        u32::MAX
    }
}

/// Cells of [`LenMemo`] at most: 32 MiB.
const MEMO_CELLS: usize = 1 << 22;

/// The length cost of a model per pair of whole span lengths, filled as
/// the search asks (issue 26). The cost depends on the two lengths, the
/// ratio and the variance only, and the 8k-segment scale pair asks for
/// 3.3 million costs per search over only 333 thousand distinct length
/// pairs: a cell read is a tenth of a square root, a division, the tail
/// polynomial and a logarithm. Each cell holds the bitwise complement of
/// the cost's bits, 0 while empty (a cost is never NaN, so never all ones);
/// the searches fill it from several threads, each writing the same bits.
struct LenMemo {
    /// Ratio and variance the costs are for.
    ratio: f64,
    var: f64,
    /// Cells by source length (row) and target length (column).
    cells: Vec<std::sync::atomic::AtomicU64>,
}

impl LenMemo {
    /// A memo without cells: every cost is computed.
    fn none() -> LenMemo {
        LenMemo {
            ratio: f64::NAN,
            var: f64::NAN,
            cells: Vec::new(),
        }
    }

    /// Rows and columns of a memo for the span lengths of `ss` (source)
    /// and `st` (target) up to their 99.9th percentile, cut to
    /// [`MEMO_CELLS`] cells. Longer spans have their costs computed: on
    /// the 8k-segment scale pair 0.16% of the costs asked, while the table
    /// is 43% of the one for every length (each memo is zeroed, 60 M
    /// instructions for four at full size).
    fn dims(ss: &[Spans], st: &[Spans]) -> (usize, usize) {
        let dim = |spans: &[Spans]| {
            let mut v: Vec<u32> = spans
                .iter()
                .flat_map(|sp| sp.ix[1..].iter().copied())
                .filter(|&k| k < u32::MAX)
                .collect();
            if v.is_empty() {
                return 0;
            }
            let q = (v.len() - 1) * 999 / 1000;
            *v.select_nth_unstable(q).1 as usize + 1
        };
        let (mut rows, mut cols) = (dim(ss), dim(st));
        let side = 1 << 11;
        if rows.saturating_mul(cols) > MEMO_CELLS {
            (rows, cols) = (rows.min(side), cols.min(side));
            if rows.saturating_mul(cols) > MEMO_CELLS {
                // One side is short: the other may have more.
                let short = rows.min(cols).max(1);
                let long = MEMO_CELLS / short;
                if rows < cols {
                    cols = cols.min(long);
                } else {
                    rows = rows.min(long);
                }
            }
        }
        (rows, cols)
    }

    /// An empty memo of `rows` × `cols` cells for `ratio` and `var`.
    fn new(ratio: f64, var: f64, (rows, cols): (usize, usize)) -> LenMemo {
        let mut cells = Vec::new();
        cells.resize_with(rows * cols, || std::sync::atomic::AtomicU64::new(0));
        LenMemo { ratio, var, cells }
    }

    /// The memo when it was made for `ratio` and `var` (bit for bit).
    #[inline(always)]
    fn valid_for(&self, ratio: f64, var: f64) -> Option<&LenMemo> {
        (self.ratio.to_bits() == ratio.to_bits() && self.var.to_bits() == var.to_bits())
            .then_some(self)
    }

    /// The cost of source part `a` and target part `b` of an index (see
    /// [`Spans::ix`]): from the memo, or `cost()` (then remembered).
    #[inline(always)]
    fn get(&self, a: u32, b: u32, cost: impl FnOnce() -> f64) -> f64 {
        use std::sync::atomic::Ordering::Relaxed;
        let Some(cell) = self.cells.get(a as usize + b as usize) else {
            return cost();
        };
        let v = cell.load(Relaxed);
        if v != 0 {
            return f64::from_bits(!v);
        }
        let c = cost();
        cell.store(!c.to_bits(), Relaxed);
        c
    }
}

/// Length ratio and variance re-estimated from the 1:1 links of a path:
/// the ratio from the totals, the variance robustly from the median
/// absolute deviation of the normalised differences.
fn estimate(
    s: &Side,
    t: &Side,
    links: &[(usize, usize, usize, usize)],
    ratio: f64,
    var: f64,
) -> (f64, f64) {
    let ones: Vec<(f64, f64)> = links
        .iter()
        .filter(|l| l.1 - l.0 == 1 && l.3 - l.2 == 1)
        .map(|l| (s.span_len(l.0, l.1), t.span_len(l.2, l.3)))
        .filter(|&(a, b)| a > 0.0 && b > 0.0)
        .collect();
    if ones.len() < 3 {
        return (ratio, var);
    }
    let (sa, sb) = ones
        .iter()
        .fold((0.0, 0.0), |acc, &(a, b)| (acc.0 + a, acc.1 + b));
    let c = sb / sa;
    // A few links fix the ratio (the totals are skewed by dropped
    // sentences) but not yet the spread.
    if ones.len() < 8 {
        return (c, var);
    }
    let mut r: Vec<f64> = ones
        .iter()
        .map(|&(a, b)| (b - a * c) / ((a + b / c) / 2.0).sqrt())
        .collect();
    r.sort_by(f64::total_cmp);
    let med = r[r.len() / 2];
    let mut dev: Vec<f64> = r.iter().map(|x| (x - med).abs()).collect();
    dev.sort_by(f64::total_cmp);
    let sd = 1.4826 * dev[dev.len() / 2];
    // The first path was chosen partly for its length fit, so its spread
    // understates the truth, and real differences have heavier tails than
    // the normal model: widen.
    (c, (VAR_WIDEN * sd * sd).clamp(2.5, 12.0))
}

/// Factor by which the variance estimated from the first path is widened.
const VAR_WIDEN: f64 = 2.8;

/// Prior variance of the length difference per character, before the
/// document's own is estimated.
const VAR_PRIOR: f64 = 4.0;

/// Half-width of the first band around the diagonal (it widens itself
/// when the path comes near its edge).
const PASS1_WIDTH: usize = 24;

/// Times the length ratio and variance are estimated from a path.
const ESTIMATE_ROUNDS: usize = 2;

/// Half-width of the second band around the first path.
const PASS2_WIDTH: usize = 12;

/// Nodes up to which the search may use a full matrix rather than a band.
const FULL_MATRIX: usize = 40_000;

/// Share of the words inside sentences (not the first word) that start
/// with a capital letter.
fn capital_rate(segs: &[Segment]) -> f64 {
    let (mut caps, mut words) = (0usize, 0usize);
    for s in segs {
        for w in s.text.split_whitespace().skip(1) {
            if let Some(c) = w.chars().next().filter(|&c| anchors::is_alpha(c)) {
                words += 1;
                caps += usize::from(c.is_uppercase());
            }
        }
    }
    if words == 0 {
        0.0
    } else {
        caps as f64 / words as f64
    }
}

/// True when a side capitalises common nouns, so that capitals are no sign
/// of names: by its language tag (German, Luxembourgish), or, for an
/// unknown tag, when it capitalises far more words inside sentences than
/// the other side (measured: German 0.22–0.31 against French 0.03–0.11 on
/// the de–fr gold; English and Russian news documents stay within a factor
/// of 2 of each other).
fn capitalises_nouns(lang: &str, own: f64, other: f64) -> bool {
    let base = lang
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match base.as_str() {
        "de" | "lb" | "gsw" => true,
        "en" | "ru" | "fr" | "es" | "it" | "pt" | "pl" | "uk" => false,
        _ => own > 0.18 && own > 2.0 * other,
    }
}

/// Builds both sides' features, with the anchors weighed against each other.
fn sides(
    src: &[Segment],
    tgt: &[Segment],
    ex_s: Extract,
    ex_t: Extract,
    dicts: &[&dict::Dict],
) -> (Side, Side) {
    let (mut s, mut t) = rayon::join(
        || Side::new(src, ex_s, dicts, true),
        || Side::new(tgt, ex_t, dicts, false),
    );
    // Weigh each side against the other as it was before weighing.
    let s0 = s.anchors.clone();
    weigh(&mut s.anchors, &t.anchors);
    weigh(&mut t.anchors, &s0);
    s.sum_weights();
    t.sum_weights();
    (s, t)
}

/// Both sides with the anchors of a learnt dictionary added. Its keys have
/// their own range (see `dict::Dict`), so weighing its anchors against each
/// other apart from the others gives what weighing all together would,
/// without extracting and weighing everything again.
fn with_lexicon(
    s: &Side,
    t: &Side,
    src: &[Segment],
    tgt: &[Segment],
    lexicon: &dict::Dict,
) -> (Side, Side) {
    let lex = |segs: &[Segment], is_src: bool| -> Vec<Vec<Anchor>> {
        segs.iter()
            .map(|seg| {
                let mut a = Vec::new();
                lexicon.anchors(seg.text, is_src, &mut a);
                a
            })
            .collect()
    };
    let (mut ls, lt) = (lex(src, true), lex(tgt, false));
    let mut lt = lt;
    let ls0 = ls.clone();
    weigh(&mut ls, &lt);
    weigh(&mut lt, &ls0);
    let merge = |side: &Side, extra: Vec<Vec<Anchor>>| {
        let mut out = side.clone();
        for (a, e) in out.anchors.iter_mut().zip(extra) {
            if !e.is_empty() {
                a.extend(e);
                a.sort_by_key(|x| x.key);
            }
        }
        out.sum_weights();
        out
    };
    (merge(s, ls), merge(t, lt))
}

/// Pass 1: a search with the length ratio and variance re-estimated from
/// its path `rounds` times. The first search covers a band around the
/// diagonal, or around `prev` (an earlier path) when given; each later one
/// a band around the path before it. A band is doubled while the path
/// comes near its inner edge. Returns the path and the estimates.
fn first_pass(
    mut model: Model,
    full: bool,
    slope: usize,
    rounds: usize,
    prev: Option<&[(usize, usize, usize, usize)]>,
) -> (dp::Path, f64, f64, Pairs) {
    let (s, t) = (model.s, model.t);
    let (n, m) = (s.para.len(), t.para.len());
    if !model.ratio.is_finite() {
        model.set_stats(1.0, model.var);
    }
    let diag: Vec<(usize, usize)> = (0..=n)
        .map(|i| {
            let c = (i * m + n / 2) / n;
            (c, c)
        })
        .collect();
    // Around the diagonal the band must hold the drift of the whole
    // document; around a path, only what new statistics or a learnt
    // dictionary move (on the 8k-segment scale pair the path stays within
    // 7 columns of the diagonal and moves by a few links).
    // Each search reuses the shared weights of the one before it (the
    // anchors are the same) where their bands overlap.
    let search = |model: &Model, rows: &[(usize, usize)], mut w: usize, mut last: Option<Pairs>| loop {
        let band = dp::Band::new(rows, w, m);
        let pairs = Pairs::new(s, t, &band, n, m, last.as_ref());
        let path = dp::search(n, m, &band, None, |i, j, out| {
            model.costs(&pairs, i, j, out)
        });
        if !path.near_edge || w > m {
            break (path, pairs);
        }
        last = Some(pairs);
        w *= 2;
    };
    let follow = |links: &[(usize, usize, usize, usize)]| {
        (
            path_rows(links, n),
            if full { m + 1 } else { PASS2_WIDTH + slope },
        )
    };
    let (mut first, mut pairs) = match prev {
        Some(links) => {
            let (rows, w) = follow(links);
            search(&model, &rows, w, None)
        }
        None => {
            let w = if full {
                m + 1
            } else {
                (PASS1_WIDTH + 2 * slope).min(m + 1)
            };
            search(&model, &diag, w, None)
        }
    };
    // Re-estimate ratio and variance from the path, and once more from the
    // path they give: the first estimate is still skewed by the prior.
    for round in 0..rounds {
        let (ratio, var) = estimate(s, t, &first.links, model.ratio, model.var);
        if round + 1 == rounds {
            // No search follows: no memo.
            model.drop_memo(ratio, var);
        } else {
            model.set_stats(ratio, var);
            let (rows, w) = follow(&first.links);
            (first, pairs) = search(&model, &rows, w, Some(pairs));
        }
    }
    (first, model.ratio, model.var, pairs)
}

/// Per row, the column range a path's links end in (rows no link ends in
/// take the previous row's end): the centre line of a band around the path.
fn path_rows(links: &[(usize, usize, usize, usize)], n: usize) -> Vec<(usize, usize)> {
    let mut rows: Vec<(usize, usize)> = vec![(usize::MAX, 0); n + 1];
    rows[0] = (0, 0);
    for &(_, i1, j0, j1) in links {
        let r = &mut rows[i1];
        r.0 = r.0.min(j0.min(j1));
        r.1 = r.1.max(j1);
    }
    for i in 1..=n {
        if rows[i].0 == usize::MAX {
            rows[i] = (rows[i - 1].1, rows[i - 1].1);
        }
    }
    rows
}

/// Least number of 1:1 links that must pair two words before they count
/// as translations of each other.
const LEX_MIN: u32 = 2;
/// Least number of 1:1 links to learn word pairs from: on shorter
/// documents chance pairs outnumber real ones (learning from 30 links
/// lowered task B from 0.953 to 0.952, from 1 link to 0.931).
const LEX_PAIRS: usize = 60;

/// Most 1:1 links learnt from.
const LEX_SAMPLE: usize = 2000;
/// Factor on the median 1:1 link cost added to the cost of 1:0 and 0:1
/// links (tuned on the de–fr gold: 1 gives F1 0.802, 1.5 0.807, 2 0.799;
/// task B does not move).
const SKIP_SCALE: f64 = 1.5;

/// Most that [`SKIP_SCALE`] may add (the de–fr documents reach 1.9).
const SKIP_MAX: f64 = 2.0;

/// Least Dice coefficient of a learnt word pair.
const LEX_DICE: f64 = 0.6;

/// Learns word-stem pairs from the 1:1 links of a path (see
/// [`dict::Dict::learn`]).
fn learn_lexicon(
    src: &[Segment],
    tgt: &[Segment],
    links: &[(usize, usize, usize, usize)],
) -> dict::Dict {
    let ones: Vec<_> = links
        .iter()
        .filter(|l| l.1 - l.0 == 1 && l.3 - l.2 == 1)
        .collect();
    // Enough to learn from, evenly spread: bounds time and memory on long
    // pairs.
    let step = ones.len().div_ceil(LEX_SAMPLE).max(1);
    let pairs: Vec<(&str, &str)> = ones
        .iter()
        .step_by(step)
        .map(|l| (src[l.0].text, tgt[l.2].text))
        .collect();
    if pairs.len() < LEX_PAIRS {
        return dict::Dict::default();
    }
    dict::Dict::learn(&pairs, LEX_MIN, LEX_DICE)
}

/// Aligns `src` with `tgt`. Every segment of both sides appears in exactly
/// one returned link, in document order.
pub fn align(src: &[Segment], tgt: &[Segment], opts: &Options) -> Vec<Link> {
    let (n, m) = (src.len(), tgt.len());
    if n == 0 || m == 0 {
        let one = |k: usize, is_src: bool| Link {
            src: if is_src { vec![k] } else { vec![] },
            tgt: if is_src { vec![] } else { vec![k] },
            confidence: 1.0,
        };
        return (0..n)
            .map(|k| one(k, true))
            .chain((0..m).map(|k| one(k, false)))
            .collect();
    }
    let (cap_s, cap_t) = (capital_rate(src), capital_rate(tgt));
    let ex = |lang: &str, own: f64, other: f64| Extract {
        lowercase_words: true,
        capitalised_nouns: capitalises_nouns(lang, own, other),
    };
    let (ex_s, ex_t) = (
        ex(&opts.src_lang, cap_s, cap_t),
        ex(&opts.tgt_lang, cap_t, cap_s),
    );
    let dicts: Vec<&dict::Dict> = opts.dict.as_deref().into_iter().collect();
    let (s, t) = sides(src, tgt, ex_s, ex_t, &dicts);
    let paragraphs = s.para.last() != s.para.first() || t.para.last() != t.para.first();
    let tuned = &opts.params;
    let no_capitals = ex_s.capitalised_nouns != ex_t.capitalised_nouns;
    let full = (n + 1) * (m + 1) <= FULL_MATRIX;
    let slope = (m / n).max(n / m) + 1;
    let model = Model::new(
        &s,
        &t,
        tuned,
        ((t.len[m] / s.len[n]).clamp(0.05, 20.0), VAR_PRIOR),
        paragraphs,
        no_capitals,
    );
    let (first, ratio, var, last) = first_pass(model, full, slope, ESTIMATE_ROUNDS, None);
    // Words that the first path's 1:1 links pair again and again are
    // translations (a dictionary learnt from the document itself, as
    // Moore's and hunalign's second passes do): search again with them.
    let lexicon = learn_lexicon(src, tgt, &first.links);
    let learnt = !lexicon.is_empty();
    let s2t2;
    let (s, t, first, ratio, var, last) = if learnt {
        s2t2 = with_lexicon(&s, &t, src, tgt, &lexicon);
        let model = Model::new(
            &s2t2.0,
            &s2t2.1,
            tuned,
            (ratio, var),
            paragraphs,
            no_capitals,
        );
        let (first, ratio, var, last) = first_pass(model, full, slope, 1, Some(&first.links));
        (&s2t2.0, &s2t2.1, first, ratio, var, last)
    } else {
        (&s, &t, first, ratio, var, last)
    };
    let model = Model::new(s, t, tuned, (ratio, var), paragraphs, no_capitals);
    // Pass 2: around the first path, with posteriors.
    let rows = path_rows(&first.links, n);
    let band = dp::Band::new(&rows, if full { m + 1 } else { PASS2_WIDTH + slope }, m);
    // The last pass-1 search had the same anchors.
    let pairs = Pairs::new(s, t, &band, n, m, Some(&last));
    // A 1:0 or 0:1 link should be as surprising in a document whose true
    // links are poorly evidenced (literary de–fr text without a dictionary:
    // median 1:1 cost 0.5–1.3 nats) as in one where they are well evidenced
    // (en–ru news, with names and numbers: median −2.1–0.2): raise the cost
    // of unlinked segments by the median cost of the first path's 1:1 links.
    let mut ones: Vec<f64> = first
        .links
        .iter()
        .filter(|l| l.1 - l.0 == 1 && l.3 - l.2 == 1)
        .map(|l| model.cost(&pairs, l.1, l.3, 1, 1))
        .collect();
    ones.sort_by(f64::total_cmp);
    let med = ones.get(ones.len() / 2).copied().unwrap_or(0.0);
    let mut model = model;
    // Few links give no reliable median; the cap keeps the raise below the
    // cost of the strong signals (paragraph breaks, false splits).
    if ones.len() >= 8 {
        model.skip_extra = (SKIP_SCALE * med).clamp(0.0, SKIP_MAX);
    }
    let path = dp::search(n, m, &band, Some(opts.params.temperature), |i, j, out| {
        model.costs(&pairs, i, j, out)
    });
    let path = if path.links.is_empty() { first } else { path };
    path.links
        .iter()
        .enumerate()
        .map(|(k, &(i0, i1, j0, j1))| Link {
            src: (i0..i1).collect(),
            tgt: (j0..j1).collect(),
            confidence: path.posterior.get(k).copied().unwrap_or(0.5),
        })
        .collect()
}

/// Turns links into translation units: each link with text on both sides
/// becomes a two-variant unit (a side with several segments joined by a
/// space), with the neighbouring links' texts as context. One-sided links
/// are dropped, as are links below `min_confidence`.
pub fn to_units(
    links: &[Link],
    src: &[&str],
    tgt: &[&str],
    langs: (&str, &str),
    min_confidence: f64,
    template: &crate::model::Unit,
) -> Vec<crate::model::Unit> {
    use crate::model::Variant;
    let join =
        |ids: &[usize], texts: &[&str]| ids.iter().map(|&i| texts[i]).collect::<Vec<_>>().join(" ");
    let side_texts: Vec<(String, String)> = links
        .iter()
        .map(|l| (join(&l.src, src), join(&l.tgt, tgt)))
        .collect();
    // Context is the nearest non-empty text before/after on the same side.
    let neighbour =
        |k: usize, step: isize, pick: fn(&(String, String)) -> &String| -> Option<String> {
            let mut i = k as isize + step;
            while i >= 0 && (i as usize) < side_texts.len() {
                let t = pick(&side_texts[i as usize]);
                if !t.is_empty() {
                    return Some(t.clone());
                }
                i += step;
            }
            None
        };
    let mut out = Vec::new();
    for (k, l) in links.iter().enumerate() {
        let (s, t) = &side_texts[k];
        if s.is_empty() || t.is_empty() || l.confidence < min_confidence {
            continue;
        }
        let mut u = template.clone();
        u.variants = vec![
            Variant {
                lang: langs.0.to_string(),
                text: s.clone(),
                prev: neighbour(k, -1, |p| &p.0),
                next: neighbour(k, 1, |p| &p.0),
                ..Variant::default()
            },
            Variant {
                lang: langs.1.to_string(),
                text: t.clone(),
                prev: neighbour(k, -1, |p| &p.1),
                next: neighbour(k, 1, |p| &p.1),
                ..Variant::default()
            },
        ];
        out.push(u);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs<'a>(texts: &[&'a str]) -> Vec<Segment<'a>> {
        texts.iter().map(|t| Segment { text: t, para: 0 }).collect()
    }

    #[test]
    fn every_segment_in_one_link_in_order() {
        let src = segs(&[
            "A short one.",
            "A much longer sentence that goes on for a while.",
            "End.",
        ]);
        let tgt = segs(&[
            "Короткое.",
            "Гораздо более длинное предложение, которое тянется долго.",
            "Конец.",
        ]);
        let links = align(&src, &tgt, &Options::default());
        let s: Vec<usize> = links.iter().flat_map(|l| l.src.clone()).collect();
        let t: Vec<usize> = links.iter().flat_map(|l| l.tgt.clone()).collect();
        assert_eq!(s, [0, 1, 2]);
        assert_eq!(t, [0, 1, 2]);
        assert!(links.iter().all(|l| (0.0..=1.0).contains(&l.confidence)));
    }

    #[test]
    fn units_carry_context_and_skip_one_sided_links() {
        let links = vec![
            Link {
                src: vec![0],
                tgt: vec![0],
                confidence: 0.9,
            },
            Link {
                src: vec![1],
                tgt: vec![],
                confidence: 0.9,
            },
            Link {
                src: vec![2, 3],
                tgt: vec![1],
                confidence: 0.8,
            },
        ];
        let units = to_units(
            &links,
            &["A.", "B.", "C.", "D."],
            &["А.", "В Г."],
            ("en", "ru"),
            0.0,
            &Default::default(),
        );
        assert_eq!(units.len(), 2);
        assert_eq!(units[1].variants[0].text, "C. D.");
        assert_eq!(units[1].variants[0].prev.as_deref(), Some("B."));
        assert_eq!(units[1].variants[1].prev.as_deref(), Some("А."));
        assert_eq!(units[0].variants[0].next.as_deref(), Some("B."));
        assert!(
            to_units(
                &links,
                &["A.", "B.", "C.", "D."],
                &["А.", "В Г."],
                ("en", "ru"),
                0.85,
                &Default::default()
            )
            .len()
                == 1
        );
    }

    /// The memo of length costs gives, bit for bit, the costs computed in
    /// full: at every node of two sides of irregular lengths (empty
    /// segments too), with the memo empty and then full, and under the
    /// statistics a search sets later; lengths it has no cell for are
    /// computed.
    #[test]
    fn length_cost_memo_is_exact() {
        let src: Vec<String> = (0..40).map(|k| "a".repeat(k * 37 % 61 + 1)).collect();
        let tgt: Vec<String> = (0..45).map(|k| "б ".repeat(k * 53 % 97)).collect();
        let (src, tgt) = (
            segs(&src.iter().map(String::as_str).collect::<Vec<_>>()),
            segs(&tgt.iter().map(String::as_str).collect::<Vec<_>>()),
        );
        let (s, t) = sides(&src, &tgt, Extract::default(), Extract::default(), &[]);
        let (n, m) = (src.len(), tgt.len());
        let rows: Vec<(usize, usize)> = (0..=n).map(|_| (0, m)).collect();
        let band = dp::Band::new(&rows, m + 1, m);
        let pairs = Pairs::new(&s, &t, &band, n, m, None);
        let p = Params::default();
        let mut memo = Model::new(&s, &t, &p, (1.3, VAR_PRIOR), false, false);
        let mut full = Model::new(&s, &t, &p, (1.3, VAR_PRIOR), false, false);
        for (ratio, var) in [(1.3, VAR_PRIOR), (0.77, 2.5), (2.9, 12.0)] {
            memo.set_stats(ratio, var);
            full.set_stats(ratio, var);
            full.drop_memo(ratio, var);
            assert!(memo.memo.valid_for(ratio, var).is_some());
            assert!(full.memo.cells.is_empty());
            for _ in 0..2 {
                for i in 0..=n {
                    for j in 0..=m {
                        let (mut a, mut b) = ([0.0; dp::SHAPES.len()], [0.0; dp::SHAPES.len()]);
                        memo.costs(&pairs, i, j, &mut a);
                        full.costs(&pairs, i, j, &mut b);
                        assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits), "({i}, {j})");
                    }
                }
            }
            assert!(
                memo.memo
                    .cells
                    .iter()
                    .any(|c| c.load(std::sync::atomic::Ordering::Relaxed) != 0)
            );
        }
        // No cell: computed.
        assert_eq!(memo.memo.get(u32::MAX, 0, || 1.5), 1.5);
        let past = memo.memo.cells.len() as u32;
        assert_eq!(memo.memo.get(0, past, || 2.5), 2.5);
        assert_eq!(LenMemo::none().get(0, 0, || 3.5), 3.5);
        assert_eq!(memo_index(3.0), 3);
        for x in [3.5, -1.0, f64::NAN, 1e20, f64::INFINITY] {
            assert_eq!(memo_index(x), u32::MAX, "{x}");
        }
    }

    #[test]
    fn false_splits_are_recognised() {
        assert!(glued("It was founded by Thomas J.", "Watson in 1911."));
        assert!(glued("The talks with Mr.", "Smith ended."));
        assert!(glued("Встреча прошла в г.", "Москве."));
        assert!(glued("He said it was", "over, and left."));
        assert!(!glued("The talks ended.", "Smith left."));
        assert!(!glued("", ""));
        assert!(!glued("Der Gipfel misst 8603 m.", "Die neue Kote folgt."));
        assert!(glued("Das Buch von M.", "Franco erschien."));
        assert!(!glued("Diesmal muss ich reagieren ;", "los , auf !"));
        assert!(!glued(
            "Il y a trois sources d'erreurs:",
            "la réfraction, la déviation."
        ));
    }

    #[test]
    fn noun_capitalising_sides_are_recognised() {
        assert!(capitalises_nouns("de", 0.0, 0.0));
        assert!(capitalises_nouns("de-CH", 0.0, 0.0));
        assert!(!capitalises_nouns("en", 0.4, 0.05));
        // Unknown tags: by the capital rates of the two sides.
        assert!(capitalises_nouns("xx", 0.3, 0.05));
        assert!(!capitalises_nouns("xx", 0.12, 0.08));
        let de = segs(&["Wir sahen den Berg und die Hütte im Nebel."]);
        let fr = segs(&["Nous vîmes la montagne et la cabane dans le brouillard."]);
        assert!(capital_rate(&de) > 0.3);
        assert_eq!(capital_rate(&fr), 0.0);
    }

    #[test]
    fn counts_see_commas_capitals_quotes_brackets_dashes() {
        let c = counts("Yes, said Anna Smith, \"it is (mostly) done\" - maybe.");
        assert_eq!(c, [2.0, 2.0, 1.0, 1.0, 1.0]);
        // The first word is not counted as a capitalised word.
        assert_eq!(counts("Anna left.")[1], 0.0);
    }

    #[test]
    fn length_statistics_come_from_the_path() {
        // Target segments are twice as long as source ones.
        let src: Vec<String> = (0..12).map(|k| "x".repeat(20 + k)).collect();
        let tgt: Vec<String> = (0..12).map(|k| "y".repeat(2 * (20 + k))).collect();
        let (s, t): (Vec<Segment>, Vec<Segment>) = (
            src.iter().map(|x| Segment { text: x, para: 0 }).collect(),
            tgt.iter().map(|x| Segment { text: x, para: 0 }).collect(),
        );
        let (a, b) = (
            Side::new(&s, Extract::default(), &[], true),
            Side::new(&t, Extract::default(), &[], false),
        );
        let links: Vec<(usize, usize, usize, usize)> =
            (0..12).map(|k| (k, k + 1, k, k + 1)).collect();
        let (ratio, var) = estimate(&a, &b, &links, 1.0, VAR_PRIOR);
        assert!((ratio - 2.0).abs() < 1e-9, "{ratio}");
        assert!((2.5..=12.0).contains(&var));
        // Too few links: the prior stays.
        assert_eq!(
            estimate(&a, &b, &links[..2], 1.0, VAR_PRIOR),
            (1.0, VAR_PRIOR)
        );
    }

    #[test]
    fn links_do_not_join_paragraphs() {
        // Lengths alone would pair the short source sentences 2:1 with the
        // long target one; the paragraph break between them forbids it.
        let src = [
            Segment {
                text: "Short one here.",
                para: 0,
            },
            Segment {
                text: "Another short one.",
                para: 1,
            },
            Segment {
                text: "A third sentence of some length closes the text.",
                para: 1,
            },
        ];
        let tgt = [
            Segment {
                text: "Короткое предложение и ещё одно короткое тоже.",
                para: 0,
            },
            Segment {
                text: "Третье предложение некоторой длины завершает текст.",
                para: 1,
            },
        ];
        let links = align(&src, &tgt, &Options::default());
        assert!(links.iter().all(|l| l.src.len() < 2), "{links:?}");
        let joined = align(
            &src.map(|s| Segment { para: 0, ..s }),
            &tgt.map(|s| Segment { para: 0, ..s }),
            &Options::default(),
        );
        assert_eq!(joined[0].src, [0, 1], "{joined:?}");
    }

    #[test]
    fn empty_sides() {
        assert!(align(&[], &[], &Options::default()).is_empty());
        let links = align(&segs(&["x"]), &[], &Options::default());
        assert_eq!(
            links,
            vec![Link {
                src: vec![0],
                tgt: vec![],
                confidence: links[0].confidence
            }]
        );
    }
}
