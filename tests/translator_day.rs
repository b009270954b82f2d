//! Issue 25, "a translator's day without surprises": one test per defect,
//! each run through the `transmem` binary as the translator ran it.

mod util;

use std::path::{Path, PathBuf};

use util::{process, run_ok, text};

/// Writes `body` to `dir/name` and returns the path.
fn write(dir: &Path, name: &str, body: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

/// Writes a headed en/ru TSV of `rows`.
fn tsv(dir: &Path, name: &str, rows: &[(&str, &str)]) -> PathBuf {
    let mut s = String::from("en\tru\n");
    for (a, b) in rows {
        s.push_str(&format!("{a}\t{b}\n"));
    }
    write(dir, name, s)
}

fn stderr(o: &std::process::Output) -> String {
    text(&o.stderr)
}

fn stdout(o: &std::process::Output) -> String {
    text(&o.stdout)
}

// ---------------------------------------------------------------------
// Updates replace, they do not pile up

#[test]
fn equal_scores_list_the_newest_unit_first() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let old = tsv(
        dir.path(),
        "old.tsv",
        &[("The port is closed.", "Порт закрыт (старый).")],
    );
    let new = tsv(
        dir.path(),
        "new.tsv",
        &[("The port is closed.", "Порт закрыт.")],
    );
    run_ok(process(&mem).arg("import").arg(&old), 0);
    run_ok(process(&mem).arg("import").arg(&new), 0);
    let out = run_ok(
        process(&mem).args([
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "--format",
            "jsonl",
            "The port is closed.",
        ]),
        0,
    );
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let targets: Vec<&str> = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["Порт закрыт.", "Порт закрыт (старый)."]);
    // A fuzzy query ties too: still the newest first.
    let out = run_ok(
        process(&mem).args([
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "--format",
            "jsonl",
            "The port is closed today.",
        ]),
        0,
    );
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["matches"][0]["target"], "Порт закрыт.");
}

// ---------------------------------------------------------------------
// Smaller defects

#[test]
fn a_date_with_a_multibyte_character_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let f = tsv(dir.path(), "a.tsv", &[("One.", "Один.")]);
    run_ok(process(&mem).arg("import").arg(&f), 0);
    for opt in ["--since", "--until"] {
        let out = run_ok(process(&mem).args(["units", opt, "1234567éabcdefg"]), 2);
        assert!(stderr(&out).contains("invalid date"), "{}", stderr(&out));
    }
    let out = run_ok(
        process(&mem).args(["delete", "--until", "1234567éabcdefg", "--dry-run"]),
        2,
    );
    assert!(stderr(&out).contains("invalid date"), "{}", stderr(&out));
}

#[test]
fn replace_refuses_references_to_groups_the_pattern_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let f = tsv(
        dir.path(),
        "a.tsv",
        &[("150 tonnes of wheat.", "150 тонн пшеницы.")],
    );
    run_ok(process(&mem).arg("import").arg(&f), 0);
    for bad in ["$1t", "$name"] {
        let out = run_ok(
            process(&mem).args([
                "replace",
                "--lang",
                "en",
                "--find",
                r"(\d+) tonnes",
                "--replace",
                bad,
            ]),
            2,
        );
        assert!(stderr(&out).contains("does not have"), "{}", stderr(&out));
    }
    assert!(
        stderr(&run_ok(
            process(&mem).args([
                "replace",
                "--lang",
                "en",
                "--find",
                r"(\d+) tonnes",
                "--replace",
                "$1t"
            ]),
            2
        ))
        .contains("${1}t")
    );
    run_ok(
        process(&mem).args([
            "replace",
            "--lang",
            "en",
            "--find",
            r"(\d+) tonnes",
            "--replace",
            "${1}t",
        ]),
        0,
    );
    let out = run_ok(
        process(&mem).args(["units", "--format", "tsv", "--lang", "en"]),
        0,
    );
    assert!(stdout(&out).contains("150t of wheat."), "{}", stdout(&out));
}

#[test]
fn a_csv_header_with_an_empty_cell_is_an_error_naming_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let f = write(dir.path(), "a.csv", ",ru\nThe port.,Порт.\n");
    let out = run_ok(process(&mem).arg("import").arg(&f), 2);
    assert!(
        stderr(&out).contains("header column 1 is empty"),
        "{}",
        stderr(&out)
    );
    assert!(!mem.exists(), "a failed import leaves no memory");
}

