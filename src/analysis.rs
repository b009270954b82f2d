//! Document analysis and pre-translation: how much of a new text the memory
//! already covers, and a draft with everything it knows filled in.
//!
//! Each segment is looked up with its neighbours (so context matches count)
//! and counted in the band of its best match's score — the same score that
//! `lookup` shows, so a segment shown at 87% is counted in 85–94. A segment
//! whose normalised text appeared earlier is a repetition instead (a
//! translator only translates it once): within the same file in
//! `repetitions`, from an earlier file in `cross-file-repetitions`. As in
//! Trados, a 100% or context match stays in its match band even when it
//! repeats: it costs the same either way, and counting it twice as cheap
//! would hide that.

use std::collections::HashSet;

use rayon::prelude::*;
use serde::Serialize;

use crate::matcher::{Match, Matcher, Options, Query};
use crate::normalize::normalize;
use crate::segment::{self, Segmenter};

/// The standard CAT analysis bands, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Band {
    /// The stored and the query's neighbours agree too (101%).
    Context,
    /// An identical source (100%).
    Exact,
    /// Best match 95–99%.
    Fuzzy95,
    /// Best match 85–94%.
    Fuzzy85,
    /// Best match 75–84%.
    Fuzzy75,
    /// Best match 50–74%.
    Fuzzy50,
    /// No match of 50% or more.
    NoMatch,
    /// The same source text seen earlier in the same file.
    Repetition,
    /// Seen in an earlier file of the same analysis.
    CrossFileRepetition,
}

impl Band {
    /// Every band, in report order.
    pub const ALL: [Band; 9] = [
        Band::Context,
        Band::Exact,
        Band::Fuzzy95,
        Band::Fuzzy85,
        Band::Fuzzy75,
        Band::Fuzzy50,
        Band::NoMatch,
        Band::Repetition,
        Band::CrossFileRepetition,
    ];

    /// The band's name in reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Band::Context => "context",
            Band::Exact => "100",
            Band::Fuzzy95 => "95-99",
            Band::Fuzzy85 => "85-94",
            Band::Fuzzy75 => "75-84",
            Band::Fuzzy50 => "50-74",
            Band::NoMatch => "no-match",
            Band::Repetition => "repetitions",
            Band::CrossFileRepetition => "cross-file-repetitions",
        }
    }

    /// The band of a best-match score (`None`: no match at all). Bands are
    /// half-open: 94.99 is in 85–94, 95.0 in 95–99.
    pub fn of_score(score: Option<f64>) -> Band {
        match score {
            Some(s) if s > 100.0 => Band::Context,
            Some(s) if s >= 100.0 => Band::Exact,
            Some(s) if s >= 95.0 => Band::Fuzzy95,
            Some(s) if s >= 85.0 => Band::Fuzzy85,
            Some(s) if s >= 75.0 => Band::Fuzzy75,
            Some(s) if s >= 50.0 => Band::Fuzzy50,
            _ => Band::NoMatch,
        }
    }
}

/// Segments, words and characters in one band.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Number of segments.
    pub segments: u64,
    /// Words (as the segment's language splits them).
    pub words: u64,
    /// Characters other than white space, as CAT tools count them.
    pub characters: u64,
}

impl Counts {
    fn add(&mut self, text: &str) {
        self.segments += 1;
        self.words += count_words(text) as u64;
        self.characters += count_characters(text) as u64;
    }

    fn merge(&mut self, o: &Counts) {
        self.segments += o.segments;
        self.words += o.words;
        self.characters += o.characters;
    }
}

/// Counts per band, indexed like [`Band::ALL`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BandCounts(pub [Counts; 9]);

impl BandCounts {
    /// The counts of one band.
    pub fn get(&self, b: Band) -> &Counts {
        &self.0[b as usize]
    }

    /// Sum over all bands.
    pub fn total(&self) -> Counts {
        let mut t = Counts::default();
        self.0.iter().for_each(|c| t.merge(c));
        t
    }

    fn merge(&mut self, o: &BandCounts) {
        for (a, b) in self.0.iter_mut().zip(o.0.iter()) {
            a.merge(b);
        }
    }
}

