//! The writing operations of a [`super::Tm`] on a [`Memory`]: what
//! [`super::Local`] runs, and what a server runs on its memory for a
//! remote client, so that both do exactly the same. Each is one write
//! transaction, recorded as one batch.

use crate::error::{Error, Result};
use crate::import::{Counts, tally};
use crate::memory::{Edited, Memory, OnDuplicate, Stamp, UnitFilter, Writer};
use crate::model::Unit;

use super::{
    BatchInfo, DedupeDone, DedupeRequest, Deleted, EditDone, ReplaceRequest, Replaced, Sink,
    UndoDone, WriteRequest, Written,
};

/// A [`Sink`] storing into one writer, counting per group.
struct WriterSink<'a, 'm> {
    w: &'a mut Writer<'m>,
    policy: OnDuplicate,
    groups: Vec<Counts>,
}

impl WriterSink<'_, '_> {
    fn group(&mut self, g: usize) -> Result<&mut Counts> {
        let n = self.groups.len();
        self.groups
            .get_mut(g)
            .ok_or_else(|| Error::Invalid(format!("group {g} of a write of {n} groups")))
    }
}

impl Sink for WriterSink<'_, '_> {
    fn unit(&mut self, group: usize, unit: Unit, source_lang: Option<String>) -> Result<()> {
        self.group(group)?;
        let done = self.w.insert(&unit, source_lang.as_deref(), self.policy)?;
        let c = self.group(group)?;
        c.read += 1;
        tally(c, done);
        Ok(())
    }

    fn skipped(&mut self, group: usize, n: u64) {
        if let Some(c) = self.groups.get_mut(group) {
            c.skipped += n;
        }
    }
}

/// Stores the units `fill` gives, in one batch; on any error nothing is
/// stored. The batch records `duplicates` and `skipped` beside the store's
/// own counts.
pub fn write(
    mem: &mut Memory,
    req: &WriteRequest,
    fill: &mut dyn FnMut(&mut dyn Sink) -> Result<()>,
) -> Result<Written> {
    write_tapped(mem, req, fill, None).map(|(w, _)| w)
}

/// [`write()`], handing the transaction `tap` first (see
/// [`crate::memory::Writer::tap`]); also returns the commit's stamp (none
/// when nothing was committed).
pub fn write_tapped(
    mem: &mut Memory,
    req: &WriteRequest,
    fill: &mut dyn FnMut(&mut dyn Sink) -> Result<()>,
    tap: Option<Box<dyn crate::memory::Tap>>,
) -> Result<(Written, Option<Stamp>)> {
    if let Some(sup) = &req.supersede {
        return write_document(mem, req, sup, fill).map(|w| (w, None));
    }
    let mut w = mem.writer()?;
    if let Some(tap) = tap {
        // Refused (not a first write): the index is refreshed as usual.
        let _ = w.tap(tap);
    }
    w.start_batch(&req.batch.command, req.batch.user.as_deref())?;
    let mut sink = WriterSink {
        w: &mut w,
        policy: req.on_duplicate,
        groups: vec![Counts::default(); req.groups.max(1)],
    };
    fill(&mut sink)?;
    let groups = sink.groups;
    let dup: u64 = groups.iter().map(|c| c.duplicate).sum();
    let skipped: u64 = groups.iter().map(|c| c.skipped).sum();
    for (key, n) in [("duplicates", dup), ("skipped", skipped)] {
        if n > 0 {
            w.count(key, n);
        }
    }
    // Nothing stored: nothing committed, so that a memory made for this
    // write can be removed again (a command that stores nothing creates
    // nothing).
    if groups.iter().all(|c| c.new + c.overwritten == 0) {
        drop(w);
        return Ok((
            Written {
                groups,
                batch: None,
                ..Written::default()
            },
            None,
        ));
    }
    let batch = w.batch_id();
    let stamp = w.commit()?;
    Ok((
        Written {
            groups,
            batch,
            ..Written::default()
        },
        Some(stamp),
    ))
}

/// A [`Sink`] that keeps the units, for a write that needs them all
/// before it stores any (a document replacing its earlier version).
struct Collect {
    units: Vec<Unit>,
    skipped: u64,
}

impl Sink for Collect {
    fn unit(&mut self, _group: usize, unit: Unit, _source_lang: Option<String>) -> Result<()> {
        self.units.push(unit);
        Ok(())
    }

