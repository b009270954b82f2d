//! The PostgreSQL engine: a team's memory in a database server.
//!
//! The client is the synchronous `postgres` crate (the blocking face of
//! tokio-postgres): [`Backend`] is a synchronous trait, so a sync client
//! fits it without this module owning an async runtime. Connections come
//! from an r2d2 pool shared by a handle and its readers: a connection the
//! server ended is replaced, a read that meets one is tried once more, and
//! a lost connection is [`Error::Unavailable`] (see [`Postgres`]).
//!
//! The memory lives in the connection's current schema (the first schema of
//! `search_path`; give `?options=-csearch_path%3Dteam` in the URL to keep
//! several memories in one database). Its tables are versioned by
//! `schema_version` and migrated on open (see [`MIGRATIONS`]).
//!
//! Write transactions are serialised by a row lock on the `generation` row of
//! `store_state`, taken first, so variant ids are handed out in commit order
//! (a cache that saw stamp S and is told "appended" can read the ids above
//! S's and miss nothing). Ids come from counters in `store_state` read under
//! that lock, which is what lets new units be buffered and sent with `COPY`
//! instead of one `INSERT` round trip per row. A second writer waits for the
//! lock up to [`LOCK_TIMEOUT`], then gets [`Error::Busy`].

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::sql::{self, Arg, Log, Sql, Steps, Units, map_params, numbered_dollars, to_json};
use super::{
    Backend, Pair, Stamp, Stats, Tap, Token, Unit, UnitFilter, WriteTx, content_hash, fnv1a,
    fnv1a_extend, now_tmx,
};
use crate::error::{Error, Result};
use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;
use postgres::{Client, Config, NoTls, Row, SimpleQueryMessage, SimpleQueryRow, Statement};
use r2d2_postgres::PostgresConnectionManager;

/// How long a statement waits for a lock another session holds (a second
/// writer, a migration in progress) before the memory is reported busy: the
/// same 10 s as SQLite's busy timeout.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// How long connecting may take before the server counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections one memory (a handle and its readers) keeps open at most.
const POOL_SIZE: u32 = 16;

/// How long an operation waits for a pooled connection (while the server
/// cannot be reached: how long before it is reported
/// [`Error::Unavailable`]). r2d2 retries a failed connect every half of
/// this at most, so a server that comes back is used again within 1 s.
const POOL_WAIT: Duration = Duration::from_secs(2);

/// How long a write whose COMMIT answer was lost keeps asking a fresh
/// connection whether the commit was kept, before it says it cannot tell.
const RESOLVE_FOR: Duration = Duration::from_secs(5);

/// Marks `schema_version` as ours, so another program's table of that name
/// is refused rather than migrated.
const APP: &str = "transmem";

/// 64 random bits from the server (`gen_random_uuid` is core since
/// PostgreSQL 13).
const RANDOM_I64: &str = "('x' || substr(md5(gen_random_uuid()::text), 1, 16))::bit(64)::bigint";

/// Migration `i` takes the schema from version `i` to `i + 1`; all run in one
/// transaction under an advisory lock, so two processes opening a memory at
/// once migrate it once. Never edit a released entry: append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: units, variants, the write stamp (see `Stamp`) and id counters.
    // The same shape as the SQLite schema (docs/ARCHITECTURE.md), with
    // explicit variant ids where SQLite has rowids.
    "CREATE TABLE unit (
         id           bigint PRIMARY KEY,
         tuid         text,
         origin       text,
         created      text,
         creator      text,
         changed      text,
         changer      text,
         usage_count  bigint,
         attrs        text,             -- JSON [[name, value], ...]
         props        text,             -- JSON [[type, value], ...]
         notes        text,             -- JSON [text, ...]
         content_hash bigint NOT NULL   -- finds exact duplicates by index
     );
     CREATE INDEX unit_hash ON unit (content_hash);
     CREATE TABLE variant (
         id           bigint PRIMARY KEY, -- ascending in commit order
         unit_id      bigint NOT NULL,    -- unit.id (the store deletes variants itself)
         lang         text NOT NULL,
         primary_lang text NOT NULL,
         text         text NOT NULL,
         markup       text,
         text_hash    bigint NOT NULL,
         prev         text,
         next         text,
         props        text,
         notes        text,
         UNIQUE (unit_id, lang)
     );
     CREATE INDEX variant_text ON variant (text_hash);
     CREATE INDEX variant_primary ON variant (primary_lang, id);
     CREATE TABLE store_state (key text PRIMARY KEY, value bigint NOT NULL);
     CREATE TABLE commit_log (
         generation bigint PRIMARY KEY,
         token      bigint NOT NULL,   -- random per commit
         rewrote    boolean NOT NULL,  -- variants were replaced or removed
         variants   bigint NOT NULL    -- highest variant id after the commit
     );
     INSERT INTO store_state VALUES
         ('instance', RANDOM_I64), ('generation', 0), ('units', 0), ('variants', 0);
     INSERT INTO commit_log VALUES (0, RANDOM_I64, true, 0);",
    // 2: write batches (for `history` and `undo`) and the server's API
    // tokens, as SQLite's schema version 3 has them: per batch, the units
    // it changed with their JSON before-image, and the units it created as
    // id ranges. Writes made before this version were not recorded and
    // cannot be undone. A batch id is the highest so far plus one, taken
    // under the write lock, so ids ascend in commit order without the gaps
    // a sequence leaves after a rollback (as SQLite's rowids: users type
    // them from `history`).
    "CREATE TABLE batch (
         id        bigint PRIMARY KEY,
         time      text NOT NULL,        -- TMX form, UTC
         command   text NOT NULL,
         user_name text,
         counts    text,                 -- JSON {name: n}
         undone_by bigint,               -- the batch that reverted this one
         undoes    bigint                -- for an undo: the batch it reverted
     );
     CREATE TABLE batch_unit (
         batch     bigint NOT NULL,
         unit_id   bigint NOT NULL,
         kind      text NOT NULL,        -- first change in the batch
         before    text,                 -- JSON unit before the batch; NULL: it did not exist
         PRIMARY KEY (batch, unit_id)
     );
     CREATE INDEX batch_unit_unit ON batch_unit (unit_id);
     CREATE TABLE batch_new (
         batch     bigint NOT NULL,
         first_id  bigint NOT NULL,
         last_id   bigint NOT NULL
     );
     CREATE INDEX batch_new_batch ON batch_new (batch);
     CREATE TABLE api_token (
         id      bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
         hash    text NOT NULL UNIQUE,
         role    text NOT NULL,
         name    text,
         created text NOT NULL
     );",
];

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// True when `e` says the connection is gone: closed by the client
/// library, a socket error, the session ended by the server (shutdown,
/// `pg_terminate_backend`, idle-session timeout) or a connection exception.
fn is_lost(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        Some(code) => {
            let c = code.code();
            // Class 08: connection exception; 57P01 admin shutdown, 57P02
            // crash shutdown, 57P03 cannot connect now, 57P05 idle session
            // timeout.
            c.starts_with("08") || matches!(c, "57P01" | "57P02" | "57P03" | "57P05")
        }
        None => std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>()),
    }
}

/// Maps an engine error to what a caller can act on.
fn map_err(path: &Path) -> impl Fn(postgres::Error) -> Error + '_ {
    move |e| {
        let path = path.to_path_buf();
        if is_lost(&e) {
            let message = match (e.as_db_error(), std::error::Error::source(&e)) {
                (Some(d), _) => d.message().to_string(),
                (None, Some(s)) => format!("{e}: {s}"),
                (None, None) => e.to_string(),
            };
            return Error::Unavailable { path, message };
        }
        let Some(code) = e.code() else {
            let message = e.to_string();
            // A column that does not decode into its Rust type: rows this
            // store did not write.
            if message.starts_with("error deserializing") {
                return Error::Corrupt {
                    path,
                    what: message,
                };
            }
            return Error::Store {
                path,
                message: match std::error::Error::source(&e) {
                    Some(s) => format!("{message}: {s}"),
                    None => message,
                },
            };
        };
        let message = e
            .as_db_error()
            .map(|d| d.message().to_string())
            .unwrap_or_else(|| e.to_string());
        if *code == SqlState::LOCK_NOT_AVAILABLE
            || *code == SqlState::T_R_DEADLOCK_DETECTED
            || *code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::QUERY_CANCELED
        {
            Error::Busy { path }
        } else if *code == SqlState::UNDEFINED_TABLE {
            // The tables went away under an open handle (a failed import's
            // cleanup, or someone dropped them).
            Error::NotFound { path }
        } else if *code == SqlState::DATA_CORRUPTED || *code == SqlState::INDEX_CORRUPTED {
            Error::Corrupt {
                path,
                what: message,
            }
        } else {
            Error::Store { path, message }
        }
    }
}

/// The URL with any password replaced by `***`, for messages.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (auth, tail) = rest.split_at(end);
    match auth.rsplit_once('@') {
        Some((user, host)) if user.contains(':') => {
            let name = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{name}:***@{host}{tail}")
        }
        _ => url.to_string(),
    }
}

/// True for a `postgres://` or `postgresql://` URL.
pub fn is_url(s: &str) -> bool {
    let l = s.trim_start().to_ascii_lowercase();
    l.starts_with("postgresql://") || l.starts_with("postgres://")
}

/// A client that may be dropped anywhere. `postgres::Client` runs a tokio
/// runtime of its own and blocks on it when dropped, which panics on a
/// thread that drives an async runtime (a server dropping its memory
/// handles as it shuts down): so the client is dropped on a thread of its
/// own, joined at once. Connections are dropped rarely (lost, idle too
/// long, or the pool closing), so the thread costs nothing that shows.
struct OwnedClient(Option<Client>);

impl std::ops::Deref for OwnedClient {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.0.as_ref().expect("taken only by drop")
    }
}

impl std::ops::DerefMut for OwnedClient {
    fn deref_mut(&mut self) -> &mut Client {
        self.0.as_mut().expect("taken only by drop")
    }
}

impl Drop for OwnedClient {
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            // A panic there (it should not) stays on that thread.
            let _ = std::thread::spawn(move || drop(client)).join();
        }
    }
}

/// One pooled connection and what belongs to it alone.
pub(super) struct PgConn {
    client: OwnedClient,
    /// Prepared statements by SQL text: preparing is a round trip, and a
    /// lookup runs the same few statements a dozen times. A statement
    /// lives on its connection, so the cache goes with it when a broken
    /// connection is replaced.
    statements: HashMap<String, Statement>,
    /// Set when the connection was found lost, or a transaction on it
    /// could not be rolled back: the pool then drops it rather than
    /// handing it out again.
    broken: bool,
    /// The pool's [`Shared::lost`] count when this connection was last
    /// known to work; an older one is checked before use.
    checked: u64,
}

impl PgConn {
    /// `sql` prepared on this connection, cached under `key`.
    fn prepared(&mut self, key: &str, sql: &str, path: &Path) -> Result<Statement> {
        if let Some(s) = self.statements.get(key) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql).map_err(map_err(path))?;
        self.statements.insert(key.to_string(), s.clone());
        Ok(s)
    }
}

/// What every connection of a pool shares.
#[derive(Debug, Default)]
struct Shared {
    /// Counts connections found lost. When it moves, every idle
    /// connection older than the loss is checked (one empty query) before
    /// it is used: after a server restart or `pg_terminate_backend`, they
    /// are all dead, and an operation should not meet them one by one.
    lost: AtomicU64,
}

/// r2d2's connection manager: `r2d2_postgres`' (connect, `is_valid`,
/// `has_broken` from `Client::is_closed`), with the statement cache and the
/// broken mark carried beside each client.
#[derive(Debug)]
struct Manager {
    inner: PostgresConnectionManager<NoTls>,
    shared: Arc<Shared>,
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> std::result::Result<PgConn, postgres::Error> {
        let checked = self.shared.lost.load(Ordering::Acquire);
        Ok(PgConn {
            client: OwnedClient(Some(self.inner.connect()?)),
            statements: HashMap::new(),
            broken: false,
            checked,
        })
    }

    fn is_valid(&self, conn: &mut PgConn) -> std::result::Result<(), postgres::Error> {
        self.inner.is_valid(&mut conn.client)
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.broken || self.inner.has_broken(&mut conn.client)
    }
}

/// The session settings every connection gets when it is made.
#[derive(Debug)]
struct Settings;

impl r2d2::CustomizeConnection<PgConn, postgres::Error> for Settings {
    fn on_acquire(&self, conn: &mut PgConn) -> std::result::Result<(), postgres::Error> {
        session_settings(&mut conn.client)
    }
}

