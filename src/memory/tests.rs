//! Store tests: round trip, duplicates, transactions, language fallback.

use super::*;
use crate::Error;

fn pair(en: &str, ru: &str) -> Unit {
    Unit {
        variants: vec![
            Variant {
                lang: "en".into(),
                text: en.into(),
                ..Variant::default()
            },
            Variant {
                lang: "ru".into(),
                text: ru.into(),
                ..Variant::default()
            },
        ],
        origin: Some("doc1".into()),
        creator: Some("tester".into()),
        ..Unit::default()
    }
}

#[test]
fn insert_and_read_back() {
    let mut m = Memory::in_memory().unwrap();
    let mut w = m.writer().unwrap();
    let mut u = pair("Hello.", "Привет.");
    u.variants[0].prev = Some("Before.".into());
    u.props = vec![("x-note".into(), "v".into())];
    let id = match w.insert(&u, None, OnDuplicate::KeepBoth).unwrap() {
        Inserted::New(id) => id,
        other => panic!("{other:?}"),
    };
    w.commit().unwrap();
    let got = m.unit(id).unwrap().unwrap();
    assert_eq!(got.variants, u.variants);
    assert_eq!(got.props, u.props);
    assert_eq!(got.origin.as_deref(), Some("doc1"));
    assert!(
        got.created
            .as_deref()
            .is_some_and(|c| c.len() == 16 && c.ends_with('Z'))
    );
}

#[test]
fn exact_duplicates_are_stored_once() {
    let mut m = Memory::in_memory().unwrap();
    let mut w = m.writer().unwrap();
    let a = w
        .insert(&pair("A.", "А."), None, OnDuplicate::KeepBoth)
        .unwrap();
    let b = w
        .insert(&pair("A.", "А."), None, OnDuplicate::KeepBoth)
        .unwrap();
    w.commit().unwrap();
    let Inserted::New(id) = a else {
        panic!("{a:?}")
    };
    assert_eq!(b, Inserted::Duplicate(id));
    assert_eq!(m.unit_count().unwrap(), 1);
}

#[test]
fn duplicate_policies() {
    let mut m = Memory::in_memory().unwrap();
    let mut w = m.writer().unwrap();
    w.insert(&pair("Yes.", "Да."), None, OnDuplicate::KeepBoth)
        .unwrap();
    let kept = w
        .insert(&pair("Yes.", "Ага."), None, OnDuplicate::KeepBoth)
        .unwrap();
    assert!(matches!(kept, Inserted::New(_)));
    let skipped = w
        .insert(&pair("Yes.", "Так точно."), None, OnDuplicate::Skip)
        .unwrap();
    assert!(matches!(skipped, Inserted::Skipped(_)));
    let over = w
        .insert(
            &pair("Yes.", "Конечно."),
            Some("en"),
            OnDuplicate::Overwrite,
        )
        .unwrap();
    let Inserted::Overwritten(id) = over else {
        panic!("{over:?}")
    };
    w.commit().unwrap();
    assert_eq!(m.unit_count().unwrap(), 2);
    assert_eq!(
        m.unit(id).unwrap().unwrap().variant("ru").unwrap().text,
        "Конечно."
    );
}

#[test]
fn dropped_writer_rolls_back() {
    let mut m = Memory::in_memory().unwrap();
    {
        let mut w = m.writer().unwrap();
        w.insert(&pair("Lost.", "Потеряно."), None, OnDuplicate::KeepBoth)
            .unwrap();
    }
    assert_eq!(m.unit_count().unwrap(), 0);
}

#[test]
fn invalid_units_are_refused() {
    let mut m = Memory::in_memory().unwrap();
    let mut w = m.writer().unwrap();
    assert!(
        w.insert(&Unit::default(), None, OnDuplicate::KeepBoth)
            .is_err()
    );
    let mut twice = pair("a", "b");
    twice.variants[1].lang = "en".into();
    assert!(w.insert(&twice, None, OnDuplicate::KeepBoth).is_err());
    let mut bad = pair("a", "b");
    bad.variants[1].lang = "EN_us".into();
    assert!(w.insert(&bad, None, OnDuplicate::KeepBoth).is_err());
}

