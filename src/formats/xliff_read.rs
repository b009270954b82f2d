//! XLIFF 1.2 and 2.0 reader: the bilingual files CAT tools save (OmegaT,
//! memoQ `.mqxliff`, Trados `.sdlxliff`, Okapi/Rainbow), so a finished job
//! feeds the memory and `transmem merge` can rebuild the document.
//!
//! What each tool puts where:
//! - **Segments.** A `<trans-unit>` (1.2) is one segment, unless it has a
//!   `<seg-source>` whose `<mrk mtype="seg" mid="..">` split it (Okapi,
//!   Trados): then each `mrk` is a segment, paired with the target's `mrk`
//!   of the same `mid`. In 2.0 each `<segment>` of a `<unit>` is one.
//! - **State.** Trados: `<sdl:seg conf="..">` per segment; memoQ:
//!   `mq:status` on the trans-unit; XLIFF 1.2: `<target state="..">` and
//!   `approved="yes"`; 2.0: `<segment state="..">`. A non-empty target with
//!   no state at all counts as translated (OmegaT writes targets so).
//! - **Skipped.** `<alt-trans>` (matches offered, not the translation),
//!   memoQ's `<mq:minorversions>` history, `translate="no"` units, every
//!   other tool's own elements; inline codes (`<bpt>`, `<ph>`, `<x/>`, ...)
//!   are not text, while `<g>`, `<mrk>` and `<pc>` contents are.
//!
//! The file is read whole (XLIFF jobs are documents, not memories), through
//! the same decoding as TMX: UTF-8 with or without BOM, UTF-16, or the
//! declared code page; errors name the file and line (and byte offset for
//! UTF-8 files).

use std::io::Read;
use std::path::Path;

use quick_xml::events::{BytesStart, Event};

use crate::error::{Error, Position, Result};
use crate::formats::decode::utf8_stream;
use crate::model::{Unit, Variant};

/// How far a segment's translation has come, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum State {
    /// No translation, or one rejected by a reviewer.
    #[default]
    New,
    /// A draft (needs review, memoQ "edited", Trados "Draft").
    Draft,
    /// Translated (confirmed by the translator).
    Translated,
    /// Reviewed (signed off, approved, memoQ "proofread").
    Reviewed,
    /// Final.
    Final,
}

impl State {
    /// Parses a `--min-state` value: new, draft, translated, reviewed,
    /// final, or an XLIFF state as the file writes it
    /// (`needs-review-translation`, `needs-translation`, `signed-off`, ...).
    pub fn parse(s: &str) -> Option<State> {
        let s = s.trim().to_ascii_lowercase();
        match s.as_str() {
            "new" | "any" => Some(State::New),
            "draft" => Some(State::Draft),
            "translated" => Some(State::Translated),
            "reviewed" | "signed-off" | "approved" => Some(State::Reviewed),
            "final" => Some(State::Final),
            "initial" | "needs-translation" => Some(State::New),
            "needs-adaptation"
            | "needs-l10n"
            | "needs-review-adaptation"
            | "needs-review-l10n"
            | "needs-review-translation" => Some(State::Draft),
            _ => None,
        }
    }

    /// The name `--min-state` takes.
    pub fn name(self) -> &'static str {
        match self {
            State::New => "new",
            State::Draft => "draft",
            State::Translated => "translated",
            State::Reviewed => "reviewed",
            State::Final => "final",
        }
    }

    /// XLIFF 1.2 `state` and 2.0 `state` values.
    fn from_xliff(v: &str) -> State {
        match v {
            "new" | "initial" | "needs-translation" => State::New,
            "translated" => State::Translated,
            "signed-off" | "reviewed" => State::Reviewed,
            "final" => State::Final,
            // needs-adaptation, needs-l10n, needs-review-*, x-...
            _ => State::Draft,
        }
    }

    /// Trados `<sdl:seg conf="..">`.
    fn from_trados(v: &str) -> State {
        match v {
            "Translated" => State::Translated,
            "ApprovedTranslation" => State::Reviewed,
            "ApprovedSignOff" => State::Final,
            "Draft" => State::Draft,
            // Unspecified, RejectedTranslation, RejectedSignOff
            _ => State::New,
        }
    }

    /// memoQ `mq:status`.
    fn from_memoq(v: &str) -> State {
        match v {
            "ManuallyConfirmed" | "Confirmed" => State::Translated,
            "Reviewer1Confirmed" | "Proofread" => State::Reviewed,
            "Reviewer2Confirmed" => State::Final,
            "NotStarted" | "Rejected" => State::New,
            // Edited, PartiallyEdited, MachineTranslated, Pretranslated, ...
            _ => State::Draft,
        }
    }
}

