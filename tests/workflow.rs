//! Document workflow end to end: `analyze` and `pretranslate` against a
//! memory built by `align --store` from a small article pair.

mod util;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary with the memory given through the environment, as users do.
fn bin(mem: &Path) -> Command {
    let mut c = util::bin();
    c.env("TRANSMEM_MEMORY", mem);
    c
}

fn fixture(name: &str) -> PathBuf {
    util::fixture(&format!("cli/{name}"))
}

fn ok(out: Output) -> Output {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn memory() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let mem = dir.path().join("m.sqlite");
    ok(bin(&mem)
        .args(["align", "--store", "--src-lang", "en", "--tgt-lang", "ru"])
        .arg(fixture("harbour.en.txt"))
        .arg(fixture("harbour.ru.txt"))
        .output()
        .unwrap());
    (dir, mem)
}

fn analyze(mem: &Path, files: &[&str]) -> serde_json::Value {
    let out = ok(bin(mem)
        .args(["analyze", "--from", "en", "--to", "ru", "--format", "json"])
        .args(files.iter().map(|f| fixture(f)))
        .output()
        .unwrap());
    serde_json::from_slice(&out.stdout).unwrap()
}

fn words(v: &serde_json::Value, bands: &[&str]) -> u64 {
    bands.iter().map(|b| v[*b]["words"].as_u64().unwrap()).sum()
}

const ALL: [&str; 9] = [
    "context",
    "100",
    "95-99",
    "85-94",
    "75-84",
    "50-74",
    "no-match",
    "repetitions",
    "cross-file-repetitions",
];

#[test]
fn stored_article_is_covered_and_unrelated_is_not() {
    let (_d, mem) = memory();
    let v = analyze(&mem, &["harbour.en.txt"]);
    let total = &v["total"];
    let all = words(total, &ALL);
    assert!(all > 50);
    let exact = words(total, &["context", "100"]);
    assert!(exact as f64 >= 0.9 * all as f64, "{exact}/{all}: {total}");
    assert_eq!(v["files"][0]["100"], total["100"]);
    // Re-analysing the stored article: its sentences keep their neighbours.
    assert!(
        total["context"]["segments"].as_u64().unwrap() >= 5,
        "{total}"
    );

    let v = analyze(&mem, &["unrelated.en.txt"]);
    let total = &v["total"];
    let low = words(total, &["no-match", "50-74"]);
    assert!(low as f64 >= 0.9 * words(total, &ALL) as f64, "{total}");
}

#[test]
fn repetitions_count_across_files() {
    let (_d, mem) = memory();
    let v = analyze(&mem, &["harbour.en.txt", "harbour.en.txt"]);
    let (first, second) = (&v["files"][0], &v["files"][1]);
    assert_eq!(first["cross-file-repetitions"]["segments"], 0);
    // Every segment of the second copy was seen in the first: those the
    // memory matches at 100% or in context stay in their band (Trados's
    // rule), the rest are cross-file repetitions, none a repetition within
    // the file.
    let seg = |v: &serde_json::Value, b: &str| v[b]["segments"].as_u64().unwrap();
    let second_total: u64 = ALL.iter().map(|b| seg(second, b)).sum();
    let first_fuzzy: u64 = [
        "95-99",
        "85-94",
        "75-84",
        "50-74",
        "no-match",
        "repetitions",
    ]
    .iter()
    .map(|b| seg(first, b))
    .sum();
    assert_eq!(seg(second, "repetitions"), 0);
    assert_eq!(seg(second, "cross-file-repetitions"), first_fuzzy);
    assert_eq!(
        seg(second, "context") + seg(second, "100") + seg(second, "cross-file-repetitions"),
        second_total
    );
    assert_eq!(
        v["total"]["cross-file-repetitions"]["words"],
        second["cross-file-repetitions"]["words"]
    );
}