/// The application name, and a lock timeout: one given in the URL
/// (`options=-clock_timeout%3D2s`) is kept; the server's default (0, wait
/// for ever) becomes [`LOCK_TIMEOUT`].
fn session_settings(client: &mut Client) -> std::result::Result<(), postgres::Error> {
    client.batch_execute(&format!(
        "SET application_name = 'transmem';
         DO $$ BEGIN IF current_setting('lock_timeout') = '0' THEN
             PERFORM set_config('lock_timeout', '{}ms', false); END IF; END $$",
        LOCK_TIMEOUT.as_millis()
    ))
}

type Pool = r2d2::Pool<Manager>;
type Pooled = r2d2::PooledConnection<Manager>;

/// An open PostgreSQL memory: a pool of connections (r2d2), shared with
/// the handles [`Backend::reader`] makes. Each operation takes a
/// connection for its own duration (a write transaction for its whole
/// life); a connection found lost is dropped and replaced, and a read that
/// meets one is tried once more on a fresh connection.
pub struct Postgres {
    pool: Pool,
    shared: Arc<Shared>,
    /// The redacted URL, for messages.
    path: PathBuf,
    /// Where caches (the matcher's index) are kept, keyed by the memory's
    /// random instance id.
    cache: Option<PathBuf>,
    /// Set when this handle created the tables: `Some(schema)` when it
    /// also created that schema (`search_path` named a missing one).
    created: Option<Option<String>>,
}

/// A connection made outside the pool (to open the memory), so that a
/// wrong URL, password or port is reported at once with the client's own
/// reason rather than after the pool's wait.
fn connect(config: &Config, path: &Path) -> Result<Client> {
    let mut client = config.connect(NoTls).map_err(|e| Error::Unavailable {
        path: path.to_path_buf(),
        message: format!(
            "cannot connect to the PostgreSQL server: {}",
            std::error::Error::source(&e)
                .map(|s| s.to_string())
                .unwrap_or_else(|| e.to_string())
        ),
    })?;
    session_settings(&mut client).map_err(map_err(path))?;
    Ok(client)
}

/// A connection from `pool`. One older than the last loss seen is checked
/// first (and dropped if dead), so a read is not failed by a connection
/// that died idle.
fn checkout(pool: &Pool, shared: &Shared, path: &Path) -> Result<Pooled> {
    for _ in 0..=POOL_SIZE {
        let now = shared.lost.load(Ordering::Acquire);
        let mut conn = pool.get().map_err(|e| Error::Unavailable {
            path: path.to_path_buf(),
            message: match e.to_string().split_once(": ") {
                // The last connect error r2d2 saw.
                Some((_, why)) => format!("cannot connect to the PostgreSQL server: {why}"),
                None if pool.state().connections >= POOL_SIZE => format!(
                    "no connection to the PostgreSQL server free within {} s \
                     (all {POOL_SIZE} in use)",
                    POOL_WAIT.as_secs()
                ),
                None => format!(
                    "no connection to the PostgreSQL server could be made within {} s",
                    POOL_WAIT.as_secs()
                ),
            },
        })?;
        if conn.checked < now {
            if conn.client.simple_query("").is_err() {
                conn.broken = true;
                continue;
            }
            conn.checked = now;
        }
        return Ok(conn);
    }
    Err(Error::Unavailable {
        path: path.to_path_buf(),
        message: "every pooled connection to the PostgreSQL server was lost".into(),
    })
}

/// Marks `conn` lost: the pool drops it, and the others are checked
/// before their next use.
fn lost(conn: &mut PgConn, shared: &Shared) {
    conn.broken = true;
    shared.lost.fetch_add(1, Ordering::AcqRel);
}

impl Postgres {
    /// Connects to `url` and opens the memory in its current schema,
    /// applying pending migrations. With `create`, a schema without a
    /// memory (or a missing schema named first in `search_path`) gets one;
    /// without, it is [`Error::NotFound`].
    pub fn open(url: &str, create: bool) -> Result<Postgres> {
        let path = PathBuf::from(redact(url));
        let mut config = Config::from_str(url).map_err(|e| Error::Store {
            path: path.clone(),
            message: format!("not a PostgreSQL connection URL: {e}"),
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let mut client = connect(&config, &path)?;
        let created = prepare(&mut client, &path, create)?;
        let instance: i64 = client
            .query_one("SELECT value FROM store_state WHERE key = 'instance'", &[])
            .and_then(|r| r.try_get(0))
            .map_err(map_err(&path))?;
        drop(client);
        let shared = Arc::new(Shared::default());
        // Connections are made when first needed (none is kept idle for
        // ever), not tested on each checkout (a round trip per read):
        // a lost one is found by the failure and `Shared::lost`.
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(0))
            .test_on_check_out(false)
            .connection_timeout(POOL_WAIT)
            .connection_customizer(Box::new(Settings))
            .build_unchecked(Manager {
                inner: PostgresConnectionManager::new(config, NoTls),
                shared: shared.clone(),
            });
        Ok(Postgres {
            pool,
            shared,
            cache: cache_base(instance),
            path,
            created,
        })
    }

    fn conn(&self) -> Result<Pooled> {
        checkout(&self.pool, &self.shared, &self.path)
    }

    /// Runs the read `op` on a pooled connection; when the connection
    /// turns out lost, once more on a fresh one, unless `op` cleared its
    /// flag (it passed rows on already, which must not be passed twice).
    fn read<T>(&self, mut op: impl FnMut(&mut PgConn, &mut bool) -> Result<T>) -> Result<T> {
        let mut conn = self.conn()?;
        let mut again = true;
        match op(&mut conn, &mut again) {
            Err(e) if e.is_unavailable() => {
                lost(&mut conn, &self.shared);
                drop(conn);
                if !again {
                    return Err(e);
                }
                let mut conn = self.conn()?;
                let out = op(&mut conn, &mut again);
                if matches!(&out, Err(e) if e.is_unavailable()) {
                    lost(&mut conn, &self.shared);
                }
                out
            }
            out => out,
        }
    }

    /// Runs `sql` and calls `f` on each row as it arrives (one statement:
    /// one snapshot; rows are not collected first).
    fn stream(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        f: &mut dyn FnMut(&Row) -> Result<()>,
    ) -> Result<()> {
        let err = map_err(&self.path);
        self.read(|conn, again| {
            let stmt = conn.prepared(sql, sql, &self.path)?;
            let mut rows = conn
                .client
                .query_raw(&stmt, params.iter().copied())
                .map_err(&err)?;
            while let Some(r) = rows.next().map_err(&err)? {
                *again = false;
                f(&r)?;
            }
            Ok(())
        })
    }

    fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let err = map_err(&self.path);
        self.read(|conn, _| {
            let stmt = conn.prepared(sql, sql, &self.path)?;
            conn.client.query(&stmt, params).map_err(&err)
        })
    }

    /// Runs `op`, a statement that writes in its own transaction, on a
    /// pooled connection, without trying again (a lost answer may hide a
    /// done write).
    fn write_one<T>(&self, op: impl FnOnce(&mut PgConn) -> Result<T>) -> Result<T> {
        let mut conn = self.conn()?;
        let out = op(&mut conn);
        if matches!(&out, Err(e) if e.is_unavailable()) {
            lost(&mut conn, &self.shared);
        }
        out
    }
}

/// `<cache folder>/pg-<instance>`: the matcher keeps its index files beside
/// this name. The instance id is random per memory, so two databases (or
/// schemas) never share a cache, and the cache validates itself through
/// `since` like a file memory's. `None` (no per-user cache folder, or it
/// cannot be made) only costs a rebuild per process.
fn cache_base(instance: i64) -> Option<PathBuf> {
    let dir = match std::env::var_os("TRANSMEM_CACHE_DIR").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => directories::ProjectDirs::from("", "", "transmem")?
            .cache_dir()
            .to_path_buf(),
    };
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir.join(format!("pg-{:016x}", instance as u64)))
}

/// Checks, creates or migrates the schema. Returns `Some` when it created
/// the tables, `Some(Some(name))` when it also created schema `name`.
fn prepare(client: &mut Client, path: &Path, create: bool) -> Result<Option<Option<String>>> {
    let err = map_err(path);
    let mut tx = client.transaction().map_err(&err)?;
    let current: Option<String> = tx
        .query_one("SELECT current_schema()", &[])
        .map_err(&err)?
        .try_get(0)
        .map_err(&err)?;
    let name = match current.as_deref() {
        Some(name) => name.to_string(),
        None if !create => {
            return Err(Error::NotFound {
                path: path.to_path_buf(),
            });
        }
        // search_path names a schema that does not exist yet: it is made
        // below, under the lock.
        None => {
            let sp: String = tx
                .query_one("SHOW search_path", &[])
                .map_err(&err)?
                .try_get(0)
                .map_err(&err)?;
            let first = sp
                .split(',')
                .map(|s| s.trim())
                .find(|s| !s.is_empty() && *s != "\"$user\"")
                .ok_or_else(|| Error::Store {
                    path: path.to_path_buf(),
                    message: "search_path names no schema".into(),
                })?;
            // As PostgreSQL reads it: quoted exactly, unquoted in lower case.
            match first.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                Some(q) => q.replace("\"\"", "\""),
                None => first.to_lowercase(),
            }
        }
    };
    // One opener at a time per schema: two first imports must not both
    // create the schema or the tables, two upgrades not both migrate.
    tx.execute(
        "SELECT pg_advisory_xact_lock(1414350157, hashtext($1))",
        &[&name],
    )
    .map_err(&err)?;
    let mut made_schema = None;
    if current.is_none() {
        let exists: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)",
                &[&name],
            )
            .map_err(&err)?
            .try_get(0)
            .map_err(&err)?;
        if !exists {
            tx.batch_execute(&format!("CREATE SCHEMA \"{}\"", name.replace('"', "\"\"")))
                .map_err(&err)?;
            made_schema = Some(name.clone());
        }
    }
    let schema = Some(name);
    let tables: Vec<String> = tx
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = $1
             AND tablename IN ('schema_version', 'unit', 'variant', 'store_state')",
            &[&schema],
        )
        .map_err(&err)?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, _>>()
        .map_err(&err)?;
    let mut created = None;
    let version = if tables.iter().any(|t| t == "schema_version") {
        let rows = tx
            .query("SELECT app, version FROM schema_version", &[])
            .map_err(|e| match e.code() {
                Some(c) if *c == SqlState::UNDEFINED_COLUMN => Error::NotAMemory {
                    path: path.to_path_buf(),
                    what: "a PostgreSQL schema with another program's schema_version table".into(),
                },
                _ => err(e),
            })?;
        let (app, version): (String, i32) = match rows.as_slice() {
            [r] => (r.try_get(0).map_err(&err)?, r.try_get(1).map_err(&err)?),
            _ => {
                return Err(Error::Corrupt {
                    path: path.to_path_buf(),
                    what: format!("schema_version holds {} rows, not 1", rows.len()),
                });
            }
        };
        if app != APP {
            return Err(Error::NotAMemory {
                path: path.to_path_buf(),
                what: format!("a PostgreSQL schema of {app:?}"),
            });
        }
        i64::from(version)
    } else if !tables.is_empty() {
        return Err(Error::NotAMemory {
            path: path.to_path_buf(),
            what: format!(
                "a PostgreSQL schema with other tables named {}",
                tables.join(", ")
            ),
        });
    } else if !create {
        return Err(Error::NotFound {
            path: path.to_path_buf(),
        });
    } else {
        tx.batch_execute(
            "CREATE TABLE schema_version (app text NOT NULL, version integer NOT NULL)",
        )
        .map_err(&err)?;
        tx.execute("INSERT INTO schema_version VALUES ($1, 0)", &[&APP])
            .map_err(&err)?;
        created = Some(made_schema);
        0
    };
    if version > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if version < 0 {
        return Err(Error::Corrupt {
            path: path.to_path_buf(),
            what: format!("schema version {version}"),
        });
    }
    for m in &MIGRATIONS[version as usize..] {
        tx.batch_execute(&m.replace("RANDOM_I64", RANDOM_I64))
            .map_err(&err)?;
    }
    if version < SCHEMA_VERSION {
        tx.execute(
            "UPDATE schema_version SET version = $1",
            &[&(SCHEMA_VERSION as i32)],
        )
        .map_err(&err)?;
    }
    tx.commit().map_err(&err)?;
    Ok(created)
}

/// A bound parameter as the client takes it.
fn bind<'a>(a: &'a Arg<'a>) -> &'a (dyn ToSql + Sync) {
    match a {
        Arg::Int(v) => v,
        Arg::Text(v) => v,
        Arg::OptText(v) => v,
    }
}

/// A row, with the memory's location its errors name.
struct PgRow<'a> {
    row: &'a Row,
    path: &'a Path,
}

