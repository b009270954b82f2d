//! Lexical anchors that need no dictionary.
//!
//! Each segment is reduced to a small multiset of *anchors*: hashed keys that
//! a translation very likely keeps. Two segments share an anchor when their
//! keys are equal, so comparing segments is a merge of two sorted lists.
//! Keys are built so that equality survives the differences between
//! languages and conventions:
//! - numbers are normalised (`4,5` = `4.5`, `1 000` = `1,000` = `1000`);
//! - month and weekday names map to one key per month/day in en/ru/de/fr;
//! - names and other words are transliterated to Latin and reduced to a
//!   consonant skeleton, keyed by its first four letters (so `Putin` and
//!   `Путина`, `Kovalev` and `Ковалев` meet), then confirmed with `strsim`;
//! - acronyms are transliterated whole (`NATO` = `НАТО`);
//! - tokens with digits, `@`, `/` or `://` (codes, URLs) match verbatim;
//! - sentence punctuation (`?`, `!`, quotes, brackets, colon) matches by class.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// What an anchor is; decides its weight and whether losing it is evidence
/// against a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// A figure (`1998`, `3.5`): weight 1.5, a one-digit one only 0.8, since
    /// translations often spell those out.
    Number,
    /// A month or weekday name, keyed by its number so `May` meets `мая`.
    Month,
    /// A word compared by its transliterated form (a name, a cognate).
    Word,
    /// An all-capitals abbreviation (`NATO`, `ООН`).
    Acronym,
    /// A token both languages write alike: URLs, e-mail addresses, paths,
    /// codes mixing letters and digits.
    Token,
    /// Sentence punctuation by class (`?`, `!`, quote pair, bracket, `:`, `;`).
    Punct,
    /// From a loaded dictionary: counts when shared, never as missed (no
    /// dictionary covers every word, so an unmatched entry is no evidence).
    Dict,
    /// From the dictionary learnt from the document itself.
    Lexicon,
}

/// One anchor of a segment.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Anchor {
    /// Hash of the anchor's kind and normalised form; equal keys on both sides match.
    pub key: u64,
    /// What the anchor is.
    pub kind: Kind,
    /// How much a shared anchor adds to a link's score (a missed one subtracts it).
    pub weight: f32,
    /// Transliterated form, for the `strsim` confirmation of word anchors.
    /// Shared: an anchor is cloned for every occurrence of its word and
    /// with its side, and a count would otherwise copy the text each time.
    pub form: Arc<str>,
    /// A passive anchor (a lowercase word) only counts when it matches an
    /// active one (`Sharia` = `шариата`), and is never missed.
    pub passive: bool,
}

/// Settings of the extraction that depend on the language pair.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Extract {
    /// Also use long lowercase words (cognates), worthwhile when both sides
    /// share a script (de–fr, en–fr), noise otherwise.
    pub lowercase_words: bool,
    /// The language capitalises common nouns (German): a capital inside a
    /// sentence is then no sign of a name, and such words are treated like
    /// lowercase ones.
    pub capitalised_nouns: bool,
}

/// `c.is_alphabetic()`, answered without Unicode's tables for ASCII and
/// the basic Cyrillic letters (А–я, all letters), which are most of what
/// the aligner reads.
#[inline]
pub(crate) fn is_alpha(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | '\u{410}'..='\u{44f}' => true,
        _ if c.is_ascii() => false,
        _ => c.is_alphabetic(),
    }
}

/// `c.is_alphanumeric()`, with the same shortcuts as [`is_alpha`].
#[inline]
fn is_alnum(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' | '\u{410}'..='\u{44f}' => true,
        _ if c.is_ascii() => false,
        _ => c.is_alphanumeric(),
    }
}

/// Pushes at most `max` characters of `c.to_lowercase()` onto `out` and
/// returns how many it pushed (ASCII and basic Cyrillic without tables).
#[inline]
pub(crate) fn push_lower(c: char, out: &mut String, max: usize) -> usize {
    if max == 0 {
        return 0;
    }
    match c {
        'A'..='Z' => out.push(c.to_ascii_lowercase()),
        // А–Я: their lowercase letters are 32 code points on (а–я).
        '\u{410}'..='\u{42f}' => out.push(char::from_u32(c as u32 + 32).unwrap_or(c)),
        _ if c.is_ascii() || ('\u{430}'..='\u{44f}').contains(&c) => out.push(c),
        _ => {
            let mut k = 0;
            for lc in c.to_lowercase().take(max) {
                out.push(lc);
                k += 1;
            }
            return k;
        }
    }
    1
}

