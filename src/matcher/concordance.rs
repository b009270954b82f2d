//! Concordance: stored segments that contain given words or a phrase.
//!
//! The index's word lists give the variants holding every query word; each
//! is checked on its normalised text. Variants holding the whole phrase rank
//! first, then those holding all the words, shorter before longer. A query of
//! numbers or punctuation alone (which the index does not list) falls back to
//! a scan of the normalised texts.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use rusqlite::params;
use serde::Serialize;

use super::index::{self, Index};
use super::score::tokens;
use crate::error::Result;
use crate::memory::{Memory, store_err};
use crate::normalize::normalize;

/// One concordance hit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// Unit id.
    pub id: i64,
    pub lang: String,
    pub text: String,
    /// Byte ranges of `text` that match query words.
    pub hits: Vec<(usize, usize)>,
    /// The whole phrase occurs (not just its words).
    pub phrase: bool,
    /// The unit's other variants, by language.
    pub translations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

/// At most this many candidates are read from the memory per search.
const VERIFY: usize = 5000;

/// Variants of language `lang` containing `text`'s words, best first.
pub fn search(memory: &Memory, lang: &str, text: &str, limit: usize) -> Result<Vec<Hit>> {
    let conn = memory.connection();
    let err = store_err(memory.path());
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
        let mut stmt = conn
            .prepare("SELECT rowid, text FROM variant WHERE primary_lang = ?1")
            .map_err(&err)?;
        let mut rows = stmt.query(params![primary]).map_err(&err)?;
        let mut found: Vec<(usize, i64)> = Vec::new();
        while let Some(r) = rows.next().map_err(&err)? {
            let text: String = r.get(1).map_err(&err)?;
            let norm = normalize(&text);
            if norm.contains(&qn) {
                found.push((norm.len(), r.get(0).map_err(&err)?));
            }
        }
        found.sort_unstable();
        found.truncate(VERIFY);
        found.into_iter().map(|(_, rowid)| rowid).collect()
    } else {
        let ix = if memory.path() == Path::new(":memory:") {
            Index::build(index::read_rows(conn, &primary, 0).map_err(&err)?)
        } else {
            index::open(conn, memory.path(), &primary)?
        };
        let mut lists: Vec<index::Postings> = words.iter().map(|w| ix.postings(w)).collect();
        lists.sort_by_key(|l| l.len());
        let mut found: Vec<u32> = lists
            .first()
            .map(|first| {
                first
                    .iter()
                    .filter(|e| lists[1..].iter().all(|l| l.contains(*e)))
                    .collect()
            })
            .unwrap_or_default();
        found.sort_by_key(|&e| (ix.lengths(e as usize).0, e));
        found.truncate(VERIFY);
        found
            .into_iter()
            .filter(|&e| (e as usize) < ix.len())
            .map(|e| ix.id(e as usize))
            .collect()
    };
    let mut hits = Vec::new();
    let mut stmt = conn
        .prepare_cached("SELECT v.unit_id, v.lang, v.text, u.origin FROM variant v JOIN unit u ON u.id = v.unit_id WHERE v.rowid = ?1")
        .map_err(&err)?;
    for rid in rowids {
        let row = stmt.query_row(params![rid], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        });
        let Ok((id, vlang, vtext, origin)) = row else {
            continue;
        };
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
    let mut tr = conn
        .prepare_cached("SELECT lang, text FROM variant WHERE unit_id = ?1 ORDER BY rowid")
        .map_err(&err)?;
    for h in &mut hits {
        let rows = tr
            .query_map(params![h.id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(&err)?;
        for row in rows {
            let (l, t) = row.map_err(&err)?;
            if l != h.lang {
                h.translations.insert(l, t);
            }
        }
    }
    Ok(hits)
}
