//! Streaming TMX reader: a quick-xml pull parser over a UTF-8 stream, one
//! `<tu>` in memory at a time.
//!
//! Liberal in what it accepts (TMX 1.1 `lang`, tags in any case, missing
//! `version`, unknown elements and attributes) and strict about what XML
//! forbids: a malformed document, an undeclared entity or a bad byte stops
//! the read with the file and line (and byte offset when the file is UTF-8).
//! Entities declared in a DOCTYPE are never expanded or fetched: a reference
//! to one is an error, which also defuses "billion laughs" bombs.

use std::io::{BufRead, Read};
use std::path::Path;

use quick_xml::events::{BytesStart, Event};

use super::{CTRL_PH_TYPE, Header, PROP_ALT, PROP_NEXT, PROP_ORIGIN, PROP_PREV};
use crate::error::{Error, Position, Result};
use crate::formats::decode::{Detected, utf8_stream_as};
use crate::limits::Limits;
use crate::model::{Unit, Variant};

/// What a read saw besides the units.
#[derive(Debug, Clone, Default)]
pub struct ReadReport {
    /// The file's `<header>`.
    pub header: Header,
    /// `<tu>` elements read.
    pub tus: u64,
    /// `<tu>` elements without any `<tuv>`, which were not passed on.
    pub empty: u64,
    /// The encoding the file was read in (`None` before reading).
    pub encoding: Option<crate::formats::Decoding>,
}

/// Reads the TMX document in `reader`, calling `f` for each unit.
pub fn read<R: Read>(
    reader: R,
    path: &Path,
    mut f: impl FnMut(Unit) -> Result<()>,
) -> Result<ReadReport> {
    read_units(reader, path, |_, u| f(u))
}

/// Like [`read`], with the header (read before any unit) passed to `f`.
pub fn read_units<R: Read>(
    reader: R,
    path: &Path,
    f: impl FnMut(&Header, Unit) -> Result<()>,
) -> Result<ReadReport> {
    read_units_with(reader, path, &Limits::default(), f)
}

/// Like [`read_units`], refusing a segment, prop or note longer than
/// `limits.segment` and a run of more than `limits.line` bytes without
/// markup, as soon as it is seen.
pub fn read_units_with<R: Read>(
    reader: R,
    path: &Path,
    limits: &Limits,
    f: impl FnMut(&Header, Unit) -> Result<()>,
) -> Result<ReadReport> {
    read_units_as(reader, path, limits, crate::formats::TextEncoding::Auto, f)
}

/// Like [`read_units_with`], in a forced encoding (`--encoding`) instead of
/// the one the BOM or the XML declaration names.
pub fn read_units_as<R: Read>(
    reader: R,
    path: &Path,
    limits: &Limits,
    encoding: crate::formats::TextEncoding,
    f: impl FnMut(&Header, Unit) -> Result<()>,
) -> Result<ReadReport> {
    let (stream, detected) = utf8_stream_as(reader, true, encoding).map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidData {
            // The XML declaration, on the first line.
            Error::encoding(path, Position::Line(1), e.to_string())
        } else {
            Error::io(path, e)
        }
    })?;
    let mut p = Parser {
        path,
        detected,
        limits: *limits,
        xml: quick_xml::Reader::from_reader(Tracked::new(stream, limits.line)),
        report: ReadReport {
            encoding: Some(detected.decoding()),
            ..ReadReport::default()
        },
        stack: Vec::new(),
        unit: None,
        variants: Vec::new(),
        variant: None,
        seg: None,
        meta: None,
        saw_root: false,
    };
    p.xml.config_mut().trim_text(false);
    p.run(f)?;
    Ok(p.report)
}

/// The elements the reader tracks; everything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum El {
    Tmx,
    Header,
    Body,
    Tu,
    Tuv,
    Seg,
    Prop,
    Note,
    Other,
}

fn element(name: &str) -> El {
    match name.to_ascii_lowercase().as_str() {
        "tmx" => El::Tmx,
        "header" => El::Header,
        "body" => El::Body,
        "tu" => El::Tu,
        "tuv" => El::Tuv,
        "seg" => El::Seg,
        "prop" => El::Prop,
        "note" => El::Note,
        _ => El::Other,
    }
}

