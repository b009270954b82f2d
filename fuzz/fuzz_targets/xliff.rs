//! The XLIFF reader (1.2 and 2.x) on arbitrary bytes: any input is read or
//! refused with an error, never a panic or a hang. Every unit it passes on
//! holds a source and a target, and the counts add up: each segment is
//! passed on, below the minimum state or untranslated.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use transmem::formats::xliff_read::{State, read, read_documents};

fuzz_target!(|data: &[u8]| {
    let _ = read_documents(data, Path::new("fuzz.xlf"));
    for min in [State::Draft, State::Translated, State::Final] {
        let mut units = 0u64;
        let res = read(data, Path::new("fuzz.xlf"), min, |u| {
            assert!(u.variants.len() >= 2, "a unit without source and target");
            units += 1;
            Ok(())
        });
        if let Ok(r) = res {
            assert_eq!(r.units, units, "every unit passed on is counted");
            assert!(
                r.units + r.below_state + r.untranslated <= r.segments,
                "more outcomes than segments: {r:?}"
            );
        }
    }
});
