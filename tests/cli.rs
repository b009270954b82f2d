//! End-to-end tests of the `transmem` binary: the foundation workflow
//! (align → store → lookup → stats), exit codes and bad input.

mod util;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use util::{bin, run, text};

fn fixture(name: &str) -> PathBuf {
    util::fixture(&format!("cli/{name}"))
}

fn store_harbour(mem: &Path) -> Output {
    run(bin()
        .args([
            "--memory",
            mem.to_str().unwrap(),
            "align",
            "--src-lang",
            "en",
            "--tgt-lang",
            "ru",
            "--store",
        ])
        .arg(fixture("harbour.en.txt"))
        .arg(fixture("harbour.ru.txt")))
}

fn unit_count(mem: &Path) -> u64 {
    let out = run(bin().args([
        "stats",
        "--format",
        "json",
        "--memory",
        mem.to_str().unwrap(),
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["units"].as_u64().unwrap()
}

#[test]
fn help_lists_the_commands() {
    let out = run(bin().arg("--help"));
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for c in ["segment", "align", "import", "export", "lookup", "stats"] {
        assert!(help.contains(c), "--help lacks {c}:\n{help}");
    }
}

#[test]
fn align_store_then_lookup_finds_exact_match() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let out = store_harbour(&mem);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(unit_count(&mem), 7);

    let out = run(bin()
        .args(["lookup", "--from", "en", "--to", "ru", "--format", "jsonl"])
        .arg("The ferry can carry 250 passengers and 40 cars.")
        .args(["--memory", mem.to_str().unwrap()]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value =
        serde_json::from_str(text(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(
        v["query"],
        "The ferry can carry 250 passengers and 40 cars."
    );
    let best = &v["matches"][0];
    assert_eq!(best["score"].as_f64(), Some(100.0));
    assert_eq!(
        best["target"],
        "Паром может перевозить 250 пассажиров и 40 автомобилей."
    );
    assert!(best["id"].as_i64().is_some());

    // The other direction works on the same units.
    let out = run(bin()
        .args(["lookup", "--from", "ru", "--to", "en", "--format", "jsonl"])
        .arg("Паром может перевозить 250 пассажиров и 40 автомобилей.")
        .env("TRANSMEM_MEMORY", &mem));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("The ferry can carry 250 passengers and 40 cars."));
}

#[test]
fn lookup_without_match_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    assert_eq!(store_harbour(&mem).status.code(), Some(0));
    let out = run(bin()
        .args([
            "--memory",
            mem.to_str().unwrap(),
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
        ])
        .arg("Completely unrelated words about quantum chromodynamics."));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
}

#[test]
fn align_jsonl_covers_every_segment_once_in_order() {
    let out = run(bin()
        .args([
            "align",
            "--src-lang",
            "en",
            "--tgt-lang",
            "ru",
            "--format",
            "jsonl",
        ])
        .arg(fixture("harbour.en.txt"))
        .arg(fixture("harbour.ru.txt")));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (mut src, mut tgt) = (Vec::new(), Vec::new());
    for line in text(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        src.extend(
            v["src"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap()),
        );
        tgt.extend(
            v["tgt"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap()),
        );
        let score = v["score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&score));
        assert!(v["src_text"].is_string() && v["tgt_text"].is_string());
    }
    assert_eq!(src.len(), 7);
    assert_eq!(src, (0..src.len() as u64).collect::<Vec<_>>());
    assert_eq!(tgt, (0..tgt.len() as u64).collect::<Vec<_>>());
}

#[test]
fn segment_reads_stdin_and_prints_json() {
    let mut child = bin()
        .args(["segment", "--lang", "en", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"First one. Second one!\nThird")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v, ["First one.", "Second one!", "Third"]);
}

#[test]
fn missing_file_is_exit_2_and_memory_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    assert_eq!(store_harbour(&mem).status.code(), Some(0));
    let before = unit_count(&mem);
    let out = run(bin()
        .args([
            "--memory",
            mem.to_str().unwrap(),
            "align",
            "--store",
            "--src-lang",
            "en",
            "--tgt-lang",
            "ru",
        ])
        .arg(fixture("harbour.en.txt"))
        .arg(dir.path().join("nope.ru.txt")));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("nope.ru.txt"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(unit_count(&mem), before);
}

#[test]
fn non_utf8_input_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let out = run(bin()
        .args([
            "--memory",
            mem.to_str().unwrap(),
            "align",
            "--store",
            "--src-lang",
            "en",
            "--tgt-lang",
            "ru",
        ])
        .arg(fixture("latin1.txt"))
        .arg(fixture("harbour.ru.txt")));
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("latin1.txt:2"), "{err}");
    assert!(!mem.exists() || unit_count(&mem) == 0);
}

#[test]
fn unknown_format_and_bad_language_are_exit_2() {
    let out = run(bin()
        .args(["segment", "--lang", "en", "--format", "yaml"])
        .stdin(Stdio::null()));
    assert_eq!(out.status.code(), Some(2));
    let out = run(bin()
        .args(["segment", "--lang", "english!"])
        .stdin(Stdio::null()));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("english!"));
}

#[test]
fn lookup_on_missing_memory_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("absent.sqlite");
    let out = run(bin().args([
        "--memory",
        mem.to_str().unwrap(),
        "lookup",
        "--from",
        "en",
        "--to",
        "ru",
        "Hello",
    ]));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("absent.sqlite"));
    assert!(!mem.exists(), "a lookup must not create a memory");
}

#[test]
fn newer_schema_gives_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    assert_eq!(store_harbour(&mem).status.code(), Some(0));
    rusqlite::Connection::open(&mem)
        .unwrap()
        .execute_batch("PRAGMA user_version = 42")
        .unwrap();
    let out = run(bin().args(["--memory", mem.to_str().unwrap(), "stats"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("schema version 42"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn stats_reports_origin_and_pair() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    assert_eq!(store_harbour(&mem).status.code(), Some(0));
    let out = run(bin()
        .args(["stats", "--format", "json"])
        .env("TRANSMEM_MEMORY", &mem));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let units = v["units"].as_u64().unwrap();
    assert_eq!(v["origins"]["harbour.en.txt"].as_u64(), Some(units));
    assert_eq!(v["pairs"]["en / ru"].as_u64(), Some(units));
    assert!(v["bytes"].as_u64().unwrap() > 0);
}

#[test]
fn closed_pipe_exits_quietly() {
    let long: String = (0..20_000)
        .map(|i| format!("Sentence number {i}. "))
        .collect();
    let mut child = bin()
        .args(["segment", "--lang", "en"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(long.as_bytes());
    });
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first.trim(), "Sentence number 0.");
    // The reader is dropped here: the pipe is closed with output still pending.
    writer.join().unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}
