//! The store: translation units in a memory, behind one interface.
//!
//! [`Memory`] is the handle the rest of transmem uses; every operation it
//! needs (a write transaction, streaming units and pairs, fetching a variant
//! by id, the variants added since a [`Stamp`], languages, statistics) is a
//! method of the object-safe [`Backend`] trait, which each storage engine
//! implements. SQLite (one file, `sqlite.rs`) is the engine today; a server
//! engine implements the same trait and passes the same conformance suite
//! (`tests/store_conformance.rs`). No SQL, and no engine type, leaves this
//! module.
//!
//! Every write goes through a [`Writer`], one transaction: a command's writes
//! land whole or not at all, so a bad line in the middle of an import leaves
//! the memory exactly as it was.
//!
//! The store knows nothing of what is built on it: caches (a search
//! index) compare a [`Stamp`] with [`Memory::since`] to learn
//! whether the memory is unchanged, only appended to, or rewritten.

mod batch;
mod postgres;
mod schema;
mod sql;
mod sqlite;
mod time;

pub use batch::{Batch, DateBound, Edited, TextReplace, Undone, UnitFilter};

pub use time::now_tmx;

pub use crate::model::{Unit, Variant};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

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
    /// The unit both variants belong to.
    pub unit_id: i64,
    /// Source text.
    pub source: String,
    /// Target text.
    pub target: String,
    /// Source variant's stored inline markup, if any.
    pub source_markup: Option<String>,
    /// The source's previous segment in its document.
    pub prev: Option<String>,
    /// The source's next segment in its document.
    pub next: Option<String>,
    /// The unit's origin.
    pub origin: Option<String>,
}

/// One stored variant, as a search result shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The unit it belongs to.
    pub unit_id: i64,
    /// Its language tag.
    pub lang: String,
    /// Its text.
    pub text: String,
    /// The unit's origin.
    pub origin: Option<String>,
}

/// Counts for `transmem stats`.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Stored units.
    pub units: u64,
    /// Units per language pair (`en-US / ru`), both tags sorted.
    pub pairs: BTreeMap<String, u64>,
    /// Variants per language.
    pub languages: BTreeMap<String, u64>,
    /// Units per origin (`(none)` for units without one).
    pub origins: BTreeMap<String, u64>,
}

/// An API token of the server, as the store keeps it: only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Token {
    /// Its id (what `revoke` takes).
    pub id: i64,
    /// The hash of the secret (the server uses hex SHA-256); the secret
    /// itself is never stored.
    pub hash: String,
    /// What it may do (`read`, `write`, `admin`); the store does not interpret it.
    pub role: String,
    /// A label for people (`weblate`, a translator's name), if given.
    pub name: Option<String>,
    /// When it was created (TMX date format).
    pub created: String,
}

/// Identifies a memory's committed content, for caches built from it.
///
/// `instance` is chosen at random when the memory is created, `generation`
/// counts committed write transactions, and `token` is chosen at random by
/// each of them, so a memory restored from a copy and written again never
/// shows the stamp of the state a cache saw (the generation may repeat, the
/// token does not). `variants` is the highest variant id committed: variants
/// added later have higher ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stamp {
    /// Random id of this memory.
    pub instance: i64,
    /// Committed write transactions so far.
    pub generation: i64,
    /// Random id of the last committed write transaction.
    pub token: i64,
    /// Highest variant id committed.
    pub variants: i64,
}

/// How a memory changed since a [`Stamp`] (see [`Memory::since`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// The same content.
    Same,
    /// Only new variants, all with ids above the old stamp's `variants`.
    Appended,
    /// Anything else (another memory, a rewrite, a restored copy, a stamp
    /// too old to tell): a cache must be rebuilt.
    Rewritten,
}