#[test]
fn analysis_bands_agree_with_lookup_scores() {
    let (_d, mem) = memory();
    let dir = tempfile::tempdir().unwrap();
    let q = "The ferry can carry 300 passengers and 40 cars.";
    let file = dir.path().join("one.txt");
    std::fs::write(&file, q).unwrap();
    let out = ok(bin(&mem)
        .args([
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "--format",
            "jsonl",
            "--threshold",
            "50",
            q,
        ])
        .output()
        .unwrap());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let score = v["matches"][0]["score"].as_f64().unwrap();
    let band = match score {
        s if s >= 100.0 => "100",
        s if s >= 95.0 => "95-99",
        s if s >= 85.0 => "85-94",
        s if s >= 75.0 => "75-84",
        _ => "50-74",
    };
    let out = ok(bin(&mem)
        .args(["analyze", "--from", "en", "--to", "ru", "--format", "json"])
        .arg(&file)
        .output()
        .unwrap());
    let a: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(a["total"][band]["segments"], 1, "score {score}: {a}");
}

#[test]
fn csv_has_a_row_per_file_and_band() {
    let (_d, mem) = memory();
    let out = ok(bin(&mem)
        .args(["analyze", "--from", "en", "--to", "ru", "--format", "csv"])
        .arg(fixture("harbour.en.txt"))
        .arg(fixture("unrelated.en.txt"))
        .output()
        .unwrap());
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "file,band,segments,words,characters");
    assert_eq!(rows.len(), 1 + 3 * 9);
    assert!(rows.iter().any(|r| r.starts_with("TOTAL,no-match,")));
}

#[test]
fn xliff_draft_is_well_formed_and_filled() {
    let (dir, mem) = memory();
    let out_path = dir.path().join("draft.xlf");
    ok(bin(&mem)
        .args([
            "pretranslate",
            "--from",
            "en",
            "--to",
            "ru",
            "--format",
            "xliff",
            "-o",
        ])
        .arg(&out_path)
        .arg(fixture("harbour.en.txt"))
        .output()
        .unwrap());
    let xml = std::fs::read_to_string(&out_path).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut units, mut targets, mut depth_alt) = (0, 0, 0);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) => match e.name().as_ref() {
                "trans-unit" => units += 1,
                "alt-trans" => depth_alt += 1,
                "target" if depth_alt == 0 => {
                    targets += 1;
                    let state = e.try_get_attribute("state").unwrap().unwrap();
                    assert!(matches!(
                        &*state.value,
                        "translated" | "needs-review-translation"
                    ));
                }
                _ => {}
            },
            Ok(quick_xml::events::Event::End(e)) if e.name().as_ref() == "alt-trans" => {
                depth_alt -= 1
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed at {}: {e}", reader.buffer_position()),
        }
    }
    assert!(xml.contains(r#"xmlns="urn:oasis:names:tc:xliff:document:1.2""#));
    assert_eq!(units, 7);
    assert!(targets as f64 >= 0.9 * units as f64, "{targets}/{units}");
}

#[test]
fn tsv_draft_has_one_row_per_segment() {
    let (_d, mem) = memory();
    let out = ok(bin(&mem)
        .args([
            "pretranslate",
            "--from",
            "en",
            "--to",
            "ru",
            "--format",
            "tsv",
        ])
        .arg(fixture("harbour.en.txt"))
        .output()
        .unwrap());
    let text = String::from_utf8(out.stdout).unwrap();
    let row = text
        .lines()
        .find(|l| l.starts_with("Tickets will cost 120 roubles."))
        .expect("row for the sentence");
    let cols: Vec<&str> = row.split('\t').collect();
    assert_eq!(cols.len(), 4);
    assert_eq!(cols[1], "Билет будет стоить 120 рублей.");
    // Same sentence with the same neighbours as when it was stored: a
    // context match.
    assert_eq!(cols[2], "101");
    assert_eq!(cols[3], "harbour.en.txt");
}
