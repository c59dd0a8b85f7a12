//! Gram matrices and the Hilbert–Schmidt independence criterion (HSIC) estimators that CKA is
//! built from (PROTOCOLS P5).
//!
//! * biased HSIC (Gretton et al. 2005): `HSIC_0(K, L) = tr(K H L H) / (n - 1)^2`, H = I - 11'/n;
//! * unbiased HSIC (Song et al. 2012):
//!   `HSIC_1 = [tr(K~L~) + 1'K~1 1'L~1 / ((n-1)(n-2)) - 2/(n-2) 1'K~L~1] / (n(n-3))`,
//!   where `K~` is K with its diagonal set to zero. Needs n >= 4.
//!
//! Gram matrices are dense `n x n` f64 arrays; the estimators are O(n^2).

use ndarray::{Array2, ArrayView2, Axis, Zip};
use rayon::prelude::*;

use super::error::{AnalysisError, Result};
use super::linalg::{centre_columns, check_finite, gram_full_f64, par_all, Real};

/// Linear-kernel Gram matrix `K = X_c X_c'` of the rows of `x` (n x p), with the columns of `x`
/// centred first. Centring does not change any HSIC estimate of a linear kernel (they depend on
/// differences between samples only) but it keeps the entries small, which avoids cancellation
/// when activations have a large mean (ReLU layers).
pub fn linear_gram<T: Real>(x: ArrayView2<T>) -> Result<Array2<f64>> {
    check_finite("linear Gram matrix", "X", x)?;
    let xc = centre_columns(x);
    Ok(gram_full_f64(xc.view(), par_all()))
}

/// Squared Euclidean distances between all rows of `x`, as an `n x n` f64 matrix with an exact
/// zero diagonal and no negative entries (rounding can make `|a|^2 + |b|^2 - 2 a.b` dip below 0).
pub fn squared_distances<T: Real>(x: ArrayView2<T>) -> Result<Array2<f64>> {
    let g = linear_gram(x)?;
    let n = g.nrows();
    let d: Vec<f64> = (0..n).map(|i| g[[i, i]]).collect();
    let mut out = g;
    Zip::indexed(&mut out).par_for_each(|(i, j), v| {
        *v = if i == j {
            0.0
        } else {
            (d[i] + d[j] - 2.0 * *v).max(0.0)
        };
    });
    Ok(out)
}

/// RBF (Gaussian) Gram matrix `K_ij = exp(-|x_i - x_j|^2 / (2 sigma^2))`.
///
/// The bandwidth follows Kornblith et al.'s reference code: `sigma^2 = f^2 * median(D)`, where D
/// holds all n^2 squared distances (diagonal zeros included) and f = `sigma_fraction`; so sigma
/// is f times the median distance. Their experiments use f in {0.2, 0.4, 0.8}.
pub fn rbf_gram<T: Real>(x: ArrayView2<T>, sigma_fraction: f64) -> Result<Array2<f64>> {
    if !(sigma_fraction.is_finite() && sigma_fraction > 0.0) {
        return Err(AnalysisError::InvalidParameter {
            name: "sigma_fraction",
            value: sigma_fraction.to_string(),
            reason: "must be a finite number > 0",
        });
    }
    let mut d2 = squared_distances(x)?;
    let median = median_of(d2.iter().copied().collect());
    if median <= 0.0 {
        return Err(AnalysisError::ZeroVariance {
            what: "RBF kernel bandwidth",
            which: "the median pairwise distance (more than half the rows coincide)".into(),
        });
    }
    let scale = 1.0 / (2.0 * sigma_fraction * sigma_fraction * median);
    d2.par_mapv_inplace(|v| (-v * scale).exp());
    Ok(d2)
}

/// Median with numpy's convention (mean of the two middle values for an even count).
fn median_of(mut v: Vec<f64>) -> f64 {
    let n = v.len();
    let hi = n / 2;
    let (_, &mut upper, _) = v.select_nth_unstable_by(hi, f64::total_cmp);
    if n % 2 == 1 {
        upper
    } else {
        // The lower middle value is the largest of the elements placed before `hi`.
        let lower = v[..hi].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        0.5 * (lower + upper)
    }
}

