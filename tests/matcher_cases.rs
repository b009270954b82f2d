//! Matcher behaviour on small memories: penalties, substitution, context,
//! directions, the persisted index, and index-vs-exhaustive agreement.

use transmem::matcher::{Match, Matcher, Options, Query};
use transmem::memory::{Memory, OnDuplicate, Unit, Variant};

fn v(lang: &str, text: &str) -> Variant {
    Variant {
        lang: lang.into(),
        text: text.into(),
        ..Variant::default()
    }
}

fn unit(vars: Vec<Variant>) -> Unit {
    Unit {
        variants: vars,
        created: Some("20260101T000000Z".into()),
        ..Unit::default()
    }
}

fn store(mem: &mut Memory, units: &[Unit]) {
    let mut w = mem.writer().expect("writer");
    for u in units {
        w.insert(u, None, OnDuplicate::KeepBoth).expect("insert");
    }
    w.commit().expect("commit");
}

fn pairs(list: &[(&str, &str)]) -> Vec<Unit> {
    list.iter()
        .map(|(en, ru)| unit(vec![v("en", en), v("ru", ru)]))
        .collect()
}

fn look(m: &Matcher, text: &str) -> Vec<Match> {
    m.lookup(
        &Query {
            text,
            ..Query::default()
        },
        &Options::default(),
    )
    .expect("lookup")
}

const SAMPLE: &[(&str, &str)] = &[
    (
        "The library opens at 9 o'clock.",
        "Библиотека открывается в 9 часов.",
    ),
    (
        "Our office moved to Kazan last spring.",
        "Прошлой весной наш офис переехал в Казань.",
    ),
    (
        "The price of the ticket is 4.5 euros.",
        "Цена билета — 4,5 евро.",
    ),
    (
        "Please call Siemens support before Friday.",
        "Пожалуйста, позвоните в поддержку Siemens до пятницы.",
    ),
    (
        "The meeting was postponed until Monday.",
        "Совещание перенесли на понедельник.",
    ),
];

#[test]
fn penalties_are_shown_and_charged_in_both_languages() {
    let mut mem = Memory::in_memory().expect("memory");
    store(&mut mem, &pairs(SAMPLE));
    let en = Matcher::load(&mem, "en", "ru").expect("load");
    let m = &look(&en, "The meeting was postponed until monday.")[0];
    assert_eq!(m.score, 99.0);
    assert_eq!(m.penalties.len(), 1);
    assert_eq!(m.penalties[0].kind, "case");
    let m = &look(&en, "The meeting was postponed until Monday!")[0];
    assert_eq!((m.score, m.penalties[0].kind), (99.0, "punctuation"));
    // Russian side as the source: numbers and quotes.
    let ru = Matcher::load(&mem, "ru", "en").expect("load");
    let m = &look(&ru, "Библиотека открывается в 10 часов.")[0];
    assert_eq!((m.score, m.penalties[0].kind), (99.0, "number"));
    assert_eq!(m.target, "The library opens at 9 o'clock.");
    let exact = &look(&ru, "Совещание перенесли на понедельник.")[0];
    assert_eq!(exact.score, 100.0);
    assert!(exact.penalties.is_empty() && exact.diff.is_empty());
}

#[test]
fn penalty_points_are_configurable() {
    let mut mem = Memory::in_memory().expect("memory");
    store(&mut mem, &pairs(SAMPLE));
    let en = Matcher::load(&mem, "en", "ru").expect("load");
    let mut o = Options::default();
    o.penalties.case = 5.0;
    let q = Query {
        text: "THE meeting was postponed until Monday.",
        ..Query::default()
    };
    assert_eq!(en.lookup(&q, &o).expect("lookup")[0].score, 95.0);
}

#[test]
fn numbers_and_names_are_substituted() {
    let mut mem = Memory::in_memory().expect("memory");
    store(&mut mem, &pairs(SAMPLE));
    let en = Matcher::load(&mem, "en", "ru").expect("load");
    let m = &look(&en, "The price of the ticket is 7.25 euros.")[0];
    assert_eq!(m.score, 99.0);
    assert_eq!(m.substituted[0].from, "4.5");
    assert_eq!(m.substituted[0].to, "7.25");
    assert_eq!(
        m.substituted_target.as_deref(),
        Some("Цена билета — 7,25 евро.")
    );
    assert_eq!(m.substituted_score, Some(100.0));
    let m = &look(&en, "Please call Bosch support before Friday.")[0];
    assert_eq!(
        m.substituted_target.as_deref(),
        Some("Пожалуйста, позвоните в поддержку Bosch до пятницы.")
    );
    // A changed ordinary word is not a placeable.
    let m = &look(&en, "Please call Siemens support before Sunday.")[0];
    assert!(m.substituted.is_empty() && m.substituted_target.is_none());
    // Russian → English: the time changes.
    let ru = Matcher::load(&mem, "ru", "en").expect("load");
    let m = &look(&ru, "Библиотека открывается в 8 часов.")[0];
    assert_eq!(
        m.substituted_target.as_deref(),
        Some("The library opens at 8 o'clock.")
    );
}

