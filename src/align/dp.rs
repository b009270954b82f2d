//! Banded dynamic programme over link shapes.
//!
//! The search lattice has a node `(i, j)` for "the first `i` source and `j`
//! target segments are aligned"; a link of shape `di:dj` is an edge from
//! `(i-di, j-dj)` to `(i, j)`. Only nodes inside a band are stored: each row
//! `i` keeps a contiguous column range, and ranges never move left, so
//! memory is linear in the band area. One sweep computes both the best path
//! (Viterbi) and the forward soft-minimum; a backward sweep then gives each
//! chosen link its posterior probability, which is the link's confidence.

/// Link shapes searched: (source count, target count).
pub(crate) const SHAPES: [(usize, usize); 10] = [
    (1, 1),
    (1, 0),
    (0, 1),
    (2, 1),
    (1, 2),
    (2, 2),
    (3, 1),
    (1, 3),
    (3, 2),
    (2, 3),
];

/// Nodes kept: per row `i`, columns `lo[i]..=hi[i]`.
#[derive(Debug, Clone)]
pub(crate) struct Band {
    lo: Vec<usize>,
    hi: Vec<usize>,
    off: Vec<usize>,
}

impl Band {
    /// A band over rows `0..ranges.len()` that covers each row's
    /// `ranges[i]` widened by `w` on both sides, clipped to `0..=cols_max`.
    /// The ranges must not move left from row to row.
    pub fn new(ranges: &[(usize, usize)], w: usize, cols_max: usize) -> Band {
        let mut lo = Vec::with_capacity(ranges.len());
        let mut hi = Vec::with_capacity(ranges.len());
        let mut off = Vec::with_capacity(ranges.len());
        let mut total = 0;
        let (mut plo, mut phi) = (0, 0);
        for &(a, b) in ranges {
            // Keep lo/hi monotone even if a caller's ranges are not.
            let l = a.saturating_sub(w).min(cols_max).max(plo);
            let h = (b + w).min(cols_max).max(phi).max(l);
            lo.push(l);
            hi.push(h);
            off.push(total);
            total += h - l + 1;
            (plo, phi) = (l, h);
        }
        off.push(total);
        Band { lo, hi, off }
    }

    /// Number of nodes stored.
    pub fn len(&self) -> usize {
        self.off.last().copied().unwrap_or(0)
    }

    /// Storage index of node `(i, j)`, if it is inside the band.
    #[inline]
    pub fn at(&self, i: usize, j: usize) -> Option<usize> {
        let (l, h) = (*self.lo.get(i)?, self.hi[i]);
        (j >= l && j <= h).then(|| self.off[i] + j - l)
    }

    /// Row `i`'s first and last column and the storage index of its first
    /// node, if the row exists: what [`Band::at`] reads, for callers that
    /// index many nodes of one row.
    #[inline]
    pub fn row(&self, i: usize) -> Option<(usize, usize, usize)> {
        Some((*self.lo.get(i)?, self.hi[i], self.off[i]))
    }

    /// Column range of row `i`.
    pub fn cols(&self, i: usize) -> std::ops::RangeInclusive<usize> {
        self.lo[i]..=self.hi[i]
    }

    /// Distance from column `j` of row `i` to the nearer band edge that is
    /// not also the edge of the matrix.
    pub fn margin(&self, i: usize, j: usize, cols_max: usize) -> usize {
        let left = if self.lo[i] == 0 {
            usize::MAX
        } else {
            j - self.lo[i]
        };
        let right = if self.hi[i] == cols_max {
            usize::MAX
        } else {
            self.hi[i] - j
        };
        left.min(right)
    }
}

/// Result of one search.
pub(crate) struct Path {
    /// Links as (i0, i1, j0, j1) half-open segment ranges, in order.
    pub links: Vec<(usize, usize, usize, usize)>,
    /// Posterior probability of each link (when asked for).
    pub posterior: Vec<f64>,
    /// True when the best path came close to an inner band edge, so a wider
    /// band might find a better one.
    pub near_edge: bool,
}

