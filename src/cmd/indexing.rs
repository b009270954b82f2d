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
}

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
                eprintln!("transmem: building the {lang} match index{at} ({why})");
                self.lang = lang.clone();
                self.started = Some(Instant::now());
                self.bar = Some(super::progress(
                    *total,
                    1,
                    "{wide_bar} {percent}% {elapsed_precise} (eta {eta})",
                ));
            }
            Event::Progress(n) => {
                if let Some(b) = &self.bar {
                    b.set_position(*n);
                }
            }
            Event::Done { entries } => {
                if let Some(b) = self.bar.take() {
                    b.finish_and_clear();
                }
                let secs = self.started.map_or(0.0, |t| t.elapsed().as_secs_f64());
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
