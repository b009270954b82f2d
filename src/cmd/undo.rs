//! `transmem undo`: revert one whole write batch.

use super::Global;

/// Revert one batch (an import, align --store, edit, delete, replace or
/// undo): units it added go, units it changed or deleted come back exactly
///
/// Refused when a later batch changed some of the same units again (undo
/// that one first, or give --force).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Batch number, as `transmem history` lists it
    pub batch: i64,
    /// Undo even when later batches changed the same units (their changes
    /// to those units are lost; this undo can itself be undone)
    #[arg(long)]
    pub force: bool,
    /// Say what would be undone; change nothing
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let mut tm = g.open(false)?;
    let shown = tm.location().shown();
    let done = tm.undo(&g.batch(), args.batch, args.force, args.dry_run)?;
    let what = format!(
        "batch {} ({}): {} unit{} removed, {} restored",
        args.batch,
        done.command.unwrap_or_default(),
        done.undone.removed,
        if done.undone.removed == 1 { "" } else { "s" },
        done.undone.restored
    );
    if !done.undone.conflicts.is_empty() {
        let list: Vec<String> = done
            .undone
            .conflicts
            .iter()
            .map(|b| b.to_string())
            .collect();
        eprintln!(
            "transmem: warning: later batch(es) {} had changed some of these units; their changes to them are replaced",
            list.join(", ")
        );
    }
    if args.dry_run {
        eprintln!("dry run: would undo {what} in {shown}");
        return Ok(0);
    }
    eprintln!("undid {what} in {shown}");
    super::report_batch(done.batch);
    Ok(0)
}
