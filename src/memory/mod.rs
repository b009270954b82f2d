//! The multilingual memory: translation units in one SQLite file.
//!
//! A unit is what TMX calls a `<tu>`: one variant per language, in any number
//! of languages, plus metadata (origin, dates, creator, TMX properties and
//! notes). Each variant also keeps its neighbouring segments from the text it
//! was aligned in, which is what context (101%) matches compare.
//!
//! Every write goes through a [`Writer`], which is one SQLite transaction: a
//! command's writes land whole or not at all, so a bad line in the middle of
//! an import leaves the memory exactly as it was.

mod schema;
mod time;

pub use time::now_tmx;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One language version of a unit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// Canonical language tag (see [`crate::lang::normalize_tag`]).
    pub lang: String,
    /// Plain text: what matching sees and what plain exports write.
    pub text: String,
    /// The TMX `<seg>` content with its inline codes, when it had any; an
    /// export writes this instead of `text` so that codes survive.
    pub markup: Option<String>,
    /// The segment before this one in the document it was aligned from.
    pub prev: Option<String>,
    /// The segment after this one in the document it was aligned from.
    pub next: Option<String>,
    /// TMX `<prop type=..>` values of the `<tuv>`, in order.
    pub props: Vec<(String, String)>,
    /// TMX `<note>` texts of the `<tuv>`, in order.
    pub notes: Vec<String>,
}

/// A translation unit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    /// Row id in the memory; `None` until stored.
    pub id: Option<i64>,
    pub variants: Vec<Variant>,
    /// The document or file the unit came from.
    pub origin: Option<String>,
    /// Creation time, TMX form `YYYYMMDDThhmmssZ`.
    pub created: Option<String>,
    pub creator: Option<String>,
    /// Last change time, TMX form.
    pub changed: Option<String>,
    pub changer: Option<String>,
    /// TMX `tuid`.
    pub tuid: Option<String>,
    pub usage_count: Option<i64>,
    /// Other `<tu>` attributes worth keeping (e.g. `srclang`, `datatype`).
    pub attrs: Vec<(String, String)>,
    /// TMX `<prop type=..>` values of the `<tu>`, in order.
    pub props: Vec<(String, String)>,
    /// TMX `<note>` texts of the `<tu>`, in order.
    pub notes: Vec<String>,
}

impl Unit {
    /// The variant that serves language `lang` (see [`crate::lang::serves`]).
    pub fn variant(&self, lang: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.lang == lang).or_else(|| {
            self.variants
                .iter()
                .find(|v| crate::lang::serves(lang, &v.lang))
        })
    }
}

/// What to do when a unit's source text is already stored with another
/// translation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnDuplicate {
    /// Store both translations, as CAT tools do.
    #[default]
    KeepBoth,
    /// Keep the stored unit and drop the new one.
    Skip,
    /// Replace the stored unit's other variants with the new ones.
    Overwrite,
}

/// What [`Writer::insert`] did with a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// Stored as a new unit with this id.
    New(i64),
    /// Identical to a stored unit: nothing written.
    Duplicate(i64),
    /// Same source as a stored unit, dropped by [`OnDuplicate::Skip`].
    Skipped(i64),
    /// Same source as this stored unit, which was updated.
    Overwritten(i64),
}

/// A source–target pair read for matching.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub unit_id: i64,
    pub source: String,
    pub target: String,
    /// Source variant's stored inline markup, if any.
    pub source_markup: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub origin: Option<String>,
}

/// Counts for `transmem stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    pub units: u64,
    /// Units per language pair (`en-US`/`ru`), both tags sorted.
    pub pairs: BTreeMap<String, u64>,
    /// Variants per language.
    pub languages: BTreeMap<String, u64>,
    /// Units per origin (`(none)` for units without one).
    pub origins: BTreeMap<String, u64>,
}

/// An open memory.
pub struct Memory {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memory").field("path", &self.path).finish()
    }
}

pub(crate) fn store_err(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |source| Error::Store {
        path: path.display().to_string(),
        source,
    }
}