/// `src.replace(pat, rep)` on bytes, for an ASCII `pat` and `rep` (which
/// can never match inside a multi-byte character, so the result is as
/// valid UTF-8 as `src`): the same leftmost, non-overlapping matches,
/// without building a string searcher. Returns false, leaving `out` alone,
/// when `pat` does not occur.
fn replace_bytes(src: &[u8], pat: &[u8], rep: &[u8], out: &mut Vec<u8>) -> bool {
    // Byte by byte: slice equality would call memcmp for every window.
    let at =
        |i: usize| src.len() - i >= pat.len() && pat.iter().zip(&src[i..]).all(|(a, b)| a == b);
    if !(0..src.len()).any(at) {
        return false;
    }
    out.clear();
    let mut i = 0;
    while i < src.len() {
        if at(i) {
            out.extend_from_slice(rep);
            i += pat.len();
        } else {
            out.push(src[i]);
            i += 1;
        }
    }
    true
}

/// Applies [`replace_bytes`] for each `(pattern, replacement)` in order,
/// as chained `str::replace` calls would. Most words hold none of the
/// patterns: a pattern whose last byte (`h`, `z`, `j`, `x`: rare letters)
/// is absent is skipped at once, and
/// a word no pattern changes is copied once.
fn replace_all(t: &str, rules: &[(&str, &str)]) -> String {
    let mut cur: Option<Vec<u8>> = None;
    let mut next = Vec::new();
    for (pat, rep) in rules {
        let changed = {
            let src = cur.as_deref().unwrap_or(t.as_bytes());
            let pat = pat.as_bytes();
            pat.last().is_some_and(|b| src.contains(b))
                && replace_bytes(src, pat, rep.as_bytes(), &mut next)
        };
        if changed {
            let done = std::mem::take(&mut next);
            if let Some(old) = cur.replace(done) {
                next = old;
            }
        }
    }
    match cur {
        None => t.to_string(),
        // Valid: see `replace_bytes`.
        Some(v) => String::from_utf8(v)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

fn hash(tag: u8, s: &str) -> u64 {
    let mut h = DefaultHasher::new();
    tag.hash(&mut h);
    s.hash(&mut h);
    h.finish()
}

/// Latin transliteration of one Cyrillic letter (lowercase), or `None` for
/// anything else.
fn cyr(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' | 'ґ' => "g",
        'д' => "d",
        'е' | 'ё' | 'є' | 'э' => "e",
        'ж' => "zh",
        'з' => "z",
        'и' | 'і' | 'ї' => "i",
        'й' => "y",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' | 'ь' => "",
        'ы' => "y",
        'ю' => "yu",
        'я' => "ya",
        // Belarusian, Serbian, Macedonian, Kazakh and other Cyrillic
        // alphabets, by their usual romanisation.
        'ў' => "w",
        'ђ' => "dj",
        'ј' => "j",
        'љ' => "lj",
        'њ' => "nj",
        'ћ' => "c",
        'џ' => "dz",
        'ѓ' => "gj",
        'ќ' => "kj",
        'ѕ' => "dz",
        'ә' => "a",
        'ғ' => "g",
        'қ' => "q",
        'ң' => "n",
        'ө' => "o",
        'ұ' | 'ү' => "u",
        'һ' => "h",
        _ => return None,
    })
}

/// Lowercase Latin transliteration: Cyrillic is romanised, accents dropped.
pub(crate) fn translit(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    // Russian spells an initial English W as У before a vowel (Уотсон,
    // Уильям): give it back its w.
    let mut lower = word.chars().flat_map(char::to_lowercase);
    if let (Some('у'), Some('о' | 'и' | 'э' | 'е' | 'а')) = (lower.next(), lower.next()) {
        out.push('w');
    }
    let skip = usize::from(!out.is_empty());
    let one = |lc: char, out: &mut String| {
        if let Some(t) = cyr(lc) {
            out.push_str(t);
        } else if lc == 'ß' {
            out.push_str("ss");
        } else if lc == 'đ' {
            // A stroke, not an accent: NFD does not take it off.
            out.push_str("dj");
        } else if lc == 'ł' {
            out.push('l');
        } else if lc.is_ascii_alphanumeric() {
            out.push(lc);
        }
        // Combining marks and other scripts' letters are dropped.
    };
    // The word's NFD, character by character: what is kept (Latin and
    // Cyrillic base letters, digits) never moves in the reordering of
    // combining marks, which are dropped. ASCII and А–я other than Й/й
    // are their own NFD.
    for c in word.chars().skip(skip) {
        match c {
            'A'..='Z' => out.push(c.to_ascii_lowercase()),
            _ if c.is_ascii_alphanumeric() => out.push(c),
            _ if c.is_ascii() => {}
            '\u{410}'..='\u{44f}' if c != 'Й' && c != 'й' => {
                let lc = if c <= 'Я' {
                    char::from_u32(c as u32 + 32).unwrap_or(c)
                } else {
                    c
                };
                one(lc, &mut out);
            }
            _ => unicode_normalization::char::decompose_canonical(c, |d| {
                for lc in d.to_lowercase() {
                    one(lc, &mut out);
                }
            }),
        }
    }
    out
}

