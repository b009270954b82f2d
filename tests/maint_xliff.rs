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

/// Fills every empty trans-unit of a transmem draft with a "translation"
/// (the source upper-cased), as a translator in a CAT tool would, except
/// the unit whose source contains `leave`.
fn fill_targets(xlf: &str, leave: &str) -> String {
    let mut out = String::new();
    let mut rest = xlf;
    while let Some(i) = rest.find("</source>\n") {
        let (head, tail) = rest.split_at(i + "</source>\n".len());
        out.push_str(head);
        rest = tail;
        let src_start = head
            .rfind('>')
            .map(|_| head.rfind("\">").unwrap() + 2)
            .unwrap();
        let source = &head[src_start..head.len() - "</source>\n".len()];
        if !rest.trim_start().starts_with("<target") && !source.contains(leave) {
            out.push_str(&format!(
                "        <target xml:lang=\"ru\" state=\"translated\">{}</target>\n",
                source.to_uppercase()
            ));
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn pretranslate_fill_import_and_merge_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let seed = dir.path().join("seed.tsv");
    std::fs::write(
        &seed,
        "en\tru\nThe harbour opened in May.\tГавань открылась в мае.\n",
    )
    .unwrap();
    run_ok(process(&mem).arg("import").arg(&seed), 0);
    let article = dir.path().join("article.txt");
    let source = "The harbour opened in May. Ships arrived from the north.\n\n\
                  The mayor spoke briefly. Everyone cheered.\n\n\
                  Tickets cost five euros.\n";
    std::fs::write(&article, source).unwrap();
    let job = dir.path().join("job.xlf");
    run_ok(
        process(&mem)
            .args(["pretranslate", "--from", "en", "--to", "ru", "-o"])
            .arg(&job)
            .arg(&article),
        0,
    );
    let draft = std::fs::read_to_string(&job).unwrap();
    assert_eq!(
        draft.matches("restype=\"x-paragraph\"").count(),
        3,
        "{draft}"
    );
    // The translator fills all but one segment.
    let filled = fill_targets(&draft, "Everyone");
    std::fs::write(&job, &filled).unwrap();

    let out_path = dir.path().join("article.ru.txt");
    let out = run_ok(
        process(&mem)
            .arg("merge")
            .arg(&job)
            .arg("-o")
            .arg(&out_path),
        0,
    );
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "5 segments in 3 paragraphs: 4 translated, 1 without translation kept their source"
        ),
        "{err}"
    );
    let merged = std::fs::read_to_string(&out_path).unwrap();
    assert_eq!(
        merged,
        "Гавань открылась в мае. SHIPS ARRIVED FROM THE NORTH.\n\n\
         THE MAYOR SPOKE BRIEFLY. Everyone cheered.\n\n\
         TICKETS COST FIVE EUROS.\n"
    );
    assert_eq!(merged.split("\n\n").count(), source.split("\n\n").count());

    // The finished job feeds the memory, with context.
    let before = util::unit_count(&mem);
    let out = run_ok(process(&mem).arg("import").arg(&job), 0);
    let err = text(&out.stderr);
    assert!(
        err.contains("5 segments, 4 translated to translated or better"),
        "{err}"
    );
    assert_eq!(
        util::unit_count(&mem),
        before + 3,
        "the 100% match was already stored"
    );
    let units = util::units(&mem);
    let mayor = units
        .iter()
        .find(|u| u.variants[0].text == "The mayor spoke briefly.")
        .expect("imported unit");
    assert_eq!(mayor.variants[1].text, "THE MAYOR SPOKE BRIEFLY.");
    assert_eq!(
        mayor.variants[0].prev.as_deref(),
        Some("Ships arrived from the north.")
    );
    assert_eq!(mayor.variants[0].next.as_deref(), Some("Everyone cheered."));
    assert_eq!(
        mayor.variants[1].next, None,
        "the untranslated neighbour has no target"
    );
    // Merge of a broken job: exit 2, no output file left behind.
    let bad = dir.path().join("bad.xlf");
    std::fs::write(&bad, &filled[..filled.len() / 2]).unwrap();
    let target = dir.path().join("never.txt");
    run_ok(
        process(&mem).arg("merge").arg(&bad).arg("-o").arg(&target),
        2,
    );
    assert!(!target.exists());
}
