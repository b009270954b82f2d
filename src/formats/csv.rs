//! CSV and TSV: one unit per row, one column per language, optional
//! metadata columns.
//!
//! TSV is plain: fields are split at tabs and never unquoted (translation
//! exports often start a field with `"`). CSV follows RFC 4180 (the `csv`
//! crate). Either may start with a UTF-8 BOM or be UTF-16 (spreadsheet
//! "Unicode text"); a bad byte or a row with the wrong number of fields stops
//! the read with the file, line and byte offset.

use std::io::{BufRead, Read, Write};
use std::path::Path;

use crate::error::{Error, Position, Result};
use crate::formats::decode::{Detected, utf8_stream};
use crate::model::{Unit, Variant};

/// What a column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// The text in this (canonical) language.
    Lang(String),
    Origin,
    Note,
    Created,
    Creator,
    Changed,
    Changer,
    Tuid,
    /// Ignored.
    Skip,
}

impl Column {
    /// A column name: a metadata keyword or a language tag.
    pub fn parse(name: &str) -> Result<Column> {
        let n = name.trim();
        Ok(match n.to_ascii_lowercase().as_str() {
            "origin" | "source-file" | "file" => Column::Origin,
            "note" | "notes" | "comment" => Column::Note,
            "created" | "creationdate" | "creation-date" | "date" => Column::Created,
            "creator" | "creationid" | "author" => Column::Creator,
            "changed" | "changedate" | "change-date" => Column::Changed,
            "changer" | "changeid" => Column::Changer,
            "tuid" | "id" => Column::Tuid,
            "-" | "skip" | "" => Column::Skip,
            _ => Column::Lang(crate::lang::normalize_tag(n)?),
        })
    }

    /// The name a header row uses for this column.
    pub fn name(&self) -> &str {
        match self {
            Column::Lang(l) => l,
            Column::Origin => "origin",
            Column::Note => "note",
            Column::Created => "created",
            Column::Creator => "creator",
            Column::Changed => "changed",
            Column::Changer => "changer",
            Column::Tuid => "tuid",
            Column::Skip => "-",
        }
    }
}

/// How to read a file.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Tab-separated, no quoting (else comma-separated, RFC 4180).
    pub tsv: bool,
    /// Column meanings when the file has no header row (`--langs` then
    /// `--columns`); `None`: the first row names the columns.
    pub columns: Option<Vec<Column>>,
    /// With a header row: names that replace the header's, by position.
    pub rename: Option<Vec<Column>>,
}

/// What a read saw besides the units.
#[derive(Debug, Clone, Default)]
pub struct ReadReport {
    /// The columns as used.
    pub columns: Vec<Column>,
    /// Data rows read (blank lines excluded).
    pub rows: u64,
    /// Rows without text in any language, not passed on.
    pub empty: u64,
}

/// Reads `reader`, calling `f` for each row's unit.
pub fn read<R: Read>(
    reader: R,
    path: &Path,
    opts: &ReadOptions,
    mut f: impl FnMut(Unit) -> Result<()>,
) -> Result<ReadReport> {
    let (stream, detected) = utf8_stream(reader, false).map_err(|e| Error::io(path, e))?;
    let mut report = ReadReport::default();
    let mut columns = opts.columns.clone();
    let mut first_row = true;
    let mut row_fn = |line: u64, offset: u64, fields: Vec<String>| -> Result<()> {
        let pos = position(&detected, line, offset);
        let cols = match &columns {
            Some(c) => c,
            None => {
                let mut cols = Vec::with_capacity(fields.len());
                for (i, name) in fields.iter().enumerate() {
                    let renamed = opts.rename.as_ref().and_then(|r| r.get(i));
                    let col = match renamed {
                        Some(c) => c.clone(),
                        None => Column::parse(name).map_err(|_| {
                            Error::parse(
                                path,
                                pos,
                                format!(
                                    "header column {} is {name:?}: not a language tag nor one of origin, note, created, creator, changed, changer, tuid, -",
                                    i + 1
                                ),
                            )
                        })?,
                    };
                    cols.push(col);
                }
                check_columns(path, pos, &cols)?;
                report.columns = cols.clone();
                columns = Some(cols);
                return Ok(());
            }
        };
        if fields.len() == 1 && fields[0].trim().is_empty() {
            return Ok(());
        }
        // `--langs` given for a file that has a header row after all: a first
        // row naming exactly those languages is the header, not a unit.
        if std::mem::take(&mut first_row)
            && fields.len() == cols.len()
            && is_header_row(cols, &fields)
        {
            return Ok(());
        }
        if fields.len() != cols.len() {
            return Err(Error::parse(
                path,
                pos,
                format!("expected {} fields, found {}", cols.len(), fields.len()),
            ));
        }
        report.rows += 1;
        let unit = row_unit(cols, fields);
        if unit.variants.is_empty() {
            report.empty += 1;
            return Ok(());
        }
        f(unit).map_err(|e| match e {
            Error::Invalid(msg) => Error::parse(path, pos, msg),
            other => other,
        })
    };
    if let Some(c) = &opts.columns {
        check_columns(path, Position::None, c)?;
    }
    if opts.tsv {
        read_tsv(stream, path, &detected, &mut row_fn)?;
    } else {
        read_csv(stream, path, &detected, &mut row_fn)?;
    }
    if report.columns.is_empty()
        && let Some(c) = &opts.columns
    {
        report.columns = c.clone();
    }
    Ok(report)
}

