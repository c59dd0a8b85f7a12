//! How to make a healthy model, as the command line and experiment configs say it (no libtorch:
//! the config types that hold it are read by the report and the Python package too).
use serde::{Deserialize, Serialize};

/// The most epochs atrophy takes (of a healthy training or a retraining): a number larger is a
/// typing error, not an experiment (10,000 epochs of CIFAR-10 at bench widths are two months
/// on a laptop).
pub const MAX_EPOCHS: usize = 10_000;

/// Whether healthy training augments its batches (4-pixel padded random crop and horizontal
/// flip); written `auto`, `on` or `off` in configs and on the command line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum AugmentSetting {
    /// Augment on CIFAR-10 and CIFAR-100, not on the other data sets.
    #[default]
    Auto,
    /// Augment on every data set.
    On,
    /// Never augment.
    Off,
}

impl AugmentSetting {
    /// The augmentation for the data set named `dataset` (`None` = none).
    pub fn resolve(self, dataset: &str) -> Option<crate::data::Augment> {
        match self {
            AugmentSetting::Auto => {
                matches!(dataset, "cifar10" | "cifar100").then_some(crate::data::Augment::CIFAR)
            }
            AugmentSetting::On => Some(crate::data::Augment::CIFAR),
            AugmentSetting::Off => None,
        }
    }
}

/// How to make a healthy model, as the command line and experiment configs say it; becomes a
/// [`HealthySpec`] once the data set's shape is known.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthyOptions {
    /// small_cnn, vgg19_bn, vgg19, cornet_z or cornet_z32.
    #[serde(default = "d_model")]
    pub model: String,
    /// A TorchScript model file to use instead of `model` (`torch.jit.save` of a scripted or
    /// traced network); `epochs` more epochs train it, 0 takes it as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub torchscript: Option<std::path::PathBuf>,
    /// Normalise a TorchScript model's inputs with the data set's mean and std (false for a
    /// model that normalises itself; the built-in models always normalise).
    #[serde(default = "d_true", skip_serializing_if = "is_true")]
    pub normalize: bool,
    /// The nonlinearity of a built-in model: relu or prelu.
    #[serde(default, skip_serializing_if = "crate::model::Activation::is_relu")]
    pub activation: crate::model::Activation,
    /// Conv widths (`bench` for the benchmark widths).
    #[serde(default)]
    pub widths: Option<String>,
    /// Epochs.
    #[serde(default = "d_healthy_epochs")]
    pub epochs: usize,
    /// Images per step.
    #[serde(default = "d_healthy_batch")]
    pub batch_size: usize,
    /// Base learning rate.
    #[serde(default = "d_healthy_lr")]
    pub lr: f64,
    /// SGD momentum.
    #[serde(default = "d_healthy_momentum")]
    pub momentum: f64,
    /// Nesterov momentum.
    #[serde(default, skip_serializing_if = "is_false")]
    pub nesterov: bool,
    /// Label smoothing of the cross-entropy (0 = none).
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub label_smoothing: f64,
    /// Cutout: side of a square zeroed in every augmented training image (0 = none; needs
    /// augmentation).
    #[serde(default, skip_serializing_if = "is_zero_usize")]
    pub cutout: usize,
    /// Weight decay.
    #[serde(default = "d_wd")]
    pub weight_decay: f64,
    /// The arithmetic of the training steps: fp32, or bf16 (autocast to bfloat16 with float32
    /// weights; about 1.5 times as fast where the hardware has bfloat16).
    #[serde(default, skip_serializing_if = "super::precision::Precision::is_fp32")]
    pub precision: super::precision::Precision,
    /// Schedule (constant, step:EVERY:GAMMA, cosine, onecycle[:PCT]).
    #[serde(default = "d_schedule")]
    pub schedule: String,
    /// auto, on or off.
    #[serde(default)]
    pub augment: AugmentSetting,
    /// Train on this many random images.
    #[serde(default)]
    pub subset: Option<usize>,
    /// Hold this many random training images out of the healthy training (the same as
    /// `subset` = training images - holdout): images the healthy model never sees, for
    /// regimes with `source = "unseen"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout: Option<usize>,
    /// Seed.
    #[serde(default)]
    pub seed: u64,
}

fn d_true() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}
fn is_false(b: &bool) -> bool {
    !*b
}
fn is_zero_f64(x: &f64) -> bool {
    *x == 0.0
}
fn is_zero_usize(n: &usize) -> bool {
    *n == 0
}
fn d_model() -> String {
    "small_cnn".into()
}
pub(crate) fn d_healthy_epochs() -> usize {
    3
}
fn d_healthy_batch() -> usize {
    128
}
pub(crate) fn d_healthy_lr() -> f64 {
    0.01
}
fn d_healthy_momentum() -> f64 {
    0.9
}
fn d_wd() -> f64 {
    5e-4
}
pub(crate) fn d_schedule() -> String {
    "constant".into()
}
