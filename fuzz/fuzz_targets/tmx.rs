//! The TMX reader on arbitrary bytes: any input is read or refused with an
//! error, never a panic or a hang; a unit it passes on has a variant.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use transmem::limits::Limits;

fuzz_target!(|data: &[u8]| {
    let mut units = 0u64;
    let res = transmem::formats::tmx::read(data, Path::new("fuzz.tmx"), |u| {
        assert!(
            !u.variants.is_empty(),
            "a unit without variants was passed on"
        );
        units += 1;
        Ok(())
    });
    if let Ok(report) = res {
        assert_eq!(
            report.tus,
            units + report.empty,
            "every <tu> is counted once"
        );
    }
    // Small limits, so that inputs of a few kB reach the limit checks too.
    let small = Limits {
        segment: 64,
        line: 256,
    };
    let _ = transmem::formats::tmx::read_units_with(data, Path::new("fuzz.tmx"), &small, |_, u| {
        for v in &u.variants {
            assert!(
                v.text.len() <= small.segment,
                "a segment over the limit was passed on"
            );
        }
        Ok(())
    });
});