/// Digraphs of Latin orthographies for the sounds Cyrillic writes with one
/// letter (German sch/tsch, Polish sz/cz/rz) in the shapes the romanisation
/// gives (sh, ch, zh), and kh as ch: `Chruszczow` and `khrushchev` become
/// `chrushchow` and `chrushchev`.
pub(crate) fn level(t: &str) -> String {
    replace_all(t, LEVEL)
}

/// The replacements of [`level`], in order.
const LEVEL: &[(&str, &str)] = &[
    ("tsch", "ch"),
    ("sch", "sh"),
    ("sz", "sh"),
    ("cz", "ch"),
    ("rz", "zh"),
    ("kh", "ch"),
];

/// Consonant skeleton of a transliterated word: spelling conventions that
/// differ between languages (w/v, c/k, ph/f, h, g, vowels, double letters)
/// are levelled, so `washington` and `vashington` give the same skeleton.
/// h and g are both dropped, since Ukrainian and Belarusian г is h
/// (Харків = Kharkiv, Гамбург = Hamburg).
pub(crate) fn skeleton(t: &str) -> String {
    let t = replace_all(&level(t), &[("ph", "f"), ("j", "dz"), ("x", "ks")]);
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        let c = match c {
            'w' => 'v',
            'c' | 'q' => 'k',
            'h' | 'g' | 'a' | 'e' | 'i' | 'o' | 'u' | 'y' => continue,
            c => c,
        };
        if out.ends_with(c) {
            continue;
        }
        out.push(c);
    }
    out
}

/// Month (1–12) or weekday (13–19) of a word in en/ru/de/fr, by prefix so
/// that Russian cases (`января`, `январе`) and abbreviations (`Jan.`) match.
fn calendar(lower: &str) -> Option<u8> {
    const NAMES: &[(&str, u8)] = &[
        ("january", 1),
        ("jan", 1),
        ("январ", 1),
        ("januar", 1),
        ("janvier", 1),
        ("february", 2),
        ("feb", 2),
        ("феврал", 2),
        ("februar", 2),
        ("février", 2),
        ("march", 3),
        ("mar", 3),
        ("март", 3),
        ("märz", 3),
        ("mars", 3),
        ("april", 4),
        ("apr", 4),
        ("апрел", 4),
        ("avril", 4),
        ("may", 5),
        ("мая", 5),
        ("май", 5),
        ("мае", 5),
        ("mai", 5),
        ("june", 6),
        ("jun", 6),
        ("июн", 6),
        ("juni", 6),
        ("juin", 6),
        ("july", 7),
        ("jul", 7),
        ("июл", 7),
        ("juli", 7),
        ("juillet", 7),
        ("august", 8),
        ("aug", 8),
        ("август", 8),
        ("août", 8),
        ("september", 9),
        ("sep", 9),
        ("сентябр", 9),
        ("septembre", 9),
        ("october", 10),
        ("oct", 10),
        ("октябр", 10),
        ("oktober", 10),
        ("octobre", 10),
        ("november", 11),
        ("nov", 11),
        ("ноябр", 11),
        ("novembre", 11),
        ("december", 12),
        ("dec", 12),
        ("декабр", 12),
        ("dezember", 12),
        ("décembre", 12),
        ("monday", 13),
        ("понедельник", 13),
        ("montag", 13),
        ("lundi", 13),
        ("tuesday", 14),
        ("вторник", 14),
        ("dienstag", 14),
        ("mardi", 14),
        ("wednesday", 15),
        ("сред", 15),
        ("mittwoch", 15),
        ("mercredi", 15),
        ("thursday", 16),
        ("четверг", 16),
        ("donnerstag", 16),
        ("jeudi", 16),
        ("friday", 17),
        ("пятниц", 17),
        ("freitag", 17),
        ("vendredi", 17),
        ("saturday", 18),
        ("суббот", 18),
        ("samstag", 18),
        ("samedi", 18),
        ("sunday", 19),
        ("воскресень", 19),
        ("sonntag", 19),
        ("dimanche", 19),
    ];
    // Short abbreviations (`jan`, `mar`) must be the whole word; Russian
    // stems take any case ending, full Latin names a few letters more.
    // Cheap rejection first: every name starts with one of these letters.
    let first = lower.chars().next()?;
    if !"jfmasondtwяфмаисондпвчс".contains(first) {
        return None;
    }
    let len = lower.chars().count();
    NAMES.iter().find_map(|&(name, k)| {
        if !lower.starts_with(name) {
            return None;
        }
        let name_len = name.chars().count();
        let whole = len == name_len;
        let stem = name_len >= 5 && len <= name_len + 3;
        let cyr_stem = name.chars().next().is_some_and(|c| cyr(c).is_some());
        (whole || stem || cyr_stem).then_some(k)
    })
}

