//! Progression models (docs/PROTOCOLS.md, "Progression"): where each iteration's injury falls.
//! The number of synapses injured per iteration stays the P3/P4 quota, counted over the whole
//! network; a progression only decides which healthy synapses fill it.
//!
//! - `diffusion`: a damage load per unit, seeded on the `origin` layers, spread over the
//!   connectome by exp(-beta L) once per iteration (Raj et al. 2012);
//! - `fisher-kolmogorov`: the same graph with logistic growth, dx/dt = -rho L x + alpha x (1 - x);
//! - `activity`: the busiest units first (their rank by mean absolute activation on the healthy
//!   model; de Haan et al. 2012);
//! - `staged`: areas in a fixed order, the next opening when the one before has lost a share.
//!
//! A synapse's priority is the mean load of the two units it joins (its own unit alone in the
//! first layer, whose inputs are the image; the mean load of the layer before where the wiring
//! cannot be read). The quota is filled with the highest priorities; equal priorities (units
//! the disease has not reached have load 0) are ordered by a key drawn from the iteration's
//! seeded stream.
use super::config::{names_layer, InjuryConfig};
use super::connectome::{Connectome, Wiring};
use super::error::InjuryError;
use super::spread::{diffuse, fisher_kolmogorov};
use super::state::{Synapse, SynapseState, SynapseStates};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// How the disease progresses through the network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Progression {
    /// Synapses chosen by `selection` (uniformly at random in the papers), per layer or global.
    #[default]
    Uniform,
    /// Network diffusion from `origin`: x(n) = exp(-beta L n) x(0).
    Diffusion,
    /// Diffusion with logistic growth from `origin`, integrated by RK4.
    FisherKolmogorov,
    /// Areas in the order `stages`, each opening when the one before lost `stage_share`.
    Staged,
    /// Units ranked by mean absolute activation on the healthy model, busiest first.
    Activity,
}

impl Progression {
    /// The config word.
    pub fn as_str(self) -> &'static str {
        match self {
            Progression::Uniform => "uniform",
            Progression::Diffusion => "diffusion",
            Progression::FisherKolmogorov => "fisher-kolmogorov",
            Progression::Staged => "staged",
            Progression::Activity => "activity",
        }
    }
}

impl InjuryConfig {
    /// The progression in words, with its settings: `uniform`, `diffusion from V1 (beta 1)`,
    /// `fisher-kolmogorov from V1 (rho 1, alpha 1)`, `staged posterior (share 0.5)`, `activity`.
    pub fn progression_words(&self) -> String {
        let from = self.origin.join(", ");
        match self.progression {
            Progression::Uniform => "uniform".into(),
            Progression::Diffusion => format!("diffusion from {from} (beta {})", self.beta),
            Progression::FisherKolmogorov => format!(
                "fisher-kolmogorov from {from} (rho {}, alpha {})",
                self.rho, self.alpha
            ),
            Progression::Staged => format!(
                "staged {} (share {})",
                self.stages.join(" > "),
                self.stage_share
            ),
            Progression::Activity => "activity".into(),
        }
    }
}

/// A named group of synapse layers: a CORnet area (V1, V2, V4, IT), a VGG block (the convolutions
/// between two pools), the classifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Area {
    /// Its name.
    pub name: String,
    /// Indices of its layers among the synapse layers.
    pub layers: Vec<usize>,
}

/// The stage order words: areas from the input on (`posterior`, the order of posterior cortical
/// atrophy and of the ventral stream) or from the top down (`anterior`); the classifier (VGG)
/// or decoder (CORnet) is left out of both and loses synapses only once every staged area is
/// gone.
pub const STAGE_PRESETS: [&str; 2] = ["posterior", "anterior"];

/// A progression set up on a network: its connectome, seed and areas.
#[derive(Clone, Debug)]
pub struct Disease {
    progression: Progression,
    connectome: Connectome,
    /// Load of every unit before the first iteration.
    seed: Vec<f64>,
    beta: f64,
    rho: f64,
    alpha: f64,
    areas: Vec<Area>,
    /// Indices into `areas`, in the order they fall ill (staged).
    stages: Vec<usize>,
    stage_share: f64,
    /// The loads of the last iteration asked for (diffusion and Fisher-Kolmogorov depend on the
    /// iteration only): choosing the synapses and writing the damage map ask for the same ones.
    last_loads: std::cell::RefCell<Option<(usize, Vec<f64>)>>,
}

