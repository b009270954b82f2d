//! `transmem segment`: split text into sentences.

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;

use super::{Global, read_input, stdout};

/// Split text into sentences, one per line (or a JSON array)
///
/// Example: transmem segment --lang ru article.ru.txt
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Language of the text (en, ru, ...)
    #[arg(long)]
    pub lang: String,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Lines)]
    pub format: Format,
    /// Text file; standard input when missing or `-`
    pub file: Option<PathBuf>,
}

/// Output formats.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum Format {
    /// One segment per line
    Lines,
    /// One JSON array of strings
    Json,
}

pub fn run(args: Args, _g: &Global) -> anyhow::Result<u8> {
    let lang = super::lang_arg(&args.lang)?;
    let (_, text) = read_input(args.file.as_deref())?;
    let spans = transmem::segment::segment(&text, &lang);
    let mut out = stdout();
    match args.format {
        Format::Lines => {
            for r in spans {
                writeln!(out, "{}", &text[r])?;
            }
        }
        Format::Json => {
            let v: Vec<&str> = spans.into_iter().map(|r| &text[r]).collect();
            super::write_json_line(&mut out, &v)?;
        }
    }
    out.flush()?;
    Ok(0)
}
