//! A translation memory in this process: a [`Memory`] (file or
//! PostgreSQL) with the matcher built on it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use super::{
    BatchInfo, DedupeDone, DedupeRequest, Deleted, EditDone, Filter, Location, LookupOptions,
    ReplaceRequest, Replaced, Role, Sink, Tm, TokenEntry, UndoDone, WriteRequest, Written, ops,
};
use crate::error::Result;
use crate::matcher::concordance::{self, Hit};
use crate::matcher::index::{self, Event};
use crate::matcher::live::{self, Live};
use crate::matcher::{Match, Matcher, Options, Query};
use crate::memory::{Batch, Memory, Stamp, Stats};
use crate::model::Unit;

/// What hears about the candidate index: a build starting, its progress,
/// its end (a command shows them on stderr; a build is never silent).
pub type Events = Box<dyn FnMut(&Event) + Send>;

/// A [`Memory`] in this process, with one matcher per language direction
/// loaded on first use and kept while the memory does not change.
pub struct Local {
    mem: Memory,
    location: Location,
    matchers: Mutex<HashMap<(String, String), Arc<Looker>>>,
    events: Mutex<Events>,
}

/// The matcher of one direction: over a stored memory a [`Live`] one,
/// which takes a saved index that lacks a few units written since (by a
/// server, another user) as it is and reads them into a small second
/// index, where extending the saved one re-sorts every entry (21.5 s at
/// 10M units); over a memory in RAM a plain one.
#[allow(
    clippy::large_enum_variant,
    reason = "one per language direction, behind an Arc: the size is never copied"
)]
enum Looker {
    Live(Live),
    Plain(Matcher),
}

impl Looker {
    fn lookup(&self, q: &Query, o: &Options) -> Result<Vec<Match>> {
        match self {
            // Brought up to date when it was made; a command's memory
            // changes only through `Local`, which drops it on a write.
            Looker::Live(l) => l.lookup_as_is(q, o),
            Looker::Plain(m) => m.lookup(q, o),
        }
    }
}

