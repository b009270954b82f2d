//! `transmem lookup`: fuzzy matches for text.
//!
//! One query from the command line, or one per line of standard input,
//! answered in input order while all cores work on the next block of lines.

use std::io::{BufRead, Write};

use clap::ValueEnum;
use transmem::matcher::{Match, Options, Penalties, Query};
use transmem::matcher::{SourcePenalty, Trust};
use transmem::tm::LookupOptions;

use super::{Global, stdout};

/// Find fuzzy matches in the memory
///
/// Blank lines, and lines of only numbers or punctuation, are skipped (no
/// word to match on); in jsonl they are reported with "skipped".
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub direction: super::Direction,
    /// Lowest score shown, in percent (0-101)
    #[arg(long, default_value_t = 70.0, value_parser = super::percent)]
    pub threshold: f64,
    /// At most this many matches per query (1-10000)
    #[arg(long, default_value_t = 5, value_parser = super::limit)]
    pub limit: usize,
    /// Longest query accepted, in bytes; a longer line is an error (exit 2)
    #[arg(long, default_value_t = 65536, value_name = "BYTES")]
    pub max_query_bytes: usize,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Score every stored segment instead of the index's candidates (slow; the reference)
    #[arg(long)]
    pub exhaustive: bool,
    /// Points off when words differ only in letter case
    #[arg(long, default_value_t = 1.0, value_name = "POINTS")]
    pub penalty_case: f64,
    /// Points off when punctuation, quotes or spacing differ
    #[arg(long, default_value_t = 1.0, value_name = "POINTS")]
    pub penalty_punctuation: f64,
    /// Points off per differing number
    #[arg(long, default_value_t = 1.0, value_name = "POINTS")]
    pub penalty_number: f64,
    /// Points off per inline tag missing on one side
    #[arg(long, default_value_t = 1.0, value_name = "POINTS")]
    pub penalty_tag: f64,
    /// The segment before TEXT in its document (for 101% context matches)
    #[arg(long, requires = "text")]
    pub prev: Option<String>,
    /// The segment after TEXT in its document
    #[arg(long, requires = "text")]
    pub next: Option<String>,
    /// Standard input is one document: each line's neighbours are its context
    #[arg(long)]
    pub context: bool,
    /// Index candidates scored per query (0: automatic)
    #[arg(long, default_value_t = 0, hide = true)]
    pub candidates: usize,
    /// Only matches from units whose origin matches this glob (news/*)
    #[arg(long, value_name = "GLOB")]
    pub origin: Option<String>,
    /// Only matches from units by this creator (`--creator` names who writes)
    #[arg(long, value_name = "NAME")]
    pub created_by: Option<String>,
    /// Only matches from units changed (else created) on or after this day
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Points off matches from sources trusted less, listed with the other
    /// penalties: origin:GLOB=N or older-than:DAYS=N (repeatable)
    #[arg(long = "penalty", value_name = "KIND:WHAT=N")]
    pub source_penalties: Vec<String>,
    /// Look up even when the text's letters are not in --from's script
    #[arg(long)]
    pub force: bool,
    /// Text to look up; each line of standard input when missing
    pub text: Option<String>,
}

/// The `--origin`, `--created-by`, `--since` and `--penalty` options.
fn trust(args: &Args) -> anyhow::Result<Trust> {
    use transmem::memory::{DateBound, UnitFilter};
    Ok(Trust {
        origin: args.origin.as_deref().map(UnitFilter::glob).transpose()?,
        creator: args.created_by.clone(),
        since: args
            .since
            .as_deref()
            .map(DateBound::parse)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--since: {e}"))?,
        penalties: args
            .source_penalties
            .iter()
            .map(|p| SourcePenalty::parse(p))
            .collect::<transmem::Result<_>>()?,
    })
}

/// Output formats.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum Format {
    /// Score, source and target, aligned for reading
    Table,
    /// One JSON object per query
    Jsonl,
}

/// Lines are looked up in blocks of this many: large enough to keep every
/// core busy, small enough to stream.
const BLOCK: usize = 256;

/// Why a query is not looked up (blank, or no word), or `None`.
pub use transmem::matcher::skip_reason;

