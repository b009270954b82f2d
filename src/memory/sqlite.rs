//! The SQLite engine: one memory per file (rusqlite, SQLite bundled).
//!
//! Every connection waits up to [`BUSY_TIMEOUT`] for a lock. The file is in
//! WAL mode, so readers never wait for a writer: a lookup during an import
//! answers from the last committed state. The one exception is the first
//! write into an empty memory that no other connection holds open, which
//! runs on a rollback journal (see `rollback_journal`). Write transactions start
//! `IMMEDIATE`, taking the write lock first, so a second writer waits the
//! busy timeout for it instead of failing at once when a deferred
//! transaction tries to upgrade its read lock.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::schema::CACHE_SIZE;
use super::sql::{self, Arg, Log, Sql, Steps, to_json};
use super::{
    Backend, Pair, Stamp, Stats, Tap, Token, Unit, UnitFilter, WriteTx, content_hash, fnv1a,
    fnv1a_extend, now_tmx, schema,
};
use crate::error::{Error, Result};
use rusqlite::{
    Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
};

/// How long a connection waits for a lock held by another process. Long
/// enough for the commit of a large import (the 1M-unit index build at
/// commit takes about 3 s), short enough that a stuck writer is reported.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Maps an engine error to what a caller can act on.
pub(super) fn map_err(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| {
        let path = path.to_path_buf();
        match &e {
            rusqlite::Error::SqliteFailure(f, _) => match f.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => Error::Busy { path },
                ErrorCode::NotADatabase => Error::NotAMemory {
                    path,
                    what: "not an SQLite database".into(),
                },
                ErrorCode::DatabaseCorrupt => Error::Corrupt {
                    path,
                    what: e.to_string(),
                },
                ErrorCode::ReadOnly => Error::Store {
                    path,
                    message: "the memory is read-only (on a read-only medium, or a read-only \
                              file): it can be read, not written"
                        .into(),
                },
                _ => Error::Store {
                    path,
                    message: e.to_string(),
                },
            },
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::IntegralValueOutOfRange(..)
            | rusqlite::Error::Utf8Error(..) => Error::Corrupt {
                path,
                what: e.to_string(),
            },
            _ => Error::Store {
                path,
                message: e.to_string(),
            },
        }
    }
}

/// An open SQLite memory.
pub struct Sqlite {
    conn: Connection,
    path: PathBuf,
    /// False for a memory in RAM.
    file: bool,
    /// Set when this handle created the file: the folders it made for it,
    /// outermost first (see [`Backend::discard_if_unused`]).
    created: Option<Vec<PathBuf>>,
    /// The file's tables: version 4's or version 3's.
    layout: schema::Layout,
}

impl Drop for Sqlite {
    fn drop(&mut self) {
        // A first write that ran on the rollback journal and did not
        // commit (see `rollback_journal`) left the file off WAL mode (a
        // no-op otherwise; this connection's `synchronous` no longer
        // matters).
        if self.file {
            schema::wal(&self.conn);
        }
    }
}

impl Sqlite {
    /// Opens the memory at `path`; with `create`, a missing memory (and its
    /// folders) is created first.
    pub fn open(path: &Path, create: bool) -> Result<Sqlite> {
        let mut created = None;
        if create {
            sweep_stale_temps(path);
        }
        if !path.exists() {
            if !create {
                return Err(Error::NotFound {
                    path: path.to_path_buf(),
                });
            }
            let dirs = make_dirs(path)?;
            match create_new(path) {
                Ok(true) => created = Some(dirs),
                Ok(false) => {}
                Err(e) => {
                    remove_dirs(&dirs);
                    return Err(e);
                }
            }
        }
        // A memory on a read-only medium (a CD, a read-only mount) or in a
        // read-only file: SQLite cannot make its WAL index beside it, and
        // failed with "unable to open database file". It is opened
        // read-only and immutable instead, so reads work; a write says the
        // memory is read-only.
        if read_only(path) {
            let conn = Connection::open_with_flags(
                immutable_uri(path),
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_URI
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(map_err(path))?;
            let layout = schema::prepare(&conn, path, false)?;
            return Ok(Sqlite {
                conn,
                path: path.to_path_buf(),
                file: true,
                created: None,
                layout,
            });
        }
        // No CREATE flag: if the file vanished since, say so rather than
        // make an empty one that no schema check would pass.
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::CannotOpen => {
                if path.exists() {
                    Error::Store {
                        path: path.to_path_buf(),
                        message: format!("cannot open: {}", f),
                    }
                } else {
                    Error::NotFound {
                        path: path.to_path_buf(),
                    }
                }
            }
            e => map_err(path)(e),
        })?;
        let layout = schema::prepare(&conn, path, create)?;
        Ok(Sqlite {
            conn,
            path: path.to_path_buf(),
            file: true,
            created,
            layout,
        })
    }

    /// A fresh memory in RAM.
    pub fn in_memory() -> Result<Sqlite> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(map_err(&path))?;
        let layout = schema::prepare(&conn, &path, true)?;
        Ok(Sqlite {
            conn,
            path,
            file: false,
            created: None,
            layout,
        })
    }
}