    fn skipped(&mut self, _group: usize, n: u64) {
        self.skipped += n;
    }
}

/// [`write`] of one document's units replacing its earlier version
/// ([`crate::import::store_document`]), in one batch that records
/// `unchanged` and `superseded` too.
fn write_document(
    mem: &mut Memory,
    req: &WriteRequest,
    sup: &super::Supersede,
    fill: &mut dyn FnMut(&mut dyn Sink) -> Result<()>,
) -> Result<Written> {
    let mut c = Collect {
        units: Vec::new(),
        skipped: 0,
    };
    fill(&mut c)?;
    let earlier = crate::import::document_units(mem, &sup.origin, (&sup.from, &sup.to))?;
    let mut w = mem.writer()?;
    w.start_batch(&req.batch.command, req.batch.user.as_deref())?;
    let s = crate::import::store_document(&mut w, &earlier, &c.units, &sup.from, req.on_duplicate)?;
    for (key, n) in [
        ("duplicates", s.duplicate),
        ("skipped", s.skipped + c.skipped),
        ("unchanged", s.unchanged),
        ("superseded", s.superseded),
    ] {
        if n > 0 {
            w.count(key, n);
        }
    }
    let mut groups = vec![Counts::default(); req.groups.max(1)];
    groups[0] = Counts {
        read: c.units.len() as u64,
        new: s.new,
        duplicate: s.duplicate,
        skipped: s.skipped + c.skipped,
        overwritten: s.overwritten,
        encoding: None,
    };
    let batch = if s.nothing() {
        drop(w);
        None
    } else {
        let b = w.batch_id();
        w.commit()?;
        b
    };
    Ok(Written {
        groups,
        batch,
        warnings: Vec::new(),
        superseded: s.superseded,
        unchanged: s.unchanged,
    })
}

/// Sets the text of unit `id`'s variant `lang` (the exact tag).
pub fn edit(
    mem: &mut Memory,
    batch: &BatchInfo,
    id: i64,
    lang: &str,
    text: &str,
) -> Result<EditDone> {
    let mut w = mem.writer()?;
    w.start_batch(&batch.command, batch.user.as_deref())?;
    let edited = w.edit(id, lang, text, batch.user.as_deref())?;
    let batch = w.batch_id();
    w.commit()?;
    Ok(EditDone { edited, batch })
}

/// Deletes every unit `filter` selects, in one batch.
pub fn delete(mem: &mut Memory, batch: &BatchInfo, filter: &UnitFilter) -> Result<Deleted> {
    let mut ids = Vec::new();
    mem.for_each_unit_filtered(filter, |u| {
        ids.extend(u.id);
        Ok(())
    })?;
    if ids.is_empty() {
        return Ok(Deleted::default());
    }
    let mut w = mem.writer()?;
    w.start_batch(&batch.command, batch.user.as_deref())?;
    let mut deleted = 0;
    for id in ids {
        if w.delete(id)? {
            deleted += 1;
        }
    }
    let batch = w.batch_id();
    w.commit()?;
    Ok(Deleted { deleted, batch })
}

/// The changes a replace makes: each text of `req.lang` in the units the
/// filter selects that the expression changes. A change that would leave
/// a text empty is [`Error::Invalid`].
pub fn replace_plan(mem: &Memory, req: &ReplaceRequest) -> Result<Vec<super::Change>> {
    let lang = crate::lang::normalize_tag(&req.lang)?;
    // Group references checked too: `$1t` is a group named "1t" to the
    // regex crate, which put nothing there (the number was erased).
    let re = crate::memory::TextReplace::new(&req.find, &req.replace)?;
    let mut filter = req.filter.compile()?;
    filter.langs.push(lang.clone());
    let mut changes = Vec::new();
    mem.for_each_unit_filtered(&filter, |u| {
        if let Some(v) = u.variant(&lang)
            && let Some(new) = re.apply(&v.text)
        {
            changes.push(super::Change {
                id: u.id.unwrap_or_default(),
                lang: v.lang.clone(),
                old: v.text.clone(),
                new,
            });
        }
        Ok(())
    })?;
    if let Some(c) = changes.iter().find(|c| c.new.trim().is_empty()) {
        return Err(Error::Invalid(format!(
            "the replacement would leave unit {} with an empty {lang} text; nothing changed",
            c.id
        )));
    }
    Ok(changes)
}

