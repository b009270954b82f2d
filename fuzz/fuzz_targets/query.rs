//! The query path on two arbitrary strings (split at the first NUL): score,
//! key and diff. Scores are in 0..=100, identical texts score 100, the fast
//! and the plain base score agree, and a diff spells both texts back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use transmem::matcher::{self, diff, score as score_of};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (a, b) = text.split_once('\0').unwrap_or((&text, ""));
    let s = score_of(a, b);
    assert!((0.0..=100.0).contains(&s), "score {s}");
    assert_eq!(score_of(a, a), 100.0, "a text is identical to itself");

    let (ka, kb) = (matcher::key(a), matcher::key(b));
    let plain = matcher::base(
        &matcher::Prepared::new(&ka),
        &matcher::Prepared::new(&kb),
        0.0,
    );
    let pattern = matcher::Pattern::new(&ka);
    let fast = matcher::base_fast(&pattern, &kb, kb.chars().count(), &mut Vec::new(), 0.0);
    match (plain, fast) {
        (Some(p), Some(f)) => assert!((p - f).abs() < 1e-9, "base {p} != base_fast {f}"),
        (p, f) => panic!("base {p:?} and base_fast {f:?} disagree at cutoff 0"),
    }

    let spans = diff(a, b);
    let side = |keep: &str| -> String {
        spans
            .iter()
            .filter(|s| s.op == "equal" || s.op == keep)
            .map(|s| s.text.as_str())
            .collect()
    };
    assert_eq!(side("delete"), a, "equal + delete spell the source");
    // Equal spans carry the source's text, so only the shape of the query
    // is checked: the inserted text appears in it, in order.
    let mut rest = b;
    for s in spans.iter().filter(|s| s.op == "insert") {
        let at = rest
            .find(s.text.as_str())
            .expect("inserted text is in the query");
        rest = &rest[at + s.text.len()..];
    }
});