/// True when the memory file cannot be written: a read-only file system
/// (`EROFS`) or a file without write permission.
fn read_only(path: &Path) -> bool {
    match std::fs::OpenOptions::new().write(true).open(path) {
        Ok(_) => false,
        Err(e) => matches!(
            e.kind(),
            std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
        ),
    }
}

/// The `file:` URI of `path` with `immutable=1`: SQLite then reads the
/// file without locks or a WAL index, as it must on read-only media.
fn immutable_uri(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file:");
    for b in abs.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// Creates the missing folders above `path`; returns those it made,
/// outermost first.
fn make_dirs(path: &Path) -> Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut dir = path.parent();
    while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        missing.push(d.to_path_buf());
        dir = d.parent();
    }
    missing.reverse();
    let mut made = Vec::new();
    for d in missing {
        match std::fs::create_dir(&d) {
            Ok(()) => made.push(d),
            // Another process made it meanwhile: not ours to remove.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                remove_dirs(&made);
                return Err(Error::io(&d, e));
            }
        }
    }
    Ok(made)
}

/// Removes folders this process made, innermost first, where still empty.
fn remove_dirs(dirs: &[PathBuf]) {
    for d in dirs.iter().rev() {
        // Not empty: someone else put something there; keep it.
        let _ = std::fs::remove_dir(d);
    }
}

/// How old a creation temp file must be before it counts as left behind by
/// a killed process: creating a memory takes milliseconds.
const STALE_TEMP: Duration = Duration::from_secs(600);

/// Removes temporary files that [`create_new`] left beside `path` when its
/// process was killed between creating and moving them into place.
fn sweep_stale_temps(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let n = e.file_name();
        let n = n.to_string_lossy();
        let stale = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_TEMP);
        if n.starts_with(&prefix) && n.ends_with(".new") && stale {
            // Another process may sweep it first; either way it is gone.
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Builds an empty memory under a temporary name beside `path` and moves it
/// into place only if nothing is there yet. Returns false when another
/// process created the memory first (its file is kept and used).
fn create_new(path: &Path) -> Result<bool> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    let mut b = tempfile::Builder::new();
    b.prefix(&prefix).suffix(".new");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // What SQLite itself would create (before the umask is applied by
        // the kernel), not tempfile's private 0600.
        b.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let tmp = b.tempfile_in(dir).map_err(|e| Error::io(dir, e))?;
    {
        let conn = Connection::open_with_flags(
            tmp.path(),
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(map_err(path))?;
        schema::prepare(&conn, path, true)?;
        // Closing checkpoints the WAL into the file and removes it, so the
        // one file moved into place holds everything.
        conn.close().map_err(|(_, e)| map_err(path)(e))?;
    }
    match tmp.persist_noclobber(path) {
        Ok(_) => Ok(true),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(Error::io(path, e.error)),
    }
}

/// A bound parameter as rusqlite takes it.
fn bind<'a>(a: &'a Arg<'a>) -> &'a dyn rusqlite::ToSql {
    match a {
        Arg::Int(v) => v,
        Arg::Text(v) => v,
        Arg::OptText(v) => v,
    }
}

/// A row, with the path its errors name.
struct SqliteRow<'a, 'r> {
    row: &'a rusqlite::Row<'r>,
    path: &'a Path,
}

sql::row_impl!(SqliteRow<'_, '_>, get);

/// [`Sql::execute`] on a connection (statements are cached by text).
fn execute(conn: &Connection, path: &Path, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
    let err = map_err(path);
    let args: Vec<&dyn rusqlite::ToSql> = args.iter().map(bind).collect();
    let n = conn
        .prepare_cached(sql)
        .map_err(&err)?
        .execute(args.as_slice())
        .map_err(&err)?;
    Ok(n as u64)
}

/// [`Sql::query`] on a connection.
fn query(
    conn: &Connection,
    path: &Path,
    sql: &str,
    args: &[Arg<'_>],
    f: &mut dyn FnMut(&dyn sql::Row) -> Result<()>,
) -> Result<()> {
    let err = map_err(path);
    let args: Vec<&dyn rusqlite::ToSql> = args.iter().map(bind).collect();
    let mut stmt = conn.prepare_cached(sql).map_err(&err)?;
    let mut rows = stmt.query(args.as_slice()).map_err(&err)?;
    while let Some(row) = rows.next().map_err(&err)? {
        f(&SqliteRow { row, path })?;
    }
    Ok(())
}

impl Sql for Sqlite {
    fn path(&self) -> &Path {
        &self.path
    }
    fn dialect(&self) -> &'static sql::Dialect {
        &sql::SQLITE
    }
    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        execute(&self.conn, &self.path, sql, args)
    }
    fn query(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        f: &mut dyn FnMut(&dyn sql::Row) -> Result<()>,
    ) -> Result<()> {
        query(&self.conn, &self.path, sql, args, f)
    }
}

/// A write transaction's connection.
struct TxDb<'m> {
    tx: Transaction<'m>,
    path: &'m Path,
}

impl Sql for TxDb<'_> {
    fn path(&self) -> &Path {
        self.path
    }
    fn dialect(&self) -> &'static sql::Dialect {
        &sql::SQLITE
    }
    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        execute(&self.tx, self.path, sql, args)
    }
    fn query(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        f: &mut dyn FnMut(&dyn sql::Row) -> Result<()>,
    ) -> Result<()> {
        query(&self.tx, self.path, sql, args, f)
    }
}

