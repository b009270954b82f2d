//! The `transmem` binary on a PostgreSQL memory (`--database`): import a
//! TMX, look a sentence up, export it again, and the usage errors of the
//! option. The server tests need `TRANSMEM_TEST_DATABASE` (each uses a
//! schema of its own, dropped afterwards); without it they say they were not
//! run. The error cases need no server.

mod util;

use util::{PgSchema, bin, db, fixture, run, run_ok, test_database, text};

/// An export with the dates a store stamps on import taken out, so two
/// imports made at different minutes compare equal.
fn without_dates(tmx: &[u8]) -> String {
    let re = regex::Regex::new(r#" (creationdate|changedate)="[0-9TZ]*""#).unwrap();
    re.replace_all(&text(tmx), "").into_owned()
}

#[test]
fn import_lookup_export_round_trip() {
    let Some(base) = test_database("postgres_cli round trip") else {
        return;
    };
    let schema = PgSchema::new(&base);
    let good = fixture("tmx/good.tmx");
    let good = good.to_str().unwrap();
    let out = run_ok(&mut db(&schema.url, &["import", good]), 0);
    let said = text(&out.stderr);
    assert!(said.contains("stored 4 new units"), "{said}");
    // The message names the database, not a file in the current folder.
    assert!(said.contains("postgresql://"), "{said}");

    let out = run_ok(
        &mut db(
            &schema.url,
            &[
                "lookup",
                "--from",
                "en",
                "--to",
                "ru",
                "The rain in the valley stopped at noon.",
            ],
        ),
        0,
    );
    let found = text(&out.stdout);
    assert!(found.contains("100"), "{found}");
    assert!(
        found.contains("Дождь в долине прекратился в полдень."),
        "{found}"
    );
    // A one-word edit is a fuzzy match, found through the index.
    let out = run_ok(
        &mut db(
            &schema.url,
            &[
                "lookup",
                "--from",
                "en",
                "--to",
                "ru",
                "The rain in the valley stopped at night.",
            ],
        ),
        0,
    );
    assert!(
        text(&out.stdout).contains("Дождь в долине прекратился в полдень."),
        "{}",
        text(&out.stdout)
    );

    // The same file through a SQLite memory exports the same TMX.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.sqlite");
    run_ok(util::process(&file).args(["import", good]), 0);
    let from_file = run_ok(util::process(&file).args(["export", "--format", "tmx"]), 0);
    let from_db = run_ok(&mut db(&schema.url, &["export", "--format", "tmx"]), 0);
    assert_eq!(
        without_dates(&from_db.stdout),
        without_dates(&from_file.stdout)
    );
    assert!(text(&from_db.stdout).contains("Нажмите"));
}

#[test]
fn failed_import_leaves_the_database_memory_unchanged() {
    let Some(base) = test_database("postgres_cli failed import") else {
        return;
    };
    let schema = PgSchema::new(&base);
    let good = fixture("tmx/good.tmx");
    run_ok(&mut db(&schema.url, &["import", good.to_str().unwrap()]), 0);
    let before = run_ok(&mut db(&schema.url, &["export", "--format", "tmx"]), 0);
    // A good file then a broken one in one command: nothing of either lands.
    let dir = tempfile::tempdir().unwrap();
    let extra = util::tsv(dir.path(), "extra", 50);
    let bad = fixture("tmx/bad_utf8.tmx");
    let out = run_ok(
        &mut db(
            &schema.url,
            &[
                "import",
                "--langs",
                "en,ru",
                extra.to_str().unwrap(),
                bad.to_str().unwrap(),
            ],
        ),
        2,
    );
    assert!(
        text(&out.stderr).contains("bad_utf8.tmx"),
        "{}",
        text(&out.stderr)
    );
    let after = run_ok(&mut db(&schema.url, &["export", "--format", "tmx"]), 0);
    assert_eq!(after.stdout, before.stdout);
    // A lookup in a schema without a memory does not create one.
    let empty = PgSchema::new(&base);
    let out = run_ok(
        &mut db(
            &empty.url,
            &["lookup", "--from", "en", "--to", "ru", "Hello."],
        ),
        2,
    );
    assert!(
        text(&out.stderr).contains("no memory at postgresql://"),
        "{}",
        text(&out.stderr)
    );
    // A failed first import into a new schema leaves neither tables nor the
    // schema it made, and the import can then be repeated and succeed.
    let fresh = PgSchema::new(&base);
    run_ok(&mut db(&fresh.url, &["import", bad.to_str().unwrap()]), 2);
    let name = fresh.url.rsplit("%3D").next().unwrap().to_string();
    let mut c = postgres::Client::connect(&base, postgres::NoTls).unwrap();
    let left: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_namespace WHERE nspname = $1",
            &[&name],
        )
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "the schema made for the failed import is gone");
    run_ok(&mut db(&fresh.url, &["import", good.to_str().unwrap()]), 0);
}

