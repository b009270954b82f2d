//! The import pipeline: TMX, CSV or TSV into a memory, as a library call.
//!
//! `transmem import` only drives this: it opens the files, shows progress
//! and prints the counts. A program using the library imports a file with
//! [`import`] in a few lines (see the crate documentation).
//!
//! Parsing runs on its own thread and feeds units to the store through a
//! bounded channel, so the two halves overlap and memory stays flat.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};
use crate::formats::{Format, csv, tmx};
use crate::memory::{Inserted, OnDuplicate, Unit, Writer};

/// How units are stored.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// CSV/TSV columns (the `tsv` flag is set from the format).
    pub csv: csv::ReadOptions,
    /// Origin recorded on every unit, replacing the file's.
    pub origin: Option<String>,
    /// Origin for units that name none (typically the file name).
    pub default_origin: Option<String>,
    /// Creator recorded on units that name none.
    pub creator: Option<String>,
    /// What to do with a source text already stored.
    pub on_duplicate: OnDuplicate,
    /// The files' encoding: told from their bytes, or forced (`--encoding`).
    pub encoding: crate::formats::TextEncoding,
}

/// What an import did with one file's units.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    /// Units read (empty ones excluded).
    pub read: u64,
    /// Stored as new units.
    pub new: u64,
    /// Identical to a stored unit.
    pub duplicate: u64,
    /// Dropped: empty, or a known source under [`OnDuplicate::Skip`].
    pub skipped: u64,
    /// Replaced a stored unit's translations.
    pub overwritten: u64,
    /// The encoding the file was read in, when it was read (not sent over
    /// the wire: the client reads the file and says it).
    #[serde(skip)]
    pub encoding: Option<crate::formats::Decoding>,
}

/// Units per message from the parser thread: one channel hand-over per unit
/// cost 15% of an import in futex calls.
const BATCH: usize = 256;

/// Why the parser thread stopped early: the store side hung up, and its
/// error is the one reported.
#[derive(Debug)]
struct Stopped;

/// Reads `input` (named `path` in messages) as `format` and stores every
/// unit through `w`. Nothing is kept unless the caller commits `w`.
///
/// An error in the file names the file and position; an error of the store
/// ([`Error::Busy`], ...) is returned as it is, not blamed on the file.
pub fn import(
    w: &mut Writer<'_>,
    input: impl Read + Send,
    path: &Path,
    format: Format,
    opts: &Options,
) -> Result<Counts> {
    let mut stored = Counts::default();
    let policy = opts.on_duplicate;
    let mut counts = read_units(input, path, format, opts, &mut |unit, src| {
        tally(&mut stored, w.insert(&unit, src.as_deref(), policy)?);
        Ok(())
    })?;
    counts.new = stored.new;
    counts.duplicate = stored.duplicate;
    counts.skipped += stored.skipped;
    counts.overwritten = stored.overwritten;
    Ok(counts)
}

/// Adds what the store did with one unit to `counts`.
pub fn tally(counts: &mut Counts, done: Inserted) {
    match done {
        Inserted::New(_) => counts.new += 1,
        Inserted::Duplicate(_) => counts.duplicate += 1,
        Inserted::Skipped(_) => counts.skipped += 1,
        Inserted::Overwritten(_) => counts.overwritten += 1,
    }
}

/// The parsing half of [`import`]: reads `input` as `format` and hands each
/// unit to `put`, with its origin and creator filled in as `opts` says and
/// the language that counts as its source, so that any store (a memory's
/// writer, a translation memory on a server) takes it. Returns the units
/// read and, as `skipped`, the empty ones dropped; `put`'s failure stops
/// the reader, and a unit the store refuses is reported at its place in
/// the file.
pub fn read_units(
    input: impl Read + Send,
    path: &Path,
    format: Format,
    opts: &Options,
    put: &mut dyn FnMut(Unit, Option<String>) -> Result<()>,
) -> Result<Counts> {
    let mut counts = Counts::default();
    let mut store = |mut unit: Unit, src: Option<String>| -> Result<()> {
        counts.read += 1;
        fill_in(&mut unit, opts);
        put(unit, src)
    };
    let mut csv_opts = opts.csv.clone();
    csv_opts.tsv = format == Format::Tsv;
    csv_opts.encoding = opts.encoding;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(Unit, Option<String>)>>(8);
    let (parsed, stored) = std::thread::scope(|s| {
        let parser = s.spawn(move || parse(format, input, path, &csv_opts, tx));
        let mut stored = Ok(());
        'recv: for batch in rx.iter() {
            for (u, src) in batch {
                if let Err(e) = store(u, src) {
                    stored = Err(e);
                    break 'recv;
                }
            }
        }
        // Closing the channel stops the parser if the store failed.
        drop(rx);
        (parser.join(), stored)
    });
    let n = counts.read;
    stored.map_err(|e| at_unit(e, path, n))?;
    let empty = match parsed {
        Ok(Ok(Ok((empty, encoding)))) => {
            counts.encoding = encoding;
            empty
        }
        Ok(Ok(Err(e))) => return Err(e),
        // The store failed first; its error was returned above.
        Ok(Err(Stopped)) => 0,
        Err(_) => {
            return Err(Error::parse(
                path,
                crate::error::Position::None,
                "the reader stopped unexpectedly",
            ));
        }
    };
    counts.skipped += empty;
    Ok(counts)
}

