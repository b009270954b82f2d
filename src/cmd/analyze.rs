//! `transmem analyze`: how much of new files the memory already covers.

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;
use transmem::analysis::{Analyzer, Band, BandCounts};
use transmem::matcher::Options;
use transmem::memory::Memory;
use transmem::segment::Segmenter;

use super::{Global, stdout};

/// Report match bands (context, 100%, fuzzy, no match, repetitions) per file
///
/// Segments, words and characters per band, per file and in total.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub direction: super::Direction,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Text files to analyse, in order (repetitions count across files)
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Output formats.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum Format {
    /// A table per file and for the total
    Table,
    /// One JSON object: {"files":[...],"total":{...}}
    Json,
    /// One row per file and band (file "TOTAL" for the sum)
    Csv,
}

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let (from, to) = args.direction.tags()?;
    // Read every file first: a bad file fails the run before any output.
    let texts = args
        .files
        .iter()
        .map(|f| Ok((f.display().to_string(), transmem::error::read_text(f)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mem = Memory::open_existing(g.memory_path())?;
    let matcher = super::indexing::load_matcher(&mem, &from, &to)?;
    if matcher.is_empty() {
        super::require_language(&mem, &from, "--from")?;
    }
    let mut analyzer = Analyzer::new(&matcher, Segmenter::for_lang(&from), Options::default());
    let pb = super::progress(texts.len() as u64, 2, "{bar:40} {pos}/{len} files {msg}");
    let mut files = Vec::new();
    for (name, text) in &texts {
        pb.set_message(name.clone());
        files.push(analyzer.analyze(name, text)?);
        pb.inc(1);
    }
    pb.finish_and_clear();
    // Nothing matched anywhere: say so when it is because the memory holds
    // no `to` text (checked only then: counting languages reads every row).
    if files
        .iter()
        .all(|f| f.segments.iter().all(|s| s.best.is_none()))
    {
        super::require_language(&mem, &to, "--to")?;
    }
    let total = analyzer.total().clone();
    let mut out = stdout();
    match args.format {
        Format::Json => super::write_json_line(
            &mut out,
            &serde_json::json!({"files": files, "total": total}),
        )?,
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(["file", "band", "segments", "words", "characters"])?;
            let rows = files
                .iter()
                .map(|f| (f.file.as_str(), &f.bands))
                .chain([("TOTAL", &total)]);
            for (name, bands) in rows {
                for b in Band::ALL {
                    let c = bands.get(b);
                    w.write_record([
                        name,
                        b.name(),
                        &c.segments.to_string(),
                        &c.words.to_string(),
                        &c.characters.to_string(),
                    ])?;
                }
            }
            w.flush()?;
        }
        Format::Table => {
            for f in &files {
                table(&mut out, &f.file, &f.bands)?;
            }
            if files.len() > 1 {
                table(&mut out, "Total", &total)?;
            }
        }
    }
    out.flush()?;
    Ok(0)
}

fn table(out: &mut impl Write, title: &str, bands: &BandCounts) -> anyhow::Result<()> {
    let total = bands.total();
    writeln!(out, "{title}")?;
    writeln!(
        out,
        "  {:<12} {:>9} {:>9} {:>7} {:>11}",
        "band", "segments", "words", "words%", "characters"
    )?;
    for b in Band::ALL {
        let c = bands.get(b);
        let pct = if total.words > 0 {
            100.0 * c.words as f64 / total.words as f64
        } else {
            0.0
        };
        writeln!(
            out,
            "  {:<12} {:>9} {:>9} {:>6.1}% {:>11}",
            b.name(),
            c.segments,
            c.words,
            pct,
            c.characters
        )?;
    }
    writeln!(
        out,
        "  {:<12} {:>9} {:>9} {:>7} {:>11}\n",
        "total", total.segments, total.words, "", total.characters
    )?;
    Ok(())
}
