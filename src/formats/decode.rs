//! Byte-stream decoding in front of the parsers.
//!
//! Input arrives as UTF-8 (with or without BOM), UTF-16 LE/BE (with or
//! without BOM), a legacy code page named in an XML declaration, or, for
//! plain text, CSV and TSV, a legacy code page named nowhere (Russian
//! translators meet windows-1251 and KOI8-R every week): that one is told
//! by chardetng, Mozilla's detector over encoding_rs. `--encoding NAME`
//! ([`TextEncoding::Forced`]) overrides all of it. UTF-8 passes through
//! untouched, so that parser offsets are file offsets; every other
//! encoding is transcoded to UTF-8 on the fly, chunk by chunk, and a
//! malformed sequence stops reading with the byte offset *in the original
//! file*, never a silent U+FFFD.

use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use encoding_rs::{DecoderResult, Encoding, UTF_8, UTF_16BE, UTF_16LE};

use crate::error::{Error, Position, Result};

/// Which encoding to read text in: told from the bytes, or forced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TextEncoding {
    /// A BOM, an XML declaration, UTF-16's NUL bytes, valid UTF-8, else a
    /// legacy code page told by the detector.
    #[default]
    Auto,
    /// This encoding, whatever the bytes look like (`--encoding NAME`).
    Forced(&'static Encoding),
}

impl TextEncoding {
    /// An encoding by any label the WHATWG Encoding Standard knows
    /// (`windows-1251`, `cp1251`, `koi8-r`, `utf-16le`, `latin1`, ...), or
    /// `auto`.
    pub fn parse(label: &str) -> Result<TextEncoding> {
        let l = label.trim();
        if l.eq_ignore_ascii_case("auto") {
            return Ok(TextEncoding::Auto);
        }
        // encoding_rs knows `windows-1251` and `cp1251`, not the `win1251`
        // or `cp-1251` people also write.
        let lower = l.to_ascii_lowercase();
        let alt = match lower.strip_prefix("win").map(|r| r.trim_start_matches('-')) {
            Some(r) if r.starts_with(|c: char| c.is_ascii_digit()) => format!("windows-{r}"),
            _ => lower.replace("cp-", "cp"),
        };
        match Encoding::for_label(l.as_bytes()).or_else(|| Encoding::for_label(alt.as_bytes())) {
            Some(e) if e != encoding_rs::REPLACEMENT => Ok(TextEncoding::Forced(e)),
            _ => Err(Error::Invalid(format!(
                "unknown encoding {l:?} (examples: utf-8, utf-16le, utf-16be, windows-1251, koi8-r, \
                 windows-1252, iso-8859-5; or auto)"
            ))),
        }
    }
}

/// How an input's encoding was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// No sign of anything else: UTF-8.
    Default,
    /// A byte order mark.
    Bom,
    /// The XML declaration's `encoding`.
    Declared,
    /// Told from the bytes: UTF-16 by its NULs, a legacy code page by the
    /// detector.
    Detected,
    /// `--encoding`.
    Forced,
}

/// The encoding an input was read in, and how it was chosen: what a
/// command reports when it is not plain UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoding {
    /// The encoding.
    pub encoding: &'static Encoding,
    /// How it was chosen.
    pub how: How,
}

impl Decoding {
    /// The encoding's name (`windows-1251`, `UTF-16LE`, `UTF-8`).
    pub fn name(&self) -> &'static str {
        self.encoding.name()
    }

    /// True for UTF-8 chosen by default or its BOM: nothing worth saying.
    pub fn is_plain_utf8(&self) -> bool {
        self.encoding == UTF_8 && matches!(self.how, How::Default | How::Bom)
    }

    /// `windows-1251 (detected)`, `UTF-16LE (byte order mark)`, ...
    pub fn describe(&self) -> String {
        let how = match self.how {
            How::Default => "default",
            How::Bom => "byte order mark",
            How::Declared => "XML declaration",
            How::Detected => "detected",
            How::Forced => "--encoding",
        };
        format!("{} ({how})", self.name())
    }
}

/// How the input was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Detected {
    /// The encoding the bytes are in.
    pub encoding: &'static Encoding,
    /// Length of the byte order mark that was skipped (0 when none).
    pub bom_len: u64,
    /// How the encoding was chosen.
    pub how: How,
}

