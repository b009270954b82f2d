//! `transmem units`: browse and filter the memory's units. Its filter
//! options are shared by `delete` and `replace`.

use std::io::Write;

use anyhow::Context;
use clap::ValueEnum;
use transmem::memory::{DateBound, Unit, UnitFilter};

use super::{Global, lang_arg, stdout, terminal_safe};

/// Options that choose units (every one given narrows the choice).
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Filters")]
pub struct FilterArgs {
    /// Only these unit ids (comma-separated or repeated)
    #[arg(long = "id", value_delimiter = ',', value_name = "ID")]
    pub ids: Vec<i64>,
    /// Origin glob (`*` any run, `?` one character): news/*.tmx
    #[arg(long, value_name = "GLOB")]
    pub origin: Option<String>,
    /// Exact creator (`--creator` is the global option naming who writes)
    #[arg(long, value_name = "NAME")]
    pub created_by: Option<String>,
    /// Changed (else created) on or after this day: 2026-01-31
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Changed (else created) on or before this day (inclusive)
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Regular expression some variant's text must match: (?i) for any case
    #[arg(long = "match", value_name = "REGEX")]
    pub pattern: Option<String>,
}

impl FilterArgs {
    /// The store's filter; `langs` are the units' required languages and
    /// `text_lang` restricts `--match` to one language.
    pub fn filter(&self, langs: &[String], text_lang: Option<&str>) -> anyhow::Result<UnitFilter> {
        Ok(UnitFilter {
            ids: self.ids.clone(),
            langs: langs
                .iter()
                .map(|l| lang_arg(l))
                .collect::<anyhow::Result<_>>()?,
            origin: self.origin.as_deref().map(UnitFilter::glob).transpose()?,
            creator: self.created_by.clone(),
            since: self
                .since
                .as_deref()
                .map(DateBound::parse)
                .transpose()
                .context("--since")?,
            until: self
                .until
                .as_deref()
                .map(DateBound::parse)
                .transpose()
                .context("--until")?,
            text: self
                .pattern
                .as_deref()
                .map(regex::Regex::new)
                .transpose()
                .context("--match")?,
            text_lang: text_lang.map(lang_arg).transpose()?,
        })
    }

    /// True when no filter was given (the whole memory).
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
            && self.origin.is_none()
            && self.created_by.is_none()
            && self.since.is_none()
            && self.until.is_none()
            && self.pattern.is_none()
    }
}

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
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Output formats.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A header line per unit, then one line per variant
    Table,
    /// One JSON object per unit: every stored field
    Jsonl,
    /// One row per variant: id, lang, text, origin, creator, created, changed
    Tsv,
}

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let filter = args.filter.filter(&args.lang, None)?;
    let mem = g.open_memory(false)?;
    let mut out = stdout();
    let mut n = 0u64;
    if args.format == Format::Tsv && !args.count {
        writeln!(out, "id\tlang\ttext\torigin\tcreator\tcreated\tchanged")?;
    }
    mem.for_each_unit_filtered(&filter, |u| {
        n += 1;
        if !args.count {
            write_unit(&mut out, &u, args.format)
                .map_err(|e| transmem::Error::io("<stdout>", e))?;
        }
        Ok(())
    })?;
    if args.count {
        writeln!(out, "{n}")?;
    }
    out.flush()?;
    Ok(if n == 0 && !args.count { 1 } else { 0 })
}

/// One unit in `format` (also how `delete --dry-run` lists what would go).
pub fn write_unit(out: &mut impl Write, u: &Unit, format: Format) -> std::io::Result<()> {
    let id = u.id.unwrap_or_default();
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    match format {
        Format::Jsonl => {
            serde_json::to_writer(&mut *out, u)?;
            writeln!(out)
        }
        Format::Tsv => {
            let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
            for v in &u.variants {
                writeln!(
                    out,
                    "{id}\t{}\t{}\t{}\t{}\t{}\t{}",
                    v.lang,
                    clean(&v.text),
                    clean(&opt(&u.origin)),
                    clean(&opt(&u.creator)),
                    opt(&u.created),
                    opt(&u.changed)
                )?;
            }
            Ok(())
        }
        Format::Table => {
            let mut head = format!("#{id}");
            for (k, v) in [
                ("origin", &u.origin),
                ("creator", &u.creator),
                ("created", &u.created),
                ("changed", &u.changed),
                ("changer", &u.changer),
            ] {
                if let Some(v) = v {
                    head.push_str(&format!("  {k}={}", terminal_safe(v)));
                }
            }
            writeln!(out, "{head}")?;
            let width = u.variants.iter().map(|v| v.lang.len()).max().unwrap_or(0);
            for v in &u.variants {
                writeln!(out, "  {:width$}  {}", v.lang, terminal_safe(&v.text))?;
            }
            Ok(())
        }
    }
}
