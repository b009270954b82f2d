//! The CSV and TSV readers on arbitrary bytes, with a header row and with
//! `--langs` columns: read or refused, never a panic or a hang.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use transmem::formats::csv::{Column, ReadOptions, read};
use transmem::limits::Limits;

fuzz_target!(|data: &[u8]| {
    let langs = Some(vec![
        Column::Lang("en".into()),
        Column::Lang("ru".into()),
        Column::Note,
    ]);
    for tsv in [false, true] {
        for columns in [None, langs.clone()] {
            // Small limits with `--langs`, so that inputs of a few kB reach
            // the limit checks too.
            let limits = if columns.is_some() {
                Limits {
                    segment: 64,
                    line: 256,
                }
            } else {
                Limits::default()
            };
            let opts = ReadOptions {
                tsv,
                columns,
                rename: None,
                limits,
                encoding: Default::default(),
            };
            let mut units = 0u64;
            let res = read(data, Path::new("fuzz.csv"), &opts, |u| {
                assert!(!u.variants.is_empty(), "a unit without text was passed on");
                units += 1;
                Ok(())
            });
            if let Ok(report) = res {
                assert_eq!(
                    report.rows,
                    units + report.empty,
                    "every row is counted once"
                );
            }
        }
    }
});
