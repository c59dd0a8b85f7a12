//! Plasticity mechanisms borrowed from neuroscience (P8, P9): Hebbian-family rules on neurons and
//! associative memories. Plain arrays, seeded generators; no dependency on the rest of atrophy.
pub mod hopfield;
pub mod rbm;
pub mod rules;

pub use hopfield::{modern_retrieve, overlap, random_patterns, Hopfield};
pub use rbm::Rbm;
