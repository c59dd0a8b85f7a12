//! Kendall's rank correlation in O(m log m) (Knight 1966), with ties handled exactly
//! (PROTOCOLS P6).
//!
//! With m values there are `n0 = m(m-1)/2` pairs. Sorting the pairs (x, y) lexicographically and
//! then counting, with a merge sort, how many swaps put the y values in order gives the number of
//! discordant pairs (pairs ordered one way by x and strictly the other way by y; pairs tied in x
//! are already in y order after the first sort, so they are never counted). Run lengths of equal
//! x, equal (x, y) and equal y give the tie counts n1, n3, n2. Then
//!
//! * `S = n0 - n1 - n2 + n3 - 2 * discordant` (concordant minus discordant pairs),
//! * `tau_a = S / n0` (what RSA toolboxes use for RDMs),
//! * `tau_b = S / sqrt((n0 - n1)(n0 - n2))` (`scipy.stats.kendalltau`'s default).
//!
//! Values are compared through an order-preserving map of f64 to u64 (with -0.0 == +0.0), so
//! sorting and merging work on plain integers. At m = 49,995,000 (two RDMs of 10,000 images) the
//! working set is one array of (x, y) keys (800 MB), then two arrays of y keys (400 MB each).

use ndarray::ArrayView2;
use rayon::prelude::*;

use super::error::{AnalysisError, Result};
use super::inversions::sort_counting_inversions;

/// Which tau; in configs and tables `"a"` or `"b"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TauVariant {
    /// `S / n0`: ties count as neither concordant nor discordant and shrink tau towards 0.
    A,
    /// `S / sqrt((n0 - n1)(n0 - n2))`: corrected for ties; undefined if x or y is constant.
    #[default]
    B,
}

impl TauVariant {
    /// `a` or `b`, as configs and tables write it.
    pub fn letter(self) -> &'static str {
        match self {
            TauVariant::A => "a",
            TauVariant::B => "b",
        }
    }
}

impl std::str::FromStr for TauVariant {
    type Err = String;

    /// `a` or `b` (also `tau-a`, `tau-b`), as configs, the command line and Python write it.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().trim_start_matches("tau-") {
            "a" => Ok(TauVariant::A),
            "b" => Ok(TauVariant::B),
            _ => Err(format!("Kendall variant `{s}`: expected \"a\" or \"b\"")),
        }
    }
}

impl std::fmt::Display for TauVariant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TauVariant::A => "tau-a",
            TauVariant::B => "tau-b",
        })
    }
}

/// The pair counts behind Kendall's tau, exact integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KendallCounts {
    /// Number of values m.
    pub len: usize,
    /// All pairs, `n0 = m(m-1)/2`.
    pub pairs: u64,
    /// Pairs tied in x (n1), joint ties included.
    pub ties_x: u64,
    /// Pairs tied in y (n2), joint ties included.
    pub ties_y: u64,
    /// Pairs tied in both x and y (n3).
    pub ties_xy: u64,
    /// Discordant pairs: x and y strictly ordered in opposite directions.
    pub discordant: u64,
}

impl KendallCounts {
    /// Concordant minus discordant pairs, `S = n0 - n1 - n2 + n3 - 2 * discordant`.
    pub fn score(&self) -> i128 {
        self.pairs as i128 - self.ties_x as i128 - self.ties_y as i128 + self.ties_xy as i128
            - 2 * self.discordant as i128
    }

    /// Concordant pairs.
    pub fn concordant(&self) -> u64 {
        (self.score() + self.discordant as i128) as u64
    }

    /// Kendall's tau of the requested variant, or an error if it is undefined.
    pub fn tau(&self, variant: TauVariant) -> Result<f64> {
        if self.pairs == 0 {
            return Err(AnalysisError::TooFewSamples {
                what: "Kendall's tau",
                needed: 2,
                got: self.len,
            });
        }
        let s = self.score() as f64;
        match variant {
            TauVariant::A => Ok(s / self.pairs as f64),
            TauVariant::B => {
                for (ties, which) in [(self.ties_x, "x"), (self.ties_y, "y")] {
                    if ties == self.pairs {
                        return Err(AnalysisError::ZeroVariance {
                            what: "Kendall's tau-b",
                            which: format!("{which} (every pair is tied: a constant input)"),
                        });
                    }
                }
                let d = (self.pairs - self.ties_x) as f64 * (self.pairs - self.ties_y) as f64;
                Ok(s / d.sqrt())
            }
        }
    }
}

