//! Layer x layer CKA matrices (PROTOCOLS P5): `M[i][j] = CKA(layer i of A, layer j of B)`.
//!
//! Both variants reduce every layer to its centred linear Gram matrix `K = X_c X_c'` and need,
//! per pair, only `tr(K L)`. With `k = diag(K)` (squared row norms),
//! `tr(K L) = 2 * sum_{j<i} K_ij L_ij + sum_i k_i l_i`, so each layer's strict lower triangle is
//! packed into one row of a matrix P, and all pairwise sums are a single GEMM `P_A P_B'` (f64,
//! cache-blocked) rather than thousands of O(n^2) passes over memory.
//!
//! * [`cka_matrix`]: exact, all n images at once. Gram rows are produced in row blocks whose size
//!   is chosen to keep P under [`BLOCK_BUDGET_BYTES`], so the n x n Grams of all layers never
//!   exist at once (for few layers and moderate n one block may cover all rows).
//!   Costs about `n^2 / 2` multiply-adds per feature per layer.
//! * [`minibatch_cka_matrix`]: minibatch CKA (Nguyen, Raghu & Kornblith 2021). The unbiased HSIC
//!   of every pair is summed over consecutive minibatches of b images and normalised at the end;
//!   layers are read from a [`LayerSource`] one minibatch at a time, so memory is
//!   `O(layers * b^2)` for the Grams plus one layer's b rows at a time, whatever n is, and work
//!   is `n b / 2` per feature.

use faer::linalg::matmul::triangular::BlockStructure;
use faer::Accum;
use ndarray::{s, Array2, ArrayView2, Axis};
use rayon::prelude::*;

use super::cka::{row_sq_norms, Estimator};
use super::error::{AnalysisError, Result};
use super::layer_source::check_rows;
pub use super::layer_source::{LayerSource, NpyDirSource, ViewSource};
use super::linalg::{
    as_faer, as_faer_mut, centre_columns, centre_columns_in_place, check_finite, par_all, Real,
};

/// Upper bound on the packed Gram block held by [`cka_matrix`] (bytes).
pub const BLOCK_BUDGET_BYTES: usize = 1 << 30;

/// Gram rows `r0..r1` (columns `0..r1`) of centred layer `x` (rows `0..r1` present), packed:
/// for each row i, the entries j < i, appended to `out` (f64).
///
/// `scratch` holds the r x r1 Gram block; it is reused between calls because fresh large
/// allocations are handed out by the kernel page by page, and those page faults cost more than a
/// quarter of a minibatch CKA run when every layer allocates anew.
fn pack_strict_lower<T: Real>(
    x: ArrayView2<T>,
    r0: usize,
    r1: usize,
    out: &mut [f64],
    scratch: &mut Vec<T>,
) {
    let r = r1 - r0;
    if scratch.len() < r * r1 {
        scratch.resize(r * r1, T::zero());
    }
    let g = &mut scratch[..r * r1];
    let rows = x.slice(s![r0..r1, ..]);
    {
        // Only the entries read below are written: columns < r0 by the GEMM, the strict lower
        // triangle of the diagonal block by the triangular product.
        let mut gm = faer::MatMut::from_row_major_slice_mut(&mut *g, r, r1);
        let (left, diag) = gm.as_mut().split_at_col_mut(r0);
        if r0 > 0 {
            faer::linalg::matmul::matmul(
                left,
                Accum::Replace,
                as_faer(&rows),
                as_faer(&x.slice(s![0..r0, ..])).transpose(),
                T::one(),
                par_all(),
            );
        }
        faer::linalg::matmul::triangular::matmul(
            diag,
            BlockStructure::StrictTriangularLower,
            Accum::Replace,
            as_faer(&rows),
            BlockStructure::Rectangular,
            as_faer(&rows).transpose(),
            BlockStructure::Rectangular,
            T::one(),
            par_all(),
        );
    }
    // Row i (global r0 + i) contributes r0 + i entries.
    let mut parts = Vec::with_capacity(r);
    let mut rest = out;
    for i in 0..r {
        let (part, tail) = rest.split_at_mut(r0 + i);
        parts.push((i, part));
        rest = tail;
    }
    let g = &*g;
    parts.into_par_iter().for_each(|(i, part)| {
        for (o, &v) in part.iter_mut().zip(g[i * r1..].iter()) {
            *o = v.into();
        }
    });
}

