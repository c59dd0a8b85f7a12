//! One retraining regime (`[[regime]]`): how many images, epochs and which optimizer settings
//! the surviving synapses relearn with (P3), and what BatchNorm does meanwhile (homeostasis).
use super::error::{invalid, out_of_range, ConfigError};
use serde::{Deserialize, Serialize};

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
    #[serde(default = "d_retrain_epochs")]
    pub epochs: usize,
    /// Images per step.
    #[serde(default = "d_retrain_batch")]
    pub batch_size: usize,
    /// Learning rate.
    #[serde(default = "d_retrain_lr")]
    pub lr: f64,
    /// SGD momentum.
    #[serde(default = "d_retrain_momentum")]
    pub momentum: f64,
    /// Weight decay.
    #[serde(default)]
    pub weight_decay: f64,
    /// Draw a class-balanced subset instead of a uniform one (the same as
    /// `source = "balanced"`).
    #[serde(default)]
    pub balanced: bool,
    /// Where the R retraining images come from: `random` (uniform, the default), `balanced`
    /// (the same number per class), `errors` (the training images the injured model gets
    /// wrong first; see [`Source::Errors`]) or `unseen` (images the healthy model never saw).
    #[serde(default)]
    pub source: Source,
    /// With `source = "errors"`: the share of the R images drawn from the misclassified ones
    /// (when there are that many; the rest uniformly from the others), in (0, 1].
    #[serde(default = "d_errors_share")]
    pub errors_share: f64,
    /// Draw a fresh subset every iteration (else one draw per cycle).
    #[serde(default = "d_true")]
    pub fresh_draw: bool,
    /// Augment retraining batches (as the healthy training did for CIFAR-10).
    #[serde(default)]
    pub augment: bool,
    /// Homeostasis: re-estimate every BatchNorm layer's running statistics from this many
    /// training images after each injury (measured as the state `recalibrated`) and again after
    /// retraining, by forward passes in train mode without gradients and a cumulative average
    /// over the batches, as `torch.optim.swa_utils.update_bn` does. No parameter changes.
    /// `0` means none, so that a preset's recalibration can be switched off with
    /// `--set 'regime.*.recalibrate_bn=0'`.
    #[serde(default, deserialize_with = "zero_is_none")]
    pub recalibrate_bn: Option<usize>,
    /// Running-statistics momentum of BatchNorm while retraining: a number in (0, 1] or
    /// `"cumulative"`; PyTorch's 0.1 when absent.
    #[serde(default)]
    pub bn_momentum: Option<BnMomentum>,
    /// Whether BatchNorm updates its running statistics while retraining (`false`: they stay
    /// frozen and normalise the batches, as in eval mode).
    #[serde(default = "d_true")]
    pub bn_train: bool,
    /// Learning-rate schedule within one retraining: `constant` or `cosine` (to 0 over its steps).
    #[serde(default)]
    pub schedule: RetrainSchedule,
    /// Nesterov momentum (needs momentum > 0).
    #[serde(default)]
    pub nesterov: bool,
    /// Label smoothing of the retraining's cross-entropy, 0 <= e < 1 (0: plain cross-entropy,
    /// the papers' retraining).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub label_smoothing: f64,
    /// The arithmetic of the retraining steps: fp32 (the papers'), or bf16 (autocast to
    /// bfloat16; the weights, and so every injury, stay float32).
    #[serde(default, skip_serializing_if = "crate::train::Precision::is_fp32")]
    pub precision: crate::train::Precision,
    /// Keep the optimizer (its momentum buffers) from one iteration's retraining to the next
    /// within a cycle, instead of a fresh one each iteration.
    #[serde(default)]
    pub keep_optimizer: bool,
    /// How the healthy synapses relearn: `backprop` (SGD on the cross-entropy, the papers'
    /// retraining) or `oja` (a local Hebbian rule, see [`Rule::Oja`]).
    #[serde(default, skip_serializing_if = "Rule::is_backprop")]
    pub rule: Rule,
    /// With a local rule: the layers it changes (patterns as `injury.layers`); empty means every
    /// conv and linear layer but a supervised last one. The other layers stay as they are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rule_layers: Vec<String>,
    /// With a local rule: the last linear layer learns by SGD on the cross-entropy (the
    /// regime's `lr` and `weight_decay`, no momentum: `momentum` is unused), as a read-out of the locally learned
    /// features; `false` leaves it to the local rule as well (or unchanged, if `rule_layers`
    /// leaves it out).
    #[serde(default = "d_true")]
    pub supervised_last: bool,
    /// With a local rule: its learning rate eta, relative to the layer's input power (0.01
    /// when absent; stable below 1).
    #[serde(default = "d_hebbian_rate")]
    pub hebbian_rate: f64,
}

