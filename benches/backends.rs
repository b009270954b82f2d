//! SQLite and PostgreSQL side by side: import, index, warm lookup latency,
//! top-1 agreement with `--exhaustive`, and how soon a unit written through
//! one handle is found through another. Data from
//! `../shared/eval/tm_bench_data.py` (DIR holds `memory.tsv`, `queries.txt`).
//!
//! Usage: `cargo bench --bench backends -- DIR --database URL [--exhaustive-queries N] [--reuse]`
//! The PostgreSQL URL should name a fresh schema
//! (`?options=-csearch_path%3Dtm_bench`); `scripts/pg_bench.sh` drops and
//! recreates it and keeps the matcher's cache in DIR. Prints one block of
//! figures per backend. With `--eval` it exits 1 when a backend misses the
//! targets of docs/server.md: warm lookup p50 over 5 ms or p99 over 30 ms,
//! the warm batch over 1.5 ms/query (issue 27's target at 10M on
//! PostgreSQL), top-1 agreement with `--exhaustive` under 99%, or a unit
//! written through another handle not found by a running `Live` matcher
//! within 1 s or by a new one within 5 s
//! (`.ci/eval-postgres.sh` runs it at 100k units). With `--reuse` a memory
//! that already holds units is looked up as it is (no import, no index
//! build): `scripts/pg_bench.sh` imports 10M units with the command line
//! once and measures the lookups on what it stored (issue 27).

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use transmem::matcher::live::Live;
use transmem::matcher::{Matcher, Options, Query};
use transmem::memory::{Memory, OnDuplicate, Unit, Variant};

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

fn unit(en: &str, ru: &str) -> Unit {
    Unit {
        variants: vec![Variant::new("en", en), Variant::new("ru", ru)],
        created: Some("20260101T000000Z".into()),
        ..Unit::default()
    }
}

fn import(tsv: &Path, mem: &mut Memory) -> anyhow::Result<u64> {
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
        w.insert(&unit(en, ru), Some("en"), OnDuplicate::KeepBoth)?;
        n += 1;
    }
    w.commit()?;
    Ok(n)
}

fn q(s: &str) -> Query<'_> {
    Query {
        text: s,
        ..Query::default()
    }
}

fn latencies(
    queries: &[String],
    mut f: impl FnMut(&str) -> anyhow::Result<Option<f64>>,
) -> anyhow::Result<(Vec<Duration>, Vec<Option<f64>>)> {
    for s in queries.iter().take(50) {
        f(s)?; // warm
    }
    let mut times = Vec::with_capacity(queries.len());
    let mut top = Vec::with_capacity(queries.len());
    for s in queries {
        let t = Instant::now();
        top.push(f(s)?);
        times.push(t.elapsed());
    }
    times.sort();
    Ok((times, top))
}