#[test]
fn the_spreadsheet_csv_export_neutralises_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let f = tsv(
        dir.path(),
        "a.tsv",
        &[
            ("=HYPERLINK(\"http://evil\",\"x\")", "Ссылка."),
            ("@SUM(A1:A9)", "Сумма."),
            ("+1+1", "Два."),
        ],
    );
    run_ok(process(&mem).arg("import").arg(&f), 0);
    let csv = dir.path().join("excel.csv");
    run_ok(
        process(&mem)
            .args(["export", "--format", "csv", "--bom", "-o"])
            .arg(&csv),
        0,
    );
    let body = std::fs::read_to_string(&csv).unwrap();
    for line in body.lines().skip(1) {
        let first = line.trim_start_matches('"');
        assert!(!first.starts_with(['=', '@', '+']), "formula cell: {line}");
    }
    assert!(body.contains("'@SUM(A1:A9)"), "{body}");
    // Imported back, the texts are as stored.
    let mem2 = dir.path().join("m2.sqlite");
    run_ok(process(&mem2).arg("import").arg(&csv), 0);
    let out = run_ok(process(&mem2).args(["export", "--format", "tsv"]), 0);
    assert!(stdout(&out).contains("@SUM(A1:A9)\tСумма.") && !stdout(&out).contains('\''));
}

#[test]
fn bidi_overrides_are_escaped_in_tables() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let f = tsv(
        dir.path(),
        "a.tsv",
        &[(
            "The port is closed today.",
            "Порт \u{202e}закрыт\u{202c} сегодня.",
        )],
    );
    run_ok(process(&mem).arg("import").arg(&f), 0);
    let out = run_ok(
        process(&mem).args([
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "The port is closed today.",
        ]),
        0,
    );
    let s = stdout(&out);
    assert!(!s.contains('\u{202e}') && s.contains("\\u{202e}"), "{s}");
    let out = run_ok(process(&mem).args(["units", "--lang", "ru"]), 0);
    assert!(!stdout(&out).contains('\u{202e}'), "{}", stdout(&out));
    // jsonl keeps the text exact.
    let out = run_ok(
        process(&mem).args([
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "--format",
            "jsonl",
            "The port is closed today.",
        ]),
        0,
    );
    assert!(stdout(&out).contains('\u{202e}'));
}

#[test]
fn without_user_the_creator_is_the_os_account() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let f = tsv(dir.path(), "a.tsv", &[("One.", "Один.")]);
    let account = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    let account = text(&account.stdout).trim().to_string();
    assert!(!account.is_empty());
    run_ok(
        util::bin()
            .env_remove("USER")
            .env_remove("USERNAME")
            .arg("--memory")
            .arg(&mem)
            .arg("import")
            .arg(&f),
        0,
    );
    let out = run_ok(process(&mem).args(["units", "--format", "jsonl"]), 0);
    let v: serde_json::Value = serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
    assert_eq!(v["creator"], account.as_str(), "{v}");
}

// ---------------------------------------------------------------------
// Every file is read, or refused with a reason

const STORY_EN: &str = "\
Prices at the port of Novorossiysk fell slightly on Monday, traders said.
Exporters expect a record harvest of 45,000 tonnes this year.
The ministry raised its forecast by 3.5% in March.

According to her, the country shipped 150,000 tonnes of wheat to Egypt alone. Algeria bought the rest.
Buyers in Turkey are waiting for lower prices.
";

const STORY_RU: &str = "\
Цены в порту Новороссийска в понедельник немного снизились, сообщили трейдеры.
Экспортёры ожидают в этом году рекордный урожай в 45 000 тонн.
В марте министерство повысило свой прогноз на 3,5%.

По её словам, страна отгрузила 150 000 тонн пшеницы только в Египет, остальное купил Алжир.
Покупатели в Турции ждут снижения цен.
";

