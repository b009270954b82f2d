//! The library's one error type.
//!
//! Every variant that comes from reading a file names the file and, where the
//! format has one, the position (line or byte offset), so that a user can go
//! straight to the problem. The binary maps every `Error` to exit code 2.

use std::fmt;
use std::path::Path;

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
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A file's content is malformed (XML, CSV, SRX, dictionary, ...).
    #[error("{path}{pos}: {msg}")]
    Parse {
        path: String,
        pos: Position,
        msg: String,
    },
    /// A file is not in the encoding it claims (or UTF-8 when it claims none).
    #[error("{path}{pos}: {msg}")]
    Encoding {
        path: String,
        pos: Position,
        msg: String,
    },
    /// The memory database failed.
    #[error("memory {path}: {source}")]
    Store {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    /// The memory was written by a newer transmem.
    #[error(
        "memory {path}: schema version {found} is newer than this transmem supports ({supported}); upgrade transmem"
    )]
    SchemaTooNew {
        path: String,
        found: i64,
        supported: i64,
    },
    /// A language tag that is not a BCP 47-like tag.
    #[error("invalid language tag {0:?} (expected something like en, en-US, ru-RU)")]
    Lang(String),
    /// An argument or combination of arguments that cannot work.
    #[error("{0}")]
    Invalid(String),
}

/// The library's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An I/O error for `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    /// A parse error for `path` at `pos`.
    pub fn parse(path: impl AsRef<Path>, pos: Position, msg: impl Into<String>) -> Self {
        Error::Parse {
            path: path.as_ref().display().to_string(),
            pos,
            msg: msg.into(),
        }
    }

    /// An encoding error for `path` at `pos`.
    pub fn encoding(path: impl AsRef<Path>, pos: Position, msg: impl Into<String>) -> Self {
        Error::Encoding {
            path: path.as_ref().display().to_string(),
            pos,
            msg: msg.into(),
        }
    }

    /// True when the error is a closed pipe on output, which the binary
    /// treats as a quiet, successful end (like `head` closing early).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// Reads a whole text file as UTF-8, naming the file and line on bad bytes.
pub fn read_text(path: impl AsRef<Path>) -> Result<String> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    decode_utf8(path, bytes)
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
        assert_eq!(err.to_string(), "x.txt:2 (byte 7): invalid UTF-8 (transmem reads text files as UTF-8)");
    }

    #[test]
    fn bom_is_dropped() {
        assert_eq!(decode_utf8("x", b"\xEF\xBB\xBFhi".to_vec()).unwrap(), "hi");
    }
}
