//! The export pipeline: a memory as TMX 1.4b, CSV or TSV, streamed.
//!
//! `transmem export` only drives this (it chooses the output and shows
//! progress); a program using the library exports with [`export`].

use std::io::Write;

use crate::error::{Error, Result};
use crate::formats::{Format, csv, tmx};
use crate::memory::{Memory, Unit};

/// What to export.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only variants serving these languages (a bare `en` takes every
    /// English variant); all when empty. For CSV/TSV, the columns.
    pub langs: Vec<String>,
    /// Start with a UTF-8 byte order mark.
    pub bom: bool,
    /// CSV/TSV: metadata columns after the languages, in this order; `None`
    /// stands for the context columns (`prev:LANG` and `next:LANG` for each
    /// language). Import reads them back.
    pub columns: Vec<Option<csv::Column>>,
}

/// Keeps only the variants serving `langs` (all when empty).
fn select(mut unit: Unit, langs: &[String]) -> Option<Unit> {
    if !langs.is_empty() {
        unit.variants
            .retain(|v| langs.iter().any(|l| crate::lang::serves(l, &v.lang)));
    }
    (!unit.variants.is_empty()).then_some(unit)
}

/// What an export reads: every unit in id order, and the language tags
/// stored (the CSV/TSV columns when [`Options::langs`] is empty). A
/// [`Memory`] is one; so is any translation memory (`tm::Tm`), local or on
/// a server.
pub trait Source {
    /// Every stored language tag, sorted.
    fn languages(&self) -> Result<Vec<String>>;
    /// Calls `f` on every unit in id order, streamed.
    fn for_each_unit(&self, f: &mut dyn FnMut(Unit) -> Result<()>) -> Result<()>;
}

impl Source for Memory {
    fn languages(&self) -> Result<Vec<String>> {
        Memory::languages(self)
    }

    fn for_each_unit(&self, f: &mut dyn FnMut(Unit) -> Result<()>) -> Result<()> {
        Memory::for_each_unit(self, f)
    }
}

/// Writes every unit of `mem` to `out` as `format`, calling `tick` once per
/// unit read (for progress). Returns `out` when the document is complete.
pub fn export<W: Write>(
    mem: &Memory,
    format: Format,
    opts: &Options,
    out: W,
    tick: impl FnMut(),
) -> Result<W> {
    export_from(mem, format, opts, out, tick).map(|(w, _)| w)
}

/// [`export`] from any [`Source`]: the same bytes for the same units,
/// wherever they are read from; also returns how many units were written
/// (those with a variant in `opts.langs`), for the command's summary.
pub fn export_from<S: Source + ?Sized, W: Write>(
    mem: &S,
    format: Format,
    opts: &Options,
    mut out: W,
    mut tick: impl FnMut(),
) -> Result<(W, u64)> {
    let mut written = 0u64;
    let langs = &opts.langs;
    match format {
        Format::Tmx => {
            if opts.bom {
                out.write_all(b"\xEF\xBB\xBF")
                    .map_err(|e| Error::io("<output>", e))?;
            }
            let header = tmx::Header {
                srclang: langs.first().cloned().unwrap_or_else(|| "*all*".into()),
                ..Default::default()
            };
            let mut w = tmx::Writer::new(out, &header)?;
            mem.for_each_unit(&mut |u| {
                tick();
                match select(u, langs) {
                    Some(u) => {
                        written += 1;
                        w.write_unit(&u)
                    }
                    None => Ok(()),
                }
            })?;
            w.finish().map(|w| (w, written))
        }
        Format::Csv | Format::Tsv => {
            let langs = if langs.is_empty() {
                mem.languages()?
            } else {
                langs.to_vec()
            };
            let mut columns: Vec<csv::Column> =
                langs.iter().cloned().map(csv::Column::Lang).collect();
            for m in &opts.columns {
                match m {
                    Some(c) => columns.push(c.clone()),
                    None => {
                        for l in &langs {
                            columns.push(csv::Column::Prev(l.clone()));
                            columns.push(csv::Column::Next(l.clone()));
                        }
                    }
                }
            }
            let mut w = csv::Writer::with_columns(out, &columns, format == Format::Tsv, opts.bom)?;
            mem.for_each_unit(&mut |u| {
                tick();
                written += u64::from(w.write_unit(&u)?);
                Ok(())
            })?;
            w.finish().map(|w| (w, written))
        }
    }
}
