//! Centred kernel alignment between two representations of the same n images (PROTOCOLS P5).
//!
//! `CKA(K, L) = HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L))`. For the linear kernel and the biased
//! estimator this equals the feature-space form `||Y'X||_F^2 / (||X'X||_F ||Y'Y||_F)` with centred
//! columns, which costs O(n p1 p2) instead of O(n^2 (p1 + p2)); [`linear_cka`] picks whichever
//! form needs fewer multiply-adds. The unbiased linear estimator also has a feature-space form
//! (derived in [`linear_cka_unbiased`]), so no n x n matrix is built unless it is cheaper.

use ndarray::{ArrayView2, Axis};
use rayon::prelude::*;

use super::error::{AnalysisError, Result};
use super::hsic::{centre_gram, frob_dot, rbf_gram, UnbiasedGram};
use super::linalg::{
    aat_lower, abt, centre_columns, centre_transposed, centred_row_sq_norms, check_finite, par_all,
    sq_norm, sym_sq_norm_from_lower, Real,
};

/// The kernel applied to each representation before HSIC.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kernel {
    /// `k(x, x') = x . x'`.
    Linear,
    /// Gaussian kernel with `sigma^2 = sigma_fraction^2 * median of the n^2 squared distances`
    /// (the diagonal's zeros included: Kornblith et al.'s convention).
    Rbf {
        /// Bandwidth as a fraction of that median distance (Kornblith et al. use 0.2 to 0.8).
        sigma_fraction: f64,
    },
}

/// Which HSIC estimator CKA normalises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Estimator {
    /// Biased HSIC (Gretton et al. 2005); CKA then lies in [0, 1].
    #[default]
    Biased,
    /// Unbiased HSIC (Song et al. 2012); needs n >= 4, and CKA may fall slightly outside [0, 1].
    Unbiased,
}

/// Default bandwidth fraction for the RBF kernel, as in Kornblith et al.'s examples.
pub const DEFAULT_SIGMA_FRACTION: f64 = 0.8;

/// Options of [`cka`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CkaOptions {
    /// Kernel applied to both representations.
    pub kernel: Kernel,
    /// HSIC estimator.
    pub estimator: Estimator,
}

impl Default for CkaOptions {
    /// Linear kernel, biased estimator: the CKA reported by paper 000.
    fn default() -> Self {
        Self {
            kernel: Kernel::Linear,
            estimator: Estimator::Biased,
        }
    }
}

/// CKA between `x` (n x p1) and `y` (n x p2) with the given kernel and estimator.
pub fn cka<T: Real>(x: ArrayView2<T>, y: ArrayView2<T>, opts: &CkaOptions) -> Result<f64> {
    match (opts.kernel, opts.estimator) {
        (Kernel::Linear, Estimator::Biased) => linear_cka(x, y),
        (Kernel::Linear, Estimator::Unbiased) => linear_cka_unbiased(x, y),
        (Kernel::Rbf { sigma_fraction }, est) => rbf_cka(x, y, sigma_fraction, est),
    }
}

/// Validates a pair of representations: same number of rows, at least `min_n` of them, finite.
fn check_pair<T: Real>(
    what: &'static str,
    x: ArrayView2<T>,
    y: ArrayView2<T>,
    min_n: usize,
) -> Result<()> {
    if x.nrows() != y.nrows() {
        return Err(AnalysisError::mismatch(
            "CKA (both inputs need one row per image, the same images)",
            x.shape(),
            y.shape(),
        ));
    }
    if x.nrows() < min_n {
        return Err(AnalysisError::TooFewSamples {
            what,
            needed: min_n,
            got: x.nrows(),
        });
    }
    check_finite(what, "X", x)?;
    check_finite(what, "Y", y)?;
    Ok(())
}

/// Linear CKA with the biased estimator, in whichever form (feature or Gram) is cheaper.
pub fn linear_cka<T: Real>(x: ArrayView2<T>, y: ArrayView2<T>) -> Result<f64> {
    let (n, p1, p2) = (x.nrows() as f64, x.ncols() as f64, y.ncols() as f64);
    // Multiply-adds: feature form p1 p2 n + (p1^2 + p2^2) n / 2 (two half GEMMs);
    // Gram form (p1 + p2) n^2 / 2 plus ~3 n^2 for the inner products.
    let feature = n * (p1 * p2 + 0.5 * (p1 * p1 + p2 * p2));
    let gram = n * n * (0.5 * (p1 + p2) + 3.0);
    if feature <= gram {
        linear_cka_feature(x, y)
    } else {
        linear_cka_gram(x, y)
    }
}

