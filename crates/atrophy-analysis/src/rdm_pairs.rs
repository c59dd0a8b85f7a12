//! Which entries of two RDMs Kendall's tau runs over: each pair of images once (the upper
//! triangles), or the whole matrices as paper 001's authors' code compared them (P6).
use super::error::Result;
use super::kendall::{kendall_counts, rdm_kendall_counts, KendallCounts};
use ndarray::ArrayView2;

/// Which entries of two RDMs Kendall's tau compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RdmPairs {
    /// The strict upper triangles: each pair of images once (the RSA reading).
    #[default]
    Upper,
    /// The whole matrices flattened row by row, the zero diagonal and both triangles included
    /// (each pair of images twice): what paper 001's authors' code computed with pandas.
    Full,
}

/// Kendall's tau between two RDMs over the entries `pairs` names; O(m log m) in the m entries.
pub fn rdm_kendall_counts_over(
    a: ArrayView2<f64>,
    b: ArrayView2<f64>,
    pairs: RdmPairs,
) -> Result<KendallCounts> {
    match pairs {
        RdmPairs::Upper => rdm_kendall_counts(a, b),
        RdmPairs::Full => {
            // The same shape checks as the triangles; then the row-major entries as vectors.
            if a.ncols() != a.nrows() || a.dim() != b.dim() {
                return rdm_kendall_counts(a, b);
            }
            let flat = |m: ArrayView2<f64>| m.iter().copied().collect::<Vec<f64>>();
            kendall_counts(&flat(a), &flat(b))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TauVariant;

    /// A 4 x 4 RDM and the same RDM with its two largest dissimilarities swapped, by hand.
    /// Upper triangles: 15 pairs, one discordant, no ties: tau = 13/15. Whole matrices (16
    /// entries, 120 pairs): the 48 pairs of a diagonal zero with an off-diagonal entry are
    /// concordant; of the 66 off-diagonal pairs, the 6 pairs of an entry with its mirror are
    /// tied in both, the 4 pairs across the swapped values (5, 6) discordant, 56 concordant;
    /// the 6 pairs of diagonal zeros tied in both. C = 104, D = 4, 12 ties in each:
    /// tau-b = 100 / sqrt(108 * 108), tau-a = 100 / 120.
    #[test]
    fn whole_matrix_tau_by_hand() {
        let a = ndarray::array![
            [0.0, 1.0, 2.0, 3.0],
            [1.0, 0.0, 4.0, 5.0],
            [2.0, 4.0, 0.0, 6.0],
            [3.0, 5.0, 6.0, 0.0]
        ];
        let mut b = a.clone();
        for (i, j) in [(1, 3), (3, 1)] {
            b[[i, j]] = 6.0;
        }
        for (i, j) in [(2, 3), (3, 2)] {
            b[[i, j]] = 5.0;
        }
        let up = rdm_kendall_counts_over(a.view(), b.view(), RdmPairs::Upper).unwrap();
        assert_eq!((up.score(), up.discordant, up.pairs), (13, 1, 15));
        assert!((up.tau(TauVariant::B).unwrap() - 13.0 / 15.0).abs() < 1e-15);
        let full = rdm_kendall_counts_over(a.view(), b.view(), RdmPairs::Full).unwrap();
        assert_eq!((full.score(), full.discordant, full.pairs), (100, 4, 120));
        assert_eq!((full.ties_x, full.ties_y, full.ties_xy), (12, 12, 12));
        assert!((full.tau(TauVariant::B).unwrap() - 100.0 / 108.0).abs() < 1e-15);
        assert!((full.tau(TauVariant::A).unwrap() - 100.0 / 120.0).abs() < 1e-15);
        // Shapes are checked as for the triangles.
        let c = ndarray::Array2::<f64>::zeros((3, 3));
        assert!(rdm_kendall_counts_over(a.view(), c.view(), RdmPairs::Full).is_err());
    }
}
