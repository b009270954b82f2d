//! XLIFF 1.2 output for pre-translated drafts.
//!
//! One `<trans-unit>` per segment; a memory match fills `<target>` (state
//! `translated` for 100% and context matches, `needs-review-translation`
//! for fuzzy ones) and is also given as `<alt-trans match-quality="..">`, the
//! form OmegaT, Trados and memoQ read as a TM match. `<alt-trans>` shows the
//! memory unit as stored (its source and target); a draft with the query's
//! numbers and names substituted goes in `<target>` only, so a reviewer can
//! always see what the memory really said.

use std::io::Write;

use super::escape_xml as escape;

/// One segment of the draft.
#[derive(Debug, Clone)]
pub struct DraftUnit<'a> {
    /// The source segment to translate.
    pub source: &'a str,
    /// The suggested translation (the match's target, with placeables
    /// substituted where possible), if any match reached the threshold.
    pub target: Option<&'a str>,
    /// Match score in percent (101 for a context match).
    pub score: Option<f64>,
    /// The matched memory source (may differ from `source` for fuzzy matches).
    pub match_source: Option<&'a str>,
    /// The matched memory target, as stored (before any substitution).
    pub match_target: Option<&'a str>,
    /// The unit's origin in the memory.
    pub origin: Option<&'a str>,
}

/// Writes a whole XLIFF 1.2 document with one `<file>`.
pub fn write<W: Write>(
    out: &mut W,
    original: &str,
    source_lang: &str,
    target_lang: &str,
    units: &[DraftUnit],
) -> std::io::Result<()> {
    write_inner(out, original, source_lang, target_lang, units, None)
}

/// Like [`write()`], keeping the document's paragraphs: `paragraphs[i]` is
/// the paragraph number of `units[i]`, and each paragraph becomes one
/// `<group restype="x-paragraph">`, which CAT tools carry through and
/// `transmem merge` reads to rebuild the text paragraph by paragraph.
pub fn write_paragraphs<W: Write>(
    out: &mut W,
    original: &str,
    source_lang: &str,
    target_lang: &str,
    units: &[DraftUnit],
    paragraphs: &[usize],
) -> std::io::Result<()> {
    write_inner(
        out,
        original,
        source_lang,
        target_lang,
        units,
        Some(paragraphs),
    )
}

fn write_inner<W: Write>(
    out: &mut W,
    original: &str,
    source_lang: &str,
    target_lang: &str,
    units: &[DraftUnit],
    paragraphs: Option<&[usize]>,
) -> std::io::Result<()> {
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">"#
    )?;
    writeln!(
        out,
        r#"  <file original="{}" source-language="{}" target-language="{}" datatype="plaintext" tool-id="transmem">"#,
        escape(original),
        escape(source_lang),
        escape(target_lang)
    )?;
    writeln!(
        out,
        r#"    <header><tool tool-id="transmem" tool-name="transmem" tool-version="{}"/></header>"#,
        env!("CARGO_PKG_VERSION")
    )?;
    writeln!(out, "    <body>")?;
    let mut open_para: Option<usize> = None;
    for (i, u) in units.iter().enumerate() {
        if let Some(p) = paragraphs.and_then(|ps| ps.get(i)).copied()
            && open_para != Some(p)
        {
            if open_para.is_some() {
                writeln!(out, "      </group>")?;
            }
            writeln!(
                out,
                r#"      <group id="p{}" restype="x-paragraph">"#,
                p + 1
            )?;
            open_para = Some(p);
        }
        writeln!(
            out,
            r#"      <trans-unit id="{}" xml:space="preserve">"#,
            i + 1
        )?;
        writeln!(
            out,
            "        <source xml:lang=\"{}\">{}</source>",
            escape(source_lang),
            escape(u.source)
        )?;
        if let (Some(t), Some(score)) = (u.target, u.score) {
            let state = if score >= 100.0 {
                "translated"
            } else {
                "needs-review-translation"
            };
            writeln!(
                out,
                "        <target xml:lang=\"{}\" state=\"{state}\">{}</target>",
                escape(target_lang),
                escape(t)
            )?;
            let origin = u
                .origin
                .map(|o| format!(r#" origin="{}""#, escape(o)))
                .unwrap_or_default();
            writeln!(
                out,
                r#"        <alt-trans match-quality="{score}"{origin}>"#
            )?;
            writeln!(
                out,
                "          <source xml:lang=\"{}\">{}</source>",
                escape(source_lang),
                escape(u.match_source.unwrap_or(u.source))
            )?;
            writeln!(
                out,
                "          <target xml:lang=\"{}\">{}</target>",
                escape(target_lang),
                escape(u.match_target.unwrap_or(t))
            )?;
            writeln!(out, "        </alt-trans>")?;
        }
        writeln!(out, "      </trans-unit>")?;
    }
    if open_para.is_some() {
        writeln!(out, "      </group>")?;
    }
    writeln!(out, "    </body>\n  </file>\n</xliff>")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_forbidden_characters() {
        assert_eq!(
            escape("a<b & \"c\"\u{1}'"),
            "a&lt;b &amp; &quot;c&quot;\u{FFFD}&#39;"
        );
    }

    #[test]
    fn writes_states_and_alt_trans() {
        let units = [
            DraftUnit {
                source: "One.",
                target: Some("Один."),
                score: Some(100.0),
                match_source: Some("One."),
                match_target: Some("Один."),
                origin: Some("a.txt"),
            },
            DraftUnit {
                source: "Two <b>.",
                target: Some("Два 2."),
                score: Some(87.5),
                match_source: Some("Two 1."),
                match_target: Some("Два 1."),
                origin: None,
            },
            DraftUnit {
                source: "Three.",
                target: None,
                score: None,
                match_source: None,
                match_target: None,
                origin: None,
            },
        ];
        let mut buf = Vec::new();
        write(&mut buf, "x.txt", "en", "ru", &units).unwrap();
        let x = String::from_utf8(buf).unwrap();
        assert!(x.contains(r#"state="translated">Один.</target>"#), "{x}");
        assert!(x.contains(r#"state="needs-review-translation">Два 2.</target>"#));
        // The alternative is the memory unit as stored, not the draft.
        assert!(x.contains("<source xml:lang=\"en\">Two 1.</source>"), "{x}");
        assert!(x.contains("<target xml:lang=\"ru\">Два 1.</target>"), "{x}");
        assert!(x.contains(r#"<alt-trans match-quality="87.5">"#));
        assert!(x.contains("Two &lt;b&gt;."));
        assert_eq!(x.matches("<trans-unit ").count(), 3);
        assert_eq!(x.matches("<target ").count(), 4);
    }
}