/// Canonical form of a number written with separators: thousands
/// separators (space, no-break space, comma or dot before exactly three
/// digits) vanish; a final comma or dot before other than three digits is the
/// decimal point.
pub(crate) fn canonical_number(groups: &[&str], seps: &[char]) -> String {
    let strip = |g: &str| -> String {
        let t = g.trim_start_matches('0');
        if t.is_empty() { "0".into() } else { t.into() }
    };
    let Some(last) = groups.last() else {
        return String::new();
    };
    let decimal = match seps.last() {
        Some(',' | '.') => last.len() != 3 || (seps.len() == 1 && groups[0] == "0"),
        _ => false,
    };
    if decimal {
        let int: String = groups[..groups.len() - 1].concat();
        let frac = last.trim_end_matches('0');
        if frac.is_empty() {
            strip(&int)
        } else {
            format!("{}.{}", strip(&int), frac)
        }
    } else {
        strip(&groups.concat())
    }
}

/// Numbers in `text`, canonicalised.
pub(crate) fn numbers(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() || (i > 0 && (chars[i - 1].is_alphabetic())) {
            i += 1;
            continue;
        }
        let mut groups: Vec<String> = Vec::new();
        let mut seps: Vec<char> = Vec::new();
        let mut cur = String::new();
        while i < chars.len() {
            let c = chars[i];
            if c.is_ascii_digit() {
                cur.push(c);
                i += 1;
                continue;
            }
            // A separator continues the number only when digits follow; a
            // space only before exactly three digits after at most three.
            let next_digits = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            let ok = match c {
                ',' | '.' => next_digits > 0,
                ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\'' => {
                    next_digits == 3
                        && cur.len() <= 3
                        && chars.get(i + 4).is_none_or(|c| !c.is_ascii_digit())
                        && (seps.is_empty() || seps.iter().all(|s| !matches!(s, ',' | '.')))
                }
                _ => false,
            };
            if !ok {
                break;
            }
            groups.push(std::mem::take(&mut cur));
            seps.push(c);
            i += 1;
        }
        groups.push(cur);
        let g: Vec<&str> = groups.iter().map(String::as_str).collect();
        out.push(canonical_number(&g, &seps));
    }
    out
}

fn is_acronym(w: &str) -> bool {
    let n = w.chars().count();
    (2..=6).contains(&n) && w.chars().all(|c| c.is_uppercase())
}

/// Anchors of one segment, sorted by key.
#[cfg(test)]
pub(crate) fn extract(text: &str, ex: Extract) -> Vec<Anchor> {
    Extractor::new(ex).extract(text)
}

/// What a word (as written, without its position) yields: the part of the
/// extraction that does not depend on where the word stands.
#[derive(Debug, Clone)]
enum WordAnchor {
    /// Nothing: too short, not all letters, no skeleton.
    None,
    /// A month or weekday, or an acronym: key, kind, weight, form.
    Fixed(u64, Kind, f32, Arc<str>),
    /// A name or other word: key, form, capitalised (as a name), passive.
    Word(u64, Arc<str>, bool, bool),
}

/// Extracts the anchors of many segments of one side, remembering what
/// each distinct word yields: transliteration, levelling and skeleton are
/// most of the extraction, and a news document repeats its words (the
/// 8,109-segment English side of the scale pair has 174k words, 24k of
/// them distinct).
pub(crate) struct Extractor {
    ex: Extract,
    words: super::Map<Box<str>, WordAnchor>,
    /// Key and form of each class of [`PUNCT`].
    punct: Vec<(u64, Arc<str>)>,
}

/// The punctuation classes of [`Extractor::extract`].
const PUNCT: [&str; 6] = ["?", "!", "(", ":", ";", "\""];

impl Extractor {
    pub(crate) fn new(ex: Extract) -> Extractor {
        Extractor {
            ex,
            words: super::Map::default(),
            punct: PUNCT
                .iter()
                .map(|c| (hash(b'p', c), Arc::from(*c)))
                .collect(),
        }
    }

    /// What `word` (trimmed, not a token) yields, computed once per word.
    fn word(&mut self, word: &str) -> &WordAnchor {
        // Two probes rather than the entry API: most words are already
        // known, and `entry` would need an owned key for every probe.
        if !self.words.contains_key(word) {
            let a = word_anchor(word, self.ex);
            self.words.insert(word.into(), a);
        }
        &self.words[word]
    }

