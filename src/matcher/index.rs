//! The candidate index: word postings over matching keys, one per language.
//!
//! For every stored variant of a language the index keeps its key (see
//! [`super::score`]), the key's length in characters and words, and an
//! inverted list from each distinct word to the variants that hold it. A
//! lookup reads the lists of the query's rarest words, counts shared words,
//! drops variants whose length alone rules out the threshold, and scores only
//! the best few hundred.
//!
//! Persistence: the memory's `match_state` table holds an `instance` (random,
//! set when the file is created), a `generation` (bumped by every committing
//! [`crate::memory::Writer`] that wrote) and `rewrites` (bumped when a write
//! replaced variants). The index lives beside the memory in
//! `<memory>.match-<lang>.idx`, stamped with those three numbers and the
//! highest variant rowid it covers. On open: same stamp, use it; only inserts
//! since, append the new variants (their rowids are higher) and re-save; else
//! rebuild. Writers therefore pay one `UPDATE` per transaction, never per unit.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rusqlite::{Connection, params};

use super::score;

/// Stamp of the memory state an index was built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stamp {
    pub instance: i64,
    pub generation: i64,
    pub rewrites: i64,
}

/// Reads the memory's stamp; `None` for files without `match_state`.
pub fn stamp(conn: &Connection) -> Option<Stamp> {
    let get = |k: &str| -> Option<i64> {
        conn.query_row(
            "SELECT value FROM match_state WHERE key = ?1",
            params![k],
            |r| r.get(0),
        )
        .ok()
    };
    Some(Stamp {
        instance: get("instance")?,
        generation: get("generation")?,
        rewrites: get("rewrites")?,
    })
}

/// Called by [`crate::memory::Writer::commit`] inside its transaction.
pub fn on_commit(conn: &Connection, wrote: bool, rewrote: bool) {
    // A memory made before `match_state` existed has no row to bump; its
    // index is never persisted, so there is nothing to invalidate.
    if wrote {
        let _ = conn.execute(
            "UPDATE match_state SET value = value + 1 WHERE key = 'generation'",
            [],
        );
    }
    if rewrote {
        let _ = conn.execute(
            "UPDATE match_state SET value = value + 1 WHERE key = 'rewrites'",
            [],
        );
    }
}

/// Word postings over the keys of one language.
#[derive(Debug, Default)]
pub struct Index {
    /// Per entry: the variant rowid (or the caller's id).
    pub ids: Vec<i64>,
    key_off: Vec<u32>,
    keys: String,
    clen: Vec<u32>,
    wlen: Vec<u32>,
    /// Sorted word hashes and, per word, its slice of `postings`.
    vocab: Vec<u64>,
    vstart: Vec<u32>,
    postings: Vec<u32>,
    /// Highest id covered (for appending).
    pub max_id: i64,
}

/// Postings read per lookup beyond the rarest word's list.
const BUDGET: usize = 8_000;

thread_local! {
    /// Per-thread shared-word counters, reused across lookups.
    static COUNTS: RefCell<Vec<u16>> = const { RefCell::new(Vec::new()) };
}

fn words_of(key: &str) -> impl Iterator<Item = &str> {
    key.split(' ').filter(|w| !w.is_empty() && *w != "#")
}

impl Index {
    /// Builds an index over `(id, normalised text)` rows.
    pub fn build(rows: Vec<(i64, String)>) -> Index {
        let mut ix = Index {
            key_off: vec![0],
            ..Index::default()
        };
        ix.append(rows);
        ix
    }

    /// Adds rows (with ids above [`Index::max_id`]) and rebuilds the postings.
    pub fn append(&mut self, rows: Vec<(i64, String)>) {
        let keys: Vec<String> = rows
            .par_iter()
            .map(|(_, n)| score::key_of_normalized(n))
            .collect();
        for ((id, _), k) in rows.iter().zip(&keys) {
            self.ids.push(*id);
            self.max_id = self.max_id.max(*id);
            self.keys.push_str(k);
            self.key_off.push(self.keys.len() as u32);
            self.clen.push(k.chars().count() as u32);
            self.wlen.push(if k.is_empty() {
                0
            } else {
                k.split(' ').count() as u32
            });
        }
        self.rebuild_postings();
    }