/// How a regime's healthy synapses relearn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rule {
    /// Gradients of the cross-entropy through the whole network (SGD).
    #[default]
    Backprop,
    /// Oja's rule for every output unit j of a layer (a conv filter over its input patches, or
    /// a linear unit over its input vector), local to the layer: with x the unit's input
    /// (patch), y_j = w_j . x + b_j its pre-activation output (the layer's own, bias included)
    /// and <.> the mean over a batch's inputs
    /// (images x positions), dw_j = eta <y_j (x - y_j w_j / c_j)> / <|x|^2>, masked to the
    /// healthy synapses: Oja's rule with its rate divided by the layer's input power, so that
    /// one eta < 1 is stable in every layer whatever the activations' scale.
    /// c_j = |w_j|^2 when the retraining starts keeps each unit's norm where the injury left it
    /// (the rule's fixed point is |w_j|^2 = c_j along the input's principal direction, without
    /// the bias in y_j and frozen entries, which move it a little), so the
    /// rule turns the filters without rescaling the network. Forward passes in eval mode:
    /// BatchNorm statistics do not change.
    Oja,
}

impl Rule {
    /// Whether this is backprop (the default, left out of written configs).
    pub fn is_backprop(&self) -> bool {
        *self == Rule::Backprop
    }
}

/// BatchNorm's running-statistics momentum: `0.1` or `"cumulative"` in a config.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "MomentumWord", into = "MomentumWord")]
pub enum BnMomentum {
    /// `running = (1 - m) running + m batch`.
    Fixed(f64),
    /// The plain average over the batches of the retraining.
    Cumulative,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum MomentumWord {
    Number(f64),
    Word(String),
}

impl TryFrom<MomentumWord> for BnMomentum {
    type Error = String;
    fn try_from(w: MomentumWord) -> Result<Self, String> {
        match w {
            MomentumWord::Number(m) => Ok(BnMomentum::Fixed(m)),
            MomentumWord::Word(s) if s == "cumulative" => Ok(BnMomentum::Cumulative),
            MomentumWord::Word(s) => Err(format!(
                "bn_momentum = \"{s}\": expected a number in (0, 1] or \"cumulative\""
            )),
        }
    }
}

impl From<BnMomentum> for MomentumWord {
    fn from(m: BnMomentum) -> Self {
        match m {
            BnMomentum::Fixed(m) => MomentumWord::Number(m),
            BnMomentum::Cumulative => MomentumWord::Word("cumulative".into()),
        }
    }
}

/// Where a regime's retraining images come from (P3b: rehabilitation strategies).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// R images drawn uniformly without replacement from the training set (from the images the
    /// healthy model saw, when it held some out: so do `balanced`, `errors`, a regime without
    /// `images` and recalibration).
    #[default]
    Random,
    /// R images, the same number from each class.
    Balanced,
    /// Error-targeted rehabilitation (paper 001's proposal): just before retraining, the
    /// network as it is then classifies every training image (eval mode, no augmentation);
    /// `round(errors_share * R)` images are drawn uniformly from the misclassified ones (all of
    /// them when fewer), the rest uniformly from the correctly classified ones (more
    /// misclassified ones when those are too few). A fresh draw every iteration, from that
    /// iteration's errors.
    Errors,
    /// Uncertainty-targeted rehabilitation (entropy-based selection): just before retraining,
    /// the network as it is then classifies every training image (eval mode, no augmentation);
    /// the R images with the highest predictive entropy H = -sum_k p_k ln p_k of its softmax
    /// are taken (ties to the lower index). A fresh choice every iteration.
    Uncertain,
    /// R images drawn uniformly from the training images the healthy model never saw: those
    /// its training held out (`[healthy.train] holdout = H` keeps H seeded random images of the
    /// training set out, as `subset = N - H` does; the others are unseen). New data rather than
    /// previously seen data.
    Unseen,
}

