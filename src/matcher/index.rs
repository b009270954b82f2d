//! The candidate index: word postings over matching keys, one per language.
//!
//! For every stored variant of a language the index keeps its key (see
//! `super::score`), the key's length in characters and words, and an
//! inverted list from each distinct word to the variants that hold it. A
//! lookup reads the lists of the query's rarest words, counts shared words,
//! drops variants whose length alone rules out the threshold, and scores only
//! the best few hundred.
//!
//! Persistence: the index lives beside the memory in
//! `<memory>.match-<lang>.idx`, stamped with the memory's [`Stamp`] (its
//! instance id, write generation, the random token of the last commit, and
//! the highest variant id it covers). On open the store says how the memory
//! changed since that stamp ([`Memory::since`]): not at all, use the index;
//! only appended to, add the new variants (their ids are higher) and re-save;
//! anything else (a rewrite, another memory, a restored copy), rebuild. The
//! store pays one log row per committed transaction, never per unit.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::score;
/// The store's write stamp, which an index file is stamped with (re-exported
/// at its old path).
pub use crate::memory::Stamp;
use crate::memory::{Memory, Since};

/// Word postings over the keys of one language.
///
/// Everything lives in one little-endian byte buffer, exactly as in the
/// file, so opening a saved index is a single read with no decoding: a cold
/// lookup on a million units pays for the read and nothing else. Accessors
/// bounds-check, so a damaged file yields empty answers, never a panic.
#[derive(Debug)]
pub struct Index {
    data: Vec<u8>,
    n: usize,
    nv: usize,
    ids_at: usize,
    koff_at: usize,
    clen_at: usize,
    wlen_at: usize,
    vocab_at: usize,
    vstart_at: usize,
    post_at: usize,
    keys_at: usize,
    /// Highest id covered (for appending).
    pub max_id: i64,
}

/// Postings of one word: ascending entry numbers.
#[derive(Debug, Clone, Copy)]
pub struct Postings<'a>(&'a [u8]);