/// Reads one line (without its `\n` or `\r\n`) into `buf`, stopping as soon
/// as it is longer than `max` bytes, so that a huge line never fills memory.
/// `None` at the end of input; `Some(true)` for a line that is too long.
fn next_line(r: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> std::io::Result<Option<bool>> {
    buf.clear();
    let mut any = false;
    loop {
        let avail = r.fill_buf()?;
        if avail.is_empty() {
            if !any {
                return Ok(None);
            }
            break;
        }
        any = true;
        if let Some(i) = avail.iter().position(|&b| b == b'\n') {
            buf.extend_from_slice(&avail[..i]);
            r.consume(i + 1);
            break;
        }
        let n = avail.len();
        buf.extend_from_slice(avail);
        r.consume(n);
        if buf.len() > max.saturating_add(1) {
            return Ok(Some(true));
        }
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(buf.len() > max))
}

/// The next query of standard input, numbered from 1 for messages.
fn read_query(
    r: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
    line: u64,
) -> anyhow::Result<Option<String>> {
    match next_line(r, buf, max).map_err(|e| anyhow::anyhow!("<stdin>:{line}: {e}"))? {
        None => Ok(None),
        Some(true) => anyhow::bail!(
            "<stdin>:{line}: the query is longer than {max} bytes (the limit); \
             split it into sentences (transmem segment) or raise --max-query-bytes"
        ),
        Some(false) => match std::str::from_utf8(buf) {
            Ok(s) => Ok(Some(s.to_string())),
            Err(e) => anyhow::bail!(
                "<stdin>:{line}: invalid UTF-8 at byte {} of the line",
                e.valid_up_to()
            ),
        },
    }
}

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let (from, to) = args.direction.tags_in(g)?;
    if let Some(t) = &args.text {
        anyhow::ensure!(
            t.len() <= args.max_query_bytes,
            "the query is {} bytes, longer than the limit of {}; \
             split it into sentences (transmem segment) or raise --max-query-bytes",
            t.len(),
            args.max_query_bytes
        );
        if let Some(why) = skip_reason(t) {
            anyhow::bail!("nothing to look up: TEXT is {why}");
        }
    }
    for (name, v) in [
        ("--penalty-case", args.penalty_case),
        ("--penalty-punctuation", args.penalty_punctuation),
        ("--penalty-number", args.penalty_number),
        ("--penalty-tag", args.penalty_tag),
    ] {
        anyhow::ensure!(
            v.is_finite() && v >= 0.0,
            "{name} must be a number of 0 or more, not {v}"
        );
    }
    let opts = LookupOptions {
        matching: Options {
            threshold: args.threshold,
            limit: args.limit,
            exhaustive: args.exhaustive,
            penalties: Penalties {
                case: args.penalty_case,
                punctuation: args.penalty_punctuation,
                number: args.penalty_number,
                tag: args.penalty_tag,
            },
            candidates: args.candidates,
        },
        trust: trust(&args)?,
    };
    let tm = g.open(false)?;
    let held = || transmem::tm::primaries(&*tm).unwrap_or_default();
    if let Some(t) = &args.text {
        super::check_script("TEXT", t, (&from, "--from"), &to, &held, args.force)?;
    }
    let color = g.color_stdout();
    let mut out = stdout();
    let mut any = false;
    if let Some(t) = &args.text {
        let q = Query {
            text: t,
            prev: args.prev.as_deref(),
            next: args.next.as_deref(),
        };
        let matches = tm
            .lookup_batch(&from, &to, &[q], &opts)?
            .into_iter()
            .next()
            .unwrap_or_default();
        any = !matches.is_empty();
        if !any {
            super::require_language(&*tm, &from, "--from")?;
            super::require_language(&*tm, &to, "--to")?;
        }
        write(
            &mut out,
            args.format,
            color,
            t,
            Ok(&matches),
            false,
            args.threshold,
        )?;
        out.flush()?;
        return Ok(if any { 0 } else { 1 });
    }
    // Decoded as a text file is (a legacy code page is told from the first
    // 64 KiB, or --encoding), then read line by line.
    let (mut input, how) =
        transmem::formats::text_stream(std::io::stdin().lock(), g.text_encoding())
            .map_err(|e| anyhow::anyhow!("<stdin>: {e}"))?;
    super::note_encoding("<stdin>", &how);
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    let mut failed: Option<anyhow::Error> = None;
    // With --context the last line of a block needs the next block's first.
    let mut block: Vec<String> = Vec::with_capacity(BLOCK + 2);
    let mut prev_line: Option<String> = None;
    let mut done = false;
    while !done {
        while block.len() < BLOCK + 1 {
            line_no += 1;
            match read_query(&mut input, &mut buf, args.max_query_bytes, line_no) {
                Ok(Some(l)) => block.push(l),
                Ok(None) => {
                    done = true;
                    break;
                }
                // The lines before a bad one are still answered.
                Err(e) => {
                    failed = Some(e);
                    done = true;
                    break;
                }
            }
        }
        let n = if done { block.len() } else { BLOCK };
        // The first block of standard input tells its language (a few
        // hundred lines is plenty, and nothing was answered yet).
        if line_no <= BLOCK as u64 + 2 {
            super::check_script(
                "<stdin>",
                &block.join("\n"),
                (&from, "--from"),
                &to,
                &held,
                args.force,
            )?;
        }
        let queries: Vec<Query> = (0..n)
            .map(|i| {
                let (prev, next) = if args.context {
                    (
                        if i == 0 {
                            prev_line.as_deref()
                        } else {
                            Some(block[i - 1].as_str())
                        },
                        block.get(i + 1).map(String::as_str),
                    )
                } else {
                    (None, None)
                };
                Query {
                    text: &block[i],
                    prev,
                    next,
                }
            })
            .collect();
        // One call per block: on a server, one request.
        let results = if queries.is_empty() {
            Vec::new()
        } else {
            tm.lookup_batch(&from, &to, &queries, &opts)?
        };
        for (q, m) in block.iter().zip(&results) {
            let m = match skip_reason(q) {
                Some(why) => Err(why),
                None => Ok(m.as_slice()),
            };
            any |= m.is_ok_and(|m| !m.is_empty());
            write(&mut out, args.format, color, q, m, true, args.threshold)?;
        }
        out.flush()?;
        let rest = block.split_off(n);
        prev_line = block.pop();
        block = rest;
    }
    if let Some(e) = failed {
        return Err(e);
    }
    if !any {
        super::require_language(&*tm, &from, "--from")?;
        super::require_language(&*tm, &to, "--to")?;
    }
    Ok(if any { 0 } else { 1 })
}

