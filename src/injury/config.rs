//! What injury to inflict: kind, schedule and how synapses are chosen.
use super::error::InjuryError;
pub use super::progression::Progression;
use serde::{Deserialize, Serialize};

/// The injury kinds of the papers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InjuryKind {
    /// P3: each iteration marks T/N more synapses (the last iteration all that remain) and
    /// multiplies every marked synapse, new and old, by gamma; marked synapses are frozen.
    Decay,
    /// P4: each iteration sets to zero, and freezes there, a fraction of the synapses not yet
    /// ablated.
    Ablation,
}

/// How the synapses to injure are chosen among the eligible ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    /// Uniformly at random (the papers).
    Random,
    /// Smallest |w| first (Han et al. 2015).
    Magnitude,
    /// Smallest Optimal Brain Damage saliency h_ii w_i^2 / 2 first, the diagonal Hessian h_ii
    /// estimated by the square of each mini-batch's mean gradient, averaged over
    /// `saliency_batches` batches (a Fisher-like estimate: the squared mean over a batch, not
    /// the mean of per-image squares).
    Obd,
    /// Smallest first-order Taylor saliency |g w| first (Molchanov et al. 2017).
    Taylor,
}

/// Whether quotas are set per layer or over the whole network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Every injurable layer loses the same fraction (the papers' default).
    PerLayer,
    /// One quota over all injurable synapses; layers lose what the selection picks.
    Global,
}

/// An injury schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InjuryConfig {
    /// decay or ablation.
    pub kind: InjuryKind,
    /// Number of iterations N.
    pub iterations: usize,
    /// Decay factor gamma (decay), in (0, 1).
    #[serde(default = "default_gamma")]
    pub gamma: f64,
    /// Fraction of the remaining synapses ablated per iteration (ablation), in (0, 1].
    #[serde(default = "default_fraction")]
    pub fraction: f64,
    /// How synapses are chosen.
    #[serde(default = "default_selection")]
    pub selection: Selection,
    /// Quotas per layer or global.
    #[serde(default = "default_scope")]
    pub scope: Scope,
    /// Layers that may be injured: names such as `conv1`, name prefixes such as `conv` (`conv1`,
    /// `conv12`, ...), modules such as
    /// `layer1` or `V4` (every layer inside), `*` globs, `!` exclusions (see
    /// [`InjuryConfig::injurable`]); empty means every conv and linear layer.
    #[serde(default)]
    pub layers: Vec<String>,
    /// Ablate whole output units (conv filters / dense neurons) instead of single synapses.
    #[serde(default)]
    pub units: bool,
    /// Mini-batches used to estimate gradients for `obd` and `taylor` saliency.
    #[serde(default = "default_saliency_batches")]
    pub saliency_batches: usize,
    /// Where each iteration's injury falls (docs/PROTOCOLS.md, "Progression"): `uniform` (the
    /// papers', by `selection`), `diffusion`, `fisher-kolmogorov`, `staged` or `activity`.
    #[serde(default)]
    pub progression: Progression,
    /// Where `diffusion` and `fisher-kolmogorov` start: layer patterns as in `layers`, or area
    /// names (`V1`, `block1`).
    #[serde(default)]
    pub origin: Vec<String>,
    /// Diffusion rate: the load spreads by exp(-beta L) per iteration, L the connectome's
    /// Laplacian with strengths divided by the largest weighted degree.
    #[serde(default = "default_rate")]
    pub beta: f64,
    /// Fisher-Kolmogorov spreading rate rho.
    #[serde(default = "default_rate")]
    pub rho: f64,
    /// Fisher-Kolmogorov growth rate alpha.
    #[serde(default = "default_rate")]
    pub alpha: f64,
    /// `staged`: the areas in the order they fall ill, or one word: `posterior` (from the input
    /// on) or `anterior` (from the top down).
    #[serde(default)]
    pub stages: Vec<String>,
    /// `staged`: the share of an area's synapses injured before the next area starts.
    #[serde(default = "default_stage_share")]
    pub stage_share: f64,
    /// `activity`: training images over which each unit's mean absolute activation is taken.
    #[serde(default = "default_activity_images")]
    pub activity_images: usize,
}