/// Elements whose content is native code, not text.
fn is_code(name: &str) -> bool {
    matches!(name, "bpt" | "ept" | "it" | "ph" | "ut" | "sub")
}

/// The `<seg>` being read.
#[derive(Default)]
struct Seg {
    text: String,
    markup: String,
    /// Names of open inline elements.
    open: Vec<String>,
    /// How many open inline elements are code (text is not plain text).
    code_depth: usize,
    has_inline: bool,
    /// Inside `<ph type="x-ctrl">`: the escaped control character.
    ctrl: Option<String>,
    /// `open.len()` just inside that `<ph>`.
    ctrl_depth: usize,
}

/// A `<prop>` or `<note>` being read, and where it belongs.
struct Meta {
    prop_type: Option<String>,
    text: String,
}

struct Parser<'p, R: BufRead> {
    path: &'p Path,
    detected: Detected,
    limits: Limits,
    xml: quick_xml::Reader<Tracked<R>>,
    report: ReadReport,
    stack: Vec<El>,
    unit: Option<Unit>,
    variants: Vec<Variant>,
    variant: Option<Variant>,
    seg: Option<Seg>,
    meta: Option<Meta>,
    saw_root: bool,
}

impl<R: BufRead> Parser<'_, R> {
    fn pos(&self, offset: u64) -> Position {
        let line = self.xml.get_ref().line_at(offset);
        match (self.detected.is_utf8(), line) {
            (true, Some(l)) => Position::LineOffset(l, offset + self.detected.bom_len),
            (true, None) => Position::Offset(offset + self.detected.bom_len),
            (false, Some(l)) => Position::Line(l),
            (false, None) => Position::None,
        }
    }

    fn err(&self, offset: u64, msg: impl Into<String>) -> Error {
        Error::parse(self.path, self.pos(offset), msg)
    }

    fn run(&mut self, mut f: impl FnMut(&Header, Unit) -> Result<()>) -> Result<()> {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let start = self.xml.buffer_position();
            let ev = match self.xml.read_event_into(&mut buf) {
                Ok(ev) => ev,
                Err(e) => return Err(self.xml_error(e, start)),
            };
            match ev {
                Event::Start(e) => self.open(&e, start, false, &mut f)?,
                Event::Empty(e) => self.open(&e, start, true, &mut f)?,
                Event::End(e) => {
                    let name = e.local_name().as_ref().to_string();
                    self.close(&name, start, &mut f)?;
                }
                Event::Text(t) => {
                    let s = t.xml10_content();
                    self.text(&s, start)?;
                }
                Event::CData(t) => {
                    let s = t.xml10_content();
                    self.text(&s, start)?;
                }
                Event::GeneralRef(r) => {
                    let c = crate::formats::xml::reference(&r).map_err(|m| self.err(start, m))?;
                    self.text(c.encode_utf8(&mut [0; 4]), start)?;
                }
                Event::Eof => {
                    if !self.saw_root {
                        return Err(
                            self.err(start, "not a TMX document: no <tmx> element (empty file?)")
                        );
                    }
                    if !self.stack.is_empty() {
                        return Err(
                            self.err(start, "unexpected end of file: the document is truncated")
                        );
                    }
                    return Ok(());
                }
                // DOCTYPE (never expanded), comments, declaration, PIs.
                _ => {}
            }
        }
    }

    fn xml_error(&self, e: quick_xml::Error, event_start: u64) -> Error {
        let at = self.xml.error_position();
        match e {
            quick_xml::Error::Io(io) => {
                let msg = io.to_string();
                if let Some((at, what)) = self.xml.get_ref().refused {
                    let msg = match what {
                        Refused::Nul => {
                            "U+0000 (NUL) is not allowed in XML: the document is not well-formed"
                                .to_string()
                        }
                        // Text that long inside a segment is over the segment
                        // limit too, which is the clearer message.
                        Refused::Run if self.seg.is_some() => self
                            .limits
                            .segment_msg("the text of this <seg>", self.limits.line),
                        Refused::Run if self.meta.is_some() => self
                            .limits
                            .segment_msg("this prop or note", self.limits.line),
                        Refused::Run => self.limits.line_msg("text or markup without any <"),
                    };
                    return self.err(at, msg);
                }
                if io.kind() == std::io::ErrorKind::InvalidData {
                    // Transcoding error: the message holds the file offset.
                    Error::encoding(self.path, Position::None, msg)
                } else {
                    Error::io(self.path, std::io::Error::new(io.kind(), msg))
                }
            }
            quick_xml::Error::Encoding(_) => {
                // quick-xml names the event; the bad byte itself is found in
                // the consumed bytes.
                let bad = self
                    .xml
                    .get_ref()
                    .first_invalid_utf8(event_start)
                    .unwrap_or(at);
                Error::encoding(self.path, self.pos(bad), "invalid UTF-8")
            }
            other => self.err(at, format!("malformed XML: {other}")),
        }
    }

    fn attrs(&self, e: &BytesStart, start: u64) -> Result<Vec<(String, String)>> {
        crate::formats::xml::attributes(e).map_err(|m| self.err(start, m))
    }

    fn open(
        &mut self,
        e: &BytesStart,
        start: u64,
        empty: bool,
        f: &mut impl FnMut(&Header, Unit) -> Result<()>,
    ) -> Result<()> {
        let name = e.local_name().as_ref().to_string();
        if self.seg.is_some() {
            // Inline element inside <seg>.
            let attrs = self.attrs(e, start)?;
            let Some(seg) = self.seg.as_mut() else {
                return Ok(());
            };
            let lower = name.to_ascii_lowercase();
            if seg.ctrl.is_some() {
                if !empty {
                    seg.open.push(lower);
                }
                return Ok(());
            }
            if lower == "ph"
                && seg.code_depth == 0
                && attrs.iter().any(|(k, v)| k == "type" && v == CTRL_PH_TYPE)
            {
                if empty {
                    return Ok(());
                }
                seg.ctrl = Some(String::new());
                seg.open.push(lower);
                seg.ctrl_depth = seg.open.len();
                return Ok(());
            }
            seg.has_inline = true;
            seg.markup.push('<');
            seg.markup.push_str(&name);
            for (k, v) in &attrs {
                seg.markup.push(' ');
                seg.markup.push_str(k);
                seg.markup.push_str("=\"");
                escape_into(&mut seg.markup, v, true);
                seg.markup.push('"');
            }
            if empty {
                seg.markup.push_str("/>");
            } else {
                seg.markup.push('>');
                if is_code(&lower) {
                    seg.code_depth += 1;
                }
                seg.open.push(lower);
            }
            return Ok(());
        }
        let mut el = element(&name);
        let parent = self.stack.last().copied();
        match (el, parent) {
            (El::Tmx, None) => {
                self.saw_root = true;
                for (k, v) in self.attrs(e, start)? {
                    if k == "version" {
                        self.report.header.version = v;
                    }
                }
            }
            (_, None) => {
                return Err(self.err(
                    start,
                    format!("not a TMX document: the root element is <{name}>, not <tmx>"),
                ));
            }
            (El::Header, Some(El::Tmx)) => {
                let attrs = self.attrs(e, start)?;
                let h = &mut self.report.header;
                for (k, v) in attrs {
                    let slot = match k.as_str() {
                        "srclang" => &mut h.srclang,
                        "adminlang" => &mut h.adminlang,
                        "creationtool" => &mut h.creationtool,
                        "creationtoolversion" => &mut h.creationtoolversion,
                        "segtype" => &mut h.segtype,
                        "o-tmf" => &mut h.o_tmf,
                        "datatype" => &mut h.datatype,
                        "o-encoding" => &mut h.o_encoding,
                        "creationdate" => &mut h.creationdate,
                        "creationid" => &mut h.creationid,
                        "changedate" => &mut h.changedate,
                        "changeid" => &mut h.changeid,
                        _ => continue,
                    };
                    *slot = v;
                }
            }
            // Some tools leave out <body>.
            (El::Tu, Some(El::Body | El::Tmx)) => {
                let mut u = Unit::default();
                for (k, v) in self.attrs(e, start)? {
                    match k.as_str() {
                        "tuid" => u.tuid = Some(v),
                        "creationdate" => u.created = Some(v),
                        "creationid" => u.creator = Some(v),
                        "changedate" => u.changed = Some(v),
                        "changeid" => u.changer = Some(v),
                        "usagecount" => match v.trim().parse() {
                            Ok(n) => u.usage_count = Some(n),
                            Err(_) => u.attrs.push((k, v)),
                        },
                        _ => u.attrs.push((k, v)),
                    }
                }
                self.unit = Some(u);
                self.variants.clear();
            }
            (El::Tuv, Some(El::Tu)) => {
                let mut v = Variant::default();
                let mut lang = None;
                for (k, val) in self.attrs(e, start)? {
                    if k == "xml:lang" || k.eq_ignore_ascii_case("lang") {
                        // xml:lang wins over the TMX 1.1 `lang` when both appear.
                        if lang.is_none() || k == "xml:lang" {
                            lang = Some(val);
                        }
                    } else {
                        v.props.push((format!("@{k}"), val));
                    }
                }
                let Some(lang) = lang else {
                    return Err(self.err(start, "<tuv> without xml:lang (or lang)"));
                };
                v.lang = lenient_tag(&lang).ok_or_else(|| {
                    self.err(start, format!("unknown language tag {lang:?} in <tuv>"))
                })?;
                self.variant = Some(v);
            }
            (El::Seg, Some(El::Tuv)) if !empty => self.seg = Some(Seg::default()),
            (El::Prop | El::Note, Some(El::Header | El::Tu | El::Tuv)) => {
                let prop_type = if el == El::Prop {
                    let t = self
                        .attrs(e, start)?
                        .into_iter()
                        .find(|(k, _)| k == "type")
                        .map(|(_, v)| v);
                    Some(t.unwrap_or_default())
                } else {
                    None
                };
                let meta = Meta {
                    prop_type,
                    text: String::new(),
                };
                if empty {
                    self.meta = Some(meta);
                    self.stack.push(el);
                    return self.close(&name, start, f);
                }
                self.meta = Some(meta);
            }
            (El::Body, Some(El::Tmx)) => {}
            // A TMX element where it does not belong (a <tu> in <header> or
            // in another <tu>, a <tuv> outside <tu>, ...) is an unknown
            // element: skipped with its content, so that it can neither be
            // counted as a unit nor take over the unit around it.
            _ => el = El::Other,
        }
        if !empty {
            self.stack.push(el);
        } else if el == El::Tu {
            // `<tu/>`: no variants.
            self.stack.push(el);
            return self.close(&name, start, f);
        }
        Ok(())
    }

    fn text(&mut self, s: &str, start: u64) -> Result<()> {
        let limits = self.limits;
        let over = if let Some(seg) = self.seg.as_mut() {
            if let Some(ctrl) = seg.ctrl.as_mut() {
                ctrl.push_str(s);
                let len = ctrl.len();
                (len > limits.segment).then(|| limits.segment_msg("an x-ctrl code", len))
            } else {
                if seg.code_depth == 0 {
                    seg.text.push_str(s);
                }
                escape_into(&mut seg.markup, s, false);
                // Codes and escapes make markup longer than its text; four
                // times the text limit still bounds the memory.
                if seg.text.len() > limits.segment {
                    Some(limits.segment_msg("the text of this <seg>", seg.text.len()))
                } else if seg.markup.len() > limits.segment.saturating_mul(4) {
                    Some(format!(
                        "the markup of this <seg> is longer than 4 times the segment limit of {} bytes (raise it with TRANSMEM_MAX_SEGMENT)",
                        limits.segment
                    ))
                } else {
                    None
                }
            }
        } else if let Some(meta) = self.meta.as_mut() {
            meta.text.push_str(s);
            let len = meta.text.len();
            (len > limits.segment).then(|| limits.segment_msg("this prop or note", len))
        } else {
            None
        };
        match over {
            Some(msg) => Err(self.err(start, msg)),
            None => Ok(()),
        }
    }

    fn close(
        &mut self,
        name: &str,
        start: u64,
        f: &mut impl FnMut(&Header, Unit) -> Result<()>,
    ) -> Result<()> {
        if let Some(seg) = self.seg.as_mut()
            && let Some(open) = seg.open.pop()
        {
            if seg.ctrl.is_some() {
                if seg.open.len() + 1 == seg.ctrl_depth
                    && let Some(code) = seg.ctrl.take()
                {
                    match decode_ctrl(&code) {
                        Some(c) => {
                            seg.text.push(c);
                            seg.markup.push(c);
                        }
                        // Another tool's placeholder of that type: an
                        // ordinary code (nested elements in it are dropped).
                        None => {
                            seg.has_inline = true;
                            seg.markup
                                .push_str(&format!("<ph type=\"{CTRL_PH_TYPE}\">"));
                            escape_into(&mut seg.markup, &code, false);
                            seg.markup.push_str("</ph>");
                        }
                    }
                }
                return Ok(());
            }
            if is_code(&open) {
                seg.code_depth = seg.code_depth.saturating_sub(1);
            }
            seg.markup.push_str("</");
            seg.markup.push_str(name);
            seg.markup.push('>');
            return Ok(());
        }
        let el = self.stack.pop().unwrap_or(El::Other);
        let parent = self.stack.last().copied();
        match el {
            El::Seg => {
                if let (Some(seg), Some(v)) = (self.seg.take(), self.variant.as_mut()) {
                    v.markup = seg.has_inline.then_some(seg.markup);
                    v.text = seg.text;
                }
            }
            El::Tuv => {
                if let Some(mut v) = self.variant.take() {
                    take_prop(&mut v.props, PROP_PREV, &mut v.prev);
                    take_prop(&mut v.props, PROP_NEXT, &mut v.next);
                    if let Some(first) = self.variants.iter_mut().find(|w| w.lang == v.lang) {
                        first.props.push((PROP_ALT.to_string(), v.text));
                    } else {
                        self.variants.push(v);
                    }
                }
            }
            El::Tu => {
                self.report.tus += 1;
                if let Some(mut u) = self.unit.take() {
                    take_prop(&mut u.props, PROP_ORIGIN, &mut u.origin);
                    // `@name` props carry attributes the DTD did not allow.
                    let (attrs, props): (Vec<_>, Vec<_>) =
                        u.props.drain(..).partition(|(k, _)| k.starts_with('@'));
                    u.props = props;
                    u.attrs
                        .extend(attrs.into_iter().map(|(k, v)| (k[1..].to_string(), v)));
                    u.variants = std::mem::take(&mut self.variants);
                    if u.variants.is_empty() {
                        self.report.empty += 1;
                    } else {
                        f(&self.report.header, u).map_err(|e| match e {
                            Error::Invalid(msg) | Error::Parse { msg, .. } => self.err(start, msg),
                            other => other,
                        })?;
                    }
                }
            }
            El::Prop | El::Note => {
                if let Some(meta) = self.meta.take() {
                    let (props, notes) = match parent {
                        Some(El::Tuv) => match self.variant.as_mut() {
                            Some(v) => (&mut v.props, &mut v.notes),
                            None => return Ok(()),
                        },
                        Some(El::Tu) => match self.unit.as_mut() {
                            Some(u) => (&mut u.props, &mut u.notes),
                            None => return Ok(()),
                        },
                        Some(El::Header) => {
                            (&mut self.report.header.props, &mut self.report.header.notes)
                        }
                        _ => return Ok(()),
                    };
                    match meta.prop_type {
                        Some(t) => props.push((t, meta.text)),
                        None => notes.push(meta.text),
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// A language tag as tools write it, canonical: also Weblate/gettext forms
/// such as `sr@latin` and `zh_Hans`.
pub(crate) fn lenient_tag(tag: &str) -> Option<String> {
    crate::lang::normalize_tag(tag)
        .or_else(|_| crate::lang::normalize_tag(&tag.trim().replace('@', "-")))
        .ok()
}

/// Moves the first prop of type `key` into `slot`.
fn take_prop(props: &mut Vec<(String, String)>, key: &str, slot: &mut Option<String>) {
    if let Some(i) = props.iter().position(|(k, _)| k == key) {
        let (_, v) = props.remove(i);
        if slot.is_none() {
            *slot = Some(v);
        }
    }
}

/// `&#xN;` (as written by our writer) back to the control character.
fn decode_ctrl(s: &str) -> Option<char> {
    let hex = s.trim().strip_prefix("&#x")?.strip_suffix(';')?;
    char::from_u32(u32::from_str_radix(hex, 16).ok()?)
}

/// Appends `s` XML-escaped. `\r` is written as a reference so that XML's
/// newline normalisation cannot turn it into `\n`; in attributes tabs and
/// newlines too (attribute normalisation would make them spaces).
pub(crate) fn escape_into(out: &mut String, s: &str, attr: bool) {
    let special = |b: u8| {
        matches!(b, b'&' | b'<' | b'>' | b'\r') || attr && matches!(b, b'"' | b'\n' | b'\t')
    };
    let mut rest = s;
    // Copy runs of ordinary text at once; escapes are rare.
    while let Some(i) = rest.bytes().position(special) {
        out.push_str(&rest[..i]);
        out.push_str(match rest.as_bytes()[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\r' => "&#13;",
            b'\n' => "&#10;",
            _ => "&#9;",
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

/// A `BufRead` that remembers the recently consumed bytes, so that an error
/// offset can be turned into a line number without a second pass.
struct Tracked<R> {
    inner: R,
    /// Longest run of bytes without `<` let through.
    max_run: usize,
    /// Bytes consumed since the last `<`.
    run: usize,
    /// Why and where (stream offset) reading stopped: set when consumed bytes
    /// hold a NUL or too long a run, returned as an error by the next read.
    refused: Option<(u64, Refused)>,
    window: Vec<u8>,
    /// Stream offset of `window[0]`.
    window_start: u64,
    /// Newlines before `window_start`.
    lines_before: u64,
}

/// Bytes of history kept for line numbers (an error further back than this
/// inside one element is reported by offset only).
const WINDOW: usize = 4 << 20;

/// What [`Tracked`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refused {
    /// U+0000: never well-formed in XML 1.0 or 1.1, in any form.
    Nul,
    /// More than the line limit without `<`: no event (text, tag, comment)
    /// is that long in a real file, and quick-xml would buffer it whole.
    Run,
}

impl<R: BufRead> Tracked<R> {
    fn new(inner: R, max_run: usize) -> Self {
        Tracked {
            inner,
            max_run,
            run: 0,
            refused: None,
            window: Vec::new(),
            window_start: 0,
            lines_before: 0,
        }
    }

    /// 1-based line of stream offset `at`, if still in the window.
    fn line_at(&self, at: u64) -> Option<u64> {
        let rel = at.checked_sub(self.window_start)? as usize;
        let upto = self.window.get(..rel.min(self.window.len()))?;
        Some(self.lines_before + memchr_count(upto) + 1)
    }
}

impl<R> Tracked<R> {
    /// Stream offset of the first byte at or after `from` that is not
    /// valid UTF-8, if it is still in the window.
    fn first_invalid_utf8(&self, from: u64) -> Option<u64> {
        let rel = from.checked_sub(self.window_start)? as usize;
        let bytes = self.window.get(rel..)?;
        match std::str::from_utf8(bytes) {
            Ok(_) => None,
            Err(e) => Some(from + e.valid_up_to() as u64),
        }
    }
}

fn memchr_count(b: &[u8]) -> u64 {
    b.iter().filter(|&&c| c == b'\n').count() as u64
}

impl<R: BufRead> Read for Tracked<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Tracked<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.refused.is_some() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "input refused",
            ));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let n = amt.min(buf.len());
            let chunk = &buf[..n];
            let at = self.window_start + self.window.len() as u64;
            // `contains` is a memchr; the position is only needed when it hits.
            if chunk.contains(&0)
                && let Some(i) = chunk.iter().position(|&b| b == 0)
            {
                self.refused.get_or_insert((at + i as u64, Refused::Nul));
            }
            match chunk.iter().rposition(|&b| b == b'<') {
                Some(i) => self.run = n - i - 1,
                None => self.run += n,
            }
            if self.run > self.max_run {
                // At the `<` that opened the tag or element the run is in.
                let from = (at + n as u64 - self.run as u64).saturating_sub(1);
                self.refused.get_or_insert((from, Refused::Run));
            }
            self.window.extend_from_slice(chunk);
        }
        self.inner.consume(amt);
        if self.window.len() > 2 * WINDOW {
            let drop = self.window.len() - WINDOW;
            self.lines_before += memchr_count(&self.window[..drop]);
            self.window.drain(..drop);
            self.window_start += drop as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(doc: &str) -> Result<(ReadReport, Vec<Unit>)> {
        let mut out = Vec::new();
        let r = read(doc.as_bytes(), Path::new("t.tmx"), |u| {
            out.push(u);
            Ok(())
        })?;
        Ok((r, out))
    }

    #[test]
    fn tmx_11_lang_attribute_and_missing_body() {
        let doc = r#"<tmx version="1.1"><header srclang="*all*" creationtool="x"/>
            <tu><tuv lang="EN-gb"><seg>Colour</seg></tuv><tuv lang="sr@latin"><seg>Boja</seg></tuv></tu></tmx>"#;
        let (r, us) = units(doc).unwrap();
        assert_eq!(r.header.version, "1.1");
        assert_eq!(r.header.source_lang(), None);
        assert_eq!(us[0].variants[0].lang, "en-GB");
        assert_eq!(us[0].variants[1].lang, "sr-latin");
    }

    #[test]
    fn header_props_notes_and_empty_units() {
        let doc = r##"<?xml version="1.0"?><tmx version="1.4"><header srclang="en-us" segtype="sentence">
            <note>n</note><prop type="p">v</prop><ude name="u"><map unicode="#xE001"/></ude></header>
            <body><tu/><tu><prop type="x">y</prop></tu><tu><tuv xml:lang="en"><seg/></tuv></tu></body></tmx>"##;
        let (r, us) = units(doc).unwrap();
        assert_eq!(r.header.source_lang().as_deref(), Some("en-US"));
        assert_eq!(r.header.notes, ["n"]);
        assert_eq!(r.header.props, [("p".to_string(), "v".to_string())]);
        assert_eq!((r.tus, r.empty, us.len()), (3, 2, 1));
        assert_eq!(us[0].variants[0].text, "");
    }

    #[test]
    fn text_skips_codes_but_keeps_hi() {
        let doc = r#"<tmx><header/><body><tu><tuv xml:lang="en"><seg>A <hi type="b">bold</hi> <ph>&lt;x/&gt;<sub>alt</sub></ph>end</seg></tuv></tu></body></tmx>"#;
        let (_, us) = units(doc).unwrap();
        let v = &us[0].variants[0];
        assert_eq!(v.text, "A bold end");
        assert_eq!(
            v.markup.as_deref(),
            Some(r#"A <hi type="b">bold</hi> <ph>&lt;x/&gt;<sub>alt</sub></ph>end"#)
        );
    }

    #[test]
    fn wrong_root_and_missing_lang_are_errors() {
        let e = units("<xliff/>").unwrap_err().to_string();
        assert!(e.contains("root element is <xliff>"), "{e}");
        let e = units("<tmx><body><tu>\n<tuv><seg>x</seg></tuv></tu></body></tmx>")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("t.tmx:2 (byte 16): <tuv> without xml:lang"),
            "{e}"
        );
    }

    #[test]
    fn misplaced_elements_are_skipped_not_counted() {
        // Before: the inner <tu> emitted the outer unit half-read and the
        // outer one was counted as a second <tu>; a <tu> in <header> was
        // counted but never passed on.
        let doc = r#"<tmx><header><tu><tuv xml:lang="de"><seg>h</seg></tuv></tu></header><body>
            <tu><tuv xml:lang="en"><seg>a</seg></tuv><tu><tuv xml:lang="fr"><seg>x</seg></tuv></tu><tuv xml:lang="ru"><seg>б</seg></tuv></tu>
            <tuv xml:lang="it"><seg>stray</seg></tuv></body></tmx>"#;
        let (r, us) = units(doc).unwrap();
        assert_eq!((r.tus, r.empty, us.len()), (1, 0, 1));
        let langs: Vec<&str> = us[0].variants.iter().map(|v| v.lang.as_str()).collect();
        assert_eq!(langs, ["en", "ru"]);
        assert_eq!(us[0].variants[1].text, "б");
    }

    #[test]
    fn foreign_ctrl_placeholder_is_an_ordinary_code() {
        let doc = r#"<tmx><body><tu><tuv xml:lang="en"><seg>a<ph type="x-ctrl">{tab}</ph>b<ph type="x-ctrl">&amp;#x9;</ph></seg></tuv></tu></body></tmx>"#;
        let (_, us) = units(doc).unwrap();
        let v = &us[0].variants[0];
        assert_eq!(v.text, "ab\t");
        assert_eq!(
            v.markup.as_deref(),
            Some("a<ph type=\"x-ctrl\">{tab}</ph>b\t")
        );
    }
}
