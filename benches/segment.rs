//! Segmentation throughput on generated news-like text, English and Russian.
//!
//! The text is built from a fixed seed out of sentence templates that exercise
//! the rule families (abbreviations, initials, numbers, quotes, direct speech,
//! datelines), in paragraphs of several sentences each, so every line holds
//! many candidate positions. Criterion reports the throughput in bytes/s;
//! `cargo bench --bench segment` prints the median.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use transmem::segment::Segmenter;

/// CPU time of this thread (user + system), from /proc/thread-self/stat in
/// clock ticks (10 ms): on a machine shared with other jobs, wall time
/// measures the neighbours too. Falls back to zero where /proc is missing,
/// so run the wall-time group there.
struct ThreadCpu;

fn thread_cpu() -> Duration {
    let ticks = std::fs::read_to_string("/proc/thread-self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the ")" that ends the command name; utime and
            // stime are fields 14 and 15 of the whole line.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

impl Measurement for ThreadCpu {
    type Intermediate = Duration;
    type Value = Duration;
    fn start(&self) -> Duration {
        thread_cpu()
    }
    fn end(&self, i: Duration) -> Duration {
        thread_cpu().saturating_sub(i)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WallTime.formatter()
    }
}

const EN: &[&str] = &[
    "Mr. Smith met Dr. Jones at 7:45 p.m. on Tuesday.",
    "The U.S. Senate voted 52 to 48 on the bill, which costs $3.5 billion.",
    "\"We will not give up,\" said Sen. Warren.",
    "Shares of Acme Inc. rose 4.2% to 1,250.75 dollars.",
    "J. R. R. Tolkien wrote the book in 1937, i.e. before the war.",
    "Is it true? Nobody knows!",
    "The report (see p. 12) was published on Jan. 5th by the U.K. government.",
    "He left the U.S. The talks resumed a week later.",
    "Visit www.example.com/news.html or write to press@example.org for details.",
    "Prices rose again... Analysts were surprised.",
    "MOSCOW, January 29. /TASS/. The minister arrived in the capital.",
    "The company, founded by Gen. Lee, employs 3,000 people vs. 2,500 last year.",
];

const RU: &[&str] = &[
    "В. В. Путин провёл встречу в г. Москве.",
    "Бюджет составил 3,5 млрд руб., т. е. на 10% больше, чем в 2015 г.",
    "— Да, — сказал он. — Пойдём.",
    "«Мы не сдадимся», — заявил министр.",
    "Об этом сообщил проф. Иванов на ул. Ленина, д. 5.",
    "Правда? Никто не знает!",
    "Цены выросли на 1 000 руб. Аналитики удивлены…",
    "МОСКВА, 29 января. /ТАСС/. Министр прибыл в столицу.",
    "Подробности см. на сайте www.example.ru/news.html и т. д.",
    "По словам акад. Петрова, это случилось в XIX в. до н. э.",
    "Компания „Ромашка“ открыла 25 новых магазинов.",
    "Путин В.В. Он подписал указ, т.н. «закон о связи».",
];

/// About `bytes` of text: paragraphs of 4 to 9 sentences picked by a small
/// linear congruential generator (fixed seed, so every run is the same).
fn generate(templates: &[&str], bytes: usize) -> String {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    let mut out = String::with_capacity(bytes + 1024);
    while out.len() < bytes {
        let n = 4 + next() % 6;
        for i in 0..n {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(templates[next() % templates.len()]);
        }
        out.push('\n');
    }
    out
}

/// Wall-clock throughput.
fn bench(c: &mut Criterion) {
    run(c, "segment");
}

/// Thread CPU-time throughput (see [`ThreadCpu`]).
fn bench_cpu(c: &mut Criterion<ThreadCpu>) {
    run(c, "segment-cpu");
}

fn run<M: Measurement>(c: &mut Criterion<M>, group: &str) {
    let mut g = c.benchmark_group(group);
    for (lang, templates) in [("en", EN), ("ru", RU)] {
        let text = generate(templates, 4 << 20);
        let seg = Segmenter::for_lang(lang);
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.sample_size(10);
        g.bench_function(lang, |b| {
            b.iter(|| black_box(seg.split(black_box(&text))).len())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(ThreadCpu);
    targets = bench_cpu
}
criterion_main!(benches, cpu);
