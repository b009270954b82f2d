//! Property test: any unit written by the TMX writer reads back identical,
//! whatever its text holds (markup characters, `]]>`, emoji, combining
//! marks, right-to-left text, control characters XML forbids, CR/LF).

use proptest::prelude::*;
use transmem::formats::tmx;
use transmem::memory::{Unit, Variant};

/// Characters that stress escaping and encoding.
fn hard_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a",
        "Z",
        " ",
        "  ",
        "<",
        ">",
        "&",
        "\"",
        "'",
        "]]>",
        "&amp;",
        "<b>",
        "😀",
        "👩‍💻",
        "e\u{301}",
        "\u{5E9}\u{5DC}\u{5D5}\u{5DD}",
        "\u{627}\u{644}\u{633}\u{644}\u{627}\u{645}",
        "\u{200F}",
        "Ж",
        "\t",
        "\n",
        "\r\n",
        "\r",
        "\u{1}",
        "\u{1F}",
        "\u{B}",
        "\u{FFFD}",
        "%",
        "x-ctrl",
        "&#x1;",
    ]);
    prop::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
}

/// Metadata text: anything XML can hold (control characters are refused).
fn meta_text() -> impl Strategy<Value = String> {
    hard_text().prop_map(|s| {
        s.chars()
            .filter(|c| !matches!(c, '\u{1}' | '\u{1F}' | '\u{B}'))
            .collect()
    })
}

/// Canonical markup as the reader produces it: escaped text and codes.
fn with_codes() -> impl Strategy<Value = (String, Option<String>)> {
    (hard_text(), prop::option::of((hard_text(), 0u8..3))).prop_map(|(a, code)| match code {
        None => (a, None),
        Some((b, kind)) => {
            let esc = |s: &str| {
                s.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
                    .replace('\r', "&#13;")
            };
            let code = match kind {
                0 => "<ph x=\"1\">&lt;br/&gt;</ph>".to_string(),
                1 => "<bpt i=\"1\">&lt;b&gt;</bpt>".to_string(),
                _ => "<it pos=\"end\">&lt;/i&gt;</it>".to_string(),
            };
            (
                format!("{a}{b}"),
                Some(format!("{}{code}{}", esc(&a), esc(&b))),
            )
        }
    })
}

fn opt_meta() -> impl Strategy<Value = Option<String>> {
    prop::option::of(meta_text())
}

fn variant(lang: &'static str) -> impl Strategy<Value = Variant> {
    (
        with_codes(),
        opt_meta(),
        opt_meta(),
        prop::collection::vec(meta_text(), 0..2),
        prop::option::of(meta_text()),
        prop::option::of(meta_text()),
    )
        .prop_map(move |((text, markup), prev, next, notes, p1, p2)| {
            let mut props = Vec::new();
            if let Some(v) = p1 {
                props.push(("x-note-type".to_string(), v));
            }
            if let Some(v) = p2 {
                props.push(("@creationdate".to_string(), v));
            }
            Variant {
                lang: lang.to_string(),
                text,
                markup,
                prev,
                next,
                props,
                notes,
            }
        })
}

fn unit() -> impl Strategy<Value = Unit> {
    let langs = prop::sample::subsequence(vec!["en", "ru-RU", "he", "ar-EG", "zh-Hant-TW"], 1..4);
    (
        langs.prop_flat_map(|ls| ls.into_iter().map(variant).collect::<Vec<_>>()),
        (
            opt_meta(),
            opt_meta(),
            opt_meta(),
            opt_meta(),
            opt_meta(),
            opt_meta(),
        ),
        prop::option::of(any::<i64>()),
        prop::collection::vec(meta_text(), 0..2),
        prop::option::of(meta_text()),
        prop::option::of(meta_text()),
    )
        .prop_map(
            |(
                variants,
                (origin, created, creator, changed, changer, tuid),
                usage_count,
                notes,
                a1,
                a2,
            )| {
                let mut attrs = Vec::new();
                if let Some(v) = a1 {
                    attrs.push(("datatype".to_string(), v));
                }
                if let Some(v) = a2 {
                    attrs.push(("x-legacy-id".to_string(), v));
                }
                Unit {
                    id: None,
                    variants,
                    origin,
                    created,
                    creator,
                    changed,
                    changer,
                    tuid,
                    usage_count,
                    attrs,
                    props: vec![("x-domain".to_string(), "test".to_string())],
                    notes,
                }
            },
        )
}

fn sorted(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    v.sort();
    v
}

