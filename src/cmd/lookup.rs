//! `transmem lookup`: fuzzy matches for text.

use std::io::{BufRead, Write};

use clap::ValueEnum;
use transmem::matcher::{Matcher, Options, Query};
use transmem::memory::Memory;

use super::{Global, lang_arg, stdout};

/// Find fuzzy matches in the memory
///
/// Example: transmem lookup --from en --to ru "The talks ended on Monday."
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Language of the text to look up
    #[arg(long)]
    pub from: String,
    /// Language of the translations wanted
    #[arg(long)]
    pub to: String,
    /// Lowest score shown, in percent
    #[arg(long, default_value_t = 70.0)]
    pub threshold: f64,
    /// At most this many matches per query
    #[arg(long, default_value_t = 5)]
    pub limit: usize,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
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

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let (from, to) = (lang_arg(&args.from)?, lang_arg(&args.to)?);
    let mem = Memory::open_existing(g.memory_path())?;
    let matcher = Matcher::load(&mem, &from, &to)?;
    let opts = Options {
        threshold: args.threshold,
        limit: args.limit,
    };
    let queries: Vec<String> = match &args.text {
        Some(t) => vec![t.clone()],
        None => std::io::stdin().lock().lines().collect::<Result<_, _>>()?,
    };
    let mut out = stdout();
    let mut any = false;
    for q in &queries {
        let matches = matcher.lookup(&Query { text: q, ..Query::default() }, &opts);
        any |= !matches.is_empty();
        match args.format {
            Format::Jsonl => super::write_json_line(&mut out, &serde_json::json!({"query": q, "matches": matches}))?,
            Format::Table => {
                if queries.len() > 1 {
                    writeln!(out, "> {q}")?;
                }
                if matches.is_empty() {
                    writeln!(out, "  (no match at or above {}%)", args.threshold)?;
                }
                for m in &matches {
                    writeln!(out, "{:>6.1}%  {}\n         {}", m.score, m.source, m.target)?;
                }
            }
        }
    }
    out.flush()?;
    Ok(if any { 0 } else { 1 })
}
