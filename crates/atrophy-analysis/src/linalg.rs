//! Numeric plumbing shared by the kernels: the [`Real`] element trait, zero-copy bridges from
//! `ndarray` views to `faer` matrices, and the few GEMM shapes the analyses need.
//!
//! GEMMs run in the element type of the input (f32 activations use an f32 GEMM, as numpy would);
//! every reduction over a GEMM result (Frobenius norms, inner products of Gram matrices) is
//! accumulated in f64, because those sums run over up to 10^8 terms.

use faer::linalg::matmul::triangular::BlockStructure;
use faer::{Accum, MatMut, MatRef, Par};
use ndarray::{Array2, ArrayView2, Axis, Zip};
use rayon::prelude::*;

use super::error::{AnalysisError, Result};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A floating-point element the analyses accept: `f32` (what networks produce) or `f64`.
pub trait Real:
    faer::traits::RealField
    + Copy
    + Send
    + Sync
    + Into<f64>
    + std::fmt::Debug
    + sealed::Sealed
    + 'static
{
    /// Rounds an f64 to this type.
    fn from_f64(v: f64) -> Self;
}

impl Real for f32 {
    #[inline]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}

impl Real for f64 {
    #[inline]
    fn from_f64(v: f64) -> Self {
        v
    }
}

/// Parallelism for faer: all rayon threads. Callers that already parallelise over many small
/// GEMMs pass [`Par::Seq`] instead so the two levels do not oversubscribe.
pub(crate) fn par_all() -> Par {
    Par::rayon(0)
}

/// Borrows an `ndarray` view as a `faer` matrix without copying (any strides).
pub(crate) fn as_faer<'a, T>(a: &ArrayView2<'a, T>) -> MatRef<'a, T> {
    let (r, c) = a.dim();
    let s = a.strides();
    // SAFETY: the view guarantees that every (i, j) with i < r, j < c addressed through these
    // strides lies inside its allocation and lives for 'a.
    unsafe { MatRef::from_raw_parts(a.as_ptr(), r, c, s[0], s[1]) }
}

/// Borrows a standard-layout (row-major) `Array2` mutably as a `faer` matrix.
pub(crate) fn as_faer_mut<T>(a: &mut Array2<T>) -> MatMut<'_, T> {
    let (r, c) = a.dim();
    let slice = a
        .as_slice_mut()
        .expect("freshly allocated arrays are in standard layout");
    MatMut::from_row_major_slice_mut(slice, r, c)
}

/// `A B'` for `A` (p x n) and `B` (q x n) in standard layout: the p x q matrix of dot products
/// of their rows. This is the layout GEMM kernels like best (the summed dimension contiguous in
/// both operands); with row-major n x p activations, `X'Y` in the other layout runs about half
/// as fast, so the feature-space forms first transpose their (centred) inputs.
pub(crate) fn abt<T: Real>(a: ArrayView2<T>, b: ArrayView2<T>, par: Par) -> Array2<T> {
    let mut out = Array2::<T>::zeros((a.nrows(), b.nrows()));
    faer::linalg::matmul::matmul(
        as_faer_mut(&mut out),
        Accum::Replace,
        as_faer(&a),
        as_faer(&b).transpose(),
        T::one(),
        par,
    );
    out
}

/// Lower triangle (diagonal included) of `A' A` for `A` (n x p). The strict upper triangle is
/// left at zero; only half the multiply-adds of a full GEMM are spent.
pub(crate) fn ata_lower<T: Real>(a: ArrayView2<T>, par: Par) -> Array2<T> {
    let mut out = Array2::<T>::zeros((a.ncols(), a.ncols()));
    faer::linalg::matmul::triangular::matmul(
        as_faer_mut(&mut out),
        BlockStructure::TriangularLower,
        Accum::Replace,
        as_faer(&a).transpose(),
        BlockStructure::Rectangular,
        as_faer(&a),
        BlockStructure::Rectangular,
        T::one(),
        par,
    );
    out
}

