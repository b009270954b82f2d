//! A self-contained review page for an alignment, on which a translator
//! corrects links (join, split, move a segment, unlink, edit, confirm, undo)
//! and saves the corrections as `{"links": [...]}` for
//! `align --store --review`.
//!
//! The page is one HTML file: markup, CSS and script are the project's own
//! assets (`review/`), inlined; the alignment travels as JSON in a
//! `<script type="application/json">` element. No network, fonts or external
//! scripts. See `docs/review.md` for the shortcuts and the saved format.

use std::collections::HashSet;
use std::io::{self, Write};

use super::Link;
use super::anchors::{skeleton, translit};
use crate::formats::escape_xml as escape;

const PAGE: &str = include_str!("review/page.html");
const STYLE: &str = include_str!("review/review.css");
const SCRIPT: &str = include_str!("review/review.js");

/// What the page needs besides the links.
#[derive(Debug, Clone, Default)]
pub struct Page<'a> {
    /// The page's `<title>` and heading (usually the two file names).
    pub title: &'a str,
    /// Language tags of the two sides.
    pub langs: (&'a str, &'a str),
    /// Where the page also POSTs its corrections (a server serving a stored
    /// alignment sets it); `None` for a page written to a file, which saves
    /// by download only.
    pub save_url: Option<&'a str>,
}

/// Anchor keys of a segment's tokens: `(token as written, key)`. A key is
/// shared by tokens a translation keeps: numbers (their digits) and
/// capitalised words or acronyms (the first three letters of the consonant
/// skeleton of their Latin transliteration, as the aligner's anchors use),
/// so `Putin` and `Путина` meet. The page highlights, within a link, the
/// tokens whose key occurs on both sides, and recomputes that after every
/// correction, so the keys travel per segment rather than per link.
pub(crate) fn anchor_tokens(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    // Split as the aligner's anchors do, so `Tymoshenko's` yields the name;
    // a number written in groups (`120 000`, `45\u{a0}000`, as Russian
    // writes `120,000`) is one token, so that its digits meet.
    for raw in split_words(text) {
        let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
        if word.is_empty() {
            continue;
        }
        let key = if word.chars().any(|c| c.is_ascii_digit()) {
            let digits: String = word.chars().filter(char::is_ascii_alphanumeric).collect();
            format!("n:{}", digits.to_lowercase())
        } else if word.chars().next().is_some_and(char::is_uppercase)
            && word.chars().all(char::is_alphabetic)
            && word.chars().count() >= 2
        {
            let sk: String = skeleton(&translit(word)).chars().take(3).collect();
            if sk.chars().count() < 2 {
                continue;
            }
            format!("w:{sk}")
        } else {
            continue;
        };
        if seen.insert((word.to_string(), key.clone())) {
            out.push((word.to_string(), key));
        }
    }
    out
}