    fn rebuild_postings(&mut self) {
        let n = self.ids.len();
        // Distinct word hashes per entry, computed in parallel chunks.
        let per: Vec<Vec<u64>> = (0..n)
            .into_par_iter()
            .map(|i| {
                let mut h: Vec<u64> = words_of(self.key(i)).map(score::hash_word).collect();
                h.sort_unstable();
                h.dedup();
                h
            })
            .collect();
        let mut df: HashMap<u64, u32> = HashMap::new();
        for hs in &per {
            for h in hs {
                *df.entry(*h).or_default() += 1;
            }
        }
        let mut vocab: Vec<u64> = df.keys().copied().collect();
        vocab.sort_unstable();
        let mut vstart = Vec::with_capacity(vocab.len() + 1);
        let mut at = 0u32;
        let mut slot: HashMap<u64, u32> = HashMap::with_capacity(vocab.len());
        for h in &vocab {
            vstart.push(at);
            slot.insert(*h, at);
            at += df[h];
        }
        vstart.push(at);
        let mut postings = vec![0u32; at as usize];
        for (i, hs) in per.iter().enumerate() {
            for h in hs {
                if let Some(s) = slot.get_mut(h) {
                    postings[*s as usize] = i as u32;
                    *s += 1;
                }
            }
        }
        self.vocab = vocab;
        self.vstart = vstart;
        self.postings = postings;
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The key of entry `i`.
    pub fn key(&self, i: usize) -> &str {
        let (s, e) = (self.key_off[i] as usize, self.key_off[i + 1] as usize);
        self.keys.get(s..e).unwrap_or("")
    }

    /// Length of entry `i`'s key in characters and words.
    pub fn lengths(&self, i: usize) -> (usize, usize) {
        (self.clen[i] as usize, self.wlen[i] as usize)
    }

    /// The entries holding word `w` (a key word).
    pub fn postings(&self, w: &str) -> &[u32] {
        match self.vocab.binary_search(&score::hash_word(w)) {
            Ok(p) => &self.postings[self.vstart[p] as usize..self.vstart[p + 1] as usize],
            Err(_) => &[],
        }
    }

    /// Up to `max` entries that may score `cutoff` or more against the
    /// prepared query key `qk`, most shared rare words first.
    pub fn candidates(&self, qk: &str, qc: usize, qw: usize, cutoff: f64, max: usize) -> Vec<u32> {
        let mut words: Vec<&str> = words_of(qk).collect();
        words.sort_unstable();
        words.dedup();
        let mut lists: Vec<&[u32]> = words.iter().map(|w| self.postings(w)).collect();
        lists.sort_by_key(|l| l.len());
        // Rarest words first, within a budget of postings: the words that
        // identify a segment are its rare ones, and common words' lists
        // would cost more than scoring. The first list is always read.
        COUNTS.with(|c| {
            let mut counts = c.borrow_mut();
            if counts.len() < self.len() {
                counts.resize(self.len(), 0);
            }
            let mut touched: Vec<u32> = Vec::new();
            let mut read = 0usize;
            // Short queries have only common words to go by: read further.
            let budget = if words.len() <= 4 { 4 * BUDGET } else { BUDGET };
            for (i, l) in lists.iter().enumerate() {
                if i > 0 && read + l.len() > budget {
                    break;
                }
                read += l.len();
                for &e in *l {
                    let slot = &mut counts[e as usize];
                    if *slot == 0 {
                        touched.push(e);
                    }
                    *slot = slot.saturating_add(1);
                }
            }
            let mut found: Vec<(u16, u32, u32)> = Vec::with_capacity(touched.len());
            for &e in &touched {
                let n = std::mem::take(&mut counts[e as usize]);
                let (sc, sw) = self.lengths(e as usize);
                if score::bound(qc, qw, sc, sw) >= cutoff {
                    found.push((n, (sc as i64 - qc as i64).unsigned_abs() as u32, e));
                }
            }
            let order = |a: &(u16, u32, u32), b: &(u16, u32, u32)| {
                b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2))
            };
            if found.len() > max && max > 0 {
                found.select_nth_unstable_by(max - 1, order);
                found.truncate(max);
            }
            found.sort_unstable_by(order);
            found.into_iter().map(|f| f.2).collect()
        })
    }

    /// Writes the index to `path` (atomically, via a temporary file).
    pub fn save(&self, path: &Path, stamp: Stamp, lang: &str) -> std::io::Result<()> {
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        {
            let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
            w.write_all(MAGIC)?;
            for v in [
                stamp.instance,
                stamp.generation,
                stamp.rewrites,
                self.max_id,
            ] {
                w.write_all(&v.to_le_bytes())?;
            }
            let lb = lang.as_bytes();
            for v in [
                lb.len(),
                self.ids.len(),
                self.keys.len(),
                self.vocab.len(),
                self.postings.len(),
            ] {
                w.write_all(&(v as u64).to_le_bytes())?;
            }
            w.write_all(lb)?;
            for v in &self.ids {
                w.write_all(&v.to_le_bytes())?;
            }
            for arr in [&self.key_off, &self.clen, &self.wlen] {
                for v in arr {
                    w.write_all(&v.to_le_bytes())?;
                }
            }
            w.write_all(self.keys.as_bytes())?;
            for v in &self.vocab {
                w.write_all(&v.to_le_bytes())?;
            }
            for arr in [&self.vstart, &self.postings] {
                for v in arr {
                    w.write_all(&v.to_le_bytes())?;
                }
            }
            w.flush()?;
        }
        std::fs::rename(&tmp, path)
    }

    /// Reads an index written by [`Index::save`]; `None` when the file is
    /// missing, damaged or for another language.
    pub fn load(path: &Path, lang: &str) -> Option<(Index, Stamp)> {
        let buf = std::fs::read(path).ok()?;
        let mut r = Reader { buf: &buf, at: 0 };
        if r.take(MAGIC.len())? != MAGIC {
            return None;
        }
        let st = Stamp {
            instance: r.i64()?,
            generation: r.i64()?,
            rewrites: r.i64()?,
        };
        let max_id = r.i64()?;
        let [ll, n, nk, nv, np] = [r.len()?, r.len()?, r.len()?, r.len()?, r.len()?];
        if r.take(ll)? != lang.as_bytes() {
            return None;
        }
        let ids = (0..n).map(|_| r.i64()).collect::<Option<Vec<_>>>()?;
        let key_off = r.u32s(n + 1)?;
        let clen = r.u32s(n)?;
        let wlen = r.u32s(n)?;
        let keys = String::from_utf8(r.take(nk)?.to_vec()).ok()?;
        let vocab = r
            .take(nv.checked_mul(8)?)?
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect();
        let vstart = r.u32s(nv + 1)?;
        let postings = r.u32s(np)?;
        // Reject inconsistent files instead of panicking on them later.
        let ok = key_off.last().is_some_and(|&e| e as usize == keys.len())
            && key_off
                .windows(2)
                .all(|w| w[0] <= w[1] && keys.is_char_boundary(w[0] as usize))
            && vstart.last().is_some_and(|&e| e as usize == postings.len())
            && vstart.windows(2).all(|w| w[0] <= w[1])
            && postings.iter().all(|&p| (p as usize) < n);
        ok.then_some((
            Index {
                ids,
                key_off,
                keys,
                clen,
                wlen,
                vocab,
                vstart,
                postings,
                max_id,
            },
            st,
        ))
    }
}

