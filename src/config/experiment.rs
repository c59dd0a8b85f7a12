//! The experiment config: one TOML file says everything (data, healthy model, injury, regimes,
//! cycles, seed, evaluation set, analyses, output). Every invalid value is an error naming the
//! field and the allowed range.
pub use super::battery::BatterySettings;
pub use super::error::ConfigError;
use super::error::{invalid, out_of_range};
pub use super::regime::{BnMomentum, RegimeConfig, RetrainSchedule, Rule, Source};
use crate::analysis::{RdmPairs, TauVariant};
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
    pub analyses: Vec<Analysis>,
    /// Settings of the representation analyses.
    #[serde(default)]
    pub analysis: AnalysisSettings,
    /// The visual test battery's settings (with `analyses = [..., "battery"]`).
    #[serde(default, skip_serializing_if = "BatterySettings::is_default")]
    pub battery: BatterySettings,
    /// Output folder (the command line's `--out` wins).
    #[serde(default)]
    pub out: Option<PathBuf>,
    /// Write the model of every step as a checkpoint under `OUT/models/` (with `model.pt` for a
    /// TorchScript model).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub save_models: bool,
}

/// Data set and evaluation set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// cifar10, cifar100, mnist, fashion-mnist, synthetic, or `images[:SIZE[:gray]]` (an image
    /// folder at `path`).
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

fn d_cycles() -> usize {
    3
}
fn d_analyses() -> Vec<Analysis> {
    vec![Analysis::Accuracy]
}

/// The analyses an experiment can name (`analyses = [...]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Analysis {
    /// Top-1, mean class-wise and per-class accuracy, and the loss (always measured).
    Accuracy,
    /// Layer x layer linear CKA against the healthy model (P5).
    Cka,
    /// The RDM of one layer and its Kendall tau against the healthy RDM (P6).
    Rdm,
    /// Overlap of each layer's top-k synapses with the healthy model's (P7).
    Pathways,
    /// The visual test battery: accuracy under perturbed images and thresholds (`[battery]`).
    Battery,
}

/// Settings of the representation analyses (`[analysis]` in the config).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisSettings {
    /// Images of the evaluation set used (its first n).
    #[serde(default = "d_n")]
    pub images: usize,
    /// Layers of the CKA matrix (names); empty = every layer.
    #[serde(default)]
    pub cka_layers: Vec<String>,
    /// Layer whose RDM is compared; default: the penultimate layer (the input of the last linear).
    #[serde(default)]
    pub rdm_layer: Option<String>,
    /// Kendall variant for RDMs: "b" (the default, as everywhere in atrophy; docs/PROTOCOLS.md
    /// P6 says why) or "a" (RSA toolboxes' choice).
    #[serde(default = "d_variant")]
    pub kendall: TauVariant,
    /// Which RDM entries tau compares: `upper` (each pair of images once; the default) or
    /// `full` (the whole matrices flattened, as paper 001's authors' code did).
    #[serde(default)]
    pub kendall_pairs: RdmPairs,
    /// RDM images: the first K test images of each class, in test-set order, grouped by class
    /// (paper 001's authors' choice); absent: the first `images` evaluation images.
    #[serde(default)]
    pub rdm_images_per_class: Option<usize>,
    /// The most images an RDM file under `rdm/` holds (at least one per class, checked against
    /// the data set before a run starts). Tau always compares the RDMs of all the
    /// RDM images; when they are more than this, each file keeps the sub-matrix of the first
    /// `rdm_file_images / classes` of each class, grouped by class (an RDM's entries are
    /// pairwise, so it is those images' RDM), and `rdm/labels.npy` their labels.
    #[serde(default = "d_rdm_file_images")]
    pub rdm_file_images: usize,
    /// Top-k of each layer, as a fraction of its synapses.
    #[serde(default = "d_k")]
    pub pathways_fraction: f64,
    /// The course of the disease: the onset is the first injury at which top-1 accuracy is this
    /// many percentage points below healthy (docs/PROTOCOLS.md P13).
    #[serde(default = "d_onset")]
    pub onset_points: f64,
}

fn d_rdm_file_images() -> usize {
    1000
}

fn d_onset() -> f64 {
    5.0
}

fn d_n() -> usize {
    500
}
fn d_variant() -> TauVariant {
    TauVariant::default()
}
fn d_k() -> f64 {
    0.01
}

