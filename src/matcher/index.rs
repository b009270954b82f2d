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
//! only appended to, add the new variants (their ids are higher); anything
//! else (a rewrite, another memory, a restored copy), rebuild. Every section
//! of the file carries a CRC-32, checked on open, so a damaged file that kept
//! its size is rebuilt rather than believed.
//!
//! Building runs in bounded memory whatever the memory's size: keys and
//! lengths stream to unnamed temporary files, and the (word, entry) pairs
//! are partitioned by the word hash's top bits into bucket files that are
//! sorted one at a time (their concatenation is the sorted vocabulary). The
//! finished file is written under an unpredictable name created with
//! `O_EXCL` (the `tempfile` crate) and renamed into place; every error path
//! drops (removes) it, and leftovers of killed processes are swept on open.
//! A saved index is mapped, not read: a cold lookup pays for the pages it
//! touches and the checksum pass, not for copying the file.

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;

use super::score;
/// The store's write stamp, which an index file is stamped with (re-exported
/// at its old path).
pub use crate::memory::Stamp;
use crate::memory::{Memory, Since};

/// The bytes of an index: built in RAM, or a saved file mapped read-only.
enum Bytes {
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Mapped(m) => m,
        }
    }
}

/// Word postings over the keys of one language.
///
/// Everything lives in one little-endian byte buffer, exactly as in the
/// file, so opening a saved index maps it with no decoding. Accessors
/// bounds-check, so even a damaged buffer yields empty answers, never a
/// panic.
pub struct Index {
    data: Bytes,
    n: usize,
    nv: usize,
    ids_at: usize,
    koff_at: usize,
    clen_at: usize,
    wlen_at: usize,
    keys_at: usize,
    vocab_at: usize,
    vstart_at: usize,
    post_at: usize,
    /// Highest id covered (for appending).
    pub max_id: i64,
    /// The memory state this index holds (zeros for one built in RAM).
    pub stamp: Stamp,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("entries", &self.n)
            .field("words", &self.nv)
            .field("mapped", &matches!(self.data, Bytes::Mapped(_)))
            .field("stamp", &self.stamp)
            .finish()
    }
}

/// Postings of one word: ascending entry numbers.
#[derive(Debug, Clone, Copy)]
pub struct Postings<'a>(&'a [u8]);

impl<'a> Postings<'a> {
    /// How many entries contain the word.
    pub fn len(&self) -> usize {
        self.0.len() / 4
    }
    /// True when no entry contains the word.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The `i`-th entry number, ascending; `u32::MAX` past the end (a
    /// sentinel the list intersection relies on, never a real entry).
    pub fn get(&self, i: usize) -> u32 {
        self.0
            .get(i * 4..i * 4 + 4)
            .map_or(u32::MAX, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// Every entry number, ascending.
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

const MAGIC: &[u8; 8] = b"TMIDX\x04\0\0";
/// Sections, in file order: ids (8 bytes each), key offsets (4, n + 1),
/// key lengths in characters (4), in words (4), key bytes, vocabulary
/// (8 per word hash), list starts (4, words + 1), postings (4 each).
const SECTIONS: usize = 8;
/// Header: magic; instance, generation, token, max id, variants (the
/// stamp); lengths of the language tag, entries, key bytes, vocabulary,
/// postings; a CRC-32 per section; a CRC-32 of everything before it, and 4
/// bytes of padding. The language tag follows.
const HEADER: usize = 8 + 5 * 8 + 5 * 8 + 4 * SECTIONS + 8;
const CRC_AT: usize = 88;
/// Postings read per lookup beyond the prefix-filter lists.
const BUDGET: usize = 8_000;
/// At most this many of the rarest lists are read whatever their length:
/// enough to survive an edit that brought in a rare word of its own.
const MUST_MAX: usize = 3;
/// Postings read per lookup at most (beyond the rarest list).
const HARD_CAP: usize = 400_000;
/// Rows normalised in parallel at a time while building: large enough to
/// keep both cores busy, small enough (a few MB) not to matter for RSS.
const CHUNK: usize = 32_768;
/// Target (word, entry) pairs per bucket: 12 bytes each, so a bucket sorted
/// in RAM stays near 25 MB (and a 40M-pair memory needs 256 buckets).
/// Tests use small buckets so that their builds go through many of them.
const PAIRS_PER_BUCKET: u64 = if cfg!(test) { 1_000 } else { 2_000_000 };
/// Postings pairs expected per variant when sizing buckets (measured: 11.6
/// distinct key words per English sentence of the benchmark data).
const WORDS_PER_ENTRY: u64 = 12;
/// How old an index temp file must be before it counts as left behind by a
/// killed process: a build rewrites its file continuously, and a
/// 10M-unit build takes about a minute.
const STALE_TEMP: Duration = Duration::from_secs(600);

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

/// Why an index is being built, as a command tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Why {
    /// There is no index file yet.
    Missing,
    /// Variants were added since the index was saved.
    Appended,
    /// The memory was rewritten, replaced or restored since.
    Rewritten,
    /// The file failed its checks (the reason says which).
    Damaged(String),
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Why::Missing => f.write_str("no index yet"),
            Why::Appended => f.write_str("units were added"),
            Why::Rewritten => f.write_str("the memory was changed or replaced"),
            Why::Damaged(r) => write!(f, "the index file is damaged: {r}"),
        }
    }
}

