//! `transmem lookup` and `transmem concordance` on a memory in a tempdir.

mod util;

use assert_cmd::Command;
use predicates::prelude::*;
use transmem::memory::{Memory, OnDuplicate, Unit, Variant};

fn fill(path: &std::path::Path) {
    let mut mem = Memory::open(path).expect("open");
    let mut w = mem.writer().expect("writer");
    for (en, ru) in [
        (
            "The museum is closed on Tuesdays.",
            "Музей закрыт по вторникам.",
        ),
        (
            "The train leaves at 6 in the morning.",
            "Поезд уходит в 6 утра.",
        ),
        (
            "Fresh bread is sold at the corner shop.",
            "Свежий хлеб продают в магазине на углу.",
        ),
        (
            "The corner shop closes early on Sundays.",
            "Магазин на углу по воскресеньям закрывается рано.",
        ),
    ] {
        let v = |lang: &str, text: &str| Variant {
            lang: lang.into(),
            text: text.into(),
            ..Variant::default()
        };
        let u = Unit {
            variants: vec![v("en", en), v("ru", ru)],
            created: Some("20260101T000000Z".into()),
            ..Unit::default()
        };
        w.insert(&u, Some("en"), OnDuplicate::KeepBoth)
            .expect("insert");
    }
    w.commit().expect("commit");
}

fn cmd(mem: &std::path::Path) -> Command {
    // Colour is on trial here: NO_COLOR is left to each test.
    let mut c = util::transmem();
    c.arg("--memory").arg(mem).env_remove("NO_COLOR");
    c
}

#[test]
fn single_query_jsonl() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mem = dir.path().join("m.sqlite");
    fill(&mem);
    let out = cmd(&mem)
        .args([
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "--format",
            "jsonl",
            "The museum is closed on Mondays.",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).expect("one JSON object");
    assert_eq!(v["query"], "The museum is closed on Mondays.");
    let m = &v["matches"][0];
    assert_eq!(m["target"], "Музей закрыт по вторникам.");
    let s = m["score"].as_f64().unwrap_or(0.0);
    assert!(s > 70.0 && s < 100.0, "{s}");
    assert!(m["diff"].as_array().is_some_and(|d| !d.is_empty()));
}

#[test]
fn stdin_batch_keeps_input_order_and_exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mem = dir.path().join("m.sqlite");
    fill(&mem);
    let queries = "The train leaves at 7 in the morning.\nCompletely unrelated words here.\nThe museum is closed on Tuesdays.\n";
    let out = cmd(&mem)
        .args(["lookup", "--from", "en", "--to", "ru", "--format", "jsonl"])
        .write_stdin(queries)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 3);
    for (l, q) in lines.iter().zip(queries.lines()) {
        assert_eq!(l["query"], q);
    }
    assert_eq!(
        lines[0]["matches"][0]["substituted_target"],
        "Поезд уходит в 7 утра."
    );
    assert_eq!(lines[1]["matches"].as_array().map(Vec::len), Some(0));
    assert_eq!(lines[2]["matches"][0]["score"], 100.0);
    // Nothing at or above the threshold for any query: exit 1.
    cmd(&mem)
        .args([
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "Completely unrelated words here.",
        ])
        .assert()
        .code(1);
    // Reverse direction works on the same units.
    cmd(&mem)
        .args([
            "lookup",
            "--from",
            "ru",
            "--to",
            "en",
            "Музей закрыт по средам.",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "The museum is closed on Tuesdays.",
        ));
}

#[test]
fn errors_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    cmd(&dir.path().join("missing.sqlite"))
        .args(["lookup", "--from", "en", "--to", "ru", "x"])
        .assert()
        .code(2);
    let mem = dir.path().join("m.sqlite");
    fill(&mem);
    cmd(&mem)
        .args([
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "--penalty-case",
            "-1",
            "x",
        ])
        .assert()
        .code(2);
}

#[test]
fn colour_follows_the_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mem = dir.path().join("m.sqlite");
    fill(&mem);
    let q = [
        "lookup",
        "--from",
        "en",
        "--to",
        "ru",
        "The museum is closed on Mondays.",
    ];
    cmd(&mem)
        .args(["--color", "always"])
        .args(q)
        .assert()
        .success()
        .stdout(predicate::str::contains("\x1b[31;9mTuesdays\x1b[0m"));
    cmd(&mem)
        .args(["--color", "never"])
        .args(q)
        .assert()
        .success()
        .stdout(predicate::str::contains("\x1b[").not());
    // auto on a pipe: no colour.
    cmd(&mem)
        .args(q)
        .assert()
        .success()
        .stdout(predicate::str::contains("\x1b[").not());
}

#[test]
fn context_from_neighbouring_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mem_path = dir.path().join("m.sqlite");
    {
        let mut mem = Memory::open(&mem_path).expect("open");
        let mut w = mem.writer().expect("writer");
        let v = |lang: &str, text: &str, prev: Option<&str>| Variant {
            lang: lang.into(),
            text: text.into(),
            prev: prev.map(String::from),
            ..Variant::default()
        };
        let u = Unit {
            variants: vec![
                v("en", "Then it rained.", Some("We went out.")),
                v("ru", "Потом пошёл дождь.", None),
            ],
            ..Unit::default()
        };
        w.insert(&u, Some("en"), OnDuplicate::KeepBoth)
            .expect("insert");
        w.commit().expect("commit");
    }
    let out = cmd(&mem_path)
        .args([
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "--format",
            "jsonl",
            "--context",
        ])
        .write_stdin("We went out.\nThen it rained.\n")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let last: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out).lines().nth(1).unwrap_or(""))
            .expect("json");
    assert_eq!(last["matches"][0]["score"], 101.0);
    assert_eq!(last["matches"][0]["context"], true);
}

#[test]
fn concordance_finds_words_and_phrases() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mem = dir.path().join("m.sqlite");
    fill(&mem);
    let out = cmd(&mem)
        .args([
            "concordance",
            "--lang",
            "en",
            "--format",
            "jsonl",
            "Corner Shop",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let hits: Vec<serde_json::Value> = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(hits.len(), 2);
    assert!(hits.iter().all(|h| h["phrase"] == true));
    let text = hits[0]["text"].as_str().unwrap_or("");
    let spans = hits[0]["hits"].as_array().cloned().unwrap_or_default();
    let words: Vec<&str> = spans
        .iter()
        .filter_map(|s| Some(&text[s[0].as_u64()? as usize..s[1].as_u64()? as usize]))
        .collect();
    assert_eq!(words, ["corner", "shop"]);
    assert_eq!(
        hits[0]["translations"]["ru"],
        "Свежий хлеб продают в магазине на углу."
    );
    // Russian side, highlighted in brackets without colour.
    cmd(&mem)
        .args(["--color", "never", "concordance", "--lang", "ru", "на углу"])
        .assert()
        .success()
        .stdout(predicate::str::contains("[на] [углу]"));
    cmd(&mem)
        .args(["concordance", "--lang", "en", "zebra"])
        .assert()
        .code(1);
}
