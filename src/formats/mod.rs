//! Exchange formats: TMX 1.4b and CSV/TSV.
//!
//! Readers stream units to a callback and never hold a whole file; writers
//! take units one at a time. Both report errors with the file and position.

pub mod csv;
pub mod tmx;
pub mod xliff;
