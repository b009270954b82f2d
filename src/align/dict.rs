//! Optional bilingual dictionary, turned into anchors.
//!
//! Each dictionary entry gets a number; a source word yields an anchor for
//! every entry its stem heads, a target word one for every entry whose
//! translations contain its stem, so a source and a target segment share an
//! anchor when some word pair of theirs is in the dictionary. Stems are
//! lowercase prefixes (see `stem`): crude, but they absorb most inflection
//! in English and Russian without a morphological analyser.
//!
//! Formats: TSV (`source TAB target`, several targets separated by `,` or
//! `;`, `#` comments) and dictd (`NAME.index` + `NAME.dict` or the
//! dictzip-compressed `NAME.dict.dz` that Debian's FreeDict packages
//! install in /usr/share/dictd; give any of the files).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::Map as HashMap;
use super::anchors::{Anchor, Kind, is_alpha, push_lower};
use crate::error::{Error, Position, Result};

/// Most letters a stem keeps.
pub(crate) const STEM: usize = 5;
/// Entries one word may point at; more means a too common word.
const MAX_IDS: usize = 8;

/// A bilingual dictionary indexed by stems.
#[derive(Debug)]
pub struct Dict {
    src: HashMap<String, Vec<u32>>,
    tgt: HashMap<String, Vec<u32>>,
    entries: u32,
    /// Top bits of this dictionary's anchor keys, so that the anchors of
    /// two dictionaries never meet.
    tag: u64,
    /// Weight of this dictionary's anchors.
    weight: f32,
    /// Kind of this dictionary's anchors.
    kind: Kind,
}

/// The stem of a word: up to [`STEM`] letters, dropping the last two (an
/// inflection) of shorter words, never under three.
fn stem(word: &str) -> Option<String> {
    let mut out = String::new();
    stem_into(word, &mut out).then_some(out)
}

/// [`stem`] into `out` (cleared first), without allocating once `out` has
/// room: false when the word has no stem.
fn stem_into(word: &str, out: &mut String) -> bool {
    out.clear();
    let mut n = 0;
    for c in word.chars() {
        if !is_alpha(c) {
            return false;
        }
        n += 1;
    }
    if n < 3 {
        return false;
    }
    let keep = (n - 2).clamp(3, STEM);
    let mut kept = 0;
    for c in word.chars() {
        kept += push_lower(c, out, keep - kept);
        if kept == keep {
            break;
        }
    }
    true
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !is_alpha(c) && c != '-')
        .filter(|w| !w.is_empty())
}

impl Default for Dict {
    fn default() -> Self {
        Dict {
            src: HashMap::default(),
            tgt: HashMap::default(),
            entries: 0,
            tag: 1 << 63,
            weight: 0.4,
            kind: Kind::Dict,
        }
    }
}