/// Lower triangle (diagonal included) of `A A'` for `A` (n x p): the linear Gram matrix of the
/// rows, with the strict upper triangle left at zero.
pub(crate) fn aat_lower<T: Real>(a: ArrayView2<T>, par: Par) -> Array2<T> {
    let t = a.t();
    ata_lower(t, par)
}

/// Full symmetric Gram matrix `A A'` as f64 (mirrors the lower triangle computed by a half GEMM).
pub(crate) fn gram_full_f64<T: Real>(a: ArrayView2<T>, par: Par) -> Array2<f64> {
    let low = aat_lower(a, par);
    let n = low.nrows();
    let mut g = Array2::<f64>::zeros((n, n));
    for i in 0..n {
        for j in 0..=i {
            let v: f64 = low[[i, j]].into();
            g[[i, j]] = v;
            g[[j, i]] = v;
        }
    }
    g
}

/// Squared Frobenius norm of a symmetric matrix given by its lower triangle, in f64.
pub(crate) fn sym_sq_norm_from_lower<T: Real>(low: &Array2<T>) -> f64 {
    low.axis_iter(Axis(0))
        .into_par_iter()
        .enumerate()
        .map(|(i, row)| {
            let mut off = 0.0f64;
            for &v in row.iter().take(i) {
                let v: f64 = v.into();
                off += v * v;
            }
            let d: f64 = row[i].into();
            2.0 * off + d * d
        })
        .sum()
}

/// Squared Frobenius norm of any matrix, accumulated in f64.
pub(crate) fn sq_norm<T: Real>(m: &Array2<T>) -> f64 {
    m.axis_iter(Axis(0))
        .into_par_iter()
        .map(|row| {
            row.iter()
                .map(|&v| {
                    let v: f64 = v.into();
                    v * v
                })
                .sum::<f64>()
        })
        .sum()
}

/// Column means of `x`, accumulated in f64 (parallel over blocks of rows).
pub(crate) fn column_means<T: Real>(x: ArrayView2<T>) -> Vec<f64> {
    let n = x.nrows().max(1) as f64;
    let p = x.ncols();
    let sums = x
        .axis_chunks_iter(Axis(0), 256)
        .into_par_iter()
        .map(|block| {
            let mut s = vec![0.0f64; p];
            for row in block.rows() {
                for (s, &v) in s.iter_mut().zip(row.iter()) {
                    *s += v.into();
                }
            }
            s
        })
        .reduce(
            || vec![0.0f64; p],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(u, v)| *u += v);
                a
            },
        );
    sums.iter().map(|s| s / n).collect()
}

/// A copy of `x` with every column centred (means computed in f64, subtracted in f64, then
/// rounded back to `T`), in standard layout so it can feed a GEMM directly.
pub(crate) fn centre_columns<T: Real>(x: ArrayView2<T>) -> Array2<T> {
    let means = column_means(x);
    let mut out = Array2::<T>::zeros(x.dim());
    Zip::from(out.rows_mut())
        .and(x.rows())
        .par_for_each(|mut o, r| {
            for ((o, &v), &m) in o.iter_mut().zip(r.iter()).zip(means.iter()) {
                *o = T::from_f64(v.into() - m);
            }
        });
    out
}

/// Centres the columns of `x` in place (means in f64): no second copy of a large minibatch.
pub(crate) fn centre_columns_in_place<T: Real>(x: &mut Array2<T>) {
    let means = column_means(x.view());
    x.axis_iter_mut(Axis(0)).into_par_iter().for_each(|mut r| {
        for (v, &m) in r.iter_mut().zip(means.iter()) {
            *v = T::from_f64(Into::<f64>::into(*v) - m);
        }
    });
}

/// Side of the tiles of the blocked transpose in [`centre_transposed`].
const TILE: usize = 64;

