//! What commands say about the candidate index: a line on stderr whenever
//! one is built or extended (never a silent pause) and a progress bar on a
//! terminal. (A local memory, `transmem::tm::Local`, sends the events; it
//! also brings the index up to date after `import` and `align --store`.)

use std::time::Instant;

use transmem::matcher::index::Event;

/// Turns index [`Event`]s into stderr lines and a progress bar.
#[derive(Default)]
pub struct Report {
    bar: Option<indicatif::ProgressBar>,
    lang: String,
    started: Option<Instant>,
    /// The "building ..." line of an update that may pass unsaid.
    pending: Option<String>,
}

/// An index only extended by the units a write added (what follows every
/// `import` and `align --store`) is announced once it has taken this long:
/// "building the en match index ... (units were added)" after every write
/// was noise, but a long pause is never silent. A first build, a rebuild
/// and a damaged index are always said.
const QUIET_FOR: std::time::Duration = std::time::Duration::from_secs(1);

impl Report {
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
                if *why == transmem::matcher::index::Why::Appended {
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
                // Extended quickly: nothing was said, nothing to close.
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
            Event::Fetched { lang, bytes, took } => eprintln!(
                "transmem: fetched the {lang} match index from the database \
                 ({:.1} MB in {:.1} s)",
                *bytes as f64 / 1e6,
                took.as_secs_f64()
            ),
            Event::NotShared(why) => eprintln!(
                "transmem: warning: the match index could not be shared through the \
                 database ({why}); another machine will build its own"
            ),
            _ => {}
        }
    }
}