#[test]
fn pairs_follow_language_fallback_and_direction() {
    let mut m = Memory::in_memory().unwrap();
    let mut w = m.writer().unwrap();
    let mut u = pair("Color.", "Цвет.");
    u.variants[0].lang = "en-US".into();
    u.variants.push(Variant {
        lang: "de".into(),
        text: "Farbe.".into(),
        ..Variant::default()
    });
    w.insert(&u, None, OnDuplicate::KeepBoth).unwrap();
    w.commit().unwrap();
    let en_ru = m.pairs("en", "ru").unwrap();
    assert_eq!(
        (en_ru[0].source.as_str(), en_ru[0].target.as_str()),
        ("Color.", "Цвет.")
    );
    let ru_de = m.pairs("ru", "de").unwrap();
    assert_eq!(
        (ru_de[0].source.as_str(), ru_de[0].target.as_str()),
        ("Цвет.", "Farbe.")
    );
    assert!(m.pairs("en-GB", "ru").unwrap().is_empty());
    let st = m.stats().unwrap();
    assert_eq!(st.units, 1);
    assert_eq!(st.pairs.get("en-US / ru"), Some(&1));
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.sqlite");
    Memory::open(&p).unwrap();
    rusqlite::Connection::open(&p)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let e = Memory::open(&p).unwrap_err();
    assert!(matches!(e, Error::SchemaTooNew { found: 99, .. }), "{e}");
}

#[test]
fn foreign_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("other.sqlite");
    rusqlite::Connection::open(&p)
        .unwrap()
        .execute_batch("CREATE TABLE t(x)")
        .unwrap();
    assert!(Memory::open(&p).is_err());
}

/// Names of the SQL indexes in the file at `p`, read as another program would.
fn index_names(p: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(p).unwrap();
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<std::result::Result<_, _>>()
        .unwrap()
}

#[test]
fn duplicates_are_found_in_later_transactions_too() {
    // The first transaction on an empty memory checks duplicates in RAM;
    // later ones through the indexes it rebuilt at commit.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.sqlite");
    let mut m = Memory::open(&p).unwrap();
    let mut w = m.writer().unwrap();
    w.insert(&pair("Yes.", "Да."), None, OnDuplicate::KeepBoth)
        .unwrap();
    w.commit().unwrap();
    assert_eq!(
        index_names(&p),
        ["batch_new_batch", "batch_unit_unit", "variant_text"]
    );
    let mut w = m.writer().unwrap();
    assert!(matches!(
        w.insert(&pair("Yes.", "Да."), None, OnDuplicate::KeepBoth)
            .unwrap(),
        Inserted::Duplicate(_)
    ));
    assert!(matches!(
        w.insert(&pair("Yes.", "Ага."), Some("en"), OnDuplicate::Skip)
            .unwrap(),
        Inserted::Skipped(_)
    ));
    let over = w
        .insert(
            &pair("Yes.", "Конечно."),
            Some("en"),
            OnDuplicate::Overwrite,
        )
        .unwrap();
    assert!(matches!(over, Inserted::Overwritten(_)));
    w.commit().unwrap();
    assert_eq!(m.unit_count().unwrap(), 1);
}

#[test]
fn overwritten_unit_is_not_found_by_its_old_text() {
    let mut m = Memory::in_memory().unwrap();
    let mut w = m.writer().unwrap();
    let mut multi = pair("Hello.", "Привет.");
    multi.variants.push(Variant {
        lang: "de".into(),
        text: "Hallo.".into(),
        ..Variant::default()
    });
    w.insert(&multi, Some("en"), OnDuplicate::Skip).unwrap();
    // Overwrite drops the German variant; a later German-source unit with
    // the old text is new, not a duplicate of the rewritten unit.
    let over = w
        .insert(
            &pair("Hello.", "Здравствуйте."),
            Some("en"),
            OnDuplicate::Overwrite,
        )
        .unwrap();
    assert!(matches!(over, Inserted::Overwritten(_)));
    let mut de = pair("Hallo.", "Привет!");
    de.variants[0].lang = "de".into();
    assert!(matches!(
        w.insert(&de, Some("de"), OnDuplicate::Skip).unwrap(),
        Inserted::New(_)
    ));
    w.commit().unwrap();
    assert_eq!(m.unit_count().unwrap(), 2);
}

