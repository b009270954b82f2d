//! The memory's SQLite schema and its version.
//!
//! `PRAGMA application_id` marks the file as a transmem memory and
//! `PRAGMA user_version` carries the schema version, so that a file from a
//! newer transmem, or some other program's database, is refused with a clear
//! message instead of being misread or damaged.

use std::path::Path;

use rusqlite::Connection;

use super::store_err;
use crate::error::{Error, Result};

/// 'TMEM' in ASCII.
pub const APPLICATION_ID: i64 = 0x544D_454D;
/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = 1;

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
    notes        TEXT,              -- JSON [text, ...]
    content_hash INTEGER NOT NULL   -- finds exact duplicates by index
);
CREATE INDEX unit_hash ON unit(content_hash);

CREATE TABLE variant (
    unit_id      INTEGER NOT NULL,  -- unit.id (the store deletes variants itself)
    lang         TEXT NOT NULL,     -- canonical tag, en-US
    primary_lang TEXT NOT NULL,     -- en: lookups by language find every region
    text         TEXT NOT NULL,     -- exactly as given
    markup       TEXT,              -- TMX seg content with inline codes, if any
    text_hash    INTEGER NOT NULL,  -- FNV-1a of text: finds a known source by index
    prev         TEXT,              -- neighbouring segments, for context matches
    next         TEXT,
    props        TEXT,
    notes        TEXT,
    UNIQUE (unit_id, lang)
);
CREATE INDEX variant_text ON variant(text_hash);
-- The matcher's index stamp (see matcher::index): random instance, write
-- generation, and a count of writes that replaced variants.
CREATE TABLE match_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO match_state VALUES ('instance', random()), ('generation', 0), ('rewrites', 0);
";

/// Checks (and, for a new file, creates) the schema.
pub fn prepare(conn: &Connection, path: &Path, create: bool) -> Result<()> {
    let err = store_err(path);
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(&err)?;
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;")
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
            return Err(Error::Invalid(format!(
                "{} is empty, not a transmem memory",
                path.display()
            )));
        }
        conn.execute_batch(&format!(
            "BEGIN; {SCHEMA} PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
        ))
        .map_err(&err)?;
        return Ok(());
    }
    if app != APPLICATION_ID {
        return Err(Error::Invalid(format!(
            "{} is an SQLite database but not a transmem memory",
            path.display()
        )));
    }
    if version > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            path: path.display().to_string(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}
