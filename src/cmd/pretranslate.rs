//! `transmem pretranslate`: a bilingual draft filled from the memory.

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;
use transmem::analysis::Analyzer;
use transmem::formats::xliff::{self, DraftUnit};
use transmem::matcher::Options;
use transmem::tm::Directed;

use super::Global;

/// Write a draft translation: every segment with its best memory match
///
/// XLIFF 1.2 opens in OmegaT, Trados and memoQ; TSV is source, target,
/// score and origin. With -o the format follows the file's extension (.xlf,
/// .xliff, .tmx, .tsv); a --format that contradicts it is refused.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub direction: super::Direction,
    /// Lowest match score used for a target, in percent (0-101)
    #[arg(long, default_value_t = 75.0, value_parser = super::percent)]
    pub threshold: f64,
    /// Output format [default: from the -o extension, else xliff]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Output file [default: standard output]
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Pre-translate even when the file's letters are not in --from's script
    #[arg(long)]
    pub force: bool,
    /// Text file to pre-translate
    pub file: PathBuf,
}

/// Output formats.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// XLIFF 1.2
    Xliff,
    /// TMX 1.4b
    Tmx,
    /// source TAB target TAB score TAB origin
    Tsv,
}

impl Format {
    /// The format a file name's extension names, if any.
    fn from_path(p: &std::path::Path) -> Option<Format> {
        let ext = p.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "xlf" | "xliff" | "xlz" => Some(Format::Xliff),
            "tmx" => Some(Format::Tmx),
            "tsv" | "tab" | "txt" => Some(Format::Tsv),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Xliff => "xliff",
            Format::Tmx => "tmx",
            Format::Tsv => "tsv",
        }
    }
}

/// The output format: `--format`, else the extension of `-o`, else XLIFF;
/// an explicit format that the extension contradicts is an error, since
/// `-o draft.tmx` holding XLIFF would fail in the CAT tool much later.
fn format(args: &Args) -> anyhow::Result<Format> {
    // An extension it does not write (`-o draft.docx`) would hold XLIFF
    // under a name that promises something else.
    if let Some(o) = args.output.as_deref()
        && let Some(ext) = o.extension()
        && Format::from_path(o).is_none()
    {
        anyhow::bail!(
            "-o {}: pretranslate writes XLIFF (.xlf, .xliff), TMX (.tmx) or TSV (.tsv), \
             not .{}; name the output for one of them (a CAT tool turns the XLIFF into \
             the finished document)",
            o.display(),
            ext.to_string_lossy()
        );
    }
    let by_ext = args.output.as_deref().and_then(Format::from_path);
    match (args.format, by_ext) {
        (Some(f), Some(e)) if f != e => anyhow::bail!(
            "--format {} does not match the extension of {} ({}); \
             change one of them",
            f.name(),
            args.output
                .as_deref()
                .unwrap_or_else(|| std::path::Path::new(""))
                .display(),
            e.name()
        ),
        (Some(f), _) => Ok(f),
        (None, Some(e)) => Ok(e),
        (None, None) => Ok(Format::Xliff),
    }
}

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let (from, to) = args.direction.tags_in(g)?;
    let location = g.location()?;
    if let Some(o) = &args.output {
        // Before any work: the output may not be the memory (output.rs).
        super::output::refuse_memory_files(o, location.file())?;
    }
    let format = format(&args)?;
    let text = super::read_text(g, &args.file)?;
    let tm = g.open(false)?;
    let held = || transmem::tm::primaries(&*tm).unwrap_or_default();
    let name = args.file.display().to_string();
    super::check_script(&name, &text, (&from, "--from"), &to, &held, args.force)?;
    // The file's segments are looked up in one call: on a server, one
    // request per thousand segments.
    let lookup = Directed {
        tm: &*tm,
        from: &from,
        to: &to,
    };
    // The memory's own text teaches the segmenter (docs/segmentation.md).
    let seg = super::segment::segmenter(&from, Some(&*tm))?;
    let mut analyzer = Analyzer::new(&lookup, seg.clone(), Options::default());
    let analysis = analyzer.analyze(&name, &text)?;
    if analysis.segments.iter().all(|s| s.best.is_none()) {
        // Before any output: a memory without the source language.
        super::require_language(&*tm, &from, "--from")?;
    }
    let units: Vec<DraftUnit> = analysis
        .segments
        .iter()
        .map(|s| {
            let m = s.best.as_ref().filter(|m| m.score >= args.threshold);
            DraftUnit {
                source: &s.text,
                // Numbers and names already replaced where the match allowed it.
                target: m.map(|m| m.substituted_target.as_deref().unwrap_or(&m.target)),
                score: m.map(|m| m.score),
                match_source: m.map(|m| m.source.as_str()),
                match_target: m.map(|m| m.target.as_str()),
                origin: m.and_then(|m| m.origin.as_deref()),
            }
        })
        .collect();
    let mut buf: Vec<u8> = Vec::new();
    match format {
        Format::Xliff => {
            // The analysis segments the file the same way; its paragraph
            // numbers become one <group> per paragraph, for `merge`.
            let paras: Vec<usize> = transmem::segment::document(&text, &seg)
                .iter()
                .map(|p| p.para)
                .collect();
            if paras.len() == units.len() {
                xliff::write_paragraphs(&mut buf, &name, &from, &to, &units, &paras)?
            } else {
                xliff::write(&mut buf, &name, &from, &to, &units)?
            }
        }
        Format::Tsv => {
            for u in &units {
                let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
                writeln!(
                    buf,
                    "{}\t{}\t{}\t{}",
                    clean(u.source),
                    clean(u.target.unwrap_or("")),
                    u.score.map(|s| s.to_string()).unwrap_or_default(),
                    clean(u.origin.unwrap_or(""))
                )?;
            }
        }
        Format::Tmx => write_tmx(&mut buf, &from, &to, &units)?,
    }
    match &args.output {
        Some(p) => super::output::write_bytes(p, location.file(), &buf)?,
        None => {
            let mut out = super::stdout();
            out.write_all(&buf)?;
            out.flush()?;
        }
    }
    let filled = units.iter().filter(|u| u.target.is_some()).count();
    if filled == 0 {
        super::require_language(&*tm, &to, "--to")?;
    }
    eprintln!(
        "{filled} of {} segments pre-translated at {}% or more{}",
        units.len(),
        args.threshold,
        match &args.output {
            Some(p) => format!("; {} written to {}", format.name(), p.display()),
            None => String::new(),
        }
    );
    Ok(0)
}

fn write_tmx(buf: &mut Vec<u8>, from: &str, to: &str, units: &[DraftUnit]) -> anyhow::Result<()> {
    use transmem::formats::tmx::{Header, Writer};
    use transmem::memory::{Unit, Variant};
    let mut w = Writer::new(
        buf,
        &Header {
            srclang: from.to_string(),
            ..Header::default()
        },
    )?;
    for u in units {
        let Some(t) = u.target else { continue };
        let v = |lang: &str, text: &str| Variant {
            lang: lang.to_string(),
            text: text.to_string(),
            ..Variant::default()
        };
        let mut unit = Unit {
            variants: vec![v(from, u.source), v(to, t)],
            origin: u.origin.map(str::to_string),
            ..Unit::default()
        };
        if let Some(s) = u.score {
            unit.props.push(("x-match-quality".into(), s.to_string()));
        }
        w.write_unit(&unit)?;
    }
    w.finish()?;
    Ok(())
}
