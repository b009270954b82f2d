//! `transmem history`: the recorded write batches.

use std::io::Write;

use clap::ValueEnum;

use super::{Global, stdout, terminal_safe};

/// List the write batches (imports, align --store, edits, deletions,
/// replacements, undos) with their time, command and counts
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only the last N batches
    #[arg(long, value_name = "N")]
    pub last: Option<usize>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Output formats.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Jsonl,
}

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let tm = g.open(false)?;
    let batches = tm.history(args.last)?;
    let mut out = stdout();
    for b in &batches {
        match args.format {
            Format::Jsonl => super::write_json_line(&mut out, b)?,
            Format::Table => {
                let counts: Vec<String> =
                    b.counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
                let mut state = String::new();
                if let Some(by) = b.undone_by {
                    state = format!("  [undone by {by}]");
                }
                writeln!(
                    out,
                    "{:>5}  {}  {}  {}  ({}){state}",
                    b.id,
                    pretty_time(&b.time),
                    terminal_safe(b.user.as_deref().unwrap_or("-")),
                    terminal_safe(&b.command),
                    counts.join(", ")
                )?;
            }
        }
    }
    out.flush()?;
    if batches.is_empty() {
        eprintln!("no batches recorded in {}", tm.location());
        return Ok(1);
    }
    Ok(0)
}

/// `20260131T120000Z` → `2026-01-31 12:00:00Z`.
fn pretty_time(t: &str) -> String {
    if t.len() == 16 && t.is_ascii() {
        format!(
            "{}-{}-{} {}:{}:{}Z",
            &t[..4],
            &t[4..6],
            &t[6..8],
            &t[9..11],
            &t[11..13],
            &t[13..15]
        )
    } else {
        t.to_string()
    }
}