impl Dict {
    /// Learns a dictionary from aligned sentence pairs: stem pairs that
    /// occur together in at least `min_count` pairs with a Dice
    /// coefficient `2·c(s,t) / (c(s) + c(t))` of at least `min_dice`.
    /// Stems found in more than a tenth of the pairs (function words) are
    /// left out: they pair with everything. Each source stem keeps its best
    /// partners only.
    pub fn learn(pairs: &[(&str, &str)], min_count: u32, min_dice: f64) -> Dict {
        let mut d = Dict {
            tag: 3 << 62,
            weight: 0.4,
            kind: Kind::Lexicon,
            ..Dict::default()
        };
        let stems = |t: &str| {
            let mut v: Vec<String> = words(t).filter_map(stem).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let sides: Vec<(Vec<String>, Vec<String>)> =
            pairs.iter().map(|(a, b)| (stems(a), stems(b))).collect();
        let (mut cs, mut ct) = (
            HashMap::<&str, u32>::default(),
            HashMap::<&str, u32>::default(),
        );
        for (a, b) in &sides {
            for x in a {
                *cs.entry(x).or_default() += 1;
            }
            for y in b {
                *ct.entry(y).or_default() += 1;
            }
        }
        let common = (pairs.len() / 10).max(3) as u32;
        let keep = |c: &HashMap<&str, u32>, w: &str| {
            c.get(w).is_some_and(|&k| k >= min_count && k <= common)
        };
        let mut joint: HashMap<(&str, &str), u32> = HashMap::default();
        for (a, b) in &sides {
            for x in a.iter().filter(|x| keep(&cs, x)) {
                for y in b.iter().filter(|y| keep(&ct, y)) {
                    *joint.entry((x, y)).or_default() += 1;
                }
            }
        }
        let mut best: HashMap<&str, (f64, Vec<&str>)> = HashMap::default();
        for (&(x, y), &c) in &joint {
            if c < min_count {
                continue;
            }
            let dice = 2.0 * f64::from(c) / f64::from(cs[x] + ct[y]);
            if dice < min_dice {
                continue;
            }
            let e = best.entry(x).or_insert((0.0, Vec::new()));
            if dice > e.0 + 1e-9 {
                *e = (dice, vec![y]);
            } else if (dice - e.0).abs() <= 1e-9 {
                e.1.push(y);
            }
        }
        let mut heads: Vec<_> = best.into_iter().collect();
        heads.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (x, (_, mut ys)) in heads {
            ys.sort_unstable();
            for y in ys {
                let id = d.entries;
                d.src.entry(x.to_string()).or_default().push(id);
                d.tgt.entry(y.to_string()).or_default().push(id);
                d.entries += 1;
            }
        }
        d
    }

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
        if let Some(base) = name
            .strip_suffix(".index")
            .or_else(|| name.strip_suffix(".dict"))
            .or_else(|| name.strip_suffix(".dict.dz"))
        {
            let plain = PathBuf::from(format!("{base}.dict"));
            let zipped = PathBuf::from(format!("{base}.dict.dz"));
            // The file named wins; from the index, whichever data file exists.
            let data = if name.ends_with(".dz") || (!plain.exists() && zipped.exists()) {
                zipped
            } else {
                plain
            };
            return Self::load_dictd(&PathBuf::from(format!("{base}.index")), &data);
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
        let mut bytes = std::fs::read(data).map_err(|e| Error::io(data, e))?;
        if data.to_string_lossy().ends_with(".dz") {
            // dictzip is gzip whose deflate stream is cut into chunks: any
            // gzip reader decodes it whole; offsets in the index refer to the
            // decompressed text.
            let mut out = Vec::new();
            std::io::Read::read_to_end(
                &mut flate2::read::MultiGzDecoder::new(&bytes[..]),
                &mut out,
            )
            .map_err(|e| {
                Error::parse(
                    data,
                    Position::None,
                    format!("not a gzip (dictzip) file: {e}"),
                )
            })?;
            bytes = out;
        }
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
            d.add(head, translations(head, &article).flat_map(words).take(24));
        }
        Ok(d)
    }

