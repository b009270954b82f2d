//! Backend conformance: one set of tests written against the store
//! interface (`Memory` over a `Backend`), run for every backend. A new
//! backend adds one `conformance!` line with its constructor and passes all
//! of these before it is called done.
//!
//! A constructor takes a scratch folder and opens the memory that belongs
//! to it, creating it empty on first use; called again with the same folder
//! it must open a second handle on the same memory (that is how the
//! concurrency tests get a reader and a writer).

mod util;

use std::path::Path;

use transmem::Error;
use transmem::memory::{
    DateBound, Edited, Inserted, Memory, OnDuplicate, Since, Unit, UnitFilter, Variant,
};
use util::unit;

type Open<'a> = &'a dyn Fn(&Path) -> Memory;

fn store_all(m: &mut Memory, units: &[Unit]) -> Vec<Inserted> {
    let mut w = m.writer().expect("writer");
    let out = units
        .iter()
        .map(|u| w.insert(u, None, OnDuplicate::KeepBoth).expect("insert"))
        .collect();
    w.commit().expect("commit");
    out
}

fn id(i: Inserted) -> i64 {
    match i {
        Inserted::New(id)
        | Inserted::Duplicate(id)
        | Inserted::Skipped(id)
        | Inserted::Overwritten(id) => id,
    }
}

fn all_units(m: &Memory) -> Vec<Unit> {
    let mut out = Vec::new();
    m.for_each_unit(|u| {
        out.push(u);
        Ok(())
    })
    .expect("units");
    out
}

pub fn insert_and_count(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let mut m = open(dir.path());
    assert_eq!(m.unit_count().unwrap(), 0);
    let ins = store_all(
        &mut m,
        &[
            unit(&[("en", "One."), ("ru", "Один.")]),
            unit(&[("en", "Two."), ("ru", "Два.")]),
        ],
    );
    assert!(matches!(ins[0], Inserted::New(_)) && matches!(ins[1], Inserted::New(_)));
    assert_ne!(id(ins[0]), id(ins[1]));
    assert_eq!(m.unit_count().unwrap(), 2);
    let u = m.unit(id(ins[1])).unwrap().expect("stored unit");
    assert_eq!(u.id, Some(id(ins[1])));
    assert_eq!(u.variant("ru").unwrap().text, "Два.");
    assert!(m.unit(id(ins[1]) + 1000).unwrap().is_none());
    assert_eq!(m.languages().unwrap(), ["en", "ru"]);
    let st = m.stats().unwrap();
    assert_eq!(st.units, 2);
    assert_eq!(st.pairs.get("en / ru"), Some(&2));
    assert_eq!(st.languages.get("ru"), Some(&2));
}

pub fn duplicates_policy(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let mut m = open(dir.path());
    let mut w = m.writer().unwrap();
    let first = w
        .insert(
            &unit(&[("en", "Yes."), ("ru", "Да.")]),
            None,
            OnDuplicate::KeepBoth,
        )
        .unwrap();
    let Inserted::New(first) = first else {
        panic!("{first:?}")
    };
    // Identical variants, other metadata: the same unit.
    let mut same = unit(&[("ru", "Да."), ("en", "Yes.")]);
    same.origin = Some("elsewhere".into());
    assert_eq!(
        w.insert(&same, None, OnDuplicate::KeepBoth).unwrap(),
        Inserted::Duplicate(first)
    );
    // Same source, other translation.
    let kept = w
        .insert(
            &unit(&[("en", "Yes."), ("ru", "Ага.")]),
            None,
            OnDuplicate::KeepBoth,
        )
        .unwrap();
    assert!(matches!(kept, Inserted::New(_)));
    assert!(matches!(
        w.insert(
            &unit(&[("en", "Yes."), ("ru", "Так точно.")]),
            Some("en"),
            OnDuplicate::Skip
        )
        .unwrap(),
        Inserted::Skipped(_)
    ));
    // The same words with inline codes are another unit.
    let mut coded = unit(&[("en", "Yes."), ("ru", "Да.")]);
    coded.variants[0].markup = Some("<b>Yes.</b>".into());
    assert!(matches!(
        w.insert(&coded, None, OnDuplicate::KeepBoth).unwrap(),
        Inserted::New(_)
    ));
    w.commit().unwrap();
    assert_eq!(m.unit_count().unwrap(), 3);
    // Overwrite in a later transaction replaces the stored translation.
    let mut w = m.writer().unwrap();
    let over = w
        .insert(
            &unit(&[("en", "Yes."), ("ru", "Конечно.")]),
            Some("en"),
            OnDuplicate::Overwrite,
        )
        .unwrap();
    let Inserted::Overwritten(oid) = over else {
        panic!("{over:?}")
    };
    w.commit().unwrap();
    assert_eq!(m.unit_count().unwrap(), 3);
    assert_eq!(
        m.unit(oid).unwrap().unwrap().variant("ru").unwrap().text,
        "Конечно."
    );
}