/// The operations a storage engine provides. Object safe: [`Memory`] holds a
/// `Box<dyn Backend>`. Every method returns `Result`; an engine never turns a
/// failure into an empty answer.
pub trait Backend: Send {
    /// Where the memory lives (a file, or `:memory:`), for messages.
    fn location(&self) -> &Path;
    /// A stable local path that caches may be kept beside (`<path>.*`), or
    /// `None` when the memory does not outlive the process.
    fn cache_base(&self) -> Option<&Path>;
    /// Starts a write transaction.
    fn begin(&mut self) -> Result<Box<dyn WriteTx + '_>>;
    /// A second, independent read handle (for a search engine that outlives
    /// borrows), or `None` when the engine cannot open one.
    fn reader(&self) -> Result<Option<Box<dyn Backend>>>;
    /// Number of stored units.
    fn unit_count(&self) -> Result<u64>;
    /// The unit with this id.
    fn unit(&self, id: i64) -> Result<Option<Unit>>;
    /// Every unit in id order, variants in insertion order, streamed.
    fn for_each_unit(&self, f: &mut dyn FnMut(Unit) -> Result<()>) -> Result<()>;
    /// One pair per unit serving `from` → `to` (see [`crate::lang::serves`]),
    /// in unit order, streamed.
    fn for_each_pair(
        &self,
        from: &str,
        to: &str,
        f: &mut dyn FnMut(Pair) -> Result<()>,
    ) -> Result<()>;
    /// The pair whose source is variant `variant`, if that variant serves
    /// `from` and its unit holds a variant serving `to`.
    fn pair_of(&self, variant: i64, from: &str, to: &str) -> Result<Option<Pair>>;
    /// `(variant id, language)` of every variant whose text is exactly
    /// `text`, by id: one indexed probe (the `text_hash` index), so that a
    /// lookup finds the identical source however many stored sources tie
    /// with it. Which languages serve is decided by [`Memory`], not here.
    fn variants_with_text(&self, text: &str) -> Result<Vec<(i64, String)>>;
    /// Variant `variant` with its unit's id and origin.
    fn variant(&self, variant: i64) -> Result<Option<Found>>;
    /// `(variant id, text)` of the variants of primary language `primary`
    /// with ids in `after+1 ..= upto`, in id order, streamed.
    fn for_each_text(
        &self,
        primary: &str,
        after: i64,
        upto: i64,
        f: &mut dyn FnMut(i64, &str) -> Result<()>,
    ) -> Result<()>;
    /// Every language tag stored, sorted.
    fn languages(&self) -> Result<Vec<String>>;
    /// Counts per language pair, language and origin.
    fn stats(&self) -> Result<Stats>;
    /// The stamp of the committed content now.
    fn stamp(&self) -> Result<Stamp>;
    /// How the content at `now` (a stamp this engine returned) differs from
    /// `old`.
    fn since(&self, old: &Stamp, now: &Stamp) -> Result<Since>;
    /// Removes the memory if this handle created it and no write was ever
    /// committed to it; returns whether it did.
    fn discard_if_unused(&mut self) -> Result<bool>;
    /// Whether this engine keeps shared cache files
    /// ([`Backend::shared_file`]).
    fn keeps_shared_files(&self) -> bool {
        false
    }
    /// Writes the file `name` that this memory's caches share through the
    /// store (the match index, for a process on another machine) to
    /// `out`; `false` when there is none, or the engine keeps none.
    fn shared_file(&self, name: &str, out: &mut dyn std::io::Write) -> Result<bool> {
        let _ = (name, out);
        Ok(false)
    }
    /// Stores `data` as the shared file `name`, replacing it, in one
    /// transaction of its own; `false` when the engine keeps none. Shared
    /// files are not content: the [`Stamp`] does not change.
    fn put_shared_file(&self, name: &str, data: &mut dyn std::io::Read) -> Result<bool> {
        let _ = (name, data);
        Ok(false)
    }
    /// Stores a server API token (its hash, never the secret), in its own
    /// transaction; returns its id. Tokens are not content: the [`Stamp`]
    /// does not change.
    fn add_token(&mut self, hash: &str, role: &str, name: Option<&str>) -> Result<i64> {
        let _ = (hash, role, name);
        Err(self.no_tokens())
    }
    /// The token whose hash is `hash`, if stored.
    fn token_by_hash(&self, hash: &str) -> Result<Option<Token>> {
        let _ = hash;
        Err(self.no_tokens())
    }
    /// Every stored token, by id.
    fn tokens(&self) -> Result<Vec<Token>> {
        Err(self.no_tokens())
    }
    /// Removes token `id`; returns whether it existed.
    fn revoke_token(&mut self, id: i64) -> Result<bool> {
        let _ = id;
        Err(self.no_tokens())
    }
    /// The error of an engine that does not keep API tokens (yet): the
    /// default of the token operations, so that an engine written before
    /// them still builds and says clearly what it lacks.
    fn no_tokens(&self) -> crate::Error {
        crate::Error::Store {
            path: self.location().to_path_buf(),
            message: "this storage engine does not keep API tokens".into(),
        }
    }
    /// The units `filter` accepts, in id order, streamed. An engine may
    /// narrow the scan with the filter's fields, but must call `f` only on
    /// units for which [`UnitFilter::matches`] is true.
    fn for_each_unit_filtered(
        &self,
        filter: &UnitFilter,
        f: &mut dyn FnMut(Unit) -> Result<()>,
    ) -> Result<()>;
    /// Every recorded write batch, oldest first.
    fn batches(&self) -> Result<Vec<Batch>>;
}

