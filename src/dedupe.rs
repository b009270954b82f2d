//! Duplicates in a memory: the same source stored with different
//! translations (conflicts, which a person resolves), and units identical
//! in every variant (exact duplicates, merged into one).
//!
//! Both scans stream the memory and keep only 64-bit hashes per unit in
//! RAM; every candidate group is confirmed on the stored texts.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::memory::{Memory, Unit, Writer, fnv1a};

/// One of the units of a [`Conflict`].
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// Unit id.
    pub id: i64,
    /// Its translation.
    pub target: String,
    /// Last change, else creation (TMX form), if known.
    pub date: Option<String>,
    /// The unit's origin.
    pub origin: Option<String>,
}

/// A source stored with more than one translation.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// The source text (exactly as stored).
    pub source: String,
    /// Its units, newest first (ties: higher id first).
    pub versions: Vec<Version>,
}

/// Every source of `from` stored with different `to` translations, in the
/// order of their first unit.
pub fn conflicts(mem: &Memory, from: &str, to: &str) -> Result<Vec<Conflict>> {
    // source hash -> (unit id, target hash), in unit order.
    let mut by_source: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    mem.for_each_pair(from, to, |p| {
        by_source
            .entry(fnv1a(p.source.as_bytes()))
            .or_default()
            .push((p.unit_id, fnv1a(p.target.as_bytes())));
        Ok(())
    })?;
    let mut candidates: Vec<Vec<i64>> = by_source
        .into_values()
        .filter(|v| v.iter().any(|(_, t)| *t != v[0].1))
        .map(|v| v.into_iter().map(|(id, _)| id).collect())
        .collect();
    candidates.sort_by_key(|ids| ids[0]);
    let mut out = Vec::new();
    for ids in candidates {
        // Confirm on the texts: a hash group may hold several sources.
        let mut groups: Vec<Conflict> = Vec::new();
        for id in ids {
            let Some(u) = mem.unit(id)? else { continue };
            let (Some(s), Some(t)) = (u.variant(from), u.variant(to)) else {
                continue;
            };
            let v = Version {
                id,
                target: t.text.clone(),
                date: u.changed.clone().or(u.created.clone()),
                origin: u.origin.clone(),
            };
            match groups.iter_mut().find(|g| g.source == s.text) {
                Some(g) => g.versions.push(v),
                None => groups.push(Conflict {
                    source: s.text.clone(),
                    versions: vec![v],
                }),
            }
        }
        for mut g in groups {
            if g.versions.iter().all(|v| v.target == g.versions[0].target) {
                continue;
            }
            g.versions
                .sort_by(|a, b| b.date.cmp(&a.date).then(b.id.cmp(&a.id)));
            out.push(g);
        }
    }
    Ok(out)
}

/// The (lang, text, markup) triples of a unit, sorted: equal for units
/// with the same variants in any order.
fn content(u: &Unit) -> Vec<(&str, &str, Option<&str>)> {
    let mut k: Vec<_> = u
        .variants
        .iter()
        .map(|v| (v.lang.as_str(), v.text.as_str(), v.markup.as_deref()))
        .collect();
    k.sort();
    k
}

/// Groups of units identical in every variant (language, text, inline
/// markup), lowest id first in each, groups in the order of their first unit.
pub fn exact_duplicates(mem: &Memory) -> Result<Vec<Vec<Unit>>> {
    let mut by_content: HashMap<i64, Vec<i64>> = HashMap::new();
    mem.for_each_unit(|u| {
        let mut h = String::new();
        for (l, t, m) in content(&u) {
            h.push_str(l);
            h.push('\0');
            h.push_str(t);
            h.push('\0');
            h.push_str(m.unwrap_or(""));
            h.push('\0');
        }
        by_content
            .entry(fnv1a(h.as_bytes()))
            .or_default()
            .push(u.id.unwrap_or_default());
        Ok(())
    })?;
    let mut candidates: Vec<Vec<i64>> = by_content.into_values().filter(|v| v.len() > 1).collect();
    candidates.sort_by_key(|ids| ids[0]);
    let mut out = Vec::new();
    for ids in candidates {
        let mut units = Vec::new();
        for id in ids {
            if let Some(u) = mem.unit(id)? {
                units.push(u);
            }
        }
        // Split a hash group into groups of truly equal content.
        while let Some(first) = units.first().cloned() {
            let (same, rest): (Vec<Unit>, Vec<Unit>) = units
                .into_iter()
                .partition(|u| content(u) == content(&first));
            if same.len() > 1 {
                out.push(same);
            }
            units = rest;
        }
    }
    Ok(out)
}