pub fn multilingual_units(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let mut m = open(dir.path());
    store_all(
        &mut m,
        &[unit(&[
            ("en-US", "Color."),
            ("ru", "Цвет."),
            ("de", "Farbe."),
        ])],
    );
    let pick = |from: &str, to: &str| -> Vec<(String, String)> {
        m.pairs(from, to)
            .unwrap()
            .into_iter()
            .map(|p| (p.source, p.target))
            .collect()
    };
    assert_eq!(pick("en", "ru"), [("Color.".into(), "Цвет.".into())]);
    assert_eq!(pick("ru", "de"), [("Цвет.".into(), "Farbe.".into())]);
    assert_eq!(pick("de", "en-US"), [("Farbe.".into(), "Color.".into())]);
    assert!(pick("en-GB", "ru").is_empty());
    assert!(pick("fr", "ru").is_empty());
    assert_eq!(m.languages().unwrap(), ["de", "en-US", "ru"]);
    let st = m.stats().unwrap();
    assert_eq!(st.pairs.len(), 3, "{:?}", st.pairs);
    // A unit holds one variant per language.
    let mut w = m.writer().unwrap();
    let e = w
        .insert(
            &unit(&[("en", "a"), ("en", "b")]),
            None,
            OnDuplicate::KeepBoth,
        )
        .unwrap_err();
    assert!(matches!(e, Error::InvalidUnit(_)), "{e}");
    let e = w
        .insert(&Unit::default(), None, OnDuplicate::KeepBoth)
        .unwrap_err();
    assert!(matches!(e, Error::InvalidUnit(_)), "{e}");
    let e = w
        .insert(&unit(&[("EN_us", "a")]), None, OnDuplicate::KeepBoth)
        .unwrap_err();
    assert!(matches!(e, Error::Lang(_)), "{e}");
}

pub fn context_neighbours(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let mut m = open(dir.path());
    let mut u = unit(&[("en", "Middle."), ("ru", "Середина.")]);
    u.variants[0].prev = Some("Before.".into());
    u.variants[0].next = Some("After.".into());
    u.variants[1].prev = Some("До.".into());
    store_all(&mut m, &[u]);
    let en = m.pairs("en", "ru").unwrap();
    assert_eq!(en[0].prev.as_deref(), Some("Before."));
    assert_eq!(en[0].next.as_deref(), Some("After."));
    let ru = m.pairs("ru", "en").unwrap();
    assert_eq!(ru[0].prev.as_deref(), Some("До."));
    assert_eq!(ru[0].next, None);
    // The same pair fetched by the source variant's id.
    let mut texts = Vec::new();
    m.for_each_text("en", 0, i64::MAX, |vid, t| {
        texts.push((vid, t.to_string()));
        Ok(())
    })
    .unwrap();
    assert_eq!(texts.len(), 1);
    let (vid, t) = &texts[0];
    assert_eq!(t, "Middle.");
    let p = m.pair_of(*vid, "en", "ru").unwrap().expect("pair");
    assert_eq!(p, en[0]);
    assert!(m.pair_of(*vid, "en", "de").unwrap().is_none());
    assert!(m.pair_of(*vid, "ru", "en").unwrap().is_none());
    let f = m.variant(*vid).unwrap().expect("variant");
    assert_eq!((f.lang.as_str(), f.text.as_str()), ("en", "Middle."));
    assert!(m.variant(vid + 1000).unwrap().is_none());
}

pub fn metadata_round_trip(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let mut m = open(dir.path());
    let u = Unit {
        id: None,
        variants: vec![
            Variant {
                lang: "en".into(),
                text: "Press OK.".into(),
                markup: Some(
                    "Press <bpt i=\"1\">&lt;b&gt;</bpt>OK<ept i=\"1\">&lt;/b&gt;</ept>.".into(),
                ),
                prev: Some("Start.".into()),
                next: None,
                props: vec![("x-state".into(), "final".into())],
                notes: vec!["checked".into(), "twice".into()],
            },
            Variant {
                lang: "ru".into(),
                text: "Нажмите OK.".into(),
                ..Variant::default()
            },
        ],
        origin: Some("manual.docx".into()),
        created: Some("20240102T030405Z".into()),
        creator: Some("ann".into()),
        changed: Some("20240203T040506Z".into()),
        changer: Some("bob".into()),
        tuid: Some("tu-7".into()),
        usage_count: Some(3),
        attrs: vec![("srclang".into(), "en".into())],
        props: vec![
            ("x-domain".into(), "ui".into()),
            ("x-domain".into(), "help".into()),
        ],
        notes: vec!["a note".into()],
    };
    let got = store_all(&mut m, std::slice::from_ref(&u));
    let back = m.unit(id(got[0])).unwrap().unwrap();
    assert_eq!(
        back,
        Unit {
            id: Some(id(got[0])),
            ..u.clone()
        }
    );
    assert_eq!(all_units(&m), [back]);
    // Variants come back in the order they were given.
    let reordered = unit(&[("ru", "Б."), ("en", "B."), ("de", "B!")]);
    store_all(&mut m, std::slice::from_ref(&reordered));
    let langs: Vec<String> = all_units(&m)[1]
        .variants
        .iter()
        .map(|v| v.lang.clone())
        .collect();
    assert_eq!(langs, ["ru", "en", "de"]);
}