/// One write transaction of a [`Backend`]. Dropping it without
/// [`WriteTx::commit`] rolls everything back.
pub trait WriteTx {
    /// Stores `unit`; see [`Writer::insert`].
    fn insert(
        &mut self,
        unit: &Unit,
        source_lang: Option<&str>,
        policy: OnDuplicate,
    ) -> Result<Inserted>;
    /// Makes every write permanent; returns the new stamp.
    fn commit(self: Box<Self>) -> Result<Stamp>;
    /// Names the batch this transaction's changes are recorded in (the
    /// command line, for `history`); see [`Writer::start_batch`].
    fn start_batch(&mut self, command: &str, user: Option<&str>) -> Result<i64>;
    /// The id of this transaction's batch, if it has one.
    fn batch_id(&self) -> Option<i64>;
    /// Adds `n` to a count shown with the batch (`duplicates`, ...).
    fn count(&mut self, key: &str, n: u64);
    /// The unit with this id, as this transaction sees it.
    fn unit(&self, id: i64) -> Result<Option<Unit>>;
    /// Sets the text of unit `id`'s variant of language `lang` (exact tag);
    /// see [`Writer::edit`].
    fn edit(&mut self, id: i64, lang: &str, text: &str, changer: Option<&str>) -> Result<Edited>;
    /// Removes unit `id` with its variants; false when there is none.
    fn delete(&mut self, id: i64) -> Result<bool>;
    /// Replaces unit `id` by `unit` exactly (same id); false when there is
    /// no unit `id`; see [`Writer::put`].
    fn put(&mut self, id: i64, unit: &Unit) -> Result<bool>;
    /// Reverts batch `batch`; see [`Writer::undo`].
    fn undo(&mut self, batch: i64, force: bool) -> Result<Undone>;
    /// Whether this engine runs parts ([`Writer::part`]).
    fn has_parts(&self) -> bool {
        false
    }
    /// Starts a part: a savepoint, and a batch of its own.
    fn begin_part(&mut self) -> Result<()> {
        Err(Error::Invalid(
            "this storage engine cannot write in parts".into(),
        ))
    }
    /// Ends the part begun last: `keep` records its batch, otherwise its
    /// changes are rolled back alone.
    fn end_part(&mut self, keep: bool) -> Result<()> {
        let _ = keep;
        Err(Error::Invalid(
            "this storage engine cannot write in parts".into(),
        ))
    }
    /// Hands every variant this transaction inserts to `tap` (see
    /// [`Writer::tap`]); gives `tap` back when the engine does not, or
    /// when the transaction did not begin on an empty memory.
    fn set_tap(&mut self, tap: Box<dyn Tap>) -> std::result::Result<(), Box<dyn Tap>> {
        Err(tap)
    }
}

