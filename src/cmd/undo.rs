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
    let mut mem = g.open_memory(false)?;
    let path = mem.path().to_path_buf();
    let command = mem
        .batches()?
        .into_iter()
        .find(|b| b.id == args.batch)
        .map(|b| b.command);
    let mut w = mem.writer()?;
    w.start_batch(&super::command_line(), Some(&g.creator()))?;
    let done = w.undo(args.batch, args.force)?;
    let batch = w.batch_id();
    let what = format!(
        "batch {} ({}): {} unit{} removed, {} restored",
        args.batch,
        command.unwrap_or_default(),
        done.removed,
        if done.removed == 1 { "" } else { "s" },
        done.restored
    );
    if !done.conflicts.is_empty() {
        let list: Vec<String> = done.conflicts.iter().map(|b| b.to_string()).collect();
        eprintln!(
            "transmem: warning: later batch(es) {} had changed some of these units; their changes to them are replaced",
            list.join(", ")
        );
    }
    if args.dry_run {
        // Dropping the writer rolls everything back.
        drop(w);
        eprintln!("dry run: would undo {what} in {}", super::shown(&path));
        return Ok(0);
    }
    w.commit()?;
    eprintln!("undid {what} in {}", super::shown(&path));
    super::report_batch(batch);
    Ok(0)
}
