//! Output files (issue 17, issue 10): `export -o`, `pretranslate -o` and
//! `align -o` never write over the memory or its derived files, replace the
//! target only when complete and leave no temporary file; CSV/TSV exports
//! carry metadata and context columns on request and read back losslessly;
//! `align` refuses oversized input at once.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;
use transmem::memory::{Memory, Unit, Variant};

fn tm(mem: &Path) -> Command {
    let mut c = Command::cargo_bin("transmem").unwrap();
    c.arg("--memory").arg(mem).arg("--creator").arg("tester");
    c.env_remove("TRANSMEM_MAX_SEGMENT")
        .env_remove("TRANSMEM_MAX_LINE");
    c
}

fn units(mem: &Path) -> Vec<Unit> {
    let m = Memory::open(mem).unwrap();
    let mut out = Vec::new();
    m.for_each_unit(|u| {
        out.push(u);
        Ok(())
    })
    .unwrap();
    out
}

/// A memory with units whose text and metadata hold tabs, line breaks,
/// backslashes and quotes.
fn seeded(dir: &Path) -> PathBuf {
    let mem = dir.join("m.sqlite");
    let mut m = Memory::open(&mem).unwrap();
    let mut w = m.writer().unwrap();
    let v = |lang: &str, text: &str, prev: Option<&str>, next: Option<&str>| Variant {
        lang: lang.into(),
        text: text.into(),
        prev: prev.map(Into::into),
        next: next.map(Into::into),
        ..Variant::default()
    };
    let units = [
        Unit {
            variants: vec![
                v(
                    "en",
                    "Col A\tCol B",
                    Some("Before.\tTab"),
                    Some("After\\n, \"q\""),
                ),
                v("ru", "Столбец А\tСтолбец Б", None, Some("После.")),
            ],
            origin: Some("docs\\guide.md".into()),
            created: Some("20240102T030405Z".into()),
            creator: Some("ann, the editor".into()),
            changed: Some("20250102T030405Z".into()),
            changer: Some("bob".into()),
            ..Unit::default()
        },
        Unit {
            variants: vec![
                v("en", "Line one\nline two\r\nend \\ C:\\new", None, None),
                v("ru", "Строка\nдве", None, None),
            ],
            origin: Some("a\nb".into()),
            creator: Some("tester".into()),
            ..Unit::default()
        },
        Unit {
            variants: vec![
                v("en", "Plain.", None, None),
                v("ru", "Просто.", None, None),
            ],
            origin: Some("x".into()),
            creator: Some("tester".into()),
            ..Unit::default()
        },
    ];
    for u in &units {
        w.insert(u, Some("en"), Default::default()).unwrap();
    }
    w.commit().unwrap();
    mem
}