/// A segment's fingerprint: FNV-1a (32 bits, a number JavaScript holds
/// exactly) of its text as the file gave it. The page saves them with the
/// corrections, and `--review` compares them with the files it is given.
pub fn text_hash(text: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in text.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// The words of `text` for anchors: split at white space, dashes, `/` and
/// apostrophes, with the groups of a number joined: 1 to 3 digits followed
/// by groups of exactly 3 digits, each after one space (plain, no-break,
/// narrow no-break or thin).
fn split_words(text: &str) -> Vec<&str> {
    let sep = |c: char| c.is_whitespace() || matches!(c, '—' | '–' | '/' | '\'' | '’');
    let group_space = |c: char| matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}');
    // (start, end) byte ranges of the pieces between separators.
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if sep(c) {
            if let Some(s) = start.take() {
                pieces.push((s, i));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        pieces.push((s, text.len()));
    }
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mut out = Vec::with_capacity(pieces.len());
    let mut k = 0;
    while k < pieces.len() {
        let (s, mut e) = pieces[k];
        let lead = text[s..e].trim_start_matches(|c: char| !c.is_alphanumeric());
        if digits(lead) && lead.len() <= 3 {
            while let Some(&(ns, ne)) = pieces.get(k + 1) {
                let gap = &text[e..ns];
                let next = &text[ns..ne];
                let body = next.trim_end_matches(|c: char| !c.is_alphanumeric());
                let one_space = gap.chars().count() == 1 && gap.chars().all(group_space);
                if !(one_space && body.len() == 3 && digits(body)) {
                    break;
                }
                e = ne;
                k += 1;
                if body.len() != next.len() {
                    break;
                }
            }
        }
        out.push(&text[s..e]);
        k += 1;
    }
    out
}

/// The embedded data: JSON, with `<` escaped so no text can close the
/// script element. `originals` are the files' segments (the page may show
/// edited ones), whose fingerprints the page saves back.
fn data_json(
    links: &[Link],
    src: &[&str],
    tgt: &[&str],
    page: &Page,
    originals: (&[&str], &[&str]),
) -> String {
    let hashes = |t: &[&str]| t.iter().map(|s| text_hash(s)).collect::<Vec<u32>>();
    let anchors = |texts: &[&str]| -> Vec<Vec<(String, String)>> {
        texts.iter().map(|t| anchor_tokens(t)).collect()
    };
    let links: Vec<serde_json::Value> = links
        .iter()
        .map(|l| {
            serde_json::json!({
                "src": l.src, "tgt": l.tgt,
                "score": (l.confidence * 1000.0).round() / 1000.0,
            })
        })
        .collect();
    let v = serde_json::json!({
        "title": page.title,
        "langs": [page.langs.0, page.langs.1],
        "save_url": page.save_url,
        "src": src,
        "tgt": tgt,
        "src_anchors": anchors(src),
        "tgt_anchors": anchors(tgt),
        "links": links,
        "texts": {"src": hashes(originals.0), "tgt": hashes(originals.1)},
    });
    // `<` only occurs inside JSON strings, where `\u003c` means the same.
    v.to_string().replace('<', "\\u003c")
}

/// Writes the review page for `links` over the segment texts of both sides.
pub fn write(
    out: &mut impl Write,
    links: &[Link],
    src: &[&str],
    tgt: &[&str],
    page: &Page,
) -> io::Result<()> {
    write_over(out, links, src, tgt, page, (src, tgt))
}

/// [`write()`] for a review that goes on: `src`/`tgt` hold the translator's
/// edits, `originals` the files' own segments, whose fingerprints the page
/// saves with the corrections.
pub fn write_over(
    out: &mut impl Write,
    links: &[Link],
    src: &[&str],
    tgt: &[&str],
    page: &Page,
    originals: (&[&str], &[&str]),
) -> io::Result<()> {
    let body = PAGE
        .replace("{{TITLE}}", &escape(page.title))
        .replace("{{SRC_LANG}}", &escape(page.langs.0))
        .replace("{{TGT_LANG}}", &escape(page.langs.1));
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(
        out,
        "<html lang=\"{}\"><head><meta charset=\"utf-8\">",
        escape(page.langs.0)
    )?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(
        out,
        "<meta name=\"color-scheme\" content=\"light dark\"><title>{}</title>",
        escape(page.title)
    )?;
    writeln!(out, "<style>{STYLE}</style></head><body>")?;
    out.write_all(body.as_bytes())?;
    writeln!(
        out,
        "<script type=\"application/json\" id=\"tm-data\">{}</script>",
        data_json(links, src, tgt, page, originals)
    )?;
    writeln!(out, "<script>{SCRIPT}</script>")?;
    writeln!(out, "</body></html>")
}

/// One link of a corrections file: the object `align --format jsonl`
/// prints, as the page saves it.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Reviewed {
    /// Source segment indices of the link, rising; empty for a target-only link.
    pub src: Vec<usize>,
    /// Target segment indices of the link, rising; empty for a source-only link.
    pub tgt: Vec<usize>,
    /// The source side's text, edited or not; absent: the segments joined.
    #[serde(default)]
    pub src_text: Option<String>,
    #[serde(default)]
    /// The target side's text, edited or not; absent: the segments joined.
    pub tgt_text: Option<String>,
    /// Confidence; the page gives 1 to every link the translator made,
    /// changed or confirmed. Absent: 1.
    #[serde(default)]
    pub score: Option<f64>,
}

/// A corrections file: `{"links": [...], "texts": {...}}`.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Corrections {
    /// The links in source order.
    pub links: Vec<Reviewed>,
    /// The fingerprints ([`text_hash`]) of the segments of the texts the
    /// corrections were made for, as the page saves them; absent in a file
    /// from an older page or from `align --format jsonl`.
    #[serde(default)]
    pub texts: Option<TextHashes>,
}

/// Per-segment fingerprints of both texts.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct TextHashes {
    /// Source segments'.
    pub src: Vec<u32>,
    /// Target segments'.
    pub tgt: Vec<u32>,
}

