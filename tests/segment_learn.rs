//! Segmentation that learns from the memory's own text (issue 26): the
//! library's `Evidence` and `Segmenter::for_lang_with_evidence`, and the
//! commands that have a memory (`segment`, `align`) on SQLite and, when
//! `TRANSMEM_TEST_DATABASE` is set, PostgreSQL. Every word the evidence
//! teaches here is invented, so no built-in list knows it.

mod util;

use std::path::Path;

use transmem::segment::{Evidence, Segmenter};
use util::{PgSchema, bin, db, run_ok, store, test_database, text, unit};

/// English segments of an informal memory: "zorbly" opens sentences in
/// lowercase, "Kvarrik" is a name (capitalised inside sentences), "Dtv"
/// an abbreviation always written with its full stop ("Dtv.", for detective).
const EN_MEMORY: &[&str] = &[
    "zorbly good, see you.",
    "zorbly fine by me.",
    "We met Kvarrik at the pier.",
    "Then Kvarrik left early.",
    "Dtv. Dunmore came back.",
    "I asked Dtv. Dunmore twice.",
    "The Dtv. is here.",
];

/// Russian segments: "Кваррик" is a name.
const RU_MEMORY: &[&str] = &[
    "Мы встретили Кваррик у причала.",
    "Потом Кваррик уехал домой.",
    "Это сказал Кваррик вчера.",
];

fn split(seg: &Segmenter, text: &str) -> Vec<String> {
    seg.split(text)
        .into_iter()
        .map(|r| text[r].to_string())
        .collect()
}

const LOWER_START: &str = "we can meet at the pier. zorbly good.";
const ABBREV_NAME: &str = "The case went to Dtv. Kvarrik yesterday.";
const RU_NAME: &str = "Как известно, в начале 1990-х гг. Кваррик уехал в Москву.";

#[test]
fn a_lowercase_opener_the_memory_shows_starts_a_sentence() {
    let plain = Segmenter::for_lang("en");
    assert_eq!(split(&plain, LOWER_START), [LOWER_START]);
    let ev = Evidence::learn(EN_MEMORY);
    let taught = Segmenter::for_lang_with_evidence("en", &ev);
    assert_eq!(
        split(&taught, LOWER_START),
        ["we can meet at the pier.", "zorbly good."]
    );
    // Capitalised inside a sentence, the word is a name: no longer an opener.
    let mut mixed: Vec<&str> = EN_MEMORY.to_vec();
    mixed.push("We asked Zorbly about it.");
    let ev = Evidence::learn(&mixed);
    let taught = Segmenter::for_lang_with_evidence("en", &ev);
    assert_eq!(split(&taught, LOWER_START), [LOWER_START]);
}

#[test]
fn a_name_keeps_an_abbreviation_with_it() {
    let plain = Segmenter::for_lang("en");
    assert_eq!(
        split(&plain, ABBREV_NAME),
        ["The case went to Dtv.", "Kvarrik yesterday."]
    );
    let taught = Segmenter::for_lang_with_evidence("en", &Evidence::learn(EN_MEMORY));
    assert_eq!(split(&taught, ABBREV_NAME), [ABBREV_NAME]);
    // A sentence starter after the abbreviation still ends the sentence.
    let t = "The case went to Dtv. Then we left.";
    assert_eq!(
        split(&taught, t),
        ["The case went to Dtv.", "Then we left."]
    );

    let plain = Segmenter::for_lang("ru");
    assert_eq!(split(&plain, RU_NAME).len(), 2);
    let taught = Segmenter::for_lang_with_evidence("ru", &Evidence::learn(RU_MEMORY));
    assert_eq!(split(&taught, RU_NAME), [RU_NAME]);
    // Any other capital still opens a sentence there.
    let t = "В 1995 г. Понадобилось время.";
    assert_eq!(split(&taught, t), split(&plain, t));
}

/// Texts the built-in rules decide in many ways, for "nothing changes".
const TEXTS: &[&str] = &[
    "Mr. Smith met J. Doe. Then he left.",
    "we can meet at noon. sounds good. ok. see you then.",
    "He works for the U.S. Senate. The end. It is 5 p.m. Moscow time.",
    "This is it. and this is another. approx. five people came.",
    "Встреча с В. Путиным. Он ушёл. В 1991 г. Рид Ларсон провел опыт.",
    "в III веке до н. э. Рим воевал с Карфагеном. Потом мир.",
];

#[test]
fn evidence_from_an_empty_memory_changes_nothing() {
    let none: [&str; 0] = [];
    for ev in [
        Evidence::new(),
        Evidence::learn(none),
        Evidence::learn(["", "  "]),
        // One sighting of each word: below every threshold.
        Evidence::learn(["zorbly good.", "We met Kvarrik there."]),
    ] {
        for lang in ["en", "ru", "de", "xx"] {
            let plain = Segmenter::for_lang(lang);
            let taught = Segmenter::for_lang_with_evidence(lang, &ev);
            for t in TEXTS {
                assert_eq!(split(&taught, t), split(&plain, t), "{lang}: {t}");
            }
        }
    }
}