#[test]
fn memory_and_database_together_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.sqlite");
    let out = run(bin().arg("--memory").arg(&file).args([
        "--database",
        "postgresql://postgres@127.0.0.1:1/none",
        "stats",
    ]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not both"),
        "{}",
        text(&out.stderr)
    );
    assert!(!file.exists());
    // Two variables naming different memories: the same error.
    let out = run(bin()
        .env(
            "TRANSMEM_DATABASE",
            "postgresql://postgres@127.0.0.1:1/none",
        )
        .env("TRANSMEM_MEMORY", &file)
        .arg("stats"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not both"),
        "{}",
        text(&out.stderr)
    );
    assert!(!file.exists());
}

#[test]
fn an_option_beats_the_environment() {
    // TRANSMEM_DATABASE points at nothing; --memory on the command line
    // wins, as in every CLI: the file is used, the database never asked.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.sqlite");
    util::store(&file, &[util::unit(&[("en", "Yes."), ("ru", "Да.")])]);
    let out = run(bin()
        .env(
            "TRANSMEM_DATABASE",
            "postgresql://postgres@127.0.0.1:1/none",
        )
        .arg("--memory")
        .arg(&file)
        .args(["units", "--count"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "1\n");
    // And --database beats TRANSMEM_MEMORY: the (unreachable) database is
    // what is named in the error, never the file.
    let out = run(bin().env("TRANSMEM_MEMORY", &file).args([
        "--database",
        "postgresql://postgres:secret@127.0.0.1:1/none",
        "stats",
    ]));
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("postgres:***@127.0.0.1:1"), "{err}");
    assert!(!err.contains("m.sqlite"), "{err}");
    // A --database that is not a PostgreSQL URL is refused, not taken
    // for a file.
    let out = run(bin()
        .args(["--database", "team.sqlite", "stats"])
        .current_dir(dir.path()));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not a PostgreSQL URL"));
    assert!(!dir.path().join("team.sqlite").exists());
}

#[test]
fn unreachable_server_and_bad_urls_are_clear_errors() {
    // Port 1 on the loopback: nothing listens there.
    let out = run(&mut db(
        "postgresql://postgres:secret@127.0.0.1:1/none",
        &["stats"],
    ));
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("cannot connect to the PostgreSQL server"),
        "{err}"
    );
    // The password is never printed.
    assert!(
        !err.contains("secret") && err.contains("postgres:***@"),
        "{err}"
    );
    let out = run(&mut db("mysql://root@127.0.0.1/x", &["stats"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not a PostgreSQL URL"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn live_matcher_sees_a_unit_written_through_another_handle() {
    use transmem::matcher::live::Live;
    use transmem::matcher::{Options, Query};
    use transmem::memory::{Memory, OnDuplicate};
    let Some(base) = test_database("postgres_cli live matcher") else {
        return;
    };
    let schema = PgSchema::new(&base);
    let mut writer = Memory::open_database(&schema.url).unwrap();
    let mut w = writer.writer().unwrap();
    w.insert(
        &util::unit(&[
            ("en", "The harbour opens at dawn."),
            ("ru", "Гавань открывается на рассвете."),
        ]),
        None,
        OnDuplicate::KeepBoth,
    )
    .unwrap();
    w.commit().unwrap();
    // A second handle, as a server process would hold.
    let live = Live::new(
        Memory::open_database_existing(&schema.url).unwrap(),
        "en",
        "ru",
    )
    .unwrap();
    let q = Query {
        text: "The ferry leaves at noon.",
        ..Query::default()
    };
    assert!(live.lookup(&q, &Options::default()).unwrap().is_empty());
    let mut w = writer.writer().unwrap();
    w.insert(
        &util::unit(&[
            ("en", "The ferry leaves at noon."),
            ("ru", "Паром уходит в полдень."),
        ]),
        None,
        OnDuplicate::KeepBoth,
    )
    .unwrap();
    w.commit().unwrap();
    let found = live.lookup(&q, &Options::default()).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].target, "Паром уходит в полдень.");
    assert_eq!(found[0].score, 100.0);
}

#[test]
fn concurrent_writers_neither_lose_nor_duplicate_units() {
    use transmem::memory::{Memory, OnDuplicate, Since};
    let Some(base) = test_database("postgres_cli concurrent writers") else {
        return;
    };
    let schema = PgSchema::new(&base);
    let first = Memory::open_database(&schema.url).unwrap();
    let before = first.stamp().unwrap();
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let url = schema.url.clone();
            std::thread::spawn(move || {
                let mut m = Memory::open_database(&url).unwrap();
                // Several commits each, interleaving with the other threads.
                for batch in 0..5 {
                    let mut w = m.writer().unwrap();
                    for i in 0..50 {
                        let en = format!("Writer {t} batch {batch} sentence {i}.");
                        let ru = format!("Писатель {t} пакет {batch} фраза {i}.");
                        w.insert(
                            &util::unit(&[("en", &en), ("ru", &ru)]),
                            None,
                            OnDuplicate::KeepBoth,
                        )
                        .unwrap();
                    }
                    w.commit().unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(first.unit_count().unwrap(), 4 * 5 * 50);
    let mut sources = std::collections::HashSet::new();
    first
        .for_each_pair("en", "ru", |p| {
            assert!(sources.insert(p.source), "stored twice");
            Ok(())
        })
        .unwrap();
    assert_eq!(sources.len(), 1000);
    // Every commit appended above the last: a cache at `before` only needs
    // the new ids, and reading them gives every unit.
    let now = first.stamp().unwrap();
    assert_eq!(now.generation, before.generation + 20);
    assert_eq!(first.since(&before, &now).unwrap(), Since::Appended);
    let mut n = 0;
    first
        .for_each_text("en", before.variants, now.variants, |_, _| {
            n += 1;
            Ok(())
        })
        .unwrap();
    assert_eq!(n, 1000);
}

/// Runs `sql` on the test server directly (to damage or age a memory as
/// another program or a newer transmem would).
fn server_sql(base: &str, sql: &str) {
    let mut c = postgres::Client::connect(base, postgres::NoTls).unwrap();
    c.batch_execute(sql).unwrap();
}

#[test]
fn typed_errors_on_postgresql() {
    use transmem::Error;
    use transmem::memory::{Memory, OnDuplicate};
    let Some(base) = test_database("postgres_cli typed errors") else {
        return;
    };
    // A newer schema is refused, by the library and the binary.
    let newer = PgSchema::new(&base);
    let mut m = Memory::open_database(&newer.url).unwrap();
    let mut w = m.writer().unwrap();
    w.insert(
        &util::unit(&[("en", "A."), ("ru", "А.")]),
        None,
        OnDuplicate::KeepBoth,
    )
    .unwrap();
    w.commit().unwrap();
    let name = newer.url.rsplit("%3D").next().unwrap().to_string();
    // Damaged metadata is reported as damage, not dropped.
    server_sql(&base, &format!("UPDATE {name}.unit SET props = 'not json'"));
    let got = m.unit(1);
    assert!(matches!(got, Err(Error::Corrupt { .. })), "{got:?}");
    server_sql(
        &base,
        &format!("UPDATE {name}.schema_version SET version = 99"),
    );
    let got = Memory::open_database_existing(&newer.url);
    assert!(
        matches!(got, Err(Error::SchemaTooNew { found: 99, .. })),
        "{got:?}"
    );
    let out = run_ok(&mut db(&newer.url, &["stats"]), 2);
    assert!(
        text(&out.stderr).contains("newer than this transmem"),
        "{}",
        text(&out.stderr)
    );

    // Another program's tables of the same names: not a memory, untouched.
    let foreign = PgSchema::new(&base);
    let fname = foreign.url.rsplit("%3D").next().unwrap().to_string();
    server_sql(
        &base,
        &format!(
            "CREATE SCHEMA {fname}; CREATE TABLE {fname}.unit (x int); INSERT INTO {fname}.unit VALUES (7)"
        ),
    );
    let got = Memory::open_database(&foreign.url);
    assert!(matches!(got, Err(Error::NotAMemory { .. })), "{got:?}");
    let out = run_ok(
        &mut db(
            &foreign.url,
            &["import", fixture("tmx/good.tmx").to_str().unwrap()],
        ),
        2,
    );
    assert!(
        text(&out.stderr).contains("not a transmem memory"),
        "{}",
        text(&out.stderr)
    );

    // A second writer waits for the first, then reports busy (lock timeout
    // from the URL, so the test does not wait the default 10 s).
    let busy = PgSchema::new(&base);
    let quick = format!("{}%20-clock_timeout%3D300", busy.url);
    let mut a = Memory::open_database(&quick).unwrap();
    let mut b = Memory::open_database(&quick).unwrap();
    let held = a.writer().unwrap();
    let got = b.writer().map(|_| ());
    assert!(matches!(got, Err(Error::Busy { .. })), "{got:?}");
    drop(held);
    // Once the first is gone, the second can write.
    let mut w = b.writer().unwrap();
    w.insert(
        &util::unit(&[("en", "B."), ("ru", "Б.")]),
        None,
        OnDuplicate::KeepBoth,
    )
    .unwrap();
    w.commit().unwrap();
    assert_eq!(a.unit_count().unwrap(), 1);
}

#[test]
fn every_command_answers_the_same_on_both_backends() {
    let Some(base) = test_database("postgres_cli every command") else {
        return;
    };
    let schema = PgSchema::new(&base);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.sqlite");
    let (en, ru) = (fixture("cli/harbour.en.txt"), fixture("cli/harbour.ru.txt"));
    let (en, ru) = (en.to_str().unwrap(), ru.to_str().unwrap());
    let store = ["align", "--from", "en", "--to", "ru", "--store", en, ru];
    run_ok(util::process(&file).args(store), 0);
    let out = run_ok(&mut db(&schema.url, &store), 0);
    assert!(
        text(&out.stderr).contains("stored 7 new units"),
        "{}",
        text(&out.stderr)
    );
    let commands: [&[&str]; 5] = [
        &[
            "analyze", "--from", "en", "--to", "ru", "--format", "json", en,
        ],
        &["pretranslate", "--from", "en", "--to", "ru", en],
        &["concordance", "--lang", "en", "ferry"],
        &[
            "lookup",
            "--from",
            "ru",
            "--to",
            "en",
            "Паром может перевозить 250 пассажиров и 40 машин.",
        ],
        &["stats", "--format", "json"],
    ];
    for args in commands {
        let from_file = run(util::process(&file).args(args));
        let from_db = run(&mut db(&schema.url, args));
        assert_eq!(
            from_db.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&from_db.stderr)
        );
        let mut a = without_dates(&from_file.stdout);
        let b = without_dates(&from_db.stdout);
        if args[0] == "stats" {
            // The location differs, and a database has no file size.
            let v: serde_json::Value = serde_json::from_str(&b).unwrap();
            let w: serde_json::Value = serde_json::from_str(&a).unwrap();
            assert_eq!(v["units"], 7);
            assert_eq!(
                (&v["pairs"], &v["languages"], &v["origins"]),
                (&w["pairs"], &w["languages"], &w["origins"])
            );
            continue;
        }
        a = a.replace(file.to_str().unwrap(), "MEMORY");
        assert!(!b.is_empty(), "{args:?}: no output");
        assert_eq!(b.replace(&schema.url, "MEMORY"), a, "{args:?}");
    }
}

#[test]
fn awkward_text_round_trips_and_nul_is_refused() {
    use transmem::Error;
    use transmem::memory::{Memory, OnDuplicate};
    let Some(base) = test_database("postgres_cli awkward text") else {
        return;
    };
    let schema = PgSchema::new(&base);
    let mut m = Memory::open_database(&schema.url).unwrap();
    // What COPY's text format treats specially, and more.
    let odd = "tab\there\nnew line \\N backslash \\ cr\r end 🚢 \u{1b}[31m";
    let mut u = util::unit(&[("en", odd), ("ru", "\\.")]);
    u.variants[0].prev = Some("\\t literal".into());
    u.notes = vec!["note\twith tab".into()];
    let mut w = m.writer().unwrap();
    w.insert(&u, None, OnDuplicate::KeepBoth).unwrap();
    let bad = w.insert(
        &util::unit(&[("en", "nul\0inside"), ("ru", "x")]),
        None,
        OnDuplicate::KeepBoth,
    );
    assert!(matches!(bad, Err(Error::InvalidUnit(_))), "{bad:?}");
    drop(w);
    // Dropped after the error, the transaction keeps nothing.
    assert_eq!(m.unit_count().unwrap(), 0);
    let mut w = m.writer().unwrap();
    w.insert(&u, None, OnDuplicate::KeepBoth).unwrap();
    w.commit().unwrap();
    let got = m.unit(1).unwrap().expect("stored");
    assert_eq!(got.variants, u.variants);
    assert_eq!(got.notes, u.notes);
}

#[test]
fn two_first_imports_into_a_new_schema_share_one_memory() {
    use transmem::memory::{Memory, OnDuplicate};
    let Some(base) = test_database("postgres_cli racing creation") else {
        return;
    };
    let schema = PgSchema::new(&base);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let url = schema.url.clone();
            std::thread::spawn(move || {
                let mut m = Memory::open_database(&url).expect("open while others create");
                let mut w = m.writer().unwrap();
                let en = format!("First import {t}.");
                w.insert(
                    &util::unit(&[("en", &en), ("ru", "Первый импорт.")]),
                    None,
                    OnDuplicate::KeepBoth,
                )
                .unwrap();
                w.commit().unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().expect("no creation race");
    }
    assert_eq!(
        Memory::open_database_existing(&schema.url)
            .unwrap()
            .unit_count()
            .unwrap(),
        4
    );
}

/// Issue 27: a large first import into PostgreSQL builds the index while
/// it stores, and the file is the one a build from the database writes.
#[test]
fn a_large_first_import_builds_the_index_while_it_stores() {
    let Some(base) = test_database("postgres_cli tapped index") else {
        return;
    };
    let schema = PgSchema::new(&base);
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let big = util::tsv(dir.path(), "big", 12_000);
    let cmd = |args: &[&str]| {
        let mut c = db(&schema.url, args);
        c.env("TRANSMEM_CACHE_DIR", &cache);
        c
    };
    let out = run_ok(
        &mut cmd(&["import", "--langs", "en,ru", big.to_str().unwrap()]),
        0,
    );
    let err = text(&out.stderr);
    assert!(err.contains("(built while the units were stored)"), "{err}");
    assert!(err.contains("en match index ready: 12000 entries"), "{err}");
    let files = |suffix: &str| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(&cache)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(suffix))
            .collect()
    };
    let idx = files(".match-en.idx");
    assert_eq!(idx.len(), 1, "{idx:?}");
    let tapped = std::fs::read(&idx[0]).unwrap();
    let look = ["lookup", "--from", "en", "--to", "ru", "--format", "jsonl"];
    let q = "Sentence 11007 of batch big about the harbour.";
    let out = run_ok(&mut cmd(&[&look[..], &[q]].concat()), 0);
    assert!(
        text(&out.stdout).contains("Предложение 11007"),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));
    // Built here rather than fetched: the shared copy goes too.
    std::fs::remove_file(&idx[0]).unwrap();
    let name = schema.url.rsplit("%3D").next().unwrap().to_string();
    server_sql(&base, &format!("DELETE FROM \"{name}\".shared_file"));
    let out = run_ok(&mut cmd(&[&look[..], &[q]].concat()), 0);
    assert!(
        text(&out.stderr).contains("(no index yet)"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        std::fs::read(&idx[0]).unwrap() == tapped,
        "the index built while storing differs from the one built after"
    );
    assert!(files(".tmp").is_empty());
    // Another machine (a cache folder of its own) fetches the index the
    // import shared through the database instead of building it, and
    // answers the same.
    let elsewhere = dir.path().join("elsewhere");
    let mut c = db(&schema.url, &[&look[..], &[q]].concat());
    c.env("TRANSMEM_CACHE_DIR", &elsewhere);
    let out = run_ok(&mut c, 0);
    let err = text(&out.stderr);
    assert!(
        err.contains("fetched the en match index from the database") && !err.contains("building"),
        "{err}"
    );
    assert!(
        text(&out.stdout).contains("Предложение 11007"),
        "{}",
        text(&out.stdout)
    );
    let fetched: Vec<_> = std::fs::read_dir(&elsewhere)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".match-en.idx"))
        .collect();
    assert_eq!(fetched.len(), 1);
    assert!(std::fs::read(&fetched[0]).unwrap() == tapped);
    // Units added since: the fetched copy is extended, not rebuilt.
    let more = util::tsv(dir.path(), "more", 30);
    run_ok(
        &mut cmd(&["import", "--langs", "en,ru", more.to_str().unwrap()]),
        0,
    );
    let third = dir.path().join("third");
    let mut c = db(
        &schema.url,
        &[&look[..], &["Sentence 17 of batch more about the harbour."]].concat(),
    );
    c.env("TRANSMEM_CACHE_DIR", &third);
    let out = run_ok(&mut c, 0);
    let err = text(&out.stderr);
    assert!(err.contains("fetched the en match index"), "{err}");
    assert!(!err.contains("(no index yet)"), "{err}");
    assert!(
        text(&out.stdout).contains("пакета more"),
        "{}",
        text(&out.stdout)
    );
}

/// The indexes of a memory's `unit` and `variant` tables in `schema`.
fn unit_indexes(base: &str, schema: &PgSchema) -> Vec<String> {
    let name = schema.url.rsplit("%3D").next().unwrap();
    let mut c = postgres::Client::connect(base, postgres::NoTls).unwrap();
    c.query(
        "SELECT indexname FROM pg_indexes WHERE schemaname = $1
         AND tablename IN ('unit', 'variant') ORDER BY 1",
        &[&name],
    )
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

#[test]
fn a_first_import_that_fails_half_way_leaves_the_indexes_and_no_units() {
    let Some(base) = test_database("postgres_cli failed first import") else {
        return;
    };
    let schema = PgSchema::new(&base);
    // An empty memory: a first import into it drops the indexes before its
    // first COPY (5,000 units) and builds them again at commit.
    let tiny = fixture("tmx/good.tmx");
    run_ok(&mut db(&schema.url, &["import", tiny.to_str().unwrap()]), 0);
    run_ok(&mut db(&schema.url, &["undo", "1"]), 0);
    assert_eq!(units_in(&base, &schema), 0);
    let all = unit_indexes(&base, &schema);
    assert_eq!(
        all,
        [
            "unit_hash",
            "unit_pkey",
            "variant_pkey",
            "variant_primary",
            "variant_text",
            "variant_unit_id_lang_key"
        ]
    );
    // 12,000 good units, then one PostgreSQL cannot store.
    let dir = tempfile::tempdir().unwrap();
    let file = util::tsv(dir.path(), "first", 12_000);
    let mut rows = std::fs::read_to_string(&file).unwrap();
    rows.push_str("A NUL\0 here.\tНоль.\n");
    let bad = dir.path().join("bad.tsv");
    std::fs::write(&bad, rows).unwrap();
    let out = run_ok(
        &mut db(
            &schema.url,
            &["import", "--langs", "en,ru", bad.to_str().unwrap()],
        ),
        2,
    );
    assert!(text(&out.stderr).contains("NUL"), "{}", text(&out.stderr));
    assert_eq!(unit_indexes(&base, &schema), all);
    assert_eq!(units_in(&base, &schema), 0);
    // Then the good rows alone: stored, and indexed.
    let out = run_ok(
        &mut db(
            &schema.url,
            &["import", "--langs", "en,ru", file.to_str().unwrap()],
        ),
        0,
    );
    assert!(
        text(&out.stderr).contains("stored 12000 new units"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(unit_indexes(&base, &schema), all);
    assert_eq!(units_in(&base, &schema), 12_000);
    // And analysed: without statistics the planner joined a lookup's pair
    // through every variant of the language (7 s a lookup at 10M units).
    let name = schema.url.rsplit("%3D").next().unwrap().to_string();
    let mut c = postgres::Client::connect(&base, postgres::NoTls).unwrap();
    let analysed: Vec<String> = c
        .query(
            "SELECT DISTINCT tablename::text FROM pg_stats WHERE schemaname = $1 ORDER BY 1",
            &[&name],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(analysed, ["unit", "variant"]);
}

/// The units of the memory in `schema`, counted on the server.
fn units_in(base: &str, schema: &PgSchema) -> i64 {
    let name = schema.url.rsplit("%3D").next().unwrap();
    let mut c = postgres::Client::connect(base, postgres::NoTls).unwrap();
    c.query_one(&format!("SELECT count(*) FROM {name}.unit"), &[])
        .unwrap()
        .get(0)
}