/// Hears the variants a write transaction inserts, as it inserts them (see
/// [`Writer::tap`]): what lets a cache such as the match index be built
/// on another thread while a first import is still storing, instead of
/// reading everything back after the commit.
pub trait Tap: Send {
    /// Variant `id` of primary language `primary` (lower case) with
    /// `text` was inserted. Ids ascend.
    fn variant(&mut self, id: i64, primary: &str, text: &str);
    /// What was heard no longer describes the transaction: a variant heard
    /// was changed or removed again (an overwrite, an edit, a part rolled
    /// back). Nothing more is heard.
    fn spoil(&mut self);
    /// The transaction is about to commit: what was heard is final, unless
    /// the commit fails. Called just before the tap is dropped at commit
    /// (a tap dropped without it: the write ended without a commit).
    fn committing(&mut self) {}
}

/// An open memory.
pub struct Memory {
    backend: Box<dyn Backend>,
    /// Asked by [`Writer::commit`] before it commits (see
    /// [`Memory::set_commit_check`]).
    commit_check: Option<CommitCheck>,
}

/// Whether a write transaction may still commit: `false` rolls it back
/// with [`crate::Error::Cancelled`] (a server's request that timed out or
/// whose client left).
pub type CommitCheck = std::sync::Arc<dyn Fn() -> bool + Send + Sync>;

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memory")
            .field("location", &self.backend.location())
            .finish()
    }
}

impl Memory {
    /// Opens the memory file at `path`, creating it (and its folders) if
    /// missing. A new memory is built under a temporary name and linked
    /// into place, so two processes creating the same memory at once both
    /// end up using one complete file.
    pub fn open(path: impl AsRef<Path>) -> Result<Memory> {
        Ok(Memory::with_backend(Box::new(sqlite::Sqlite::open(
            path.as_ref(),
            true,
        )?)))
    }

