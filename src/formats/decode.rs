//! Byte-stream decoding in front of the parsers.
//!
//! Exchange files arrive as UTF-8 (with or without BOM), UTF-16 LE/BE (with
//! or without BOM) or a legacy code page named in the XML declaration. UTF-8
//! passes through untouched, so that parser offsets are file offsets; every
//! other encoding is transcoded to UTF-8 on the fly, chunk by chunk, and a
//! malformed sequence stops reading with the byte offset *in the original
//! file* — never a silent U+FFFD.

use std::io::{self, BufRead, BufReader, Read};

use encoding_rs::{DecoderResult, Encoding, UTF_8, UTF_16BE, UTF_16LE};

/// How the input was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Detected {
    /// The encoding the bytes are in.
    pub encoding: &'static Encoding,
    /// Length of the byte order mark that was skipped (0 when none).
    pub bom_len: u64,
}

impl Detected {
    /// True when the parser sees the file's own bytes (offsets are exact).
    pub fn is_utf8(&self) -> bool {
        self.encoding == UTF_8
    }
}

/// Bytes looked at to find a BOM and the XML declaration.
const SNIFF: usize = 1024;

/// Recognises the encoding of `inner` and returns a UTF-8 stream of its
/// content (BOM removed). `xml` enables the `<?xml encoding=".."?>` check.
pub(crate) fn utf8_stream<'a, R: Read + 'a>(
    mut inner: R,
    xml: bool,
) -> io::Result<(Box<dyn BufRead + 'a>, Detected)> {
    let mut head = Vec::with_capacity(SNIFF);
    (&mut inner).take(SNIFF as u64).read_to_end(&mut head)?;
    let (encoding, bom_len) = sniff(&head, xml)?;
    let rest = io::Cursor::new(head.split_off(bom_len)).chain(inner);
    let detected = Detected {
        encoding,
        bom_len: bom_len as u64,
    };
    let stream: Box<dyn BufRead + 'a> = if encoding == UTF_8 {
        Box::new(BufReader::with_capacity(64 * 1024, rest))
    } else {
        Box::new(BufReader::with_capacity(
            64 * 1024,
            Transcoder::new(rest, encoding, bom_len as u64),
        ))
    };
    Ok((stream, detected))
}

/// BOM first, then UTF-16 without BOM by the shape of `<?` or by its NUL
/// bytes, then the XML declaration's `encoding` for ASCII-compatible input;
/// a declared encoding transmem cannot decode is an error, never UTF-8.
fn sniff(head: &[u8], xml: bool) -> io::Result<(&'static Encoding, usize)> {
    if let Some((enc, len)) = Encoding::for_bom(head) {
        return Ok((enc, len));
    }
    match head {
        [0x3C, 0x00, b, 0x00, ..] if *b != 0 => return Ok((UTF_16LE, 0)),
        [0x00, 0x3C, 0x00, b, ..] if *b != 0 => return Ok((UTF_16BE, 0)),
        _ => {}
    }
    if let Some(enc) = utf16_by_nuls(head) {
        return Ok((enc, 0));
    }
    if xml && let Some(label) = declared_encoding(head) {
        match Encoding::for_label(label.as_bytes()) {
            // A declaration saying UTF-16 on single-byte text is a lie some
            // tools tell after re-saving; the bytes win.
            Some(enc) if enc == UTF_16LE || enc == UTF_16BE => {}
            // encoding_rs maps some labels (ISO-2022-KR, HZ, ...) to the
            // "replacement" encoding, which decodes everything to U+FFFD.
            Some(enc) if enc != encoding_rs::REPLACEMENT => return Ok((enc.output_encoding(), 0)),
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "the XML declaration names encoding {label:?}, which transmem cannot read (UTF-8, UTF-16 and the WHATWG encodings such as windows-1252, ISO-8859-x, Shift_JIS are read)"
                    ),
                ));
            }
        }
    }
    Ok((UTF_8, 0))
}

