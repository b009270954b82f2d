//! `transmem demo`: the main job on the bundled sample articles.

use std::io::Write;

use transmem::align;
use transmem::matcher::{Matcher, Options, Query};
use transmem::memory::{Memory, OnDuplicate, Unit};
use transmem::segment::{self, Segmenter};

use super::{Global, stdout};

const EN: &str = include_str!("../../memory/samples/arctic.en.txt");
const RU: &str = include_str!("../../memory/samples/arctic.ru.txt");
const NEW: &str = include_str!("../../memory/samples/new-article.en.txt");

/// Align the bundled sample pair into a fresh memory and look up a new article
///
/// The demo memory lives in RAM only: the demo opens, writes and deletes no
/// file, and ignores --memory and TRANSMEM_MEMORY, so it can never touch a
/// real memory.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Lowest score shown, in percent (0-101)
    #[arg(long, default_value_t = 50.0, value_parser = super::percent)]
    pub threshold: f64,
}

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let mut out = stdout();
    let (en_seg, ru_seg) = (Segmenter::for_lang("en"), Segmenter::for_lang("ru"));
    let en = segment::document(EN, &en_seg);
    let ru = segment::document(RU, &ru_seg);
    let segs = |text: &'static str, p: &[segment::Piece]| -> Vec<align::Segment<'static>> {
        p.iter()
            .map(|p| align::Segment {
                text: &text[p.range.clone()],
                para: p.para,
            })
            .collect()
    };
    let (es, rs) = (segs(EN, &en), segs(RU, &ru));
    let opts = align::Options {
        src_lang: "en".into(),
        tgt_lang: "ru".into(),
        ..align::Options::default()
    };
    let links = align::align(&es, &rs, &opts);
    let et: Vec<&str> = es.iter().map(|s| s.text).collect();
    let rt: Vec<&str> = rs.iter().map(|s| s.text).collect();
    let template = Unit {
        origin: Some("arctic.en.txt".into()),
        creator: Some(g.creator()),
        ..Unit::default()
    };
    let units = align::to_units(&links, &et, &rt, ("en", "ru"), 0.0, &template);
    // In RAM: `TRANSMEM_MEMORY`, which the README recommends, once made the
    // demo delete the user's 40,331-unit memory.
    let mut mem = Memory::in_memory()?;
    let mut w = mem.writer()?;
    for u in &units {
        w.insert(u, Some("en"), OnDuplicate::KeepBoth)?;
    }
    w.commit()?;
    let kinds = |a: usize, b: usize| {
        links
            .iter()
            .filter(|l| l.src.len() == a && l.tgt.len() == b)
            .count()
    };
    writeln!(
        out,
        "Aligned {} English and {} Russian sentences into {} links (1:1 {}, 1:2 {}, 2:1 {}, 1:0 {}, 0:1 {}); stored {} units in a demo memory in RAM (no file is written{}).\n",
        es.len(),
        rs.len(),
        links.len(),
        kinds(1, 1),
        kinds(1, 2),
        kinds(2, 1),
        kinds(1, 0),
        kinds(0, 1),
        mem.unit_count()?,
        if g.names_a_location() {
            "; --memory and TRANSMEM_MEMORY are ignored"
        } else {
            ""
        }
    )?;
    let matcher = Matcher::load(&mem, "en", "ru")?;
    let opts = Options {
        threshold: args.threshold,
        limit: 1,
        ..Options::default()
    };
    writeln!(out, "Looking up each sentence of the new article:\n")?;
    for p in segment::document(NEW, &en_seg) {
        let q = &NEW[p.range];
        writeln!(out, "> {q}")?;
        match matcher
            .lookup(
                &Query {
                    text: q,
                    ..Query::default()
                },
                &opts,
            )?
            .first()
        {
            Some(m) => {
                writeln!(
                    out,
                    "  {:>5.1}%  {}\n          {}",
                    m.score, m.source, m.target
                )?;
                // The draft with the query's numbers and names put in.
                if let Some(t) = &m.substituted_target {
                    writeln!(
                        out,
                        "  {:>5.1}%  → {t}  ({})",
                        m.score,
                        m.substitution_note()
                    )?;
                }
                writeln!(out)?;
            }
            None => writeln!(out, "  no match at or above {}%\n", args.threshold)?,
        }
    }
    out.flush()?;
    Ok(0)
}