    /// Anchors of one segment, sorted by key.
    pub(crate) fn extract(&mut self, text: &str) -> Vec<Anchor> {
        let mut out = Vec::new();
        let push = |out: &mut Vec<Anchor>, key: u64, kind: Kind, weight: f32, form: Arc<str>| {
            out.push(Anchor {
                key,
                kind,
                weight,
                form,
                passive: false,
            })
        };
        for n in numbers(text) {
            // One-digit numbers are common and often spelt out in translation.
            let w = if n.len() > 1 { 1.5 } else { 0.8 };
            push(&mut out, hash(b'n', &n), Kind::Number, w, n.into());
        }
        // Punctuation by class; quotes count in pairs.
        let mut quotes = 0;
        for c in text.chars() {
            let class = match c {
                '?' => "?",
                '!' => "!",
                '(' | '[' => "(",
                ':' => ":",
                ';' => ";",
                '"' | '«' | '»' | '“' | '”' | '„' => {
                    quotes += 1;
                    if quotes % 2 == 1 {
                        "\""
                    } else {
                        continue;
                    }
                }
                _ => continue,
            };
            let (key, form) = &self.punct[PUNCT.iter().position(|&p| p == class).unwrap_or(0)];
            push(&mut out, *key, Kind::Punct, 0.4, form.clone());
        }
        let mut first = true;
        for raw in text.split(|c: char| c.is_whitespace() || matches!(c, '—' | '–' | '\'' | '’'))
        {
            let word = raw.trim_matches(|c: char| !is_alnum(c));
            if word.is_empty() {
                continue;
            }
            let initial = std::mem::replace(&mut first, false);
            if word.chars().any(|c| c.is_ascii_digit()) && word.chars().any(is_alpha)
                || raw
                    .as_bytes()
                    .windows(3)
                    .any(|w| w[0] == b':' && w[1] == b'/' && w[2] == b'/')
                || raw.contains('@')
                || (word.contains('/') && word.len() > 3)
            {
                let lower = word.to_lowercase();
                push(&mut out, hash(b't', &lower), Kind::Token, 1.5, lower.into());
                continue;
            }
            match self.word(word) {
                WordAnchor::None => {}
                WordAnchor::Fixed(key, kind, weight, form) => {
                    push(&mut out, *key, *kind, *weight, form.clone());
                }
                WordAnchor::Word(key, form, capital, passive) => {
                    // Sentence-initial capitals are usually ordinary words.
                    let w = if *capital && !initial { 1.0 } else { 0.5 };
                    out.push(Anchor {
                        key: *key,
                        kind: Kind::Word,
                        weight: w,
                        form: form.clone(),
                        passive: *passive,
                    });
                }
            }
        }
        out.sort_by_key(|a| a.key);
        out
    }
}

/// What a word that is not a token yields (see [`Extractor::extract`]).
fn word_anchor(word: &str, ex: Extract) -> WordAnchor {
    if !word
        .chars()
        .all(|c| is_alpha(c) || c == '-' || c == '\'' || c == '’')
    {
        return WordAnchor::None;
    }
    let lower = word.to_lowercase();
    if let Some(k) = calendar(&lower) {
        // `may`, `march`, `mars` and `среда` ("environment") are also
        // ordinary words: only capitalised do they name a date.
        let capital_needed = matches!(lower.as_str(), "may" | "mar" | "mars" | "march") || k == 15;
        if !capital_needed || word.chars().next().is_some_and(char::is_uppercase) {
            return WordAnchor::Fixed(hash(b'm', &k.to_string()), Kind::Month, 1.2, lower.into());
        }
    }
    if is_acronym(word) {
        let t = translit(word);
        return WordAnchor::Fixed(hash(b'a', &t), Kind::Acronym, 1.5, t.into());
    }
    let capital = !ex.capitalised_nouns && word.chars().next().is_some_and(char::is_uppercase);
    let letters = word.chars().count();
    let passive = !(capital || ex.lowercase_words && letters >= 6);
    if passive && letters < 4 {
        return WordAnchor::None;
    }
    let t = level(&translit(word));
    let sk = skeleton(&t);
    if sk.chars().count() < 2 || t.chars().count() < 3 {
        return WordAnchor::None;
    }
    let key: String = sk.chars().take(3).collect();
    WordAnchor::Word(hash(b'w', &key), t.into(), capital, passive)
}

/// True when two word anchors with equal keys are really the same word:
/// the transliterations, cut to the shorter length (tolerating case
/// endings), are close.
pub(crate) fn same_word(a: &str, b: &str) -> bool {
    // Forms are ASCII (see `translit`), so byte slicing is safe; `get`
    // keeps it panic-free whatever the caller passes.
    let n = a.len().min(b.len()).max(3);
    let (ca, cb) = (
        a.get(..n.min(a.len())).unwrap_or(a),
        b.get(..n.min(b.len())).unwrap_or(b),
    );
    jaro_winkler(ca, cb) >= 0.75
}