pub fn stamp_changes(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let mut m = open(dir.path());
    let s0 = m.stamp().unwrap();
    assert_eq!(m.since(&s0, &s0).unwrap(), Since::Same);
    // A transaction that writes nothing leaves the stamp alone.
    let w = m.writer().unwrap();
    assert_eq!(w.commit().unwrap(), s0);
    let s1 = {
        let mut w = m.writer().unwrap();
        w.insert(
            &unit(&[("en", "A."), ("ru", "А.")]),
            None,
            OnDuplicate::KeepBoth,
        )
        .unwrap();
        w.commit().unwrap()
    };
    assert_eq!(m.stamp().unwrap(), s1);
    assert_eq!(s1.instance, s0.instance);
    assert_eq!(s1.generation, s0.generation + 1);
    assert!(s1.variants > s0.variants);
    assert_eq!(m.since(&s0, &s1).unwrap(), Since::Appended);
    store_all(&mut m, &[unit(&[("en", "B."), ("ru", "Б.")])]);
    let s2 = m.stamp().unwrap();
    assert_eq!(m.since(&s0, &s2).unwrap(), Since::Appended);
    assert_eq!(m.since(&s1, &s2).unwrap(), Since::Appended);
    // A rewrite is not an append.
    let mut w = m.writer().unwrap();
    w.insert(
        &unit(&[("en", "A."), ("ru", "Ааа.")]),
        Some("en"),
        OnDuplicate::Overwrite,
    )
    .unwrap();
    let s3 = w.commit().unwrap();
    assert_eq!(m.since(&s2, &s3).unwrap(), Since::Rewritten);
    assert_eq!(m.since(&s0, &s3).unwrap(), Since::Rewritten);
    // A state this memory never had (same generation, other token), and
    // another memory, are not appends either.
    let forged = transmem::memory::Stamp {
        token: s2.token ^ 1,
        ..s2
    };
    assert_eq!(m.since(&forged, &s3).unwrap(), Since::Rewritten);
    let other_dir = tempfile::tempdir().unwrap();
    let other = open(other_dir.path());
    let o = other.stamp().unwrap();
    assert_ne!(o.instance, s3.instance);
    assert_eq!(m.since(&o, &s3).unwrap(), Since::Rewritten);
}

pub fn reader_during_write(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = open(dir.path());
    store_all(&mut writer, &[unit(&[("en", "Old."), ("ru", "Старое.")])]);
    let reader = open(dir.path());
    let before = reader.stamp().unwrap();
    let mut w = writer.writer().unwrap();
    for i in 0..100 {
        w.insert(
            &unit(&[("en", &format!("New {i}.")), ("ru", &format!("Новое {i}."))]),
            None,
            OnDuplicate::KeepBoth,
        )
        .unwrap();
    }
    // The reader answers at once, from the last committed state.
    assert_eq!(reader.unit_count().unwrap(), 1);
    assert_eq!(reader.stamp().unwrap(), before);
    assert_eq!(reader.pairs("en", "ru").unwrap().len(), 1);
    w.commit().unwrap();
    assert_eq!(reader.unit_count().unwrap(), 101);
    assert_eq!(
        reader.since(&before, &reader.stamp().unwrap()).unwrap(),
        Since::Appended
    );
}

pub fn rollback_on_error(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let mut m = open(dir.path());
    store_all(&mut m, &[unit(&[("en", "Kept."), ("ru", "Оставлено.")])]);
    let before = m.stamp().unwrap();
    let failed = (|| -> transmem::Result<()> {
        let mut w = m.writer()?;
        w.insert(
            &unit(&[("en", "Lost."), ("ru", "Потеряно.")]),
            None,
            OnDuplicate::KeepBoth,
        )?;
        w.insert(&Unit::default(), None, OnDuplicate::KeepBoth)?;
        w.commit()?;
        Ok(())
    })();
    assert!(matches!(failed, Err(Error::InvalidUnit(_))), "{failed:?}");
    assert_eq!(m.unit_count().unwrap(), 1);
    assert_eq!(m.stamp().unwrap(), before);
    assert!(
        m.pairs("en", "ru")
            .unwrap()
            .iter()
            .all(|p| p.source != "Lost.")
    );
    // The memory is still writable afterwards.
    store_all(&mut m, &[unit(&[("en", "Next."), ("ru", "Дальше.")])]);
    assert_eq!(m.unit_count().unwrap(), 2);
}

