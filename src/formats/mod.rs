//! Exchange formats: TMX 1.4b and CSV/TSV.
//!
//! Readers stream units to a callback and never hold a whole file; writers
//! take units one at a time. Both report errors with the file and position.

pub mod csv;
pub mod decode;
pub mod tmx;
pub mod xliff;

use std::path::Path;

/// A file format transmem exchanges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Tmx,
    Csv,
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