#[test]
fn evidence_keeps_the_built_in_decisions() {
    // Evidence only adds: what the built-in lists decide stays decided.
    let ev = Evidence::learn(EN_MEMORY.iter().chain(RU_MEMORY));
    for lang in ["en", "ru"] {
        let plain = Segmenter::for_lang(lang);
        let taught = Segmenter::for_lang_with_evidence(lang, &ev);
        for t in TEXTS {
            assert_eq!(split(&taught, t), split(&plain, t), "{lang}: {t}");
        }
    }
}

#[test]
fn built_in_abbreviations_never_become_ordinary_words() {
    // "etc." ends every segment here, yet stays an abbreviation before a
    // lowercase word; "noon" becomes an ordinary word.
    let segs = [
        "We bought pens, paper etc.",
        "They sold cups, plates etc.",
        "Bring food, drink etc.",
        "We met at noon.",
        "They left at noon.",
        "It was noon.",
        "noon came and went",
    ];
    let taught = Segmenter::for_lang_with_evidence("en", &Evidence::learn(segs));
    let t = "We had pens etc. and paper.";
    assert_eq!(split(&taught, t), [t]);
    assert_eq!(
        split(&taught, "we left at noon. then it rained."),
        ["we left at noon.", "then it rained."]
    );
}

fn en_ru_units() -> Vec<transmem::memory::Unit> {
    EN_MEMORY
        .iter()
        .zip(RU_MEMORY.iter().cycle())
        .map(|(en, ru)| unit(&[("en", en), ("ru", ru)]))
        .collect()
}

/// `segment --lang en` with `global` naming the memory, on `LOWER_START`.
fn segment_with(global: &[&str], dir: &Path, extra: &[&str]) -> String {
    let input = dir.join("in.txt");
    std::fs::write(&input, LOWER_START).unwrap();
    let mut c = bin();
    c.args(global)
        .args(["segment", "--lang", "en"])
        .args(extra)
        .arg(&input);
    text(&run_ok(&mut c, 0).stdout)
}

#[test]
fn segment_learns_from_a_file_memory() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    store(&mem, &en_ru_units());
    let m = mem.to_str().unwrap();
    assert_eq!(
        segment_with(&["--memory", m], dir.path(), &[]),
        "we can meet at the pier.\nzorbly good.\n"
    );
    // Without a memory, or told not to learn, the built-in rules alone.
    assert_eq!(
        segment_with(&[], dir.path(), &[]),
        format!("{LOWER_START}\n")
    );
    assert_eq!(
        segment_with(&["--memory", m], dir.path(), &["--no-learn"]),
        format!("{LOWER_START}\n")
    );
    // A memory that does not exist teaches nothing, and says so.
    let input = dir.path().join("in.txt");
    let out = run_ok(
        bin()
            .arg("--memory")
            .arg(dir.path().join("none.sqlite"))
            .args(["segment", "--lang", "en"])
            .arg(&input),
        0,
    );
    assert_eq!(text(&out.stdout), format!("{LOWER_START}\n"));
    assert!(
        text(&out.stderr).contains("built-in rules only"),
        "{}",
        text(&out.stderr)
    );
    // A memory without English teaches nothing.
    let ru_only = dir.path().join("ru.sqlite");
    store(
        &ru_only,
        &[unit(&[("ru", "zorbly good."), ("de", "zorbly gut.")])],
    );
    assert_eq!(
        segment_with(&["--memory", ru_only.to_str().unwrap()], dir.path(), &[]),
        format!("{LOWER_START}\n")
    );
}

#[test]
fn align_segments_with_what_the_memory_teaches() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    store(&mem, &en_ru_units());
    let (en, ru) = (dir.path().join("en.txt"), dir.path().join("ru.txt"));
    std::fs::write(&en, LOWER_START).unwrap();
    std::fs::write(&ru, "Мы можем встретиться у причала. Звучит хорошо.").unwrap();
    let align = |global: &[&str]| {
        let mut c = bin();
        c.args(global)
            .args(["align", "--from", "en", "--to", "ru"])
            .arg(&en)
            .arg(&ru);
        text(&run_ok(&mut c, 0).stdout)
    };
    let taught = align(&["--memory", mem.to_str().unwrap()]);
    assert_eq!(taught.lines().count(), 2, "{taught}");
    assert!(
        taught.starts_with("we can meet at the pier.\tМы можем встретиться у причала."),
        "{taught}"
    );
    let plain = align(&[]);
    assert!(plain.starts_with(&format!("{LOWER_START}\t")), "{plain}");
}

