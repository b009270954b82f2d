//! transmem: a translation-memory library.
//!
//! Text flows through the modules in this order: [`segment`] splits raw text
//! into sentences, [`align`] pairs the sentences of a bilingual article,
//! [`memory`] stores the pairs as multilingual translation units, [`matcher`]
//! finds fuzzy matches for new text, and [`formats`] reads and writes TMX and
//! CSV/TSV. [`normalize`] is the one place that decides which differences
//! matching ignores. The binary in `src/main.rs` is a thin shell over this.

pub mod align;
pub mod analysis;
pub mod error;
pub mod formats;
pub mod lang;
pub mod limits;
pub mod matcher;
pub mod memory;
pub mod normalize;
pub mod segment;

pub use error::{Error, Position, Result};