fn check_grams(k: ArrayView2<f64>, l: ArrayView2<f64>) -> Result<usize> {
    let n = k.nrows();
    if k.ncols() != n {
        return Err(AnalysisError::BadShape {
            what: "HSIC",
            shape: k.shape().to_vec(),
            expected: "a square Gram matrix",
        });
    }
    if l.dim() != k.dim() {
        return Err(AnalysisError::mismatch(
            "HSIC (Gram matrices of the same images)",
            k.shape(),
            l.shape(),
        ));
    }
    check_finite("HSIC", "K", k)?;
    check_finite("HSIC", "L", l)?;
    Ok(n)
}

/// Frobenius inner product `sum_ij a_ij b_ij`, parallel over rows, f64.
pub(crate) fn frob_dot(a: ArrayView2<f64>, b: ArrayView2<f64>) -> f64 {
    Zip::from(a.rows())
        .and(b.rows())
        .par_map_collect(|ra, rb| ra.iter().zip(rb.iter()).map(|(x, y)| x * y).sum::<f64>())
        .iter()
        .sum()
}

/// `H K H`: a Gram matrix with its rows and columns centred.
pub fn centre_gram(k: ArrayView2<f64>) -> Array2<f64> {
    let n = k.nrows() as f64;
    let row_means: Vec<f64> = k.axis_iter(Axis(0)).map(|r| r.sum() / n).collect();
    let col_means: Vec<f64> = k.axis_iter(Axis(1)).map(|c| c.sum() / n).collect();
    let grand = row_means.iter().sum::<f64>() / n;
    let mut out = k.to_owned();
    Zip::indexed(&mut out).par_for_each(|(i, j), v| *v += grand - row_means[i] - col_means[j]);
    out
}

/// Biased HSIC estimator `tr(K H L H) / (n - 1)^2` of two Gram matrices of the same n samples.
pub fn hsic_biased(k: ArrayView2<f64>, l: ArrayView2<f64>) -> Result<f64> {
    let n = check_grams(k, l)?;
    if n < 2 {
        return Err(AnalysisError::TooFewSamples {
            what: "biased HSIC",
            needed: 2,
            got: n,
        });
    }
    let kc = centre_gram(k);
    // tr(K H L H) = <HKH, L> because H is symmetric and idempotent.
    let m = (n - 1) as f64;
    Ok(frob_dot(kc.view(), l) / (m * m))
}

/// What the unbiased estimator needs from one Gram matrix, computed once so that a layer can be
/// compared with many others at O(n^2) per pair.
#[derive(Debug, Clone)]
pub struct UnbiasedGram {
    /// K with a zero diagonal.
    pub(crate) k_tilde: Array2<f64>,
    /// Row sums `K~ 1`.
    pub(crate) row_sums: Vec<f64>,
    /// `1' K~ 1`.
    pub(crate) total: f64,
}

impl UnbiasedGram {
    /// Prepares a symmetric Gram matrix (takes ownership to zero its diagonal in place).
    pub fn new(mut k: Array2<f64>) -> Result<Self> {
        let n = k.nrows();
        if k.ncols() != n {
            return Err(AnalysisError::BadShape {
                what: "unbiased HSIC",
                shape: k.shape().to_vec(),
                expected: "a square Gram matrix",
            });
        }
        if n < 4 {
            return Err(AnalysisError::TooFewSamples {
                what: "unbiased HSIC (Song et al. 2012)",
                needed: 4,
                got: n,
            });
        }
        check_finite("unbiased HSIC", "K", k.view())?;
        k.diag_mut().fill(0.0);
        let row_sums: Vec<f64> = k
            .axis_iter(Axis(0))
            .into_par_iter()
            .map(|r| r.sum())
            .collect();
        let total = row_sums.iter().sum();
        Ok(Self {
            k_tilde: k,
            row_sums,
            total,
        })
    }

    /// Number of samples.
    pub fn n(&self) -> usize {
        self.k_tilde.nrows()
    }

