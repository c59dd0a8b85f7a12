//! One injury iteration: choose the synapses (P3 quotas for decay, P4 fractions for ablation),
//! update their states, and change the weights accordingly.
use super::config::{InjuryConfig, InjuryKind, Scope, Selection};
use super::error::InjuryError;
use super::progression::{Disease, Progression};
use super::state::{Synapse, SynapseState, SynapseStates};
use rand::Rng;

/// What one iteration did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InjuryReport {
    /// Synapses newly injured in each layer.
    pub new_per_layer: Vec<usize>,
}

impl InjuryReport {
    /// Synapses newly injured in all layers.
    pub fn total(&self) -> usize {
        self.new_per_layer.iter().sum()
    }
}

/// How many synapses of a pool of `total` (of which `affected` already injured) P3 marks at
/// iteration `n` of `iterations`: the cumulative count follows floor(total * n / N), so every
/// iteration takes T/N and the last one takes all that remain.
pub fn decay_quota(total: usize, affected: usize, n: usize, iterations: usize) -> usize {
    let target = if n >= iterations {
        total
    } else {
        (total as u128 * n as u128 / iterations as u128) as usize
    };
    target.saturating_sub(affected)
}

/// How many synapses P4 ablates from `remaining` healthy ones: round(fraction * remaining).
pub fn ablation_quota(remaining: usize, fraction: f64) -> usize {
    ((fraction * remaining as f64).round() as usize).min(remaining)
}

/// The `count` candidates to injure: at random, or those with the smallest score (ties broken
/// by the candidates' order: layer, then index, so the choice is deterministic).
fn choose<T: Copy + Ord, R: Rng>(
    candidates: &[T],
    score: Option<&dyn Fn(T) -> f32>,
    count: usize,
    rng: &mut R,
) -> Vec<T> {
    if count == 0 {
        return Vec::new();
    }
    match score {
        None => rand::seq::index::sample(rng, candidates.len(), count)
            .iter()
            .map(|i| candidates[i])
            .collect(),
        Some(score) => {
            let mut keyed: Vec<(f32, T)> = candidates.iter().map(|&c| (score(c), c)).collect();
            if count < keyed.len() {
                keyed.select_nth_unstable_by(count - 1, |a, b| {
                    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
                });
                keyed.truncate(count);
            }
            keyed.into_iter().map(|(_, c)| c).collect()
        }
    }
}

/// Runs iteration `n` (1-based) of `cfg` on `states` and the matching flat `weights`: choose
/// the synapses to injure (P3's quota of decay, or P4's fraction of the healthy ones), mark
/// them, then change the weights of every injured synapse as its state says.
///
/// `scores` are per-synapse saliencies for `obd` and `taylor` selection (smaller = injured
/// first); `magnitude` uses |w| and `random` needs none.
pub fn injure<R: Rng>(
    states: &mut SynapseStates,
    weights: &mut [Vec<f32>],
    scores: Option<&[Vec<f32>]>,
    cfg: &InjuryConfig,
    n: usize,
    rng: &mut R,
) -> Result<InjuryReport, InjuryError> {
    injure_with(states, weights, scores, None, cfg, n, rng)
}

/// [`injure`] with the progression `disease` (set up on the same network) deciding where the
/// quota falls; required when `cfg.progression` is not `uniform`.
pub fn injure_with<R: Rng>(
    states: &mut SynapseStates,
    weights: &mut [Vec<f32>],
    scores: Option<&[Vec<f32>]>,
    disease: Option<&Disease>,
    cfg: &InjuryConfig,
    n: usize,
    rng: &mut R,
) -> Result<InjuryReport, InjuryError> {
    check_inputs(states, weights, scores, cfg)?;
    let chosen = match (cfg.progression, disease) {
        (Progression::Uniform, _) if cfg.units => choose_units(states, weights, scores, cfg, rng),
        (Progression::Uniform, _) => choose_synapses(states, weights, scores, cfg, n, rng),
        (_, Some(d)) => {
            let healthy: usize = (states.layers.iter())
                .filter(|l| l.injurable)
                .map(|l| l.healthy())
                .sum();
            let total = states.count().injurable;
            d.choose(states, n, quota(cfg, total, healthy, n), rng)
        }
        (p, None) => {
            return Err(InjuryError::NoDisease {
                progression: p.as_str(),
            })
        }
    };
    let mut report = InjuryReport {
        new_per_layer: vec![0; states.layers.len()],
    };
    for c in &chosen {
        report.new_per_layer[c.layer] += 1;
    }
    match cfg.kind {
        InjuryKind::Decay => decay(states, weights, &chosen, cfg.gamma as f32),
        InjuryKind::Ablation => ablate(states, weights, &chosen),
    }
    Ok(report)
}

/// The weights and scores must match the synapse states layer for layer; saliency selection
/// needs its scores.
fn check_inputs(
    states: &SynapseStates,
    weights: &[Vec<f32>],
    scores: Option<&[Vec<f32>]>,
    cfg: &InjuryConfig,
) -> Result<(), InjuryError> {
    if weights.len() != states.layers.len() {
        return Err(InjuryError::LayerCount {
            weights: weights.len(),
            layers: states.layers.len(),
        });
    }
    for (l, w) in states.layers.iter().zip(weights.iter()) {
        if l.len() != w.len() {
            return Err(InjuryError::LayerSize {
                layer: l.name.clone(),
                weights: w.len(),
                states: l.len(),
            });
        }
    }
    if matches!(cfg.selection, Selection::Obd | Selection::Taylor) && scores.is_none() {
        return Err(InjuryError::NeedsScores {
            selection: cfg.selection,
        });
    }
    Ok(())
}