/// Attribute/prop order may change (attributes are written before props).
fn canonical(mut u: Unit) -> Unit {
    u.attrs = sorted(u.attrs);
    for v in &mut u.variants {
        v.props = sorted(std::mem::take(&mut v.props));
    }
    u
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn tmx_round_trip(units in prop::collection::vec(unit(), 1..4)) {
        let mut w = tmx::Writer::new(Vec::new(), &tmx::Header::default()).unwrap();
        for u in &units {
            w.write_unit(u).unwrap();
        }
        let bytes = w.finish().unwrap();
        let mut back = Vec::new();
        tmx::read(&bytes[..], std::path::Path::new("rt.tmx"), |u| {
            back.push(u);
            Ok(())
        })
        .unwrap();
        let want: Vec<Unit> = units.into_iter().map(canonical).collect();
        let got: Vec<Unit> = back.into_iter().map(canonical).collect();
        prop_assert_eq!(got, want, "document:\n{}", String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn control_characters_in_metadata_are_refused_not_written() {
    let u = Unit {
        variants: vec![Variant {
            lang: "en".into(),
            text: "ok".into(),
            ..Variant::default()
        }],
        notes: vec!["bad \u{7} bell".into()],
        ..Unit::default()
    };
    let mut w = tmx::Writer::new(Vec::new(), &tmx::Header::default()).unwrap();
    let err = w.write_unit(&u).unwrap_err().to_string();
    assert!(err.contains("U+0007"), "{err}");
    let out = String::from_utf8(w.finish().unwrap()).unwrap();
    assert!(!out.contains('\u{7}'));
    assert!(!out.contains("<tu"), "a refused unit leaves nothing behind");
}

/// Every prefix of a valid document and every single-byte corruption is
/// read without a panic; prefixes that cut the document short are errors.
#[test]
fn truncated_and_corrupted_documents_never_panic() {
    let doc = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tmx/good.tmx"
    ))
    .unwrap();
    let end = doc.len() - b"</tmx>\n".len();
    let read =
        |bytes: &[u8]| tmx::read(bytes, std::path::Path::new("x.tmx"), |_| Ok(())).map(|r| r.tus);
    assert_eq!(read(&doc).unwrap(), 4);
    for cut in 0..end {
        assert!(read(&doc[..cut]).is_err(), "prefix of {cut} bytes accepted");
    }
    for i in (0..doc.len()).step_by(3) {
        for b in [0x00, b'<', b'&', 0xFF, 0xC3] {
            let mut bad = doc.clone();
            bad[i] = b;
            let _ = read(&bad);
        }
    }
}

/// CSV and TSV: no prefix or corruption of a valid file makes the reader
/// panic.
#[test]
fn csv_prefixes_and_corruptions_never_panic() {
    use transmem::formats::csv;
    for (name, tsv) in [("good.csv", false), ("good.tsv", true)] {
        let path = format!("{}/tests/fixtures/csv/{name}", env!("CARGO_MANIFEST_DIR"));
        let doc = std::fs::read(path).unwrap();
        let opts = csv::ReadOptions {
            tsv,
            ..Default::default()
        };
        let read = |bytes: &[u8]| {
            csv::read(bytes, std::path::Path::new(name), &opts, |_| Ok(())).map(|r| r.rows)
        };
        assert!(read(&doc).unwrap() >= 2);
        for cut in 0..doc.len() {
            let _ = read(&doc[..cut]);
            for b in [0xFF, b'"', b'\t', b',', b'\n'] {
                let mut bad = doc.clone();
                bad[cut] = b;
                let _ = read(&bad);
            }
        }
    }
}

/// A variant's context is a neighbour's text and may hold a control
/// character, which a `<prop>` cannot: the unit is still written (the
/// character as U+FFFD there), where it used to fail the whole export.
#[test]
fn context_holding_a_control_character_does_not_fail_the_export() {
    let u = Unit {
        variants: vec![Variant {
            lang: "en".into(),
            text: "After the bell.".into(),
            prev: Some("A bell \u{7} rang.".into()),
            next: Some("Quiet.".into()),
            ..Variant::default()
        }],
        ..Unit::default()
    };
    u.validate()
        .expect("a control character in context is allowed");
    let mut w = tmx::Writer::new(Vec::new(), &tmx::Header::default()).unwrap();
    w.write_unit(&u).unwrap();
    let bytes = w.finish().unwrap();
    let mut back = Vec::new();
    tmx::read(&bytes[..], std::path::Path::new("ctx.tmx"), |u| {
        back.push(u);
        Ok(())
    })
    .unwrap();
    assert_eq!(back.len(), 1);
    let v = &back[0].variants[0];
    assert_eq!(v.prev.as_deref(), Some("A bell \u{FFFD} rang."));
    assert_eq!(v.next.as_deref(), Some("Quiet."));
}

/// What no TMX export could hold is refused when a unit is checked for a
/// store (every store calls `validate`), field by field; texts may hold it.
#[test]
fn validate_refuses_control_characters_outside_texts() {
    let base = || Unit {
        variants: vec![Variant {
            lang: "en".into(),
            text: "ok \u{1}".into(),
            ..Variant::default()
        }],
        ..Unit::default()
    };
    base()
        .validate()
        .expect("a text may hold a control character");
    let cases: Vec<(&str, Unit)> = vec![
        (
            "note",
            Unit {
                notes: vec!["a\u{7}".into()],
                ..base()
            },
        ),
        (
            "origin",
            Unit {
                origin: Some("o\u{1}".into()),
                ..base()
            },
        ),
        (
            "creator",
            Unit {
                creator: Some("c\u{1B}".into()),
                ..base()
            },
        ),
        (
            "tuid",
            Unit {
                tuid: Some("t\u{0}".into()),
                ..base()
            },
        ),
        (
            "property",
            Unit {
                props: vec![("x-a".into(), "v\u{2}".into())],
                ..base()
            },
        ),
        (
            "property name",
            Unit {
                attrs: vec![("k\u{3}".into(), "v".into())],
                ..base()
            },
        ),
        ("note", {
            let mut u = base();
            u.variants[0].notes = vec!["n\u{4}".into()];
            u
        }),
        ("property", {
            let mut u = base();
            u.variants[0].props = vec![("x-b".into(), "p\u{5}".into())];
            u
        }),
    ];
    for (field, u) in cases {
        let e = u.validate().expect_err(field).to_string();
        assert!(
            e.contains(field) && e.contains("control character"),
            "{field}: {e}"
        );
    }
}
