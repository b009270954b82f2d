//! `transmem units`: browse and filter the memory's units.

use std::io::Write;

use super::{FilterArgs, Global, UnitFormat, stdout, write_unit};

/// List units with their ids, languages, texts, origin, creator and dates
///
/// Exit code 1 when no unit matches.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only units holding each of these languages (comma-separated or repeated)
    #[arg(long, value_delimiter = ',', value_name = "LANG")]
    pub lang: Vec<String>,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Print only the number of matching units
    #[arg(long)]
    pub count: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = UnitFormat::Table)]
    pub format: UnitFormat,
}

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let filter = args.filter.filter(&args.lang)?;
    let tm = g.open(false)?;
    let mut out = stdout();
    if args.count {
        writeln!(out, "{}", tm.count(&filter)?)?;
        out.flush()?;
        return Ok(0);
    }
    if args.format == UnitFormat::Tsv {
        writeln!(out, "id\tlang\ttext\torigin\tcreator\tcreated\tchanged")?;
    }
    let mut n = 0u64;
    tm.units(&filter, &mut |u| {
        n += 1;
        write_unit(&mut out, &u, args.format).map_err(|e| transmem::Error::io("<stdout>", e))
    })?;
    out.flush()?;
    Ok(if n == 0 { 1 } else { 0 })
}