#[test]
fn legacy_encodings_are_detected_reported_and_can_be_forced() {
    let dir = tempfile::tempdir().unwrap();
    let en = write(dir.path(), "story.en.txt", STORY_EN);
    let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode(STORY_RU);
    let (koi8, _, _) = encoding_rs::KOI8_R.encode(STORY_RU);
    let mut utf16 = Vec::new();
    for u in STORY_RU.encode_utf16() {
        utf16.extend(u.to_le_bytes());
    }
    let want = run_ok(
        util::bin()
            .args(["align", "--from", "en", "--to", "ru", "--format", "jsonl"])
            .arg(&en)
            .arg(write(dir.path(), "utf8.ru.txt", STORY_RU)),
        0,
    );
    for (name, bytes, enc) in [
        ("cp1251.ru.txt", &cp1251[..], "windows-1251"),
        ("koi8.ru.txt", &koi8[..], "KOI8"),
        ("utf16.ru.txt", &utf16[..], "UTF-16LE"),
    ] {
        let ru = write(dir.path(), name, bytes);
        let out = run_ok(
            util::bin()
                .args(["align", "--from", "en", "--to", "ru", "--format", "jsonl"])
                .arg(&en)
                .arg(&ru),
            0,
        );
        assert_eq!(stdout(&out), stdout(&want), "{name}");
        assert!(
            stderr(&out).contains(&format!("{name}: read as {enc}")),
            "{name}: {}",
            stderr(&out)
        );
    }
    // A cp1251 TSV is read too.
    let mem = dir.path().join("m.sqlite");
    let (tsv, _, _) = encoding_rs::WINDOWS_1251
        .encode("en\tru\nThe port is closed.\tПорт закрыт.\nThe wheat is here.\tПшеница здесь.\n");
    let f = write(dir.path(), "pairs.tsv", &tsv[..]);
    let out = run_ok(process(&mem).arg("import").arg(&f), 0);
    assert!(
        stderr(&out).contains("pairs.tsv: read as windows-1251 (detected)"),
        "{}",
        stderr(&out)
    );
    let out = run_ok(process(&mem).args(["export", "--format", "tsv"]), 0);
    assert!(stdout(&out).contains("Порт закрыт."), "{}", stdout(&out));
    // --encoding forces one, and says so.
    let out = run_ok(
        util::bin()
            .args(["segment", "--lang", "ru", "--encoding", "koi8-r"])
            .arg(dir.path().join("koi8.ru.txt")),
        0,
    );
    assert!(stdout(&out).starts_with("Цены в порту"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("read as KOI8-R (--encoding)"),
        "{}",
        stderr(&out)
    );
    // Standard input too.
    let mut child = util::bin()
        .args(["segment", "--lang", "ru"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &cp1251).unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(stdout(&out).starts_with("Цены в порту"), "{}", stdout(&out));
    // Damaged UTF-8 is refused with its line and byte, and the way out.
    let mut bad = STORY_RU.as_bytes().to_vec();
    bad.insert(9, 0xFF);
    let ru = write(dir.path(), "bad.ru.txt", bad);
    let out = run_ok(
        util::bin()
            .args(["align", "--from", "en", "--to", "ru"])
            .arg(&en)
            .arg(&ru),
        2,
    );
    assert!(
        stderr(&out).contains("bad.ru.txt:1 (byte 9): invalid UTF-8")
            && stderr(&out).contains("--encoding"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn empty_input_is_an_error_and_storing_nothing_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let empty = write(dir.path(), "empty.en.txt", "");
    let blank = write(dir.path(), "blank.en.txt", "\n  \n");
    let ru = write(dir.path(), "story.ru.txt", STORY_RU);
    for e in [&empty, &blank] {
        let out = run_ok(
            process(&mem)
                .args(["align", "--from", "en", "--to", "ru", "--store"])
                .arg(e)
                .arg(&ru),
            2,
        );
        assert!(
            stderr(&out).contains(&format!("{}: the file is empty", e.display())),
            "{}",
            stderr(&out)
        );
        assert!(!mem.exists());
    }
    let good = tsv(dir.path(), "a.tsv", &[("One.", "Один.")]);
    run_ok(process(&mem).arg("import").arg(&good), 0);
    for cmd in ["analyze", "pretranslate"] {
        let out = run_ok(
            process(&mem)
                .args([cmd, "--from", "en", "--to", "ru"])
                .arg(&empty),
            2,
        );
        assert!(
            stderr(&out).contains("empty.en.txt: the file is empty"),
            "{cmd}: {}",
            stderr(&out)
        );
    }
    // An empty TSV is an error; one that stores nothing creates no memory.
    let mem2 = dir.path().join("m2.sqlite");
    let e = write(dir.path(), "e.tsv", "");
    let out = run_ok(process(&mem2).arg("import").arg(&e), 2);
    assert!(
        stderr(&out).contains("e.tsv: the file is empty"),
        "{}",
        stderr(&out)
    );
    let header = write(dir.path(), "h.tsv", "en\tru\n");
    let out = run_ok(process(&mem2).arg("import").arg(&header), 0);
    assert!(stderr(&out).contains("stored nothing"), "{}", stderr(&out));
    assert!(
        !mem2.exists(),
        "an import that stores nothing created the memory"
    );
}

#[test]
fn importing_a_plain_text_points_to_align() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let en = write(dir.path(), "story.en.txt", STORY_EN);
    let out = run_ok(process(&mem).arg("import").arg(&en), 2);
    let err = stderr(&out);
    assert!(
        err.contains("story.en.txt:1")
            && err.contains("looks like plain text")
            && err.contains("transmem align"),
        "{err}"
    );
    assert!(!mem.exists());
}

#[test]
fn pretranslate_refuses_an_extension_it_does_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let f = tsv(dir.path(), "a.tsv", &[("One.", "Один.")]);
    run_ok(process(&mem).arg("import").arg(&f), 0);
    let en = write(dir.path(), "story.en.txt", STORY_EN);
    let docx = dir.path().join("draft.docx");
    for extra in [&[][..], &["--format", "xliff"][..]] {
        let out = run_ok(
            process(&mem)
                .args(["pretranslate", "--from", "en", "--to", "ru"])
                .args(extra)
                .arg(&en)
                .arg("-o")
                .arg(&docx),
            2,
        );
        assert!(stderr(&out).contains("not .docx"), "{}", stderr(&out));
        assert!(!docx.exists());
    }
}

// ---------------------------------------------------------------------
// Wrong languages are caught everywhere

/// A memory holding the story, aligned and stored; returns (dir, memory,
/// English file, Russian file).
fn story() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let en = write(dir.path(), "story.en.txt", STORY_EN);
    let ru = write(dir.path(), "story.ru.txt", STORY_RU);
    run_ok(
        process(&mem)
            .args(["align", "--from", "en", "--to", "ru", "--store"])
            .arg(&en)
            .arg(&ru),
        0,
    );
    (dir, mem, en, ru)
}

#[test]
fn lookup_analyze_and_pretranslate_catch_swapped_languages() {
    let (dir, mem, en, _) = story();
    let q = "Prices at the port of Novorossiysk fell slightly.";
    let swapped = |out: &std::process::Output| {
        let e = stderr(out);
        assert!(
            e.contains("are --from and --to swapped?") && e.contains("--force"),
            "{e}"
        );
    };
    swapped(&run_ok(
        process(&mem).args(["lookup", "--from", "ru", "--to", "en", q]),
        2,
    ));
    swapped(&run_ok(
        process(&mem)
            .args(["analyze", "--from", "ru", "--to", "en"])
            .arg(&en),
        2,
    ));
    let xlf = dir.path().join("x.xlf");
    swapped(&run_ok(
        process(&mem)
            .args(["pretranslate", "--from", "ru", "--to", "en"])
            .arg(&en)
            .arg("-o")
            .arg(&xlf),
        2,
    ));
    assert!(!xlf.exists());
    // Standard input too.
    let mut child = process(&mem)
        .args(["lookup", "--from", "ru", "--to", "en"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), STORY_EN.as_bytes()).unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    swapped(&out);
    // --force goes on.
    run_ok(
        process(&mem).args(["lookup", "--from", "ru", "--to", "en", "--force", q]),
        1,
    );
    run_ok(
        process(&mem)
            .args(["analyze", "--force", "--from", "ru", "--to", "en"])
            .arg(&en),
        0,
    );
    // The right direction still works.
    run_ok(
        process(&mem).args([
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "Prices at the port of Novorossiysk fell slightly on Monday, traders said.",
        ]),
        0,
    );
}

#[test]
fn language_codes_are_checked_against_the_registry() {
    let (dir, mem, en, ru) = story();
    let before = util::units(&mem);
    let out = run_ok(
        process(&mem)
            .args(["align", "--from", "en", "--to", "xx", "--store"])
            .arg(&en)
            .arg(&ru),
        2,
    );
    assert!(
        stderr(&out).contains("xx is not a language"),
        "{}",
        stderr(&out)
    );
    // rn is Rundi, written in Latin: Russian text is not rn, and the
    // memory's ru is one letter away.
    let out = run_ok(
        process(&mem)
            .args(["align", "--from", "en", "--to", "rn", "--store"])
            .arg(&en)
            .arg(&ru),
        2,
    );
    let e = stderr(&out);
    assert!(
        e.contains("did you mean ru?") && !e.contains("swapped"),
        "{e}"
    );
    assert_eq!(util::units(&mem), before, "nothing stored");
    let out = run_ok(
        process(&mem).args(["lookup", "--from", "en", "--to", "rn", "The port."]),
        2,
    );
    assert!(
        stderr(&out).contains("did you mean ru?"),
        "{}",
        stderr(&out)
    );
    let out = run_ok(
        process(&mem).args(["lookup", "--from", "en", "--to", "ry", "The port."]),
        2,
    );
    assert!(
        stderr(&out).contains("ry is not a language") && stderr(&out).contains("did you mean ru?"),
        "{}",
        stderr(&out)
    );
    drop(dir);
}

// ---------------------------------------------------------------------
// Drafts stay drafts

#[test]
fn merge_writes_only_confirmed_targets_and_counts_drafts_apart() {
    let (dir, mem, _, _) = story();
    // A new article: one sentence as stored (100%), one close (a fuzzy
    // draft), one new.
    let new = write(
        dir.path(),
        "new.en.txt",
        "Buyers in Turkey are waiting for lower prices.\n\
         Buyers in Algeria are waiting for lower prices.\n\
         The harbour master retired after forty years.\n",
    );
    let job = dir.path().join("job.xlf");
    run_ok(
        process(&mem)
            .args(["pretranslate", "--from", "en", "--to", "ru", "-o"])
            .arg(&job)
            .arg(&new),
        0,
    );
    let xlf = std::fs::read_to_string(&job).unwrap();
    assert!(xlf.contains("needs-review-translation"), "{xlf}");
    let out = run_ok(process(&mem).arg("merge").arg(&job), 0);
    let (merged, err) = (stdout(&out), stderr(&out));
    assert!(
        merged.contains("Покупатели в Турции ждут снижения цен."),
        "{merged}"
    );
    // The fuzzy draft says Turkey where the source says Algeria: kept as source.
    assert!(
        merged.contains("Buyers in Algeria are waiting for lower prices."),
        "{merged}"
    );
    assert_eq!(merged.matches("Турции").count(), 1, "{merged}");
    assert!(
        err.contains("1 translated, 1 unreviewed draft kept as source (`--min-state needs-review-translation` includes it), 1 without translation kept their source"),
        "{err}"
    );
    let out = run_ok(
        process(&mem)
            .args(["merge", "--min-state", "needs-review-translation"])
            .arg(&job),
        0,
    );
    assert_eq!(
        stdout(&out).matches("Турции").count(),
        2,
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).contains("2 translated"), "{}", stderr(&out));
}

