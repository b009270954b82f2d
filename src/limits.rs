//! Size limits on input, enforced while reading.
//!
//! Without them a hostile or broken file costs unbounded time and memory:
//! measured on main before these limits, a 200 MB segment made every later
//! lookup take 30 s and 5 GB, `/dev/zero` read as TSV grew without bound,
//! and `align` on a 10 MB single-line text ran for more than 600 s. Readers
//! check each limit as bytes arrive, before buffering past it, and refuse
//! the input with the file and line/byte of the offender.

/// Default longest segment (one TMX `<seg>`, prop or note; one CSV/TSV field;
/// one segment of a text to align): 64 KiB. Real segments are sentences or
/// short paragraphs: the longest `<seg>` in the 21 real TMX files of
/// ../shared is 1,023 bytes.
pub const SEGMENT: usize = 64 << 10;

/// Default longest line (a TSV line, a CSV record, a run of XML text or
/// markup without `<` or `>`, a line of a text to align): 1 MiB.
pub const LINE: usize = 1 << 20;

/// The limits in force. `Default` gives [`SEGMENT`] and [`LINE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest segment, in bytes of UTF-8.
    pub segment: usize,
    /// Longest line (or record, or run of text between markup), in bytes.
    pub line: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            segment: SEGMENT,
            line: LINE,
        }
    }
}

impl Limits {
    /// The message for a segment over the limit.
    pub fn segment_msg(&self, what: &str, len: usize) -> String {
        format!(
            "{what} is longer than the segment limit of {} bytes ({} bytes or more; raise it with TRANSMEM_MAX_SEGMENT)",
            self.segment, len
        )
    }

    /// The message for a line over the limit.
    pub fn line_msg(&self, what: &str) -> String {
        format!(
            "{what} is longer than the line limit of {} bytes (raise it with TRANSMEM_MAX_LINE)",
            self.line
        )
    }
}

/// Checks a text before it is segmented: no line longer than
/// `limits.line`. Errors name `path`, the line and its byte offset.
pub fn check_lines(text: &str, path: &std::path::Path, limits: &Limits) -> crate::Result<()> {
    let mut start = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if line.len() > limits.line {
            return Err(crate::Error::parse(
                path,
                crate::Position::LineOffset(i as u64 + 1, start as u64),
                limits.line_msg("the line"),
            ));
        }
        start += line.len();
    }
    Ok(())
}

/// Checks the segments of `text` (byte ranges, as the segmenter gives
/// them): none longer than `limits.segment`.
pub fn check_segments(
    text: &str,
    ranges: impl IntoIterator<Item = std::ops::Range<usize>>,
    path: &std::path::Path,
    limits: &Limits,
) -> crate::Result<()> {
    for r in ranges {
        if r.len() > limits.segment {
            let line = 1 + text.as_bytes()[..r.start.min(text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            return Err(crate::Error::parse(
                path,
                crate::Position::LineOffset(line, r.start as u64),
                limits.segment_msg("the segment", r.len()),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn lines_and_segments_over_the_limits_are_named() {
        let l = Limits {
            segment: 4,
            line: 8,
        };
        let p = Path::new("t.txt");
        assert!(check_lines("short\nlines\n", p, &l).is_ok());
        let e = check_lines("ok\n123456789\n", p, &l).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.txt:2 (byte 3): the line is longer than the line limit of 8 bytes (raise it with TRANSMEM_MAX_LINE)"
        );
        let text = "ab\ncdefgh";
        assert!(check_segments(text, [0..2, 3..7], p, &l).is_ok());
        let e = check_segments(text, [0..2, 3..9], p, &l).unwrap_err();
        assert!(
            e.to_string().starts_with(
                "t.txt:2 (byte 3): the segment is longer than the segment limit of 4 bytes (6 bytes"
            ),
            "{e}"
        );
    }
}