#[test]
fn context_match_scores_101() {
    let mut mem = Memory::in_memory().expect("memory");
    let mut u = unit(vec![v("en", "It was raining."), v("ru", "Шёл дождь.")]);
    u.variants[0].prev = Some("We left early.".into());
    u.variants[0].next = Some("Nobody came.".into());
    store(&mut mem, &[u]);
    let m = Matcher::load(&mem, "en", "ru").expect("load");
    let o = Options::default();
    let with = |prev, next| {
        m.lookup(
            &Query {
                text: "It was raining.",
                prev,
                next,
            },
            &o,
        )
        .expect("lookup")[0]
            .clone()
    };
    let hit = with(Some("We left  early."), Some("Nobody came."));
    assert_eq!((hit.score, hit.context), (101.0, true));
    assert_eq!(with(Some("We left late."), None).score, 100.0);
    assert_eq!(with(None, None).score, 100.0);
    assert_eq!(
        with(Some("We left early."), Some("Everyone came.")).score,
        100.0
    );
}

#[test]
fn diff_spans_rebuild_both_texts() {
    let mut mem = Memory::in_memory().expect("memory");
    store(&mut mem, &pairs(SAMPLE));
    let en = Matcher::load(&mem, "en", "ru").expect("load");
    let q = "Our office moved to Samara last autumn.";
    let m = &look(&en, q)[0];
    let join = |skip| {
        m.diff
            .iter()
            .filter(|s| s.op != skip)
            .map(|s| s.text.as_str())
            .collect::<String>()
    };
    assert_eq!(join("insert"), m.source);
    assert_eq!(join("delete"), q);
    let json = serde_json::to_value(m).expect("json");
    assert!(
        json["diff"]
            .as_array()
            .is_some_and(|d| d.iter().any(|s| s["op"] == "delete"))
    );
}

#[test]
fn multilingual_units_serve_every_pair() {
    let mut mem = Memory::in_memory().expect("memory");
    store(
        &mut mem,
        &[
            unit(vec![
                v("en", "Good morning, everyone."),
                v("ru", "Всем доброе утро."),
                v("de", "Guten Morgen allerseits."),
            ]),
            unit(vec![
                v("en", "Good morning, everybody."),
                v("fr", "Bonjour à tous."),
            ]),
        ],
    );
    for (from, to, text, want) in [
        ("de", "ru", "Guten Morgen allerseits.", "Всем доброе утро."),
        ("ru", "de", "Всем доброе утро!", "Guten Morgen allerseits."),
        ("en", "fr", "Good morning, everybody.", "Bonjour à tous."),
    ] {
        let m = Matcher::load(&mem, from, to).expect("load");
        let r = look(&m, text);
        assert_eq!(r.len(), 1, "{from}->{to}");
        assert_eq!(r[0].target, want);
    }
    // en→ru must not offer the unit that has no Russian.
    let m = Matcher::load(&mem, "en", "ru").expect("load");
    assert!(
        look(&m, "Good morning, everybody.")
            .iter()
            .all(|x| x.target == "Всем доброе утро.")
    );
}

/// A deterministic generator (no external seed source needed).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "river", "stone", "bright", "market", "winter", "paper", "silent", "garden", "tower", "engine",
    "signal", "harbor", "yellow", "forest", "letter", "window", "bridge", "cotton", "planet",
    "mirror", "rapid", "copper", "velvet", "basket", "the", "a", "of", "and", "to", "in", "is",
    "was", "for", "on",
];

fn sentence(r: &mut Lcg) -> String {
    let n = 3 + r.next(14);
    let mut w: Vec<&str> = (0..n).map(|_| WORDS[r.next(WORDS.len())]).collect();
    if r.next(3) == 0 {
        w.push("2024");
    }
    let mut s = w.join(" ");
    s.push('.');
    s
}