/// UTF-16 without a BOM, told by its NUL bytes: text in UTF-8 (or any
/// single-byte encoding) holds no NUL, while UTF-16 has one in every ASCII
/// character (tabs, line ends and digits even in Cyrillic text), all on the
/// same side of each byte pair. At least two such NULs and almost none on
/// the other side, so that a stray U+0000 or a file of zeros is not taken
/// for UTF-16.
fn utf16_by_nuls(head: &[u8]) -> Option<&'static Encoding> {
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in head.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    let pairs = head.len() / 2;
    let clear = |many: usize, few: usize| many >= 2 && many * 16 >= pairs && few * 8 <= many;
    if clear(odd, even) {
        Some(UTF_16LE)
    } else if clear(even, odd) {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// The `encoding` pseudo-attribute of a leading `<?xml ...?>`, if any.
fn declared_encoding(head: &[u8]) -> Option<String> {
    let start = head.iter().position(|&b| !b.is_ascii_whitespace())?;
    let rest = &head[start..];
    if !rest.starts_with(b"<?xml") {
        return None;
    }
    let end = rest.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&rest[..end]).ok()?;
    let at = decl.find("encoding")?;
    let after = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = &after[1..];
    let close = body.find(quote)?;
    Some(body[..close].trim().to_string())
}

/// A `Read` that decodes `encoding` to UTF-8 without replacement.
struct Transcoder<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    encoding: &'static Encoding,
    inbuf: Vec<u8>,
    in_start: usize,
    in_end: usize,
    /// Offset in the original file of `inbuf[in_start]`.
    offset: u64,
    eof: bool,
    done: bool,
}

impl<R: Read> Transcoder<R> {
    fn new(inner: R, encoding: &'static Encoding, offset: u64) -> Self {
        Transcoder {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            encoding,
            inbuf: vec![0; 32 * 1024],
            in_start: 0,
            in_end: 0,
            offset,
            eof: false,
            done: false,
        }
    }
}

impl<R: Read> Read for Transcoder<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        // encoding_rs needs room for at least one whole character.
        if out.len() < 4 {
            let mut tmp = [0u8; 4];
            let n = self.read(&mut tmp)?;
            let n = n.min(out.len());
            out[..n].copy_from_slice(&tmp[..n]);
            return Ok(n);
        }
        loop {
            if self.done {
                return Ok(0);
            }
            if self.in_start == self.in_end && !self.eof {
                self.in_start = 0;
                self.in_end = self.inner.read(&mut self.inbuf)?;
                self.eof = self.in_end == 0;
            }
            let src = &self.inbuf[self.in_start..self.in_end];
            let (res, read, written) = self
                .decoder
                .decode_to_utf8_without_replacement(src, out, self.eof);
            self.in_start += read;
            self.offset += read as u64;
            match res {
                DecoderResult::Malformed(bad, extra) => {
                    let at = self.offset.saturating_sub(bad as u64 + extra as u64);
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("byte {at}: invalid {} sequence", self.encoding.name()),
                    ));
                }
                DecoderResult::InputEmpty if self.eof => self.done = true,
                _ => {}
            }
            if written > 0 || self.done {
                return Ok(written);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> io::Result<(String, Detected)> {
        let (mut s, d) = utf8_stream(io::Cursor::new(bytes.to_vec()), true)?;
        let mut out = String::new();
        s.read_to_string(&mut out)?;
        Ok((out, d))
    }

    fn utf16(s: &str, le: bool, bom: bool) -> Vec<u8> {
        let mut v = Vec::new();
        if bom {
            v.extend(if le { [0xFF, 0xFE] } else { [0xFE, 0xFF] });
        }
        for u in s.encode_utf16() {
            v.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        v
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let doc = "<?xml version=\"1.0\"?><a>Привет 😀</a>";
        for le in [true, false] {
            for bom in [true, false] {
                let (text, d) = decode(&utf16(doc, le, bom)).unwrap();
                assert_eq!(text, doc, "le={le} bom={bom}");
                assert_eq!(d.encoding, if le { UTF_16LE } else { UTF_16BE });
            }
        }
    }

    #[test]
    fn declared_legacy_encoding_is_transcoded() {
        let mut doc = b"<?xml version='1.0' encoding='windows-1252'?><a>caf".to_vec();
        doc.push(0xE9);
        doc.extend(b" \x80</a>");
        let (text, _) = decode(&doc).unwrap();
        assert!(text.ends_with("<a>café €</a>"), "{text}");
    }

    #[test]
    fn utf8_bom_is_skipped() {
        let (text, d) = decode(b"\xEF\xBB\xBF<a/>").unwrap();
        assert_eq!((text.as_str(), d.bom_len, d.encoding), ("<a/>", 3, UTF_8));
    }

    #[test]
    fn broken_utf16_names_the_byte() {
        // A lone low surrogate at bytes 6..8 (after the BOM and two units).
        let mut doc = utf16("<a", true, true);
        doc.extend([0x00, 0xDC]);
        doc.extend(utf16("/>", true, false));
        let err = decode(&doc).unwrap_err();
        assert!(err.to_string().contains("byte 6"), "{err}");
    }
}