impl Sqlite {
    fn generation(conn: &Connection) -> rusqlite::Result<i64> {
        conn.query_row(
            "SELECT value FROM store_state WHERE key = 'generation'",
            [],
            |r| r.get(0),
        )
    }

    fn read_stamp(conn: &Connection) -> rusqlite::Result<Stamp> {
        // One statement, so one snapshot: the four numbers agree.
        conn.prepare_cached(
            "SELECT (SELECT value FROM store_state WHERE key = 'instance'),
                    g.value,
                    coalesce((SELECT token FROM commit_log WHERE generation = g.value), 0),
                    (SELECT coalesce(max(rowid), 0) FROM variant)
             FROM store_state g WHERE g.key = 'generation'",
        )?
        .query_row([], |r| {
            Ok(Stamp {
                instance: r.get(0)?,
                generation: r.get(1)?,
                token: r.get(2)?,
                variants: r.get(3)?,
            })
        })
    }
}

/// The server's API tokens (hashes only); see [`Backend::add_token`].
const TOKEN_TABLE: &str = "CREATE TABLE IF NOT EXISTS api_token (
    id      INTEGER PRIMARY KEY,
    hash    TEXT NOT NULL UNIQUE,
    role    TEXT NOT NULL,
    name    TEXT,
    created TEXT NOT NULL
);";

impl Sqlite {
    fn has_tokens(&self) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'api_token')",
                [],
                |r| r.get(0),
            )
            .map_err(map_err(&self.path))
    }

    fn read_tokens(&self, filter: &str, args: &[Arg<'_>]) -> Result<Vec<Token>> {
        if !self.has_tokens()? {
            return Ok(Vec::new());
        }
        sql::tokens(self, filter, args)
    }
}

impl Backend for Sqlite {
    fn location(&self) -> &Path {
        &self.path
    }

    fn cache_base(&self) -> Option<&Path> {
        self.file.then_some(self.path.as_path())
    }

