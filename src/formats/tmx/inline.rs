//! Inline codes on export: stored `<seg>` markup rewritten so that it is
//! valid against the TMX 1.4b DTD whatever tool it came from.
//!
//! Allowed elements keep only the attributes the DTD declares (`<ph id=..>`
//! becomes `<ph x=..>`); required attributes are supplied (`bpt`/`ept` `i`,
//! `it` `pos`, else `it` becomes `ph`); elements the DTD does not allow at a
//! place lose their tags but keep their text; a foreign empty placeholder
//! (`<x/>`, `<bx/>`) becomes `<ph/>`. Control characters in text become
//! `<ph type="x-ctrl">&amp;#xN;</ph>`, which the reader turns back.

use quick_xml::events::Event;

use super::reader::escape_into;
use super::{CTRL_PH_TYPE, maybe_forbidden, xml_forbidden};

/// Attributes the 1.4b DTD declares for each inline element.
fn allowed_attrs(name: &str) -> &'static [&'static str] {
    match name {
        "bpt" => &["i", "x", "type"],
        "ept" => &["i"],
        "it" => &["pos", "x", "type"],
        "ph" => &["x", "assoc", "type"],
        "hi" => &["x", "type"],
        "ut" => &["x"],
        "sub" => &["datatype", "type"],
        _ => &[],
    }
}

/// Elements allowed in text context (seg, hi, sub).
fn text_child(name: &str) -> bool {
    matches!(name, "bpt" | "ept" | "it" | "ph" | "hi" | "ut")
}

/// Elements whose content is code: only `sub` may appear inside.
fn is_code(name: &str) -> bool {
    matches!(name, "bpt" | "ept" | "it" | "ph" | "ut")
}

/// Appends seg text, escaping control characters as `x-ctrl` placeholders
/// (in text context) or failing (inside code, where no element may go).
pub(crate) fn push_text(out: &mut String, s: &str, code: bool) -> Result<(), char> {
    if !maybe_forbidden(s) {
        escape_into(out, s, false);
        return Ok(());
    }
    for c in s.chars() {
        if xml_forbidden(c) {
            if code {
                return Err(c);
            }
            out.push_str(&format!(
                "<ph type=\"{CTRL_PH_TYPE}\">&amp;#x{:X};</ph>",
                c as u32
            ));
        } else {
            let mut b = [0; 4];
            escape_into(out, c.encode_utf8(&mut b), false);
        }
    }
    Ok(())
}

