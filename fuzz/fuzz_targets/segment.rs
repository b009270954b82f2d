//! The built-in segmenters on arbitrary text: ranges are in bounds, on
//! character boundaries, ordered and non-overlapping.
#![no_main]

use libfuzzer_sys::fuzz_target;
use transmem::segment::{self, Segmenter};

fuzz_target!(
    // The rules and learnt lists are built on first use (0.6 s of CPU in
    // this instrumented build, over 10 s at load 7 under nice): built here,
    // before the first input, so that libFuzzer's 10 s per-input timeout
    // measures segmentation, not start-up.
    init: {
        for lang in ["en", "ru", "de"] {
            let _ = segment::segment("A b. C d.", lang);
            let _ = segment::document("A b. C d.", &Segmenter::for_lang(lang));
        }
    },
    |data: &[u8]| {
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
}
);
