//! `transmem export`: the memory as TMX 1.4b, CSV or TSV, streamed.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use indicatif::ProgressBar;
use transmem::formats::Format;
use transmem::memory::Memory;

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
    let mem = g.open_memory(false)?;
    let total = mem.unit_count()?;
    let bar = super::progress(total, 10_000, "export {wide_bar} {pos}/{len} units {eta}");
    match &args.output {
        None => {
            let out = super::stdout();
            export(&mem, format, &langs, args.bom, out, &bar)?;
        }
        Some(path) => {
            // Write beside the target and rename: a failed export never
            // leaves a half-written file where a good one was.
            let tmp = temp_path(path);
            let file = std::fs::File::create(&tmp).map_err(|e| transmem::Error::io(&tmp, e))?;
            let out = BufWriter::with_capacity(1 << 20, file);
            let done = export(&mem, format, &langs, args.bom, out, &bar).and_then(|w| {
                w.into_inner()
                    .map_err(|e| transmem::Error::io(&tmp, e.into_error()))?;
                std::fs::rename(&tmp, path).map_err(|e| transmem::Error::io(path, e))
            });
            if let Err(e) = done {
                let _ = std::fs::remove_file(&tmp);
                return Err(e.into());
            }
        }
    }
    bar.finish_and_clear();
    Ok(0)
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(format!(".{}.part", std::process::id()));
    path.with_file_name(name)
}

fn export<W: Write>(
    mem: &Memory,
    format: Format,
    langs: &[String],
    bom: bool,
    out: W,
    bar: &ProgressBar,
) -> transmem::Result<W> {
    let opts = transmem::export::Options {
        langs: langs.to_vec(),
        bom,
    };
    transmem::export::export(mem, format, &opts, out, || bar.inc(1))
}
