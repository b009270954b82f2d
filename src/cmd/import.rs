//! `transmem import`: TMX, CSV and TSV files into the memory, all files in
//! one transaction (an error anywhere leaves the memory as it was).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::ValueEnum;
use transmem::formats::{Format, csv, tmx};
use transmem::memory::{Inserted, Memory, OnDuplicate, Unit};

use super::{Global, lang_arg};

/// Import translation memories from TMX (1.1–1.4b), CSV or TSV files.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  transmem import project.tmx\n  \
    transmem import --langs en,ru pairs.tsv\n  \
    transmem import --columns en,ru,note glossary.csv   (header row renamed)")]
pub struct Args {
    /// Files to import; the format comes from the extension (.tmx, .csv, .tsv)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Format of every file: tmx, csv or tsv [default: by extension]
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// CSV/TSV without a header row: the languages of the first columns
    #[arg(long, value_delimiter = ',', value_name = "TAGS")]
    pub langs: Vec<String>,
    /// CSV/TSV column meanings: after the --langs columns, or replacing the
    /// header row's names. Each is a language tag or origin, note, created,
    /// creator, changed, changer, tuid, - (ignore)
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub columns: Vec<String>,
    /// Origin recorded on every unit [default: the file name, for units that name none]
    #[arg(long, value_name = "NAME")]
    pub origin: Option<String>,
    /// What to do when a unit's source text is stored with another translation
    #[arg(long, value_enum, default_value_t = Dup::KeepBoth)]
    pub on_duplicate: Dup,
}

/// `--on-duplicate` values.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dup {
    KeepBoth,
    Skip,
    Overwrite,
}

impl From<Dup> for OnDuplicate {
    fn from(d: Dup) -> Self {
        match d {
            Dup::KeepBoth => OnDuplicate::KeepBoth,
            Dup::Skip => OnDuplicate::Skip,
            Dup::Overwrite => OnDuplicate::Overwrite,
        }
    }
}

/// Units per message from the parser thread: one channel hand-over per unit
/// cost 15% of an import in futex calls.
const BATCH: usize = 256;

/// Reads one file on the parser thread, sending units in batches, each with
/// the language that counts as its source. Returns the number of empty units
/// skipped.
fn parse(
    format: Format,
    input: impl std::io::Read,
    path: &Path,
    opts: &csv::ReadOptions,
    tx: std::sync::mpsc::SyncSender<Vec<(Unit, Option<String>)>>,
) -> transmem::Result<u64> {
    let mut batch = Vec::with_capacity(BATCH);
    // A closed channel means the store failed; its error is the one reported.
    let mut push = |item: (Unit, Option<String>)| -> transmem::Result<()> {
        batch.push(item);
        if batch.len() == BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            tx.send(full)
                .map_err(|_| transmem::Error::Invalid("import stopped".into()))?;
        }
        Ok(())
    };
    let empty = match format {
        Format::Tmx => {
            tmx::read_units_with(input, path, &opts.limits, |h, u| {
                let src = u
                    .attrs
                    .iter()
                    .find(|(k, _)| k == "srclang")
                    .and_then(|(_, v)| transmem::lang::normalize_tag(v).ok())
                    .or_else(|| h.source_lang())
                    .filter(|l| u.variants.iter().any(|v| &v.lang == l));
                push((u, src))
            })?
            .empty
        }
        // The store takes the first variant (the first language column with
        // text) as the source.
        Format::Csv | Format::Tsv => csv::read(input, path, opts, |u| push((u, None)))?.empty,
    };
    if !batch.is_empty() {
        // The receiver only hangs up after a store error, reported instead.
        let _ = tx.send(batch);
    }
    Ok(empty)
}

/// Per-file counts for the summary.
#[derive(Default)]
struct Counts {
    read: u64,
    new: u64,
    duplicate: u64,
    skipped: u64,
    overwritten: u64,
}