/// Order-preserving map f64 -> u64: `key(a) < key(b)` iff `a < b`, and -0.0 maps like +0.0.
#[inline]
fn key(v: f64) -> u64 {
    let v = if v == 0.0 { 0.0 } else { v };
    let b = v.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

/// Kendall's tau between two vectors of equal length.
pub fn kendall_tau(x: &[f64], y: &[f64], variant: TauVariant) -> Result<f64> {
    kendall_counts(x, y)?.tau(variant)
}

/// The exact pair counts of two vectors of equal length.
pub fn kendall_counts(x: &[f64], y: &[f64]) -> Result<KendallCounts> {
    if x.len() != y.len() {
        return Err(AnalysisError::mismatch(
            "Kendall's tau (paired values)",
            &[x.len()],
            &[y.len()],
        ));
    }
    for (v, which) in [(x, "x"), (y, "y")] {
        if let Some(index) = v.par_iter().position_first(|v| v.is_nan()) {
            return Err(AnalysisError::NonFinite {
                what: "Kendall's tau",
                which,
                index,
            });
        }
    }
    let pairs: Vec<u128> = x
        .par_iter()
        .zip(y.par_iter())
        .map(|(&a, &b)| pack(a, b))
        .collect();
    Ok(counts_from_pairs(pairs))
}

/// Kendall's tau between the strict upper triangles (k = 1) of two square matrices of the same
/// shape: two RDMs of the same images.
pub fn rdm_kendall_tau(a: ArrayView2<f64>, b: ArrayView2<f64>, variant: TauVariant) -> Result<f64> {
    rdm_kendall_counts(a, b)?.tau(variant)
}

/// The pair counts between the strict upper triangles of two RDMs, without copying the
/// triangles out first.
pub fn rdm_kendall_counts(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Result<KendallCounts> {
    let n = a.nrows();
    if a.ncols() != n {
        return Err(AnalysisError::BadShape {
            what: "Kendall's tau between RDMs",
            shape: a.shape().to_vec(),
            expected: "a square RDM",
        });
    }
    if a.dim() != b.dim() {
        return Err(AnalysisError::mismatch(
            "Kendall's tau between RDMs (same images)",
            a.shape(),
            b.shape(),
        ));
    }
    let m = n * n.saturating_sub(1) / 2;
    let mut pairs = vec![0u128; m];
    // Split the output into one segment per row (row i holds n - 1 - i entries).
    let mut segments = Vec::with_capacity(n);
    let mut rest: &mut [u128] = &mut pairs;
    for i in 0..n {
        let (seg, tail) = rest.split_at_mut(n - 1 - i);
        segments.push((i, seg));
        rest = tail;
    }
    let bad = segments
        .into_par_iter()
        .filter_map(|(i, seg)| {
            let (ra, rb) = (a.row(i), b.row(i));
            let mut first_bad = None;
            for (k, out) in seg.iter_mut().enumerate() {
                let j = i + 1 + k;
                let (u, v) = (ra[j], rb[j]);
                if first_bad.is_none() && (u.is_nan() || v.is_nan()) {
                    first_bad = Some((i * n + j, if u.is_nan() { "A" } else { "B" }));
                }
                *out = pack(u, v);
            }
            first_bad
        })
        .min();
    if let Some((index, which)) = bad {
        return Err(AnalysisError::NonFinite {
            what: "Kendall's tau between RDMs",
            which,
            index,
        });
    }
    Ok(counts_from_pairs(pairs))
}

/// The pair (x, y) as one integer whose order is the lexicographic order of (x, y): sorting
/// 16-byte integers is faster than sorting tuples compared field by field.
#[inline]
fn pack(x: f64, y: f64) -> u128 {
    ((key(x) as u128) << 64) | key(y) as u128
}

/// Knight's algorithm on packed (x, y) keys.
fn counts_from_pairs(mut pairs: Vec<u128>) -> KendallCounts {
    let len = pairs.len();
    pairs.par_sort_unstable();
    // One pass: tie runs in x and in (x, y), and the y keys in x order.
    let (ties_x, ties_xy, mut ys) = ties_and_ys(&pairs);
    drop(pairs);
    let discordant = sort_counting_inversions(&mut ys);
    let ties_y = tied_pairs_by(&ys, |v| *v);
    KendallCounts {
        len,
        pairs: (len as u64) * (len.saturating_sub(1) as u64) / 2,
        ties_x,
        ties_y,
        ties_xy,
        discordant,
    }
}

/// Chunk boundaries of a sorted slice, at least `1 << 16` apart, moved forward so that no run
/// of equal `f(item)` is split between chunks.
fn run_aligned_chunks<T, K: PartialEq>(v: &[T], f: impl Fn(&T) -> K) -> Vec<usize> {
    let chunk = (v.len() / (4 * rayon::current_num_threads()).max(1)).max(1 << 16);
    let mut bounds = vec![0usize];
    let mut at = chunk;
    while at < v.len() {
        while at < v.len() && f(&v[at]) == f(&v[at - 1]) {
            at += 1;
        }
        if at < v.len() {
            bounds.push(at);
        }
        at += chunk;
    }
    bounds.push(v.len());
    bounds
}

/// `sum t(t-1)/2` over runs of equal x and of equal (x, y) in sorted packed pairs, and the y
/// keys in that order, in parallel chunks aligned to x runs (so joint runs are not split either).
fn ties_and_ys(pairs: &[u128]) -> (u64, u64, Vec<u64>) {
    let bounds = run_aligned_chunks(pairs, |p| (p >> 64) as u64);
    let mut ys = vec![0u64; pairs.len()];
    let mut outs = Vec::with_capacity(bounds.len());
    let mut rest: &mut [u64] = &mut ys;
    for w in bounds.windows(2) {
        let (head, tail) = rest.split_at_mut(w[1] - w[0]);
        outs.push((w[0]..w[1], head));
        rest = tail;
    }
    let (tx, txy) = outs
        .into_par_iter()
        .map(|(range, out)| {
            let s = &pairs[range];
            let (mut tx, mut txy) = (0u64, 0u64);
            let (mut run_x, mut run_xy) = (0u64, 0u64);
            for (k, (&p, o)) in s.iter().zip(out.iter_mut()).enumerate() {
                *o = p as u64;
                if k > 0 && (p >> 64) == (s[k - 1] >> 64) {
                    run_x += 1;
                    tx += run_x; // the k-th member of a run ties with the k-1 before it
                    if p == s[k - 1] {
                        run_xy += 1;
                        txy += run_xy;
                    } else {
                        run_xy = 0;
                    }
                } else {
                    run_x = 0;
                    run_xy = 0;
                }
            }
            (tx, txy)
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    (tx, txy, ys)
}

/// Sum of t(t-1)/2 over runs of equal `f(item)` in a sorted slice, in parallel chunks whose
/// boundaries are aligned to runs.
fn tied_pairs_by<T: Sync, K: PartialEq>(v: &[T], f: impl Fn(&T) -> K + Sync) -> u64 {
    let bounds = run_aligned_chunks(v, &f);
    bounds
        .par_windows(2)
        .map(|w| {
            let s = &v[w[0]..w[1]];
            let mut total = 0u64;
            let mut run = 0u64;
            for k in 1..s.len() {
                if f(&s[k]) == f(&s[k - 1]) {
                    run += 1;
                    total += run;
                } else {
                    run = 0;
                }
            }
            total
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// O(m^2) reference straight from the definition.
    fn brute(x: &[f64], y: &[f64]) -> KendallCounts {
        let m = x.len();
        let (mut n1, mut n2, mut n3, mut dis) = (0u64, 0u64, 0u64, 0u64);
        for i in 0..m {
            for j in i + 1..m {
                let (dx, dy) = (x[i] - x[j], y[i] - y[j]);
                n1 += (dx == 0.0) as u64;
                n2 += (dy == 0.0) as u64;
                n3 += (dx == 0.0 && dy == 0.0) as u64;
                dis += (dx * dy < 0.0) as u64;
            }
        }
        KendallCounts {
            len: m,
            pairs: (m * m.saturating_sub(1) / 2) as u64,
            ties_x: n1,
            ties_y: n2,
            ties_xy: n3,
            discordant: dis,
        }
    }

    /// The counts of integer-valued x and y in 0..levels from their contingency table.
    fn by_table(x: &[f64], y: &[f64], levels: usize) -> KendallCounts {
        let mut t = vec![vec![0u64; levels]; levels];
        for (a, b) in x.iter().zip(y) {
            t[*a as usize][*b as usize] += 1;
        }
        let pairs = |n: u64| n * n.saturating_sub(1) / 2;
        let row = |i: usize| t[i].iter().sum::<u64>();
        let col = |j: usize| (0..levels).map(|i| t[i][j]).sum::<u64>();
        let mut discordant = 0;
        for i in 0..levels {
            for j in 0..levels {
                // Pairs with x greater (row i2 > i) and y smaller (column j2 < j).
                let below: u64 = (i + 1..levels)
                    .map(|i2| t[i2][..j].iter().sum::<u64>())
                    .sum();
                discordant += t[i][j] * below;
            }
        }
        KendallCounts {
            len: x.len(),
            pairs: pairs(x.len() as u64),
            ties_x: (0..levels).map(|i| pairs(row(i))).sum(),
            ties_y: (0..levels).map(|j| pairs(col(j))).sum(),
            ties_xy: t.iter().flatten().map(|&c| pairs(c)).sum(),
            discordant,
        }
    }

    #[test]
    fn matches_brute_force_with_many_ties() {
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        for (m, levels) in [
            (2, 2),
            (7, 3),
            (100, 4),
            (1000, 10),
            (5000, 50),
            (70_000, 7),
        ] {
            let x: Vec<f64> = (0..m).map(|_| rng.random_range(0..levels) as f64).collect();
            let y: Vec<f64> = (0..m)
                .map(|i| {
                    if rng.random::<f64>() < 0.5 {
                        // Joint ties and correlation; a zero written as -0.0 must tie with 0.0.
                        if x[i] == 0.0 {
                            -0.0
                        } else {
                            x[i]
                        }
                    } else {
                        rng.random_range(0..levels) as f64
                    }
                })
                .collect();
            if m > 5000 {
                // Brute force is O(m^2); with few levels every count follows from the
                // levels x levels contingency table (beyond one parallel chunk of 65,536).
                let got = kendall_counts(&x, &y).unwrap();
                assert_eq!(got, by_table(&x, &y, levels as usize));
                assert_eq!(got.len, m);
                continue;
            }
            let got = kendall_counts(&x, &y).unwrap();
            let want = brute(&x, &y);
            assert_eq!(got, want, "m = {m}");
            for v in [TauVariant::A, TauVariant::B] {
                if want.ties_x < want.pairs && want.ties_y < want.pairs {
                    let t = got.tau(v).unwrap();
                    assert!((-1.0..=1.0).contains(&t));
                }
            }
        }
    }

    #[test]
    fn hand_worked_cases() {
        // x = 1 2 3 4, y = 1 3 2 4: one discordant pair of six, no ties.
        let c = kendall_counts(&[1., 2., 3., 4.], &[1., 3., 2., 4.]).unwrap();
        assert_eq!((c.pairs, c.discordant, c.concordant()), (6, 1, 5));
        assert!((c.tau(TauVariant::A).unwrap() - 4.0 / 6.0).abs() < 1e-15);
        // x = 1 1 2, y = 1 2 2: n0 = 3, n1 = 1, n2 = 1, n3 = 0, S = 1,
        // tau_a = 1/3, tau_b = 1/sqrt(2*2) = 0.5.
        let c = kendall_counts(&[1., 1., 2.], &[1., 2., 2.]).unwrap();
        assert_eq!((c.ties_x, c.ties_y, c.ties_xy, c.discordant), (1, 1, 0, 0));
        assert!((c.tau(TauVariant::A).unwrap() - 1.0 / 3.0).abs() < 1e-15);
        assert!((c.tau(TauVariant::B).unwrap() - 0.5).abs() < 1e-15);
        // Perfect reversal.
        let t = kendall_tau(&[3., 2., 1.], &[1., 2., 3.], TauVariant::B).unwrap();
        assert_eq!(t, -1.0);
    }

    #[test]
    fn undefined_cases_are_errors() {
        let e = kendall_tau(&[1., 1., 1.], &[1., 2., 3.], TauVariant::B).unwrap_err();
        assert!(matches!(e, AnalysisError::ZeroVariance { .. }), "{e}");
        // tau-a of a constant vector is defined (0).
        assert_eq!(
            kendall_tau(&[1., 1., 1.], &[1., 2., 3.], TauVariant::A).unwrap(),
            0.0
        );
        let e = kendall_tau(&[1., 2.], &[1., 2., 3.], TauVariant::A).unwrap_err();
        assert!(e.to_string().contains("[2]") && e.to_string().contains("[3]"));
        let e = kendall_tau(&[1., f64::NAN], &[1., 2.], TauVariant::A).unwrap_err();
        assert!(matches!(e, AnalysisError::NonFinite { index: 1, .. }));
        assert!(kendall_tau(&[1.], &[1.], TauVariant::A).is_err());
    }

    #[test]
    fn rdm_tau_uses_the_strict_upper_triangle() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let n = 40;
        let mut a = Array2::<f64>::zeros((n, n));
        let mut b = Array2::<f64>::zeros((n, n));
        for i in 0..n {
            for j in i + 1..n {
                let u = rng.random_range(0..5) as f64;
                let v = if rng.random::<bool>() {
                    u
                } else {
                    rng.random_range(0..5) as f64
                };
                a[[i, j]] = u;
                a[[j, i]] = u;
                b[[i, j]] = v;
                b[[j, i]] = 99.0; // the lower triangle must be ignored
            }
        }
        let ua = crate::rdm::upper_triangle(a.view()).unwrap();
        let ub = crate::rdm::upper_triangle(b.view()).unwrap();
        let got = rdm_kendall_counts(a.view(), b.view()).unwrap();
        assert_eq!(got, brute(&ua, &ub));
    }
}