/// The learning-rate schedule within one retraining.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RetrainSchedule {
    /// The regime's rate throughout (the papers' setting).
    #[default]
    Constant,
    /// Cosine annealing from the regime's rate to 0 over the retraining's steps.
    Cosine,
}

impl RegimeConfig {
    /// The one check of `source = "unseen"` (the config's, the loaded model's and the runner's):
    /// the healthy model must have held training images out (`held_out`: how many; `None` or 0:
    /// it saw them all), and at least `images` of them. `at` names the regime in the message.
    pub fn unseen_problem(&self, at: &str, held_out: Option<usize>) -> Option<ConfigError> {
        if self.source != Source::Unseen || self.is_static {
            return None;
        }
        match (held_out.filter(|&h| h > 0), self.images) {
            (None, _) => Some(invalid(
                format!("{at}.source"),
                "source = \"unseen\" needs a healthy model that never saw part of the training \
                 set, and this one sees it all; hold some out with [healthy.train] holdout = H \
                 (or subset = N, or `atrophy train --holdout H`)",
            )),
            (Some(h), Some(n)) if n > h => Some(out_of_range(
                format!("{at}.images"),
                n,
                &format!("at most the {h} training images the healthy model never saw"),
            )),
            _ => None,
        }
    }

    /// Whether the regime asks anything of BatchNorm layers.
    pub fn uses_batch_norm(&self) -> bool {
        self.recalibrate_bn.is_some() || self.bn_momentum.is_some() || !self.bn_train
    }

    /// The BatchNorm field that changes how retraining's train-mode passes move the running
    /// statistics (`bn_momentum`, `bn_train = false`), which a TorchScript module's compiled
    /// momentum cannot follow; `recalibrate_bn` is not one (it works on any module).
    pub fn compiled_batch_norm_field(&self) -> Option<&'static str> {
        if self.bn_momentum.is_some() {
            Some("bn_momentum")
        } else if !self.bn_train {
            Some("bn_train")
        } else {
            None
        }
    }

    /// The BatchNorm field a model without BatchNorm cannot honour.
    pub fn batch_norm_field(&self) -> &'static str {
        if self.recalibrate_bn.is_some() {
            "recalibrate_bn"
        } else if self.bn_momentum.is_some() {
            "bn_momentum"
        } else {
            "bn_train"
        }
    }
}

impl RegimeConfig {
    /// Every problem of the regime's values, each naming its field (`at`.FIELD), into
    /// `errors`: its retraining settings, where its images come from, its learning rule.
    pub(super) fn problems(&self, at: &str, errors: &mut Vec<ConfigError>) {
        self.setting_problems(at, errors);
        self.source_problems(at, errors);
        self.rule_problems(at, errors);
    }

    /// The retraining's numbers: images, epochs, batch, optimizer, BatchNorm momentum.
    fn setting_problems(&self, at: &str, errors: &mut Vec<ConfigError>) {
        let field = |f: &str| format!("{at}.{f}");
        if self.images == Some(0) {
            errors.push(out_of_range(
                field("images"),
                0,
                "at least 1 (or static = true)",
            ));
        }
        if self.epochs == 0 || self.epochs > crate::train::options::MAX_EPOCHS {
            errors.push(out_of_range(
                field("epochs"),
                self.epochs,
                &format!("1..={}", crate::train::options::MAX_EPOCHS),
            ));
        }
        if self.batch_size == 0 {
            errors.push(out_of_range(field("batch_size"), 0, "at least 1"));
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            errors.push(out_of_range(field("lr"), self.lr, "a positive number"));
        }
        if !(0.0..1.0).contains(&self.momentum) {
            errors.push(out_of_range(
                field("momentum"),
                self.momentum,
                "0 <= momentum < 1",
            ));
        }
        if !(self.weight_decay >= 0.0 && self.weight_decay.is_finite()) {
            errors.push(out_of_range(
                field("weight_decay"),
                self.weight_decay,
                "a finite number >= 0",
            ));
        }
        if let Some(BnMomentum::Fixed(m)) = self.bn_momentum {
            if !(m > 0.0 && m <= 1.0) {
                errors.push(out_of_range(
                    field("bn_momentum"),
                    m,
                    "0 < momentum <= 1, or \"cumulative\"",
                ));
            }
        }
    }

