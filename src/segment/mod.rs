//! Sentence segmentation.
//!
//! The segmenter returns byte ranges into the input rather than copies, so
//! that the aligner and the exporters keep the exact original text. A line
//! break always ends a segment; within a line, an ordered list of SRX-style
//! break / no-break rules decides (see `engine`). The built-in rules for
//! English, Russian, German, French, Spanish, Italian, Portuguese, Polish
//! and Ukrainian cascade into a language-neutral default set (see
//! [`rules`]); [`Segmenter::from_srx_file`] loads SRX 2.0 rule files instead.

mod engine;
mod evidence;
mod learnt;
mod native;
pub mod rules;
mod srx;

pub use engine::{RuleError, RuleSource};
pub use evidence::{Evidence, MEMORY_SAMPLE, Thresholds};
pub use learnt::{EN_ORDINARY_LEARNT, EN_STARTERS_LEARNT};

use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, LazyLock};

use crate::error::{Error, Result};
use engine::Engine;

/// A sentence splitter for one language. Cloning is cheap (the compiled
/// rules are shared).
#[derive(Debug, Clone)]
pub struct Segmenter {
    engine: Arc<Engine>,
}

/// Characters that end a line; a segment never spans one.
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

fn builtin(primary: &str) -> Segmenter {
    // The built-in rules are fixed text covered by the tests (every pattern
    // compiles); they compile lazily, each the first time a text needs it.
    let engine = Engine::lazy(
        &rules::for_primary(primary),
        Some(engine::Scanner::Func(rules::terminator_runs)),
        &rules::natives(primary),
    );
    Segmenter {
        engine: Arc::new(engine),
    }
}

static EN: LazyLock<Segmenter> = LazyLock::new(|| builtin("en"));
static RU: LazyLock<Segmenter> = LazyLock::new(|| builtin("ru"));
static DE: LazyLock<Segmenter> = LazyLock::new(|| builtin("de"));
static FR: LazyLock<Segmenter> = LazyLock::new(|| builtin("fr"));
static ES: LazyLock<Segmenter> = LazyLock::new(|| builtin("es"));
static IT: LazyLock<Segmenter> = LazyLock::new(|| builtin("it"));
static PT: LazyLock<Segmenter> = LazyLock::new(|| builtin("pt"));
static PL: LazyLock<Segmenter> = LazyLock::new(|| builtin("pl"));
static UK: LazyLock<Segmenter> = LazyLock::new(|| builtin("uk"));
static OTHER: LazyLock<Segmenter> = LazyLock::new(|| builtin(""));

impl Segmenter {
    /// The built-in rules for `lang` (a tag such as `en` or `ru-RU`: en, ru,
    /// de, fr, es, it, pt, pl, uk); other languages get the
    /// language-neutral default rules.
    pub fn for_lang(lang: &str) -> Segmenter {
        match crate::lang::primary_of(lang).as_str() {
            "en" => EN.clone(),
            "ru" => RU.clone(),
            "de" => DE.clone(),
            "fr" => FR.clone(),
            "es" => ES.clone(),
            "it" => IT.clone(),
            "pt" => PT.clone(),
            "pl" => PL.clone(),
            "uk" => UK.clone(),
            _ => OTHER.clone(),
        }
    }

    /// The built-in rules for `lang` ([`Segmenter::for_lang`]), also
    /// consulting what `evidence` (learnt from a memory's text of that
    /// language) adds to the built-in word lists: sentence starters and
    /// lowercase openers, ordinary words, names, abbreviations (see
    /// docs/segmentation.md, "Learning from the memory"). Evidence that
    /// adds nothing gives the plain built-in segmenter.
    pub fn for_lang_with_evidence(lang: &str, evidence: &Evidence) -> Segmenter {
        let primary = crate::lang::primary_of(lang);
        if evidence.is_empty() {
            return Segmenter::for_lang(lang);
        }
        let abbrevs = rules::builtin_abbrevs(&primary);
        let learnt = evidence.learnt(&|w| abbrevs.contains(w));
        if learnt.is_empty() {
            return Segmenter::for_lang(lang);
        }
        let learnt = Arc::new(learnt);
        let known = ["en", "ru", "de", "fr", "es", "it", "pt", "pl", "uk"];
        let primary = if known.contains(&primary.as_str()) {
            primary
        } else {
            String::new()
        };
        let mut rules_list = Vec::new();
        let mut natives = rules::natives_with(&primary, Some(learnt.clone()));
        if let Some((rule, native)) = rules::evidence_rule(&learnt) {
            rules_list.push(rule);
            natives.push(native);
        }
        rules_list.extend(rules::for_primary(&primary));
        let engine = Engine::lazy(
            &rules_list,
            Some(engine::Scanner::Func(rules::terminator_runs)),
            &natives,
        );
        Segmenter {
            engine: Arc::new(engine),
        }
    }

    /// A segmenter from explicit rules, in order (first match wins).
    pub fn from_rules(rules: &[RuleSource]) -> std::result::Result<Segmenter, engine::RuleError> {
        Ok(Segmenter {
            engine: Arc::new(Engine::new(rules)?),
        })
    }

