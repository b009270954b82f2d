//! Keeping a memory clean from the command line: units, edit, delete,
//! replace, history and undo, checked on full exports.

mod util;

use std::path::Path;

use util::{process, run_ok, text};

/// The whole memory as TMX (every unit, variant and attribute that an
/// export carries): what "exactly as before" is compared on.
fn export(mem: &Path) -> String {
    let out = run_ok(process(mem).args(["export", "--format", "tmx"]), 0);
    text(&out.stdout)
}

fn tsv(dir: &Path, name: &str, rows: &[(&str, &str)]) -> std::path::PathBuf {
    let mut s = String::from("en\tru\n");
    for (a, b) in rows {
        s.push_str(&format!("{a}\t{b}\n"));
    }
    let p = dir.join(name);
    std::fs::write(&p, s).unwrap();
    p
}

fn history(mem: &Path) -> Vec<serde_json::Value> {
    let out = run_ok(process(mem).args(["history", "--format", "jsonl"]), 0);
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn two_imports(dir: &Path) -> (std::path::PathBuf, String) {
    let mem = dir.join("m.sqlite");
    let a = tsv(
        dir,
        "first.tsv",
        &[("One.", "Один."), ("Two.", "Два."), ("Three.", "Три.")],
    );
    let b = tsv(
        dir,
        "second.tsv",
        &[("Two.", "Двое."), ("Four.", "Четыре."), ("One.", "Один.")],
    );
    run_ok(process(&mem).arg("import").arg(&a), 0);
    let first = export(&mem);
    let out = run_ok(
        process(&mem)
            .args(["import", "--on-duplicate", "overwrite"])
            .arg(&b),
        0,
    );
    assert!(
        text(&out.stderr).contains("recorded as batch 2"),
        "{}",
        text(&out.stderr)
    );
    (mem, first)
}

#[test]
fn undo_of_the_second_import_leaves_exactly_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, first) = two_imports(dir.path());
    assert_ne!(export(&mem), first);
    let h = history(&mem);
    assert_eq!(h.len(), 2);
    assert!(h[1]["command"].as_str().unwrap().contains("second.tsv"));
    assert_eq!(h[1]["counts"]["inserted"], 1);
    assert_eq!(h[1]["counts"]["overwritten"], 1);
    assert_eq!(h[1]["counts"]["duplicates"], 1);
    assert_eq!(h[1]["user"], "tester");

    // A dry run reports and changes nothing.
    let out = run_ok(process(&mem).args(["undo", "2", "--dry-run"]), 0);
    assert!(text(&out.stderr).contains("would undo batch 2"));
    assert_eq!(history(&mem).len(), 2);

    let out = run_ok(process(&mem).args(["undo", "2"]), 0);
    let err = text(&out.stderr);
    assert!(err.contains("1 unit removed, 1 restored"), "{err}");
    assert!(err.contains("recorded as batch 3"), "{err}");
    assert_eq!(export(&mem), first);

    // Twice is refused (exit 2), and so is a batch that does not exist.
    let out = run_ok(process(&mem).args(["undo", "2"]), 2);
    assert!(text(&out.stderr).contains("already undone by batch 3"));
    run_ok(process(&mem).args(["undo", "99"]), 2);
    // The undo is a batch too: undoing it brings the second import back.
    run_ok(process(&mem).args(["undo", "3"]), 0);
    let h = history(&mem);
    assert_eq!(h[2]["undoes"], 2);
    assert_eq!(h[3]["undoes"], 3);
    run_ok(process(&mem).args(["undo", "4"]), 0);
    assert_eq!(export(&mem), first);
}

#[test]
fn undo_refuses_when_a_later_batch_changed_the_same_units() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, _) = two_imports(dir.path());
    // Unit 2 ("Two.") was overwritten by batch 2; edit it again.
    run_ok(
        process(&mem).args(["edit", "2", "--lang", "ru", "--text", "Двa!"]),
        0,
    );
    let before = export(&mem);
    let out = run_ok(process(&mem).args(["undo", "2"]), 2);
    let err = text(&out.stderr);
    assert!(err.contains("later batch 3"), "{err}");
    assert_eq!(export(&mem), before, "a refused undo changes nothing");
    let out = run_ok(process(&mem).args(["undo", "2", "--force"]), 0);
    assert!(text(&out.stderr).contains("warning: later batch(es) 3"));
}

