//! Bilingual sentence alignment.
//!
//! Given the segments of a source and a target text, finds the monotone
//! sequence of links (1:1, 1:0, 0:1, 1:2, 2:1) that minimises a
//! Gale–Church length cost, by dynamic programming. The length ratio between
//! the languages is estimated from the pair itself, so any pair works.

/// One segment to align: its text and the paragraph it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    pub text: &'a str,
    pub para: usize,
}

/// One link: 0-based segment indices on each side (either may be empty,
/// never both) and a confidence in 0..=1.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub src: Vec<usize>,
    pub tgt: Vec<usize>,
    pub confidence: f64,
}

/// Alignment options.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Source language tag (e.g. `en`).
    pub src_lang: String,
    /// Target language tag (e.g. `ru`).
    pub tgt_lang: String,
}

/// Link shapes the dynamic programme considers, with their prior
/// probabilities from Gale & Church (1993).
const MOVES: [(usize, usize, f64); 5] = [
    (1, 1, 0.89),
    (1, 0, 0.0099 / 2.0),
    (0, 1, 0.0099 / 2.0),
    (2, 1, 0.089 / 2.0),
    (1, 2, 0.089 / 2.0),
];

/// Standard normal upper tail, by the Abramowitz–Stegun approximation.
fn normal_tail(z: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.2316419 * z);
    let poly = t
        * (0.319381530 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
    (0.398_942_280_4 * (-z * z / 2.0).exp() * poly).clamp(1e-300, 1.0)
}

fn char_len(s: &str) -> f64 {
    s.chars().filter(|c| !c.is_whitespace()).count() as f64
}

/// Aligns `src` with `tgt`. Every segment of both sides appears in exactly
/// one returned link, in document order.
pub fn align(src: &[Segment], tgt: &[Segment], _opts: &Options) -> Vec<Link> {
    let (n, m) = (src.len(), tgt.len());
    let ls: Vec<f64> = src.iter().map(|s| char_len(s.text)).collect();
    let lt: Vec<f64> = tgt.iter().map(|s| char_len(s.text)).collect();
    let ratio = {
        let (a, b): (f64, f64) = (ls.iter().sum(), lt.iter().sum());
        if a > 0.0 && b > 0.0 { b / a } else { 1.0 }
    };
    let s2 = 6.8;
    let cost_of = |l1: f64, l2: f64, prior: f64| -> f64 {
        let mean = (l1 + l2 / ratio) / 2.0;
        let delta = if mean > 0.0 { (l2 - l1 * ratio) / (mean * s2).sqrt() } else { 0.0 };
        let p = 2.0 * normal_tail(delta.abs());
        -(p.ln()) - prior.ln()
    };
    let inf = f64::INFINITY;
    let mut cost = vec![inf; (n + 1) * (m + 1)];
    let mut back = vec![0u8; (n + 1) * (m + 1)];
    let idx = |i: usize, j: usize| i * (m + 1) + j;
    cost[0] = 0.0;
    for i in 0..=n {
        for j in 0..=m {
            if i == 0 && j == 0 {
                continue;
            }
            for (k, &(di, dj, prior)) in MOVES.iter().enumerate() {
                if di > i || dj > j {
                    continue;
                }
                let prev = cost[idx(i - di, j - dj)];
                if prev == inf {
                    continue;
                }
                let l1: f64 = ls[i - di..i].iter().sum();
                let l2: f64 = lt[j - dj..j].iter().sum();
                let c = prev + cost_of(l1, l2, prior);
                if c < cost[idx(i, j)] {
                    cost[idx(i, j)] = c;
                    back[idx(i, j)] = k as u8;
                }
            }
        }
    }
    let mut links = Vec::new();
    let (mut i, mut j) = (n, m);
    while i > 0 || j > 0 {
        let (di, dj, _) = MOVES[back[idx(i, j)] as usize];
        let step = cost[idx(i, j)] - cost[idx(i - di, j - dj)];
        links.push(Link {
            src: (i - di..i).collect(),
            tgt: (j - dj..j).collect(),
            confidence: (-step / 4.0).exp().clamp(0.0, 1.0),
        });
        i -= di;
        j -= dj;
    }
    links.reverse();
    links
}

