//! Plain code for the built-in rule halves that hold the large word lists
//! (sentence starters, learnt ordinary words, learnt names): as regexes they
//! took most of a language's start-up to compile (the ordinary-word half
//! alone 39 ms), as a hash-set lookup nothing. Each function answers exactly
//! what the wrapped pattern's `is_match_at(hay, start)` answers (the
//! `(?:before)$` or `^(?:after)` form the engine tests, see `engine`); the
//! tests compare them with the regexes. The rule sources stay as they were,
//! so `--dump-srx` and rules read back from it split the same.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex_syntax::hir::{Class, HirKind};

/// A rule half in code: `is_match_at(hay, start)` of its wrapped pattern.
/// A closure, so that a segmenter given a memory's evidence (see
/// `evidence`) can consult its own word sets.
#[derive(Clone)]
pub(crate) struct NativeFn(std::sync::Arc<NativeClosure>);

/// The code of a [`NativeFn`].
type NativeClosure = dyn Fn(&str, usize) -> bool + Send + Sync;

impl NativeFn {
    pub(crate) fn new(f: impl Fn(&str, usize) -> bool + Send + Sync + 'static) -> NativeFn {
        NativeFn(std::sync::Arc::new(f))
    }

    pub(crate) fn call(&self, hay: &str, start: usize) -> bool {
        (self.0)(hay, start)
    }
}

impl std::fmt::Debug for NativeFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NativeFn")
    }
}

/// A Unicode class as the regex crate reads it, for exact membership.
struct CharClass(Vec<(char, char)>);

impl CharClass {
    /// The ranges of a bracketed class in regex syntax, e.g. `[\p{L}\p{N}_]`.
    fn of(src: &str) -> CharClass {
        let ranges = match regex_syntax::parse(src).map(|h| h.into_kind()) {
            Ok(HirKind::Class(Class::Unicode(c))) => {
                c.ranges().iter().map(|r| (r.start(), r.end())).collect()
            }
            // The classes below are fixed and tested; never reached.
            _ => Vec::new(),
        };
        CharClass(ranges)
    }

