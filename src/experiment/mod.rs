//! Experiments: the config schema and its validation, the runner (regimes x cycles x iterations)
//! with checkpoint and resume, sharding and merging, and the results tables.
#[cfg(feature = "torch")]
pub mod analyses;
pub mod config;
pub mod overrides;
pub mod records;
#[cfg(feature = "torch")]
pub mod runner;
#[cfg(feature = "torch")]
pub mod shard;

pub use config::{ExperimentConfig, RegimeConfig};
pub use records::{mean_sd, metrics_csv, summary_csv, MetricRow};
#[cfg(feature = "torch")]
pub use runner::{run, steps, Progress, RunOptions, Step};