    fn begin(&mut self) -> Result<Box<dyn WriteTx + '_>> {
        let path = self.path.as_path();
        let conn = &self.conn;
        let journal = self.file && rollback_journal(conn);
        let begun = begin_on(conn, path, self.layout, journal);
        if begun.is_err() && journal {
            wal_again(conn);
        }
        Ok(Box::new(begun?))
    }

    fn reader(&self) -> Result<Option<Box<dyn Backend>>> {
        if !self.file {
            return Ok(None);
        }
        let path = self.path.as_path();
        let conn = if read_only(path) {
            Connection::open_with_flags(
                immutable_uri(path),
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_URI
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
        } else {
            Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
        }
        .map_err(map_err(path))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(map_err(path))?;
        // A server keeps up to 32 of these (one per concurrent request),
        // each with its own page cache: at 16 MB each, a 10-minute soak of
        // mixed lookups grew the heap from 91 to 192 MB at 3 minutes and
        // RSS to 405 MB at 10, as every cache slowly filled with copies of
        // the same pages. The kernel's page cache holds the file once for
        // all of them, so each keeps 2 MB (the hot index pages).
        conn.execute_batch("PRAGMA query_only = 1; PRAGMA cache_size = -2048;")
            .map_err(map_err(path))?;
        Ok(Some(Box::new(Sqlite {
            conn,
            path: self.path.clone(),
            file: true,
            created: None,
            layout: self.layout,
        })))
    }

    sql::shared_reads!();

    fn variants_with_text(&self, text: &str) -> Result<Vec<(i64, String)>> {
        let err = map_err(&self.path);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT rowid, lang FROM variant WHERE text_hash = ?1 AND text = ?2 ORDER BY rowid",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map(params![self.layout.text_hash(text), text], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(&err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(&err)
    }

    fn pair_of(&self, variant: i64, from: &str, to: &str) -> Result<Option<Pair>> {
        // Three one-table statements rather than one join: a cached
        // statement that joins on a bound value is re-prepared by SQLite on
        // every run (measured with `StatementStatus::RePrepare`: every call),
        // which made this read 83 µs instead of about 15 µs at 10M units.
        // A savepoint (a transaction, or nested in the caller's) makes the
        // three see one snapshot, as the join did.
        let err = map_err(&self.path);
        self.conn.execute_batch("SAVEPOINT pair_of").map_err(&err)?;
        let read = || -> Result<Option<Pair>> {
            let mut source = self
                .conn
                .prepare_cached(
                    "SELECT unit_id, lang, text, markup, prev, next FROM variant WHERE rowid = ?1",
                )
                .map_err(&err)?;
            type Source = (
                i64,
                String,
                String,
                Option<String>,
                Option<String>,
                Option<String>,
            );
            let found: Option<Source> = source
                .query_row(params![variant], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                })
                .optional()
                .map_err(&err)?;
            let Some((unit_id, slang, text, markup, prev, next)) = found else {
                return Ok(None);
            };
            if !crate::lang::serves(from, &slang) {
                return Ok(None);
            }
            let origin: Option<Option<String>> = self
                .conn
                .prepare_cached("SELECT origin FROM unit WHERE id = ?1")
                .map_err(&err)?
                .query_row(params![unit_id], |r| r.get(0))
                .optional()
                .map_err(&err)?;
            let Some(origin) = origin else {
                return Ok(None);
            };
            // The target language is filtered here rather than bound in SQL
            // (the same re-preparing).
            let want = crate::lang::primary(to);
            let mut targets = self
                .conn
                .prepare_cached(
                    "SELECT rowid, lang, text FROM variant WHERE unit_id = ?1 ORDER BY rowid",
                )
                .map_err(&err)?;
            let mut rows = targets.query(params![unit_id]).map_err(&err)?;
            while let Some(r) = rows.next().map_err(&err)? {
                let rowid: i64 = r.get(0).map_err(&err)?;
                let tlang: String = r.get(1).map_err(&err)?;
                if rowid == variant
                    || !crate::lang::primary(&tlang).eq_ignore_ascii_case(want)
                    || !crate::lang::serves(to, &tlang)
                {
                    continue;
                }
                return Ok(Some(Pair {
                    unit_id,
                    source: text,
                    source_markup: markup,
                    prev,
                    next,
                    origin,
                    target: r.get(2).map_err(&err)?,
                }));
            }
            Ok(None)
        };
        let out = read();
        let released = self.conn.execute_batch("RELEASE pair_of").map_err(&err);
        let out = out?;
        released?;
        Ok(out)
    }

    fn for_each_text(
        &self,
        primary: &str,
        after: i64,
        upto: i64,
        f: &mut dyn FnMut(i64, &str) -> Result<()>,
    ) -> Result<()> {
        let err = map_err(&self.path);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT rowid, text FROM variant
                 WHERE rowid > ?2 AND rowid <= ?3 AND (lang = ?1 OR lang LIKE ?1 || '-%')
                 ORDER BY rowid",
            )
            .map_err(&err)?;
        let mut rows = stmt.query(params![primary, after, upto]).map_err(&err)?;
        while let Some(r) = rows.next().map_err(&err)? {
            let id: i64 = r.get(0).map_err(&err)?;
            let text = r.get_ref(1).map_err(&err)?.as_str().map_err(|e| {
                map_err(&self.path)(rusqlite::Error::FromSqlConversionFailure(
                    1,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                ))
            })?;
            f(id, text)?;
        }
        Ok(())
    }

    fn languages(&self) -> Result<Vec<String>> {
        let err = map_err(&self.path);
        let mut stmt = self
            .conn
            .prepare_cached(if self.layout.lang_count {
                "SELECT lang FROM lang_count WHERE n > 0 ORDER BY lang"
            } else {
                "SELECT DISTINCT lang FROM variant ORDER BY lang"
            })
            .map_err(&err)?;
        stmt.query_map([], |r| r.get::<_, String>(0))
            .map_err(&err)?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(&err)
    }

    fn stats(&self) -> Result<Stats> {
        sql::stats(
            self,
            if self.layout.lang_count {
                "SELECT lang, n FROM lang_count WHERE n > 0"
            } else {
                "SELECT lang, count(*) FROM variant GROUP BY lang"
            },
        )
    }

    fn stamp(&self) -> Result<Stamp> {
        Self::read_stamp(&self.conn).map_err(map_err(&self.path))
    }

    fn add_token(&mut self, hash: &str, role: &str, name: Option<&str>) -> Result<i64> {
        let err = map_err(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        // Made on first use, not by a schema version: a memory without
        // tokens stays readable by older builds, which ignore the table.
        tx.execute_batch(TOKEN_TABLE).map_err(&err)?;
        tx.execute(
            "INSERT INTO api_token (hash, role, name, created) VALUES (?1, ?2, ?3, ?4)",
            params![hash, role, name, super::now_tmx()],
        )
        .map_err(&err)?;
        let id = tx.last_insert_rowid();
        tx.commit().map_err(&err)?;
        Ok(id)
    }

    fn token_by_hash(&self, hash: &str) -> Result<Option<Token>> {
        Ok(self
            .read_tokens("WHERE hash = ?1", &[Arg::Text(hash)])?
            .into_iter()
            .next())
    }

    fn tokens(&self) -> Result<Vec<Token>> {
        self.read_tokens("", &[])
    }

    fn revoke_token(&mut self, id: i64) -> Result<bool> {
        let err = map_err(&self.path);
        if !self.has_tokens()? {
            return Ok(false);
        }
        let n = self
            .conn
            .execute("DELETE FROM api_token WHERE id = ?1", params![id])
            .map_err(&err)?;
        Ok(n > 0)
    }

    fn discard_if_unused(&mut self) -> Result<bool> {
        let Some(dirs) = self.created.take() else {
            return Ok(false);
        };
        let path = self.path.clone();
        let err = map_err(&path);
        {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(&err)?;
            if Self::generation(&tx).map_err(&err)? != 0 {
                // Another process committed to the memory we created: it is
                // theirs now too.
                return Ok(false);
            }
            // Any process that opened the file meanwhile sees this when it
            // starts writing, and refuses instead of writing into a removed
            // file.
            tx.execute(
                "INSERT OR REPLACE INTO store_state VALUES ('retired', 1)",
                [],
            )
            .map_err(&err)?;
            tx.commit().map_err(&err)?;
        }
        let closed = std::mem::replace(&mut self.conn, Connection::open_in_memory().map_err(&err)?);
        closed.close().map_err(|(_, e)| err(e))?;
        std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        for suffix in ["-wal", "-shm"] {
            let mut s = path.as_os_str().to_owned();
            s.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(s));
        }
        remove_dirs(&dirs);
        Ok(true)
    }

    fn for_each_unit_filtered(
        &self,
        filter: &UnitFilter,
        f: &mut dyn FnMut(Unit) -> Result<()>,
    ) -> Result<()> {
        // Ids narrow the scan by primary key; every other condition is
        // checked on the unit itself (one definition for every engine).
        let mut pass = |u: Unit| if filter.matches(&u) { f(u) } else { Ok(()) };
        if filter.ids.is_empty() {
            return sql::units_where(self, "", &[], &mut pass);
        }
        let mut ids = filter.ids.clone();
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            sql::units_where(self, "WHERE u.id = ?1", &[Arg::Int(id)], &mut pass)?;
        }
        Ok(())
    }
}

