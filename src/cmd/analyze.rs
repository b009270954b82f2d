//! `transmem analyze`: how much of new files the memory already covers.

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;
use transmem::analysis::{Analyzer, Band, BandCounts, Bands, Counts};
use transmem::matcher::Options;
use transmem::tm::Directed;

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
    /// Fuzzy bands' lower bounds, best first, starting at 100
    #[arg(long, value_name = "LIST", value_parser = bands)]
    pub bands: Option<Bands>,
    /// Analyse even when a file's letters are not in --from's script
    #[arg(long)]
    pub force: bool,
    /// Text files to analyse, in order (repetitions count across files)
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

fn bands(s: &str) -> Result<Bands, String> {
    Bands::parse(s).map_err(|e| e.to_string())
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
    let (from, to) = args.direction.tags_in(g)?;
    // Read every file first: a bad file fails the run before any output.
    let texts = args
        .files
        .iter()
        .map(|f| Ok((f.display().to_string(), super::read_text(g, f)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let tm = g.open(false)?;
    let held = || transmem::tm::primaries(&*tm).unwrap_or_default();
    for (name, text) in &texts {
        super::check_script(name, text, (&from, "--from"), &to, &held, args.force)?;
    }
    // Each file's segments are looked up in one call: on a server, one
    // request per thousand segments.
    let lookup = Directed {
        tm: &*tm,
        from: &from,
        to: &to,
    };
    let mut opts = Options::default();
    if let Some(b) = &args.bands {
        // Matches down to the lowest band are needed to fill it.
        opts.threshold = opts.threshold.min(b.lowest());
    }
    let mut analyzer = Analyzer::new(&lookup, super::segment::segmenter(&from, Some(&*tm))?, opts);
    let pb = super::progress(texts.len() as u64, 2, "{bar:40} {pos}/{len} files {msg}");
    let mut files = Vec::new();
    for (name, text) in &texts {
        pb.set_message(name.clone());
        files.push(analyzer.analyze(name, text)?);
        pb.inc(1);
    }
    pb.finish_and_clear();
    // Nothing matched anywhere: say so when it is because the memory holds
    // no `from` or `to` text.
    if files
        .iter()
        .all(|f| f.segments.iter().all(|s| s.best.is_none()))
    {
        super::require_language(&*tm, &from, "--from")?;
        super::require_language(&*tm, &to, "--to")?;
    }
    let total = analyzer.total().clone();
    let mut out = stdout();
    if let Some(b) = &args.bands {
        custom(&mut out, args.format, b, &files)?;
        out.flush()?;
        return Ok(0);
    }
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
        "  {:<22} {:>9} {:>9} {:>7} {:>11}",
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
            "  {:<22} {:>9} {:>9} {:>6.1}% {:>11}",
            b.name(),
            c.segments,
            c.words,
            pct,
            c.characters
        )?;
    }
    writeln!(
        out,
        "  {:<22} {:>9} {:>9} {:>7} {:>11}\n",
        "total", total.segments, total.words, "", total.characters
    )?;
    Ok(())
}

/// The report with `--bands`: the same three formats, band names from the
/// user's bounds.
fn custom(
    out: &mut impl Write,
    format: Format,
    bands: &Bands,
    files: &[transmem::analysis::FileAnalysis],
) -> anyhow::Result<()> {
    let per_file: Vec<(String, Vec<(String, Counts)>)> = files
        .iter()
        .map(|f| (f.file.clone(), bands.tally(&f.segments)))
        .collect();
    let all: Vec<_> = files
        .iter()
        .flat_map(|f| f.segments.iter().cloned())
        .collect();
    let total = bands.tally(&all);
    match format {
        Format::Json => {
            let obj = |name: Option<&str>, t: &[(String, Counts)]| {
                let mut m = serde_json::Map::new();
                if let Some(n) = name {
                    m.insert("file".into(), n.into());
                }
                for (k, c) in t {
                    m.insert(k.clone(), serde_json::json!(c));
                }
                serde_json::Value::Object(m)
            };
            let files: Vec<_> = per_file.iter().map(|(f, t)| obj(Some(f), t)).collect();
            super::write_json_line(
                out,
                &serde_json::json!({"files": files, "total": obj(None, &total)}),
            )?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut *out);
            w.write_record(["file", "band", "segments", "words", "characters"])?;
            for (name, t) in per_file
                .iter()
                .map(|(f, t)| (f.as_str(), t))
                .chain([("TOTAL", &total)])
            {
                for (band, c) in t {
                    w.write_record([
                        name,
                        band,
                        &c.segments.to_string(),
                        &c.words.to_string(),
                        &c.characters.to_string(),
                    ])?;
                }
            }
            w.flush()?;
        }
        Format::Table => {
            let mut print = |title: &str, t: &[(String, Counts)]| -> anyhow::Result<()> {
                let words: u64 = t.iter().map(|(_, c)| c.words).sum();
                writeln!(out, "{title}")?;
                writeln!(
                    out,
                    "  {:<22} {:>9} {:>9} {:>7} {:>11}",
                    "band", "segments", "words", "words%", "characters"
                )?;
                for (band, c) in t {
                    let pct = if words > 0 {
                        100.0 * c.words as f64 / words as f64
                    } else {
                        0.0
                    };
                    writeln!(
                        out,
                        "  {band:<22} {:>9} {:>9} {pct:>6.1}% {:>11}",
                        c.segments, c.words, c.characters
                    )?;
                }
                writeln!(out)?;
                Ok(())
            };
            for (f, t) in &per_file {
                print(f, t)?;
            }
            if per_file.len() > 1 {
                print("Total", &total)?;
            }
        }
    }
    Ok(())
}
