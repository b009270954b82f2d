//! `transmem align`: pair the sentences of a bilingual article.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use transmem::align::{self, Link, Segment};
use transmem::memory::Unit;
use transmem::segment::{self, Piece, Segmenter};
use transmem::tm::WriteRequest;

use super::{Global, stdout};

/// Align a source and a target text into sentence links
///
/// Each file's letters are checked against its language's script (Cyrillic
/// for ru, Latin for en, ...): swapped languages are refused unless --force.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Language of the source file
    #[arg(long = "from", alias = "src-lang", value_name = "LANG")]
    pub src_lang: String,
    /// Language of the target file
    #[arg(long = "to", alias = "tgt-lang", value_name = "LANG")]
    pub tgt_lang: String,
    /// Align (and store) even when a file's script does not fit its language
    #[arg(long)]
    pub force: bool,
    /// Files hold one segment per line, as given (blank lines separate paragraphs)
    #[arg(long)]
    pub presegmented: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Tsv)]
    pub format: Format,
    /// Also store the links with text on both sides in the memory
    #[arg(long)]
    pub store: bool,
    /// With --store: leave the match index for the first lookup to bring
    /// up to date
    #[arg(long, requires = "store")]
    pub defer_index: bool,
    /// Origin recorded with stored units [default: the source file name];
    /// a later store of the same origin and languages replaces its units
    #[arg(long)]
    pub origin: Option<String>,
    /// With --store: what to do when a unit's source text is stored, from
    /// another document, with another translation
    #[arg(long, value_enum, default_value_t = super::Dup::KeepBoth, requires = "store")]
    pub on_duplicate: super::Dup,
    /// Only store links with at least this confidence (0-1)
    #[arg(long, default_value_t = 0.0)]
    pub min_confidence: f64,
    /// SRX 2.0 segmentation rules for both files (instead of the built-in rules)
    #[arg(long, value_name = "FILE.srx")]
    pub rules: Option<PathBuf>,
    /// Bilingual dictionary: TSV (source TAB target) or dictd (.index/.dict)
    #[arg(long, value_name = "FILE")]
    pub dict: Option<PathBuf>,
    /// Corrections saved by the review page (`--format html`): use these
    /// links instead of aligning, and with --store store exactly them
    #[arg(long, value_name = "FILE.json", conflicts_with = "dict")]
    pub review: Option<PathBuf>,
    /// Write here instead of standard output (replaced only when complete)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Source text file
    pub src: PathBuf,
    /// Target text file
    pub tgt: PathBuf,
}

/// Output formats.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum Format {
    /// source TAB target, one link per line
    Tsv,
    /// One JSON object per link
    Jsonl,
    /// A self-contained review page: correct the links, save them for --review
    Html,
    /// TMX with one unit per link that has text on both sides
    Tmx,
}

/// A segmented side of the pair.
pub struct Side {
    pub text: String,
    pub pieces: Vec<Piece>,
}

impl Side {
    pub fn load(
        g: &Global,
        path: &Path,
        lang: &str,
        presegmented: bool,
        rules: Option<&Path>,
        tm: Option<&dyn transmem::tm::Tm>,
    ) -> anyhow::Result<Side> {
        let text = super::read_text(g, path)?;
        // Bounded input, so that segmenting and aligning take bounded time.
        let limits = super::limits::from_env()?;
        transmem::limits::check_lines(&text, path, &limits)?;
        let pieces = if presegmented {
            segment::lines(&text)
        } else {
            let seg = match rules {
                Some(srx) => Segmenter::from_srx_file(srx, lang)?,
                None => super::segment::segmenter(lang, tm)?,
            };
            segment::document(&text, &seg)
        };
        transmem::limits::check_segments(
            &text,
            pieces.iter().map(|p| p.range.clone()),
            path,
            &limits,
        )?;
        Ok(Side { text, pieces })
    }

    pub fn texts(&self) -> Vec<&str> {
        self.pieces
            .iter()
            .map(|p| &self.text[p.range.clone()])
            .collect()
    }