    /// Unbiased HSIC between this Gram matrix and another of the same samples.
    pub fn hsic(&self, other: &UnbiasedGram) -> Result<f64> {
        if other.n() != self.n() {
            return Err(AnalysisError::mismatch(
                "unbiased HSIC (Gram matrices of the same images)",
                self.k_tilde.shape(),
                other.k_tilde.shape(),
            ));
        }
        let n = self.n() as f64;
        let trace = frob_dot(self.k_tilde.view(), other.k_tilde.view());
        let cross: f64 = self
            .row_sums
            .iter()
            .zip(other.row_sums.iter())
            .map(|(a, b)| a * b)
            .sum();
        Ok(
            (trace + self.total * other.total / ((n - 1.0) * (n - 2.0)) - 2.0 / (n - 2.0) * cross)
                / (n * (n - 3.0)),
        )
    }
}

/// Unbiased HSIC estimator (Song et al. 2012) of two Gram matrices of the same n >= 4 samples.
pub fn hsic_unbiased(k: ArrayView2<f64>, l: ArrayView2<f64>) -> Result<f64> {
    check_grams(k, l)?;
    let k = UnbiasedGram::new(k.to_owned())?;
    let l = UnbiasedGram::new(l.to_owned())?;
    k.hsic(&l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_data::random;
    use ndarray::Array2;

    #[test]
    fn median_matches_numpy_convention() {
        assert_eq!(median_of(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median_of(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn unbiased_hsic_of_independent_data_is_near_zero() {
        let x = random(2000, 5, 1);
        let y = random(2000, 5, 2);
        let k = linear_gram(x.view()).unwrap();
        let l = linear_gram(y.view()).unwrap();
        let kk = hsic_unbiased(k.view(), k.view()).unwrap();
        let kl = hsic_unbiased(k.view(), l.view()).unwrap();
        // ||Cov(x, y)||_F^2 = 0 for independent data; the estimate is small next to ||Cov(x,x)||^2.
        assert!(
            kl.abs() < 0.01 * kk,
            "HSIC_1(K,L) = {kl}, HSIC_1(K,K) = {kk}"
        );
        let kl_biased = hsic_biased(k.view(), l.view()).unwrap();
        assert!(
            kl_biased > kl.abs(),
            "the biased estimate carries a positive bias"
        );
    }

    #[test]
    fn unbiased_hsic_does_not_depend_on_the_mean_of_a_linear_kernel() {
        let x = random(30, 4, 3);
        let y = random(30, 3, 4);
        let shifted = &x + 5.0;
        // Gram of uncentred data, so that the estimator itself must remove the shift.
        let k0 = x.dot(&x.t());
        let k1 = shifted.dot(&shifted.t());
        let l = y.dot(&y.t());
        let a = hsic_unbiased(k0.view(), l.view()).unwrap();
        let b = hsic_unbiased(k1.view(), l.view()).unwrap();
        assert!((a - b).abs() < 1e-10 * a.abs().max(1e-3), "{a} vs {b}");
    }

    #[test]
    fn too_few_samples_and_mismatch_are_errors() {
        let k = Array2::<f64>::eye(3);
        let e = hsic_unbiased(k.view(), k.view()).unwrap_err();
        assert!(e.to_string().contains("at least 4"), "{e}");
        let l = Array2::<f64>::eye(5);
        let e = hsic_biased(k.view(), l.view()).unwrap_err();
        assert!(
            e.to_string().contains("[3, 3]") && e.to_string().contains("[5, 5]"),
            "{e}"
        );
    }

    #[test]
    fn rbf_gram_has_unit_diagonal_and_rejects_bad_fraction() {
        let x = random(10, 3, 5);
        let k = rbf_gram(x.view(), 0.8).unwrap();
        for i in 0..10 {
            assert_eq!(k[[i, i]], 1.0);
        }
        assert!(rbf_gram(x.view(), 0.0).is_err());
        let constant = Array2::<f64>::ones((6, 2));
        assert!(matches!(
            rbf_gram(constant.view(), 0.8),
            Err(AnalysisError::ZeroVariance { .. })
        ));
    }
}