impl std::fmt::Debug for Local {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Local")
            .field("location", &self.location)
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Local {
    /// `mem`, named `location` in messages.
    pub fn new(mem: Memory, location: Location) -> Local {
        Local {
            mem,
            location,
            matchers: Mutex::new(HashMap::new()),
            events: Mutex::new(Box::new(|_| {})),
        }
    }

    /// Sends the candidate index's events (building, progress, done) to `on`.
    pub fn set_events(&mut self, on: Events) {
        self.events = Mutex::new(on);
    }

    /// The memory.
    pub fn memory(&self) -> &Memory {
        &self.mem
    }

    /// The memory, mutably (writes outside this interface).
    pub fn memory_mut(&mut self) -> &mut Memory {
        self.matchers = Mutex::new(HashMap::new());
        &mut self.mem
    }

    fn matcher(&self, from: &str, to: &str) -> Result<Arc<Looker>> {
        let key = (from.to_string(), to.to_string());
        if let Some(m) = lock(&self.matchers).get(&key) {
            return Ok(m.clone());
        }
        let mut on = lock(&self.events);
        let m = Arc::new(match self.mem.reader()? {
            Some(handle) => {
                let live = Live::with_events(handle, from, to, &mut |e| on(e))?;
                live.refresh()?;
                Looker::Live(live)
            }
            None => Looker::Plain(Matcher::load_with(&self.mem, from, to, &mut |e| on(e))?),
        });
        lock(&self.matchers).insert(key, m.clone());
        Ok(m)
    }

    /// After a write that started at `before`: brings the saved indexes up
    /// to date (every language indexed already; when there is none yet,
    /// the language of the first variant the write stored), so that the
    /// next lookup finds them ready. A small write into a large memory
    /// leaves the saved index behind by up to [`live::LAG`] ids, which the
    /// next lookup reads beside it (see [`index::refresh`]). A failure is
    /// returned as a warning: the units are committed, and the next lookup
    /// builds the index.
    /// A warning when the index could not be brought up to date; an error
    /// when the update found the memory damaged: the write is committed,
    /// but a command must not end as a success on a memory that cannot be
    /// read (an import into it exited 0).
    fn refresh_indexes(&mut self, before: &Stamp) -> Result<Option<String>> {
        self.matchers = Mutex::new(HashMap::new());
        let events = self.events.get_mut().unwrap_or_else(|p| p.into_inner());
        match refresh(&self.mem, before, events) {
            Ok(()) => Ok(None),
            Err(crate::Error::Corrupt { path, what }) => Err(crate::Error::Corrupt {
                path,
                what: format!(
                    "{what} (found after the write, which was committed; restore a copy, \
                     or export what can be read)"
                ),
            }),
            Err(e) => Ok(Some(format!(
                "the match index was not brought up to date ({e}); the next lookup will build it"
            ))),
        }
    }

    fn wrote(&mut self) {
        self.matchers = Mutex::new(HashMap::new());
    }

    /// A build of the match index fed while `req` stores (see
    /// [`index::Tapped`]), and its tap: for a large first write into an
    /// empty memory file whose index is wanted when the write returns.
    /// The transaction takes the tap only if the memory is still empty
    /// when it begins.
    fn tap_for(
        &self,
        req: &WriteRequest,
        before: &Stamp,
    ) -> Option<(Box<dyn crate::memory::Tap>, index::Tapped)> {
        if req.defer_index
            || req.supersede.is_some()
            || req.expected_units < TAP_FROM
            || before.variants != 0
        {
            return None;
        }
        let base = self.mem.cache_base()?;
        index::Tapped::start(&base, req.expected_units).ok()
    }
}

/// Units a first write must be expected to bring for its match index to
/// be built while it stores ([`Local::tap_for`]): below, building it after
/// the commit takes well under a second, and the write keeps its one
/// thread.
const TAP_FROM: u64 = 5_000;

fn refresh(mem: &Memory, before: &Stamp, on: &mut Events) -> Result<()> {
    let Some(base) = mem.cache_base() else {
        return Ok(());
    };
    let mut langs: Vec<String> = Vec::new();
    for l in mem.languages()? {
        let p = crate::lang::primary(&l).to_ascii_lowercase();
        if !langs.contains(&p) && index::path_for(&base, &p).exists() {
            langs.push(p);
        }
    }
    if langs.is_empty() {
        let now = mem.stamp()?;
        if now.variants > before.variants
            && let Some(v) = mem.variant(before.variants + 1)?
        {
            langs.push(crate::lang::primary(&v.lang).to_ascii_lowercase());
        }
    }
    for l in langs {
        index::refresh(mem, &l, live::LAG, &mut |e| on(e))?;
    }
    Ok(())
}

impl Tm for Local {
    fn location(&self) -> &Location {
        &self.location
    }

    fn size(&self) -> Option<u64> {
        let p = self.location.file()?;
        std::fs::metadata(p)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len())
    }

    fn stats(&self) -> Result<Stats> {
        self.mem.stats()
    }

    fn languages(&self) -> Result<Vec<String>> {
        self.mem.languages()
    }

    fn unit_count(&self) -> Result<u64> {
        self.mem.unit_count()
    }

    fn unit(&self, id: i64) -> Result<Option<Unit>> {
        self.mem.unit(id)
    }

    fn units(&self, filter: &Filter, f: &mut dyn FnMut(Unit) -> Result<()>) -> Result<()> {
        let filter = filter.compile()?;
        self.mem.for_each_unit_filtered(&filter, f)
    }

    fn newest_texts(&self, lang: &str, max: usize) -> Result<Vec<String>> {
        // Variant ids ascend in commit order, so the newest variants are
        // the highest ids: read a window below the newest id, widened
        // until it holds `max` of the language or reaches the first id.
        // Measured: the whole-memory stream this replaces took 458-577 ms
        // at 100k units and grew with the memory.
        let primary = crate::lang::primary_of(lang);
        let upto = self.mem.stamp()?.variants;
        if max == 0 || upto <= 0 {
            return Ok(Vec::new());
        }
        let mut span = i64::try_from(max).unwrap_or(i64::MAX / 8).saturating_mul(2);
        loop {
            let after = upto.saturating_sub(span).max(0);
            let mut got = Vec::new();
            self.mem.for_each_text(&primary, after, upto, |_, t| {
                got.push(t.to_string());
                Ok(())
            })?;
            if got.len() >= max || after == 0 {
                let skip = got.len().saturating_sub(max);
                got.drain(..skip);
                return Ok(got);
            }
            span = span.saturating_mul(4);
        }
    }

