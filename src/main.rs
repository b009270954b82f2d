//! The `transmem` command line: a thin shell over the library.
//!
//! Only this file and `src/cmd/` know about clap, anyhow and terminals.
//! Exit codes follow ripgrep: 0 success, 1 nothing found, 2 error; a closed
//! output pipe ends the program quietly with 0.

mod cmd;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "transmem",
    version,
    about = "Translation memory: segment, align, store, match and exchange bilingual text",
    long_about = "transmem turns paired articles into a reusable translation memory.\n\n\
        Every command uses one memory, default.sqlite in the per-user data folder \
        (Linux: ~/.local/share/transmem), the same from every folder, \
        unless --memory LOCATION or TRANSMEM_MEMORY names another: a file, \
        a PostgreSQL database (postgresql://...) or a team server (https://..., \
        with --token). Every command works the same on all three.",
    after_help = "Examples:\n  \
        transmem align --from en --to ru --store article.en.txt article.ru.txt\n  \
        transmem lookup --from en --to ru \"The minister arrived on Monday.\"\n  \
        transmem export --format tmx -o memory.tmx",
    propagate_version = true
)]
struct Cli {
    #[command(flatten)]
    global: cmd::Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Segment(cmd::segment::Args),
    Align(cmd::align::Args),
    Import(cmd::import::Args),
    Export(cmd::export::Args),
    Lookup(cmd::lookup::Args),
    Concordance(cmd::concordance::Args),
    Analyze(cmd::analyze::Args),
    Pretranslate(cmd::pretranslate::Args),
    Stats(cmd::stats::Args),
    Demo(cmd::demo::Args),
    Serve(cmd::serve::Args),
    Token(cmd::token::Args),
    Units(cmd::units::Args),
    Edit(cmd::edit::Args),
    Delete(cmd::delete::Args),
    Replace(cmd::replace::Args),
    History(cmd::history::Args),
    Undo(cmd::undo::Args),
    Merge(cmd::merge::Args),
    Dedupe(cmd::dedupe::Args),
}

/// Examples per subcommand, each on its own line under the options.
const EXAMPLES: &[(&str, &[&str])] = &[
    (
        "segment",
        &[
            "transmem segment --lang ru article.ru.txt",
            "transmem segment --lang en --rules my.srx --format json notes.txt",
        ],
    ),
    (
        "align",
        &[
            "transmem align --from en --to ru story.en.txt story.ru.txt",
            "transmem align --from en --to ru --store --min-confidence 0.5 story.en.txt story.ru.txt",
        ],
    ),
    (
        "import",
        &[
            "transmem import legacy.tmx",
            "transmem import --langs en,ru pairs.tsv",
        ],
    ),
    (
        "export",
        &[
            "transmem export -o memory.tmx",
            "transmem export --format tsv --langs en,ru -o pairs.tsv",
        ],
    ),
    (
        "lookup",
        &[
            "transmem lookup --from en --to ru \"The talks ended on Monday.\"",
            "transmem lookup --from en --to ru --format jsonl < sentences.txt",
        ],
    ),
    (
        "concordance",
        &["transmem concordance --lang en \"press conference\""],
    ),
    (
        "analyze",
        &["transmem analyze --from en --to ru new-story.txt"],
    ),
    (
        "pretranslate",
        &[
            "transmem pretranslate --from en --to ru story.txt -o story.xlf",
            "transmem pretranslate --from en --to ru story.txt -o story.tmx",
        ],
    ),
    ("stats", &["transmem stats", "transmem stats --format json"]),
    ("demo", &["transmem demo"]),
    (
        "units",
        &[
            "transmem units --lang ru --match '(?i)press release'",
            "transmem units --origin 'news/*' --since 2026-01-01 --format jsonl",
            "transmem units --created-by ann --count",
        ],
    ),
    (
        "edit",
        &[
            "transmem edit 1234 --lang ru --text \"Пресс-релиз.\"",
            "transmem undo 57   (the batch number edit printed)",
        ],
    ),
    (
        "delete",
        &[
            "transmem delete 12 13",
            "transmem delete --origin bad-import.tmx --dry-run",
            "transmem delete --origin bad-import.tmx --yes",
        ],
    ),
    (
        "replace",
        &[
            "transmem replace --lang ru --find 'пресс релиз' --replace 'пресс-релиз' --dry-run",
            "transmem replace --lang ru --find '(\\d+) руб\\.' --replace '$1 ₽' --origin 'news/*'",
        ],
    ),
    (
        "history",
        &[
            "transmem history",
            "transmem history --last 5 --format jsonl",
        ],
    ),
    (
        "undo",
        &[
            "transmem history --last 3",
            "transmem undo 42 --dry-run",
            "transmem undo 42",
        ],
    ),
    (
        "merge",
        &[
            "transmem pretranslate --from en --to ru article.txt -o job.xlf",
            "transmem merge job.xlf -o article.ru.txt",
        ],
    ),
    (
        "dedupe",
        &[
            "transmem dedupe --from en --to ru",
            "transmem dedupe --from en --to ru --conflicts keep-newest --dry-run",
        ],
    ),
];