/// Soft minimum: `-t ln(e^{-a/t} + e^{-b/t})`, stable for infinities.
#[inline]
fn softmin(a: f64, b: f64, t: f64) -> f64 {
    if a == f64::INFINITY {
        return b;
    }
    if b == f64::INFINITY {
        return a;
    }
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    // Far apart, the correction is below a quarter of `lo`'s last digit
    // and the result is `lo` exactly: e^-50 < 2^-72, ln(1+x) <= x, and
    // |lo| > 1e-4·t puts t·2^-72 well under |lo|·2^-55. Most pairs of
    // paths into a node are that far apart.
    if t > 0.0 && (hi - lo) / t > 50.0 && lo.abs() > 1e-4 * t {
        return lo;
    }
    lo - t * (-(hi - lo) / t).exp().ln_1p()
}

/// Rows whose link costs are computed together, in parallel, before the
/// recurrence walks them: bounds the table to a block (128 rows of a band
/// 60 wide: 600 KiB) so memory stays linear in the band, not in its cost
/// table.
const BLOCK: usize = 128;

/// The cost of every link that ends at a node of rows `rows` and starts
/// inside the band: per row, per node of the row, per shape of [`SHAPES`];
/// infinite where the link would start outside the band. Rows are
/// computed in parallel: the costs are most of a search's work and
/// independent of each other, while the recurrence is a cheap serial walk.
fn cost_rows(
    band: &Band,
    rows: std::ops::Range<usize>,
    costs: &(impl Fn(usize, usize, &mut [f64; SHAPES.len()]) + Sync),
) -> Vec<Vec<f64>> {
    use rayon::prelude::*;
    rows.into_par_iter()
        .with_min_len(4)
        .map(|i| {
            let cols = band.cols(i);
            let mut v = Vec::with_capacity(cols.clone().count() * SHAPES.len());
            let mut node = [f64::INFINITY; SHAPES.len()];
            // Column ranges of rows i, i-1, ..., i-3 (empty where none).
            let mut prev = [(1, 0); 4];
            for (d, r) in prev.iter_mut().enumerate() {
                if let Some((lo, hi, _)) = i.checked_sub(d).and_then(|k| band.row(k)) {
                    *r = (lo, hi);
                }
            }
            for j in cols {
                costs(i, j, &mut node);
                let mut kept = [f64::INFINITY; SHAPES.len()];
                for ((&(di, dj), &c), k) in SHAPES.iter().zip(&node).zip(&mut kept) {
                    let (lo, hi) = prev[di];
                    if di <= i && dj <= j && (lo..=hi).contains(&(j - dj)) {
                        *k = c;
                    }
                }
                v.extend_from_slice(&kept);
            }
            v
        })
        .collect()
}

