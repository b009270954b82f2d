//! Broken and hostile input files (issue 17): each is refused with exit 2 and
//! a message naming the file and line/byte, in bounded time and memory, and
//! the memory stays exactly as it was; or, where the input is good after
//! all (UTF-16 without BOM), it is read correctly.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;
use transmem::memory::{Memory, Unit};

fn tm(mem: &Path) -> Command {
    let mut c = Command::cargo_bin("transmem").unwrap();
    c.arg("--memory").arg(mem).arg("--creator").arg("tester");
    c.env_remove("TRANSMEM_MAX_SEGMENT")
        .env_remove("TRANSMEM_MAX_LINE");
    c
}

fn units(mem: &Path) -> Vec<Unit> {
    let m = Memory::open(mem).unwrap();
    let mut out = Vec::new();
    m.for_each_unit(|u| {
        out.push(u);
        Ok(())
    })
    .unwrap();
    out
}

/// A memory with two units, in a fresh folder.
fn seeded() -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let mem = dir.path().join("m.sqlite");
    let seed = dir.path().join("seed.tsv");
    std::fs::write(&seed, "en\tru\nOne.\tОдин.\nTwo.\tДва.\n").unwrap();
    tm(&mem).arg("import").arg(&seed).assert().success();
    (dir, mem)
}

/// Imports `bytes` as `name` (with `extra` options): exit 2, the message
/// holds the file name and `needle`, and the memory is unchanged.
fn refused(name: &str, bytes: &[u8], extra: &[&str], needle: &str) -> String {
    let (dir, mem) = seeded();
    let before = units(&mem);
    let file = dir.path().join(name);
    std::fs::write(&file, bytes).unwrap();
    let out = tm(&mem)
        .arg("import")
        .args(extra)
        .arg(&file)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains(name), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in {err}");
    assert_eq!(units(&mem), before, "memory changed after a failed import");
    err
}

fn utf16(s: &str, le: bool) -> Vec<u8> {
    s.encode_utf16()
        .flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() })
        .collect()
}

#[test]
fn csv_with_an_unclosed_quote_names_the_opening_quote() {
    // Before: exit 0 with 1 unit instead of 4, the rest of the file taken as
    // one field.
    let doc = "en,ru\na,б\nc,\"d\ne,f\ng,h\n";
    let at = doc.find('"').unwrap();
    refused(
        "open.csv",
        doc.as_bytes(),
        &[],
        &format!("open.csv:3 (byte {at}): this quote opens a field that is never closed"),
    );
    // Closed quotes, doubled quotes and line breaks inside quotes still read.
    let (dir, mem) = seeded();
    let good = dir.path().join("good.csv");
    std::fs::write(&good, "en,ru\r\n\"a,\"\"b\"\"\nc\",д\r\n\r\ne,\"\"\"\"\n").unwrap();
    tm(&mem).arg("import").arg(&good).assert().success();
    let texts: Vec<Vec<String>> = units(&mem)
        .iter()
        .map(|u| u.variants.iter().map(|v| v.text.clone()).collect())
        .collect();
    assert!(
        texts.contains(&vec!["a,\"b\"\nc".to_string(), "д".to_string()]),
        "{texts:?}"
    );
    assert!(
        texts.contains(&vec!["e".to_string(), "\"".to_string()]),
        "{texts:?}"
    );
}

#[test]
fn utf16_tsv_and_csv_without_bom_are_detected() {
    // Before: stored as NUL-interleaved text.
    for le in [true, false] {
        for (name, doc) in [
            ("u16.tsv", "One.\tОдин.\nЧетыре слова здесь.\tФраза.\n"),
            ("u16.csv", "One.,Один.\n\"Три, два\",Фраза.\n"),
        ] {
            let (dir, mem) = seeded();
            let file = dir.path().join(name);
            std::fs::write(&file, utf16(doc, le)).unwrap();
            tm(&mem)
                .args(["import", "--langs", "en,ru"])
                .arg(&file)
                .assert()
                .success();
            let us = units(&mem);
            assert_eq!(us.len(), 3, "le={le} {name}: one new unit");
            let texts: Vec<&str> = us
                .iter()
                .flat_map(|u| u.variants.iter().map(|v| v.text.as_str()))
                .collect();
            assert!(!texts.iter().any(|t| t.contains('\0')), "{texts:?}");
            assert!(
                texts.contains(&"Фраза.")
                    && (texts.contains(&"Три, два") || texts.contains(&"Четыре слова здесь.")),
                "le={le} {name}: {texts:?}"
            );
        }
    }
}

#[test]
fn tmx_with_a_nul_character_is_not_well_formed() {
    let doc = b"<tmx version=\"1.4\"><body>\n<tu><tuv xml:lang=\"en\"><seg>a\0b</seg></tuv></tu></body></tmx>";
    let at = doc.iter().position(|&b| b == 0).unwrap();
    refused(
        "nul.tmx",
        doc,
        &[],
        &format!("nul.tmx:2 (byte {at}): U+0000 (NUL) is not allowed in XML"),
    );
    // In UTF-16 too (transcoded, so only the line).
    let text = "<tmx version=\"1.4\"><body><tu><tuv xml:lang=\"en\"><seg>a\0b</seg></tuv></tu></body></tmx>";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(utf16(text, true));
    refused("nul16.tmx", &bytes, &[], "nul16.tmx:1: U+0000 (NUL)");
}

