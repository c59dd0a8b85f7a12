//! Representational dissimilarity matrices (PROTOCOLS P6): `RDM_ij = 1 - pearson(A_i, A_j)`
//! between the activation vectors (rows) of every pair of images.
//!
//! Each row is centred and scaled to unit norm once (O(n p)); the correlations are then one
//! symmetric GEMM `Z Z'` of which only the lower triangle is computed (n^2 p / 2 multiply-adds,
//! f64 throughout), and a tiled pass turns it into `1 - r`, clipped to [0, 2] as `np.corrcoef`
//! clips r to [-1, 1], mirrors it and writes an exact zero diagonal.

use faer::linalg::matmul::triangular::BlockStructure;
use faer::Accum;
use ndarray::{Array2, ArrayView2, Axis, Zip};
use rayon::prelude::*;

use super::error::{AnalysisError, Result};
use super::linalg::{as_faer, as_faer_mut, check_finite, par_all, Real};

/// Side of the square tiles of the mirroring pass; 64 x 64 f64 = 32 KiB, two tiles fit in L1/L2.
const TILE: usize = 64;

/// Rows of `a` centred and scaled to unit Euclidean norm (f64). Fails on a constant row, whose
/// correlation with anything is 0/0.
pub fn standardise_rows<T: Real>(a: ArrayView2<T>) -> Result<Array2<f64>> {
    check_finite("RDM", "activations", a)?;
    let p = a.ncols();
    let mut z = Array2::<f64>::zeros(a.dim());
    let bad: Option<usize> = Zip::indexed(z.rows_mut())
        .and(a.rows())
        .par_map_collect(|i, mut out, row| {
            let mean = row.iter().map(|&v| Into::<f64>::into(v)).sum::<f64>() / p as f64;
            let mut ss = 0.0;
            for (o, &v) in out.iter_mut().zip(row.iter()) {
                let c = Into::<f64>::into(v) - mean;
                *o = c;
                ss += c * c;
            }
            if ss > 0.0 {
                let inv = 1.0 / ss.sqrt();
                out.mapv_inplace(|v| v * inv);
                None
            } else {
                Some(i)
            }
        })
        .iter()
        .flatten()
        .copied()
        .min();
    if let Some(i) = bad {
        return Err(AnalysisError::ZeroVariance {
            what: "RDM (Pearson correlation)",
            which: format!("row {i} (image {i}: all {p} activations are equal)"),
        });
    }
    Ok(z)
}

/// A raw pointer that may cross threads; each tile task writes a disjoint set of entries.
#[derive(Clone, Copy)]
struct SharedMut(*mut f64);
// SAFETY: used only by `finish_rdm`, whose tasks touch disjoint entries.
unsafe impl Send for SharedMut {}
unsafe impl Sync for SharedMut {}

/// The n x n RDM of activations `a` (n images x p features).
pub fn rdm<T: Real>(a: ArrayView2<T>) -> Result<Array2<f64>> {
    if a.nrows() < 2 || a.ncols() < 2 {
        return Err(AnalysisError::BadShape {
            what: "RDM",
            shape: a.shape().to_vec(),
            expected: "n >= 2 images by p >= 2 features",
        });
    }
    let z = standardise_rows(a)?;
    let n = z.nrows();
    let mut c = Array2::<f64>::zeros((n, n));
    faer::linalg::matmul::triangular::matmul(
        as_faer_mut(&mut c),
        BlockStructure::TriangularLower,
        Accum::Replace,
        as_faer(&z.view()),
        BlockStructure::Rectangular,
        as_faer(&z.view()).transpose(),
        BlockStructure::Rectangular,
        1.0,
        par_all(),
    );
    drop(z);
    finish_rdm(&mut c);
    Ok(c)
}

