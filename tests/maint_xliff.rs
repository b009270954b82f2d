//! XLIFF back into the memory: files in the shapes OmegaT, Okapi, memoQ,
//! Trados and XLIFF 2.0 tools save import with the right unit counts,
//! states and context.

mod util;

use std::path::Path;

use util::{fixture, process, run_ok, text};

fn import(mem: &Path, file: &str, extra: &[&str]) -> String {
    let out = run_ok(
        process(mem)
            .arg("import")
            .args(extra)
            .arg(fixture(&format!("xliff/{file}"))),
        0,
    );
    text(&out.stderr)
}

/// (fixture, units at the default --min-state, units at --min-state draft)
const COUNTS: &[(&str, u64, u64)] = &[
    ("omegat.xlf", 3, 3),
    ("okapi.xlf", 3, 4),
    ("memoq.mqxliff", 3, 4),
    ("trados.sdlxliff", 3, 4),
    ("xliff2.xlf", 3, 4),
];

#[test]
fn cat_tool_files_import_with_the_right_counts() {
    for &(file, translated, drafts) in COUNTS {
        let dir = tempfile::tempdir().unwrap();
        let mem = dir.path().join("m.sqlite");
        let err = import(&mem, file, &[]);
        assert_eq!(util::unit_count(&mem), translated, "{file}: {err}");
        assert!(err.contains("recorded as batch 1"), "{file}: {err}");
        let mem2 = dir.path().join("drafts.sqlite");
        import(&mem2, file, &["--min-state", "draft"]);
        assert_eq!(util::unit_count(&mem2), drafts, "{file} with drafts");
        // Every unit is a source/target pair in the memory's short tags.
        for u in util::units(&mem) {
            let langs: Vec<&str> = u.variants.iter().map(|v| v.lang.as_str()).collect();
            assert!(
                matches!(
                    langs[..],
                    ["en", "ru"] | ["en-US", "ru-RU"] | ["en-GB", "ru-RU"]
                ),
                "{file}: {langs:?}"
            );
        }
    }
}

#[test]
fn text_context_and_codes() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    import(&mem, "memoq.mqxliff", &[]);
    let units = util::units(&mem);
    let texts: Vec<(&str, &str)> = units
        .iter()
        .map(|u| (u.variants[0].text.as_str(), u.variants[1].text.as_str()))
        .collect();
    assert_eq!(
        texts,
        [
            ("Annual report", "Годовой отчёт"),
            (
                "Revenue grew by 12 percent.",
                "Выручка выросла на 12 процентов."
            ),
            ("See the table.", "См. таблицу."),
        ]
    );
    // Neighbours come from the document, untranslated ones included.
    let second = &units[1];
    assert_eq!(second.variants[0].prev.as_deref(), Some("Annual report"));
    assert_eq!(second.variants[0].next.as_deref(), Some("See the table."));
    assert_eq!(second.variants[1].prev.as_deref(), Some("Годовой отчёт"));
    assert_eq!(second.origin.as_deref(), Some("report.docx"));
    assert_eq!(second.tuid.as_deref(), Some("2"));
    let third = &units[2];
    assert_eq!(
        third.variants[0].next.as_deref(),
        Some("Costs fell slightly.")
    );

    let mem = dir.path().join("t.sqlite");
    import(&mem, "trados.sdlxliff", &[]);
    let t: Vec<String> = util::units(&mem)
        .iter()
        .map(|u| u.variants[1].text.clone())
        .collect();
    assert_eq!(
        t,
        [
            "Безопасность прежде всего.",
            "Прочитайте руководство.",
            "Отключите устройство."
        ]
    );
    // A context match works from the imported neighbours.
    let out = run_ok(
        process(&mem).args([
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "--format",
            "jsonl",
            "Read the manual.",
        ]),
        0,
    );
    assert!(text(&out.stdout).contains("Прочитайте руководство."));
}

#[test]
fn reimport_is_all_duplicates_and_undo_removes_the_job() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    import(&mem, "okapi.xlf", &[]);
    let err = import(&mem, "okapi.xlf", &[]);
    assert!(err.contains("nothing changed; no batch recorded"), "{err}");
    assert_eq!(util::unit_count(&mem), 3);
    run_ok(process(&mem).args(["undo", "1"]), 0);
    assert_eq!(util::unit_count(&mem), 0);
}

#[test]
fn broken_xliff_is_an_error_naming_the_place_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    import(&mem, "omegat.xlf", &[]);
    let before = util::units(&mem);
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "cut.xlf",
            b"<xliff version=\"1.2\">\n<file source-language=\"en\" target-language=\"ru\"><body>\n<trans-unit id=\"1\"><source>A</source>",
            "cut.xlf:",
        ),
        (
            "mismatch.xlf",
            b"<xliff version=\"1.2\">\n<file source-language=\"en\" target-language=\"ru\"><body>\n</file></xliff>",
            "mismatch.xlf:3",
        ),
        (
            "nolang.xlf",
            b"<xliff version=\"1.2\"><file original=\"x\"><body><trans-unit id=\"1\"><source>A</source><target>B</target></trans-unit></body></file></xliff>",
            "names no source language",
        ),
        (
            "latin.xlf",
            b"<xliff version=\"1.2\"><file source-language=\"en\" target-language=\"ru\"><body><trans-unit id=\"1\"><source>caf\xe9</source></trans-unit></body></file></xliff>",
            "latin.xlf:1 (byte 105)",
        ),
        ("tmx.xlf", b"<tmx version=\"1.4\"/>", "not an XLIFF document"),
        ("empty.xlf", b"", "not an XLIFF document"),
    ];
    for (name, body, want) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        let out = run_ok(process(&mem).arg("import").arg(&p), 2);
        let err = text(&out.stderr);
        assert!(err.contains(want), "{name}: {err}");
        assert_eq!(util::units(&mem), before, "{name} changed the memory");
    }
    run_ok(
        process(&mem)
            .args(["import", "--min-state", "done"])
            .arg(fixture("xliff/omegat.xlf")),
        2,
    );
}
