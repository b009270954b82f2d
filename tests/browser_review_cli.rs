//! `align --review`: storing the corrections the review page saves, without
//! a browser (the page itself is tested in `tests/browser.rs`).

use std::process::{Command, Output};

use serde_json::{Value, json};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_transmem"));
    c.env_remove("TRANSMEM_MEMORY").env("NO_COLOR", "1");
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

struct Pair {
    dir: tempfile::TempDir,
}

impl Pair {
    fn new() -> Pair {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("a.en"),
            "The bridge opens in May.\nIt cost 4 million.\nNobody came.\nThe mayor spoke.\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("a.ru"),
            "Мост откроется в мае.\nОн стоил 4 миллиона.\nМэр выступил.\n",
        )
        .unwrap();
        Pair { dir }
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    fn align(&self, review: &Value, extra: &[&str]) -> Output {
        let file = self.path("corrections.json");
        std::fs::write(&file, review.to_string()).unwrap();
        bin()
            .args(["--memory", self.path("mem.sqlite").to_str().unwrap()])
            .args([
                "align",
                "--src-lang",
                "en",
                "--tgt-lang",
                "ru",
                "--presegmented",
            ])
            .arg("--review")
            .arg(&file)
            .args(extra)
            .arg(self.path("a.en"))
            .arg(self.path("a.ru"))
            .output()
            .expect("run")
    }

    fn export(&self) -> String {
        if !self.path("mem.sqlite").exists() {
            return String::new();
        }
        let out = bin()
            .args(["--memory", self.path("mem.sqlite").to_str().unwrap()])
            .args(["export", "--format", "tsv"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout)
    }
}

fn corrections() -> Value {
    json!({"links": [
        {"src": [0], "tgt": [0], "src_text": "The bridge opens in May.", "tgt_text": "Мост откроется в мае.", "score": 0.99},
        {"src": [1], "tgt": [1], "src_text": "It cost 4 million.", "tgt_text": "Он стоил 4 миллиона рублей.", "score": 1},
        {"src": [2], "tgt": [], "src_text": "Nobody came.", "tgt_text": "", "score": 1},
        {"src": [3], "tgt": [2], "score": 1}
    ]})
}

#[test]
fn review_stores_exactly_the_corrected_units_with_their_context() {
    let p = Pair::new();
    let out = p.align(&corrections(), &["--store", "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // jsonl prints the corrections over the texts' own segment indices.
    let printed: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(printed.len(), 4);
    assert_eq!(printed[3]["src"], json!([3]));
    assert_eq!(printed[3]["tgt"], json!([2]));
    assert_eq!(printed[3]["tgt_text"], "Мэр выступил.");
    assert_eq!(printed[1]["tgt_text"], "Он стоил 4 миллиона рублей.");
    // One unit per link with text on both sides; the edit is kept.
    assert_eq!(
        p.export(),
        "en\tru\nThe bridge opens in May.\tМост откроется в мае.\n\
         It cost 4 million.\tОн стоил 4 миллиона рублей.\n\
         The mayor spoke.\tМэр выступил.\n"
    );
    // Context: the neighbouring corrected links on the same side.
    let out = bin()
        .args(["--memory", p.path("mem.sqlite").to_str().unwrap()])
        .args(["export", "--format", "tmx"])
        .output()
        .unwrap();
    let tmx = text(&out.stdout);
    assert!(
        tmx.contains("Nobody came."),
        "source context of the last unit"
    );
}

#[test]
fn bad_corrections_exit_2_naming_the_file_and_link_memory_unchanged() {
    let p = Pair::new();
    let ok = p.align(&corrections(), &["--store"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let before = p.export();
    let bad = [
        (
            json!({"links": [{"src": [0], "tgt": [7]}]}),
            "link 1 of 1: target segment 8 does not exist",
        ),
        (
            json!({"links": [{"src": [1], "tgt": [1]}, {"src": [0], "tgt": [2]}]}),
            "link 2 of 2: source segment 1 is out of order",
        ),
        (
            json!({"links": [{"src": [], "tgt": []}]}),
            "no segment on either side",
        ),
        (json!({"units": []}), "not a corrections file"),
    ];
    for (review, want) in bad {
        let out = p.align(&review, &["--store"]);
        assert_eq!(out.status.code(), Some(2), "{review}");
        let err = text(&out.stderr);
        assert!(
            err.contains("corrections.json") && err.contains(want),
            "{err}"
        );
        assert_eq!(p.export(), before, "memory unchanged");
    }
    // Truncated JSON: the line and column of the break.
    std::fs::write(p.path("cut.json"), "{\"links\": [\n{\"src\": [0],").unwrap();
    let out = bin()
        .args(["--memory", p.path("mem.sqlite").to_str().unwrap()])
        .args([
            "align",
            "--src-lang",
            "en",
            "--tgt-lang",
            "ru",
            "--presegmented",
            "--store",
        ])
        .arg("--review")
        .arg(p.path("cut.json"))
        .arg(p.path("a.en"))
        .arg(p.path("a.ru"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("line 2"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(p.export(), before);
}
