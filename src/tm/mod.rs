//! One interface to a translation memory, wherever it lives.
//!
//! Every command that reads or writes a memory calls a [`Tm`]; it never
//! asks where the memory is. Two things implement it:
//!
//! - [`Local`]: a [`crate::memory::Memory`] (a file, or PostgreSQL) with the matcher built
//!   on it, in this process;
//! - `remote::Remote` (feature `remote`): a `transmem serve` over its JSON
//!   API, which runs the same [`ops`] on its own memory.
//!
//! A [`Location`] (`path`, `postgresql://…` or `http(s)://…`) opens the
//! right one. Adding an operation means one method here, its [`Local`]
//! body (usually one of [`ops`]), and its remote body plus the server
//! route that calls the same [`ops`] function.
//!
//! The trait is synchronous: the library has no async runtime, and a
//! server calls it from its blocking pool.

mod local;
mod location;
pub mod ops;
mod show;
pub mod wire;

pub use local::Local;
pub use location::{Location, redact};
pub use show::{stored_in, terminal_safe};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::import::Counts;
use crate::matcher::concordance::Hit;
use crate::matcher::{Match, Options, Query, Trust};
use crate::memory::{Batch, DateBound, Edited, OnDuplicate, Stats, Undone, UnitFilter};
use crate::model::Unit;

/// Most matches one query may ask for, and most units a page holds: more
/// than anyone reads, and a bound on what one request reserves.
pub const MAX_LIMIT: usize = 10_000;

/// Who writes, and why: recorded with the write's batch (`history`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchInfo {
    /// The command line (or request) that made the change.
    pub command: String,
    /// Who ran it. A server records its token's name instead.
    pub user: Option<String>,
}

/// A write of new units ([`Tm::write`]).
#[derive(Debug, Clone, Default)]
pub struct WriteRequest {
    /// The batch the units are recorded in.
    pub batch: BatchInfo,
    /// What to do with a source stored with another translation.
    pub on_duplicate: OnDuplicate,
    /// How many groups (files) the units come in; counts are kept per group.
    pub groups: usize,
    /// Leave the match index for the first lookup to bring up to date.
    pub defer_index: bool,
    /// About how many units the write brings (0: unknown). A first write
    /// into an empty memory expected to bring many builds the match index
    /// while it stores ([`crate::matcher::index::Tapped`]).
    pub expected_units: u64,
    /// The units are one document's current version (an alignment stored
    /// again): they replace what an earlier write of the same document left
    /// ([`crate::import::store_document`]).
    pub supersede: Option<Supersede>,
}

/// Which document a write replaces: its origin and language pair.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supersede {
    /// The units' origin (the document).
    pub origin: String,
    /// Its source language.
    pub from: String,
    /// Its target language.
    pub to: String,
}

/// Where [`Tm::write`] takes units, one at a time, in order.
pub trait Sink {
    /// Adds `unit` to group `group`; `source_lang` names the variant that
    /// counts as the source for the duplicate policy (the first when
    /// `None`). A unit the store cannot hold is refused here
    /// ([`crate::Error::InvalidUnit`], [`crate::Error::Lang`]), so that the
    /// caller can say where it came from.
    fn unit(&mut self, group: usize, unit: Unit, source_lang: Option<String>) -> Result<()>;
    /// Counts `n` units of group `group` dropped before the store (empty ones).
    fn skipped(&mut self, group: usize, n: u64);
}

/// What a [`Tm::write`] stored.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Written {
    /// Per group: units taken, new, duplicate, skipped (policy or empty),
    /// overwritten.
    pub groups: Vec<Counts>,
    /// The batch that holds the change (`None`: nothing changed).
    pub batch: Option<i64>,
    /// What went wrong after the commit (the match index was not brought
    /// up to date); the units are stored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// With [`WriteRequest::supersede`]: earlier units of the document the
    /// write deleted.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub superseded: u64,
    /// With [`WriteRequest::supersede`]: earlier units it kept as they were.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unchanged: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Written {
    /// All groups added up.
    pub fn total(&self) -> Counts {
        let mut t = Counts::default();
        for g in &self.groups {
            t.read += g.read;
            t.new += g.new;
            t.duplicate += g.duplicate;
            t.skipped += g.skipped;
            t.overwritten += g.overwritten;
        }
        t
    }
}

/// Lookup options: the matcher's, and the filters and penalties on the
/// matched units that act after scoring.
#[derive(Debug, Clone, Default)]
pub struct LookupOptions {
    /// Threshold, limit, penalties, candidates.
    pub matching: Options,
    /// Origin, creator and date filters; source penalties.
    pub trust: Trust,
}