/// Starts the write transaction of [`Sqlite::begin`] on `conn`; `journal`
/// says that it runs on the rollback journal (see [`rollback_journal`]).
fn begin_on<'m>(
    conn: &'m Connection,
    path: &'m Path,
    layout: schema::Layout,
    journal: bool,
) -> Result<SqliteTx<'m>> {
    let err = map_err(path);
    // Unchecked: it borrows the connection shared, so that the commit can
    // put the file back into WAL mode through it once the transaction ended.
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate).map_err(&err)?;
    let retired: bool = tx
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM store_state WHERE key = 'retired')",
            [],
            |r| r.get(0),
        )
        .map_err(&err)?;
    if retired {
        // A failed import that created this file removed it while we
        // waited for the lock: writing here would write to nothing.
        return Err(Error::NotFound {
            path: path.to_path_buf(),
        });
    }
    let bulk = Bulk::start(&tx).map_err(&err)?;
    Ok(SqliteTx {
        db: TxDb { tx, path },
        wrote: false,
        rewrote: false,
        bulk,
        log: Log::default(),
        layout,
        langs: HashMap::new(),
        now: now_tmx(),
        tap: None,
        journal: journal.then_some(conn),
    })
}

/// Before the first write into an empty file memory: puts the file on a
/// rollback journal for that write, when no other connection has it open.
/// Returns whether it did.
///
/// In WAL mode every page a first import writes is written twice: to the
/// log, then by the checkpoint at commit into the file. A rollback journal
/// keeps only the pages that existed before the write (the empty tables'
/// few), and the new pages go straight to the file. The bare `.import` of
/// the same 1M pairs took 4.58 s in WAL mode and 2.25 s on a rollback
/// journal. The write stays atomic: a killed import leaves a
/// hot journal that the next open rolls back to the empty memory, and
/// `synchronous = FULL` for the write keeps that true across a power cut.
///
/// The price, for this one write: a reader that opens the file while it
/// runs waits for the writer's lock (up to [`BUSY_TIMEOUT`], then "busy")
/// instead of reading the empty memory, as on PostgreSQL. A file another
/// connection holds open (a running server) stays in WAL mode.
fn rollback_journal(conn: &Connection) -> bool {
    let empty = conn
        .query_row("SELECT NOT EXISTS (SELECT 1 FROM unit)", [], |r| {
            r.get::<_, bool>(0)
        })
        .unwrap_or(false);
    if !empty {
        return false;
    }
    // Leaving WAL mode needs the file to itself: another connection makes
    // it fail at once (the write then runs in WAL mode).
    let delete =
        schema::switch_journal(conn, "DELETE").is_ok_and(|m| m.eq_ignore_ascii_case("delete"));
    if delete && conn.execute_batch("PRAGMA synchronous = FULL").is_err() {
        wal_again(conn);
        return false;
    }
    delete
}

/// Puts a file back into WAL mode, `synchronous = NORMAL`, after a write on
/// the rollback journal. Should another connection hold the file open by
/// then, it stays on the journal until the next open puts it back
/// (`schema::prepare`).
fn wal_again(conn: &Connection) {
    schema::wal(conn);
    let _ = conn.execute_batch("PRAGMA synchronous = NORMAL");
}

/// One write transaction on an SQLite memory.
struct SqliteTx<'m> {
    db: TxDb<'m>,
    /// Something was written / variants were replaced: logged at commit.
    wrote: bool,
    rewrote: bool,
    /// Set when the transaction began on an empty memory; see [`Bulk`].
    bulk: Option<Bulk>,
    /// The batch its changes are recorded in.
    log: Log,
    /// The file's tables.
    layout: schema::Layout,
    /// Variants inserted per language tag, added to `lang_count` at
    /// commit (see `schema::LANG_COUNT`).
    langs: HashMap<String, i64>,
    /// The time of this transaction, the creation date of the units it
    /// stores without one (one moment per write, and formatting it once
    /// instead of per unit).
    now: String,
    /// Hears the variants inserted (see [`Writer::tap`](super::Writer::tap)).
    tap: Option<Box<dyn Tap>>,
    /// The connection, when this write runs on the rollback journal (see
    /// [`rollback_journal`]): the commit puts the file back into WAL mode.
    journal: Option<&'m Connection>,
}

