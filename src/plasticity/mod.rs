//! Plasticity mechanisms borrowed from neuroscience (P8-P10): Hebbian-family rules on neurons,
//! spike-timing-dependent plasticity, structural plasticity by neuroevolution (NEAT),
//! associative memories; with the `torch` feature, differentiable Hebbian plasticity. The rules,
//! memories and RBMs work on plain arrays and seeded generators; [`demos`] runs the command
//! line's demonstrations of them, on images from [`crate::data`].
pub mod dbn;
pub mod demos;
#[cfg(feature = "torch")]
pub mod differentiable;
pub mod hopfield;
pub mod neat;
pub mod rbm;
pub mod rules;
pub mod stdp;

pub use dbn::{Dbn, DbnClassifier, DbnGradient};
pub use hopfield::{modern_retrieve, overlap, random_patterns, Hopfield};
pub use rbm::Rbm;
