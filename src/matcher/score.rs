//! The similarity formula: edit distance on a matching *key*.
//!
//! The key of a text is its [`normalize`]d form cut into tokens (runs of
//! letters and digits), with punctuation dropped and every number replaced
//! by `#`. Differences the key hides (case, punctuation, numbers, inline
//! tags) are charged separately as visible penalties (see
//! [`super::penalty`]), which is how CAT tools score them.
//!
//! On two keys, with `c` the character-level Levenshtein similarity
//! `1 - d / max(len)` and `w` the same on word sequences, the base score is
//! `100 · ((1 - α) · c + α · w)` with `α = 0.5 · min(1, (n - 1) / 4)` and `n`
//! the larger word count: a one-word segment is judged on its letters alone,
//! from five words on characters and words weigh the same.

use crate::normalize::normalize;

/// One token of a normalised text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    /// The token as it appears in the text it was cut from.
    pub text: &'a str,
    /// Byte range in that text.
    pub start: usize,
    /// End of the byte range (exclusive).
    pub end: usize,
    /// All digits (with `.,:/-` between digits): a placeable number.
    pub number: bool,
}

/// Cuts `text` into letter/digit runs. Separators `.,:/-` stay inside a
/// run when digits stand on both sides, so `4.5`, `29.05.2024` and `12:30`
/// are one number each.
pub(crate) fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].1.is_alphanumeric() {
            i += 1;
            continue;
        }
        let start = chars[i].0;
        let mut j = i;
        let mut digits_only = true;
        while j < chars.len() {
            let c = chars[j].1;
            if c.is_alphanumeric() {
                digits_only &= c.is_ascii_digit();
                j += 1;
            } else if matches!(c, '.' | ',' | ':' | '/' | '-')
                && j > i
                && chars[j - 1].1.is_ascii_digit()
                && chars.get(j + 1).is_some_and(|n| n.1.is_ascii_digit())
            {
                j += 1;
            } else {
                break;
            }
        }
        let end = chars.get(j).map_or(text.len(), |c| c.0);
        let tok = &text[start..end];
        out.push(Token {
            text: tok,
            start,
            end,
            number: digits_only && tok.starts_with(|c: char| c.is_ascii_digit()),
        });
        i = j;
    }
    out
}

/// The matching key of a text (see the module header).
pub fn key(text: &str) -> String {
    key_of_normalized(&normalize(text))
}

/// [`key`] for text that is already normalised.
pub(crate) fn key_of_normalized(norm: &str) -> String {
    let mut out = String::with_capacity(norm.len());
    for t in tokens(norm) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(if t.number { "#" } else { t.text });
    }
    out
}

/// FNV-1a: a fast, stable hash for words (stable because index files keep it).
pub(crate) fn hash_word(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// A key prepared for repeated comparison.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The key's characters, for the character-level edit distance.
    pub chars: Vec<char>,
    /// Hashes of the key's space-separated words, for the word-level distance.
    pub words: Vec<u64>,
}

impl Prepared {
    /// Prepares a normalised key.
    pub fn new(key: &str) -> Prepared {
        Prepared {
            chars: key.chars().collect(),
            words: if key.is_empty() {
                Vec::new()
            } else {
                key.split(' ').map(hash_word).collect()
            },
        }
    }
}

/// Weight of the word-level similarity for segments of up to `n` words.
fn alpha(n: usize) -> f64 {
    0.5 * ((n.max(1) - 1) as f64 / 4.0).min(1.0)
}

fn ratio(a: usize, b: usize) -> f64 {
    if a.max(b) == 0 {
        1.0
    } else {
        a.min(b) as f64 / a.max(b) as f64
    }
}

/// Upper bound of [`base`] from the lengths alone: edit distance is at least
/// the length difference. Lossless, so it can prune without changing results.
pub fn bound(q_chars: usize, q_words: usize, s_chars: usize, s_words: usize) -> f64 {
    let a = alpha(q_words.max(s_words));
    100.0 * ((1.0 - a) * ratio(q_chars, s_chars) + a * ratio(q_words, s_words))
}

/// Upper bound of [`base`] from the lengths and `shared`, a number at least
/// the count of the query's words (with repeats) that the stored key holds:
/// the word edit distance is at least the longer length less the words the
/// two can align, and they align no more words than they share. Like
/// [`bound`] it is lossless; it is never above it.
pub fn bound_shared(
    q_chars: usize,
    q_words: usize,
    s_chars: usize,
    s_words: usize,
    shared: usize,
) -> f64 {
    let n = q_words.max(s_words);
    let a = alpha(n);
    let words = if n == 0 {
        1.0
    } else {
        shared.min(q_words.min(s_words)) as f64 / n as f64
    };
    100.0 * ((1.0 - a) * ratio(q_chars, s_chars) + a * words)
}

