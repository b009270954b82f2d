//! The reproductions of issue 12 (never lose a memory, never show a wrong
//! answer with confidence) and the lookup items of issue 17 (ranking,
//! hostile lookups, terminal safety, messages), one test each, run against
//! the binary. Every run gets a private HOME and data folder, so no test can
//! write into the real per-user memory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use transmem::memory::{Memory, OnDuplicate, Unit, Variant};

/// A scratch folder with a fake home inside.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("home")).expect("home");
        Scratch { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The binary, run in `cwd` with the fake home and no memory set.
    fn bin(&self, cwd: &Path) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_transmem"));
        c.current_dir(cwd)
            .env("HOME", self.path("home"))
            .env_remove("XDG_DATA_HOME")
            .env_remove("TRANSMEM_MEMORY")
            .env("NO_COLOR", "1");
        c
    }

    /// The binary with `--memory m`.
    fn tm(&self, mem: &Path) -> Command {
        let mut c = self.bin(self.dir.path());
        c.arg("--memory").arg(mem);
        c
    }
}

fn v(lang: &str, text: &str) -> Variant {
    Variant {
        lang: lang.into(),
        text: text.into(),
        ..Variant::default()
    }
}

fn fill(path: &Path, pairs: &[(impl AsRef<str>, impl AsRef<str>)]) {
    let mut mem = Memory::open(path).expect("open");
    let mut w = mem.writer().expect("writer");
    for (en, ru) in pairs {
        let u = Unit {
            variants: vec![v("en", en.as_ref()), v("ru", ru.as_ref())],
            created: Some("20260101T000000Z".into()),
            ..Unit::default()
        };
        w.insert(&u, Some("en"), OnDuplicate::KeepBoth)
            .expect("insert");
    }
    w.commit().expect("commit");
}

fn run(c: &mut Command) -> Output {
    c.output().expect("run transmem")
}

fn run_in(c: &mut Command, input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = input.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    let _ = feeder.join();
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn jsonl(b: &[u8]) -> Vec<serde_json::Value> {
    text(b)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

const EN: &str = "The harbour was quiet in the morning. Fishing boats came back before noon. \
                  The market opened at ten o'clock.";
const RU: &str = "Утром в гавани было тихо. Рыбацкие лодки вернулись до полудня. \
                  Рынок открылся в десять часов.";

fn article(s: &Scratch) -> (PathBuf, PathBuf) {
    let (en, ru) = (s.path("story.en.txt"), s.path("story.ru.txt"));
    std::fs::write(&en, EN).expect("write");
    std::fs::write(&ru, RU).expect("write");
    (en, ru)
}

// ---- issue 12: data loss and silent splits ----

#[test]
fn demo_never_touches_the_users_memory() {
    let s = Scratch::new();
    let mem = s.path("real.sqlite");
    fill(&mem, &[("One unit of real work.", "Одна единица работы.")]);
    let before = std::fs::read(&mem).expect("read");
    let listing = files_in(s.dir.path());
    // As the README recommends: TRANSMEM_MEMORY set; and --memory too.
    let out = run(s.bin(s.dir.path()).env("TRANSMEM_MEMORY", &mem).arg("demo"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("no file is written"));
    let out = run(s.tm(&mem).arg("demo"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(&mem).expect("read"), before, "memory changed");
    assert_eq!(files_in(s.dir.path()), listing, "files appeared");
    assert!(files_in(&s.path("home")).is_empty(), "data folder written");
}

#[cfg(target_os = "linux")]
#[test]
fn one_default_memory_from_any_folder_and_writers_say_where() {
    let s = Scratch::new();
    let (en, ru) = article(&s);
    let (a, b) = (s.path("a"), s.path("b"));
    std::fs::create_dir(&a).expect("a");
    std::fs::create_dir(&b).expect("b");
    let home = s.path("home").join(".local/share/transmem/default.sqlite");
    let out = run(s
        .bin(&a)
        .args(["align", "--from", "en", "--to", "ru", "--store"])
        .args([&en, &ru]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "stored 3 new units (0 duplicates skipped) in {}",
            home.display()
        )),
        "{err}"
    );
    let tsv = s.path("more.tsv");
    std::fs::write(
        &tsv,
        "Boats.\tЛодки.\nThe harbour was quiet in the morning.\tУтром в гавани было тихо.\n",
    )
    .expect("write");
    let out = run(s.bin(&b).args(["import", "--langs", "en,ru"]).arg(&tsv));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "stored 1 new unit (1 duplicate skipped) in {}",
            home.display()
        )),
        "{err}"
    );
    // One memory: nothing was created in either folder.
    assert!(files_in(&a).is_empty() && files_in(&b).is_empty());
    let out = run(s.bin(&b).args(["stats", "--format", "json"]));
    let st: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(st["units"], 4, "{st}");
}