/// One segment of a document, in document order.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// The trans-unit (1.2) or unit (2.0) id, with `#mid` for a `mrk`
    /// segment or `#segment-id` in 2.0.
    pub id: String,
    /// The paragraph it belongs to: the enclosing `<group>` of a 1.2
    /// trans-unit (else the trans-unit itself), the `<unit>` in 2.0.
    pub paragraph: String,
    /// Source text (inline codes dropped).
    pub source: String,
    /// Target text, if the file has a non-empty one.
    pub target: Option<String>,
    /// How far its translation has come.
    pub state: State,
}

/// One `<file>` of an XLIFF document.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    /// `original` (1.2) or `original`/`id` (2.0).
    pub original: String,
    /// Source language tag as written.
    pub source_lang: String,
    /// Target language tag as written.
    pub target_lang: String,
    /// Segments in document order.
    pub segments: Vec<Segment>,
}

/// Reads every `<file>` of the XLIFF document in `input` (named `path` in
/// messages).
pub fn read_documents(input: impl Read, path: &Path) -> Result<Vec<Document>> {
    let (mut stream, detected) = utf8_stream(input, true).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidData {
            // The transcoder's message holds the offset in the file.
            Error::encoding(path, Position::None, e.to_string())
        } else {
            Error::io(path, e)
        }
    })?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            return Err(Error::encoding(
                path,
                Position::LineOffset(line, at as u64 + detected.bom_len),
                "invalid UTF-8",
            ));
        }
    };
    let mut p = Parser {
        path,
        text: &text,
        bom: detected.bom_len,
        utf8: detected.is_utf8(),
        docs: Vec::new(),
        version2: false,
        saw_root: false,
        groups: Vec::new(),
        tu: None,
        skip: 0,
        stack: Vec::new(),
    };
    p.run()?;
    Ok(p.docs)
}

/// What [`read`] did with the segments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadReport {
    /// Segments in the file.
    pub segments: u64,
    /// Passed on as units.
    pub units: u64,
    /// With a translation, but below the minimum state.
    pub below_state: u64,
    /// Without a translation.
    pub untranslated: u64,
}

/// Reads the XLIFF document in `input` and calls `f` with one unit per
/// segment whose translation is non-empty and at `min_state` or better.
/// Each unit holds the source and target (tags canonicalised), the
/// neighbouring segments of the document on both sides as context, the
/// `<file original>` as origin and the segment id as tuid.
pub fn read(
    input: impl Read,
    path: &Path,
    min_state: State,
    mut f: impl FnMut(Unit) -> Result<()>,
) -> Result<ReadReport> {
    let docs = read_documents(input, path)?;
    let mut report = ReadReport::default();
    for d in &docs {
        let lang = |tag: &str, what: &str| -> Result<String> {
            if tag.is_empty() {
                return Err(Error::parse(
                    path,
                    Position::None,
                    format!(
                        "<file original=\"{}\"> names no {what} language",
                        d.original
                    ),
                ));
            }
            crate::lang::normalize_tag(&two_letter(tag)).map_err(|_| {
                Error::parse(
                    path,
                    Position::None,
                    format!("invalid {what} language tag {tag:?}"),
                )
            })
        };
        let segs = &d.segments;
        report.segments += segs.len() as u64;
        if segs.is_empty() {
            continue;
        }
        let (sl, tl) = (
            lang(&d.source_lang, "source")?,
            lang(&d.target_lang, "target")?,
        );
        for (i, s) in segs.iter().enumerate() {
            let Some(target) = &s.target else {
                report.untranslated += 1;
                continue;
            };
            if s.state < min_state {
                report.below_state += 1;
                continue;
            }
            let prev = i.checked_sub(1).map(|j| &segs[j]);
            let next = segs.get(i + 1);
            let mut src = Variant::new(sl.clone(), s.source.clone());
            src.prev = prev.map(|p| p.source.clone());
            src.next = next.map(|n| n.source.clone());
            let mut tgt = Variant::new(tl.clone(), target.clone());
            tgt.prev = prev.and_then(|p| p.target.clone());
            tgt.next = next.and_then(|n| n.target.clone());
            let mut unit = Unit::new(vec![src, tgt]);
            unit.origin = (!d.original.is_empty()).then(|| d.original.clone());
            unit.tuid = Some(s.id.clone());
            unit.props
                .push(("x-xliff-state".into(), s.state.name().into()));
            report.units += 1;
            f(unit)?;
        }
    }
    Ok(report)
}

