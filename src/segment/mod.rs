//! Sentence segmentation.
//!
//! The segmenter returns byte ranges into the input rather than copies, so
//! that the aligner and the exporters keep the exact original text. A line
//! break always ends a segment; within a line, a full stop, `?`, `!` or `…`
//! followed by white space and something that can start a sentence ends one,
//! unless the word before it is a known abbreviation.

use std::ops::Range;

/// A sentence splitter for one language.
#[derive(Debug, Clone)]
pub struct Segmenter {
    abbreviations: Vec<String>,
}

const EN_ABBR: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "no", "vs", "inc", "ltd", "gen", "sen", "rep",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "e.g", "i.e",
    "etc", "u.s", "u.k", "co", "corp", "gov", "lt", "col", "capt", "sgt", "mt", "ft", "approx",
];
const RU_ABBR: &[&str] = &[
    "г", "гг", "т.е", "т.д", "т.п", "др", "им", "ул", "д", "стр", "тыс", "руб", "долл", "ст", "см",
    "рис", "н.э", "проф", "акад", "т.н", "пр", "с", "п", "чел", "ок", "млн", "млрд",
];

impl Segmenter {
    /// The built-in rules for `lang` (a tag such as `en` or `ru-RU`).
    pub fn for_lang(lang: &str) -> Segmenter {
        let list: &[&str] = match crate::lang::primary(&lang.to_ascii_lowercase()) {
            "ru" => RU_ABBR,
            "en" => EN_ABBR,
            _ => &[],
        };
        Segmenter {
            abbreviations: list.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Byte ranges of the segments of `text`, each trimmed of surrounding
    /// white space, in order; empty lines yield nothing.
    pub fn split(&self, text: &str) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut line_start = 0;
        for line in text.split_inclusive('\n') {
            self.split_line(text, line_start, line_start + line.len(), &mut out);
            line_start += line.len();
        }
        out
    }

    fn split_line(&self, text: &str, start: usize, end: usize, out: &mut Vec<Range<usize>>) {
        let line = &text[start..end];
        let mut seg_start = 0;
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        let mut i = 0;
        while i < chars.len() {
            let (pos, c) = chars[i];
            if matches!(c, '.' | '!' | '?' | '…') {
                let mut j = i + 1;
                while j < chars.len() && matches!(chars[j].1, '.' | '!' | '?' | '…' | '"' | '»' | '”' | '’' | ')') {
                    j += 1;
                }
                let ws_end = {
                    let mut k = j;
                    while k < chars.len() && chars[k].1.is_whitespace() {
                        k += 1;
                    }
                    k
                };
                if ws_end > j && ws_end < chars.len() {
                    let next = chars[ws_end].1;
                    let starts = next.is_uppercase()
                        || next.is_ascii_digit()
                        || matches!(next, '"' | '«' | '“' | '„' | '(' | '—' | '–' | '-');
                    if starts && !(c == '.' && self.is_abbreviation(&line[seg_start..pos])) {
                        push_trimmed(text, start + seg_start, start + chars[j - 1].0 + chars[j - 1].1.len_utf8(), out);
                        seg_start = chars[ws_end].0;
                        i = ws_end;
                        continue;
                    }
                }
                i = j.max(i + 1);
                continue;
            }
            let _ = pos;
            i += 1;
        }
        push_trimmed(text, start + seg_start, end, out);
    }

    fn is_abbreviation(&self, before: &str) -> bool {
        let word = before
            .rsplit(|c: char| c.is_whitespace() || c == '(' || c == '«' || c == '"')
            .next()
            .unwrap_or("");
        if word.chars().count() == 1 && word.chars().all(char::is_uppercase) {
            return true; // an initial: "J. Smith", "В. Путин"
        }
        let lower = word.to_lowercase();
        self.abbreviations.iter().any(|a| *a == lower)
    }
}

fn push_trimmed(text: &str, mut s: usize, mut e: usize, out: &mut Vec<Range<usize>>) {
    let piece = &text[s..e];
    let lead = piece.len() - piece.trim_start().len();
    let trail = piece.len() - piece.trim_end().len();
    if lead == piece.len() {
        return;
    }
    s += lead;
    e -= trail;
    out.push(s..e);
}

/// Segments `text` with the built-in rules for `lang`.
pub fn segment(text: &str, lang: &str) -> Vec<Range<usize>> {
    Segmenter::for_lang(lang).split(text)
}

/// A segment of a document: its byte range and its paragraph number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub range: Range<usize>,
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
pub fn paragraphs(text: &str) -> Vec<Range<usize>> {
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
        segment(text, lang).into_iter().map(|r| text[r].to_string()).collect()
    }

    #[test]
    fn splits_simple_sentences() {
        assert_eq!(seg("One. Two! Three?", "en"), ["One.", "Two!", "Three?"]);
    }

    #[test]
    fn keeps_abbreviations_and_initials() {
        assert_eq!(seg("Mr. Smith met J. Doe. Then he left.", "en"), ["Mr. Smith met J. Doe.", "Then he left."]);
        assert_eq!(seg("Встреча с В. Путиным. Он ушёл.", "ru"), ["Встреча с В. Путиным.", "Он ушёл."]);
    }

    #[test]
    fn line_break_ends_segment() {
        assert_eq!(seg("Title\nBody text. More", "en"), ["Title", "Body text.", "More"]);
    }

    #[test]
    fn presegmented_lines_and_paragraphs() {
        let t = " a \nb\n\nc";
        let got: Vec<(&str, usize)> = lines(t).into_iter().map(|p| (&t[p.range], p.para)).collect();
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