#[test]
fn segment_learns_from_a_postgresql_memory() {
    let Some(base) = test_database("segment_learn on PostgreSQL") else {
        return;
    };
    let schema = PgSchema::new(&base);
    let dir = tempfile::tempdir().unwrap();
    let tsv = dir.path().join("m.tsv");
    let rows: String = EN_MEMORY
        .iter()
        .zip(RU_MEMORY.iter().cycle())
        .map(|(e, r)| format!("{e}\t{r}\n"))
        .collect();
    std::fs::write(&tsv, rows).unwrap();
    run_ok(
        &mut db(
            &schema.url,
            &["import", "--langs", "en,ru", tsv.to_str().unwrap()],
        ),
        0,
    );
    assert_eq!(
        segment_with(&["--database", &schema.url], dir.path(), &[]),
        "we can meet at the pier.\nzorbly good.\n"
    );
    let input = dir.path().join("ru.txt");
    std::fs::write(&input, RU_NAME).unwrap();
    let out = run_ok(
        &mut db(
            &schema.url,
            &["segment", "--lang", "ru", input.to_str().unwrap()],
        ),
        0,
    );
    assert_eq!(text(&out.stdout), format!("{RU_NAME}\n"));
}

#[test]
fn analyze_and_pretranslate_segment_with_what_the_memory_teaches() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    store(&mem, &en_ru_units());
    let input = dir.path().join("in.txt");
    std::fs::write(&input, LOWER_START).unwrap();
    let run = |args: &[&str]| {
        let mut c = bin();
        c.arg("--memory").arg(&mem).args(args).arg(&input);
        text(&run_ok(&mut c, 0).stdout)
    };
    let tsv = run(&[
        "pretranslate",
        "--from",
        "en",
        "--to",
        "ru",
        "--format",
        "tsv",
    ]);
    let sources: Vec<&str> = tsv
        .lines()
        .filter_map(|l| l.split('\t').next())
        .filter(|s| s.contains("pier") || s.contains("zorbly"))
        .collect();
    assert_eq!(
        sources,
        ["we can meet at the pier.", "zorbly good."],
        "{tsv}"
    );
    let json = run(&["analyze", "--from", "en", "--to", "ru", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let total: u64 = v["total"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(band, _)| *band != "repetitions" && *band != "cross-file-repetitions")
        .map(|(_, b)| b["segments"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(total, 2, "{json}");
}

/// Units for the sample checks: 3,000, in three writes, where every third
/// lacks Russian and every fifth has a regional English tag, so the
/// newest English and Russian variants sit at different ids.
fn sample_units() -> Vec<Vec<transmem::model::Unit>> {
    (0..3)
        .map(|w| {
            (0..1000)
                .map(|i| {
                    let n = w * 1000 + i;
                    let en = if n % 5 == 0 { "en-GB" } else { "en" };
                    let e = format!("Sentence number {n} of the sample.");
                    let r = format!("Предложение номер {n} из выборки.");
                    if n % 3 == 0 {
                        unit(&[(en, &e)])
                    } else {
                        unit(&[(en, &e), ("ru", &r)])
                    }
                })
                .collect()
        })
        .collect()
}

/// The bounded read a memory in this process makes agrees with streaming
/// every unit, for samples smaller than, equal to and larger than a
/// language's variants.
fn sample_agrees(tm: &dyn transmem::tm::Tm) {
    for lang in ["en", "ru", "EN_gb", "de"] {
        for max in [0, 1, 7, 1000, 1999, 2000, 2001, 2999, 3000, 5000] {
            let fast = tm.newest_texts(lang, max).unwrap();
            let slow = transmem::tm::newest_texts_streamed(tm, lang, max).unwrap();
            assert_eq!(fast, slow, "{lang} {max}");
        }
    }
    // Oldest first, the newest last.
    let en = tm.newest_texts("en", 2).unwrap();
    assert_eq!(
        en,
        [
            "Sentence number 2998 of the sample.",
            "Sentence number 2999 of the sample."
        ]
    );
    assert_eq!(tm.newest_texts("ru", 5000).unwrap().len(), 2000);
}

#[test]
fn the_newest_segments_are_read_without_streaming_the_memory() {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    for w in sample_units() {
        store(&mem, &w);
    }
    let tm = transmem::tm::Location::File(mem).open(false, None).unwrap();
    sample_agrees(&*tm);
}

#[test]
fn the_newest_segments_are_read_without_streaming_a_postgresql_memory() {
    let Some(base) = test_database("segment_learn on PostgreSQL") else {
        return;
    };
    let schema = PgSchema::new(&base);
    for w in sample_units() {
        let mut mem = transmem::memory::Memory::open_database(&schema.url).unwrap();
        let mut wr = mem.writer().unwrap();
        for u in &w {
            wr.insert(u, None, transmem::memory::OnDuplicate::KeepBoth)
                .unwrap();
        }
        wr.commit().unwrap();
    }
    let tm = transmem::tm::Location::Database(schema.url.clone())
        .open(false, None)
        .unwrap();
    sample_agrees(&*tm);
}
