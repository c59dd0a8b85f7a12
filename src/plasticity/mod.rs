//! Plasticity mechanisms borrowed from neuroscience (P8, P9): Hebbian-family rules on neurons and
//! associative memories; with the `torch` feature, differentiable Hebbian plasticity. Plain arrays, seeded generators; no dependency on the rest of atrophy.
pub mod dbn;
#[cfg(feature = "torch")]
pub mod differentiable;
pub mod hopfield;
pub mod rbm;
pub mod rules;

pub use dbn::{Dbn, DbnClassifier, DbnGradient};
pub use hopfield::{modern_retrieve, overlap, random_patterns, Hopfield};
pub use rbm::Rbm;