impl<'a> Postings<'a> {
    pub fn len(&self) -> usize {
        self.0.len() / 4
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn get(&self, i: usize) -> u32 {
        self.0
            .get(i * 4..i * 4 + 4)
            .map_or(u32::MAX, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn iter(&self) -> impl Iterator<Item = u32> + 'a {
        self.0
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// Binary search (the list is sorted).
    pub fn contains(&self, e: u32) -> bool {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.get(mid).cmp(&e) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }
}

/// Header: magic, instance, generation, token, max_id, variants, then the lengths
/// lang, n, keys bytes, vocabulary, postings; then the language tag.
const HEADER: usize = 8 + 5 * 8 + 5 * 8;
/// Postings read per lookup beyond the prefix-filter lists.
const BUDGET: usize = 8_000;
/// At most this many of the rarest lists are read whatever their length:
/// enough to survive an edit that brought in a rare word of its own.
const MUST_MAX: usize = 3;
/// Postings read per lookup at most (beyond the rarest list).
const HARD_CAP: usize = 400_000;

thread_local! {
    /// Per-thread shared-word counters, reused across lookups.
    static COUNTS: RefCell<Vec<u16>> = const { RefCell::new(Vec::new()) };
}

fn words_of(key: &str) -> impl Iterator<Item = &str> {
    key.split(' ').filter(|w| !w.is_empty() && *w != "#")
}

fn le_u32(data: &[u8], at: usize) -> u32 {
    data.get(at..at + 4)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn le_u64(data: &[u8], at: usize) -> u64 {
    data.get(at..at + 8).map_or(0, |b| {
        u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
    })
}

impl Index {
    /// Builds an index over `(id, normalised text)` rows.
    pub fn build(rows: Vec<(i64, String)>) -> Index {
        let keys: Vec<String> = rows
            .par_iter()
            .map(|(_, n)| score::key_of_normalized(n))
            .collect();
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        Self::encode(&ids, &keys)
    }

    /// Adds rows (with ids above [`Index::max_id`]) and rebuilds the postings.
    pub fn append(&mut self, rows: Vec<(i64, String)>) {
        if rows.is_empty() {
            return;
        }
        let mut ids: Vec<i64> = (0..self.n).map(|i| self.id(i)).collect();
        let mut keys: Vec<String> = (0..self.n).map(|i| self.key(i).to_string()).collect();
        ids.extend(rows.iter().map(|r| r.0));
        keys.par_extend(rows.par_iter().map(|(_, n)| score::key_of_normalized(n)));
        *self = Self::encode(&ids, &keys);
    }

    fn encode(ids: &[i64], keys: &[String]) -> Index {
        let n = ids.len();
        // Distinct word hashes per entry, in parallel.
        let per: Vec<Vec<u64>> = keys
            .par_iter()
            .map(|k| {
                let mut h: Vec<u64> = words_of(k).map(score::hash_word).collect();
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
        let mut slot: HashMap<u64, u32> = HashMap::with_capacity(vocab.len());
        let mut at = 0u32;
        for h in &vocab {
            vstart.push(at);
            slot.insert(*h, at);
            at += df.get(h).copied().unwrap_or(0);
        }
        vstart.push(at);
        drop(df);
        let mut postings = vec![0u32; at as usize];
        for (i, hs) in per.iter().enumerate() {
            for h in hs {
                if let Some(s) = slot.get_mut(h) {
                    postings[*s as usize] = i as u32;
                    *s += 1;
                }
            }
        }
        drop(per);
        let nk: usize = keys.iter().map(String::len).sum();
        let max_id = ids.iter().copied().max().unwrap_or(0);
        let mut d: Vec<u8> =
            Vec::with_capacity(HEADER + 20 * n + 12 * vocab.len() + 4 * postings.len() + nk + 16);
        d.extend_from_slice(MAGIC);
        for v in [0, 0, 0, max_id, 0] {
            d.extend_from_slice(&v.to_le_bytes());
        }
        // The language tag is patched in by `save`; its length is 0 here.
        for v in [0, n, nk, vocab.len(), postings.len()] {
            d.extend_from_slice(&(v as u64).to_le_bytes());
        }
        for v in ids {
            d.extend_from_slice(&v.to_le_bytes());
        }
        let mut off = 0u32;
        d.extend_from_slice(&off.to_le_bytes());
        for k in keys {
            off += k.len() as u32;
            d.extend_from_slice(&off.to_le_bytes());
        }
        for k in keys {
            d.extend_from_slice(&(k.chars().count() as u32).to_le_bytes());
        }
        for k in keys {
            let w = if k.is_empty() {
                0
            } else {
                k.split(' ').count() as u32
            };
            d.extend_from_slice(&w.to_le_bytes());
        }
        for v in &vocab {
            d.extend_from_slice(&v.to_le_bytes());
        }
        for v in vstart.iter().chain(&postings) {
            d.extend_from_slice(&v.to_le_bytes());
        }
        for k in keys {
            d.extend_from_slice(k.as_bytes());
        }
        Self::layout(d, 0).unwrap_or_else(Self::empty)
    }

    fn empty() -> Index {
        Self::encode(&[], &[])
    }

    /// Computes section offsets for a buffer whose language tag is `lang_len`
    /// bytes; `None` when the sizes do not add up.
    fn layout(data: Vec<u8>, lang_len: usize) -> Option<Index> {
        let get = |i: usize| usize::try_from(le_u64(&data, 8 + 5 * 8 + 8 * i)).ok();
        let (n, nk, nv, np) = (get(1)?, get(2)?, get(3)?, get(4)?);
        let ids_at = HEADER + lang_len;
        let koff_at = ids_at.checked_add(n.checked_mul(8)?)?;
        let clen_at = koff_at + 4 * (n + 1);
        let wlen_at = clen_at + 4 * n;
        let vocab_at = wlen_at + 4 * n;
        let vstart_at = vocab_at.checked_add(nv.checked_mul(8)?)?;
        let post_at = vstart_at + 4 * (nv + 1);
        let keys_at = post_at.checked_add(np.checked_mul(4)?)?;
        if keys_at.checked_add(nk)? != data.len() {
            return None;
        }
        Some(Index {
            max_id: le_u64(&data, 32) as i64,
            data,
            n,
            nv,
            ids_at,
            koff_at,
            clen_at,
            wlen_at,
            vocab_at,
            vstart_at,
            post_at,
            keys_at,
        })
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The id (variant rowid, or the caller's) of entry `i`.
    pub fn id(&self, i: usize) -> i64 {
        le_u64(&self.data, self.ids_at + 8 * i) as i64
    }

    /// The key of entry `i`.
    pub fn key(&self, i: usize) -> &str {
        let s = le_u32(&self.data, self.koff_at + 4 * i) as usize;
        let e = le_u32(&self.data, self.koff_at + 4 * (i + 1)) as usize;
        self.data
            .get(self.keys_at + s..self.keys_at + e.max(s))
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// Length of entry `i`'s key in characters and words.
    pub fn lengths(&self, i: usize) -> (usize, usize) {
        (
            le_u32(&self.data, self.clen_at + 4 * i) as usize,
            le_u32(&self.data, self.wlen_at + 4 * i) as usize,
        )
    }

    /// The entries holding word `w` (a key word).
    pub fn postings(&self, w: &str) -> Postings<'_> {
        let h = score::hash_word(w);
        let (mut lo, mut hi) = (0, self.nv);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match le_u64(&self.data, self.vocab_at + 8 * mid).cmp(&h) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    let s = le_u32(&self.data, self.vstart_at + 4 * mid) as usize;
                    let e = le_u32(&self.data, self.vstart_at + 4 * (mid + 1)) as usize;
                    let bytes = self
                        .data
                        .get(self.post_at + 4 * s..self.post_at + 4 * e.max(s))
                        .unwrap_or(&[]);
                    return Postings(bytes);
                }
            }
        }
        Postings(&[])
    }

    /// Up to `max` entries that may score `cutoff` or more against a query
    /// key `qk` of `qc` characters and `qw` words, most shared rare words
    /// first.
    pub fn candidates(&self, qk: &str, qc: usize, qw: usize, cutoff: f64, max: usize) -> Vec<u32> {
        let mut words: Vec<&str> = words_of(qk).collect();
        words.sort_unstable();
        words.dedup();
        let mut lists: Vec<Postings> = words.iter().map(|w| self.postings(w)).collect();
        lists.sort_by_key(|l| l.len());
        // Rarest words first. A variant sharing at least half of the query's
        // words holds one of the rarest `n/2 + 1` (prefix filtering); the
        // rarest `min(n/2 + 1, 3)` lists are read whatever their length (up
        // to a hard cap), further ones only within a budget, since common
        // words' lists cost more than they tell.
        let must = (words.len() / 2 + 1).min(MUST_MAX);
        COUNTS.with(|c| {
            let mut counts = c.borrow_mut();
            if counts.len() < self.n {
                counts.resize(self.n, 0);
            }
            let mut touched: Vec<u32> = Vec::new();
            let mut read = 0usize;
            for (i, l) in lists.iter().enumerate() {
                if i > 0 && ((i >= must && read + l.len() > BUDGET) || read + l.len() > HARD_CAP) {
                    break;
                }
                read += l.len();
                for e in l.iter() {
                    if let Some(slot) = counts.get_mut(e as usize) {
                        if *slot == 0 {
                            touched.push(e);
                        }
                        *slot = slot.saturating_add(1);
                    }
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
            let body = self.data.get(self.ids_at..).unwrap_or(&[]);
            let mut head = self.data.get(..HEADER).unwrap_or(&[]).to_vec();
            for (i, v) in [stamp.instance, stamp.generation, stamp.token]
                .iter()
                .enumerate()
            {
                head[8 + 8 * i..16 + 8 * i].copy_from_slice(&v.to_le_bytes());
            }
            head[40..48].copy_from_slice(&stamp.variants.to_le_bytes());
            head[48..56].copy_from_slice(&(lang.len() as u64).to_le_bytes());
            w.write_all(&head)?;
            w.write_all(lang.as_bytes())?;
            w.write_all(body)?;
            w.flush()?;
        }
        std::fs::rename(&tmp, path)
    }

    /// Reads an index written by [`Index::save`]; `None` when the file is
    /// missing, damaged or for another language.
    pub fn load(path: &Path, lang: &str) -> Option<(Index, Stamp)> {
        let data = std::fs::read(path).ok()?;
        if data.get(..8)? != MAGIC {
            return None;
        }
        let st = Stamp {
            instance: le_u64(&data, 8) as i64,
            generation: le_u64(&data, 16) as i64,
            token: le_u64(&data, 24) as i64,
            variants: le_u64(&data, 40) as i64,
        };
        let ll = usize::try_from(le_u64(&data, 48)).ok()?;
        if data.get(HEADER..HEADER.checked_add(ll)?)? != lang.as_bytes() {
            return None;
        }
        Some((Self::layout(data, ll)?, st))
    }
}

const MAGIC: &[u8; 8] = b"TMIDX\x03\0\0";

/// Where the index of `lang` for the memory at `memory` lives.
pub fn path_for(memory: &Path, lang: &str) -> PathBuf {
    let mut s = memory.as_os_str().to_owned();
    s.push(format!(".match-{lang}.idx"));
    PathBuf::from(s)
}

/// `(variant id, normalised text)` of the variants of primary language
/// `lang` with ids in `after+1 ..= upto`.
pub fn read_rows(
    memory: &Memory,
    lang: &str,
    after: i64,
    upto: i64,
) -> crate::Result<Vec<(i64, String)>> {
    // The store keeps text exactly as given; the matching key is derived
    // here, in the one module that matches.
    let mut out = Vec::new();
    memory.for_each_text(lang, after, upto, |id, text| {
        out.push((id, crate::normalize::normalize(text)));
        Ok(())
    })?;
    Ok(out)
}

/// The index of primary language `lang` for `memory`: loaded, extended or
/// rebuilt as the memory's stamp requires, and saved beside the memory when
/// it changed. A memory in RAM gets a fresh index every time.
pub fn open(memory: &Memory, lang: &str) -> crate::Result<Index> {
    // Every row read is bounded by `now.variants`, so what is saved under
    // the stamp `now` holds exactly what `now` committed, even while a
    // writer commits more.
    let now = memory.stamp()?;
    let Some(base) = memory.cache_base() else {
        return Ok(Index::build(read_rows(memory, lang, 0, now.variants)?));
    };
    let path = path_for(&base, lang);
    let (ix, changed) = match Index::load(&path, lang) {
        Some((ix, st)) => match memory.since(&st, &now)? {
            Since::Same => (ix, false),
            Since::Appended => {
                let mut ix = ix;
                ix.append(read_rows(
                    memory,
                    lang,
                    ix.max_id.max(st.variants),
                    now.variants,
                )?);
                (ix, true)
            }
            Since::Rewritten => (
                Index::build(read_rows(memory, lang, 0, now.variants)?),
                true,
            ),
        },
        None => (
            Index::build(read_rows(memory, lang, 0, now.variants)?),
            true,
        ),
    };
    // An empty index (a language the memory does not hold) is not saved:
    // it would leave a stray file beside the memory for a mistyped tag.
    if changed && !ix.is_empty() {
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
        assert_eq!(ix.postings("cat").iter().collect::<Vec<_>>(), [0, 2]);
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
            token: 0,
            variants: 2,
        };
        ix.save(&p, st, "en").expect("save");
        let (mut back, st2) = Index::load(&p, "en").expect("load");
        assert_eq!(st2, st);
        assert!(Index::load(&p, "ru").is_none());
        assert_eq!(back.key(1), "четыре пять");
        back.append(vec![(9, normalize("two more"))]);
        ix.append(vec![(9, normalize("two more"))]);
        assert_eq!(
            back.postings("two").iter().collect::<Vec<_>>(),
            ix.postings("two").iter().collect::<Vec<_>>()
        );
        assert!(back.postings("two").contains(2) && !back.postings("two").contains(1));
        assert_eq!(back.max_id, 9);
        std::fs::write(&p, b"TMIDX\x03\0\0garbage").expect("write");
        assert!(Index::load(&p, "en").is_none());
    }
}