pub fn api_tokens(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let mut m = open(dir.path());
    assert!(m.tokens().unwrap().is_empty());
    assert_eq!(m.token_by_hash("ab12").unwrap(), None);
    let before = m.stamp().unwrap();
    let a = m.add_token("ab12", "read", Some("weblate")).unwrap();
    let b = m.add_token("cd34", "admin", None).unwrap();
    assert_ne!(a, b);
    // Tokens are not content: caches built on the stamp stay valid.
    assert_eq!(m.stamp().unwrap(), before);
    let t = m.token_by_hash("ab12").unwrap().expect("stored token");
    assert_eq!(
        (t.id, t.role.as_str(), t.name.as_deref()),
        (a, "read", Some("weblate"))
    );
    assert!(!t.created.is_empty());
    // A second handle sees them (the server reads tokens through readers).
    if let Some(r) = m.reader().unwrap() {
        assert_eq!(r.token_by_hash("cd34").unwrap().map(|t| t.id), Some(b));
    }
    assert!(
        m.add_token("ab12", "write", None).is_err(),
        "hash is unique"
    );
    assert_eq!(m.tokens().unwrap().len(), 2);
    assert!(m.revoke_token(a).unwrap());
    assert!(!m.revoke_token(a).unwrap());
    assert_eq!(m.token_by_hash("ab12").unwrap(), None);
    assert_eq!(
        m.tokens().unwrap().iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![b]
    );
}

fn with_context(pairs: &[(&str, &str)], prev: &str, next: &str) -> Unit {
    let mut u = unit(pairs);
    u.variants[0].prev = Some(prev.into());
    u.variants[0].next = Some(next.into());
    u.origin = Some("first.tmx".into());
    u.props = vec![("x-domain".into(), "news".into())];
    u
}

/// `undo` of the second of two imports leaves exactly the first's units
/// (ids, texts, context, metadata), including units it overwrote.
pub fn undo_import_is_exact(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let mut m = open(dir.path());
    let mut w = m.writer().unwrap();
    let first_batch = w.start_batch("import first.tmx", Some("ann")).unwrap();
    for u in [
        with_context(&[("en", "One."), ("ru", "Один.")], "Zero.", "Two."),
        with_context(&[("en", "Two."), ("ru", "Два.")], "One.", "Three."),
        with_context(&[("en", "Three."), ("ru", "Три.")], "Two.", "Four."),
    ] {
        w.insert(&u, None, OnDuplicate::KeepBoth).unwrap();
    }
    assert_eq!(w.batch_id(), Some(first_batch));
    w.commit().unwrap();
    let before = all_units(&m);
    let mut w = m.writer().unwrap();
    let second = w.start_batch("import second.tmx", None).unwrap();
    // Overwrites "Two." (dropping its context), adds two, repeats one.
    w.insert(
        &unit(&[("en", "Two."), ("ru", "Двое.")]),
        None,
        OnDuplicate::Overwrite,
    )
    .unwrap();
    w.insert(
        &unit(&[("en", "Four."), ("ru", "Четыре.")]),
        None,
        OnDuplicate::Overwrite,
    )
    .unwrap();
    w.insert(
        &unit(&[("en", "Five."), ("ru", "Пять.")]),
        None,
        OnDuplicate::Overwrite,
    )
    .unwrap();
    let dup = w.insert(
        &unit(&[("en", "One."), ("ru", "Один.")]),
        None,
        OnDuplicate::KeepBoth,
    );
    assert!(matches!(dup.unwrap(), Inserted::Duplicate(_)));
    w.count("duplicates", 1);
    w.commit().unwrap();
    assert_ne!(all_units(&m), before);
    let batches = m.batches().unwrap();
    let b = batches
        .iter()
        .find(|b| b.id == second)
        .expect("second batch listed");
    assert_eq!(b.command, "import second.tmx");
    assert_eq!(b.units, 3);
    assert_eq!(b.counts.get("inserted"), Some(&2));
    assert_eq!(b.counts.get("overwritten"), Some(&1));
    assert_eq!(b.counts.get("duplicates"), Some(&1));
    let first = batches.iter().find(|b| b.id == first_batch).unwrap();
    assert_eq!((first.user.as_deref(), first.units), (Some("ann"), 3));

    let mut w = m.writer().unwrap();
    let undo = w.start_batch("undo", None).unwrap();
    let done = w.undo(second, false).unwrap();
    w.commit().unwrap();
    assert_eq!((done.removed, done.restored), (2, 1));
    assert_eq!(all_units(&m), before);
    let batches = m.batches().unwrap();
    assert_eq!(
        batches.iter().find(|b| b.id == second).unwrap().undone_by,
        Some(undo)
    );
    assert_eq!(
        batches.iter().find(|b| b.id == undo).unwrap().undoes,
        Some(second)
    );
    // Undoing twice is refused and changes nothing.
    let mut w = m.writer().unwrap();
    let again = w.undo(second, false).unwrap_err();
    assert!(again.to_string().contains("already undone"), "{again}");
    drop(w);
    assert!(m.writer().unwrap().undo(9999, false).is_err());
    // The matcher's view follows: the overwritten translation is gone.
    let pairs = m.pairs("en", "ru").unwrap();
    assert!(
        pairs
            .iter()
            .any(|p| p.target == "Два." && p.prev.as_deref() == Some("One."))
    );
    assert!(
        pairs
            .iter()
            .all(|p| p.target != "Двое." && p.source != "Five.")
    );
}

