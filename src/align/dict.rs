//! Optional bilingual dictionary, turned into anchors.
//!
//! Each dictionary entry gets a number; a source word yields an anchor for
//! every entry its stem heads, a target word one for every entry whose
//! translations contain its stem, so a source and a target segment share an
//! anchor when some word pair of theirs is in the dictionary. Stems are
//! lowercase prefixes (see [`stem`]): crude, but they absorb most inflection
//! in English and Russian without a morphological analyser.
//!
//! Formats: TSV (`source TAB target`, several targets separated by `,` or
//! `;`, `#` comments) and dictd (`NAME.index` + `NAME.dict`, uncompressed;
//! give either file).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::anchors::{Anchor, Kind};
use crate::error::{Error, Position, Result};

/// Most letters a stem keeps.
pub const STEM: usize = 5;
/// Entries one word may point at; more means a too common word.
const MAX_IDS: usize = 8;

/// A bilingual dictionary indexed by stems.
#[derive(Debug, Default)]
pub struct Dict {
    src: HashMap<String, Vec<u32>>,
    tgt: HashMap<String, Vec<u32>>,
    entries: u32,
}

/// The stem of a word: up to [`STEM`] letters, dropping the last two (an
/// inflection) of shorter words, never under three.
fn stem(word: &str) -> Option<String> {
    let n = word.chars().count();
    if n < 3 || !word.chars().all(char::is_alphabetic) {
        return None;
    }
    Some(
        word.chars()
            .flat_map(char::to_lowercase)
            .take(n.saturating_sub(2).clamp(3, STEM))
            .collect(),
    )
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphabetic() && c != '-')
        .filter(|w| !w.is_empty())
}

impl Dict {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries as usize
    }

    /// True when the dictionary has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Adds one entry: a source headword (one or more words; the first
    /// usable one is indexed) and its target words.
    pub fn add<'a>(&mut self, head: &str, targets: impl IntoIterator<Item = &'a str>) {
        let Some(h) = words(head).find_map(stem) else {
            return;
        };
        let id = self.entries;
        let mut any = false;
        let mut seen = HashSet::new();
        for t in targets.into_iter().flat_map(words).filter_map(stem) {
            if t != h && seen.insert(t.clone()) {
                let ids = self.tgt.entry(t).or_default();
                if ids.len() < MAX_IDS {
                    ids.push(id);
                }
                any = true;
            }
        }
        if any {
            let ids = self.src.entry(h).or_default();
            if ids.len() < MAX_IDS {
                ids.push(id);
            }
            self.entries += 1;
        }
    }

    /// Loads a TSV or dictd dictionary (chosen by the file name).
    pub fn load(path: &Path) -> Result<Dict> {
        let name = path.to_string_lossy();
        if name.ends_with(".dz") {
            return Err(Error::parse(
                path,
                Position::None,
                "compressed dictd files are not supported; gunzip the .dict.dz to .dict first",
            ));
        }
        if let Some(base) = name
            .strip_suffix(".index")
            .or_else(|| name.strip_suffix(".dict"))
        {
            return Self::load_dictd(
                &PathBuf::from(format!("{base}.index")),
                &PathBuf::from(format!("{base}.dict")),
            );
        }
        let text = crate::error::read_text(path)?;
        let mut d = Dict::default();
        for (k, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((head, tr)) = line.split_once('\t') else {
                return Err(Error::parse(
                    path,
                    Position::Line(k as u64 + 1),
                    "expected source TAB target",
                ));
            };
            d.add(head, tr.split([',', ';', '\t']));
        }
        Ok(d)
    }

    /// Loads a dictd dictionary: the index holds `headword TAB offset TAB
    /// length` with offset and length in dictd's base64 digits.
    fn load_dictd(index: &Path, data: &Path) -> Result<Dict> {
        let idx = crate::error::read_text(index)?;
        let bytes = std::fs::read(data).map_err(|e| Error::io(data, e))?;
        let mut d = Dict::default();
        for (k, line) in idx.lines().enumerate() {
            let bad = |msg: &str| Error::parse(index, Position::Line(k as u64 + 1), msg);
            let mut f = line.split('\t');
            let (Some(head), Some(off), Some(len)) = (f.next(), f.next(), f.next()) else {
                if line.trim().is_empty() {
                    continue;
                }
                return Err(bad("expected headword TAB offset TAB length"));
            };
            if head.starts_with("00-database") || head.starts_with("00database") {
                continue;
            }
            let (Some(off), Some(len)) = (b64(off), b64(len)) else {
                return Err(bad("offset or length is not dictd base64"));
            };
            let Some(article) = off.checked_add(len).and_then(|end| bytes.get(off..end)) else {
                return Err(bad("article lies outside the .dict file"));
            };
            let article = String::from_utf8_lossy(article);
            // The article usually repeats the headword on its first line.
            let body = article
                .split_once('\n')
                .map_or(article.as_ref(), |(first, rest)| {
                    if first.trim().eq_ignore_ascii_case(head.trim()) {
                        rest
                    } else {
                        article.as_ref()
                    }
                });
            d.add(head, words(body).take(24));
        }
        Ok(d)
    }

    /// Appends the dictionary anchors of `text` (one per entry reached).
    pub fn anchors(&self, text: &str, is_src: bool, out: &mut Vec<Anchor>) {
        let map = if is_src { &self.src } else { &self.tgt };
        let mut ids: Vec<u32> = words(text)
            .filter_map(stem)
            .filter_map(|s| map.get(&s))
            .flatten()
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        out.extend(ids.into_iter().map(|id| Anchor {
            // Dictionary keys live in their own range: the top bit set.
            key: (1 << 63) | u64::from(id),
            kind: Kind::Dict,
            weight: 0.4,
            form: String::new(),
            passive: false,
        }));
    }
}