    /// The rules an SRX 2.0 document gives `lang`; `path` names the file in
    /// errors, which also give the line and byte offset.
    pub fn from_srx(xml: &str, lang: &str, path: &Path) -> Result<Segmenter> {
        let doc = srx::Srx::parse(xml, path)?;
        let rules = doc.rules_for(lang, path)?;
        if rules.is_empty() {
            return Err(Error::parse(
                path,
                crate::error::Position::None,
                format!("no <languagemap> matches language {lang:?}"),
            ));
        }
        let (src, offs): (Vec<RuleSource>, Vec<u64>) = rules.into_iter().unzip();
        let engine = Engine::new(&src).map_err(|e| {
            let off = offs.get(e.index).copied().unwrap_or(0);
            Error::parse(path, srx::position(xml, off), format!("<rule>: {}", e.msg))
        })?;
        Ok(Segmenter {
            engine: Arc::new(engine),
        })
    }

    /// [`Segmenter::from_srx`] on a UTF-8 file.
    pub fn from_srx_file(path: &Path, lang: &str) -> Result<Segmenter> {
        let xml = crate::error::read_text(path)?;
        Segmenter::from_srx(&xml, lang, path)
    }

    /// Why `text` splits as it does: for each position where a break rule
    /// could apply, its byte offset, the index of the deciding rule (if any)
    /// and whether it broke.
    pub fn explain(&self, text: &str) -> Vec<(usize, Option<usize>, bool)> {
        let mut out = Vec::new();
        let mut start = 0;
        for line in text.split_inclusive(is_line_break) {
            let body = line.strip_suffix(is_line_break).unwrap_or(line);
            out.extend(
                self.engine
                    .trace_line(body)
                    .into_iter()
                    .map(|(p, r, b)| (start + p, r, b)),
            );
            start += line.len();
        }
        out
    }

    /// Number of rules in effect.
    pub fn rule_count(&self) -> usize {
        self.engine.len()
    }

    /// Byte ranges of the segments of `text`, each trimmed of surrounding
    /// white space, in order; blank lines yield nothing.
    pub fn split(&self, text: &str) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut start = 0;
        for line in text.split_inclusive(is_line_break) {
            let body = line.strip_suffix(is_line_break).unwrap_or(line);
            self.engine.split_line(body, start, &mut out);
            start += line.len();
        }
        out
    }
}

/// Segments `text` with the built-in rules for `lang`.
pub fn segment(text: &str, lang: &str) -> Vec<Range<usize>> {
    Segmenter::for_lang(lang).split(text)
}

/// A segment of a document: its byte range and its paragraph number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// Byte range in the document.
    pub range: Range<usize>,
    /// 0-based paragraph number.
    pub para: usize,
}

/// Segments a whole document: blank lines separate paragraphs, and each
/// paragraph is split with `seg`.
pub fn document(text: &str, seg: &Segmenter) -> Vec<Piece> {
    let mut out = Vec::new();
    for (para, p) in paragraphs(text).into_iter().enumerate() {
        for r in seg.split(&text[p.clone()]) {
            out.push(Piece {
                range: p.start + r.start..p.start + r.end,
                para,
            });
        }
    }
    out
}

/// A presegmented document: one segment per non-blank line (trimmed); blank
/// lines separate paragraphs.
pub fn lines(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let (mut pos, mut para, mut blank_before) = (0, 0, false);
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if t.is_empty() {
            blank_before = true;
        } else {
            if blank_before && !out.is_empty() {
                para += 1;
            }
            blank_before = false;
            let start = pos + (line.len() - line.trim_start().len());
            out.push(Piece {
                range: start..start + t.len(),
                para,
            });
        }
        pos += line.len();
    }
    out
}

/// Byte ranges of the blank-line separated paragraphs of `text`.
pub(crate) fn paragraphs(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let blank = line.trim().is_empty();
        match (blank, start) {
            (true, Some(s)) => {
                out.push(s..pos);
                start = None;
            }
            (false, None) => start = Some(pos),
            _ => {}
        }
        pos += line.len();
    }
    if let Some(s) = start {
        out.push(s..pos);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(text: &str, lang: &str) -> Vec<String> {
        segment(text, lang)
            .into_iter()
            .map(|r| text[r].to_string())
            .collect()
    }

    #[test]
    fn splits_simple_sentences() {
        assert_eq!(seg("One. Two! Three?", "en"), ["One.", "Two!", "Three?"]);
    }

    #[test]
    fn keeps_abbreviations_and_initials() {
        assert_eq!(
            seg("Mr. Smith met J. Doe. Then he left.", "en"),
            ["Mr. Smith met J. Doe.", "Then he left."]
        );
        assert_eq!(
            seg("Встреча с В. Путиным. Он ушёл.", "ru"),
            ["Встреча с В. Путиным.", "Он ушёл."]
        );
    }

    #[test]
    fn line_break_ends_segment() {
        assert_eq!(
            seg("Title\nBody text. More", "en"),
            ["Title", "Body text.", "More"]
        );
    }

    #[test]
    fn presegmented_lines_and_paragraphs() {
        let t = " a \nb\n\nc";
        let got: Vec<(&str, usize)> = lines(t)
            .into_iter()
            .map(|p| (&t[p.range], p.para))
            .collect();
        assert_eq!(got, [("a", 0), ("b", 0), ("c", 1)]);
    }

    #[test]
    fn document_numbers_paragraphs() {
        let t = "One. Two.\n\nThree.";
        let got: Vec<(&str, usize)> = document(t, &Segmenter::for_lang("en"))
            .into_iter()
            .map(|p| (&t[p.range], p.para))
            .collect();
        assert_eq!(got, [("One.", 0), ("Two.", 0), ("Three.", 1)]);
    }

    #[test]
    fn paragraphs_split_on_blank_lines() {
        let t = "a\nb\n\n\nc\n";
        let p: Vec<&str> = paragraphs(t).into_iter().map(|r| &t[r]).collect();
        assert_eq!(p, ["a\nb\n", "c\n"]);
    }
}