/// Which units a command works on, as the user wrote it (globs, regular
/// expressions and dates as text), so that it travels to a server; the
/// JSON shape is the `filter` of the server's maintenance routes.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Only these unit ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<i64>,
    /// Units holding a variant of each of these languages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "server", schema(value_type = Vec<crate::server::openapi::LangTag>))]
    pub langs: Vec<String>,
    /// Origin glob (`*`, `?`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Exact creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Changed (else created) on or after this day or timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(value_type = Option<crate::server::openapi::DateBound>))]
    pub since: Option<String>,
    /// Changed (else created) on or before this day or timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(value_type = Option<crate::server::openapi::DateBound>))]
    pub until: Option<String>,
    /// A regular expression some variant's text must match.
    #[serde(rename = "match", default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

impl Filter {
    /// True when it takes every unit.
    pub fn is_empty(&self) -> bool {
        self == &Filter::default()
    }

    /// The store's filter; a bad glob, date, tag or regular expression is
    /// [`crate::Error::Invalid`] (or [`crate::Error::Lang`]) naming the field.
    pub fn compile(&self) -> Result<UnitFilter> {
        use crate::Error;
        let date = |field: &str, v: &Option<String>| {
            v.as_deref()
                .map(DateBound::parse)
                .transpose()
                .map_err(|e| Error::Invalid(format!("{field}: {e}")))
        };
        Ok(UnitFilter {
            ids: self.ids.clone(),
            langs: self
                .langs
                .iter()
                .map(|l| crate::lang::normalize_tag(l))
                .collect::<Result<_>>()?,
            origin: self.origin.as_deref().map(UnitFilter::glob).transpose()?,
            creator: self.created_by.clone(),
            since: date("since", &self.since)?,
            until: date("until", &self.until)?,
            text: self
                .pattern
                .as_deref()
                .map(|p| {
                    regex::Regex::new(p)
                        .map_err(|e| Error::Invalid(format!("match: bad regular expression: {e}")))
                })
                .transpose()?,
            text_lang: None,
        })
    }
}

/// One text change of a replace: unit, exact language tag, old and new text.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The unit.
    pub id: i64,
    /// The variant's exact tag.
    pub lang: String,
    /// Its text before.
    pub old: String,
    /// Its text after.
    pub new: String,
}

/// A search and replace in one language's texts ([`Tm::replace`]).
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplaceRequest {
    /// The language whose texts change.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi::LangTag))]
    pub lang: String,
    /// Regular expression.
    pub find: String,
    /// Replacement (`$1`, `${name}`, `$$`).
    pub replace: String,
    /// Which units (the language is added to its `langs`).
    #[serde(default)]
    pub filter: Filter,
    /// List the changes; change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// What a replace changed, or would change.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replaced {
    /// The changes (over a server, at most [`MAX_LIMIT`] of them).
    pub changes: Vec<Change>,
    /// How many texts changed (or would), all of them.
    pub changed: u64,
    /// The batch that holds them (`None`: a dry run, or nothing matched).
    pub batch: Option<i64>,
}

/// What a delete removed.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deleted {
    /// Units removed.
    pub deleted: u64,
    /// The batch that holds the removal.
    pub batch: Option<i64>,
}

/// What an edit did.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditDone {
    /// Changed (with the old text), unchanged, or the unit or variant gone.
    pub edited: Edited,
    /// The batch that holds the change.
    pub batch: Option<i64>,
}

/// What an undo did, or would do.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoDone {
    /// Units removed and restored, and later batches overridden (`force`).
    pub undone: Undone,
    /// The batch recording the undo (`None` for a dry run).
    pub batch: Option<i64>,
    /// The command of the batch undone, if recorded.
    pub command: Option<String>,
}

/// `dedupe`: which duplicates to resolve, and how.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DedupeRequest {
    /// Source language of the conflicts.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi::LangTag))]
    pub from: String,
    /// Target language of the conflicts.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi::LangTag))]
    pub to: String,
    /// Delete every translation of a conflict but the newest.
    #[serde(default)]
    pub keep_newest: bool,
    /// Merge units identical in every variant into the first.
    #[serde(default)]
    pub merge_exact: bool,
    /// Report; change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// What `dedupe` found and did.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DedupeDone {
    /// Sources stored with different translations, newest first in each.
    pub conflicts: Vec<crate::dedupe::Conflict>,
    /// Groups of units identical in every variant, lowest id first.
    pub exact: Vec<Vec<Unit>>,
    /// Older translations deleted (`keep_newest`).
    pub deleted: u64,
    /// Duplicate units merged away (`merge_exact`).
    pub removed: u64,
    /// The batch that holds the changes.
    pub batch: Option<i64>,
}