/// One unit holding what a group of exact duplicates held: the first
/// unit, with the other units' origins added as `x-origin` properties and
/// every property and note of each kept once; the earliest creation date.
pub fn merge(group: &[Unit]) -> Unit {
    let mut keep = group[0].clone();
    for u in &group[1..] {
        if let Some(o) = &u.origin
            && keep.origin.as_ref() != Some(o)
            && !keep.props.iter().any(|(k, v)| k == "x-origin" && v == o)
        {
            keep.props.push(("x-origin".into(), o.clone()));
        }
        for p in &u.props {
            if !keep.props.contains(p) {
                keep.props.push(p.clone());
            }
        }
        for n in &u.notes {
            if !keep.notes.contains(n) {
                keep.notes.push(n.clone());
            }
        }
        if let (Some(a), Some(b)) = (&keep.created, &u.created)
            && b < a
        {
            keep.created = Some(b.clone());
        }
        for (kv, uv) in keep.variants.iter_mut().zip(&u.variants) {
            if kv.prev.is_none() && kv.next.is_none() && kv.lang == uv.lang {
                // Keep a context where the first unit had none.
                kv.prev = uv.prev.clone();
                kv.next = uv.next.clone();
            }
        }
    }
    keep
}

/// Merges each group into its first unit and deletes the others, through
/// `w` (one batch). Returns the number of units removed.
pub fn merge_all(w: &mut Writer<'_>, groups: &[Vec<Unit>]) -> Result<u64> {
    let mut removed = 0;
    for g in groups {
        let Some(id) = g[0].id else { continue };
        w.put(id, &merge(g))?;
        for u in &g[1..] {
            if let Some(other) = u.id
                && w.delete(other)?
            {
                removed += 1;
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::OnDuplicate;
    use crate::model::Variant;

    fn u(en: &str, ru: &str, origin: &str, changed: &str) -> Unit {
        Unit {
            variants: vec![Variant::new("en", en), Variant::new("ru", ru)],
            origin: Some(origin.into()),
            changed: Some(changed.into()),
            ..Unit::default()
        }
    }

    #[test]
    fn conflicts_newest_first_and_exact_duplicates_merged() {
        let mut mem = Memory::in_memory().unwrap();
        let mut w = mem.writer().unwrap();
        for unit in [
            u("Yes.", "Да.", "a.tmx", "20200101T000000Z"),
            u("Yes.", "Ага.", "b.tmx", "20250101T000000Z"),
            u("No.", "Нет.", "a.tmx", "20200101T000000Z"),
        ] {
            w.insert(&unit, None, OnDuplicate::KeepBoth).unwrap();
        }
        w.commit().unwrap();
        // An edit makes unit 3 an exact duplicate of unit 1 ("Да." twice
        // would be refused by insert).
        let mut w = mem.writer().unwrap();
        w.edit(2, "ru", "Да.", None).unwrap();
        w.commit().unwrap();
        let c = conflicts(&mem, "en", "ru").unwrap();
        assert!(c.is_empty(), "{c:?}");
        let groups = exact_duplicates(&mem).unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!(
            groups[0].iter().map(|u| u.id.unwrap()).collect::<Vec<_>>(),
            [1, 2]
        );
        let merged = merge(&groups[0]);
        assert_eq!(merged.origin.as_deref(), Some("a.tmx"));
        assert_eq!(
            merged.props,
            [("x-origin".to_string(), "b.tmx".to_string())]
        );
        let mut w = mem.writer().unwrap();
        assert_eq!(merge_all(&mut w, &groups).unwrap(), 1);
        w.commit().unwrap();
        assert_eq!(mem.unit_count().unwrap(), 2);
        assert!(exact_duplicates(&mem).unwrap().is_empty());

        let mut w = mem.writer().unwrap();
        w.insert(
            &u("No.", "Не-а.", "c.tmx", "20260101T000000Z"),
            None,
            OnDuplicate::KeepBoth,
        )
        .unwrap();
        w.commit().unwrap();
        let c = conflicts(&mem, "en", "ru").unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].source, "No.");
        let targets: Vec<&str> = c[0].versions.iter().map(|v| v.target.as_str()).collect();
        assert_eq!(targets, ["Не-а.", "Нет."]);
    }
}
