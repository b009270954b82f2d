//! One file per subcommand, each with its clap `Args` and a `run` function
//! that returns the exit code (0 success, 1 nothing found); errors become 2.

pub mod align;
pub mod analyze;
pub mod concordance;
pub mod dedupe;
pub mod delete;
pub mod demo;
pub mod edit;
pub mod export;
pub mod history;
pub mod import;
pub mod indexing;
pub mod limits;
pub mod lookup;
pub mod merge;
pub mod output;
pub mod pretranslate;
pub mod replace;
pub mod segment;
pub mod serve;
pub mod stats;
pub mod token;
pub mod undo;
pub mod units;

use std::ffi::OsString;
use std::io::{BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::ValueEnum;
use transmem::memory::OnDuplicate;
use transmem::memory::{DateBound, Unit, UnitFilter};
use transmem::tm::{BatchInfo, Local, Location, Tm};
pub use transmem::tm::{stored_in, terminal_safe};

/// How every help text states where the memory is.
pub const MEMORY_HELP: &str = "Where the memory is: a file, postgresql://USER@HOST/DB, or \
     http(s)://HOST:PORT (a team's `transmem serve`, with --token) [env: TRANSMEM_MEMORY] \
     [default: default.sqlite in the per-user data folder (Linux: ~/.local/share/transmem), \
     the same from every folder]";

/// Options every subcommand accepts, before or after its name.
///
/// The memory is named by `--memory LOCATION` (or its aliases `--database`
/// and `--server`), else by the environment (`TRANSMEM_MEMORY`,
/// `TRANSMEM_DATABASE`, `TRANSMEM_SERVER`): an option on the command line
/// beats the environment, and naming two different memories on the same
/// level is an error, never a guess.
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    #[arg(long, global = true, value_name = "LOCATION", help = MEMORY_HELP)]
    pub memory: Option<PathBuf>,
    /// The same as --memory, for a PostgreSQL URL:
    /// postgresql://USER@HOST:PORT/DATABASE (see docs/server.md) [env: TRANSMEM_DATABASE]
    #[arg(long, global = true, value_name = "URL")]
    pub database: Option<String>,
    /// The same as --memory, for a team server: http(s)://HOST:PORT [env: TRANSMEM_SERVER]
    #[arg(long, global = true, value_name = "URL")]
    pub server: Option<String>,
    /// API token for a memory on a server (from `transmem token create`)
    #[arg(
        long,
        global = true,
        env = "TRANSMEM_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// Who is recorded as the creator of new units [default: the OS user]
    #[arg(long, global = true, value_name = "NAME")]
    pub creator: Option<String>,
    /// Colour on the terminal
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Encoding of the input text files, CSV/TSV and standard input
    /// (windows-1251, koi8-r, utf-16le, ...) [default: told from the bytes]
    #[arg(long, global = true, value_name = "NAME", value_parser = encoding_arg)]
    pub encoding: Option<transmem::formats::TextEncoding>,
}

fn encoding_arg(s: &str) -> Result<transmem::formats::TextEncoding, String> {
    transmem::formats::TextEncoding::parse(s).map_err(|e| e.to_string())
}

/// The language direction of a lookup-style command.
#[derive(clap::Args, Debug, Clone)]
pub struct Direction {
    /// Language of the text (source side of the matches)
    #[arg(long, value_name = "LANG", alias = "src-lang")]
    pub from: String,
    /// Language of the translations wanted
    #[arg(long, value_name = "LANG", alias = "tgt-lang")]
    pub to: String,
}

impl Direction {
    /// Both tags, canonicalised and checked against the IANA registry.
    pub fn tags(&self) -> anyhow::Result<(String, String)> {
        Ok((lang_arg(&self.from)?, lang_arg(&self.to)?))
    }

    /// [`Direction::tags`], suggesting the memory's nearest codes for one
    /// that is not a language (`--to rn` → ru).
    pub fn tags_in(&self, g: &Global) -> anyhow::Result<(String, String)> {
        Ok((
            lang_opt(g, &self.from, "--from")?,
            lang_opt(g, &self.to, "--to")?,
        ))
    }
}