/// Base similarity of two prepared keys, 0..=100 (100 only for equal keys).
/// Returns `None` early when the score cannot reach `cutoff`.
pub fn base(q: &Prepared, s: &Prepared, cutoff: f64) -> Option<f64> {
    if q.chars == s.chars {
        return Some(100.0);
    }
    let n = q.words.len().max(s.words.len());
    let a = alpha(n);
    let word_sim = 1.0 - strsim::generic_levenshtein(&q.words, &s.words) as f64 / n.max(1) as f64;
    // The character term can be no better than the length ratio.
    let best = 100.0 * ((1.0 - a) * ratio(q.chars.len(), s.chars.len()) + a * word_sim);
    if best < cutoff {
        return None;
    }
    let lc = q.chars.len().max(s.chars.len()).max(1);
    let char_sim = 1.0 - strsim::generic_levenshtein(&q.chars, &s.chars) as f64 / lc as f64;
    let s = 100.0 * ((1.0 - a) * char_sim + a * word_sim);
    // Differing keys never reach 100, however long the text.
    Some(s.min(99.0))
}

/// The query side of [`base_fast`]: the key's characters as bit masks
/// (Myers' bit-parallel edit distance, in Hyyrö's blocked form), so each
/// candidate costs one pass over its characters instead of a full table.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// Length in characters.
    m: usize,
    blocks: usize,
    /// Masks of ASCII characters, `blocks` words each.
    ascii: Vec<u64>,
    other: std::collections::HashMap<char, Vec<u64>>,
    /// Hashes of the key's space-separated words, for the word-level distance.
    pub words: Vec<u64>,
    word_masks: std::collections::HashMap<u64, Vec<u64>, std::hash::BuildHasherDefault<Identity>>,
}

/// Hasher for keys that are already hashes (word hashes): passes them on.
#[derive(Default)]
pub(crate) struct Identity(u64);

impl std::hash::Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl Pattern {
    /// Builds the bit masks of a normalised key.
    pub fn new(key: &str) -> Pattern {
        let chars: Vec<char> = key.chars().collect();
        let m = chars.len();
        let blocks = m.div_ceil(64).max(1);
        let mut p = Pattern {
            m,
            blocks,
            ascii: vec![0; 128 * blocks],
            other: std::collections::HashMap::new(),
            words: Prepared::new(key).words,
            word_masks: Default::default(),
        };
        let wb = p.words.len().div_ceil(64).max(1);
        for (i, w) in p.words.iter().enumerate() {
            p.word_masks.entry(*w).or_insert_with(|| vec![0; wb])[i / 64] |= 1u64 << (i % 64);
        }
        for (i, c) in chars.iter().enumerate() {
            let (b, bit) = (i / 64, 1u64 << (i % 64));
            if c.is_ascii() {
                p.ascii[*c as usize * blocks + b] |= bit;
            } else {
                p.other.entry(*c).or_insert_with(|| vec![0; blocks])[b] |= bit;
            }
        }
        p
    }

    /// Length in characters.
    pub fn chars(&self) -> usize {
        self.m
    }

    fn masks(&self, c: char) -> Option<&[u64]> {
        if c.is_ascii() {
            let at = c as usize * self.blocks;
            self.ascii.get(at..at + self.blocks)
        } else {
            self.other.get(&c).map(Vec::as_slice)
        }
    }

    /// Levenshtein distance between the pattern and `text` (in characters);
    /// equal to `strsim::levenshtein`, which the tests check.
    pub fn distance(&self, text: &str) -> usize {
        myers(
            self.m,
            self.blocks,
            |c| self.masks(c),
            text.chars(),
            0,
            usize::MAX,
        )
    }

    /// [`Pattern::distance`] to a text of `n` characters, or some value
    /// above `limit` once the distance must exceed it.
    fn distance_within(&self, text: &str, n: usize, limit: usize) -> usize {
        myers(
            self.m,
            self.blocks,
            |c| self.masks(c),
            text.chars(),
            n,
            limit,
        )
    }

    /// Levenshtein distance between the pattern's words and `words`; equal
    /// to `strsim::generic_levenshtein` on the word hashes.
    pub fn word_distance(&self, words: &[u64]) -> usize {
        myers(
            self.words.len(),
            self.words.len().div_ceil(64).max(1),
            |w| self.word_masks.get(&w).map(Vec::as_slice),
            words.iter().copied(),
            0,
            usize::MAX,
        )
    }
}