    fn history(&self, last: Option<usize>) -> Result<Vec<Batch>> {
        let mut batches = self.mem.batches()?;
        if let Some(n) = last {
            let skip = batches.len().saturating_sub(n);
            batches.drain(..skip);
        }
        Ok(batches)
    }

    fn lookup_batch(
        &self,
        from: &str,
        to: &str,
        queries: &[Query<'_>],
        opts: &LookupOptions,
    ) -> Result<Vec<Vec<Match>>> {
        let matcher = self.matcher(from, to)?;
        let o = super::widened(opts);
        // Every core works on the queries; the store's reads go through
        // the matcher's own pool of read handles.
        let found: Vec<Vec<Match>> = queries
            .par_iter()
            .map(|q| {
                if crate::matcher::skip_reason(q.text).is_some() {
                    return Ok(Vec::new());
                }
                matcher.lookup(q, &o)
            })
            .collect::<Result<_>>()?;
        super::apply_trust(
            &opts.trust,
            found,
            opts.matching.threshold,
            opts.matching.limit,
            &|ids| {
                let mut out = Vec::with_capacity(ids.len());
                for &id in ids {
                    out.extend(self.mem.unit(id)?);
                }
                Ok(out)
            },
        )
    }

    fn concordance(&self, lang: &str, text: &str, limit: usize) -> Result<Vec<Hit>> {
        let mut on = lock(&self.events);
        concordance::search_with(&self.mem, lang, text, limit, &mut |e| on(e))
    }

    fn write(
        &mut self,
        req: &WriteRequest,
        fill: &mut dyn FnMut(&mut dyn Sink) -> Result<()>,
    ) -> Result<Written> {
        let before = self.mem.stamp()?;
        let (tap, tapped) = self.tap_for(req, &before).unzip();
        let (mut written, stamp) = match ops::write_tapped(&mut self.mem, req, fill, tap) {
            Ok(w) => w,
            Err(e) => {
                drop(tapped);
                // "Unchanged" includes not leaving a new, empty memory (or
                // the folders made for it) behind; a memory another process
                // has written to meanwhile is kept.
                let _ = self.discard_if_unused();
                return Err(e);
            }
        };
        if let (Some(t), Some(stamp)) = (tapped, stamp) {
            let events = self.events.get_mut().unwrap_or_else(|p| p.into_inner());
            // Saved: the refresh below finds it up to date (and it is
            // shared, where the store shares caches). Not (nothing heard,
            // a spoiled tap, a failed build): the refresh builds it.
            if let Some(lang) = t.save(stamp, &mut |e| events(e)) {
                index::share(&self.mem, &lang, &mut |e| events(e));
            }
        }
        if req.defer_index {
            self.wrote();
        } else if let Some(w) = self.refresh_indexes(&before)? {
            written.warnings.push(w);
        }
        Ok(written)
    }

    fn edit(&mut self, batch: &BatchInfo, id: i64, lang: &str, text: &str) -> Result<EditDone> {
        self.wrote();
        ops::edit(&mut self.mem, batch, id, lang, text)
    }

    fn delete(&mut self, batch: &BatchInfo, filter: &Filter) -> Result<Deleted> {
        self.wrote();
        let filter = filter.compile()?;
        ops::delete(&mut self.mem, batch, &filter)
    }

    fn replace(&mut self, batch: &BatchInfo, req: &ReplaceRequest) -> Result<Replaced> {
        self.wrote();
        ops::replace(&mut self.mem, batch, req)
    }

    fn undo(&mut self, batch: &BatchInfo, id: i64, force: bool, dry_run: bool) -> Result<UndoDone> {
        self.wrote();
        ops::undo(&mut self.mem, batch, id, force, dry_run)
    }

    fn dedupe(&mut self, batch: &BatchInfo, req: &DedupeRequest) -> Result<DedupeDone> {
        self.wrote();
        ops::dedupe(&mut self.mem, batch, req)
    }

    fn tokens(&self) -> Result<Vec<TokenEntry>> {
        ops::tokens(&self.mem)
    }

    fn add_token(&mut self, hash: &str, role: Role, name: Option<&str>) -> Result<i64> {
        self.mem.add_token(hash, role.as_str(), name)
    }

    fn revoke_token(&mut self, id: i64) -> Result<bool> {
        self.mem.revoke_token(id)
    }

    fn discard_if_unused(&mut self) -> Result<bool> {
        self.mem.discard_unused()
    }
}
