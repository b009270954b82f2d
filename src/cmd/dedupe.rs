//! `transmem dedupe`: sources stored with different translations, and
//! exact duplicate units.

use std::io::Write;

use clap::ValueEnum;
use transmem::tm::DedupeRequest;

use super::{Global, stdout, terminal_safe};

/// Find sources stored with different translations (report them, keep the
/// newest, or keep all) and units identical in every variant (merged into
/// one, keeping every origin and property)
///
/// Every change is one batch that `transmem undo` reverts.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub direction: super::Direction,
    /// Sources with different translations: report, keep-newest (delete
    /// the older units), keep-all (leave them)
    #[arg(long, value_enum, default_value_t = Conflicts::Report)]
    pub conflicts: Conflicts,
    /// Units identical in every variant: merge them, or only report
    #[arg(long, value_enum, default_value_t = Exact::Merge)]
    pub exact: Exact,
    /// Report what would change; change nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// `--conflicts` values.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflicts {
    Report,
    KeepNewest,
    KeepAll,
}

/// `--exact` values.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exact {
    Merge,
    Report,
}

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let (from, to) = args.direction.tags()?;
    let mut tm = g.open(false)?;
    let req = DedupeRequest {
        from,
        to,
        keep_newest: args.conflicts == Conflicts::KeepNewest,
        merge_exact: args.exact == Exact::Merge,
        dry_run: args.dry_run,
    };
    let done = tm.dedupe(&g.batch(), &req)?;
    let shown = tm.location().shown();
    let mut out = stdout();
    for c in &done.conflicts {
        writeln!(
            out,
            "{} ({} translations)",
            terminal_safe(&c.source),
            c.versions.len()
        )?;
        for (i, v) in c.versions.iter().enumerate() {
            let keep = match args.conflicts {
                Conflicts::KeepNewest if i > 0 => "delete",
                _ => "keep",
            };
            writeln!(
                out,
                "  #{:<8} {keep:<6} {}  {}  {}",
                v.id,
                v.date.as_deref().unwrap_or("-"),
                terminal_safe(v.origin.as_deref().unwrap_or("-")),
                terminal_safe(&v.target)
            )?;
        }
    }
    for grp in &done.exact {
        let ids: Vec<String> = grp
            .iter()
            .filter_map(|u| u.id)
            .map(|i| i.to_string())
            .collect();
        writeln!(
            out,
            "exact duplicates: units {} ({})",
            ids.join(", "),
            if args.exact == Exact::Merge {
                "merged into the first"
            } else {
                "kept"
            }
        )?;
    }
    out.flush()?;
    let to_delete: usize = if req.keep_newest {
        done.conflicts.iter().map(|c| c.versions.len() - 1).sum()
    } else {
        0
    };
    let merged_away: usize = if req.merge_exact {
        done.exact.iter().map(|g| g.len() - 1).sum()
    } else {
        0
    };
    eprintln!(
        "{} source{} with different translations, {} group{} of exact duplicates in {shown}",
        done.conflicts.len(),
        if done.conflicts.len() == 1 { "" } else { "s" },
        done.exact.len(),
        if done.exact.len() == 1 { "" } else { "s" },
    );
    if to_delete == 0 && merged_away == 0 {
        return Ok(0);
    }
    if args.dry_run {
        eprintln!(
            "dry run: would delete {to_delete} older translation{} and merge away {merged_away} duplicate unit{}",
            if to_delete == 1 { "" } else { "s" },
            if merged_away == 1 { "" } else { "s" }
        );
        return Ok(0);
    }
    eprintln!(
        "deleted {} older translation{} and merged away {} duplicate unit{} in {shown}",
        done.deleted,
        if done.deleted == 1 { "" } else { "s" },
        done.removed,
        if done.removed == 1 { "" } else { "s" },
    );
    super::report_batch(done.batch);
    Ok(0)
}