/// `--on-duplicate` values (`import`, `align --store`).
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dup {
    KeepBoth,
    Skip,
    Overwrite,
}

impl From<Dup> for OnDuplicate {
    fn from(d: Dup) -> Self {
        match d {
            Dup::KeepBoth => OnDuplicate::KeepBoth,
            Dup::Skip => OnDuplicate::Skip,
            Dup::Overwrite => OnDuplicate::Overwrite,
        }
    }
}

/// When to colour output.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Which kind of location an option or variable may name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Any,
    Database,
    Server,
}

/// The location `value` names, checked against what `what` (an option or
/// variable) accepts.
fn location_of(what: &str, value: &Path, kind: Kind) -> anyhow::Result<Location> {
    let loc = match value.to_str() {
        Some(s) => Location::parse(s),
        None => Location::File(value.to_path_buf()),
    };
    match (kind, &loc) {
        (Kind::Database, Location::Database(_))
        | (Kind::Server, Location::Server(_))
        | (Kind::Any, _) => Ok(loc),
        (Kind::Database, _) => anyhow::bail!(
            "{what}: not a PostgreSQL URL; expected postgresql://USER@HOST:PORT/DATABASE"
        ),
        (Kind::Server, _) => {
            anyhow::bail!("{what}: not a server URL; expected http://HOST:PORT or https://HOST")
        }
    }
}

impl Global {
    /// Where the memory is: the one location named on the command line,
    /// else the one named in the environment, else the per-user default
    /// file. Two different memories named on the same level are an error
    /// (exit 2), so that no command ever writes where the user did not mean.
    pub fn location(&self) -> anyhow::Result<Location> {
        let cli: Vec<(&str, PathBuf, Kind)> = [
            ("--memory", self.memory.clone(), Kind::Any),
            (
                "--database",
                self.database.clone().map(PathBuf::from),
                Kind::Database,
            ),
            (
                "--server",
                self.server.clone().map(PathBuf::from),
                Kind::Server,
            ),
        ]
        .into_iter()
        .filter_map(|(n, v, k)| Some((n, v.filter(|p| !p.as_os_str().is_empty())?, k)))
        .collect();
        if let [(a, ..), (b, ..), ..] = cli.as_slice() {
            anyhow::bail!("give either {a} or {b}, not both: each names a memory");
        }
        if let Some((name, value, kind)) = cli.into_iter().next() {
            return location_of(name, &value, kind);
        }
        let env: Vec<(&str, OsString, Kind)> = [
            ("TRANSMEM_MEMORY", Kind::Any),
            ("TRANSMEM_DATABASE", Kind::Database),
            ("TRANSMEM_SERVER", Kind::Server),
        ]
        .into_iter()
        .filter_map(|(n, k)| Some((n, std::env::var_os(n).filter(|v| !v.is_empty())?, k)))
        .collect();
        let mut found: Option<(&str, Location)> = None;
        for (name, value, kind) in env {
            let loc = location_of(name, Path::new(&value), kind)?;
            match &found {
                Some((first, l)) if *l != loc => anyhow::bail!(
                    "{first} and {name} name different memories, not both; \
                     unset one, or give --memory LOCATION"
                ),
                Some(_) => {}
                None => found = Some((name, loc)),
            }
        }
        if let Some((_, loc)) = found {
            return Ok(loc);
        }
        Ok(Location::File(default_memory().unwrap_or_else(|| {
            eprintln!(
                "transmem: warning: no home folder, so no per-user data folder; \
                 using default.sqlite in the current folder (give --memory PATH)"
            );
            PathBuf::from("default.sqlite")
        })))
    }