/// What [`open_with`] reports while it works, so that a command can say on
/// its terminal what takes time (the library prints nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Building starts: the index of `lang` at `path` (none for a memory in
    /// RAM), `total` progress steps.
    Start {
        /// Primary language subtag of the indexed sources.
        lang: String,
        /// The index file, or `None` for a memory without a cache folder.
        path: Option<PathBuf>,
        /// Why it is being built (missing, appended to, changed, damaged).
        why: Why,
        /// Progress steps the build will report in all.
        total: u64,
    },
    /// Steps done so far, out of `total`.
    Progress(u64),
    /// Built, with this many entries.
    Done {
        /// Entries (stored source variants) in the index.
        entries: usize,
    },
    /// The index could not be saved (it is used from RAM this time).
    NotSaved(String),
}

/// Where one section goes while building: RAM, or an unnamed temporary
/// file (removed by the OS however the process ends).
enum Sink {
    Mem(Vec<u8>),
    File(BufWriter<File>),
}

impl Sink {
    fn new(dir: Option<&Path>) -> std::io::Result<Sink> {
        Ok(match dir {
            None => Sink::Mem(Vec::new()),
            Some(d) => Sink::File(BufWriter::with_capacity(1 << 16, tempfile::tempfile_in(d)?)),
        })
    }

    fn put(&mut self, b: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Mem(v) => {
                v.extend_from_slice(b);
                Ok(())
            }
            Sink::File(w) => w.write_all(b),
        }
    }

    /// Everything written, as a reader from the start.
    fn into_read(self) -> std::io::Result<Box<dyn Read>> {
        Ok(match self {
            Sink::Mem(v) => Box::new(std::io::Cursor::new(v)),
            Sink::File(w) => {
                let mut f = w.into_inner().map_err(|e| e.into_error())?;
                f.seek(SeekFrom::Start(0))?;
                Box::new(BufReader::with_capacity(1 << 16, f))
            }
        })
    }
}

/// A writer that keeps the CRC-32 of what passes through.
struct Crc<'a, W: Write> {
    w: &'a mut W,
    h: crc32fast::Hasher,
}

impl<W: Write> Write for Crc<'_, W> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let n = self.w.write(b)?;
        self.h.update(&b[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }
}

/// Builds an index entry by entry in bounded memory (see the module
/// comment). Entry numbers follow the order of [`Builder::push`].
struct Builder {
    ids: Sink,
    koff: Sink,
    clen: Sink,
    wlen: Sink,
    keys: Sink,
    buckets: Vec<Sink>,
    shift: u32,
    n: u64,
    nk: u64,
    max_id: i64,
    hashes: Vec<u64>,
}

impl Builder {
    /// `dir`: where to spill (None: all in RAM); `expected`: about how many
    /// entries, to size the buckets.
    fn new(dir: Option<&Path>, expected: u64) -> std::io::Result<Builder> {
        let pairs = expected.saturating_mul(WORDS_PER_ENTRY);
        let bits = if dir.is_none() {
            0
        } else {
            (pairs / PAIRS_PER_BUCKET)
                .max(1)
                .next_power_of_two()
                .trailing_zeros()
                .min(8)
        };
        let mut koff = Sink::new(dir)?;
        koff.put(&0u32.to_le_bytes())?;
        Ok(Builder {
            ids: Sink::new(dir)?,
            koff,
            clen: Sink::new(dir)?,
            wlen: Sink::new(dir)?,
            keys: Sink::new(dir)?,
            buckets: (0..1usize << bits)
                .map(|_| Sink::new(dir))
                .collect::<std::io::Result<_>>()?,
            shift: 64 - bits,
            n: 0,
            nk: 0,
            max_id: 0,
            hashes: Vec::new(),
        })
    }