/// Sums for one set of samples (all images, or one minibatch).
struct SampleStats {
    /// `sum_{j<i} K_ij L_ij` for every (A layer, B layer).
    strict_ab: Array2<f64>,
    /// `sum_{j<i} K_ij^2` for every layer, A then B.
    strict_self: Vec<f64>,
}

/// Accumulates the strict-lower Gram products of all layers over the rows of `layers`
/// (already centred, all in memory), in row blocks of bounded memory.
fn strict_products<T: Real>(layers: &[Array2<T>], la: usize) -> SampleStats {
    let nl = layers.len();
    let n = layers[0].nrows();
    let lb = nl - la;
    let mut strict_ab = Array2::<f64>::zeros((la, lb));
    let mut strict_self = vec![0.0f64; nl];
    let per_row = (nl * n * 8).max(1);
    let block = (BLOCK_BUDGET_BYTES / per_row).clamp(1, n.max(1));
    let mut scratch = Vec::new();
    let mut r0 = 0;
    while r0 < n {
        let r1 = (r0 + block).min(n);
        let entries = (r1 - r0) * (r0 + r1 - 1) / 2;
        if entries > 0 {
            let mut p = Array2::<f64>::zeros((nl, entries));
            for (l, x) in layers.iter().enumerate() {
                let mut row = p.row_mut(l);
                let out = row
                    .as_slice_mut()
                    .expect("rows of a fresh array are contiguous");
                pack_strict_lower(x.view(), r0, r1, out, &mut scratch);
            }
            let block_stats = products_of_packed(p.view(), la);
            strict_ab += &block_stats.strict_ab;
            for (s, v) in strict_self.iter_mut().zip(block_stats.strict_self) {
                *s += v;
            }
        }
        r0 = r1;
    }
    SampleStats {
        strict_ab,
        strict_self,
    }
}

/// All pairwise products of packed strict-lower Grams (rows of `p`, A layers first): one f64
/// GEMM for the A x B block and a squared norm per row for the self terms.
fn products_of_packed(p: ArrayView2<f64>, la: usize) -> SampleStats {
    let (pa, pb) = p.split_at(Axis(0), la);
    let mut strict_ab = Array2::<f64>::zeros((la, pb.nrows()));
    faer::linalg::matmul::matmul(
        as_faer_mut(&mut strict_ab),
        Accum::Replace,
        as_faer(&pa),
        as_faer(&pb).transpose(),
        1.0,
        par_all(),
    );
    let strict_self = p
        .axis_iter(Axis(0))
        .into_par_iter()
        .map(|r| r.iter().map(|v| v * v).sum())
        .collect();
    SampleStats {
        strict_ab,
        strict_self,
    }
}

/// HSIC (up to a factor common to all pairs of one sample set) for every (A, B) pair and every
/// layer with itself, from the strict products and the Gram diagonals `diag[l] = k_l`.
fn hsic_from_stats(
    stats: &SampleStats,
    diag: &[Vec<f64>],
    la: usize,
    estimator: Estimator,
) -> (Array2<f64>, Vec<f64>) {
    let n = diag[0].len() as f64;
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(u, v)| u * v).sum::<f64>();
    let sums: Vec<f64> = diag.iter().map(|k| k.iter().sum()).collect();
    let hsic = |strict: f64, a: usize, b: usize| -> f64 {
        let kl = dot(&diag[a], &diag[b]);
        match estimator {
            // tr(K L) with centred Grams; the 1/(n-1)^2 cancels in CKA.
            Estimator::Biased => 2.0 * strict + kl,
            // Song et al. with K 1 = 0 (centred): tr(K~L~) = 2 strict.
            Estimator::Unbiased => {
                (2.0 * strict + sums[a] * sums[b] / ((n - 1.0) * (n - 2.0)) - 2.0 / (n - 2.0) * kl)
                    / (n * (n - 3.0))
            }
        }
    };
    let lb = stats.strict_ab.ncols();
    let ab = Array2::from_shape_fn((la, lb), |(i, j)| hsic(stats.strict_ab[[i, j]], i, la + j));
    let own = (0..diag.len())
        .map(|l| hsic(stats.strict_self[l], l, l))
        .collect();
    (ab, own)
}

