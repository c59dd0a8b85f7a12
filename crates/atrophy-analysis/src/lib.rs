//! Representation analysis: how close are an injured network's internal representations to the
//! healthy one's? (PROTOCOLS P5–P7.)
//!
//! Everything here works on plain arrays (`ndarray` views of f32 or f64, slices) and knows
//! nothing of models or libtorch, so it can be checked against numpy/scipy
//! (`bench/analysis_reference.py`) and used alone from the command line or from Python. It is a
//! crate of its own, `atrophy-analysis`, so that it builds without libtorch: the `atrophy` crate
//! re-exports it as `atrophy::analysis`, and the Python package (`python/`) wraps it.
//!
//! * [`cka`]: linear CKA (feature and Gram forms), RBF CKA, biased and unbiased HSIC ([`hsic`]),
//!   layer x layer CKA matrices, exact or minibatch with bounded memory ([`cka_matrix`]), over
//!   layers held in memory or streamed from `.npy` files ([`layer_source`]);
//! * [`rdm`]: representational dissimilarity matrices (1 - Pearson r);
//! * [`kendall`]: Kendall's tau-a and tau-b in O(m log m) (Knight 1966);
//! * [`pathways`]: top-k magnitude synapses and how they move;
//! * [`npy`]: .npy and CSV input/output, written atomically ([`fsio`]).
//!
//! A value that cannot be computed is an [`AnalysisError`] that says why, never a silent NaN.

pub mod cka;
pub mod cka_matrix;
pub mod error;
pub mod fsio;
pub mod hsic;
mod inversions;
pub mod kendall;
pub mod layer_source;
mod linalg;
pub mod npy;
pub mod pathways;
pub mod rdm;
pub mod rdm_pairs;
#[cfg(test)]
mod test_data;

pub use cka::{
    cka, cka_from_grams, linear_cka, linear_cka_feature, linear_cka_gram, linear_cka_unbiased,
    rbf_cka, CkaOptions, Estimator, Kernel, DEFAULT_SIGMA_FRACTION,
};
pub use cka_matrix::{cka_matrix, minibatch_cka_matrix, LayerSource, ViewSource};
pub use error::{AnalysisError, Result};
pub use hsic::{hsic_biased, hsic_unbiased, linear_gram, rbf_gram, UnbiasedGram};
pub use kendall::{
    kendall_counts, kendall_tau, rdm_kendall_counts, rdm_kendall_tau, KendallCounts, TauVariant,
};
pub use linalg::Real;
pub use pathways::{pathway_change, top_k_indices, PathwayChange};
pub use rdm::{rdm, upper_triangle};
pub use rdm_pairs::{rdm_kendall_counts_over, RdmPairs};