    fn push(&mut self, id: i64, key: &str) -> std::io::Result<()> {
        let e = u32::try_from(self.n).map_err(|_| too_big("entries"))?;
        self.nk += key.len() as u64;
        let off = u32::try_from(self.nk).map_err(|_| too_big("key bytes"))?;
        self.ids.put(&id.to_le_bytes())?;
        self.koff.put(&off.to_le_bytes())?;
        self.clen.put(&(key.chars().count() as u32).to_le_bytes())?;
        let w = if key.is_empty() {
            0
        } else {
            key.split(' ').count() as u32
        };
        self.wlen.put(&w.to_le_bytes())?;
        self.keys.put(key.as_bytes())?;
        self.hashes.clear();
        self.hashes.extend(words_of(key).map(score::hash_word));
        self.hashes.sort_unstable();
        self.hashes.dedup();
        for &h in &self.hashes {
            let b = if self.shift >= 64 {
                0
            } else {
                (h >> self.shift) as usize
            };
            let mut rec = [0u8; 12];
            rec[..8].copy_from_slice(&h.to_le_bytes());
            rec[8..].copy_from_slice(&e.to_le_bytes());
            self.buckets[b].put(&rec)?;
        }
        self.max_id = self.max_id.max(id);
        self.n += 1;
        Ok(())
    }

    /// Writes the finished index (header, `lang`, sections) to `out`,
    /// which starts empty at position 0. `dir` is where the vocabulary and
    /// postings spill while the buckets are sorted.
    fn finish<W: Write + Seek>(
        self,
        out: &mut W,
        dir: Option<&Path>,
        stamp: Stamp,
        lang: &str,
    ) -> std::io::Result<()> {
        out.write_all(&[0u8; HEADER])?;
        out.write_all(lang.as_bytes())?;
        let mut crcs = [0u32; SECTIONS];
        let copy = |s: Sink, out: &mut W| -> std::io::Result<u32> {
            let mut c = Crc {
                w: out,
                h: crc32fast::Hasher::new(),
            };
            std::io::copy(&mut s.into_read()?, &mut c)?;
            Ok(c.h.finalize())
        };
        // The vocabulary: buckets in order of their top bits, each sorted
        // on its own, make the whole list sorted by hash.
        let (mut vocab, mut vstart, mut post) = (Sink::new(dir)?, Sink::new(dir)?, Sink::new(dir)?);
        let (mut nv, mut np) = (0u64, 0u32);
        for b in self.buckets {
            let mut raw = Vec::new();
            b.into_read()?.read_to_end(&mut raw)?;
            let mut pairs: Vec<(u64, u32)> = raw
                .chunks_exact(12)
                .map(|r| (le_u64(r, 0), le_u32(r, 8)))
                .collect();
            drop(raw);
            pairs.par_sort_unstable();
            let mut last = None;
            for (h, e) in pairs {
                if last != Some(h) {
                    vocab.put(&h.to_le_bytes())?;
                    vstart.put(&np.to_le_bytes())?;
                    nv += 1;
                    last = Some(h);
                }
                post.put(&e.to_le_bytes())?;
                np = np.checked_add(1).ok_or_else(|| too_big("postings"))?;
            }
        }
        vstart.put(&np.to_le_bytes())?;
        for (i, s) in [
            self.ids, self.koff, self.clen, self.wlen, self.keys, vocab, vstart, post,
        ]
        .into_iter()
        .enumerate()
        {
            crcs[i] = copy(s, out)?;
        }
        let mut head = Vec::with_capacity(HEADER);
        head.extend_from_slice(MAGIC);
        for v in [
            stamp.instance,
            stamp.generation,
            stamp.token,
            self.max_id,
            stamp.variants,
        ] {
            head.extend_from_slice(&v.to_le_bytes());
        }
        for v in [lang.len() as u64, self.n, self.nk, nv, np as u64] {
            head.extend_from_slice(&v.to_le_bytes());
        }
        for c in crcs {
            head.extend_from_slice(&c.to_le_bytes());
        }
        let hc = crc32fast::hash(&head);
        head.extend_from_slice(&hc.to_le_bytes());
        head.extend_from_slice(&[0u8; 4]);
        out.seek(SeekFrom::Start(0))?;
        out.write_all(&head)?;
        out.flush()
    }
}

fn too_big(what: &str) -> std::io::Error {
    std::io::Error::other(format!("too many {what} for one index file (limit 4 Gi)"))
}

/// Keys of a chunk of `(id, text)` rows, computed in parallel.
fn keys_of(rows: &[(i64, String)]) -> Vec<String> {
    rows.par_iter()
        .map(|(_, t)| score::key_of_normalized(&crate::normalize::normalize(t)))
        .collect()
}

impl Index {
    /// Builds an index in RAM over `(id, normalised text)` rows.
    pub fn build(rows: Vec<(i64, String)>) -> Index {
        let mut b = match Builder::new(None, rows.len() as u64) {
            Ok(b) => b,
            Err(_) => return Self::empty(),
        };
        let keys: Vec<String> = rows
            .par_iter()
            .map(|(_, n)| score::key_of_normalized(n))
            .collect();
        for ((id, _), k) in rows.iter().zip(&keys) {
            if b.push(*id, k).is_err() {
                return Self::empty();
            }
        }
        Self::finish_in_ram(b, Stamp::default(), "")
    }