/// Linear CKA, feature-space form: `||Y'X||_F^2 / (||X'X||_F ||Y'Y||_F)` with centred columns.
pub fn linear_cka_feature<T: Real>(x: ArrayView2<T>, y: ArrayView2<T>) -> Result<f64> {
    check_pair("linear CKA", x, y, 2)?;
    let (xt, _) = centre_transposed(x);
    let (yt, _) = centre_transposed(y);
    let (xy, xx, yy) = feature_products(xt.view(), yt.view());
    normalise("linear CKA", xy, xx, yy)
}

/// `(||Y'X||^2, ||X'X||^2, ||Y'Y||^2)` from the transposed centred inputs (p x n each): one full
/// GEMM and two half GEMMs, reduced in f64.
fn feature_products<T: Real>(xt: ArrayView2<T>, yt: ArrayView2<T>) -> (f64, f64, f64) {
    (
        sq_norm(&abt(yt, xt, par_all())),
        sym_sq_norm_from_lower(&aat_lower(xt, par_all())),
        sym_sq_norm_from_lower(&aat_lower(yt, par_all())),
    )
}

/// Linear CKA, Gram form: `<K_c, L_c> / (||K_c|| ||L_c||)` with `K_c = X_c X_c'`.
pub fn linear_cka_gram<T: Real>(x: ArrayView2<T>, y: ArrayView2<T>) -> Result<f64> {
    check_pair("linear CKA", x, y, 2)?;
    let k = aat_lower(centre_columns(x).view(), par_all());
    let l = aat_lower(centre_columns(y).view(), par_all());
    let xy = sym_dot_from_lower(&k, &l);
    let xx = sym_sq_norm_from_lower(&k);
    let yy = sym_sq_norm_from_lower(&l);
    normalise("linear CKA", xy, xx, yy)
}

/// `sum_ij A_ij B_ij` for two symmetric matrices given by their lower triangles, in f64.
pub(crate) fn sym_dot_from_lower<T: Real>(a: &ndarray::Array2<T>, b: &ndarray::Array2<T>) -> f64 {
    a.axis_iter(Axis(0))
        .into_par_iter()
        .zip(b.axis_iter(Axis(0)).into_par_iter())
        .enumerate()
        .map(|(i, (ra, rb))| {
            let mut off = 0.0f64;
            for j in 0..i {
                let (u, v): (f64, f64) = (ra[j].into(), rb[j].into());
                off += u * v;
            }
            let (u, v): (f64, f64) = (ra[i].into(), rb[i].into());
            2.0 * off + u * v
        })
        .sum()
}

/// `xy / sqrt(xx yy)`, or an error naming the side that makes it undefined: a
/// [`AnalysisError::ZeroVariance`] for a self-similarity that is not positive (a constant
/// layer), an [`AnalysisError::Overflow`] for one that overflowed (inf / inf would be a NaN
/// nobody asked for).
fn normalise(what: &'static str, xy: f64, xx: f64, yy: f64) -> Result<f64> {
    for (v, which) in [(xx, "X"), (yy, "Y")] {
        // The inputs are finite, so a non-finite sum is an overflow (inf, or inf - inf = NaN).
        if !v.is_finite() {
            return Err(AnalysisError::Overflow {
                what,
                which: format!("{which}'s self-similarity"),
            });
        }
        if v.is_nan() || v <= 0.0 {
            return Err(AnalysisError::ZeroVariance {
                what,
                which: format!("{which} (self-similarity {v:e} is not positive)"),
            });
        }
    }
    if !xy.is_finite() {
        return Err(AnalysisError::Overflow {
            what,
            which: "the cross-similarity".into(),
        });
    }
    Ok(xy / (xx.sqrt() * yy.sqrt()))
}

/// Linear CKA with the unbiased HSIC estimator (n >= 4), without forming any n x n matrix when
/// the feature form is cheaper.
///
/// With centred columns (the estimator is invariant to a shift of the data), `K 1 = 0`, so
/// `1'K~1 = -sum_i k_i` and `K~1 = -k` where `k_i = |x_i|^2` is the diagonal of K. Substituting
/// into Song et al.'s formula gives
/// `n(n-3) HSIC_1 = ||Y'X||^2 - (1 + 2/(n-2)) sum k_i l_i + (sum k)(sum l) / ((n-1)(n-2))`.
pub fn linear_cka_unbiased<T: Real>(x: ArrayView2<T>, y: ArrayView2<T>) -> Result<f64> {
    const WHAT: &str = "unbiased linear CKA";
    check_pair(WHAT, x, y, 4)?;
    let (n, p1, p2) = (x.nrows() as f64, x.ncols() as f64, y.ncols() as f64);
    let feature = n * (p1 * p2 + 0.5 * (p1 * p1 + p2 * p2));
    let gram = n * n * (0.5 * (p1 + p2) + 3.0);
    let (xy, xx, yy, k, l) = if feature <= gram {
        let (xt, mx) = centre_transposed(x);
        let (yt, my) = centre_transposed(y);
        let (xy, xx, yy) = feature_products(xt.view(), yt.view());
        let k = centred_row_sq_norms(x, &mx);
        let l = centred_row_sq_norms(y, &my);
        (xy, xx, yy, k, l)
    } else {
        let xc = centre_columns(x);
        let yc = centre_columns(y);
        let k = aat_lower(xc.view(), par_all());
        let l = aat_lower(yc.view(), par_all());
        (
            sym_dot_from_lower(&k, &l),
            sym_sq_norm_from_lower(&k),
            sym_sq_norm_from_lower(&l),
            row_sq_norms(xc.view()),
            row_sq_norms(yc.view()),
        )
    };
    let hsic = |tr: f64, a: &[f64], b: &[f64]| {
        let ab: f64 = a.iter().zip(b).map(|(u, v)| u * v).sum();
        let (sa, sb): (f64, f64) = (a.iter().sum(), b.iter().sum());
        tr - (1.0 + 2.0 / (n - 2.0)) * ab + sa * sb / ((n - 1.0) * (n - 2.0))
    };
    normalise(WHAT, hsic(xy, &k, &l), hsic(xx, &k, &k), hsic(yy, &l, &l))
}