    fn has(&self, c: char) -> bool {
        self.0
            .binary_search_by(|&(lo, hi)| {
                if hi < c {
                    std::cmp::Ordering::Less
                } else if lo > c {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
    }
}

/// `[\p{L}\p{N}_]`: what the rules' word boundaries exclude.
static WORD: LazyLock<CharClass> = LazyLock::new(|| CharClass::of(r"[\p{L}\p{N}_]"));
/// `\p{Ll}`.
static LOWER: LazyLock<CharClass> = LazyLock::new(|| CharClass::of(r"\p{Ll}"));
/// `\s`.
static SPACE: LazyLock<CharClass> = LazyLock::new(|| CharClass::of(r"\s"));

/// A word list as a set, with its longest entry in bytes.
#[derive(Default)]
pub(crate) struct WordSet {
    words: HashSet<String>,
    max_len: usize,
}

impl WordSet {
    pub(crate) fn new<S: Into<String>>(list: impl IntoIterator<Item = S>) -> WordSet {
        let words: HashSet<String> = list.into_iter().map(Into::into).collect();
        let max_len = words.iter().map(|w| w.len()).max().unwrap_or(0);
        WordSet { words, max_len }
    }

    pub(crate) fn len(&self) -> usize {
        self.words.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, w: &str) -> bool {
        self.words.contains(w)
    }

    /// True when some word of the set starts `s` and is followed by the
    /// end of `s` or by a character `stop` accepts: the regex
    /// `(?:w1|w2|...)(?:STOP|$)` anchored at the start of `s`. A word may
    /// hold a stop character ("По словам"), so every end is tried.
    fn starts(&self, s: &str, stop: impl Fn(char) -> bool) -> bool {
        if self.words.contains("") && s.chars().next().is_none_or(&stop) {
            return true;
        }
        let limit = self.max_len.min(s.len());
        for (j, c) in s.char_indices().skip(1) {
            if j > limit {
                return false;
            }
            if stop(c) && self.words.contains(&s[..j]) {
                return true;
            }
        }
        s.len() <= limit && !s.is_empty() && self.words.contains(s)
    }
}

/// `^(?:\s+...)`'s white space: the rest after at least one `\s`, or None.
/// `\s+` takes all of it: no word in these lists, and no opening quote,
/// starts with white space, so a shorter run never matches.
fn after_space(hay: &str, start: usize) -> Option<&str> {
    if start > 0 {
        return None;
    }
    let rest = hay.trim_start_matches(|c| SPACE.has(c));
    (rest.len() < hay.len()).then_some(rest)
}

/// `^(?:\s+["'«“„(]?(?:WORDS)(?:[\s,;:'’]|$))` (the `after` of `starter` in
/// `rules`).
pub(crate) fn starter_after(words: &WordSet, hay: &str, start: usize) -> bool {
    let Some(rest) = after_space(hay, start) else {
        return false;
    };
    let stop = |c: char| SPACE.has(c) || matches!(c, ',' | ';' | ':' | '\'' | '’');
    if words.starts(rest, stop) {
        return true;
    }
    match rest.chars().next() {
        Some(q @ ('"' | '\'' | '«' | '“' | '„' | '(')) => {
            words.starts(&rest[q.len_utf8()..], stop)
        }
        _ => false,
    }
}

/// `^(?:\s+(?:WORDS)(?:[^\p{L}\p{N}_.]|$))`, or with `dot` false
/// `^(?:\s+(?:WORDS)(?:[^\p{L}\p{N}_]|$))`.
pub(crate) fn word_after(words: &WordSet, dot: bool, hay: &str, start: usize) -> bool {
    let Some(rest) = after_space(hay, start) else {
        return false;
    };
    words.starts(rest, |c| !(WORD.has(c) || dot && c == '.'))
}

/// `(?:(?:^|[^\p{L}\p{N}_.'’-])(?:WORDS|\p{Ll}{7,})\.)$`, the words all of
/// `[\p{L}\p{N}_]` (a test checks): the word must be the whole run of word
/// characters before the final full stop, since the character before it may
/// not be one.
pub(crate) fn ordinary_before(words: &WordSet, hay: &str, start: usize) -> bool {
    let Some(body) = hay.strip_suffix('.') else {
        return false;
    };
    let k = body
        .char_indices()
        .rev()
        .take_while(|&(_, c)| WORD.has(c))
        .last()
        .map_or(body.len(), |(i, _)| i);
    let word = &body[k..];
    if word.is_empty() {
        return false;
    }
    let known = words.words.contains(word)
        || (word.chars().all(|c| LOWER.has(c)) && word.chars().count() >= 7);
    if !known {
        return false;
    }
    match body[..k].chars().next_back() {
        // `^`: the match starts at 0, inside the searched span only from 0.
        None => start == 0,
        Some(c) => !matches!(c, '.' | '\'' | '’' | '-') && k - c.len_utf8() >= start,
    }
}

#[cfg(test)]
mod tests {
    use super::super::engine::{Engine, Scanner};
    use super::super::rules;
    use super::*;
    use proptest::prelude::*;

    const LANGS: [&str; 10] = ["en", "ru", "de", "fr", "es", "it", "pt", "pl", "uk", ""];

    #[test]
    fn classes_parse() {
        assert!(WORD.has('a') && WORD.has('Ж') && WORD.has('_') && WORD.has('٣'));
        assert!(!WORD.has('.') && !WORD.has(' '));
        assert!(LOWER.has('ж') && !LOWER.has('Ж'));
        assert!(SPACE.has('\u{a0}') && SPACE.has('\t') && !SPACE.has('x'));
    }

    #[test]
    fn words_with_a_stop_inside_are_found() {
        let w = WordSet::new(["По", "По словам"]);
        assert!(w.starts("По словам, он", |c| c == ' ' || c == ','));
        assert!(w.starts("По", |c| c == ' '));
        assert!(!w.starts("Пост", |c| c == ' '));
    }

    #[test]
    fn every_native_half_is_a_half_of_its_rules() {
        // A native whose source no rule has would silently never run.
        for lang in ["en", "ru"] {
            let rules = rules::for_primary(lang);
            let natives = rules::natives(lang);
            assert!(!natives.is_empty());
            for n in natives {
                assert!(
                    rules.iter().any(|r| if n.before {
                        r.before == n.src
                    } else {
                        r.after == n.src
                    }),
                    "{lang}: {}",
                    &n.src[..60]
                );
            }
        }
    }

    #[test]
    fn every_builtin_pattern_compiles() {
        // The lazy engine counts a pattern that does not compile as never
        // matching; the eager one would refuse it.
        for lang in LANGS {
            let r = Engine::with_scan(
                &rules::for_primary(lang),
                Some(Scanner::Func(rules::terminator_runs)),
            );
            assert!(r.is_ok(), "{lang}: {:?}", r.err());
        }
    }

    /// Pieces the native halves look at: list words of both languages,
    /// their neighbours in case and length, quotes, stops, white space.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "The",
                "the",
                "However",
                "Analysts",
                "it",
                "said",
                "people",
                "ok",
                "sounds",
                "approx",
                "abandoned",
                "Monday",
                "Mr",
                "U.S",
                "I",
                "Он",
                "По",
                "По словам",
                "Однако",
                "Ларсон",
                "Петров",
                "Кузнецова",
                "Шевченко",
                "петров",
                "г",
                "гг",
                "н. э",
                "1990-х",
                "Рим",
                "verylongword",
                "éléphant",
                "ΑΒΓ",
                "naïve",
            ])
            .prop_map(String::from),
            prop::sample::select(vec![
                " ", "  ", "\u{a0}", "\t", ".", ". ", "!", "?", ",", ";", ":", "'", "’", "-", "\"",
                "«", "“", "„", "(", ")", "_", "1", "٣", "\u{200b}", "…", "#", "[", "x", "Ж", "ж",
            ])
            .prop_map(String::from),
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(piece(), 0..12).prop_map(|v| v.concat())
    }