/// memoQ writes ISO 639-2 codes (`eng`, `ger`, `rus-RU`); the memory keys
/// languages by their shortest tag, so the common ones become `en`, `de`,
/// `ru` (a lookup by `ru` must find them). Other tags pass unchanged.
fn two_letter(tag: &str) -> String {
    const MAP: &[(&str, &str)] = &[
        ("eng", "en"),
        ("rus", "ru"),
        ("ger", "de"),
        ("deu", "de"),
        ("fre", "fr"),
        ("fra", "fr"),
        ("spa", "es"),
        ("ita", "it"),
        ("por", "pt"),
        ("pol", "pl"),
        ("ukr", "uk"),
        ("chi", "zh"),
        ("zho", "zh"),
        ("jpn", "ja"),
        ("kor", "ko"),
        ("dut", "nl"),
        ("nld", "nl"),
        ("swe", "sv"),
        ("fin", "fi"),
        ("dan", "da"),
        ("nor", "no"),
        ("cze", "cs"),
        ("ces", "cs"),
        ("hun", "hu"),
        ("tur", "tr"),
        ("ara", "ar"),
        ("heb", "he"),
        ("gre", "el"),
        ("ell", "el"),
        ("bul", "bg"),
        ("rum", "ro"),
        ("ron", "ro"),
        ("slo", "sk"),
        ("slk", "sk"),
        ("slv", "sl"),
        ("hrv", "hr"),
        ("srp", "sr"),
        ("est", "et"),
        ("lav", "lv"),
        ("lit", "lt"),
    ];
    let (primary, rest) = match tag.split_once(['-', '_']) {
        Some((p, r)) => (p, Some(r)),
        None => (tag, None),
    };
    match MAP
        .iter()
        .find(|(three, _)| three.eq_ignore_ascii_case(primary))
    {
        Some((_, two)) => match rest {
            Some(r) => format!("{two}-{r}"),
            None => two.to_string(),
        },
        None => tag.to_string(),
    }
}

/// A translated document rebuilt by [`merge`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    /// The text: paragraphs separated by a blank line, ending in a newline.
    pub text: String,
    /// Paragraphs written.
    pub paragraphs: usize,
    /// Segments in the documents.
    pub segments: usize,
    /// Segments that kept their source: no target, or one below `min_state`.
    pub kept_source: usize,
    /// Of those, the ones with a target below `min_state`: drafts nobody
    /// confirmed (a fuzzy match from `pretranslate`, say).
    pub drafts_kept: usize,
    /// Segments whose target was written.
    pub translated: usize,
}