/// What the parser thread returns: the number of empty units skipped and
/// the encoding the file was read in.
type Parsed = (u64, Option<crate::formats::Decoding>);

/// The unit's origin and creator as `opts` says.
fn fill_in(unit: &mut Unit, opts: &Options) {
    match &opts.origin {
        Some(o) => unit.origin = Some(o.clone()),
        None if unit.origin.is_none() => unit.origin = opts.default_origin.clone(),
        None => {}
    }
    if unit.creator.is_none() {
        unit.creator = opts.creator.clone();
    }
}

/// A unit the store refused, reported as an error of the file at unit `n`;
/// the store's other errors ([`Error::Busy`], ...) as they are.
fn at_unit(e: Error, path: &Path, n: u64) -> Error {
    match e {
        Error::InvalidUnit(msg) => Error::parse(
            path,
            crate::error::Position::None,
            format!("unit {n}: {msg}"),
        ),
        Error::Lang(tag) => Error::parse(
            path,
            crate::error::Position::None,
            format!("unit {n}: invalid language tag {tag:?}"),
        ),
        other => other,
    }
}

/// Reads one file on the parser thread, sending units in batches, each with
/// the language that counts as its source.
fn parse(
    format: Format,
    input: impl Read,
    path: &Path,
    opts: &csv::ReadOptions,
    tx: std::sync::mpsc::SyncSender<Vec<(Unit, Option<String>)>>,
) -> std::result::Result<Result<Parsed>, Stopped> {
    let mut batch = Vec::with_capacity(BATCH);
    let mut stopped = false;
    let mut push = |item: (Unit, Option<String>)| -> Result<()> {
        batch.push(item);
        if batch.len() == BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            if tx.send(full).is_err() {
                // The store hung up: stop the reader. What it returns is
                // ignored (the `stopped` flag decides), so no error text
                // is ever matched on.
                stopped = true;
                return Err(Error::Invalid("import stopped".into()));
            }
        }
        Ok(())
    };
    let read = match format {
        Format::Tmx => tmx::read_units_as(input, path, &opts.limits, opts.encoding, |h, u| {
            let src = u
                .attrs
                .iter()
                .find(|(k, _)| k == "srclang")
                .and_then(|(_, v)| crate::lang::normalize_tag(v).ok())
                .or_else(|| h.source_lang())
                .filter(|l| u.variants.iter().any(|v| &v.lang == l));
            push((u, src))
        })
        .map(|r| (r.empty, r.encoding)),
        // The store takes the first variant (the first language column with
        // text) as the source.
        // A row the store would refuse (a control character in a note
        // column, say) is refused here, where its line is known.
        Format::Csv | Format::Tsv => csv::read(input, path, opts, |u| {
            u.validate().map_err(|e| match e {
                Error::InvalidUnit(msg) => Error::Invalid(msg),
                other => other,
            })?;
            push((u, None))
        })
        .map(|r| (r.empty, r.encoding)),
    };
    if stopped {
        return Err(Stopped);
    }
    if read.is_ok() && !batch.is_empty() {
        // The receiver only hangs up after a store error, reported instead.
        let _ = tx.send(batch);
    }
    Ok(read)
}

/// Reads an XLIFF 1.2 or 2.0 file (OmegaT, memoQ, Trados, Okapi) into `w`:
/// one unit per segment translated to `min_state` or better, with its
/// document neighbours as context (see [`crate::formats::xliff_read`]).
/// Origin, creator and duplicate policy as for [`import`]; the source
/// language decides duplicates. Nothing is kept unless the caller commits.
pub fn import_xliff(
    w: &mut Writer<'_>,
    input: impl Read,
    path: &Path,
    min_state: crate::formats::xliff_read::State,
    opts: &Options,
) -> Result<(Counts, crate::formats::xliff_read::ReadReport)> {
    let mut stored = Counts::default();
    let policy = opts.on_duplicate;
    let (mut counts, report) = read_xliff_units(input, path, min_state, opts, &mut |unit, src| {
        tally(&mut stored, w.insert(&unit, src.as_deref(), policy)?);
        Ok(())
    })?;
    counts.new = stored.new;
    counts.duplicate = stored.duplicate;
    counts.skipped += stored.skipped;
    counts.overwritten = stored.overwritten;
    Ok((counts, report))
}

/// The parsing half of [`import_xliff`], as [`read_units`] is of
/// [`import`]: each unit goes to `put` with its source language.
pub fn read_xliff_units(
    input: impl Read,
    path: &Path,
    min_state: crate::formats::xliff_read::State,
    opts: &Options,
    put: &mut dyn FnMut(Unit, Option<String>) -> Result<()>,
) -> Result<(Counts, crate::formats::xliff_read::ReadReport)> {
    let mut counts = Counts::default();
    let report = crate::formats::xliff_read::read(input, path, min_state, |mut unit| {
        counts.read += 1;
        fill_in(&mut unit, opts);
        let src = unit.variants[0].lang.clone();
        put(unit, Some(src))
    })?;
    Ok((counts, report))
}