/// `|x_i|^2` for every row, in f64.
pub(crate) fn row_sq_norms<T: Real>(x: ArrayView2<T>) -> Vec<f64> {
    x.axis_iter(Axis(0))
        .into_par_iter()
        .map(|r| {
            r.iter()
                .map(|&v| {
                    let v: f64 = v.into();
                    v * v
                })
                .sum()
        })
        .collect()
}

/// CKA from two Gram matrices of the same samples (any kernel).
pub fn cka_from_grams(
    k: ndarray::Array2<f64>,
    l: ndarray::Array2<f64>,
    estimator: Estimator,
) -> Result<f64> {
    if k.dim() != l.dim() || k.nrows() != k.ncols() {
        return Err(AnalysisError::mismatch(
            "CKA (square Gram matrices of the same images)",
            k.shape(),
            l.shape(),
        ));
    }
    match estimator {
        Estimator::Biased => {
            check_finite("CKA", "K", k.view())?;
            check_finite("CKA", "L", l.view())?;
            let kc = centre_gram(k.view());
            let lc = centre_gram(l.view());
            normalise(
                "CKA",
                frob_dot(kc.view(), lc.view()),
                frob_dot(kc.view(), kc.view()),
                frob_dot(lc.view(), lc.view()),
            )
        }
        Estimator::Unbiased => {
            let k = UnbiasedGram::new(k)?;
            let l = UnbiasedGram::new(l)?;
            normalise("unbiased CKA", k.hsic(&l)?, k.hsic(&k)?, l.hsic(&l)?)
        }
    }
}

