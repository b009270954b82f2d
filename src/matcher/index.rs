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
//! only appended to, add the new variants (their ids are higher; or, for a
//! reader that catches up by itself, leave a little behind: see
//! [`refresh`] and `super::live::Live`); anything
//! else (a rewrite, another memory, a restored copy), rebuild. Every section
//! of the file carries a CRC-32, checked on open, so a damaged file that kept
//! its size is rebuilt rather than believed.
//!
//! Compact layout (format v5): a key is stored as the varint ids of its
//! words in a word table that holds each distinct key word once, postings
//! as varint gaps after a varint count, ids as 4-byte offsets from the
//! smallest id when they all fit, and lengths in 3 bytes. On the 1M-unit
//! benchmark memory this is 57 bytes per entry where v4 took 155
//! (docs/matching.md).
//!
//! Building runs in bounded memory whatever the memory's size: ids, keys and
//! lengths stream to unnamed temporary files, and the (word, entry) pairs
//! are partitioned by the word hash's top bits into bucket files that are
//! sorted one at a time (their concatenation is the sorted vocabulary). Only
//! the word table (each distinct word once, with a hash table of its ids)
//! is held in RAM: the vocabulary grows far slower than the entries. The
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
    nw: usize,
    /// Ids are stored as offsets from this one (the smallest)...
    id_base: i64,
    /// ... in this many bytes each: 4 when every offset fits, else 8.
    id_width: usize,
    /// Where each section starts (see [`SECTIONS`]), and the end of the last.
    at: [usize; SECTIONS + 1],
    /// Highest id covered (for appending).
    pub max_id: i64,
    /// The memory state this index holds (zeros for one built in RAM).
    pub stamp: Stamp,
    /// `score::hash_word` of each word-table word, made on first use (the
    /// table is small: tens of thousands of words, under a millisecond),
    /// so that scoring a candidate does not split and hash its key again.
    word_hashes: std::sync::OnceLock<Vec<u64>>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("entries", &self.n)
            .field("words", &self.nv)
            .field("key words", &self.nw)
            .field("mapped", &matches!(self.data, Bytes::Mapped(_)))
            .field("stamp", &self.stamp)
            .finish()
    }
}

/// Appends `v` as a LEB128 varint: 7 bits a byte, low first, the high bit
/// set on every byte but the last.
fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads the varint at `*at` and moves past it; `None` past the end of `b`
/// or for more than ten bytes (a damaged buffer).
#[inline]
fn get_varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let first = *b.get(*at)?;
    *at += 1;
    if first < 0x80 {
        return Some(u64::from(first));
    }
    let mut v = u64::from(first & 0x7f);
    let mut shift = 7;
    loop {
        let byte = *b.get(*at)?;
        *at += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(v);
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
}

/// Postings of one word: ascending entry numbers, stored as a varint count
/// then varint gaps (the first from 0).
#[derive(Debug, Clone, Copy)]
pub struct Postings<'a> {
    /// The gaps (after the count).
    gaps: &'a [u8],
    len: usize,
}

impl<'a> Postings<'a> {
    const EMPTY: Postings<'static> = Postings { gaps: &[], len: 0 };

    /// A list as stored: its count, then its gaps.
    fn parse(b: &'a [u8]) -> Postings<'a> {
        let mut at = 0;
        match get_varint(b, &mut at).and_then(|n| usize::try_from(n).ok()) {
            Some(len) => Postings {
                gaps: &b[at..],
                len,
            },
            None => Postings::EMPTY,
        }
    }
    /// How many entries contain the word (stored with the list: O(1)).
    pub fn len(&self) -> usize {
        self.len
    }
    /// True when no entry contains the word.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Every entry number, ascending (decoded in one pass; a damaged list
    /// ends early rather than yielding past its bytes).
    pub fn iter(&self) -> PostingsIter<'a> {
        PostingsIter {
            b: self.gaps,
            at: 0,
            prev: 0,
            left: self.len,
        }
    }
    /// Whether `e` is in the list: a linear decode up to `e` (to intersect
    /// with many entries, walk both lists with [`Postings::retain_in`]).
    pub fn contains(&self, e: u32) -> bool {
        self.iter().take_while(|&x| x <= e).any(|x| x == e)
    }
    /// Keeps in `sorted` (ascending) only the entries this list holds, in
    /// one pass over both.
    pub fn retain_in(&self, sorted: &mut Vec<u32>) {
        let mut it = self.iter().peekable();
        sorted.retain(|&e| {
            while it.next_if(|&x| x < e).is_some() {}
            it.peek() == Some(&e)
        });
    }
}

/// The entries of a [`Postings`] list, ascending.
#[derive(Debug, Clone)]
pub struct PostingsIter<'a> {
    b: &'a [u8],
    at: usize,
    prev: u32,
    left: usize,
}

impl Iterator for PostingsIter<'_> {
    type Item = u32;
    #[inline]
    fn next(&mut self) -> Option<u32> {
        if self.left == 0 {
            return None;
        }
        let e = get_varint(self.b, &mut self.at)
            .and_then(|g| u32::try_from(g).ok())
            .and_then(|g| self.prev.checked_add(g));
        match e {
            Some(e) => {
                self.left -= 1;
                self.prev = e;
                Some(e)
            }
            None => {
                self.left = 0;
                None
            }
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left))
    }
}

const MAGIC: &[u8; 8] = b"TMIDX\x05\0\0";
/// Sections, in file order: ids (offsets from the smallest, 4 or 8 bytes
/// each), key offsets (4, n + 1, into the keys), lengths (3 per entry:
/// characters in 2 bytes, words in 1, saturated), keys (varint word ids),
/// word offsets (4, words + 1), word bytes, vocabulary (8 per word hash,
/// ascending), list starts (8, hashes + 1, into the postings), postings
/// (per list a varint count, then varint gaps).
const SECTIONS: usize = 9;
const NAMES: [&str; SECTIONS] = [
    "ids",
    "key offsets",
    "key lengths",
    "keys",
    "word offsets",
    "word table",
    "vocabulary",
    "list starts",
    "postings",
];
/// Header: magic; instance, generation, token, max id, variants (the
/// stamp); lengths of the language tag, entries, key bytes, key words, word
/// bytes, vocabulary, postings bytes; the id base and width; a CRC-32 per
/// section; a CRC-32 of everything before it, and 4 bytes of padding. The
/// language tag follows.
const HEADER: usize = 8 + 5 * 8 + 9 * 8 + 4 * SECTIONS + 8;
const CRC_AT: usize = 8 + 5 * 8 + 9 * 8;
/// Saturated lengths: the exact value is then counted on the key (keys of
/// more than 65,534 characters or 254 words; no benchmark sentence has one).
const CHARS_SAT: usize = u16::MAX as usize;
const WORDS_SAT: usize = u8::MAX as usize;
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

/// How far ahead [`Index::candidates`] prefetches: enough misses in flight
/// to cover a memory latency, few enough to stay in the fill buffers.
const AHEAD: usize = 16;