fn write(
    out: &mut impl Write,
    format: Format,
    color: bool,
    q: &str,
    matches: Result<&[Match], &str>,
    many: bool,
    threshold: f64,
) -> anyhow::Result<()> {
    use super::terminal_safe as safe;
    match format {
        Format::Jsonl => match matches {
            Ok(matches) => {
                super::write_json_line(out, &serde_json::json!({"query": q, "matches": matches}))
            }
            Err(why) => super::write_json_line(
                out,
                &serde_json::json!({"query": q, "matches": [], "skipped": why}),
            ),
        },
        Format::Table => {
            if many {
                writeln!(out, "> {}", safe(q))?;
            }
            let matches = match matches {
                Ok(m) => m,
                Err(why) => {
                    writeln!(out, "  (skipped: {why})")?;
                    return Ok(());
                }
            };
            if matches.is_empty() {
                writeln!(out, "  (no match at or above {threshold}%)")?;
            }
            for m in matches {
                writeln!(
                    out,
                    "{:>6.1}%  {}\n         {}",
                    m.score,
                    source_line(m, color),
                    safe(&m.target)
                )?;
                if let Some(p) = m.part {
                    writeln!(
                        out,
                        "         part of a larger unit: sentence {} of {} of its source",
                        p.segment, p.of
                    )?;
                }
                if !m.penalties.is_empty() {
                    let p: Vec<String> = m
                        .penalties
                        .iter()
                        .map(|p| format!("{} -{}", p.kind, p.points))
                        .collect();
                    writeln!(out, "         penalties: {}", p.join(", "))?;
                }
                // The match's own score beside the draft, the substitution
                // marked: never a 100 the memory did not hold.
                if let Some(t) = &m.substituted_target {
                    writeln!(
                        out,
                        "{:>6.1}%  {}  ({})",
                        m.score,
                        safe(t),
                        safe(&m.substitution_note())
                    )?;
                }
            }
            Ok(())
        }
    }
}

/// The stored source with the diff to the query: on a colour terminal,
/// words only in the source red and struck through, the query's green;
/// without colour (NO_COLOR, a pipe) the same marks in plain text,
/// `[-old-]{+new+}`, as `git diff --word-diff` writes them.
fn source_line(m: &Match, color: bool) -> String {
    use super::terminal_safe as safe;
    if m.diff.is_empty() {
        return safe(&m.source).into_owned();
    }
    let (del, ins, end_del, end_ins) = if color {
        ("\x1b[31;9m", "\x1b[32m", "\x1b[0m", "\x1b[0m")
    } else {
        ("[-", "{+", "-]", "+}")
    };
    m.diff
        .iter()
        .map(|s| match s.op {
            "delete" => format!("{del}{}{end_del}", safe(&s.text)),
            "insert" => format!("{ins}{}{end_ins}", safe(&s.text)),
            _ => safe(&s.text).into_owned(),
        })
        .collect()
}