#[test]
fn tmx_with_an_unknown_encoding_label_is_refused() {
    // Before: read as UTF-8.
    for label in ["UTF-7", "x-bogus-enc", "ISO-2022-KR"] {
        let doc = format!(
            "<?xml version=\"1.0\" encoding=\"{label}\"?>\n<tmx version=\"1.4\"><body><tu><tuv xml:lang=\"en\"><seg>ab</seg></tuv></tu></body></tmx>"
        );
        refused(
            "enc.tmx",
            doc.as_bytes(),
            &[],
            &format!("enc.tmx:1: the XML declaration names encoding \"{label}\""),
        );
    }
}

fn tmx_with_seg(text: &str) -> String {
    format!(
        "<tmx version=\"1.4\"><body>\n<tu><tuv xml:lang=\"en\"><seg>{text}</seg></tuv><tuv xml:lang=\"ru\"><seg>x</seg></tuv></tu></body></tmx>"
    )
}

#[test]
fn segments_over_the_limit_are_refused_in_every_format() {
    // Before: a 200 MB segment was accepted and every later lookup took 30 s
    // and 5 GB. Here 100 kB, over the 64 KiB default.
    let long = "word ".repeat(20_000);
    let tmx = tmx_with_seg(&long);
    let at = tmx.find("<seg>").unwrap() + 5;
    refused(
        "long.tmx",
        tmx.as_bytes(),
        &[],
        &format!(
            "long.tmx:2 (byte {at}): the text of this <seg> is longer than the segment limit of 65536 bytes"
        ),
    );
    refused(
        "long.tsv",
        format!("en\tru\nok\tда\n{long}\tx\n").as_bytes(),
        &[],
        "long.tsv:3 (byte 14): field 1 is longer than the segment limit of 65536 bytes",
    );
    refused(
        "long.csv",
        format!("en,ru\nok,да\nx,\"{long}\"\n").as_bytes(),
        &[],
        "long.csv:3 (byte 16): field 2 is longer than the segment limit",
    );
    // Far over the limit, before the text is buffered whole (a 200 MB
    // segment made every later lookup take 30 s and 5 GB).
    let huge = tmx_with_seg(&"word ".repeat(600_000));
    refused(
        "huge.tmx",
        huge.as_bytes(),
        &[],
        &format!(
            "huge.tmx:2 (byte {}): the text of this <seg> is longer than the segment limit of 65536 bytes (1048576 bytes or more",
            at - 5
        ),
    );
    // A note is limited like a segment.
    let note = format!(
        "<tmx><body><tu><note>{long}</note><tuv xml:lang=\"en\"><seg>a</seg></tuv></tu></body></tmx>"
    );
    refused(
        "note.tmx",
        note.as_bytes(),
        &[],
        "this prop or note is longer than the segment limit",
    );
}

#[test]
fn the_limits_can_be_raised() {
    let (dir, mem) = seeded();
    let file = dir.path().join("long.tmx");
    std::fs::write(&file, tmx_with_seg(&"word ".repeat(20_000))).unwrap();
    tm(&mem)
        .env("TRANSMEM_MAX_SEGMENT", "200000")
        .arg("import")
        .arg(&file)
        .assert()
        .success();
    assert_eq!(units(&mem).len(), 3);
    let out = tm(&mem)
        .env("TRANSMEM_MAX_SEGMENT", "lots")
        .arg("import")
        .arg(&file)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("TRANSMEM_MAX_SEGMENT=\"lots\""), "{err}");
}

#[test]
fn lines_without_end_are_refused_after_a_bounded_read() {
    // 3 MB without a line break (or `<`): refused at the 1 MiB line limit
    // instead of buffered whole. Before: `/dev/zero` as TSV grew without
    // bound.
    let endless = vec![b'z'; 3 << 20];
    refused(
        "flat.tsv",
        &endless,
        &["--langs", "en,ru"],
        "flat.tsv:1 (byte 0): the line is longer than the line limit of 1048576 bytes",
    );
    let mut fields = b"en,ru\n".to_vec();
    fields.extend(",".repeat(3 << 20).bytes());
    refused(
        "commas.csv",
        &fields,
        &[],
        "commas.csv:2 (byte 6): the record is longer than the line limit",
    );
    let mut attr = b"<tmx><body><tu x=\"".to_vec();
    attr.extend(vec![b'a'; 3 << 20]);
    refused(
        "attr.tmx",
        &attr,
        &[],
        "attr.tmx:1 (byte 11): text or markup without any < is longer than the line limit",
    );
}

#[cfg(unix)]
#[test]
fn dev_zero_is_refused_in_every_format() {
    for (format, needle) in [
        ("tsv", "the line is longer than the line limit"),
        ("csv", "field 1 is longer than the segment limit"),
        ("tmx", "U+0000 (NUL) is not allowed in XML"),
    ] {
        let (_dir, mem) = seeded();
        let out = tm(&mem)
            .args([
                "import",
                "--langs",
                "en,ru",
                "--format",
                format,
                "/dev/zero",
            ])
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(
            err.contains("/dev/zero:1 (byte 0): ") && err.contains(needle),
            "{format}: {err}"
        );
    }
}
