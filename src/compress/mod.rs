//! Structured compression (P2, paper 000): dependency-aware L1 filter pruning to a FLOPs target,
//! then fine-tuning.
#[cfg(feature = "torch")]
pub mod apply;
pub mod plan;

pub use plan::{plan, PrunePlan};