fn format_of(path: &Path, forced: Option<Format>) -> anyhow::Result<Format> {
    if let Some(f) = forced {
        return Ok(f);
    }
    match Format::from_path(path) {
        Some(f) => Ok(f),
        None => bail!(
            "{}: cannot tell the format from the file name; use --format tmx|csv|tsv",
            path.display()
        ),
    }
}

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let forced = match &args.format {
        Some(f) => Some(
            Format::parse(f)
                .with_context(|| format!("unknown --format {f:?} (expected tmx, csv or tsv)"))?,
        ),
        None => None,
    };
    let langs: Vec<csv::Column> = args
        .langs
        .iter()
        .map(|l| lang_arg(l).map(csv::Column::Lang))
        .collect::<anyhow::Result<_>>()?;
    let named: Vec<csv::Column> = args
        .columns
        .iter()
        .map(|c| csv::Column::parse(c).with_context(|| format!("--columns: {c:?}")))
        .collect::<anyhow::Result<_>>()?;
    // Check every file's format before touching the memory.
    let formats: Vec<Format> = args
        .files
        .iter()
        .map(|p| format_of(p, forced))
        .collect::<anyhow::Result<_>>()?;
    let mem_path = g.memory_path();
    let existed = mem_path.exists();
    let summary = match import_files(&args, g, &formats, &langs, &named) {
        Ok(s) => s,
        Err(e) => {
            // "Unchanged" includes not leaving a new, empty memory behind.
            if !existed {
                let _ = std::fs::remove_file(&mem_path);
            }
            return Err(e);
        }
    };
    for (file, c) in &summary {
        let mut line = format!(
            "{file}: {} units read, {} new, {} duplicate, {} skipped",
            c.read, c.new, c.duplicate, c.skipped
        );
        if c.overwritten > 0 {
            line.push_str(&format!(", {} overwritten", c.overwritten));
        }
        eprintln!("{line}");
    }
    Ok(0)
}

/// Imports every file in one transaction; nothing is kept unless all succeed.
fn import_files(
    args: &Args,
    g: &Global,
    formats: &[Format],
    langs: &[csv::Column],
    named: &[csv::Column],
) -> anyhow::Result<Vec<(String, Counts)>> {
    let creator = g.creator();
    let policy: OnDuplicate = args.on_duplicate.into();
    let mut mem = Memory::open(g.memory_path())?;
    let mut w = mem.writer()?;
    let mut summary = Vec::new();
    for (path, &format) in args.files.iter().zip(formats) {
        let file = std::fs::File::open(path).map_err(|e| transmem::Error::io(path, e))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let bar = super::progress(
            size,
            1 << 20,
            "{msg} {wide_bar} {bytes}/{total_bytes} {eta}",
        );
        bar.set_message(path.display().to_string());
        let input = bar.wrap_read(file);
        let default_origin = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let mut counts = Counts::default();
        let mut store = |mut unit: Unit, src: Option<String>| -> transmem::Result<()> {
            counts.read += 1;
            match &args.origin {
                Some(o) => unit.origin = Some(o.clone()),
                None if unit.origin.is_none() => unit.origin = Some(default_origin.clone()),
                None => {}
            }
            if unit.creator.is_none() {
                unit.creator = Some(creator.clone());
            }
            match w.insert(&unit, src.as_deref(), policy)? {
                Inserted::New(_) => counts.new += 1,
                Inserted::Duplicate(_) => counts.duplicate += 1,
                Inserted::Skipped(_) => counts.skipped += 1,
                Inserted::Overwritten(_) => counts.overwritten += 1,
            }
            Ok(())
        };
        let mut opts = csv::ReadOptions {
            tsv: format == Format::Tsv,
            limits: super::limits::from_env()?,
            ..Default::default()
        };
        if langs.is_empty() {
            opts.rename = (!named.is_empty()).then(|| named.to_vec());
        } else {
            opts.columns = Some(langs.iter().chain(named).cloned().collect());
        }
        // Parsing runs on its own thread, feeding units to the store through
        // a bounded channel: the two halves overlap and memory stays flat.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(Unit, Option<String>)>>(8);
        let (parsed, stored) = std::thread::scope(|s| {
            let parser = s.spawn(move || parse(format, input, path, &opts, tx));
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
        stored.with_context(|| format!("{}: unit {}", path.display(), counts.read))?;
        let empty = match parsed {
            Ok(r) => r?,
            Err(_) => bail!("{}: the reader stopped unexpectedly", path.display()),
        };
        bar.finish_and_clear();
        counts.skipped += empty;
        summary.push((path.display().to_string(), counts));
    }
    w.commit()?;
    Ok(summary)
}