impl Memory {
    /// Opens the memory at `path`, creating it (and its folder) if missing.
    pub fn open(path: impl AsRef<Path>) -> Result<Memory> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let conn = Connection::open(&path).map_err(store_err(&path))?;
        Self::init(conn, path, true)
    }

    /// Opens an existing memory; a missing file is an error, not a new memory.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Memory> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            return Err(Error::Invalid(format!(
                "no memory at {} (create one with `transmem align --store` or `transmem import`)",
                path.display()
            )));
        }
        let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(store_err(&path))?;
        Self::init(conn, path, false)
    }

    /// A fresh memory that lives only in RAM (tests, dry runs).
    pub fn in_memory() -> Result<Memory> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(store_err(&path))?;
        Self::init(conn, path, true)
    }

    fn init(conn: Connection, path: PathBuf, create: bool) -> Result<Memory> {
        schema::prepare(&conn, &path, create)?;
        Ok(Memory { conn, path })
    }

    /// The file this memory lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying connection, for modules that keep their own tables
    /// (the matcher's candidate index).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Starts a write transaction. Nothing is visible to others, or kept,
    /// until [`Writer::commit`].
    pub fn writer(&mut self) -> Result<Writer<'_>> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(store_err(&path))?;
        let bulk = Bulk::start(&tx).map_err(store_err(&path))?;
        Ok(Writer {
            tx,
            path,
            wrote: false,
            rewrote: false,
            bulk,
        })
    }

    /// Number of stored units.
    pub fn unit_count(&self) -> Result<u64> {
        self.conn
            .query_row("SELECT count(*) FROM unit", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(store_err(&self.path))
    }

    /// The unit with this id.
    pub fn unit(&self, id: i64) -> Result<Option<Unit>> {
        let mut out = None;
        self.for_each_unit_where("WHERE u.id = ?1", params![id], |u| {
            out = Some(u);
            Ok(())
        })?;
        Ok(out)
    }

    /// Calls `f` on every unit in id order, streaming: the memory is never
    /// loaded whole.
    pub fn for_each_unit(&self, f: impl FnMut(Unit) -> Result<()>) -> Result<()> {
        self.for_each_unit_where("", params![], f)
    }

    fn for_each_unit_where(
        &self,
        filter: &str,
        args: &[&dyn rusqlite::ToSql],
        mut f: impl FnMut(Unit) -> Result<()>,
    ) -> Result<()> {
        let err = store_err(&self.path);
        let sql = format!(
            "SELECT u.id, u.tuid, u.origin, u.created, u.creator, u.changed, u.changer, u.usage_count,
                    u.attrs, u.props, u.notes,
                    v.lang, v.text, v.markup, v.prev, v.next, v.props, v.notes, v.rowid
             FROM unit u JOIN variant v ON v.unit_id = u.id {filter}
             ORDER BY u.id"
        );
        // Ordering by `u.id` alone lets SQLite walk units in rowid order and
        // find each unit's variants by index; adding `v.rowid` made it sort
        // the whole join in a temp B-tree (3x slower export at 1M units).
        // Variants are put back in insertion order here instead.
        let mut stmt = self.conn.prepare(&sql).map_err(&err)?;
        let mut rows = stmt.query(args).map_err(&err)?;
        let mut current: Option<Unit> = None;
        let mut order: Vec<i64> = Vec::new();
        let in_insertion_order = |mut u: Unit, order: &mut Vec<i64>| -> Unit {
            if !order.is_sorted() {
                let mut keyed: Vec<(i64, Variant)> =
                    order.drain(..).zip(u.variants.drain(..)).collect();
                keyed.sort_by_key(|(k, _)| *k);
                u.variants = keyed.into_iter().map(|(_, v)| v).collect();
            }
            order.clear();
            u
        };
        while let Some(r) = rows.next().map_err(&err)? {
            let id: i64 = r.get(0).map_err(&err)?;
            if current.as_ref().is_some_and(|u| u.id != Some(id))
                && let Some(done) = current.take()
            {
                f(in_insertion_order(done, &mut order))?;
            }
            if current.is_none() {
                current = Some(Unit {
                    id: Some(id),
                    variants: Vec::new(),
                    tuid: r.get(1).map_err(&err)?,
                    origin: r.get(2).map_err(&err)?,
                    created: r.get(3).map_err(&err)?,
                    creator: r.get(4).map_err(&err)?,
                    changed: r.get(5).map_err(&err)?,
                    changer: r.get(6).map_err(&err)?,
                    usage_count: r.get(7).map_err(&err)?,
                    attrs: from_json(r.get(8).map_err(&err)?),
                    props: from_json(r.get(9).map_err(&err)?),
                    notes: from_json(r.get(10).map_err(&err)?),
                });
            }
            if let Some(u) = current.as_mut() {
                u.variants.push(Variant {
                    lang: r.get(11).map_err(&err)?,
                    text: r.get(12).map_err(&err)?,
                    markup: r.get(13).map_err(&err)?,
                    prev: r.get(14).map_err(&err)?,
                    next: r.get(15).map_err(&err)?,
                    props: from_json(r.get(16).map_err(&err)?),
                    notes: from_json(r.get(17).map_err(&err)?),
                });
                order.push(r.get(18).map_err(&err)?);
            }
        }
        if let Some(done) = current {
            f(in_insertion_order(done, &mut order))?;
        }
        Ok(())
    }

    /// Every (source, target) pair for the direction `from` → `to`, in unit
    /// order. Tags are matched as [`crate::lang::serves`] says, so `en`
    /// finds `en-US`. A unit with several variants serves every pair it holds.
    pub fn pairs(&self, from: &str, to: &str) -> Result<Vec<Pair>> {
        let mut out = Vec::new();
        self.for_each_pair(from, to, |p| {
            out.push(p);
            Ok(())
        })?;
        Ok(out)
    }

    /// Streaming form of [`Memory::pairs`].
    pub fn for_each_pair(
        &self,
        from: &str,
        to: &str,
        mut f: impl FnMut(Pair) -> Result<()>,
    ) -> Result<()> {
        let err = store_err(&self.path);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT s.unit_id, s.lang, s.text, s.markup, s.prev, s.next, t.lang, t.text, u.origin
                 FROM variant s JOIN variant t ON t.unit_id = s.unit_id AND t.rowid <> s.rowid
                 JOIN unit u ON u.id = s.unit_id
                 WHERE s.primary_lang = ?1 AND t.primary_lang = ?2
                 ORDER BY s.unit_id, s.rowid, t.rowid",
            )
            .map_err(&err)?;
        let mut rows = stmt
            .query(params![
                crate::lang::primary(from),
                crate::lang::primary(to)
            ])
            .map_err(&err)?;
        let mut last_unit = None;
        while let Some(r) = rows.next().map_err(&err)? {
            let unit_id: i64 = r.get(0).map_err(&err)?;
            let slang: String = r.get(1).map_err(&err)?;
            let tlang: String = r.get(6).map_err(&err)?;
            // One pair per unit: the first variant on each side that serves.
            if last_unit == Some(unit_id)
                || !crate::lang::serves(from, &slang)
                || !crate::lang::serves(to, &tlang)
            {
                continue;
            }
            last_unit = Some(unit_id);
            f(Pair {
                unit_id,
                source: r.get(2).map_err(&err)?,
                source_markup: r.get(3).map_err(&err)?,
                prev: r.get(4).map_err(&err)?,
                next: r.get(5).map_err(&err)?,
                target: r.get(7).map_err(&err)?,
                origin: r.get(8).map_err(&err)?,
            })?;
        }
        Ok(())
    }

    /// Counts per language pair, language and origin.
    pub fn stats(&self) -> Result<Stats> {
        let err = store_err(&self.path);
        let mut st = Stats {
            units: self.unit_count()?,
            ..Stats::default()
        };
        let q = |sql: &str, into: &mut BTreeMap<String, u64>| -> Result<()> {
            let mut stmt = self.conn.prepare(sql).map_err(&err)?;
            let mut rows = stmt.query([]).map_err(&err)?;
            while let Some(r) = rows.next().map_err(&err)? {
                let k: Option<String> = r.get(0).map_err(&err)?;
                let n: i64 = r.get(1).map_err(&err)?;
                into.insert(k.unwrap_or_else(|| "(none)".into()), n as u64);
            }
            Ok(())
        };
        q(
            "SELECT a.lang || ' / ' || b.lang, count(DISTINCT a.unit_id) FROM variant a
             JOIN variant b ON a.unit_id = b.unit_id AND a.lang < b.lang GROUP BY 1",
            &mut st.pairs,
        )?;
        q(
            "SELECT lang, count(*) FROM variant GROUP BY lang",
            &mut st.languages,
        )?;
        q(
            "SELECT origin, count(*) FROM unit GROUP BY origin",
            &mut st.origins,
        )?;
        Ok(st)
    }
}

