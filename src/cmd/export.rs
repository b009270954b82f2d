//! `transmem export`: the memory as TMX 1.4b, CSV or TSV, streamed.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use indicatif::ProgressBar;
use transmem::formats::{Format, csv};
use transmem::tm::Tm;

use super::{Global, lang_arg};

/// Export the memory as TMX 1.4b, CSV or TSV (to stdout unless -o).
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  transmem export --format tmx -o memory.tmx\n  \
    transmem export --format csv --langs en,ru --bom -o memory.csv"
)]
pub struct Args {
    /// tmx, csv or tsv [default: from the -o extension, else tmx]
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Only these languages (a bare `en` takes every English variant) [default: all]
    #[arg(long, value_delimiter = ',', value_name = "TAGS")]
    pub langs: Vec<String>,
    /// Write here instead of standard output (replaced only when complete)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Start with a UTF-8 byte order mark (spreadsheet programs want it)
    #[arg(long)]
    pub bom: bool,
    /// CSV/TSV: metadata columns after the languages, any of origin, created,
    /// creator, changed, changer, tuid, note, context (prev:LANG and
    /// next:LANG for each language); import reads them back
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub columns: Vec<String>,
}

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let format = match (&args.format, &args.output) {
        (Some(f), _) => Format::parse(f)
            .with_context(|| format!("unknown --format {f:?} (expected tmx, csv or tsv)"))?,
        (None, Some(o)) => Format::from_path(o).unwrap_or(Format::Tmx),
        (None, None) => Format::Tmx,
    };
    let langs: Vec<String> = args
        .langs
        .iter()
        .map(|l| lang_arg(l))
        .collect::<anyhow::Result<_>>()?;
    let meta = meta_columns(&args.columns)?;
    if !meta.is_empty() && format == Format::Tmx {
        anyhow::bail!("--columns is for CSV and TSV (TMX carries all metadata)");
    }
    let tm = g.open(false)?;
    // Counted only for a progress bar someone sees.
    let total = if std::io::stderr().is_terminal() {
        tm.unit_count()?
    } else {
        0
    };
    let bar = super::progress(total, 10_000, "export {wide_bar} {pos}/{len} units {eta}");
    let mut written = 0;
    match &args.output {
        None => {
            let out = super::stdout();
            written = export(&*tm, format, &langs, &meta, args.bom, out, &bar)?;
        }
        Some(path) => {
            // Complete or not at all, never over the memory (output.rs).
            super::output::write_file(path, tm.location().file(), |out| {
                written = export(&*tm, format, &langs, &meta, args.bom, out, &bar)?;
                Ok(())
            })?;
        }
    }
    bar.finish_and_clear();
    eprintln!(
        "exported {written} unit{} of {} as {} to {}",
        if written == 1 { "" } else { "s" },
        tm.location().shown(),
        match format {
            Format::Tmx => "TMX",
            Format::Csv => "CSV",
            Format::Tsv => "TSV",
        },
        match &args.output {
            Some(p) => p.display().to_string(),
            None => "standard output".into(),
        }
    );
    Ok(0)
}

/// The units of `tm`, formatted here whatever the memory: a server sends
/// units, and this is the one writer of the file.
fn export<W: Write>(
    tm: &dyn Tm,
    format: Format,
    langs: &[String],
    meta: &[Option<csv::Column>],
    bom: bool,
    out: W,
    bar: &ProgressBar,
) -> transmem::Result<u64> {
    let opts = transmem::export::Options {
        langs: langs.to_vec(),
        bom,
        columns: meta.to_vec(),
    };
    let (mut out, n) = transmem::export::export_from(tm, format, &opts, out, || bar.inc(1))?;
    out.flush()
        .map_err(|e| transmem::Error::io("<output>", e))?;
    Ok(n)
}

/// The `--columns` names; `None` stands for `context`.
fn meta_columns(names: &[String]) -> anyhow::Result<Vec<Option<csv::Column>>> {
    names
        .iter()
        .map(|n| {
            let n = n.trim().to_ascii_lowercase();
            Ok(match n.as_str() {
                "context" => None,
                "origin" | "created" | "creator" | "changed" | "changer" | "tuid" | "note" => {
                    Some(csv::Column::parse(&n)?)
                }
                _ => anyhow::bail!(
                    "--columns: unknown column {n:?} (expected origin, created, creator, changed, changer, tuid, note, context)"
                ),
            })
        })
        .collect()
}