    /// An index with no entries.
    fn empty() -> Index {
        match Builder::new(None, 0) {
            Ok(b) => Self::finish_in_ram(b, Stamp::default(), ""),
            Err(_) => unreachable!("a builder in RAM does no I/O"),
        }
    }

    fn finish_in_ram(b: Builder, stamp: Stamp, lang: &str) -> Index {
        let mut out = std::io::Cursor::new(Vec::new());
        // Writing to a Vec only fails on "too many entries", which `push`
        // already refused.
        if b.finish(&mut out, None, stamp, lang).is_err() {
            return Self::empty();
        }
        Self::layout(Bytes::Owned(out.into_inner())).unwrap_or_else(|_| Self::empty())
    }

    /// Checks the header and computes section offsets; the reason when the
    /// sizes or the header checksum do not add up.
    fn layout(data: Bytes) -> Result<Index, String> {
        if data.len() < HEADER || data.get(..8) != Some(&MAGIC[..]) {
            return Err(if data.get(..5) == Some(b"TMIDX") {
                "written by another version of transmem".into()
            } else {
                "not an index file".into()
            });
        }
        if crc32fast::hash(&data[..HEADER - 8]) != le_u32(&data, HEADER - 8) {
            return Err("header checksum mismatch".into());
        }
        let get = |i: usize| usize::try_from(le_u64(&data, 48 + 8 * i)).ok();
        let bad = || "section sizes do not match the file size".to_string();
        let (ll, n, nk, nv, np) = (
            get(0).ok_or_else(bad)?,
            get(1).ok_or_else(bad)?,
            get(2).ok_or_else(bad)?,
            get(3).ok_or_else(bad)?,
            get(4).ok_or_else(bad)?,
        );
        let sizes = [
            n.checked_mul(8),
            n.checked_add(1).and_then(|x| x.checked_mul(4)),
            n.checked_mul(4),
            n.checked_mul(4),
            Some(nk),
            nv.checked_mul(8),
            nv.checked_add(1).and_then(|x| x.checked_mul(4)),
            np.checked_mul(4),
        ];
        let mut at = [0usize; SECTIONS + 1];
        at[0] = HEADER.checked_add(ll).ok_or_else(bad)?;
        for (i, s) in sizes.iter().enumerate() {
            at[i + 1] = at[i].checked_add(s.ok_or_else(bad)?).ok_or_else(bad)?;
        }
        if at[SECTIONS] != data.len() {
            return Err(bad());
        }
        Ok(Index {
            max_id: le_u64(&data, 32) as i64,
            stamp: Stamp {
                instance: le_u64(&data, 8) as i64,
                generation: le_u64(&data, 16) as i64,
                token: le_u64(&data, 24) as i64,
                variants: le_u64(&data, 40) as i64,
            },
            n,
            nv,
            ids_at: at[0],
            koff_at: at[1],
            clen_at: at[2],
            wlen_at: at[3],
            keys_at: at[4],
            vocab_at: at[5],
            vstart_at: at[6],
            post_at: at[7],
            data,
        })
    }

    /// Checks every section's CRC-32 (large sections in parallel pieces,
    /// combined); the first section that fails.
    fn verify(&self) -> Result<(), String> {
        const PIECE: usize = 8 << 20;
        let at = [
            self.ids_at,
            self.koff_at,
            self.clen_at,
            self.wlen_at,
            self.keys_at,
            self.vocab_at,
            self.vstart_at,
            self.post_at,
            self.data.len(),
        ];
        const NAMES: [&str; SECTIONS] = [
            "ids",
            "key offsets",
            "key lengths",
            "word counts",
            "keys",
            "vocabulary",
            "list starts",
            "postings",
        ];
        for i in 0..SECTIONS {
            let sec = &self.data[at[i]..at[i + 1]];
            let h = sec
                .par_chunks(PIECE)
                .map(|c| {
                    let mut h = crc32fast::Hasher::new();
                    h.update(c);
                    h
                })
                .reduce(crc32fast::Hasher::new, |mut a, b| {
                    a.combine(&b);
                    a
                });
            if h.finalize() != le_u32(&self.data, CRC_AT + 4 * i) {
                return Err(format!("checksum mismatch in its {}", NAMES[i]));
            }
        }
        Ok(())
    }

    /// Entries (stored source variants) in the index.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True for an index of no entries.
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
            .get(self.keys_at + s..(self.keys_at + e.max(s)).min(self.vocab_at))
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