sql::row_impl!(PgRow<'_>, try_get);

impl Sql for Postgres {
    fn path(&self) -> &Path {
        &self.path
    }
    fn dialect(&self) -> &'static sql::Dialect {
        &sql::POSTGRES
    }
    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        let args: Vec<&(dyn ToSql + Sync)> = args.iter().map(bind).collect();
        let sql = numbered_dollars(sql);
        self.write_one(|conn| {
            let stmt = conn.prepared(&sql, &sql, &self.path)?;
            conn.client
                .execute(&stmt, &args)
                .map_err(map_err(&self.path))
        })
    }
    fn query(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        f: &mut dyn FnMut(&dyn sql::Row) -> Result<()>,
    ) -> Result<()> {
        let args: Vec<&(dyn ToSql + Sync)> = args.iter().map(bind).collect();
        let path = self.path.as_path();
        self.stream(&numbered_dollars(sql), &args, &mut |row| {
            f(&PgRow { row, path })
        })
    }
}

impl Postgres {
    /// Starts a write transaction on a pooled connection and takes the
    /// write lock.
    fn try_begin(&self) -> Result<Box<PgTx<'_>>> {
        let path = self.path.as_path();
        let err = map_err(path);
        let db = TxDb {
            conn: RefCell::new(Some(self.conn()?)),
            copying: RefCell::new(None),
            path,
            pool: &self.pool,
            shared: &self.shared,
            open: Cell::new(false),
        };
        let at = {
            let mut conn = db.borrow()?;
            db.open.set(true);
            // One message, one round trip: BEGIN, the write lock (one
            // writer at a time, so ids ascend in commit order; see the
            // module comment; waits up to LOCK_TIMEOUT), then, in a
            // statement of its own (a snapshot taken once the lock is
            // held), the counters, the stamp, the highest batch id and
            // the random token this transaction's commit will log.
            let rows = simple_rows(conn.client.simple_query(&BEGIN_SQL).map_err(&err)?);
            let row = rows.last().ok_or_else(|| Error::Corrupt {
                path: path.to_path_buf(),
                what: "store_state has no generation row".into(),
            })?;
            let int = |i| simple_int(row, i, path);
            At {
                units: int(0)?,
                variants: int(1)?,
                empty: row.get(2) == Some("t"),
                stamp: Stamp {
                    instance: int(3)?,
                    generation: int(4)?,
                    token: int(5)?,
                    variants: int(1)?,
                },
                batches: int(6)?,
                token: int(7)?,
            }
        };
        let mut log = Log::default();
        log.number_from(at.batches + 1);
        Ok(Box::new(PgTx {
            db,
            script: Script {
                path,
                sql: RefCell::new(String::new()),
            },
            next_unit: at.units,
            next_variant: at.variants,
            start: (at.units, at.variants),
            empty_at_start: at.empty,
            tap: None,
            at_begin: at.stamp,
            token: at.token,
            hashes: HashSet::default(),
            texts: HashSet::default(),
            buf: RefCell::new(Buffer::default()),
            wrote: false,
            rewrote: false,
            log,
            part: None,
            sends: Cell::new(0),
            bulk: Cell::new(if at.empty { Bulk::Ready } else { Bulk::Off }),
        }))
    }

    /// Streams the units `filter` selects (its parameters `$1`, … bound
    /// to `args`), in id order.
    fn for_each_unit_where(
        &self,
        filter: &str,
        args: &[&(dyn ToSql + Sync)],
        f: &mut dyn FnMut(Unit) -> Result<()>,
    ) -> Result<()> {
        let path = self.path.as_path();
        let mut units = Units::default();
        self.stream(&sql::units_sql(&sql::POSTGRES, filter), args, &mut |row| {
            units.push(path, &PgRow { row, path }, f)
        })?;
        units.finish(f)
    }
}

/// What a write transaction reads once it holds the write lock.
struct At {
    /// Last unit and variant ids handed out.
    units: i64,
    variants: i64,
    /// The memory holds no unit.
    empty: bool,
    /// The stamp of the committed content.
    stamp: Stamp,
    /// The highest batch id.
    batches: i64,
    /// A fresh random token for this transaction's commit.
    token: i64,
}

/// [`At`]'s message (see [`Postgres::try_begin`]).
static BEGIN_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "BEGIN;
         SELECT value FROM store_state WHERE key = 'generation' FOR UPDATE;
         SELECT (SELECT value FROM store_state WHERE key = 'units'),
                (SELECT value FROM store_state WHERE key = 'variants'),
                NOT EXISTS (SELECT 1 FROM unit),
                (SELECT value FROM store_state WHERE key = 'instance'),
                g.value,
                coalesce((SELECT token FROM commit_log WHERE generation = g.value), 0),
                (SELECT coalesce(max(id), 0) FROM batch),
                {RANDOM_I64}
         FROM store_state g WHERE g.key = 'generation'"
    )
});

/// The rows of a simple-protocol answer (several statements: all their
/// rows, in order).
fn simple_rows(messages: Vec<SimpleQueryMessage>) -> Vec<SimpleQueryRow> {
    messages
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(r),
            _ => None,
        })
        .collect()
}

/// Column `i` of a simple-protocol row, a 64-bit integer.
fn simple_int(row: &SimpleQueryRow, i: usize, path: &Path) -> Result<i64> {
    row.get(i)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| Error::Corrupt {
            path: path.to_path_buf(),
            what: format!("expected an integer, found {:?}", row.get(i)),
        })
}

/// `v` as a literal of a statement sent as text: `NULL`, or an escape
/// string (`E'...'`, quotes and backslashes doubled), which reads the same
/// whatever `standard_conforming_strings` says. A NUL is refused: it
/// cannot be stored, and a text message ends at one.
fn literal(out: &mut String, v: Option<&str>) -> Result<()> {
    let Some(v) = v else {
        out.push_str("NULL");
        return Ok(());
    };
    if v.contains('\0') {
        return Err(Error::InvalidUnit(
            "a NUL character (U+0000) cannot be stored in PostgreSQL".into(),
        ));
    }
    out.reserve(v.len() + 3);
    out.push_str("E'");
    for c in v.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    Ok(())
}

/// `sql` with its `?N` parameters written in as literals of `args`.
fn inline(sql: &str, args: &[Arg<'_>]) -> Result<String> {
    map_params(sql, |n, out| {
        match n.checked_sub(1).and_then(|i| args.get(i)) {
            Some(Arg::Int(v)) => {
                let _ = write!(out, "{v}");
                Ok(())
            }
            Some(Arg::Text(v)) => literal(out, Some(v)),
            Some(Arg::OptText(v)) => literal(out, *v),
            None => Err(Error::Store {
                path: PathBuf::new(),
                message: format!("internal error: no argument for parameter ?{n}"),
            }),
        }
    })
}

/// Statements of a write transaction held back, to go with a later message
/// (the batch's own rows and counts go with COMMIT): an [`Sql`] whose
/// `execute` queues the statement, its arguments written in as literals,
/// and answers 0 (the count is not known yet), so only statements whose
/// count nobody reads go here.
struct Script<'m> {
    path: &'m Path,
    sql: RefCell<String>,
}

impl Script<'_> {
    fn take(&self) -> String {
        std::mem::take(&mut *self.sql.borrow_mut())
    }
}

impl Sql for Script<'_> {
    fn path(&self) -> &Path {
        self.path
    }
    fn dialect(&self) -> &'static sql::Dialect {
        &sql::POSTGRES
    }
    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        let statement = inline(sql, args)?;
        let mut s = self.sql.borrow_mut();
        s.push_str(&statement);
        s.push_str(";\n");
        Ok(0)
    }
    fn query(
        &self,
        _sql: &str,
        _args: &[Arg<'_>],
        _f: &mut dyn FnMut(&dyn sql::Row) -> Result<()>,
    ) -> Result<()> {
        Err(Error::Store {
            path: self.path.to_path_buf(),
            message: "internal error: a query cannot be held back".into(),
        })
    }
}

const STAMP_SQL: &str = "SELECT (SELECT value FROM store_state WHERE key = 'instance'),
        g.value,
        coalesce((SELECT token FROM commit_log WHERE generation = g.value), 0),
        (SELECT value FROM store_state WHERE key = 'variants')
 FROM store_state g WHERE g.key = 'generation'";

fn stamp_of(row: &Row) -> std::result::Result<Stamp, postgres::Error> {
    Ok(Stamp {
        instance: row.try_get(0)?,
        generation: row.try_get(1)?,
        token: row.try_get(2)?,
        variants: row.try_get(3)?,
    })
}

fn pair_of_row(r: &Row, err: &impl Fn(postgres::Error) -> Error) -> Result<Pair> {
    Ok(Pair {
        unit_id: r.try_get(0).map_err(err)?,
        source: r.try_get(2).map_err(err)?,
        source_markup: r.try_get(3).map_err(err)?,
        prev: r.try_get(4).map_err(err)?,
        next: r.try_get(5).map_err(err)?,
        target: r.try_get(7).map_err(err)?,
        origin: r.try_get(8).map_err(err)?,
    })
}

impl Backend for Postgres {
    fn location(&self) -> &Path {
        &self.path
    }