impl Detected {
    /// True when the parser sees the file's own bytes (offsets are exact).
    pub fn is_utf8(&self) -> bool {
        self.encoding == UTF_8
    }

    /// The public view.
    pub fn decoding(&self) -> Decoding {
        Decoding {
            encoding: self.encoding,
            how: self.how,
        }
    }
}

/// Bytes looked at to find a BOM, the XML declaration and a legacy code
/// page: 64 KiB is thousands of words, far more than the detector needs.
const SNIFF: usize = 64 * 1024;

/// Fewer non-ASCII bytes than this in text that is not UTF-8 are too
/// little for the detector to go on (one stray `\xff` is ÿ in windows-1252,
/// я in windows-1251): such a file is refused as invalid UTF-8, with the
/// detector's guess offered as `--encoding`.
const MIN_LEGACY_BYTES: usize = 4;

/// Recognises the encoding of `inner` and returns a UTF-8 stream of its
/// content (BOM removed). `xml` enables the `<?xml encoding=".."?>` check
/// and XML's rule that undeclared input is UTF-8 (or UTF-16); plain text
/// (`xml` false) in a legacy code page is detected.
pub(crate) fn utf8_stream<'a, R: Read + 'a>(
    inner: R,
    xml: bool,
) -> io::Result<(Box<dyn BufRead + 'a>, Detected)> {
    utf8_stream_as(inner, xml, TextEncoding::Auto)
}

/// [`utf8_stream`] with the encoding forced or not.
pub(crate) fn utf8_stream_as<'a, R: Read + 'a>(
    mut inner: R,
    xml: bool,
    choice: TextEncoding,
) -> io::Result<(Box<dyn BufRead + 'a>, Detected)> {
    let mut head = Vec::with_capacity(4096);
    (&mut inner).take(SNIFF as u64).read_to_end(&mut head)?;
    let complete = head.len() < SNIFF;
    let detected = choose(&head, complete, xml, choice)?;
    let bom_len = detected.bom_len as usize;
    let encoding = detected.encoding;
    let rest = io::Cursor::new(head.split_off(bom_len)).chain(inner);
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

/// A UTF-8 stream of a text input (standard input, say), its encoding
/// told as for a plain text file or forced; with how it was read.
pub fn text_stream<'a, R: Read + 'a>(
    inner: R,
    choice: TextEncoding,
) -> io::Result<(Box<dyn BufRead + 'a>, Decoding)> {
    let (s, d) = utf8_stream_as(inner, false, choice)?;
    Ok((s, d.decoding()))
}

/// Decodes a whole text file's bytes (`path` names it in errors): the
/// encoding told as [`TextEncoding::Auto`] says, or forced. Invalid bytes
/// are an error with the line and byte offset, and, when the bytes look
/// like a legacy code page after all, the `--encoding` that would read
/// them.
pub fn decode_text(
    path: &Path,
    bytes: Vec<u8>,
    choice: TextEncoding,
) -> Result<(String, Decoding)> {
    let d = choose(&bytes, true, false, choice)
        .map_err(|e| Error::encoding(path, Position::None, e.to_string()))?;
    let bom = d.bom_len as usize;
    if d.encoding == UTF_8 {
        let mut bytes = bytes;
        bytes.drain(..bom);
        return match String::from_utf8(bytes) {
            Ok(s) => Ok((s, d.decoding())),
            Err(e) => {
                let off = e.utf8_error().valid_up_to();
                let b = e.as_bytes();
                let line = 1 + b[..off].iter().filter(|&&c| c == b'\n').count() as u64;
                Err(Error::encoding(
                    path,
                    Position::LineOffset(line, (off + bom) as u64),
                    invalid_utf8_message(b, d.how),
                ))
            }
        };
    }
    let src = &bytes[bom..];
    let mut dec = d.encoding.new_decoder_without_bom_handling();
    let cap = dec
        .max_utf8_buffer_length_without_replacement(src.len())
        .ok_or_else(|| Error::encoding(path, Position::None, "the file is too large to decode"))?;
    let mut out = vec![0u8; cap];
    let (res, read, written) = dec.decode_to_utf8_without_replacement(src, &mut out, true);
    out.truncate(written);
    let line = 1 + out.iter().filter(|&&c| c == b'\n').count() as u64;
    match res {
        DecoderResult::Malformed(bad, extra) => {
            let at = (bom + read) as u64 - u64::from(bad) - u64::from(extra);
            Err(Error::encoding(
                path,
                Position::Line(line),
                format!(
                    "byte {at}: invalid {} sequence (read as {})",
                    d.encoding.name(),
                    d.decoding().describe()
                ),
            ))
        }
        _ => String::from_utf8(out)
            .map(|s| (s, d.decoding()))
            .map_err(|_| Error::encoding(path, Position::None, "the decoder wrote invalid UTF-8")),
    }
}

/// The message for bytes that are not UTF-8: how to read them instead.
pub(crate) fn invalid_utf8_message(bytes: &[u8], how: How) -> String {
    if how == How::Forced {
        return "invalid UTF-8 (read as UTF-8 because --encoding says so)".into();
    }
    let guess = guess_legacy(&bytes[..bytes.len().min(SNIFF)]);
    format!(
        "invalid UTF-8; if the file is in another encoding, name it with --encoding \
         (these bytes look like {})",
        guess.name().to_ascii_lowercase()
    )
}

/// The detector's guess for bytes that are not UTF-8.
fn guess_legacy(bytes: &[u8]) -> &'static Encoding {
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    det.guess(None, chardetng::Utf8Detection::Deny)
}