impl Default for AnalysisSettings {
    fn default() -> Self {
        AnalysisSettings {
            images: d_n(),
            cka_layers: vec![],
            rdm_layer: None,
            kendall: d_variant(),
            kendall_pairs: RdmPairs::default(),
            rdm_images_per_class: None,
            rdm_file_images: d_rdm_file_images(),
            pathways_fraction: d_k(),
            onset_points: d_onset(),
        }
    }
}

impl AnalysisSettings {
    /// Checks the values, naming the field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.images < 4 {
            return Err(out_of_range("analysis.images", self.images, "at least 4"));
        }
        if self.rdm_images_per_class == Some(0) {
            return Err(out_of_range(
                "analysis.rdm_images_per_class",
                0,
                "at least 1 (or leave it out for the first `images` evaluation images)",
            ));
        }
        if self.rdm_file_images < 2 {
            return Err(out_of_range(
                "analysis.rdm_file_images",
                self.rdm_file_images,
                "at least 2",
            ));
        }
        if !(self.pathways_fraction > 0.0 && self.pathways_fraction <= 1.0) {
            return Err(out_of_range(
                "analysis.pathways_fraction",
                self.pathways_fraction,
                "0 < f <= 1",
            ));
        }
        if !(self.onset_points > 0.0 && self.onset_points < 100.0) {
            return Err(out_of_range(
                "analysis.onset_points",
                self.onset_points,
                "0 < points < 100",
            ));
        }
        Ok(())
    }
}

impl ExperimentConfig {
    /// Parses TOML; `origin` names the file in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<ExperimentConfig, ConfigError> {
        let c: ExperimentConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            origin: origin.into(),
            message: match faulty_regime(text) {
                Some(at) => format!("{at}: {e}"),
                None => e.to_string(),
            },
        })?;
        c.validate().map_err(|e| ConfigError::In {
            origin: origin.into(),
            error: Box::new(e),
        })?;
        Ok(c)
    }

    /// Checks every value, and reports every problem found (one error, or
    /// [`ConfigError::Several`]), not only the first.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut errors = Vec::new();
        self.problems(&mut errors);
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(ConfigError::Several(errors)),
        }
    }

    fn problems(&self, errors: &mut Vec<ConfigError>) {
        if self.name.is_empty() || self.name.contains(['/', '\\']) {
            errors.push(invalid(
                format!("name = {:?}", self.name),
                "expected a non-empty name without slashes",
            ));
        }
        if self.cycles == 0 || self.cycles > 100_000 {
            errors.push(out_of_range("cycles", self.cycles, "1..=100000"));
        }
        if let Err(e) = crate::data::canonical_name(&self.data.dataset) {
            errors.push(invalid("data.dataset", e.to_string()));
        }
        if self.data.eval_images == Some(0) {
            errors.push(out_of_range(
                "data.eval_images",
                0,
                "at least 1 (or leave it out for the whole test set)",
            ));
        }
        if self.healthy.checkpoint.is_some() == self.healthy.train.is_some() {
            errors.push(invalid(
                "healthy",
                "give exactly one of healthy.checkpoint or [healthy.train]",
            ));
        }
        if let Err(e) = self.injury.validate() {
            errors.push(e.into());
        }
        if self.regimes.is_empty() {
            errors.push(invalid(
                "no [[regime]]",
                "expected at least one (e.g. name = \"static\", static = true)",
            ));
        }
        let mut names = std::collections::HashSet::new();
        for (i, r) in self.regimes.iter().enumerate() {
            let at = format!("regime[{i}] ({})", r.name);
            if !names.insert(r.name.as_str()) {
                errors.push(invalid(&at, "the name is used twice"));
            }
            // Names become file names (`cka/NAME_c0_i1_injured.npy`); the tables quote any comma
            // or quote they hold.
            if r.name.is_empty() || r.name.contains('/') {
                errors.push(invalid(&at, "name must be non-empty without slashes"));
            }
            if r.is_static && r.rule != Rule::Backprop {
                errors.push(invalid(
                    format!("{at}.rule"),
                    "a static regime does not retrain, so it has no learning rule",
                ));
            }
            if r.is_static
                && matches!(
                    r.source,
                    Source::Errors | Source::Uncertain | Source::Unseen
                )
            {
                errors.push(invalid(
                    format!("{at}.source"),
                    "a static regime does not retrain, so it has no retraining images to choose",
                ));
            }
            if r.is_static && r.keep_optimizer {
                errors.push(invalid(
                    format!("{at}.keep_optimizer"),
                    "a static regime does not retrain, so it has no optimizer to keep",
                ));
            }
            // A static regime uses none of the retraining settings, but a value no regime could
            // use (lr = -1) is still an error rather than silently ignored.
            r.problems(&at, errors);
            // Said before hours of healthy training, not when the regime's turn comes; a subset's
            // held-out count needs the data set's size (checked with the data).
            if let Some(t) = &self.healthy.train {
                // holdout = 0 is out of range itself, said by the healthy settings' check.
                if t.subset.is_none() && t.holdout != Some(0) {
                    errors.extend(r.unseen_problem(&at, t.holdout));
                }
            }
        }
        if let Err(e) = self.analysis.validate() {
            errors.push(e);
        }
        self.battery.problems(errors);
    }
}