#[test]
fn align_refuses_languages_that_do_not_fit_the_script() {
    let s = Scratch::new();
    let (en, ru) = article(&s);
    let mem = s.path("m.sqlite");
    let out = run(s
        .tm(&mem)
        .args(["align", "--src-lang", "ru", "--tgt-lang", "en", "--store"])
        .args([&en, &ru]));
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("Latin") && err.contains("swapped"), "{err}");
    assert!(!mem.exists(), "nothing may be stored");
    let out = run(s
        .tm(&mem)
        .args(["align", "--from", "ru", "--to", "en", "--store", "--force"])
        .args([&en, &ru]));
    assert!(out.status.success(), "{}", text(&out.stderr));
}

// ---- issue 12: wrong answers shown with confidence ----

#[test]
fn substitution_never_inflates_a_score() {
    let s = Scratch::new();
    let mem = s.path("m.sqlite");
    // Untranslated targets, as OmegaT memories hold: every source word is
    // in the target verbatim, the sentence-initial one included.
    fill(
        &mem,
        &[
            ("Run aligner utility", "Run aligner utility"),
            ("Start aligner utility", "Start aligner utility"),
        ],
    );
    let out = run(s.tm(&mem).args([
        "lookup",
        "--from",
        "en",
        "--to",
        "ru",
        "--format",
        "jsonl",
        "--threshold",
        "50",
        "The aligner utility",
    ]));
    let v = &jsonl(&out.stdout)[0];
    let ms = v["matches"].as_array().expect("matches");
    assert!(!ms.is_empty(), "{v}");
    for m in ms {
        assert!(m["score"].as_f64().unwrap_or(100.0) < 90.0, "{m}");
        assert!(m.get("substituted_target").is_none(), "{m}");
        assert!(m.get("substituted_score").is_none(), "{m}");
    }
}

#[test]
fn numbers_and_dates_substitute_in_every_style() {
    let s = Scratch::new();
    let mem = s.path("m.sqlite");
    fill(
        &mem,
        &[
            (
                "Exports grew to 120,000 tonnes.",
                "Экспорт вырос до 120\u{A0}000 тонн.",
            ),
            (
                "Inflation slowed to 3.2 percent.",
                "Инфляция замедлилась до 3,2 процента.",
            ),
            ("The summit opens on June 20.", "Саммит откроется 20 июня."),
        ],
    );
    let out = run_in(
        s.tm(&mem)
            .args(["lookup", "--from", "en", "--to", "ru", "--format", "jsonl"]),
        "Exports grew to 135,500 tonnes.\nInflation slowed to 2.9 percent.\nThe summit opens on July 20.\n"
            .as_bytes(),
    );
    let lines = jsonl(&out.stdout);
    let draft = |i: usize| lines[i]["matches"][0]["substituted_target"].clone();
    assert_eq!(draft(0), "Экспорт вырос до 135\u{A0}500 тонн.");
    assert_eq!(draft(1), "Инфляция замедлилась до 2,9 процента.");
    assert_eq!(draft(2), "Саммит откроется 20 июля.");
}