/// True when every language column of `fields` holds its own tag.
fn is_header_row(cols: &[Column], fields: &[String]) -> bool {
    cols.iter().zip(fields).all(|(c, f)| match c {
        Column::Lang(l) => crate::lang::normalize_tag(f).ok().as_deref() == Some(l.as_str()),
        _ => true,
    })
}

fn check_columns(path: &Path, pos: Position, cols: &[Column]) -> Result<()> {
    let langs: Vec<&String> = cols
        .iter()
        .filter_map(|c| {
            if let Column::Lang(l) = c {
                Some(l)
            } else {
                None
            }
        })
        .collect();
    if langs.is_empty() {
        return Err(Error::parse(
            path,
            pos,
            "no language columns (a header row of language tags, or --langs)",
        ));
    }
    for (i, l) in langs.iter().enumerate() {
        if langs[..i].contains(l) {
            return Err(Error::parse(
                path,
                pos,
                format!("language {l} names two columns"),
            ));
        }
    }
    Ok(())
}

fn position(d: &Detected, line: u64, offset: u64) -> Position {
    if d.is_utf8() {
        Position::LineOffset(line, offset + d.bom_len)
    } else {
        Position::Line(line)
    }
}

fn row_unit(cols: &[Column], fields: Vec<String>) -> Unit {
    let mut u = Unit::default();
    for (c, v) in cols.iter().zip(fields) {
        let nonempty = || Some(v.clone()).filter(|s| !s.is_empty());
        match c {
            Column::Lang(l) => {
                if !v.trim().is_empty() {
                    u.variants.push(Variant {
                        lang: l.clone(),
                        text: v,
                        ..Variant::default()
                    });
                }
            }
            Column::Origin => u.origin = nonempty(),
            Column::Note => {
                if !v.is_empty() {
                    u.notes.push(v)
                }
            }
            Column::Created => u.created = nonempty(),
            Column::Creator => u.creator = nonempty(),
            Column::Changed => u.changed = nonempty(),
            Column::Changer => u.changer = nonempty(),
            Column::Tuid => u.tuid = nonempty(),
            Column::Skip => {}
        }
    }
    u
}

type RowFn<'a> = dyn FnMut(u64, u64, Vec<String>) -> Result<()> + 'a;

fn bad_utf8(path: &Path, d: &Detected, line: u64, offset: u64) -> Error {
    Error::encoding(path, position(d, line, offset), "invalid UTF-8")
}

fn io_err(path: &Path, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::InvalidData {
        Error::encoding(path, Position::None, e.to_string())
    } else {
        Error::io(path, e)
    }
}

fn read_tsv(mut r: impl BufRead, path: &Path, d: &Detected, row: &mut RowFn) -> Result<()> {
    let mut buf = Vec::new();
    let (mut line, mut offset) = (0u64, 0u64);
    loop {
        buf.clear();
        let n = r.read_until(b'\n', &mut buf).map_err(|e| io_err(path, e))?;
        if n == 0 {
            return Ok(());
        }
        line += 1;
        let start = offset;
        offset += n as u64;
        let mut bytes = &buf[..];
        if let Some(b) = bytes.strip_suffix(b"\n") {
            bytes = b.strip_suffix(b"\r").unwrap_or(b);
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|e| bad_utf8(path, d, line, start + e.valid_up_to() as u64))?;
        row(line, start, text.split('\t').map(str::to_string).collect())?;
    }
}

fn read_csv(r: impl BufRead, path: &Path, d: &Detected, row: &mut RowFn) -> Result<()> {
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(r);
    let mut rec = ::csv::ByteRecord::new();
    loop {
        let more = rdr.read_byte_record(&mut rec).map_err(|e| {
            let pos = e.position().map(|p| position(d, p.line(), p.byte()));
            match e.into_kind() {
                ::csv::ErrorKind::Io(io) => io_err(path, io),
                other => Error::parse(path, pos.unwrap_or(Position::None), format!("{other:?}")),
            }
        })?;
        if !more {
            return Ok(());
        }
        let (line, byte) = rec
            .position()
            .map(|p| (p.line(), p.byte()))
            .unwrap_or((0, 0));
        let mut fields = Vec::with_capacity(rec.len());
        let mut at = byte;
        for f in rec.iter() {
            let s = std::str::from_utf8(f)
                .map_err(|e| bad_utf8(path, d, line, at + e.valid_up_to() as u64))?;
            at += f.len() as u64 + 1;
            fields.push(s.to_string());
        }
        row(line, byte, fields)?;
    }
}

/// Streams units into CSV or TSV with a header row.
pub struct Writer<W: Write> {
    out: W,
    tsv: bool,
    langs: Vec<String>,
    line: Vec<u8>,
}