fn run(
    name: &str,
    open: &dyn Fn() -> anyhow::Result<Memory>,
    dir: &Path,
    queries: &[String],
    n_exh: usize,
    reuse: bool,
) -> anyhow::Result<Vec<String>> {
    let mut missed = Vec::new();
    println!("== {name}");
    let mut mem = open()?;
    let held = mem.unit_count()?;
    if reuse && held > 0 {
        println!("reused              {held} units already stored (no import)");
    } else if held > 0 {
        anyhow::bail!("{name}: the memory is not empty; start from a fresh one or give --reuse");
    } else {
        let t = Instant::now();
        let units = import(&dir.join("memory.tsv"), &mut mem)?;
        println!(
            "import              {units} units in {:.1} s (library API, one transaction)",
            t.elapsed().as_secs_f64()
        );
    }
    let t = Instant::now();
    drop(Matcher::load(&mem, "en", "ru")?);
    println!(
        "index build         {:.2} s (first open{}; cached)",
        t.elapsed().as_secs_f64(),
        if reuse && held > 0 {
            ": built, fetched or loaded"
        } else {
            " after import"
        }
    );
    let t = Instant::now();
    let m = Matcher::load(&mem, "en", "ru")?;
    println!(
        "index load          {:.0} ms (a new process: cached index, stamp checked)",
        t.elapsed().as_secs_f64() * 1000.0
    );
    let opts = Options::default();
    let (times, top) = latencies(queries, |s| {
        Ok(m.lookup(&q(s), &opts)?.first().map(|x| x.score))
    })?;
    println!(
        "warm lookup         p50 {:.2} ms, p99 {:.2} ms ({} queries, 1 thread, threshold 70, limit 5; Matcher)",
        pct(&times, 0.5),
        pct(&times, 0.99),
        times.len()
    );
    if pct(&times, 0.5) > 5.0 || pct(&times, 0.99) > 30.0 {
        missed.push(format!(
            "{name}: warm lookup over 5 ms (p50) or 30 ms (p99)"
        ));
    }
    // The warm batch of issue 27: all queries on every thread (rayon, one
    // per core) through one Matcher, as a batch pre-translation does; three
    // passes, the median reported with all three.
    let mut rates: Vec<f64> = (0..3)
        .map(|_| {
            let t = Instant::now();
            queries
                .par_iter()
                .try_for_each(|s| m.lookup(&q(s), &opts).map(drop))?;
            Ok::<_, transmem::Error>(queries.len() as f64 / t.elapsed().as_secs_f64())
        })
        .collect::<Result<_, _>>()?;
    let shown: Vec<String> = rates.iter().map(|r| format!("{r:.0}")).collect();
    rates.sort_by(f64::total_cmp);
    if 1000.0 / rates[1] > 1.5 {
        missed.push(format!("{name}: warm batch over 1.5 ms/query"));
    }
    println!(
        "batch               {:.3} ms/query, {:.0} queries/s on {} threads, median of 3 passes ({})",
        1000.0 / rates[1],
        rates[1],
        rayon::current_num_threads(),
        shown.join(", ")
    );
    let live = Live::new(open()?, "en", "ru")?;
    let (ltimes, _) = latencies(queries, |s| {
        Ok(live.lookup(&q(s), &opts)?.first().map(|x| x.score))
    })?;
    println!(
        "warm lookup (Live)  p50 {:.2} ms, p99 {:.2} ms (same queries; a stamp check per lookup, as a server does)",
        pct(&ltimes, 0.5),
        pct(&ltimes, 0.99)
    );
    // Concurrent clients, as a server's request threads share one Live.
    let threads = 16;
    let t = Instant::now();
    let mut all: Vec<Duration> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..threads)
            .map(|k| {
                let live = &live;
                let opts = &opts;
                sc.spawn(move || {
                    let mut out = Vec::new();
                    for s in queries.iter().skip(k).step_by(threads) {
                        let t = Instant::now();
                        live.lookup(&q(s), opts).map(|_| ())?;
                        out.push(t.elapsed());
                    }
                    Ok::<_, transmem::Error>(out)
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("lookup thread"))
            .collect::<Result<Vec<_>, _>>()
            .map(|v| v.into_iter().flatten().collect())
    })?;
    let wall = t.elapsed().as_secs_f64();
    all.sort();
    println!(
        "{threads} threads, 1 Live  {:.0} lookups/s, p50 {:.2} ms, p99 {:.2} ms ({} queries)",
        all.len() as f64 / wall,
        pct(&all, 0.5),
        pct(&all, 0.99),
        all.len()
    );
    let exh = Options {
        exhaustive: true,
        ..Options::default()
    };
    let step = (queries.len() / n_exh.max(1)).max(1);
    let (mut agree, mut n, mut etimes) = (0, 0, Vec::new());
    for (i, s) in queries.iter().enumerate().step_by(step).take(n_exh) {
        let t = Instant::now();
        let best = m.lookup(&q(s), &exh)?.first().map(|x| x.score);
        etimes.push(t.elapsed());
        n += 1;
        let same = match (top[i], best) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            (None, None) => true,
            _ => false,
        };
        agree += usize::from(same);
    }
    etimes.sort();
    if (agree as f64) < 0.99 * n as f64 {
        missed.push(format!("{name}: top-1 agreement under 99%"));
    }
    println!(
        "top-1 agreement     {:.1}% of {n} queries with --exhaustive (exhaustive p50 {:.0} ms)",
        100.0 * agree as f64 / n.max(1) as f64,
        pct(&etimes, 0.5)
    );
    // Freshness: a unit written through another handle (as another process
    // would), then found by the long-running Live matcher and by a new
    // process's Matcher::load.
    let fresh = "Zebra crossings near the harbour were repainted overnight by volunteers.";
    let mut other = open()?;
    let mut w = other.writer()?;
    w.insert(
        &unit(fresh, "Волонтёры за ночь перекрасили зебры у гавани."),
        Some("en"),
        OnDuplicate::KeepBoth,
    )?;
    w.commit()?;
    let t = Instant::now();
    let found = live.lookup(&q(fresh), &opts)?;
    let live_ms = t.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(
        found.first().is_some_and(|m| m.score >= 100.0),
        "{name}: the new unit was not found by the live matcher"
    );
    if live_ms > 1000.0 {
        missed.push(format!("{name}: a new unit took over 1 s to be found"));
    }
    // A new server (a Live made now) takes the saved index, one unit
    // behind, as it is and reads that unit into its small index; a new
    // command-line process (Matcher::load, below) extends and saves it.
    let t = Instant::now();
    let server = Live::new(open()?, "en", "ru")?;
    let found = server.lookup(&q(fresh), &opts)?;
    let server_ms = t.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(
        found.first().is_some_and(|m| m.score >= 100.0),
        "{name}: the new unit was not found by a new Live"
    );
    drop(server);
    if server_ms > 5000.0 {
        missed.push(format!(
            "{name}: a new server took over 5 s to answer after a write"
        ));
    }
    let t = Instant::now();
    let again = Matcher::load(&open()?, "en", "ru")?;
    let found = again.lookup(&q(fresh), &opts)?;
    let load_ms = t.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(
        found.first().is_some_and(|m| m.score >= 100.0),
        "{name}: the new unit was not found by a new matcher"
    );
    println!(
        "written elsewhere   found by the live matcher in {live_ms:.1} ms (refresh + lookup); by a new server in {server_ms:.0} ms (open + new Live + lookup); by a new process in {load_ms:.0} ms (open + index append + lookup)"
    );
    Ok(missed)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let usage = "usage: cargo bench --bench backends -- DIR --database URL [--exhaustive-queries N] [--only sqlite|postgres] [--reuse]";
    let Some(dir) = args.first().filter(|a| !a.starts_with("--")) else {
        eprintln!("{usage}");
        return Ok(());
    };
    let dir = PathBuf::from(dir);
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let url = opt("--database");
    let only = opt("--only");
    let eval = args.iter().any(|a| a == "--eval");
    let reuse = args.iter().any(|a| a == "--reuse");
    let mut missed = Vec::new();
    let n_exh: usize = opt("--exhaustive-queries")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let queries: Vec<String> = std::fs::read_to_string(dir.join("queries.txt"))?
        .lines()
        .map(str::to_string)
        .collect();
    if only.as_deref() != Some("postgres") {
        let db = dir.join("backends.sqlite");
        // A fresh file each run, unless --reuse keeps the last run's.
        let old: &[&str] = if reuse {
            &[]
        } else {
            &["", "-wal", "-shm", ".match-en.idx", ".match-ru.idx"]
        };
        for suffix in old {
            let mut p = db.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
        missed.extend(run(
            "SQLite",
            &|| Ok(Memory::open(&db)?),
            &dir,
            &queries,
            n_exh,
            reuse,
        )?);
    }
    if only.as_deref() != Some("sqlite") {
        match url {
            Some(url) => missed.extend(run(
                "PostgreSQL",
                &|| Ok(Memory::open_database(&url)?),
                &dir,
                &queries,
                n_exh,
                reuse,
            )?),
            None => eprintln!("PostgreSQL not run: give --database URL"),
        }
    }
    for m in &missed {
        eprintln!("target missed: {m}");
    }
    if eval && !missed.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}