/// Blocks of the pattern kept on the stack (512 characters): a heap
/// allocation per call was a measurable part of scoring 400 candidates.
const STACK_BLOCKS: usize = 8;

/// Myers' bit-parallel Levenshtein distance in Hyyrö's blocked form (as in
/// edlib): `masks(c)` gives, per 64-symbol block of the pattern (length `m`),
/// the positions holding symbol `c`. `text` holds `n` symbols; once the
/// distance must exceed `limit` (each symbol left can lower it by one at
/// most), the scan stops and returns a value above `limit`, not the
/// distance.
fn myers<'p, T>(
    m: usize,
    nb: usize,
    masks: impl Fn(T) -> Option<&'p [u64]>,
    text: impl Iterator<Item = T>,
    n: usize,
    limit: usize,
) -> usize {
    if m == 0 {
        return text.count();
    }
    let (mut stack_p, mut stack_m) = ([!0u64; STACK_BLOCKS], [0u64; STACK_BLOCKS]);
    let (mut heap_p, mut heap_m);
    let (pv, mv): (&mut [u64], &mut [u64]) = if nb <= STACK_BLOCKS {
        (&mut stack_p[..nb], &mut stack_m[..nb])
    } else {
        heap_p = vec![!0u64; nb];
        heap_m = vec![0u64; nb];
        (&mut heap_p, &mut heap_m)
    };
    let last = 1u64 << ((m - 1) % 64);
    let mut dist = m as i64;
    let mut left = n as i64;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    for c in text {
        let eqs = masks(c);
        // Horizontal delta entering the block from above: row 0 grows by 1.
        let mut hin: i64 = 1;
        for b in 0..nb {
            let mut eq = eqs.map_or(0, |e| e[b]);
            let (p, n) = (pv[b], mv[b]);
            let xv = eq | n;
            if hin < 0 {
                eq |= 1;
            }
            let xh = ((eq & p).wrapping_add(p) ^ p) | eq;
            let mut ph = n | !(xh | p);
            let mut mh = p & xh;
            let hi = if b + 1 == nb { last } else { 1 << 63 };
            let hout = if ph & hi != 0 {
                1
            } else if mh & hi != 0 {
                -1
            } else {
                0
            };
            ph <<= 1;
            mh <<= 1;
            if hin < 0 {
                mh |= 1;
            } else if hin > 0 {
                ph |= 1;
            }
            pv[b] = mh | !(xv | ph);
            mv[b] = ph & xv;
            hin = hout;
        }
        dist += hin;
        left -= 1;
        if dist - left.max(0) > limit {
            return limit.saturating_add(1).max(0) as usize;
        }
    }
    dist.max(0) as usize
}

/// [`base`] computed with the bit-parallel [`Pattern`]; same result.
/// `words` is scratch space for the candidate's word hashes.
pub fn base_fast(
    q: &Pattern,
    key: &str,
    chars: usize,
    words: &mut Vec<u64>,
    cutoff: f64,
) -> Option<f64> {
    words.clear();
    if !key.is_empty() {
        words.extend(key.split(' ').map(hash_word));
    }
    base_hashed(q, key, chars, words, cutoff)
}

/// [`base_fast`] with the key's word hashes given (`hash_word` of each of
/// its words, as the index writes them out with the key).
pub(crate) fn base_hashed(
    q: &Pattern,
    key: &str,
    chars: usize,
    words: &[u64],
    cutoff: f64,
) -> Option<f64> {
    if chars == q.m && *words == q.words && q.distance(key) == 0 {
        return Some(100.0);
    }
    let n = q.words.len().max(words.len());
    let a = alpha(n);
    let word_sim = 1.0 - q.word_distance(words) as f64 / n.max(1) as f64;
    let best = 100.0 * ((1.0 - a) * ratio(q.m, chars) + a * word_sim);
    if best < cutoff {
        return None;
    }
    let lc = q.m.max(chars).max(1);
    // The most character edits that can still reach `cutoff`, with a
    // margin of one for rounding: the scan stops past it (most candidates
    // fail, and their scan ends early).
    let need = (cutoff / 100.0 - a * word_sim) / (1.0 - a);
    let limit = if need.is_finite() {
        ((1.0 - need) * lc as f64).max(0.0).ceil() as usize + 1
    } else {
        usize::MAX
    };
    let d = q.distance_within(key, chars, limit);
    if d > limit {
        return None;
    }
    let char_sim = 1.0 - d as f64 / lc as f64;
    Some((100.0 * ((1.0 - a) * char_sim + a * word_sim)).min(99.0))
}