/// The synapses iteration `n` injures in a pool of `total` injurable synapses, `healthy` of them
/// still healthy: P3's decay quota or P4's ablation fraction.
fn quota(cfg: &InjuryConfig, total: usize, healthy: usize, n: usize) -> usize {
    match cfg.kind {
        InjuryKind::Decay => decay_quota(total, total - healthy, n, cfg.iterations),
        InjuryKind::Ablation => ablation_quota(healthy, cfg.fraction),
    }
}

/// P3 and P4 on single synapses: per layer (each layer loses its own quota) or over the whole
/// network at once, among the healthy synapses of the injurable layers.
fn choose_synapses<R: Rng>(
    states: &SynapseStates,
    weights: &[Vec<f32>],
    scores: Option<&[Vec<f32>]>,
    cfg: &InjuryConfig,
    n: usize,
    rng: &mut R,
) -> Vec<Synapse> {
    let score_of = |c: Synapse| -> f32 {
        match cfg.selection {
            Selection::Magnitude => weights[c.layer][c.index].abs(),
            _ => scores.map_or(0.0, |s| s[c.layer][c.index]),
        }
    };
    let score: Option<&dyn Fn(Synapse) -> f32> =
        (cfg.selection != Selection::Random).then_some(&score_of as &dyn Fn(Synapse) -> f32);
    let healthy_of = |l: usize| -> Vec<Synapse> {
        let layer = &states.layers[l];
        (layer.state.iter().enumerate())
            .filter(|(_, &s)| layer.injurable && SynapseState::of(s) == SynapseState::Healthy)
            .map(|(index, _)| Synapse { layer: l, index })
            .collect()
    };
    let quota = |total: usize, healthy: usize| quota(cfg, total, healthy, n);
    match cfg.scope {
        Scope::PerLayer => (0..states.layers.len())
            .filter(|&l| states.layers[l].injurable)
            .flat_map(|l| {
                let healthy = healthy_of(l);
                let q = quota(states.layers[l].len(), healthy.len());
                choose(&healthy, score, q, rng)
            })
            .collect(),
        Scope::Global => {
            let healthy: Vec<Synapse> = (0..states.layers.len()).flat_map(healthy_of).collect();
            let total = states.count().injurable;
            choose(&healthy, score, quota(total, healthy.len()), rng)
        }
    }
}

/// P3: the synapses decayed before decay once more, then the newly chosen ones decay for the
/// first time: every affected synapse's weight is multiplied by gamma once per iteration.
fn decay(states: &mut SynapseStates, weights: &mut [Vec<f32>], chosen: &[Synapse], gamma: f32) {
    for (layer, w) in states.layers.iter_mut().zip(weights.iter_mut()) {
        for (s, w) in layer.state.iter_mut().zip(w.iter_mut()) {
            if let SynapseState::Decayed(k) = SynapseState::of(*s) {
                *s = SynapseState::Decayed(k + 1).code();
                *w *= gamma;
            }
        }
    }
    for c in chosen {
        states.layers[c.layer].state[c.index] = SynapseState::Decayed(1).code();
        weights[c.layer][c.index] *= gamma;
    }
}

/// P4: the chosen synapses are removed (set to zero, and kept there by retraining's mask).
fn ablate(states: &mut SynapseStates, weights: &mut [Vec<f32>], chosen: &[Synapse]) {
    for c in chosen {
        states.layers[c.layer].state[c.index] = SynapseState::Ablated.code();
    }
    for (layer, w) in states.layers.iter().zip(weights.iter_mut()) {
        for (s, w) in layer.state.iter().zip(w.iter_mut()) {
            if SynapseState::of(*s) == SynapseState::Ablated {
                *w = 0.0;
            }
        }
    }
}

/// Unit ablation: per layer, round(fraction x intact units) whole output units (all of whose
/// synapses are healthy), chosen at random or by smallest summed score (L1 norm for magnitude).
fn choose_units<R: Rng>(
    states: &SynapseStates,
    weights: &[Vec<f32>],
    scores: Option<&[Vec<f32>]>,
    cfg: &InjuryConfig,
    rng: &mut R,
) -> Vec<Synapse> {
    let mut chosen = Vec::new();
    for (l, layer) in states.layers.iter().enumerate() {
        if !layer.injurable || layer.shape.is_empty() {
            continue;
        }
        let units = layer.shape[0];
        let per = layer.len() / units.max(1);
        let intact: Vec<usize> = (0..units)
            .filter(|&u| {
                layer.state[u * per..(u + 1) * per]
                    .iter()
                    .all(|&s| SynapseState::of(s) == SynapseState::Healthy)
            })
            .collect();
        let q = ablation_quota(intact.len(), cfg.fraction);
        let unit_score = |u: usize| -> f32 {
            let r = u * per..(u + 1) * per;
            match cfg.selection {
                Selection::Magnitude => weights[l][r].iter().map(|w| w.abs()).sum(),
                _ => scores.map_or(0.0, |s| s[l][r].iter().sum()),
            }
        };
        let score: Option<&dyn Fn(usize) -> f32> =
            (cfg.selection != Selection::Random).then_some(&unit_score as &dyn Fn(usize) -> f32);
        for u in choose(&intact, score, q, rng) {
            chosen.extend((u * per..(u + 1) * per).map(|index| Synapse { layer: l, index }));
        }
    }
    chosen
}
