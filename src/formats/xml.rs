//! What the XML readers (TMX in `tmx/reader.rs`, XLIFF in `xliff_read.rs`)
//! read the same way, with the same refusals: entity and character
//! references, and attributes. Each reader puts its file and position on
//! the message.

use quick_xml::events::{BytesRef, BytesStart};

/// The character a general reference stands for: one of the five XML
/// entities (`&amp;` …) or a character reference (`&#x41;`, `&#65;`).
/// Any other entity is refused, never looked up: entities a DTD declares
/// are not fetched nor expanded, so an external entity reads no file and a
/// "billion laughs" document stops at its first reference.
pub(crate) fn reference(r: &BytesRef<'_>) -> Result<char, String> {
    match r.resolve_char_ref() {
        Ok(Some(c)) => Ok(c),
        Ok(None) => match &**r {
            "lt" => Ok('<'),
            "gt" => Ok('>'),
            "amp" => Ok('&'),
            "apos" => Ok('\''),
            "quot" => Ok('"'),
            other => Err(format!(
                "undeclared entity &{other}; (only the five XML entities and character \
                 references are read; DTD entities are never expanded)"
            )),
        },
        Err(e) => Err(format!("bad character reference &{};: {e}", &**r)),
    }
}

/// An element's attributes as (name, value), values normalised as XML 1.0
/// says (references resolved, white space folded).
pub(crate) fn attributes(e: &BytesStart<'_>) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| format!("malformed attribute: {err}"))?;
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| format!("bad attribute value: {err}"))?;
        out.push((a.key.as_ref().to_string(), value.into_owned()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(doc: &str) -> Vec<Result<char, String>> {
        let mut xml = quick_xml::Reader::from_str(doc);
        let mut out = Vec::new();
        loop {
            match xml.read_event().expect("well-formed") {
                quick_xml::events::Event::GeneralRef(r) => out.push(reference(&r)),
                quick_xml::events::Event::Eof => return out,
                _ => {}
            }
        }
    }

    #[test]
    fn only_the_five_entities_and_character_references_are_read() {
        let got = refs("<a>&lt;&gt;&amp;&apos;&quot;&#x41;&#66;&nbsp;&#xD800;</a>");
        let chars: Vec<char> = got.iter().filter_map(|r| r.clone().ok()).collect();
        assert_eq!(chars, ['<', '>', '&', '\'', '"', 'A', 'B']);
        let errors: Vec<&String> = got.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].starts_with("undeclared entity &nbsp;"),
            "{}",
            errors[0]
        );
        assert!(
            errors[1].starts_with("bad character reference &#xD800;"),
            "{}",
            errors[1]
        );
    }

    #[test]
    fn attribute_values_are_normalised_and_bad_ones_refused() {
        let mut xml =
            quick_xml::Reader::from_str("<a x=\"1 &amp;\t2\" y='&#x41;'/><b z=\"&bad;\"/>");
        let mut seen = Vec::new();
        loop {
            match xml.read_event().expect("well-formed") {
                quick_xml::events::Event::Empty(e) => seen.push(attributes(&e)),
                quick_xml::events::Event::Eof => break,
                _ => {}
            }
        }
        assert_eq!(
            seen[0].as_deref().unwrap(),
            [
                ("x".to_string(), "1 & 2".to_string()),
                ("y".into(), "A".into())
            ]
        );
        assert!(
            seen[1]
                .as_ref()
                .unwrap_err()
                .starts_with("bad attribute value")
        );
    }
}