/// Edit keeps the unit's context and creation data; delete and undo put
/// everything back; undo is refused while a later batch changed the units.
pub fn edit_delete_undo(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let mut m = open(dir.path());
    let mut seed = with_context(&[("en", "Hello."), ("ru", "Привет.")], "Before.", "After.");
    seed.creator = Some("ann".into());
    seed.created = Some("20200101T000000Z".into());
    let ins = store_all(&mut m, &[seed, unit(&[("en", "Bye."), ("ru", "Пока.")])]);
    let (a, b) = (id(ins[0]), id(ins[1]));
    let original = all_units(&m);

    let mut w = m.writer().unwrap();
    let edit = w.start_batch("edit", Some("bob")).unwrap();
    assert_eq!(
        w.edit(a, "ru", "Здравствуйте.", Some("bob")).unwrap(),
        Edited::Changed("Привет.".into())
    );
    assert_eq!(
        w.edit(a, "ru", "Здравствуйте.", Some("bob")).unwrap(),
        Edited::Unchanged
    );
    assert_eq!(
        w.edit(a, "de", "Hallo.", Some("bob")).unwrap(),
        Edited::NoVariant
    );
    assert_eq!(
        w.edit(a + b + 100, "ru", "x", None).unwrap(),
        Edited::NoUnit
    );
    assert_eq!(
        w.unit(a).unwrap().unwrap().variant("ru").unwrap().text,
        "Здравствуйте."
    );
    w.commit().unwrap();
    let u = m.unit(a).unwrap().unwrap();
    assert_eq!(u.variant("ru").unwrap().text, "Здравствуйте.");
    assert_eq!(u.variant("en").unwrap().prev.as_deref(), Some("Before."));
    assert_eq!(
        (u.creator.as_deref(), u.created.as_deref()),
        (Some("ann"), Some("20200101T000000Z"))
    );
    assert_eq!(u.changer.as_deref(), Some("bob"));
    assert!(u.changed.is_some());
    assert_eq!(u.props, [("x-domain".to_string(), "news".to_string())]);

    let mut w = m.writer().unwrap();
    let del = w.start_batch("delete", None).unwrap();
    assert!(w.delete(a).unwrap());
    assert!(w.delete(b).unwrap());
    assert!(!w.delete(b).unwrap());
    w.commit().unwrap();
    assert_eq!(m.unit_count().unwrap(), 0);

    // The edit's unit was deleted later: undoing the edit alone is refused.
    let mut w = m.writer().unwrap();
    let e = w.undo(edit, false).unwrap_err().to_string();
    assert!(e.contains(&format!("later batch {del}")), "{e}");
    drop(w);
    assert_eq!(m.unit_count().unwrap(), 0);
    for batch in [del, edit] {
        let mut w = m.writer().unwrap();
        w.undo(batch, false).unwrap();
        w.commit().unwrap();
    }
    assert_eq!(all_units(&m), original);
    // A forced undo goes through despite the conflict, and reports it;
    // undoing that undo returns to where it started.
    let mut w = m.writer().unwrap();
    w.edit(b, "ru", "До свидания.", Some("cy")).unwrap();
    let later = w.batch_id().unwrap();
    w.commit().unwrap();
    let edited = all_units(&m);
    let first = m.batches().unwrap()[0].id;
    let mut w = m.writer().unwrap();
    let done = w.undo(first, true).unwrap();
    let forced = w.batch_id().unwrap();
    w.commit().unwrap();
    assert_eq!(done.conflicts, [later]);
    assert_eq!(m.unit_count().unwrap(), 0);
    let mut w = m.writer().unwrap();
    w.undo(forced, false).unwrap();
    w.commit().unwrap();
    assert_eq!(all_units(&m), edited);
    // `put` replaces a unit whole under its id; undo puts the old one back.
    let mut merged = unit(&[("en", "Bye."), ("ru", "Пока-пока.")]);
    merged.props = vec![("x-origin".into(), "other.tmx".into())];
    merged.created = Some("20200101T000000Z".into());
    let mut w = m.writer().unwrap();
    assert!(w.put(b, &merged).unwrap());
    assert!(!w.put(b + 1000, &merged).unwrap());
    assert!(
        w.put(b, &Unit::default()).is_err(),
        "an empty unit is refused"
    );
    let put = w.batch_id().unwrap();
    w.commit().unwrap();
    let got = m.unit(b).unwrap().unwrap();
    assert_eq!(
        (got.id, got.variants.clone(), got.props.clone()),
        (Some(b), merged.variants.clone(), merged.props.clone())
    );
    assert_eq!(got.created, merged.created);
    let mut w = m.writer().unwrap();
    w.undo(put, false).unwrap();
    w.commit().unwrap();
    assert_eq!(all_units(&m), edited);
    // A writer that changed nothing leaves no batch.
    let n = m.batches().unwrap().len();
    let mut w = m.writer().unwrap();
    w.start_batch("nothing", None).unwrap();
    w.commit().unwrap();
    assert_eq!(m.batches().unwrap().len(), n);
}