/// CKA with RBF kernels of bandwidth `sigma_fraction` times each representation's median
/// pairwise distance. Builds two n x n Gram matrices (O(n^2) memory).
pub fn rbf_cka<T: Real>(
    x: ArrayView2<T>,
    y: ArrayView2<T>,
    sigma_fraction: f64,
    estimator: Estimator,
) -> Result<f64> {
    let min_n = if estimator == Estimator::Unbiased {
        4
    } else {
        2
    };
    check_pair("RBF CKA", x, y, min_n)?;
    let k = rbf_gram(x, sigma_fraction)?;
    let l = rbf_gram(y, sigma_fraction)?;
    cka_from_grams(k, l, estimator)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hsic::linear_gram;
    use crate::test_data::random;
    use ndarray::{Array2, ArrayView2};

    /// A random orthogonal matrix from Gram–Schmidt on random vectors.
    fn orthogonal(p: usize, seed: u64) -> Array2<f64> {
        let mut q = random(p, p, seed);
        for j in 0..p {
            for k in 0..j {
                let d = q.column(j).dot(&q.column(k));
                let ck = q.column(k).to_owned();
                q.column_mut(j).scaled_add(-d, &ck);
            }
            let norm = q.column(j).dot(&q.column(j)).sqrt();
            q.column_mut(j).mapv_inplace(|v| v / norm);
        }
        q
    }

    fn all_forms(x: ArrayView2<f64>, y: ArrayView2<f64>) -> [f64; 3] {
        [
            linear_cka_feature(x, y).unwrap(),
            linear_cka_gram(x, y).unwrap(),
            cka_from_grams(
                linear_gram(x).unwrap(),
                linear_gram(y).unwrap(),
                Estimator::Biased,
            )
            .unwrap(),
        ]
    }

    #[test]
    fn cka_of_a_representation_with_itself_is_one() {
        let x = random(40, 7, 1);
        for v in all_forms(x.view(), x.view()) {
            assert!((v - 1.0).abs() < 1e-12, "{v}");
        }
        let u = linear_cka_unbiased(x.view(), x.view()).unwrap();
        assert!((u - 1.0).abs() < 1e-12, "{u}");
        let r = rbf_cka(x.view(), x.view(), 0.8, Estimator::Biased).unwrap();
        assert!((r - 1.0).abs() < 1e-12, "{r}");
    }

    #[test]
    fn feature_and_gram_forms_agree_symmetric_and_in_range() {
        for (n, p1, p2, seed) in [(30, 5, 8, 2), (12, 40, 3, 3), (100, 10, 10, 4)] {
            let x = random(n, p1, seed);
            let y = random(n, p2, seed + 100);
            let f = all_forms(x.view(), y.view());
            assert!(
                (f[0] - f[1]).abs() < 1e-12 && (f[0] - f[2]).abs() < 1e-12,
                "{f:?}"
            );
            let back = linear_cka(y.view(), x.view()).unwrap();
            assert!((back - f[0]).abs() < 1e-13);
            assert!((0.0..=1.0).contains(&f[0]));
            let r = rbf_cka(x.view(), y.view(), 0.5, Estimator::Biased).unwrap();
            assert!((0.0..=1.0).contains(&r));
        }
    }

    #[test]
    fn invariant_to_orthogonal_transforms_and_isotropic_scaling() {
        let x = random(50, 6, 5);
        let y = random(50, 4, 6);
        let base = linear_cka(x.view(), y.view()).unwrap();
        let xq = x.dot(&orthogonal(6, 7)) * 3.7;
        let yq = y.dot(&orthogonal(4, 8)) * 0.01;
        let moved = linear_cka(xq.view(), yq.view()).unwrap();
        assert!((base - moved).abs() < 1e-12, "{base} vs {moved}");
        let ub = linear_cka_unbiased(x.view(), y.view()).unwrap();
        let um = linear_cka_unbiased(xq.view(), yq.view()).unwrap();
        assert!((ub - um).abs() < 1e-12);
        let rb = rbf_cka(x.view(), y.view(), 0.8, Estimator::Unbiased).unwrap();
        let rm = rbf_cka(xq.view(), yq.view(), 0.8, Estimator::Unbiased).unwrap();
        assert!((rb - rm).abs() < 1e-12);
    }

    #[test]
    fn unbiased_feature_form_matches_song_estimator_on_grams() {
        for (n, p1, p2) in [(9, 3, 2), (25, 30, 40), (60, 4, 5)] {
            let x = random(n, p1, n as u64) + 2.0;
            let y = random(n, p2, n as u64 + 1);
            let direct = linear_cka_unbiased(x.view(), y.view()).unwrap();
            let k = x.dot(&x.t());
            let l = y.dot(&y.t());
            let grams = cka_from_grams(k, l, Estimator::Unbiased).unwrap();
            assert!((direct - grams).abs() < 1e-11, "{direct} vs {grams}");
        }
    }

    #[test]
    fn f32_input_is_close_to_f64() {
        let x = random(64, 20, 9);
        let y = random(64, 10, 10);
        let a = linear_cka(x.view(), y.view()).unwrap();
        let b = linear_cka(x.mapv(|v| v as f32).view(), y.mapv(|v| v as f32).view()).unwrap();
        assert!((a - b).abs() < 1e-5);
    }

    #[test]
    fn errors_say_why() {
        let x = random(10, 3, 1);
        let y = random(11, 3, 2);
        let e = linear_cka(x.view(), y.view()).unwrap_err().to_string();
        assert!(e.contains("[10, 3]") && e.contains("[11, 3]"), "{e}");
        let c = Array2::<f64>::from_elem((10, 2), 4.0);
        let e = linear_cka(x.view(), c.view()).unwrap_err();
        assert!(matches!(e, AnalysisError::ZeroVariance { .. }), "{e}");
        // Values whose products overflow: an error that says so, never inf / inf = NaN.
        let huge = x.mapv(|v| (v * 1e20) as f32);
        for e in [
            linear_cka(huge.view(), huge.view()).unwrap_err(),
            crate::cka_matrix::cka_matrix(&[huge.view()], &[huge.view()], Estimator::Biased)
                .unwrap_err(),
        ] {
            assert!(matches!(e, AnalysisError::Overflow { .. }), "{e}");
            assert!(e.to_string().contains("overflows"), "{e}");
        }
        let small = random(3, 2, 3);
        let e = linear_cka_unbiased(small.view(), small.view()).unwrap_err();
        assert!(
            matches!(e, AnalysisError::TooFewSamples { needed: 4, .. }),
            "{e}"
        );
        let mut nan = random(10, 3, 4);
        nan[[2, 1]] = f64::NAN;
        let e = linear_cka(nan.view(), x.view()).unwrap_err();
        assert!(
            matches!(e, AnalysisError::NonFinite { index: 7, .. }),
            "{e}"
        );
    }
}