impl SqliteTx<'_> {
    /// What the tap heard no longer holds (a variant was changed or
    /// removed): it hears nothing more.
    fn spoil_tap(&mut self) {
        if let Some(mut t) = self.tap.take() {
            t.spoil();
        }
    }
}

/// Duplicate detection for a transaction that began on an empty memory
/// (the first, large import). Inserting random 64-bit hashes into two
/// indexes one row at a time was a fifth of a 1M-unit import; instead the
/// indexes are dropped inside the transaction, the hashes are kept in RAM
/// for this transaction's own duplicate checks, and the indexes are built
/// once, sorted, at commit. A rollback restores everything, indexes included.
struct Bulk {
    /// content_hash → first unit stored with it.
    units: HashMap<i64, i64>,
    /// Hash of (lang, text) → first unit holding that variant; built on the
    /// first insert that needs it (a skip/overwrite policy).
    texts: Option<HashMap<i64, i64>>,
}

/// The indexes a bulk transaction drops and builds again at commit.
fn hash_indexes(layout: schema::Layout) -> &'static str {
    if layout.content_hash {
        "CREATE INDEX unit_hash ON unit(content_hash); CREATE INDEX variant_text ON variant(text_hash);"
    } else {
        "CREATE INDEX variant_text ON variant(text_hash);"
    }
}

impl Bulk {
    fn start(tx: &Transaction<'_>) -> rusqlite::Result<Option<Bulk>> {
        let empty: bool =
            tx.query_row("SELECT NOT EXISTS (SELECT 1 FROM unit)", [], |r| r.get(0))?;
        if !empty {
            return Ok(None);
        }
        tx.execute_batch("DROP INDEX IF EXISTS unit_hash; DROP INDEX IF EXISTS variant_text;")?;
        Ok(Some(Bulk {
            units: HashMap::new(),
            texts: None,
        }))
    }

    /// Equal for units with the same (language, text, markup) variants in
    /// any order, as [`content_hash`]: foldhash over them, sorted.
    fn content_key(unit: &Unit) -> i64 {
        use std::hash::BuildHasher;
        let mut keys: Vec<(&str, &str, Option<&str>)> = unit
            .variants
            .iter()
            .map(|v| (v.lang.as_str(), v.text.as_str(), v.markup.as_deref()))
            .collect();
        keys.sort_unstable();
        foldhash::fast::FixedState::with_seed(0x7472_616e_736d_656d).hash_one(&keys) as i64
    }

    fn text_key(lang: &str, text: &str) -> i64 {
        fnv1a_extend(
            fnv1a_extend(fnv1a(lang.as_bytes()) as u64, &[0]),
            text.as_bytes(),
        ) as i64
    }

    /// The map of variant texts, filled from what this transaction stored so
    /// far when first asked for.
    fn texts(&mut self, tx: &Transaction<'_>) -> rusqlite::Result<&mut HashMap<i64, i64>> {
        if self.texts.is_none() {
            let mut map = HashMap::new();
            let mut stmt = tx.prepare("SELECT lang, text, unit_id FROM variant ORDER BY rowid")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let (lang, text): (String, String) = (r.get(0)?, r.get(1)?);
                map.entry(Self::text_key(&lang, &text)).or_insert(r.get(2)?);
            }
            self.texts = Some(map);
        }
        Ok(self.texts.get_or_insert_with(HashMap::new))
    }

    fn record(&mut self, id: i64, hash: i64, unit: &Unit) {
        self.units.entry(hash).or_insert(id);
        if let Some(texts) = self.texts.as_mut() {
            for v in &unit.variants {
                texts.entry(Self::text_key(&v.lang, &v.text)).or_insert(id);
            }
        }
    }
}

