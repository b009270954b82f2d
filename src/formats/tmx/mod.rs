//! TMX 1.1–1.4b: a streaming reader and a streaming, DTD-valid writer.
//!
//! How TMX maps onto [`Unit`](crate::model::Unit) (see `docs/formats.md`):
//! - `<tu>` attributes `tuid`, `creationdate`, `creationid`, `changedate`,
//!   `changeid`, `usagecount` become unit fields; every other `<tu>`
//!   attribute is kept in `attrs`.
//! - `<prop>`/`<note>` of `<tu>` and `<tuv>` are kept in order. transmem's own
//!   metadata travels as props: `x-origin` (unit origin), `x-context-prev` /
//!   `x-context-next` (a variant's neighbours). A prop whose type starts with
//!   `@` carries an attribute the 1.4b DTD does not allow where it was found.
//! - `<tuv>` attributes other than the language are kept as variant props
//!   `@name`, so that an export can put them back.
//! - `<seg>`: `text` is the plain text (outside inline codes, plus `<hi>`
//!   content); `markup` is the inner XML when the segment had inline codes.
//! - Two `<tuv>` of one language: the first is the variant, later ones are
//!   kept as its `x-alt` props (plain text), because the memory holds one
//!   variant per language and the unit count must match the file.

mod inline;
mod reader;
mod writer;

pub use reader::{ReadReport, read, read_units, read_units_as, read_units_with};
pub use writer::Writer;

/// Prop type carrying a unit's origin.
pub(crate) const PROP_ORIGIN: &str = "x-origin";
/// Prop type carrying a variant's previous segment.
pub(crate) const PROP_PREV: &str = "x-context-prev";
/// Prop type carrying a variant's next segment.
pub(crate) const PROP_NEXT: &str = "x-context-next";
/// Prop type for a further `<tuv>` in the same language.
pub(crate) const PROP_ALT: &str = "x-alt";
/// `<ph type=..>` that stands for a control character XML cannot hold.
pub(crate) const CTRL_PH_TYPE: &str = "x-ctrl";

/// The TMX `<header>`. Empty fields take transmem's defaults on writing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Header {
    /// `srclang` of the header: a tag, or `*all*`.
    pub srclang: String,
    /// `adminlang`: the language of notes and props.
    pub adminlang: String,
    /// `creationtool`: the program that wrote the file.
    pub creationtool: String,
    /// `creationtoolversion`: that program's version.
    pub creationtoolversion: String,
    /// `block`, `paragraph`, `sentence` or `phrase`.
    pub segtype: String,
    /// `o-tmf`: the original translation-memory format.
    pub o_tmf: String,
    /// `datatype` of the text (`plaintext`, `html`, …).
    pub datatype: String,
    /// `o-encoding`: the original encoding of the text.
    pub o_encoding: String,
    /// `creationdate`, TMX style (`20240529T120000Z`).
    pub creationdate: String,
    /// `creationid`: who created the file.
    pub creationid: String,
    /// `changedate`, TMX style.
    pub changedate: String,
    /// `changeid`: who last changed the file.
    pub changeid: String,
    /// The `version` of `<tmx>` as read (the writer always writes 1.4).
    pub version: String,
    /// Header `<prop>`s.
    pub props: Vec<(String, String)>,
    /// Header `<note>`s.
    pub notes: Vec<String>,
}

impl Header {
    /// The header's source language, canonical, unless it is `*all*` or not
    /// a tag at all.
    pub fn source_lang(&self) -> Option<String> {
        let s = self.srclang.trim();
        if s.is_empty() || s.eq_ignore_ascii_case("*all*") || s.eq_ignore_ascii_case("all") {
            return None;
        }
        reader::lenient_tag(s)
    }
}

/// True when `s` may hold a character XML 1.0 cannot (a quick byte scan:
/// C0 controls other than tab/LF/CR, and the lead byte of U+FFFE/U+FFFF).
pub(crate) fn maybe_forbidden(s: &str) -> bool {
    s.bytes()
        .any(|b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xEF)
}

/// True for characters XML 1.0 cannot hold in any form.
pub(crate) fn xml_forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
}