    /// Each native half with the regex it stands for, compiled once.
    static NATIVES: LazyLock<Vec<(&str, super::super::engine::Native, regex::Regex)>> =
        LazyLock::new(|| {
            let mut out = Vec::new();
            for lang in ["en", "ru"] {
                for n in rules::natives(lang) {
                    let wrapped = if n.before {
                        format!("(?:{})$", n.src)
                    } else {
                        format!("^(?:{})", n.src)
                    };
                    let re = regex::Regex::new(&wrapped).unwrap();
                    out.push((lang, n, re));
                }
            }
            out
        });

    /// For three languages, the eager engine and the lazy one.
    static ENGINES: LazyLock<Vec<(&str, Engine, Engine)>> = LazyLock::new(|| {
        ["en", "ru", "de"]
            .into_iter()
            .map(|lang| {
                let rules = rules::for_primary(lang);
                let scan = || Some(Scanner::Func(rules::terminator_runs));
                let eager = Engine::with_scan(&rules, scan()).unwrap();
                let lazy = Engine::lazy(&rules, scan(), &rules::natives(lang));
                (lang, eager, lazy)
            })
            .collect()
    });

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(600))]

        #[test]
        fn natives_answer_as_their_regexes(t in text(), cut in 0usize..40) {
            // As the engine asks them: a `before` on the text up to each
            // position, from 0 or from a window start; an `after` on the
            // text from each position.
            let ends: Vec<usize> = t.char_indices().map(|(i, _)| i).chain([t.len()]).collect();
            for (lang, n, re) in NATIVES.iter() {
                for &i in &ends {
                    let (hay, starts) = if n.before {
                        // Window starts: 0, and every start among the
                        // last `cut % 16` characters (where the word is).
                        let head = &t[..i];
                        let near = ends.iter().copied().filter(|&e| e <= i).rev().take(cut % 16 + 1);
                        (head, [0].into_iter().chain(near).collect())
                    } else {
                        (&t[i..], vec![0])
                    };
                    for s in starts {
                        prop_assert_eq!(
                            n.f.call(hay, s),
                            re.is_match_at(hay, s),
                            "{} {:?} at {} (before: {})", lang, hay, s, n.before
                        );
                    }
                }
            }
        }

        #[test]
        fn lazy_engine_decides_as_the_eager_one(lines in prop::collection::vec(text(), 1..4)) {
            let line = lines.join(" ");
            for (lang, eager, lazy) in ENGINES.iter() {
                prop_assert_eq!(lazy.trace_line(&line), eager.trace_line(&line), "{} {:?}", lang, line);
            }
        }
    }
}