    /// Maps and checks the index file of `lang` at `path`: `Ok(None)` when
    /// there is none, `Err(reason)` when it is damaged, of another version
    /// or of another language.
    pub fn load(path: &Path, lang: &str) -> Result<Option<Index>, String> {
        Self::map(path, lang, true)
    }

    /// [`Index::load`], checking the sections' CRCs only when `verify`:
    /// a refresh after an import needs the stamp, and reading every page of
    /// a large index would count it all in the importer's RSS.
    fn map(path: &Path, lang: &str, verify: bool) -> Result<Option<Index>, String> {
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        // SAFETY: transmem never writes an index file in place: a new one
        // is written under another name and renamed over it, which leaves
        // this mapping on the old inode. Only another program truncating
        // the file while it is mapped could fault it; the CRCs below catch
        // every other change made before the mapping.
        #[allow(
            unsafe_code,
            reason = "mapping is what keeps a cold lookup off a full read"
        )]
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| e.to_string())?;
        let ix = Self::layout(Bytes::Mapped(map))?;
        if ix.data.get(HEADER..ix.ids_at) != Some(lang.as_bytes()) {
            return Err("it is the index of another language".into());
        }
        if verify {
            ix.verify()?;
        }
        Ok(Some(ix))
    }
}

/// Where the index of `lang` for the memory at `memory` lives.
pub fn path_for(memory: &Path, lang: &str) -> PathBuf {
    let mut s = memory.as_os_str().to_owned();
    s.push(format!(".match-{lang}.idx"));
    PathBuf::from(s)
}

/// The folder of `path` ("." for a bare file name) and its file name.
fn dir_and_name(path: &Path) -> (PathBuf, String) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (dir, name)
}