/// The centred columns of `x` (n x p) stored transposed, as a p x n standard-layout array (each
/// feature's n values contiguous), plus the column means. A tiled copy keeps both the reads and
/// the writes cache-friendly.
pub(crate) fn centre_transposed<T: Real>(x: ArrayView2<T>) -> (Array2<T>, Vec<f64>) {
    let means = column_means(x);
    let (n, p) = x.dim();
    let mut out = Array2::<T>::zeros((p, n));
    let (rs, cs) = (x.strides()[0], x.strides()[1]);
    let base = SharedConst(x.as_ptr());
    out.axis_chunks_iter_mut(Axis(0), TILE)
        .into_par_iter()
        .enumerate()
        .for_each(|(jb, mut slab)| {
            // Capture the whole Sync wrapper, not its raw-pointer field.
            let src = base;
            let j0 = jb * TILE;
            let width = slab.nrows();
            let slab = slab
                .as_slice_mut()
                .expect("row blocks of a standard-layout array are contiguous");
            let m = &means[j0..j0 + width];
            for i0 in (0..n).step_by(TILE) {
                for i in i0..(i0 + TILE).min(n) {
                    for (dj, &mj) in m.iter().enumerate() {
                        // SAFETY: i < n and j0 + dj < p, so the offset addresses an element of
                        // the view `x`, which outlives this call.
                        let v: f64 =
                            unsafe { *src.0.offset(i as isize * rs + (j0 + dj) as isize * cs) }
                                .into();
                        slab[dj * n + i] = T::from_f64(v - mj);
                    }
                }
            }
        });
    (out, means)
}

/// A read-only pointer into an `ndarray` view that tasks may share.
#[derive(Clone, Copy)]
struct SharedConst<T>(*const T);
// SAFETY: only reads through the pointer, while the borrowed view is alive.
unsafe impl<T: Sync> Send for SharedConst<T> {}
unsafe impl<T: Sync> Sync for SharedConst<T> {}

/// `|x_i - mean|^2` for every row of `x`, in f64.
pub(crate) fn centred_row_sq_norms<T: Real>(x: ArrayView2<T>, means: &[f64]) -> Vec<f64> {
    x.axis_iter(Axis(0))
        .into_par_iter()
        .map(|r| {
            r.iter()
                .zip(means)
                .map(|(&v, m)| {
                    let c = Into::<f64>::into(v) - m;
                    c * c
                })
                .sum()
        })
        .collect()
}

/// Fails with [`AnalysisError::NonFinite`] at the first NaN or infinity in `x`.
pub(crate) fn check_finite<T: Real>(
    what: &'static str,
    which: &'static str,
    x: ArrayView2<T>,
) -> Result<()> {
    let bad = x.iter().position(|&v| !Into::<f64>::into(v).is_finite());
    match bad {
        Some(index) => Err(AnalysisError::NonFinite { what, which, index }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn cross_and_half_grams_match_naive_products() {
        let a = array![[1.0, 2.0], [3.0, -1.0], [0.5, 4.0]];
        let b = array![[2.0], [1.0], [-1.0]];
        let c = abt(a.t(), b.t(), Par::Seq);
        assert_eq!(c, a.t().dot(&b));
        let low = ata_lower(a.view(), Par::Seq);
        let full = a.t().dot(&a);
        assert_eq!(low[[1, 0]], full[[1, 0]]);
        assert_eq!(low[[0, 1]], 0.0);
        assert!((sym_sq_norm_from_lower(&low) - sq_norm(&full)).abs() < 1e-12);
        let g = gram_full_f64(a.view(), Par::Seq);
        assert_eq!(g, a.dot(&a.t()));
        let (t, means) = centre_transposed(a.view());
        assert_eq!(means, vec![1.5, 5.0 / 3.0]);
        assert_eq!(t.dim(), (2, 3));
        assert!((t[[1, 2]] - (4.0 - 5.0 / 3.0)).abs() < 1e-15);
        assert_eq!(abt(t.view(), t.view(), Par::Seq), t.dot(&t.t()));
    }

    #[test]
    fn strided_views_are_bridged_correctly() {
        let a = array![[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let t = a.t(); // 3 x 2, column-major strides
        let c = abt(t, t, Par::Seq);
        assert_eq!(c, t.dot(&t.t()));
    }
}