/// The command line with each subcommand's examples attached.
fn command() -> clap::Command {
    let mut cmd = Cli::command();
    for (name, lines) in EXAMPLES {
        let text = format!("Examples:\n  {}", lines.join("\n  "));
        cmd = cmd.mut_subcommand(*name, |c| c.after_help(text));
    }
    cmd
}

/// A write past `ulimit -f` raises SIGXFSZ, whose default action kills the
/// process without a word. Ignored, the write fails with EFBIG instead and
/// is reported like any other write error.
fn ignore_sigxfsz() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to SIG_IGN installs no handler
    // code, and runs before any thread is started.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Options people try for a language, with what each command takes
/// instead: clap's own tip would suggest the nearest spelling (`--source`
/// → `--store`) or passing the option as text.
fn language_option_hint(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    const TRIED: &[&str] = &[
        "--lang",
        "--langs",
        "--from",
        "--to",
        "--src-lang",
        "--tgt-lang",
        "--source",
        "--target",
        "--source-lang",
        "--target-lang",
        "--sl",
        "--tl",
        "--src",
        "--tgt",
        "--language",
    ];
    if e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let name = arg.split('=').next().unwrap_or(arg);
    if !TRIED.contains(&name) {
        return None;
    }
    let sub = std::env::args()
        .skip(1)
        .find(|a| EXAMPLES.iter().any(|(n, _)| n == a))?;
    let takes = match sub.as_str() {
        "align" | "lookup" | "analyze" | "pretranslate" | "dedupe" => {
            "the language pair as --from LANG --to LANG"
        }
        "segment" | "concordance" => "one language, as --lang LANG",
        "units" | "delete" | "edit" | "replace" => "a language as --lang LANG",
        "import" | "export" => "languages as --langs TAG,TAG",
        _ => "no language option",
    };
    Some(format!(
        "error: `transmem {sub}` has no {name} option; it takes {takes}\n\n\
         For more information, try 'transmem {sub} --help'."
    ))
}

/// `{e:#}` without repeats: a cause whose message the text already holds
/// (an OS message wrapped with its path, say) is said once.
fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for c in e.chain() {
        let m = c.to_string();
        // SQLite's own cause repeats its message behind a code.
        let core = m
            .strip_prefix("Error code ")
            .and_then(|r| r.split_once(": "))
            .map_or(m.as_str(), |(_, rest)| rest);
        if m.is_empty() || out.contains(core) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&m);
    }
    out
}

fn main() -> ExitCode {
    ignore_sigxfsz();
    let parsed = command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) if language_option_hint(&e).is_some() => {
            eprintln!("{}", language_option_hint(&e).unwrap_or_default());
            return ExitCode::from(2);
        }
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let g = &cli.global;
    let result = match cli.command {
        Command::Segment(a) => cmd::segment::run(a, g),
        Command::Align(a) => cmd::align::run(a, g),
        Command::Import(a) => cmd::import::run(a, g),
        Command::Export(a) => cmd::export::run(a, g),
        Command::Lookup(a) => cmd::lookup::run(a, g),
        Command::Concordance(a) => cmd::concordance::run(a, g),
        Command::Analyze(a) => cmd::analyze::run(a, g),
        Command::Pretranslate(a) => cmd::pretranslate::run(a, g),
        Command::Stats(a) => cmd::stats::run(a, g),
        Command::Demo(a) => cmd::demo::run(a, g),
        Command::Serve(a) => cmd::serve::run(a, g),
        Command::Token(a) => cmd::token::run(a, g),
        Command::Units(a) => cmd::units::run(a, g),
        Command::Edit(a) => cmd::edit::run(a, g),
        Command::Delete(a) => cmd::delete::run(a, g),
        Command::Replace(a) => cmd::replace::run(a, g),
        Command::History(a) => cmd::history::run(a, g),
        Command::Undo(a) => cmd::undo::run(a, g),
        Command::Merge(a) => cmd::merge::run(a, g),
        Command::Dedupe(a) => cmd::dedupe::run(a, g),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if cmd::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("transmem: error: {}", message(&e));
            ExitCode::from(2)
        }
    }
}