/// Removes index temp files that a killed process left beside the memory
/// `base`: today's `<memory>.match-<lang>.<random>.tmp` and the
/// `<memory>.match-<lang>.tmp<pid>` of earlier versions, once older than
/// ten minutes (a build in progress keeps its file fresh).
pub fn sweep_stale_temps(base: &Path) -> usize {
    let (dir, name) = dir_and_name(base);
    let prefix = format!("{name}.match-");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let n = e.file_name();
        let n = n.to_string_lossy();
        let Some(rest) = n.strip_prefix(&prefix) else {
            continue;
        };
        let old_style = rest
            .rsplit_once(".tmp")
            .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
        if !(rest.ends_with(".tmp") || old_style) {
            continue;
        }
        let stale = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_TEMP);
        // Another process may sweep it first; either way it is gone.
        if stale
            && e.file_type().is_ok_and(|t| t.is_file())
            && std::fs::remove_file(e.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
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

/// The index of primary language `lang` for `memory`, with no reports
/// (see [`open_with`]).
pub fn open(memory: &Memory, lang: &str) -> crate::Result<Index> {
    open_with(memory, lang, &mut |_| {})
}

/// Brings the saved index of `lang` up to date (see [`open_with`]) and
/// returns its number of entries; what `import` and `align --store` call
/// before they return, so that the next lookup finds it ready.
pub fn refresh(memory: &Memory, lang: &str, on: &mut dyn FnMut(&Event)) -> crate::Result<()> {
    open_inner(memory, lang, on, false).map(|_| ())
}

/// A build failure: the store's (reported) or the index file's (the index
/// is then built in RAM instead).
enum Failed {
    Store(crate::Error),
    Io(std::io::Error),
}

impl From<std::io::Error> for Failed {
    fn from(e: std::io::Error) -> Self {
        Failed::Io(e)
    }
}

/// The index of primary language `lang` for `memory`: loaded, extended or
/// rebuilt as the memory's stamp requires, and saved beside the memory when
/// it changed. `on` hears when a build starts, how it progresses and when it
/// ends, so that no command rebuilds without saying so. A memory in RAM
/// gets a fresh index every time (and no reports).
pub fn open_with(memory: &Memory, lang: &str, on: &mut dyn FnMut(&Event)) -> crate::Result<Index> {
    Ok(open_inner(memory, lang, on, true)?.unwrap_or_else(Index::empty))
}

/// [`open_with`]; with `want` false, the index is brought up to date on
/// disk without being mapped and checked afterwards (`None` then).
fn open_inner(
    memory: &Memory,
    lang: &str,
    on: &mut dyn FnMut(&Event),
    want: bool,
) -> crate::Result<Option<Index>> {
    // Every row read is bounded by `now.variants`, so what is saved under
    // the stamp `now` holds exactly what `now` committed, even while a
    // writer commits more.
    let now = memory.stamp()?;
    let Some(base) = memory.cache_base() else {
        return Ok(Some(Index::build(read_rows(
            memory,
            lang,
            0,
            now.variants,
        )?)));
    };
    sweep_stale_temps(&base);
    let path = path_for(&base, lang);
    let (prior, why) = match Index::map(&path, lang, want) {
        Ok(Some(ix)) => match memory.since(&ix.stamp, &now)? {
            Since::Same => return Ok(want.then_some(ix)),
            Since::Appended => (Some(ix), Why::Appended),
            Since::Rewritten => (None, Why::Rewritten),
        },
        Ok(None) => (None, Why::Missing),
        Err(reason) => (None, Why::Damaged(reason)),
    };
    let after = prior
        .as_ref()
        .map_or(0, |ix| ix.max_id.max(ix.stamp.variants));
    let total = u64::try_from(now.variants - after).unwrap_or(0)
        + prior.as_ref().map_or(0, |ix| ix.len() as u64);
    on(&Event::Start {
        lang: lang.into(),
        path: Some(path.clone()),
        why,
        total,
    });
    let built = match build_file(memory, lang, prior.as_ref(), now, &path, on, want) {
        Ok(ix) => ix,
        Err(Failed::Store(e)) => return Err(e),
        Err(Failed::Io(e)) => {
            // A read-only folder or a full disk only costs this process the
            // index in RAM (the temp files are gone already).
            on(&Event::NotSaved(format!("{}: {e}", path.display())));
            let mut b = Builder::new(None, 0).map_err(|e| crate::Error::Invalid(e.to_string()))?;
            feed(
                &mut b,
                memory,
                lang,
                prior.as_ref(),
                after,
                now.variants,
                on,
            )
            .map_err(|e| match e {
                Failed::Store(e) => e,
                Failed::Io(e) => crate::Error::Invalid(e.to_string()),
            })?;
            let ix = Index::finish_in_ram(b, now, lang);
            (ix.len(), Some(ix))
        }
    };
    on(&Event::Done { entries: built.0 });
    Ok(built.1)
}

/// Pushes the entries of `prior` (their keys as they are) and then the
/// variants of `lang` with ids in `after+1 ..= upto` into `b`.
fn feed(
    b: &mut Builder,
    memory: &Memory,
    lang: &str,
    prior: Option<&Index>,
    after: i64,
    upto: i64,
    on: &mut dyn FnMut(&Event),
) -> Result<(), Failed> {
    let mut done = 0u64;
    if let Some(ix) = prior {
        for i in 0..ix.len() {
            b.push(ix.id(i), ix.key(i))?;
            if i % CHUNK == 0 {
                on(&Event::Progress(i as u64));
            }
        }
        done = ix.len() as u64;
    }
    let mut chunk: Vec<(i64, String)> = Vec::with_capacity(CHUNK);
    let mut io: Option<std::io::Error> = None;
    let mut flush = |chunk: &mut Vec<(i64, String)>, b: &mut Builder| -> std::io::Result<()> {
        for ((id, _), k) in chunk.iter().zip(keys_of(chunk)) {
            b.push(*id, &k)?;
        }
        if let Some(&(last, _)) = chunk.last() {
            on(&Event::Progress(
                done + u64::try_from(last - after).unwrap_or(0),
            ));
        }
        chunk.clear();
        Ok(())
    };
    memory
        .for_each_text(lang, after, upto, |id, text| {
            chunk.push((id, text.to_string()));
            if chunk.len() == CHUNK
                && let Err(e) = flush(&mut chunk, b)
            {
                io = Some(e);
                return Err(crate::Error::Invalid("index build stopped".into()));
            }
            Ok(())
        })
        .map_err(|e| match io.take() {
            Some(io) => Failed::Io(io),
            None => Failed::Store(e),
        })?;
    flush(&mut chunk, b)?;
    Ok(())
}

/// Builds the index into a temp file beside the memory and renames it over
/// `path`; the temp file is removed on every error path.
fn build_file(
    memory: &Memory,
    lang: &str,
    prior: Option<&Index>,
    now: Stamp,
    path: &Path,
    on: &mut dyn FnMut(&Event),
    want: bool,
) -> Result<(usize, Option<Index>), Failed> {
    let after = prior.map_or(0, |ix| ix.max_id.max(ix.stamp.variants));
    let (dir, name) = dir_and_name(path);
    let expected =
        u64::try_from(now.variants - after).unwrap_or(0) / 2 + prior.map_or(0, |p| p.len() as u64);
    let mut b = Builder::new(Some(&dir), expected)?;
    feed(&mut b, memory, lang, prior, after, now.variants, on)?;
    if b.n == 0 {
        // An empty index (a language the memory does not hold) is not
        // saved: it would leave a stray file beside the memory for a
        // mistyped tag.
        return Ok((0, Some(Index::empty())));
    }
    let entries = b.n as usize;
    let stem = name.strip_suffix(".idx").unwrap_or(&name);
    let tmp = tempfile::Builder::new()
        .prefix(&format!("{stem}."))
        .suffix(".tmp")
        .tempfile_in(&dir)?;
    {
        let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file());
        b.finish(&mut w, Some(&dir), now, lang)?;
        w.flush()?;
    }
    let file = tmp.persist(path).map_err(|e| Failed::Io(e.error))?;
    drop(file);
    if !want {
        return Ok((entries, None));
    }
    match Index::load(path, lang) {
        Ok(Some(ix)) => Ok((entries, Some(ix))),
        Ok(None) => Err(Failed::Io(std::io::Error::other(
            "the saved index vanished",
        ))),
        Err(r) => Err(Failed::Io(std::io::Error::other(r))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{OnDuplicate, Unit, Variant};
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

    fn store(mem: &mut Memory, pairs: &[(String, String)]) {
        let mut w = mem.writer().expect("writer");
        for (en, ru) in pairs {
            let v = |l: &str, t: &str| Variant {
                lang: l.into(),
                text: t.into(),
                ..Variant::default()
            };
            let u = Unit {
                variants: vec![v("en", en), v("ru", ru)],
                ..Unit::default()
            };
            w.insert(&u, Some("en"), OnDuplicate::KeepBoth)
                .expect("insert");
        }
        w.commit().expect("commit");
    }

    fn sentences(from: usize, n: usize) -> Vec<(String, String)> {
        (from..from + n)
            .map(|i| {
                (
                    format!(
                        "Report {} of word{} and term{} was filed.",
                        i % 7,
                        i,
                        i % 13
                    ),
                    format!("Отчёт {i}."),
                )
            })
            .collect()
    }

    /// A build spilled through bucket files equals a build in RAM, entry for
    /// entry and list for list, and appending equals building afresh.
    #[test]
    fn spilled_builds_and_appends_equal_builds_in_ram() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.sqlite");
        let mut mem = Memory::open(&path).expect("open");
        store(&mut mem, &sentences(0, 3000));
        let mut events = Vec::new();
        let ix = open_with(&mem, "en", &mut |e| events.push(e.clone())).expect("open");
        assert_eq!(ix.len(), 3000);
        assert!(
            matches!(
                &events[0],
                Event::Start {
                    why: Why::Missing,
                    ..
                }
            ),
            "{events:?}"
        );
        assert_eq!(events.last(), Some(&Event::Done { entries: 3000 }));
        let ram = Index::build(read_rows(&mem, "en", 0, i64::MAX).expect("rows"));
        let same = |a: &Index, b: &Index| {
            assert_eq!(a.len(), b.len());
            for i in 0..a.len() {
                assert_eq!(
                    (a.id(i), a.key(i), a.lengths(i)),
                    (b.id(i), b.key(i), b.lengths(i))
                );
            }
            for w in ["report", "word17", "term3", "filed", "#"] {
                assert_eq!(
                    a.postings(w).iter().collect::<Vec<_>>(),
                    b.postings(w).iter().collect::<Vec<_>>(),
                    "{w}"
                );
            }
        };
        same(&ix, &ram);
        // Nothing changed: loaded as saved, with no build reported.
        let mut quiet = Vec::new();
        open_with(&mem, "en", &mut |e| quiet.push(e.clone())).expect("open");
        assert!(quiet.is_empty(), "{quiet:?}");
        // Appended: extended, and equal to a fresh build.
        store(&mut mem, &sentences(3000, 500));
        let mut ev = Vec::new();
        let ix = open_with(&mem, "en", &mut |e| ev.push(e.clone())).expect("open");
        assert!(
            matches!(
                &ev[0],
                Event::Start {
                    why: Why::Appended,
                    ..
                }
            ),
            "{ev:?}"
        );
        same(
            &ix,
            &Index::build(read_rows(&mem, "en", 0, i64::MAX).expect("rows")),
        );
        assert_eq!(ix.postings("word3200").len(), 1);
        // No temp file is left beside the memory.
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".match-"))
            .collect();
        assert_eq!(names, ["m.sqlite.match-en.idx"]);
    }

    /// Zeroed blocks that keep the file's size are found by the section
    /// checksums; the index is rebuilt, says why, and finds every sentence.
    #[test]
    fn a_corrupted_index_of_the_same_size_is_rebuilt() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.sqlite");
        let mut mem = Memory::open(&path).expect("open");
        let data = sentences(0, 400);
        store(&mut mem, &data);
        let good = open(&mem, "en").expect("open");
        let idx = path_for(&path, "en");
        let bytes = std::fs::read(&idx).expect("read");
        // One block in every section, and the header's stamp.
        let at = [
            good.ids_at,
            good.koff_at,
            good.clen_at,
            good.wlen_at,
            good.keys_at,
            good.vocab_at,
            good.vstart_at,
            good.post_at,
            12,
        ];
        drop(good);
        for (k, &a) in at.iter().enumerate() {
            let mut bad = bytes.clone();
            let end = (a + 16).min(bad.len());
            bad[a..end].iter_mut().for_each(|b| *b ^= 0x5a);
            std::fs::write(&idx, &bad).expect("write");
            assert_eq!(
                std::fs::metadata(&idx).expect("meta").len() as usize,
                bytes.len()
            );
            let mut ev = Vec::new();
            let ix = open_with(&mem, "en", &mut |e| ev.push(e.clone())).expect("open");
            assert!(
                matches!(
                    &ev[0],
                    Event::Start {
                        why: Why::Damaged(_),
                        ..
                    }
                ),
                "section {k}: {ev:?}"
            );
            for (i, (en, _)) in data.iter().enumerate() {
                let qk = score::key(en);
                assert_eq!(ix.key(i), qk, "section {k}");
            }
            assert_eq!(
                std::fs::read(&idx).expect("read"),
                bytes,
                "section {k}: rebuilt the same"
            );
        }
    }

    /// A copy restored over the memory changes its stamp: the index is
    /// rebuilt, not extended, so a unit stored after the restore is found
    /// and one only in the replaced state is not.
    #[test]
    fn a_stale_index_after_a_restore_is_rebuilt() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.sqlite");
        let bak = dir.path().join("m.bak");
        {
            let mut mem = Memory::open(&path).expect("open");
            store(&mut mem, &sentences(0, 10));
        }
        std::fs::copy(&path, &bak).expect("copy");
        {
            let mut mem = Memory::open(&path).expect("open");
            store(&mut mem, &sentences(10, 5));
            assert_eq!(open(&mem, "en").expect("open").len(), 15);
        }
        std::fs::copy(&bak, &path).expect("restore");
        let mut mem = Memory::open(&path).expect("open");
        store(
            &mut mem,
            &[("A wholly new line.".into(), "Новая строка.".into())],
        );
        let mut ev = Vec::new();
        let ix = open_with(&mem, "en", &mut |e| ev.push(e.clone())).expect("open");
        assert!(
            matches!(
                &ev[0],
                Event::Start {
                    why: Why::Rewritten,
                    ..
                }
            ),
            "{ev:?}"
        );
        assert_eq!(ix.len(), 11);
        assert_eq!(ix.postings("wholly").len(), 1);
        assert_eq!(ix.postings("word12").len(), 0);
    }

    /// Temp files of killed builds are swept once stale; fresh ones (a
    /// build in progress) and other files are kept.
    #[test]
    fn stale_index_temps_are_swept_and_fresh_ones_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.sqlite");
        let mut mem = Memory::open(&path).expect("open");
        store(&mut mem, &sentences(0, 5));
        let old = std::time::SystemTime::now() - Duration::from_secs(3600);
        let mk = |n: &str, stale: bool| {
            let p = dir.path().join(n);
            let f = File::create(&p).expect("create");
            if stale {
                f.set_modified(old).expect("mtime");
            }
            p
        };
        let gone = [
            mk("m.sqlite.match-en.aB3xYz.tmp", true),
            mk("m.sqlite.match-en.tmp4242", true),
        ];
        let kept = [
            mk("m.sqlite.match-en.Qw9rTy.tmp", false),
            mk("other.sqlite.match-en.aB3xYz.tmp", true),
            mk("m.sqlite.match-en.notes", true),
        ];
        open(&mem, "en").expect("open");
        for p in gone {
            assert!(!p.exists(), "{}", p.display());
        }
        for p in kept {
            assert!(p.exists(), "{}", p.display());
        }
    }

    /// A folder the index cannot be written to costs a build in RAM, said
    /// as such, and leaves nothing behind.
    #[cfg(unix)]
    #[test]
    fn an_unwritable_folder_builds_in_ram_and_says_so() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let sub = dir.path().join("ro");
        std::fs::create_dir(&sub).expect("mkdir");
        let path = sub.join("m.sqlite");
        let mut mem = Memory::open(&path).expect("open");
        store(&mut mem, &sentences(0, 50));
        drop(mem);
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o555)).expect("chmod");
        // Root ignores the mode; then there is nothing to test.
        if File::create(sub.join("probe")).is_ok() {
            return;
        }
        let mem = Memory::open_existing(&path).expect("open");
        let mut ev = Vec::new();
        let ix = open_with(&mem, "en", &mut |e| ev.push(e.clone())).expect("open");
        assert_eq!(ix.len(), 50);
        assert!(ev.iter().any(|e| matches!(e, Event::NotSaved(_))), "{ev:?}");
        let left: Vec<_> = std::fs::read_dir(&sub)
            .expect("dir")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        assert!(
            left.iter()
                .all(|n| !n.to_string_lossy().contains(".match-")),
            "{left:?}"
        );
    }
}
