//! A self-contained HTML page for reviewing an alignment.
//!
//! Both texts side by side, one table row per link, the row coloured by the
//! link's confidence; segments left unlinked (1:0, 0:1) get a marked empty
//! cell on the other side. Inline CSS only: no scripts, fonts or network.

use std::io::{self, Write};

use super::Link;
use crate::formats::escape_xml as escape;

/// Confidence band of a link: CSS class and legend label.
fn band(c: f64) -> &'static str {
    if c >= 0.9 {
        "hi"
    } else if c >= 0.5 {
        "mid"
    } else {
        "lo"
    }
}

const STYLE: &str = "body{font-family:sans-serif;margin:1em;color:#222}\
table{border-collapse:collapse;width:100%;table-layout:fixed}\
td,th{border:1px solid #ccc;padding:4px 6px;vertical-align:top}\
td.n{width:5em;font-size:80%;color:#555;text-align:right}\
tr.hi td.t{background:#e3f6e3}tr.mid td.t{background:#fff4cc}tr.lo td.t{background:#fbdcdc}\
td.gap{background:repeating-linear-gradient(45deg,#f4f4f4,#f4f4f4 6px,#e6e6e6 6px,#e6e6e6 12px)!important}\
span.s{display:block}span.s+span.s{border-top:1px dashed #aaa;margin-top:2px;padding-top:2px}\
.legend span{padding:2px 8px;margin-right:6px}";

/// Writes the page for `links` over the segment texts of both sides.
pub fn write(
    out: &mut impl Write,
    links: &[Link],
    src: &[&str],
    tgt: &[&str],
    langs: (&str, &str),
    title: &str,
) -> io::Result<()> {
    let count = |lo: f64, hi: f64| {
        links
            .iter()
            .filter(|l| l.confidence >= lo && l.confidence < hi)
            .count()
    };
    writeln!(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">")?;
    writeln!(
        out,
        "<title>{}</title><style>{STYLE}</style></head><body>",
        escape(title)
    )?;
    writeln!(out, "<h1>{}</h1>", escape(title))?;
    writeln!(
        out,
        "<p class=\"legend\">{} links: <span style=\"background:#e3f6e3\">confidence &ge; 0.9: {}</span>\
         <span style=\"background:#fff4cc\">0.5&ndash;0.9: {}</span><span style=\"background:#fbdcdc\">&lt; 0.5: {}</span>\
         unlinked segments have a striped cell opposite.</p>",
        links.len(),
        count(0.9, f64::INFINITY),
        count(0.5, 0.9),
        count(f64::NEG_INFINITY, 0.5)
    )?;
    writeln!(
        out,
        "<table><tr><th class=\"n\">#</th><th>{}</th><th>{}</th><th class=\"n\">conf.</th></tr>",
        escape(langs.0),
        escape(langs.1)
    )?;
    let cell = |ids: &[usize], texts: &[&str]| -> String {
        if ids.is_empty() {
            return "<td class=\"t gap\"></td>".into();
        }
        let inner: String = ids
            .iter()
            .map(|&i| {
                let t = texts.get(i).copied().unwrap_or("");
                format!(
                    "<span class=\"s\" title=\"segment {}\">{}</span>",
                    i + 1,
                    escape(t)
                )
            })
            .collect();
        format!("<td class=\"t\">{inner}</td>")
    };
    for (k, l) in links.iter().enumerate() {
        writeln!(
            out,
            "<tr class=\"{}\"><td class=\"n\">{}<br>{}:{}</td>{}{}<td class=\"n\">{:.2}</td></tr>",
            band(l.confidence),
            k + 1,
            l.src.len(),
            l.tgt.len(),
            cell(&l.src, src),
            cell(&l.tgt, tgt),
            l.confidence
        )?;
    }
    writeln!(out, "</table></body></html>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_is_escaped_self_contained_and_marks_gaps() {
        let links = vec![
            Link {
                src: vec![0],
                tgt: vec![0],
                confidence: 0.95,
            },
            Link {
                src: vec![1],
                tgt: vec![],
                confidence: 0.3,
            },
            Link {
                src: vec![],
                tgt: vec![1],
                confidence: 0.6,
            },
        ];
        let mut buf = Vec::new();
        write(
            &mut buf,
            &links,
            &["a < b & c", "dropped"],
            &["а < б", "added"],
            ("en", "ru"),
            "t",
        )
        .expect("write");
        let page = String::from_utf8(buf).expect("utf-8");
        assert!(page.contains("a &lt; b &amp; c"));
        assert!(!page.contains("a < b"));
        assert_eq!(page.matches("class=\"t gap\"").count(), 2);
        assert!(
            page.contains("<tr class=\"hi\">")
                && page.contains("<tr class=\"lo\">")
                && page.contains("<tr class=\"mid\">")
        );
        for external in ["<script", "<link", "http://", "https://", "@import", "url("] {
            assert!(!page.contains(external), "{external}");
        }
    }
}
