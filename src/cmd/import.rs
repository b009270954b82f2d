//! `transmem import`: TMX, CSV and TSV files into the memory, all files in
//! one transaction (an error anywhere leaves the memory as it was).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use transmem::formats::xliff_read::State;
use transmem::formats::{Format, csv};
use transmem::import;
use transmem::tm::{Sink, WriteRequest};

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
        opts.csv.columns = Some(langs.iter().chain(&named).cloned().collect());
    }
    if let Ok(transmem::tm::Location::File(mem)) = g.location() {
        warn_if_disk_short(&mem, &args.files);
    }
    let mut tm = g.open(true)?;
    // All files in one write: one transaction (on a server, one streamed
    // request), so an error anywhere leaves the memory as it was.
    let req = WriteRequest {
        batch: g.batch(),
        on_duplicate: args.on_duplicate.into(),
        groups: args.files.len(),
        defer_index: args.defer_index,
        expected_units: expected_units(&args.files),
        supersede: None,
    };
    let written = tm.write(&req, &mut |sink| {
        for (i, (path, &format)) in args.files.iter().zip(&formats).enumerate() {
            import_file(sink, i, path, format, &args, &mut opts)?;
        }
        Ok(())
    })?;
    for (path, c) in args.files.iter().zip(&written.groups) {
        let mut line = format!(
            "{}: {} units read, {} new, {} duplicate, {} skipped",
            path.display(),
            c.read,
            c.new,
            c.duplicate,
            c.skipped
        );
        if c.overwritten > 0 {
            line.push_str(&format!(", {} overwritten", c.overwritten));
        }
        eprintln!("{line}");
    }
    let t = written.total();
    eprintln!(
        "{}",
        super::stored_in(t.new, t.duplicate + t.skipped, &tm.location().shown())
    );
    // Stored nothing into a memory made for it: removed again (a command
    // that stores nothing creates nothing).
    if written.batch.is_none() && tm.discard_if_unused()? {
        eprintln!(
            "stored nothing, so no memory was created at {}",
            tm.location().shown()
        );
        return Ok(0);
    }
    super::report_batch(written.batch);
    super::report_warnings(&written.warnings);
    Ok(0)
}

/// About how many units `files` hold, from their sizes: only a hint, for
/// whether the match index is built while they are stored. A line of the
/// benchmark memory's TSV takes 245 bytes, a TMX unit more.
fn expected_units(files: &[PathBuf]) -> u64 {
    files
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len() / 250)
        .sum()
}

/// Reads one file into group `group` of the write.
fn import_file(
    sink: &mut dyn Sink,
    group: usize,
    path: &Path,
    format: Option<Format>,
    args: &Args,
    opts: &mut import::Options,
) -> transmem::Result<()> {
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
    let mut put = |u, src| sink.unit(group, u, src);
    let counts = match format {
        Some(format) => import::read_units(bar.wrap_read(file), path, format, opts, &mut put)?,
        None => {
            let (counts, seen) = import::read_xliff_units(
                bar.wrap_read(file),
                path,
                args.min_state,
                opts,
                &mut put,
            )?;
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
    sink.skipped(group, counts.skipped);
    Ok(())
}

/// Free disk an import needs per byte of input: 4. Measured: at 1M units a
/// 245 MB TSV made a 396 MB memory and a 55 MB match index (1.9 times the
/// input), at 10M 4.9 GB from 2.5 GB (issue 27); and until the import
/// commits, SQLite's write-ahead log holds a second copy of every new page
/// beside the growing memory file. (A first import into an empty memory
/// that nothing else holds open writes no log, and needs about half; the
/// estimate stays on the safe side, since another process can hold it.)
const DISK_PER_INPUT_BYTE: u64 = 4;

/// Says before an import starts, not after an hour, when the memory's disk
/// has less free space than the import will need. The import still runs
/// (the estimate is rough, and a full disk leaves the memory as it was).
fn warn_if_disk_short(mem: &Path, files: &[PathBuf]) {
    let input: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let need = input.saturating_mul(DISK_PER_INPUT_BYTE);
    // Small imports cannot fill a disk worth warning about.
    if need < 64 << 20 {
        return;
    }
    let dir = match mem.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Some(free) = free_bytes(dir)
        && free < need
    {
        eprintln!(
            "transmem: warning: {} has {} free; importing {} of files needs about {} \
             while it runs (the memory and its index take about twice the input, and the \
             write-ahead log can hold a second copy until the import commits). If the disk \
             fills, nothing is stored.",
            dir.display(),
            human(free),
            human(input),
            human(need)
        );
    }
}

fn human(b: u64) -> String {
    const GB: f64 = (1u64 << 30) as f64;
    const MB: f64 = (1u64 << 20) as f64;
    if b as f64 >= GB {
        format!("{:.1} GB", b as f64 / GB)
    } else {
        format!("{:.0} MB", b as f64 / MB)
    }
}

/// Bytes an unprivileged writer may still use on the file system of `dir`.
fn free_bytes(dir: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
        // SAFETY: `st` is plain data that statvfs fills; `c` is a valid
        // NUL-terminated path alive for the call; the result is checked.
        let st = unsafe {
            let mut st: libc::statvfs = std::mem::zeroed();
            if libc::statvfs(c.as_ptr(), &mut st) != 0 {
                return None;
            }
            st
        };
        #[allow(
            clippy::unnecessary_cast,
            reason = "the field types differ between platforms"
        )]
        Some(st.f_bavail as u64 * st.f_frsize as u64)
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}