fn to_json<T: Serialize>(v: &[T]) -> Option<String> {
    if v.is_empty() {
        None
    } else {
        serde_json::to_string(v).ok()
    }
}

fn from_json<T: for<'de> Deserialize<'de>>(s: Option<String>) -> Vec<T> {
    s.and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

/// FNV-1a, as SQLite's signed 64-bit integer. Used only to find rows by
/// index; every hit is confirmed by comparing the text itself.
fn fnv1a(bytes: &[u8]) -> i64 {
    fnv1a_extend(0xcbf29ce484222325, bytes) as i64
}

fn fnv1a_extend(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// FNV-1a over the sorted (lang, text, markup) triples: equal for units with
/// the same variants whatever their order, so exact duplicates are found by
/// index. Markup counts: the same words with other inline codes are another
/// unit (TMX files hold both).
fn content_hash(unit: &Unit) -> i64 {
    let mut keys: Vec<(&str, &str, &str)> = unit
        .variants
        .iter()
        .map(|v| {
            (
                v.lang.as_str(),
                v.text.as_str(),
                v.markup.as_deref().unwrap_or(""),
            )
        })
        .collect();
    keys.sort();
    let mut h: u64 = 0xcbf29ce484222325;
    for (l, t, m) in keys {
        for part in [l.as_bytes(), &[0], t.as_bytes(), &[0], m.as_bytes(), &[0]] {
            h = fnv1a_extend(h, part);
        }
    }
    h as i64
}

/// One write transaction on a memory.
pub struct Writer<'m> {
    tx: Transaction<'m>,
    path: PathBuf,
    /// Something was written / variants were replaced: the matcher's index
    /// stamp is bumped at commit.
    wrote: bool,
    rewrote: bool,
    /// Set when the transaction began on an empty memory; see [`Bulk`].
    bulk: Option<Bulk>,
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

const HASH_INDEXES: &str = "CREATE INDEX unit_hash ON unit(content_hash);
CREATE INDEX variant_text ON variant(text_hash);";

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

impl Writer<'_> {
    /// The open transaction, for modules that keep their own tables in step.
    pub fn transaction(&self) -> &Transaction<'_> {
        &self.tx
    }

    /// Stores `unit`. `source_lang` names the variant that counts as the
    /// source for `policy` (the first variant when `None`). Language tags
    /// must already be canonical; a unit needs at least one variant and at
    /// most one per language.
    pub fn insert(
        &mut self,
        unit: &Unit,
        source_lang: Option<&str>,
        policy: OnDuplicate,
    ) -> Result<Inserted> {
        validate(unit)?;
        let path = self.path.clone();
        let err = store_err(&path);
        let hash = content_hash(unit);
        // Exact duplicate: same variants, whatever the metadata.
        if let Some(bulk) = &self.bulk {
            if let Some(&id) = bulk.units.get(&hash)
                && self.same_variants(id, unit)?
            {
                return Ok(Inserted::Duplicate(id));
            }
        } else {
            let mut stmt = self
                .tx
                .prepare_cached("SELECT id FROM unit WHERE content_hash = ?1")
                .map_err(&err)?;
            let ids: Vec<i64> = stmt
                .query_map(params![hash], |r| r.get(0))
                .map_err(&err)?
                .collect::<std::result::Result<_, _>>()
                .map_err(&err)?;
            for id in ids {
                if self.same_variants(id, unit)? {
                    return Ok(Inserted::Duplicate(id));
                }
            }
        }
        if policy != OnDuplicate::KeepBoth {
            let src = source_lang
                .and_then(|l| unit.variants.iter().find(|v| v.lang == l))
                .unwrap_or(&unit.variants[0]);
            let existing: Option<i64> = match self.bulk.as_mut() {
                Some(bulk) => {
                    let candidate = bulk
                        .texts(&self.tx)
                        .map_err(&err)?
                        .get(&Bulk::text_key(&src.lang, &src.text))
                        .copied();
                    match candidate {
                        // Confirm: the map may point at a unit since overwritten.
                        Some(id) => self
                            .tx
                            .prepare_cached(
                                "SELECT unit_id FROM variant WHERE unit_id = ?1 AND lang = ?2 AND text = ?3",
                            )
                            .map_err(&err)?
                            .query_row(params![id, src.lang, src.text], |r| r.get(0))
                            .optional()
                            .map_err(&err)?,
                        None => None,
                    }
                }
                None => self
                    .tx
                    .prepare_cached(
                        "SELECT unit_id FROM variant WHERE text_hash = ?1 AND lang = ?2 AND text = ?3 LIMIT 1",
                    )
                    .map_err(&err)?
                    .query_row(params![fnv1a(src.text.as_bytes()), src.lang, src.text], |r| r.get(0))
                    .optional()
                    .map_err(&err)?,
            };
            if let Some(id) = existing {
                if policy == OnDuplicate::Skip {
                    return Ok(Inserted::Skipped(id));
                }
                self.tx
                    .execute("DELETE FROM variant WHERE unit_id = ?1", params![id])
                    .map_err(&err)?;
                self.write_variants(id, unit)?;
                if let Some(bulk) = self.bulk.as_mut() {
                    bulk.units.insert(hash, id);
                    bulk.record(id, hash, unit);
                }
                (self.wrote, self.rewrote) = (true, true);
                self.tx
                    .execute(
                        "UPDATE unit SET content_hash = ?2, changed = ?3, changer = ?4 WHERE id = ?1",
                        params![id, hash, unit.changed.clone().or_else(|| Some(now_tmx())), unit.changer.clone().or(unit.creator.clone())],
                    )
                    .map_err(&err)?;
                return Ok(Inserted::Overwritten(id));
            }
        }
        self.tx
            .prepare_cached(
                "INSERT INTO unit (tuid, origin, created, creator, changed, changer, usage_count,
                                   attrs, props, notes, content_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .map_err(&err)?
            .execute(params![
                unit.tuid,
                unit.origin,
                unit.created.clone().unwrap_or_else(now_tmx),
                unit.creator,
                unit.changed,
                unit.changer,
                unit.usage_count,
                to_json(&unit.attrs),
                to_json(&unit.props),
                to_json(&unit.notes),
                hash
            ])
            .map_err(&err)?;
        let id = self.tx.last_insert_rowid();
        self.write_variants(id, unit)?;
        if let Some(bulk) = self.bulk.as_mut() {
            bulk.record(id, hash, unit);
        }
        self.wrote = true;
        Ok(Inserted::New(id))
    }

    fn same_variants(&self, id: i64, unit: &Unit) -> Result<bool> {
        let err = store_err(&self.path);
        let mut stmt = self
            .tx
            .prepare_cached("SELECT lang, text, markup FROM variant WHERE unit_id = ?1")
            .map_err(&err)?;
        let mut stored: Vec<(String, String, Option<String>)> = stmt
            .query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(&err)?
            .collect::<std::result::Result<_, _>>()
            .map_err(&err)?;
        let mut new: Vec<(String, String, Option<String>)> = unit
            .variants
            .iter()
            .map(|v| (v.lang.clone(), v.text.clone(), v.markup.clone()))
            .collect();
        stored.sort();
        new.sort();
        Ok(stored == new)
    }

    fn write_variants(&self, id: i64, unit: &Unit) -> Result<()> {
        let err = store_err(&self.path);
        let mut stmt = self
            .tx
            .prepare_cached(
                "INSERT INTO variant (unit_id, lang, primary_lang, text, markup, text_hash, prev, next, props, notes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .map_err(&err)?;
        for v in &unit.variants {
            stmt.execute(params![
                id,
                v.lang,
                crate::lang::primary(&v.lang),
                v.text,
                v.markup,
                fnv1a(v.text.as_bytes()),
                v.prev,
                v.next,
                to_json(&v.props),
                to_json(&v.notes)
            ])
            .map_err(&err)?;
        }
        Ok(())
    }

    /// Makes every write of this transaction permanent.
    pub fn commit(self) -> Result<()> {
        if self.bulk.is_some() {
            self.tx
                .execute_batch(HASH_INDEXES)
                .map_err(store_err(&self.path))?;
        }
        crate::matcher::index::on_commit(&self.tx, self.wrote, self.rewrote);
        let path = self.path;
        self.tx.commit().map_err(store_err(&path))
    }
}

fn validate(unit: &Unit) -> Result<()> {
    if unit.variants.is_empty() {
        return Err(Error::Invalid(
            "a translation unit needs at least one variant".into(),
        ));
    }
    for (i, v) in unit.variants.iter().enumerate() {
        if crate::lang::normalize_tag(&v.lang).ok().as_deref() != Some(v.lang.as_str()) {
            return Err(Error::Lang(v.lang.clone()));
        }
        if unit.variants[..i].iter().any(|w| w.lang == v.lang) {
            return Err(Error::Invalid(format!(
                "a translation unit holds one variant per language; {} appears twice",
                v.lang
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