#[test]
fn a_substituted_draft_shows_the_match_score_and_is_marked() {
    let (_dir, mem, _, _) = story();
    let out = run_ok(
        process(&mem).args([
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "Exporters expect a record harvest of 47,000 tonnes this year.",
        ]),
        0,
    );
    let s = stdout(&out);
    let lines: Vec<&str> = s.lines().collect();
    let score = lines[0].trim_start().split('%').next().unwrap().to_string();
    assert_ne!(score, "100.0", "{s}");
    let draft = lines
        .iter()
        .find(|l| l.contains("47 000"))
        .unwrap_or_else(|| panic!("no substituted draft: {s}"));
    assert!(draft.trim_start().starts_with(&format!("{score}%")), "{s}");
    assert!(draft.contains("substituted 45,000 \u{2192} 47,000"), "{s}");
    assert!(!s.contains("100.0%"), "{s}");
}

// ---------------------------------------------------------------------
// --review compares texts

/// The corrections the page saves before any change: `align --format
/// jsonl`'s links, with the page's text fingerprints when `page` is given.
fn corrections(dir: &Path, en: &Path, ru: &Path, fingerprints: bool) -> String {
    let jsonl = run_ok(
        util::bin()
            .args(["align", "--from", "en", "--to", "ru", "--format", "jsonl"])
            .arg(en)
            .arg(ru),
        0,
    );
    let links: Vec<serde_json::Value> = stdout(&jsonl)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut c = serde_json::json!({ "links": links });
    if fingerprints {
        let html = run_ok(
            util::bin()
                .args(["align", "--from", "en", "--to", "ru", "--format", "html"])
                .arg(en)
                .arg(ru),
            0,
        );
        let page = stdout(&html);
        let start = page.find("id=\"tm-data\">").unwrap() + "id=\"tm-data\">".len();
        let end = start + page[start..].find("</script>").unwrap();
        let data: serde_json::Value = serde_json::from_str(&page[start..end]).unwrap();
        c["texts"] = data["texts"].clone();
    }
    let p = dir.join(if fingerprints {
        "page.json"
    } else {
        "jsonl.json"
    });
    std::fs::write(&p, c.to_string()).unwrap();
    p.display().to_string()
}