    fn for_each_unit_filtered(
        &self,
        filter: &UnitFilter,
        f: &mut dyn FnMut(Unit) -> Result<()>,
    ) -> Result<()> {
        // The server narrows by ids, languages (their primary subtag, a
        // superset of what `serves` takes), creator and date range; the
        // origin glob and the text pattern are checked here, and every
        // unit still passes `matches` (one definition for every engine).
        let mut conds: Vec<String> = Vec::new();
        let mut args: Vec<Box<dyn ToSql + Sync>> = Vec::new();
        let mut arg = |conds: &mut Vec<String>, sql: &str, v: Box<dyn ToSql + Sync>| {
            args.push(v);
            conds.push(sql.replace('?', &format!("${}", args.len())));
        };
        if !filter.ids.is_empty() {
            arg(&mut conds, "u.id = ANY(?)", Box::new(filter.ids.clone()));
        }
        for l in &filter.langs {
            arg(
                &mut conds,
                // `serves` ignores case.
                "EXISTS (SELECT 1 FROM variant x WHERE x.unit_id = u.id
                         AND lower(x.primary_lang) = ?)",
                Box::new(crate::lang::primary(l).to_ascii_lowercase()),
            );
        }
        if let Some(c) = &filter.creator {
            arg(&mut conds, "u.creator = ?", Box::new(c.clone()));
        }
        // The same byte comparison as `DateBound` (COLLATE "C").
        if let Some(d) = &filter.since {
            arg(
                &mut conds,
                "coalesce(u.changed, u.created, '') COLLATE \"C\" >= ?::text",
                Box::new(d.as_str().to_string()),
            );
        }
        let filter_sql = if conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conds.join(" AND "))
        };
        let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a.as_ref()).collect();
        self.for_each_unit_where(&filter_sql, &refs, &mut |u| {
            if filter.matches(&u) { f(u) } else { Ok(()) }
        })
    }

    fn add_token(&mut self, hash: &str, role: &str, name: Option<&str>) -> Result<i64> {
        let err = map_err(&self.path);
        // One statement: its own transaction. Tokens are not content, so
        // the write lock and the stamp are left alone.
        let rows = self.write_one(|conn| {
            conn.client
                .query(
                    "INSERT INTO api_token (hash, role, name, created) VALUES ($1, $2, $3, $4)
                     RETURNING id",
                    &[&hash, &role, &name, &now_tmx()],
                )
                .map_err(&err)
        })?;
        rows[0].try_get(0).map_err(&err)
    }

    fn token_by_hash(&self, hash: &str) -> Result<Option<Token>> {
        Ok(sql::tokens(self, "WHERE hash = ?1", &[Arg::Text(hash)])?
            .into_iter()
            .next())
    }

    fn tokens(&self) -> Result<Vec<Token>> {
        sql::tokens(self, "", &[])
    }

    fn revoke_token(&mut self, id: i64) -> Result<bool> {
        let err = map_err(&self.path);
        let n = self.write_one(|conn| {
            conn.client
                .execute("DELETE FROM api_token WHERE id = $1", &[&id])
                .map_err(&err)
        })?;
        Ok(n > 0)
    }

    fn cache_base(&self) -> Option<&Path> {
        self.cache.as_deref()
    }

    fn begin(&mut self) -> Result<Box<dyn WriteTx + '_>> {
        // Nothing is written before the lock is held: a connection found
        // lost here is replaced once, as for a read.
        match self.try_begin() {
            Err(e) if e.is_unavailable() => Ok(self.try_begin()?),
            out => Ok(out?),
        }
    }

    fn reader(&self) -> Result<Option<Box<dyn Backend>>> {
        Ok(Some(Box::new(Postgres {
            pool: self.pool.clone(),
            shared: self.shared.clone(),
            path: self.path.clone(),
            cache: self.cache.clone(),
            created: None,
        })))
    }

    sql::shared_reads!();

    fn variants_with_text(&self, text: &str) -> Result<Vec<(i64, String)>> {
        let err = map_err(&self.path);
        self.query(
            "SELECT id, lang FROM variant WHERE text_hash = $1 AND text = $2 ORDER BY id",
            &[&fnv1a(text.as_bytes()), &text],
        )?
        .iter()
        .map(|r| Ok((r.try_get(0).map_err(&err)?, r.try_get(1).map_err(&err)?)))
        .collect()
    }

    fn pair_of(&self, variant: i64, from: &str, to: &str) -> Result<Option<Pair>> {
        let err = map_err(&self.path);
        let rows = self.query(
            "SELECT s.unit_id, s.lang, s.text, s.markup, s.prev, s.next, t.lang, t.text, u.origin
             FROM variant s JOIN unit u ON u.id = s.unit_id
             JOIN variant t ON t.unit_id = s.unit_id AND t.id <> s.id
             WHERE s.id = $1 AND t.primary_lang = $2 ORDER BY t.id",
            &[&variant, &crate::lang::primary(to)],
        )?;
        for r in &rows {
            let slang: String = r.try_get(1).map_err(&err)?;
            let tlang: String = r.try_get(6).map_err(&err)?;
            if crate::lang::serves(from, &slang) && crate::lang::serves(to, &tlang) {
                return Ok(Some(pair_of_row(r, &err)?));
            }
        }
        Ok(None)
    }

    fn for_each_text(
        &self,
        primary: &str,
        after: i64,
        upto: i64,
        f: &mut dyn FnMut(i64, &str) -> Result<()>,
    ) -> Result<()> {
        let err = map_err(&self.path);
        self.stream(
            "SELECT id, text FROM variant
             WHERE primary_lang = $1 AND id > $2 AND id <= $3 ORDER BY id",
            &[&primary, &after, &upto],
            &mut |r| {
                let id: i64 = r.try_get(0).map_err(&err)?;
                let text: &str = r.try_get(1).map_err(&err)?;
                f(id, text)
            },
        )
    }

    fn languages(&self) -> Result<Vec<String>> {
        let err = map_err(&self.path);
        self.query("SELECT DISTINCT lang FROM variant ORDER BY lang", &[])?
            .iter()
            .map(|r| r.try_get(0).map_err(&err))
            .collect()
    }

    fn stats(&self) -> Result<Stats> {
        sql::stats(self, "SELECT lang, count(*) FROM variant GROUP BY lang")
    }

    fn stamp(&self) -> Result<Stamp> {
        let rows = self.query(STAMP_SQL, &[])?;
        let row = rows.first().ok_or_else(|| Error::Corrupt {
            path: self.path.clone(),
            what: "store_state has no generation".into(),
        })?;
        stamp_of(row).map_err(map_err(&self.path))
    }

    fn keeps_shared_files(&self) -> bool {
        true
    }

    fn shared_file(&self, name: &str, out: &mut dyn std::io::Write) -> Result<bool> {
        let err = map_err(&self.path);
        let mut found = false;
        let got = self.stream(
            "SELECT data FROM shared_file WHERE name = $1 ORDER BY part",
            &[&name],
            &mut |r| {
                let data: &[u8] = r.try_get(0).map_err(&err)?;
                found = true;
                out.write_all(data).map_err(|e| Error::Store {
                    path: self.path.clone(),
                    message: format!("copying the shared file {name}: {e}"),
                })
            },
        );
        match got {
            Ok(()) => Ok(found),
            // No file was ever shared: the table is made with the first.
            Err(Error::Store { message, .. })
                if !found && message.contains("relation \"shared_file\" does not exist") =>
            {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    fn put_shared_file(&self, name: &str, data: &mut dyn std::io::Read) -> Result<bool> {
        let err = map_err(&self.path);
        self.write_one(|conn| {
            let mut tx = conn.client.transaction().map_err(&err)?;
            tx.batch_execute(SHARED_TABLE).map_err(&err)?;
            tx.execute("DELETE FROM shared_file WHERE name = $1", &[&name])
                .map_err(&err)?;
            let insert = tx
                .prepare("INSERT INTO shared_file (name, part, data) VALUES ($1, $2, $3)")
                .map_err(&err)?;
            let mut buf = vec![0u8; SHARED_PART];
            for part in 0i32.. {
                let mut n = 0;
                while n < buf.len() {
                    match data.read(&mut buf[n..]) {
                        Ok(0) => break,
                        Ok(k) => n += k,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            return Err(Error::Store {
                                path: self.path.clone(),
                                message: format!("reading the file to share as {name}: {e}"),
                            });
                        }
                    }
                }
                if n == 0 {
                    break;
                }
                tx.execute(&insert, &[&name, &part, &&buf[..n]])
                    .map_err(&err)?;
            }
            tx.commit().map_err(&err)?;
            Ok(true)
        })
    }

    fn discard_if_unused(&mut self) -> Result<bool> {
        let Some(schema) = self.created.take() else {
            return Ok(false);
        };
        let err = map_err(&self.path);
        let mut conn = self.conn()?;
        let mut tx = conn.client.transaction().map_err(&err)?;
        let generation: i64 = tx
            .query_one(
                "SELECT value FROM store_state WHERE key = 'generation' FOR UPDATE",
                &[],
            )
            .map_err(&err)?
            .try_get(0)
            .map_err(&err)?;
        if generation != 0 {
            // Another process committed to the memory we created.
            return Ok(false);
        }
        // A process waiting for the write lock meanwhile finds the tables
        // gone and reports NotFound instead of writing into nothing.
        tx.batch_execute(
            "DROP TABLE unit, variant, store_state, commit_log, batch, batch_unit, batch_new,
                        api_token, schema_version",
        )
        .map_err(&err)?;
        tx.commit().map_err(&err)?;
        if let Some(name) = schema {
            // The schema this handle made for the memory, if still empty
            // (RESTRICT: anything another program put there keeps it).
            let _ = conn.client.batch_execute(&format!(
                "DROP SCHEMA \"{}\" RESTRICT",
                name.replace('"', "\"\"")
            ));
        }
        Ok(true)
    }
}

/// The table of shared cache files (see [`Backend::shared_file`]), made
/// when the first is stored: parts of [`SHARED_PART`] bytes, stored
/// without compression (an index file does not compress, and trying costs
/// time on every part).
const SHARED_TABLE: &str = "CREATE TABLE IF NOT EXISTS shared_file (
    name text NOT NULL,
    part integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (name, part)
);
ALTER TABLE shared_file ALTER COLUMN data SET STORAGE EXTERNAL;";

/// Bytes per row of a shared file.
const SHARED_PART: usize = 8 << 20;

/// Units buffered before they are sent with `COPY`: 5,000 units is a few
/// megabytes of rows, and few enough round trips not to matter.
const FLUSH_EVERY: usize = 5_000;

/// Up to this many buffered units go as `INSERT`s in the message of the
/// next statement (no round trip of their own); more go by `COPY` (three
/// round trips per table, but the least work per row).
const INSERT_UP_TO: usize = 100;

/// The tables rows are buffered for, with their columns in buffer order.
const UNIT_COLUMNS: &str = "unit (id, tuid, origin, created, creator, changed, changer, \
     usage_count, attrs, props, notes, content_hash)";
const VARIANT_COLUMNS: &str =
    "variant (id, unit_id, lang, primary_lang, text, markup, text_hash, prev, next, props, notes)";

/// `COPY` text-format rows (as [`copy_row`] writes them) as the rows of
/// an `INSERT`'s `VALUES`: `\N` is `NULL`, and any other field goes into
/// an escape string as it is (its only escapes, `\\`, `\n`, `\r` and `\t`,
/// mean the same there), with quotes doubled.
fn copy_rows_as_values(out: &mut String, rows: &str) {
    for (i, line) in rows.split('\n').filter(|l| !l.is_empty()).enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('(');
        for (j, field) in line.split('\t').enumerate() {
            if j > 0 {
                out.push(',');
            }
            if field == "\\N" {
                out.push_str("NULL");
            } else {
                out.push_str("E'");
                for c in field.chars() {
                    if c == '\'' {
                        out.push_str("''");
                    } else {
                        out.push(c);
                    }
                }
                out.push('\'');
            }
        }
        out.push(')');
    }
}

/// One write transaction on a PostgreSQL memory.
struct PgTx<'m> {
    db: TxDb<'m>,
    /// Statements held back until the next message (see [`Script`]).
    script: Script<'m>,
    /// Last unit / variant id handed out.
    next_unit: i64,
    next_variant: i64,
    /// The counters when the transaction began: unchanged means nothing
    /// was written.
    start: (i64, i64),
    /// The stamp when it began (what a commit that wrote nothing returns).
    at_begin: Stamp,
    /// The random token its commit logs.
    token: i64,
    /// The memory held no unit when the transaction began: duplicates can
    /// only be among this transaction's own units, found through
    /// `hashes`/`texts` without asking the server (a first import of 1M
    /// units then pays no round trip per unit).
    empty_at_start: bool,
    /// Content hashes and (language, text) keys of the units this
    /// transaction stored: a hit means "ask the server".
    hashes: HashSet<i64, KeyHash>,
    texts: HashSet<i64, KeyHash>,
    /// Rows not sent yet. In a cell, like `tx`, because
    /// [`WriteTx::unit`] reads through `&self` and must send them first.
    buf: RefCell<Buffer>,
    /// Something was written that the counters do not show (an undo of
    /// units already gone still marks its batch undone).
    wrote: bool,
    rewrote: bool,
    /// The batch its changes are recorded in.
    log: Log,
    /// The part under way (see [`Writer::part`](super::Writer::part)).
    part: Option<Part>,
    /// Messages sent with held-back statements in them so far.
    sends: Cell<u64>,
    /// Hears the variants inserted (see [`Writer::tap`](super::Writer::tap)).
    tap: Option<Box<dyn Tap>>,
    /// Whether the tables' indexes are dropped for a first import (see
    /// [`Bulk`]).
    bulk: Cell<Bulk>,
}

/// A first import's indexes. Maintaining six B-trees row by row (two of
/// them on random 64-bit hashes) was most of the server's work in a
/// first import (1M units: 26 s against 3.3 s for psql's `\copy` of the
/// same pairs); building them once, sorted, after the rows are in takes
/// about 4.5 s. So a transaction that began on an empty memory drops
/// them, inside the transaction, before its first `COPY` (once
/// [`FLUSH_EVERY`] units are buffered: a small write never does), and
/// builds them again before `COMMIT` in the same message; a rollback
/// restores them with everything else. Duplicates among its own units are
/// found client side (`PgTx::hashes`/`texts`); anything that needs to
/// look rows up on the server (a possible duplicate, reading a unit, an
/// edit) builds the indexes first and the transaction goes on without the
/// trick.
///
/// Dropping an index locks its table (`ACCESS EXCLUSIVE`) until the
/// transaction ends: while a first import runs, a reader of that (empty)
/// memory waits up to [`LOCK_TIMEOUT`] and is then told the memory is
/// busy, rather than answering "nothing" at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bulk {
    /// The memory was not empty, or the indexes were built again.
    Off,
    /// The memory was empty; the indexes are still there.
    Ready,
    /// The indexes are dropped.
    Dropped,
}

/// The indexes [`Bulk`] drops: every one on `unit` and `variant`, named
/// as migration 1 created them.
const DROP_INDEXES: &str = "ALTER TABLE unit DROP CONSTRAINT unit_pkey;
     DROP INDEX unit_hash;
     ALTER TABLE variant DROP CONSTRAINT variant_pkey,
         DROP CONSTRAINT variant_unit_id_lang_key;
     DROP INDEX variant_text, variant_primary;\n";

/// [`DROP_INDEXES`] undone, with at least 256 MB to sort in (the server's
/// default of 64 MB spills to disk at 1M units).
const CREATE_INDEXES: &str = "DO $$ BEGIN
         IF pg_size_bytes(current_setting('maintenance_work_mem')) < 256 * 1024 * 1024 THEN
             PERFORM set_config('maintenance_work_mem', '256MB', true);
         END IF;
     END $$;
     ALTER TABLE unit ADD CONSTRAINT unit_pkey PRIMARY KEY (id);
     CREATE INDEX unit_hash ON unit (content_hash);
     ALTER TABLE variant ADD CONSTRAINT variant_pkey PRIMARY KEY (id),
         ADD CONSTRAINT variant_unit_id_lang_key UNIQUE (unit_id, lang);
     CREATE INDEX variant_text ON variant (text_hash);
     CREATE INDEX variant_primary ON variant (primary_lang, id);\n";