    pub fn segments(&self) -> Vec<Segment<'_>> {
        self.pieces
            .iter()
            .map(|p| Segment {
                text: &self.text[p.range.clone()],
                para: p.para,
            })
            .collect()
    }
}

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let (sl, tl) = (
        super::lang_opt(g, &args.src_lang, "--from")?,
        super::lang_opt(g, &args.tgt_lang, "--to")?,
    );
    let location = g.location()?;
    if let Some(o) = &args.output {
        // Before any work: the output may not be the memory (output.rs).
        super::output::refuse_memory_files(o, location.file())?;
    }
    let rules = args.rules.as_deref();
    // The memory, when one is named or the links go into it, teaches the
    // segmenter (docs/segmentation.md, "Learning from the memory"); one
    // that cannot be opened here teaches nothing (--store reports why).
    let memory = if !args.presegmented && rules.is_none() && (args.store || g.names_a_location()) {
        g.open(false).ok()
    } else {
        None
    };
    let src = Side::load(
        g,
        &args.src,
        &sl,
        args.presegmented,
        rules,
        memory.as_deref(),
    )?;
    let tgt = Side::load(
        g,
        &args.tgt,
        &tl,
        args.presegmented,
        rules,
        memory.as_deref(),
    )?;
    drop(memory);
    let (src_name, tgt_name) = (
        args.src.display().to_string(),
        args.tgt.display().to_string(),
    );
    let mismatch = |held: &[String]| {
        transmem::script::pair_mismatch(
            (&src_name, &src.text),
            (&tgt_name, &tgt.text),
            &sl,
            &tl,
            held,
        )
    };
    // The memory's languages are asked for only when a file does not fit.
    if !args.force
        && mismatch(&[]).is_some()
        && let Some(m) = mismatch(&super::held_languages(g))
    {
        anyhow::bail!(m);
    }
    if !(0.0..=1.0).contains(&args.min_confidence) {
        anyhow::bail!(
            "--min-confidence must be between 0 and 1, got {}",
            args.min_confidence
        );
    }
    let dict = match &args.dict {
        Some(p) => Some(std::sync::Arc::new(align::Dict::load(p)?)),
        None => None,
    };
    let opts = align::Options {
        src_lang: sl.clone(),
        tgt_lang: tl.clone(),
        dict,
        ..align::Options::default()
    };
    let (seg_st, seg_tt) = (src.texts(), tgt.texts());
    // With --review the links come from the page's corrections file, over
    // one text per link (edited or joined), so the store, tsv, jsonl and tmx
    // take exactly the corrected links (the page shows them over the
    // segments instead).
    let reviewed = match &args.review {
        Some(path) => {
            let text = transmem::error::read_text(path)?;
            let c = align::html::Corrections::parse(&text, seg_st.len(), seg_tt.len())
                .and_then(|c| {
                    c.check_texts(
                        &seg_st,
                        &seg_tt,
                        (
                            &args.src.display().to_string(),
                            &args.tgt.display().to_string(),
                        ),
                    )
                    .map(|()| c)
                })
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            Some(c)
        }
        None => None,
    };
    let (links, st, tt): (Vec<Link>, Vec<String>, Vec<String>) = match &reviewed {
        Some(c) => c.flatten(&seg_st, &seg_tt),
        None => (
            align::align(&src.segments(), &tgt.segments(), &opts),
            seg_st.iter().map(|s| s.to_string()).collect(),
            seg_tt.iter().map(|s| s.to_string()).collect(),
        ),
    };
    let st: Vec<&str> = st.iter().map(String::as_str).collect();
    let tt: Vec<&str> = tt.iter().map(String::as_str).collect();
    if args.store {
        let origin = args.origin.clone().unwrap_or_else(|| {
            args.src
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        let template = Unit {
            origin: Some(origin),
            creator: Some(g.creator()),
            ..Unit::default()
        };
        let units = align::to_units(&links, &st, &tt, (&sl, &tl), args.min_confidence, &template);
        let origin = template.origin.clone().unwrap_or_default();
        let mut tm = g.open(true)?;
        // Every link in one write: one transaction, and on a server one
        // request. A re-alignment of the same document (origin and
        // language pair) replaces its earlier units in that one batch.
        let req = WriteRequest {
            batch: g.batch(),
            on_duplicate: args.on_duplicate.into(),
            groups: 1,
            defer_index: args.defer_index,
            expected_units: 0,
            supersede: Some(transmem::tm::Supersede {
                origin: origin.clone(),
                from: sl.clone(),
                to: tl.clone(),
            }),
        };
        let written = tm.write(&req, &mut |sink| {
            for u in &units {
                sink.unit(0, u.clone(), Some(sl.clone()))?;
            }
            Ok(())
        })?;
        let t = written.total();
        if written.batch.is_none() && tm.discard_if_unused()? {
            eprintln!(
                "stored nothing, so no memory was created at {}",
                tm.location().shown()
            );
        } else {
            let mut line = super::stored_in(t.new, t.duplicate + t.skipped, &tm.location().shown());
            if written.unchanged > 0 {
                line.push_str(&format!("; {} unchanged", written.unchanged));
            }
            if t.overwritten > 0 {
                line.push_str(&format!("; {} overwritten", t.overwritten));
            }
            if written.superseded > 0 {
                line.push_str(&format!(
                    "; {} earlier unit{} of {origin} superseded",
                    written.superseded,
                    if written.superseded == 1 { "" } else { "s" }
                ));
            }
            eprintln!("{line}");
            super::report_batch(written.batch);
            super::report_warnings(&written.warnings);
        }
    }
    // Produced whole, then written (output.rs: to -o complete or not at
    // all, never over the memory); the text it comes from is in memory anyway.
    let mut out: Vec<u8> = Vec::new();
    match args.format {
        Format::Html => {
            let title = format!("{} \u{2194} {}", args.src.display(), args.tgt.display());
            let page = align::html::Page {
                title: &title,
                langs: (&sl, &tl),
                save_url: None,
            };
            match &reviewed {
                // Over the texts' own segments, so that what the page saves
                // again refers to them.
                Some(c) => {
                    let (links, st, tt) = c.over_segments(&seg_st, &seg_tt);
                    let st: Vec<&str> = st.iter().map(String::as_str).collect();
                    let tt: Vec<&str> = tt.iter().map(String::as_str).collect();
                    align::html::write_over(&mut out, &links, &st, &tt, &page, (&seg_st, &seg_tt))?;
                }
                None => align::html::write(&mut out, &links, &st, &tt, &page)?,
            }
        }
        Format::Tmx => {
            let template = Unit::default();
            let units =
                align::to_units(&links, &st, &tt, (&sl, &tl), args.min_confidence, &template);
            let header = transmem::formats::tmx::Header {
                srclang: sl.clone(),
                ..Default::default()
            };
            let mut w = transmem::formats::tmx::Writer::new(&mut out, &header)?;
            for u in &units {
                w.write_unit(u)?;
            }
            w.finish()?;
        }
        Format::Jsonl if reviewed.is_some() => {
            // The segment indices of the texts, not of the one-text-per-link
            // view the store uses.
            let c = reviewed.as_ref().map(|c| &c.links).into_iter().flatten();
            for (r, (l, (s, t))) in c.zip(links.iter().zip(st.iter().zip(&tt))) {
                super::write_json_line(
                    &mut out,
                    &serde_json::json!({
                        "src": r.src, "tgt": r.tgt, "src_text": s, "tgt_text": t,
                        "score": (l.confidence * 1000.0).round() / 1000.0,
                    }),
                )?;
            }
        }
        Format::Tsv | Format::Jsonl => print_links(
            &mut out,
            &links,
            &st,
            &tt,
            matches!(args.format, Format::Jsonl),
        )?,
    }
    match &args.output {
        Some(path) => super::output::write_bytes(path, location.file(), &out)?,
        None => {
            let mut stdout = stdout();
            stdout.write_all(&out)?;
            stdout.flush()?;
        }
    }
    Ok(0)
}

fn print_links(
    out: &mut impl Write,
    links: &[Link],
    st: &[&str],
    tt: &[&str],
    json: bool,
) -> anyhow::Result<()> {
    let join =
        |ids: &[usize], texts: &[&str]| ids.iter().map(|&i| texts[i]).collect::<Vec<_>>().join(" ");
    for l in links {
        let (s, t) = (join(&l.src, st), join(&l.tgt, tt));
        if json {
            super::write_json_line(
                out,
                &serde_json::json!({
                    "src": l.src, "tgt": l.tgt, "src_text": s, "tgt_text": t,
                    "score": (l.confidence * 1000.0).round() / 1000.0,
                }),
            )?;
        } else {
            writeln!(out, "{}\t{}", s.replace('\t', " "), t.replace('\t', " "))?;
        }
    }
    Ok(())
}
