//! Experiments: the config schema and its validation, the runner (regimes x cycles x iterations)
//! with its run record and resume, sharding and merging.
//!
//! Read `runner.rs` first: its loop is the algorithm. The files around it each hold one part:
//! `subject.rs` (the model under study), `retrain.rs` (retraining and saliency), `analyses.rs`
//! (CKA, RDM and pathways of each state), `record.rs` (the run record and the tables),
//! `step_state.rs` (the state between steps on disk), `weights.rs` (tensors by name).
pub mod analyses;
pub mod battery;
pub mod config;
pub mod divergence;
pub mod healthy_stage;
pub mod hebbian;
pub mod homeostasis;
pub mod lock;
pub mod models;
pub mod overrides;
pub mod progression;
pub mod record;
pub mod retrain;
pub mod runner;
pub mod shard;
pub mod step_state;
pub mod subject;
pub mod weights;

/// The config's error and regime types, where they were before they moved to [`crate::config`].
pub use crate::config::{error, regime};

pub use config::{Analysis, AnalysisSettings, ConfigError, ExperimentConfig, RegimeConfig};
pub use record::{steps, RunRecord, Step};
pub use runner::{healthy_checkpoint, run, HealthySource, RunOptions};