fn default_rate() -> f64 {
    1.0
}
fn default_stage_share() -> f64 {
    0.5
}
fn default_activity_images() -> usize {
    1000
}

fn default_gamma() -> f64 {
    0.5
}
fn default_fraction() -> f64 {
    0.2
}
fn default_selection() -> Selection {
    Selection::Random
}
fn default_scope() -> Scope {
    Scope::PerLayer
}
fn default_saliency_batches() -> usize {
    4
}

impl InjuryConfig {
    /// `kind` over `iterations` with every other setting at its default (as a config file that
    /// gives only those two).
    pub fn with_defaults(kind: InjuryKind, iterations: usize) -> InjuryConfig {
        InjuryConfig {
            kind,
            iterations,
            gamma: default_gamma(),
            fraction: default_fraction(),
            selection: default_selection(),
            scope: default_scope(),
            layers: Vec::new(),
            units: false,
            saliency_batches: default_saliency_batches(),
            progression: Progression::Uniform,
            origin: Vec::new(),
            beta: default_rate(),
            rho: default_rate(),
            alpha: default_rate(),
            stages: Vec::new(),
            stage_share: default_stage_share(),
            activity_images: default_activity_images(),
        }
    }

    /// Checks every value; errors name the field (as `injury.FIELD`) and the allowed range.
    pub fn validate(&self) -> Result<(), InjuryError> {
        if self.iterations == 0 || self.iterations > 10_000 {
            return Err(InjuryError::out_of_range(
                "injury.iterations",
                self.iterations,
                "1..=10000",
            ));
        }
        if self.kind == InjuryKind::Decay && !(self.gamma > 0.0 && self.gamma < 1.0) {
            return Err(InjuryError::out_of_range(
                "injury.gamma",
                self.gamma,
                "0 < gamma < 1",
            ));
        }
        if self.kind == InjuryKind::Ablation && !(self.fraction > 0.0 && self.fraction <= 1.0) {
            return Err(InjuryError::out_of_range(
                "injury.fraction",
                self.fraction,
                "0 < fraction <= 1",
            ));
        }
        if self.units && self.kind == InjuryKind::Decay {
            return Err(InjuryError::UnitsNeedAblation);
        }
        if self.units && self.scope == Scope::Global {
            return Err(InjuryError::UnitsNeedPerLayer);
        }
        if self.saliency_batches == 0 {
            return Err(InjuryError::TooSmall {
                field: "injury.saliency_batches".into(),
                min: 1,
            });
        }
        self.validate_progression()
    }

    /// The progression's settings; errors name the field.
    fn validate_progression(&self) -> Result<(), InjuryError> {
        let p = self.progression;
        if p == Progression::Uniform {
            return Ok(());
        }
        let word = p.as_str();
        if self.scope != Scope::Global {
            return Err(InjuryError::ProgressionNeedsGlobal { progression: word });
        }
        if self.units {
            return Err(InjuryError::ProgressionWithUnits { progression: word });
        }
        if self.selection != Selection::Random {
            return Err(InjuryError::ProgressionWithSelection {
                progression: word,
                selection: self.selection,
            });
        }
        let spreads = matches!(p, Progression::Diffusion | Progression::FisherKolmogorov);
        if spreads && self.origin.is_empty() {
            return Err(InjuryError::out_of_range(
                "injury.origin",
                "[]",
                format!("the layers or areas where the {word} starts, e.g. origin = [\"V1\"]"),
            ));
        }
        for (field, v) in [
            ("beta", self.beta),
            ("rho", self.rho),
            ("alpha", self.alpha),
        ] {
            if !(0.0..=1000.0).contains(&v) {
                return Err(InjuryError::out_of_range(
                    format!("injury.{field}"),
                    v,
                    "0 <= value <= 1000",
                ));
            }
        }
        if p == Progression::Staged {
            if self.stages.is_empty() {
                return Err(InjuryError::out_of_range(
                    "injury.stages",
                    "[]",
                    "the areas in the order they fall ill, or [\"posterior\"] or [\"anterior\"]",
                ));
            }
            if !(self.stage_share > 0.0 && self.stage_share <= 1.0) {
                return Err(InjuryError::out_of_range(
                    "injury.stage_share",
                    self.stage_share,
                    "0 < share <= 1",
                ));
            }
        }
        if p == Progression::Activity && self.activity_images == 0 {
            return Err(InjuryError::TooSmall {
                field: "injury.activity_images".into(),
                min: 1,
            });
        }
        Ok(())
    }