#[test]
fn review_refuses_corrections_made_for_other_texts() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let en = write(dir.path(), "story.en.txt", STORY_EN);
    let ru = write(dir.path(), "story.ru.txt", STORY_RU);
    let edited = write(
        dir.path(),
        "edited.en.txt",
        STORY_EN.replace("150,000", "130,000"),
    );
    for fp in [true, false] {
        let c = corrections(dir.path(), &en, &ru, fp);
        let out = run_ok(
            process(&mem)
                .args([
                    "align", "--from", "en", "--to", "ru", "--store", "--review", &c,
                ])
                .arg(&edited)
                .arg(&ru),
            2,
        );
        let e = stderr(&out);
        assert!(
            e.contains("130,000") && e.contains("edited.en.txt"),
            "fingerprints {fp}: {e}"
        );
        assert!(!mem.exists());
        // The texts it was made for are accepted.
        run_ok(
            process(&mem)
                .args([
                    "align", "--from", "en", "--to", "ru", "--format", "tsv", "--review", &c,
                ])
                .arg(&en)
                .arg(&ru),
            0,
        );
    }
    // With the page's fingerprints, the translator's own edits pass.
    let c = corrections(dir.path(), &en, &ru, true);
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&c).unwrap()).unwrap();
    v["links"][0]["tgt_text"] = "Исправленный текст.".into();
    std::fs::write(&c, v.to_string()).unwrap();
    let out = run_ok(
        process(&mem)
            .args([
                "align", "--from", "en", "--to", "ru", "--format", "tsv", "--review", &c,
            ])
            .arg(&en)
            .arg(&ru),
        0,
    );
    assert!(stdout(&out).contains("Исправленный текст."));
    // Segments are numbered from 1 in messages, as on the page.
    v["links"][0]["src"] = serde_json::json!([9]);
    v.as_object_mut().unwrap().remove("texts");
    std::fs::write(&c, v.to_string()).unwrap();
    let out = run_ok(
        process(&mem)
            .args(["align", "--from", "en", "--to", "ru", "--review", &c])
            .arg(&en)
            .arg(&ru),
        2,
    );
    assert!(
        stderr(&out).contains("source segment 10 does not exist"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_reviewed_alignment_replaces_the_first_store_in_one_undoable_batch() {
    let (dir, mem, en, ru) = story();
    let first = util::units(&mem);
    let q = "Prices at the port of Novorossiysk fell slightly on Monday, traders said.";
    // The translator corrects link 1 on the page and stores the review.
    let c = corrections(dir.path(), &en, &ru, true);
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&c).unwrap()).unwrap();
    assert_eq!(v["links"][0]["src_text"], q);
    let fixed = "Цены в порту Новороссийска в понедельник слегка снизились, сообщили трейдеры.";
    v["links"][0]["tgt_text"] = fixed.into();
    std::fs::write(&c, v.to_string()).unwrap();
    let out = run_ok(
        process(&mem)
            .args([
                "align", "--from", "en", "--to", "ru", "--store", "--review", &c,
            ])
            .arg(&en)
            .arg(&ru),
        0,
    );
    let err = stderr(&out);
    assert!(
        err.contains("stored 1 new unit")
            && err.contains("unchanged")
            && err.contains("1 earlier unit of story.en.txt superseded"),
        "{err}"
    );
    let batch: String = err
        .split("recorded as batch ")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    assert_eq!(
        util::unit_count(&mem),
        first.len() as u64,
        "one version, not both"
    );
    let out = run_ok(
        process(&mem).args([
            "lookup", "--from", "en", "--to", "ru", "--format", "jsonl", q,
        ]),
        0,
    );
    let m: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let hundred: Vec<&serde_json::Value> = m["matches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["score"].as_f64().unwrap() >= 100.0)
        .collect();
    assert_eq!(hundred.len(), 1, "{m}");
    assert_eq!(hundred[0]["target"], fixed);
    // Unchanged units keep their ids.
    let now = util::units(&mem);
    assert_eq!(
        now.iter()
            .filter(|u| first.iter().any(|f| f.id == u.id))
            .count(),
        first.len() - 1
    );
    // One undo brings the first version back.
    run_ok(process(&mem).args(["undo", &batch]), 0);
    let back = util::units(&mem);
    assert_eq!(back.len(), first.len());
    assert!(
        back.iter()
            .any(|u| u.variants[1].text == first[0].variants[1].text)
    );
    assert!(!back.iter().any(|u| u.variants[1].text == fixed));
}

#[test]
fn align_store_takes_on_duplicate_and_other_pairs_are_not_superseded() {
    let (dir, mem, en, _) = story();
    let n = util::unit_count(&mem);
    // The same English document aligned with German is another document.
    let de = write(
        dir.path(),
        "story.de.txt",
        "Die Preise im Hafen von Noworossijsk sanken am Montag leicht, sagten Händler.\n\
         Exporteure erwarten in diesem Jahr eine Rekordernte von 45.000 Tonnen.\n\
         Das Ministerium hob seine Prognose im März um 3,5 % an.\n\n\
         Ihr zufolge lieferte das Land allein nach Ägypten 150.000 Tonnen Weizen. Algerien kaufte den Rest.\n\
         Käufer in der Türkei warten auf niedrigere Preise.\n",
    );
    run_ok(
        process(&mem)
            .args(["align", "--from", "en", "--to", "de", "--store"])
            .arg(&en)
            .arg(&de),
        0,
    );
    assert!(util::unit_count(&mem) > n);
    let ru = util::units(&mem)
        .iter()
        .filter(|u| u.variants.iter().any(|v| v.lang == "ru"))
        .count() as u64;
    assert_eq!(ru, n, "the en-ru units were not superseded");
    // --on-duplicate skip: a source stored from another document keeps its
    // translation.
    let other = write(
        dir.path(),
        "other.en.txt",
        "Buyers in Turkey are waiting for lower prices.\n",
    );
    let other_ru = write(
        dir.path(),
        "other.ru.txt",
        "Покупатели в Турции ожидают снижения цен.\n",
    );
    let out = run_ok(
        process(&mem)
            .args([
                "align",
                "--from",
                "en",
                "--to",
                "ru",
                "--store",
                "--on-duplicate",
                "skip",
            ])
            .arg(&other)
            .arg(&other_ru),
        0,
    );
    assert!(
        stderr(&out).contains("stored 0 new units (1 duplicate skipped)"),
        "{}",
        stderr(&out)
    );
    let out = run_ok(
        process(&mem)
            .args([
                "align",
                "--from",
                "en",
                "--to",
                "ru",
                "--store",
                "--on-duplicate",
                "overwrite",
            ])
            .arg(&other)
            .arg(&other_ru),
        0,
    );
    assert!(stderr(&out).contains("1 overwritten"), "{}", stderr(&out));
    let out = run_ok(
        process(&mem).args([
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "--format",
            "jsonl",
            "Buyers in Turkey are waiting for lower prices.",
        ]),
        0,
    );
    assert!(stdout(&out).contains("ожидают"), "{}", stdout(&out));
}

#[test]
fn a_closed_pipe_ends_jsonl_lookups_quietly() {
    let (_dir, mem, _, _) = story();
    let mut input = String::new();
    for i in 0..3000 {
        input.push_str(&format!(
            "Buyers in Turkey are waiting for lower prices number {i}.\n"
        ));
    }
    for format in ["jsonl", "table"] {
        let mut child = process(&mem)
            .args(["lookup", "--from", "en", "--to", "ru", "--format", format])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let feed = input.clone();
        let writer = std::thread::spawn(move || {
            let _ = std::io::Write::write_all(&mut stdin, feed.as_bytes());
        });
        // Read 10 bytes, then close the pipe, as `head -c 10` does.
        let mut out = child.stdout.take().unwrap();
        let mut buf = [0u8; 10];
        std::io::Read::read_exact(&mut out, &mut buf).unwrap();
        drop(out);
        let done = child.wait_with_output().unwrap();
        writer.join().unwrap();
        assert_eq!(done.status.code(), Some(0), "{format}: {}", stderr(&done));
        assert!(
            !stderr(&done).contains("Broken pipe"),
            "{format}: {}",
            stderr(&done)
        );
    }
}

#[test]
fn help_lists_only_server_options_under_server() {
    for cmd in [
        "segment",
        "align",
        "import",
        "export",
        "lookup",
        "concordance",
        "analyze",
        "pretranslate",
        "stats",
        "units",
        "edit",
        "delete",
        "replace",
        "history",
        "undo",
        "merge",
        "dedupe",
    ] {
        let out = run_ok(util::bin().args(["help", cmd]), 0);
        let help = stdout(&out);
        let mut section = "";
        for line in help.lines() {
            if !line.starts_with(' ') && line.ends_with(':') {
                section = line;
                continue;
            }
            let opt = line.trim_start();
            if section == "Server:" && opt.starts_with("--") {
                assert!(
                    opt.starts_with("--server") || opt.starts_with("--token"),
                    "help {cmd}: {opt} under Server:"
                );
            }
        }
    }
    // The import options themselves are under "Options:", not under the
    // heading of a group that came before them.
    let help = stdout(&run_ok(util::bin().args(["help", "import"]), 0));
    let options = help.find("\nOptions:").unwrap();
    let next = options + 1 + help[options + 1..].find("\n\n").unwrap();
    for opt in ["--min-state", "--defer-index", "--on-duplicate"] {
        let at = help.find(opt).unwrap();
        assert!(
            at > options && at < next,
            "help import: {opt} outside Options:\n{help}"
        );
    }
}

#[test]
fn export_says_what_it_wrote_and_where() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let f = tsv(dir.path(), "a.tsv", &[("One.", "Один."), ("Two.", "Два.")]);
    run_ok(process(&mem).arg("import").arg(&f), 0);
    let out = run_ok(process(&mem).args(["export", "--format", "tsv"]), 0);
    assert!(
        stderr(&out).contains("exported 2 units of")
            && stderr(&out).contains("as TSV to standard output"),
        "{}",
        stderr(&out)
    );
    let tmx = dir.path().join("all.tmx");
    let out = run_ok(process(&mem).args(["export", "-o"]).arg(&tmx), 0);
    assert!(
        stderr(&out).contains("exported 2 units")
            && stderr(&out).contains(&format!("as TMX to {}", tmx.display())),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_import_that_finds_the_memory_damaged_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let a = tsv(dir.path(), "a.tsv", &[("One.", "Один."), ("Two.", "Два.")]);
    run_ok(process(&mem).args(["import", "--defer-index"]).arg(&a), 0);
    rusqlite::Connection::open(&mem)
        .unwrap()
        .execute_batch("UPDATE variant SET text = X'FF00FE' WHERE lang = 'en'")
        .unwrap();
    let b = tsv(dir.path(), "b.tsv", &[("Three.", "Три.")]);
    let out = run_ok(process(&mem).arg("import").arg(&b), 2);
    assert!(stderr(&out).contains("is damaged"), "{}", stderr(&out));
}

/// A read-only tmpfs mounted for a test, unmounted when dropped.
struct ReadOnlyMount(PathBuf);

impl ReadOnlyMount {
    /// Mounts a tmpfs at `dir`, lets `fill` put files in it, and remounts it
    /// read-only; `None` where mounting is not permitted.
    fn new(dir: &Path, fill: impl FnOnce(&Path)) -> Option<ReadOnlyMount> {
        let mount = |args: &[&str]| {
            std::process::Command::new("mount")
                .args(args)
                .arg(dir)
                .output()
                .is_ok_and(|o| o.status.success())
        };
        std::fs::create_dir_all(dir).unwrap();
        if !mount(&["-t", "tmpfs", "-o", "size=8m", "tmpfs"]) {
            return None;
        }
        let m = ReadOnlyMount(dir.to_path_buf());
        fill(dir);
        assert!(mount(&["-o", "remount,ro"]), "remount read-only");
        Some(m)
    }
}

impl Drop for ReadOnlyMount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).output();
    }
}