/// `M_ij = HSIC_ij / sqrt(HSIC_ii HSIC_jj)`, failing on a layer whose self-HSIC is not a positive
/// finite number.
fn normalise_matrix(
    ab: &Array2<f64>,
    own: &[f64],
    la: usize,
    name: impl Fn(usize) -> String,
) -> Result<Array2<f64>> {
    for (l, &v) in own.iter().enumerate() {
        // The inputs are finite, so a non-finite sum is an overflow (inf, or inf - inf = NaN).
        if !v.is_finite() {
            return Err(AnalysisError::Overflow {
                what: "CKA matrix",
                which: format!("{}'s self-HSIC", name(l)),
            });
        }
        if v.is_nan() || v <= 0.0 {
            return Err(AnalysisError::ZeroVariance {
                what: "CKA matrix",
                which: format!("{} (self-HSIC {v:e} is not positive)", name(l)),
            });
        }
    }
    if ab.iter().any(|v| !v.is_finite()) {
        return Err(AnalysisError::Overflow {
            what: "CKA matrix",
            which: "a cross-HSIC".into(),
        });
    }
    Ok(Array2::from_shape_fn(ab.dim(), |(i, j)| {
        ab[[i, j]] / (own[i].sqrt() * own[la + j].sqrt())
    }))
}

/// Exact layer x layer linear CKA between layer lists `a` and `b` (all with the same n rows).
///
/// Holds a centred copy of every layer plus a Gram block of at most [`BLOCK_BUDGET_BYTES`].
/// For large n and wide layers (n = 10,000 on a VGG) use [`minibatch_cka_matrix`].
pub fn cka_matrix<T: Real>(
    a: &[ArrayView2<T>],
    b: &[ArrayView2<T>],
    estimator: Estimator,
) -> Result<Array2<f64>> {
    if a.is_empty() || b.is_empty() {
        return Err(AnalysisError::BadShape {
            what: "CKA matrix",
            shape: vec![a.len(), b.len()],
            expected: "at least one layer on each side",
        });
    }
    let all: Vec<ArrayView2<T>> = a.iter().chain(b.iter()).cloned().collect();
    check_rows("CKA matrix (every layer needs one row per image)", &all)?;
    let n = all[0].nrows();
    let min_n = if estimator == Estimator::Unbiased {
        4
    } else {
        2
    };
    if n < min_n {
        return Err(AnalysisError::TooFewSamples {
            what: "CKA matrix",
            needed: min_n,
            got: n,
        });
    }
    for x in &all {
        check_finite("CKA matrix", "a layer", *x)?;
    }
    let centred: Vec<Array2<T>> = all.iter().map(|x| centre_columns(*x)).collect();
    let diag: Vec<Vec<f64>> = centred.iter().map(|x| row_sq_norms(x.view())).collect();
    let stats = strict_products(&centred, a.len());
    let (ab, own) = hsic_from_stats(&stats, &diag, a.len(), estimator);
    let la = a.len();
    normalise_matrix(&ab, &own, la, |l| {
        if l < la {
            format!("layer {l} of A")
        } else {
            format!("layer {} of B", l - la)
        }
    })
}