#[test]
fn blank_and_wordless_queries_are_skipped() {
    let s = Scratch::new();
    let mem = s.path("m.sqlite");
    fill(&mem, &[("…", "…"), ("!", "!"), ("2024", "2024")]);
    let out = run_in(
        s.tm(&mem)
            .args(["lookup", "--from", "en", "--to", "ru", "--format", "jsonl"]),
        b"\n   \n\t\n...\n",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let lines = jsonl(&out.stdout);
    assert_eq!(lines.len(), 4);
    for l in &lines[..3] {
        assert_eq!(l["skipped"], "blank", "{l}");
        assert_eq!(l["matches"].as_array().map(Vec::len), Some(0));
    }
    assert!(
        lines[3]["skipped"]
            .as_str()
            .is_some_and(|w| w.starts_with("no words"))
    );
    // The same as an argument is a usage error.
    let out = run(s
        .tm(&mem)
        .args(["lookup", "--from", "en", "--to", "ru", "  "]));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_language_not_in_the_memory_is_an_error_naming_those_it_holds() {
    let s = Scratch::new();
    let mem = s.path("m.sqlite");
    fill(&mem, &[("Good morning.", "Доброе утро.")]);
    for (from, to, bad) in [("de", "ru", "de"), ("en", "fr", "fr")] {
        let out = run(s
            .tm(&mem)
            .args(["lookup", "--from", from, "--to", to, "Guten Morgen."]));
        assert_eq!(out.status.code(), Some(2), "{from}->{to}");
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!("no {bad} text")) && err.contains("en, ru"),
            "{err}"
        );
    }
    let doc = s.path("doc.txt");
    std::fs::write(&doc, "Guten Morgen.\n").expect("write");
    for cmd in ["analyze", "pretranslate"] {
        for (from, to, bad) in [("de", "ru", "de"), ("en", "fr", "fr")] {
            let out = run(s.tm(&mem).args([cmd, "--from", from, "--to", to]).arg(&doc));
            assert_eq!(out.status.code(), Some(2), "{cmd} {from}->{to}");
            let err = text(&out.stderr);
            assert!(err.contains(&format!("no {bad} text")), "{cmd}: {err}");
        }
    }
    let stray: Vec<String> = files_in(s.dir.path())
        .into_iter()
        .filter(|f| f.contains(".match-de") || f.contains(".match-fr"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[test]
fn pretranslate_takes_the_format_from_the_extension() {
    let s = Scratch::new();
    let mem = s.path("m.sqlite");
    fill(
        &mem,
        &[(
            "The port handled 120,000 containers.",
            "Порт обработал 120 000 контейнеров.",
        )],
    );
    let doc = s.path("new.txt");
    std::fs::write(&doc, "The port handled 150,000 containers.\n").expect("write");
    let tmx = s.path("draft.tmx");
    let out = run(s
        .tm(&mem)
        .args(["pretranslate", "--from", "en", "--to", "ru", "-o"])
        .arg(&tmx)
        .arg(&doc));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let t = std::fs::read_to_string(&tmx).expect("tmx");
    assert!(t.contains("<tmx ") && !t.contains("<xliff"), "{t}");
    let out = run(s
        .tm(&mem)
        .args([
            "pretranslate",
            "--from",
            "en",
            "--to",
            "ru",
            "--format",
            "xliff",
            "-o",
        ])
        .arg(s.path("x.tmx"))
        .arg(&doc));
    assert_eq!(out.status.code(), Some(2));
    assert!(!s.path("x.tmx").exists());
    // XLIFF: the draft in <target>, the memory unit as stored in <alt-trans>.
    let xlf = s.path("draft.xlf");
    let out = run(s
        .tm(&mem)
        .args(["pretranslate", "--from", "en", "--to", "ru", "-o"])
        .arg(&xlf)
        .arg(&doc));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let x = std::fs::read_to_string(&xlf).expect("xlf");
    let (unit, alt) = x.split_once("<alt-trans").expect("alt-trans");
    assert!(
        unit.contains("Порт обработал 150 000 контейнеров.</target>"),
        "{x}"
    );
    assert!(
        alt.contains("The port handled 120,000 containers.</source>"),
        "{x}"
    );
    assert!(
        alt.contains("Порт обработал 120 000 контейнеров.</target>"),
        "{x}"
    );
}

#[test]
fn nonsense_option_values_are_usage_errors() {
    let s = Scratch::new();
    let mem = s.path("m.sqlite");
    fill(&mem, &[("Good morning.", "Доброе утро.")]);
    for args in [
        &["lookup", "--limit", "0"][..],
        &["lookup", "--threshold", "150"],
        &["lookup", "--limit", "1000000000"],
        &["lookup", "--limit", "9223372036854775807"],
        &["lookup", "--threshold=-1"],
    ] {
        let out = run(s
            .tm(&mem)
            .args(args)
            .args(["--from", "en", "--to", "ru", "Good morning."]));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert!(
            err.contains("invalid value") && !err.contains("panicked"),
            "{err}"
        );
    }
    let out = run(s
        .tm(&mem)
        .args(["concordance", "--lang", "en", "--limit", "0", "morning"]));
    assert_eq!(out.status.code(), Some(2));
}

// ---- issue 12: messages and conventions ----

#[test]
fn from_and_to_on_every_pair_command() {
    let s = Scratch::new();
    let (en, ru) = article(&s);
    let mem = s.path("m.sqlite");
    for (from, to) in [("--from", "--to"), ("--src-lang", "--tgt-lang")] {
        let out = run(s
            .tm(&mem)
            .args(["align", from, "en", to, "ru"])
            .args([&en, &ru]));
        assert!(out.status.success(), "{from}: {}", text(&out.stderr));
    }
    // A language option the command does not have: no misleading tip
    // (`align --source` used to suggest `--store`, `align --from` `--format`).
    for (cmd, opt, want) in [
        ("align", "--source", "--from LANG --to LANG"),
        ("lookup", "--lang", "--from LANG --to LANG"),
        ("concordance", "--from-lang", ""),
        ("segment", "--to", "--lang LANG"),
    ] {
        let out = run(s.bin(s.dir.path()).args([cmd, opt, "en", "x"]));
        assert_eq!(out.status.code(), Some(2), "{cmd} {opt}");
        let err = text(&out.stderr);
        assert!(
            err.contains(want) && !err.contains("--store"),
            "{cmd} {opt}: {err}"
        );
    }
    for cmd in ["align", "lookup", "analyze", "pretranslate"] {
        let out = run(s.bin(s.dir.path()).args([cmd, "--help"]));
        let h = text(&out.stdout);
        assert!(
            h.contains("--from <LANG>") && h.contains("--to <LANG>"),
            "{cmd}: {h}"
        );
        assert!(!h.contains("--src-lang"), "{cmd}: old name shown");
    }
}

#[test]
fn file_errors_say_the_os_message_once_with_the_given_path() {
    let s = Scratch::new();
    let mem = s.path("m.sqlite");
    fill(&mem, &[("Good morning.", "Доброе утро.")]);
    let dir = s.path("folder");
    std::fs::create_dir(&dir).expect("dir");
    for cmd in ["analyze", "pretranslate"] {
        let out = run(s
            .tm(&mem)
            .args([cmd, "--from", "en", "--to", "ru"])
            .arg(&dir));
        assert_eq!(out.status.code(), Some(2));
        let err = text(&out.stderr);
        assert_eq!(err.matches("os error").count(), 1, "{err}");
        assert!(err.contains(&dir.display().to_string()), "{err}");
    }
}

#[test]
fn memory_errors_say_the_sqlite_message_once() {
    let s = Scratch::new();
    let bad = s.path("not-a-memory.sqlite");
    std::fs::write(&bad, "just some text, not SQLite\n".repeat(100)).expect("write");
    let out = run(s
        .tm(&bad)
        .args(["lookup", "--from", "en", "--to", "ru", "Hello there."]));
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.matches("not an SQLite database").count(), 1, "{err}");
    assert!(err.contains("not-a-memory.sqlite"), "{err}");
}

#[test]
fn help_has_examples_on_their_own_lines_and_global_options_apart() {
    let s = Scratch::new();
    let mut defaults = Vec::new();
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
        "demo",
    ] {
        let out = run(s.bin(s.dir.path()).args([cmd, "--help"]));
        let h = text(&out.stdout);
        let (own, global) = h.split_once("Global options:").expect("heading");
        assert!(!own.contains("--memory <LOCATION>"), "{cmd}");
        assert!(global.contains("--memory <LOCATION>"), "{cmd}");
        let ex = h.split_once("Examples:\n").expect("examples").1;
        assert!(
            ex.lines()
                .take_while(|l| !l.is_empty())
                .all(|l| l.starts_with("  transmem ")),
            "{cmd}: {ex}"
        );
        assert!(!h.contains("Example: "), "{cmd}");
        let at = global.find("[default:").expect("default memory");
        defaults.push(global[at..].split(']').next().unwrap_or("").to_string());
    }
    defaults.dedup();
    assert_eq!(defaults.len(), 1, "{defaults:?}");
    assert!(defaults[0].contains("per-user data folder"));
}

#[test]
fn table_diff_is_marked_in_plain_text_without_colour() {
    let s = Scratch::new();
    let mem = s.path("m.sqlite");
    fill(
        &mem,
        &[(
            "The museum is closed on Tuesdays.",
            "Музей закрыт по вторникам.",
        )],
    );
    let out = run(s.tm(&mem).args([
        "lookup",
        "--from",
        "en",
        "--to",
        "ru",
        "The museum is closed on Mondays.",
    ]));
    let t = text(&out.stdout);
    assert!(t.contains("[-Tuesdays-]{+Mondays+}"), "{t}");
    assert!(!t.contains('\x1b'));
}

// ---- issue 17: ranking, hostile lookups, terminal safety, messages ----

#[test]
fn the_identical_source_ranks_first_at_100() {
    for n in [10, 30, 300] {
        let s = Scratch::new();
        let mem = s.path("m.sqlite");
        let pairs: Vec<(String, String)> = (1..=n)
            .map(|i| {
                (
                    format!("The meeting is on day {i}."),
                    format!("Встреча в день {i}."),
                )
            })
            .collect();
        fill(&mem, &pairs);
        for q in [10, n, 1] {
            let out = run(s.tm(&mem).args([
                "lookup",
                "--from",
                "en",
                "--to",
                "ru",
                "--limit",
                "1",
                "--format",
                "jsonl",
                &format!("The meeting is on day {q}."),
            ]));
            let m = &jsonl(&out.stdout)[0]["matches"][0];
            assert_eq!(m["score"], 100.0, "n={n} q={q}: {m}");
            assert_eq!(m["target"], format!("Встреча в день {q}."), "n={n} q={q}");
        }
    }
}

#[test]
fn hostile_lookups_are_bounded() {
    let s = Scratch::new();
    let mem = s.path("m.sqlite");
    fill(
        &mem,
        &[("Good morning.", "Доброе утро."), ("…", "…"), ("42", "42")],
    );
    // A query line past the limit: exit 2 naming the line, after earlier answers.
    let mut input = b"Good morning.\n".to_vec();
    input.extend(std::iter::repeat_n(b'a', 200_000));
    input.push(b'\n');
    let out = run_in(
        s.tm(&mem)
            .args(["lookup", "--from", "en", "--to", "ru", "--format", "jsonl"]),
        &input,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("<stdin>:2:") && err.contains("--max-query-bytes"),
        "{err}"
    );
    assert_eq!(jsonl(&out.stdout).len(), 1);
    // The limit is configurable.
    let out = run(s.tm(&mem).args([
        "lookup",
        "--from",
        "en",
        "--to",
        "ru",
        "--max-query-bytes",
        "10",
        "Good morning, everyone.",
    ]));
    assert_eq!(out.status.code(), Some(2));
    // 100,000 empty, punctuation-only and number-only lines: all skipped.
    let many = "\n...\n12 345\n".repeat(33_334);
    let out = run_in(
        s.tm(&mem)
            .args(["lookup", "--from", "en", "--to", "ru", "--format", "jsonl"]),
        many.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let lines = jsonl(&out.stdout);
    assert_eq!(lines.len(), 100_002);
    assert!(lines.iter().all(|l| l.get("skipped").is_some()));
}

#[test]
fn control_characters_in_stored_text_are_escaped_in_tables() {
    let s = Scratch::new();
    let mem = s.path("m.sqlite");
    fill(
        &mem,
        &[(
            "The harbour \x1b]0;owned\x07 was quiet\x1b[2J today.",
            "В гавани \x1b[2J было тихо\x07 сегодня.",
        )],
    );
    let out = run(s.tm(&mem).args([
        "lookup",
        "--from",
        "en",
        "--to",
        "ru",
        "--threshold",
        "50",
        "The harbour was quiet today.",
    ]));
    let t = text(&out.stdout);
    assert!(t.contains("\\u{1b}") && t.contains("\\u{7}"), "{t}");
    assert!(!t.contains('\x1b') && !t.contains('\x07'), "{t:?}");
    let out = run(s.tm(&mem).args(["concordance", "--lang", "en", "harbour"]));
    let t = text(&out.stdout);
    assert!(out.status.success() && t.contains("\\u{1b}"), "{t}");
    assert!(!t.contains('\x1b') && !t.contains('\x07'), "{t:?}");
    // JSON stays exact (serde escapes it).
    let out = run(s.tm(&mem).args([
        "lookup",
        "--from",
        "en",
        "--to",
        "ru",
        "--format",
        "jsonl",
        "--threshold",
        "50",
        "The harbour was quiet today.",
    ]));
    assert_eq!(
        jsonl(&out.stdout)[0]["matches"][0]["target"],
        "В гавани \x1b[2J было тихо\x07 сегодня."
    );
}

#[test]
fn invalid_utf8_on_stdin_names_the_line() {
    let s = Scratch::new();
    let mem = s.path("m.sqlite");
    fill(&mem, &[("Good morning.", "Доброе утро.")]);
    let out = run_in(
        s.tm(&mem).args(["lookup", "--from", "en", "--to", "ru"]),
        b"Good morning.\nfine\nbad \xff byte\n",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("<stdin>:3:") && err.contains("UTF-8"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_file_size_limit_is_a_reported_write_error() {
    let s = Scratch::new();
    let mem = s.path("m.sqlite");
    fill(&mem, &[("Good morning.", "Доброе утро.")]);
    let out_file = s.path("out.txt");
    // The limit (256 blocks of 512 bytes) leaves room for the memory's WAL
    // index (32 KiB), so the write that fails is the output's: 3,000 jsonl
    // answers are far over 128 KiB.
    let queries = s.path("q.txt");
    std::fs::write(&queries, "Good morning.\n".repeat(3000)).expect("write");
    let out = run(Command::new("sh")
        .arg("-c")
        .arg("ulimit -f 256; exec \"$0\" \"$@\" > \"$OUT\" < \"$IN\"")
        .arg(env!("CARGO_BIN_EXE_transmem"))
        .arg("--memory")
        .arg(&mem)
        .args(["lookup", "--from", "en", "--to", "ru", "--format", "jsonl"])
        .env("OUT", &out_file)
        .env("IN", &queries)
        .env("HOME", s.path("home")));
    assert_eq!(out.status.code(), Some(2), "killed by a signal? {out:?}");
    let err = text(&out.stderr);
    assert!(err.contains("File too large"), "{err}");
    assert_eq!(err.matches("os error").count(), 1, "{err}");
}

/// Issue 17's ranking promise at any tie size: 8,000 stored sources share
/// the query's key ("Writer # sent line #."), far more than the candidates a
/// lookup scores; the identical one (stored last) still comes first at 100,
/// through the index and through `--exhaustive`.
#[test]
fn identical_source_ranks_first_among_thousands_of_ties() {
    let s = Scratch::new();
    let mem = s.path("ties.sqlite");
    let texts: Vec<(String, String)> = (0..8)
        .flat_map(|c| {
            (0..1000).map(move |i| {
                (
                    format!("Writer {c} sent line {i}."),
                    format!("Автор {c} прислал строку {i}."),
                )
            })
        })
        .collect();
    fill(&mem, &texts);
    for extra in [&[][..], &["--exhaustive"][..]] {
        let out = run(s
            .tm(&mem)
            .args(["lookup", "--from", "en", "--to", "ru", "--limit", "1"])
            .args(extra)
            .arg("Writer 7 sent line 999."));
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let shown = text(&out.stdout);
        assert!(
            shown.contains("100.0") && shown.contains("Автор 7 прислал строку 999."),
            "{extra:?}: {shown}"
        );
    }
}
