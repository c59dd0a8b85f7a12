//! atrophy: in-silico neurodegeneration and neuroplasticity in deep networks.
//!
//! Train a healthy vision network, injure its synapses step by step (decay, ablation), let the
//! surviving synapses re-learn, and measure what is lost and what comes back. See
//! `docs/PROTOCOLS.md` for the exact algorithms and the README for the command line.
//!
//! Modules that need libtorch sit behind the `torch` feature (on by default); `analysis`, `data`
//! and the architecture descriptions build and test without it.
/// The representation analyses (PROTOCOLS P5-P7), a crate of their own so that they build
/// without libtorch and under the Python package (`python/`).
pub use atrophy_analysis as analysis;
pub mod battery;
pub mod cli;
pub mod compress;
pub mod config;
pub mod data;
#[cfg(feature = "torch")]
pub mod experiment;
pub use atrophy_analysis::fsio;
pub mod injury;
pub mod malloc;
pub mod model;
pub mod plasticity;
pub mod progress;
pub mod range;
pub mod report;
pub mod results;
pub mod seed;
pub mod stats;
pub mod train;

#[cfg(feature = "torch")]
pub mod checkpoint;
#[cfg(feature = "torch")]
pub mod device;