#[test]
fn rolled_back_first_import_keeps_the_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.sqlite");
    let mut m = Memory::open(&p).unwrap();
    {
        let mut w = m.writer().unwrap();
        w.insert(&pair("Lost.", "Потеряно."), None, OnDuplicate::KeepBoth)
            .unwrap();
    }
    assert_eq!(
        index_names(&p),
        ["batch_new_batch", "batch_unit_unit", "variant_text"]
    );
}

#[test]
fn open_errors_are_typed() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.sqlite");
    let e = Memory::open_existing(&missing).unwrap_err();
    assert!(
        matches!(&e, Error::NotFound { path } if *path == missing),
        "{e}"
    );
    assert!(!missing.exists(), "open_existing created a file");
    let other = dir.path().join("other.sqlite");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t(x)")
        .unwrap();
    let e = Memory::open_existing(&other).unwrap_err();
    assert!(matches!(e, Error::NotAMemory { .. }), "{e}");
    let empty = dir.path().join("empty.sqlite");
    std::fs::write(&empty, b"").unwrap();
    let e = Memory::open_existing(&empty).unwrap_err();
    assert!(matches!(e, Error::NotAMemory { .. }), "{e}");
    let text = dir.path().join("text.sqlite");
    std::fs::write(
        &text,
        b"this is not a database, just some text that is long enough",
    )
    .unwrap();
    let e = Memory::open_existing(&text).unwrap_err();
    assert!(matches!(e, Error::NotAMemory { .. }), "{e}");
}

#[test]
fn damaged_metadata_is_an_error_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.sqlite");
    let mut m = Memory::open(&p).unwrap();
    let mut w = m.writer().unwrap();
    let mut u = pair("Hello.", "Привет.");
    u.props = vec![("x".into(), "y".into())];
    w.insert(&u, None, OnDuplicate::KeepBoth).unwrap();
    w.commit().unwrap();
    rusqlite::Connection::open(&p)
        .unwrap()
        .execute_batch("UPDATE unit SET props = '{not json'")
        .unwrap();
    let e = m.for_each_unit(|_| Ok(())).unwrap_err();
    assert!(matches!(e, Error::Corrupt { .. }), "{e}");
    assert!(e.to_string().contains("damaged"), "{e}");
}

#[test]
fn a_version_1_memory_is_upgraded_and_keeps_its_units() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("v1.sqlite");
    {
        let mut m = Memory::open(&p).unwrap();
        let mut w = m.writer().unwrap();
        w.insert(&pair("Old.", "Старое."), None, OnDuplicate::KeepBoth)
            .unwrap();
        w.commit().unwrap();
    }
    // Turn it back into what version 1 wrote: the stamp in `match_state`.
    rusqlite::Connection::open(&p)
        .unwrap()
        .execute_batch(
            "DROP TABLE commit_log; DROP TABLE store_state;
             CREATE TABLE match_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
             INSERT INTO match_state VALUES ('instance', 42), ('generation', 5), ('rewrites', 0);
             PRAGMA user_version = 1;",
        )
        .unwrap();
    let mut m = Memory::open_existing(&p).unwrap();
    let s = m.stamp().unwrap();
    assert_eq!((s.instance, s.generation), (42, 5));
    assert_eq!(m.unit_count().unwrap(), 1);
    let mut w = m.writer().unwrap();
    w.insert(&pair("New.", "Новое."), None, OnDuplicate::KeepBoth)
        .unwrap();
    let s2 = w.commit().unwrap();
    assert_eq!(s2.generation, 6);
    assert_eq!(m.since(&s, &s2).unwrap(), Since::Appended);
}

#[test]
fn stale_creation_temps_are_swept_and_fresh_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.sqlite");
    let stale = dir.path().join(".m.sqlite.ab12CD.new");
    let fresh = dir.path().join(".m.sqlite.ef34GH.new");
    let other = dir.path().join(".other.sqlite.ab12CD.new");
    for f in [&stale, &fresh, &other] {
        std::fs::write(f, b"").unwrap();
    }
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for f in [&stale, &other] {
        std::fs::File::options()
            .write(true)
            .open(f)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    Memory::open(&p).unwrap();
    assert!(!stale.exists(), "a stale temp file was kept");
    assert!(
        fresh.exists(),
        "a fresh temp file (another creator's) was removed"
    );
    assert!(other.exists(), "another memory's file was removed");
}