/// Minibatch linear CKA matrix (Nguyen, Raghu & Kornblith 2021) between the layers of two
/// sources over the same images.
///
/// Rows are split into consecutive minibatches of `batch` images (a last minibatch of fewer than
/// 4 images is merged into the one before, since the unbiased estimator needs 4). For each
/// minibatch every layer's Gram matrix is formed once; HSIC (the estimator the caller chooses;
/// the paper and the Python package use the unbiased one) is summed over minibatches and
/// normalised at the end. With the biased estimator each minibatch adds tr(K_c L_c), i.e. its
/// HSIC times (b - 1)^2, so a merged last minibatch weighs by its size. `progress(done, total)` is called
/// after each minibatch.
pub fn minibatch_cka_matrix<A, B>(
    a: &A,
    b: &B,
    batch: usize,
    estimator: Estimator,
    mut progress: impl FnMut(usize, usize),
) -> Result<Array2<f64>>
where
    A: LayerSource,
    B: LayerSource<Elem = A::Elem>,
{
    // Kept in one piece (about 100 lines): each minibatch's Gram matrices are formed once and
    // shared by every pair of layers; split up, they would be passed through every helper.
    let n = a.n_rows();
    if b.n_rows() != n {
        return Err(AnalysisError::mismatch(
            "minibatch CKA (both sources need the same images)",
            &[n, a.n_layers()],
            &[b.n_rows(), b.n_layers()],
        ));
    }
    if batch < 4 {
        return Err(AnalysisError::InvalidParameter {
            name: "batch",
            value: batch.to_string(),
            reason: "the unbiased HSIC estimator needs minibatches of at least 4 images",
        });
    }
    if n < 4 {
        return Err(AnalysisError::TooFewSamples {
            what: "minibatch CKA",
            needed: 4,
            got: n,
        });
    }
    let (la, lb) = (a.n_layers(), b.n_layers());
    let mut bounds: Vec<usize> = (0..n).step_by(batch).collect();
    if n - bounds[bounds.len() - 1] < 4 && bounds.len() > 1 {
        bounds.pop();
    }
    bounds.push(n);
    let total = bounds.len() - 1;
    let mut sum_ab = Array2::<f64>::zeros((la, lb));
    let mut sum_own = vec![0.0f64; la + lb];
    // One row of P per layer; layers are read, reduced and dropped one at a time so that only
    // P (layers x b(b-1)/2 f64) and a single layer's minibatch are ever held. P and the Gram
    // scratch are allocated once for all minibatches.
    let max_b = bounds.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    let mut p_buf = vec![0.0f64; (la + lb) * (max_b * (max_b - 1) / 2)];
    let mut scratch = Vec::new();
    for (done, w) in bounds.windows(2).enumerate() {
        let rows = w[0]..w[1];
        let bsz = rows.len();
        let entries = bsz * (bsz - 1) / 2;
        let mut p = ndarray::ArrayViewMut2::from_shape(
            (la + lb, entries),
            &mut p_buf[..(la + lb) * entries],
        )
        .expect("buffer sized for the largest minibatch");
        let mut diag = Vec::with_capacity(la + lb);
        for l in 0..la + lb {
            let (mut x, name) = if l < la {
                (a.read_rows(l, rows.clone())?, a.layer_name(l))
            } else {
                (b.read_rows(l - la, rows.clone())?, b.layer_name(l - la))
            };
            if x.nrows() != bsz {
                return Err(AnalysisError::BadShape {
                    what: "minibatch CKA: a layer source returned the wrong number of rows",
                    shape: x.shape().to_vec(),
                    expected: "as many rows as requested",
                });
            }
            check_finite("minibatch CKA", "a layer", x.view())
                .map_err(|e| AnalysisError::io(&name, e))?;
            // The unbiased estimator ignores a shift of the data, so centring within the
            // minibatch changes nothing but the rounding error (it makes it smaller).
            centre_columns_in_place(&mut x);
            diag.push(row_sq_norms(x.view()));
            let mut row = p.row_mut(l);
            let out = row
                .as_slice_mut()
                .expect("rows of a standard-layout view are contiguous");
            pack_strict_lower(x.view(), 0, bsz, out, &mut scratch);
        }
        let stats = products_of_packed(p.view(), la);
        let (ab, own) = hsic_from_stats(&stats, &diag, la, estimator);
        sum_ab += &ab;
        for (s, v) in sum_own.iter_mut().zip(own) {
            *s += v;
        }
        progress(done + 1, total);
    }
    normalise_matrix(&sum_ab, &sum_own, la, |l| {
        if l < la {
            a.layer_name(l)
        } else {
            b.layer_name(l - la)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cka::{linear_cka, linear_cka_unbiased};
    use crate::test_data::random;
    use ndarray::Array2;

    #[test]
    fn exact_matrix_matches_pairwise_cka() {
        let n = 37;
        let base = random(n, 6, 1);
        let a: Vec<Array2<f64>> = (0..3)
            .map(|l| &base.dot(&random(6, 4 + l, 10 + l as u64)) + &random(n, 4 + l, 20 + l as u64))
            .collect();
        let b: Vec<Array2<f64>> = (0..2)
            .map(|l| base.dot(&random(6, 50 + l, 30 + l as u64)) + 3.0)
            .collect();
        let av: Vec<_> = a.iter().map(|x| x.view()).collect();
        let bv: Vec<_> = b.iter().map(|x| x.view()).collect();
        for est in [Estimator::Biased, Estimator::Unbiased] {
            let m = cka_matrix(&av, &bv, est).unwrap();
            for i in 0..3 {
                for j in 0..2 {
                    let want = match est {
                        Estimator::Biased => linear_cka(av[i], bv[j]).unwrap(),
                        Estimator::Unbiased => linear_cka_unbiased(av[i], bv[j]).unwrap(),
                    };
                    assert!((m[[i, j]] - want).abs() < 1e-12, "{est:?} {i} {j}");
                }
            }
        }
        let self_m = cka_matrix(&av, &av, Estimator::Biased).unwrap();
        for i in 0..3 {
            assert!((self_m[[i, i]] - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn minibatch_with_one_batch_is_the_unbiased_cka_and_many_batches_are_close() {
        let n = 2000;
        let base = random(n, 8, 2);
        let a = [
            base.clone(),
            base.dot(&random(8, 12, 3)).mapv(|v| v.max(0.0)),
        ];
        let b = [&base.dot(&random(8, 5, 4)) + &(random(n, 5, 5) * 0.5)];
        let av: Vec<_> = a.iter().map(|x| x.view()).collect();
        let bv: Vec<_> = b.iter().map(|x| x.view()).collect();
        let (sa, sb) = (
            ViewSource::new(av.clone()).unwrap(),
            ViewSource::new(bv.clone()).unwrap(),
        );
        let full = cka_matrix(&av, &bv, Estimator::Unbiased).unwrap();
        let one = minibatch_cka_matrix(&sa, &sb, n, Estimator::Unbiased, |_, _| {}).unwrap();
        let mut calls = 0;
        let many = minibatch_cka_matrix(&sa, &sb, 250, Estimator::Unbiased, |d, t| {
            calls += 1;
            assert_eq!(t, 8);
            assert_eq!(d, calls);
        })
        .unwrap();
        for i in 0..2 {
            assert!((one[[i, 0]] - full[[i, 0]]).abs() < 1e-12);
            assert!(
                (many[[i, 0]] - full[[i, 0]]).abs() < 0.02,
                "minibatch {} vs full {}",
                many[[i, 0]],
                full[[i, 0]]
            );
        }
    }

    #[test]
    fn errors_name_shapes_and_constant_layers() {
        let x = random(10, 3, 1);
        let y = random(12, 3, 2);
        let e = cka_matrix(&[x.view()], &[y.view()], Estimator::Biased)
            .unwrap_err()
            .to_string();
        assert!(e.contains("[10, 3]") && e.contains("[12, 3]"), "{e}");
        let c = Array2::<f64>::ones((10, 4));
        let e = cka_matrix(&[x.view()], &[c.view()], Estimator::Biased).unwrap_err();
        assert!(e.to_string().contains("layer 0 of B"), "{e}");
        let s = ViewSource::new(vec![x.view()]).unwrap();
        assert!(minibatch_cka_matrix(&s, &s, 3, Estimator::Unbiased, |_, _| {}).is_err());
    }

    #[test]
    fn npy_directory_source_reads_layers_in_file_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let x = random(20, 3, 1).mapv(|v| v as f32);
        let y = random(20, 5, 2).mapv(|v| v as f32);
        ndarray_npy::write_npy(dir.path().join("b_second.npy"), &y).unwrap();
        ndarray_npy::write_npy(dir.path().join("a_first.npy"), &x).unwrap();
        let src = NpyDirSource::<f32>::open(dir.path()).unwrap();
        assert_eq!(src.n_layers(), 2);
        assert_eq!(src.read_rows(1, 2..4).unwrap(), y.slice(s![2..4, ..]));
        assert!(src.layer_name(0).ends_with("a_first.npy"));
    }
}