/// Rounds a score for display (one decimal).
pub(crate) fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_masked_and_punctuation_dropped() {
        assert_eq!(
            key("On 29.05.2024, prices rose 4.5%!"),
            "on # prices rose #"
        );
        assert_eq!(key("Цена — 4,5 рубля."), "цена # рубля");
        assert_eq!(key("COVID-19 cases"), "covid # cases");
    }

    #[test]
    fn tokens_mark_numbers_and_offsets() {
        let t = tokens("a 12:30 b2");
        assert_eq!(t.len(), 3);
        assert!(t[1].number && t[1].text == "12:30" && t[1].start == 2);
        assert!(!t[2].number);
    }

    #[test]
    fn bound_is_an_upper_bound() {
        let q = Prepared::new(&key("the cat sat on the mat"));
        let s = Prepared::new(&key("a cat sat on a big mat today"));
        let b = base(&q, &s, 0.0).unwrap_or(0.0);
        assert!(b <= bound(q.chars.len(), q.words.len(), s.chars.len(), s.words.len()) + 1e-9);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// The candidate filter stops at the first bound below its cut-off,
        /// so a bound under the true score would lose a match. Words come
        /// from a small vocabulary so that keys share and repeat them.
        #[test]
        fn shared_bound_is_an_upper_bound_and_below_the_length_bound(
            q in proptest::collection::vec(0usize..6, 0..12),
            s in proptest::collection::vec(0usize..6, 0..12),
        ) {
            const W: [&str; 6] = ["a", "cat", "sat", "on", "mat", "#"];
            let qk = q.iter().map(|&i| W[i]).collect::<Vec<_>>().join(" ");
            let sk = s.iter().map(|&i| W[i]).collect::<Vec<_>>().join(" ");
            let (pq, ps) = (Prepared::new(&qk), Prepared::new(&sk));
            // What the index counts: each query word the key holds, with
            // the query's repeats.
            let shared = q.iter().filter(|i| s.contains(i)).count();
            let ub = bound_shared(pq.chars.len(), pq.words.len(), ps.chars.len(), ps.words.len(), shared);
            let b = base(&pq, &ps, 0.0).unwrap_or(0.0);
            proptest::prop_assert!(b <= ub + 1e-9, "{qk:?} vs {sk:?}: {b} > {ub}");
            let lb = bound(pq.chars.len(), pq.words.len(), ps.chars.len(), ps.words.len());
            proptest::prop_assert!(ub <= lb + 1e-9);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// A bounded scan gives the distance when it is within the limit,
        /// and a value above the limit otherwise, whatever the lengths
        /// (patterns of several 64-character blocks included).
        #[test]
        fn bounded_distance_is_exact_within_its_limit(
            a in "[abц ]{0,150}",
            b in "[abц ]{0,150}",
            limit in 0usize..160,
        ) {
            let p = Pattern::new(&a);
            let d = strsim::levenshtein(&a, &b);
            let got = p.distance_within(&b, b.chars().count(), limit);
            if d <= limit {
                proptest::prop_assert_eq!(got, d);
            } else {
                proptest::prop_assert!(got > limit, "{} <= {}", got, limit);
            }
        }
    }

    #[test]
    fn bit_parallel_distance_equals_strsim() {
        let long = "а".repeat(70) + " the end of a very long segment that spans blocks";
        for (a, b) in [
            ("", "abc"),
            ("kitten", "sitting"),
            ("привет мир", "привет, мир!"),
            (long.as_str(), "the end of a segment"),
            ("the end of a segment", long.as_str()),
        ] {
            assert_eq!(
                Pattern::new(a).distance(b),
                strsim::levenshtein(a, b),
                "{a:?} {b:?}"
            );
            let (pa, pb) = (Prepared::new(a), Prepared::new(b));
            assert_eq!(
                Pattern::new(a).word_distance(&pb.words),
                strsim::generic_levenshtein(&pa.words, &pb.words),
                "{a:?} {b:?}"
            );
        }
    }

    #[test]
    fn one_word_scores_on_letters() {
        let q = Prepared::new("colour");
        let s = Prepared::new("color");
        let b = base(&q, &s, 0.0).unwrap_or(0.0);
        assert!(b > 80.0 && b < 99.0, "{b}");
    }
}