#[test]
fn replace_dry_run_changes_nothing_then_one_batch_and_undo() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let f = tsv(
        dir.path(),
        "news.tsv",
        &[
            ("Press release.", "Пресс релиз."),
            ("A press release today.", "Сегодня пресс релиз."),
            ("Nothing here.", "Здесь ничего."),
        ],
    );
    run_ok(process(&mem).arg("import").arg(&f), 0);
    let before = export(&mem);
    let args = [
        "replace",
        "--lang",
        "ru",
        "--find",
        "(?i)пресс релиз",
        "--replace",
        "пресс-релиз",
    ];
    let out = run_ok(process(&mem).args(args).arg("--dry-run"), 0);
    let diff = text(&out.stdout);
    assert!(
        diff.contains("unit 1 ru:\n- Пресс релиз.\n+ пресс-релиз."),
        "{diff}"
    );
    assert!(diff.contains("unit 2 ru:"), "{diff}");
    assert!(!diff.contains("unit 3"), "{diff}");
    assert_eq!(export(&mem), before);
    assert_eq!(history(&mem).len(), 1);

    let out = run_ok(process(&mem).args(args), 0);
    assert!(text(&out.stderr).contains("changed 2 ru texts"));
    let h = history(&mem);
    assert_eq!(h.len(), 2);
    assert_eq!(h[1]["counts"]["edited"], 2);
    assert_eq!(h[1]["units"], 2);
    let now = util::units(&mem);
    assert_eq!(now[0].variant("ru").unwrap().text, "пресс-релиз.");
    assert_eq!(now[1].variant("ru").unwrap().text, "Сегодня пресс-релиз.");
    assert_eq!(now[2].variant("ru").unwrap().text, "Здесь ничего.");
    assert_eq!(now[0].changer.as_deref(), Some("tester"));
    run_ok(process(&mem).args(["undo", "2"]), 0);
    assert_eq!(export(&mem), before);
    // No match: exit 1, nothing written; a bad regex: exit 2.
    run_ok(
        process(&mem).args(["replace", "--lang", "ru", "--find", "xyz", "--replace", "q"]),
        1,
    );
    let out = run_ok(
        process(&mem).args(["replace", "--lang", "ru", "--find", "(", "--replace", "q"]),
        2,
    );
    assert!(text(&out.stderr).contains("--find"));
    assert_eq!(export(&mem), before);
}

#[test]
fn delete_many_needs_yes_and_undo_restores() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let big = util::tsv(dir.path(), "big", 150);
    let keep = tsv(dir.path(), "keep.tsv", &[("Keep me.", "Оставь меня.")]);
    run_ok(
        process(&mem).args(["import", "--langs", "en,ru"]).arg(&big),
        0,
    );
    run_ok(process(&mem).arg("import").arg(&keep), 0);
    let before = export(&mem);
    let out = run_ok(
        process(&mem).args(["delete", "--origin", "big*", "--dry-run"]),
        0,
    );
    assert!(text(&out.stderr).contains("would delete 150 units"));
    assert_eq!(text(&out.stdout).matches("\n#").count() + 1, 150);
    // Without a terminal and without --yes: refused, exit 2, nothing gone.
    let out = run_ok(process(&mem).args(["delete", "--origin", "big*"]), 2);
    assert!(text(&out.stderr).contains("--yes"), "{}", text(&out.stderr));
    assert_eq!(export(&mem), before);
    let out = run_ok(
        process(&mem).args(["delete", "--origin", "big*", "--yes"]),
        0,
    );
    assert!(text(&out.stderr).contains("deleted 150 units"));
    assert_eq!(util::unit_count(&mem), 1);
    run_ok(process(&mem).args(["undo", "3"]), 0);
    assert_eq!(export(&mem), before);
    // Nothing selected is refused rather than taken as "everything".
    run_ok(process(&mem).arg("delete"), 2);
    run_ok(process(&mem).args(["delete", "9999"]), 1);
}