impl Serialize for BandCounts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(Band::ALL.len()))?;
        for b in Band::ALL {
            m.serialize_entry(b.name(), self.get(b))?;
        }
        m.end()
    }
}

/// Words as CAT tools count them: a word is a run of letters and digits,
/// which may contain an apostrophe, hyphen, or a `.`/`,` between digits
/// (`don't`, `e-mail`, `4.5`, `1,000` are one word each); punctuation alone
/// is no word. Slash- or dash-joined words (`and/or`, `2017—2018`) count
/// as separate words.
pub(crate) fn count_words(text: &str) -> usize {
    let chars: Vec<char> = text.chars().collect();
    let mut n = 0;
    let mut in_word = false;
    for (i, &c) in chars.iter().enumerate() {
        if c.is_alphanumeric() {
            if !in_word {
                n += 1;
                in_word = true;
            }
            continue;
        }
        let next_alnum = chars.get(i + 1).is_some_and(|c| c.is_alphanumeric());
        let joins = in_word
            && next_alnum
            && match c {
                '\'' | '’' | '-' | '‐' | '‑' => true,
                '.' | ',' => chars[i - 1].is_ascii_digit() && chars[i + 1].is_ascii_digit(),
                _ => false,
            };
        if !joins {
            in_word = false;
        }
    }
    n
}

/// Characters as CAT tools count them: everything but white space.
pub(crate) fn count_characters(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// One segment of an analysed file with its best match.
#[derive(Debug, Clone)]
pub struct SegmentResult {
    /// The segment's text as cut from the file.
    pub text: String,
    /// The band the segment was counted in.
    pub band: Band,
    /// The best match from the memory, if any reached the matcher's threshold.
    pub best: Option<Match>,
}

/// The analysis of one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileAnalysis {
    /// The file's name as given (reports print it).
    pub file: String,
    /// Band name → counts, flattened so a file reads like the total.
    #[serde(flatten)]
    pub bands: BandCounts,
    #[serde(skip)]
    /// Every segment in file order, with its band (not serialised).
    pub segments: Vec<SegmentResult>,
}