/// Replaces `req.find` in one language's texts, in one batch (a dry run
/// only lists). Each text is checked again inside the transaction: one
/// changed by another writer since the listing refuses the whole replace.
pub fn replace(mem: &mut Memory, batch: &BatchInfo, req: &ReplaceRequest) -> Result<Replaced> {
    let changes = replace_plan(mem, req)?;
    let changed = changes.len() as u64;
    if req.dry_run || changes.is_empty() {
        return Ok(Replaced {
            changes,
            changed,
            batch: None,
        });
    }
    let mut w = mem.writer()?;
    w.start_batch(&batch.command, batch.user.as_deref())?;
    for c in &changes {
        match w.edit(c.id, &c.lang, &c.new, batch.user.as_deref())? {
            Edited::Changed(was) if was == c.old => {}
            _ => {
                return Err(Error::Invalid(format!(
                    "unit {} {} changed while replacing; nothing changed, run it again",
                    c.id, c.lang
                )));
            }
        }
    }
    let batch = w.batch_id();
    w.commit()?;
    Ok(Replaced {
        changes,
        changed,
        batch,
    })
}

/// Reverts batch `id` as a new batch; a dry run rolls it back again.
pub fn undo(
    mem: &mut Memory,
    batch: &BatchInfo,
    id: i64,
    force: bool,
    dry_run: bool,
) -> Result<UndoDone> {
    let command = mem
        .batches()?
        .into_iter()
        .find(|b| b.id == id)
        .map(|b| b.command);
    let mut w = mem.writer()?;
    w.start_batch(&batch.command, batch.user.as_deref())?;
    let undone = w.undo(id, force)?;
    if dry_run {
        // Dropping the writer rolls everything back.
        drop(w);
        return Ok(UndoDone {
            undone,
            batch: None,
            command,
        });
    }
    let new = w.batch_id();
    w.commit()?;
    Ok(UndoDone {
        undone,
        batch: new,
        command,
    })
}

/// Finds the sources of `req.from` stored with different `req.to`
/// translations and the units identical in every variant; unless a dry
/// run, deletes the older translations (`keep_newest`) and merges the
/// identical units into their first (`merge_exact`), in one batch.
pub fn dedupe(mem: &mut Memory, batch: &BatchInfo, req: &DedupeRequest) -> Result<DedupeDone> {
    let from = crate::lang::normalize_tag(&req.from)?;
    let to = crate::lang::normalize_tag(&req.to)?;
    let conflicts = crate::dedupe::conflicts(mem, &from, &to)?;
    let exact = crate::dedupe::exact_duplicates(mem)?;
    let mut done = DedupeDone {
        conflicts,
        exact,
        ..DedupeDone::default()
    };
    let to_delete: Vec<i64> = if req.keep_newest {
        done.conflicts
            .iter()
            .flat_map(|c| c.versions[1..].iter().map(|v| v.id))
            .collect()
    } else {
        Vec::new()
    };
    // A merged group may hold a unit deleted above only if it is also a
    // conflict's older version; merging re-reads nothing, so skip those.
    let merges: Vec<Vec<Unit>> = if req.merge_exact {
        done.exact
            .iter()
            .map(|g| {
                g.iter()
                    .filter(|u| !u.id.is_some_and(|id| to_delete.contains(&id)))
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .filter(|g| g.len() > 1)
            .collect()
    } else {
        Vec::new()
    };
    if req.dry_run || (to_delete.is_empty() && merges.is_empty()) {
        return Ok(done);
    }
    let mut w = mem.writer()?;
    w.start_batch(&batch.command, batch.user.as_deref())?;
    for id in &to_delete {
        if w.delete(*id)? {
            done.deleted += 1;
        }
    }
    done.removed = crate::dedupe::merge_all(&mut w, &merges)?;
    done.batch = w.batch_id();
    w.commit()?;
    Ok(done)
}

/// The tokens of `mem`, without their hashes.
pub fn tokens(mem: &Memory) -> Result<Vec<super::TokenEntry>> {
    Ok(mem
        .tokens()?
        .into_iter()
        .map(|t| super::TokenEntry {
            id: t.id,
            role: t.role,
            name: t.name,
            created: t.created,
        })
        .collect())
}
