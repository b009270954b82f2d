//! Properties of the matching score, checked on generated text.

use proptest::prelude::*;
use transmem::matcher::score::{self as sc, Pattern, Prepared};

/// Sentences of 1–12 words over a small mixed Latin/Cyrillic alphabet, with
/// the odd number and punctuation mark.
fn sentence() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-zA-Zа-яА-ЯёЁ]{1,9}",
            "[0-9]{1,4}",
            "[a-z]{2,6}[,.!?]",
            "«[а-я]{2,5}»",
        ],
        1..12,
    )
    .prop_map(|w| w.join(" "))
}

proptest! {
    #[test]
    fn score_is_a_percentage(a in sentence(), b in sentence()) {
        let s = transmem::matcher::score(&a, &b);
        prop_assert!((0.0..=100.0).contains(&s), "{s}");
    }

    #[test]
    fn identical_is_100_and_only_identical(a in sentence(), b in sentence()) {
        prop_assert_eq!(transmem::matcher::score(&a, &a), 100.0);
        if a != b {
            prop_assert!(transmem::matcher::score(&a, &b) < 100.0);
        }
    }

    #[test]
    fn score_is_symmetric(a in sentence(), b in sentence()) {
        prop_assert_eq!(transmem::matcher::score(&a, &b), transmem::matcher::score(&b, &a));
    }

    #[test]
    fn more_added_words_never_score_higher(a in sentence(), extra in prop::collection::vec("[a-z]{1,7}", 2..6)) {
        // Each longer version adds words at the end: a further edit.
        let mut prev = 100.0;
        let mut text = a.clone();
        for w in &extra {
            text.push(' ');
            text.push_str(w);
            let s = transmem::matcher::score(&a, &text);
            prop_assert!(s <= prev, "{a:?} vs {text:?}: {s} > {prev}");
            prev = s;
        }
    }

    #[test]
    fn fast_distances_equal_strsim(a in "[a-cа-в ]{0,150}", b in "[a-cа-в ]{0,150}") {
        let (ka, kb) = (sc::key(&a), sc::key(&b));
        let p = Pattern::new(&ka);
        prop_assert_eq!(p.distance(&kb), strsim::levenshtein(&ka, &kb));
        let (pa, pb) = (Prepared::new(&ka), Prepared::new(&kb));
        prop_assert_eq!(p.word_distance(&pb.words), strsim::generic_levenshtein(&pa.words, &pb.words));
        let mut scratch = Vec::new();
        let fast = sc::base_fast(&p, &kb, pb.chars.len(), &mut scratch, 0.0);
        prop_assert_eq!(fast, sc::base(&pa, &pb, 0.0));
    }

    #[test]
    fn length_bound_holds(a in sentence(), b in sentence()) {
        let (pa, pb) = (Prepared::new(&sc::key(&a)), Prepared::new(&sc::key(&b)));
        let base = sc::base(&pa, &pb, 0.0).unwrap_or(0.0);
        prop_assert!(base <= sc::bound(pa.chars.len(), pa.words.len(), pb.chars.len(), pb.words.len()) + 1e-9);
    }
}
