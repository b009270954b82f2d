//! `transmem segment`: split text into sentences.

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;

use transmem::segment::{Evidence, MEMORY_SAMPLE, Segmenter};

use super::{Global, read_input, stdout};

/// Split text into sentences, one per line (or a JSON array)
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Language of the text (en, ru, ...)
    #[arg(
        long,
        alias = "from",
        value_name = "LANG",
        required_unless_present = "dump_srx"
    )]
    pub lang: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Lines)]
    pub format: Format,
    /// SRX 2.0 rule file to use instead of the built-in rules
    #[arg(long, value_name = "FILE.srx")]
    pub rules: Option<PathBuf>,
    /// Print the built-in rules as an SRX 2.0 file and exit
    #[arg(long, conflicts_with_all = ["rules", "file"])]
    pub dump_srx: bool,
    /// Instead of segments, list each candidate position with the rule
    /// (0-based index) that decided it
    #[arg(long)]
    pub explain: bool,
    /// Use only the built-in rules and lists, not what the memory's own
    /// text teaches (a memory is used when one is named)
    #[arg(long)]
    pub no_learn: bool,
    /// Text file; standard input when missing or `-`
    pub file: Option<PathBuf>,
}

/// The built-in segmenter for `lang`, also consulting what the newest
/// segments of `lang` in `tm` teach (see docs/segmentation.md, "Learning
/// from the memory"). `TRANSMEM_TRACE_LEARN` set prints the segments read
/// and the time taken on stderr.
pub fn segmenter(lang: &str, tm: Option<&dyn transmem::tm::Tm>) -> anyhow::Result<Segmenter> {
    let Some(tm) = tm else {
        return Ok(Segmenter::for_lang(lang));
    };
    let t0 = std::time::Instant::now();
    let sample = Evidence::sample(tm, lang, MEMORY_SAMPLE)?;
    let t1 = t0.elapsed();
    let ev = Evidence::learn(sample);
    let t2 = t0.elapsed();
    let seg = Segmenter::for_lang_with_evidence(lang, &ev);
    if std::env::var_os("TRANSMEM_TRACE_LEARN").is_some() {
        eprintln!(
            "learnt from {} {lang} segments: read {:.1} ms, count {:.1} ms, total {:.1} ms; adds {}",
            ev.segments(),
            t1.as_secs_f64() * 1e3,
            (t2 - t1).as_secs_f64() * 1e3,
            t0.elapsed().as_secs_f64() * 1e3,
            ev.summary(lang)
        );
    }
    Ok(seg)
}

/// Output formats.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum Format {
    /// One segment per line
    Lines,
    /// One JSON array of strings
    Json,
}

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let mut out = stdout();
    if args.dump_srx {
        out.write_all(transmem::segment::rules::builtin_srx().as_bytes())?;
        out.flush()?;
        return Ok(0);
    }
    let Some(lang) = args.lang.as_deref() else {
        anyhow::bail!("--lang is required");
    };
    let lang = super::lang_arg(lang)?;
    let seg = match &args.rules {
        Some(path) => Segmenter::from_srx_file(path, &lang)?,
        // A memory named on the command line or in the environment teaches
        // the segmenter; without one nothing is opened (start-up).
        // One that cannot be opened (not created yet, a server down) leaves
        // the built-in rules, with a note: segmenting needs no memory.
        None if g.names_a_location() && !args.no_learn => match g.open(false) {
            Ok(tm) => segmenter(&lang, Some(&*tm))?,
            Err(e) => {
                eprintln!("transmem: note: segmenting with the built-in rules only: {e:#}");
                Segmenter::for_lang(&lang)
            }
        },
        None => Segmenter::for_lang(&lang),
    };
    let (_, text) = read_input(g, args.file.as_deref())?;
    if args.explain {
        for (pos, rule, brk) in seg.explain(&text) {
            let rule = rule.map_or("none".to_string(), |r| r.to_string());
            let verdict = if brk { "break" } else { "no break" };
            let ctx_start = text.floor_char_boundary(pos.saturating_sub(30));
            let ctx_end = text.ceil_char_boundary((pos + 30).min(text.len()));
            let ctx =
                format!("{}|{}", &text[ctx_start..pos], &text[pos..ctx_end]).replace('\n', " ");
            writeln!(out, "{pos}\trule {rule}\t{verdict}\t{ctx}")?;
        }
        out.flush()?;
        return Ok(0);
    }
    let spans = seg.split(&text);
    match args.format {
        Format::Lines => {
            for r in spans {
                writeln!(out, "{}", &text[r])?;
            }
        }
        Format::Json => {
            let v: Vec<&str> = spans.into_iter().map(|r| &text[r]).collect();
            super::write_json_line(&mut out, &v)?;
        }
    }
    out.flush()?;
    Ok(0)
}