/// Where a part began: what its rollback restores.
struct Part {
    next_unit: i64,
    next_variant: i64,
    wrote: bool,
    rewrote: bool,
    /// The log's numbering then.
    log: Log,
    /// [`PgTx::sends`] then: unchanged, its savepoint was never sent.
    sends: u64,
    /// The held-back statements before its `SAVEPOINT`.
    script: usize,
    /// [`PgTx::bulk`] then: a rollback to its savepoint undoes a drop or
    /// a build of the indexes made since.
    bulk: Bulk,
}

const SAVEPOINT: &str = "SAVEPOINT part;\n";

/// A write transaction's connection, taken from the pool for the
/// transaction's life (`BEGIN` … `COMMIT` on it; dropped unfinished, it
/// rolls back). In a cell because [`WriteTx::unit`] reads through `&self`
/// and must send buffered rows first.
struct TxDb<'m> {
    /// `None` while a [`Copying`] thread has it.
    conn: RefCell<Option<Pooled>>,
    /// The `COPY` under way on a thread of its own (see [`PgTx::add`]).
    copying: RefCell<Option<Copying>>,
    path: &'m Path,
    pool: &'m Pool,
    shared: &'m Shared,
    /// `BEGIN` was sent and neither `COMMIT` nor `ROLLBACK` answered.
    open: Cell<bool>,
}

/// A thread sending rows by `COPY` on the transaction's connection, which
/// it hands back with the outcome.
type Copying = std::thread::JoinHandle<(Pooled, Result<()>)>;

/// Sends `rows` (the unit rows, then the variant rows) by `COPY` on
/// `conn`.
fn copy_in(conn: &mut PgConn, rows: &Rows, path: &Path) -> Result<()> {
    let (units, variants, binary): (&[u8], &[u8], bool) = match rows {
        Rows::Text(u, v) => (u.as_bytes(), v.as_bytes(), false),
        Rows::Binary(u, v) => (u, v, true),
    };
    for (table, rows) in [(UNIT_COLUMNS, units), (VARIANT_COLUMNS, variants)] {
        if rows.is_empty() {
            continue;
        }
        let format = if binary { " (FORMAT binary)" } else { "" };
        let mut w = conn
            .client
            .copy_in(&format!("COPY {table} FROM STDIN{format}"))
            .map_err(map_err(path))?;
        let io = |e: std::io::Error| Error::Store {
            path: path.to_path_buf(),
            message: format!("COPY: {e}"),
        };
        if binary {
            w.write_all(BINARY_HEADER).map_err(io)?;
        }
        w.write_all(rows).map_err(io)?;
        if binary {
            w.write_all(&(-1i16).to_be_bytes()).map_err(io)?;
        }
        w.finish().map_err(map_err(path))?;
    }
    Ok(())
}

impl TxDb<'_> {
    /// The connection, once the `COPY` under way (if any) is done: an
    /// error of that `COPY` is returned here.
    fn borrow(&self) -> Result<std::cell::RefMut<'_, Pooled>> {
        let mut conn = self.conn.try_borrow_mut().map_err(|_| Error::Store {
            path: self.path.to_path_buf(),
            message: "a PostgreSQL transaction was used from inside one of its own callbacks"
                .into(),
        })?;
        if let Some(thread) = self.copying.borrow_mut().take() {
            let (back, out) = thread.join().map_err(|_| Error::Store {
                path: self.path.to_path_buf(),
                message: "the thread sending rows by COPY failed".into(),
            })?;
            *conn = Some(back);
            out?;
        }
        std::cell::RefMut::filter_map(conn, Option::as_mut).map_err(|_| Error::Store {
            path: self.path.to_path_buf(),
            message: "the connection of this PostgreSQL transaction was lost with \
                      the thread sending its rows"
                .into(),
        })
    }

    /// Sends `rows` by `COPY` on a thread of its
    /// own while the caller goes on (the next [`TxDb::borrow`] waits for
    /// it).
    fn copy_behind(&self, rows: Rows) -> Result<()> {
        let path = self.path.to_path_buf();
        drop(self.borrow()?);
        // The connection goes to the thread once it runs, so that a
        // thread that cannot be started leaves it here.
        let (give, take) = std::sync::mpsc::sync_channel::<Pooled>(1);
        let thread = std::thread::Builder::new()
            .name("transmem-pg-copy".into())
            .spawn(move || {
                let mut conn = take.recv().expect("the connection is sent");
                let out = copy_in(&mut conn, &rows, &path);
                (conn, out)
            })
            .map_err(|e| Error::Store {
                path: self.path.to_path_buf(),
                message: format!("cannot start a thread to send rows: {e}"),
            })?;
        let conn = self.conn.borrow_mut().take().expect("borrowed above");
        give.send(conn).expect("the thread waits for it");
        *self.copying.borrow_mut() = Some(thread);
        Ok(())
    }

    /// `sql` (with `?N` parameters) prepared on this connection.
    fn prepared(&self, conn: &mut PgConn, sql: &str) -> Result<Statement> {
        match conn.statements.get(sql) {
            Some(s) => Ok(s.clone()),
            None => conn.prepared(sql, &numbered_dollars(sql), self.path),
        }
    }
}

impl Drop for TxDb<'_> {
    fn drop(&mut self) {
        if let Some(thread) = self.copying.get_mut().take()
            && let Ok((conn, _)) = thread.join()
        {
            *self.conn.get_mut() = Some(conn);
        }
        if self.open.get()
            && let Some(conn) = self.conn.get_mut()
        {
            // A connection that cannot roll back (lost, or in a state we do
            // not know) is not handed out again.
            if conn.client.batch_execute("ROLLBACK").is_err() {
                lost(conn, self.shared);
            }
        }
    }
}

impl Sql for TxDb<'_> {
    fn path(&self) -> &Path {
        self.path
    }
    fn dialect(&self) -> &'static sql::Dialect {
        &sql::POSTGRES
    }
    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        let args: Vec<&(dyn ToSql + Sync)> = args.iter().map(bind).collect();
        let mut conn = self.borrow()?;
        let stmt = self.prepared(&mut conn, sql)?;
        conn.client
            .execute(&stmt, &args)
            .map_err(map_err(self.path))
    }
    fn query(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        f: &mut dyn FnMut(&dyn sql::Row) -> Result<()>,
    ) -> Result<()> {
        let err = map_err(self.path);
        let args: Vec<&(dyn ToSql + Sync)> = args.iter().map(bind).collect();
        let mut conn = self.borrow()?;
        let stmt = self.prepared(&mut conn, sql)?;
        let mut rows = conn
            .client
            .query_raw(&stmt, args.iter().copied())
            .map_err(&err)?;
        while let Some(row) = rows.next().map_err(&err)? {
            f(&PgRow {
                row: &row,
                path: self.path,
            })?;
        }
        Ok(())
    }
}

/// `COPY ... FROM STDIN` rows not sent yet: in text format, or, in a
/// first import once the indexes are dropped (always sent by `COPY`),
/// in binary format, which the server reads with less work (no escapes,
/// no integers to parse: a fifth less server time for 1M units' variants).
#[derive(Default)]
struct Buffer {
    unit_rows: String,
    variant_rows: String,
    /// The rows are binary, in these two.
    binary: bool,
    unit_bin: Vec<u8>,
    variant_bin: Vec<u8>,
    units: usize,
}

impl Buffer {
    /// The rows go by `COPY` (else as `INSERT`s).
    fn copies(&self) -> bool {
        self.binary || self.units > INSERT_UP_TO
    }

    fn clear(&mut self) {
        self.unit_rows.clear();
        self.variant_rows.clear();
        self.unit_bin.clear();
        self.variant_bin.clear();
        self.units = 0;
    }

    /// The rows, taken: (table, rows, binary) per table.
    fn take(&mut self) -> Rows {
        self.units = 0;
        if self.binary {
            Rows::Binary(
                std::mem::take(&mut self.unit_bin),
                std::mem::take(&mut self.variant_bin),
            )
        } else {
            Rows::Text(
                std::mem::take(&mut self.unit_rows),
                std::mem::take(&mut self.variant_rows),
            )
        }
    }
}

/// Unit and variant rows for `COPY`.
enum Rows {
    Text(String, String),
    Binary(Vec<u8>, Vec<u8>),
}

/// The start of a binary `COPY` stream.
const BINARY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// The number of fields of a binary `COPY` row (starts the row).
fn bin_row(out: &mut Vec<u8>, fields: i16) {
    out.extend_from_slice(&fields.to_be_bytes());
}