#[test]
fn new_memories_use_the_lean_layout_and_old_ones_keep_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let columns = |p: &std::path::Path, table: &str| -> Vec<String> {
        let conn = rusqlite::Connection::open(p).unwrap();
        let mut stmt = conn
            .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")
            .unwrap();
        stmt.query_map([table], |r| r.get(0))
            .unwrap()
            .collect::<std::result::Result<_, _>>()
            .unwrap()
    };
    let hashes = |p: &std::path::Path| -> Vec<i64> {
        let conn = rusqlite::Connection::open(p).unwrap();
        let mut stmt = conn.prepare("SELECT text_hash FROM variant").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<std::result::Result<_, _>>()
            .unwrap()
    };
    let new = dir.path().join("new.sqlite");
    let old = dir.path().join("old.sqlite");
    drop(Memory::open(&old).unwrap());
    rusqlite::Connection::open(&old)
        .unwrap()
        .execute_batch(
            "ALTER TABLE unit ADD COLUMN content_hash INTEGER NOT NULL DEFAULT 0;
             CREATE INDEX unit_hash ON unit(content_hash);
             ALTER TABLE variant ADD COLUMN primary_lang TEXT NOT NULL DEFAULT '';
             PRAGMA user_version = 3;",
        )
        .unwrap();
    for p in [&new, &old] {
        let mut m = Memory::open(p).unwrap();
        for _ in 0..2 {
            // The second transaction is not a bulk one: its duplicate
            // check goes through the indexes.
            let mut w = m.writer().unwrap();
            w.insert(&pair("Same.", "То же."), None, OnDuplicate::KeepBoth)
                .unwrap();
            w.commit().unwrap();
        }
        assert_eq!(m.unit_count().unwrap(), 1, "{}", p.display());
        assert_eq!(m.variants_with_text("en", "Same.", 10).unwrap().len(), 1);
    }
    assert!(!columns(&new, "unit").contains(&"content_hash".to_string()));
    assert!(!columns(&new, "variant").contains(&"primary_lang".to_string()));
    assert!(hashes(&new).iter().all(|&h| (0..1 << 31).contains(&h)));
    assert!(columns(&old, "unit").contains(&"content_hash".to_string()));
    // The old file keeps its 64-bit hashes (those of the rows it held).
    assert!(hashes(&old).iter().any(|&h| !(0..1 << 31).contains(&h)));
    let v: i64 = rusqlite::Connection::open(&old)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 5, "a version-3 file gains the language counts only");
}

#[test]
fn a_version_4_file_gains_exact_language_counts() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("v4.sqlite");
    {
        let mut m = Memory::open(&p).unwrap();
        let mut w = m.writer().unwrap();
        for (en, ru) in [("One.", "Один."), ("Two.", "Два.")] {
            w.insert(&pair(en, ru), None, OnDuplicate::KeepBoth)
                .unwrap();
        }
        w.commit().unwrap();
    }
    // What a version-4 transmem wrote: no table, no trigger.
    rusqlite::Connection::open(&p)
        .unwrap()
        .execute_batch(
            "DROP TRIGGER variant_lang_count; DROP TABLE lang_count; PRAGMA user_version = 4;",
        )
        .unwrap();
    let m = Memory::open(&p).unwrap();
    assert_eq!(m.languages().unwrap(), ["en", "ru"]);
    let conn = rusqlite::Connection::open(&p).unwrap();
    let rows: Vec<(String, i64)> = conn
        .prepare("SELECT lang, n FROM lang_count ORDER BY lang")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<std::result::Result<_, _>>()
        .unwrap();
    assert_eq!(rows, [("en".to_string(), 2), ("ru".to_string(), 2)]);
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 5);
}

fn journal_mode(p: &std::path::Path) -> String {
    let conn = rusqlite::Connection::open(p).unwrap();
    conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap()
}