    /// Opens an existing memory; a missing file is [`crate::Error::NotFound`],
    /// not a new memory.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Memory> {
        Ok(Memory::with_backend(Box::new(sqlite::Sqlite::open(
            path.as_ref(),
            false,
        )?)))
    }

    /// Opens the memory in the PostgreSQL database at `url`
    /// (`postgresql://user@host:port/db`), in the connection's current
    /// schema (`?options=-csearch_path%3Dname` picks another), creating its
    /// tables (and that schema) if missing and applying pending schema
    /// migrations. Caches such as the matcher's index are kept in the
    /// per-user cache folder (or `TRANSMEM_CACHE_DIR`), keyed by the
    /// memory's random instance id.
    pub fn open_database(url: &str) -> Result<Memory> {
        Ok(Memory::with_backend(Box::new(postgres::Postgres::open(
            url, true,
        )?)))
    }

    /// Like [`Memory::open_database`], but a database without a memory is
    /// [`crate::Error::NotFound`] (so a lookup never creates one).
    pub fn open_database_existing(url: &str) -> Result<Memory> {
        Ok(Memory::with_backend(Box::new(postgres::Postgres::open(
            url, false,
        )?)))
    }

    /// True when `s` is a PostgreSQL URL (`postgresql://` or `postgres://`)
    /// that [`Memory::open_database`] takes.
    pub fn is_database_url(s: &str) -> bool {
        postgres::is_url(s)
    }

    /// A fresh memory that lives only in RAM (tests, dry runs).
    pub fn in_memory() -> Result<Memory> {
        Ok(Memory::with_backend(Box::new(sqlite::Sqlite::in_memory()?)))
    }

    /// A memory served by any engine.
    pub fn with_backend(backend: Box<dyn Backend>) -> Memory {
        Memory {
            backend,
            commit_check: None,
        }
    }

    /// Asks `check` before every commit of this handle's writers; when it
    /// answers `false`, [`Writer::commit`] rolls back and fails with
    /// [`crate::Error::Cancelled`]. `None` removes it.
    pub fn set_commit_check(&mut self, check: Option<CommitCheck>) {
        self.commit_check = check;
    }

    /// Where this memory lives, for messages (`:memory:` in RAM).
    pub fn path(&self) -> &Path {
        self.backend.location()
    }

    /// A local path caches may be kept beside, if the memory persists.
    pub fn cache_base(&self) -> Option<PathBuf> {
        self.backend.cache_base().map(Path::to_path_buf)
    }

    /// Starts a write transaction. Nothing is visible to others, or kept,
    /// until [`Writer::commit`]. Waits for another writer up to the busy
    /// timeout, then fails with [`crate::Error::Busy`].
    pub fn writer(&mut self) -> Result<Writer<'_>> {
        Ok(Writer {
            tx: self.backend.begin()?,
            check: self.commit_check.clone(),
        })
    }

    /// A second read handle on the same memory (`None` for a memory in RAM).
    pub fn reader(&self) -> Result<Option<Memory>> {
        Ok(self.backend.reader()?.map(Memory::with_backend))
    }

    /// Number of stored units.
    pub fn unit_count(&self) -> Result<u64> {
        self.backend.unit_count()
    }

    /// The unit with this id.
    pub fn unit(&self, id: i64) -> Result<Option<Unit>> {
        self.backend.unit(id)
    }

    /// Calls `f` on every unit in id order, streaming: the memory is never
    /// loaded whole.
    pub fn for_each_unit(&self, mut f: impl FnMut(Unit) -> Result<()>) -> Result<()> {
        self.backend.for_each_unit(&mut f)
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
        self.backend.for_each_pair(from, to, &mut f)
    }

    /// The pair whose source is the variant with id `variant`.
    pub fn pair_of(&self, variant: i64, from: &str, to: &str) -> Result<Option<Pair>> {
        self.backend.pair_of(variant, from, to)
    }

    /// Ids of the variants whose text is exactly `text`, in a language that
    /// `from` serves, at most `max` of them (see [`Backend::variants_with_text`]).
    pub fn variants_with_text(&self, from: &str, text: &str, max: usize) -> Result<Vec<i64>> {
        Ok(self
            .backend
            .variants_with_text(text)?
            .into_iter()
            .filter(|(_, lang)| crate::lang::serves(from, lang))
            .map(|(id, _)| id)
            .take(max)
            .collect())
    }

    /// The variant with id `variant`.
    pub fn variant(&self, variant: i64) -> Result<Option<Found>> {
        self.backend.variant(variant)
    }

    /// `(variant id, text)` of primary language `primary` with ids in
    /// `after+1 ..= upto`, in id order.
    pub fn for_each_text(
        &self,
        primary: &str,
        after: i64,
        upto: i64,
        mut f: impl FnMut(i64, &str) -> Result<()>,
    ) -> Result<()> {
        self.backend.for_each_text(primary, after, upto, &mut f)
    }

    /// Every language tag stored, sorted.
    pub fn languages(&self) -> Result<Vec<String>> {
        self.backend.languages()
    }

    /// Counts per language pair, language and origin.
    pub fn stats(&self) -> Result<Stats> {
        self.backend.stats()
    }

    /// The stamp of the committed content now.
    pub fn stamp(&self) -> Result<Stamp> {
        self.backend.stamp()
    }

    /// How the content at `now` (from [`Memory::stamp`]) differs from `old`.
    pub fn since(&self, old: &Stamp, now: &Stamp) -> Result<Since> {
        self.backend.since(old, now)
    }

    /// Whether this memory keeps shared cache files (a PostgreSQL one does).
    pub fn keeps_shared_files(&self) -> bool {
        self.backend.keeps_shared_files()
    }

    /// Writes the shared cache file `name` to `out`; `false` when there is
    /// none (see [`Backend::shared_file`]: a PostgreSQL memory keeps them,
    /// so that a process on another machine need not rebuild its caches).
    pub fn shared_file(&self, name: &str, out: &mut dyn std::io::Write) -> Result<bool> {
        self.backend.shared_file(name, out)
    }

    /// Stores `data` as the shared cache file `name`; `false` when this
    /// memory keeps none (a file memory: its caches sit beside it).
    pub fn put_shared_file(&self, name: &str, data: &mut dyn std::io::Read) -> Result<bool> {
        self.backend.put_shared_file(name, data)
    }

    /// Stores a server API token by its hash; returns its id.
    pub fn add_token(&mut self, hash: &str, role: &str, name: Option<&str>) -> Result<i64> {
        self.backend.add_token(hash, role, name)
    }

    /// The token with this hash, if stored.
    pub fn token_by_hash(&self, hash: &str) -> Result<Option<Token>> {
        self.backend.token_by_hash(hash)
    }

    /// Every stored token.
    pub fn tokens(&self) -> Result<Vec<Token>> {
        self.backend.tokens()
    }

    /// Removes token `id`; returns whether it existed.
    pub fn revoke_token(&mut self, id: i64) -> Result<bool> {
        self.backend.revoke_token(id)
    }

    /// The units `filter` accepts, in id order, streamed.
    pub fn for_each_unit_filtered(
        &self,
        filter: &UnitFilter,
        mut f: impl FnMut(Unit) -> Result<()>,
    ) -> Result<()> {
        self.backend.for_each_unit_filtered(filter, &mut f)
    }

    /// Every recorded write batch, oldest first (`transmem history`).
    pub fn batches(&self) -> Result<Vec<Batch>> {
        self.backend.batches()
    }

    /// Removes the memory, and the folders made for it, if this handle
    /// created it and nothing was ever committed to it: what a failed
    /// import into a new path does so as to leave nothing behind. A memory
    /// another process has written to meanwhile is kept. Returns whether the
    /// memory was removed.
    pub fn discard_if_unused(mut self) -> Result<bool> {
        self.backend.discard_if_unused()
    }

    /// [`Memory::discard_if_unused`] on a borrowed handle (which is of no
    /// further use when it returns true).
    pub(crate) fn discard_unused(&mut self) -> Result<bool> {
        self.backend.discard_if_unused()
    }
}