/// An API token as listed: never its secret, nor its hash.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenEntry {
    /// Its id (what revoke takes).
    pub id: i64,
    /// `read`, `write` or `admin`.
    pub role: String,
    /// A label for people.
    pub name: Option<String>,
    /// When it was created (TMX form).
    pub created: String,
}

/// What an API token may do; each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Lookups, concordance, export, units, stats, history.
    Read,
    /// Also add, import, edit, delete, replace, dedupe.
    Write,
    /// Everything: also undo and tokens.
    Admin,
}

impl Role {
    /// The name stored in the memory.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Write => "write",
            Role::Admin => "admin",
        }
    }

    /// A stored role name; `None` for a name this build does not know
    /// (such a token grants nothing).
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "read" => Some(Role::Read),
            "write" => Some(Role::Write),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A translation memory: every operation a command needs, the same
/// wherever the memory lives. Reads take `&self`, writes `&mut self`;
/// every write is one batch (one transaction), which `undo` reverts.
pub trait Tm: Send {
    /// Where the memory is, for messages.
    fn location(&self) -> &Location;

    /// The memory file's size in bytes (`None` for a database or server).
    fn size(&self) -> Option<u64> {
        None
    }

    /// Counts per language pair, language and origin.
    fn stats(&self) -> Result<Stats>;

    /// Every stored language tag, sorted.
    fn languages(&self) -> Result<Vec<String>>;

    /// Number of stored units.
    fn unit_count(&self) -> Result<u64>;

    /// The unit with this id.
    fn unit(&self, id: i64) -> Result<Option<Unit>>;

    /// The units with these ids that exist, in id order.
    fn units_by_id(&self, ids: &[i64]) -> Result<Vec<Unit>> {
        let mut out = Vec::new();
        for &id in ids {
            out.extend(self.unit(id)?);
        }
        out.sort_by_key(|u| u.id);
        Ok(out)
    }

    /// The units `filter` selects, in id order, streamed.
    fn units(&self, filter: &Filter, f: &mut dyn FnMut(Unit) -> Result<()>) -> Result<()>;

    /// The texts of the newest `max` variants of primary language `lang`
    /// (`en` takes `en-GB`), oldest first: what segmentation learns from
    /// (docs/segmentation.md, "Learning from the memory"). The default
    /// streams the language's units ([`newest_texts_streamed`]); a memory
    /// in this process reads only its newest variant ids, so the cost
    /// stays that of `max` rows however large the memory is.
    fn newest_texts(&self, lang: &str, max: usize) -> Result<Vec<String>> {
        newest_texts_streamed(self, lang, max)
    }

    /// How many units `filter` selects.
    fn count(&self, filter: &Filter) -> Result<u64> {
        let mut n = 0;
        self.units(filter, &mut |_| {
            n += 1;
            Ok(())
        })?;
        Ok(n)
    }

    /// The recorded write batches, oldest first: the last `last` when given.
    fn history(&self, last: Option<usize>) -> Result<Vec<Batch>>;

    /// The matches of each query `from` → `to`, best first, in query order.
    /// A query with no word ([`crate::matcher::skip_reason`]) gets none.
    fn lookup_batch(
        &self,
        from: &str,
        to: &str,
        queries: &[Query<'_>],
        opts: &LookupOptions,
    ) -> Result<Vec<Vec<Match>>>;

    /// Stored segments of `lang` holding `text`'s words, best first.
    fn concordance(&self, lang: &str, text: &str, limit: usize) -> Result<Vec<Hit>>;

    /// Stores units, all in one batch: `fill` hands them to the [`Sink`];
    /// if it fails, nothing is stored.
    fn write(
        &mut self,
        req: &WriteRequest,
        fill: &mut dyn FnMut(&mut dyn Sink) -> Result<()>,
    ) -> Result<Written>;

    /// Sets the text of unit `id`'s variant of `lang` (the exact stored tag).
    fn edit(&mut self, batch: &BatchInfo, id: i64, lang: &str, text: &str) -> Result<EditDone>;

    /// Deletes every unit `filter` selects, in one batch.
    fn delete(&mut self, batch: &BatchInfo, filter: &Filter) -> Result<Deleted>;

    /// Replaces a regular expression in one language's texts, in one batch.
    fn replace(&mut self, batch: &BatchInfo, req: &ReplaceRequest) -> Result<Replaced>;

    /// Reverts batch `id` (as a new batch); `dry_run` rolls it back again.
    fn undo(&mut self, batch: &BatchInfo, id: i64, force: bool, dry_run: bool) -> Result<UndoDone>;

    /// Finds conflicts and exact duplicates, and resolves them as asked, in
    /// one batch.
    fn dedupe(&mut self, batch: &BatchInfo, req: &DedupeRequest) -> Result<DedupeDone>;

    /// Every API token of the memory's server.
    fn tokens(&self) -> Result<Vec<TokenEntry>>;

    /// Stores a token by the hash of its secret (the secret never leaves
    /// the machine that made it); returns its id.
    fn add_token(&mut self, hash: &str, role: Role, name: Option<&str>) -> Result<i64>;

    /// Revokes token `id`; false when there is none.
    fn revoke_token(&mut self, id: i64) -> Result<bool>;

    /// Removes the memory if this handle created it and nothing was ever
    /// committed to it (a failed first import leaves nothing behind).
    fn discard_if_unused(&mut self) -> Result<bool> {
        Ok(false)
    }
}

/// A [`Tm`] in one language direction: what [`crate::analysis::Analyzer`]
/// looks segments up in (a whole file per call, so a server gets batches).
pub struct Directed<'a> {
    /// The memory.
    pub tm: &'a dyn Tm,
    /// Source language.
    pub from: &'a str,
    /// Target language.
    pub to: &'a str,
}

