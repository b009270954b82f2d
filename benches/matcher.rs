//! Matcher benchmark: prints import, index and lookup figures for a memory
//! built by `../shared/eval/tm_bench_data.py`.
//!
//! Usage: `cargo bench --bench matcher -- DIR [--eval] [--exhaustive-queries N]`
//! where DIR holds `memory.tsv` and `queries.txt`. The memory is written to
//! `DIR/memory.sqlite` through the library store API. With `--eval` the run
//! fails (exit 1) when indexed top-1 scores agree with `--exhaustive` on
//! under 99% of queries or the index is under 50x faster per query.
//! `scripts/matcher_bench.sh` drives it over 10k, 100k, 1M and 10M units:
//! it imports with the `transmem` binary (index included) and times the
//! first lookup, then runs this with `--reuse --row FILE`, which appends
//! one line of figures to FILE; `--plot FILE OUT.svg` then prints the
//! table of docs/matching.md and writes its plot.

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
    if args.first().is_some_and(|a| a == "--plot") {
        let (Some(rows), Some(svg)) = (args.get(1), args.get(2)) else {
            anyhow::bail!("usage: --plot ROWS.tsv OUT.svg");
        };
        return plot(Path::new(rows), Path::new(svg));
    }
    let dir = PathBuf::from(
        args.first()
            .filter(|a| !a.starts_with("--"))
            .cloned()
            .unwrap_or_else(|| {
                eprintln!(
                    "usage: cargo bench --bench matcher -- DIR [--eval] [--reuse] [--candidates N] [--exhaustive-queries N] [--oracle FILE] [--row FILE]"
                );
                std::process::exit(0)
            }),
    );
    let eval = args.iter().any(|a| a == "--eval");
    let row_file = args
        .iter()
        .position(|a| a == "--row")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    let n_exh: usize = args
        .iter()
        .position(|a| a == "--exhaustive-queries")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let db = dir.join("memory.sqlite");
    // --reuse: keep a memory built by an earlier run (for profiling lookups).
    let reuse = args.iter().any(|a| a == "--reuse") && db.exists();
    for suffix in [
        "",
        "-journal",
        "-wal",
        "-shm",
        ".match-en.idx",
        ".match-ru.idx",
    ] {
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
    // Three timed passes; each query's time is the median of its three, so
    // that a scheduler pause or a kernel flush on this shared 2-core
    // machine moves one sample, not the figure (single passes at 10M
    // varied by 1.5x in p50 from one run to the next).
    const PASSES: usize = 3;
    let mut passes: Vec<Vec<Duration>> = Vec::with_capacity(PASSES);
    let mut top_idx = Vec::with_capacity(queries.len());
    for pass in 0..PASSES {
        let mut took = Vec::with_capacity(queries.len());
        for s in &queries {
            let t = Instant::now();
            let r = m.lookup(&q(s), &opts)?;
            took.push(t.elapsed());
            if pass == 0 {
                top_idx.push(r.first().map(|x| x.score));
            }
        }
        passes.push(took);
    }
    let times_in_order: Vec<Duration> = (0..queries.len())
        .map(|i| {
            let mut s: Vec<Duration> = passes.iter().map(|p| p[i]).collect();
            s.sort();
            s[PASSES / 2]
        })
        .collect();
    let mut times = times_in_order.clone();
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
        "warm lookup         p50 {:.2} ms, p99 {:.2} ms, mean {:.2} ms (1 thread, {} queries, each the median of 3 passes, threshold 70, limit 5)",
        pct(&times, 0.5),
        pct(&times, 0.99),
        mean_idx * 1000.0,
        queries.len()
    );
    let mut batch_qps = f64::NAN;
    if !eval {
        // Three passes, the median reported (and all three shown).
        let mut rates = Vec::with_capacity(PASSES);
        let mut n = 0;
        for _ in 0..PASSES {
            let t = Instant::now();
            n = queries
                .par_iter()
                .map(|s| m.lookup(&q(s), &opts).map_or(0, |r| r.len()))
                .sum();
            rates.push(queries.len() as f64 / t.elapsed().as_secs_f64());
        }
        let shown: Vec<String> = rates.iter().map(|r| format!("{r:.0}")).collect();
        rates.sort_by(f64::total_cmp);
        batch_qps = rates[PASSES / 2];
        println!(
            "batch               {batch_qps:.0} queries/s on {} threads, median of 3 passes ({}; {n} matches)",
            rayon::current_num_threads(),
            shown.join(", ")
        );
    }

    // Exhaustive oracle on the first n_exh queries.
    let ex_opts = Options {
        exhaustive: true,
        ..Options::default()
    };
    let n = n_exh.min(queries.len());
    // --oracle FILE: the exhaustive top-1 scores, one per line ("-" for no
    // match), read from FILE when it exists, else computed on every thread
    // and written there. An exhaustive pass at 10M takes minutes, and it
    // does not change while only the candidate filter does; no timings are
    // reported for a cached oracle.
    let oracle: Option<Vec<Option<f64>>> = match args
        .iter()
        .position(|a| a == "--oracle")
        .and_then(|i| args.get(i + 1))
    {
        None => None,
        Some(f) => Some(match std::fs::read_to_string(f) {
            Ok(text) => text.lines().map(|l| l.parse().ok()).collect(),
            Err(_) => {
                let tops: Vec<Option<f64>> = queries
                    .par_iter()
                    .take(n)
                    .map(|s| {
                        m.lookup(&q(s), &ex_opts)
                            .map(|r| r.first().map(|x| x.score))
                    })
                    .collect::<Result<_, _>>()?;
                let text: String = tops
                    .iter()
                    .map(|t| t.map_or("-".to_string(), |v| v.to_string()) + "\n")
                    .collect();
                std::fs::write(f, text)?;
                tops
            }
        }),
    };
    let n = oracle.as_ref().map_or(n, |o| o.len().min(queries.len()));
    let mut agree = 0;
    let mut ex_time = 0.0;
    let mut ex_times = Vec::with_capacity(n);
    let mut misses = Vec::new();
    for (i, s) in queries.iter().take(n).enumerate() {
        let best = if let Some(o) = &oracle {
            o[i]
        } else {
            let t = Instant::now();
            let r = m.lookup(&q(s), &ex_opts)?;
            ex_time += t.elapsed().as_secs_f64();
            ex_times.push(t.elapsed());
            r.first().map(|x| x.score)
        };
        if best == top_idx[i] {
            agree += 1;
        } else if misses.len() < 10 {
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

    let mut cold_ms = f64::NAN;
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
            cold_ms = pct(&cold, 0.5);
            println!(
                "cold lookup         median {:.0} ms (target/release/transmem, process start to exit)",
                pct(&cold, 0.5)
            );
        } else {
            println!("cold lookup         skipped: build target/release/transmem first");
        }
        println!("peak RSS (process)  {:.0} MB", peak_rss_mb());
    }
    if let Some(rows) = row_file {
        // What the script measured with the binary: import (index
        // included) time and peak RSS, and the first lookup after it.
        let cli = std::fs::read_to_string(dir.join("cli.tsv")).unwrap_or_default();
        let cli: Vec<&str> = cli.split_whitespace().collect();
        let field = |i: usize| cli.get(i).copied().unwrap_or("nan").to_string();
        let disk_mb: f64 = ["", "-wal", ".match-en.idx", ".match-ru.idx"]
            .iter()
            .map(|suf| {
                let mut p = db.clone().into_os_string();
                p.push(suf);
                std::fs::metadata(PathBuf::from(p)).map_or(0.0, |m| m.len() as f64 / 1e6)
            })
            .sum();
        let line = [
            units.to_string(),
            field(0),
            field(1),
            field(2),
            format!("{cold_ms:.0}"),
            format!("{:.3}", 1000.0 / batch_qps),
            format!("{:.2}", pct(&times, 0.5)),
            format!("{:.2}", pct(&times, 0.99)),
            format!("{agreement:.1}"),
            n.to_string(),
            format!("{disk_mb:.0}"),
            format!("{idx_mb:.0}"),
            format!("{:.0}", pct(&ex_times, 0.5)),
        ]
        .join("\t");
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(rows)?;
        use std::io::Write;
        writeln!(f, "{line}")?;
    }
    if eval && (agreement < 99.0 || speedup < 50.0) {
        eprintln!("FAIL: agreement {agreement:.1}% (need 99) or speed-up {speedup:.0}x (need 50)");
        std::process::exit(1);
    }
    Ok(())
}

