//! Orthographic and abbreviation evidence learnt from a memory's own text
//! (issue 26): Punkt's statistics, gathered from segments that are already
//! sentences, so a word's position (opening the sentence or inside it) is
//! known rather than guessed.
//!
//! [`Evidence::learn`] counts, for each word type (its lowercase form), how
//! often it is seen capitalised or lowercase where a segment opens and
//! inside a segment, and how often it carries a full stop (at the end of
//! the segment, or inside it with more text after). [`Evidence::learnt`]
//! turns the counts into word sets that the built-in rules consult besides
//! their built-in lists (see `rules::natives_with`); the thresholds are
//! conservative (see [`Thresholds`]) because the memory may hold fragments,
//! headings and multi-sentence segments.

use std::collections::HashMap;

use super::native::WordSet;

/// Counts of one word type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Counts {
    /// Opening a segment (after opening quotes, brackets or dashes only),
    /// capitalised / lowercase.
    init_upper: u32,
    init_lower: u32,
    /// Inside a segment, right after a word, a number or a comma (never
    /// after a stop, a colon or a quote, where a capital proves nothing),
    /// capitalised / lowercase.
    mid_upper: u32,
    mid_lower: u32,
    /// Followed by a full stop, anywhere.
    with_period: u32,
    /// Followed by a full stop that ends the segment.
    period_final: u32,
    /// Followed by a full stop and, after white space, more text.
    period_mid: u32,
    /// ... and that text starts with a lowercase letter or a digit
    /// ("approx. five"): an abbreviation's full stop, never a sentence's.
    period_mid_low: u32,
    /// Not followed by a full stop.
    bare: u32,
    /// The first title-case form seen inside a segment ("Kvarrik").
    title: Option<String>,
}

/// Orthographic evidence of one language, learnt from its segments.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    words: HashMap<String, Counts>,
    segments: usize,
}

/// The thresholds an [`Evidence`] applies when it turns counts into words. Every decision needs
/// repeated evidence and no counter-evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// A lowercase opener: seen lowercase opening a segment this often,
    /// never capitalised inside one, never with a full stop inside one.
    pub opener_init_lower: u32,
    /// A starter: seen capitalised opening a segment this often, lowercase
    /// inside one at least once, never capitalised inside one.
    pub starter_init_upper: u32,
    /// An ordinary word: a lowercase word seen ending a segment with a full
    /// stop this often, also seen without a full stop, and never with a
    /// full stop before a lowercase word or a number inside a segment.
    pub ordinary_final: u32,
    /// A name: seen title-case inside segments this often, never lowercase.
    pub name_mid_upper: u32,
    /// An abbreviation: seen with a full stop this often, never without
    /// one, at least half the time with text after it in the segment.
    pub abbrev_with_period: u32,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            opener_init_lower: 2,
            starter_init_upper: 5,
            ordinary_final: 3,
            name_mid_upper: 2,
            abbrev_with_period: 3,
        }
    }
}

/// What a memory's evidence adds to the built-in lists.
#[derive(Default)]
pub(crate) struct Learnt {
    /// Capitalised sentence starters ("Blorp").
    pub starters: WordSet,
    /// Lowercase words that open sentences ("blorp"): the lowercase forms
    /// of the starters and the words seen opening segments in lowercase.
    pub openers: WordSet,
    /// Lowercase words that end sentences and are no abbreviation.
    pub ordinary: WordSet,
    /// Names, as seen ("Kvarrik").
    pub names: WordSet,
    /// Abbreviations, lowercase ("insp").
    pub abbrevs: Vec<String>,
}

impl std::fmt::Debug for Learnt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Learnt")
            .field("starters", &self.starters.len())
            .field("openers", &self.openers.len())
            .field("ordinary", &self.ordinary.len())
            .field("names", &self.names.len())
            .field("abbrevs", &self.abbrevs.len())
            .finish()
    }
}

impl Learnt {
    /// True when it adds nothing.
    pub fn is_empty(&self) -> bool {
        self.starters.is_empty()
            && self.openers.is_empty()
            && self.ordinary.is_empty()
            && self.names.is_empty()
            && self.abbrevs.is_empty()
    }
}

/// Characters a word is made of: the rules' `[\p{L}\p{N}_]`.
fn is_word_char(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' | '_' | 'А'..='я' | 'Ё' | 'ё' => true,
        _ if c.is_ascii() => false,
        _ => c.is_alphanumeric(),
    }
}

