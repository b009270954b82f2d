//! What the two SQL engines (`sqlite.rs`, `postgres.rs`) share, written
//! once over a small interface ([`Sql`]: run a statement, stream a query,
//! say the dialect), so that each engine keeps only what differs: its
//! connection, its SQL dialect, and its fast paths (SQLite's bulk import,
//! PostgreSQL's `COPY`).
//!
//! Shared SQL numbers its parameters `?1`, `?2`, …: SQLite reads that
//! form itself and PostgreSQL's engine rewrites it to `$1`, `$2`, ….
//! Where the two dialects really differ (a column PostgreSQL reserves the
//! name of, SQLite's `rowid` for a variant's id) the text is taken from
//! [`Dialect`].
//!
//! Shared here: units read back from rows, the write-batch bookkeeping
//! (`history` and `undo`: [`Log`]), edit, delete, put and undo over a
//! transaction's engine-specific [`Steps`], and the reads that are the same
//! statement on both (batches, tokens, stats, `since`, a variant by id).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{
    Batch, Edited, Found, Inserted, OnDuplicate, Pair, Since, Stamp, Stats, Token, Undone, Unit,
    Variant, content_hash,
};
use crate::error::{Error, Result};

/// A value bound to a statement's parameter.
#[derive(Debug, Clone, Copy)]
pub(super) enum Arg<'a> {
    /// A 64-bit integer.
    Int(i64),
    /// A text.
    Text(&'a str),
    /// A text or NULL.
    OptText(Option<&'a str>),
}

/// One row of a result, read by column (from 0). A value of another type
/// than asked for is [`Error::Corrupt`] (rows this store did not write).
pub(super) trait Row {
    /// An integer column.
    fn int(&self, i: usize) -> Result<i64>;
    /// An integer column that may be NULL.
    fn opt_int(&self, i: usize) -> Result<Option<i64>>;
    /// A text column.
    fn text(&self, i: usize) -> Result<String>;
    /// A text column that may be NULL.
    fn opt_text(&self, i: usize) -> Result<Option<String>>;
}

/// Where the engines' SQL differs in the statements shared here.
#[derive(Debug)]
pub(super) struct Dialect {
    /// The column of `batch` naming who ran it (`user` is reserved in
    /// PostgreSQL).
    pub user: &'static str,
    /// A variant's id column (SQLite uses the table's `rowid`).
    pub variant_id: &'static str,
    /// The condition "variant `v` has primary language `param`" (SQLite's
    /// version-4 files keep no primary language column).
    pub primary_is: fn(v: &str, param: &str) -> String,
}

/// SQLite's dialect.
pub(super) const SQLITE: Dialect = Dialect {
    user: "user",
    variant_id: "rowid",
    primary_is: |v, p| format!("({v}.lang = {p} OR {v}.lang LIKE {p} || '-%')"),
};

/// PostgreSQL's dialect.
pub(super) const POSTGRES: Dialect = Dialect {
    user: "user_name",
    variant_id: "id",
    primary_is: |v, p| format!("{v}.primary_lang = {p}"),
};

/// An engine's connection (or open transaction), as the shared logic uses
/// it.
pub(super) trait Sql {
    /// Where the memory lives, for messages.
    fn path(&self) -> &Path;
    /// The engine's dialect.
    fn dialect(&self) -> &'static Dialect;
    /// Runs one statement; the number of rows it changed.
    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64>;
    /// Runs a query and calls `f` on each row as it arrives (one
    /// statement, one snapshot).
    fn query(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        f: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()>;
}

/// The rows of a query, collected by `read`.
pub(super) fn rows<T>(
    db: &dyn Sql,
    sql: &str,
    args: &[Arg<'_>],
    mut read: impl FnMut(&dyn Row) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    db.query(sql, args, &mut |r| {
        out.push(read(r)?);
        Ok(())
    })?;
    Ok(out)
}

/// A metadata list as its JSON column holds it (`NULL` when empty).
pub(super) fn to_json<T: Serialize>(v: &[T]) -> Option<String> {
    if v.is_empty() {
        None
    } else {
        serde_json::to_string(v).ok()
    }
}

/// Metadata columns hold JSON this store wrote; anything else is damage,
/// reported rather than dropped.
pub(super) fn from_json<T: for<'de> Deserialize<'de>>(
    path: &Path,
    unit: i64,
    s: Option<String>,
) -> Result<Vec<T>> {
    match s {
        None => Ok(Vec::new()),
        Some(s) => serde_json::from_str(&s).map_err(|e| Error::Corrupt {
            path: path.to_path_buf(),
            what: format!("unit {unit}: {e}"),
        }),
    }
}

/// The columns [`Units`] reads: a unit's, then one of its variants'.
pub(super) const UNIT_COLUMNS: &str =
    "u.id, u.tuid, u.origin, u.created, u.creator, u.changed, u.changer,
     u.usage_count, u.attrs, u.props, u.notes,
     v.lang, v.text, v.markup, v.prev, v.next, v.props, v.notes";

/// Rows of [`UNIT_COLUMNS`] (plus the variant's id as column 18), ordered
/// by unit id, put together into units. Each unit's variants come out in
/// id order (insertion order), whatever order the rows had within the unit:
/// asking SQLite to sort the join by variant too made it sort the whole
/// join in a temporary B-tree (3x slower export at 1M units).
#[derive(Default)]
pub(super) struct Units {
    current: Option<Unit>,
    order: Vec<i64>,
}

impl Units {
    /// Adds one row; calls `f` on the unit before it when this row starts
    /// another.
    pub fn push(
        &mut self,
        path: &Path,
        r: &dyn Row,
        f: &mut dyn FnMut(Unit) -> Result<()>,
    ) -> Result<()> {
        let id = r.int(0)?;
        if self.current.as_ref().is_some_and(|u| u.id != Some(id)) {
            self.emit(f)?;
        }
        if self.current.is_none() {
            self.current = Some(Unit {
                id: Some(id),
                variants: Vec::new(),
                tuid: r.opt_text(1)?,
                origin: r.opt_text(2)?,
                created: r.opt_text(3)?,
                creator: r.opt_text(4)?,
                changed: r.opt_text(5)?,
                changer: r.opt_text(6)?,
                usage_count: r.opt_int(7)?,
                attrs: from_json(path, id, r.opt_text(8)?)?,
                props: from_json(path, id, r.opt_text(9)?)?,
                notes: from_json(path, id, r.opt_text(10)?)?,
            });
        }
        if let Some(u) = self.current.as_mut() {
            u.variants.push(Variant {
                lang: r.text(11)?,
                text: r.text(12)?,
                markup: r.opt_text(13)?,
                prev: r.opt_text(14)?,
                next: r.opt_text(15)?,
                props: from_json(path, id, r.opt_text(16)?)?,
                notes: from_json(path, id, r.opt_text(17)?)?,
            });
            self.order.push(r.int(18)?);
        }
        Ok(())
    }

    /// Calls `f` on the last unit, if any.
    pub fn finish(mut self, f: &mut dyn FnMut(Unit) -> Result<()>) -> Result<()> {
        self.emit(f)
    }

    fn emit(&mut self, f: &mut dyn FnMut(Unit) -> Result<()>) -> Result<()> {
        let Some(mut u) = self.current.take() else {
            return Ok(());
        };
        if !self.order.is_sorted() {
            let mut keyed: Vec<(i64, Variant)> =
                self.order.drain(..).zip(u.variants.drain(..)).collect();
            keyed.sort_by_key(|(k, _)| *k);
            u.variants = keyed.into_iter().map(|(_, v)| v).collect();
        }
        self.order.clear();
        f(u)
    }
}

/// The `SELECT` of the units that `filter` (SQL after the join of `unit u`
/// and `variant v`) selects, for [`Units`].
pub(super) fn units_sql(d: &Dialect, filter: &str) -> String {
    format!(
        "SELECT {UNIT_COLUMNS}, v.{vid} FROM unit u JOIN variant v ON v.unit_id = u.id {filter}
         ORDER BY u.id",
        vid = d.variant_id
    )
}

/// Streams the units that `filter` selects, in id order.
pub(super) fn units_where(
    db: &dyn Sql,
    filter: &str,
    args: &[Arg<'_>],
    f: &mut dyn FnMut(Unit) -> Result<()>,
) -> Result<()> {
    let mut units = Units::default();
    let path = db.path();
    db.query(&units_sql(db.dialect(), filter), args, &mut |r| {
        units.push(path, r, f)
    })?;
    units.finish(f)
}

/// The unit with this id.
pub(super) fn unit(db: &dyn Sql, id: i64) -> Result<Option<Unit>> {
    let mut out = None;
    units_where(db, "WHERE u.id = ?1", &[Arg::Int(id)], &mut |u| {
        out = Some(u);
        Ok(())
    })?;
    Ok(out)
}

/// The result of a one-row query of one integer (a count).
pub(super) fn count(db: &dyn Sql, sql: &str) -> Result<u64> {
    let n = rows(db, sql, &[], |r| r.int(0))?;
    Ok(n.first().copied().unwrap_or(0) as u64)
}

/// Variant `variant` with its unit's id and origin.
pub(super) fn variant(db: &dyn Sql, variant: i64) -> Result<Option<Found>> {
    let sql = format!(
        "SELECT v.unit_id, v.lang, v.text, u.origin FROM variant v
         JOIN unit u ON u.id = v.unit_id WHERE v.{} = ?1",
        db.dialect().variant_id
    );
    Ok(rows(db, &sql, &[Arg::Int(variant)], |r| {
        Ok(Found {
            unit_id: r.int(0)?,
            lang: r.text(1)?,
            text: r.text(2)?,
            origin: r.opt_text(3)?,
        })
    })?
    .into_iter()
    .next())
}

/// Counts per language pair, language and origin; `languages` is the
/// `(lang, count)` query (SQLite keeps a table of counts).
pub(super) fn stats(db: &dyn Sql, languages: &str) -> Result<Stats> {
    let mut st = Stats {
        units: count(db, "SELECT count(*) FROM unit")?,
        ..Stats::default()
    };
    let q = |sql: &str, into: &mut BTreeMap<String, u64>| -> Result<()> {
        db.query(sql, &[], &mut |r| {
            let k = r.opt_text(0)?;
            into.insert(k.unwrap_or_else(|| "(none)".into()), r.int(1)? as u64);
            Ok(())
        })
    };
    q(
        "SELECT a.lang || ' / ' || b.lang, count(DISTINCT a.unit_id) FROM variant a
         JOIN variant b ON a.unit_id = b.unit_id AND a.lang < b.lang GROUP BY 1",
        &mut st.pairs,
    )?;
    q(languages, &mut st.languages)?;
    q(
        "SELECT origin, count(*) FROM unit GROUP BY origin",
        &mut st.origins,
    )?;
    Ok(st)
}

/// How the content at `now` differs from `old` (see [`super::Backend::since`]).
pub(super) fn since(db: &dyn Sql, old: &Stamp, now: &Stamp) -> Result<Since> {
    if old == now {
        return Ok(Since::Same);
    }
    if old.instance != now.instance
        || old.generation > now.generation
        || old.variants > now.variants
    {
        return Ok(Since::Rewritten);
    }
    // The old state must be in this memory's history (same token at its
    // generation: not a copy's or a restored backup's), and every commit
    // after it up to `now` must be logged and append-only.
    let found = rows(
        db,
        "SELECT (SELECT token FROM commit_log WHERE generation = ?1),
                count(*), count(CASE WHEN rewrote THEN 1 END)
         FROM commit_log WHERE generation > ?1 AND generation <= ?2",
        &[Arg::Int(old.generation), Arg::Int(now.generation)],
        |r| Ok((r.opt_int(0)?, r.int(1)?, r.int(2)?)),
    )?;
    let Some(&(token, later, rewrites)) = found.first() else {
        return Ok(Since::Rewritten);
    };
    Ok(
        if token == Some(old.token) && later == now.generation - old.generation && rewrites == 0 {
            Since::Appended
        } else {
            Since::Rewritten
        },
    )
}

/// Every recorded write batch, oldest first.
pub(super) fn batches(db: &dyn Sql) -> Result<Vec<Batch>> {
    let sql = format!(
        "SELECT b.id, b.time, b.command, b.{}, b.counts, b.undone_by, b.undoes,
                (SELECT count(*) FROM batch_unit x WHERE x.batch = b.id)
                + CAST((SELECT coalesce(sum(last_id - first_id + 1), 0)
                        FROM batch_new n WHERE n.batch = b.id) AS bigint)
         FROM batch b ORDER BY b.id",
        db.dialect().user
    );
    let path = db.path();
    rows(db, &sql, &[], |r| {
        let id = r.int(0)?;
        let counts = match r.opt_text(4)? {
            None => BTreeMap::new(),
            Some(c) => serde_json::from_str(&c).map_err(|e| Error::Corrupt {
                path: path.to_path_buf(),
                what: format!("batch {id}: {e}"),
            })?,
        };
        Ok(Batch {
            id,
            time: r.text(1)?,
            command: r.text(2)?,
            user: r.opt_text(3)?,
            counts,
            undone_by: r.opt_int(5)?,
            undoes: r.opt_int(6)?,
            units: r.int(7)? as u64,
        })
    })
}

/// The API tokens that `filter` (a `WHERE` on `api_token`, or nothing)
/// selects, by id.
pub(super) fn tokens(db: &dyn Sql, filter: &str, args: &[Arg<'_>]) -> Result<Vec<Token>> {
    rows(
        db,
        &format!("SELECT id, hash, role, name, created FROM api_token {filter} ORDER BY id"),
        args,
        |r| {
            Ok(Token {
                id: r.int(0)?,
                hash: r.text(1)?,
                role: r.text(2)?,
                name: r.opt_text(3)?,
                created: r.text(4)?,
            })
        },
    )
}

/// The write batch of one transaction, as `history` lists it and `undo`
/// reverts it: the same bookkeeping on every engine.
#[derive(Debug, Default)]
pub(super) struct Log {
    /// The batch this transaction's changes are recorded in.
    batch: Option<i64>,
    /// Counts shown with the batch.
    counts: BTreeMap<String, u64>,
    /// Units recorded in the batch so far.
    touched: u64,
    /// Ids of the units this transaction created, as inclusive runs.
    created: Vec<(i64, i64)>,
    /// The id the next new batch gets, when the engine read the highest
    /// one under the write lock already (see [`Log::number_from`]).
    next: Option<i64>,
}

impl Log {
    /// See [`super::WriteTx::start_batch`]. A batch id is the highest so
    /// far plus one, taken under the write lock, so ids ascend in commit
    /// order without gaps (users type them from `history`).
    pub fn start_batch(&mut self, db: &dyn Sql, command: &str, user: Option<&str>) -> Result<i64> {
        let user_col = db.dialect().user;
        if let Some(b) = self.batch {
            db.execute(
                &format!("UPDATE batch SET command = ?2, {user_col} = ?3 WHERE id = ?1"),
                &[Arg::Int(b), Arg::Text(command), Arg::OptText(user)],
            )?;
            return Ok(b);
        }
        if let Some(b) = self.next {
            // The id is known: one statement that answers nothing, which
            // an engine may send later with others.
            db.execute(
                &format!(
                    "INSERT INTO batch (id, time, command, {user_col}) VALUES (?1, ?2, ?3, ?4)"
                ),
                &[
                    Arg::Int(b),
                    Arg::Text(&super::now_tmx()),
                    Arg::Text(command),
                    Arg::OptText(user),
                ],
            )?;
            self.batch = Some(b);
            self.next = Some(b + 1);
            return Ok(b);
        }
        let ids = rows(
            db,
            &format!(
                "INSERT INTO batch (id, time, command, {user_col})
                 SELECT coalesce(max(id), 0) + 1, ?1, ?2, ?3 FROM batch RETURNING id"
            ),
            &[
                Arg::Text(&super::now_tmx()),
                Arg::Text(command),
                Arg::OptText(user),
            ],
            |r| r.int(0),
        )?;
        let b = ids.first().copied().ok_or_else(|| Error::Store {
            path: db.path().to_path_buf(),
            message: "a new batch got no id".into(),
        })?;
        self.batch = Some(b);
        Ok(b)
    }

    /// Numbers new batches from `next` (the highest batch id plus one,
    /// read under the write lock) instead of asking the store for it.
    pub fn number_from(&mut self, next: i64) {
        self.next = Some(next);
    }

    /// A new log, for the next batch of the same transaction, numbered
    /// on from this one (see [`Log::number_from`]).
    pub fn next_log(&self) -> Log {
        Log {
            // A batch that changed nothing is removed at finish: its id
            // is free again.
            next: match self.batch {
                Some(b) if self.touched == 0 => Some(b),
                _ => self.next,
            },
            ..Log::default()
        }
    }

    /// The batch's id, once it recorded a change.
    pub fn batch_id(&self) -> Option<i64> {
        self.batch.filter(|_| self.touched > 0)
    }

    /// Adds `n` to the count `key` shown with the batch.
    pub fn count(&mut self, key: &str, n: u64) {
        // No new String per call where the key is there already: an
        // import counts every unit.
        match self.counts.get_mut(key) {
            Some(c) => *c += n,
            None => {
                self.counts.insert(key.to_string(), n);
            }
        }
    }

    /// Records unit `id` in the batch (starting one named `write` if the
    /// command did not), with its state before the first change: `None`
    /// when the batch created it.
    pub fn record(
        &mut self,
        db: &dyn Sql,
        id: i64,
        kind: &str,
        before: Option<&Unit>,
    ) -> Result<()> {
        self.count(kind, 1);
        if self.created.iter().any(|&(a, b)| (a..=b).contains(&id)) {
            // Created by this batch: undo removes it whatever happened since.
            return Ok(());
        }
        let batch = match self.batch {
            Some(b) => b,
            None => self.start_batch(db, "write", None)?,
        };
        let before = match before {
            Some(u) => Some(serde_json::to_string(u).map_err(|e| Error::Store {
                path: db.path().to_path_buf(),
                message: format!("unit {id}: {e}"),
            })?),
            None => None,
        };
        self.touched += db.execute(
            "INSERT INTO batch_unit (batch, unit_id, kind, before) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
            &[
                Arg::Int(batch),
                Arg::Int(id),
                Arg::Text(kind),
                Arg::OptText(before.as_deref()),
            ],
        )?;
        Ok(())
    }

    /// Records a unit this transaction created (extends the last id run).
    pub fn record_new(&mut self, db: &dyn Sql, id: i64) -> Result<()> {
        if self.batch.is_none() {
            self.start_batch(db, "write", None)?;
        }
        self.count("inserted", 1);
        match self.created.last_mut() {
            Some((_, last)) if *last + 1 == id => *last = id,
            _ => self.created.push((id, id)),
        }
        self.touched += 1;
        Ok(())
    }

    /// At commit: stores the ranges of new units and the counts, or
    /// removes the batch if it changed nothing.
    pub fn finish(&self, db: &dyn Sql) -> Result<()> {
        let Some(b) = self.batch else {
            return Ok(());
        };
        for &(first, last) in &self.created {
            db.execute(
                "INSERT INTO batch_new (batch, first_id, last_id) VALUES (?1, ?2, ?3)",
                &[Arg::Int(b), Arg::Int(first), Arg::Int(last)],
            )?;
        }
        if self.touched == 0 {
            // Nothing changed: no batch to list or undo.
            db.execute("DELETE FROM batch WHERE id = ?1", &[Arg::Int(b)])?;
        } else {
            let counts = serde_json::to_string(&self.counts).ok();
            db.execute(
                "UPDATE batch SET time = ?2, counts = ?3 WHERE id = ?1",
                &[
                    Arg::Int(b),
                    Arg::Text(&super::now_tmx()),
                    Arg::OptText(counts.as_deref()),
                ],
            )?;
        }
        Ok(())
    }

    /// Marks the batch as having changed something even where no unit was
    /// recorded (an undo of units already gone).
    fn touch(&mut self) {
        self.touched = self.touched.max(1);
    }
}

/// The engine-specific steps of a write transaction that [`edit`],
/// [`delete`], [`put`] and [`undo`] are built from.
pub(super) trait Steps {
    /// The transaction's connection, with everything this transaction
    /// wrote visible to it (buffered rows sent), and its batch log.
    fn parts(&mut self) -> Result<(&dyn Sql, &mut Log)>;
    /// Where [`Log::start_batch`] writes: [`Steps::parts`] unless the
    /// engine holds its statements back to send them with later ones.
    fn batch_parts(&mut self) -> Result<(&dyn Sql, &mut Log)> {
        self.parts()
    }
    /// The unit with this id, as this transaction sees it.
    fn read_unit(&self, id: i64) -> Result<Option<Unit>>;
    /// Refuses a unit the engine cannot store (PostgreSQL: a NUL
    /// character).
    fn storable(&self, unit: &Unit) -> Result<()> {
        let _ = unit;
        Ok(())
    }
    /// Stores `text` as unit `id`'s variant of language `lang`, dropping
    /// its markup, and marks the unit changed by `changer`; `after` is the
    /// unit as it now is.
    fn set_text(
        &mut self,
        id: i64,
        lang: &str,
        text: &str,
        after: &Unit,
        changer: Option<&str>,
    ) -> Result<()>;
    /// Writes `unit` back under id `id` exactly as given (no defaults
    /// filled in); the unit row is not there.
    fn put_back(&mut self, id: i64, unit: &Unit) -> Result<()>;
    /// Notes that something was written, and with `rewrote` that variants
    /// were removed or replaced (for the [`Stamp`]).
    fn changed(&mut self, rewrote: bool);
    /// The hash [`insert`] finds exact duplicates of `unit` by (and passes
    /// to [`Steps::same_content`], [`Steps::overwrite`], [`Steps::add`]).
    fn content_hash(&self, unit: &Unit) -> i64 {
        content_hash(unit)
    }
    /// The stored units that may hold exactly `unit`'s variants (its
    /// content hash is `hash`), for [`insert`] to compare.
    fn same_content(&mut self, unit: &Unit, hash: i64) -> Result<Vec<i64>>;
    /// A stored unit with a variant of language `lang` and exactly `text`.
    fn holding(&mut self, lang: &str, text: &str) -> Result<Option<i64>>;
    /// Replaces stored unit `id`'s variants by `unit`'s and marks it
    /// changed (already recorded).
    fn overwrite(&mut self, id: i64, unit: &Unit, hash: i64) -> Result<()>;
    /// Stores `unit` as a new unit, recorded in the log as new; its id.
    fn add(&mut self, unit: &Unit, hash: i64) -> Result<i64>;
}

/// Whether stored unit `id` has exactly `unit`'s variants (language, text
/// and markup), in any order.
pub(super) fn same_variants(db: &dyn Sql, id: i64, unit: &Unit) -> Result<bool> {
    let mut stored = rows(
        db,
        "SELECT lang, text, markup FROM variant WHERE unit_id = ?1",
        &[Arg::Int(id)],
        |r| Ok((r.text(0)?, r.text(1)?, r.opt_text(2)?)),
    )?;
    if stored.len() != unit.variants.len() {
        return Ok(false);
    }
    let mut new: Vec<(&str, &str, Option<&str>)> = unit
        .variants
        .iter()
        .map(|v| (v.lang.as_str(), v.text.as_str(), v.markup.as_deref()))
        .collect();
    stored.sort();
    new.sort();
    Ok(stored
        .iter()
        .zip(&new)
        .all(|(s, n)| (s.0.as_str(), s.1.as_str(), s.2.as_deref()) == *n))
}

/// See [`super::WriteTx::insert`].
pub(super) fn insert<T: Steps + ?Sized>(
    t: &mut T,
    unit: &Unit,
    source_lang: Option<&str>,
    policy: OnDuplicate,
) -> Result<Inserted> {
    unit.validate()?;
    t.storable(unit)?;
    let hash = t.content_hash(unit);
    // Exact duplicate: same variants, whatever the metadata.
    for id in t.same_content(unit, hash)? {
        let (db, _) = t.parts()?;
        if same_variants(db, id, unit)? {
            return Ok(Inserted::Duplicate(id));
        }
    }
    if policy != OnDuplicate::KeepBoth {
        let src = source_lang
            .and_then(|l| unit.variants.iter().find(|v| v.lang == l))
            .unwrap_or(&unit.variants[0]);
        if let Some(id) = t.holding(&src.lang, &src.text)? {
            if policy == OnDuplicate::Skip {
                return Ok(Inserted::Skipped(id));
            }
            let before = t.read_unit(id)?;
            record(t, id, "overwritten", before.as_ref())?;
            t.overwrite(id, unit, hash)?;
            return Ok(Inserted::Overwritten(id));
        }
    }
    Ok(Inserted::New(t.add(unit, hash)?))
}

/// One pair per unit serving `from` → `to`: the first variant on each
/// side that serves (see [`super::Backend::for_each_pair`]).
pub(super) fn pairs(
    db: &dyn Sql,
    from: &str,
    to: &str,
    f: &mut dyn FnMut(Pair) -> Result<()>,
) -> Result<()> {
    let d = db.dialect();
    let sql = format!(
        "SELECT s.unit_id, s.lang, s.text, s.markup, s.prev, s.next, t.lang, t.text, u.origin
         FROM variant s JOIN variant t ON t.unit_id = s.unit_id AND t.{id} <> s.{id}
         JOIN unit u ON u.id = s.unit_id
         WHERE {source} AND {target}
         ORDER BY s.unit_id, s.{id}, t.{id}",
        id = d.variant_id,
        source = (d.primary_is)("s", "?1"),
        target = (d.primary_is)("t", "?2"),
    );
    let args = [
        Arg::Text(crate::lang::primary(from)),
        Arg::Text(crate::lang::primary(to)),
    ];
    let mut last_unit = None;
    db.query(&sql, &args, &mut |r| {
        let unit_id = r.int(0)?;
        if last_unit == Some(unit_id)
            || !crate::lang::serves(from, &r.text(1)?)
            || !crate::lang::serves(to, &r.text(6)?)
        {
            return Ok(());
        }
        last_unit = Some(unit_id);
        f(Pair {
            unit_id,
            source: r.text(2)?,
            source_markup: r.opt_text(3)?,
            prev: r.opt_text(4)?,
            next: r.opt_text(5)?,
            target: r.text(7)?,
            origin: r.opt_text(8)?,
        })
    })
}

fn record<T: Steps + ?Sized>(t: &mut T, id: i64, kind: &str, before: Option<&Unit>) -> Result<()> {
    let (db, log) = t.parts()?;
    log.record(db, id, kind, before)
}

/// Removes units `first..=last` with their variants (already recorded).
fn remove<T: Steps + ?Sized>(t: &mut T, first: i64, last: i64) -> Result<()> {
    let (db, _) = t.parts()?;
    db.execute(
        "DELETE FROM variant WHERE unit_id BETWEEN ?1 AND ?2",
        &[Arg::Int(first), Arg::Int(last)],
    )?;
    db.execute(
        "DELETE FROM unit WHERE id BETWEEN ?1 AND ?2",
        &[Arg::Int(first), Arg::Int(last)],
    )?;
    t.changed(true);
    Ok(())
}

/// See [`super::WriteTx::edit`].
pub(super) fn edit<T: Steps + ?Sized>(
    t: &mut T,
    id: i64,
    lang: &str,
    text: &str,
    changer: Option<&str>,
) -> Result<Edited> {
    let Some(before) = t.read_unit(id)? else {
        return Ok(Edited::NoUnit);
    };
    let Some(pos) = before.variants.iter().position(|v| v.lang == lang) else {
        return Ok(Edited::NoVariant);
    };
    let old = before.variants[pos].text.clone();
    if old == text {
        return Ok(Edited::Unchanged);
    }
    let mut after = before.clone();
    after.variants[pos].text = text.to_string();
    after.variants[pos].markup = None;
    t.storable(&after)?;
    record(t, id, "edited", Some(&before))?;
    t.set_text(id, lang, text, &after, changer)?;
    t.changed(true);
    Ok(Edited::Changed(old))
}

/// See [`super::WriteTx::delete`].
pub(super) fn delete<T: Steps + ?Sized>(t: &mut T, id: i64) -> Result<bool> {
    let Some(before) = t.read_unit(id)? else {
        return Ok(false);
    };
    record(t, id, "deleted", Some(&before))?;
    remove(t, id, id)?;
    Ok(true)
}

/// See [`super::WriteTx::put`].
pub(super) fn put<T: Steps + ?Sized>(t: &mut T, id: i64, unit: &Unit) -> Result<bool> {
    unit.validate()?;
    t.storable(unit)?;
    let Some(before) = t.read_unit(id)? else {
        return Ok(false);
    };
    record(t, id, "replaced", Some(&before))?;
    remove(t, id, id)?;
    t.put_back(id, unit)?;
    Ok(true)
}

/// See [`super::WriteTx::undo`].
pub(super) fn undo<T: Steps + ?Sized>(t: &mut T, batch: i64, force: bool) -> Result<Undone> {
    let (db, log) = t.parts()?;
    let found = rows(
        db,
        "SELECT undone_by FROM batch WHERE id = ?1",
        &[Arg::Int(batch)],
        |r| r.opt_int(0),
    )?;
    let Some(&undone_by) = found.first() else {
        return Err(Error::Invalid(format!(
            "there is no batch {batch} in {}",
            db.path().display()
        )));
    };
    if let Some(by) = undone_by {
        return Err(Error::Invalid(format!(
            "batch {batch} was already undone by batch {by}"
        )));
    }
    let current = match log.batch {
        Some(b) => b,
        None => log.start_batch(db, &format!("undo {batch}"), None)?,
    };
    // A later batch that changed one of the same units, and was not itself
    // undone (nor is an undo of a batch after this one, which put those
    // units back), would be overwritten silently.
    let conflicts: Vec<i64> = rows(
        db,
        "SELECT DISTINCT y.batch FROM batch_unit y
         JOIN batch b ON b.id = y.batch
         WHERE y.batch > ?1 AND y.batch <> ?2 AND b.undone_by IS NULL
           AND NOT (b.undoes IS NOT NULL AND b.undoes > ?1)
           AND (y.unit_id IN (SELECT unit_id FROM batch_unit WHERE batch = ?1)
                OR EXISTS (SELECT 1 FROM batch_new n WHERE n.batch = ?1
                           AND y.unit_id BETWEEN n.first_id AND n.last_id))
         UNION
         -- a later batch that created a unit under the id of one this batch
         -- deleted (SQLite reuses the highest id; PostgreSQL's id counter
         -- only grows, so there it finds nothing)
         SELECT n.batch FROM batch_new n
         JOIN batch b ON b.id = n.batch
         WHERE n.batch > ?1 AND n.batch <> ?2 AND b.undone_by IS NULL
           AND NOT (b.undoes IS NOT NULL AND b.undoes > ?1)
           AND EXISTS (SELECT 1 FROM batch_unit x WHERE x.batch = ?1
                       AND x.unit_id BETWEEN n.first_id AND n.last_id)
         ORDER BY 1",
        &[Arg::Int(batch), Arg::Int(current)],
        |r| r.int(0),
    )?;
    if !conflicts.is_empty() && !force {
        let list: Vec<String> = conflicts.iter().map(|b| b.to_string()).collect();
        return Err(Error::Invalid(format!(
            "cannot undo batch {batch}: later batch{} {} changed some of its units again; \
             undo {} first, or force the undo (their changes to those units are then lost, \
             though the undo itself can be undone)",
            if conflicts.len() == 1 { "" } else { "es" },
            list.join(", "),
            if conflicts.len() == 1 { "it" } else { "them" },
        )));
    }
    let ranges = rows(
        db,
        "SELECT first_id, last_id FROM batch_new WHERE batch = ?1 ORDER BY first_id",
        &[Arg::Int(batch)],
        |r| Ok((r.int(0)?, r.int(1)?)),
    )?;
    let changed = rows(
        db,
        "SELECT unit_id, before FROM batch_unit WHERE batch = ?1 ORDER BY unit_id",
        &[Arg::Int(batch)],
        |r| Ok((r.int(0)?, r.opt_text(1)?)),
    )?;
    let path = db.path().to_path_buf();
    let mut done = Undone {
        conflicts,
        ..Undone::default()
    };
    for (id, before) in changed {
        let before: Option<Unit> = match before {
            None => None,
            Some(j) => Some(serde_json::from_str(&j).map_err(|e| Error::Corrupt {
                path: path.clone(),
                what: format!("batch {batch}, unit {id}: {e}"),
            })?),
        };
        let now = t.read_unit(id)?;
        if now.is_none() && before.is_none() {
            continue;
        }
        record(t, id, "restored", now.as_ref())?;
        if now.is_some() {
            remove(t, id, id)?;
        }
        match before {
            Some(u) => {
                t.put_back(id, &u)?;
                done.restored += 1;
            }
            None => done.removed += 1,
        }
    }
    // Units the batch created: each is recorded whole in this undo batch
    // before it goes, so the undo can be undone.
    for (first, last) in ranges {
        let mut gone = Vec::new();
        {
            let (db, _) = t.parts()?;
            units_where(
                db,
                "WHERE u.id BETWEEN ?1 AND ?2",
                &[Arg::Int(first), Arg::Int(last)],
                &mut |u| {
                    gone.push(u);
                    Ok(())
                },
            )?;
        }
        for u in &gone {
            record(t, u.id.unwrap_or_default(), "removed", Some(u))?;
        }
        // One statement per range, not two per unit: undoing a
        // 200,000-unit import takes 2.7 s so (scripts/maint_bench.sh).
        remove(t, first, last)?;
        done.removed += gone.len() as u64;
    }
    let (db, log) = t.parts()?;
    db.execute(
        "UPDATE batch SET undone_by = ?2 WHERE id = ?1",
        &[Arg::Int(batch), Arg::Int(current)],
    )?;
    db.execute(
        "UPDATE batch SET undoes = ?2 WHERE id = ?1",
        &[Arg::Int(current), Arg::Int(batch)],
    )?;
    // The undo is recorded even when the batch's units were already gone,
    // so the batch shows as undone.
    log.touch();
    t.changed(false);
    Ok(done)
}

/// Implements [`Row`] for an engine's row wrapper (fields `row` and
/// `path`), whose row reads any column type through `row.$get(i)`, with
/// the engine's `map_err` in scope.
macro_rules! row_impl {
    ($t:ty, $get:ident) => {
        impl $crate::memory::sql::Row for $t {
            fn int(&self, i: usize) -> $crate::error::Result<i64> {
                self.row.$get(i).map_err(map_err(self.path))
            }
            fn opt_int(&self, i: usize) -> $crate::error::Result<Option<i64>> {
                self.row.$get(i).map_err(map_err(self.path))
            }
            fn text(&self, i: usize) -> $crate::error::Result<String> {
                self.row.$get(i).map_err(map_err(self.path))
            }
            fn opt_text(&self, i: usize) -> $crate::error::Result<Option<String>> {
                self.row.$get(i).map_err(map_err(self.path))
            }
        }
    };
}
pub(super) use row_impl;

/// The [`super::Backend`] methods that are one statement on every SQL
/// engine, inside an engine's `impl Backend` (its type implements
/// [`Sql`]).
macro_rules! shared_reads {
    () => {
        fn unit_count(&self) -> $crate::error::Result<u64> {
            $crate::memory::sql::count(self, "SELECT count(*) FROM unit")
        }

        fn unit(&self, id: i64) -> $crate::error::Result<Option<$crate::memory::Unit>> {
            $crate::memory::sql::unit(self, id)
        }

        fn for_each_unit(
            &self,
            f: &mut dyn FnMut($crate::memory::Unit) -> $crate::error::Result<()>,
        ) -> $crate::error::Result<()> {
            $crate::memory::sql::units_where(self, "", &[], f)
        }

        fn for_each_pair(
            &self,
            from: &str,
            to: &str,
            f: &mut dyn FnMut($crate::memory::Pair) -> $crate::error::Result<()>,
        ) -> $crate::error::Result<()> {
            $crate::memory::sql::pairs(self, from, to, f)
        }

        fn variant(&self, variant: i64) -> $crate::error::Result<Option<$crate::memory::Found>> {
            $crate::memory::sql::variant(self, variant)
        }

        fn since(
            &self,
            old: &$crate::memory::Stamp,
            now: &$crate::memory::Stamp,
        ) -> $crate::error::Result<$crate::memory::Since> {
            $crate::memory::sql::since(self, old, now)
        }

        fn batches(&self) -> $crate::error::Result<Vec<$crate::memory::Batch>> {
            $crate::memory::sql::batches(self)
        }
    };
}
pub(super) use shared_reads;

/// The [`super::WriteTx`] methods every SQL engine shares, inside an
/// engine's `impl WriteTx` (its type implements [`Steps`] and keeps its
/// [`Log`] in a field `log`).
macro_rules! shared_writes {
    () => {
        fn insert(
            &mut self,
            unit: &$crate::memory::Unit,
            source_lang: Option<&str>,
            policy: $crate::memory::OnDuplicate,
        ) -> $crate::error::Result<$crate::memory::Inserted> {
            $crate::memory::sql::insert(self, unit, source_lang, policy)
        }

        fn start_batch(&mut self, command: &str, user: Option<&str>) -> $crate::error::Result<i64> {
            let (db, log) = $crate::memory::sql::Steps::batch_parts(self)?;
            log.start_batch(db, command, user)
        }

        fn batch_id(&self) -> Option<i64> {
            self.log.batch_id()
        }

        fn count(&mut self, key: &str, n: u64) {
            self.log.count(key, n)
        }

        fn unit(&self, id: i64) -> $crate::error::Result<Option<$crate::memory::Unit>> {
            $crate::memory::sql::Steps::read_unit(self, id)
        }

        fn edit(
            &mut self,
            id: i64,
            lang: &str,
            text: &str,
            changer: Option<&str>,
        ) -> $crate::error::Result<$crate::memory::Edited> {
            $crate::memory::sql::edit(self, id, lang, text, changer)
        }

        fn delete(&mut self, id: i64) -> $crate::error::Result<bool> {
            $crate::memory::sql::delete(self, id)
        }

        fn put(&mut self, id: i64, unit: &$crate::memory::Unit) -> $crate::error::Result<bool> {
            $crate::memory::sql::put(self, id, unit)
        }

        fn undo(
            &mut self,
            batch: i64,
            force: bool,
        ) -> $crate::error::Result<$crate::memory::Undone> {
            $crate::memory::sql::undo(self, batch, force)
        }
    };
}
pub(super) use shared_writes;

/// `?N` parameters as PostgreSQL's `$N` (outside quoted strings and
/// identifiers and `--` comments).
pub(super) fn numbered_dollars(sql: &str) -> String {
    let out: Result<String> = map_params(sql, |n, out| {
        out.push('$');
        out.push_str(&n.to_string());
        Ok(())
    });
    out.unwrap_or_else(|_| sql.to_string())
}

/// `sql` with each `?N` parameter (outside quoted strings and identifiers
/// and `--` comments) replaced by what `f` writes for `N`.
pub(super) fn map_params(
    sql: &str,
    mut f: impl FnMut(usize, &mut String) -> Result<()>,
) -> Result<String> {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '-' && chars.peek() == Some(&'-') => quote = Some('\n'),
            None if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut n = 0usize;
                while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                    n = n.saturating_mul(10).saturating_add(d as usize);
                    chars.next();
                }
                f(n, &mut out)?;
                continue;
            }
            None => {}
        }
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_parameters_become_dollars_outside_quotes() {
        assert_eq!(
            numbered_dollars(
                "SELECT '?1', \"a?2\" FROM t -- it's ?3\n WHERE x = ?1 AND y = ?12 OR z = ?"
            ),
            "SELECT '?1', \"a?2\" FROM t -- it's ?3\n WHERE x = $1 AND y = $12 OR z = ?"
        );
    }
}