impl crate::analysis::Lookup for Directed<'_> {
    fn best(&self, queries: &[Query<'_>], opts: &Options) -> Result<Vec<Option<Match>>> {
        let opts = LookupOptions {
            matching: opts.clone(),
            trust: Trust::default(),
        };
        Ok(self
            .tm
            .lookup_batch(self.from, self.to, queries, &opts)?
            .into_iter()
            .map(|m| m.into_iter().next())
            .collect())
    }
}

impl crate::export::Source for dyn Tm + '_ {
    fn languages(&self) -> Result<Vec<String>> {
        Tm::languages(self)
    }

    fn for_each_unit(&self, f: &mut dyn FnMut(Unit) -> Result<()>) -> Result<()> {
        self.units(&Filter::default(), f)
    }
}

/// The primary subtags a memory holds, lower case, sorted, once each (for
/// "the memory holds no de text; it holds en, ru").
pub fn primaries(tm: &dyn Tm) -> Result<Vec<String>> {
    let mut langs: Vec<String> = tm
        .languages()?
        .iter()
        .map(|l| crate::lang::primary(l).to_ascii_lowercase())
        .collect();
    langs.sort();
    langs.dedup();
    Ok(langs)
}

/// Applies `trust` to each query's matches, reading the matched units
/// through `units` (all of a batch at once, so a server is asked once).
pub(crate) fn apply_trust(
    trust: &Trust,
    results: Vec<Vec<Match>>,
    threshold: f64,
    limit: usize,
    units: &dyn Fn(&[i64]) -> Result<Vec<Unit>>,
) -> Result<Vec<Vec<Match>>> {
    if trust.is_empty() {
        return Ok(results);
    }
    let mut ids: Vec<i64> = results.iter().flatten().map(|m| m.id).collect();
    ids.sort_unstable();
    ids.dedup();
    let by_id: std::collections::HashMap<i64, Unit> = units(&ids)?
        .into_iter()
        .filter_map(|u| Some((u.id?, u)))
        .collect();
    let today = crate::matcher::today();
    results
        .into_iter()
        .map(|m| {
            trust.apply(
                m,
                &mut |id| Ok(by_id.get(&id).cloned()),
                today,
                threshold,
                limit,
            )
        })
        .collect()
}

/// The matcher options of a lookup with `trust`: filters and penalties act
/// after scoring, so more matches are asked for, that the best trusted
/// ones are still among them.
pub(crate) fn widened(opts: &LookupOptions) -> Options {
    let mut o = opts.matching.clone();
    if !opts.trust.is_empty() {
        o.limit = (o.limit * 10).clamp(50, MAX_LIMIT);
    }
    o
}

/// [`Tm::newest_texts`] by streaming every unit of `lang` through
/// [`Tm::units`] (units in id order, so the last `max` variants are the
/// newest): the default, and what a bounded read must agree with.
pub fn newest_texts_streamed<T: Tm + ?Sized>(
    tm: &T,
    lang: &str,
    max: usize,
) -> Result<Vec<String>> {
    let primary = crate::lang::primary_of(lang);
    let filter = Filter {
        langs: vec![primary.clone()],
        ..Filter::default()
    };
    let mut newest = std::collections::VecDeque::new();
    if max > 0 {
        tm.units(&filter, &mut |u| {
            for v in u.variants {
                if crate::lang::primary(&v.lang.to_ascii_lowercase()) == primary {
                    if newest.len() == max {
                        newest.pop_front();
                    }
                    newest.push_back(v.text);
                }
            }
            Ok(())
        })?;
    }
    Ok(newest.into())
}
