//! `transmem stats`: what the memory holds.

use std::io::Write;

use clap::ValueEnum;

use super::{Global, stdout};

/// Show where the memory is, its size and unit counts
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Output formats.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum Format {
    Text,
    Json,
}

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let tm = g.open(false)?;
    let shown = tm.location().shown();
    let st = tm.stats()?;
    let size = tm.size();
    let mut out = stdout();
    match args.format {
        Format::Json => {
            let v = serde_json::json!({
                "path": shown,
                "bytes": size.unwrap_or(0),
                "units": st.units,
                "pairs": st.pairs,
                "languages": st.languages,
                "origins": st.origins,
            });
            super::write_json_line(&mut out, &v)?;
        }
        Format::Text => {
            writeln!(out, "memory  {shown}")?;
            // A database or server memory has no file size to show.
            if let Some(size) = size {
                writeln!(out, "size    {size} bytes")?;
            }
            writeln!(out, "units   {}", st.units)?;
            writeln!(out, "\nunits per language pair:")?;
            for (k, n) in &st.pairs {
                writeln!(out, "  {n:>8}  {k}")?;
            }
            writeln!(out, "\nvariants per language:")?;
            for (k, n) in &st.languages {
                writeln!(out, "  {n:>8}  {k}")?;
            }
            writeln!(out, "\nunits per origin:")?;
            for (k, n) in &st.origins {
                writeln!(out, "  {n:>8}  {k}")?;
            }
        }
    }
    out.flush()?;
    Ok(0)
}