/// `languages` and the per-language counts of `stats` follow every kind of
/// write (the SQLite store keeps them in a table of their own instead of
/// scanning): insert, put, delete, undo, and a rolled-back writer.
pub fn languages_follow_writes(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let mut m = open(dir.path());
    let counts =
        |m: &Memory| -> Vec<(String, u64)> { m.stats().unwrap().languages.into_iter().collect() };
    assert!(m.languages().unwrap().is_empty());
    let ins = store_all(
        &mut m,
        &[
            unit(&[("en", "One."), ("ru", "Один.")]),
            unit(&[("en", "Two."), ("de", "Zwei.")]),
        ],
    );
    let (a, b) = (id(ins[0]), id(ins[1]));
    assert_eq!(m.languages().unwrap(), ["de", "en", "ru"]);
    let n = |v: &[(&str, u64)]| -> Vec<(String, u64)> {
        v.iter().map(|(l, n)| (l.to_string(), *n)).collect()
    };
    assert_eq!(counts(&m), n(&[("de", 1), ("en", 2), ("ru", 1)]));

    let mut w = m.writer().unwrap();
    let del = w.start_batch("delete", None).unwrap();
    assert!(w.delete(b).unwrap());
    w.commit().unwrap();
    assert_eq!(m.languages().unwrap(), ["en", "ru"]);
    assert_eq!(counts(&m), n(&[("en", 1), ("ru", 1)]));

    // A writer dropped without commit leaves the counts as they were.
    let mut w = m.writer().unwrap();
    w.insert(&unit(&[("fr", "Trois.")]), None, OnDuplicate::KeepBoth)
        .unwrap();
    drop(w);
    assert_eq!(m.languages().unwrap(), ["en", "ru"]);

    let mut w = m.writer().unwrap();
    w.undo(del, false).unwrap();
    w.commit().unwrap();
    assert_eq!(counts(&m), n(&[("de", 1), ("en", 2), ("ru", 1)]));

    let mut w = m.writer().unwrap();
    assert!(w.put(a, &unit(&[("en", "One."), ("uk", "Один.")])).unwrap());
    w.commit().unwrap();
    assert_eq!(m.languages().unwrap(), ["de", "en", "uk"]);
    assert_eq!(counts(&m), n(&[("de", 1), ("en", 2), ("uk", 1)]));

    let first = m.batches().unwrap()[0].id;
    let mut w = m.writer().unwrap();
    w.undo(first, true).unwrap();
    w.commit().unwrap();
    assert_eq!(m.unit_count().unwrap(), 0);
    assert!(m.languages().unwrap().is_empty());
    assert!(counts(&m).is_empty());
}

/// A unit created and changed (or deleted) in the same batch is simply
/// gone after its undo; an id reused after a deletion blocks undoing it.
pub fn undo_within_and_across_batches(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let mut m = open(dir.path());
    store_all(&mut m, &[unit(&[("en", "Keep."), ("ru", "Оставить.")])]);
    let kept = all_units(&m);
    let mut w = m.writer().unwrap();
    let a = id(w
        .insert(
            &unit(&[("en", "A."), ("ru", "А.")]),
            None,
            OnDuplicate::KeepBoth,
        )
        .unwrap());
    let b = id(w
        .insert(
            &unit(&[("en", "B."), ("ru", "Б.")]),
            None,
            OnDuplicate::KeepBoth,
        )
        .unwrap());
    w.edit(a, "ru", "Аа.", None).unwrap();
    w.delete(b).unwrap();
    let batch = w
        .batch_id()
        .expect("a write without start_batch is still recorded");
    w.commit().unwrap();
    let listed = m.batches().unwrap();
    assert_eq!(listed.last().unwrap().command, "write");
    let mut w = m.writer().unwrap();
    w.undo(batch, false).unwrap();
    w.commit().unwrap();
    assert_eq!(all_units(&m), kept);

    // Delete the newest unit, then store another: it may take the freed id.
    let last = id(store_all(&mut m, &[unit(&[("en", "Last."), ("ru", "Последний.")])])[0]);
    let mut w = m.writer().unwrap();
    w.delete(last).unwrap();
    let del = w.batch_id().unwrap();
    w.commit().unwrap();
    let next = id(store_all(&mut m, &[unit(&[("en", "Next."), ("ru", "Следующий.")])])[0]);
    let mut w = m.writer().unwrap();
    match w.undo(del, false) {
        // The id was reused: refused, nothing changed.
        Err(e) if next == last => assert!(e.to_string().contains("later batch"), "{e}"),
        Err(e) => panic!("{e}"),
        // A backend that never reuses ids can put the unit back.
        Ok(_) => assert_ne!(next, last),
    }
}

