//! Store errors never become answers: a damaged row is exit 2 with a
//! message naming the memory, not "no match" (exit 1) or a silently
//! shortened export.

mod util;

use util::{process as tm, run, text, unit};

fn damaged(sql: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    let mut u = unit(&[
        ("en", "The harbour is closed today."),
        ("ru", "Гавань сегодня закрыта."),
    ]);
    u.notes = vec!["kept".into()];
    util::store(&mem, &[u]);
    // Build the lookup index while the memory is intact.
    let out = run(tm(&mem).args([
        "lookup",
        "--from",
        "en",
        "--to",
        "ru",
        "The harbour is closed today.",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    rusqlite::Connection::open(&mem)
        .unwrap()
        .execute_batch(sql)
        .unwrap();
    (dir, mem)
}

#[test]
fn a_damaged_row_in_a_lookup_is_exit_2_not_no_match() {
    let (_dir, mem) = damaged("UPDATE variant SET text = X'FF00FE' WHERE lang = 'ru'");
    let out = run(tm(&mem).args([
        "lookup",
        "--from",
        "en",
        "--to",
        "ru",
        "The harbour is closed today.",
    ]));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("damaged"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn damaged_notes_fail_the_export_instead_of_vanishing() {
    let (dir, mem) = damaged("UPDATE unit SET notes = '[\"unterminated'");
    let out_file = dir.path().join("out.tmx");
    let out = run(tm(&mem).args(["export", "-o"]).arg(&out_file));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("damaged"),
        "{}",
        text(&out.stderr)
    );
    assert!(!out_file.exists(), "a partial export was left behind");
}