/// One row of the damage map: a layer's state after an iteration.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerDamage {
    /// Synapse layer index.
    pub layer: usize,
    /// Its area.
    pub area: String,
    /// Share of its synapses injured.
    pub injured: f64,
    /// Mean load of its units at this iteration.
    pub load: f64,
}

impl Disease {
    /// Sets up `cfg`'s progression on a network whose synapses are `states` with the healthy
    /// `weights`, grouped into `areas`; `activity` is every unit's mean absolute activation (for
    /// `activity`). Errors name the field: an `origin` matching no layer, a stage naming no area.
    pub fn new(
        cfg: &InjuryConfig,
        states: &SynapseStates,
        weights: &[Vec<f32>],
        areas: Vec<Area>,
        activity: Option<&[f64]>,
    ) -> Result<Disease, InjuryError> {
        let connectome = Connectome::of(states, weights);
        let layer_name = |l: usize| {
            states.layers[l]
                .name
                .trim_end_matches(".weight")
                .to_string()
        };
        let area_of = |l: usize| areas.iter().find(|a| a.layers.contains(&l));
        let mut seed = vec![0.0; connectome.len()];
        match cfg.progression {
            Progression::Diffusion | Progression::FisherKolmogorov => {
                let origin: Vec<usize> = (0..states.layers.len())
                    .filter(|&l| {
                        cfg.origin.iter().any(|p| {
                            names_layer(p, &layer_name(l))
                                || area_of(l).is_some_and(|a| &a.name == p)
                        })
                    })
                    .collect();
                if origin.is_empty() {
                    return Err(InjuryError::out_of_range(
                        "injury.origin",
                        format!("{:?}", cfg.origin),
                        format!(
                            "layers or areas of the model: {} (areas {})",
                            names(&(0..states.layers.len()).map(layer_name).collect::<Vec<_>>()),
                            names(&areas.iter().map(|a| a.name.clone()).collect::<Vec<_>>())
                        ),
                    ));
                }
                let units: usize = origin.iter().map(|&l| connectome.units[l]).sum();
                // Diffusion spreads a conserved load of 1; Fisher-Kolmogorov starts the origin
                // at its carrying capacity.
                let level = if cfg.progression == Progression::Diffusion {
                    1.0 / units as f64
                } else {
                    1.0
                };
                for &l in &origin {
                    let o = connectome.offset[l];
                    seed[o..o + connectome.units[l]].fill(level);
                }
            }
            Progression::Activity => {
                let a = activity.expect("activity progression needs activations");
                seed = percentile_ranks(a);
            }
            Progression::Staged | Progression::Uniform => {}
        }
        let stages = stage_order(cfg, &areas)?;
        Ok(Disease {
            progression: cfg.progression,
            connectome,
            seed,
            beta: cfg.beta,
            rho: cfg.rho,
            alpha: cfg.alpha,
            areas,
            stages,
            stage_share: cfg.stage_share,
            last_loads: Default::default(),
        })
    }

    /// The connectome it spreads on.
    pub fn connectome(&self) -> &Connectome {
        &self.connectome
    }

    /// Every unit's load at iteration `n` (1-based) with the synapses in `states` (staged loads
    /// are 1 in the open areas, 0 elsewhere).
    pub fn loads(&self, n: usize, states: &SynapseStates) -> Vec<f64> {
        let by_iteration = matches!(
            self.progression,
            Progression::Diffusion | Progression::FisherKolmogorov
        );
        if by_iteration {
            if let Some((m, x)) = self.last_loads.borrow().as_ref() {
                if *m == n {
                    return x.clone();
                }
            }
        }
        let x = self.compute_loads(n, states);
        if by_iteration {
            *self.last_loads.borrow_mut() = Some((n, x.clone()));
        }
        x
    }

