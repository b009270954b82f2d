//! Exchange formats: TMX 1.4b and CSV/TSV.
//!
//! Readers stream units to a callback and never hold a whole file; writers
//! take units one at a time. Both report errors with the file and position.

pub mod csv;
mod decode;
pub mod tmx;
pub mod xliff;
pub mod xliff_read;
mod xml;

pub use decode::{Decoding, How, TextEncoding, decode_text, text_stream};

use std::path::Path;

/// Escapes text for XML (and HTML) content and attribute values: `& < > " '`
/// become references, and characters XML 1.0 forbids (C0 controls other than
/// tab, LF and CR; U+FFFE, U+FFFF) become U+FFFD, so the document is always
/// well-formed. The TMX writer has its own escaper, which keeps such
/// characters as inline codes instead.
pub(crate) fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A file format transmem exchanges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// TMX 1.4 (XML).
    Tmx,
    /// Comma-separated values, a header row naming each column.
    Csv,
    /// Tab-separated values, a header row naming each column.
    Tsv,
}

impl Format {
    /// The format named `s` (`tmx`, `csv`, `tsv`, any case).
    pub fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "tmx" | "xml" => Some(Format::Tmx),
            "csv" => Some(Format::Csv),
            "tsv" | "tab" | "txt" => Some(Format::Tsv),
            _ => None,
        }
    }

    /// The format a file name's extension says, if it says one.
    pub fn from_path(path: &Path) -> Option<Format> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(Format::parse)
    }
}
