//! transmem: a translation-memory library.
//!
//! Text flows through it in this order: [`Segmenter`] splits raw text into
//! sentences, [`align()`] pairs the sentences of a bilingual article, a
//! [`Memory`] stores the pairs as multilingual translation [`Unit`]s,
//! [`Matcher`] finds fuzzy matches for new text, and [`import()`] /
//! [`export()`] exchange TMX, CSV and TSV. The `transmem` binary is a thin
//! shell over this; build with `default-features = false` to leave out what
//! only it needs (clap, indicatif, anyhow).
//!
//! # Segment a text
//!
//! ```
//! let text = "Mr. Smith arrived at 9 a.m. on Monday. The meeting began.";
//! let seg = transmem::Segmenter::for_lang("en");
//! let sentences: Vec<&str> = seg.split(text).into_iter().map(|r| &text[r]).collect();
//! assert_eq!(sentences, ["Mr. Smith arrived at 9 a.m. on Monday.", "The meeting began."]);
//! ```
//!
//! # Align a pair, and store it
//!
//! ```
//! use transmem::{AlignOptions, Memory, OnDuplicate, Segment, Unit};
//!
//! let en = ["The port is closed.", "Ships wait outside."];
//! let ru = ["Порт закрыт.", "Суда ждут снаружи."];
//! let side = |texts: &[&'static str]| -> Vec<Segment<'static>> {
//!     texts.iter().map(|t| Segment { text: t, para: 0 }).collect()
//! };
//! let opts = AlignOptions { src_lang: "en".into(), tgt_lang: "ru".into(), ..Default::default() };
//! let links = transmem::align(&side(&en), &side(&ru), &opts);
//! assert_eq!(links.len(), 2);
//! let units = transmem::to_units(&links, &en, &ru, ("en", "ru"), 0.0, &Unit::default());
//!
//! let mut memory = Memory::in_memory()?;
//! let mut w = memory.writer()?;
//! for u in &units {
//!     w.insert(u, Some("en"), OnDuplicate::KeepBoth)?;
//! }
//! w.commit()?;
//! assert_eq!(memory.unit_count()?, 2);
//! # Ok::<(), transmem::Error>(())
//! ```
//!
//! # Import a TMX and look a sentence up
//!
//! ```
//! use std::path::Path;
//! use transmem::{Format, ImportOptions, MatchOptions, Matcher, Memory, Query};
//!
//! let tmx = r#"<?xml version="1.0" encoding="UTF-8"?>
//! <tmx version="1.4"><header srclang="en" creationtool="doc" creationtoolversion="1"
//!   segtype="sentence" o-tmf="x" adminlang="en" datatype="plaintext"/>
//! <body><tu><tuv xml:lang="en"><seg>The harbour is closed today.</seg></tuv>
//!           <tuv xml:lang="ru"><seg>Гавань сегодня закрыта.</seg></tuv></tu></body></tmx>"#;
//! let mut memory = Memory::in_memory()?;
//! let mut w = memory.writer()?;
//! let counts = transmem::import(&mut w, tmx.as_bytes(), Path::new("doc.tmx"), Format::Tmx,
//!                               &ImportOptions::default())?;
//! w.commit()?;
//! assert_eq!(counts.new, 1);
//!
//! let matcher = Matcher::load(&memory, "en", "ru")?;
//! let found = matcher.lookup(&Query { text: "The harbour is closed tomorrow.", ..Query::default() },
//!                            &MatchOptions::default())?;
//! assert_eq!(found[0].target, "Гавань сегодня закрыта.");
//! assert!(found[0].score > 70.0 && found[0].score < 100.0);
//! # Ok::<(), transmem::Error>(())
//! ```
//!
//! # Export
//!
//! ```
//! use transmem::{ExportOptions, Format, Memory, OnDuplicate, Unit, Variant};
//!
//! let mut memory = Memory::in_memory()?;
//! let mut w = memory.writer()?;
//! w.insert(&Unit::new(vec![Variant::new("en", "Yes."), Variant::new("ru", "Да.")]),
//!          None, OnDuplicate::KeepBoth)?;
//! w.commit()?;
//! let tsv = transmem::export(&memory, Format::Tsv, &ExportOptions::default(), Vec::new(), || {})?;
//! assert_eq!(String::from_utf8(tsv).unwrap(), "en\tru\nYes.\tДа.\n");
//! # Ok::<(), transmem::Error>(())
//! ```
//!
//! # Stability
//!
//! The items re-exported at the crate root, and the store's modules
//! ([`memory`], [`model`], [`error`], [`lang`], [`import`](mod@import),
//! [`export`](mod@export)), are the library's interface. The other public
//! modules serve the `transmem` binary, the tests and the benchmarks; their
//! implementation (the aligner's dynamic programme and anchors, the
//! segmenter's engine, the scorer, the formats' decoding) sits in private
//! submodules, and only the items those users need are re-exported.
#![deny(missing_docs)]

pub mod align;
pub mod analysis;
pub mod dedupe;
pub mod error;
pub mod export;
pub mod formats;
pub mod import;
pub mod lang;
pub mod limits;
pub mod matcher;
pub mod memory;
pub mod model;
pub mod normalize;
mod numbers;
#[cfg(feature = "remote")]
pub mod remote;
pub mod script;
pub mod segment;
#[cfg(feature = "server")]
pub mod server;
pub mod tm;

pub use align::{Link, Options as AlignOptions, Segment, align, to_units};
pub use error::{Error, Position, Result};
pub use export::{Options as ExportOptions, export};
pub use formats::Format;
pub use import::{Counts as ImportCounts, Options as ImportOptions, import};
pub use lang::{LangTag, normalize_tag};
pub use matcher::{Match, Matcher, Options as MatchOptions, Query};
pub use memory::{
    Backend, Found, Inserted, Memory, OnDuplicate, Pair, Since, Stamp, Stats, Token, WriteTx,
    Writer,
};
pub use model::{Unit, Variant};
pub use segment::{Piece, Segmenter, document};
