//! Concordance: stored segments that contain given words or a phrase.
//!
//! A query is words, `*` patterns and quoted phrases: `пшеница` finds every
//! form of the word (пшеницы, пшеницу, ...) through the language's Snowball
//! stemmer, `пшениц*` every word starting so, and `"тонн пшеницы"` exactly
//! those words in that order. The index's word table gives the stored words
//! each term takes, their lists the variants holding every term; each is
//! checked on its normalised text. Variants holding the query as typed rank
//! first, then the rest, shorter before longer. A query of numbers or
//! punctuation alone (which the index does not list) falls back to a scan
//! of the normalised texts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::index;
use super::score::tokens;
use crate::error::Result;
use crate::memory::Memory;
use crate::normalize::normalize;

/// One concordance hit.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// Unit id.
    pub id: i64,
    /// Language of `text`.
    pub lang: String,
    /// The stored variant that contains the query.
    pub text: String,
    /// Byte ranges of `text` that match query words.
    pub hits: Vec<(usize, usize)>,
    /// The whole phrase occurs (not just its words).
    pub phrase: bool,
    /// The unit's other variants, by language.
    pub translations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The unit's origin, if stored.
    pub origin: Option<String>,
}

/// At most this many candidates are read from the memory per search.
const VERIFY: usize = 5000;

/// Rows scanned, or candidates checked, between two asks of a search's
/// `stop` (see [`search_until`]).
pub const STOP_EVERY: usize = 256;

/// The Snowball stemmer of a language, for the languages transmem segments
/// and the others Snowball knows; `None` for the rest (words then match as
/// written).
fn stemmer(lang: &str) -> Option<snowball_stemmers_rs::Stemmer> {
    use snowball_stemmers_rs::{Algorithm as A, Stemmer};
    let a = match crate::lang::primary(lang).to_ascii_lowercase().as_str() {
        "en" => A::English,
        "ru" => A::Russian,
        "de" => A::German,
        "fr" => A::French,
        "es" => A::Spanish,
        "it" => A::Italian,
        "pt" => A::Portuguese,
        "pl" => A::Polish,
        "uk" => A::Ukrainian,
        "nl" => A::Dutch,
        "sv" => A::Swedish,
        "da" => A::Danish,
        "no" | "nb" | "nn" => A::Norwegian,
        "fi" => A::Finnish,
        "hu" => A::Hungarian,
        "ro" => A::Romanian,
        "tr" => A::Turkish,
        "el" => A::Greek,
        "ar" => A::Arabic,
        "ca" => A::Catalan,
        "cs" => A::Czech,
        "eu" => A::Basque,
        "et" => A::Estonian,
        "ga" => A::Irish,
        "hi" => A::Hindi,
        "hy" => A::Armenian,
        "id" => A::Indonesian,
        "lt" => A::Lithuanian,
        "ne" => A::Nepali,
        "fa" => A::Persian,
        "sr" => A::Serbian,
        "ta" => A::Tamil,
        "yi" => A::Yiddish,
        _ => return None,
    };
    Some(Stemmer::create(a))
}

/// One term of a query.
#[derive(Debug, Clone, PartialEq)]
enum Term {
    /// A word: any stored word with the same stem (or the word itself).
    Word { word: String, stem: String },
    /// A `*` pattern over one word (anchored; `*` any run of characters).
    Glob(String),
    /// A quoted phrase: these words, as written, in this order.
    Phrase(Vec<String>),
}

