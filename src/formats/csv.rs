//! CSV and TSV: one unit per row, one column per language, optional
//! metadata columns.
//!
//! TSV is plain: fields are split at tabs and never unquoted (translation
//! exports often start a field with `"`); `\t`, `\n`, `\r` and `\\` are
//! escapes for tab, line feed, carriage return and backslash, so that text
//! with any of them survives an export and import. CSV follows RFC 4180.
//! Either may start with a UTF-8 BOM or be UTF-16 (spreadsheet "Unicode
//! text", with or without BOM); a bad byte, an unclosed quote, a field or
//! line over the [`Limits`], or a row with the wrong number of fields stops
//! the read with the file, line and byte offset.

use std::io::{BufRead, Read, Write};
use std::path::Path;

use crate::error::{Error, Position, Result};
use crate::formats::decode::{Detected, utf8_stream_as};
use crate::limits::Limits;
use crate::model::{Unit, Variant};

/// What a column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// The text in this (canonical) language.
    Lang(String),
    /// The unit's origin (document or source it came from).
    Origin,
    /// A free-text note on the unit.
    Note,
    /// Creation date, TMX style (`20240529T120000Z`).
    Created,
    /// Who created the unit.
    Creator,
    /// Last change date, TMX style.
    Changed,
    /// Who last changed the unit.
    Changer,
    /// The unit's id in the file it came from (TMX `tuid`).
    Tuid,
    /// The segment before this language's text in its document (`prev:en`).
    Prev(String),
    /// The segment after this language's text in its document (`next:en`).
    Next(String),
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
            lower => match lower.split_once(':') {
                Some(("prev", l)) => Column::Prev(crate::lang::normalize_tag(l)?),
                Some(("next", l)) => Column::Next(crate::lang::normalize_tag(l)?),
                _ => Column::Lang(crate::lang::normalize_tag(n)?),
            },
        })
    }

    /// The name a header row uses for this column.
    pub fn name(&self) -> String {
        match self {
            Column::Lang(l) => l.clone(),
            Column::Origin => "origin".into(),
            Column::Note => "note".into(),
            Column::Created => "created".into(),
            Column::Creator => "creator".into(),
            Column::Changed => "changed".into(),
            Column::Changer => "changer".into(),
            Column::Tuid => "tuid".into(),
            Column::Prev(l) => format!("prev:{l}"),
            Column::Next(l) => format!("next:{l}"),
            Column::Skip => "-".into(),
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
    /// Longest field and line (record) accepted.
    pub limits: Limits,
    /// The file's encoding: told from its bytes, or forced.
    pub encoding: crate::formats::TextEncoding,
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
    /// The encoding the file was read in (`None` before reading).
    pub encoding: Option<crate::formats::Decoding>,
}

/// Reads `reader`, calling `f` for each row's unit.
pub fn read<R: Read>(
    reader: R,
    path: &Path,
    opts: &ReadOptions,
    mut f: impl FnMut(Unit) -> Result<()>,
) -> Result<ReadReport> {
    let (stream, detected) =
        utf8_stream_as(reader, false, opts.encoding).map_err(|e| io_err(path, e))?;
    let mut report = ReadReport {
        encoding: Some(detected.decoding()),
        ..ReadReport::default()
    };
    let mut columns = opts.columns.clone();
    let mut first_row = true;
    // A CSV with a UTF-8 BOM is what a spreadsheet export looks like; its
    // cells may carry the `'` that `Writer` puts before formulas.
    let spreadsheet = !opts.tsv && detected.is_utf8() && detected.bom_len > 0;
    let mut records = 0u64;
    let mut row_fn = |line: u64, offset: u64, fields: Vec<String>| -> Result<()> {
        records += 1;
        let pos = position(&detected, line, offset);
        let cols = match &columns {
            Some(c) => c,
            None => {
                let mut cols = Vec::with_capacity(fields.len());
                for (i, name) in fields.iter().enumerate() {
                    let renamed = opts.rename.as_ref().and_then(|r| r.get(i));
                    let col = match renamed {
                        Some(c) => c.clone(),
                        // An empty header cell would read as `-` and drop
                        // that column's text without a word (`,ru`).
                        None if name.trim().is_empty() => {
                            return Err(Error::parse(
                                path,
                                pos,
                                format!(
                                    "header column {} is empty: name it (a language tag such as en, \
                                     or origin, note, ...), write - to ignore it, or give --columns",
                                    i + 1
                                ),
                            ));
                        }
                        // Words where a tag belongs: prose, not a table
                        // (`import story.en.txt`).
                        None if Column::parse(name).is_err() && looks_like_prose(&fields) => {
                            return Err(Error::parse(
                                path,
                                pos,
                                "this looks like plain text, not a table: a CSV or TSV file \
                                 starts with a header row of language tags (en, ru). To store \
                                 an article and its translation, align them: transmem align \
                                 --from en --to ru --store ARTICLE.en.txt ARTICLE.ru.txt",
                            ));
                        }
                        None => Column::parse(name).map_err(|_| {
                            Error::parse(
                                path,
                                pos,
                                format!(
                                    "header column {} is {name:?}: not a language tag nor one of origin, note, created, creator, changed, changer, tuid, prev:LANG, next:LANG, -",
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
        let fields = if spreadsheet {
            fields.into_iter().map(unneutralize).collect()
        } else {
            fields
        };
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
        read_tsv(stream, path, &detected, &opts.limits, &mut row_fn)?;
    } else {
        read_csv(stream, path, &detected, &opts.limits, &mut row_fn)?;
    }
    // Not even a header row: an empty file, which is an error, not a quiet
    // import of nothing.
    if records == 0 {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    }
    if report.columns.is_empty()
        && let Some(c) = &opts.columns
    {
        report.columns = c.clone();
    }
    Ok(report)
}

/// True when a first row that is not a header reads as text: a cell of
/// several words, none of which is a column name.
fn looks_like_prose(fields: &[String]) -> bool {
    fields
        .iter()
        .any(|f| f.split_whitespace().count() >= 3 && Column::parse(f).is_err())
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
    let mut context = Vec::new();
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
            Column::Prev(_) | Column::Next(_) if !v.is_empty() => context.push((c, v)),
            Column::Prev(_) | Column::Next(_) | Column::Skip => {}
        }
    }
    // Context belongs to a variant, so it is set once all texts are read; a
    // language without text has no variant to hold it.
    for (c, v) in context {
        let (Column::Prev(l) | Column::Next(l)) = c else {
            continue;
        };
        if let Some(var) = u.variants.iter_mut().find(|x| &x.lang == l) {
            if matches!(c, Column::Prev(_)) {
                var.prev = Some(v);
            } else {
                var.next = Some(v);
            }
        }
    }
    u
}

type RowFn<'a> = dyn FnMut(u64, u64, Vec<String>) -> Result<()> + 'a;

fn bad_utf8(path: &Path, d: &Detected, line: u64, offset: u64) -> Error {
    let msg = if d.how == crate::formats::How::Forced {
        "invalid UTF-8 (read as UTF-8 because --encoding says so)"
    } else {
        "invalid UTF-8 (the start of the file is UTF-8; --encoding NAME reads it in another encoding)"
    };
    Error::encoding(path, position(d, line, offset), msg)
}

fn io_err(path: &Path, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::InvalidData {
        Error::encoding(path, Position::None, e.to_string())
    } else {
        Error::io(path, e)
    }
}

/// Reads TSV lines, each at most `limits.line` bytes (so that a file
/// without line breaks, such as `/dev/zero`, is refused after a bounded
/// read), each field at most `limits.segment` bytes once unescaped.
fn read_tsv(
    mut r: impl BufRead,
    path: &Path,
    d: &Detected,
    limits: &Limits,
    row: &mut RowFn,
) -> Result<()> {
    let mut buf = Vec::new();
    let (mut line, mut offset) = (0u64, 0u64);
    loop {
        buf.clear();
        let n = (&mut r)
            .take(limits.line as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| io_err(path, e))?;
        if n == 0 {
            return Ok(());
        }
        line += 1;
        let start = offset;
        offset += n as u64;
        let mut bytes = &buf[..];
        if let Some(b) = bytes.strip_suffix(b"\n") {
            bytes = b.strip_suffix(b"\r").unwrap_or(b);
        } else if n > limits.line {
            return Err(Error::parse(
                path,
                position(d, line, start),
                limits.line_msg("the line"),
            ));
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|e| bad_utf8(path, d, line, start + e.valid_up_to() as u64))?;
        let mut fields = Vec::new();
        let mut at = start;
        for (i, raw) in text.split('\t').enumerate() {
            let f = unescape_tsv(raw);
            if f.len() > limits.segment {
                return Err(Error::parse(
                    path,
                    position(d, line, at),
                    limits.segment_msg(&format!("field {}", i + 1), f.len()),
                ));
            }
            at += raw.len() as u64 + 1;
            fields.push(f);
        }
        row(line, start, fields)?;
    }
}

/// TSV escapes (those of "linear TSV", as PostgreSQL and MySQL write
/// them): `\t`, `\n`, `\r` and `\\` stand for tab, line feed, carriage
/// return and backslash; a backslash before anything else is kept as is.
pub(crate) fn escape_tsv(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['\t', '\n', '\r', '\\']) {
        return s.into();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.into()
}

/// The inverse of [`escape_tsv`].
pub(crate) fn unescape_tsv(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let mut ahead = chars.clone();
        match ahead.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            _ => {
                out.push('\\');
                continue;
            }
        }
        chars = ahead;
    }
    out
}

/// Where a CSV field is in its record.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CsvState {
    /// At the start of a field (a quote here opens a quoted field).
    FieldStart,
    /// In an unquoted field (a quote here is an ordinary character).
    Unquoted,
    /// In a quoted field.
    Quoted,
    /// Just after a quote inside a quoted field: a second quote is a literal
    /// quote, anything else closes the field.
    QuoteInQuoted,
}

/// Reads RFC 4180 CSV as the `csv` crate did before (a quote opens a quoted
/// field only at the field's start, text after a closing quote is kept,
/// CR, LF and CRLF end records, empty lines are skipped), with what that
/// crate cannot do: a quoted field still open at the end of the file is an
/// error naming the opening quote (the crate silently took the rest of the
/// file as that field), and fields and records are refused as soon as they
/// pass `limits` (the crate buffers a record whole, however long).
fn read_csv(
    mut r: impl BufRead,
    path: &Path,
    d: &Detected,
    limits: &Limits,
    row: &mut RowFn,
) -> Result<()> {
    // Each field with the offset where it starts.
    let mut fields: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut field: Vec<u8> = Vec::new();
    let mut field_at = 0u64;
    let mut state = CsvState::FieldStart;
    // Line (1-based) and offset of the next byte, of the record start, of
    // the open quote.
    let (mut line, mut offset) = (1u64, 0u64);
    let (mut rec_line, mut rec_at) = (1u64, 0u64);
    let mut quote_at = (1u64, 0u64);
    let mut in_record = false;
    let mut after_cr = false;
    let finish_field = |fields: &mut Vec<(u64, Vec<u8>)>, field: &mut Vec<u8>, at: u64| {
        fields.push((at, std::mem::take(field)));
    };
    let mut emit = |fields: &mut Vec<(u64, Vec<u8>)>, rec_line: u64, rec_at: u64| -> Result<()> {
        let mut out = Vec::with_capacity(fields.len());
        for (i, (start, f)) in fields.drain(..).enumerate() {
            let s = String::from_utf8(f).map_err(|e| {
                // Exact for unquoted fields; in a quoted one, off by the
                // quote and any doubled quotes before the bad byte.
                let at = start + e.utf8_error().valid_up_to() as u64;
                Error::encoding(
                    path,
                    position(d, rec_line, at),
                    format!("invalid UTF-8 in field {}", i + 1),
                )
            })?;
            out.push(s);
        }
        row(rec_line, rec_at, out)
    };
    loop {
        let buf = r.fill_buf().map_err(|e| io_err(path, e))?;
        if buf.is_empty() {
            break;
        }
        let n = buf.len();
        for &b in buf {
            let at = offset;
            offset += 1;
            if std::mem::take(&mut after_cr) && b == b'\n' {
                line += 1;
                continue;
            }
            if !in_record {
                if b == b'\n' || b == b'\r' {
                    // An empty line: no record.
                    after_cr = b == b'\r';
                    line += u64::from(b == b'\n');
                    continue;
                }
                in_record = true;
                (rec_line, rec_at) = (line, at);
                field_at = at;
            }
            if at - rec_at >= limits.line as u64 {
                return Err(Error::parse(
                    path,
                    position(d, rec_line, rec_at),
                    limits.line_msg("the record"),
                ));
            }
            let mut end_record = false;
            match state {
                CsvState::FieldStart if b == b'"' => {
                    state = CsvState::Quoted;
                    quote_at = (line, at);
                }
                CsvState::Quoted if b == b'"' => state = CsvState::QuoteInQuoted,
                CsvState::Quoted => field.push(b),
                CsvState::QuoteInQuoted if b == b'"' => {
                    field.push(b);
                    state = CsvState::Quoted;
                }
                CsvState::FieldStart | CsvState::Unquoted | CsvState::QuoteInQuoted => match b {
                    b',' => {
                        finish_field(&mut fields, &mut field, field_at);
                        state = CsvState::FieldStart;
                        field_at = at + 1;
                    }
                    b'\n' | b'\r' => end_record = true,
                    _ => {
                        field.push(b);
                        state = CsvState::Unquoted;
                    }
                },
            }
            if b == b'\n' {
                line += 1;
            }
            if field.len() > limits.segment {
                return Err(Error::parse(
                    path,
                    position(d, line, field_at),
                    limits.segment_msg(&format!("field {}", fields.len() + 1), field.len()),
                ));
            }
            if end_record {
                after_cr = b == b'\r';
                finish_field(&mut fields, &mut field, field_at);
                emit(&mut fields, rec_line, rec_at)?;
                state = CsvState::FieldStart;
                in_record = false;
            }
        }
        r.consume(n);
    }
    if state == CsvState::Quoted {
        let (l, at) = quote_at;
        return Err(Error::parse(
            path,
            position(d, l, at),
            "this quote opens a field that is never closed (the file ends inside it)",
        ));
    }
    if in_record {
        finish_field(&mut fields, &mut field, field_at);
        emit(&mut fields, rec_line, rec_at)?;
    }
    Ok(())
}

/// The characters that make a spreadsheet read a cell as a formula
/// (`=HYPERLINK(...)`, `@SUM(...)`, `+1+1`, `-2+3`) or that it strips
/// before one (tab, CR), as OWASP lists them for CSV injection.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell made safe for a spreadsheet: one that a spreadsheet would run as
/// a formula gets a leading `'`, which Excel and LibreOffice show as
/// nothing and take as "this is text".
fn neutralize(cell: &str) -> std::borrow::Cow<'_, str> {
    // Text that already starts with `'` before a formula gets one more, so
    // that reading it back (one `'` dropped) is exact.
    if cell.trim_start_matches('\'').starts_with(FORMULA_START) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// The reverse of [`neutralize`], for CSV files that start with a UTF-8
/// BOM (the spreadsheet form `export --format csv --bom` writes): a `'`
/// before a formula character is dropped, so that such an export imports
/// back exactly.
fn unneutralize(cell: String) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.trim_start_matches('\'').starts_with(FORMULA_START) => rest.to_string(),
        _ => cell,
    }
}

/// Streams units into CSV or TSV with a header row.
///
/// CSV with a BOM is the form for spreadsheets (`export --format csv
/// --bom`): there a cell that starts like a formula (`=`, `+`, `-`, `@`,
/// tab, CR) is written with a leading `'`, so that opening the file never
/// runs `=HYPERLINK(...)` from a stored text; [`read`] drops that `'`
/// again from a CSV with a BOM.
pub struct Writer<W: Write> {
    out: W,
    tsv: bool,
    /// Cells are neutralised for spreadsheets (CSV with a BOM).
    spreadsheet: bool,
    columns: Vec<Column>,
    langs: Vec<String>,
    line: Vec<u8>,
}

impl<W: Write> Writer<W> {
    /// Writes the header row of `langs`; `bom` first writes a UTF-8 BOM
    /// (spreadsheet programs need it to read UTF-8).
    pub fn new(out: W, langs: &[String], tsv: bool, bom: bool) -> Result<Self> {
        let columns: Vec<Column> = langs.iter().cloned().map(Column::Lang).collect();
        Writer::with_columns(out, &columns, tsv, bom)
    }

    /// Like [`Writer::new`] with any columns: languages, metadata
    /// (`origin`, dates, creator, ...) and context (`prev:LANG`,
    /// `next:LANG`), in the given order. What it writes, [`read`] reads back.
    pub fn with_columns(mut out: W, columns: &[Column], tsv: bool, bom: bool) -> Result<Self> {
        if bom {
            out.write_all(b"\xEF\xBB\xBF")
                .map_err(|e| Error::io("<output>", e))?;
        }
        let langs = columns
            .iter()
            .filter_map(|c| match c {
                Column::Lang(l) => Some(l.clone()),
                _ => None,
            })
            .collect();
        let mut w = Writer {
            out,
            tsv,
            spreadsheet: bom && !tsv,
            columns: columns.to_vec(),
            langs,
            line: Vec::new(),
        };
        let names: Vec<String> = columns.iter().map(Column::name).collect();
        let header: Vec<&str> = names.iter().map(String::as_str).collect();
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
                // Tabs, line breaks and backslashes escaped, so that an
                // import reads back exactly this text.
                self.line.extend(escape_tsv(f).bytes());
            }
            self.line.push(b'\n');
        } else {
            // RFC 4180 quoting by the csv crate. (Reading is our own state
            // machine, which the crate cannot replace: it reports neither an
            // unclosed quote nor bounds a record's buffer.)
            let spreadsheet = self.spreadsheet;
            let mut w = ::csv::WriterBuilder::new()
                .terminator(::csv::Terminator::CRLF)
                .from_writer(&mut self.line);
            w.write_record(fields.iter().map(|f| {
                if spreadsheet {
                    neutralize(f).into_owned().into_bytes()
                } else {
                    f.as_bytes().to_vec()
                }
            }))
            .and_then(|()| w.flush().map_err(::csv::Error::from))
            .map_err(|e| Error::io("<output>", std::io::Error::other(e)))?;
        }
        self.out
            .write_all(&self.line)
            .map_err(|e| Error::io("<output>", e))
    }

    /// The variant a `lang` column takes: exactly that language first; a
    /// bare `en` column also takes `en-US` unless `en-US` has a column of
    /// its own.
    fn variant<'u>(&self, unit: &'u Unit, l: &str) -> Option<&'u Variant> {
        unit.variants.iter().find(|v| v.lang == l).or_else(|| {
            unit.variants
                .iter()
                .find(|v| crate::lang::serves(l, &v.lang) && !self.langs.contains(&v.lang))
        })
    }

    /// Writes `unit` as one row (the variant of each language column, or one
    /// it serves that has no column of its own; else an empty field).
    /// Returns false, writing nothing, when the unit has none of the
    /// languages.
    pub fn write_unit(&mut self, unit: &Unit) -> Result<bool> {
        if self
            .langs
            .iter()
            .all(|l| self.variant(unit, l).is_none_or(|v| v.text.is_empty()))
        {
            return Ok(false);
        }
        let notes = unit.notes.join("\n");
        let texts: Vec<&str> = self
            .columns
            .iter()
            .map(|c| {
                let text = match c {
                    Column::Lang(l) => self.variant(unit, l).map(|v| v.text.as_str()),
                    Column::Prev(l) => self.variant(unit, l).and_then(|v| v.prev.as_deref()),
                    Column::Next(l) => self.variant(unit, l).and_then(|v| v.next.as_deref()),
                    Column::Origin => unit.origin.as_deref(),
                    Column::Note => Some(notes.as_str()),
                    Column::Created => unit.created.as_deref(),
                    Column::Creator => unit.creator.as_deref(),
                    Column::Changed => unit.changed.as_deref(),
                    Column::Changer => unit.changer.as_deref(),
                    Column::Tuid => unit.tuid.as_deref(),
                    Column::Skip => None,
                };
                text.unwrap_or("")
            })
            .collect();
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
    fn tsv_escapes_round_trip_and_leave_other_backslashes() {
        for text in [
            "a\tb",
            "x\ny\r\n",
            "C:\\new\\",
            "\\t literally",
            "end\\",
            "plain",
        ] {
            assert_eq!(unescape_tsv(&escape_tsv(text)), text, "{text:?}");
            assert!(!escape_tsv(text).contains(['\t', '\n', '\r']));
        }
        assert_eq!(unescape_tsv("C:\\data \\x \\"), "C:\\data \\x \\");
        assert_eq!(unescape_tsv("a\\\\n"), "a\\n");
    }

    #[test]
    fn a_long_tsv_field_is_placed_at_its_raw_offset() {
        let opts = ReadOptions {
            tsv: true,
            limits: Limits {
                segment: 4,
                line: 100,
            },
            ..Default::default()
        };
        // The first field is 6 raw bytes but 3 unescaped.
        let err = read(
            &b"en\tru\n\\n\\t\\r\ttoo long\n"[..],
            Path::new("x"),
            &opts,
            |_| Ok(()),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("x:2 (byte 13): field 2 is longer"),
            "{err}"
        );
    }

    #[test]
    fn spreadsheet_csv_neutralises_formulas_and_reads_them_back() {
        let texts = [
            "=HYPERLINK(\"http://x\")",
            "@SUM(A1)",
            "+1+1",
            "-2",
            "'=x",
            "a=b",
        ];
        let units: Vec<Unit> = texts
            .iter()
            .map(|t| unit(&[("en", t), ("ru", "да")]))
            .collect();
        let langs = ["en".to_string(), "ru".to_string()];
        let write = |bom: bool| {
            let mut w = Writer::new(Vec::new(), &langs, false, bom).unwrap();
            for u in &units {
                w.write_unit(u).unwrap();
            }
            String::from_utf8(w.finish().unwrap()).unwrap()
        };
        let excel = write(true);
        for bad in ["\r\n=", "\r\n@", "\r\n+", "\r\n-", "\r\n\"="] {
            assert!(!excel.contains(bad), "{bad:?} in {excel}");
        }
        assert!(
            excel.contains("\r\n'+1+1,") && excel.contains("\r\n'-2,"),
            "{excel}"
        );
        assert!(excel.contains("\r\na=b,"), "{excel}");
        // Without a BOM (not for a spreadsheet) the text is as stored.
        assert!(write(false).contains("\r\n+1+1,"));
        let mut back = Vec::new();
        read(
            excel.as_bytes(),
            Path::new("x.csv"),
            &ReadOptions::default(),
            |u| {
                back.push(u.variants[0].text.clone());
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(back, texts);
    }

    #[test]
    fn an_empty_header_cell_is_an_error_naming_the_column() {
        let e = read(
            ",ru\nPort,Порт\n".as_bytes(),
            Path::new("x.csv"),
            &ReadOptions::default(),
            |_| Ok(()),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("x.csv:1") && e.contains("header column 1 is empty"),
            "{e}"
        );
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