#[test]
fn units_filters_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let a = tsv(
        dir.path(),
        "news-a.tsv",
        &[("Press release.", "Пресс-релиз.")],
    );
    let b = tsv(
        dir.path(),
        "report.tsv",
        &[("Annual report.", "Годовой отчёт.")],
    );
    run_ok(process(&mem).arg("import").arg(&a), 0);
    run_ok(
        util::bin()
            .arg("--memory")
            .arg(&mem)
            .args(["--creator", "ann", "import"])
            .arg(&b),
        0,
    );
    let out = run_ok(process(&mem).args(["units", "--count"]), 0);
    assert_eq!(text(&out.stdout).trim(), "2");
    let out = run_ok(process(&mem).args(["units", "--origin", "news-*"]), 0);
    let t = text(&out.stdout);
    assert!(
        t.starts_with("#1  origin=news-a.tsv  creator=tester"),
        "{t}"
    );
    assert!(t.contains("  ru  Пресс-релиз."), "{t}");
    assert!(!t.contains("report"), "{t}");
    let out = run_ok(
        process(&mem).args(["units", "--match", "(?i)ANNUAL", "--format", "jsonl"]),
        0,
    );
    let v: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(v["id"], 2);
    assert_eq!(v["creator"], "ann");
    let out = run_ok(
        process(&mem).args(["units", "--created-by", "ann", "--format", "tsv"]),
        0,
    );
    let t = text(&out.stdout);
    assert!(t.starts_with("id\tlang\ttext\t"), "{t}");
    assert!(
        t.contains("2\tru\tГодовой отчёт.\treport.tsv\tann\t"),
        "{t}"
    );
    run_ok(process(&mem).args(["units", "--lang", "de"]), 1);
    run_ok(process(&mem).args(["units", "--since", "2999-01-01"]), 1);
    let out = run_ok(process(&mem).args(["units", "--since", "last week"]), 2);
    assert!(text(&out.stderr).contains("invalid date"));
    let out = run_ok(process(&mem).args(["units", "--match", "("]), 2);
    assert!(
        text(&out.stderr).contains("--match"),
        "{}",
        text(&out.stderr)
    );
    // A memory that does not exist is an error, never created by a read.
    let missing = dir.path().join("none.sqlite");
    for cmd in [
        &["units"][..],
        &["history"],
        &["undo", "1"],
        &["edit", "1", "--lang", "ru", "--text", "x"],
    ] {
        run_ok(process(&missing).args(cmd), 2);
        assert!(!missing.exists(), "{cmd:?} created the memory");
    }
}

#[test]
fn edit_keeps_context_and_refuses_what_is_not_there() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let en = dir.path().join("a.en.txt");
    let ru = dir.path().join("a.ru.txt");
    std::fs::write(
        &en,
        "The talks began. They ended on Monday. Everyone left.\n",
    )
    .unwrap();
    std::fs::write(
        &ru,
        "Переговоры начались. Они закончились в понедельник. Все ушли.\n",
    )
    .unwrap();
    let out = run_ok(
        process(&mem)
            .args(["align", "--from", "en", "--to", "ru", "--store"])
            .arg(&en)
            .arg(&ru),
        0,
    );
    assert!(text(&out.stderr).contains("recorded as batch 1"));
    let before = util::units(&mem);
    let middle = before
        .iter()
        .find(|u| u.variant("en").unwrap().text == "They ended on Monday.")
        .expect("aligned unit");
    let id = middle.id.unwrap().to_string();
    run_ok(
        process(&mem).args([
            "edit",
            &id,
            "--lang",
            "ru",
            "--text",
            "Они завершились в понедельник.",
        ]),
        0,
    );
    let after = util::units(&mem);
    let edited = after.iter().find(|u| u.id == middle.id).unwrap();
    assert_eq!(
        edited.variant("ru").unwrap().text,
        "Они завершились в понедельник."
    );
    assert_eq!(
        edited.variant("en").unwrap().prev,
        middle.variant("en").unwrap().prev
    );
    assert_eq!(
        edited.variant("ru").unwrap().next,
        middle.variant("ru").unwrap().next
    );
    assert_eq!(edited.created, middle.created);
    assert_eq!(edited.changer.as_deref(), Some("tester"));
    for bad in [
        vec!["edit", "999", "--lang", "ru", "--text", "x"],
        vec!["edit", &id, "--lang", "de", "--text", "x"],
        vec!["edit", &id, "--lang", "ru", "--text", "  "],
    ] {
        run_ok(process(&mem).args(&bad), 2);
    }
    assert_eq!(util::units(&mem), after);
}