/// What an export with all columns keeps, comparable across memories.
fn essence(mem: &Path) -> Vec<String> {
    let mut out: Vec<String> = units(mem)
        .iter()
        .map(|u| {
            let vs: Vec<String> = u
                .variants
                .iter()
                .map(|v| format!("{}={:?}/{:?}/{:?}", v.lang, v.text, v.prev, v.next))
                .collect();
            format!(
                "{vs:?} {:?} {:?} {:?} {:?} {:?}",
                u.origin, u.created, u.creator, u.changed, u.changer
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn csv_and_tsv_exports_with_all_columns_round_trip_exactly() {
    // Before: TSV flattened tabs and line breaks (a real round trip lost 14
    // of 3,337 units) and no export carried origin, dates or context.
    let dir = TempDir::new().unwrap();
    let mem = seeded(dir.path());
    for format in ["tsv", "csv"] {
        let file = dir.path().join(format!("all.{format}"));
        tm(&mem)
            .args(["export", "--langs", "en,ru"])
            .args([
                "--columns",
                "origin,created,creator,changed,changer,context",
            ])
            .arg("-o")
            .arg(&file)
            .assert()
            .success();
        let text = std::fs::read_to_string(&file).unwrap();
        let header = text.lines().next().unwrap();
        let sep = if format == "tsv" { "\t" } else { "," };
        assert_eq!(
            header,
            [
                "en", "ru", "origin", "created", "creator", "changed", "changer", "prev:en",
                "next:en", "prev:ru", "next:ru"
            ]
            .join(sep)
        );
        if format == "tsv" {
            assert!(
                text.contains("Col A\\tCol B\tСтолбец А\\tСтолбец Б\tdocs\\\\guide.md\t"),
                "{text}"
            );
            assert_eq!(text.lines().count(), 4, "one line per unit: {text}");
        }
        let back = dir.path().join(format!("back-{format}.sqlite"));
        tm(&back).arg("import").arg(&file).assert().success();
        assert_eq!(essence(&back), essence(&mem), "{format}");
    }
}

#[test]
fn export_columns_are_checked() {
    let dir = TempDir::new().unwrap();
    let mem = seeded(dir.path());
    for (args, needle) in [
        (
            &["export", "--format", "csv", "--columns", "origin,colour"][..],
            "unknown column \"colour\"",
        ),
        (
            &["export", "--format", "tmx", "--columns", "origin"][..],
            "--columns is for CSV and TSV",
        ),
    ] {
        let out = tm(&mem).args(args).assert().code(2);
        let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(err.contains(needle), "{err}");
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn outputs_never_replace_the_memory_or_its_files() {
    // Before: `export -o` naming the memory replaced it with TMX.
    let dir = TempDir::new().unwrap();
    let mem = seeded(dir.path());
    let before = std::fs::read(&mem).unwrap();
    let text = dir.path().join("story.txt");
    std::fs::write(&text, "Plain.\n").unwrap();
    std::fs::write(dir.path().join("story.ru"), "Просто.\n").unwrap();
    let listing = names(dir.path());
    for target in [
        "m.sqlite",
        "m.sqlite-wal",
        "m.sqlite-shm",
        "m.sqlite-journal",
        "m.sqlite.match-en.idx",
    ] {
        let t = dir.path().join(target);
        let runs: Vec<Vec<std::ffi::OsString>> = vec![
            vec!["export".into(), "-o".into(), t.clone().into()],
            vec![
                "pretranslate".into(),
                "--from".into(),
                "en".into(),
                "--to".into(),
                "ru".into(),
                text.clone().into(),
                "-o".into(),
                t.clone().into(),
            ],
            vec![
                "align".into(),
                "--src-lang".into(),
                "en".into(),
                "--tgt-lang".into(),
                "ru".into(),
                "--format".into(),
                "tmx".into(),
                "-o".into(),
                t.clone().into(),
                text.clone().into(),
                dir.path().join("story.ru").into(),
            ],
        ];
        for args in runs {
            let out = tm(&mem).args(&args).assert().code(2);
            let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
            assert!(
                err.contains("refusing to write over the memory"),
                "{args:?}: {err}"
            );
        }
    }
    assert_eq!(std::fs::read(&mem).unwrap(), before, "the memory changed");
    assert_eq!(
        names(dir.path()),
        listing,
        "a file was left behind or created"
    );
}

#[test]
fn outputs_are_complete_files_and_nothing_else() {
    let dir = TempDir::new().unwrap();
    let mem = seeded(dir.path());
    let src = dir.path().join("a.en");
    let tgt = dir.path().join("a.ru");
    std::fs::write(&src, "One sentence. Two sentences.\n").unwrap();
    std::fs::write(&tgt, "Одно предложение. Два предложения.\n").unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // A symlink at the name the old code used must not be followed.
    #[cfg(unix)]
    {
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        std::os::unix::fs::symlink(&victim, out.join("page.html.1.part")).unwrap();
    }
    for (format, name) in [("html", "page.html"), ("tmx", "links.tmx")] {
        tm(&mem)
            .args([
                "align",
                "--src-lang",
                "en",
                "--tgt-lang",
                "ru",
                "--format",
                format,
                "-o",
            ])
            .arg(out.join(name))
            .arg(&src)
            .arg(&tgt)
            .assert()
            .success()
            .stdout("");
    }
    let tmx = std::fs::read_to_string(out.join("links.tmx")).unwrap();
    assert!(
        tmx.contains("Два предложения.") && tmx.trim_end().ends_with("</tmx>"),
        "{tmx}"
    );
    assert!(
        std::fs::read_to_string(out.join("page.html"))
            .unwrap()
            .contains("Одно предложение.")
    );
    tm(&mem)
        .arg("export")
        .arg("-o")
        .arg(out.join("m.tmx"))
        .assert()
        .success();
    let mut want = vec!["links.tmx", "m.tmx", "page.html"];
    if cfg!(unix) {
        want.push("page.html.1.part");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("victim")).unwrap(),
            "precious"
        );
    }
    want.sort();
    assert_eq!(names(&out), want);
    // A failed export (a language the memory lacks is fine; a missing
    // folder is not) leaves the old file as it was.
    std::fs::write(out.join("m.tmx"), "old").unwrap();
    tm(&dir.path().join("none.sqlite"))
        .arg("export")
        .arg("-o")
        .arg(out.join("m.tmx"))
        .assert()
        .code(2);
    assert_eq!(std::fs::read_to_string(out.join("m.tmx")).unwrap(), "old");
    assert_eq!(names(&out), want);
}

#[test]
fn align_refuses_oversized_input_at_once() {
    // Before: a 10 MB single-line source ran for more than 600 s.
    let dir = TempDir::new().unwrap();
    let src = dir.path().join("huge.en");
    let tgt = dir.path().join("small.ru");
    std::fs::write(&src, format!("Intro.\n{}\n", "word ".repeat(2_000_000))).unwrap();
    std::fs::write(&tgt, "Привет.\n").unwrap();
    let mem = dir.path().join("m.sqlite");
    let out = tm(&mem)
        .args(["align", "--src-lang", "en", "--tgt-lang", "ru"])
        .arg(&src)
        .arg(&tgt)
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("huge.en:2 (byte 7): the line is longer than the line limit"),
        "{err}"
    );
    // A line under the line limit that is one 100 kB segment.
    std::fs::write(&src, "word ".repeat(20_000)).unwrap();
    let out = tm(&mem)
        .args(["align", "--src-lang", "en", "--tgt-lang", "ru"])
        .arg(&src)
        .arg(&tgt)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("huge.en:1 (byte 0): the segment is longer than the segment limit"),
        "{err}"
    );
    assert!(!mem.exists(), "align without --store made a memory");
}

#[cfg(target_os = "linux")]
#[test]
fn a_write_error_half_way_leaves_the_old_file_and_no_temp_file() {
    // The file size limit (ulimit -f, with SIGXFSZ ignored so that writes
    // fail with EFBIG instead of killing the process) stands in for a full
    // disk: the export fails after writing part of its output.
    let dir = TempDir::new().unwrap();
    let mem = dir.path().join("m.sqlite");
    {
        let mut m = Memory::open(&mem).unwrap();
        let mut w = m.writer().unwrap();
        for i in 0..3000 {
            let u = Unit {
                variants: vec![
                    Variant {
                        lang: "en".into(),
                        text: format!("Sentence number {i} of a long export."),
                        ..Variant::default()
                    },
                    Variant {
                        lang: "ru".into(),
                        text: format!("Предложение номер {i} длинного экспорта."),
                        ..Variant::default()
                    },
                ],
                ..Unit::default()
            };
            w.insert(&u, Some("en"), Default::default()).unwrap();
        }
        w.commit().unwrap();
    }
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let target = out.join("m.tsv");
    std::fs::write(&target, "old").unwrap();
    let bin = assert_cmd::cargo::cargo_bin("transmem");
    // 256 blocks of 512 bytes: 128 KiB, less than the export (about 250 KB).
    let script = format!(
        "trap '' XFSZ; ulimit -f 256; exec '{}' --memory '{}' export --format tsv -o '{}'",
        bin.display(),
        mem.display(),
        target.display()
    );
    let res = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .env_remove("TRANSMEM_MAX_SEGMENT")
        .env_remove("TRANSMEM_MAX_LINE")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(err.contains("File too large"), "{err}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
    assert_eq!(names(&out), ["m.tsv"], "a temporary file was left behind");
    // Without the limit the same export succeeds.
    tm(&mem)
        .args(["export", "--format", "tsv", "-o"])
        .arg(&target)
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(&target).unwrap().lines().count(),
        3001
    );
}
