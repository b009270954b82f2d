//! Encoding detection and decoding on arbitrary bytes, as `--encoding auto`
//! and a forced code page read them: any input is decoded or refused with
//! an error, never a panic or a hang, whole or streamed.
#![no_main]

use std::io::Read;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use transmem::formats::{TextEncoding, decode_text, text_stream};

fuzz_target!(|data: &[u8]| {
    let forced = TextEncoding::parse("koi8-r").expect("koi8-r is a WHATWG label");
    for choice in [TextEncoding::Auto, forced] {
        if let Ok((text, _)) = decode_text(Path::new("fuzz.txt"), data.to_vec(), choice) {
            // Decoded text never grows past what the bytes can hold: at
            // most 3 UTF-8 bytes per input byte.
            assert!(text.len() <= 3 * data.len() + 3, "decoded text too long");
        }
        if let Ok((mut stream, _)) = text_stream(data, choice) {
            let mut s = String::new();
            let _ = stream.read_to_string(&mut s);
        }
    }
});