/// Columns of a `--row` line, in order: name, unit, and the 10M target.
const COLS: [(&str, &str, &str); 13] = [
    ("units", "", ""),
    ("import, index included (`transmem import`)", "s", "≤ 180 s"),
    ("peak RSS, import and index", "MB", "≤ 1,000 MB"),
    (
        "first lookup after the import (process start to exit)",
        "ms",
        "like a cold lookup",
    ),
    (
        "cold single lookup, median of 5 (process start to exit)",
        "ms",
        "≤ 500 ms",
    ),
    (
        "warm lookup, batch amortised (2 threads)",
        "ms/query",
        "≤ 1 ms",
    ),
    ("warm lookup p50, 1 thread", "ms", "≤ 2 ms"),
    ("warm lookup p99, 1 thread", "ms", "≤ 20 ms"),
    ("top-1 agreement with `--exhaustive`", "%", "≥ 99.5%"),
    ("queries compared with `--exhaustive`", "", "200"),
    ("memory plus index on disk", "MB", "≤ 5,000 MB"),
    ("of which the index", "MB", ""),
    ("`--exhaustive` p50", "ms", ""),
];

/// Prints the Markdown table of docs/matching.md from the `--row` lines in
/// `rows` and writes a log-log plot of how each figure grows to `svg`.
fn plot(rows: &Path, svg: &Path) -> anyhow::Result<()> {
    let table: Vec<Vec<f64>> = std::fs::read_to_string(rows)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split('\t')
                .map(|v| v.parse().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let size = |r: &Vec<f64>| {
        let n = r[0];
        if n >= 1e6 {
            format!("{}M", (n / 1e6).round())
        } else {
            format!("{}k", (n / 1e3).round())
        }
    };
    let mut head = String::from("| |");
    let mut rule = String::from("|---|");
    for r in &table {
        head.push_str(&format!(" {} |", size(r)));
        rule.push_str("---|");
    }
    println!("{head} target at 10M |\n{rule}---|");
    for (i, (name, unit, target)) in COLS.iter().enumerate().skip(1) {
        let mut line = format!("| {name} |");
        for r in &table {
            let v = r.get(i).copied().unwrap_or(f64::NAN);
            let shown = if v.is_nan() {
                "–".to_string()
            } else if v >= 100.0 || unit.is_empty() || *unit == "MB" || (*unit == "ms" && i <= 4) {
                format!("{v:.0}")
            } else if v >= 10.0 {
                format!("{v:.1}")
            } else {
                format!("{v:.2}")
            };
            line.push_str(&format!(" {shown} {unit} |"));
        }
        println!("{line} {target} |");
    }
    // Four log-log panels: time to import, memory and disk, single
    // lookups in a new process, warm lookups.
    let panels: [(&str, &[(usize, &str)]); 4] = [
        ("import with index (s)", &[(1, "#1f77b4")]),
        (
            "MB: peak RSS, disk, index",
            &[(2, "#d62728"), (10, "#2ca02c"), (11, "#9467bd")],
        ),
        (
            "ms: first and cold lookup",
            &[(3, "#ff7f0e"), (4, "#1f77b4")],
        ),
        (
            "ms: warm p50, p99, batch",
            &[(6, "#1f77b4"), (7, "#d62728"), (5, "#2ca02c")],
        ),
    ];
    let labels: [&str; 13] = [
        "",
        "import",
        "peak RSS",
        "first lookup",
        "cold lookup",
        "batch/query",
        "p50",
        "p99",
        "",
        "",
        "disk",
        "index",
        "",
    ];
    let (pw, ph) = (440.0, 300.0);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
        2.0 * pw,
        2.0 * ph + 20.0
    );
    out.push_str(&format!(
        "<text x=\"{}\" y=\"14\" text-anchor=\"middle\" font-size=\"13\">transmem matcher benchmark: figures by memory size (log-log)</text>\n",
        pw
    ));
    let xs: Vec<f64> = table.iter().map(|r| r[0]).collect();
    let (xmin, xmax) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min).log10(),
        xs.iter().copied().fold(f64::NEG_INFINITY, f64::max).log10(),
    );
    for (k, (title, series)) in panels.iter().enumerate() {
        let (ox, oy) = ((k % 2) as f64 * pw, 20.0 + (k / 2) as f64 * ph);
        let (l, r, t, b) = (ox + 55.0, ox + pw - 110.0, oy + 25.0, oy + ph - 35.0);
        let vals: Vec<f64> = series
            .iter()
            .flat_map(|(c, _)| {
                table
                    .iter()
                    .map(|row| row.get(*c).copied().unwrap_or(f64::NAN))
            })
            .filter(|v| v.is_finite() && *v > 0.0)
            .collect();
        if vals.is_empty() {
            continue;
        }
        let ymin = vals
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
            .log10()
            .floor();
        let ymax = vals
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
            .log10()
            .ceil()
            .max(ymin + 1.0);
        let px = |x: f64| l + (x.log10() - xmin) / (xmax - xmin).max(1e-9) * (r - l);
        let py = |y: f64| b - (y.log10() - ymin) / (ymax - ymin) * (b - t);
        out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\">{title}</text>\n<rect x=\"{l}\" y=\"{t}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#888\"/>\n",
            (l + r) / 2.0,
            t - 8.0,
            r - l,
            b - t
        ));
        let mut e = ymin;
        while e <= ymax {
            let y = py(10f64.powf(e));
            out.push_str(&format!(
                "<line x1=\"{l}\" x2=\"{r}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#eee\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                l - 4.0,
                y + 4.0,
                10f64.powf(e)
            ));
            e += 1.0;
        }
        for row in &table {
            let x = px(row[0]);
            out.push_str(&format!(
                "<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                b + 14.0,
                size(row)
            ));
        }
        for (j, (c, colour)) in series.iter().enumerate() {
            let pts: Vec<(f64, f64)> = table
                .iter()
                .filter_map(|row| {
                    let v = row.get(*c).copied()?;
                    (v.is_finite() && v > 0.0).then(|| (px(row[0]), py(v)))
                })
                .collect();
            let path: Vec<String> = pts.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
            out.push_str(&format!(
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>\n",
                path.join(" ")
            ));
            for (x, y) in &pts {
                out.push_str(&format!(
                    "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{colour}\"/>\n"
                ));
            }
            let ly = t + 12.0 + 16.0 * j as f64;
            out.push_str(&format!(
                "<line x1=\"{}\" x2=\"{}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{colour}\" stroke-width=\"2\"/><text x=\"{}\" y=\"{}\">{}</text>\n",
                r + 8.0,
                r + 24.0,
                r + 28.0,
                ly + 4.0,
                labels[*c]
            ));
        }
    }
    out.push_str("</svg>\n");
    std::fs::write(svg, out)?;
    eprintln!("wrote {}", svg.display());
    Ok(())
}
