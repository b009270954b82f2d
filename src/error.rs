//! The library's one error type.
//!
//! Every variant that comes from reading a file names the file and, where the
//! format has one, the position (line or byte offset), so that a user can go
//! straight to the problem. The binary maps every `Error` to exit code 2.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in a file an error was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Nothing more precise than the file itself.
    None,
    /// 1-based line number.
    Line(u64),
    /// 0-based byte offset.
    Offset(u64),
    /// 1-based line number and 0-based byte offset of the same place.
    LineOffset(u64, u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::None => Ok(()),
            Position::Line(l) => write!(f, ":{l}"),
            Position::Offset(o) => write!(f, ": byte {o}"),
            Position::LineOffset(l, o) => write!(f, ":{l} (byte {o})"),
        }
    }
}

/// Everything that can go wrong in the library.
///
/// Callers act on the variant (the binary maps them all to exit code 2, and
/// a server would map [`Error::Busy`] to "retry" and [`Error::NotFound`] to
/// 404), so store failures are sorted into the kinds a caller can act on; no
/// backend's own error type appears here.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A file's content is malformed (XML, CSV, SRX, dictionary, ...).
    #[error("{}{pos}: {msg}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// Where in it.
        pos: Position,
        /// What is wrong.
        msg: String,
    },
    /// A file is not in the encoding it claims (or UTF-8 when it claims none).
    #[error("{}{pos}: {msg}", path.display())]
    Encoding {
        /// The file.
        path: PathBuf,
        /// Where in it.
        pos: Position,
        /// What is wrong.
        msg: String,
    },
    /// An input file holds no text (nothing, a BOM, or only white space).
    #[error("{}: the file is empty (no text to read)", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// There is no memory where one was expected.
    #[error(
        "no memory at {} (create one with `transmem align --store` or `transmem import`)",
        path.display()
    )]
    NotFound {
        /// Where the memory was looked for.
        path: PathBuf,
    },
    /// The file exists but is not a transmem memory.
    #[error("{} is {what}, not a transmem memory", path.display())]
    NotAMemory {
        /// The file.
        path: PathBuf,
        /// What it is instead ("empty", "an SQLite database", ...).
        what: String,
    },
    /// The memory was written by a newer transmem.
    #[error(
        "memory {}: schema version {found} is newer than this transmem supports ({supported}); upgrade transmem",
        path.display()
    )]
    SchemaTooNew {
        /// The memory.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest this build reads.
        supported: i64,
    },
    /// The memory holds data this build cannot read (damaged file, rows
    /// written by something else).
    #[error("memory {} is damaged: {what}", path.display())]
    Corrupt {
        /// The memory.
        path: PathBuf,
        /// What was found.
        what: String,
    },
    /// Another process holds the memory's write lock for longer than the
    /// busy timeout. Nothing was written; trying again later can succeed.
    #[error(
        "memory {} is busy: another process is writing to it; try again when it has finished",
        path.display()
    )]
    Busy {
        /// The memory.
        path: PathBuf,
    },
    /// The memory's database server cannot be reached, or the connection to
    /// it was lost (a restart, a failover, an ended session). A read can be
    /// tried again; a write that fails with this stored nothing (the
    /// transaction was rolled back, or its lost COMMIT was looked up and not
    /// found), so it too can be sent again. A server answers 503.
    #[error("memory {}: the database is unavailable: {message}", path.display())]
    Unavailable {
        /// The memory.
        path: PathBuf,
        /// Why: the client's or the server's message.
        message: String,
    },
    /// A translation unit the store cannot hold (no variant, a language twice).
    #[error("invalid translation unit: {0}")]
    InvalidUnit(String),
    /// Any other failure of the memory's storage engine, with its message.
    #[error("memory {}: {message}", path.display())]
    Store {
        /// The memory.
        path: PathBuf,
        /// The storage engine's message.
        message: String,
    },
    /// A language tag that is not a BCP 47-like tag.
    #[error("invalid language tag {0:?} (expected something like en, en-US, ru-RU)")]
    Lang(String),
    /// An argument or combination of arguments that cannot work.
    #[error("{0}")]
    Invalid(String),
    /// The work was cancelled before it committed (a server's request that
    /// timed out or whose client left): nothing was stored.
    #[error("cancelled: the request timed out or its client left; nothing was stored")]
    Cancelled,
    /// A `transmem serve` could not be reached, or refused a request: its
    /// reason, with the HTTP status when it answered.
    #[error("server {url}: {message}")]
    Remote {
        /// The server, as given (any password redacted).
        url: String,
        /// The HTTP status, when the server answered.
        status: Option<u16>,
        /// What went wrong: the status line and the server's own reason,
        /// or why it could not be reached.
        message: String,
    },
}

/// The library's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An I/O error for `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// A parse error for `path` at `pos`.
    pub fn parse(path: impl AsRef<Path>, pos: Position, msg: impl Into<String>) -> Self {
        Error::Parse {
            path: path.as_ref().to_path_buf(),
            pos,
            msg: msg.into(),
        }
    }

    /// An encoding error for `path` at `pos`.
    pub fn encoding(path: impl AsRef<Path>, pos: Position, msg: impl Into<String>) -> Self {
        Error::Encoding {
            path: path.as_ref().to_path_buf(),
            pos,
            msg: msg.into(),
        }
    }

    /// True when the error is a closed pipe on output, which the binary
    /// treats as a quiet, successful end (like `head` closing early).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// True when the memory was busy: the same request may succeed later.
    pub fn is_busy(&self) -> bool {
        matches!(self, Error::Busy { .. })
    }

    /// True when the memory's database could not be reached or the
    /// connection was lost ([`Error::Unavailable`]): nothing was written,
    /// and the same request may succeed once the database is back.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::Unavailable { .. })
    }
}

/// Reads a whole text file: UTF-8, UTF-16 (with or without BOM) or a
/// legacy code page told by the detector (see
/// [`crate::formats::TextEncoding::Auto`]), naming the file, line and byte
/// of any bad byte.
pub fn read_text(path: impl AsRef<Path>) -> Result<String> {
    read_text_as(path, crate::formats::TextEncoding::Auto).map(|(s, _)| s)
}

/// [`read_text`] in a chosen encoding, saying which was used; an empty
/// file (or one of only a BOM) is [`Error::Empty`].
pub fn read_text_as(
    path: impl AsRef<Path>,
    encoding: crate::formats::TextEncoding,
) -> Result<(String, crate::formats::Decoding)> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let (text, how) = crate::formats::decode_text(path, bytes, encoding)?;
    if text.trim().is_empty() {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok((text, how))
}

/// Decodes UTF-8 (a leading BOM is dropped), naming the line and byte offset
/// of the first invalid sequence.
pub fn decode_utf8(path: impl AsRef<Path>, mut bytes: Vec<u8>) -> Result<String> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let off = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = 1 + bytes[..off].iter().filter(|&&b| b == b'\n').count() as u64;
        Error::encoding(
            path,
            Position::LineOffset(line, off as u64),
            "invalid UTF-8 (transmem reads text files as UTF-8)",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_error_names_line_and_offset() {
        let err = decode_utf8("x.txt", b"ok\nbad \xff here".to_vec()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.txt:2 (byte 7): invalid UTF-8 (transmem reads text files as UTF-8)"
        );
    }

    #[test]
    fn bom_is_dropped() {
        assert_eq!(decode_utf8("x", b"\xEF\xBB\xBFhi".to_vec()).unwrap(), "hi");
    }
}