/// Rebuilds the translated text of `docs`: each segment's target (its
/// source when it has none, or one below `min_state`), the segments of a
/// paragraph joined by a space, paragraphs by a blank line, as
/// `transmem pretranslate` grouped them.
pub fn merge(docs: &[Document], min_state: State) -> Merged {
    let mut m = Merged::default();
    let mut paras: Vec<String> = Vec::new();
    for d in docs {
        let mut last: Option<&str> = None;
        for s in &d.segments {
            m.segments += 1;
            let text = match &s.target {
                Some(t) if s.state >= min_state => {
                    m.translated += 1;
                    t.as_str()
                }
                Some(_) => {
                    m.kept_source += 1;
                    m.drafts_kept += 1;
                    s.source.as_str()
                }
                None => {
                    m.kept_source += 1;
                    s.source.as_str()
                }
            };
            match (last, paras.last_mut()) {
                (Some(p), Some(cur)) if p == s.paragraph => {
                    if !cur.is_empty() && !text.is_empty() {
                        cur.push(' ');
                    }
                    cur.push_str(text);
                }
                _ => paras.push(text.to_string()),
            }
            last = Some(&s.paragraph);
        }
        // A new <file> always starts a new paragraph.
    }
    m.paragraphs = paras.len();
    m.text = paras.join("\n\n");
    if !m.text.is_empty() {
        m.text.push('\n');
    }
    m
}

/// Text being collected from a `<source>` or `<target>`.
#[derive(Debug, Default)]
struct Capture {
    whole: String,
    /// `mrk mtype="seg"` segments: (mid, text).
    segs: Vec<(String, String)>,
    /// Depth of open `mrk` seg (index into `segs`), if inside one.
    in_seg: Option<usize>,
    /// Element depth at which the seg `mrk` was opened.
    seg_depth: usize,
    /// Open inline code elements (their content is not text).
    code: usize,
    state: Option<String>,
}

/// The trans-unit (1.2) or unit (2.0) being read.
#[derive(Debug, Default)]
struct Tu {
    id: String,
    paragraph: String,
    translate: bool,
    approved: bool,
    memoq: Option<String>,
    source: Option<Capture>,
    seg_source: Option<Capture>,
    target: Option<Capture>,
    /// Trados `sdl:seg` id → conf.
    trados: Vec<(String, String)>,
    /// 2.0: finished segments (id, source, target, state).
    segments: Vec<(String, Capture, Option<Capture>, Option<String>)>,
    /// 2.0: the `<segment>` being read: id and state.
    segment: Option<(String, Option<String>)>,
    /// Which capture text goes to: 's' source, 'g' seg-source, 't' target.
    capturing: Option<char>,
    capture_depth: usize,
}

struct Parser<'a> {
    path: &'a Path,
    text: &'a str,
    bom: u64,
    utf8: bool,
    docs: Vec<Document>,
    version2: bool,
    saw_root: bool,
    /// Open `<group>` ids.
    groups: Vec<String>,
    tu: Option<Tu>,
    /// Depth inside a skipped element (0: not skipping).
    skip: usize,
    /// Open element names.
    stack: Vec<String>,
}

