//! Streaming TMX 1.4b writer: one `<tu>` at a time, valid against the
//! official DTD (`xmllint --dtdvalid tmx14.dtd`).

use std::io::Write;

use super::inline::{push_text, sanitize};
use super::reader::escape_into;
use super::{Header, PROP_NEXT, PROP_ORIGIN, PROP_PREV, maybe_forbidden, xml_forbidden};
use crate::error::{Error, Result};
use crate::model::Unit;

/// `<tu>` attributes the DTD declares (besides the ones units carry as fields).
const TU_ATTRS: &[&str] = &[
    "o-encoding",
    "datatype",
    "lastusagedate",
    "creationtool",
    "creationtoolversion",
    "segtype",
    "o-tmf",
    "srclang",
];
/// `<tuv>` attributes the DTD declares besides `xml:lang`.
const TUV_ATTRS: &[&str] = &[
    "o-encoding",
    "datatype",
    "usagecount",
    "lastusagedate",
    "creationtool",
    "creationtoolversion",
    "creationdate",
    "creationid",
    "changedate",
    "o-tmf",
    "changeid",
];
const SEGTYPES: &[&str] = &["block", "paragraph", "sentence", "phrase"];

/// Streams units into a TMX document.
pub struct Writer<W: Write> {
    out: W,
    buf: String,
    units: u64,
}

fn or<'a>(v: &'a str, default: &'a str) -> &'a str {
    if v.trim().is_empty() { default } else { v }
}

/// Fails on characters XML cannot hold, naming where they were.
fn check(what: &str, s: &str) -> Result<()> {
    if !maybe_forbidden(s) {
        return Ok(());
    }
    match s.chars().find(|c| xml_forbidden(*c)) {
        Some(c) => Err(Error::Invalid(format!(
            "TMX export: {what} holds control character U+{:04X}, which XML 1.0 cannot represent",
            c as u32
        ))),
        None => Ok(()),
    }
}

fn attr(out: &mut String, k: &str, v: &str) -> Result<()> {
    check(&format!("attribute {k}"), v)?;
    out.push(' ');
    out.push_str(k);
    out.push_str("=\"");
    escape_into(out, v, true);
    out.push('"');
    Ok(())
}

/// `s` with every character XML cannot hold replaced by U+FFFD.
fn xml_safe(s: &str) -> std::borrow::Cow<'_, str> {
    if super::maybe_forbidden(s) && s.chars().any(super::xml_forbidden) {
        s.chars()
            .map(|c| {
                if super::xml_forbidden(c) {
                    '\u{FFFD}'
                } else {
                    c
                }
            })
            .collect::<String>()
            .into()
    } else {
        s.into()
    }
}

fn element(
    out: &mut String,
    indent: &str,
    name: &str,
    prop_type: Option<&str>,
    text: &str,
) -> Result<()> {
    check(&format!("<{name}>"), text)?;
    out.push_str(indent);
    out.push('<');
    out.push_str(name);
    if let Some(t) = prop_type {
        attr(out, "type", t)?;
    }
    out.push('>');
    escape_into(out, text, false);
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
    Ok(())
}