const MAGIC: &[u8; 8] = b"TMIDX\x01\0\0";

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.buf.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn len(&mut self) -> Option<usize> {
        usize::try_from(u64::from_le_bytes(self.take(8)?.try_into().ok()?)).ok()
    }
    fn u32s(&mut self, n: usize) -> Option<Vec<u32>> {
        Some(
            self.take(n.checked_mul(4)?)?
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        )
    }
}

/// Where the index of `lang` for the memory at `memory` lives.
pub fn path_for(memory: &Path, lang: &str) -> PathBuf {
    let mut s = memory.as_os_str().to_owned();
    s.push(format!(".match-{lang}.idx"));
    PathBuf::from(s)
}

/// `(rowid, norm)` of the variants of primary language `lang` above `after`.
pub fn read_rows(
    conn: &Connection,
    lang: &str,
    after: i64,
) -> rusqlite::Result<Vec<(i64, String)>> {
    let mut stmt = conn.prepare(
        "SELECT rowid, norm FROM variant WHERE primary_lang = ?1 AND rowid > ?2 ORDER BY rowid",
    )?;
    stmt.query_map(params![lang, after], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// The index of primary language `lang` for an open memory file: loaded,
/// extended or rebuilt as its stamp requires, and saved when it changed.
pub fn open(conn: &Connection, memory: &Path, lang: &str) -> crate::Result<Index> {
    let err = crate::memory::store_err(memory);
    let Some(now) = stamp(conn) else {
        return Ok(Index::build(read_rows(conn, lang, 0).map_err(err)?));
    };
    let path = path_for(memory, lang);
    let (ix, changed) = match Index::load(&path, lang) {
        Some((ix, st)) if st == now => (ix, false),
        Some((mut ix, st)) if st.instance == now.instance && st.rewrites == now.rewrites => {
            ix.append(read_rows(conn, lang, ix.max_id).map_err(err)?);
            (ix, true)
        }
        _ => (Index::build(read_rows(conn, lang, 0).map_err(err)?), true),
    };
    if changed {
        // A read-only folder only costs the next open a rebuild.
        let _ = ix.save(&path, now, lang);
    }
    Ok(ix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::normalize;
    use score::Prepared;

    fn rows(texts: &[&str]) -> Vec<(i64, String)> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| (i as i64 + 1, normalize(t)))
            .collect()
    }

    #[test]
    fn postings_and_candidates() {
        let ix = Index::build(rows(&["The cat sat.", "A dog ran.", "The cat ran away."]));
        assert_eq!(ix.postings("cat"), &[0, 2]);
        let qk = score::key("The cat sat down.");
        let p = Prepared::new(&qk);
        let c = ix.candidates(&qk, p.chars.len(), p.words.len(), 0.0, 10);
        assert_eq!(c.first(), Some(&0));
        assert!(!c.contains(&1) || c.len() == 3);
    }

    #[test]
    fn save_load_append_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.idx");
        let mut ix = Index::build(rows(&["One two three.", "Четыре пять."]));
        let st = Stamp {
            instance: 7,
            generation: 3,
            rewrites: 0,
        };
        ix.save(&p, st, "en").expect("save");
        let (mut back, st2) = Index::load(&p, "en").expect("load");
        assert_eq!(st2, st);
        assert!(Index::load(&p, "ru").is_none());
        assert_eq!(back.key(1), "четыре пять");
        back.append(vec![(9, normalize("two more"))]);
        ix.append(vec![(9, normalize("two more"))]);
        assert_eq!(back.postings("two"), ix.postings("two"));
        assert_eq!(back.max_id, 9);
        std::fs::write(&p, b"TMIDX\x01\0\0garbage").expect("write");
        assert!(Index::load(&p, "en").is_none());
    }
}
