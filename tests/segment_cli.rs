//! `transmem segment` from the command line: JSON output, SRX rules, errors.

mod util;

use predicates::prelude::*;
use util::transmem;

#[test]
fn json_output_from_stdin() {
    let out = transmem()
        .args(["segment", "--lang", "en", "--format", "json"])
        .write_stdin("Dr. Vance arrived. \"Late again?\" asked Kim.\nNext line")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Vec<String> = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v,
        [
            "Dr. Vance arrived.",
            "\"Late again?\" asked Kim.",
            "Next line"
        ]
    );
}

#[test]
fn lines_output_from_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("in.txt");
    std::fs::write(&f, "В. И. Даль жил в г. Москве. Он писал словарь.").unwrap();
    transmem()
        .args(["segment", "--lang", "ru-RU"])
        .arg(&f)
        .assert()
        .success()
        .stdout("В. И. Даль жил в г. Москве.\nОн писал словарь.\n");
}

#[test]
fn srx_rules_replace_the_builtin_ones() {
    transmem()
        .args([
            "segment",
            "--lang",
            "toy",
            "--format",
            "json",
            "--rules",
            "tests/fixtures/segment/simple.srx",
        ])
        .write_stdin("One z.B. two; three. Four")
        .assert()
        .success()
        .stdout("[\"One z.B. two;\",\"three.\",\"Four\"]\n");
}

#[test]
fn bad_srx_is_an_error_naming_the_file() {
    transmem()
        .args([
            "segment",
            "--lang",
            "en",
            "--rules",
            "tests/fixtures/segment/bad_regex.srx",
        ])
        .write_stdin("x")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad_regex.srx:7"));
}

#[test]
fn dumped_builtin_rules_load_back() {
    let dir = tempfile::tempdir().unwrap();
    let srx = dir.path().join("builtin.srx");
    let out = transmem()
        .args(["segment", "--dump-srx"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    std::fs::write(&srx, out).unwrap();
    transmem()
        .args(["segment", "--lang", "en", "--rules"])
        .arg(&srx)
        .write_stdin("Mr. Hale left the U.S. He came back.")
        .assert()
        .success()
        .stdout("Mr. Hale left the U.S.\nHe came back.\n");
}

#[test]
fn explain_lists_decisions() {
    transmem()
        .args(["segment", "--lang", "en", "--explain"])
        .write_stdin("Mr. Li left. Bye.")
        .assert()
        .success()
        .stdout(predicate::str::contains("3\trule ").and(predicate::str::contains("12\trule ")))
        .stdout(predicate::str::contains("no break").and(predicate::str::contains("\tbreak\t")));
}
