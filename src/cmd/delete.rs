//! `transmem delete`: remove units by id or by the `units` filters.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::bail;
use transmem::memory::Unit;

use super::{FilterArgs, Global, UnitFormat, stdout, write_unit};

/// Above this many units, a deletion must be confirmed (`--yes`).
const CONFIRM_ABOVE: usize = 100;

/// Up to this many units, a deletion names them by id (about 8 bytes each
/// in a server's 1 MiB request).
const LISTED: usize = 50_000;

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
    let filter = fa.filter(&args.lang)?;
    let mut tm = g.open(false)?;
    let shown = tm.location().shown();
    let mut doomed: Vec<Unit> = Vec::new();
    tm.units(&filter, &mut |u| {
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
        eprintln!("no unit {} in {shown}", missing.join(", "));
    }
    if args.dry_run {
        let mut out = stdout();
        for u in &doomed {
            write_unit(&mut out, u, UnitFormat::Table)?;
        }
        out.flush()?;
        eprintln!(
            "dry run: would delete {} unit{} from {shown}",
            doomed.len(),
            if doomed.len() == 1 { "" } else { "s" },
        );
        return Ok(0);
    }
    if doomed.len() > CONFIRM_ABOVE && !args.yes && !confirm(doomed.len())? {
        return Ok(2);
    }
    // The units listed, and only those: a unit the filter takes only now
    // is not deleted unseen. (Past LISTED ids, the filter itself: a list
    // that long would not fit a server's request.)
    let listed = if doomed.len() <= LISTED {
        transmem::tm::Filter {
            ids: doomed.iter().filter_map(|u| u.id).collect(),
            ..filter
        }
    } else {
        filter
    };
    let done = tm.delete(&g.batch(), &listed)?;
    let n = done.deleted;
    eprintln!(
        "deleted {n} unit{} from {shown}",
        if n == 1 { "" } else { "s" },
    );
    super::report_batch(done.batch);
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
