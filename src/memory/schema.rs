//! The memory's SQLite schema and its version.
//!
//! `PRAGMA application_id` marks the file as a transmem memory and
//! `PRAGMA user_version` carries the schema version, so that a file from a
//! newer transmem, or some other program's database, is refused with a clear
//! message instead of being misread or damaged.

use std::path::Path;

use rusqlite::Connection;

use super::sqlite::{BUSY_TIMEOUT, map_err};
use crate::error::{Error, Result};

/// 'TMEM' in ASCII.
pub const APPLICATION_ID: i64 = 0x544D_454D;
/// The schema version this build writes and reads. Version 2 replaced the
/// `match_state` table (named for its first user) by the store's own `store_state` and
/// `commit_log` (see [`super::Stamp`]). Version 3 added the write batches
/// (`batch`, `batch_unit`) that `history` lists and `undo` reverts.
/// Version 4 is a leaner layout for new files (see [`Layout`]): no
/// `unit.content_hash` and its index, no `variant.primary_lang`, and
/// 31-bit text hashes; version 3 files keep their layout and are read and
/// written as they are, never rewritten. Version 5 adds `lang_count`
/// (see [`LANG_COUNT`]) to files of either layout.
pub const SCHEMA_VERSION: i64 = 5;

/// The last version with the version-3 layout: what the upgrades of
/// version 1 and 2 files reach.
const LAYOUT_3: i64 = 3;

/// The version-4 tables. Per unit (two variants) at 10M units this is
/// 48 bytes less than version 3 (measured with `dbstat`): the unit's
/// content hash and its index (26 B; exact duplicates are found through
/// the first variant's text instead), the variants' copy of the primary
/// language (6 B; derived from `lang`), and text hashes that fit SQLite's
/// 4-byte integers instead of 8 (16 B, in the table and its index).
const SCHEMA: &str = "
CREATE TABLE unit (
    id           INTEGER PRIMARY KEY,
    tuid         TEXT,
    origin       TEXT,
    created      TEXT,
    creator      TEXT,
    changed      TEXT,
    changer      TEXT,
    usage_count  INTEGER,
    attrs        TEXT,              -- JSON [[name, value], ...]
    props        TEXT,              -- JSON [[type, value], ...]
    notes        TEXT               -- JSON [text, ...]
);

CREATE TABLE variant (
    unit_id      INTEGER NOT NULL,  -- unit.id (the store deletes variants itself)
    lang         TEXT NOT NULL,     -- canonical tag, en-US
    text         TEXT NOT NULL,     -- exactly as given
    markup       TEXT,              -- TMX seg content with inline codes, if any
    text_hash    INTEGER NOT NULL,  -- 31-bit FNV-1a of text: finds a known text by index
    prev         TEXT,              -- neighbouring segments, for context matches
    next         TEXT,
    props        TEXT,
    notes        TEXT,
    UNIQUE (unit_id, lang)
);
CREATE INDEX variant_text ON variant(text_hash);
";

/// Variants per language tag, so that "which languages does this memory
/// hold" is a read of a few rows: at 10M units the `SELECT DISTINCT lang`
/// scan it replaces took 6 s, and the per-language counts of `stats` 18 s,
/// which every lookup with no match paid to tell "no match" from "no such
/// language". The writer adds what it inserts at commit (a trigger on
/// insert cost 1.4 µs a row, 27 s on a 10M-unit import); deletes, rarer,
/// are counted by the trigger, whatever statement makes them.
pub(crate) const LANG_COUNT: &str = "
CREATE TABLE IF NOT EXISTS lang_count (lang TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS variant_lang_count AFTER DELETE ON variant BEGIN
    UPDATE lang_count SET n = n - 1 WHERE lang = old.lang;
END;
";

/// Which layout a file has, read from its tables (not from its version
/// number, so a file upgraded from version 1 or 2 is read as what it is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// `unit.content_hash` exists (and is indexed): version 3.
    pub content_hash: bool,
    /// `variant.primary_lang` exists: version 3.
    pub primary_lang: bool,
    /// `lang_count` exists (version 5, whatever the layout above; a file
    /// of an earlier version that could not be upgraded has none).
    pub lang_count: bool,
}

impl Layout {
    /// Reads the layout of the open file.
    pub fn of(conn: &Connection) -> rusqlite::Result<Layout> {
        let has = |table: &str, column: &str| -> rusqlite::Result<bool> {
            conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2)",
                [table, column],
                |r| r.get(0),
            )
        };
        Ok(Layout {
            content_hash: has("unit", "content_hash")?,
            primary_lang: has("variant", "primary_lang")?,
            lang_count: has("lang_count", "n")?,
        })
    }

    /// The value stored in `variant.text_hash` for `text`: 64-bit FNV-1a
    /// in version-3 files, its low 31 bits in version 4.
    pub fn text_hash(&self, text: &str) -> i64 {
        let h = super::fnv1a(text.as_bytes());
        if self.content_hash {
            h
        } else {
            h & 0x7FFF_FFFF
        }
    }
}

/// The write stamp (see `Stamp`): `store_state` holds the random instance
/// id and the generation; `commit_log` one row per committed write.
const STAMP: &str = "
CREATE TABLE IF NOT EXISTS store_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO store_state VALUES ('instance', random()), ('generation', 0);
CREATE TABLE IF NOT EXISTS commit_log (
    generation INTEGER PRIMARY KEY,
    token      INTEGER NOT NULL,    -- random per commit
    rewrote    INTEGER NOT NULL,    -- 1 when variants were replaced or removed
    variants   INTEGER NOT NULL     -- highest variant rowid after the commit
);
INSERT OR IGNORE INTO commit_log
    SELECT value, random(), 1, (SELECT coalesce(max(rowid), 0) FROM variant)
    FROM store_state WHERE key = 'generation';
