//! `transmem stats`: what the memory holds.

use std::io::Write;

use clap::ValueEnum;

use super::{Global, stdout};

/// Show the memory's path, size and unit counts
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
    let mem = g.open_memory(false)?;
    let path = mem.path().to_path_buf();
    let st = mem.stats()?;
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let mut out = stdout();
    match args.format {
        Format::Json => {
            let v = serde_json::json!({
                "path": path.display().to_string(),
                "bytes": size,
                "units": st.units,
                "pairs": st.pairs,
                "languages": st.languages,
                "origins": st.origins,
            });
            super::write_json_line(&mut out, &v)?;
        }
        Format::Text => {
            writeln!(out, "memory  {}", path.display())?;
            // A database memory has no file size to show.
            if path.is_file() {
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