#[test]
fn lookup_filters_and_source_penalties() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let mt = tsv(
        dir.path(),
        "mt-batch.tsv",
        &[("The port is closed.", "Порт закрыт (МП).")],
    );
    let human = tsv(
        dir.path(),
        "human.tsv",
        &[("The port is closed.", "Порт закрыт.")],
    );
    run_ok(process(&mem).arg("import").arg(&mt), 0);
    run_ok(
        util::bin()
            .arg("--memory")
            .arg(&mem)
            .args(["--creator", "ann", "import"])
            .arg(&human),
        0,
    );
    let look = |extra: &[&str], code: i32| -> Vec<serde_json::Value> {
        let out = run_ok(
            process(&mem)
                .args(["lookup", "--from", "en", "--to", "ru", "--format", "jsonl"])
                .args(extra)
                .arg("The port is closed."),
            code,
        );
        let v: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
        v["matches"].as_array().unwrap().clone()
    };
    // Both are 100%: the newest unit first (issue 25), the human one.
    let all = look(&[], 0);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["target"], "Порт закрыт.");
    let pen = look(&["--penalty", "origin:mt-*=10"], 0);
    assert_eq!(pen[0]["target"], "Порт закрыт.");
    assert_eq!(pen[0]["score"], 100.0);
    assert_eq!(pen[1]["score"], 90.0);
    assert_eq!(pen[1]["penalties"][0]["kind"], "origin");
    assert_eq!(pen[1]["penalties"][0]["points"], 10.0);
    // Every unit is newer than a day: older-than charges nothing.
    let fresh = look(&["--penalty", "older-than:1=5"], 0);
    assert!(fresh.iter().all(|m| m["score"] == 100.0));
    let only = look(&["--origin", "human*"], 0);
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["target"], "Порт закрыт.");
    let by = look(&["--created-by", "ann"], 0);
    assert_eq!(by.len(), 1);
    assert!(look(&["--since", "2999-01-01"], 1).is_empty());
    let out = run_ok(
        process(&mem).args([
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "--penalty",
            "age=3",
            "x y",
        ]),
        2,
    );
    assert!(text(&out.stderr).contains("origin:GLOB=N"));
    // Standard input goes through the same filter.
    let queries = dir.path().join("q.txt");
    std::fs::write(&queries, "The port is closed.\n").unwrap();
    let out = run_ok(
        process(&mem)
            .args([
                "lookup", "--from", "en", "--to", "ru", "--format", "jsonl", "--origin", "human*",
            ])
            .stdin(std::process::Stdio::from(
                std::fs::File::open(&queries).unwrap(),
            )),
        0,
    );
    let t = text(&out.stdout);
    assert!(t.contains("Порт закрыт.") && !t.contains("МП"), "{t}");
}

