//! Concordance: stored segments that contain given words or a phrase.
//!
//! The index's word lists give the variants holding every query word; each
//! is checked on its normalised text. Variants holding the whole phrase rank
//! first, then those holding all the words, shorter before longer. A query of
//! numbers or punctuation alone (which the index does not list) falls back to
//! a scan of the normalised texts.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::index;
use super::score::tokens;
use crate::error::Result;
use crate::memory::Memory;
use crate::normalize::normalize;

/// One concordance hit.
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
    let primary = crate::lang::primary(lang).to_ascii_lowercase();
    let qn = normalize(text);
    let qtoks = tokens(&qn);
    let words: Vec<&str> = {
        let mut w: Vec<&str> = qtoks.iter().filter(|t| !t.number).map(|t| t.text).collect();
        w.sort_unstable();
        w.dedup();
        w
    };
    let wanted: HashSet<&str> = qtoks.iter().map(|t| t.text).collect();
    if qtoks.is_empty() {
        return Ok(Vec::new());
    }
    // Candidate variant rowids, shortest first.
    let rowids: Vec<i64> = if words.is_empty() {
        // Numbers only: the word index has nothing to offer, so scan.
        let mut found: Vec<(usize, i64)> = Vec::new();
        memory.for_each_text(&primary, 0, i64::MAX, |rowid, text| {
            let norm = normalize(text);
            if norm.contains(&qn) {
                found.push((norm.len(), rowid));
            }
            Ok(())
        })?;
        found.sort_unstable();
        found.truncate(VERIFY);
        found.into_iter().map(|(_, rowid)| rowid).collect()
    } else {
        let ix = index::open_with(memory, &primary, on)?;
        let mut lists: Vec<index::Postings> = words.iter().map(|w| ix.postings(w)).collect();
        lists.sort_by_key(|l| l.len());
        // The rarest list, narrowed by each of the others in one merged
        // pass (lists are decoded in order, not searched).
        let mut found: Vec<u32> = lists
            .first()
            .map(|l| l.iter().collect())
            .unwrap_or_default();
        for l in lists.iter().skip(1) {
            if found.is_empty() {
                break;
            }
            l.retain_in(&mut found);
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
    for rid in rowids {
        // Gone since the index was built: a stale index costs a hit, not
        // an error; a failing store is an error.
        let Some(found) = memory.variant(rid)? else {
            continue;
        };
        let (id, vlang, vtext, origin) = (found.unit_id, found.lang, found.text, found.origin);
        let norm = normalize(&vtext);
        if !crate::lang::serves(lang, &vlang) {
            continue;
        }
        let ntoks: HashSet<&str> = tokens(&norm).into_iter().map(|t| t.text).collect();
        if !wanted.iter().all(|w| ntoks.contains(w)) {
            continue;
        }
        let spans = tokens(&vtext)
            .into_iter()
            .filter(|t| wanted.contains(normalize(t.text).as_str()))
            .map(|t| (t.start, t.end))
            .collect();
        hits.push(Hit {
            id,
            lang: vlang,
            phrase: norm.contains(&qn),
            text: vtext,
            hits: spans,
            translations: BTreeMap::new(),
            origin,
        });
    }
    // Phrase hits first; the rest keep their shortest-first order.
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