fn edit(r: &mut Lcg, s: &str) -> String {
    let mut w: Vec<String> = s
        .trim_end_matches('.')
        .split(' ')
        .map(String::from)
        .collect();
    let i = r.next(w.len());
    match r.next(3) {
        0 => w[i] = WORDS[r.next(WORDS.len())].to_string(),
        1 => w.insert(i, WORDS[r.next(WORDS.len())].to_string()),
        _ if w.len() > 1 => {
            w.remove(i);
        }
        _ => w.push("extra".into()),
    }
    w.join(" ") + "."
}

#[test]
fn index_agrees_with_exhaustive_on_a_generated_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("gen.sqlite");
    let mut mem = Memory::open(&path).expect("open");
    let mut r = Lcg(42);
    let mut units = Vec::new();
    let mut bases = Vec::new();
    for i in 0..3000 {
        let s = if i % 4 == 0 || bases.is_empty() {
            let s = sentence(&mut r);
            bases.push(s.clone());
            s
        } else {
            let b = bases[r.next(bases.len())].clone();
            edit(&mut r, &b)
        };
        units.push(unit(vec![v("en", &s), v("ru", &format!("перевод {i}"))]));
    }
    store(&mut mem, &units);
    let m = Matcher::load(&mem, "en", "ru").expect("load");
    let ex = Options {
        exhaustive: true,
        ..Options::default()
    };
    let mut agree = 0;
    let n = 200;
    for _ in 0..n {
        let pick = r.next(bases.len());
        let q = edit(&mut r, &bases[pick]);
        let q = Query {
            text: &q,
            ..Query::default()
        };
        let a = m
            .lookup(&q, &Options::default())
            .expect("lookup")
            .first()
            .map(|x| x.score);
        let b = m.lookup(&q, &ex).expect("lookup").first().map(|x| x.score);
        assert!(a <= b, "index found a better score than the full scan");
        agree += usize::from(a == b);
    }
    assert!(agree * 100 >= n * 97, "top-1 agreement {agree}/{n}");
}

#[test]
fn persisted_index_follows_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("m.sqlite");
    let mut mem = Memory::open(&path).expect("open");
    store(&mut mem, &pairs(&SAMPLE[..3]));
    let m = Matcher::load(&mem, "en", "ru").expect("load");
    assert_eq!(m.len(), 3);
    let idx = transmem::matcher::index::path_for(&path, "en");
    assert!(idx.exists(), "index saved beside the memory");
    // New units are appended to the saved index on the next open.
    store(&mut mem, &pairs(&SAMPLE[3..]));
    let m = Matcher::load(&mem, "en", "ru").expect("load");
    assert_eq!(m.len(), 5);
    assert_eq!(look(&m, SAMPLE[4].0)[0].score, 100.0);
    // An overwrite replaces variants: the index is rebuilt, and the old text
    // is never offered.
    let mut w = mem.writer().expect("writer");
    let u = unit(vec![
        v("en", SAMPLE[4].0),
        v("ru", "Встречу отложили до понедельника."),
    ]);
    w.insert(&u, Some("en"), OnDuplicate::Overwrite)
        .expect("overwrite");
    w.commit().expect("commit");
    let m = Matcher::load(&mem, "en", "ru").expect("load");
    let r = look(&m, SAMPLE[4].0);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].target, "Встречу отложили до понедельника.");
    // A damaged index file is rebuilt, not trusted.
    std::fs::write(&idx, b"not an index").expect("write");
    let m = Matcher::load(&mem, "en", "ru").expect("load");
    assert_eq!(look(&m, SAMPLE[0].0)[0].score, 100.0);
}

#[test]
fn numbers_only_queries_are_found() {
    let mut mem = Memory::in_memory().expect("memory");
    store(
        &mut mem,
        &[
            unit(vec![v("en", "12:30"), v("ru", "12:30")]),
            unit(vec![v("en", "1999"), v("ru", "1999")]),
        ],
    );
    let m = Matcher::load(&mem, "en", "ru").expect("load");
    assert_eq!(look(&m, "12:30")[0].score, 100.0);
    let r = look(&m, "2000");
    assert_eq!((r[0].score, r[0].target.as_str()), (99.0, "1999"));
    assert_eq!(r[0].substituted_target.as_deref(), Some("2000"));
}

#[test]
fn matcher_is_sync_for_rayon() {
    fn is_sync<T: Sync + Send>() {}
    is_sync::<Matcher>();
}