/// Asks the CPU to bring `at`'s cache line in (a hint: nothing when `at` is
/// `None` or on other architectures).
#[inline(always)]
fn prefetch<T>(at: Option<&T>) {
    #[cfg(target_arch = "x86_64")]
    if let Some(r) = at {
        // SAFETY: a prefetch never faults and reads nothing into the
        // program; the pointer comes from a live reference anyway.
        #[allow(unsafe_code, reason = "the prefetch hint has no safe wrapper")]
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                (r as *const T).cast::<i8>(),
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

/// Entries with the weight of the query words they hold (the weight
/// saturates at 255), ascending by entry.
type Weighted = Vec<(u32, u8)>;

thread_local! {
    /// Per-thread merge buffers of [`Index::candidates`] (the merged lists
    /// so far and the next), reused across lookups.
    static MERGED: RefCell<(Weighted, Weighted)> =
        const { RefCell::new((Vec::new(), Vec::new())) };
}

fn words_of(key: &str) -> impl Iterator<Item = &str> {
    key.split(' ').filter(|w| listed(w))
}

/// Whether a key word has a postings list: numbers (`#`) do not.
fn listed(w: &str) -> bool {
    !w.is_empty() && w != "#"
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

/// The length fields of a key: characters and words, counted as
/// `Index::lengths` reports them.
fn count_lengths(key: &str) -> (usize, usize) {
    let w = if key.is_empty() {
        0
    } else {
        key.split(' ').count()
    };
    (key.chars().count(), w)
}
/// [`score::bound`] `>= cutoff` for one query, as a range of character
/// lengths per word count: the filter of [`Index::candidates`] tests tens
/// of thousands of entries a lookup at 10M, and two divisions each were a
/// measurable part of it. The bound rises with the stored length up to the
/// query's and falls after it (IEEE arithmetic keeps that monotonic), so
/// each range is found by evaluating the bound itself: the filter admits
/// exactly the entries the bound does.
struct LengthBound {
    /// Per stored word count: the first and last admitted character length
    /// (first > last when none is).
    ranges: Vec<(usize, usize)>,
    qc: usize,
    qw: usize,
    cutoff: f64,
}

impl LengthBound {
    fn new(qc: usize, qw: usize, cutoff: f64) -> LengthBound {
        let ok = |sc: usize, sw: usize| score::bound(qc, qw, sc, sw) >= cutoff;
        let ranges = (0..=WORDS_SAT)
            .map(|sw| {
                // Bisect each monotonic side: below the query's length
                // for the first admitted, above it for the last.
                if !ok(qc, sw) {
                    return (1, 0);
                }
                let (mut lo, mut hi) = (0, qc);
                while lo < hi {
                    let mid = (lo + hi) / 2;
                    if ok(mid, sw) { hi = mid } else { lo = mid + 1 }
                }
                let first = lo;
                // Gallop up to a length the bound refuses (with a cut-off
                // of 50 or less there may be none), then bisect.
                let mut hi = 2 * qc + 2;
                while ok(hi, sw) {
                    if hi > u32::MAX as usize {
                        return (first, usize::MAX);
                    }
                    hi *= 2;
                }
                let mut lo = qc;
                while lo < hi {
                    let mid = (lo + hi).div_ceil(2);
                    if ok(mid, sw) { lo = mid } else { hi = mid - 1 }
                }
                (first, lo)
            })
            .collect();
        LengthBound {
            ranges,
            qc,
            qw,
            cutoff,
        }
    }

    fn admits(&self, sc: usize, sw: usize) -> bool {
        match self.ranges.get(sw) {
            Some(&(first, last)) => first <= sc && sc <= last,
            None => score::bound(self.qc, self.qw, sc, sw) >= self.cutoff,
        }
    }
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
    /// Built from a first write's units as they were stored (see
    /// [`Tapped`]); only saving it is left.
    Stored,
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Why::Missing => f.write_str("no index yet"),
            Why::Appended => f.write_str("units were added"),
            Why::Rewritten => f.write_str("the memory was changed or replaced"),
            Why::Damaged(r) => write!(f, "the index file is damaged: {r}"),
            Why::Stored => f.write_str("built while the units were stored"),
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
    /// The index of `lang` was fetched from the copy the memory's store
    /// shares (a PostgreSQL memory), `bytes` long, in `took`, instead of
    /// being built here.
    Fetched {
        /// Primary language subtag of the indexed sources.
        lang: String,
        /// Size of the file fetched.
        bytes: u64,
        /// How long fetching took.
        took: Duration,
    },
    /// The copy shared through the store could not be brought up to date
    /// (the index here is fine; a process elsewhere builds its own).
    NotShared(String),
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

/// The word table of a build: each distinct key word once, numbered in
/// order of first appearance (the commonest words come early, so their ids
/// take one varint byte), with an open-addressing hash table from word to
/// id over one byte arena. It is what a build holds in RAM beyond its
/// buffers: the vocabulary grows far slower than the entries (32,871 words
/// in the 1M-unit benchmark memory, 0.2 MB of bytes).
struct Vocab {
    bytes: Vec<u8>,
    /// Where word `i` starts in `bytes`; one more for the end.
    offs: Vec<u32>,
    /// `score::hash_word` of word `i` (for the postings, and for growing).
    hashes: Vec<u64>,
    /// Word id + 1, 0 for a free slot; a power of two, at most half full.
    slots: Vec<u32>,
}

impl Vocab {
    fn new() -> Vocab {
        Vocab {
            bytes: Vec::new(),
            offs: vec![0],
            hashes: Vec::new(),
            slots: vec![0; 1 << 10],
        }
    }

    fn len(&self) -> usize {
        self.hashes.len()
    }

    fn word(&self, id: usize) -> &[u8] {
        &self.bytes[self.offs[id] as usize..self.offs[id + 1] as usize]
    }

    fn slot_of(h: u64, mask: usize) -> usize {
        (h ^ (h >> 32)) as usize & mask
    }

    /// The id of `w`, numbering it if it is new.
    fn id(&mut self, w: &str) -> std::io::Result<u32> {
        let h = score::hash_word(w);
        let mask = self.slots.len() - 1;
        let mut i = Self::slot_of(h, mask);
        while let Some(id) = self.slots[i].checked_sub(1) {
            let id = id as usize;
            if self.hashes[id] == h && self.word(id) == w.as_bytes() {
                return Ok(id as u32);
            }
            i = (i + 1) & mask;
        }
        let id = u32::try_from(self.len())
            .ok()
            .filter(|&id| id < u32::MAX)
            .ok_or_else(|| too_big("key words"))?;
        let end = u32::try_from(self.bytes.len() + w.len()).map_err(|_| too_big("word bytes"))?;
        self.bytes.extend_from_slice(w.as_bytes());
        self.offs.push(end);
        self.hashes.push(h);
        self.slots[i] = id + 1;
        if 2 * self.len() > self.slots.len() {
            let mut slots = vec![0u32; 2 * self.slots.len()];
            let mask = slots.len() - 1;
            for (id, &h) in self.hashes.iter().enumerate() {
                let mut i = Self::slot_of(h, mask);
                while slots[i] != 0 {
                    i = (i + 1) & mask;
                }
                slots[i] = id as u32 + 1;
            }
            self.slots = slots;
        }
        Ok(id)
    }
}

/// Reads until `buf` is full or the input ends; how many bytes it got.
fn fill(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Builds an index entry by entry in bounded memory (see the module
/// comment). Entry numbers follow the order of [`Builder::push`].
struct Builder {
    /// Ids as pushed (8 bytes each), narrowed when written out.
    ids: Sink,
    koff: Sink,
    lens: Sink,
    keys: Sink,
    vocab: Vocab,
    buckets: Vec<Sink>,
    shift: u32,
    n: u64,
    nk: u64,
    max_id: i64,
    /// Smallest and largest id pushed (the id base and width).
    lo: i64,
    hi: i64,
    hashes: Vec<u64>,
    enc: Vec<u8>,
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
            lens: Sink::new(dir)?,
            keys: Sink::new(dir)?,
            vocab: Vocab::new(),
            buckets: (0..1usize << bits)
                .map(|_| Sink::new(dir))
                .collect::<std::io::Result<_>>()?,
            shift: 64 - bits,
            n: 0,
            nk: 0,
            max_id: 0,
            lo: i64::MAX,
            hi: i64::MIN,
            hashes: Vec::new(),
            enc: Vec::new(),
        })
    }

    fn push(&mut self, id: i64, key: &str) -> std::io::Result<()> {
        let e = u32::try_from(self.n).map_err(|_| too_big("entries"))?;
        self.enc.clear();
        self.hashes.clear();
        if !key.is_empty() {
            for w in key.split(' ') {
                let wid = self.vocab.id(w)?;
                put_varint(&mut self.enc, wid.into());
                if listed(w) {
                    self.hashes.push(self.vocab.hashes[wid as usize]);
                }
            }
        }
        self.nk += self.enc.len() as u64;
        let off = u32::try_from(self.nk).map_err(|_| too_big("key bytes"))?;
        self.ids.put(&id.to_le_bytes())?;
        self.koff.put(&off.to_le_bytes())?;
        let (c, w) = count_lengths(key);
        let c = (c.min(CHARS_SAT) as u16).to_le_bytes();
        self.lens.put(&[c[0], c[1], w.min(WORDS_SAT) as u8])?;
        self.keys.put(&self.enc)?;
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
        self.lo = self.lo.min(id);
        self.hi = self.hi.max(id);
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
        let head = self.finish_body(out, dir, lang)?;
        head.write(out, stamp)
    }

    /// [`Builder::finish`] but for the header, which is left zero: what
    /// can be written before the memory's stamp is known (see [`Tapped`]).
    fn finish_body<W: Write + Seek>(
        self,
        out: &mut W,
        dir: Option<&Path>,
        lang: &str,
    ) -> std::io::Result<Head> {
        out.write_all(&[0u8; HEADER])?;
        out.write_all(lang.as_bytes())?;
        let mut crcs = [0u32; SECTIONS];
        // The vocabulary: buckets in order of their top bits, each sorted
        // on its own, make the whole list sorted by hash. Each list is its
        // count, then the gaps between its ascending entries.
        let (mut vocab, mut vstart, mut post) = (Sink::new(dir)?, Sink::new(dir)?, Sink::new(dir)?);
        let (mut nv, mut np) = (0u64, 0u64);
        let mut list = Vec::new();
        for b in self.buckets {
            let mut raw = Vec::new();
            b.into_read()?.read_to_end(&mut raw)?;
            let mut pairs: Vec<(u64, u32)> = raw
                .chunks_exact(12)
                .map(|r| (le_u64(r, 0), le_u32(r, 8)))
                .collect();
            drop(raw);
            pairs.par_sort_unstable();
            for same in pairs.chunk_by(|a, b| a.0 == b.0) {
                list.clear();
                put_varint(&mut list, same.len() as u64);
                let mut prev = 0;
                for &(_, e) in same {
                    put_varint(&mut list, u64::from(e - prev));
                    prev = e;
                }
                vocab.put(&same[0].0.to_le_bytes())?;
                vstart.put(&np.to_le_bytes())?;
                post.put(&list)?;
                np += list.len() as u64;
                nv += 1;
            }
        }
        vstart.put(&np.to_le_bytes())?;
        // Ids as offsets from the smallest: 4 bytes each when they all fit
        // (variant rowids of one memory always do), else 8.
        let base = if self.n == 0 { 0 } else { self.lo };
        let width: usize =
            if self.n == 0 || i128::from(self.hi) - i128::from(self.lo) <= i128::from(u32::MAX) {
                4
            } else {
                8
            };
        {
            let mut c = Crc {
                w: out,
                h: crc32fast::Hasher::new(),
            };
            let mut r = self.ids.into_read()?;
            let mut inb = vec![0u8; 8 << 13];
            let mut outb = Vec::with_capacity(8 << 13);
            loop {
                let got = fill(&mut r, &mut inb)?;
                if got == 0 {
                    break;
                }
                outb.clear();
                for rec in inb[..got].chunks_exact(8) {
                    let d = (le_u64(rec, 0) as i64).wrapping_sub(base) as u64;
                    outb.extend_from_slice(&d.to_le_bytes()[..width]);
                }
                c.write_all(&outb)?;
            }
            crcs[0] = c.h.finalize();
        }
        let copy = |s: Sink, out: &mut W| -> std::io::Result<u32> {
            let mut c = Crc {
                w: out,
                h: crc32fast::Hasher::new(),
            };
            std::io::copy(&mut s.into_read()?, &mut c)?;
            Ok(c.h.finalize())
        };
        let put = |b: &[u8], out: &mut W| -> std::io::Result<u32> {
            out.write_all(b)?;
            Ok(crc32fast::hash(b))
        };
        crcs[1] = copy(self.koff, out)?;
        crcs[2] = copy(self.lens, out)?;
        crcs[3] = copy(self.keys, out)?;
        let offs: Vec<u8> = self
            .vocab
            .offs
            .iter()
            .flat_map(|o| o.to_le_bytes())
            .collect();
        crcs[4] = put(&offs, out)?;
        crcs[5] = put(&self.vocab.bytes, out)?;
        crcs[6] = copy(vocab, out)?;
        crcs[7] = copy(vstart, out)?;
        crcs[8] = copy(post, out)?;
        Ok(Head {
            max_id: self.max_id,
            counts: [
                lang.len() as u64,
                self.n,
                self.nk,
                self.vocab.len() as u64,
                self.vocab.bytes.len() as u64,
                nv,
                np,
                base as u64,
                width as u64,
            ],
            crcs,
        })
    }
}

/// The header of an index file but for the memory's stamp (see
/// [`Builder::finish_body`]).
struct Head {
    max_id: i64,
    counts: [u64; 9],
    crcs: [u32; SECTIONS],
}

impl Head {
    /// Writes the header, stamped with `stamp`, at the start of `out`.
    fn write<W: Write + Seek>(&self, out: &mut W, stamp: Stamp) -> std::io::Result<()> {
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
        for v in self.counts {
            head.extend_from_slice(&v.to_le_bytes());
        }
        for c in self.crcs {
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
        let (ll, n, nk, nw, wb, nv, np) = (
            get(0).ok_or_else(bad)?,
            get(1).ok_or_else(bad)?,
            get(2).ok_or_else(bad)?,
            get(3).ok_or_else(bad)?,
            get(4).ok_or_else(bad)?,
            get(5).ok_or_else(bad)?,
            get(6).ok_or_else(bad)?,
        );
        let id_base = le_u64(&data, 48 + 8 * 7) as i64;
        let id_width = get(8).filter(|w| matches!(w, 4 | 8)).ok_or_else(bad)?;
        let sizes = [
            n.checked_mul(id_width),
            n.checked_add(1).and_then(|x| x.checked_mul(4)),
            n.checked_mul(3),
            Some(nk),
            nw.checked_add(1).and_then(|x| x.checked_mul(4)),
            Some(wb),
            nv.checked_mul(8),
            nv.checked_add(1).and_then(|x| x.checked_mul(8)),
            Some(np),
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
            nw,
            id_base,
            id_width,
            at,
            data,
            word_hashes: std::sync::OnceLock::new(),
        })
    }

    /// Checks every section's CRC-32 (large sections in parallel pieces,
    /// combined); the first section that fails.
    fn verify(&self) -> Result<(), String> {
        const PIECE: usize = 8 << 20;
        for (i, name) in NAMES.iter().enumerate() {
            let h = self
                .section(i)
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
                return Err(format!("checksum mismatch in its {name}"));
            }
        }
        Ok(())
    }

    /// Section `s` (see [`SECTIONS`]); `layout` checked that it lies in
    /// the buffer.
    fn section(&self, s: usize) -> &[u8] {
        self.data.get(self.at[s]..self.at[s + 1]).unwrap_or(&[])
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
        let ids = self.section(0);
        let d = if self.id_width == 4 {
            u64::from(le_u32(ids, 4 * i))
        } else {
            le_u64(ids, 8 * i)
        };
        self.id_base.wrapping_add(d as i64)
    }

    /// Every distinct key word of the index (its word table), for searches
    /// that choose words by form: concordance's stems and `*` patterns.
    pub fn words(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.nw as u64).map(|w| self.word(w))
    }

    /// Word `w` of the word table ("" past its end).
    fn word(&self, w: u64) -> &str {
        let Ok(w) = usize::try_from(w) else {
            return "";
        };
        if w >= self.nw {
            return "";
        }
        let offs = self.section(4);
        let (s, e) = (
            le_u32(offs, 4 * w) as usize,
            le_u32(offs, 4 * w + 4) as usize,
        );
        self.section(5)
            .get(s..e)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// The stored bytes of entry `i`'s key: the varint ids of its words
    /// (empty past the end or for a damaged offset).
    fn key_span(&self, i: usize) -> &[u8] {
        let offs = self.section(1);
        let (s, e) = (
            le_u32(offs, 4 * i) as usize,
            le_u32(offs, 4 * i + 4) as usize,
        );
        self.section(3).get(s..e).unwrap_or(&[])
    }

    /// The word-table ids of entry `i`'s key words, in order.
    fn word_ids(&self, i: usize) -> impl Iterator<Item = u64> + '_ {
        let b = self.key_span(i);
        let mut at = 0;
        std::iter::from_fn(move || get_varint(b, &mut at))
    }

    /// Writes the key of entry `i` into `out` (cleared first): what the
    /// lookup loops use, with one buffer for all their candidates.
    pub fn key_into(&self, i: usize, out: &mut String) {
        out.clear();
        for (n, w) in self.word_ids(i).enumerate() {
            if n > 0 {
                out.push(' ');
            }
            out.push_str(self.word(w));
        }
    }

    /// [`Index::key_into`], also writing the `score::hash_word` of each of
    /// the key's words into `hashes` (cleared first).
    pub(crate) fn key_hashes_into(&self, i: usize, out: &mut String, hashes: &mut Vec<u64>) {
        hashes.clear();
        let table = self.word_hashes.get_or_init(|| {
            (0..self.nw as u64)
                .map(|w| score::hash_word(self.word(w)))
                .collect()
        });
        out.clear();
        // One pass over the ids for both (this is the scoring loop's read).
        for w in self.word_ids(i) {
            if !hashes.is_empty() {
                out.push(' ');
            }
            out.push_str(self.word(w));
            // `word` gives "" for an id past the table; so does the hash.
            hashes.push(
                usize::try_from(w)
                    .ok()
                    .and_then(|w| table.get(w).copied())
                    .unwrap_or_else(|| score::hash_word("")),
            );
        }
    }

    /// Starts bringing in entry `i`'s lengths and key offsets, for a loop
    /// that will read them a few entries later (see [`prefetch`]).
    pub(crate) fn prefetch_entry(&self, i: usize) {
        prefetch(self.section(2).get(3 * i));
        prefetch(self.section(1).get(4 * i));
    }

    /// Starts bringing in entry `i`'s key bytes; its offsets should have
    /// been asked for with [`Index::prefetch_entry`] some entries before.
    pub(crate) fn prefetch_key(&self, i: usize) {
        prefetch(self.key_span(i).first());
    }

    /// The key of entry `i`.
    pub fn key(&self, i: usize) -> String {
        let mut s = String::new();
        self.key_into(i, &mut s);
        s
    }

    /// Length of entry `i`'s key in characters and words (counted on the
    /// key when the stored field is saturated).
    pub fn lengths(&self, i: usize) -> (usize, usize) {
        let Some(r) = self.section(2).get(3 * i..3 * i + 3) else {
            return (0, 0);
        };
        let (c, w) = (
            usize::from(u16::from_le_bytes([r[0], r[1]])),
            usize::from(r[2]),
        );
        if c == CHARS_SAT || w == WORDS_SAT {
            count_lengths(&self.key(i))
        } else {
            (c, w)
        }
    }

    /// The entries holding word `w` (a key word).
    pub fn postings(&self, w: &str) -> Postings<'_> {
        let h = score::hash_word(w);
        let vocab = self.section(6);
        let (mut lo, mut hi) = (0, self.nv);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match le_u64(vocab, 8 * mid).cmp(&h) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    let starts = self.section(7);
                    let s = usize::try_from(le_u64(starts, 8 * mid)).unwrap_or(usize::MAX);
                    let e = usize::try_from(le_u64(starts, 8 * mid + 8)).unwrap_or(0);
                    return self
                        .section(8)
                        .get(s..e)
                        .map_or(Postings::EMPTY, Postings::parse);
                }
            }
        }
        Postings::EMPTY
    }

    /// Up to `max` entries that may score `cutoff` or more against a query
    /// key `qk` of `qc` characters and `qw` words, most shared rare words
    /// first, each with an upper bound of its score
    /// (the scorer's `bound_shared`).
    ///
    /// The bound counts the query words found in the lists read and
    /// assumes that every word whose list was not read (and every number)
    /// is shared too, so it holds for every entry: a caller that scores the
    /// entries highest bound first can stop at the first bound below its
    /// cut-off. It is not the order of choice, though. Ranking by the bound
    /// instead of by shared rare words lost matches: with the common words'
    /// lists unread, the bound is loose and mostly follows length, and
    /// top-1 agreement with `--exhaustive` at 10M fell from 99.5% to 92.3%
    /// (300 queries, 500 candidates).
    pub fn candidates(
        &self,
        qk: &str,
        qc: usize,
        qw: usize,
        cutoff: f64,
        max: usize,
    ) -> Vec<(u32, f64)> {
        let mut words: Vec<&str> = words_of(qk).collect();
        words.sort_unstable();
        // Each distinct word with how often the query holds it: a stored
        // key holding the word can align that many of the query's words.
        let mut weighted: Vec<(Postings, u8)> = Vec::with_capacity(words.len());
        for g in words.chunk_by(|a, b| a == b) {
            weighted.push((self.postings(g[0]), g.len().min(255) as u8));
        }
        weighted.sort_by_key(|l| l.0.len());
        // Rarest words first. A variant sharing at least half of the query's
        // words holds one of the rarest `n/2 + 1` (prefix filtering); the
        // rarest `min(n/2 + 1, 3)` lists are read whatever their length (up
        // to a hard cap), further ones only within a budget, since common
        // words' lists cost more than they tell.
        let must = (weighted.len() / 2 + 1).min(MUST_MAX);
        MERGED.with(|m| {
            let (acc, next) = &mut *m.borrow_mut();
            acc.clear();
            let mut read = 0usize;
            // Query words found in the lists read, at most: the rest (words
            // of lists not read, numbers) may be in any entry.
            let mut counted = 0usize;
            // The lists read are merged (they are sorted by entry) into one
            // list of entries with the weight of the words they hold. A
            // counter per entry cost two scattered reads per entry touched
            // (bump, then collect), which at 10M entries missed the cache.
            for (i, (l, weight)) in weighted.iter().enumerate() {
                if i > 0 && ((i >= must && read + l.len() > BUDGET) || read + l.len() > HARD_CAP) {
                    break;
                }
                read += l.len();
                counted += usize::from(*weight);
                next.clear();
                next.reserve(acc.len() + l.len());
                let mut ai = 0;
                for e in l.iter() {
                    while let Some(&a) = acc.get(ai).filter(|a| a.0 < e) {
                        next.push(a);
                        ai += 1;
                    }
                    match acc.get(ai) {
                        Some(&(a, n)) if a == e => {
                            next.push((e, n.saturating_add(*weight)));
                            ai += 1;
                        }
                        _ => next.push((e, *weight)),
                    }
                }
                next.extend_from_slice(acc.get(ai..).unwrap_or_default());
                std::mem::swap(acc, next);
            }
            let touched = &*acc;
            let lens = self.section(2);
            let fits = LengthBound::new(qc, qw, cutoff);
            // (shared words, distance from the query's length, entry, its
            // lengths): the lengths kept for the bound of the few kept below.
            let mut found: Vec<(u8, u32, u32, (usize, usize))> = Vec::with_capacity(touched.len());
            // Entries come in ascending order, their lengths (30 MB at 10M)
            // prefetched a few ahead.
            for (i, &(e, n)) in touched.iter().enumerate() {
                if let Some(&(f, _)) = touched.get(i + AHEAD) {
                    prefetch(lens.get(3 * f as usize));
                }
                let (sc, sw) = self.lengths(e as usize);
                if fits.admits(sc, sw) {
                    let off = (sc as i64 - qc as i64).unsigned_abs() as u32;
                    found.push((n, off, e, (sc, sw)));
                }
            }
            let order = |a: &(u8, u32, u32, _), b: &(u8, u32, u32, _)| {
                b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2))
            };
            if found.len() > max && max > 0 {
                found.select_nth_unstable_by(max - 1, order);
                found.truncate(max);
            }
            found.sort_unstable_by(order);
            // The bound of the few kept, not of every entry touched: its
            // division per entry was a tenth of a lookup at 10M.
            let unread = qw.saturating_sub(counted);
            found
                .into_iter()
                .map(|(n, _, e, (sc, sw))| {
                    (
                        e,
                        score::bound_shared(qc, qw, sc, sw, usize::from(n) + unread),
                    )
                })
                .collect()
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
        if ix.data.get(HEADER..ix.at[0]) != Some(lang.as_bytes()) {
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

/// A new temp file beside the index file `path`, named
/// `<memory>.match-<lang>.<random>.tmp` (what [`sweep_stale_temps`] finds
/// if a killed process leaves it), created with `O_EXCL`, removed on drop.
fn temp_beside(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let (dir, name) = dir_and_name(path);
    let stem = name.strip_suffix(".idx").unwrap_or(&name);
    tempfile::Builder::new()
        .prefix(&format!("{stem}."))
        .suffix(".tmp")
        .tempfile_in(&dir)
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
///
/// A saved index that lacks at most `lag` variant ids (see
/// `open_lagging`) is left as it is: the next lookup reads what it lacks
/// beside it. Extending re-sorts every entry, which made a one-unit write
/// into a 10M-unit memory take 31.5 s; `lag` 0 always extends.
pub fn refresh(
    memory: &Memory,
    lang: &str,
    lag: i64,
    on: &mut dyn FnMut(&Event),
) -> crate::Result<()> {
    open_inner(memory, lang, on, false, lag).map(drop)
}

/// [`open_with`] for a reader that catches up by itself ([`super::live::Live`]
/// reads appended variants into a small second index): a saved or fetched
/// index that lacks at most `lag` variant ids appended since its stamp is
/// returned as it is, with that stamp, instead of being extended. Extending
/// re-sorts every entry (24 s at 10M units on PostgreSQL, measured by
/// `benches/backends.rs`), which a new `serve` would otherwise pay before
/// its first answer whenever anyone wrote after the shared copy was made.
/// `None` as the stamp: the index covers the memory as it was on entry.
pub(crate) fn open_lagging(
    memory: &Memory,
    lang: &str,
    on: &mut dyn FnMut(&Event),
    lag: i64,
) -> crate::Result<(Index, Option<Stamp>)> {
    let (ix, lagging) = open_inner(memory, lang, on, true, lag)?;
    let ix = ix.unwrap_or_else(Index::empty);
    let behind = lagging.then_some(ix.stamp);
    Ok((ix, behind))
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
    Ok(open_lagging(memory, lang, on, 0)?.0)
}

/// [`open_with`]; with `want` false, the index is brought up to date on
/// disk without being mapped and checked afterwards (`None` then). A saved
/// index behind by at most `lag` variant ids (and an eighth of its
/// entries) is returned as it is, with `true` beside it (see
/// [`open_lagging`]).
fn open_inner(
    memory: &Memory,
    lang: &str,
    on: &mut dyn FnMut(&Event),
    want: bool,
    lag: i64,
) -> crate::Result<(Option<Index>, bool)> {
    // Every row read is bounded by `now.variants`, so what is saved under
    // the stamp `now` holds exactly what `now` committed, even while a
    // writer commits more.
    let now = memory.stamp()?;
    let Some(base) = memory.cache_base() else {
        return Ok((
            Some(Index::build(read_rows(memory, lang, 0, now.variants)?)),
            false,
        ));
    };
    sweep_stale_temps(&base);
    let path = path_for(&base, lang);
    let mut mapped = Index::map(&path, lang, want);
    if matches!(mapped, Ok(None))
        && memory.keeps_shared_files()
        && fetch_shared(memory, lang, &path, on)
    {
        mapped = Index::map(&path, lang, want);
    }
    let (prior, why) = match mapped {
        Ok(Some(ix)) => match memory.since(&ix.stamp, &now)? {
            Since::Same => return Ok((want.then_some(ix), false)),
            // Behind by little: taken as it is (`open_lagging`). Little is
            // `lag` ids, and an eighth of the index's entries (at least
            // 1,000) so that a small memory, cheap to extend, never keeps
            // most of itself outside its index.
            Since::Appended
                if now.variants - ix.max_id.max(ix.stamp.variants)
                    <= lag.min((ix.len() as i64 / 8).max(1_000)) =>
            {
                return Ok((want.then_some(ix), true));
            }
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
    let appended = prior.as_ref().map(|p| (p.len() as u64, total));
    let built = match build_file(memory, lang, prior.as_ref(), now, &path, on, want) {
        Ok(ix) => {
            // Shared again after a build of its own, or when the copy
            // shared lags by an eighth (a process that fetches it reads
            // the rest from the store).
            if appended.is_none_or(|(had, total)| total - had >= total / 8) {
                share(memory, lang, on);
            }
            ix
        }
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
    Ok((built.1, false))
}

/// The name the index of `lang` is shared under through the store: its
/// format version in it, so that builds of another version neither take
/// nor replace it.
fn shared_name(lang: &str) -> String {
    format!("match-{lang}.v{}.idx", MAGIC[5])
}

/// Fetches the copy of the index of `lang` that the memory's store shares
/// (a PostgreSQL memory keeps one, so that a process on another machine,
/// a new `serve` behind a load balancer, need not build it) into `path`.
/// Whether it got one; the caller checks it as any index file (stamp,
/// checksums) and extends or rebuilds it as the memory requires.
fn fetch_shared(memory: &Memory, lang: &str, path: &Path, on: &mut dyn FnMut(&Event)) -> bool {
    let started = std::time::Instant::now();
    let Ok(tmp) = temp_beside(path) else {
        return false;
    };
    let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file());
    let got = memory.shared_file(&shared_name(lang), &mut w);
    if !matches!(got, Ok(true)) || w.flush().is_err() {
        return false;
    }
    drop(w);
    let bytes = tmp.as_file().metadata().map_or(0, |m| m.len());
    if tmp.persist(path).is_err() {
        return false;
    }
    on(&Event::Fetched {
        lang: lang.into(),
        bytes,
        took: started.elapsed(),
    });
    true
}

/// Shares the saved index of `lang` through the memory's store (see
/// `fetch_shared`); nothing for a memory that keeps no shared files.
/// A failure is reported, not returned: the index here is fine.
pub fn share(memory: &Memory, lang: &str, on: &mut dyn FnMut(&Event)) {
    let Some(base) = memory.cache_base().filter(|_| memory.keeps_shared_files()) else {
        return;
    };
    let path = path_for(&base, lang);
    if !path.exists() {
        // An empty index is not saved, so there is nothing to share.
        return;
    }
    let out = File::open(&path)
        .map_err(|e| crate::Error::io(&path, e))
        .and_then(|f| {
            memory.put_shared_file(
                &shared_name(lang),
                &mut BufReader::with_capacity(1 << 20, f),
            )
        });
    if let Err(e) = out {
        on(&Event::NotShared(e.to_string()));
    }
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
        let mut key = String::new();
        for i in 0..ix.len() {
            ix.key_into(i, &mut key);
            b.push(ix.id(i), &key)?;
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
    let (dir, _) = dir_and_name(path);
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
    let tmp = temp_beside(path)?;
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

/// Rows a [`Tapped`] build's tap hands its thread at a time.
const TAP_CHUNK: usize = 4_096;

/// What a tap sends its build thread.
enum TapMsg {
    /// The language indexed: the first variant's (as [`refresh`] after a
    /// write into a memory without an index picks it).
    Lang(String),
    /// Rows of that language, ids ascending: `(variant id, end)`, the
    /// text of a row ending at byte `end` of the one string, after the
    /// previous row's (one allocation per chunk, not per row: strings
    /// made on the store's thread and freed on the build's made glibc's
    /// arenas grow, 60 MB more peak RSS at 1M units).
    Rows(Vec<(i64, usize)>, String),
    /// The write is committing: what was heard is final.
    Committing,
}

/// The tap end of a [`Tapped`] build (a [`crate::memory::Tap`]).
struct Feed {
    /// The language heard and how many of its rows (for [`Tapped::save`]).
    heard: std::sync::Arc<Heard>,
    tx: Option<std::sync::mpsc::SyncSender<TapMsg>>,
    lang: Option<String>,
    rows: Vec<(i64, usize)>,
    texts: String,
    spoiled: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Feed {
    /// Sends the rows gathered so far as one chunk.
    fn flush(&mut self) {
        if self.rows.is_empty() {
            return;
        }
        let rows = std::mem::replace(&mut self.rows, Vec::with_capacity(TAP_CHUNK));
        let cap = self.texts.capacity();
        let texts = std::mem::replace(&mut self.texts, String::with_capacity(cap));
        self.send(TapMsg::Rows(rows, texts));
    }

    fn send(&mut self, m: TapMsg) {
        // A build thread that stopped (an I/O error, cancelled) has
        // dropped its receiver: the write goes on without it.
        if let Some(tx) = &self.tx
            && tx.send(m).is_err()
        {
            self.tx = None;
        }
    }
}

impl crate::memory::Tap for Feed {
    fn variant(&mut self, id: i64, primary: &str, text: &str) {
        if self.tx.is_none() {
            return;
        }
        match &self.lang {
            Some(l) if l.eq_ignore_ascii_case(primary) => {}
            Some(_) => return,
            None => {
                let l = primary.to_ascii_lowercase();
                self.lang = Some(l.clone());
                let _ = self.heard.lang.set(l.clone());
                self.send(TapMsg::Lang(l));
            }
        }
        self.texts.push_str(text);
        self.rows.push((id, self.texts.len()));
        self.heard
            .rows
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if self.rows.len() >= TAP_CHUNK {
            self.flush();
        }
    }

    fn committing(&mut self) {
        self.flush();
        self.send(TapMsg::Committing);
    }

    fn spoil(&mut self) {
        self.spoiled
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self.tx = None;
        self.rows = Vec::new();
        self.texts = String::new();
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.flush();
    }
}

/// What a [`Feed`] heard: the language indexed and its rows.
#[derive(Default)]
struct Heard {
    lang: std::sync::OnceLock<String>,
    rows: std::sync::atomic::AtomicU64,
}

/// A finished build but for its header, in its temp file.
struct Body {
    lang: String,
    path: PathBuf,
    tmp: tempfile::NamedTempFile,
    head: Head,
    entries: usize,
}

/// A match index built on a thread of its own from the variants a first
/// write stores, as it stores them ([`crate::memory::Writer::tap`]), so
/// that a large first import does not read everything back and build
/// the index after its commit: the keys are made and the postings
/// bucketed while the store inserts; once the write says it is committing
/// ([`crate::memory::Tap::committing`]) the buckets are sorted and the file
/// written beside the commit's own work, and [`Tapped::save`], after the
/// commit, stamps its header with the commit's stamp. Measured: the build
/// after the commit took 5.5 s of a 17.3 s import at 1M units and 45-60 s
/// at 10M; the sort and write after the commit then took 0.6-1.2 s and
/// 5.9-8.3 s, and beside it nothing is left after the commit.
///
/// Dropped without [`Tapped::save`] (the write failed), its thread stops
/// and its temp files are removed.
pub struct Tapped {
    heard: std::sync::Arc<Heard>,
    base: PathBuf,
    go: Option<std::sync::mpsc::SyncSender<bool>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<Option<Body>>>>,
    cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
    spoiled: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for Tapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tapped").finish_non_exhaustive()
    }
}

impl Tapped {
    /// A build of the index of the memory at `base` (its file; the temp
    /// files go beside it), expecting about `expected` entries, and the
    /// tap to hand the write.
    pub fn start(
        base: &Path,
        expected: u64,
    ) -> std::io::Result<(Box<dyn crate::memory::Tap>, Tapped)> {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        let (tx, rx) = std::sync::mpsc::sync_channel::<TapMsg>(8);
        let (go, go_rx) = std::sync::mpsc::sync_channel::<bool>(1);
        let cancel = Arc::new(AtomicBool::new(false));
        let spoiled = Arc::new(AtomicBool::new(false));
        let (stop, base) = (cancel.clone(), base.to_path_buf());
        let base_path = base.clone();
        let (dir, _) = dir_and_name(&base);
        let mut b = Builder::new(Some(&dir), expected)?;
        let thread = std::thread::Builder::new()
            .name("transmem-index".into())
            .spawn(move || -> std::io::Result<Option<Body>> {
                let mut lang = None;
                let mut committing = false;
                for m in rx {
                    if stop.load(Ordering::Relaxed) {
                        return Ok(None);
                    }
                    match m {
                        TapMsg::Committing => committing = true,
                        TapMsg::Lang(l) => lang = Some(l),
                        TapMsg::Rows(rows, texts) => {
                            let mut at = 0;
                            for (id, end) in rows {
                                let text = texts.get(at..end).unwrap_or_default();
                                at = end;
                                b.push(id, &score::key(text))?;
                            }
                        }
                    }
                }
                // The tap was dropped. When the write is committing, the
                // buckets are sorted and the file written beside the
                // commit's own work (the store's indexes), and stamped
                // once it is done ([`Tapped::save`]): at 10M units the
                // sort and write took 5.9-6.9 s after a commit of 9 s.
                // (Sorting beside the commit once took the import's peak
                // RSS from 685 MB to 1,026 MB, over the 1 GB it must stay
                // under; the store now frees its duplicate maps first.)
                // Otherwise the write ended without a commit, or a caller
                // closed the tap without saying: wait for [`Tapped::save`]
                // or the cancel.
                if !committing && !matches!(go_rx.recv(), Ok(true)) {
                    return Ok(None);
                }
                let Some(lang) = lang.filter(|_| b.n > 0 && !stop.load(Ordering::Relaxed)) else {
                    return Ok(None);
                };
                let path = path_for(&base, &lang);
                let (dir, _) = dir_and_name(&path);
                let tmp = temp_beside(&path)?;
                let entries = b.n as usize;
                let head = {
                    let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file());
                    let head = b.finish_body(&mut w, Some(&dir), &lang)?;
                    w.flush()?;
                    head
                };
                Ok(Some(Body {
                    lang,
                    path,
                    tmp,
                    head,
                    entries,
                }))
            })?;
        let heard = Arc::new(Heard::default());
        let feed = Feed {
            heard: heard.clone(),
            tx: Some(tx),
            lang: None,
            rows: Vec::with_capacity(TAP_CHUNK),
            texts: String::new(),
            spoiled: spoiled.clone(),
        };
        Ok((
            Box::new(feed),
            Tapped {
                heard,
                base: base_path,
                go: Some(go),
                thread: Some(thread),
                cancel,
                spoiled,
            },
        ))
    }

    /// After the write committed with `stamp` (the tap is closed by
    /// then): stamps and saves the index, reporting to `on`. Returns the
    /// language saved, or `None` when the tap heard nothing it could use
    /// (no variant, a spoiled tap, a build that failed: the write's usual
    /// refresh then builds the index from the memory).
    pub fn save(mut self, stamp: Stamp, on: &mut dyn FnMut(&Event)) -> Option<String> {
        use std::sync::atomic::Ordering;
        let lang = self.heard.lang.get()?.clone();
        if self.spoiled.load(Ordering::Relaxed) {
            return None;
        }
        let rows = self.heard.rows.load(Ordering::Relaxed);
        on(&Event::Start {
            path: Some(path_for(&self.base, &lang)),
            lang,
            why: Why::Stored,
            total: rows,
        });
        if let Some(go) = self.go.take() {
            let _ = go.send(true);
        }
        let body = match self.thread.take()?.join() {
            Ok(Ok(Some(b))) => b,
            // A failed build (a full disk): the write's refresh builds the
            // index from the memory, and says what it could not save.
            _ => return None,
        };
        if body.head.max_id > stamp.variants {
            return None;
        }
        let Body {
            lang,
            path,
            tmp,
            head,
            entries,
        } = body;
        let saved = head
            .write(&mut tmp.as_file(), stamp)
            .map_err(|e| e.to_string())
            .and_then(|()| {
                tmp.persist(&path)
                    .map(drop)
                    .map_err(|e| e.error.to_string())
            });
        match saved {
            Ok(()) => {
                on(&Event::Done { entries });
                Some(lang)
            }
            Err(e) => {
                on(&Event::NotSaved(format!("{}: {e}", path.display())));
                None
            }
        }
    }
}

impl Drop for Tapped {
    fn drop(&mut self) {
        self.cancel
            .store(true, std::sync::atomic::Ordering::Relaxed);
        drop(self.go.take());
        if let Some(t) = self.thread.take() {
            // The tap is gone with the write by now, so the thread ends.
            let _ = t.join();
        }
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
    fn keys_come_with_the_hashes_of_their_words() {
        let ix = Index::build(rows(&["The cat sat.", "", "A dog ran, the cat too."]));
        let (mut key, mut hashes) = (String::new(), Vec::new());
        for i in 0..ix.len() {
            ix.key_hashes_into(i, &mut key, &mut hashes);
            assert_eq!(key, ix.key(i));
            let want: Vec<u64> = if key.is_empty() {
                Vec::new()
            } else {
                key.split(' ').map(score::hash_word).collect()
            };
            assert_eq!(hashes, want, "entry {i}: {key:?}");
        }
    }

    #[test]
    fn postings_and_candidates() {
        let ix = Index::build(rows(&["The cat sat.", "A dog ran.", "The cat ran away."]));
        assert_eq!(ix.postings("cat").iter().collect::<Vec<_>>(), [0, 2]);
        let qk = score::key("The cat sat down.");
        let p = Prepared::new(&qk);
        let c: Vec<u32> = ix
            .candidates(&qk, p.chars.len(), p.words.len(), 0.0, 10)
            .into_iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(c.first(), Some(&0));
        assert!(!c.contains(&1) || c.len() == 3);
    }

    #[test]
    fn length_ranges_admit_exactly_what_the_bound_admits() {
        for qc in [0, 1, 5, 37, 120] {
            for qw in [0, 1, 3, 8, 25] {
                for cutoff in [0.0, 50.0, 70.0, 95.0, 100.0] {
                    let f = LengthBound::new(qc, qw, cutoff);
                    for sc in 0..300 {
                        for sw in (0..=262).step_by(7) {
                            assert_eq!(
                                f.admits(sc, sw),
                                score::bound(qc, qw, sc, sw) >= cutoff,
                                "query {qc}/{qw}, cut-off {cutoff}, entry {sc}/{sw}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn candidate_bounds_are_never_below_the_score() {
        let ix = Index::build(rows(&[
            "The cat sat on the mat.",
            "The, the cat!",
            "A dog sat on a mat.",
            "Cat cat cat sat.",
            "On the mat the cat sat.",
            "The mat.",
            "3 cats sat on 2 mats.",
        ]));
        for q in [
            "The cat sat on the mat.",
            "The the the cat",
            "Mat sat",
            "cat",
            "2 cats sat on 3 mats",
        ] {
            let qk = score::key(q);
            let p = Prepared::new(&qk);
            let c = ix.candidates(&qk, p.chars.len(), p.words.len(), 0.0, 100);
            assert!(!c.is_empty(), "{q}");
            for (e, ub) in c {
                let s = Prepared::new(&ix.key(e as usize));
                let b = score::base(&p, &s, 0.0).unwrap_or(0.0);
                assert!(b <= ub + 1e-9, "{q:?} vs entry {e}: {b} > {ub}");
            }
        }
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

    fn unit_of(en: &str, ru: &str) -> Unit {
        Unit::new(vec![Variant::new("en", en), Variant::new("ru", ru)])
    }

    fn match_files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".match-"))
            .collect();
        names.sort();
        names
    }

    /// An index fed by a first write's tap, sorted, written and stamped
    /// after the commit, is byte for byte the index a build from the
    /// memory writes afterwards, and the next open uses it as it is.
    #[test]
    fn a_tapped_build_is_the_build_from_the_memory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.sqlite");
        let mut mem = Memory::open(&path).expect("open");
        let (tap, tapped) = Tapped::start(&path, 3000).expect("start");
        let mut w = mem.writer().expect("writer");
        assert!(w.tap(tap).is_ok(), "a first write takes the tap");
        for (en, ru) in sentences(0, 3000) {
            w.insert(&unit_of(&en, &ru), Some("en"), OnDuplicate::KeepBoth)
                .expect("insert");
        }
        let stamp = w.commit().expect("commit");
        let mut events = Vec::new();
        assert_eq!(
            tapped.save(stamp, &mut |e| events.push(e.clone())),
            Some("en".to_string())
        );
        assert!(
            matches!(&events[0], Event::Start { why: Why::Stored, lang, .. } if lang == "en"),
            "{events:?}"
        );
        assert_eq!(events.last(), Some(&Event::Done { entries: 3000 }));
        let idx = path_for(&path, "en");
        let tapped_bytes = std::fs::read(&idx).expect("saved");
        // Up to date: opened with no build.
        let mut quiet = Vec::new();
        let ix = open_with(&mem, "en", &mut |e| quiet.push(e.clone())).expect("open");
        assert!(quiet.is_empty(), "{quiet:?}");
        assert_eq!(ix.len(), 3000);
        assert_eq!(ix.postings("word1234").len(), 1);
        drop(ix);
        std::fs::remove_file(&idx).expect("remove");
        open_with(&mem, "en", &mut |_| {}).expect("rebuild");
        assert!(
            std::fs::read(&idx).expect("rebuilt") == tapped_bytes,
            "the tapped index differs from the rebuilt one"
        );
        assert_eq!(match_files(dir.path()), ["m.sqlite.match-en.idx"]);
        // A second write is no first write: it refuses a tap.
        let (tap, tapped) = Tapped::start(&path, 10).expect("start");
        let mut w = mem.writer().expect("writer");
        assert!(w.tap(tap).is_err());
        drop(w);
        drop(tapped);
        assert_eq!(match_files(dir.path()), ["m.sqlite.match-en.idx"]);
    }

    /// A tap that heard a variant change again (an overwrite) is spoiled:
    /// nothing is saved from it. A write that is rolled back leaves no
    /// index and no temp file.
    #[test]
    fn a_spoiled_or_rolled_back_tap_saves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.sqlite");
        let mut mem = Memory::open(&path).expect("open");
        let (tap, tapped) = Tapped::start(&path, 100).expect("start");
        let mut w = mem.writer().expect("writer");
        assert!(w.tap(tap).is_ok());
        w.insert(
            &unit_of("One cat.", "Один кот."),
            Some("en"),
            OnDuplicate::KeepBoth,
        )
        .expect("insert");
        w.insert(
            &unit_of("One cat.", "Одна кошка."),
            Some("en"),
            OnDuplicate::Overwrite,
        )
        .expect("overwrite");
        let stamp = w.commit().expect("commit");
        assert_eq!(tapped.save(stamp, &mut |_| {}), None);
        assert!(match_files(dir.path()).is_empty());
        // Rolled back: the tapped build is dropped, its thread ends.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.sqlite");
        let mut mem = Memory::open(&path).expect("open");
        let (tap, tapped) = Tapped::start(&path, 100).expect("start");
        let mut w = mem.writer().expect("writer");
        assert!(w.tap(tap).is_ok());
        for (en, ru) in sentences(0, 50) {
            w.insert(&unit_of(&en, &ru), Some("en"), OnDuplicate::KeepBoth)
                .expect("insert");
        }
        drop(w);
        drop(tapped);
        assert!(match_files(dir.path()).is_empty());
        assert_eq!(mem.stamp().expect("stamp").variants, 0);
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
        let mut at = good.at[..SECTIONS].to_vec();
        at.push(12);
        drop(good);
        for (k, &a) in at.iter().enumerate() {
            let mut bad = bytes.clone();
            assert!(a < bad.len(), "section {k} is empty");
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

    /// An index over `(id, key)` rows taken as they are (keys not derived
    /// from text), built in RAM or, with `dir`, spilled through bucket
    /// files there, saved and mapped back.
    fn from_keys(rows: &[(i64, String)], dir: Option<&Path>) -> Index {
        let mut b = Builder::new(dir, rows.len() as u64).expect("builder");
        for (id, k) in rows {
            b.push(*id, k).expect("push");
        }
        let Some(d) = dir else {
            return Index::finish_in_ram(b, Stamp::default(), "");
        };
        let p = d.join("t.idx");
        let mut w = BufWriter::new(File::create(&p).expect("create"));
        b.finish(&mut w, Some(d), Stamp::default(), "xx")
            .expect("finish");
        w.flush().expect("flush");
        drop(w);
        Index::load(&p, "xx").expect("valid").expect("saved")
    }

    /// Every accessor of `ix` against `rows`: ids, keys, lengths, and each
    /// word's list against one computed by brute force.
    fn check(ix: &Index, rows: &[(i64, String)]) {
        assert_eq!(ix.len(), rows.len());
        let mut lists: std::collections::BTreeMap<&str, Vec<u32>> = Default::default();
        for (i, (id, k)) in rows.iter().enumerate() {
            assert_eq!(ix.id(i), *id, "entry {i}");
            assert_eq!(ix.key(i), *k, "entry {i}");
            let words = if k.is_empty() {
                0
            } else {
                k.split(' ').count()
            };
            assert_eq!(ix.lengths(i), (k.chars().count(), words), "entry {i}");
            for w in words_of(k) {
                let l = lists.entry(w).or_default();
                if l.last() != Some(&(i as u32)) {
                    l.push(i as u32);
                }
            }
        }
        for (w, l) in &lists {
            let p = ix.postings(w);
            assert_eq!(p.len(), l.len(), "{w:?}");
            assert_eq!(p.iter().collect::<Vec<_>>(), *l, "{w:?}");
            assert!(l.iter().all(|&e| p.contains(e)), "{w:?}");
            let mut all: Vec<u32> = (0..rows.len() as u32).collect();
            p.retain_in(&mut all);
            assert_eq!(all, *l, "{w:?}");
        }
        assert!(ix.postings("never-a-key-word").is_empty());
        assert!(ix.postings("#").is_empty(), "numbers have no list");
    }

    #[test]
    fn varints_round_trip_at_every_width_and_stop_on_damage() {
        let vals = [
            0,
            1,
            127,
            128,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ];
        let mut b = Vec::new();
        for v in vals {
            put_varint(&mut b, v);
        }
        assert_eq!(b.len(), 1 + 1 + 1 + 2 + 2 + 3 + 5 + 10);
        let mut at = 0;
        for v in vals {
            assert_eq!(get_varint(&b, &mut at), Some(v));
        }
        assert_eq!(get_varint(&b, &mut at), None, "past the end");
        assert_eq!(get_varint(&[0x80], &mut 0), None, "cut short");
        assert_eq!(get_varint(&[0xff; 11], &mut 0), None, "overlong");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(40))]
        /// Random keys (empty ones, `#`, Cyrillic, empty words from double
        /// spaces) and ids (ascending and close, or anywhere in i64) read
        /// back exactly, built in RAM and spilled.
        #[test]
        fn random_keys_and_ids_round_trip(
            rows in proptest::collection::vec(
                (
                    proptest::prelude::any::<i64>(),
                    proptest::collection::vec("[a-c]{1,2}|#|[а-я]{1,8}|[a-zé]{0,12}", 0..20),
                ),
                0..150,
            ),
            wide in proptest::prelude::any::<bool>(),
        ) {
            let rows: Vec<(i64, String)> = rows
                .into_iter()
                .enumerate()
                .map(|(i, (id, ws))| {
                    let id = if wide { id } else { 7 + 2 * i as i64 + id.rem_euclid(2) };
                    (id, ws.join(" "))
                })
                .collect();
            let ram = from_keys(&rows, None);
            check(&ram, &rows);
            if !wide {
                proptest::prop_assert_eq!(ram.id_width, 4);
            }
            let dir = tempfile::tempdir().expect("tempdir");
            check(&from_keys(&rows, Some(dir.path())), &rows);
        }
    }

    /// Ids take 4 bytes when the span from the smallest fits in a u32,
    /// else 8; either way they read back exactly.
    #[test]
    fn ids_are_narrow_when_they_fit() {
        let rows = |ids: &[i64]| -> Vec<(i64, String)> {
            ids.iter().map(|&id| (id, "a b".to_string())).collect()
        };
        for (ids, width) in [
            (vec![-5, 7, i64::from(u32::MAX) - 5], 4),
            (vec![3, 1, 2], 4),
            (vec![0, i64::from(u32::MAX) + 1], 8),
            (vec![i64::MAX, 0, i64::MIN], 8),
        ] {
            let rows = rows(&ids);
            let ix = from_keys(&rows, None);
            assert_eq!(ix.id_width, width, "{ids:?}");
            check(&ix, &rows);
            assert_eq!(ix.max_id, ids.iter().copied().fold(0, i64::max));
        }
    }

    /// 20,000 distinct words (word ids of one, two and three varint
    /// bytes), a word in the first and last entry only (a large gap), a
    /// key whose lengths overflow their fields, an empty key and one of
    /// numbers only.
    #[test]
    fn many_words_gaps_saturated_lengths_and_empty_keys() {
        let mut rows: Vec<(i64, String)> = (0..2000)
            .map(|i| {
                let ws: Vec<String> = (0..10).map(|j| format!("w{}", i * 10 + j)).collect();
                (i, ws.join(" "))
            })
            .collect();
        rows[0].1.push_str(" rare");
        rows[1999].1.push_str(" rare");
        let long = vec!["x".repeat(233); 300].join(" ");
        rows.push((5000, long.clone()));
        rows.push((5001, String::new()));
        rows.push((5002, "# # #".into()));
        let dir = tempfile::tempdir().expect("tempdir");
        for ix in [from_keys(&rows, None), from_keys(&rows, Some(dir.path()))] {
            check(&ix, &rows);
            assert_eq!(ix.lengths(2000), (70_199, 300));
            assert_eq!(ix.postings("rare").iter().collect::<Vec<_>>(), [0, 1999]);
            assert_eq!(ix.postings("w19999").iter().collect::<Vec<_>>(), [1999]);
            assert_eq!(ix.lengths(2001), (0, 0));
            assert_eq!(ix.lengths(2002), (5, 3));
            // Each distinct word once: 20,000 w-words, "rare", "x", "#".
            assert_eq!(ix.nw, 20_003);
        }
    }

    /// A file of the previous format (v4) is "written by another version":
    /// reported as such and rebuilt in the current one.
    #[test]
    fn a_v4_index_is_rebuilt() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.sqlite");
        let mut mem = Memory::open(&path).expect("open");
        store(&mut mem, &sentences(0, 20));
        open(&mem, "en").expect("open");
        let idx = path_for(&path, "en");
        let mut old = b"TMIDX\x04\0\0".to_vec();
        old.resize(4096, 0);
        std::fs::write(&idx, &old).expect("write");
        let mut ev = Vec::new();
        let ix = open_with(&mem, "en", &mut |e| ev.push(e.clone())).expect("open");
        assert!(
            matches!(&ev[0], Event::Start { why: Why::Damaged(r), .. } if r.contains("another version")),
            "{ev:?}"
        );
        assert_eq!(ix.len(), 20);
        assert_eq!(
            std::fs::read(&idx).expect("read").get(..8),
            Some(&MAGIC[..])
        );
    }
}