impl Corrections {
    /// Parses and checks a corrections file against the segment counts of
    /// the two texts: every index exists, and each side's indices rise
    /// strictly through the file (as the page keeps them), which also
    /// catches a file saved for other texts or another segmentation.
    pub fn parse(json: &str, n_src: usize, n_tgt: usize) -> Result<Corrections, String> {
        let c: Corrections = serde_json::from_str(json).map_err(|e| {
            format!(
                "not a corrections file ({{\"links\": [...]}}): {e} (line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        let mut last: (Option<usize>, Option<usize>) = (None, None);
        for (k, l) in c.links.iter().enumerate() {
            let at = |msg: String| format!("link {} of {}: {msg}", k + 1, c.links.len());
            if l.src.is_empty() && l.tgt.is_empty() {
                return Err(at("no segment on either side".into()));
            }
            for (ids, n, name, last) in [
                (&l.src, n_src, "source", &mut last.0),
                (&l.tgt, n_tgt, "target", &mut last.1),
            ] {
                for &i in ids {
                    // Numbered from 1, as the page labels them.
                    if i >= n {
                        return Err(at(format!(
                            "{name} segment {} does not exist (the {name} text has {n} segments: \
                             were the corrections saved for these files and options?)",
                            i + 1
                        )));
                    }
                    if last.is_some_and(|p| i <= p) {
                        return Err(at(format!(
                            "{name} segment {} is out of order or used twice",
                            i + 1
                        )));
                    }
                    *last = Some(i);
                }
            }
            for (ids, text, name) in [
                (&l.src, &l.src_text, "source"),
                (&l.tgt, &l.tgt_text, "target"),
            ] {
                if ids.is_empty() && text.as_deref().is_some_and(|t| !t.is_empty()) {
                    return Err(at(format!("{name} text given but no {name} segment")));
                }
            }
            if let Some(s) = l.score
                && !(0.0..=1.0).contains(&s)
            {
                return Err(at(format!("score {s} is not between 0 and 1")));
            }
        }
        Ok(c)
    }

    /// Checks that the corrections were made for these texts (the files'
    /// segments, `src` and `tgt`, named `names` in messages): with the
    /// page's fingerprints, segment by segment; without them (an older page,
    /// `align --format jsonl`), the text of every link the translator did
    /// not touch (score below 1) must be its segments joined. Segments are
    /// numbered from 1, as on the page.
    pub fn check_texts(
        &self,
        src: &[&str],
        tgt: &[&str],
        names: (&str, &str),
    ) -> Result<(), String> {
        let short = |t: &str| {
            let mut s: String = t.chars().take(70).collect();
            if s.len() < t.len() {
                s.push('…');
            }
            s
        };
        if let Some(h) = &self.texts {
            for (hashes, texts, name, side) in [
                (&h.src, src, names.0, "source"),
                (&h.tgt, tgt, names.1, "target"),
            ] {
                if hashes.len() != texts.len() {
                    return Err(format!(
                        "the corrections were made for a {side} text of {} segments; {name} has {}",
                        hashes.len(),
                        texts.len()
                    ));
                }
                if let Some(i) = (0..texts.len()).find(|&i| hashes[i] != text_hash(texts[i])) {
                    return Err(format!(
                        "{name} is not the {side} text the corrections were made for: its segment {} \
                         («{}») differs; make the review page again from these files",
                        i + 1,
                        short(texts[i])
                    ));
                }
            }
            return Ok(());
        }
        // Without fingerprints, the links the translator did not touch
        // (the page gives every link it made, changed or confirmed score 1)
        // must hold the files' texts.
        for (k, l) in self.links.iter().enumerate() {
            if l.score.is_none_or(|s| s >= 1.0) {
                continue;
            }
            for (ids, text, texts, name, side) in [
                (&l.src, &l.src_text, src, names.0, "source"),
                (&l.tgt, &l.tgt_text, tgt, names.1, "target"),
            ] {
                let Some(text) = text else { continue };
                let joined = ids
                    .iter()
                    .filter_map(|&i| texts.get(i).copied())
                    .collect::<Vec<_>>()
                    .join(" ");
                if *text != joined {
                    let first = ids.first().map_or(0, |i| i + 1);
                    return Err(format!(
                        "link {}: its {side} text «{}» is not {name}'s segment {first} «{}»: were \
                         the corrections made for these files? (in a file without the page's text \
                         fingerprints, from an older page or `--format jsonl`, every link below score 1 \
                         must hold the files' text)",
                        k + 1,
                        short(text),
                        short(&joined)
                    ));
                }
            }
        }
        Ok(())
    }

    /// The corrected links over the texts' own segments, for showing them
    /// on the page again: an edited side of one segment becomes that
    /// segment's text; an edited side of several puts the whole text in the
    /// first and empties the rest (the page joins only non-empty texts, so
    /// it saves the same text back).
    pub fn over_segments(
        &self,
        src: &[&str],
        tgt: &[&str],
    ) -> (Vec<Link>, Vec<String>, Vec<String>) {
        let mut st: Vec<String> = src.iter().map(|s| s.to_string()).collect();
        let mut tt: Vec<String> = tgt.iter().map(|s| s.to_string()).collect();
        let mut links = Vec::with_capacity(self.links.len());
        for l in &self.links {
            for (ids, text, texts) in [
                (&l.src, &l.src_text, &mut st),
                (&l.tgt, &l.tgt_text, &mut tt),
            ] {
                let Some(text) = text else { continue };
                let joined = ids
                    .iter()
                    .filter_map(|&i| texts.get(i).map(String::as_str))
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                if *text != joined
                    && let Some((&first, rest)) = ids.split_first()
                {
                    texts[first] = text.clone();
                    for &i in rest {
                        texts[i].clear();
                    }
                }
            }
            links.push(Link {
                src: l.src.clone(),
                tgt: l.tgt.clone(),
                confidence: l.score.unwrap_or(1.0),
            });
        }
        (links, st, tt)
    }

    /// The corrected links over one text per link: link `k` gets index `k`
    /// on each side that has segments, and that side's text is the edited
    /// text or else its segments joined by a space. Fed to
    /// [`super::to_units`], this stores one unit per link with text on both
    /// sides, the neighbouring links' texts as context.
    pub fn flatten(&self, src: &[&str], tgt: &[&str]) -> (Vec<Link>, Vec<String>, Vec<String>) {
        let join = |ids: &[usize], texts: &[&str]| {
            ids.iter()
                .map(|&i| texts.get(i).copied().unwrap_or(""))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let (mut links, mut st, mut tt) = (Vec::new(), Vec::new(), Vec::new());
        for (k, l) in self.links.iter().enumerate() {
            let s = l.src_text.clone().unwrap_or_else(|| join(&l.src, src));
            let t = l.tgt_text.clone().unwrap_or_else(|| join(&l.tgt, tgt));
            links.push(Link {
                src: if l.src.is_empty() { vec![] } else { vec![k] },
                tgt: if l.tgt.is_empty() { vec![] } else { vec![k] },
                confidence: l.score.unwrap_or(1.0),
            });
            st.push(s);
            tt.push(t);
        }
        (links, st, tt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_for(links: &[Link], src: &[&str], tgt: &[&str]) -> String {
        let mut buf = Vec::new();
        let page = Page {
            title: "t <x>",
            langs: ("en", "ru"),
            save_url: None,
        };
        write(&mut buf, links, src, tgt, &page).expect("write");
        String::from_utf8(buf).expect("utf-8")
    }

    fn data(page: &str) -> serde_json::Value {
        let start = page.find("id=\"tm-data\">").expect("data") + "id=\"tm-data\">".len();
        let end = start + page[start..].find("</script>").expect("end");
        serde_json::from_str(&page[start..end]).expect("json")
    }

    #[test]
    fn page_is_self_contained_and_text_cannot_break_out() {
        let links = vec![
            Link {
                src: vec![0],
                tgt: vec![0],
                confidence: 0.95,
            },
            Link {
                src: vec![1],
                tgt: vec![],
                confidence: 0.3,
            },
        ];
        let page = page_for(
            &links,
            &["a </script><b> & c", "dropped"],
            &["а < б", "added"],
        );
        assert!(!page.contains("</script><b>"));
        assert!(page.contains("<title>t &lt;x&gt;</title>"));
        for external in ["<link", "http://", "https://", "@import", "url(", " src="] {
            assert!(!page.contains(external), "{external}");
        }
        let d = data(&page);
        assert_eq!(d["src"][0], "a </script><b> & c");
        assert_eq!(d["links"][1]["tgt"], serde_json::json!([]));
        assert_eq!(d["links"][0]["score"], 0.95);
        assert_eq!(d["save_url"], serde_json::Value::Null);
    }

    #[test]
    fn corrections_are_checked_against_the_texts() {
        let ok = r#"{"links":[{"src":[0,1],"tgt":[0],"src_text":"A. B!","score":1},
            {"src":[2],"tgt":[]},{"src":[],"tgt":[1],"tgt_text":"x"}]}"#;
        let c = Corrections::parse(ok, 3, 2).expect("valid");
        let (links, st, tt) = c.flatten(&["A.", "B.", "C."], &["А.", "Б."]);
        assert_eq!(st, ["A. B!", "C.", ""]);
        assert_eq!(tt, ["А.", "", "x"]);
        assert_eq!(links[1].tgt, Vec::<usize>::new());
        assert_eq!(links[2].tgt, [2]);
        let (links, st, tt) = c.over_segments(&["A.", "B.", "C."], &["А.", "Б."]);
        assert_eq!(links[0].src, [0, 1]);
        assert_eq!(st, ["A. B!", "", "C."]);
        assert_eq!(tt, ["А.", "x"]);
        let bad = [
            (
                r#"{"links":[{"src":[3],"tgt":[0]}]}"#,
                // Numbered from 1, as the page labels segments.
                "source segment 4 does not exist",
            ),
            (
                r#"{"links":[{"src":[1],"tgt":[0]},{"src":[0],"tgt":[1]}]}"#,
                "out of order",
            ),
            (r#"{"links":[{"src":[],"tgt":[]}]}"#, "no segment"),
            (r#"{"links":[{"src":[0],"tgt":[0],"score":2}]}"#, "score 2"),
            (
                r#"{"links":[{"src":[],"tgt":[0],"src_text":"x"}]}"#,
                "no source segment",
            ),
            ("{\"links\":\n[{\"src\":[0]}", "line 2"),
            (r#"[1,2]"#, "not a corrections file"),
        ];
        for (json, want) in bad {
            let e = Corrections::parse(json, 3, 2).expect_err(json);
            assert!(e.contains(want), "{json}: {e}");
        }
        // The texts: by fingerprint when the page saved them, else by the
        // links' own texts.
        let (a, b) = (["A.", "B."], ["А.", "Б."]);
        let h = |t: &[&str]| {
            t.iter()
                .map(|s| text_hash(s).to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        let with = format!(
            r#"{{"links":[{{"src":[0,1],"tgt":[0,1],"src_text":"edited","tgt_text":"А. Б."}}],
                "texts":{{"src":[{}],"tgt":[{}]}}}}"#,
            h(&a),
            h(&b)
        );
        let c = Corrections::parse(&with, 2, 2).unwrap();
        assert!(c.check_texts(&a, &b, ("a", "b")).is_ok());
        let e = c.check_texts(&["A.", "C."], &b, ("a", "b")).unwrap_err();
        assert!(e.contains("segment 2 («C.») differs"), "{e}");
        let without = r#"{"links":[{"src":[0,1],"tgt":[0,1],"src_text":"A. B.","tgt_text":"А. Б.","score":0.8}]}"#;
        let c = Corrections::parse(without, 2, 2).unwrap();
        assert!(c.check_texts(&a, &b, ("a", "b")).is_ok());
        assert!(c.check_texts(&["A.", "C."], &b, ("a", "b")).is_err());
    }

    #[test]
    fn anchors_meet_across_scripts() {
        let key = |t: &str, w: &str| {
            anchor_tokens(t)
                .into_iter()
                .find(|(tok, _)| tok == w)
                .map(|(_, k)| k)
        };
        let en = "In 2019 Putin met NATO leaders, said Reuters.";
        let ru = "В 2019 году Путин встретился с лидерами НАТО, сообщает Рейтер.";
        assert_eq!(key("Putin's visit", "Putin"), key(en, "Putin"));
        assert_eq!(key(en, "2019"), key(ru, "2019"));
        assert_eq!(key(en, "Putin"), key(ru, "Путин"));
        assert_eq!(key(en, "NATO"), key(ru, "НАТО"));
        assert!(key(en, "Putin").is_some());
        assert_ne!(key(en, "Putin"), key(en, "NATO"));
        // Lowercase words are no anchors.
        assert_eq!(key(en, "met"), None);
    }

    #[test]
    fn grouped_numbers_and_decimals_meet() {
        let all = |t: &str| anchor_tokens(t);
        let en = all("Exports of 120,000 tonnes rose 3.5% to 45,000 in 2019.");
        let ru = all("Экспорт 120 000 тонн вырос на 3,5% до 45\u{a0}000 в 2019 году.");
        for (e, r) in [
            ("120,000", "120 000"),
            ("3.5", "3,5"),
            ("45,000", "45\u{a0}000"),
            ("2019", "2019"),
        ] {
            let ke = en.iter().find(|(w, _)| w == e).map(|(_, k)| k.clone());
            let kr = ru.iter().find(|(w, _)| w == r).map(|(_, k)| k.clone());
            assert!(ke.is_some() && ke == kr, "{e} / {r}: {en:?} {ru:?}");
        }
        // Two numbers side by side are not one: a year then a count.
        let t = all("In 2019 120 ships came.");
        assert!(
            t.iter().any(|(w, _)| w == "2019") && t.iter().any(|(w, _)| w == "120"),
            "{t:?}"
        );
    }
}