    /// True when a location was named (command line or environment).
    pub fn names_a_location(&self) -> bool {
        [
            &self.memory,
            &self.database.clone().map(PathBuf::from),
            &self.server.clone().map(PathBuf::from),
        ]
        .iter()
        .any(|v| v.as_ref().is_some_and(|p| !p.as_os_str().is_empty()))
            || ["TRANSMEM_MEMORY", "TRANSMEM_DATABASE", "TRANSMEM_SERVER"]
                .iter()
                .any(|n| std::env::var_os(n).is_some_and(|v| !v.is_empty()))
    }

    /// Opens the memory the user named (see [`Global::location`]). With
    /// `create`, a missing file or database memory is created; without, it
    /// is an error (a lookup never creates one). A local memory says on
    /// stderr when its match index is being built.
    pub fn open(&self, create: bool) -> anyhow::Result<Box<dyn Tm>> {
        let loc = self.location()?;
        if loc.is_server() {
            return Ok(loc.open(create, self.token.as_deref())?);
        }
        let mut local = Local::new(loc.open_memory(create)?, loc);
        let mut report = indexing::Report::default();
        local.set_events(Box::new(move |e| report.on(e)));
        Ok(Box::new(local))
    }

    /// The batch a write is recorded in: this command line, by `--creator`.
    pub fn batch(&self) -> BatchInfo {
        BatchInfo {
            command: command_line(),
            user: Some(self.creator()),
        }
    }

    /// The creator to record: `--creator`, else the OS user (`USER`,
    /// `USERNAME`, else the account the process runs as, so that a service
    /// or container without `USER` does not record `unknown`).
    pub fn creator(&self) -> String {
        self.creator
            .clone()
            .filter(|s| !s.is_empty())
            .or_else(|| std::env::var("USER").ok().filter(|s| !s.is_empty()))
            .or_else(|| std::env::var("USERNAME").ok().filter(|s| !s.is_empty()))
            .or_else(os_account)
            .unwrap_or_else(|| "unknown".into())
    }

