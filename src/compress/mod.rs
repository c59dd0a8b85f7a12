//! Structured compression (P2, paper 000): dependency-aware L1 filter pruning to a FLOPs target,
//! then fine-tuning.
//!
//! - [`plan`](mod@plan): which filters to keep for a FLOPs target (no libtorch).
//! - `apply` (with the `torch` feature): filter norms, and the pruned network built from them.
//! - `finetune` (with the `torch` feature): fine-tuning after pruning, and [`compress`] end to
//!   end.
//! - `resume` (with the `torch` feature): the fine-tuning's state between epochs on disk.
#[cfg(feature = "torch")]
pub mod apply;
#[cfg(feature = "torch")]
pub mod finetune;
pub mod plan;
#[cfg(feature = "torch")]
pub mod resume;

#[cfg(feature = "torch")]
pub use finetune::{compress, finetune, CompressOptions, Compressed, FinetuneOptions};
pub use plan::{plan, PrunePlan, Scope};
#[cfg(feature = "torch")]
pub use resume::FinetuneState;