impl WriteTx for SqliteTx<'_> {
    fn set_tap(&mut self, tap: Box<dyn Tap>) -> std::result::Result<(), Box<dyn Tap>> {
        // Only a first write into an empty memory: what the tap hears is
        // then every variant the commit leaves.
        if self.bulk.is_none() || self.wrote || self.tap.is_some() {
            return Err(tap);
        }
        self.tap = Some(tap);
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<Stamp> {
        // Closed first: whoever listens has heard every variant before
        // the commit's own work (its indexes, the WAL checkpoint) begins,
        // and may do its own beside it.
        if let Some(mut t) = self.tap.take() {
            t.committing();
        }
        let err = map_err(self.db.path);
        if self.layout.lang_count && !self.langs.is_empty() {
            let mut stmt = self
                .db
                .tx
                .prepare_cached(
                    "INSERT INTO lang_count (lang, n) VALUES (?1, ?2)
                     ON CONFLICT (lang) DO UPDATE SET n = n + excluded.n",
                )
                .map_err(&err)?;
            for (lang, n) in &self.langs {
                stmt.execute(params![lang, n]).map_err(&err)?;
            }
        }
        if let Some(bulk) = self.bulk.take() {
            // Its maps (at 10M units the content hashes alone are about
            // 300 MB) are of no more use: freed before the sort, which
            // runs beside the match index's (see `index::Tapped`).
            drop(bulk);
            // The sorter's runs are as large as the page cache: at 64 MB
            // each, building `variant_text` over 20M variants took 17.1 s
            // of the 10M-unit import's commit; at 2 MB, which stay in the
            // CPU's caches while sorted, 8.7 s.
            self.db
                .tx
                .execute_batch(&format!(
                    "PRAGMA cache_size = -2048; {} PRAGMA cache_size = {CACHE_SIZE};",
                    hash_indexes(self.layout)
                ))
                .map_err(&err)?;
        }
        self.log.finish(&self.db)?;
        if self.wrote {
            // One generation and one log row per committed write, with a
            // fresh random token, so caches can tell this state from any
            // other (see `Stamp`). The log keeps the last 10,000 commits:
            // a cache older than that rebuilds.
            self.db
                .tx
                .prepare_cached("UPDATE store_state SET value = value + 1 WHERE key = 'generation'")
                .map_err(&err)?
                .execute([])
                .map_err(&err)?;
            self.db
                .tx
                .prepare_cached(
                    "INSERT INTO commit_log (generation, token, rewrote, variants)
                     SELECT value, random(), ?1, (SELECT coalesce(max(rowid), 0) FROM variant)
                     FROM store_state WHERE key = 'generation'",
                )
                .map_err(&err)?
                .execute(params![self.rewrote])
                .map_err(&err)?;
            self.db
                .tx
                .prepare_cached(
                    "DELETE FROM commit_log WHERE generation <
                     (SELECT value FROM store_state WHERE key = 'generation') - 10000",
                )
                .map_err(&err)?
                .execute([])
                .map_err(&err)?;
        }
        let stamp = Sqlite::read_stamp(&self.db.tx).map_err(&err)?;
        self.db.tx.commit().map_err(&err)?;
        if let Some(conn) = self.journal {
            wal_again(conn);
        }
        Ok(stamp)
    }

    sql::shared_writes!();
}

impl Steps for SqliteTx<'_> {
    fn parts(&mut self) -> Result<(&dyn Sql, &mut Log)> {
        Ok((&self.db, &mut self.log))
    }

    fn read_unit(&self, id: i64) -> Result<Option<Unit>> {
        sql::unit(&self.db, id)
    }

    fn set_text(
        &mut self,
        id: i64,
        lang: &str,
        text: &str,
        after: &Unit,
        changer: Option<&str>,
    ) -> Result<()> {
        self.spoil_tap();
        let err = map_err(self.db.path);
        self.db
            .tx
            .execute(
                "UPDATE variant SET text = ?3, markup = NULL, text_hash = ?4
                 WHERE unit_id = ?1 AND lang = ?2",
                params![id, lang, text, self.layout.text_hash(text)],
            )
            .map_err(&err)?;
        self.touch_unit(id, content_hash(after), now_tmx(), changer)
    }

    fn put_back(&mut self, id: i64, unit: &Unit) -> Result<()> {
        self.spoil_tap();
        self.insert_unit(Some(id), unit, unit.created.clone(), content_hash(unit))?;
        self.write_variants(id, unit)?;
        (self.wrote, self.rewrote) = (true, true);
        Ok(())
    }

    fn changed(&mut self, rewrote: bool) {
        if rewrote {
            self.spoil_tap();
        }
        self.wrote = true;
        self.rewrote |= rewrote;
    }

    fn content_hash(&self, unit: &Unit) -> i64 {
        // A version-4 file stores no content hash: a first import's only
        // use of it is its map of what it stored (see [`Bulk`]), which
        // takes a faster hash than the stored FNV-1a (a byte at a time,
        // 5.7% of the store thread's time at 1M units).
        if self.bulk.is_some() && !self.layout.content_hash {
            return Bulk::content_key(unit);
        }
        content_hash(unit)
    }

    fn same_content(&mut self, unit: &Unit, hash: i64) -> Result<Vec<i64>> {
        if let Some(bulk) = &self.bulk {
            return Ok(bulk.units.get(&hash).copied().into_iter().collect());
        }
        // Version 3 finds candidates by the unit's content hash; version 4
        // by its first variant's text (a duplicate holds that variant too),
        // through the text index either way.
        if self.layout.content_hash {
            return sql::rows(
                &self.db,
                "SELECT id FROM unit WHERE content_hash = ?1",
                &[Arg::Int(hash)],
                |r| r.int(0),
            );
        }
        let first = &unit.variants[0];
        self.units_holding(&first.lang, &first.text)
    }

    fn holding(&mut self, lang: &str, text: &str) -> Result<Option<i64>> {
        let Some(bulk) = self.bulk.as_mut() else {
            return Ok(self.units_holding(lang, text)?.first().copied());
        };
        let candidate = bulk
            .texts(&self.db.tx)
            .map_err(map_err(self.db.path))?
            .get(&Bulk::text_key(lang, text))
            .copied();
        let Some(id) = candidate else {
            return Ok(None);
        };
        // Confirm: the map may point at a unit since overwritten.
        Ok(sql::rows(
            &self.db,
            "SELECT unit_id FROM variant WHERE unit_id = ?1 AND lang = ?2 AND text = ?3",
            &[Arg::Int(id), Arg::Text(lang), Arg::Text(text)],
            |r| r.int(0),
        )?
        .first()
        .copied())
    }

    fn overwrite(&mut self, id: i64, unit: &Unit, hash: i64) -> Result<()> {
        self.spoil_tap();
        self.db
            .tx
            .execute("DELETE FROM variant WHERE unit_id = ?1", params![id])
            .map_err(map_err(self.db.path))?;
        self.write_variants(id, unit)?;
        if let Some(bulk) = self.bulk.as_mut() {
            bulk.units.insert(hash, id);
            bulk.record(id, hash, unit);
        }
        (self.wrote, self.rewrote) = (true, true);
        self.touch_unit(
            id,
            hash,
            unit.changed.clone().unwrap_or_else(now_tmx),
            unit.changer.as_deref().or(unit.creator.as_deref()),
        )
    }

    fn add(&mut self, unit: &Unit, hash: i64) -> Result<i64> {
        let created = unit.created.clone().unwrap_or_else(|| self.now.clone());
        let id = self.insert_unit(None, unit, Some(created), hash)?;
        self.write_variants(id, unit)?;
        if let Some(bulk) = self.bulk.as_mut() {
            bulk.record(id, hash, unit);
        }
        self.wrote = true;
        self.log.record_new(&self.db, id)?;
        Ok(id)
    }
}