#[test]
fn a_memory_on_read_only_media_can_be_read() {
    let (dir, mem, _, _) = story();
    let ro = dir.path().join("cdrom");
    let Some(_mount) = ReadOnlyMount::new(&ro, |d| {
        std::fs::copy(&mem, d.join("m.sqlite")).unwrap();
    }) else {
        eprintln!("read-only media test SKIPPED: cannot mount a tmpfs here (needs root)");
        return;
    };
    let ro_mem = ro.join("m.sqlite");
    run_ok(process(&ro_mem).arg("stats"), 0);
    let out = run_ok(
        process(&ro_mem).args([
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "Buyers in Turkey are waiting for lower prices.",
        ]),
        0,
    );
    assert!(
        stdout(&out).contains("Покупатели в Турции"),
        "{}",
        stdout(&out)
    );
    let out = run_ok(process(&ro_mem).args(["export", "--format", "tsv"]), 0);
    assert!(stdout(&out).contains("Покупатели в Турции"));
    run_ok(
        process(&ro_mem).args(["concordance", "--lang", "en", "wheat"]),
        0,
    );
    let f = tsv(dir.path(), "a.tsv", &[("One.", "Один.")]);
    let out = run_ok(process(&ro_mem).arg("import").arg(&f), 2);
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
}