/// Chooses the encoding of input beginning with `head` (`complete`: that
/// is all of it).
fn choose(head: &[u8], complete: bool, xml: bool, choice: TextEncoding) -> io::Result<Detected> {
    let det = |encoding, bom_len: usize, how| Detected {
        encoding,
        bom_len: bom_len as u64,
        how,
    };
    if let TextEncoding::Forced(enc) = choice {
        let bom = match Encoding::for_bom(head) {
            Some((e, len)) if e == enc => len,
            _ => 0,
        };
        return Ok(det(enc, bom, How::Forced));
    }
    let (encoding, bom_len, how) = sniff(head, xml)?;
    if encoding != UTF_8 || how != How::Default || xml {
        return Ok(det(encoding, bom_len, how));
    }
    // Plain text with nothing to say otherwise: UTF-8 if it is, and also
    // when it holds valid multi-byte UTF-8 around the bad bytes (damaged
    // UTF-8, reported at its first bad byte); else a legacy code page.
    let mut valid_multibyte = 0usize;
    let mut invalid = 0usize;
    let mut high = 0usize;
    let mut chunks = head.utf8_chunks().peekable();
    while let Some(c) = chunks.next() {
        valid_multibyte += c.valid().chars().filter(|c| !c.is_ascii()).count();
        let bad = c.invalid();
        // A character cut by the end of the sniffed head is not an error.
        let cut = !complete && chunks.peek().is_none();
        if !bad.is_empty() && !cut {
            invalid += 1;
            high += bad.iter().filter(|b| !b.is_ascii()).count();
        }
    }
    // Legacy bytes can form a valid UTF-8 pair by chance (KOI8-R «её» is
    // C5 A3, U+0163), so damaged UTF-8 is told by a clear majority of valid
    // multi-byte characters over bad sequences, not by any at all.
    if invalid == 0 || valid_multibyte >= 4 * invalid || high < MIN_LEGACY_BYTES {
        return Ok(det(UTF_8, 0, How::Default));
    }
    Ok(det(guess_legacy(head), 0, How::Detected))
}