/// Turns the lower triangle of a correlation matrix into the full RDM in place.
fn finish_rdm(c: &mut Array2<f64>) {
    let n = c.nrows();
    let nt = n.div_ceil(TILE);
    let base = SharedMut(c.as_mut_ptr());
    // Tile pairs (ti >= tj) of the lower triangle; each owns tile (ti, tj) and its mirror (tj, ti).
    let tiles: Vec<(usize, usize)> = (0..nt)
        .flat_map(|ti| (0..=ti).map(move |tj| (ti, tj)))
        .collect();
    tiles.par_iter().for_each(|&(ti, tj)| {
        let p = base;
        let (i0, i1) = (ti * TILE, ((ti + 1) * TILE).min(n));
        let (j0, j1) = (tj * TILE, ((tj + 1) * TILE).min(n));
        for i in i0..i1 {
            for j in j0..j1.min(i + 1) {
                // SAFETY: (i, j) with j <= i lies in tile (ti, tj) and (j, i) in its mirror;
                // no other task touches either; both are in bounds of the n x n buffer.
                unsafe {
                    let v = if i == j {
                        0.0
                    } else {
                        (1.0 - *p.0.add(i * n + j)).clamp(0.0, 2.0)
                    };
                    *p.0.add(i * n + j) = v;
                    *p.0.add(j * n + i) = v;
                }
            }
        }
    });
}

/// The strict upper triangle (k = 1) of a square matrix, row by row: the order of
/// `a[np.triu_indices(n, 1)]`. Length n(n-1)/2.
pub fn upper_triangle(a: ArrayView2<f64>) -> Result<Vec<f64>> {
    let n = a.nrows();
    if a.ncols() != n {
        return Err(AnalysisError::BadShape {
            what: "upper triangle of an RDM",
            shape: a.shape().to_vec(),
            expected: "a square matrix",
        });
    }
    let mut out = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for (i, row) in a.axis_iter(Axis(0)).enumerate() {
        out.extend(row.iter().skip(i + 1).copied());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn naive(a: &Array2<f64>) -> Array2<f64> {
        let n = a.nrows();
        Array2::from_shape_fn((n, n), |(i, j)| {
            let (x, y) = (a.row(i), a.row(j));
            let (mx, my) = (x.mean().unwrap(), y.mean().unwrap());
            let cov: f64 = x
                .iter()
                .zip(y.iter())
                .map(|(u, v)| (u - mx) * (v - my))
                .sum();
            let vx: f64 = x.iter().map(|u| (u - mx).powi(2)).sum();
            let vy: f64 = y.iter().map(|v| (v - my).powi(2)).sum();
            1.0 - cov / (vx * vy).sqrt()
        })
    }

    /// Row by row, as numpy's `m[np.triu_indices(n, 1)]`: (0,1), (0,2), (0,3), (1,2), ...
    #[test]
    fn upper_triangle_is_in_numpys_triu_order() {
        let m = Array2::from_shape_fn((4, 4), |(i, j)| (4 * i + j) as f64);
        assert_eq!(
            upper_triangle(m.view()).unwrap(),
            [1.0, 2.0, 3.0, 6.0, 7.0, 11.0]
        );
    }

    #[test]
    fn matches_naive_pearson_and_is_symmetric_with_zero_diagonal() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        // 150 rows: more than two tiles, and not a multiple of the tile size.
        let a = Array2::from_shape_fn((150, 9), |_| rng.random::<f64>());
        let r = rdm(a.view()).unwrap();
        let expect = naive(&a);
        for i in 0..150 {
            assert_eq!(r[[i, i]], 0.0);
            for j in 0..150 {
                assert_eq!(r[[i, j]], r[[j, i]]);
                if i != j {
                    assert!((r[[i, j]] - expect[[i, j]]).abs() < 1e-12);
                }
            }
        }
    }

    #[test]
    fn hand_worked_case() {
        // Row 1 is row 0 scaled and shifted (r = 1), row 2 is row 0 reversed (r = -1), and
        // rows 0 and 3 centre to (-1, 0, 1) and (-1, 1, 0): r = 1 / (sqrt 2 sqrt 2) = 0.5.
        let a = array![
            [1.0f32, 2.0, 3.0],
            [2.0, 4.0, 6.0],
            [3.0, 2.0, 1.0],
            [1.0, 3.0, 2.0]
        ];
        let r = rdm(a.view()).unwrap();
        assert!((r[[0, 2]] - 2.0).abs() < 1e-12);
        assert!(r[[0, 1]].abs() < 1e-12);
        assert!((r[[3, 0]] - 0.5).abs() < 1e-12);
        assert_eq!(upper_triangle(r.view()).unwrap().len(), 6);
    }

    #[test]
    fn constant_row_is_an_error_naming_the_row() {
        let a = array![[1.0, 2.0], [5.0, 5.0], [0.0, 1.0]];
        let e = rdm(a.view()).unwrap_err().to_string();
        assert!(e.contains("row 1"), "{e}");
    }
}