/// A `bigint` field of a binary `COPY` row.
fn bin_int(out: &mut Vec<u8>, v: Option<i64>) {
    match v {
        None => out.extend_from_slice(&(-1i32).to_be_bytes()),
        Some(n) => {
            out.extend_from_slice(&8i32.to_be_bytes());
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

/// `text` fields of a binary `COPY` row (UTF-8 as it is).
fn bin_texts(out: &mut Vec<u8>, fields: &[Option<&str>]) {
    for f in fields {
        match f {
            None => out.extend_from_slice(&(-1i32).to_be_bytes()),
            Some(s) => {
                // A field is far below 2 GB (the server's limit is 1 GB).
                out.extend_from_slice(&(s.len() as i32).to_be_bytes());
                out.extend_from_slice(s.as_bytes());
            }
        }
    }
}

/// One field of a COPY text-format row.
fn copy_field(out: &mut String, v: Option<&str>) {
    match v {
        None => out.push_str("\\N"),
        Some(s) => {
            // Runs without a special character are copied whole.
            let mut from = 0;
            for (i, b) in s.bytes().enumerate() {
                let escaped = match b {
                    b'\\' => "\\\\",
                    b'\n' => "\\n",
                    b'\r' => "\\r",
                    b'\t' => "\\t",
                    _ => continue,
                };
                out.push_str(&s[from..i]);
                out.push_str(escaped);
                from = i + 1;
            }
            out.push_str(&s[from..]);
        }
    }
}

/// An integer field of a COPY text-format row, followed by a tab.
fn copy_int(out: &mut String, n: i64) {
    out.push_str(itoa::Buffer::new().format(n));
    out.push('\t');
}

/// The hasher of [`PgTx::hashes`] and [`PgTx::texts`]: foldhash, not
/// SipHash, which was a tenth of a first import's client time.
type KeyHash = foldhash::fast::FixedState;

fn copy_row(out: &mut String, fields: &[Option<&str>]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        copy_field(out, *f);
    }
    out.push('\n');
}

/// The key of (`lang`, a text whose `text_hash` is `hash`) in
/// [`PgTx::texts`] (the text is hashed once, for its row and its key).
fn text_key(lang: &str, hash: i64) -> i64 {
    fnv1a_extend(
        fnv1a_extend(fnv1a(lang.as_bytes()) as u64, &[0]),
        &hash.to_le_bytes(),
    ) as i64
}

impl PgTx<'_> {
    /// Builds the indexes [`Bulk`] dropped, before something looks rows up
    /// (after the rows buffered so far); the rest of the transaction
    /// keeps them up to date as usual.
    fn indexed(&self) -> Result<()> {
        if self.bulk.get() == Bulk::Dropped {
            self.send(Some(CREATE_INDEXES))?;
            self.bulk.set(Bulk::Off);
        }
        Ok(())
    }

    /// Sends the buffered rows.
    fn flush(&self) -> Result<()> {
        if self.buf.borrow().units == 0 {
            return Ok(());
        }
        self.send(None).map(|_| ())
    }

    /// Moves the buffered rows into the held-back statements (as
    /// `INSERT`s; many are sent by `COPY` instead), so that what is
    /// queued next follows them.
    fn seal(&self) -> Result<()> {
        let mut buf = self.buf.borrow_mut();
        if buf.units == 0 {
            return Ok(());
        }
        if buf.copies() {
            drop(buf);
            return self.send(None).map(|_| ());
        }
        let mut script = self.script.sql.borrow_mut();
        for (table, rows) in [
            (UNIT_COLUMNS, std::mem::take(&mut buf.unit_rows)),
            (VARIANT_COLUMNS, std::mem::take(&mut buf.variant_rows)),
        ] {
            if !rows.is_empty() {
                let _ = write!(script, "INSERT INTO {table} VALUES ");
                copy_rows_as_values(&mut script, &rows);
                script.push_str(";\n");
            }
        }
        buf.units = 0;
        Ok(())
    }

    /// Sends the buffered rows and then `then` (statements written in
    /// full, [`inline`]), in one message when there are few rows (they go
    /// as `INSERT`s: one round trip for a server's single-unit write),
    /// after a `COPY` when there are many; returns the rows `then`
    /// answered.
    fn send(&self, then: Option<&str>) -> Result<Vec<SimpleQueryRow>> {
        let mut buf = self.buf.borrow_mut();
        let mut conn = self.db.borrow()?;
        let path = self.db.path;
        // The held-back statements were queued before the buffered rows
        // (a part's SAVEPOINT before its rows): they go first.
        let mut message = self.script.take();
        if !message.is_empty() {
            self.sends.set(self.sends.get() + 1);
        }
        if buf.units > 0 && buf.copies() && !message.is_empty() {
            conn.client
                .batch_execute(&std::mem::take(&mut message))
                .map_err(map_err(path))?;
        }
        if buf.units > 0 && !buf.copies() {
            for (table, rows) in [
                (UNIT_COLUMNS, std::mem::take(&mut buf.unit_rows)),
                (VARIANT_COLUMNS, std::mem::take(&mut buf.variant_rows)),
            ] {
                if !rows.is_empty() {
                    let _ = write!(message, "INSERT INTO {table} VALUES ");
                    copy_rows_as_values(&mut message, &rows);
                    message.push_str(";\n");
                }
            }
            buf.units = 0;
        } else if buf.units > 0 {
            let rows = buf.take();
            copy_in(&mut conn, &rows, path)?;
        }
        if let Some(then) = then {
            message.push_str(then);
        }
        if message.is_empty() {
            return Ok(Vec::new());
        }
        Ok(simple_rows(
            conn.client.simple_query(&message).map_err(map_err(path))?,
        ))
    }

    /// Sends the held-back statements and the buffered rows.
    fn send_all(&self) -> Result<()> {
        if self.script.sql.borrow().is_empty() {
            self.flush()
        } else {
            self.send(None).map(|_| ())
        }
    }

    /// The ids `sql` (one integer column; parameters `?N` bound to `args`)
    /// finds once the buffered rows are sent: in the same message as they
    /// are, or as a prepared statement when there are none.
    fn ids_after_rows(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<i64>> {
        self.indexed()?;
        if self.buf.borrow().units == 0 && self.script.sql.borrow().is_empty() {
            return sql::rows(&self.db, sql, args, |r| r.int(0));
        }
        self.send(Some(&inline(sql, args)?))?
            .iter()
            .map(|r| simple_int(r, 0, self.db.path))
            .collect()
    }

    /// Buffers unit `id`'s row exactly as given (`created` already
    /// filled in by the caller where a default is wanted); `hash` is its
    /// [`content_hash`].
    fn buffer_unit(&mut self, id: i64, unit: &Unit, created: Option<&str>, hash: i64) {
        let (attrs, props, notes) = (
            to_json(&unit.attrs),
            to_json(&unit.props),
            to_json(&unit.notes),
        );
        self.start_rows();
        let buf = self.buf.get_mut();
        if buf.binary {
            let out = &mut buf.unit_bin;
            bin_row(out, 12);
            bin_int(out, Some(id));
            bin_texts(
                out,
                &[
                    unit.tuid.as_deref(),
                    unit.origin.as_deref(),
                    created,
                    unit.creator.as_deref(),
                    unit.changed.as_deref(),
                    unit.changer.as_deref(),
                ],
            );
            bin_int(out, unit.usage_count);
            bin_texts(out, &[attrs.as_deref(), props.as_deref(), notes.as_deref()]);
            bin_int(out, Some(hash));
            buf.units += 1;
            self.hashes.insert(hash);
            self.buffer_variants(id, unit);
            return;
        }
        let out = &mut buf.unit_rows;
        copy_int(out, id);
        copy_row(
            out,
            &[
                unit.tuid.as_deref(),
                unit.origin.as_deref(),
                created,
                unit.creator.as_deref(),
                unit.changed.as_deref(),
                unit.changer.as_deref(),
            ],
        );
        out.pop();
        out.push('\t');
        match unit.usage_count {
            Some(n) => copy_int(out, n),
            None => out.push_str("\\N\t"),
        }
        copy_row(out, &[attrs.as_deref(), props.as_deref(), notes.as_deref()]);
        out.pop();
        out.push('\t');
        out.push_str(itoa::Buffer::new().format(hash));
        out.push('\n');
        buf.units += 1;
        self.hashes.insert(hash);
        self.buffer_variants(id, unit);
    }

    /// Chooses the format of the rows buffered next, when there are none:
    /// binary in a first import once the indexes are dropped, outside a
    /// part (see [`Buffer`]).
    fn start_rows(&mut self) {
        let binary = self.bulk.get() == Bulk::Dropped && self.part.is_none();
        let buf = self.buf.get_mut();
        if buf.units == 0 && buf.unit_rows.is_empty() && buf.variant_rows.is_empty() {
            buf.binary = binary;
        }
    }

    fn buffer_variants(&mut self, id: i64, unit: &Unit) {
        self.start_rows();
        let buf = self.buf.get_mut();
        if buf.binary {
            let out = &mut buf.variant_bin;
            for v in &unit.variants {
                self.next_variant += 1;
                let hash = fnv1a(v.text.as_bytes());
                let (props, notes) = (to_json(&v.props), to_json(&v.notes));
                bin_row(out, 11);
                bin_int(out, Some(self.next_variant));
                bin_int(out, Some(id));
                bin_texts(
                    out,
                    &[
                        Some(&v.lang),
                        Some(crate::lang::primary(&v.lang)),
                        Some(&v.text),
                        v.markup.as_deref(),
                    ],
                );
                bin_int(out, Some(hash));
                bin_texts(
                    out,
                    &[
                        v.prev.as_deref(),
                        v.next.as_deref(),
                        props.as_deref(),
                        notes.as_deref(),
                    ],
                );
                self.texts.insert(text_key(&v.lang, hash));
                if let Some(t) = self.tap.as_mut() {
                    t.variant(self.next_variant, crate::lang::primary(&v.lang), &v.text);
                }
            }
            return;
        }
        let out = &mut buf.variant_rows;
        for v in &unit.variants {
            self.next_variant += 1;
            let hash = fnv1a(v.text.as_bytes());
            let (props, notes) = (to_json(&v.props), to_json(&v.notes));
            copy_int(out, self.next_variant);
            copy_int(out, id);
            copy_row(
                out,
                &[
                    Some(&v.lang),
                    Some(crate::lang::primary(&v.lang)),
                    Some(&v.text),
                    v.markup.as_deref(),
                ],
            );
            out.pop();
            out.push('\t');
            copy_int(out, hash);
            copy_row(
                out,
                &[
                    v.prev.as_deref(),
                    v.next.as_deref(),
                    props.as_deref(),
                    notes.as_deref(),
                ],
            );
            self.texts.insert(text_key(&v.lang, hash));
            if let Some(t) = self.tap.as_mut() {
                t.variant(self.next_variant, crate::lang::primary(&v.lang), &v.text);
            }
        }
    }

    /// What the tap heard no longer holds (a variant was changed or
    /// removed): it hears nothing more.
    fn spoil_tap(&mut self) {
        if let Some(mut t) = self.tap.take() {
            t.spoil();
        }
    }
}

impl WriteTx for PgTx<'_> {
    sql::shared_writes!();

    fn has_parts(&self) -> bool {
        true
    }

    fn begin_part(&mut self) -> Result<()> {
        if self.part.is_some() {
            return Err(Error::Invalid("parts of a write do not nest".into()));
        }
        // The rows of the parts before go before this one's SAVEPOINT.
        self.seal()?;
        let script = self.script.sql.borrow().len();
        self.script.sql.borrow_mut().push_str(SAVEPOINT);
        self.part = Some(Part {
            next_unit: self.next_unit,
            next_variant: self.next_variant,
            wrote: self.wrote,
            rewrote: self.rewrote,
            log: self.log.next_log(),
            sends: self.sends.get(),
            script,
            bulk: self.bulk.get(),
        });
        Ok(())
    }

    fn end_part(&mut self, keep: bool) -> Result<()> {
        let Some(part) = self.part.take() else {
            return Err(Error::Invalid("no part of this write was begun".into()));
        };
        if !keep {
            // Its variants were heard, and their ids are handed out again.
            self.spoil_tap();
        }
        if keep {
            self.log.finish(&self.script)?;
            self.log = self.log.next_log();
            self.script
                .sql
                .borrow_mut()
                .push_str("RELEASE SAVEPOINT part;\n");
            return Ok(());
        }
        // Its rows and statements not sent yet are dropped; what was sent
        // is rolled back to its savepoint (which also ends an error state
        // a failed statement of it left).
        self.buf.get_mut().clear();
        let script = self.script.sql.get_mut();
        if self.sends.get() == part.sends {
            script.truncate(part.script);
        } else {
            script.clear();
            script.push_str("ROLLBACK TO SAVEPOINT part;\nRELEASE SAVEPOINT part;\n");
        }
        self.next_unit = part.next_unit;
        self.next_variant = part.next_variant;
        self.wrote = part.wrote;
        self.rewrote = part.rewrote;
        self.log = part.log;
        self.bulk.set(part.bulk);
        Ok(())
    }

    fn set_tap(&mut self, tap: Box<dyn Tap>) -> std::result::Result<(), Box<dyn Tap>> {
        // Only a first write into an empty memory: what the tap hears is
        // then every variant the commit leaves.
        let fresh = (self.next_unit, self.next_variant) == self.start && !self.wrote;
        if !self.empty_at_start || !fresh || self.tap.is_some() {
            return Err(tap);
        }
        self.tap = Some(tap);
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<Stamp> {
        // Closed first: whoever listens has heard every variant before
        // the last rows go, and may do its own work beside the commit's.
        if let Some(mut t) = self.tap.take() {
            t.committing();
        }
        // The duplicate keys (at 10M units about 450 MB) are of no more
        // use: freed before the match index is sorted beside the commit,
        // which took the 10M import's peak RSS to 1,059 MB with them kept.
        self.hashes = HashSet::default();
        self.texts = HashSet::default();
        let wrote = self.wrote || self.rewrote || (self.next_unit, self.next_variant) != self.start;
        self.log.finish(&self.script)?;
        // The rows not sent yet, the batch's bookkeeping, and (when
        // something was written) one generation and one log row with this
        // transaction's random token (see `Stamp`; the log keeps the last
        // 10,000 commits, as SQLite's does), then COMMIT: one message.
        let mut tail = String::new();
        if self.bulk.get() == Bulk::Dropped {
            tail.push_str(CREATE_INDEXES);
        }
        if self.empty_at_start && self.next_unit - self.start.0 >= FLUSH_EVERY as i64 {
            // A first import leaves tables the planner has no statistics
            // of until autovacuum comes by: at 10M units it then joined a
            // pair through a bitmap of all 10M variants of the target
            // language, 0.56 s per candidate and 7 s per lookup (with
            // them, an index probe). ANALYZE samples 30,000 rows a table.
            tail.push_str("ANALYZE unit, variant;\n");
        }
        let stamp = if wrote {
            let generation = self.at_begin.generation + 1;
            let _ = write!(
                tail,
                "UPDATE store_state SET value = {generation} WHERE key = 'generation';
                 UPDATE store_state SET value = {} WHERE key = 'units';
                 UPDATE store_state SET value = {} WHERE key = 'variants';
                 INSERT INTO commit_log (generation, token, rewrote, variants)
                     VALUES ({generation}, {}, {}, {});
                 DELETE FROM commit_log WHERE generation < {generation} - 10000;\n",
                self.next_unit, self.next_variant, self.token, self.rewrote, self.next_variant
            );
            Stamp {
                instance: self.at_begin.instance,
                generation,
                token: self.token,
                variants: self.next_variant,
            }
        } else {
            self.at_begin
        };
        tail.push_str("COMMIT");
        match self.send(Some(&tail)) {
            Ok(_) => {
                self.db.open.set(false);
                Ok(stamp)
            }
            Err(e) if e.is_unavailable() => {
                // The connection went while COMMIT may have been on its
                // way: the transaction may or may not have been kept. Its
                // log row (generation and random token, written inside it)
                // tells.
                let mut conn = self.db.borrow()?;
                lost(&mut conn, self.db.shared);
                self.db.open.set(false);
                drop(conn);
                if !wrote {
                    // Nothing to keep either way.
                    return Ok(stamp);
                }
                resolve_commit(self.db.pool, self.db.shared, self.db.path, &stamp, &e)
            }
            Err(e) => Err(e),
        }
    }
}

/// Whether the commit that would have made `stamp` was kept, asked on a
/// fresh connection after the one that sent COMMIT was lost (`cause`):
/// `Ok(stamp)` when it was, [`Error::Unavailable`] when it was not (nothing
/// was stored), and [`Error::Store`] when the server cannot be asked
/// within [`RESOLVE_FOR`] (the outcome is unknown, and said so).
fn resolve_commit(
    pool: &Pool,
    shared: &Shared,
    path: &Path,
    stamp: &Stamp,
    cause: &Error,
) -> Result<Stamp> {
    let err = map_err(path);
    let until = Instant::now() + RESOLVE_FOR;
    loop {
        let asked = checkout(pool, shared, path).and_then(|mut conn| {
            let out: Result<bool> = (|| {
                let mut tx = conn.client.transaction().map_err(&err)?;
                // Waits for the lost session's write lock, should that
                // session still be alive and committing: the answer is
                // then final.
                tx.batch_execute("SET LOCAL lock_timeout = '1s'")
                    .map_err(&err)?;
                tx.query_one(
                    "SELECT value FROM store_state WHERE key = 'generation' FOR SHARE",
                    &[],
                )
                .map_err(&err)?;
                let kept = tx
                    .query_opt(
                        "SELECT 1 FROM commit_log WHERE generation = $1 AND token = $2",
                        &[&stamp.generation, &stamp.token],
                    )
                    .map_err(&err)?
                    .is_some();
                tx.rollback().map_err(&err)?;
                Ok(kept)
            })();
            if matches!(&out, Err(e) if e.is_unavailable()) {
                lost(&mut conn, shared);
            }
            out
        });
        match asked {
            Ok(true) => return Ok(*stamp),
            Ok(false) => {
                return Err(Error::Unavailable {
                    path: path.to_path_buf(),
                    message: format!(
                        "{}; the connection was lost before COMMIT was answered, \
                         and the write was not kept",
                        match cause {
                            Error::Unavailable { message, .. } => message.as_str(),
                            _ => "connection lost",
                        }
                    ),
                });
            }
            Err(e) if Instant::now() >= until => {
                return Err(Error::Store {
                    path: path.to_path_buf(),
                    message: format!(
                        "the connection to the PostgreSQL server was lost while COMMIT was \
                         on its way, and whether the write was kept could not be checked \
                         ({e}); see `transmem history` (commit generation {})",
                        stamp.generation
                    ),
                });
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// PostgreSQL text cannot hold U+0000; say so instead of failing the
/// whole COPY with a server message.
fn refuse_nul(unit: &Unit) -> Result<()> {
    if unit.variants.iter().any(|v| {
        [
            Some(&v.text),
            v.markup.as_ref(),
            v.prev.as_ref(),
            v.next.as_ref(),
        ]
        .into_iter()
        .flatten()
        .any(|s| s.contains('\0'))
    }) {
        return Err(Error::InvalidUnit(
            "a NUL character (U+0000) cannot be stored in PostgreSQL".into(),
        ));
    }
    Ok(())
}

impl Steps for PgTx<'_> {
    fn parts(&mut self) -> Result<(&dyn Sql, &mut Log)> {
        self.indexed()?;
        self.send_all()?;
        Ok((&self.db, &mut self.log))
    }

    /// The batch row waits for the next message (its id was numbered
    /// under the write lock).
    fn batch_parts(&mut self) -> Result<(&dyn Sql, &mut Log)> {
        Ok((&self.script, &mut self.log))
    }

    fn read_unit(&self, id: i64) -> Result<Option<Unit>> {
        self.indexed()?;
        self.flush()?;
        sql::unit(&self.db, id)
    }

    fn storable(&self, unit: &Unit) -> Result<()> {
        refuse_nul(unit)
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
        let hash = content_hash(after);
        self.indexed()?;
        // What was queued before (a part's SAVEPOINT) goes first.
        self.send_all()?;
        {
            let mut conn = self.db.borrow()?;
            let tx = &mut conn.client;
            tx.execute(
                "UPDATE variant SET text = $3, markup = NULL, text_hash = $4
                 WHERE unit_id = $1 AND lang = $2",
                &[&id, &lang, &text, &fnv1a(text.as_bytes())],
            )
            .map_err(&err)?;
            tx.execute(
                "UPDATE unit SET content_hash = $2, changed = $3, changer = $4 WHERE id = $1",
                &[&id, &hash, &now_tmx(), &changer],
            )
            .map_err(&err)?;
        }
        self.hashes.insert(hash);
        self.texts.insert(text_key(lang, fnv1a(text.as_bytes())));
        Ok(())
    }

    /// Its variants get new ids, above every committed one, so a cache
    /// sees a rewrite.
    fn put_back(&mut self, id: i64, unit: &Unit) -> Result<()> {
        self.spoil_tap();
        self.buffer_unit(id, unit, unit.created.as_deref(), content_hash(unit));
        self.rewrote = true;
        Ok(())
    }

    fn changed(&mut self, rewrote: bool) {
        if rewrote {
            self.spoil_tap();
        }
        self.wrote = true;
        self.rewrote |= rewrote;
    }

    fn same_content(&mut self, _unit: &Unit, hash: i64) -> Result<Vec<i64>> {
        if self.empty_at_start && !self.hashes.contains(&hash) {
            return Ok(Vec::new());
        }
        self.ids_after_rows(
            "SELECT id FROM unit WHERE content_hash = ?1 ORDER BY id",
            &[Arg::Int(hash)],
        )
    }

    fn holding(&mut self, lang: &str, text: &str) -> Result<Option<i64>> {
        if self.empty_at_start && !self.texts.contains(&text_key(lang, fnv1a(text.as_bytes()))) {
            return Ok(None);
        }
        Ok(self
            .ids_after_rows(
                "SELECT unit_id FROM variant WHERE text_hash = ?1 AND lang = ?2 AND text = ?3
                 ORDER BY unit_id LIMIT 1",
                &[
                    Arg::Int(fnv1a(text.as_bytes())),
                    Arg::Text(lang),
                    Arg::Text(text),
                ],
            )?
            .first()
            .copied())
    }

    fn overwrite(&mut self, id: i64, unit: &Unit, hash: i64) -> Result<()> {
        self.spoil_tap();
        let err = map_err(self.db.path);
        self.indexed()?;
        self.send_all()?;
        {
            let mut conn = self.db.borrow()?;
            let tx = &mut conn.client;
            tx.execute("DELETE FROM variant WHERE unit_id = $1", &[&id])
                .map_err(&err)?;
            tx.execute(
                "UPDATE unit SET content_hash = $2, changed = $3, changer = $4 WHERE id = $1",
                &[
                    &id,
                    &hash,
                    &unit.changed.clone().or_else(|| Some(now_tmx())),
                    &unit.changer.clone().or(unit.creator.clone()),
                ],
            )
            .map_err(&err)?;
        }
        self.buffer_variants(id, unit);
        self.buf.get_mut().units += 1;
        self.hashes.insert(hash);
        self.rewrote = true;
        Ok(())
    }

    fn add(&mut self, unit: &Unit, hash: i64) -> Result<i64> {
        self.next_unit += 1;
        let id = self.next_unit;
        let created = unit.created.clone().unwrap_or_else(now_tmx);
        self.buffer_unit(id, unit, Some(&created), hash);
        // A batch this starts is held back like one started by the caller.
        self.log.record_new(&self.script, id)?;
        if self.buf.get_mut().units >= FLUSH_EVERY {
            if self.bulk.get() == Bulk::Ready {
                // Goes before the rows.
                self.script.sql.get_mut().push_str(DROP_INDEXES);
                self.bulk.set(Bulk::Dropped);
            }
            if self.part.is_some() {
                // An error of these rows belongs to the part.
                self.flush()?;
            } else {
                // The server stores these rows while the caller reads
                // and this buffers the next ones (a first import of 1M
                // units: the client's 4.8 s no longer add up with the
                // server's). The held-back statements go first.
                let rows = self.buf.get_mut().take();
                self.send(None)?;
                self.db.copy_behind(rows)?;
            }
        }
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgresql://bob:s3cret@db:5432/tm?options=x"),
            "postgresql://bob:***@db:5432/tm?options=x"
        );
        assert_eq!(redact("postgresql://bob@db/tm"), "postgresql://bob@db/tm");
        assert_eq!(redact("postgres://db/tm"), "postgres://db/tm");
        assert!(is_url("PostgreSQL://x") && is_url("postgres://x"));
        assert!(!is_url("memory.sqlite") && !is_url("mysql://x"));
    }

    /// A database of its own on the server `TRANSMEM_TEST_DATABASE`
    /// names (`None`, said on stderr, when unset), dropped at the end: the
    /// tests below end every session of it.
    struct OwnDb {
        admin: Client,
        url: String,
        name: String,
    }

    impl OwnDb {
        fn new(tag: &str) -> Option<OwnDb> {
            let Ok(base) = std::env::var("TRANSMEM_TEST_DATABASE") else {
                eprintln!("{tag}: not run (set TRANSMEM_TEST_DATABASE=postgresql://… to run it)");
                return None;
            };
            let name = format!("tm_pg_unit_{tag}_{}", std::process::id());
            let mut admin = Client::connect(&base, NoTls).expect("connect");
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .and_then(|()| admin.batch_execute(&format!("CREATE DATABASE {name}")))
                .expect("create database");
            let (head, query) = base.split_once('?').unwrap_or((&base, ""));
            let (server, _) = head.rsplit_once('/').expect("a URL with a database");
            let url = match query {
                "" => format!("{server}/{name}"),
                q => format!("{server}/{name}?{q}"),
            };
            Some(OwnDb { admin, url, name })
        }

        /// Ends every session of this database.
        fn kill(&mut self) {
            self.admin
                .execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                    &[&self.name],
                )
                .expect("terminate");
        }
    }

    impl Drop for OwnDb {
        fn drop(&mut self) {
            let _ = self.admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }

    fn pair(en: &str) -> Unit {
        Unit {
            variants: ["en", "ru"]
                .iter()
                .map(|l| crate::model::Variant {
                    lang: l.to_string(),
                    text: format!("{en} ({l})"),
                    ..Default::default()
                })
                .collect(),
            ..Unit::default()
        }
    }

    fn add(m: &mut Postgres, en: &str) -> Result<Stamp> {
        let mut w = m.begin()?;
        w.insert(&pair(en), None, super::super::OnDuplicate::KeepBoth)?;
        w.commit()
    }

    #[test]
    fn lost_sessions_are_replaced_and_a_lost_write_stores_nothing() {
        let Some(mut db) = OwnDb::new("lost") else {
            return;
        };
        let mut m = Postgres::open(&db.url, true).expect("open");
        let reader = m.reader().unwrap().unwrap();
        add(&mut m, "First.").expect("write");
        assert_eq!(reader.unit_count().unwrap(), 1);
        // Every pooled connection dies: a read is answered on a new one.
        db.kill();
        assert_eq!(reader.unit_count().unwrap(), 1);
        assert_eq!(m.unit_count().unwrap(), 1);
        // A write whose connection dies before COMMIT: Unavailable, and
        // nothing of it is stored.
        let mut w = m.begin().expect("begin");
        w.insert(&pair("Lost."), None, super::super::OnDuplicate::KeepBoth)
            .unwrap();
        db.kill();
        let e = w.commit().expect_err("the connection was ended");
        assert!(e.is_unavailable(), "{e:?}");
        assert_eq!(m.unit_count().unwrap(), 1);
        assert_eq!(m.batches().unwrap().len(), 1);
        // The next write goes through on a new connection.
        add(&mut m, "Second.").expect("write after the loss");
        assert_eq!(reader.unit_count().unwrap(), 2);
    }

    /// A server drops its memory handles (and so their pools) on a thread
    /// that drives its async runtime when it shuts down: that must not
    /// panic (it ended every SIGTERM of a PostgreSQL server in an abort).
    #[cfg(feature = "server")]
    #[test]
    fn a_handle_can_be_dropped_inside_an_async_runtime() {
        let Some(db) = OwnDb::new("drop") else {
            return;
        };
        let mut m = Postgres::open(&db.url, true).expect("open");
        let reader = m.reader().unwrap().unwrap();
        add(&mut m, "Dropped later.").expect("write");
        assert_eq!(reader.unit_count().unwrap(), 1);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async move {
            drop(reader);
            drop(m);
        });
    }

    #[test]
    fn a_lost_commit_is_looked_up_by_its_token() {
        let Some(db) = OwnDb::new("resolve") else {
            return;
        };
        let mut m = Postgres::open(&db.url, true).expect("open");
        let kept = add(&mut m, "Kept.").expect("write");
        let cause = Error::Unavailable {
            path: m.path.clone(),
            message: "test".into(),
        };
        // The commit with this stamp's token was kept: the write is told
        // it succeeded.
        let got = resolve_commit(&m.pool, &m.shared, &m.path, &kept, &cause).unwrap();
        assert_eq!(got, kept);
        // One that never committed (another token): nothing stored, 503.
        let never = Stamp {
            token: kept.token.wrapping_add(1),
            ..kept
        };
        let e = resolve_commit(&m.pool, &m.shared, &m.path, &never, &cause).unwrap_err();
        assert!(e.is_unavailable(), "{e:?}");
        assert!(e.to_string().contains("not kept"), "{e}");
    }

    /// Texts that SQL or COPY read specially are stored exactly, whether
    /// the rows go as `INSERT`s written in full (a few units) or by `COPY`
    /// (many), and so are the batch's command and user; the stamp a commit
    /// returns is the one the memory then shows.
    #[test]
    fn hostile_texts_round_trip_both_ways_rows_are_sent() {
        let Some(db) = OwnDb::new("hostile") else {
            return;
        };
        let mut m = Postgres::open(&db.url, true).expect("open");
        let nasty = [
            "O'Brien's ''quoted'' \\ back\\slash \\N \\x41 \\u0041 $$ $a$",
            "tab\there\nnew line\r\ncr; COMMIT; -- not a comment */ /*",
            "E'x' 'y' \\' \\\\'' ё Ж 漢字 🙂 \u{7f}",
            "",
        ];
        let unit = |i: usize| Unit {
            variants: vec![
                crate::model::Variant {
                    lang: "en".into(),
                    text: format!("{} #{i}", nasty[i % 3]),
                    markup: Some(nasty[(i + 1) % 3].into()),
                    prev: Some(nasty[3].into()),
                    next: None,
                    ..Default::default()
                },
                crate::model::Variant {
                    lang: "ru".into(),
                    text: format!("{} №{i}", nasty[(i + 2) % 3]),
                    ..Default::default()
                },
            ],
            tuid: Some(nasty[i % 3].into()),
            notes: vec![nasty[(i + 1) % 3].into()],
            ..Unit::default()
        };
        for n in [1, 3, INSERT_UP_TO + 20] {
            let before = m.unit_count().unwrap() as usize;
            let mut w = m.begin().unwrap();
            let batch = w.start_batch(nasty[0], Some(nasty[1])).unwrap();
            let mut ids = Vec::new();
            for i in before..before + n {
                match w.insert(&unit(i), None, super::super::OnDuplicate::KeepBoth) {
                    Ok(super::super::Inserted::New(id)) => ids.push((id, i)),
                    other => panic!("{other:?}"),
                }
            }
            let stamp = w.commit().unwrap();
            assert_eq!(m.stamp().unwrap(), stamp, "{n} units");
            for (id, i) in ids {
                let got = m.unit(id).unwrap().expect("stored");
                let want = unit(i);
                assert_eq!(got.variants.len(), 2);
                for (g, w) in got.variants.iter().zip(&want.variants) {
                    assert_eq!(
                        (&g.text, &g.markup, &g.prev, &g.next),
                        (&w.text, &w.markup, &w.prev, &w.next)
                    );
                }
                assert_eq!((&got.tuid, &got.notes), (&want.tuid, &want.notes));
            }
            let b = m.batches().unwrap();
            let b = b.iter().find(|b| b.id == batch).expect("its batch");
            assert_eq!(
                (b.command.as_str(), b.user.as_deref(), b.units),
                (nasty[0], Some(nasty[1]), n as u64)
            );
        }
        // A NUL is refused in a batch's command as in a text.
        let mut w = m.begin().unwrap();
        let e = w.start_batch("bad\0command", None).unwrap_err();
        assert!(matches!(e, Error::InvalidUnit(_)), "{e:?}");
        drop(w);
        // A first import: rows in binary once the indexes are dropped.
        let first = OwnDb::new("hostile_first").unwrap();
        let m = Postgres::open(&first.url, true).expect("open");
        let mut w = m.try_begin().unwrap();
        let n = 2 * FLUSH_EVERY + 10;
        for i in 0..n {
            let mut u = unit(i);
            u.usage_count = (i % 2 == 0).then_some(i as i64);
            let got = w.insert(&u, None, super::super::OnDuplicate::KeepBoth);
            assert!(matches!(got, Ok(super::super::Inserted::New(_))), "{got:?}");
        }
        assert_eq!(w.bulk.get(), Bulk::Dropped);
        w.commit().unwrap();
        for i in (0..n).step_by(89).chain([n - 1]) {
            let got = m.unit(i as i64 + 1).unwrap().expect("stored");
            let want = unit(i);
            assert_eq!(got.variants, want.variants, "unit {i}");
            assert_eq!((&got.tuid, &got.notes), (&want.tuid, &want.notes));
            assert_eq!(got.usage_count, (i % 2 == 0).then_some(i as i64));
        }
    }

    /// A server's group of writes: parts of one transaction, each its own
    /// batch. A part that fails, or is not kept (its request was
    /// cancelled), leaves nothing, also when it had sent statements (an
    /// overwrite) before; its neighbours commit, numbered without gaps.
    /// The indexes on `unit` and `variant` as `sql` (inside a write, or
    /// not) sees them.
    fn unit_indexes(sql: &dyn Sql) -> Vec<String> {
        sql::rows(
            sql,
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema()
             AND tablename IN ('unit', 'variant') ORDER BY 1",
            &[],
            |r| r.text(0),
        )
        .unwrap()
    }

    #[test]
    fn a_first_import_builds_the_indexes_once_and_a_rollback_keeps_them() {
        use super::super::{Inserted, OnDuplicate};
        let Some(db) = OwnDb::new("bulk") else {
            return;
        };
        let m = Postgres::open(&db.url, true).expect("open");
        let all = unit_indexes(&m);
        assert_eq!(all.len(), 6, "{all:?}");
        let many = |w: &mut PgTx<'_>, tag: &str, n: usize| {
            for i in 0..n {
                let got = w.insert(&pair(&format!("{tag} {i}.")), None, OnDuplicate::Skip);
                assert!(matches!(got, Ok(Inserted::New(_))), "{got:?}");
            }
        };
        // A small write into the empty memory leaves them alone.
        let mut w = m.try_begin().unwrap();
        many(&mut w, "Small", 10);
        assert_eq!(w.bulk.get(), Bulk::Ready);
        drop(w);
        // A large one drops them before its first COPY; failing half way
        // (dropped without a commit) restores them, with no unit.
        let mut w = m.try_begin().unwrap();
        many(&mut w, "Failed", FLUSH_EVERY + 10);
        assert_eq!(w.bulk.get(), Bulk::Dropped);
        let mut bad = pair("Bad.");
        bad.variants[0].text = "nul\0".into();
        let out = w.insert(&bad, None, OnDuplicate::Skip);
        assert!(matches!(out, Err(Error::InvalidUnit(_))), "{out:?}");
        assert!(unit_indexes(&w.db).is_empty());
        drop(w);
        assert_eq!(unit_indexes(&m), all);
        assert_eq!(m.unit_count().unwrap(), 0);
        // A part rolled back takes its drop with it.
        let mut w = m.try_begin().unwrap();
        w.begin_part().unwrap();
        many(&mut w, "Part", FLUSH_EVERY + 10);
        assert_eq!(w.bulk.get(), Bulk::Dropped);
        w.end_part(false).unwrap();
        assert_eq!(w.bulk.get(), Bulk::Ready);
        w.send_all().unwrap();
        assert_eq!(unit_indexes(&w.db), all);
        // A possible duplicate builds them on the spot (the server is
        // asked), and the rest of the write keeps them.
        many(&mut w, "Big", 2 * FLUSH_EVERY + 10);
        assert_eq!(w.bulk.get(), Bulk::Dropped);
        let again = w.insert(&pair("Big 7."), None, OnDuplicate::Skip);
        assert!(matches!(again, Ok(Inserted::Duplicate(8))), "{again:?}");
        assert_eq!(w.bulk.get(), Bulk::Off);
        assert_eq!(unit_indexes(&w.db), all);
        many(&mut w, "More", FLUSH_EVERY + 10);
        assert_eq!(w.bulk.get(), Bulk::Off);
        w.commit().unwrap();
        assert_eq!(unit_indexes(&m), all);
        assert_eq!(m.unit_count().unwrap(), 3 * FLUSH_EVERY as u64 + 20);
        // A first import that commits builds them at COMMIT.
        let other = OwnDb::new("bulk2").unwrap();
        let m = Postgres::open(&other.url, true).expect("open");
        let mut w = m.try_begin().unwrap();
        many(&mut w, "All", 2 * FLUSH_EVERY + 10);
        assert_eq!(w.bulk.get(), Bulk::Dropped);
        w.commit().unwrap();
        assert_eq!(unit_indexes(&m), all);
        assert_eq!(m.unit_count().unwrap(), 2 * FLUSH_EVERY as u64 + 10);
        let u = m.unit(FLUSH_EVERY as i64 + 3).unwrap().expect("stored");
        assert_eq!(u.variants[0].text, format!("All {}. (en)", FLUSH_EVERY + 2));
    }

    #[test]
    fn parts_commit_together_and_roll_back_alone() {
        use super::super::{Inserted, OnDuplicate, Writer};
        let Some(db) = OwnDb::new("parts") else {
            return;
        };
        let mut mem = super::super::Memory::with_backend(Box::new(
            Postgres::open(&db.url, true).expect("open"),
        ));
        let mut w = mem.writer().unwrap();
        let first = w.insert(&pair("Kept."), None, OnDuplicate::KeepBoth);
        assert!(matches!(first, Ok(Inserted::New(1))), "{first:?}");
        w.commit().unwrap();
        let generation = mem.stamp().unwrap().generation;
        let mut w = mem.writer().unwrap();
        assert!(w.has_parts());
        let one = |w: &mut Writer<'_>, en: &str, policy| {
            w.start_batch(&format!("part {en}"), Some("tester"))?;
            w.insert(&pair(en), None, policy)
        };
        let a = w.part(|w| one(w, "A.", OnDuplicate::KeepBoth), || true);
        // Sent an UPDATE of unit 1 (an overwrite), then cancelled.
        let cancelled = w.part(
            |w| {
                let mut u = pair("Kept.");
                u.variants[1].text = "Overwritten.".into();
                w.start_batch("part overwrite", None)?;
                w.insert(&u, None, OnDuplicate::Overwrite)
            },
            || false,
        );
        let failed = w.part(
            |w| {
                one(w, "B.", OnDuplicate::KeepBoth)?;
                Err::<Inserted, _>(Error::Invalid("the request failed".into()))
            },
            || true,
        );
        // Sees A (sent with its own probe), not B.
        let skipped = w.part(|w| one(w, "A.", OnDuplicate::Skip), || true);
        let c = w.part(|w| one(w, "C.", OnDuplicate::KeepBoth), || true);
        w.commit().unwrap();
        assert!(matches!(a, Ok(Ok(Inserted::New(2)))), "{a:?}");
        assert!(
            matches!(cancelled, Ok(Err(Error::Cancelled))),
            "{cancelled:?}"
        );
        assert!(matches!(failed, Ok(Err(Error::Invalid(_)))), "{failed:?}");
        assert!(
            matches!(skipped, Ok(Ok(Inserted::Duplicate(2)))),
            "{skipped:?}"
        );
        assert!(matches!(c, Ok(Ok(Inserted::New(3)))), "{c:?}");
        assert_eq!(
            mem.stamp().unwrap().generation,
            generation + 1,
            "one commit"
        );
        assert_eq!(mem.unit_count().unwrap(), 3);
        assert_eq!(
            mem.unit(1).unwrap().unwrap().variants[1].text,
            "Kept. (ru)",
            "the cancelled overwrite was rolled back"
        );
        let texts: Vec<String> = (1..=3)
            .map(|id| mem.unit(id).unwrap().unwrap().variants[0].text.clone())
            .collect();
        assert_eq!(texts, ["Kept. (en)", "A. (en)", "C. (en)"]);
        let batches: Vec<(i64, String, u64)> = mem
            .batches()
            .unwrap()
            .into_iter()
            .map(|b| (b.id, b.command, b.units))
            .collect();
        assert_eq!(
            batches,
            [
                (1, "write".to_string(), 1),
                (2, "part A.".to_string(), 1),
                (3, "part C.".to_string(), 1)
            ]
        );
    }

    #[test]
    fn copy_rows_escape_what_copy_text_format_reads_specially() {
        let mut row = String::new();
        copy_row(&mut row, &[Some("a\tb\nc\\N\rd"), None, Some("")]);
        assert_eq!(row, "a\\tb\\nc\\\\N\\rd\t\\N\t\n");
    }
}