/// Decodes a dictd base64 number.
fn b64(s: &str) -> Option<usize> {
    let mut v: usize = 0;
    for c in s.trim().bytes() {
        let d = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        v = v.checked_mul(64)?.checked_add(usize::from(d))?;
    }
    (!s.trim().is_empty()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::anchors::shared;

    #[test]
    fn tsv_entries_match_inflected_words() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("d.tsv");
        std::fs::write(
            &p,
            "# test\ngovernment\tправительство\nharvest\tурожай, жатва\n",
        )
        .expect("write");
        let d = Dict::load(&p).expect("load");
        assert_eq!(d.len(), 2);
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        d.anchors("The governments praised the harvest", true, &mut a);
        d.anchors("Правительства хвалили урожай", false, &mut b);
        d.anchors("Погода была хорошей", false, &mut c);
        assert_eq!(a.len(), 2);
        assert!((shared(&a, &b) - 0.8).abs() < 1e-6);
        assert_eq!(shared(&a, &c), 0.0);
    }

    #[test]
    fn tsv_without_tab_names_the_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("d.tsv");
        std::fs::write(&p, "ok\tхорошо\nbroken line\n").expect("write");
        let e = Dict::load(&p).expect_err("must fail");
        assert!(e.to_string().contains("d.tsv:2"), "{e}");
    }

    #[test]
    fn dictd_index_and_data() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = "river\nрека, речной поток\nstone\nкамень\n";
        let first = data.find("stone").expect("stone");
        let enc = |mut v: usize| {
            const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            let mut s = Vec::new();
            loop {
                s.push(A[v % 64]);
                v /= 64;
                if v == 0 {
                    break;
                }
            }
            s.reverse();
            String::from_utf8(s).expect("ascii")
        };
        let index = format!(
            "00-database-url\tA\tB\nriver\tA\t{}\nstone\t{}\t{}\n",
            enc(first),
            enc(first),
            enc(data.len() - first)
        );
        std::fs::write(dir.path().join("x.index"), index).expect("write");
        std::fs::write(dir.path().join("x.dict"), data).expect("write");
        let d = Dict::load(&dir.path().join("x.dict")).expect("load");
        assert_eq!(d.len(), 2);
        let mut a = Vec::new();
        d.anchors("у реки", false, &mut a);
        assert_eq!(a.len(), 1);
        assert_eq!(b64("BA"), Some(64));
        assert_eq!(b64("!"), None);
    }
}