/// What [`store_document`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stored {
    /// Units stored anew.
    pub new: u64,
    /// Units the document's earlier store already holds as they are.
    pub unchanged: u64,
    /// Earlier units of the document that this store replaced (deleted).
    pub superseded: u64,
    /// Identical to a unit stored from elsewhere: nothing written.
    pub duplicate: u64,
    /// Dropped by [`OnDuplicate::Skip`].
    pub skipped: u64,
    /// Stored over a unit with the same source ([`OnDuplicate::Overwrite`]).
    pub overwritten: u64,
}

impl Stored {
    /// True when the memory is unchanged.
    pub fn nothing(&self) -> bool {
        self.new == 0 && self.superseded == 0 && self.overwritten == 0
    }
}

/// The units of `memory` that an earlier store of the document `origin`
/// left: those with exactly that origin holding variants of both `langs`
/// (the same document aligned into another language pair is another
/// document's units). For [`store_document`].
pub fn document_units(
    memory: &crate::memory::Memory,
    origin: &str,
    langs: (&str, &str),
) -> Result<Vec<Unit>> {
    let filter = crate::memory::UnitFilter {
        origin: Some(
            regex::Regex::new(&format!("^{}$", regex::escape(origin)))
                .map_err(|e| Error::Invalid(e.to_string()))?,
        ),
        langs: vec![langs.0.to_string(), langs.1.to_string()],
        ..Default::default()
    };
    let mut out = Vec::new();
    memory.for_each_unit_filtered(&filter, |u| {
        out.push(u);
        Ok(())
    })?;
    Ok(out)
}

/// True when two units hold the same texts in the same languages.
fn same_texts(a: &Unit, b: &Unit) -> bool {
    fn key(u: &Unit) -> Vec<(&str, &str)> {
        let mut k: Vec<(&str, &str)> = u
            .variants
            .iter()
            .map(|v| (v.lang.as_str(), v.text.as_str()))
            .collect();
        k.sort_unstable();
        k
    }
    key(a) == key(b)
}

/// The context (neighbouring segments) of each variant, by language.
fn context(u: &Unit) -> Vec<(&str, Option<&str>, Option<&str>)> {
    let mut c: Vec<(&str, Option<&str>, Option<&str>)> = u
        .variants
        .iter()
        .map(|v| (v.lang.as_str(), v.prev.as_deref(), v.next.as_deref()))
        .collect();
    c.sort_unstable();
    c
}

/// Stores `units`, one document's (an alignment of one article pair), as
/// that document's current version: `earlier` are the units an earlier
/// store of the same document left ([`document_units`]). Each earlier unit
/// whose texts the new ones hold again stays as it is (its id, creation
/// and history; its context is brought up to date), each earlier unit they
/// no longer hold is deleted, and the rest are stored with `policy` against
/// the whole memory. All through `w`, so one batch: `undo` brings the
/// earlier version back. So a corrected alignment stored after the first
/// leaves one version, not both.
pub fn store_document(
    w: &mut Writer<'_>,
    earlier: &[Unit],
    units: &[Unit],
    source_lang: &str,
    policy: OnDuplicate,
) -> Result<Stored> {
    let mut s = Stored::default();
    let mut kept = vec![false; earlier.len()];
    let mut fresh: Vec<&Unit> = Vec::new();
    let mut refresh: Vec<(i64, Unit)> = Vec::new();
    for u in units {
        match (0..earlier.len()).find(|&i| !kept[i] && same_texts(&earlier[i], u)) {
            Some(i) => {
                kept[i] = true;
                s.unchanged += 1;
                let old = &earlier[i];
                if context(old) != context(u)
                    && let Some(id) = old.id
                {
                    let mut new = old.clone();
                    for v in &mut new.variants {
                        if let Some(n) = u.variants.iter().find(|n| n.lang == v.lang) {
                            v.prev = n.prev.clone();
                            v.next = n.next.clone();
                        }
                    }
                    refresh.push((id, new));
                }
            }
            None => fresh.push(u),
        }
    }
    // The superseded go first, so that the new version is not taken for a
    // duplicate of the one it replaces.
    for (old, _) in earlier.iter().zip(&kept).filter(|(_, k)| !**k) {
        if let Some(id) = old.id
            && w.delete(id)?
        {
            s.superseded += 1;
        }
    }
    for (id, u) in &refresh {
        w.put(*id, u)?;
    }
    for u in fresh {
        match w.insert(u, Some(source_lang), policy)? {
            Inserted::New(_) => s.new += 1,
            Inserted::Duplicate(_) => s.duplicate += 1,
            Inserted::Skipped(_) => s.skipped += 1,
            Inserted::Overwritten(_) => s.overwritten += 1,
        }
    }
    Ok(s)
}
