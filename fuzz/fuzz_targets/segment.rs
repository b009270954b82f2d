//! The built-in segmenters on arbitrary text: ranges are in bounds, on
//! character boundaries, ordered and non-overlapping.
#![no_main]

use libfuzzer_sys::fuzz_target;
use transmem::segment::{self, Segmenter};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for lang in ["en", "ru", "de"] {
        let mut end = 0;
        for r in segment::segment(&text, lang) {
            assert!(r.start >= end && r.start <= r.end && r.end <= text.len());
            assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
            end = r.end;
        }
        for p in segment::document(&text, &Segmenter::for_lang(lang)) {
            assert!(text.get(p.range.clone()).is_some());
        }
    }
    for p in segment::lines(&text) {
        assert!(text.get(p.range).is_some());
    }
});
