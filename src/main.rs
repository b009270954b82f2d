//! The `transmem` command line: a thin shell over the library.
//!
//! Only this file and `src/cmd/` know about clap, anyhow and terminals.
//! Exit codes follow ripgrep: 0 success, 1 nothing found, 2 error; a closed
//! output pipe ends the program quietly with 0.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "transmem",
    version,
    about = "Translation memory: segment, align, store, match and exchange bilingual text",
    long_about = "transmem turns paired articles into a reusable translation memory.\n\n\
        Typical use:\n  transmem align --src-lang en --tgt-lang ru --store article.en.txt article.ru.txt\n  \
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
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
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
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if cmd::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("transmem: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
