//! The store under concurrency and crashes, through the binary: racing
//! imports (into a new memory and an existing one), lookups during a
//! write, kill -9 of an import, and a memory restored from a copy. Each
//! asserts exact unit counts afterwards.

mod util;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use transmem::memory::{Memory, OnDuplicate};
use util::{process as tm, run, run_ok, text, tsv, unit, unit_count};

/// "N new" from an import's summary line.
fn reported_new(stderr: &[u8]) -> u64 {
    let s = text(stderr);
    s.lines()
        .filter_map(|l| {
            let (_, rest) = l.split_once(" units read, ")?;
            rest.split_once(" new")?.0.trim().parse::<u64>().ok()
        })
        .sum()
}

fn spawn_import(mem: &Path, file: &Path) -> Child {
    tm(mem)
        .args(["import", "--langs", "en,ru"])
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn import")
}

/// Two imports at once; returns the units they reported stored. A loser
/// may only fail with exit 2 and a busy message, having stored nothing.
fn race(mem: &Path, a: &Path, b: &Path) -> u64 {
    let (pa, pb) = (spawn_import(mem, a), spawn_import(mem, b));
    let mut stored = 0;
    let mut ok = 0;
    for p in [pa, pb] {
        let out = p.wait_with_output().expect("wait");
        match out.status.code() {
            Some(0) => {
                ok += 1;
                stored += reported_new(&out.stderr);
            }
            Some(2) => {
                let e = text(&out.stderr);
                assert!(e.contains("busy"), "failed import, not busy: {e}");
            }
            other => panic!("import exited {other:?}: {}", text(&out.stderr)),
        }
    }
    assert!(ok >= 1, "neither racing import succeeded");
    stored
}

#[test]
fn racing_imports_into_a_new_memory_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = tsv(dir.path(), "a", 2000);
    let b = tsv(dir.path(), "b", 2000);
    for trial in 0..6 {
        let mem = dir.path().join(format!("t{trial}/nested/new.sqlite"));
        let stored = race(&mem, &a, &b);
        assert!(mem.exists(), "trial {trial}: the memory vanished");
        assert_eq!(unit_count(&mem), stored, "trial {trial}");
        assert!(stored == 2000 || stored == 4000, "trial {trial}: {stored}");
    }
    // Nothing but the memory itself (and the match index the import
    // built) is left in its folder (no temporary files from the atomic
    // creation or the index build).
    let mut left: Vec<String> = std::fs::read_dir(dir.path().join("t0/nested"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["new.sqlite", "new.sqlite.match-en.idx"]);
}

#[test]
fn racing_imports_into_an_existing_memory_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let seed = tsv(dir.path(), "seed", 100);
    run_ok(tm(&mem).args(["import", "--langs", "en,ru"]).arg(&seed), 0);
    let a = tsv(dir.path(), "a", 2000);
    let b = tsv(dir.path(), "b", 2000);
    let stored = race(&mem, &a, &b);
    assert_eq!(unit_count(&mem), 100 + stored);
}

#[test]
fn failed_import_into_a_new_nested_path_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.tsv");
    std::fs::write(&bad, "Good line.\tХорошо.\nno tab here\n").unwrap();
    let mem = dir.path().join("x/y/m.sqlite");
    let out = run(tm(&mem).args(["import", "--langs", "en,ru"]).arg(&bad));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(!dir.path().join("x").exists(), "folders left behind");
}

#[test]
fn lookup_while_another_process_writes_answers_from_the_committed_state() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    util::store(
        &mem,
        &[unit(&[
            ("en", "The harbour is closed today."),
            ("ru", "Гавань сегодня закрыта."),
        ])],
    );
    // This test process holds a write transaction with uncommitted units.
    let mut m = Memory::open(&mem).unwrap();
    let mut w = m.writer().unwrap();
    w.insert(
        &unit(&[
            ("en", "An uncommitted sentence."),
            ("ru", "Незакреплённое."),
        ]),
        None,
        OnDuplicate::KeepBoth,
    )
    .unwrap();
    let lookup = |q: &str| run(tm(&mem).args(["lookup", "--from", "en", "--to", "ru", q]));
    // The write lock is held throughout: a reader that needed it would wait
    // the busy timeout and fail with exit 2. WAL lets it answer.
    let out = lookup("The harbour is closed today.");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Гавань сегодня закрыта."));
    let out = lookup("An uncommitted sentence.");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    w.commit().unwrap();
    let out = lookup("An uncommitted sentence.");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn lookups_during_an_import_always_answer() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let seed = tsv(dir.path(), "seed", 50);
    run_ok(tm(&mem).args(["import", "--langs", "en,ru"]).arg(&seed), 0);
    let big = tsv(dir.path(), "big", 60_000);
    let mut import = spawn_import(&mem, &big);
    let mut lookups = 0;
    while import.try_wait().unwrap().is_none() || lookups == 0 {
        let out = run(tm(&mem).args([
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "Sentence 7 of batch seed about the harbour.",
        ]));
        assert_eq!(
            out.status.code(),
            Some(0),
            "lookup {lookups} during the import: {}",
            text(&out.stderr)
        );
        lookups += 1;
    }
    let out = import.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(unit_count(&mem), 60_050);
}

