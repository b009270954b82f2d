//! `transmem import` end to end: good files in every encoding, and hostile
//! input that must be refused with the file and position while the memory
//! stays exactly as it was.

mod util;

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use tempfile::TempDir;
use util::{fixture, tm, units};

/// A memory holding good.tmx, and its path.
fn seeded() -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let mem = dir.path().join("m.sqlite");
    tm(&mem)
        .arg("import")
        .arg(fixture("tmx/good.tmx"))
        .assert()
        .success();
    (dir, mem)
}

#[test]
fn good_tmx_maps_fields_codes_and_metadata() {
    let (_d, mem) = seeded();
    let us = units(&mem);
    assert_eq!(us.len(), 4);
    let t1 = &us[0];
    assert_eq!(t1.tuid.as_deref(), Some("t1"));
    assert_eq!(t1.creator.as_deref(), Some("alice"));
    assert_eq!(t1.created.as_deref(), Some("20240102T030405Z"));
    assert_eq!(t1.usage_count, Some(3));
    assert_eq!(t1.origin.as_deref(), Some("good.tmx"));
    assert_eq!(t1.notes, vec!["checked twice".to_string()]);
    assert_eq!(
        t1.props,
        vec![("x-domain".to_string(), "weather".to_string())]
    );
    assert_eq!(t1.attrs, vec![("id".to_string(), "legacy-7".to_string())]);
    let langs: Vec<&str> = t1.variants.iter().map(|v| v.lang.as_str()).collect();
    assert_eq!(langs, ["en-US", "ru-RU", "de-DE"]);
    // Inline codes: plain text for matching, markup for export.
    let en = &us[1].variants[0];
    assert_eq!(en.text, "Press Save & wait.");
    let markup = en.markup.as_deref().unwrap();
    assert!(
        markup.contains(r#"<bpt i="1" x="1">&lt;b&gt;</bpt>Save"#),
        "{markup}"
    );
    // The creator option fills units that name none.
    assert_eq!(us[1].creator.as_deref(), Some("tester"));
    // A second tuv in one language is kept as an x-alt prop of the first.
    let ru = us[2].variant("ru-RU").unwrap();
    assert_eq!(ru.text, "Далее два перевода.");
    assert_eq!(
        ru.props,
        vec![(
            "x-alt".to_string(),
            "Ниже следуют два перевода.".to_string()
        )]
    );
    // CDATA and character references are text.
    assert_eq!(us[3].variants[0].text, "Tags like <b> stay text");
    assert!(us[3].variants[1].text.ends_with('☺'));
    assert!(us[3].variants[0].markup.is_none());
}

#[test]
fn summary_counts_duplicates_and_reimport_adds_nothing() {
    let (_d, mem) = seeded();
    tm(&mem)
        .arg("import")
        .arg(fixture("tmx/good.tmx"))
        .assert()
        .success()
        .stderr(predicate::str::contains("4 units read, 0 new, 4 duplicate"));
    assert_eq!(units(&mem).len(), 4);
}

fn utf16(s: &str, le: bool, bom: bool) -> Vec<u8> {
    let mut v = Vec::new();
    if bom {
        v.extend(if le { [0xFF, 0xFE] } else { [0xFE, 0xFF] });
    }
    for u in s.encode_utf16() {
        v.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    v
}

#[test]
fn utf16_and_legacy_encodings_import_alike() {
    let good = std::fs::read_to_string(fixture("tmx/good.tmx")).unwrap();
    let utf16_doc = good.replace("encoding=\"UTF-8\"", "encoding=\"UTF-16\"");
    let dir = TempDir::new().unwrap();
    let mut files = Vec::new();
    for (name, bytes) in [
        ("le-bom.tmx", utf16(&utf16_doc, true, true)),
        ("be-bom.tmx", utf16(&utf16_doc, false, true)),
        ("le.tmx", utf16(&utf16_doc, true, false)),
        ("be.tmx", utf16(&utf16_doc, false, false)),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        files.push(p);
    }
    for f in &files {
        let mem = dir.path().join(format!(
            "{}.sqlite",
            f.file_name().unwrap().to_string_lossy()
        ));
        tm(&mem).arg("import").arg(f).assert().success();
        let us = units(&mem);
        assert_eq!(us.len(), 4, "{}", f.display());
        assert_eq!(
            us[0].variants[1].text,
            "Дождь в долине прекратился в полдень."
        );
    }
    // windows-1252, declared.
    let mut cp = b"<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n<tmx version=\"1.4\"><header creationtool=\"t\" creationtoolversion=\"1\" segtype=\"sentence\" o-tmf=\"t\" adminlang=\"en\" srclang=\"en\" datatype=\"plaintext\"/><body><tu><tuv xml:lang=\"en\"><seg>Caf".to_vec();
    cp.extend(b"\xE9 \x80 5</seg></tuv><tuv xml:lang=\"fr\"><seg>Caf\xE9 5 \x80</seg></tuv></tu></body></tmx>");
    let p = dir.path().join("cp1252.tmx");
    std::fs::write(&p, cp).unwrap();
    let mem = dir.path().join("cp.sqlite");
    tm(&mem).arg("import").arg(&p).assert().success();
    assert_eq!(units(&mem)[0].variants[0].text, "Café € 5");
}

#[test]
fn csv_and_tsv_with_header_or_langs() {
    let dir = TempDir::new().unwrap();
    let mem = dir.path().join("m.sqlite");
    tm(&mem)
        .arg("import")
        .arg(fixture("csv/good.csv"))
        .arg(fixture("csv/good.tsv"))
        .assert()
        .success();
    let us = units(&mem);
    assert_eq!(us.len(), 5);
    assert_eq!(us[0].variants[1].text, "Привет, мир");
    assert_eq!(us[0].notes, vec!["greeting".to_string()]);
    assert_eq!(us[0].origin.as_deref(), Some("web"));
    assert_eq!(us[1].variants[0].text, "He said \"no\"");
    assert_eq!(us[1].origin.as_deref(), Some("good.csv"));
    assert_eq!(us[2].variants[0].text, "Multi\nline");
    // TSV: quotes are text.
    assert_eq!(us[3].variants[0].lang, "en-GB");
    assert_eq!(us[3].variants[0].text, "\"Quoted start");
    let mem2 = dir.path().join("n.sqlite");
    tm(&mem2)
        .args([
            "import",
            "--langs",
            "EN,ru",
            "--columns",
            "note",
            "--origin",
            "batch",
        ])
        .arg(fixture("csv/nohead.tsv"))
        .assert()
        .success();
    let us = units(&mem2);
    assert_eq!(us.len(), 2);
    assert_eq!(us[0].variants[0].lang, "en");
    assert_eq!(us[0].notes, vec!["first note".to_string()]);
    assert!(us[1].notes.is_empty());
    assert_eq!(us[1].origin.as_deref(), Some("batch"));
}

#[test]
fn on_duplicate_skip_and_overwrite() {
    let dir = TempDir::new().unwrap();
    let mem = dir.path().join("m.sqlite");
    let a = dir.path().join("a.tsv");
    let b = dir.path().join("b.tsv");
    std::fs::write(&a, "en\tru\nGood morning\tДоброе утро\n").unwrap();
    std::fs::write(&b, "en\tru\nGood morning\tС добрым утром\n").unwrap();
    tm(&mem).arg("import").arg(&a).assert().success();
    tm(&mem)
        .args(["import", "--on-duplicate", "skip"])
        .arg(&b)
        .assert()
        .success()
        .stderr(predicate::str::contains("1 skipped"));
    assert_eq!(units(&mem).len(), 1);
    tm(&mem)
        .args(["import", "--on-duplicate", "overwrite"])
        .arg(&b)
        .assert()
        .success();
    let us = units(&mem);
    assert_eq!(us.len(), 1);
    assert_eq!(us[0].variants[1].text, "С добрым утром");
    tm(&mem).arg("import").arg(&a).assert().success();
    assert_eq!(
        units(&mem).len(),
        2,
        "keep-both stores the other translation too"
    );
}

/// Imports good.csv and then `bad` in one run: exit 2, the message names
/// the file and `needle`, and the memory is unchanged.
fn refused(bad: &Path, extra: &[&str], needle: &str) {
    let (_d, mem) = seeded();
    let before = units(&mem);
    let assert = tm(&mem)
        .arg("import")
        .args(extra)
        .arg(fixture("csv/good.csv"))
        .arg(bad)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    let name = bad.file_name().unwrap().to_string_lossy();
    assert!(err.contains(&*name), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in {err}");
    assert_eq!(units(&mem), before, "memory changed after a failed import");
}

#[test]
fn hostile_xml_is_refused_with_position() {
    refused(&fixture("tmx/truncated.tmx"), &[], ":16 (byte 820)");
    refused(&fixture("tmx/nesting.tmx"), &[], ":11 (byte");
    refused(&fixture("tmx/entity.tmx"), &[], "undeclared entity &nbsp;");
    refused(&fixture("tmx/xxe.tmx"), &[], "undeclared entity &secret;");
    refused(&fixture("tmx/laughs.tmx"), &[], "undeclared entity &lol9;");
    refused(&fixture("tmx/empty.tmx"), &[], "no <tmx> element");
    refused(
        &fixture("tmx/badlang.tmx"),
        &[],
        "unknown language tag \"german!\"",
    );
}

#[test]
fn bad_bytes_are_refused_with_their_offset() {
    let bytes = std::fs::read(fixture("tmx/bad_utf8.tmx")).unwrap();
    let at = bytes.iter().position(|&b| b == 0xFF).unwrap();
    refused(
        &fixture("tmx/bad_utf8.tmx"),
        &[],
        &format!(":12 (byte {at}): invalid UTF-8"),
    );
    let bytes = std::fs::read(fixture("tmx/bad_utf16.tmx")).unwrap();
    let at = bytes.windows(2).position(|w| w == [0x00, 0xDC]).unwrap();
    refused(
        &fixture("tmx/bad_utf16.tmx"),
        &[],
        &format!("byte {at}: invalid UTF-16LE"),
    );
}

#[test]
fn bad_csv_rows_and_tags_are_refused() {
    refused(
        &fixture("csv/badrow.csv"),
        &[],
        ":3 (byte 19): expected 2 fields, found 3",
    );
    refused(
        &fixture("csv/badlang.csv"),
        &[],
        ":1 (byte 0): header column 1 is \"english!\"",
    );
}

#[test]
fn unknown_format_and_language_options_fail_before_writing() {
    let (_d, mem) = seeded();
    let before = units(&mem);
    tm(&mem)
        .args(["import", "--format", "xlsx"])
        .arg(fixture("csv/good.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown --format \"xlsx\""));
    tm(&mem)
        .args(["import", "--langs", "en,!!"])
        .arg(fixture("csv/nohead.tsv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid language tag"));
    assert_eq!(units(&mem), before);
}

#[test]
fn tool_dialects_import() {
    let dir = TempDir::new().unwrap();
    let mem = dir.path().join("m.sqlite");
    tm(&mem)
        .arg("import")
        .arg(fixture("tmx/toolkit_multilingual.tmx"))
        .arg(fixture("tmx/trados_utf16be_nobom.tmx"))
        .arg(fixture("tmx/tmx11_ut.tmx"))
        .assert()
        .success();
    let us = units(&mem);
    assert_eq!(us.len(), 4);
    // Translate Toolkit: note after the tuvs, gettext-style tags.
    let langs: Vec<&str> = us[0].variants.iter().map(|v| v.lang.as_str()).collect();
    assert_eq!(langs, ["en", "sr-latin", "zh-Hant", "pt-BR"]);
    assert_eq!(us[0].notes, ["label on the first toolbar"]);
    // Trados-style UTF-16BE without BOM, header ude/props, self-closing codes.
    assert_eq!(us[1].usage_count, Some(2));
    assert_eq!(us[1].changer.as_deref(), Some("Y"));
    assert!(
        us[1]
            .attrs
            .contains(&("lastusagedate".to_string(), "20200103T000000Z".to_string()))
    );
    assert_eq!(us[1].variants[0].text, "Click OK now.");
    assert_eq!(
        us[1].variants[0].markup.as_deref(),
        Some(r#"Click <bpt i="1" type="1" x="1"/>OK<ept i="1"/> now."#)
    );
    // TMX 1.1 `lang` and <ut>.
    assert_eq!(us[3].variants[1].lang, "ru");
    assert_eq!(us[3].variants[1].text, "Один два");
}

#[test]
fn failed_import_into_a_new_memory_leaves_no_file() {
    let dir = TempDir::new().unwrap();
    let mem = dir.path().join("new.sqlite");
    tm(&mem)
        .arg("import")
        .arg(fixture("csv/good.csv"))
        .arg(fixture("tmx/truncated.tmx"))
        .assert()
        .code(2);
    assert!(!mem.exists());
}

/// A small tmpfs mounted for a test, unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    /// A `size` tmpfs at `dir`; `None` where mounting is not permitted
    /// (not root): the test then says it was skipped.
    fn new(dir: &Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then(|| SmallDisk(dir.to_path_buf()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).output();
    }
}

#[test]
fn an_import_warns_before_it_starts_when_the_disk_is_short_and_a_full_disk_stores_nothing() {
    let dir = TempDir::new().unwrap();
    let disk = dir.path().join("disk");
    let Some(_mount) = SmallDisk::new(&disk, "12m") else {
        eprintln!("small-disk test SKIPPED: cannot mount a tmpfs here (needs root)");
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI runs as root"
        );
        return;
    };
    // 20 MB of pairs: needs about 80 MB while it runs, on a 12 MB disk.
    let input = dir.path().join("big.tsv");
    let mut text = String::from("en\tru\n");
    let mut i = 0u64;
    while text.len() < 20 << 20 {
        text.push_str(&format!(
            "Shipment {i} of wheat left the port on time.\tПартия {i} пшеницы вышла из порта вовремя.\n"
        ));
        i += 1;
    }
    std::fs::write(&input, text).unwrap();
    let mem = disk.join("m.sqlite");
    let out = tm(&mem).arg("import").arg(&input).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let warned = err
        .find("needs about")
        .expect("a warning before the import starts");
    assert!(
        err.contains(&disk.display().to_string()),
        "names the disk: {err}"
    );
    // The disk fills: exit 2, nothing stored, and the warning came first.
    assert_eq!(out.status.code(), Some(2), "{err}");
    let failed = err.find("error").expect("an error");
    assert!(warned < failed, "{err}");
    assert!(
        !mem.exists() || units(&mem).is_empty(),
        "a failed first import leaves no units"
    );
    // A small import on the same disk is not warned about, and works.
    let small = dir.path().join("small.tsv");
    std::fs::write(&small, "en\tru\nOne.\tОдин.\n").unwrap();
    let out = tm(&mem).arg("import").arg(&small).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("needs about"), "{err}");
}

/// A note, origin or creator column holding a control character is refused
/// with the file and line, and nothing is stored: stored, it broke every
/// later TMX export of the memory (XML cannot hold it). A control character
/// in a text is kept, and the memory still exports.
#[test]
fn control_characters_in_csv_metadata_are_refused_at_their_line() {
    let (d, mem) = seeded();
    let before = units(&mem).len();
    for (column, row) in [
        ("note", "Bell.\tЗвонок.\tring \u{7} twice\n"),
        ("origin", "Bell.\tЗвонок.\tfeed\u{1}.csv\n"),
        ("creator", "Bell.\tЗвонок.\tbob\u{1B}\n"),
    ] {
        let f = d.path().join(format!("{column}.tsv"));
        std::fs::write(&f, format!("en\tru\t{column}\nGood.\tХорошо.\tfine\n{row}")).unwrap();
        tm(&mem).arg("import").arg(&f).assert().code(2).stderr(
            predicate::str::contains(format!("{column}.tsv:3 (byte"))
                .and(predicate::str::contains("control character")),
        );
        assert_eq!(units(&mem).len(), before, "{column}: nothing stored");
    }
    let f = d.path().join("text.tsv");
    std::fs::write(&f, "en\tru\nA bell \u{7} rang.\tЗвонок \u{7}.\n").unwrap();
    tm(&mem).arg("import").arg(&f).assert().success();
    let out = d.path().join("all.tmx");
    tm(&mem).args(["export", "-o"]).arg(&out).assert().success();
    let tmx = std::fs::read_to_string(&out).unwrap();
    assert!(tmx.contains("x-ctrl"), "the text's bell as a placeholder");
}
