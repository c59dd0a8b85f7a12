//! The experiment config: one TOML file says everything (data, healthy model, injury, regimes,
//! cycles, seed, evaluation set, analyses, output). Every invalid value is an error naming the
//! field and the allowed range.
use crate::injury::InjuryConfig;
use crate::train::HealthyOptions;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A whole experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    /// Name, used for the default output folder `results/NAME`.
    pub name: String,
    /// Seed of every random choice (cycle c uses seeds derived from it and c).
    #[serde(default)]
    pub seed: u64,
    /// Independent repetitions per regime, each from the same healthy model (C).
    #[serde(default = "d_cycles")]
    pub cycles: usize,
    /// Data set and evaluation set.
    pub data: DataConfig,
    /// The healthy model: a checkpoint, or how to train it.
    #[serde(default)]
    pub healthy: HealthyConfig,
    /// The injury schedule.
    pub injury: InjuryConfig,
    /// Retraining regimes (`[[regime]]` tables), all starting from the same healthy model.
    #[serde(rename = "regime")]
    pub regimes: Vec<RegimeConfig>,
    /// Analyses after every evaluated state: accuracy (always), cka, rdm, pathways.
    #[serde(default = "d_analyses")]
    pub analyses: Vec<String>,
    /// Settings of the representation analyses.
    #[serde(default)]
    pub analysis: super::analyses::AnalysisSettings,
    /// Output folder (the command line's `--out` wins).
    #[serde(default)]
    pub out: Option<PathBuf>,
}

/// Data set and evaluation set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// cifar10, mnist, fashion-mnist or synthetic.
    pub dataset: String,
    /// File or folder holding it (else the usual search: $ATROPHY_DATA, cache, /usr/share/datasets).
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Evaluate on this many test images (a fixed random subset); all when absent.
    #[serde(default)]
    pub eval_images: Option<usize>,
}

/// The healthy model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct HealthyConfig {
    /// Start from this checkpoint instead of training.
    #[serde(default)]
    pub checkpoint: Option<PathBuf>,
    /// How to train it (into OUT/healthy/) when there is no checkpoint.
    #[serde(default)]
    pub train: Option<HealthyOptions>,
}

/// One retraining regime (P3: R images, E epochs, its own optimizer settings).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegimeConfig {
    /// Name in the results (e.g. `R1000`, `static`).
    pub name: String,
    /// No retraining at all (the static-injury paradigm).
    #[serde(default, rename = "static")]
    pub is_static: bool,
    /// Retrain on R images drawn without replacement; the whole training set when absent.
    #[serde(default)]
    pub images: Option<usize>,
    /// Epochs of retraining per iteration (E).
    #[serde(default = "d_epochs")]
    pub epochs: usize,
    /// Images per step.
    #[serde(default = "d_batch")]
    pub batch_size: usize,
    /// Learning rate.
    #[serde(default = "d_lr")]
    pub lr: f64,
    /// SGD momentum.
    #[serde(default = "d_momentum")]
    pub momentum: f64,
    /// Weight decay.
    #[serde(default)]
    pub weight_decay: f64,
    /// Draw a class-balanced subset instead of a uniform one.
    #[serde(default)]
    pub balanced: bool,
    /// Draw a fresh subset every iteration (else one draw per cycle).
    #[serde(default = "d_true")]
    pub fresh_draw: bool,
    /// Augment retraining batches (as the healthy training did for CIFAR-10).
    #[serde(default)]
    pub augment: bool,
}

fn d_cycles() -> usize {
    3
}
fn d_analyses() -> Vec<String> {
    vec!["accuracy".into()]
}
fn d_epochs() -> usize {
    1
}
fn d_batch() -> usize {
    128
}
fn d_lr() -> f64 {
    0.001
}
fn d_momentum() -> f64 {
    0.9
}
fn d_true() -> bool {
    true
}

/// The analyses an experiment can name.
pub const ANALYSES: [&str; 4] = ["accuracy", "cka", "rdm", "pathways"];

impl ExperimentConfig {
    /// Parses TOML; `origin` names the file in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<ExperimentConfig, String> {
        let c: ExperimentConfig = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        c.validate().map_err(|e| format!("{origin}: {e}"))?;
        Ok(c)
    }

    /// Checks every value.
    pub fn validate(&self) -> Result<(), String> {
        if self.name.is_empty() || self.name.contains(['/', '\\']) {
            return Err(format!(
                "name = {:?}: expected a non-empty name without slashes",
                self.name
            ));
        }
        if self.cycles == 0 || self.cycles > 100_000 {
            return Err(format!(
                "cycles = {} is out of range: expected 1..=100000",
                self.cycles
            ));
        }
        crate::data::canonical_name(&self.data.dataset)
            .map_err(|e| format!("data.dataset: {e}"))?;
        if self.data.eval_images == Some(0) {
            return Err("data.eval_images = 0 is out of range: expected at least 1 (or leave it out for the whole test set)".into());
        }
        if self.healthy.checkpoint.is_some() == self.healthy.train.is_some() {
            return Err(
                "healthy: give exactly one of healthy.checkpoint or [healthy.train]".into(),
            );
        }
        self.injury.validate()?;
        if self.regimes.is_empty() {
            return Err(
                "no [[regime]]: expected at least one (e.g. name = \"static\", static = true)"
                    .into(),
            );
        }
        let mut names = std::collections::HashSet::new();
        for (i, r) in self.regimes.iter().enumerate() {
            let at = format!("regime[{i}] ({})", r.name);
            if !names.insert(r.name.as_str()) {
                return Err(format!("{at}: the name is used twice"));
            }
            if r.name.is_empty() || r.name.contains([',', '/', '"']) {
                return Err(format!(
                    "{at}: name must be non-empty without commas, slashes or quotes"
                ));
            }
            if r.is_static {
                continue;
            }
            if r.images == Some(0) {
                return Err(format!(
                    "{at}.images = 0 is out of range: expected at least 1 (or static = true)"
                ));
            }
            if r.epochs == 0 {
                return Err(format!(
                    "{at}.epochs = 0 is out of range: expected at least 1"
                ));
            }
            if r.batch_size == 0 {
                return Err(format!(
                    "{at}.batch_size = 0 is out of range: expected at least 1"
                ));
            }
            if !(r.lr > 0.0 && r.lr.is_finite()) {
                return Err(format!(
                    "{at}.lr = {} is out of range: expected a positive number",
                    r.lr
                ));
            }
            if !(0.0..1.0).contains(&r.momentum) {
                return Err(format!(
                    "{at}.momentum = {} is out of range: expected 0 <= momentum < 1",
                    r.momentum
                ));
            }
            if !(r.weight_decay >= 0.0 && r.weight_decay.is_finite()) {
                return Err(format!(
                    "{at}.weight_decay = {} is out of range: expected a finite number >= 0",
                    r.weight_decay
                ));
            }
        }
        for a in &self.analyses {
            if !ANALYSES.contains(&a.as_str()) {
                return Err(format!(
                    "analyses: unknown analysis `{a}`: expected any of {}",
                    ANALYSES.join(", ")
                ));
            }
        }
        self.analysis.validate()?;
        Ok(())
    }
}
