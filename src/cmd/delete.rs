//! `transmem delete`: remove units by id or by the `units` filters.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::bail;
use transmem::memory::Unit;

use super::units::{FilterArgs, Format, write_unit};
use super::{Global, stdout};

/// Above this many units, a deletion must be confirmed (`--yes`).
const CONFIRM_ABOVE: usize = 100;

/// Delete units by id, or every unit the filters select
///
/// Every deletion is one batch: `transmem undo BATCH` puts the units back
/// exactly as they were. More than 100 units need --yes (asked on a
/// terminal, refused elsewhere).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Unit ids to delete (with filters: only those among them that match)
    #[arg(value_name = "ID")]
    pub unit_ids: Vec<i64>,
    /// Only units holding each of these languages
    #[arg(long, value_delimiter = ',', value_name = "LANG")]
    pub lang: Vec<String>,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// List what would be deleted; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Confirm deleting more than 100 units
    #[arg(long)]
    pub yes: bool,
}

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    if args.unit_ids.is_empty() && args.filter.is_empty() && args.lang.is_empty() {
        bail!(
            "give unit ids or a filter (--origin, --match, --since, ...); delete never takes the whole memory by default"
        );
    }
    let mut fa = args.filter.clone();
    fa.ids.extend(&args.unit_ids);
    let filter = fa.filter(&args.lang, None)?;
    let mut mem = g.open_memory(false)?;
    let path = mem.path().to_path_buf();
    let mut doomed: Vec<Unit> = Vec::new();
    mem.for_each_unit_filtered(&filter, |u| {
        doomed.push(u);
        Ok(())
    })?;
    if doomed.is_empty() {
        eprintln!("no unit matches; nothing deleted");
        return Ok(1);
    }
    let missing: Vec<String> = args
        .unit_ids
        .iter()
        .filter(|id| !doomed.iter().any(|u| u.id == Some(**id)))
        .map(|id| id.to_string())
        .collect();
    if !missing.is_empty() && args.filter.is_empty() && args.lang.is_empty() {
        eprintln!("no unit {} in {}", missing.join(", "), super::shown(&path));
    }
    if args.dry_run {
        let mut out = stdout();
        for u in &doomed {
            write_unit(&mut out, u, Format::Table)?;
        }
        out.flush()?;
        eprintln!(
            "dry run: would delete {} unit{} from {}",
            doomed.len(),
            if doomed.len() == 1 { "" } else { "s" },
            super::shown(&path)
        );
        return Ok(0);
    }
    if doomed.len() > CONFIRM_ABOVE && !args.yes && !confirm(doomed.len())? {
        return Ok(2);
    }
    let mut w = mem.writer()?;
    w.start_batch(&super::command_line(), Some(&g.creator()))?;
    let mut n = 0u64;
    for u in &doomed {
        if w.delete(u.id.unwrap_or_default())? {
            n += 1;
        }
    }
    let batch = w.batch_id();
    w.commit()?;
    eprintln!(
        "deleted {n} unit{} from {}",
        if n == 1 { "" } else { "s" },
        super::shown(&path)
    );
    super::report_batch(batch);
    Ok(0)
}

/// Asks on the terminal; without one, refuses (the caller exits 2).
fn confirm(n: usize) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        eprintln!(
            "transmem: error: this would delete {n} units (more than {CONFIRM_ABOVE}); \
             check them with --dry-run, then add --yes"
        );
        return Ok(false);
    }
    eprint!("delete {n} units? (they can be restored with `transmem undo`) [y/N] ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    if matches!(line.trim(), "y" | "Y" | "yes") {
        Ok(true)
    } else {
        eprintln!("nothing deleted");
        Ok(false)
    }
}