#[test]
fn analysis_repetitions_and_custom_bands() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let f = tsv(
        dir.path(),
        "port.tsv",
        &[("The port is closed.", "Порт закрыт.")],
    );
    run_ok(process(&mem).arg("import").arg(&f), 0);
    let a = dir.path().join("a.txt");
    std::fs::write(
        &a,
        "The port is closed. Ships wait outside the harbour.\n\n\
         Ships wait outside the harbour. The port is closed.\n",
    )
    .unwrap();
    let b = dir.path().join("b.txt");
    std::fs::write(&b, "Ships wait outside the harbour.\n").unwrap();
    let run = |extra: &[&str]| -> serde_json::Value {
        let out = run_ok(
            process(&mem)
                .args(["analyze", "--from", "en", "--to", "ru", "--format", "json"])
                .args(extra)
                .arg(&a)
                .arg(&b),
            0,
        );
        serde_json::from_str(text(&out.stdout).trim()).unwrap()
    };
    let v = run(&[]);
    let seg = |f: &serde_json::Value, band: &str| f[band]["segments"].as_u64().unwrap();
    let (fa, fb) = (&v["files"][0], &v["files"][1]);
    // The repeated 100% match is counted as 100% both times, not as a repetition.
    assert_eq!(seg(fa, "100") + seg(fa, "context"), 2, "{fa}");
    assert_eq!(seg(fa, "repetitions"), 1, "{fa}");
    assert_eq!(seg(fa, "no-match"), 1, "{fa}");
    assert_eq!(seg(fb, "cross-file-repetitions"), 1, "{fb}");
    assert_eq!(seg(fb, "repetitions"), 0, "{fb}");
    assert_eq!(seg(&v["total"], "cross-file-repetitions"), 1);

    let v = run(&["--bands", "100,90"]);
    let keys: Vec<&str> = v["total"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    for k in [
        "context",
        "100",
        "90-99",
        "no-match",
        "repetitions",
        "cross-file-repetitions",
    ] {
        assert!(keys.contains(&k), "{keys:?}");
    }
    assert!(!keys.contains(&"95-99"));
    assert_eq!(seg(&v["total"], "repetitions"), 1);
    let out = run_ok(
        process(&mem)
            .args(["analyze", "--from", "en", "--to", "ru", "--bands", "90,100"])
            .arg(&a),
        2,
    );
    assert!(
        text(&out.stderr).contains("must be 100"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn dedupe_reports_keeps_newest_merges_exact_and_undoes() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let a = tsv(dir.path(), "old.tsv", &[("Yes.", "Да."), ("No.", "Нет.")]);
    let b = tsv(
        dir.path(),
        "new.tsv",
        &[("Yes.", "Ага."), ("Maybe.", "Может быть.")],
    );
    run_ok(process(&mem).arg("import").arg(&a), 0);
    run_ok(process(&mem).arg("import").arg(&b), 0);
    // An edit turns "Maybe." into an exact duplicate of "No.".
    run_ok(
        process(&mem).args(["edit", "4", "--lang", "en", "--text", "No."]),
        0,
    );
    run_ok(
        process(&mem).args(["edit", "4", "--lang", "ru", "--text", "Нет."]),
        0,
    );
    let before = export(&mem);
    let args = ["dedupe", "--from", "en", "--to", "ru"];
    let out = run_ok(process(&mem).args(args).args(["--exact", "report"]), 0);
    let report = text(&out.stdout);
    assert!(report.contains("Yes. (2 translations)"), "{report}");
    assert!(
        report.contains("exact duplicates: units 2, 4 (kept)"),
        "{report}"
    );
    assert_eq!(export(&mem), before, "report changes nothing");
    let out = run_ok(
        process(&mem)
            .args(args)
            .args(["--conflicts", "keep-newest", "--dry-run"]),
        0,
    );
    assert!(text(&out.stderr).contains("would delete 1 older translation and merge away 1"));
    assert_eq!(export(&mem), before);
    let out = run_ok(
        process(&mem)
            .args(args)
            .args(["--conflicts", "keep-newest"]),
        0,
    );
    let err = text(&out.stderr);
    assert!(
        err.contains("deleted 1 older translation and merged away 1 duplicate unit"),
        "{err}"
    );
    let units = util::units(&mem);
    let texts: Vec<&str> = units.iter().map(|u| u.variants[1].text.as_str()).collect();
    assert_eq!(texts, ["Нет.", "Ага."]);
    // The merged unit keeps the other's origin.
    assert!(
        units[0]
            .props
            .contains(&("x-origin".to_string(), "new.tsv".to_string()))
    );
    let h = history(&mem);
    let last = h.last().unwrap()["id"].as_i64().unwrap().to_string();
    run_ok(process(&mem).args(["undo", &last]), 0);
    assert_eq!(export(&mem), before);
}