impl<W: Write> Writer<W> {
    /// Starts a document: declaration, DOCTYPE and `<header>`.
    pub fn new(mut out: W, header: &Header) -> Result<Self> {
        let mut s = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE tmx SYSTEM \"tmx14.dtd\">\n<tmx version=\"1.4\">\n<header",
        );
        let version = env!("CARGO_PKG_VERSION");
        let segtype = Some(header.segtype.as_str())
            .filter(|s| SEGTYPES.contains(s))
            .unwrap_or("sentence");
        attr(&mut s, "creationtool", or(&header.creationtool, "transmem"))?;
        attr(
            &mut s,
            "creationtoolversion",
            or(&header.creationtoolversion, version),
        )?;
        attr(&mut s, "segtype", segtype)?;
        attr(&mut s, "o-tmf", or(&header.o_tmf, "transmem"))?;
        attr(&mut s, "adminlang", or(&header.adminlang, "en"))?;
        attr(&mut s, "srclang", or(&header.srclang, "*all*"))?;
        attr(&mut s, "datatype", or(&header.datatype, "plaintext"))?;
        for (k, v) in [
            ("o-encoding", &header.o_encoding),
            ("creationdate", &header.creationdate),
            ("creationid", &header.creationid),
            ("changedate", &header.changedate),
            ("changeid", &header.changeid),
        ] {
            if !v.is_empty() {
                attr(&mut s, k, v)?;
            }
        }
        if header.props.is_empty() && header.notes.is_empty() {
            s.push_str("/>\n");
        } else {
            s.push_str(">\n");
            for n in &header.notes {
                element(&mut s, "  ", "note", None, n)?;
            }
            for (t, v) in &header.props {
                element(&mut s, "  ", "prop", Some(t), v)?;
            }
            s.push_str("</header>\n");
        }
        s.push_str("<body>\n");
        out.write_all(s.as_bytes())
            .map_err(|e| Error::io("<TMX output>", e))?;
        Ok(Writer {
            out,
            buf: String::with_capacity(4096),
            units: 0,
        })
    }

    /// Writes one unit as a `<tu>`.
    pub fn write_unit(&mut self, unit: &Unit) -> Result<()> {
        if unit.variants.is_empty() {
            return Err(Error::Invalid(
                "TMX export: a <tu> needs at least one variant".into(),
            ));
        }
        let mut s = std::mem::take(&mut self.buf);
        s.clear();
        let r = Self::render(&mut s, unit);
        if r.is_ok() {
            self.units += 1;
            self.out
                .write_all(s.as_bytes())
                .map_err(|e| Error::io("<TMX output>", e))?;
        }
        self.buf = s;
        r.map_err(|e| match (e, &unit.id) {
            (Error::Invalid(m), Some(id)) => Error::Invalid(format!("unit {id}: {m}")),
            (e, _) => e,
        })
    }

    fn render(s: &mut String, unit: &Unit) -> Result<()> {
        s.push_str("<tu");
        let mut written: Vec<&str> = Vec::new();
        for (k, v) in [
            ("tuid", &unit.tuid),
            ("creationdate", &unit.created),
            ("creationid", &unit.creator),
            ("changedate", &unit.changed),
            ("changeid", &unit.changer),
        ] {
            if let Some(v) = v {
                attr(s, k, v)?;
                written.push(k);
            }
        }
        if let Some(n) = unit.usage_count {
            attr(s, "usagecount", &n.to_string())?;
            written.push("usagecount");
        }
        // Attributes the DTD allows here go back as attributes; the rest
        // (and repeats) travel as `@name` props.
        let mut extra: Vec<(String, &str)> = Vec::new();
        for (k, v) in &unit.attrs {
            let ok = TU_ATTRS.contains(&k.as_str())
                && !written.contains(&k.as_str())
                && (k != "segtype" || SEGTYPES.contains(&v.as_str()));
            if ok {
                attr(s, k, v)?;
                written.push(k);
            } else {
                extra.push((format!("@{k}"), v));
            }
        }
        s.push_str(">\n");
        for n in &unit.notes {
            element(s, "  ", "note", None, n)?;
        }
        if let Some(o) = &unit.origin {
            element(s, "  ", "prop", Some(PROP_ORIGIN), o)?;
        }
        for (t, v) in &unit.props {
            element(s, "  ", "prop", Some(t), v)?;
        }
        for (t, v) in &extra {
            element(s, "  ", "prop", Some(t), v)?;
        }
        for v in &unit.variants {
            s.push_str("  <tuv");
            attr(s, "xml:lang", &v.lang)?;
            let mut tuv_written: Vec<&str> = Vec::new();
            let mut tuv_extra: Vec<(&str, &str)> = Vec::new();
            for (k, val) in &v.props {
                match k.strip_prefix('@') {
                    Some(name) if TUV_ATTRS.contains(&name) && !tuv_written.contains(&name) => {
                        attr(s, name, val)?;
                        tuv_written.push(name);
                    }
                    _ => tuv_extra.push((k, val)),
                }
            }
            s.push_str(">\n");
            for n in &v.notes {
                element(s, "    ", "note", None, n)?;
            }
            // The context is a neighbour's text, which may hold a control
            // character (its own <seg> carries it as a placeholder); a
            // <prop> holds text alone, so there it becomes U+FFFD rather
            // than failing the export: the context match is then lost for
            // that one segment, nothing else.
            if let Some(p) = &v.prev {
                element(s, "    ", "prop", Some(PROP_PREV), &xml_safe(p))?;
            }
            if let Some(n) = &v.next {
                element(s, "    ", "prop", Some(PROP_NEXT), &xml_safe(n))?;
            }
            for (t, val) in &tuv_extra {
                element(s, "    ", "prop", Some(t), val)?;
            }
            s.push_str("    <seg>");
            let mark = s.len();
            let mut done = false;
            if let Some(m) = &v.markup {
                done = sanitize(m, s).is_ok();
                if !done {
                    s.truncate(mark);
                }
            }
            if !done {
                push_text(s, &v.text, false).map_err(|c| {
                    Error::Invalid(format!(
                        "TMX export: control character U+{:04X} in text",
                        c as u32
                    ))
                })?;
            }
            s.push_str("</seg>\n  </tuv>\n");
        }
        s.push_str("</tu>\n");
        Ok(())
    }

    /// Units written so far.
    pub fn units(&self) -> u64 {
        self.units
    }

    /// Ends the document and returns the output.
    pub fn finish(mut self) -> Result<W> {
        self.out
            .write_all(b"</body>\n</tmx>\n")
            .and_then(|_| self.out.flush())
            .map_err(|e| Error::io("<TMX output>", e))?;
        Ok(self.out)
    }
}
