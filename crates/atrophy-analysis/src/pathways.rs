//! Pathways (PROTOCOLS P7): where are a layer's strongest synapses, and after an injury or
//! retraining, are they the same synapses (rescaled) or new ones (a new pathway)?

use super::error::{AnalysisError, Result};
use super::linalg::Real;

/// How a layer's top-k magnitude synapses changed relative to a reference (the healthy model).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PathwayChange {
    /// k, the number of synapses in each top set.
    pub k: usize,
    /// Indices in both top-k sets.
    pub kept: usize,
    /// `kept / |union|`, in [0, 1]; 1 when the same synapses are strongest.
    pub jaccard: f64,
    /// Indices in the current top-k that are not in the reference one: "new pathway" (index
    /// changed). Equals `k - kept`.
    pub new_pathway: usize,
    /// Kept indices whose value differs from the reference (same index, rescaled).
    pub rescaled: usize,
    /// Kept indices whose value is bitwise identical to the reference.
    pub unchanged: usize,
}

/// Indices of the `k` largest `|w_i|`, in ascending index order. Equal magnitudes are broken by
/// the lower index, so the result is deterministic.
pub fn top_k_indices<T: Real>(w: &[T], k: usize) -> Result<Vec<usize>> {
    if k == 0 || k > w.len() {
        return Err(AnalysisError::InvalidParameter {
            name: "k",
            value: k.to_string(),
            reason: "must be between 1 and the number of synapses in the layer",
        });
    }
    if let Some(index) = w.iter().position(|&v| Into::<f64>::into(v).is_nan()) {
        return Err(AnalysisError::NonFinite {
            what: "top-k synapses",
            which: "weights",
            index,
        });
    }
    let mag = |i: usize| Into::<f64>::into(w[i]).abs();
    let mut idx: Vec<usize> = (0..w.len()).collect();
    // Selection, not a full sort: O(len) on average. The comparator is a total order
    // (magnitude descending, then index ascending).
    let order = |&a: &usize, &b: &usize| mag(b).total_cmp(&mag(a)).then(a.cmp(&b));
    if k < w.len() {
        idx.select_nth_unstable_by(k - 1, order);
        idx.truncate(k);
    }
    idx.sort_unstable();
    Ok(idx)
}

/// Compares the top-k synapses of `current` with those of `reference` (same layer, same flat
/// order, e.g. the healthy weights).
pub fn pathway_change<T: Real>(reference: &[T], current: &[T], k: usize) -> Result<PathwayChange> {
    let top_ref = top_k_indices(reference, k)?;
    pathway_change_from(&top_ref, reference, current)
}

/// As [`pathway_change`], with the reference top-k given (compute it once per layer with
/// [`top_k_indices`] and reuse it for every iteration).
pub fn pathway_change_from<T: Real>(
    reference_top: &[usize],
    reference: &[T],
    current: &[T],
) -> Result<PathwayChange> {
    if reference.len() != current.len() {
        return Err(AnalysisError::mismatch(
            "pathways (the same layer's weights)",
            &[reference.len()],
            &[current.len()],
        ));
    }
    let k = reference_top.len();
    let top_cur = top_k_indices(current, k)?;
    // Both index lists are sorted: intersect by merging.
    let (mut i, mut j) = (0, 0);
    let (mut kept, mut rescaled) = (0, 0);
    while i < reference_top.len() && j < top_cur.len() {
        match reference_top[i].cmp(&top_cur[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                let s = reference_top[i];
                kept += 1;
                let (a, b): (f64, f64) = (reference[s].into(), current[s].into());
                if a.to_bits() != b.to_bits() {
                    rescaled += 1;
                }
                i += 1;
                j += 1;
            }
        }
    }
    let union = 2 * k - kept;
    Ok(PathwayChange {
        k,
        kept,
        jaccard: kept as f64 / union as f64,
        new_pathway: k - kept,
        rescaled,
        unchanged: kept - rescaled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_by_magnitude_with_deterministic_ties() {
        let w = [0.1f32, -5.0, 3.0, 3.0, -3.0, 0.0];
        assert_eq!(top_k_indices(&w, 1).unwrap(), vec![1]);
        assert_eq!(top_k_indices(&w, 3).unwrap(), vec![1, 2, 3]);
        assert_eq!(top_k_indices(&w, 6).unwrap(), (0..6).collect::<Vec<_>>());
        assert!(top_k_indices(&w, 0).is_err());
        assert!(top_k_indices(&w, 7).is_err());
    }

    #[test]
    fn split_into_new_pathway_and_rescaled() {
        let healthy = [4.0f64, -3.0, 2.0, 1.0, 0.5];
        // Synapse 0 decayed to 2.0 (drops out), 1 rescaled, 2 unchanged, 3 grew to 5.
        let now = [2.0f64, -2.5, 2.0, 5.0, 0.5];
        let c = pathway_change(&healthy, &now, 3).unwrap();
        // healthy top-3 = {0, 1, 2}; current top-3 = {1, 3, 0 or 2 (tie at 2.0 -> index 0)}.
        assert_eq!(top_k_indices(&now, 3).unwrap(), vec![0, 1, 3]);
        assert_eq!(
            (c.kept, c.new_pathway, c.rescaled, c.unchanged),
            (2, 1, 2, 0)
        );
        assert!((c.jaccard - 0.5).abs() < 1e-15);
        let same = pathway_change(&healthy, &healthy, 2).unwrap();
        assert_eq!((same.jaccard, same.unchanged, same.rescaled), (1.0, 2, 0));
        let e = pathway_change(&healthy, &now[..4], 2)
            .unwrap_err()
            .to_string();
        assert!(e.contains("[5]") && e.contains("[4]"), "{e}");
    }
}