/// Filtered iteration takes exactly the units the filter describes.
pub fn filtered_units(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let mut m = open(dir.path());
    let mut a = unit(&[("en-US", "Press release."), ("ru", "Пресс-релиз.")]);
    a.origin = Some("news/a.tmx".into());
    a.creator = Some("ann".into());
    a.created = Some("20240105T100000Z".into());
    let mut b = unit(&[("en", "Annual report."), ("de", "Jahresbericht.")]);
    b.origin = Some("reports/b.tmx".into());
    b.creator = Some("bob".into());
    b.created = Some("20250105T100000Z".into());
    let ins = store_all(&mut m, &[a, b]);
    let ids = |f: UnitFilter| -> Vec<i64> {
        let mut out = Vec::new();
        m.for_each_unit_filtered(&f, |u| {
            out.push(u.id.unwrap());
            Ok(())
        })
        .unwrap();
        out
    };
    let (a, b) = (id(ins[0]), id(ins[1]));
    assert_eq!(ids(UnitFilter::default()), [a, b]);
    assert_eq!(
        ids(UnitFilter {
            langs: vec!["ru".into()],
            ..Default::default()
        }),
        [a]
    );
    assert_eq!(
        ids(UnitFilter {
            langs: vec!["en".into()],
            ..Default::default()
        }),
        [a, b]
    );
    assert_eq!(
        ids(UnitFilter {
            origin: Some(UnitFilter::glob("reports/*").unwrap()),
            ..Default::default()
        }),
        [b]
    );
    assert_eq!(
        ids(UnitFilter {
            creator: Some("ann".into()),
            ..Default::default()
        }),
        [a]
    );
    assert_eq!(
        ids(UnitFilter {
            since: Some(DateBound::parse("2025-01-01").unwrap()),
            ..Default::default()
        }),
        [b]
    );
    assert_eq!(
        ids(UnitFilter {
            ids: vec![b, b + 50],
            ..Default::default()
        }),
        [b]
    );
    assert_eq!(
        ids(UnitFilter {
            text: Some(regex::Regex::new("(?i)report").unwrap()),
            ..Default::default()
        }),
        [b]
    );
}

pub fn exact_text_probe(open: Open) {
    let dir = tempfile::tempdir().unwrap();
    let mut m = open(dir.path());
    let ins = store_all(
        &mut m,
        &[
            unit(&[("en-US", "Line 7."), ("ru", "Строка 7.")]),
            unit(&[("en", "Line 8."), ("ru", "Строка 8.")]),
            unit(&[("en-GB", "Line 7."), ("ru", "Седьмая строка.")]),
            unit(&[("de", "Line 7."), ("ru", "Строка семь.")]),
        ],
    );
    // Exact text only, in a language `from` serves, each one's own variant.
    let pairs = |from: &str, text: &str, max: usize| -> Vec<(i64, String)> {
        m.variants_with_text(from, text, max)
            .unwrap()
            .into_iter()
            .map(|v| {
                let p = m.pair_of(v, from, "ru").unwrap().expect("pair");
                (p.unit_id, p.target)
            })
            .collect()
    };
    let mut en = pairs("en", "Line 7.", 10);
    en.sort();
    assert_eq!(
        en,
        [
            (id(ins[0]), "Строка 7.".to_string()),
            (id(ins[2]), "Седьмая строка.".to_string())
        ]
    );
    assert_eq!(
        pairs("en-GB", "Line 7.", 10),
        [(id(ins[2]), "Седьмая строка.".to_string())]
    );
    assert_eq!(pairs("en", "Line 7.", 1).len(), 1);
    assert!(pairs("en", "line 7.", 10).is_empty());
    assert!(pairs("fr", "Line 7.", 10).is_empty());
}

