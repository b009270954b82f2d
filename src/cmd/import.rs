//! `transmem import`: TMX, CSV and TSV files into the memory, all files in
//! one transaction (an error anywhere leaves the memory as it was).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use transmem::formats::xliff_read::State;
use transmem::formats::{Format, csv};
use transmem::import::{self, Counts};
use transmem::memory::Memory;

use super::{Dup, Global, lang_arg};

/// Import translation memories from TMX (1.1–1.4b), CSV or TSV files, and
/// finished XLIFF 1.2/2.0 jobs (OmegaT, memoQ .mqxliff, Trados .sdlxliff,
/// Okapi) with each segment's neighbours as context.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  transmem import project.tmx\n  \
    transmem import --langs en,ru pairs.tsv\n  \
    transmem import --columns en,ru,note glossary.csv   (header row renamed)")]
pub struct Args {
    /// Files to import; the format comes from the extension (.tmx, .csv,
    /// .tsv, .xlf, .xliff, .sdlxliff, .mqxliff)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Format of every file: tmx, csv, tsv or xliff [default: by extension]
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
    /// XLIFF: the least finished segment stored: draft, translated,
    /// reviewed or final (Trados/memoQ/XLIFF states are mapped onto these)
    #[arg(long, value_name = "STATE", default_value = "translated", value_parser = min_state)]
    pub min_state: State,
    /// Leave the match index for the first lookup to bring up to date
    /// (scripted bulk loads: one index build after the last import)
    #[arg(long)]
    pub defer_index: bool,
    // Last: the options after a flattened group take its help heading
    // ("Server:"), which listed --min-state and --defer-index there.
    #[command(flatten)]
    pub remote: super::client::Remote,
}

fn min_state(s: &str) -> Result<State, String> {
    State::parse(s).ok_or_else(|| "expected draft, translated, reviewed or final".into())
}

/// XLIFF by `--format xliff` or by the extension (the CAT tools' own ones too).
fn is_xliff(path: &Path, forced: Option<&str>) -> bool {
    match forced {
        Some(f) => f.eq_ignore_ascii_case("xliff") || f.eq_ignore_ascii_case("xlf"),
        None => path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            ["xlf", "xliff", "sdlxliff", "mqxliff"]
                .iter()
                .any(|x| e.eq_ignore_ascii_case(x))
        }),
    }
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
    if let Some(c) = args.remote.client() {
        return super::client::import(&args, &c);
    }
    let forced = match &args.format {
        Some(f) if is_xliff(Path::new(""), Some(f)) => None,
        Some(f) => Some(Format::parse(f).with_context(|| {
            format!("unknown --format {f:?} (expected tmx, csv, tsv or xliff)")
        })?),
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
    // `None`: XLIFF.
    let formats: Vec<Option<Format>> = args
        .files
        .iter()
        .map(|p| {
            if is_xliff(p, args.format.as_deref()) {
                Ok(None)
            } else {
                format_of(p, forced).map(Some)
            }
        })
        .collect::<anyhow::Result<_>>()?;
    // A file memory that does not exist yet is created for this import, and
    // removed again if the import stores nothing.
    let existed = g.database.is_some() || g.memory_path().exists();
    let mut mem = g.open_memory(true)?;
    let before = mem.stamp()?;
    let (summary, batch) = match import_files(&mut mem, &args, g, &formats, &langs, &named) {
        Ok(s) => s,
        Err(e) => {
            // "Unchanged" includes not leaving a new, empty memory (or the
            // folders made for it) behind; a memory another process has
            // written to meanwhile is kept.
            let _ = mem.discard_if_unused();
            return Err(e);
        }
    };
    let path = mem.path().to_path_buf();
    let mem = if batch.is_none() && !existed {
        // Stored nothing into a memory made for it: remove it again.
        if mem.discard_if_unused()? {
            for (file, c) in &summary {
                eprintln!(
                    "{file}: {} units read, {} new, {} duplicate, {} skipped",
                    c.read, c.new, c.duplicate, c.skipped
                );
            }
            eprintln!(
                "stored nothing, so no memory was created at {}",
                super::shown(&path)
            );
            return Ok(0);
        }
        g.open_memory(false)?
    } else {
        mem
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
    super::report_stored(
        mem.path(),
        summary
            .iter()
            .map(|(_, c)| (c.new, c.duplicate + c.skipped)),
    );
    super::report_batch(batch);
    if !args.defer_index {
        super::indexing::refresh_after_write(&mem, &before)?;
    }
    Ok(0)
}

/// Per file: its name and what happened to its units.
type Summary = Vec<(String, Counts)>;

/// Imports every file in one transaction; nothing is kept unless all succeed.
fn import_files(
    mem: &mut Memory,
    args: &Args,
    g: &Global,
    formats: &[Option<Format>],
    langs: &[csv::Column],
    named: &[csv::Column],
) -> anyhow::Result<(Summary, Option<i64>)> {
    let mut opts = import::Options {
        creator: Some(g.creator()),
        origin: args.origin.clone(),
        on_duplicate: args.on_duplicate.into(),
        encoding: g.text_encoding(),
        ..import::Options::default()
    };
    opts.csv.limits = super::limits::from_env()?;
    if langs.is_empty() {
        opts.csv.rename = (!named.is_empty()).then(|| named.to_vec());
    } else {
        opts.csv.columns = Some(langs.iter().chain(named).cloned().collect());
    }
    let mut w = mem.writer()?;
    w.start_batch(&super::command_line(), Some(&g.creator()))?;
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
        opts.default_origin = Some(
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string()),
        );
        let counts = match format {
            Some(format) => import::import(&mut w, bar.wrap_read(file), path, format, &opts)?,
            None => {
                let (counts, seen) =
                    import::import_xliff(&mut w, bar.wrap_read(file), path, args.min_state, &opts)?;
                bar.finish_and_clear();
                eprintln!(
                    "{}: {} segments, {} translated to {} or better, {} below it, {} without translation",
                    path.display(),
                    seen.segments,
                    seen.units,
                    args.min_state.name(),
                    seen.below_state,
                    seen.untranslated
                );
                counts
            }
        };
        bar.finish_and_clear();
        if let Some(how) = &counts.encoding {
            super::note_encoding(&path.display().to_string(), how);
        }
        summary.push((path.display().to_string(), counts));
    }
    for (key, n) in [
        (
            "duplicates",
            summary.iter().map(|(_, c)| c.duplicate).sum::<u64>(),
        ),
        ("skipped", summary.iter().map(|(_, c)| c.skipped).sum()),
    ] {
        if n > 0 {
            w.count(key, n);
        }
    }
    // Nothing stored: nothing to commit, so that a memory this import
    // created can be removed again (a command that stores nothing creates
    // nothing).
    if summary.iter().all(|(_, c)| c.new + c.overwritten == 0) {
        drop(w);
        return Ok((summary, None));
    }
    let batch = w.batch_id();
    w.commit()?;
    Ok((summary, batch))
}