/// `strsim::jaro_winkler`, computed on bytes without allocating when both
/// strings are ASCII and short (word forms always are: see `translit`).
/// Comparing word anchors is the inner loop of the band's shared weights;
/// strsim's generic version decodes `b` again for every letter of `a` and
/// allocates its flags (on the 8k-segment scale pair it was 1.0 G of
/// 1.5 G instructions spent comparing segments). Same arithmetic in the
/// same order, so the same result.
fn jaro_winkler(sa: &str, sb: &str) -> f64 {
    const MAX: usize = 64;
    let (a, b) = (sa.as_bytes(), sb.as_bytes());
    if a.len() > MAX || b.len() > MAX || !a.is_ascii() || !b.is_ascii() {
        // Not reached by word forms; kept exact for any input.
        return strsim::jaro_winkler(sa, sb);
    }
    let (a_len, b_len) = (a.len(), b.len());
    let sim = if a_len == 0 && b_len == 0 {
        1.0
    } else if a_len == 0 || b_len == 0 {
        0.0
    } else {
        let range = (a_len.max(b_len) / 2).saturating_sub(1);
        let (mut a_flags, mut b_flags) = ([false; MAX], [false; MAX]);
        let mut matches = 0usize;
        for (i, &x) in a.iter().enumerate() {
            let lo = i.saturating_sub(range);
            let hi = b_len.min(i + range + 1);
            for j in lo..hi {
                if x == b[j] && !b_flags[j] {
                    a_flags[i] = true;
                    b_flags[j] = true;
                    matches += 1;
                    break;
                }
            }
        }
        if matches == 0 {
            0.0
        } else {
            let mut transpositions = 0usize;
            let mut k = 0;
            for (i, &x) in a.iter().enumerate() {
                if a_flags[i] {
                    while !b_flags[k] {
                        k += 1;
                    }
                    if x != b[k] {
                        transpositions += 1;
                    }
                    k += 1;
                }
            }
            transpositions /= 2;
            ((matches as f64 / a_len as f64)
                + (matches as f64 / b_len as f64)
                + ((matches - transpositions) as f64 / matches as f64))
                / 3.0
        }
    };
    if sim > 0.7 {
        let prefix = a.iter().take(4).zip(b).take_while(|(x, y)| x == y).count();
        sim + 0.1 * prefix as f64 * (1.0 - sim)
    } else {
        sim
    }
}

/// True when anchors `x` and `y` (with equal keys) count as a match.
pub(crate) fn matches(x: &Anchor, y: &Anchor) -> bool {
    !(x.passive && y.passive) && (x.kind != Kind::Word || same_word(&x.form, &y.form))
}

