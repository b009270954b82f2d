//! `transmem lookup`: fuzzy matches for text.
//!
//! One query from the command line, or one per line of standard input,
//! answered in input order while all cores work on the next block of lines.

use std::io::{BufRead, Write};

use clap::ValueEnum;
use rayon::prelude::*;
use transmem::matcher::{Match, Matcher, Options, Penalties, Query};
use transmem::memory::Memory;

use super::{Global, stdout};

/// Find fuzzy matches in the memory
///
/// Example: transmem lookup --from en --to ru "The talks ended on Monday."
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub direction: super::Direction,
    /// Lowest score shown, in percent
    #[arg(long, default_value_t = 70.0)]
    pub threshold: f64,
    /// At most this many matches per query
    #[arg(long, default_value_t = 5)]
    pub limit: usize,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Score every stored segment instead of the index's candidates (slow; the reference)
    #[arg(long)]
    pub exhaustive: bool,
    /// Points off when words differ only in letter case
    #[arg(long, default_value_t = 1.0, value_name = "POINTS")]
    pub penalty_case: f64,
    /// Points off when punctuation, quotes or spacing differ
    #[arg(long, default_value_t = 1.0, value_name = "POINTS")]
    pub penalty_punctuation: f64,
    /// Points off per differing number
    #[arg(long, default_value_t = 1.0, value_name = "POINTS")]
    pub penalty_number: f64,
    /// Points off per inline tag missing on one side
    #[arg(long, default_value_t = 1.0, value_name = "POINTS")]
    pub penalty_tag: f64,
    /// The segment before TEXT in its document (for 101% context matches)
    #[arg(long, requires = "text")]
    pub prev: Option<String>,
    /// The segment after TEXT in its document
    #[arg(long, requires = "text")]
    pub next: Option<String>,
    /// Standard input is one document: each line's neighbours are its context
    #[arg(long)]
    pub context: bool,
    /// Index candidates scored per query (0: automatic)
    #[arg(long, default_value_t = 0, hide = true)]
    pub candidates: usize,
    /// Text to look up; each line of standard input when missing
    pub text: Option<String>,
}

/// Output formats.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum Format {
    /// Score, source and target, aligned for reading
    Table,
    /// One JSON object per query
    Jsonl,
}

/// Lines are looked up in blocks of this many: large enough to keep every
/// core busy, small enough to stream.
const BLOCK: usize = 256;

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let (from, to) = args.direction.tags()?;
    for (name, v) in [
        ("--threshold", args.threshold),
        ("--penalty-case", args.penalty_case),
        ("--penalty-punctuation", args.penalty_punctuation),
        ("--penalty-number", args.penalty_number),
        ("--penalty-tag", args.penalty_tag),
    ] {
        anyhow::ensure!(
            v.is_finite() && v >= 0.0,
            "{name} must be a number of 0 or more, not {v}"
        );
    }
    let mem = Memory::open_existing(g.memory_path())?;
    let matcher = Matcher::load(&mem, &from, &to)?;
    let opts = Options {
        threshold: args.threshold,
        limit: args.limit,
        exhaustive: args.exhaustive,
        penalties: Penalties {
            case: args.penalty_case,
            punctuation: args.penalty_punctuation,
            number: args.penalty_number,
            tag: args.penalty_tag,
        },
        candidates: args.candidates,
    };
    let color = g.color_stdout();
    let mut out = stdout();
    let mut any = false;
    if let Some(t) = &args.text {
        let q = Query {
            text: t,
            prev: args.prev.as_deref(),
            next: args.next.as_deref(),
        };
        let matches = matcher.lookup(&q, &opts)?;
        any = !matches.is_empty();
        write(
            &mut out,
            args.format,
            color,
            t,
            &matches,
            false,
            args.threshold,
        )?;
        out.flush()?;
        return Ok(if any { 0 } else { 1 });
    }
    let mut lines = std::io::stdin().lock().lines();
    // With --context the last line of a block needs the next block's first.
    let mut block: Vec<String> = Vec::with_capacity(BLOCK + 2);
    let mut prev_line: Option<String> = None;
    let mut done = false;
    while !done {
        while block.len() < BLOCK + 1 {
            match lines.next() {
                Some(l) => block.push(l?),
                None => {
                    done = true;
                    break;
                }
            }
        }
        let n = if done { block.len() } else { BLOCK };
        let results: Vec<Vec<Match>> = (0..n)
            .into_par_iter()
            .map(|i| {
                let (prev, next) = if args.context {
                    (
                        if i == 0 {
                            prev_line.as_deref()
                        } else {
                            Some(block[i - 1].as_str())
                        },
                        block.get(i + 1).map(String::as_str),
                    )
                } else {
                    (None, None)
                };
                matcher.lookup(
                    &Query {
                        text: &block[i],
                        prev,
                        next,
                    },
                    &opts,
                )
            })
            .collect::<transmem::Result<_>>()?;
        for (q, m) in block.iter().zip(&results) {
            any |= !m.is_empty();
            write(&mut out, args.format, color, q, m, true, args.threshold)?;
        }
        out.flush()?;
        let rest = block.split_off(n);
        prev_line = block.pop();
        block = rest;
    }
    Ok(if any { 0 } else { 1 })
}

fn write(
    out: &mut impl Write,
    format: Format,
    color: bool,
    q: &str,
    matches: &[Match],
    many: bool,
    threshold: f64,
) -> anyhow::Result<()> {
    match format {
        Format::Jsonl => {
            super::write_json_line(out, &serde_json::json!({"query": q, "matches": matches}))
        }
        Format::Table => {
            if many {
                writeln!(out, "> {q}")?;
            }
            if matches.is_empty() {
                writeln!(out, "  (no match at or above {threshold}%)")?;
            }
            for m in matches {
                writeln!(
                    out,
                    "{:>6.1}%  {}\n         {}",
                    m.score,
                    source_line(m, color),
                    m.target
                )?;
                if let (Some(t), Some(s)) = (&m.substituted_target, m.substituted_score) {
                    writeln!(out, "{s:>6.1}%  {t}  (substituted)")?;
                }
                if !m.penalties.is_empty() {
                    let p: Vec<String> = m
                        .penalties
                        .iter()
                        .map(|p| format!("{} -{}", p.kind, p.points))
                        .collect();
                    writeln!(out, "         penalties: {}", p.join(", "))?;
                }
            }
            Ok(())
        }
    }
}

/// The stored source; on a colour terminal with the diff to the query:
/// words only in the source red and struck through, the query's green.
fn source_line(m: &Match, color: bool) -> String {
    if !color || m.diff.is_empty() {
        return m.source.clone();
    }
    m.diff
        .iter()
        .map(|s| match s.op {
            "delete" => format!("\x1b[31;9m{}\x1b[0m", s.text),
            "insert" => format!("\x1b[32m{}\x1b[0m", s.text),
            _ => s.text.clone(),
        })
        .collect()
}
