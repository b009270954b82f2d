//! The SRX loader on arbitrary text: a segmenter or an error, never a panic;
//! a loaded segmenter splits a sample into in-bounds, ordered ranges.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use transmem::segment::Segmenter;

const SAMPLE: &str = "Dr. Smith arrived at 5 p.m. on Jan. 3. He left!  Why? \"Yes.\" Done…\nNext line. Ещё раз. Т. е. нет.";

fuzz_target!(|data: &[u8]| {
    let Ok(xml) = std::str::from_utf8(data) else {
        return;
    };
    for lang in ["en", "ru-RU", "x"] {
        if let Ok(seg) = Segmenter::from_srx(xml, lang, Path::new("fuzz.srx")) {
            let mut end = 0;
            for r in seg.split(SAMPLE) {
                assert!(r.start >= end && r.start <= r.end && r.end <= SAMPLE.len());
                assert!(SAMPLE.is_char_boundary(r.start) && SAMPLE.is_char_boundary(r.end));
                end = r.end;
            }
        }
    }
});
