//! A matcher that stays current in a long-running process (a server).
//!
//! [`Matcher::load`] sees the memory as it was when loaded. [`Live`] asks
//! the store for its [`Stamp`] before each lookup (one cheap query) and,
//! when other processes have only appended, reads just the new variants
//! into a small second index searched beside the main one; results of both
//! are merged. Rebuilding the main index for each write would cost a full
//! index build (seconds at 1M units); the small index costs milliseconds.
//! When it grows past [`FOLD`] entries, or the memory was rewritten, the
//! main index is reloaded (which extends and re-saves the cached index).

use std::sync::{Mutex, RwLock};

use super::{Match, Matcher, Options, Query, index};
use crate::error::Result;
use crate::memory::{Memory, Since, Stamp};

/// Appended variants kept in the small index before the main one is
/// reloaded to take them in.
pub const FOLD: usize = 50_000;

/// Variant ids a saved index may lack when a `Live` starts (a new server
/// on a memory others wrote to since the index was saved or shared): up
/// to this many are read into the small index at the first lookup instead
/// of extending the saved one. Ids count every language's variants, so
/// this is `FOLD` units of a bilingual memory.
pub(crate) const LAG: i64 = 2 * FOLD as i64;

struct State {
    main: Matcher,
    /// Appended variants not in `main`, and their index.
    delta_rows: Vec<(i64, String)>,
    delta: Option<Matcher>,
    /// The memory's stamp that `main` + `delta` cover.
    stamp: Stamp,
}

/// Lookups `from` → `to` that see every committed write, within one stamp
/// query of it. `Sync`: share one across request threads.
pub struct Live {
    memory: Mutex<Memory>,
    from: String,
    to: String,
    primary: String,
    state: RwLock<State>,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("from", &self.from)
            .field("to", &self.to)
            .finish()
    }
}

impl Live {
    /// Loads the matcher of `memory` (a handle this value keeps for the
    /// stamp checks) for `from` → `to`.
    pub fn new(memory: Memory, from: &str, to: &str) -> Result<Live> {
        Self::with_lag(memory, from, to, LAG, &mut |_| {})
    }

    /// [`Live::new`], telling `on` when the index has to be built or
    /// extended first (see [`Matcher::load_with`]).
    pub fn with_events(
        memory: Memory,
        from: &str,
        to: &str,
        on: &mut dyn FnMut(&index::Event),
    ) -> Result<Live> {
        Self::with_lag(memory, from, to, LAG, on)
    }

    /// [`Live::with_events`], taking a saved index as it is when it lacks
    /// at most `lag` variant ids (0: always extended first).
    fn with_lag(
        memory: Memory,
        from: &str,
        to: &str,
        lag: i64,
        on: &mut dyn FnMut(&index::Event),
    ) -> Result<Live> {
        let primary = crate::lang::primary(from).to_ascii_lowercase();
        let state = Self::load(&memory, from, to, lag, on)?;
        Ok(Live {
            memory: Mutex::new(memory),
            from: from.into(),
            to: to.into(),
            primary,
            state: RwLock::new(state),
        })
    }

    fn load(
        memory: &Memory,
        from: &str,
        to: &str,
        lag: i64,
        on: &mut dyn FnMut(&index::Event),
    ) -> Result<State> {
        // The index covers at least `stamp`; rows it already holds that a
        // later refresh reads again are dropped when results are merged.
        let stamp = memory.stamp()?;
        // A saved or fetched index that lacks only a few appended units is
        // not extended here (that re-sorts every entry: 24 s at 10M on
        // PostgreSQL before a new server's first answer); the first refresh
        // reads what it lacks into the small index instead.
        let (main, behind) = Matcher::load_lagging(memory, from, to, lag, on)?;
        Ok(State {
            main,
            delta_rows: Vec::new(),
            delta: None,
            stamp: behind.unwrap_or(stamp),
        })
    }

    /// Brings the matcher up to the memory's committed state; returns
    /// whether anything changed. Called by [`Live::lookup`].
    pub fn refresh(&self) -> Result<bool> {
        let memory = self.memory.lock().unwrap_or_else(|p| p.into_inner());
        let now = memory.stamp()?;
        let old = self.state.read().unwrap_or_else(|p| p.into_inner()).stamp;
        if now == old {
            return Ok(false);
        }
        let mut state = self.state.write().unwrap_or_else(|p| p.into_inner());
        if state.stamp == now {
            return Ok(false); // another thread refreshed meanwhile
        }
        match memory.since(&state.stamp, &now)? {
            Since::Same => {}
            Since::Appended if state.delta_rows.len() < FOLD => {
                let rows =
                    index::read_rows(&memory, &self.primary, state.stamp.variants, now.variants)?;
                state.delta_rows.extend(rows);
                // The previous small index's read handle is reused.
                let reader = match state.delta.take().and_then(Matcher::into_reader) {
                    Some(r) => Some(r),
                    None => memory.reader()?,
                };
                match reader {
                    Some(r) => {
                        state.delta = Some(Matcher::over_rows(
                            r,
                            &self.from,
                            &self.to,
                            state.delta_rows.clone(),
                        ));
                        state.stamp = now;
                    }
                    // A memory in RAM has no second handle: reload whole.
                    None => *state = Self::load(&memory, &self.from, &self.to, 0, &mut |_| {})?,
                }
            }
            // Folded (or rewritten): the main index is extended and saved.
            _ => *state = Self::load(&memory, &self.from, &self.to, 0, &mut |_| {})?,
        }
        Ok(true)
    }

    /// The best matches for `query`, best first, over everything committed
    /// when it was asked.
    pub fn lookup(&self, query: &Query, opts: &Options) -> Result<Vec<Match>> {
        self.refresh()?;
        self.lookup_as_is(query, opts)
    }

