//! What commands say about the candidate index: a line on stderr whenever
//! one is built or extended (never a silent pause), a progress bar on a
//! terminal, and the refresh that `import` and `align --store` run before
//! they return.

use std::time::Instant;

use transmem::matcher::index::{self, Event};
use transmem::memory::{Memory, Stamp};

/// Turns index [`Event`]s into stderr lines and a progress bar.
#[derive(Default)]
pub struct Report {
    bar: Option<indicatif::ProgressBar>,
    lang: String,
    started: Option<Instant>,
    /// After a write: the update is part of the write and said only when
    /// it takes long (see [`QUIET_FOR`]).
    quiet: bool,
    /// The pending "building ..." line, not printed yet (quiet mode).
    pending: Option<String>,
}

/// An index update after a write is announced once it has taken this long:
/// the quick append after every `import` or `align --store` ("building
/// the en match index ... (units were added)") was noise, but a long pause
/// is never silent.
const QUIET_FOR: std::time::Duration = std::time::Duration::from_secs(1);

impl Report {
    /// A report for the update that follows a write.
    pub fn after_write() -> Report {
        Report {
            quiet: true,
            ..Report::default()
        }
    }

    pub fn on(&mut self, e: &Event) {
        match e {
            Event::Start {
                lang,
                path,
                why,
                total,
            } => {
                let at = path
                    .as_deref()
                    .map(|p| format!(" {}", p.display()))
                    .unwrap_or_default();
                let line = format!("transmem: building the {lang} match index{at} ({why})");
                if self.quiet {
                    self.pending = Some(line);
                } else {
                    eprintln!("{line}");
                }
                self.lang = lang.clone();
                self.started = Some(Instant::now());
                self.bar = Some(super::progress(
                    *total,
                    1,
                    "{wide_bar} {percent}% {elapsed_precise} (eta {eta})",
                ));
            }
            Event::Progress(n) => {
                if self.started.is_some_and(|t| t.elapsed() >= QUIET_FOR)
                    && let Some(line) = self.pending.take()
                {
                    eprintln!("{line}");
                }
                if let Some(b) = &self.bar {
                    b.set_position(*n);
                }
            }
            Event::Done { entries } => {
                if let Some(b) = self.bar.take() {
                    b.finish_and_clear();
                }
                let secs = self.started.map_or(0.0, |t| t.elapsed().as_secs_f64());
                // Quiet and quick: nothing was said, nothing to close.
                if self.pending.take().is_some() && secs < QUIET_FOR.as_secs_f64() {
                    return;
                }
                eprintln!(
                    "transmem: {} match index ready: {entries} entries in {secs:.1} s",
                    self.lang
                );
            }
            Event::NotSaved(why) => eprintln!(
                "transmem: warning: the match index could not be saved ({why}); \
                 it is kept in memory for this run only"
            ),
            _ => {}
        }
    }
}

/// Loads a matcher, saying on stderr when its index has to be built first.
pub fn load_matcher(
    mem: &Memory,
    from: &str,
    to: &str,
) -> transmem::Result<transmem::matcher::Matcher> {
    let mut r = Report::default();
    transmem::matcher::Matcher::load_with(mem, from, to, &mut |e| r.on(e))
}

/// Brings the saved match indexes of `mem` up to date after a write that
/// started at stamp `before`: every language indexed already, and when
/// there is none yet, the language of the first variant this write stored
/// (the source of its first unit). An index that cannot be saved is a
/// warning (the units are committed, and the next lookup builds it); a
/// memory the update finds damaged is an error (exit 2), since the command
/// would otherwise end as a success on a memory that cannot be read.
pub fn refresh_after_write(mem: &Memory, before: &Stamp) -> anyhow::Result<()> {
    match refresh(mem, before) {
        Ok(()) => Ok(()),
        Err(e @ (transmem::Error::Corrupt { .. } | transmem::Error::SchemaTooNew { .. })) => {
            anyhow::bail!(
                "{e}; the write above was committed, but the memory needs repair \
                 (restore a copy, or export what can be read)"
            )
        }
        Err(e) => {
            eprintln!(
                "transmem: warning: the match index was not brought up to date ({e}); \
                 the next lookup will build it"
            );
            Ok(())
        }
    }
}

fn refresh(mem: &Memory, before: &Stamp) -> transmem::Result<()> {
    let Some(base) = mem.cache_base() else {
        return Ok(());
    };
    let mut langs: Vec<String> = Vec::new();
    for l in mem.languages()? {
        let p = transmem::lang::primary(&l).to_ascii_lowercase();
        if !langs.contains(&p) && index::path_for(&base, &p).exists() {
            langs.push(p);
        }
    }
    if langs.is_empty() {
        let now = mem.stamp()?;
        if now.variants > before.variants
            && let Some(v) = mem.variant(before.variants + 1)?
        {
            langs.push(transmem::lang::primary(&v.lang).to_ascii_lowercase());
        }
    }
    let mut r = Report::after_write();
    for l in langs {
        index::refresh(mem, &l, &mut |e| r.on(e))?;
    }
    Ok(())
}