impl SqliteTx<'_> {
    /// Inserts the unit row of `unit` (under `id`, or a new id) with
    /// `created` as its creation date; its id.
    fn insert_unit(
        &self,
        id: Option<i64>,
        unit: &Unit,
        created: Option<String>,
        hash: i64,
    ) -> Result<i64> {
        let err = map_err(self.db.path);
        let (attrs, props, notes) = (
            to_json(&unit.attrs),
            to_json(&unit.props),
            to_json(&unit.notes),
        );
        let mut values: Vec<&dyn rusqlite::ToSql> = vec![
            &id,
            &unit.tuid,
            &unit.origin,
            &created,
            &unit.creator,
            &unit.changed,
            &unit.changer,
            &unit.usage_count,
            &attrs,
            &props,
            &notes,
        ];
        let sql = if self.layout.content_hash {
            values.push(&hash);
            "INSERT INTO unit (id, tuid, origin, created, creator, changed, changer, usage_count,
                               attrs, props, notes, content_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
        } else {
            "INSERT INTO unit (id, tuid, origin, created, creator, changed, changer, usage_count,
                               attrs, props, notes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        };
        self.db
            .tx
            .prepare_cached(sql)
            .map_err(&err)?
            .execute(values.as_slice())
            .map_err(&err)?;
        Ok(id.unwrap_or_else(|| self.db.tx.last_insert_rowid()))
    }

    /// Marks unit `id` changed at `changed` by `changer` (and, in version-3
    /// files, stores its new content hash).
    fn touch_unit(&self, id: i64, hash: i64, changed: String, changer: Option<&str>) -> Result<()> {
        let err = map_err(self.db.path);
        if self.layout.content_hash {
            self.db
                .tx
                .prepare_cached(
                    "UPDATE unit SET content_hash = ?2, changed = ?3, changer = ?4 WHERE id = ?1",
                )
                .map_err(&err)?
                .execute(params![id, hash, changed, changer])
        } else {
            self.db
                .tx
                .prepare_cached("UPDATE unit SET changed = ?2, changer = ?3 WHERE id = ?1")
                .map_err(&err)?
                .execute(params![id, changed, changer])
        }
        .map_err(&err)?;
        Ok(())
    }

    /// The units holding a variant of `lang` with exactly `text`, found
    /// through the text-hash index.
    fn units_holding(&self, lang: &str, text: &str) -> Result<Vec<i64>> {
        let err = map_err(self.db.path);
        self.db
            .tx
            .prepare_cached(
                "SELECT unit_id FROM variant WHERE text_hash = ?1 AND lang = ?2 AND text = ?3",
            )
            .map_err(&err)?
            .query_map(params![self.layout.text_hash(text), lang, text], |r| {
                r.get(0)
            })
            .map_err(&err)?
            .collect::<rusqlite::Result<_>>()
            .map_err(&err)
    }

    fn write_variants(&mut self, id: i64, unit: &Unit) -> Result<()> {
        let err = map_err(self.db.path);
        let sql = if self.layout.primary_lang {
            "INSERT INTO variant (unit_id, lang, text, markup, text_hash, prev, next, props, notes, primary_lang)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        } else {
            "INSERT INTO variant (unit_id, lang, text, markup, text_hash, prev, next, props, notes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        };
        let mut stmt = self.db.tx.prepare_cached(sql).map_err(&err)?;
        for v in &unit.variants {
            let (hash, props, notes) = (
                self.layout.text_hash(&v.text),
                to_json(&v.props),
                to_json(&v.notes),
            );
            let primary = crate::lang::primary(&v.lang);
            let mut values: Vec<&dyn rusqlite::ToSql> = vec![
                &id, &v.lang, &v.text, &v.markup, &hash, &v.prev, &v.next, &props, &notes,
            ];
            if self.layout.primary_lang {
                values.push(&primary);
            }
            stmt.execute(values.as_slice()).map_err(&err)?;
            if let Some(t) = self.tap.as_mut() {
                t.variant(self.db.tx.last_insert_rowid(), primary, &v.text);
            }
            match self.langs.get_mut(v.lang.as_str()) {
                Some(n) => *n += 1,
                None => {
                    self.langs.insert(v.lang.clone(), 1);
                }
            }
        }
        Ok(())
    }
}