    /// The `--encoding` chosen, else [`transmem::formats::TextEncoding::Auto`].
    pub fn text_encoding(&self) -> transmem::formats::TextEncoding {
        self.encoding.unwrap_or_default()
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

/// The name of the account this process runs as, from the system's user
/// database (`getpwuid_r` of the effective uid); `None` where there is
/// none (a uid without an entry) or on other systems.
fn os_account() -> Option<String> {
    #[cfg(unix)]
    {
        let mut buf = vec![0u8; 4096];
        // SAFETY: `passwd` is plain data that getpwuid_r fills; `buf` is
        // the scratch space it points into, alive while `pw` is read; the
        // result pointer is checked before use.
        unsafe {
            let mut pw: libc::passwd = std::mem::zeroed();
            let mut found: *mut libc::passwd = std::ptr::null_mut();
            let rc = libc::getpwuid_r(
                libc::geteuid(),
                &mut pw,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut found,
            );
            if rc != 0 || found.is_null() || pw.pw_name.is_null() {
                return None;
            }
            let name = std::ffi::CStr::from_ptr(pw.pw_name)
                .to_string_lossy()
                .into_owned();
            (!name.is_empty()).then_some(name)
        }
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// `default.sqlite` in the per-user data folder (`directories` knows the
/// convention of each OS); `None` without a home folder.
pub fn default_memory() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "transmem").map(|d| d.data_dir().join("default.sqlite"))
}

/// The command line as typed (arguments with spaces or quotes quoted), the
/// name a write batch is listed under in `transmem history`; secrets left
/// out: a `--token` value and any password in a URL are `***` (a batch is
/// shown to everyone who reads the history).
pub fn command_line() -> String {
    redacted_command(
        std::env::args_os()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned()),
    )
}

fn redacted_command(args: impl Iterator<Item = String>) -> String {
    let mut parts = vec!["transmem".to_string()];
    let mut secret_next = false;
    for a in args {
        let a = if std::mem::take(&mut secret_next) {
            "***".to_string()
        } else if a == "--token" {
            secret_next = true;
            a
        } else if a.starts_with("--token=") {
            "--token=***".to_string()
        } else if a.contains("://") {
            match a.split_once('=') {
                Some((opt, url)) if opt.starts_with("--") => {
                    format!("{opt}={}", transmem::tm::redact(url))
                }
                _ => transmem::tm::redact(&a),
            }
        } else {
            a
        };
        if a.is_empty() || a.contains(|c: char| c.is_whitespace() || "'\"\\$`".contains(c)) {
            parts.push(format!("'{}'", a.replace('\'', "'\\''")));
        } else {
            parts.push(a);
        }
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_batch_never_records_a_secret() {
        let args = [
            "--memory",
            "postgresql://ann:pw@db/tm",
            "--token",
            "s3cret",
            "--server=https://bot:pw2@tm.example.org",
            "--token=s4",
            "edit",
            "7",
            "--text",
            "it's",
        ];
        let c = super::redacted_command(args.iter().map(|s| s.to_string()));
        assert_eq!(
            c,
            "transmem --memory postgresql://ann:***@db/tm --token *** \
             --server=https://bot:***@tm.example.org --token=*** edit 7 --text 'it'\\''s'"
        );
    }
}

/// The line every write ends with after its counts: which batch holds its
/// changes, so the user can undo it.
pub fn report_batch(batch: Option<i64>) {
    match batch {
        Some(b) => eprintln!("recorded as batch {b} (`transmem undo {b}` reverts it)"),
        None => eprintln!("nothing changed; no batch recorded"),
    }
}

/// Prints the warnings of a write (the units are stored either way).
pub fn report_warnings(warnings: &[String]) {
    for w in warnings {
        eprintln!("transmem: warning: {w}");
    }
}

/// Highest `--limit` accepted: more matches than anyone reads, and a bound
/// on the memory a lookup reserves (`--limit 1000000000` used to abort).
pub const MAX_LIMIT: usize = transmem::tm::MAX_LIMIT;

/// Parses a `--limit`: 1 to [`MAX_LIMIT`] (a usage error otherwise).
pub fn limit(s: &str) -> Result<usize, String> {
    match s.trim().parse::<u128>() {
        Ok(n) if (1..=MAX_LIMIT as u128).contains(&n) => Ok(n as usize),
        Ok(_) => Err(format!("must be between 1 and {MAX_LIMIT}")),
        Err(_) => Err(format!("not a whole number; give 1 to {MAX_LIMIT}")),
    }
}

/// Parses a score threshold in percent: 0 to 101 (101 is a context match).
pub fn percent(s: &str) -> Result<f64, String> {
    match s.trim().trim_end_matches('%').parse::<f64>() {
        Ok(v) if (0.0..=101.0).contains(&v) => Ok(v),
        Ok(_) => Err("must be a percentage between 0 and 101".into()),
        Err(_) => Err("not a number; give a percentage between 0 and 101".into()),
    }
}

/// Fails (exit 2) when `lang` has no text in the memory, naming the
/// languages it does hold: "no match" would wrongly suggest the memory was
/// searched.
pub fn require_language(tm: &dyn Tm, lang: &str, option: &str) -> anyhow::Result<()> {
    // `languages`, not `stats`: the store answers it from its per-language
    // counts, where the full statistics took 18 s at 10M units.
    let held = transmem::tm::primaries(tm)?;
    let want = transmem::lang::primary(lang).to_ascii_lowercase();
    if !held.contains(&want) {
        anyhow::bail!(
            "{option} {lang}: the memory {} holds no {lang} text; {}",
            tm.location(),
            transmem::lang::holdings(&want, &held)
        );
    }
    Ok(())
}

/// Options that choose units (every one given narrows the choice): the
/// filters of `units`, `delete` and `replace`.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Filters")]
pub struct FilterArgs {
    /// Only these unit ids (comma-separated or repeated)
    #[arg(long = "id", value_delimiter = ',', value_name = "ID")]
    pub ids: Vec<i64>,
    /// Origin glob (`*` any run, `?` one character): news/*.tmx
    #[arg(long, value_name = "GLOB")]
    pub origin: Option<String>,
    /// Exact creator (`--creator` is the global option naming who writes)
    #[arg(long, value_name = "NAME")]
    pub created_by: Option<String>,
    /// Changed (else created) on or after this day: 2026-01-31
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Changed (else created) on or before this day (inclusive)
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Regular expression some variant's text must match: (?i) for any case
    #[arg(long = "match", value_name = "REGEX")]
    pub pattern: Option<String>,
}

impl FilterArgs {
    /// The filter, with `langs` as the units' required languages; each
    /// part checked first, so that a bad one is named by its option.
    pub fn filter(&self, langs: &[String]) -> anyhow::Result<transmem::tm::Filter> {
        let langs = langs
            .iter()
            .map(|l| lang_arg(l))
            .collect::<anyhow::Result<Vec<_>>>()?;
        if let Some(o) = &self.origin {
            UnitFilter::glob(o).context("--origin")?;
        }
        for (opt, v) in [("--since", &self.since), ("--until", &self.until)] {
            if let Some(d) = v {
                DateBound::parse(d).context(opt)?;
            }
        }
        if let Some(p) = &self.pattern {
            regex::Regex::new(p).context("--match")?;
        }
        Ok(transmem::tm::Filter {
            ids: self.ids.clone(),
            langs,
            origin: self.origin.clone(),
            created_by: self.created_by.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
            pattern: self.pattern.clone(),
        })
    }

    /// True when no filter was given (the whole memory).
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
            && self.origin.is_none()
            && self.created_by.is_none()
            && self.since.is_none()
            && self.until.is_none()
            && self.pattern.is_none()
    }
}

/// How units are listed (`units`, `delete --dry-run`).
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitFormat {
    /// A header line per unit, then one line per variant
    Table,
    /// One JSON object per unit: every stored field
    Jsonl,
    /// One row per variant: id, lang, text, origin, creator, created, changed
    Tsv,
}

/// One unit in `format`.
pub fn write_unit(out: &mut impl Write, u: &Unit, format: UnitFormat) -> std::io::Result<()> {
    let id = u.id.unwrap_or_default();
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    match format {
        UnitFormat::Jsonl => {
            serde_json::to_writer(&mut *out, u)?;
            writeln!(out)
        }
        UnitFormat::Tsv => {
            let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
            for v in &u.variants {
                writeln!(
                    out,
                    "{id}\t{}\t{}\t{}\t{}\t{}\t{}",
                    v.lang,
                    clean(&v.text),
                    clean(&opt(&u.origin)),
                    clean(&opt(&u.creator)),
                    opt(&u.created),
                    opt(&u.changed)
                )?;
            }
            Ok(())
        }
        UnitFormat::Table => {
            let mut head = format!("#{id}");
            for (k, v) in [
                ("origin", &u.origin),
                ("creator", &u.creator),
                ("created", &u.created),
                ("changed", &u.changed),
                ("changer", &u.changer),
            ] {
                if let Some(v) = v {
                    head.push_str(&format!("  {k}={}", terminal_safe(v)));
                }
            }
            writeln!(out, "{head}")?;
            let width = u.variants.iter().map(|v| v.lang.len()).max().unwrap_or(0);
            for v in &u.variants {
                writeln!(out, "  {:width$}  {}", v.lang, terminal_safe(&v.text))?;
            }
            Ok(())
        }
    }
}

pub use transmem::server::token_hash;

/// A new API token secret: 32 bytes from the OS random source, as hex.
pub fn new_secret() -> anyhow::Result<String> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("no OS random source: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// True when the error chain holds a closed output pipe.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<transmem::Error>()
                .is_some_and(|t| t.is_broken_pipe())
            // serde_json keeps the io::Error inside and does not give it as
            // the source: `lookup --format jsonl | head -c 10` said
            // "Broken pipe" and exited 2.
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

/// Buffered, locked stdout.
pub fn stdout() -> BufWriter<std::io::StdoutLock<'static>> {
    BufWriter::new(std::io::stdout().lock())
}

/// Reads a text file, or stdin for `-` / no file, in the `--encoding`
/// given or the one its bytes show (saying so when it is not UTF-8).
/// An empty input is an error naming it.
pub fn read_input(g: &Global, file: Option<&Path>) -> anyhow::Result<(String, String)> {
    match file {
        Some(p) if p != Path::new("-") => Ok((p.display().to_string(), read_text(g, p)?)),
        _ => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("reading standard input")?;
            let name = Path::new("<stdin>");
            let (text, how) = transmem::formats::decode_text(name, buf, g.text_encoding())?;
            note_encoding("<stdin>", &how);
            if text.trim().is_empty() {
                return Err(transmem::Error::Empty {
                    path: name.to_path_buf(),
                }
                .into());
            }
            Ok(("<stdin>".into(), text))
        }
    }
}