    /// Appends the dictionary anchors of `text` (one per entry reached).
    pub(crate) fn anchors(&self, text: &str, is_src: bool, out: &mut Vec<Anchor>) {
        let map = if is_src { &self.src } else { &self.tgt };
        if map.is_empty() {
            return;
        }
        let mut ids: Vec<u32> = Vec::new();
        let mut buf = String::new();
        for w in words(text) {
            if stem_into(w, &mut buf)
                && let Some(v) = map.get(buf.as_str())
            {
                ids.extend_from_slice(v);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return;
        }
        let form: std::sync::Arc<str> = "".into();
        out.extend(ids.into_iter().map(|id| Anchor {
            // Dictionary keys live in their own range: the top bit set.
            key: self.tag | u64::from(id),
            kind: self.kind,
            weight: self.weight,
            form: form.clone(),
            passive: false,
        }));
    }
}

/// The translations of a dictd article. The first line usually repeats the
/// headword (FreeDict: `Berg /bɛʁk/ <n, masc>`) and is skipped. FreeDict's
/// WikDict articles then give numbered senses (`1. montagne, mont`), each
/// followed by a definition in the *source* language, which must not be
/// read as translations: when numbered lines exist only they count;
/// otherwise the first line after the headword does (older FreeDict
/// articles, and articles of one sense).
fn translations<'a>(head: &str, article: &'a str) -> impl Iterator<Item = &'a str> {
    let mut lines: Vec<&str> = article
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let head = head.trim();
    if lines.first().is_some_and(|l| {
        l.get(..head.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(head))
    }) {
        lines.remove(0);
    }
    let numbered: Vec<&str> = lines
        .iter()
        .filter_map(|l| {
            let digits = l.bytes().take_while(u8::is_ascii_digit).count();
            (digits > 0 && l[digits..].starts_with(". ")).then(|| &l[digits + 2..])
        })
        .collect();
    let chosen = if numbered.is_empty() {
        lines.into_iter().take(1).collect()
    } else {
        numbered
    };
    chosen.into_iter().flat_map(|l| l.split([',', ';']))
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
    fn stems_are_the_original_ones() {
        let reference = |word: &str| -> Option<String> {
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
        };
        for w in [
            "",
            "ab",
            "abc",
            "Government",
            "Правительства",
            "урожай",
            "İİİİ",
            "Ёлка",
            "x-ray",
            "Straße",
            "ΑΘΗΝΑ",
            "ab1",
            "Ǆemal",
        ] {
            assert_eq!(stem(w), reference(w), "{w}");
        }
        let text = "Правительство и Government-ministers, x-ray; ёлки";
        let split: Vec<&str> = text
            .split(|c: char| !c.is_alphabetic() && c != '-')
            .filter(|w| !w.is_empty())
            .collect();
        assert_eq!(words(text).collect::<Vec<_>>(), split);
    }

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
    fn learns_word_pairs_that_recur_together() {
        // "berg" and "montagne" meet in three pairs; the other words at most once.
        let pairs = [
            ("Der Berg ist hoch", "La montagne est haute"),
            ("Ein Berg im Nebel", "Une montagne dans le brouillard"),
            ("Wir sahen den Berg", "Nous vîmes la montagne"),
            ("Das Wasser war kalt", "L'eau était froide"),
            ("Die Hütte stand leer", "La cabane était vide"),
            ("Es regnete lange", "Il a plu longtemps"),
        ];
        let d = Dict::learn(&pairs, 2, 0.6);
        assert_eq!(d.len(), 1, "{d:?}");
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        d.anchors("Am Berg", true, &mut a);
        d.anchors("Sur la montagne", false, &mut b);
        d.anchors("Dans la cabane", false, &mut c);
        assert!(shared(&a, &b) > 0.0);
        assert_eq!(shared(&a, &c), 0.0);
        // Learnt anchors never meet those of a loaded dictionary.
        let mut user = Dict::default();
        user.add("berg", ["montagne"]);
        let mut u = Vec::new();
        user.anchors("Sur la montagne", false, &mut u);
        assert_eq!(shared(&a, &u), 0.0);
        assert!(Dict::learn(&[], 2, 0.6).is_empty());
    }

    /// dictd base64 digits of a number.
    fn enc(mut v: usize) -> String {
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
    }

    #[test]
    fn freedict_dict_dz_as_debian_installs_it() {
        use std::io::Write;
        let dir = tempfile::tempdir().expect("tempdir");
        // Articles in FreeDict's WikDict shape: a header line, numbered
        // senses, each followed by a definition in the source language.
        let arts = [
            ("00-database-short", "Test-Wörterbuch\n".to_string()),
            (
                "berg",
                "Berg /bɛʁk/ <n, masc>\n1. montagne, mont\ngroße Erhebung der Erde\n2. mine\nfeste Erdkruste\n".to_string(),
            ),
            ("hütte", "Hütte /ˈhʏtə/ <n, fem>\ncabane\nkleines einfaches Haus\n".to_string()),
        ];
        let (mut data, mut index) = (String::new(), String::new());
        for (head, art) in &arts {
            index.push_str(&format!(
                "{head}\t{}\t{}\n",
                enc(data.len()),
                enc(art.len())
            ));
            data.push_str(art);
        }
        std::fs::write(dir.path().join("freedict-deu-fra.index"), index).expect("write");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(data.as_bytes()).expect("gzip");
        std::fs::write(
            dir.path().join("freedict-deu-fra.dict.dz"),
            gz.finish().expect("gzip"),
        )
        .expect("write");
        for name in ["freedict-deu-fra.index", "freedict-deu-fra.dict.dz"] {
            let d = Dict::load(&dir.path().join(name)).expect(name);
            assert_eq!(d.len(), 2, "{name}");
            let (mut de, mut fr, mut def) = (Vec::new(), Vec::new(), Vec::new());
            d.anchors("Am Berg steht eine Hütte", true, &mut de);
            d.anchors("Sur la montagne, une cabane", false, &mut fr);
            assert!((shared(&de, &fr) - 0.8).abs() < 1e-6, "{name}");
            // The German definitions are not read as French translations.
            d.anchors("große Erhebung, einfaches Haus", false, &mut def);
            assert!(def.is_empty(), "{name}: {def:?}");
        }
        // A .dict.dz that is not gzip: an error naming the file.
        std::fs::write(dir.path().join("freedict-deu-fra.dict.dz"), b"plain").expect("write");
        let e = Dict::load(&dir.path().join("freedict-deu-fra.index")).expect_err("not gzip");
        assert!(e.to_string().contains("freedict-deu-fra.dict.dz"), "{e}");
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