    fn compute_loads(&self, n: usize, states: &SynapseStates) -> Vec<f64> {
        match self.progression {
            Progression::Diffusion => {
                let mut x = self.seed.clone();
                for _ in 0..n {
                    x = diffuse(&self.connectome, &x, self.beta);
                }
                x
            }
            Progression::FisherKolmogorov => {
                fisher_kolmogorov(&self.connectome, &self.seed, self.rho, self.alpha, n)
            }
            Progression::Activity => self.seed.clone(),
            Progression::Staged => {
                let open = self.open_stages(states, &[]);
                let mut x = vec![0.0; self.connectome.len()];
                for &a in &open {
                    for &l in &self.areas[a].layers {
                        let o = self.connectome.offset[l];
                        x[o..o + self.connectome.units[l]].fill(1.0);
                    }
                }
                x
            }
            Progression::Uniform => vec![0.0; self.connectome.len()],
        }
    }

    /// The priority of synapse `index` of layer `l` under `loads`: the mean load of the units it
    /// joins (see the module).
    fn priority(
        &self,
        loads: &[f64],
        layer_means: &[f64],
        states: &SynapseStates,
        l: usize,
        index: usize,
    ) -> f64 {
        let (pre, post) = self.connectome.endpoints(states, l, index);
        match (self.connectome.wiring[l], pre) {
            (Wiring::Image, _) => loads[post],
            (_, Some(p)) => (loads[p] + loads[post]) / 2.0,
            (_, None) => (layer_means[l - 1] + loads[post]) / 2.0,
        }
    }

    /// The `quota` healthy synapses of injurable layers that iteration `n` injures.
    pub fn choose<R: Rng>(
        &self,
        states: &SynapseStates,
        n: usize,
        quota: usize,
        rng: &mut R,
    ) -> Vec<Synapse> {
        if self.progression == Progression::Staged {
            return self.choose_staged(states, quota, rng);
        }
        let loads = self.loads(n, states);
        let layer_means = self.layer_means(&loads);
        let mut keyed: Vec<(f64, f64, Synapse)> = Vec::new();
        for (l, layer) in states.layers.iter().enumerate() {
            if !layer.injurable {
                continue;
            }
            for (index, &s) in layer.state.iter().enumerate() {
                if SynapseState::of(s) == SynapseState::Healthy {
                    let p = self.priority(&loads, &layer_means, states, l, index);
                    keyed.push((p, rng.random::<f64>(), Synapse { layer: l, index }));
                }
            }
        }
        let order = |a: &(f64, f64, Synapse), b: &(f64, f64, Synapse)| {
            b.0.total_cmp(&a.0).then(a.1.total_cmp(&b.1))
        };
        if quota < keyed.len() && quota > 0 {
            keyed.select_nth_unstable_by(quota - 1, order);
        }
        keyed.truncate(quota);
        keyed.into_iter().map(|(_, _, s)| s).collect()
    }

    /// Mean load of each layer's units.
    fn layer_means(&self, loads: &[f64]) -> Vec<f64> {
        let c = &self.connectome;
        (0..c.units.len())
            .map(|l| {
                loads[c.offset[l]..c.offset[l] + c.units[l]]
                    .iter()
                    .sum::<f64>()
                    / c.units[l] as f64
            })
            .collect()
    }

    /// The stages (indices into `stages`' areas) open with the synapses in `states` plus `picked`:
    /// the first, and each whose predecessor has lost at least `stage_share` of its synapses.
    fn open_stages(&self, states: &SynapseStates, picked: &[usize]) -> Vec<usize> {
        let mut open = Vec::new();
        for (k, &a) in self.stages.iter().enumerate() {
            if k > 0 {
                let before = self.stages[k - 1];
                let (injured, total) =
                    self.areas[before].layers.iter().fold((0, 0), |(i, t), &l| {
                        let layer = &states.layers[l];
                        (
                            i + layer.len() - layer.healthy() + picked.get(l).copied().unwrap_or(0),
                            t + layer.len(),
                        )
                    });
                if total > 0 && (injured as f64) < self.stage_share * total as f64 {
                    break;
                }
            }
            open.push(a);
        }
        open
    }