/// Rewrites `markup` into `out` as DTD-valid seg content. `Err` when the
/// markup is not well-formed (the caller then writes the plain text) or
/// holds a control character inside a code.
pub(crate) fn sanitize(markup: &str, out: &mut String) -> Result<(), String> {
    let mut xml = quick_xml::Reader::from_str(markup);
    xml.config_mut().trim_text(false);
    // Output name of each open element (None: tags dropped) and whether its
    // content is code.
    let mut stack: Vec<(Option<&'static str>, bool)> = Vec::new();
    let mut auto_i = 0u32;
    let mut open_auto: Vec<u32> = Vec::new();
    loop {
        let ev = xml.read_event().map_err(|e| e.to_string())?;
        let code = stack.last().is_some_and(|(_, c)| *c);
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                let name = e.local_name().as_ref().to_ascii_lowercase();
                let mut attrs: Vec<(String, String)> = Vec::new();
                for a in e.attributes() {
                    let a = a.map_err(|e| e.to_string())?;
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| e.to_string())?;
                    attrs.push((a.key.as_ref().to_ascii_lowercase(), v.into_owned()));
                }
                let mut target: Option<&'static str> = match name.as_str() {
                    "bpt" => Some("bpt"),
                    "ept" => Some("ept"),
                    "it" => Some("it"),
                    "ph" => Some("ph"),
                    "hi" => Some("hi"),
                    "ut" => Some("ut"),
                    "sub" => Some("sub"),
                    // Foreign empty placeholders (XLIFF x/bx/ex and the like).
                    _ if empty => Some("ph"),
                    _ => None,
                };
                if target == Some("it")
                    && !attrs
                        .iter()
                        .any(|(k, v)| k == "pos" && (v == "begin" || v == "end"))
                {
                    target = Some("ph");
                }
                let fits = |t: &str| if code { t == "sub" } else { text_child(t) };
                let target = target.filter(|t| fits(t));
                if let Some(t) = target {
                    out.push('<');
                    out.push_str(t);
                    let allowed = allowed_attrs(t);
                    let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                    for &k in allowed {
                        let v = match (t, k) {
                            (_, "x") => get("x").or_else(|| get("id").filter(|v| !v.is_empty())),
                            ("bpt" | "ept", "i") => get("i")
                                .or_else(|| get("rid"))
                                .or_else(|| get("id"))
                                .or_else(|| {
                                    // Pair an unnumbered <ept> with the last open
                                    // unnumbered <bpt>.
                                    if t == "bpt" {
                                        auto_i += 1;
                                        open_auto.push(auto_i);
                                        Some(format!("auto{auto_i}"))
                                    } else {
                                        let n = open_auto.pop().unwrap_or_else(|| {
                                            auto_i += 1;
                                            auto_i
                                        });
                                        Some(format!("auto{n}"))
                                    }
                                }),
                            _ => get(k),
                        };
                        if let Some(v) = v {
                            if let Some(c) = v.chars().find(|c| xml_forbidden(*c)) {
                                return Err(format!(
                                    "control character U+{:04X} in an inline-code attribute",
                                    c as u32
                                ));
                            }
                            out.push(' ');
                            out.push_str(k);
                            out.push_str("=\"");
                            escape_into(out, &v, true);
                            out.push('"');
                        }
                    }
                    out.push_str(if empty { "/>" } else { ">" });
                }
                if !empty {
                    let inner_code = match target {
                        Some(t) => is_code(t),
                        None => code,
                    };
                    stack.push((target, inner_code));
                }
            }
            Event::End(_) => {
                if let Some((Some(t), _)) = stack.pop() {
                    out.push_str("</");
                    out.push_str(t);
                    out.push('>');
                }
            }
            Event::Text(t) => {
                push_text(out, &t.xml10_content(), code).map_err(|c| {
                    format!("control character U+{:04X} inside an inline code", c as u32)
                })?;
            }
            Event::CData(t) => {
                push_text(out, &t.xml10_content(), code).map_err(|c| {
                    format!("control character U+{:04X} inside an inline code", c as u32)
                })?;
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    _ => match &*r {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        other => return Err(format!("unknown entity &{other};")),
                    },
                };
                push_text(out, c.encode_utf8(&mut [0; 4]), code).map_err(|c| {
                    format!("control character U+{:04X} inside an inline code", c as u32)
                })?;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.is_empty() {
        Ok(())
    } else {
        Err("unclosed inline element".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(m: &str) -> String {
        let mut out = String::new();
        sanitize(m, &mut out).unwrap();
        out
    }

    #[test]
    fn foreign_attributes_are_mapped_or_dropped() {
        assert_eq!(
            clean(r#"a <ph id="1" foo="x">&lt;br/&gt;</ph> b"#),
            r#"a <ph x="1">&lt;br/&gt;</ph> b"#
        );
        assert_eq!(
            clean(r#"<bpt>&lt;b&gt;</bpt>x<ept>&lt;/b&gt;</ept>"#),
            r#"<bpt i="auto1">&lt;b&gt;</bpt>x<ept i="auto1">&lt;/b&gt;</ept>"#
        );
    }

    #[test]
    fn misplaced_and_unknown_elements_keep_their_text() {
        assert_eq!(
            clean("<g id=\"1\">bold</g> and <x id=\"2\"/>"),
            "bold and <ph x=\"2\"/>"
        );
        assert_eq!(clean("<ph><hi>code</hi></ph>"), "<ph>code</ph>");
        assert_eq!(clean("<it>x</it>"), "<ph>x</ph>");
    }

    #[test]
    fn control_characters_become_placeholders() {
        let mut out = String::new();
        push_text(&mut out, "a\u{1}b", false).unwrap();
        assert_eq!(out, "a<ph type=\"x-ctrl\">&amp;#x1;</ph>b");
        assert!(push_text(&mut String::new(), "\u{2}", true).is_err());
    }
}