/// A letter's case: 1 upper, -1 lower, 0 uncased; None for a non-letter.
/// ASCII and the basic Cyrillic block are answered without Unicode tables
/// (learning a Russian sample spent most of its time in them).
fn letter_case(c: char) -> Option<i8> {
    match c {
        'A'..='Z' | 'А'..='Я' | 'Ё' => Some(1),
        'a'..='z' | 'а'..='я' | 'ё' => Some(-1),
        _ if c.is_ascii() => None,
        _ if c.is_alphabetic() => Some(if c.is_uppercase() {
            1
        } else if c.is_lowercase() {
            -1
        } else {
            0
        }),
        _ => None,
    }
}

/// Case of a word of letters: 1 title or capitalised, -1 lowercase, 0
/// neither (all capitals, mixed, uncased); None when it holds a
/// non-letter.
fn case_of(w: &str) -> Option<i8> {
    let mut cs = w.chars();
    let first = letter_case(cs.next()?)?;
    let (mut rest_upper, mut rest_lower) = (false, false);
    for c in cs {
        match letter_case(c)? {
            1 => rest_upper = true,
            -1 => rest_lower = true,
            _ => {}
        }
    }
    Some(match first {
        -1 if !rest_upper => -1,
        1 if rest_lower => 1,
        _ => 0,
    })
}

impl Evidence {
    /// An empty evidence: it changes nothing.
    pub fn new() -> Evidence {
        Evidence::default()
    }

    /// Evidence learnt from `segments`, each one sentence (or a few) of one
    /// language.
    pub fn learn<S: AsRef<str>>(segments: impl IntoIterator<Item = S>) -> Evidence {
        let mut e = Evidence::new();
        for s in segments {
            e.add(s.as_ref());
        }
        e
    }

    /// Number of segments learnt from.
    pub fn segments(&self) -> usize {
        self.segments
    }

    /// True when nothing was learnt.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Adds one segment's counts.
    pub fn add(&mut self, segment: &str) {
        let text = segment.trim();
        if text.is_empty() {
            return;
        }
        self.segments += 1;
        // Whether only opening punctuation was seen so far, and the last
        // character before the current word.
        let mut opening = true;
        let mut prev: Option<char> = None;
        let mut spaced = false;
        let mut i = 0;
        while i < text.len() {
            let Some(c) = text[i..].chars().next() else {
                break;
            };
            if !is_word_char(c) {
                if c.is_whitespace() {
                    spaced = true;
                } else {
                    if !matches!(
                        c,
                        '"' | '\'' | '«' | '“' | '„' | '‘' | '(' | '[' | '-' | '–' | '—'
                    ) {
                        opening = false;
                    }
                    prev = Some(c);
                    spaced = false;
                }
                i += c.len_utf8();
                continue;
            }
            let end = text[i..]
                .char_indices()
                .find(|&(_, c)| !is_word_char(c))
                .map_or(text.len(), |(j, _)| i + j);
            let word = &text[i..end];
            self.word(text, word, end, opening, prev, spaced);
            opening = false;
            prev = word.chars().next_back();
            spaced = false;
            i = end;
        }
    }

    fn word(
        &mut self,
        text: &str,
        word: &str,
        end: usize,
        opening: bool,
        prev: Option<char>,
        spaced: bool,
    ) {
        // Letters only (the rules cut words at any non-word character, and
        // numbers carry no case), two or more.
        if word.chars().nth(1).is_none() {
            return;
        }
        let Some(case) = case_of(word) else { return };
        // Most words are lowercase already: no allocation for those.
        let c = if case == -1 {
            if !self.words.contains_key(word) {
                self.words.insert(word.to_string(), Counts::default());
            }
            self.words.get_mut(word)
        } else {
            let key = word.to_lowercase();
            Some(self.words.entry(key).or_default())
        };
        let Some(c) = c else { return };
        if opening {
            match case {
                1 => c.init_upper += 1,
                -1 => c.init_lower += 1,
                _ => {}
            }
        } else if spaced && prev.is_some_and(|p| is_word_char(p) || p == ',') {
            match case {
                1 => {
                    c.mid_upper += 1;
                    if c.title.is_none() {
                        c.title = Some(word.to_string());
                    }
                }
                -1 => c.mid_lower += 1,
                _ => {}
            }
        }
        let rest = &text[end..];
        match rest.strip_prefix('.') {
            Some(after) => {
                c.with_period += 1;
                let tail = after.trim_start_matches(['"', '\'', '»', '”', '’', ')', ']']);
                if tail.trim().is_empty() {
                    c.period_final += 1;
                } else if tail.starts_with(char::is_whitespace) {
                    c.period_mid += 1;
                    if tail
                        .trim_start()
                        .starts_with(|n: char| n.is_lowercase() || n.is_ascii_digit())
                    {
                        c.period_mid_low += 1;
                    }
                }
            }
            None => c.bare += 1,
        }
    }