/// Where an [`Analyzer`] gets each segment's best match: a [`Matcher`]
/// over a local memory, or any translation memory in one language
/// direction (`tm::Directed`, which looks a file's segments up in batches,
/// so a memory on a server costs a request per thousand segments, not per
/// segment).
pub trait Lookup {
    /// The best match of each query (`None`: none at `opts.threshold` or
    /// above), in query order. A failure of the memory is an error, never
    /// "no match".
    fn best(&self, queries: &[Query<'_>], opts: &Options) -> crate::Result<Vec<Option<Match>>>;
}

impl Lookup for Matcher {
    /// The queries in parallel, on every core.
    fn best(&self, queries: &[Query<'_>], opts: &Options) -> crate::Result<Vec<Option<Match>>> {
        queries
            .par_iter()
            .map(|q| Ok(self.lookup(q, opts)?.into_iter().next()))
            .collect()
    }
}

/// Analyses files in order, remembering what it has seen for repetitions.
pub struct Analyzer<'a> {
    matcher: &'a dyn Lookup,
    segmenter: Segmenter,
    opts: Options,
    seen: HashSet<String>,
    total: BandCounts,
}

impl<'a> Analyzer<'a> {
    /// An analyser looking up with `matcher` (a [`Matcher`], or any
    /// [`Lookup`]), segmenting with `segmenter`. `opts.threshold` is lowered
    /// to 50 if higher, so the 50–74 band fills.
    pub fn new(matcher: &'a dyn Lookup, segmenter: Segmenter, opts: Options) -> Self {
        let opts = Options {
            threshold: opts.threshold.min(50.0),
            limit: 1,
            ..opts
        };
        Analyzer {
            matcher,
            segmenter,
            opts,
            seen: HashSet::new(),
            total: BandCounts::default(),
        }
    }

    /// Analyses one file's text. A store failure during a lookup is an
    /// error, never "no match".
    pub fn analyze(&mut self, file: &str, text: &str) -> crate::Result<FileAnalysis> {
        let pieces = segment::document(text, &self.segmenter);
        let segs: Vec<&str> = pieces.iter().map(|p| &text[p.range.clone()]).collect();
        let queries: Vec<Query> = (0..segs.len())
            .map(|i| Query {
                text: segs[i],
                prev: i.checked_sub(1).map(|j| segs[j]),
                next: segs.get(i + 1).copied(),
            })
            .collect();
        let best = self.matcher.best(&queries, &self.opts)?;
        if best.len() != segs.len() {
            return Err(crate::Error::Invalid(format!(
                "{file}: {} answers for {} segments",
                best.len(),
                segs.len()
            )));
        }
        let mut bands = BandCounts::default();
        let mut segments = Vec::with_capacity(segs.len());
        let mut in_file: HashSet<String> = HashSet::new();
        for (s, m) in segs.iter().zip(best) {
            let key = normalize(s);
            let by_score = Band::of_score(m.as_ref().map(|m| m.score));
            let earlier_file = !in_file.contains(&key) && self.seen.contains(&key);
            let repeated = !in_file.insert(key.clone());
            self.seen.insert(key);
            let band = match by_score {
                Band::Context | Band::Exact => by_score,
                _ if repeated => Band::Repetition,
                _ if earlier_file => Band::CrossFileRepetition,
                _ => by_score,
            };
            bands.0[band as usize].add(s);
            segments.push(SegmentResult {
                text: s.to_string(),
                band,
                best: m,
            });
        }
        self.total.merge(&bands);
        Ok(FileAnalysis {
            file: file.to_string(),
            bands,
            segments,
        })
    }

    /// Counts over every file analysed so far.
    pub fn total(&self) -> &BandCounts {
        &self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_counting_rules() {
        assert_eq!(count_words("Don't use e-mail, he said."), 5);
        assert_eq!(count_words("It costs 4.5 billion or 1,000 roubles."), 7);
        assert_eq!(count_words("«Да», — сказал он."), 3);
        assert_eq!(count_words(" — ... !"), 0);
        assert_eq!(count_words("and/or 2017—2018"), 4);
        assert_eq!(count_characters("a b\tc"), 3);
    }

    #[test]
    fn band_boundaries_are_half_open() {
        assert_eq!(Band::of_score(Some(101.0)), Band::Context);
        assert_eq!(Band::of_score(Some(100.0)), Band::Exact);
        assert_eq!(Band::of_score(Some(99.9)), Band::Fuzzy95);
        assert_eq!(Band::of_score(Some(95.0)), Band::Fuzzy95);
        assert_eq!(Band::of_score(Some(94.9)), Band::Fuzzy85);
        assert_eq!(Band::of_score(Some(85.0)), Band::Fuzzy85);
        assert_eq!(Band::of_score(Some(84.9)), Band::Fuzzy75);
        assert_eq!(Band::of_score(Some(75.0)), Band::Fuzzy75);
        assert_eq!(Band::of_score(Some(74.9)), Band::Fuzzy50);
        assert_eq!(Band::of_score(Some(50.0)), Band::Fuzzy50);
        assert_eq!(Band::of_score(Some(49.9)), Band::NoMatch);
        assert_eq!(Band::of_score(None), Band::NoMatch);
    }
}

/// Match bands as the user sets them (`--bands 100,95,85,75,50`): the
/// lower bound of each fuzzy band, best first, starting with 100 (exact).
/// A score below the last bound is no match.
#[derive(Debug, Clone, PartialEq)]
pub struct Bands {
    bounds: Vec<f64>,
}

impl Default for Bands {
    /// The bands of [`Band`]: 100, 95, 85, 75, 50.
    fn default() -> Self {
        Bands {
            bounds: vec![100.0, 95.0, 85.0, 75.0, 50.0],
        }
    }
}

impl Bands {
    /// Parses `100,95,85,75,50`: strictly decreasing percentages, the first
    /// 100, the rest above 0.
    pub fn parse(s: &str) -> crate::Result<Bands> {
        let bad = |why: &str| {
            crate::Error::Invalid(format!(
                "bands {s:?}: {why} (expected decreasing percentages starting at 100, like 100,95,85,75,50)"
            ))
        };
        let bounds: Vec<f64> = s
            .split(',')
            .map(|p| p.trim().trim_end_matches('%').parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| bad("not a number"))?;
        if bounds.first() != Some(&100.0) {
            return Err(bad("the first band must be 100"));
        }
        // Written so that NaN fails too.
        let decreasing = bounds.windows(2).all(|w| w[1] < w[0]);
        let positive = bounds.iter().all(|b| *b > 0.0);
        if !decreasing || !positive {
            return Err(bad(
                "each band must be lower than the one before, and above 0",
            ));
        }
        Ok(Bands { bounds })
    }

    /// The lowest score any band takes (the lookup threshold it needs).
    pub fn lowest(&self) -> f64 {
        self.bounds.last().copied().unwrap_or(100.0)
    }

    /// Every band name in report order: `context`, `100`, the fuzzy bands
    /// (`95-99`, ...), `no-match`, `repetitions`, `cross-file-repetitions`.
    pub fn names(&self) -> Vec<String> {
        let mut out = vec!["context".to_string(), "100".to_string()];
        for w in self.bounds.windows(2) {
            let upper = w[0] - 1.0;
            out.push(format!(
                "{}-{}",
                fmt_bound(w[1]),
                fmt_bound(upper.max(w[1]))
            ));
        }
        out.extend(["no-match", "repetitions", "cross-file-repetitions"].map(String::from));
        out
    }

    /// Which of [`Bands::names`] a segment falls in.
    fn index(&self, s: &SegmentResult) -> usize {
        let n = self.bounds.len();
        match s.band {
            Band::Context => 0,
            Band::Exact => 1,
            Band::Repetition => n + 2,
            Band::CrossFileRepetition => n + 3,
            _ => {
                let score = s.best.as_ref().map(|m| m.score).unwrap_or(-1.0);
                (1..n)
                    .find(|&i| score >= self.bounds[i])
                    .map(|i| i + 1)
                    .unwrap_or(n + 1)
            }
        }
    }

    /// Counts per band of `segments`, in [`Bands::names`] order.
    pub fn tally(&self, segments: &[SegmentResult]) -> Vec<(String, Counts)> {
        let mut counts = vec![Counts::default(); self.bounds.len() + 4];
        for s in segments {
            counts[self.index(s)].add(&s.text);
        }
        self.names().into_iter().zip(counts).collect()
    }
}

fn fmt_bound(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod band_tests {
    use super::*;

    fn seg(band: Band, score: Option<f64>) -> SegmentResult {
        SegmentResult {
            text: "one two".into(),
            band,
            best: score.map(|score| Match {
                score,
                ..Match::default()
            }),
        }
    }

    #[test]
    fn default_bands_are_the_fixed_ones() {
        let names = Bands::default().names();
        let fixed: Vec<&str> = Band::ALL.iter().map(|b| b.name()).collect();
        assert_eq!(names, fixed);
    }

    #[test]
    fn custom_bands_rebucket_fuzzy_scores_only() {
        let b = Bands::parse("100, 90, 70").unwrap();
        assert_eq!(
            b.names(),
            [
                "context",
                "100",
                "90-99",
                "70-89",
                "no-match",
                "repetitions",
                "cross-file-repetitions"
            ]
        );
        let segs = [
            seg(Band::Fuzzy85, Some(92.0)),
            seg(Band::Fuzzy75, Some(80.0)),
            seg(Band::Fuzzy50, Some(60.0)),
            seg(Band::Exact, Some(100.0)),
            seg(Band::Repetition, Some(60.0)),
            seg(Band::NoMatch, None),
        ];
        let t = b.tally(&segs);
        let n: Vec<u64> = t.iter().map(|(_, c)| c.segments).collect();
        assert_eq!(n, [0, 1, 1, 1, 2, 1, 0]);
        assert_eq!(t[2].1.words, 2);
        assert_eq!(b.lowest(), 70.0);
        for bad in ["95,85", "100,100", "100,80,90", "100,x", "100,0", ""] {
            assert!(Bands::parse(bad).is_err(), "{bad}");
        }
    }
}