";

/// Write batches: one row per committed write; per unit it changed or
/// deleted, the unit as it was before (JSON of the whole unit), which is all
/// `undo` needs to put it back exactly; and the units it created as id
/// ranges (new units take ids above every existing one, so an import of
/// any size is one or a few rows, not a row per unit).
const BATCHES: &str = "
CREATE TABLE IF NOT EXISTS batch (
    id        INTEGER PRIMARY KEY,
    time      TEXT NOT NULL,        -- TMX form, UTC
    command   TEXT NOT NULL,
    user      TEXT,
    counts    TEXT,                 -- JSON {name: n}
    undone_by INTEGER,              -- the batch that reverted this one
    undoes    INTEGER               -- for an undo: the batch it reverted
);
CREATE TABLE IF NOT EXISTS batch_unit (
    batch     INTEGER NOT NULL,
    unit_id   INTEGER NOT NULL,
    kind      TEXT NOT NULL,        -- first change in the batch: insert, overwrite, edit, delete, restore
    before    TEXT,                 -- JSON unit before the batch; NULL: it did not exist
    PRIMARY KEY (batch, unit_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS batch_unit_unit ON batch_unit(unit_id);
CREATE TABLE IF NOT EXISTS batch_new (  -- units a batch created, as id ranges
    batch     INTEGER NOT NULL,
    first_id  INTEGER NOT NULL,
    last_id   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS batch_new_batch ON batch_new(batch);
";

/// A writing connection's page cache: 64 MB (`cache_size` in KiB when
/// negative).
pub(super) const CACHE_SIZE: i64 = -65536;

/// Checks (and, for a new file, creates; for a version-1 file, upgrades)
/// the schema, and sets up the connection: busy timeout, WAL.
pub fn prepare(conn: &Connection, path: &Path, create: bool) -> Result<Layout> {
    let err = map_err(path);
    conn.busy_timeout(BUSY_TIMEOUT).map_err(&err)?;
    // `threads`: the sorter that builds an index at the end of a first
    // import (see `Bulk` in sqlite.rs) may sort on a second core.
    conn.execute_batch(&format!(
        "PRAGMA synchronous = NORMAL; PRAGMA cache_size = {CACHE_SIZE}; PRAGMA threads = 2;"
    ))
    .map_err(&err)?;
    let app: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(&err)?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(&err)?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(&err)?;
    if app == 0 && tables == 0 {
        if !create {
            return Err(Error::NotAMemory {
                path: path.to_path_buf(),
                what: "empty".into(),
            });
        }
        wal(conn);
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {SCHEMA} {LANG_COUNT} {STAMP} {BATCHES} PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
        ))
        .map_err(&err)?;
        return Layout::of(conn).map_err(&err);
    }
    if app != APPLICATION_ID {
        return Err(Error::NotAMemory {
            path: path.to_path_buf(),
            what: "an SQLite database".into(),
        });
    }
    if version > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    wal(conn);
    if version < 2 {
        // Version 1 kept the stamp in `match_state`; its
        // instance id and generation carry over. The first log row is
        // marked as a rewrite, so caches built before rebuild once.
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE;
             CREATE TABLE IF NOT EXISTS match_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS store_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
             INSERT OR IGNORE INTO store_state
                 SELECT key, value FROM match_state WHERE key IN ('instance', 'generation');
             DROP TABLE match_state;
             {STAMP}
             PRAGMA user_version = 2;
             COMMIT;"
        ))
        .map_err(&err)?;
    }
    if version < 3 {
        // Writes before version 3 were not recorded: they cannot be undone.
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {BATCHES} PRAGMA user_version = {LAYOUT_3}; COMMIT;"
        ))
        .map_err(&err)?;
    }
    if version < 5 {
        // One scan of the variants, once per file. A file this process
        // may not write stays as it is: `Layout::lang_count` is then false
        // and languages are read by that scan every time instead.
        let _ = conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {LANG_COUNT}
             DELETE FROM lang_count;
             INSERT INTO lang_count SELECT lang, count(*) FROM variant GROUP BY lang;
             PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
        ));
        let _ = conn.execute_batch("ROLLBACK");
    }
    Layout::of(conn).map_err(&err)
}

/// Puts a file memory in WAL mode (a no-op when it is; SQLite keeps the mode
/// in the file). Readers then never wait for a writer.
pub(super) fn wal(conn: &Connection) {
    // A memory in RAM answers "memory"; a file we may not write keeps its
    // mode, and reads still work: either way there is nothing to report.
    let mode = conn.query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0));
    if mode.is_ok_and(|m| !m.eq_ignore_ascii_case("wal")) {
        // Not waiting: a file a first import holds on its rollback journal
        // (see `rollback_journal` in sqlite.rs) is switched back by that
        // import when it ends, and this connection's reads wait for it
        // anyway.
        let _ = switch_journal(conn, "WAL");
    }
}

/// Sets the file's journal mode to `mode` without waiting for the lock the
/// switch needs (another connection makes it fail at once); the mode the
/// file is in afterwards.
pub(super) fn switch_journal(conn: &Connection, mode: &str) -> rusqlite::Result<String> {
    conn.busy_timeout(std::time::Duration::ZERO)?;
    let now = conn.query_row(&format!("PRAGMA journal_mode = {mode}"), [], |r| {
        r.get::<_, String>(0)
    });
    conn.busy_timeout(BUSY_TIMEOUT)?;
    now
}