#[test]
fn a_second_writer_waits_then_reports_the_memory_busy() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    util::store(&mem, &[unit(&[("en", "Held."), ("ru", "Занято.")])]);
    let file = tsv(dir.path(), "late", 10);
    let mut m = Memory::open(&mem).unwrap();
    let w = m.writer().unwrap();
    // Held past the busy timeout: the import must say the memory is busy,
    // not blame its input file, and store nothing.
    let out = run(tm(&mem).args(["import", "--langs", "en,ru"]).arg(&file));
    drop(w);
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(e.contains("is busy"), "{e}");
    assert!(!e.contains("late.tsv"), "blamed on the input file: {e}");
    assert_eq!(unit_count(&mem), 1);
}

/// Imports `file` into `mem` and kills the import with SIGKILL 400 ms in;
/// false when it finished before that.
#[cfg(unix)]
fn kill_9_during_import(mem: &Path, file: &Path) -> bool {
    let mut import = spawn_import(mem, file);
    std::thread::sleep(Duration::from_millis(400));
    if import.try_wait().unwrap().is_some() {
        return false;
    }
    Command::new("kill")
        .args(["-9", &import.id().to_string()])
        .status()
        .unwrap();
    let _ = import.wait();
    true
}

#[cfg(unix)]
#[test]
fn kill_9_of_an_import_leaves_the_memory_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let seed = tsv(dir.path(), "seed", 300);
    run_ok(tm(&mem).args(["import", "--langs", "en,ru"]).arg(&seed), 0);
    let mut n = 100_000;
    let mut killed = false;
    for _ in 0..4 {
        let big = tsv(dir.path(), "big", n);
        if kill_9_during_import(&mem, &big) {
            killed = true;
            break;
        }
        // Finished before the kill: start over from the seed alone.
        std::fs::remove_file(&mem).unwrap();
        run_ok(tm(&mem).args(["import", "--langs", "en,ru"]).arg(&seed), 0);
        n *= 2;
    }
    assert!(killed, "every import finished before it could be killed");
    assert_eq!(unit_count(&mem), 300);
    // And the memory takes the next import normally.
    let more = tsv(dir.path(), "more", 20);
    run_ok(tm(&mem).args(["import", "--langs", "en,ru"]).arg(&more), 0);
    assert_eq!(unit_count(&mem), 320);
}

#[cfg(unix)]
#[test]
fn kill_9_of_a_first_import_leaves_an_empty_memory_that_takes_the_next() {
    // A first import into an empty memory runs on a rollback journal, not
    // the write-ahead log (src/memory/sqlite.rs, `rollback_journal`): the
    // kill leaves a hot journal, which the next open rolls back.
    let dir = tempfile::tempdir().unwrap();
    let mut n = 100_000;
    let mut killed = None;
    for i in 0..4 {
        let mem = dir.path().join(format!("m{i}.sqlite"));
        let big = tsv(dir.path(), "big", n);
        if kill_9_during_import(&mem, &big) {
            killed = Some(mem);
            break;
        }
        n *= 2;
    }
    let mem = killed.expect("every import finished before it could be killed");
    let journal = format!("{}-journal", mem.display());
    assert!(
        Path::new(&journal).exists(),
        "no hot journal after the kill"
    );
    assert_eq!(unit_count(&mem), 0);
    assert!(!Path::new(&journal).exists());
    let more = tsv(dir.path(), "more", 20);
    run_ok(tm(&mem).args(["import", "--langs", "en,ru"]).arg(&more), 0);
    assert_eq!(unit_count(&mem), 20);
    let conn = rusqlite::Connection::open(&mem).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn a_memory_restored_from_a_copy_is_not_served_from_a_stale_index() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let bak = dir.path().join("m.bak");
    let import = |name: &str, en: &str, ru: &str| {
        let f = dir.path().join(format!("{name}.tsv"));
        std::fs::write(&f, format!("{en}\t{ru}\n")).unwrap();
        run_ok(tm(&mem).args(["import", "--langs", "en,ru"]).arg(&f), 0);
    };
    let lookup = |q: &str| run(tm(&mem).args(["lookup", "--from", "en", "--to", "ru", q]));
    import(
        "a",
        "The first sentence is here.",
        "Первое предложение здесь.",
    );
    run_ok(
        tm(&mem).args([
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "The first sentence is here.",
        ]),
        0,
    );
    std::fs::copy(&mem, &bak).unwrap();
    import(
        "b",
        "A second sentence was added.",
        "Второе предложение добавлено.",
    );
    // The index now covers a and b, at generation 2.
    assert_eq!(
        lookup("A second sentence was added.").status.code(),
        Some(0)
    );
    std::fs::copy(&bak, &mem).unwrap();
    // Generation 2 again, with other content.
    import("c", "Quite another text entirely.", "Совсем другой текст.");
    let out = lookup("Quite another text entirely.");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Совсем другой текст."));
    assert_eq!(
        lookup("A second sentence was added.").status.code(),
        Some(1)
    );
    assert_eq!(unit_count(&mem), 2);
}