/// Runs the whole suite against one backend constructor.
macro_rules! conformance {
    ($name:ident, $open:expr) => {
        conformance!($name, $open, || Some(()));
    };
    // `$setup` runs first in each test: `None` skips it (the backend is not
    // available), `Some(guard)` keeps the guard until the test ends.
    ($name:ident, $open:expr, $setup:expr) => {
        mod $name {
            use super::*;
            fn open(dir: &Path) -> Memory {
                ($open)(dir)
            }
            #[test]
            fn insert_and_count() {
                let Some(_guard) = ($setup)() else { return };
                super::insert_and_count(&open)
            }
            #[test]
            fn duplicates_policy() {
                let Some(_guard) = ($setup)() else { return };
                super::duplicates_policy(&open)
            }
            #[test]
            fn multilingual_units() {
                let Some(_guard) = ($setup)() else { return };
                super::multilingual_units(&open)
            }
            #[test]
            fn context_neighbours() {
                let Some(_guard) = ($setup)() else { return };
                super::context_neighbours(&open)
            }
            #[test]
            fn metadata_round_trip() {
                let Some(_guard) = ($setup)() else { return };
                super::metadata_round_trip(&open)
            }
            #[test]
            fn stamp_changes() {
                let Some(_guard) = ($setup)() else { return };
                super::stamp_changes(&open)
            }
            #[test]
            fn reader_during_write() {
                let Some(_guard) = ($setup)() else { return };
                super::reader_during_write(&open)
            }
            #[test]
            fn rollback_on_error() {
                let Some(_guard) = ($setup)() else { return };
                super::rollback_on_error(&open)
            }
            #[test]
            fn exact_text_probe() {
                let Some(_guard) = ($setup)() else { return };
                super::exact_text_probe(&open)
            }
            #[test]
            fn api_tokens() {
                let Some(_guard) = ($setup)() else { return };
                super::api_tokens(&open)
            }
            #[test]
            fn undo_import_is_exact() {
                let Some(_guard) = ($setup)() else { return };
                super::undo_import_is_exact(&open)
            }
            #[test]
            fn edit_delete_undo() {
                let Some(_guard) = ($setup)() else { return };
                super::edit_delete_undo(&open)
            }
            #[test]
            fn undo_within_and_across_batches() {
                let Some(_guard) = ($setup)() else { return };
                super::undo_within_and_across_batches(&open)
            }
            #[test]
            fn languages_follow_writes() {
                let Some(_guard) = ($setup)() else { return };
                super::languages_follow_writes(&open)
            }
            #[test]
            fn filtered_units() {
                let Some(_guard) = ($setup)() else { return };
                super::filtered_units(&open)
            }
        }
    };
}

conformance!(sqlite, |dir: &Path| Memory::open(dir.join("m.sqlite"))
    .expect("open SQLite memory"));

/// A memory in the version-3 layout, which files made before schema
/// version 4 keep (a unit content hash with its index, a primary-language
/// column, 64-bit text hashes): the store reads and writes them as they
/// are, so the whole suite runs on one as well.
fn open_v3(dir: &Path) -> Memory {
    let p = dir.join("v3.sqlite");
    if !p.exists() {
        drop(Memory::open(&p).expect("create SQLite memory"));
        rusqlite::Connection::open(&p)
            .expect("open for set-up")
            .execute_batch(
                "ALTER TABLE unit ADD COLUMN content_hash INTEGER NOT NULL DEFAULT 0;
                 CREATE INDEX unit_hash ON unit(content_hash);
                 ALTER TABLE variant ADD COLUMN primary_lang TEXT NOT NULL DEFAULT '';
                 PRAGMA user_version = 3;",
            )
            .expect("turn into the version-3 layout");
    }
    Memory::open(&p).expect("open version-3 memory")
}

conformance!(sqlite_v3, open_v3);

/// The PostgreSQL half, run when `TRANSMEM_TEST_DATABASE` names a server
/// (and failing if it cannot be reached); each test's memories live in
/// schemas of their own, dropped when the test ends.
mod pg {
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;
    use std::thread::ThreadId;

    use super::util::{PgSchema, test_database};
    use transmem::memory::Memory;

    /// (test thread, scratch folder, its schema). A static, not a
    /// thread-local: a thread-local's value is dropped during thread
    /// teardown, where the PostgreSQL client (tokio inside) panics, and a
    /// panic there aborts the whole test process instead of reporting the
    /// failed test.
    static SCHEMAS: Mutex<Vec<(ThreadId, PathBuf, PgSchema)>> = Mutex::new(Vec::new());

    fn schemas() -> std::sync::MutexGuard<'static, Vec<(ThreadId, PathBuf, PgSchema)>> {
        // A test that panicked while holding the lock leaves the list
        // usable.
        SCHEMAS.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Drops this test's schemas when the test ends, passed or not, while
    /// the test's thread is still whole.
    pub struct Cleanup;

    impl Drop for Cleanup {
        fn drop(&mut self) {
            let me = std::thread::current().id();
            let mine: Vec<_> = {
                let mut all = schemas();
                let (mine, others) = std::mem::take(&mut *all)
                    .into_iter()
                    .partition(|(t, _, _)| *t == me);
                *all = others;
                mine
            };
            // Outside the lock; each schema's drop swallows its own errors.
            drop(mine);
        }
    }

    pub fn setup() -> Option<Cleanup> {
        test_database("store conformance on PostgreSQL").map(|_| Cleanup)
    }

    pub fn open(dir: &Path) -> Memory {
        let base = test_database("store conformance on PostgreSQL").expect("checked by setup");
        let me = std::thread::current().id();
        let url = {
            let mut all = schemas();
            match all.iter().find(|(t, d, _)| *t == me && d == dir) {
                Some((_, _, s)) => s.url.clone(),
                None => {
                    let s = PgSchema::new(&base);
                    let url = s.url.clone();
                    all.push((me, dir.to_path_buf(), s));
                    url
                }
            }
        };
        Memory::open_database(&url)
            .unwrap_or_else(|e| panic!("open PostgreSQL memory at {base}: {e}"))
    }
}

conformance!(postgres, pg::open, pg::setup);
