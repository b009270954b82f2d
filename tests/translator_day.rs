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