    /// Staged: the quota drawn at random from the healthy synapses of the open areas; when they
    /// run out, the next area opens (its predecessors are then wholly injured); when every staged
    /// area is gone, from the layers of no stage.
    fn choose_staged<R: Rng>(
        &self,
        states: &SynapseStates,
        quota: usize,
        rng: &mut R,
    ) -> Vec<Synapse> {
        let mut picked_per_layer = vec![0usize; states.layers.len()];
        let mut taken: std::collections::HashSet<Synapse> = std::collections::HashSet::new();
        let mut chosen = Vec::new();
        let staged: Vec<usize> = self
            .stages
            .iter()
            .flat_map(|&a| self.areas[a].layers.clone())
            .collect();
        while chosen.len() < quota {
            let open = self.open_stages(states, &picked_per_layer);
            let mut layers: Vec<usize> = open
                .iter()
                .flat_map(|&a| self.areas[a].layers.clone())
                .collect();
            let mut pool = healthy_of(states, &layers, &taken);
            if pool.is_empty() {
                // Every open area is gone: when every stage is open, what no stage names.
                if open.len() < self.stages.len() {
                    break;
                }
                layers = (0..states.layers.len())
                    .filter(|l| !staged.contains(l))
                    .collect();
                pool = healthy_of(states, &layers, &taken);
                if pool.is_empty() {
                    break;
                }
            }
            let take = (quota - chosen.len()).min(pool.len());
            for i in rand::seq::index::sample(rng, pool.len(), take) {
                let s = pool[i];
                picked_per_layer[s.layer] += 1;
                taken.insert(s);
                chosen.push(s);
            }
        }
        chosen.sort();
        chosen
    }

    /// The damage map after iteration `n`: each layer's share injured and mean load.
    pub fn damage(&self, n: usize, states: &SynapseStates) -> Vec<LayerDamage> {
        let loads = self.loads(n, states);
        let means = self.layer_means(&loads);
        (0..states.layers.len())
            .map(|l| {
                let layer = &states.layers[l];
                LayerDamage {
                    layer: l,
                    area: self
                        .areas
                        .iter()
                        .find(|a| a.layers.contains(&l))
                        .map_or_else(String::new, |a| a.name.clone()),
                    injured: (layer.len() - layer.healthy()) as f64 / layer.len().max(1) as f64,
                    load: means[l],
                }
            })
            .collect()
    }
}

/// Healthy synapses of injurable `layers` not yet `taken`.
fn healthy_of(
    states: &SynapseStates,
    layers: &[usize],
    taken: &std::collections::HashSet<Synapse>,
) -> Vec<Synapse> {
    let mut out = Vec::new();
    for &l in layers {
        let layer = &states.layers[l];
        if !layer.injurable {
            continue;
        }
        for (index, &s) in layer.state.iter().enumerate() {
            let syn = Synapse { layer: l, index };
            if SynapseState::of(s) == SynapseState::Healthy && !taken.contains(&syn) {
                out.push(syn);
            }
        }
    }
    out
}

/// `values` as percentile ranks in [0, 1] (the smallest 0, the largest 1; ties share the mean
/// of their ranks), so that loads do not depend on each layer's scale of activation.
pub fn percentile_ranks(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    if n < 2 {
        return vec![1.0; n];
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; n];
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let mean = (i + j) as f64 / 2.0;
        for &k in &order[i..=j] {
            ranks[k] = mean / (n - 1) as f64;
        }
        i = j + 1;
    }
    ranks
}

/// The areas of `cfg.stages` (names, or one preset word) as indices into `areas`; empty unless
/// the progression is staged.
fn stage_order(cfg: &InjuryConfig, areas: &[Area]) -> Result<Vec<usize>, InjuryError> {
    if cfg.progression != Progression::Staged {
        return Ok(Vec::new());
    }
    let readout = |a: &Area| a.name == "classifier" || a.name == "decoder";
    let forward: Vec<usize> = (0..areas.len()).filter(|&a| !readout(&areas[a])).collect();
    match cfg.stages.as_slice() {
        [w] if w == "posterior" => return Ok(forward),
        [w] if w == "anterior" => return Ok(forward.into_iter().rev().collect()),
        _ => {}
    }
    cfg.stages
        .iter()
        .map(|s| {
            areas.iter().position(|a| &a.name == s).ok_or_else(|| {
                InjuryError::out_of_range(
                    "injury.stages",
                    s,
                    format!(
                        "areas of the model ({}) or one of the words {}",
                        names(&areas.iter().map(|a| a.name.clone()).collect::<Vec<_>>()),
                        STAGE_PRESETS.join(", ")
                    ),
                )
            })
        })
        .collect()
}

fn names(v: &[String]) -> String {
    v.join(", ")
}

#[cfg(test)]
#[path = "progression_tests.rs"]
mod tests;