/// One write transaction on a memory.
pub struct Writer<'m> {
    tx: Box<dyn WriteTx + 'm>,
    check: Option<CommitCheck>,
}

impl Writer<'_> {
    /// Stores `unit`. `source_lang` names the variant that counts as the
    /// source for `policy` (the first variant when `None`). Language tags
    /// must already be canonical; a unit needs at least one variant and at
    /// most one per language ([`crate::Error::InvalidUnit`] otherwise).
    pub fn insert(
        &mut self,
        unit: &Unit,
        source_lang: Option<&str>,
        policy: OnDuplicate,
    ) -> Result<Inserted> {
        self.tx.insert(unit, source_lang, policy)
    }

    /// Hands every variant this transaction inserts from now on to `tap`,
    /// as it is inserted, and closes it (drops it) when the commit starts.
    /// Only a transaction that began on an empty memory takes a tap (what
    /// it hears is then the whole memory); otherwise, and on an engine
    /// that cannot, `tap` comes back. A tap that was spoiled (see
    /// [`Tap::spoil`]) must not be trusted.
    pub fn tap(&mut self, tap: Box<dyn Tap>) -> std::result::Result<(), Box<dyn Tap>> {
        self.tx.set_tap(tap)
    }

    /// Makes every write of this transaction permanent; returns the stamp
    /// of the content it committed.
    pub fn commit(self) -> Result<Stamp> {
        if self.check.as_ref().is_some_and(|may| !may()) {
            // Dropping the transaction rolls it back.
            return Err(crate::Error::Cancelled);
        }
        self.tx.commit()
    }

    /// Records this transaction's changes as one batch named `command` (the
    /// command line) by `user`, and returns its id. Every change made
    /// through this writer (new units, overwrites, edits, deletions,
    /// restores) is kept with the before-image `undo` needs. A writer that
    /// changes something without calling this gets a batch named `write`;
    /// a batch that changed nothing is not kept.
    pub fn start_batch(&mut self, command: &str, user: Option<&str>) -> Result<i64> {
        self.tx.start_batch(command, user)
    }

    /// The id of this transaction's batch, once it has one.
    pub fn batch_id(&self) -> Option<i64> {
        self.tx.batch_id()
    }

    /// Adds `n` to a count shown with the batch in `history` (what the
    /// store cannot see itself, e.g. `duplicates`).
    pub fn count(&mut self, key: &str, n: u64) {
        self.tx.count(key, n)
    }

    /// The unit with this id as this transaction sees it (its own writes
    /// included).
    pub fn unit(&self, id: i64) -> Result<Option<Unit>> {
        self.tx.unit(id)
    }

    /// Sets the text of unit `id`'s variant in language `lang` (the exact
    /// stored tag). The unit keeps its context, origin and creation data;
    /// `changed` becomes now and `changer` the given name. The variant's
    /// inline markup is dropped, since it described the old text.
    pub fn edit(
        &mut self,
        id: i64,
        lang: &str,
        text: &str,
        changer: Option<&str>,
    ) -> Result<Edited> {
        self.tx.edit(id, lang, text, changer)
    }

    /// Removes unit `id` and its variants; false when no such unit exists.
    pub fn delete(&mut self, id: i64) -> Result<bool> {
        self.tx.delete(id)
    }

    /// Replaces the stored unit `id` by `unit` as given (variants, context
    /// and metadata; nothing filled in), keeping its id; recorded in the
    /// batch like an edit. False when there is no unit `id`. `dedupe` uses
    /// it to merge duplicates into one unit.
    pub fn put(&mut self, id: i64, unit: &Unit) -> Result<bool> {
        self.tx.put(id, unit)
    }

    /// Whether this engine can run [`Writer::part`] (PostgreSQL can).
    pub fn has_parts(&self) -> bool {
        self.tx.has_parts()
    }

    /// Runs `f` as one part of this transaction: its changes are a batch
    /// of their own, and when `f` fails, or `keep` (asked once `f` has
    /// succeeded) answers false, they alone are rolled back (a savepoint)
    /// and the answer is `f`'s error or [`crate::Error::Cancelled`]; the
    /// transaction's other parts stay and commit together. This is how a
    /// server writes several requests in one transaction (one COMMIT).
    ///
    /// The outer error means the transaction cannot go on (it must be
    /// dropped); the inner one is the part's own. Parts do not nest.
    pub fn part<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T>,
        keep: impl FnOnce() -> bool,
    ) -> Result<Result<T>> {
        self.tx.begin_part()?;
        let out = match f(self) {
            Ok(v) if keep() => Ok(v),
            Ok(_) => Err(crate::Error::Cancelled),
            Err(e) => Err(e),
        };
        self.tx.end_part(out.is_ok())?;
        Ok(out)
    }

    /// Reverts every change of batch `batch`: units it created are removed,
    /// units it changed or deleted are put back exactly as they were (same
    /// id, variants, context and metadata). Refused with
    /// [`crate::Error::Invalid`] when the batch does not exist, was undone
    /// already, or when a later batch (not itself undone) changed one of
    /// its units, unless `force`; the undo is itself a batch, so it can be
    /// undone too.
    pub fn undo(&mut self, batch: i64, force: bool) -> Result<Undone> {
        self.tx.undo(batch, force)
    }
}

/// FNV-1a, as a signed 64-bit integer (what SQL engines store). Used only to
/// find rows by index; every hit is confirmed by comparing the text itself.
pub(crate) fn fnv1a(bytes: &[u8]) -> i64 {
    fnv1a_extend(0xcbf29ce484222325, bytes) as i64
}

pub(crate) fn fnv1a_extend(mut h: u64, bytes: &[u8]) -> u64 {
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
pub(crate) fn content_hash(unit: &Unit) -> i64 {
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

#[cfg(test)]
mod tests;