    /// The word sets this evidence adds, with the default thresholds; words
    /// `abbrevs` names (the built-in abbreviations, lowercase) are never
    /// taken for ordinary words, openers or starters.
    pub(crate) fn learnt(&self, abbrevs: &dyn Fn(&str) -> bool) -> Learnt {
        self.learnt_with(&Thresholds::default(), abbrevs)
    }

    pub(crate) fn learnt_with(&self, t: &Thresholds, abbrevs: &dyn Fn(&str) -> bool) -> Learnt {
        let mut starters = Vec::new();
        let mut openers = Vec::new();
        let mut ordinary = Vec::new();
        let mut names = Vec::new();
        let mut abbr = Vec::new();
        for (w, c) in &self.words {
            let is_abbrev = c.with_period >= t.abbrev_with_period
                && c.bare == 0
                && c.period_mid * 2 >= c.with_period
                && w.chars().count() <= 6;
            if is_abbrev {
                abbr.push(w.clone());
            }
            // A full stop inside a segment before a lowercase word or a
            // number is an abbreviation's (before a capital it may end one
            // of the segment's sentences).
            let clean = !is_abbrev && !abbrevs(w) && c.period_mid_low == 0;
            if clean && c.init_upper >= t.starter_init_upper && c.mid_upper == 0 && c.mid_lower >= 1
            {
                let mut cs = w.chars();
                if let Some(f) = cs.next() {
                    starters.push(f.to_uppercase().chain(cs).collect::<String>());
                    openers.push(w.clone());
                }
            }
            if clean && c.init_lower >= t.opener_init_lower && c.mid_upper == 0 {
                openers.push(w.clone());
            }
            if clean
                && c.period_final >= t.ordinary_final
                && c.bare >= 1
                && c.mid_upper == 0
                && c.init_upper + c.init_lower + c.mid_lower > 0
            {
                ordinary.push(w.clone());
            }
            if c.mid_upper >= t.name_mid_upper
                && c.mid_lower == 0
                && c.init_lower == 0
                && let Some(title) = &c.title
            {
                names.push(title.clone());
            }
        }
        abbr.sort();
        Learnt {
            starters: WordSet::new(starters),
            openers: WordSet::new(openers),
            ordinary: WordSet::new(ordinary),
            names: WordSet::new(names),
            abbrevs: abbr,
        }
    }
}

/// How many of a memory's newest segments of a language
/// [`Evidence::from_memory`] learns from by default.
pub const MEMORY_SAMPLE: usize = 20_000;

impl Evidence {
    /// Evidence from the newest `max` segments of `lang` (by primary
    /// language: `en` takes `en-GB`) in a memory, through the one interface
    /// every memory (file, PostgreSQL, team server) has.
    pub fn from_memory(tm: &dyn crate::tm::Tm, lang: &str, max: usize) -> crate::Result<Evidence> {
        Ok(Evidence::learn(Evidence::sample(tm, lang, max)?))
    }

    /// The texts [`Evidence::from_memory`] learns from: the newest `max`
    /// segments of `lang`'s primary language, oldest first.
    pub fn sample(
        tm: &dyn crate::tm::Tm,
        lang: &str,
        max: usize,
    ) -> crate::Result<std::collections::VecDeque<String>> {
        Ok(tm.newest_texts(lang, max)?.into())
    }