impl Parser<'_> {
    fn pos(&self, offset: u64) -> Position {
        let at = (offset as usize).min(self.text.len());
        let line = self.text.as_bytes()[..at]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64
            + 1;
        if self.utf8 {
            Position::LineOffset(line, offset + self.bom)
        } else {
            Position::Line(line)
        }
    }

    fn err(&self, offset: u64, msg: impl Into<String>) -> Error {
        Error::parse(self.path, self.pos(offset), msg)
    }

    fn run(&mut self) -> Result<()> {
        let mut xml = quick_xml::Reader::from_str(self.text);
        xml.config_mut().trim_text(false);
        loop {
            let start = xml.buffer_position();
            let ev = xml
                .read_event()
                .map_err(|e| self.err(xml.error_position(), format!("malformed XML: {e}")))?;
            match ev {
                Event::Start(e) => self.open(&e, start, false)?,
                Event::Empty(e) => self.open(&e, start, true)?,
                Event::End(e) => {
                    let name = e.name().as_ref().to_string();
                    self.close(&name, start)?;
                }
                Event::Text(t) => {
                    let s = t.xml10_content();
                    self.text(&s);
                }
                Event::CData(t) => {
                    let s = t.xml10_content();
                    self.text(&s);
                }
                Event::GeneralRef(r) => {
                    let c = super::xml::reference(&r).map_err(|m| self.err(start, m))?;
                    self.text(c.encode_utf8(&mut [0; 4]));
                }
                Event::Eof => {
                    if !self.saw_root {
                        return Err(self.err(start, "not an XLIFF document: no <xliff> element"));
                    }
                    if !self.stack.is_empty() {
                        return Err(
                            self.err(start, "unexpected end of file: the document is truncated")
                        );
                    }
                    return Ok(());
                }
                _ => {}
            }
        }
    }

    fn attrs(&self, e: &BytesStart, start: u64) -> Result<Vec<(String, String)>> {
        super::xml::attributes(e).map_err(|m| self.err(start, m))
    }

    fn open(&mut self, e: &BytesStart, start: u64, empty: bool) -> Result<()> {
        let name = e.name().as_ref().to_string();
        if self.skip > 0 {
            if !empty {
                self.skip += 1;
                self.stack.push(name);
            }
            return Ok(());
        }
        let attrs = self.attrs(e, start)?;
        let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let depth = self.stack.len();
        if !self.saw_root {
            if name != "xliff" && !name.ends_with(":xliff") {
                return Err(self.err(
                    start,
                    format!("not an XLIFF document: the root is <{name}>"),
                ));
            }
            self.saw_root = true;
            self.version2 = get("version").is_some_and(|v| v.starts_with('2'));
            if self.version2 {
                self.docs.push(Document {
                    source_lang: get("srcLang").unwrap_or("").into(),
                    target_lang: get("trgLang").unwrap_or("").into(),
                    ..Document::default()
                });
            }
        } else if let Some(tu) = self.tu.as_mut() {
            if let Some(which) = tu.capturing {
                let cap = match which {
                    's' => tu.source.as_mut(),
                    'g' => tu.seg_source.as_mut(),
                    _ => tu.target.as_mut(),
                };
                if let Some(cap) = cap {
                    inline_open(cap, &name, &attrs, depth, empty);
                }
            } else {
                self.open_in_unit(&name, &attrs, depth, empty);
            }
        } else {
            match name.as_str() {
                "file" => {
                    let original = get("original").or(get("id")).unwrap_or("").to_string();
                    if self.version2 {
                        let (sl, tl) = self
                            .docs
                            .first()
                            .map(|d| (d.source_lang.clone(), d.target_lang.clone()))
                            .unwrap_or_default();
                        // The root's languages hold for every <file>.
                        if self.docs.len() == 1
                            && self.docs[0].segments.is_empty()
                            && self.docs[0].original.is_empty()
                        {
                            self.docs[0].original = original;
                        } else {
                            self.docs.push(Document {
                                original,
                                source_lang: sl,
                                target_lang: tl,
                                segments: Vec::new(),
                            });
                        }
                    } else {
                        self.docs.push(Document {
                            original,
                            source_lang: get("source-language").unwrap_or("").into(),
                            target_lang: get("target-language").unwrap_or("").into(),
                            segments: Vec::new(),
                        });
                    }
                }
                "group" => {
                    self.groups.push(get("id").unwrap_or("").to_string());
                }
                "trans-unit" | "unit" => {
                    if self.docs.is_empty() {
                        return Err(self.err(start, format!("<{name}> outside any <file>")));
                    }
                    let id = get("id").unwrap_or("").to_string();
                    let paragraph = if name == "unit" {
                        id.clone()
                    } else {
                        self.groups
                            .last()
                            .filter(|g| !g.is_empty())
                            .cloned()
                            .unwrap_or_else(|| id.clone())
                    };
                    self.tu = Some(Tu {
                        id,
                        paragraph,
                        translate: get("translate") != Some("no"),
                        approved: get("approved") == Some("yes"),
                        memoq: get("mq:status").map(str::to_string),
                        ..Tu::default()
                    });
                    if empty {
                        self.finish_tu();
                    }
                }
                "xliff" | "body" => {}
                // <header>, <skeleton>, notes, metadata, other tools' elements.
                _ => {
                    if !empty {
                        self.skip = 1;
                    }
                }
            }
        }
        if !empty {
            self.stack.push(name);
        } else if name == "group" {
            self.groups.pop();
        }
        Ok(())
    }

    /// An element directly inside a trans-unit / unit (not in its text).
    fn open_in_unit(&mut self, name: &str, attrs: &[(String, String)], depth: usize, empty: bool) {
        let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let Some(tu) = self.tu.as_mut() else { return };
        let which = match name {
            "source" => Some('s'),
            "seg-source" => Some('g'),
            "target" => Some('t'),
            _ => None,
        };
        if let Some(w) = which {
            if !empty {
                let cap = Capture {
                    state: get("state"),
                    ..Capture::default()
                };
                match w {
                    's' => tu.source = Some(cap),
                    'g' => tu.seg_source = Some(cap),
                    _ => tu.target = Some(cap),
                }
                tu.capturing = Some(w);
                tu.capture_depth = depth;
            }
            return;
        }
        match name {
            // 2.0
            "segment" => {
                tu.segment = Some((get("id").unwrap_or_default(), get("state")));
                tu.source = None;
                tu.target = None;
            }
            "sdl:seg-defs" => {}
            "sdl:seg" => {
                // No `conf`: Trados's "Unspecified" (not translated).
                if let Some(id) = get("id") {
                    tu.trados.push((id, get("conf").unwrap_or_default()));
                }
                if !empty {
                    self.skip = 1;
                }
            }
            // <ignorable> (2.0 white space between segments), <alt-trans>,
            // <note>, memoQ history, everything else.
            _ => {
                if !empty {
                    self.skip = 1;
                }
            }
        }
    }

    fn close(&mut self, name: &str, start: u64) -> Result<()> {
        if self.stack.pop().as_deref() != Some(name) {
            return Err(self.err(start, format!("unexpected </{name}>")));
        }
        if self.skip > 0 {
            self.skip -= 1;
            return Ok(());
        }
        let depth = self.stack.len();
        if let Some(tu) = self.tu.as_mut() {
            if let Some(which) = tu.capturing {
                if depth == tu.capture_depth {
                    tu.capturing = None;
                    return Ok(());
                }
                let cap = match which {
                    's' => tu.source.as_mut(),
                    'g' => tu.seg_source.as_mut(),
                    _ => tu.target.as_mut(),
                };
                if let Some(cap) = cap {
                    inline_close(cap, name, depth);
                }
                return Ok(());
            }
            if name == "segment" {
                if let Some((id, state)) = tu.segment.take() {
                    let src = tu.source.take().unwrap_or_default();
                    let tgt = tu.target.take();
                    tu.segments.push((id, src, tgt, state));
                }
                return Ok(());
            }
            if name == "trans-unit" || name == "unit" {
                self.finish_tu();
            }
            return Ok(());
        }
        if name == "group" {
            self.groups.pop();
        }
        Ok(())
    }

    fn text(&mut self, s: &str) {
        if self.skip > 0 {
            return;
        }
        let Some(tu) = self.tu.as_mut() else { return };
        let cap = match tu.capturing {
            Some('s') => tu.source.as_mut(),
            Some('g') => tu.seg_source.as_mut(),
            Some(_) => tu.target.as_mut(),
            None => None,
        };
        if let Some(cap) = cap
            && cap.code == 0
        {
            cap.whole.push_str(s);
            if let Some(i) = cap.in_seg {
                cap.segs[i].1.push_str(s);
            }
        }
    }

    /// Turns the finished trans-unit / unit into segments.
    fn finish_tu(&mut self) {
        let Some(tu) = self.tu.take() else { return };
        let Some(doc) = self.docs.last_mut() else {
            return;
        };
        if !tu.translate {
            return;
        }
        let clean = |s: &str| -> String { s.trim().to_string() };
        let nonempty = |s: String| (!s.is_empty()).then_some(s);
        let base_state = |target_state: Option<&str>, has_target: bool| -> State {
            let mut st = match (&tu.memoq, target_state) {
                (Some(m), _) => State::from_memoq(m),
                (None, Some(s)) => State::from_xliff(s),
                (None, None) if has_target => State::Translated,
                (None, None) => State::New,
            };
            if tu.approved && has_target {
                st = st.max(State::Reviewed);
            }
            st
        };
        // A target with no state anywhere that only repeats the source is
        // what Okapi's extraction writes before anyone translates: not a
        // translation.
        let copy = |implicit: bool, source: &str, target: &Option<String>, st: State| {
            if implicit && target.as_deref() == Some(source) {
                State::New
            } else {
                st
            }
        };
        if self.version2 {
            for (sid, src, tgt, state) in tu.segments {
                let source = clean(&src.whole);
                if source.is_empty() {
                    // Only codes or white space: nothing to translate.
                    continue;
                }
                let target = tgt.map(|t| clean(&t.whole)).and_then(nonempty);
                let implicit = state.is_none();
                let st = match (state.as_deref(), target.is_some()) {
                    (_, false) => State::New,
                    // 2.0 has no draft state: a target still "initial"
                    // is one (machine or unconfirmed translation).
                    (Some("initial"), true) => State::Draft,
                    (Some(s), true) => State::from_xliff(s),
                    (None, true) => State::Translated,
                };
                let st = copy(implicit, &source, &target, st);
                doc.segments.push(Segment {
                    id: if sid.is_empty() {
                        tu.id.clone()
                    } else {
                        format!("{}#{sid}", tu.id)
                    },
                    paragraph: tu.paragraph.clone(),
                    source,
                    target,
                    state: st,
                });
            }
            return;
        }
        let target_state = tu.target.as_ref().and_then(|t| t.state.clone());
        let implicit = tu.memoq.is_none() && target_state.is_none() && !tu.approved;
        match tu.seg_source.as_ref().filter(|g| !g.segs.is_empty()) {
            Some(g) => {
                for (mid, text) in &g.segs {
                    let source = clean(text);
                    if source.is_empty() {
                        continue;
                    }
                    let target = tu
                        .target
                        .as_ref()
                        .and_then(|t| t.segs.iter().find(|(m, _)| m == mid))
                        .map(|(_, t)| clean(t))
                        .and_then(nonempty);
                    let trados = tu.trados.iter().find(|(id, _)| id == mid);
                    let st = match trados {
                        _ if target.is_none() => State::New,
                        Some((_, conf)) => State::from_trados(conf),
                        None => base_state(target_state.as_deref(), true),
                    };
                    let st = copy(implicit && trados.is_none(), &source, &target, st);
                    doc.segments.push(Segment {
                        id: format!("{}#{mid}", tu.id),
                        paragraph: tu.paragraph.clone(),
                        source,
                        target,
                        state: st,
                    });
                }
            }
            None => {
                let source = tu
                    .source
                    .as_ref()
                    .map(|s| clean(&s.whole))
                    .unwrap_or_default();
                let target = tu
                    .target
                    .as_ref()
                    .map(|t| clean(&t.whole))
                    .and_then(nonempty);
                let st = if target.is_none() {
                    State::New
                } else if let Some((_, conf)) = tu.trados.first() {
                    State::from_trados(conf)
                } else {
                    base_state(target_state.as_deref(), true)
                };
                if source.is_empty() {
                    return;
                }
                let st = copy(implicit && tu.trados.is_empty(), &source, &target, st);
                doc.segments.push(Segment {
                    id: tu.id.clone(),
                    paragraph: tu.paragraph.clone(),
                    source,
                    target,
                    state: st,
                });
            }
        }
    }
}