    /// Where the retraining images come from.
    fn source_problems(&self, at: &str, errors: &mut Vec<ConfigError>) {
        let field = |f: &str| format!("{at}.{f}");
        if self.balanced && self.source != Source::Random && self.source != Source::Balanced {
            errors.push(invalid(
                field("source"),
                "balanced = true and another source contradict each other; keep one",
            ));
        }
        if self.source == Source::Unseen && self.images.is_none() {
            errors.push(invalid(
                field("source"),
                "source = \"unseen\" draws R images from the held-out ones; set `images`",
            ));
        }
        if matches!(self.source, Source::Errors | Source::Uncertain) {
            let word = if self.source == Source::Errors {
                "errors"
            } else {
                "uncertain"
            };
            if self.images.is_none() {
                errors.push(invalid(
                    field("source"),
                    format!("source = \"{word}\" draws R images; set `images` (the whole training set has nothing to choose)"),
                ));
            }
            if !self.fresh_draw {
                errors.push(invalid(
                    field("fresh_draw"),
                    format!("source = \"{word}\" chooses from what the network says at each iteration; fresh_draw = false is not supported with it"),
                ));
            }
        }
        if !(self.errors_share > 0.0 && self.errors_share <= 1.0) {
            errors.push(out_of_range(
                field("errors_share"),
                self.errors_share,
                "0 < errors_share <= 1",
            ));
        }
    }

    /// The learning rule and what it cannot honour.
    fn rule_problems(&self, at: &str, errors: &mut Vec<ConfigError>) {
        let field = |f: &str| format!("{at}.{f}");
        if self.rule != Rule::Backprop {
            if !(self.hebbian_rate > 0.0 && self.hebbian_rate.is_finite()) {
                errors.push(out_of_range(
                    field("hebbian_rate"),
                    self.hebbian_rate,
                    "a positive number",
                ));
            }
            if self.keep_optimizer {
                errors.push(invalid(
                    field("keep_optimizer"),
                    "a local rule has no optimizer to keep; keep_optimizer applies to rule = \"backprop\"",
                ));
            }
            // What a local rule cannot honour is refused rather than ignored (`momentum` alone,
            // 0.9 by default, is left unused: the read-out is plain SGD).
            let unused = [
                ("nesterov", self.nesterov),
                ("label_smoothing", self.label_smoothing != 0.0),
                ("precision", !self.precision.is_fp32()),
                ("schedule", self.schedule != RetrainSchedule::Constant),
                ("bn_momentum", self.bn_momentum.is_some()),
                ("bn_train", !self.bn_train),
            ];
            if let Some((f, _)) = unused.iter().find(|(_, set)| *set) {
                errors.push(invalid(
                    field(f),
                    "a local rule learns at a constant rate with BatchNorm in eval mode (its \
                     statistics change only by recalibrate_bn) and a plain-SGD read-out; \
                     nesterov, label_smoothing, precision, schedule, bn_momentum and bn_train apply to \
                     rule = \"backprop\"",
                ));
            }
        } else if !self.rule_layers.is_empty() {
            errors.push(invalid(
                field("rule_layers"),
                "rule_layers chooses the layers of a local rule; with rule = \"backprop\" every healthy synapse retrains",
            ));
        }
        if !(0.0..1.0).contains(&self.label_smoothing) {
            errors.push(out_of_range(
                field("label_smoothing"),
                self.label_smoothing,
                "0 <= label_smoothing < 1",
            ));
        }
        if self.nesterov && self.momentum == 0.0 {
            errors.push(invalid(
                field("nesterov"),
                "Nesterov momentum needs momentum > 0 (as torch.optim.SGD)",
            ));
        }
    }
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}
fn d_hebbian_rate() -> f64 {
    0.01
}
fn d_errors_share() -> f64 {
    1.0
}
fn d_retrain_epochs() -> usize {
    1
}
fn d_retrain_batch() -> usize {
    128
}
fn d_retrain_lr() -> f64 {
    0.001
}
fn d_retrain_momentum() -> f64 {
    0.9
}
fn d_true() -> bool {
    true
}

fn zero_is_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    Ok(Option::<usize>::deserialize(d)?.filter(|&n| n > 0))
}