    /// What this evidence adds to `lang`'s built-in lists, counted: for
    /// reports and traces ("starters 12, openers 40, ...").
    pub fn summary(&self, lang: &str) -> String {
        let primary = crate::lang::primary_of(lang);
        let abbrevs = super::rules::builtin_abbrevs(&primary);
        let l = self.learnt(&|w| abbrevs.contains(w));
        format!(
            "starters {}, openers {}, ordinary words {}, names {}, abbreviations {}",
            l.starters.len(),
            l.openers.len(),
            l.ordinary.len(),
            l.names.len(),
            l.abbrevs.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> bool {
        false
    }

    #[test]
    fn counts_positions_and_periods() {
        let e = Evidence::learn([
            "blorp good.",
            "\"blorp, he said.",
            "We met Kvarrik at noon.",
            "Insp. Dunmore came, and Kvarrik left at noon.",
            "see you at noon",
        ]);
        assert_eq!(e.segments(), 5);
        let c = &e.words["blorp"];
        assert_eq!((c.init_lower, c.init_upper, c.mid_lower), (2, 0, 0));
        let k = &e.words["kvarrik"];
        assert_eq!(
            (k.mid_upper, k.mid_lower, k.title.as_deref()),
            (2, 0, Some("Kvarrik"))
        );
        let n = &e.words["noon"];
        assert_eq!((n.with_period, n.period_final, n.bare), (2, 2, 1));
        let i = &e.words["insp"];
        assert_eq!((i.init_upper, i.period_mid, i.bare), (1, 1, 0));
        // After an abbreviation's stop a capital proves nothing.
        assert_eq!(e.words["dunmore"].mid_upper, 0);
        assert_eq!(e.words["said"].period_final, 1);
    }

    #[test]
    fn decisions_need_repeated_evidence() {
        let one = Evidence::learn(["blorp good.", "We met Kvarrik at noon."]);
        let l = one.learnt(&none);
        assert!(l.is_empty(), "{l:?}");
        let e = Evidence::learn([
            "blorp good.",
            "blorp fine.",
            "We met Kvarrik at noon.",
            "Then Kvarrik left at noon.",
            "It was noon.",
            "noon is late",
            "Insp. Dunmore came.",
            "With Insp. Dunmore.",
            "The Insp. is here",
        ]);
        let l = e.learnt(&none);
        assert!(l.openers.contains("blorp"));
        assert!(l.names.contains("Kvarrik"));
        assert!(l.ordinary.contains("noon"));
        assert_eq!(l.abbrevs, ["insp"]);
        // A built-in abbreviation never becomes an ordinary word.
        let l = e.learnt(&|w| w == "noon");
        assert!(!l.ordinary.contains("noon"));
    }

    #[test]
    fn counter_evidence_vetoes() {
        let mut segs = vec!["blorp good."; 5];
        // Capitalised inside a sentence: a name, not an opener.
        segs.push("We saw Blorp today.");
        let l = Evidence::learn(&segs).learnt(&none);
        assert!(!l.openers.contains("blorp"));
        // A name seen lowercase is no name.
        let l = Evidence::learn(["a Kvarrik b", "a Kvarrik b", "a kvarrik b"]).learnt(&none);
        assert!(l.names.is_empty());
    }

    #[test]
    fn starters_are_capitalised_openers_written_lowercase_inside() {
        let mut segs = vec!["Zumbly we go."; 5];
        segs.push("and zumbly we go");
        let l = Evidence::learn(&segs).learnt(&none);
        assert!(l.starters.contains("Zumbly"));
        assert!(l.openers.contains("zumbly"));
    }

    #[test]
    fn cases_of_words() {
        assert_eq!(case_of("Ёлка"), Some(1));
        assert_eq!(case_of("ёлка"), Some(-1));
        assert_eq!(case_of("ЁЛКА"), Some(0));
        assert_eq!(case_of("Élan"), Some(1));
        assert_eq!(case_of("naïve"), Some(-1));
        assert_eq!(case_of("ΑΒΓ"), Some(0));
        assert_eq!(case_of("ab1"), None);
        assert_eq!(case_of("a_b"), None);
        assert!(is_word_char('ж') && is_word_char('7') && is_word_char('_'));
        assert!(!is_word_char('.') && !is_word_char('«'));
    }

    #[test]
    fn odd_text_is_harmless() {
        let e = Evidence::learn([
            "",
            "   ",
            ".",
            "...",
            "«»",
            "A",
            "x.y.z.",
            "1990-х гг.",
            "ÅÄÖ",
        ]);
        let _ = e.learnt(&none);
        assert_eq!(e.segments(), 7);
    }
}