/// Inline elements whose content is native code, not text (1.2 and 2.0).
fn is_code(name: &str) -> bool {
    matches!(name, "bpt" | "ept" | "it" | "ph" | "sub" | "originalData")
}

fn inline_open(
    cap: &mut Capture,
    name: &str,
    attrs: &[(String, String)],
    depth: usize,
    empty: bool,
) {
    let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if name == "cp" {
        // 2.0: a character XML cannot hold, by code point.
        if let Some(c) = get("hex")
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .and_then(char::from_u32)
            && cap.code == 0
        {
            cap.whole.push(c);
            if let Some(i) = cap.in_seg {
                cap.segs[i].1.push(c);
            }
        }
        return;
    }
    if empty {
        return;
    }
    if name == "mrk" && get("mtype") == Some("seg") && cap.in_seg.is_none() {
        cap.segs
            .push((get("mid").unwrap_or("").to_string(), String::new()));
        cap.in_seg = Some(cap.segs.len() - 1);
        cap.seg_depth = depth;
    } else if is_code(name) || name.contains(':') {
        cap.code += 1;
    }
}

fn inline_close(cap: &mut Capture, name: &str, depth: usize) {
    if name == "mrk" && cap.in_seg.is_some() && depth == cap.seg_depth {
        cap.in_seg = None;
    } else if (is_code(name) || name.contains(':')) && cap.code > 0 {
        cap.code -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(x: &str) -> Vec<Document> {
        read_documents(x.as_bytes(), Path::new("t.xlf")).unwrap()
    }

    #[test]
    fn codes_are_not_text_and_alternatives_are_skipped() {
        let d = docs(
            r#"<xliff version="1.2"><file original="a" source-language="en" target-language="ru"><body>
            <trans-unit id="1"><source>Press <bpt id="1">&lt;b&gt;</bpt>Start<ept id="1">&lt;/b&gt;</ept> now.</source>
            <target state="translated">Нажмите <g id="2">Пуск</g>.</target>
            <alt-trans><source>Other</source><target>Другое</target></alt-trans></trans-unit>
            </body></file></xliff>"#,
        );
        let s = &d[0].segments;
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].source, "Press Start now.");
        assert_eq!(s[0].target.as_deref(), Some("Нажмите Пуск."));
        assert_eq!(s[0].state, State::Translated);
    }

    #[test]
    fn malformed_input_names_the_line() {
        let e = read_documents(
            "<xliff version=\"1.2\">\n<file>\n<body>\n</file></xliff>".as_bytes(),
            Path::new("bad.xlf"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("bad.xlf:4"), "{e}");
        let e = read_documents("<tmx/>".as_bytes(), Path::new("x.xlf"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not an XLIFF document"), "{e}");
        let e = read_documents(
            &b"<xliff version=\"1.2\">\xff</xliff>"[..],
            Path::new("u.xlf"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("u.xlf:1 (byte 21)") && e.contains("UTF-8"),
            "{e}"
        );
        let e = read_documents(
            "<xliff version=\"1.2\"><file>".as_bytes(),
            Path::new("t.xlf"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("truncated"), "{e}");
    }

    #[test]
    fn okapi_extraction_copies_and_code_only_segments_are_not_translations() {
        let d = docs(
            r#"<xliff version="1.2"><file original="d.xml" source-language="en" target-language="fr"><body>
            <trans-unit id="tu1"><source><x id="1"/></source>
            <seg-source><mrk mid="0" mtype="seg"><x id="1"/></mrk></seg-source>
            <target><mrk mid="0" mtype="seg"><x id="1"/></mrk></target></trans-unit>
            <trans-unit id="tu2"><source>One. Two.</source>
            <seg-source><mrk mid="0" mtype="seg">One.</mrk> <mrk mid="1" mtype="seg">Two.</mrk></seg-source>
            <target><mrk mid="0" mtype="seg">One.</mrk> <mrk mid="1" mtype="seg">Deux.</mrk></target></trans-unit>
            <trans-unit id="tu3"><source>Paris</source><target state="translated">Paris</target></trans-unit>
            </body></file></xliff>"#,
        );
        let s: Vec<(&str, State)> = d[0]
            .segments
            .iter()
            .map(|s| (s.id.as_str(), s.state))
            .collect();
        assert_eq!(
            s,
            [
                ("tu2#0", State::New),
                ("tu2#1", State::Translated),
                ("tu3", State::Translated)
            ]
        );
    }

    #[test]
    fn states_order() {
        assert!(State::New < State::Draft && State::Draft < State::Translated);
        assert_eq!(State::parse("Translated"), Some(State::Translated));
        assert_eq!(State::parse("done"), None);
    }
}