impl<W: Write> Writer<W> {
    /// Writes the header row of `langs`; `bom` first writes a UTF-8 BOM
    /// (spreadsheet programs need it to read UTF-8).
    pub fn new(mut out: W, langs: &[String], tsv: bool, bom: bool) -> Result<Self> {
        if bom {
            out.write_all(b"\xEF\xBB\xBF")
                .map_err(|e| Error::io("<output>", e))?;
        }
        let mut w = Writer {
            out,
            tsv,
            langs: langs.to_vec(),
            line: Vec::new(),
        };
        let header: Vec<&str> = langs.iter().map(String::as_str).collect();
        w.row(&header)?;
        Ok(w)
    }

    fn row(&mut self, fields: &[&str]) -> Result<()> {
        self.line.clear();
        if self.tsv {
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    self.line.push(b'\t');
                }
                // Plain TSV cannot hold tabs or line breaks: they become spaces.
                self.line.extend(f.bytes().map(|b| {
                    if matches!(b, b'\t' | b'\n' | b'\r') {
                        b' '
                    } else {
                        b
                    }
                }));
            }
            self.line.push(b'\n');
        } else {
            // RFC 4180 quoting by the csv crate, the crate that reads CSV
            // back: one CSV implementation for both directions.
            let mut w = ::csv::WriterBuilder::new()
                .terminator(::csv::Terminator::CRLF)
                .from_writer(&mut self.line);
            w.write_record(fields)
                .and_then(|()| w.flush().map_err(::csv::Error::from))
                .map_err(|e| Error::io("<output>", std::io::Error::other(e)))?;
        }
        self.out
            .write_all(&self.line)
            .map_err(|e| Error::io("<output>", e))
    }

    /// Writes `unit` as one row (the variant of each column's language, or
    /// one it serves that has no column of its own; else an empty field). Returns false, writing nothing, when the unit has none
    /// of the languages.
    pub fn write_unit(&mut self, unit: &Unit) -> Result<bool> {
        let texts: Vec<&str> = self
            .langs
            .iter()
            .map(|l| {
                // Exact language first; a bare `en` column also takes `en-US`
                // unless `en-US` has a column of its own.
                let v = unit.variants.iter().find(|v| &v.lang == l).or_else(|| {
                    unit.variants
                        .iter()
                        .find(|v| crate::lang::serves(l, &v.lang) && !self.langs.contains(&v.lang))
                });
                v.map(|v| v.text.as_str()).unwrap_or("")
            })
            .collect();
        if texts.iter().all(|t| t.is_empty()) {
            return Ok(false);
        }
        self.row(&texts).map(|_| true)
    }

    /// Flushes and returns the output.
    pub fn finish(mut self) -> Result<W> {
        self.out.flush().map_err(|e| Error::io("<output>", e))?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(vs: &[(&str, &str)]) -> Unit {
        Unit {
            variants: vs
                .iter()
                .map(|(l, t)| Variant {
                    lang: l.to_string(),
                    text: t.to_string(),
                    ..Variant::default()
                })
                .collect(),
            ..Unit::default()
        }
    }

    #[test]
    fn columns_take_exact_languages_first() {
        let langs = ["en".to_string(), "en-US".to_string(), "ru".to_string()];
        let mut w = Writer::new(Vec::new(), &langs, true, false).unwrap();
        assert!(
            w.write_unit(&unit(&[("en-US", "color"), ("ru", "цвет")]))
                .unwrap()
        );
        assert!(w.write_unit(&unit(&[("en", "colour")])).unwrap());
        assert!(!w.write_unit(&unit(&[("de", "Farbe")])).unwrap());
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(out, "en\ten-US\tru\n\tcolor\tцвет\ncolour\t\t\n");
    }

    #[test]
    fn tsv_never_unquotes_and_csv_does() {
        let read_all = |text: &str, tsv: bool| {
            let mut out = Vec::new();
            let opts = ReadOptions {
                tsv,
                ..Default::default()
            };
            read(text.as_bytes(), Path::new("x"), &opts, |u| {
                out.push(u.variants[0].text.clone());
                Ok(())
            })
            .unwrap();
            out
        };
        assert_eq!(read_all("en\tru\n\"a\"\tб\n", true), ["\"a\""]);
        assert_eq!(read_all("en,ru\n\"a\",б\n", false), ["a"]);
        // A header row the options did not expect is recognised.
        let mut out = Vec::new();
        let opts = ReadOptions {
            tsv: true,
            columns: Some(vec![Column::Lang("en".into()), Column::Lang("ru".into())]),
            ..Default::default()
        };
        read(&b"EN\tru\nen\tru\n"[..], Path::new("x"), &opts, |u| {
            out.push(u.variants[0].text.clone());
            Ok(())
        })
        .unwrap();
        assert_eq!(out, ["en"], "only the first row is taken for a header");
        // A BOM and CRLF line ends are handled in both.
        assert_eq!(read_all("\u{FEFF}en\tru\r\nx\ty\r\n", true), ["x"]);
    }
}
