//! Reading SRX 2.0 rule files (as written by OmegaT, Okapi and Trados).
//!
//! Only what segmentation needs is kept: the `cascade` header attribute, each
//! `<languagerule>`'s ordered `<rule break="yes|no">` list with its
//! `<beforebreak>`/`<afterbreak>` patterns, and the `<maprules>` that map
//! language patterns to rule names. Formatting-handling elements
//! (`<formathandle>`, `segmentsubflows`, ...) are accepted and ignored: the
//! segmenter works on plain text.

use std::path::Path;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::engine::RuleSource;
use crate::error::{Error, Position, Result};

/// A parsed SRX document.
#[derive(Debug, Clone, Default)]
pub(crate) struct Srx {
    /// With cascade, every language map that matches contributes its rules,
    /// in map order; without it only the first does.
    pub cascade: bool,
    /// Named rule lists, in file order.
    pub languagerules: Vec<(String, Vec<RuleSource>)>,
    /// `(languagepattern, languagerulename)` pairs, in file order.
    pub maps: Vec<(String, String)>,
    /// Byte offset of each rule (parallel to `languagerules`), for errors.
    offsets: Vec<Vec<u64>>,
}

impl Srx {
    /// Parses SRX text; errors name `path` and the line and byte offset.
    pub fn parse(xml: &str, path: &Path) -> Result<Srx> {
        let mut r = Reader::from_str(xml);
        let mut srx = Srx {
            cascade: false,
            ..Srx::default()
        };
        let perr = |off: u64, msg: String| Error::parse(path, position(xml, off), msg);
        // Parser state: which pattern element we are inside, and the rule
        // being built.
        let mut rule: Option<(RuleSource, u64)> = None;
        let mut field: Option<bool> = None; // Some(true) = beforebreak
        let mut saw_root = false;
        loop {
            let off = r.buffer_position();
            let ev = r
                .read_event()
                .map_err(|e| perr(r.error_position(), format!("malformed XML: {e}")))?;
            match ev {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let empty = matches!(ev, Event::Empty(_));
                    match e.local_name().into_inner() {
                        "srx" => saw_root = true,
                        "header" => {
                            if let Some(v) = attr(e, "cascade", xml, path, off)? {
                                srx.cascade = v.trim().eq_ignore_ascii_case("yes");
                            }
                        }
                        "languagerule" => {
                            let name =
                                attr(e, "languagerulename", xml, path, off)?.ok_or_else(|| {
                                    perr(off, "<languagerule> without languagerulename".into())
                                })?;
                            srx.languagerules.push((name, Vec::new()));
                            srx.offsets.push(Vec::new());
                        }
                        "rule" => {
                            if srx.languagerules.is_empty() {
                                return Err(perr(off, "<rule> outside <languagerule>".into()));
                            }
                            let brk =
                                match attr(e, "break", xml, path, off)?.as_deref().map(str::trim) {
                                    None | Some("yes") => true,
                                    Some("no") => false,
                                    Some(v) => {
                                        return Err(perr(
                                            off,
                                            format!("break=\"{v}\": expected yes or no"),
                                        ));
                                    }
                                };
                            let src = RuleSource {
                                brk,
                                before: String::new(),
                                after: String::new(),
                                locate: true,
                            };
                            if empty {
                                push_rule(&mut srx, src, off);
                            } else {
                                rule = Some((src, off));
                            }
                        }
                        "beforebreak" | "afterbreak" if rule.is_some() && !empty => {
                            field = Some(e.local_name().into_inner() == "beforebreak");
                        }
                        "languagemap" => {
                            let pat =
                                attr(e, "languagepattern", xml, path, off)?.ok_or_else(|| {
                                    perr(off, "<languagemap> without languagepattern".into())
                                })?;
                            let name =
                                attr(e, "languagerulename", xml, path, off)?.ok_or_else(|| {
                                    perr(off, "<languagemap> without languagerulename".into())
                                })?;
                            srx.maps.push((pat, name));
                        }
                        _ => {}
                    }
                }
                Event::Text(t) => {
                    if let (Some(f), Some((src, _))) = (field, rule.as_mut()) {
                        text_of(src, f).push_str(&t.xml10_content());
                    }
                }
                Event::CData(t) => {
                    if let (Some(f), Some((src, _))) = (field, rule.as_mut()) {
                        text_of(src, f).push_str(&t.xml10_content());
                    }
                }
                Event::GeneralRef(g) => {
                    if let (Some(f), Some((src, _))) = (field, rule.as_mut()) {
                        let c = match &*g {
                            "amp" => Some('&'),
                            "lt" => Some('<'),
                            "gt" => Some('>'),
                            "quot" => Some('"'),
                            "apos" => Some('\''),
                            _ => g.resolve_char_ref().ok().flatten(),
                        };
                        let c = c.ok_or_else(|| perr(off, format!("unknown entity &{};", &*g)))?;
                        text_of(src, f).push(c);
                    }
                }
                Event::End(e) => match e.local_name().into_inner() {
                    "beforebreak" | "afterbreak" => field = None,
                    "rule" => {
                        if let Some((src, at)) = rule.take() {
                            push_rule(&mut srx, src, at);
                        }
                    }
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
        }
        if !saw_root {
            return Err(perr(0, "not an SRX file (no <srx> element)".into()));
        }
        if srx.languagerules.is_empty() {
            return Err(perr(0, "no <languagerule> in the file".into()));
        }
        for (pat, name) in &srx.maps {
            if !srx.languagerules.iter().any(|(n, _)| n == name) {
                return Err(perr(
                    0,
                    format!(
                        "<languagemap languagepattern=\"{pat}\"> names unknown rule set {name:?}"
                    ),
                ));
            }
        }
        Ok(srx)
    }

    /// The rules for `lang`, following the maps (and cascade); with no map
    /// at all, every rule set in file order. Each rule comes with the byte
    /// offset of its `<rule>` element.
    pub fn rules_for(&self, lang: &str, path: &Path) -> Result<Vec<(RuleSource, u64)>> {
        let mut names: Vec<&str> = Vec::new();
        if self.maps.is_empty() {
            names.extend(self.languagerules.iter().map(|(n, _)| n.as_str()));
        }
        for (pat, name) in &self.maps {
            // SRX language patterns are Java regexes matched against the
            // whole code; codes are compared case-insensitively because
            // files write both "EN.*" and "en.*".
            let re = regex::Regex::new(&format!("(?i)^(?:{pat})$")).map_err(|e| {
                Error::parse(
                    path,
                    Position::None,
                    format!("languagepattern {pat:?}: {e}"),
                )
            })?;
            if re.is_match(lang) || re.is_match(&lang.replace('-', "_")) {
                names.push(name);
                if !self.cascade {
                    break;
                }
            }
        }
        let mut out = Vec::new();
        for name in names {
            for (i, (n, rules)) in self.languagerules.iter().enumerate() {
                if n == name {
                    out.extend(rules.iter().cloned().zip(self.offsets[i].iter().copied()));
                }
            }
        }
        Ok(out)
    }
}

fn push_rule(srx: &mut Srx, src: RuleSource, off: u64) {
    if let (Some(last), Some(offs)) = (srx.languagerules.last_mut(), srx.offsets.last_mut()) {
        last.1.push(src);
        offs.push(off);
    }
}

fn text_of(src: &mut RuleSource, before: bool) -> &mut String {
    if before {
        &mut src.before
    } else {
        &mut src.after
    }
}

/// An attribute's unescaped value.
fn attr(e: &BytesStart, name: &str, xml: &str, path: &Path, off: u64) -> Result<Option<String>> {
    for a in e.attributes() {
        let a = a.map_err(|err| {
            Error::parse(path, position(xml, off), format!("bad attribute: {err}"))
        })?;
        if a.key.local_name().into_inner() == name {
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| {
                    Error::parse(path, position(xml, off), format!("attribute {name}: {err}"))
                })?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

/// Line and byte offset of `off` in `xml`.
pub(crate) fn position(xml: &str, off: u64) -> Position {
    let o = (off as usize).min(xml.len());
    let line = 1 + xml.as_bytes()[..o].iter().filter(|&&b| b == b'\n').count() as u64;
    Position::LineOffset(line, off)
}
