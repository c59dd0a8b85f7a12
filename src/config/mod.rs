//! The experiment config's types and their checks, without libtorch: what `atrophy run` reads
//! from a TOML file, what `run.json` records, and what the report and the Python package read
//! back, typed, from a results folder. The runner's checks against the loaded data are in
//! `experiment::config`.
pub mod battery;
pub mod difference;
pub mod error;
pub mod experiment;
pub mod regime;

pub use battery::BatterySettings;
pub use difference::{describe as describe_differences, differences, Difference};
pub use error::ConfigError;
pub use experiment::{Analysis, AnalysisSettings, ExperimentConfig};
pub use regime::{BnMomentum, RegimeConfig, RetrainSchedule, Rule, Source};