// ---------------------------------------------------------------------
// Find Russian words in any form

#[test]
fn concordance_finds_word_forms_wildcards_and_exact_phrases() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let f = tsv(
        dir.path(),
        "a.tsv",
        &[
            ("The wheat harvest grew.", "Урожай пшеницы вырос."),
            ("Egypt buys wheat.", "Египет покупает пшеницу."),
            ("Wheat is cheap.", "Пшеница дешёвая."),
            ("Millet is cheaper.", "Пшено дешевле."),
            ("Tonnes of wheat were shipped.", "Отгружены тонны пшеницы."),
        ],
    );
    run_ok(process(&mem).arg("import").arg(&f), 0);
    let ids = |q: &str| -> Vec<String> {
        let out = process(&mem)
            .args(["concordance", "--lang", "ru", "--format", "jsonl", q])
            .output()
            .unwrap();
        let mut v: Vec<String> = stdout(&out)
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["text"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        v.sort();
        v
    };
    let wheat = ids("пшеница");
    assert_eq!(wheat.len(), 4, "{wheat:?}");
    assert!(!wheat.iter().any(|t| t.contains("Пшено")));
    assert_eq!(ids("пшениц*").len(), 4);
    assert_eq!(ids("пш*").len(), 5);
    assert_eq!(ids("\"тонны пшеницы\""), ["Отгружены тонны пшеницы."]);
    assert_eq!(ids("\"пшеницы тонны\""), Vec::<String>::new());
    // English forms too.
    let out = run_ok(
        process(&mem).args(["concordance", "--lang", "en", "tonne"]),
        0,
    );
    assert!(stdout(&out).contains("[Tonnes]"), "{}", stdout(&out));
}