    /// Is the layer named `layer` (e.g. `conv3`, `layer1.0.conv1`, `V4.conv`) injurable under
    /// this config? An entry that ends in a digit names one layer (`conv1`); one without also
    /// names the layers it prefixes with a number (`conv` names `conv1` and `conv12`, not
    /// `layer1.0.conv1` or `V4.conv`: use `*conv*` there); an entry also names every layer inside the module it names
    /// (`layer1` covers `layer1.0.conv1`, `V4` covers `V4.conv`); `*` matches any text
    /// (`layer*.conv1`); an entry starting with `!` excludes what it names (`!fc`). With only
    /// exclusions, every other layer is injurable.
    pub fn injurable(&self, layer: &str) -> bool {
        chosen_by(&self.layers, layer)
    }
}

/// Do the `patterns` choose `layer`: it matches one without `!` (or there is none) and none
/// with `!`? The rule of `injury.layers`, shared by every setting that chooses layers.
pub fn chosen_by(patterns: &[String], layer: &str) -> bool {
    let (excluded, included): (Vec<&String>, Vec<&String>) =
        patterns.iter().partition(|p| p.starts_with('!'));
    (included.is_empty() || included.iter().any(|p| names_layer(p, layer)))
        && !excluded.iter().any(|p| names_layer(&p[1..], layer))
}

/// Does the pattern `p` (without `!`) name `layer`? See [`InjuryConfig::injurable`].
pub fn names_layer(p: &str, layer: &str) -> bool {
    if p.contains('*') {
        return glob(p.as_bytes(), layer.as_bytes());
    }
    let kind = !p.ends_with(|c: char| c.is_ascii_digit());
    layer == p
        || layer.strip_prefix(p).is_some_and(|rest| {
            rest.starts_with('.')
                || (kind && !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()))
        })
}

/// `*`-only glob matching (no other metacharacters: layer names hold dots and digits).
fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| glob(rest, &s[i..])),
        Some((c, rest)) => s.first() == Some(c) && glob(rest, &s[1..]),
    }
}

#[cfg(test)]
mod pattern_tests {
    use super::*;

    fn with(layers: &[&str]) -> InjuryConfig {
        toml::from_str::<InjuryConfig>(&format!(
            "kind = \"decay\"\niterations = 2\nlayers = {layers:?}"
        ))
        .unwrap()
    }

    /// Layer patterns by hand: exact names, kinds, modules, globs and exclusions.
    #[test]
    fn layer_patterns_name_layers_kinds_modules_globs_and_exclusions() {
        let all = [
            "conv1",
            "conv12",
            "linear1",
            "layer1.0.conv1",
            "layer1.0.conv2",
            "layer10.0.conv1",
            "fc",
            "V1.conv",
            "V4.conv",
            "IT.conv",
            "decoder.linear",
        ];
        let picked = |c: &InjuryConfig| -> Vec<&str> {
            all.iter().copied().filter(|l| c.injurable(l)).collect()
        };
        assert_eq!(picked(&with(&[])).len(), all.len());
        assert_eq!(picked(&with(&["conv1"])), ["conv1"]);
        assert_eq!(picked(&with(&["conv"])), ["conv1", "conv12"]);
        assert_eq!(
            picked(&with(&["layer1"])),
            ["layer1.0.conv1", "layer1.0.conv2"]
        );
        assert_eq!(picked(&with(&["V4"])), ["V4.conv"]);
        assert_eq!(
            picked(&with(&["layer*.conv1"])),
            ["layer1.0.conv1", "layer10.0.conv1"]
        );
        assert_eq!(picked(&with(&["*.conv", "!IT"])), ["V1.conv", "V4.conv"]);
        assert_eq!(
            picked(&with(&["!fc", "!decoder", "!layer1", "!layer10", "!conv"])),
            ["linear1", "V1.conv", "V4.conv", "IT.conv"]
        );
    }
}
