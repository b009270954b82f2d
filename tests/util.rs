//! The shared test harness: fixtures, memories built from them, and the
//! `transmem` binary. Each test file includes it with `mod util;`; not every
//! file uses every helper.
#![allow(dead_code)] // reason: each test crate uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use transmem::memory::{Memory, OnDuplicate, Unit, Variant};

/// `tests/fixtures/<rel>`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The `transmem` binary as a `std::process::Command` (for `spawn`), with
/// no memory from the environment and no colour.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_transmem"));
    c.env_remove("TRANSMEM_MEMORY").env("NO_COLOR", "1");
    c
}

/// [`bin`] working on the memory at `mem`, recording "tester" as creator.
pub fn process(mem: &Path) -> Command {
    let mut c = bin();
    c.arg("--memory").arg(mem).args(["--creator", "tester"]);
    c
}

/// [`bin`] as an `assert_cmd` command (for `.assert()` chains).
pub fn transmem() -> assert_cmd::Command {
    assert_cmd::Command::from_std(bin())
}

/// [`process`] as an `assert_cmd` command.
pub fn tm(mem: &Path) -> assert_cmd::Command {
    assert_cmd::Command::from_std(process(mem))
}

/// Runs `c` to its end.
pub fn run(c: &mut Command) -> Output {
    c.output().expect("run transmem")
}

/// Output bytes as text, for messages and assertions.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs `c`, asserting exit code `code`; returns its output.
pub fn run_ok(c: &mut Command, code: i32) -> Output {
    let out = run(c);
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// A unit with one variant per `(lang, text)`.
pub fn unit(variants: &[(&str, &str)]) -> Unit {
    Unit::new(variants.iter().map(|(l, t)| Variant::new(*l, *t)).collect())
}

/// Stores `units` in the memory at `path` (created if missing), one
/// transaction.
pub fn store(path: &Path, units: &[Unit]) {
    let mut mem = Memory::open(path).expect("open memory");
    let mut w = mem.writer().expect("writer");
    for u in units {
        w.insert(u, None, OnDuplicate::KeepBoth).expect("insert");
    }
    w.commit().expect("commit");
}

/// Units stored in the memory at `path`.
pub fn unit_count(path: &Path) -> u64 {
    Memory::open_existing(path)
        .expect("open memory")
        .unit_count()
        .expect("count")
}

/// Every unit of the memory at `path`, in id order.
pub fn units(path: &Path) -> Vec<Unit> {
    let m = Memory::open_existing(path).expect("open memory");
    let mut out = Vec::new();
    m.for_each_unit(|u| {
        out.push(u);
        Ok(())
    })
    .expect("read units");
    out
}

/// Writes a headerless en/ru TSV of `n` distinct pairs, each sentence tagged
/// with `tag` so two files never share a unit; returns its path.
pub fn tsv(dir: &Path, tag: &str, n: usize) -> PathBuf {
    use std::fmt::Write;
    let mut s = String::with_capacity(n * 64);
    for i in 0..n {
        let _ = writeln!(
            s,
            "Sentence {i} of batch {tag} about the harbour.\tПредложение {i} из пакета {tag} о гавани."
        );
    }
    let p = dir.join(format!("{tag}.tsv"));
    std::fs::write(&p, s).expect("write tsv");
    p
}