// ---------------------------------------------------------------------
// The halves of a merged sentence can be found

#[test]
fn the_halves_of_a_stored_two_to_one_unit_are_found_and_used() {
    let (dir, mem, _, _) = story();
    let half = "According to her, the country shipped 150,000 tonnes of wheat to Egypt alone.";
    let whole_ru = "По её словам, страна отгрузила 150 000 тонн пшеницы только в Египет, остальное купил Алжир.";
    let units = util::units(&mem);
    assert!(
        units
            .iter()
            .any(|u| u.variants[0].text.starts_with(half) && u.variants[0].text.len() > half.len()),
        "the story stores a 2:1 unit"
    );
    let out = run_ok(
        process(&mem).args([
            "lookup", "--from", "en", "--to", "ru", "--format", "jsonl", half,
        ]),
        0,
    );
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let m = &v["matches"][0];
    assert_eq!(m["part"], serde_json::json!({"segment": 1, "of": 2}), "{v}");
    assert_eq!(m["target"], whole_ru);
    let score = m["score"].as_f64().unwrap();
    assert!((75.0..100.0).contains(&score), "honest, not 100: {score}");
    assert!(m["penalties"].to_string().contains("\"part\""), "{v}");
    let out = run_ok(
        process(&mem).args(["lookup", "--from", "en", "--to", "ru", half]),
        0,
    );
    assert!(
        stdout(&out).contains("part of a larger unit: sentence 1 of 2"),
        "{}",
        stdout(&out)
    );
    // pretranslate fills both halves; analyze counts them as fuzzy matches.
    let new = write(
        dir.path(),
        "new.en.txt",
        format!("{half} Algeria bought the rest.\n"),
    );
    let out = run_ok(
        process(&mem)
            .args([
                "pretranslate",
                "--from",
                "en",
                "--to",
                "ru",
                "--format",
                "tsv",
            ])
            .arg(&new),
        0,
    );
    let tsv_out = stdout(&out);
    let rows: Vec<Vec<&str>> = tsv_out.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 2, "{}", stdout(&out));
    assert!(rows.iter().all(|r| r[1] == whole_ru), "{}", stdout(&out));
    let out = run_ok(
        process(&mem)
            .args(["analyze", "--from", "en", "--to", "ru", "--format", "json"])
            .arg(&new),
        0,
    );
    let a: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let no_match = a["total"]["no-match"]["segments"].as_u64().unwrap_or(0)
        + a["total"]["50-74"]["segments"].as_u64().unwrap_or(0);
    assert_eq!(no_match, 0, "{a}");
}