fn beside(p: &std::path::Path, suffix: &str) -> bool {
    std::path::PathBuf::from(format!("{}{suffix}", p.display())).exists()
}

fn insert_pairs(w: &mut Writer<'_>, n: usize, tag: &str) {
    for i in 0..n {
        let (en, ru) = (
            format!("{tag} sentence {i}."),
            format!("{tag} предложение {i}."),
        );
        w.insert(&pair(&en, &ru), None, OnDuplicate::KeepBoth)
            .unwrap();
    }
}

#[test]
fn a_first_write_into_an_empty_file_skips_the_write_ahead_log() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.sqlite");
    let mut m = Memory::open(&p).unwrap();
    let mut w = m.writer().unwrap();
    insert_pairs(&mut w, 2000, "First");
    // On a rollback journal: the new pages go straight to the file, and
    // no log holds a second copy of them.
    assert!(beside(&p, "-journal"));
    assert!(!beside(&p, "-wal"));
    w.commit().unwrap();
    assert!(!beside(&p, "-journal"));
    assert_eq!(journal_mode(&p), "wal");
    // A later write, into a memory no longer empty, runs in WAL mode.
    let mut w = m.writer().unwrap();
    insert_pairs(&mut w, 10, "Second");
    assert!(beside(&p, "-wal"));
    assert!(!beside(&p, "-journal"));
    w.commit().unwrap();
    assert_eq!(m.unit_count().unwrap(), 2010);
    assert_eq!(journal_mode(&p), "wal");
}

#[test]
fn a_first_write_beside_another_connection_stays_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.sqlite");
    let mut m = Memory::open(&p).unwrap();
    // A reader holds the file open (as a running server would).
    let other = Memory::open(&p).unwrap();
    assert_eq!(other.unit_count().unwrap(), 0);
    let mut w = m.writer().unwrap();
    insert_pairs(&mut w, 500, "Shared");
    assert!(!beside(&p, "-journal"));
    // The reader reads the empty memory meanwhile, without waiting.
    assert_eq!(other.unit_count().unwrap(), 0);
    w.commit().unwrap();
    assert_eq!(other.unit_count().unwrap(), 500);
    assert_eq!(journal_mode(&p), "wal");
}

#[test]
fn a_first_write_rolled_back_leaves_an_empty_memory_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.sqlite");
    let mut m = Memory::open(&p).unwrap();
    {
        let mut w = m.writer().unwrap();
        insert_pairs(&mut w, 2000, "Lost");
        assert!(beside(&p, "-journal"));
    }
    drop(m);
    assert!(!beside(&p, "-journal"));
    assert_eq!(journal_mode(&p), "wal");
    let mut m = Memory::open(&p).unwrap();
    assert_eq!(m.unit_count().unwrap(), 0);
    let mut w = m.writer().unwrap();
    insert_pairs(&mut w, 3, "Kept");
    w.commit().unwrap();
    assert_eq!(m.unit_count().unwrap(), 3);
}

#[test]
fn a_first_import_finds_exact_duplicates_with_its_own_hash() {
    // Version-4 files keep no content hash: a first write's map of what
    // it stored uses a hash of its own, which must still equate units
    // whose variants come in another order, and part those whose markup
    // differs.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.sqlite");
    let mut m = Memory::open(&p).unwrap();
    let mut w = m.writer().unwrap();
    let a = pair("Same.", "То же.");
    let mut swapped = a.clone();
    swapped.variants.reverse();
    let mut marked = a.clone();
    marked.variants[0].markup = Some("<bpt i=\"1\"/>Same.".into());
    let first = w.insert(&a, None, OnDuplicate::KeepBoth).unwrap();
    let Inserted::New(id) = first else {
        panic!("{first:?}")
    };
    assert_eq!(
        w.insert(&swapped, None, OnDuplicate::KeepBoth).unwrap(),
        Inserted::Duplicate(id)
    );
    assert!(matches!(
        w.insert(&marked, None, OnDuplicate::KeepBoth).unwrap(),
        Inserted::New(_)
    ));
    w.commit().unwrap();
    assert_eq!(m.unit_count().unwrap(), 2);
}