/// Finds the cheapest path from `(0,0)` to `(n,m)` through `band`.
/// `costs(i, j, out)` gives the cost of the link of each shape of
/// [`SHAPES`] ending at node `(i, j)` (any value for shapes that would
/// start before `(0, 0)`).
/// With `temperature` set, also computes link posteriors at that
/// temperature.
pub(crate) fn search(
    n: usize,
    m: usize,
    band: &Band,
    temperature: Option<f64>,
    costs: impl Fn(usize, usize, &mut [f64; SHAPES.len()]) + Sync,
) -> Path {
    let inf = f64::INFINITY;
    let size = band.len();
    let mut best = vec![inf; size];
    let mut back = vec![u8::MAX; size];
    let mut fwd = if temperature.is_some() {
        vec![inf; size]
    } else {
        Vec::new()
    };
    let t = temperature.unwrap_or(1.0);
    // With posteriors, the backward sweep needs the same link costs: the
    // rows computed forward are kept (linear in the band: ten costs per
    // node) rather than computed again.
    let mut kept: Vec<Vec<f64>> = Vec::new();
    for r0 in (0..=n).step_by(BLOCK) {
        let r1 = (r0 + BLOCK).min(n + 1);
        let table = cost_rows(band, r0..r1, &costs);
        for i in r0..r1 {
            let row = &table[i - r0];
            let Some((_, _, base)) = band.row(i) else {
                continue;
            };
            // Start of rows i-1, i-2, i-3 (shifted by their first column).
            let mut starts = [None; 4];
            for (d, st) in starts.iter_mut().enumerate() {
                *st = i
                    .checked_sub(d)
                    .and_then(|k| band.row(k))
                    .map(|(lo, _, off)| (lo, off));
            }
            for (x, j) in band.cols(i).enumerate() {
                let here = base + x;
                if i == 0 && j == 0 {
                    best[here] = 0.0;
                    if !fwd.is_empty() {
                        fwd[here] = 0.0;
                    }
                    continue;
                }
                let (mut b, mut k_best, mut f) = (inf, u8::MAX, inf);
                let costs = &row[x * SHAPES.len()..(x + 1) * SHAPES.len()];
                for (k, (&(di, dj), &c)) in SHAPES.iter().zip(costs).enumerate() {
                    if c == inf {
                        continue;
                    }
                    // A finite cost starts inside the band (`cost_rows`).
                    let Some((lo, off)) = starts[di] else {
                        continue;
                    };
                    let prev = off + (j - dj) - lo;
                    if best[prev] == inf {
                        continue;
                    }
                    if best[prev] + c < b {
                        b = best[prev] + c;
                        k_best = k as u8;
                    }
                    if !fwd.is_empty() {
                        f = softmin(f, fwd[prev] + c, t);
                    }
                }
                best[here] = b;
                back[here] = k_best;
                if !fwd.is_empty() {
                    fwd[here] = f;
                }
            }
        }
        if temperature.is_some() {
            kept.extend(table);
        }
    }
    // Trace back.
    let mut links = Vec::new();
    let mut near_edge = false;
    let (mut i, mut j) = (n, m);
    while i > 0 || j > 0 {
        let Some(here) = band.at(i, j) else { break };
        near_edge |= band.margin(i, j, m) < 4;
        let Some(&(di, dj)) = SHAPES.get(back[here] as usize) else {
            break;
        };
        links.push((i - di, i, j - dj, j));
        i -= di;
        j -= dj;
    }
    links.reverse();
    let mut posterior = Vec::new();
    if let Some(t) = temperature {
        // Backward soft-minimum: cost from each node to the end. The links
        // leaving row `i` end in rows `i..=i+3`, so each block of rows
        // needs the costs of three rows past its end as well.
        let mut bwd = vec![inf; size];
        if let Some(end) = band.at(n, m) {
            bwd[end] = 0.0;
        }
        for i in (0..=n).rev() {
            let Some((lo_i, _, base)) = band.row(i) else {
                continue;
            };
            // First column and storage start of rows i..=i+3.
            let mut next_rows = [None; 4];
            for (d, r) in next_rows.iter_mut().enumerate() {
                *r = band.row(i + d);
            }
            for j in band.cols(i).rev() {
                let here = base + j - lo_i;
                if fwd[here] == inf {
                    continue;
                }
                let mut acc = bwd[here];
                for (k, &(di, dj)) in SHAPES.iter().enumerate() {
                    let Some((lo, hi, off)) = next_rows[di] else {
                        continue;
                    };
                    if !(lo..=hi).contains(&(j + dj)) {
                        continue;
                    }
                    let next = off + j + dj - lo;
                    if i + di > n || j + dj > m || bwd[next] == inf {
                        continue;
                    }
                    let c = kept[i + di][(j + dj - lo) * SHAPES.len() + k];
                    acc = softmin(acc, bwd[next] + c, t);
                }
                bwd[here] = acc;
            }
        }
        let total = band.at(n, m).map_or(inf, |e| fwd[e]);
        for &(i0, i1, j0, j1) in &links {
            let p = match (band.at(i0, j0), band.at(i1, j1)) {
                (Some(a), Some(b)) => {
                    // The link starts inside the band, so its kept cost is
                    // the one `costs` gives.
                    let shape = (i1 - i0, j1 - j0);
                    let x = j1 - band.cols(i1).start();
                    let c = SHAPES
                        .iter()
                        .position(|&sh| sh == shape)
                        .map_or(inf, |k| kept[i1][x * SHAPES.len() + k]);
                    (-(fwd[a] + c + bwd[b] - total) / t).exp()
                }
                _ => 0.0,
            };
            posterior.push(if p.is_finite() {
                p.clamp(0.0, 1.0)
            } else {
                0.0
            });
        }
    }
    Path {
        links,
        posterior,
        near_edge,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Costs by shape only, as `search` asks for them.
    fn by_shape(
        f: impl Fn(usize, usize) -> f64 + Sync,
    ) -> impl Fn(usize, usize, &mut [f64; SHAPES.len()]) + Sync {
        move |_, _, out| {
            for (c, &(di, dj)) in out.iter_mut().zip(SHAPES.iter()) {
                *c = f(di, dj);
            }
        }
    }

    #[test]
    fn softmin_shortcut_is_exact() {
        let full = |a: f64, b: f64, t: f64| {
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            lo - t * (-(hi - lo) / t).exp().ln_1p()
        };
        let mut n = 0;
        for &lo in &[
            -1e6f64, -713.25, -3.5, -1e-3, 1e-3, 0.1, 1.0, 2.0, 7.75, 88.0, 4096.0, 1e9,
        ] {
            for &gap in &[50.000001, 50.5, 64.0, 120.0, 700.0, 745.5, 1e4] {
                for &t in &[0.5, 1.0, 1.5, 4.0] {
                    let hi = lo + gap * t;
                    if (hi - lo) / t > 50.0 && lo.abs() > 1e-4 * t {
                        n += 1;
                        assert_eq!(softmin(lo, hi, t).to_bits(), full(lo, hi, t).to_bits());
                        assert_eq!(softmin(hi, lo, t).to_bits(), full(hi, lo, t).to_bits());
                    }
                }
            }
        }
        assert!(n > 200, "{n}");
        // Close values still take the full formula.
        assert_eq!(
            softmin(1.0, 2.0, 1.0).to_bits(),
            full(1.0, 2.0, 1.0).to_bits()
        );
    }

    #[test]
    fn band_is_monotone_and_indexes_every_node_once() {
        let band = Band::new(&[(0, 0), (2, 2), (1, 1), (5, 6)], 1, 6);
        let mut seen = vec![false; band.len()];
        for i in 0..4 {
            for j in band.cols(i) {
                let k = band.at(i, j).expect("inside");
                assert!(!seen[k]);
                seen[k] = true;
            }
        }
        assert!(seen.iter().all(|&s| s));
        // Row 2 asked for column 1 but may not move left of row 1.
        assert_eq!(band.cols(2), 1..=3);
        assert_eq!(band.at(3, 3), None);
    }

    #[test]
    fn search_follows_cheap_links_and_posteriors_sum_sensibly() {
        // Diagonal is cheap, everything else dear: expect all 1:1.
        let band = Band::new(&[(0, 0), (1, 1), (2, 2), (3, 3)], 3, 3);
        let p = search(
            3,
            3,
            &band,
            Some(1.0),
            by_shape(|di, dj| if (di, dj) == (1, 1) { 0.1 } else { 5.0 }),
        );
        assert_eq!(p.links, vec![(0, 1, 0, 1), (1, 2, 1, 2), (2, 3, 2, 3)]);
        assert!(p.posterior.iter().all(|&x| x > 0.9 && x <= 1.0));
        // Make a 2:1 as cheap as 1:1 + 1:0: the posterior must drop.
        let p = search(
            2,
            1,
            &Band::new(&[(0, 0), (1, 1), (1, 1)], 2, 1),
            Some(1.0),
            by_shape(|di, dj| match (di, dj) {
                (2, 1) => 1.0,
                (1, 1) | (1, 0) => 0.5,
                _ => 9.0,
            }),
        );
        assert!(p.posterior.iter().all(|&x| x < 0.6), "{:?}", p.posterior);
    }
}
