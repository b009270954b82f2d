//! The aligner on two short texts (the input split at its first NUL): every
//! segment of both sides appears in exactly one link, in order, and each
//! confidence is a probability.
#![no_main]

use libfuzzer_sys::fuzz_target;
use transmem::align::{Options, Segment, align};
use transmem::segment;

fuzz_target!(
    // Segmentation rules and lists are built before the first input (see
    // the segment target): the per-input timeout measures the aligner.
    init: {
        for lang in ["en", "ru"] {
            let _ = segment::document("A b. C d.", &segment::Segmenter::for_lang(lang));
        }
    },
    |data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (a, b) = text.split_once('\0').unwrap_or((&text, ""));
    let side = |t: &str, lang: &str| -> Vec<(String, usize)> {
        let seg = segment::Segmenter::for_lang(lang);
        segment::document(t, &seg)
            .into_iter()
            .map(|p| (t[p.range].to_string(), p.para))
            .collect()
    };
    let (sa, sb) = (side(a, "en"), side(b, "ru"));
    let src: Vec<Segment> = sa
        .iter()
        .map(|(t, p)| Segment { text: t, para: *p })
        .collect();
    let tgt: Vec<Segment> = sb
        .iter()
        .map(|(t, p)| Segment { text: t, para: *p })
        .collect();
    let opts = Options {
        src_lang: "en".into(),
        tgt_lang: "ru".into(),
        ..Options::default()
    };
    let links = align(&src, &tgt, &opts);
    let (mut i, mut j) = (0, 0);
    for l in &links {
        assert!(!(l.src.is_empty() && l.tgt.is_empty()), "an empty link");
        assert!(
            (0.0..=1.0).contains(&l.confidence),
            "confidence {}",
            l.confidence
        );
        for &s in &l.src {
            assert_eq!(s, i, "source segments in order, each once");
            i += 1;
        }
        for &t in &l.tgt {
            assert_eq!(t, j, "target segments in order, each once");
            j += 1;
        }
    }
    assert_eq!((i, j), (src.len(), tgt.len()), "every segment is linked");
}
);
