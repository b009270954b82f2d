//! TMX reading and writing (placeholder until the formats work lands).

use std::io::{Read, Write};
use std::path::Path;

use crate::error::{Error, Result};
use crate::memory::Unit;

/// Header fields a TMX writer needs.
#[derive(Debug, Clone, Default)]
pub struct Header {
    /// `srclang` of the header: a tag, or `*all*`.
    pub srclang: String,
}

/// Reads the TMX document in `reader`, calling `f` for each unit.
pub fn read<R: Read>(_reader: R, path: &Path, _f: impl FnMut(Unit) -> Result<()>) -> Result<()> {
    Err(Error::Invalid(format!("{}: TMX import is not built yet", path.display())))
}

/// Streams units into a TMX document.
pub struct Writer<W: Write> {
    out: W,
}

impl<W: Write> Writer<W> {
    /// Starts a document.
    pub fn new(out: W, _header: &Header) -> Result<Self> {
        Ok(Writer { out })
    }
    /// Writes one unit.
    pub fn write_unit(&mut self, _unit: &Unit) -> Result<()> {
        Err(Error::Invalid("TMX export is not built yet".into()))
    }
    /// Ends the document.
    pub fn finish(self) -> Result<W> {
        Ok(self.out)
    }
}
