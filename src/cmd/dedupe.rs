//! `transmem dedupe`: sources stored with different translations, and
//! exact duplicate units.

use std::io::Write;

use clap::ValueEnum;
use transmem::dedupe;

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
    let mut mem = g.open_memory(false)?;
    let path = mem.path().to_path_buf();
    let conflicts = dedupe::conflicts(&mem, &from, &to)?;
    let exact = dedupe::exact_duplicates(&mem)?;
    let mut out = stdout();
    for c in &conflicts {
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
    for grp in &exact {
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
    let to_delete: Vec<i64> = if args.conflicts == Conflicts::KeepNewest {
        conflicts
            .iter()
            .flat_map(|c| c.versions[1..].iter().map(|v| v.id))
            .collect()
    } else {
        Vec::new()
    };
    let merges = if args.exact == Exact::Merge {
        exact.as_slice()
    } else {
        &[]
    };
    let merged_away: usize = merges.iter().map(|g| g.len() - 1).sum();
    eprintln!(
        "{} source{} with different translations, {} group{} of exact duplicates in {}",
        conflicts.len(),
        if conflicts.len() == 1 { "" } else { "s" },
        exact.len(),
        if exact.len() == 1 { "" } else { "s" },
        super::shown(&path)
    );
    if to_delete.is_empty() && merges.is_empty() {
        return Ok(0);
    }
    if args.dry_run {
        eprintln!(
            "dry run: would delete {} older translation{} and merge away {merged_away} duplicate unit{}",
            to_delete.len(),
            if to_delete.len() == 1 { "" } else { "s" },
            if merged_away == 1 { "" } else { "s" }
        );
        return Ok(0);
    }
    let mut w = mem.writer()?;
    w.start_batch(&super::command_line(), Some(&g.creator()))?;
    let mut deleted = 0u64;
    for id in &to_delete {
        if w.delete(*id)? {
            deleted += 1;
        }
    }
    // A merged group may hold a unit deleted above only if it is also a
    // conflict's older version; merging re-reads nothing, so skip those.
    let merges: Vec<Vec<transmem::memory::Unit>> = merges
        .iter()
        .map(|g| {
            g.iter()
                .filter(|u| !u.id.is_some_and(|id| to_delete.contains(&id)))
                .cloned()
                .collect::<Vec<_>>()
        })
        .filter(|g| g.len() > 1)
        .collect();
    let removed = dedupe::merge_all(&mut w, &merges)?;
    let batch = w.batch_id();
    w.commit()?;
    eprintln!(
        "deleted {deleted} older translation{} and merged away {removed} duplicate unit{} in {}",
        if deleted == 1 { "" } else { "s" },
        if removed == 1 { "" } else { "s" },
        super::shown(&path)
    );
    super::report_batch(batch);
    Ok(0)
}
