//! One file per subcommand, each with its clap `Args` and a `run` function
//! that returns the exit code (0 success, 1 nothing found); errors become 2.

pub mod align;
pub mod analyze;
pub mod concordance;
pub mod demo;
pub mod export;
pub mod import;
pub mod limits;
pub mod lookup;
pub mod output;
pub mod pretranslate;
pub mod segment;
pub mod stats;

use std::io::{BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::ValueEnum;

/// Options every subcommand accepts, before or after its name.
#[derive(clap::Args, Debug, Clone)]
pub struct Global {
    /// The memory file [default: memory/default.sqlite]
    #[arg(long, global = true, env = "TRANSMEM_MEMORY", value_name = "PATH")]
    pub memory: Option<PathBuf>,
    /// Who is recorded as the creator of new units [default: the OS user]
    #[arg(long, global = true, value_name = "NAME")]
    pub creator: Option<String>,
    /// Colour on the terminal
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// The language direction of a lookup-style command.
#[derive(clap::Args, Debug, Clone)]
pub struct Direction {
    /// Language of the text (source side of the matches)
    #[arg(long)]
    pub from: String,
    /// Language of the translations wanted
    #[arg(long)]
    pub to: String,
}

impl Direction {
    /// Both tags, canonicalised.
    pub fn tags(&self) -> anyhow::Result<(String, String)> {
        Ok((lang_arg(&self.from)?, lang_arg(&self.to)?))
    }
}

/// When to colour output.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl Global {
    /// The memory path the user chose, or the default.
    pub fn memory_path(&self) -> PathBuf {
        self.memory
            .clone()
            .unwrap_or_else(|| PathBuf::from("memory").join("default.sqlite"))
    }

    /// The creator to record: `--creator`, else the OS user.
    pub fn creator(&self) -> String {
        self.creator
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .or_else(|| std::env::var("USERNAME").ok())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "unknown".into())
    }

    /// True when stdout should be coloured (NO_COLOR is respected in auto).
    pub fn color_stdout(&self) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        }
    }
}

/// True when the error chain holds a closed output pipe.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<transmem::Error>()
                .is_some_and(|t| t.is_broken_pipe())
    })
}

/// Buffered, locked stdout.
pub fn stdout() -> BufWriter<std::io::StdoutLock<'static>> {
    BufWriter::new(std::io::stdout().lock())
}

/// Reads a UTF-8 text file, or stdin for `-` / no file.
pub fn read_input(file: Option<&Path>) -> anyhow::Result<(String, String)> {
    match file {
        Some(p) if p != Path::new("-") => {
            Ok((p.display().to_string(), transmem::error::read_text(p)?))
        }
        _ => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("reading standard input")?;
            Ok((
                "<stdin>".into(),
                transmem::error::decode_utf8("<stdin>", buf)?,
            ))
        }
    }
}

/// A language tag from the command line, canonicalised.
pub fn lang_arg(tag: &str) -> anyhow::Result<String> {
    Ok(transmem::lang::normalize_tag(tag)?)
}

/// Writes `s` as one JSON value followed by a newline.
pub fn write_json_line(out: &mut impl Write, v: &impl serde::Serialize) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, v)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// A progress bar on stderr for `len` steps drawn with indicatif `template`,
/// shown only when stderr is a terminal and `len` is at least `min`;
/// elsewhere a hidden bar that costs nothing.
pub fn progress(len: u64, min: u64, template: &str) -> indicatif::ProgressBar {
    if len < min || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        pb.set_style(style);
    }
    pb
}