/// Total weight of the anchors two segments share (multiset intersection;
/// a pair counts at the lower of its two weights).
pub(crate) fn shared(a: &[Anchor], b: &[Anchor]) -> f32 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].key.cmp(&b[j].key) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                let (x, y) = (&a[i], &b[j]);
                if matches(x, y) {
                    sum += x.weight.min(y.weight);
                }
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nums(s: &str) -> Vec<String> {
        numbers(s)
    }

    /// Words that exercise the fast paths and the fallbacks: ASCII, А–я,
    /// Й/й and Ё/ё (which NFD decomposes), other Cyrillic alphabets,
    /// Latin accents and strokes, combining marks, digraphs.
    const WORDS: &[&str] = &[
        "",
        "Washington",
        "Вашингтон",
        "Йошкар-Ола",
        "йогурт",
        "Ёлка",
        "Уотсон",
        "Уильям",
        "Ўзбекистон",
        "Ђоковић",
        "Қарағанды",
        "Chruščov",
        "Chruszczow",
        "Chruschtschow",
        "Straße",
        "Łódź",
        "Mahilioŭ",
        "e\u{301}\u{301}x",
        "İstanbul",
        "tssch",
        "scz",
        "kkh",
        "philadelphia",
        "jaxx",
        "rzeszów",
        "12ab",
        "ΑΘΗΝΑ",
    ];

    /// `translit` as it was written first: the whole word's NFD.
    fn translit_nfd(word: &str) -> String {
        use unicode_normalization::UnicodeNormalization;
        let mut out = String::new();
        let mut lower = word.chars().flat_map(char::to_lowercase);
        if let (Some('у'), Some('о' | 'и' | 'э' | 'е' | 'а')) = (lower.next(), lower.next()) {
            out.push('w');
        }
        let skip = usize::from(!out.is_empty());
        for c in word.chars().skip(skip).collect::<String>().nfd() {
            for lc in c.to_lowercase() {
                if let Some(t) = cyr(lc) {
                    out.push_str(t);
                } else if lc == 'ß' {
                    out.push_str("ss");
                } else if lc == 'đ' {
                    out.push_str("dj");
                } else if lc == 'ł' {
                    out.push('l');
                } else if lc.is_ascii_alphanumeric() {
                    out.push(lc);
                }
            }
        }
        out
    }

    #[test]
    fn fast_paths_are_the_unicode_definitions() {
        for c in (0..0x2000u32)
            .chain(0x1e00..0x1f00)
            .chain(0xa640..0xa6a0)
            .filter_map(char::from_u32)
        {
            assert_eq!(is_alpha(c), c.is_alphabetic(), "{c:?}");
            assert_eq!(is_alnum(c), c.is_alphanumeric(), "{c:?}");
            for max in 0..3 {
                let mut s = String::new();
                let k = push_lower(c, &mut s, max);
                let want: String = c.to_lowercase().take(max).collect();
                assert_eq!((s.as_str(), k), (want.as_str(), want.chars().count()));
            }
        }
    }

    #[test]
    fn translit_level_and_skeleton_are_the_original_ones() {
        for w in WORDS {
            let t = translit_nfd(w);
            assert_eq!(translit(w), t, "{w}");
            let lv = t
                .replace("tsch", "ch")
                .replace("sch", "sh")
                .replace("sz", "sh")
                .replace("cz", "ch")
                .replace("rz", "zh")
                .replace("kh", "ch");
            assert_eq!(level(w), {
                let x = w.to_string();
                x.replace("tsch", "ch")
                    .replace("sch", "sh")
                    .replace("sz", "sh")
                    .replace("cz", "ch")
                    .replace("rz", "zh")
                    .replace("kh", "ch")
            });
            assert_eq!(level(&t), lv, "{w}");
            let sk_in = level(&lv)
                .replace("ph", "f")
                .replace('j', "dz")
                .replace('x', "ks");
            let mut sk = String::new();
            for c in sk_in.chars() {
                let c = match c {
                    'w' => 'v',
                    'c' | 'q' => 'k',
                    'h' | 'g' | 'a' | 'e' | 'i' | 'o' | 'u' | 'y' => continue,
                    c => c,
                };
                if !sk.ends_with(c) {
                    sk.push(c);
                }
            }
            assert_eq!(skeleton(&lv), sk, "{w}");
        }
    }

    #[test]
    fn jaro_winkler_on_bytes_is_strsims() {
        let words = [
            "",
            "a",
            "putin",
            "putina",
            "kovalev",
            "kovaleva",
            "chrushchev",
            "chrushchow",
            "martha",
            "marhta",
            "dixon",
            "dicksonx",
            "abcdefghij",
            "jihgfedcba",
            "aaaa",
            "aab",
        ];
        for a in words {
            for b in words {
                assert_eq!(
                    jaro_winkler(a, b).to_bits(),
                    strsim::jaro_winkler(a, b).to_bits(),
                    "{a} / {b}"
                );
            }
        }
        // Long or non-ASCII input falls back to strsim itself.
        let long = "x".repeat(70);
        assert_eq!(jaro_winkler(&long, "xx"), strsim::jaro_winkler(&long, "xx"));
        assert_eq!(
            jaro_winkler("éte", "ete"),
            strsim::jaro_winkler("éte", "ete")
        );
    }

    #[test]
    fn numbers_across_conventions() {
        assert_eq!(nums("grew 4.5 percent"), nums("вырос на 4,5 процента"));
        assert_eq!(nums("1,000 people"), ["1000"]);
        assert_eq!(nums("1 000 человек"), ["1000"]);
        assert_eq!(nums("12 345 678 units"), ["12345678"]);
        assert_eq!(nums("25% and 25 %"), ["25", "25"]);
        assert_eq!(nums("0,75"), nums("0.75"));
        // Two years side by side are two numbers, not one.
        assert_eq!(nums("2016 2017"), ["2016", "2017"]);
        // A sentence-final dot is not a decimal point.
        assert_eq!(nums("in 2019."), ["2019"]);
        assert_ne!(nums("4.5"), nums("45"));
    }

    fn keys(s: &str) -> Vec<u64> {
        extract(s, Extract::default())
            .iter()
            .map(|a| a.key)
            .collect()
    }

    #[test]
    fn dates_and_month_names() {
        let en = extract(
            "It happened on January 29 in the capital.",
            Extract::default(),
        );
        let ru = extract("Это случилось 29 января в столице.", Extract::default());
        assert!(shared(&en, &ru) >= 2.5, "month and day should both match");
        let other = extract("Это случилось 29 марта в столице.", Extract::default());
        assert!(shared(&en, &other) < shared(&en, &ru));
    }

    #[test]
    fn names_through_transliteration_and_case_endings() {
        let en = extract("Talks between Kovalev and Putin ended.", Extract::default());
        let ru = extract(
            "Переговоры Ковалева и Путина закончились.",
            Extract::default(),
        );
        assert!(
            shared(&en, &ru) >= 2.0,
            "both names should match: {}",
            shared(&en, &ru)
        );
        let ru2 = extract(
            "Переговоры Иванова и Медведева закончились.",
            Extract::default(),
        );
        assert!(shared(&en, &ru2) < 0.6);
        assert_eq!(
            skeleton(&translit("Washington")),
            skeleton(&translit("Вашингтон"))
        );
    }

    #[test]
    fn names_across_every_cyrillic_latin_pair() {
        // Each pair shares one name (weight 0.5 sentence-initially, 1 inside).
        let same = |a: &str, b: &str| {
            let (x, y) = (
                extract(a, Extract::default()),
                extract(b, Extract::default()),
            );
            shared(&x, &y) >= 0.5
        };
        // Ukrainian г = h.
        assert!(same(
            "Talks in Kharkiv resumed",
            "Переговори в Харкові відновилися"
        ));
        assert!(same("Er flog nach Hamburg", "Он улетел в Гамбург"));
        // Serbian, with the stroke letter of its Latin alphabet.
        assert!(same("Đoković je pobedio", "Ђоковић је победио"));
        // Polish and Czech spellings of Russian names.
        assert!(same("Spotkanie z Szymańskim", "Встреча с Шиманским"));
        assert!(same("Chruszczow przemawiał", "Хрущёв выступал"));
        assert!(same("Setkání s Chruščovem", "Встреча с Хрущёвым"));
        // German sch.
        assert!(same("Rede von Chruschtschow", "Речь Хрущёва"));
        // Belarusian ў, Kazakh letters.
        assert!(same("Meeting in Mahilioŭ", "Сустрэча ў Магілёў"));
        assert!(same("Visit to Qaraghandy", "Сапар Қарағанды"));
        // Different names still differ.
        assert!(!same("Rozmowy z Szymańskim", "Переговоры с Путиным"));
    }

    #[test]
    fn acronyms_and_identical_tokens() {
        let en = extract(
            "NATO said the site www.example.org/page was down.",
            Extract::default(),
        );
        let ru = extract(
            "НАТО сообщило, что сайт www.example.org/page не работал.",
            Extract::default(),
        );
        assert!(shared(&en, &ru) >= 3.0);
        assert!(keys("Model X5-200 is here") == keys("Model X5-200 is here"));
        let code = extract("Flight SU1402 landed", Extract::default());
        let code_ru = extract("Рейс SU1402 приземлился", Extract::default());
        assert!(shared(&code, &code_ru) >= 1.5);
    }

    #[test]
    fn punctuation_classes() {
        let q = extract("Why did he go?", Extract::default());
        let qr = extract("Почему он ушёл?", Extract::default());
        let dot = extract("Он ушёл.", Extract::default());
        assert!(shared(&q, &qr) > 0.0);
        assert_eq!(shared(&q, &dot), 0.0);
        let quoted = extract("He called it \"a farce\" (again).", Extract::default());
        let quoted_ru = extract("Он назвал это «фарсом» (снова).", Extract::default());
        assert!(shared(&quoted, &quoted_ru) >= 0.8);
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in [
            "",
            "1,",
            "1 00 000",
            "0.000",
            "..., ;;; «»",
            "e\u{301}\u{301}\u{301}",
            "👍 12\u{a0}345,6 😀",
            "У",
            "Уо",
            "ʼʼʼ '' ",
            "A.B.C.",
            "9999999999999999999999999999",
        ] {
            let a = extract(
                text,
                Extract {
                    lowercase_words: true,
                    ..Extract::default()
                },
            );
            assert!(a.windows(2).all(|w| w[0].key <= w[1].key));
            let _ = shared(&a, &a);
        }
        assert_eq!(numbers("12\u{a0}345,6"), ["12345.6"]);
    }

    #[test]
    fn cognates_only_when_asked() {
        let de = extract(
            "die expedition erreichte den gipfel",
            Extract {
                lowercase_words: true,
                ..Extract::default()
            },
        );
        let fr = extract(
            "l'expédition atteignit le sommet",
            Extract {
                lowercase_words: true,
                ..Extract::default()
            },
        );
        assert!(shared(&de, &fr) > 0.0);
        // Without the flag lowercase words are passive: they only confirm
        // an active (capitalised) word on the other side.
        let de0 = extract("die expedition erreichte den gipfel", Extract::default());
        let fr0 = extract("l'expédition atteignit le sommet", Extract::default());
        assert!(de0.iter().all(|a| a.passive));
        assert_eq!(shared(&de0, &fr0), 0.0);
        let fr_cap = extract(
            "Bilan: l'Expédition atteignit le sommet",
            Extract::default(),
        );
        assert!(shared(&de0, &fr_cap) > 0.0);
    }
}
