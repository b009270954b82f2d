//! Imports a TMX file into a memory and looks a sentence up, with the
//! transmem library alone (no clap, no anyhow: it builds with
//! `--no-default-features`).
//!
//! ```text
//! cargo run --example import_lookup -- FILE.tmx MEMORY.sqlite FROM TO "sentence"
//! cargo run --example import_lookup        # the test fixture, in RAM
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use transmem::{Format, ImportOptions, MatchOptions, Matcher, Memory, Query};

fn main() -> ExitCode {
    match run() {
        Ok(found) => ExitCode::from(if found { 0 } else { 1 }),
        Err(e) => {
            eprintln!("import_lookup: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> transmem::Result<bool> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tmx/good.tmx");
    let tmx = args.first().map_or(fixture, PathBuf::from);
    let from = transmem::normalize_tag(args.get(2).map_or("en", String::as_str))?;
    let to = transmem::normalize_tag(args.get(3).map_or("ru", String::as_str))?;
    let query = args
        .get(4)
        .map_or("The rain in the valley stopped at night.", String::as_str);

    let mut memory = match args.get(1) {
        Some(path) => Memory::open(path)?,
        None => Memory::in_memory()?,
    };
    let file = std::fs::File::open(&tmx).map_err(|e| transmem::Error::io(&tmx, e))?;
    let mut w = memory.writer()?;
    let counts = transmem::import(
        &mut w,
        std::io::BufReader::new(file),
        &tmx,
        Format::Tmx,
        &ImportOptions::default(),
    )?;
    w.commit()?;
    println!(
        "{}: {} units read, {} new",
        tmx.display(),
        counts.read,
        counts.new
    );

    let matcher = Matcher::load(&memory, &from, &to)?;
    let matches = matcher.lookup(
        &Query {
            text: query,
            ..Query::default()
        },
        &MatchOptions::default(),
    )?;
    for m in &matches {
        println!("{:5.1}%  {}\n        {}", m.score, m.source, m.target);
    }
    Ok(!matches.is_empty())
}
