//! Matcher benchmark: prints import, index and lookup figures for a memory
//! built by `../shared/eval/tm_bench_data.py`.
//!
//! Usage: `cargo bench --bench matcher -- DIR [--eval] [--exhaustive-queries N]`
//! where DIR holds `memory.tsv` and `queries.txt`. The memory is written to
//! `DIR/memory.sqlite` through the library store API. With `--eval` the run
//! fails (exit 1) when indexed top-1 scores agree with `--exhaustive` on
//! under 99% of queries or the index is under 50x faster per query.
//! `scripts/matcher_bench.sh` drives it over 10k, 100k and 1M units.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use transmem::matcher::{Matcher, Options, Query};
use transmem::memory::{Memory, OnDuplicate, Unit, Variant};

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|k| k.parse::<f64>().ok())
            })
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

fn import(tsv: &Path, db: &Path) -> anyhow::Result<u64> {
    let mut mem = Memory::open(db)?;
    let mut w = mem.writer()?;
    let f = std::io::BufReader::new(std::fs::File::open(tsv)?);
    let mut n = 0;
    for (i, line) in f.lines().enumerate() {
        let line = line?;
        if i == 0 {
            continue; // header en<TAB>ru
        }
        let Some((en, ru)) = line.split_once('\t') else {
            continue;
        };
        let v = |lang: &str, text: &str| Variant {
            lang: lang.into(),
            text: text.into(),
            ..Variant::default()
        };
        let unit = Unit {
            variants: vec![v("en", en), v("ru", ru)],
            created: Some("20260101T000000Z".into()),
            ..Unit::default()
        };
        w.insert(&unit, Some("en"), OnDuplicate::KeepBoth)?;
        n += 1;
    }
    w.commit()?;
    Ok(n)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let dir = PathBuf::from(
        args.first()
            .filter(|a| !a.starts_with("--"))
            .cloned()
            .unwrap_or_else(|| {
                eprintln!(
                    "usage: cargo bench --bench matcher -- DIR [--eval] [--exhaustive-queries N]"
                );
                std::process::exit(0)
            }),
    );
    let eval = args.iter().any(|a| a == "--eval");
    let n_exh: usize = args
        .iter()
        .position(|a| a == "--exhaustive-queries")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let db = dir.join("memory.sqlite");
    // --reuse: keep a memory built by an earlier run (for profiling lookups).
    let reuse = args.iter().any(|a| a == "--reuse") && db.exists();
    for suffix in ["", "-journal", ".match-en.idx", ".match-ru.idx"] {
        let mut p = db.clone().into_os_string();
        p.push(suffix);
        if !reuse {
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
    let queries: Vec<String> = std::fs::read_to_string(dir.join("queries.txt"))?
        .lines()
        .map(str::to_string)
        .collect();

    let t = Instant::now();
    let units = if reuse {
        Memory::open_existing(&db)?.unit_count()?
    } else {
        import(&dir.join("memory.tsv"), &db)?
    };
    let import_s = t.elapsed().as_secs_f64();
    let rss_import = peak_rss_mb();
    let size_mb = std::fs::metadata(&db)?.len() as f64 / 1e6;
    println!("memory              {units} units, {size_mb:.1} MB file");
    println!(
        "import              {import_s:.2} s, peak RSS {rss_import:.0} MB (library API, one transaction)"
    );

    let mem = Memory::open_existing(&db)?;
    let t = Instant::now();
    let m = Matcher::load(&mem, "en", "ru")?;
    println!(
        "index build         {:.2} s (first open after import; saved beside the memory)",
        t.elapsed().as_secs_f64()
    );
    drop(m);
    let t = Instant::now();
    let m = Matcher::load(&mem, "en", "ru")?;
    let idx_mb =
        std::fs::metadata(transmem::matcher::index::path_for(&db, "en"))?.len() as f64 / 1e6;
    println!(
        "index load          {:.0} ms ({idx_mb:.1} MB file)",
        t.elapsed().as_secs_f64() * 1000.0
    );

    let cands: usize = args
        .iter()
        .position(|a| a == "--candidates")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let opts = Options {
        candidates: cands,
        ..Options::default()
    };
    fn q(s: &str) -> Query<'_> {
        Query {
            text: s,
            ..Query::default()
        }
    }
    // Warm: one pass to fault pages in, then timed single-threaded.
    for s in queries.iter().take(50) {
        m.lookup(&q(s), &opts)?;
    }
    let mut times = Vec::with_capacity(queries.len());
    let mut top_idx = Vec::with_capacity(queries.len());
    let mut times_in_order = Vec::with_capacity(queries.len());
    for s in &queries {
        let t = Instant::now();
        let r = m.lookup(&q(s), &opts)?;
        times.push(t.elapsed());
        times_in_order.push(t.elapsed());
        top_idx.push(r.first().map(|x| x.score));
    }
    if std::env::var_os("MATCHER_BENCH_SLOWEST").is_some() {
        let mut by: Vec<(Duration, &String)> = times.iter().copied().zip(&queries).collect();
        by.sort();
        for (t, s) in by.iter().rev().take(8) {
            println!("  slow {:.2} ms {s:?}", t.as_secs_f64() * 1000.0);
        }
    }
    let mean_idx = times.iter().map(Duration::as_secs_f64).sum::<f64>() / times.len().max(1) as f64;
    times.sort();
    println!(
        "warm lookup         p50 {:.2} ms, p99 {:.2} ms, mean {:.2} ms (1 thread, {} queries, threshold 70, limit 5)",
        pct(&times, 0.5),
        pct(&times, 0.99),
        mean_idx * 1000.0,
        queries.len()
    );
    if !eval {
        let t = Instant::now();
        let n: usize = queries
            .par_iter()
            .map(|s| m.lookup(&q(s), &opts).map_or(0, |r| r.len()))
            .sum();
        let el = t.elapsed().as_secs_f64();
        println!(
            "batch               {:.0} queries/s on {} threads ({n} matches)",
            queries.len() as f64 / el,
            rayon::current_num_threads()
        );
    }

    // Exhaustive oracle on the first n_exh queries.
    let ex_opts = Options {
        exhaustive: true,
        ..Options::default()
    };
    let n = n_exh.min(queries.len());
    let mut agree = 0;
    let mut ex_time = 0.0;
    let mut ex_times = Vec::with_capacity(n);
    let mut misses = Vec::new();
    for (i, s) in queries.iter().take(n).enumerate() {
        let t = Instant::now();
        let r = m.lookup(&q(s), &ex_opts)?;
        ex_time += t.elapsed().as_secs_f64();
        ex_times.push(t.elapsed());
        let best = r.first().map(|x| x.score);
        if best == top_idx[i] {
            agree += 1;
        } else if misses.len() < 5 {
            misses.push(format!(
                "  {s:?}: index {:?}, exhaustive {best:?}",
                top_idx[i]
            ));
        }
    }
    let agreement = 100.0 * agree as f64 / n.max(1) as f64;
    // Per-query speed-up on the same queries: ratio of medians (robust to
    // the scheduler pauses of a shared machine) and ratio of means.
    ex_times.sort();
    let mut idx_same: Vec<Duration> = times_in_order.iter().take(n).copied().collect();
    idx_same.sort();
    let speedup = pct(&ex_times, 0.5) / pct(&idx_same, 0.5).max(1e-9);
    let speedup_mean = (ex_time / n.max(1) as f64)
        / (idx_same.iter().map(Duration::as_secs_f64).sum::<f64>() / n.max(1) as f64).max(1e-9);
    println!(
        "exhaustive          p50 {:.1} ms, mean {:.1} ms/query over {n} queries; top-1 agreement {agreement:.1}%",
        pct(&ex_times, 0.5),
        ex_time / n.max(1) as f64 * 1000.0
    );
    println!(
        "speed-up            {speedup:.0}x (median per query), {speedup_mean:.0}x (mean), index vs exhaustive, same queries"
    );
    for l in &misses {
        println!("{l}");
    }

    if !eval {
        // Cold: a fresh release binary per run, process start to exit.
        let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/transmem");
        if bin.exists() {
            let mut cold = Vec::new();
            for s in queries.iter().take(5) {
                let t = Instant::now();
                Command::new(&bin)
                    .args(["--memory"])
                    .arg(&db)
                    .args([
                        "lookup", "--from", "en", "--to", "ru", "--format", "jsonl", s,
                    ])
                    .stdout(std::process::Stdio::null())
                    .status()?;
                cold.push(t.elapsed());
            }
            cold.sort();
            println!(
                "cold lookup         median {:.0} ms (target/release/transmem, process start to exit)",
                pct(&cold, 0.5)
            );
        } else {
            println!("cold lookup         skipped: build target/release/transmem first");
        }
        println!("peak RSS (process)  {:.0} MB", peak_rss_mb());
    }
    if eval && (agreement < 99.0 || speedup < 50.0) {
        eprintln!("FAIL: agreement {agreement:.1}% (need 99) or speed-up {speedup:.0}x (need 50)");
        std::process::exit(1);
    }
    Ok(())
}