/// A stored word (normalised) matches a `*` pattern (normalised).
fn glob_match(pattern: &str, word: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return word == pattern;
    }
    if !word.starts_with(first) || word.len() < first.len() + last.len() || !word.ends_with(last) {
        return false;
    }
    let mut rest = &word[first.len()..word.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

/// Splits a query into terms: `"..."` phrases, words holding `*`, words.
/// Numbers are kept as words (matched as written).
fn parse(text: &str, stem: &dyn Fn(&str) -> String) -> Vec<Term> {
    let mut terms = Vec::new();
    let mut rest = text;
    let quote = |c: char| matches!(c, '"' | '«' | '»' | '“' | '”' | '„');
    while !rest.is_empty() {
        match rest.find(quote) {
            Some(i) => {
                words_of(&rest[..i], stem, &mut terms);
                let after = &rest[i..];
                let open = after.chars().next().map_or(1, char::len_utf8);
                let inner = &after[open..];
                let (phrase, next) = match inner.find(quote) {
                    Some(j) => (
                        &inner[..j],
                        &inner[j + inner[j..].chars().next().map_or(1, char::len_utf8)..],
                    ),
                    None => (inner, ""),
                };
                let words: Vec<String> = tokens(&normalize(phrase))
                    .iter()
                    .map(|t| t.text.to_string())
                    .collect();
                if !words.is_empty() {
                    terms.push(Term::Phrase(words));
                }
                rest = next;
            }
            None => {
                words_of(rest, stem, &mut terms);
                rest = "";
            }
        }
    }
    terms
}

fn words_of(text: &str, stem: &dyn Fn(&str) -> String, out: &mut Vec<Term>) {
    for raw in text.split_whitespace() {
        if raw.contains('*') {
            // The pattern's pieces normalised as stored words are.
            let pat: Vec<String> = raw
                .split('*')
                .map(|p| {
                    tokens(&normalize(p))
                        .iter()
                        .map(|t| t.text)
                        .collect::<String>()
                })
                .collect();
            let pat = pat.join("*");
            if pat.chars().any(|c| c != '*') {
                out.push(Term::Glob(pat));
            }
            continue;
        }
        for t in tokens(&normalize(raw)) {
            out.push(Term::Word {
                word: t.text.to_string(),
                stem: stem(t.text),
            });
        }
    }
}

impl Term {
    /// True when the normalised stored word `w` is one this term takes.
    fn takes(&self, w: &str, stem: &dyn Fn(&str) -> String) -> bool {
        match self {
            Term::Word { word, stem: s } => w == word || stem(w) == *s,
            Term::Glob(p) => glob_match(p, w),
            Term::Phrase(words) => words.iter().any(|x| x == w),
        }
    }
}

/// Variants of language `lang` containing `text`'s words, best first.
pub fn search(memory: &Memory, lang: &str, text: &str, limit: usize) -> Result<Vec<Hit>> {
    search_with(memory, lang, text, limit, &mut |_| {})
}

/// [`search`], telling `on` when the word index has to be built or
/// extended first (see [`index::open_with`]), so that a command can say so
/// instead of pausing silently.
pub fn search_with(
    memory: &Memory,
    lang: &str,
    text: &str,
    limit: usize,
    on: &mut dyn FnMut(&index::Event),
) -> Result<Vec<Hit>> {
    search_until(memory, lang, text, limit, on, &|| false)
}

/// [`search_with`] that gives up with [`crate::Error::Cancelled`] as soon
/// as `stop` says so: it is asked every [`STOP_EVERY`] rows of a scan and
/// every [`STOP_EVERY`] candidates checked, so that a server's request that
/// timed out or whose client left stops within milliseconds, not after a
/// scan of the whole memory (a numbers-only query reads every variant of
/// the language).
pub fn search_until(
    memory: &Memory,
    lang: &str,
    text: &str,
    limit: usize,
    on: &mut dyn FnMut(&index::Event),
    stop: &dyn Fn() -> bool,
) -> Result<Vec<Hit>> {
    let primary = crate::lang::primary(lang).to_ascii_lowercase();
    let stemmer = stemmer(&primary);
    let stem = |w: &str| -> String {
        match &stemmer {
            Some(s) => s.stem(w).into_owned(),
            None => w.to_string(),
        }
    };
    let terms = parse(text, &stem);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    // The query as typed, for "holds the whole query" (ranked first).
    let qn = normalize(&text.replace(['"', '«', '»', '“', '”', '„', '*'], " "));
    let qn = tokens(&qn)
        .iter()
        .map(|t| t.text)
        .collect::<Vec<_>>()
        .join(" ");
    let number =
        |t: &Term| matches!(t, Term::Word { word, .. } if word.chars().all(|c| c.is_numeric()));
    let rowids: Vec<i64> = if terms.iter().all(number) {
        // Numbers only: the word index has nothing to offer, so scan.
        let mut found: Vec<(usize, i64)> = Vec::new();
        let mut seen = 0usize;
        memory.for_each_text(&primary, 0, i64::MAX, |rowid, text| {
            seen += 1;
            if seen.is_multiple_of(STOP_EVERY) && stop() {
                return Err(crate::Error::Cancelled);
            }
            let norm = normalize(text);
            if contains_words(&norm, &qn) {
                found.push((norm.len(), rowid));
            }
            Ok(())
        })?;
        found.sort_unstable();
        found.truncate(VERIFY);
        found.into_iter().map(|(_, rowid)| rowid).collect()
    } else {
        let ix = index::open_with(memory, &primary, on)?;
        // Each term's stored words, looked up once in the word table
        // (stemming only words that start like the term, a few thousand at
        // most); a term's list is the union of its words' lists.
        let mut lists: Vec<Vec<u32>> = Vec::new();
        for t in terms.iter().filter(|t| !number(t)) {
            let words: Vec<&str> = match t {
                Term::Phrase(ws) => ws
                    .iter()
                    .map(String::as_str)
                    .filter(|w| !w.chars().all(char::is_numeric))
                    .collect(),
                Term::Word { word, stem: s } => {
                    let head: String = s.chars().take(2).collect();
                    let mut ws: Vec<&str> = ix
                        .words()
                        .filter(|w| w.starts_with(&head) && t.takes(w, &stem))
                        .collect();
                    if !ws.contains(&word.as_str()) {
                        ws.push(word);
                    }
                    ws
                }
                Term::Glob(_) => ix.words().filter(|w| t.takes(w, &stem)).collect(),
            };
            if let Term::Phrase(_) = t {
                // Every word of a phrase is needed: one list each.
                for w in words {
                    lists.push(ix.postings(w).iter().collect());
                }
                continue;
            }
            let mut union: Vec<u32> = words.iter().flat_map(|w| ix.postings(w).iter()).collect();
            union.sort_unstable();
            union.dedup();
            lists.push(union);
        }
        lists.sort_by_key(Vec::len);
        let mut found: Vec<u32> = lists.first().cloned().unwrap_or_default();
        for l in lists.iter().skip(1) {
            if found.is_empty() {
                break;
            }
            found.retain(|e| l.binary_search(e).is_ok());
        }
        found.sort_by_key(|&e| (ix.lengths(e as usize).0, e));
        found.truncate(VERIFY);
        found
            .into_iter()
            .filter(|&e| (e as usize) < ix.len())
            .map(|e| ix.id(e as usize))
            .collect()
    };
    let mut hits = Vec::new();
    // Candidates come shortest first, and hits holding the query as typed
    // rank first, the rest keeping that order (the sort below): once
    // `limit` of those are found, no later candidate can rank among the
    // first `limit`, so the search stops there. A common word ("the") has
    // thousands of candidates: at 100k units this took a concordance for
    // it from 190-500 ms (5,000 candidates read) to a few.
    let mut whole = 0usize;
    for (n, rid) in rowids.into_iter().enumerate() {
        if whole >= limit {
            break;
        }
        if n % STOP_EVERY == STOP_EVERY - 1 && stop() {
            return Err(crate::Error::Cancelled);
        }
        // Gone since the index was built: a stale index costs a hit, not
        // an error; a failing store is an error.
        let Some(found) = memory.variant(rid)? else {
            continue;
        };
        let (id, vlang, vtext, origin) = (found.unit_id, found.lang, found.text, found.origin);
        if !crate::lang::serves(lang, &vlang) {
            continue;
        }
        let norm = normalize(&vtext);
        let ntoks: Vec<&str> = tokens(&norm).into_iter().map(|t| t.text).collect();
        let all = terms.iter().all(|t| match t {
            Term::Phrase(ws) => ntoks
                .windows(ws.len())
                .any(|win| win.iter().zip(ws).all(|(a, b)| a == b)),
            t => ntoks.iter().any(|w| t.takes(w, &stem)),
        });
        if !all {
            continue;
        }
        let spans = tokens(&vtext)
            .into_iter()
            .filter(|t| {
                let n = normalize(t.text);
                terms.iter().any(|term| term.takes(&n, &stem))
            })
            .map(|t| (t.start, t.end))
            .collect();
        let phrase = contains_words(&norm, &qn);
        whole += usize::from(phrase);
        hits.push(Hit {
            id,
            lang: vlang,
            phrase,
            text: vtext,
            hits: spans,
            translations: BTreeMap::new(),
            origin,
        });
    }
    // The query as typed first; the rest keep their shortest-first order.
    hits.sort_by_key(|h| !h.phrase);
    hits.truncate(limit);
    for h in &mut hits {
        if let Some(unit) = memory.unit(h.id)? {
            for v in unit.variants {
                if v.lang != h.lang {
                    h.translations.insert(v.lang, v.text);
                }
            }
        }
    }
    Ok(hits)
}

/// True when the words of `phrase` (normalised, space-separated) occur in
/// `norm` in order, side by side.
fn contains_words(norm: &str, phrase: &str) -> bool {
    let want: Vec<&str> = phrase.split(' ').filter(|w| !w.is_empty()).collect();
    if want.is_empty() {
        return false;
    }
    let toks: Vec<&str> = tokens(norm).into_iter().map(|t| t.text).collect();
    toks.windows(want.len()).any(|w| w == want.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ru_stem(w: &str) -> String {
        stemmer("ru").unwrap().stem(w).into_owned()
    }

    #[test]
    fn word_forms_share_a_stem_in_every_segmented_language() {
        for (lang, a, b) in [
            ("ru", "пшеница", "пшеницы"),
            ("en", "tonnes", "tonne"),
            ("de", "Häfen", "häfen"),
            ("fr", "exportations", "exportation"),
            ("es", "puertos", "puerto"),
            ("it", "porti", "porto"),
            ("pt", "portos", "porto"),
            ("pl", "samochodu", "samochodem"),
            ("uk", "пшениці", "пшеницю"),
        ] {
            let s = stemmer(lang).unwrap_or_else(|| panic!("{lang}: no stemmer"));
            let (a, b) = (normalize(a), normalize(b));
            assert_eq!(s.stem(&a), s.stem(&b), "{lang}: {a} / {b}");
        }
    }

    /// A memory where "harbour" occurs in 600 units: some hold the query
    /// "harbour fees" as typed, some only its words apart, and the word
    /// forms vary in length, so the order and the early stop both matter.
    fn harbour_memory(dir: &std::path::Path) -> Memory {
        use crate::memory::{OnDuplicate, Unit, Variant};
        let mut mem = Memory::open(dir.join("m.sqlite")).expect("open");
        let mut w = mem.writer().expect("writer");
        for i in 0..600 {
            let en = match i % 4 {
                0 => format!("The harbour fees rose by {i} percent."),
                1 => format!("Fees at the harbour {i} were cut."),
                2 => format!(
                    "Harbours {i} and their fees, long after the storm, were all raised again."
                ),
                _ => format!("A harbour {i}."),
            };
            let v = |l: &str, t: String| Variant {
                lang: l.into(),
                text: t,
                ..Variant::default()
            };
            let u = Unit {
                variants: vec![v("en", en), v("ru", format!("Гавань {i}."))],
                ..Unit::default()
            };
            w.insert(&u, Some("en"), OnDuplicate::KeepBoth)
                .expect("insert");
        }
        w.commit().expect("commit");
        mem
    }

    /// Stopping once `limit` hits hold the query as typed gives exactly the
    /// first `limit` hits of the whole ranked list.
    #[test]
    fn the_early_stop_returns_the_head_of_the_full_ranking() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mem = harbour_memory(dir.path());
        for q in ["harbour fees", "harbour", "fees harbour", "\"the harbour\""] {
            let all = search(&mem, "en", q, 10_000).expect("search");
            assert!(all.len() > 100, "{q}: {}", all.len());
            for limit in [1, 5, 20, 151, 400] {
                let head = search(&mem, "en", q, limit).expect("search");
                let want: Vec<_> = all.iter().take(limit).cloned().collect();
                assert_eq!(head, want, "{q}, limit {limit}");
            }
        }
    }

    /// A search whose `stop` says so ends with `Cancelled`, on the index
    /// path and on the numbers-only scan; one that is never stopped answers.
    #[test]
    fn a_stopped_search_is_cancelled() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mem = harbour_memory(dir.path());
        let asked = std::cell::Cell::new(0usize);
        let stop = || {
            asked.set(asked.get() + 1);
            true
        };
        // "harbour": 600 candidates, checked until the limit is reached;
        // "5": numbers only, a scan of all 600 English variants.
        for q in ["harbour", "5"] {
            let r = search_until(&mem, "en", q, 10_000, &mut |_| {}, &stop);
            assert!(
                matches!(r, Err(crate::Error::Cancelled)),
                "{q}: {:?}",
                r.map(|h| h.len())
            );
        }
        assert_eq!(asked.get(), 2);
        let r = search_until(&mem, "en", "5", 10_000, &mut |_| {}, &|| false).expect("search");
        assert!(!r.is_empty());
    }

    #[test]
    fn queries_parse_into_words_patterns_and_phrases() {
        let t = parse("пшеница пшениц* \"тонн пшеницы\"", &ru_stem);
        assert_eq!(t.len(), 3, "{t:?}");
        assert!(matches!(&t[0], Term::Word { stem, .. } if stem == "пшениц"));
        assert_eq!(t[1], Term::Glob("пшениц*".into()));
        assert_eq!(t[2], Term::Phrase(vec!["тонн".into(), "пшеницы".into()]));
        assert!(t[0].takes("пшеницу", &ru_stem) && !t[0].takes("пшено", &ru_stem));
        assert!(glob_match("пш*ц*", "пшеницы") && !glob_match("пш*ц", "пшеницы"));
        assert!(glob_match("*ницы", "пшеницы"));
    }
}