/// The `[[regime]]` that does not parse in `text` (`regime[i] (NAME)`), so that an unknown
/// `rule` or `source` names its regime as every other regime error does.
fn faulty_regime(text: &str) -> Option<String> {
    let table: toml::Table = toml::from_str(text).ok()?;
    let regimes = table.get("regime")?.as_array()?;
    regimes.iter().enumerate().find_map(|(i, r)| {
        let bad = r.clone().try_into::<RegimeConfig>().is_err();
        let name = r.get("name").and_then(toml::Value::as_str).unwrap_or("?");
        bad.then(|| format!("regime[{i}] ({name})"))
    })
}

impl ExperimentConfig {
    /// Checks the regimes against the model and data they meet: BatchNorm settings need a
    /// model with BatchNorm layers that atrophy runs (not a TorchScript module), a retraining
    /// in `precision = "bf16"` a built-in model, and `recalibrate_bn` at most `train_images`
    /// images (those the healthy model saw: recalibration draws among them).
    pub fn check_against(
        &self,
        has_batch_norm: bool,
        torchscript: bool,
        train_images: usize,
    ) -> Result<(), ConfigError> {
        for (i, r) in self.regimes.iter().enumerate() {
            let at = format!("regime[{i}] ({})", r.name);
            if r.rule != Rule::Backprop && torchscript {
                return Err(invalid(
                    format!("{at}.rule"),
                    "a local rule needs every layer's input, which atrophy sees only in its \
                     built-in networks, not inside a TorchScript module; use rule = \"backprop\"",
                ));
            }
            if let Some(field) = r.compiled_batch_norm_field().filter(|_| torchscript) {
                return Err(invalid(
                    format!("{at}.{field}"),
                    "a TorchScript model's BatchNorm keeps the momentum compiled into its module, \
                     so atrophy cannot freeze or re-weigh its statistics during retraining: leave \
                     bn_momentum and bn_train out (recalibrate_bn works)",
                ));
            }
            if torchscript && !r.is_static && !r.precision.is_fp32() {
                return Err(invalid(
                    format!("{at}.precision"),
                    format!(
                        "expected {}",
                        crate::train::precision::TORCHSCRIPT_FP32_ONLY
                    ),
                ));
            }
            if r.uses_batch_norm() && !has_batch_norm {
                return Err(invalid(
                    format!("{at}.{}", r.batch_norm_field()),
                    "the model has no BatchNorm layers (vgg19 has none: use vgg19_bn, or leave \
                     recalibrate_bn, bn_momentum and bn_train out)",
                ));
            }
            if let Some(n) = r.recalibrate_bn.filter(|&n| n > train_images) {
                return Err(out_of_range(
                    format!("{at}.recalibrate_bn"),
                    n,
                    &format!("at most the {train_images} training images the healthy model saw"),
                ));
            }
        }
        Ok(())
    }

    /// Checks the regimes against the healthy model's images and layers: `source = "unseen"`
    /// needs `unseen` held-out training images (at least `images` of them), and every
    /// `rule_layers` pattern must name one of `synapse_layers`.
    pub fn check_regimes_fit(
        &self,
        unseen: Option<usize>,
        synapse_layers: &[String],
    ) -> Result<(), ConfigError> {
        for (i, r) in self.regimes.iter().enumerate() {
            let at = format!("regime[{i}] ({})", r.name);
            if let Some(e) = r.unseen_problem(&at, unseen) {
                return Err(e);
            }
            for p in &r.rule_layers {
                let named = p.trim_start_matches('!');
                if !synapse_layers
                    .iter()
                    .any(|l| crate::injury::config::names_layer(named, l))
                {
                    return Err(invalid(
                        format!("{at}.rule_layers"),
                        format!(
                            "`{p}` matches no conv or linear layer of the model; they are {}",
                            synapse_layers.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "experiment_tests.rs"]
mod tests;