/// BOM first, then UTF-16 without BOM by the shape of `<?` or by its NUL
/// bytes, then the XML declaration's `encoding` for ASCII-compatible input;
/// a declared encoding transmem cannot decode is an error, never UTF-8.
fn sniff(head: &[u8], xml: bool) -> io::Result<(&'static Encoding, usize, How)> {
    if let Some((enc, len)) = Encoding::for_bom(head) {
        return Ok((enc, len, How::Bom));
    }
    match head {
        [0x3C, 0x00, b, 0x00, ..] if *b != 0 => return Ok((UTF_16LE, 0, How::Detected)),
        [0x00, 0x3C, 0x00, b, ..] if *b != 0 => return Ok((UTF_16BE, 0, How::Detected)),
        _ => {}
    }
    // The NUL test looks at the start only (a long file's head is enough).
    if let Some(enc) = utf16_by_nuls(&head[..head.len().min(1024)]) {
        return Ok((enc, 0, How::Detected));
    }
    if xml && let Some(label) = declared_encoding(head) {
        match Encoding::for_label(label.as_bytes()) {
            // A declaration saying UTF-16 on single-byte text is a lie some
            // tools tell after re-saving; the bytes win.
            Some(enc) if enc == UTF_16LE || enc == UTF_16BE => {}
            // encoding_rs maps some labels (ISO-2022-KR, HZ, ...) to the
            // "replacement" encoding, which decodes everything to U+FFFD.
            Some(enc) if enc != encoding_rs::REPLACEMENT => {
                return Ok((enc.output_encoding(), 0, How::Declared));
            }
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
    Ok((UTF_8, 0, How::Default))
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
    /// Decoded bytes a caller's too-small buffer could not take yet.
    pending: Vec<u8>,
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
            pending: Vec::new(),
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
        if !self.pending.is_empty() {
            let n = self.pending.len().min(out.len());
            out[..n].copy_from_slice(&self.pending[..n]);
            self.pending.drain(..n);
            return Ok(n);
        }
        // encoding_rs needs room for at least one whole character; what
        // does not fit the caller's buffer is kept for the next call.
        if out.len() < 4 {
            let mut tmp = [0u8; 4];
            let n = self.read(&mut tmp)?;
            let k = n.min(out.len());
            out[..k].copy_from_slice(&tmp[..k]);
            self.pending.extend_from_slice(&tmp[k..n]);
            return Ok(k);
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

    fn text(bytes: &[u8], choice: TextEncoding) -> Result<(String, Decoding)> {
        decode_text(Path::new("t.txt"), bytes.to_vec(), choice)
    }

    const RU: &str = "Цены в порту Новороссийска немного снизились.\nПо её словам, 150 000 тонн.\n";

    #[test]
    fn legacy_cyrillic_and_utf16_text_is_detected() {
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode(RU);
        let (t, d) = text(&cp1251, TextEncoding::Auto).unwrap();
        assert_eq!(
            (t.as_str(), d.name(), d.how),
            (RU, "windows-1251", How::Detected)
        );
        let (koi, _, _) = encoding_rs::KOI8_R.encode(RU);
        let (t, d) = text(&koi, TextEncoding::Auto).unwrap();
        assert_eq!(t, RU);
        assert!(d.name().starts_with("KOI8"), "{}", d.name());
        for (le, bom) in [(true, false), (false, false), (true, true), (false, true)] {
            let (t, d) = text(&utf16(RU, le, bom), TextEncoding::Auto).unwrap();
            assert_eq!(t, RU, "le={le} bom={bom}");
            assert!(d.name().starts_with("UTF-16"));
        }
        let (t, d) = text(RU.as_bytes(), TextEncoding::Auto).unwrap();
        assert!(t == RU && d.is_plain_utf8());
    }

    #[test]
    fn forced_encoding_wins_and_damaged_utf8_is_refused() {
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode(RU);
        let forced = TextEncoding::parse("cp1251").unwrap();
        assert_eq!(text(&cp1251, forced).unwrap().0, RU);
        assert_eq!(TextEncoding::parse("win1251").unwrap(), forced);
        assert!(TextEncoding::parse("klingon-8").is_err());
        // UTF-8 with one bad byte among valid Cyrillic: damaged, not legacy.
        let mut bad = RU.as_bytes().to_vec();
        bad.insert(9, 0xFF);
        let e = text(&bad, TextEncoding::Auto).unwrap_err().to_string();
        assert!(
            e.starts_with("t.txt:1 (byte 9): invalid UTF-8") && e.contains("--encoding"),
            "{e}"
        );
        // One stray byte in ASCII is too little to guess from.
        assert!(text(b"bad \xff byte\n", TextEncoding::Auto).is_err());
        // A file cut in the middle of a forced multi-byte encoding.
        let e = text(
            &[0x41, 0x00, 0x42],
            TextEncoding::parse("utf-16le").unwrap(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("invalid UTF-16LE"), "{e}");
    }

    #[test]
    fn a_small_read_buffer_loses_nothing() {
        let (koi, _, _) = encoding_rs::KOI8_R.encode(RU);
        let mut t = Transcoder::new(&koi[..], encoding_rs::KOI8_R, 0);
        let mut out = Vec::new();
        let mut b = [0u8; 1];
        while t.read(&mut b).unwrap() == 1 {
            out.push(b[0]);
        }
        assert_eq!(String::from_utf8(out).unwrap(), RU);
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