    /// [`Live::lookup`] without asking the store first: what the last
    /// [`Live::refresh`] saw. A batch of queries refreshes once, then uses
    /// this (one stamp query per batch, not per segment).
    pub fn lookup_as_is(&self, query: &Query, opts: &Options) -> Result<Vec<Match>> {
        let state = self.state.read().unwrap_or_else(|p| p.into_inner());
        let mut found = state.main.lookup(query, opts)?;
        if let Some(delta) = &state.delta {
            found.extend(delta.lookup(query, opts)?);
            found.sort_by(super::best_first);
            found.dedup_by(|a, b| a.id == b.id && a.source == b.source);
            found.truncate(opts.limit);
        }
        Ok(found)
    }

    /// Sources searched (main and appended).
    pub fn len(&self) -> usize {
        let state = self.state.read().unwrap_or_else(|p| p.into_inner());
        state.main.len() + state.delta.as_ref().map_or(0, Matcher::len)
    }

    /// True when there is nothing to match against.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::Matcher;
    use crate::memory::{OnDuplicate, Unit, Variant};

    fn add(m: &mut Memory, en: &str, ru: &str) {
        let mut w = m.writer().unwrap();
        w.insert(
            &Unit::new(vec![Variant::new("en", en), Variant::new("ru", ru)]),
            None,
            OnDuplicate::KeepBoth,
        )
        .unwrap();
        w.commit().unwrap();
    }

    /// A memory file holding one unit, and a handle on it to write with.
    fn harbour() -> (tempfile::TempDir, std::path::PathBuf, Memory) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.sqlite");
        let mut writer = Memory::open(&path).unwrap();
        add(
            &mut writer,
            "The harbour opens at dawn.",
            "Гавань открывается на рассвете.",
        );
        (dir, path, writer)
    }

    /// The bytes of the match index files saved beside the memory.
    fn saved_index(dir: &std::path::Path) -> Vec<u8> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".idx"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no index saved in {}", dir.display());
        files
            .iter()
            .flat_map(|f| std::fs::read(f).unwrap())
            .collect()
    }

    #[test]
    fn a_new_live_reads_what_a_saved_index_lacks_instead_of_extending_it() {
        let (dir, path, mut writer) = harbour();
        drop(Matcher::load(&writer, "en", "ru").unwrap()); // saves the index
        let saved = saved_index(dir.path());
        // Written after the index was saved: two variant ids behind.
        add(
            &mut writer,
            "The ferry leaves at noon.",
            "Паром уходит в полдень.",
        );
        let q = |t| Query {
            text: t,
            ..Query::default()
        };
        let opts = Options::default();
        let live = Live::with_lag(
            Memory::open_existing(&path).unwrap(),
            "en",
            "ru",
            2,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(
            saved_index(dir.path()),
            saved,
            "taken as it is, not extended"
        );
        let found = live.lookup(&q("The ferry leaves at noon."), &opts).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].target, "Паром уходит в полдень.");
        let found = live
            .lookup(&q("The harbour opens at dawn."), &opts)
            .unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(live.len(), 2);
        // Behind by more than the lag: extended (and saved) before use.
        let live = Live::with_lag(
            Memory::open_existing(&path).unwrap(),
            "en",
            "ru",
            1,
            &mut |_| {},
        )
        .unwrap();
        assert_ne!(saved_index(dir.path()), saved, "extended");
        assert!(!live.refresh().unwrap(), "nothing left to read");
        let found = live.lookup(&q("The ferry leaves at noon."), &opts).unwrap();
        assert_eq!(found[0].target, "Паром уходит в полдень.");
    }

    #[test]
    fn sees_appends_and_rewrites_from_another_handle() {
        let (_dir, path, mut writer) = harbour();
        let live = Live::new(Memory::open_existing(&path).unwrap(), "en", "ru").unwrap();
        let q = |t| Query {
            text: t,
            ..Query::default()
        };
        let opts = Options::default();
        assert!(
            live.lookup(&q("The ferry leaves at noon."), &opts)
                .unwrap()
                .is_empty()
        );
        // Another handle appends: the next lookup finds it, from the small index.
        add(
            &mut writer,
            "The ferry leaves at noon.",
            "Паром уходит в полдень.",
        );
        let found = live.lookup(&q("The ferry leaves at noon."), &opts).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].target, "Паром уходит в полдень.");
        assert_eq!(live.len(), 2);
        // A second append extends the small index (its read handle reused).
        add(
            &mut writer,
            "The bridge closes at midnight.",
            "Мост закрывается в полночь.",
        );
        let found = live
            .lookup(&q("The bridge closes at midnight."), &opts)
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].target, "Мост закрывается в полночь.");
        assert_eq!(live.len(), 3);
        let found = live.lookup(&q("The ferry leaves at noon."), &opts).unwrap();
        assert_eq!(found[0].target, "Паром уходит в полдень.");
        // Old entries are still found, once each.
        let found = live
            .lookup(&q("The harbour opens at dawn."), &opts)
            .unwrap();
        assert_eq!(found.len(), 1);
        assert!(!live.refresh().unwrap(), "nothing new: no refresh");
        // An overwrite is a rewrite: the whole matcher is reloaded.
        let mut w = writer.writer().unwrap();
        w.insert(
            &Unit::new(vec![
                Variant::new("en", "The ferry leaves at noon."),
                Variant::new("ru", "Паром отходит в полдень."),
            ]),
            Some("en"),
            OnDuplicate::Overwrite,
        )
        .unwrap();
        w.commit().unwrap();
        let found = live.lookup(&q("The ferry leaves at noon."), &opts).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].target, "Паром отходит в полдень.");
    }
}
