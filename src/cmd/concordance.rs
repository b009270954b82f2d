//! `transmem concordance`: stored segments containing words or a phrase.

use std::io::Write;

use clap::ValueEnum;
use transmem::matcher::concordance::Hit;

use super::{Global, lang_arg, stdout};

/// Find stored segments that contain words or a phrase
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Language of TEXT and of the segments searched
    #[arg(long, alias = "from", value_name = "LANG")]
    pub lang: String,
    /// At most this many segments (1-10000)
    #[arg(long, default_value_t = 20, value_parser = super::limit)]
    pub limit: usize,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Words or phrase to find (case, quotes and dashes ignored)
    pub text: String,
}

/// Output formats.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum Format {
    /// Each segment with its hits highlighted, then its translations
    Table,
    /// One JSON object per segment
    Jsonl,
}

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let lang = lang_arg(&args.lang)?;
    let tm = g.open(false)?;
    let hits = tm.concordance(&lang, &args.text, args.limit)?;
    let color = g.color_stdout();
    let mut out = stdout();
    for h in &hits {
        match args.format {
            Format::Jsonl => super::write_json_line(&mut out, h)?,
            Format::Table => {
                writeln!(out, "#{}  {}", h.id, highlight(h, color))?;
                for (l, t) in &h.translations {
                    writeln!(out, "    {l}: {}", super::terminal_safe(t))?;
                }
            }
        }
    }
    out.flush()?;
    Ok(if hits.is_empty() { 1 } else { 0 })
}

/// The hit's text with matched words in bold yellow, or in [brackets]
/// without colour; control characters escaped (see
/// [`super::terminal_safe`]).
fn highlight(h: &Hit, color: bool) -> String {
    let safe = super::terminal_safe;
    let (on, off) = if color {
        ("\x1b[1;33m", "\x1b[0m")
    } else {
        ("[", "]")
    };
    let mut s = String::with_capacity(h.text.len() + 16);
    let mut at = 0;
    for &(a, b) in &h.hits {
        if let (Some(before), Some(word)) = (h.text.get(at..a), h.text.get(a..b)) {
            s.push_str(&safe(before));
            s.push_str(on);
            s.push_str(&safe(word));
            s.push_str(off);
            at = b;
        }
    }
    s.push_str(&safe(h.text.get(at..).unwrap_or("")));
    s
}
