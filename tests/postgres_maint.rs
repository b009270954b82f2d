//! The maintenance commands (history, undo, edit, delete, replace, units,
//! dedupe) on a PostgreSQL memory (`--database`), checked on full exports,
//! and the upgrade of a memory made before write batches were recorded.
//! Each test uses a schema of its own, dropped afterwards; without
//! `TRANSMEM_TEST_DATABASE` they say they were not run.

mod util;

use std::path::Path;

use util::{PgSchema, db, run_ok, test_database, text};

/// The whole memory as TMX: what "exactly as before" is compared on.
fn export(url: &str) -> String {
    text(&run_ok(&mut db(url, &["export", "--format", "tmx"]), 0).stdout)
}

fn history(url: &str) -> Vec<serde_json::Value> {
    text(&run_ok(&mut db(url, &["history", "--format", "jsonl"]), 0).stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn tsv(dir: &Path, name: &str, rows: &[(&str, &str)]) -> String {
    let mut s = String::from("en\tru\n");
    for (a, b) in rows {
        s.push_str(&format!("{a}\t{b}\n"));
    }
    let p = dir.join(name);
    std::fs::write(&p, s).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn undo_of_the_second_import_leaves_exactly_the_first() {
    let Some(base) = test_database("postgres_maint") else {
        return;
    };
    let schema = PgSchema::new(&base);
    let url = schema.url.as_str();
    let dir = tempfile::tempdir().unwrap();
    let a = tsv(
        dir.path(),
        "first.tsv",
        &[("One.", "Один."), ("Two.", "Два."), ("Three.", "Три.")],
    );
    let b = tsv(
        dir.path(),
        "second.tsv",
        &[("Two.", "Двое."), ("Four.", "Четыре."), ("One.", "Один.")],
    );
    run_ok(&mut db(url, &["import", &a]), 0);
    let first = export(url);
    let out = run_ok(
        &mut db(url, &["import", "--on-duplicate", "overwrite", &b]),
        0,
    );
    let said = text(&out.stderr);
    assert!(said.contains("recorded as batch 2"), "{said}");
    assert_ne!(export(url), first);
    let h = history(url);
    assert_eq!(h.len(), 2);
    assert!(h[1]["command"].as_str().unwrap().contains("second.tsv"));
    assert_eq!(h[1]["counts"]["inserted"], 1);
    assert_eq!(h[1]["counts"]["overwritten"], 1);
    assert_eq!(h[1]["counts"]["duplicates"], 1);
    assert_eq!(h[1]["user"], "tester");

    let out = run_ok(&mut db(url, &["undo", "2"]), 0);
    let err = text(&out.stderr);
    assert!(err.contains("1 unit removed, 1 restored"), "{err}");
    assert!(err.contains("recorded as batch 3"), "{err}");
    assert_eq!(export(url), first);

    // Twice is refused (exit 2), the memory unchanged.
    let out = run_ok(&mut db(url, &["undo", "2"]), 2);
    assert!(text(&out.stderr).contains("already undone by batch 3"));
    run_ok(&mut db(url, &["undo", "99"]), 2);
    assert_eq!(export(url), first);
    // The undo is a batch too: undoing it brings the second import back,
    // and undoing that gives the first exactly again.
    run_ok(&mut db(url, &["undo", "3"]), 0);
    assert_ne!(export(url), first);
    run_ok(&mut db(url, &["undo", "4"]), 0);
    assert_eq!(export(url), first);
    // A later import gets fresh ids, never those of removed units.
    let c = tsv(dir.path(), "third.tsv", &[("Five.", "Пять.")]);
    run_ok(&mut db(url, &["import", &c]), 0);
    let listed = text(&run_ok(&mut db(url, &["units", "--format", "jsonl"]), 0).stdout);
    let ids: Vec<i64> = listed
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(ids.len(), 4, "{listed}");
    assert!(*ids.last().unwrap() > 4, "{ids:?}");
}

#[test]
fn edit_delete_replace_dedupe_and_undo() {
    let Some(base) = test_database("postgres_maint") else {
        return;
    };
    let schema = PgSchema::new(&base);
    let url = schema.url.as_str();
    let dir = tempfile::tempdir().unwrap();
    let f = tsv(
        dir.path(),
        "news.tsv",
        &[
            ("Press release.", "Пресс релиз."),
            ("A press release today.", "Сегодня пресс релиз."),
            ("Nothing here.", "Здесь ничего."),
        ],
    );
    run_ok(&mut db(url, &["import", &f]), 0);
    let before = export(url);

    // edit + undo
    run_ok(
        &mut db(url, &["edit", "3", "--lang", "ru", "--text", "Пусто."]),
        0,
    );
    assert!(export(url).contains("Пусто."));
    let units = text(
        &run_ok(
            &mut db(url, &["units", "--lang", "ru", "--match", "Пусто"]),
            0,
        )
        .stdout,
    );
    assert!(units.contains("Nothing here."), "{units}");
    // Languages match in any case, as on SQLite.
    let upper = text(&run_ok(&mut db(url, &["units", "--lang", "EN,RU", "--count"]), 0).stdout);
    assert_eq!(upper.trim(), "3", "{upper}");
    // A later batch touching the same unit blocks the undo.
    run_ok(
        &mut db(url, &["edit", "3", "--lang", "en", "--text", "Empty."]),
        0,
    );
    let edited = export(url);
    let out = run_ok(&mut db(url, &["undo", "2"]), 2);
    assert!(
        text(&out.stderr).contains("later batch 3"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(export(url), edited, "a refused undo changes nothing");
    run_ok(&mut db(url, &["undo", "3"]), 0);
    run_ok(&mut db(url, &["undo", "2"]), 0);
    assert_eq!(export(url), before);

    // replace: one batch, undone exactly.
    let out = run_ok(
        &mut db(
            url,
            &[
                "replace",
                "--lang",
                "ru",
                "--find",
                "(?i)пресс релиз",
                "--replace",
                "пресс-релиз",
            ],
        ),
        0,
    );
    assert!(text(&out.stderr).contains("changed 2 ru texts"));
    let last = history(url).last().unwrap()["id"].as_i64().unwrap();
    assert_eq!(history(url).last().unwrap()["counts"]["edited"], 2);
    run_ok(&mut db(url, &["undo", &last.to_string()]), 0);
    assert_eq!(export(url), before);

    // delete + undo restores under the old ids.
    let out = run_ok(&mut db(url, &["delete", "1", "2", "--yes"]), 0);
    assert!(
        text(&out.stderr).contains("deleted 2 units"),
        "{}",
        text(&out.stderr)
    );
    assert!(!export(url).contains("Press release."));
    let last = history(url).last().unwrap()["id"].as_i64().unwrap();
    run_ok(&mut db(url, &["undo", &last.to_string()]), 0);
    assert_eq!(export(url), before);

    // dedupe after an edit made an exact duplicate; undone exactly.
    run_ok(
        &mut db(
            url,
            &["edit", "3", "--lang", "en", "--text", "Press release."],
        ),
        0,
    );
    run_ok(
        &mut db(
            url,
            &["edit", "3", "--lang", "ru", "--text", "Пресс релиз."],
        ),
        0,
    );
    let dup = export(url);
    let out = run_ok(&mut db(url, &["dedupe", "--from", "en", "--to", "ru"]), 0);
    assert!(
        text(&out.stderr).contains("merged away 1"),
        "{}",
        text(&out.stderr)
    );
    assert_ne!(export(url), dup);
    let last = history(url).last().unwrap()["id"].as_i64().unwrap();
    run_ok(&mut db(url, &["undo", &last.to_string()]), 0);
    assert_eq!(export(url), dup);
}

/// A memory made by a build before write batches (schema version 1) is
/// upgraded on open: its units stay, its old writes are not undoable, new
/// ones are.
#[test]
fn a_version_1_memory_upgrades_on_open() {
    let Some(base) = test_database("postgres_maint") else {
        return;
    };
    let schema = PgSchema::new(&base);
    let url = schema.url.as_str();
    let dir = tempfile::tempdir().unwrap();
    let f = tsv(dir.path(), "a.tsv", &[("Yes.", "Да."), ("No.", "Нет.")]);
    run_ok(&mut db(url, &["import", &f]), 0);
    let before = export(url);
    // Turn it back into what version 1 had (test set-up only).
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.batch_execute(
        "DROP TABLE batch, batch_unit, batch_new, api_token;
         UPDATE schema_version SET version = 1;",
    )
    .unwrap();
    drop(c);
    assert_eq!(export(url), before);
    // No batch yet (exit 1), and the message names the database.
    let out = run_ok(&mut db(url, &["history"]), 1);
    let said = text(&out.stderr);
    assert!(
        said.contains("no batches recorded in postgresql://"),
        "{said}"
    );
    let out = run_ok(
        &mut db(url, &["edit", "1", "--lang", "ru", "--text", "Ага."]),
        0,
    );
    assert!(
        text(&out.stderr).contains("recorded as batch"),
        "{}",
        text(&out.stderr)
    );
    let h = history(url);
    assert_eq!(h.len(), 1);
    run_ok(&mut db(url, &["undo", &h[0]["id"].to_string()]), 0);
    assert_eq!(export(url), before);
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let v: i32 = c
        .query_one("SELECT version FROM schema_version", &[])
        .unwrap()
        .get(0);
    assert_eq!(v, 2);
}