/// Turns links into translation units: each link with text on both sides
/// becomes a two-variant unit (a side with several segments joined by a
/// space), with the neighbouring links' texts as context. One-sided links
/// are dropped, as are links below `min_confidence`.
pub fn to_units(
    links: &[Link],
    src: &[&str],
    tgt: &[&str],
    langs: (&str, &str),
    min_confidence: f64,
    template: &crate::memory::Unit,
) -> Vec<crate::memory::Unit> {
    use crate::memory::Variant;
    let join = |ids: &[usize], texts: &[&str]| ids.iter().map(|&i| texts[i]).collect::<Vec<_>>().join(" ");
    let side_texts: Vec<(String, String)> = links.iter().map(|l| (join(&l.src, src), join(&l.tgt, tgt))).collect();
    // Context is the nearest non-empty text before/after on the same side.
    let neighbour = |k: usize, step: isize, pick: fn(&(String, String)) -> &String| -> Option<String> {
        let mut i = k as isize + step;
        while i >= 0 && (i as usize) < side_texts.len() {
            let t = pick(&side_texts[i as usize]);
            if !t.is_empty() {
                return Some(t.clone());
            }
            i += step;
        }
        None
    };
    let mut out = Vec::new();
    for (k, l) in links.iter().enumerate() {
        let (s, t) = &side_texts[k];
        if s.is_empty() || t.is_empty() || l.confidence < min_confidence {
            continue;
        }
        let mut u = template.clone();
        u.variants = vec![
            Variant {
                lang: langs.0.to_string(),
                text: s.clone(),
                prev: neighbour(k, -1, |p| &p.0),
                next: neighbour(k, 1, |p| &p.0),
                ..Variant::default()
            },
            Variant {
                lang: langs.1.to_string(),
                text: t.clone(),
                prev: neighbour(k, -1, |p| &p.1),
                next: neighbour(k, 1, |p| &p.1),
                ..Variant::default()
            },
        ];
        out.push(u);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs<'a>(texts: &[&'a str]) -> Vec<Segment<'a>> {
        texts.iter().map(|t| Segment { text: t, para: 0 }).collect()
    }

    #[test]
    fn every_segment_in_one_link_in_order() {
        let src = segs(&["A short one.", "A much longer sentence that goes on for a while.", "End."]);
        let tgt = segs(&["Короткое.", "Гораздо более длинное предложение, которое тянется долго.", "Конец."]);
        let links = align(&src, &tgt, &Options::default());
        let s: Vec<usize> = links.iter().flat_map(|l| l.src.clone()).collect();
        let t: Vec<usize> = links.iter().flat_map(|l| l.tgt.clone()).collect();
        assert_eq!(s, [0, 1, 2]);
        assert_eq!(t, [0, 1, 2]);
        assert!(links.iter().all(|l| (0.0..=1.0).contains(&l.confidence)));
    }

    #[test]
    fn units_carry_context_and_skip_one_sided_links() {
        let links = vec![
            Link { src: vec![0], tgt: vec![0], confidence: 0.9 },
            Link { src: vec![1], tgt: vec![], confidence: 0.9 },
            Link { src: vec![2, 3], tgt: vec![1], confidence: 0.8 },
        ];
        let units = to_units(&links, &["A.", "B.", "C.", "D."], &["А.", "В Г."], ("en", "ru"), 0.0, &Default::default());
        assert_eq!(units.len(), 2);
        assert_eq!(units[1].variants[0].text, "C. D.");
        assert_eq!(units[1].variants[0].prev.as_deref(), Some("B."));
        assert_eq!(units[1].variants[1].prev.as_deref(), Some("А."));
        assert_eq!(units[0].variants[0].next.as_deref(), Some("B."));
        assert!(to_units(&links, &["A.", "B.", "C.", "D."], &["А.", "В Г."], ("en", "ru"), 0.85, &Default::default()).len() == 1);
    }

    #[test]
    fn empty_sides() {
        assert!(align(&[], &[], &Options::default()).is_empty());
        let links = align(&segs(&["x"]), &[], &Options::default());
        assert_eq!(links, vec![Link { src: vec![0], tgt: vec![], confidence: links[0].confidence }]);
    }
}