/// Reads the text file `path` in the `--encoding` given or the one its
/// bytes show, saying on stderr which when it is not plain UTF-8. An empty
/// file is an error naming it.
pub fn read_text(g: &Global, path: &Path) -> anyhow::Result<String> {
    let (text, how) = transmem::error::read_text_as(path, g.text_encoding())?;
    note_encoding(&path.display().to_string(), &how);
    Ok(text)
}

/// Says on stderr how an input was decoded, unless it was plain UTF-8.
pub fn note_encoding(name: &str, how: &transmem::formats::Decoding) {
    if !how.is_plain_utf8() {
        eprintln!("transmem: {name}: read as {}", how.describe());
    }
}

/// A language tag from the command line, canonicalised; one whose
/// subtags are not in the IANA registry (`xx`, `en-AB`) is refused, never
/// stored.
pub fn lang_arg(tag: &str) -> anyhow::Result<String> {
    let t = transmem::lang::normalize_tag(tag)?;
    transmem::lang::check_registered(&t)?;
    Ok(t)
}

/// [`lang_arg`] for `option`, suggesting the nearest languages the memory
/// holds when `tag` is not one ("--to xx: xx is not a language ...; did
/// you mean ...?").
pub fn lang_opt(g: &Global, tag: &str, option: &str) -> anyhow::Result<String> {
    let t = transmem::lang::normalize_tag(tag).map_err(|e| anyhow::anyhow!("{option}: {e}"))?;
    if let Err(e) = transmem::lang::check_registered(&t) {
        let held = held_languages(g);
        let near = transmem::lang::nearest(&t, &held);
        let hint = if !near.is_empty() {
            format!("; did you mean {}?", near.join(" or "))
        } else if !held.is_empty() {
            format!("; the memory holds {}", held.join(", "))
        } else {
            String::new()
        };
        anyhow::bail!("{option} {tag}: {e}{hint}");
    }
    Ok(t)
}

/// The languages of the memory `g` names, if it exists (for suggestions).
pub fn held_languages(g: &Global) -> Vec<String> {
    g.open(false)
        .ok()
        .and_then(|tm| transmem::tm::primaries(&*tm).ok())
        .unwrap_or_default()
}

/// Refuses (exit 2) `name`'s text when its letters are not in `lang`'s
/// script, unless `force`; see [`transmem::script::input_mismatch`].
/// `held` is asked for the memory's languages only when the text does not
/// fit (on a server, a request the usual case does not send).
pub fn check_script(
    name: &str,
    text: &str,
    (lang, option): (&str, &str),
    other: &str,
    held: &dyn Fn() -> Vec<String>,
    force: bool,
) -> anyhow::Result<()> {
    if force || transmem::script::input_mismatch(name, text, lang, option, other, &[]).is_none() {
        return Ok(());
    }
    match transmem::script::input_mismatch(name, text, lang, option, other, &held()) {
        Some(m) => anyhow::bail!(m),
        None => Ok(()),
    }
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
