//! One injury iteration: choose the synapses (P3 quotas for decay, P4 fractions for ablation),
//! update their states, and change the weights accordingly.
use super::config::{InjuryConfig, InjuryKind, Scope, Selection};
use super::error::InjuryError;
use super::state::{SynapseStates, ABLATED, HEALTHY};
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

/// Indices of the `count` candidates to injure: at random, or those with the smallest score
/// (ties broken by position, so the choice is deterministic).
fn choose<R: Rng>(
    candidates: &[u64],
    scores: Option<&dyn Fn(u64) -> f32>,
    count: usize,
    rng: &mut R,
) -> Vec<u64> {
    if count == 0 {
        return Vec::new();
    }
    match scores {
        None => rand::seq::index::sample(rng, candidates.len(), count)
            .iter()
            .map(|i| candidates[i])
            .collect(),
        Some(score) => {
            let mut keyed: Vec<(f32, u64)> = candidates.iter().map(|&c| (score(c), c)).collect();
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

const SHIFT: u64 = 40;

/// Runs iteration `n` (1-based) of `cfg` on `states` and the matching flat `weights`.
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
    let need_scores = matches!(cfg.selection, Selection::Obd | Selection::Taylor);
    if need_scores && scores.is_none() {
        return Err(InjuryError::NeedsScores {
            selection: cfg.selection,
        });
    }
    let magnitude: Vec<&Vec<f32>> = weights.iter().collect();
    let score_of = |c: u64| -> f32 {
        let (l, i) = ((c >> SHIFT) as usize, (c & ((1 << SHIFT) - 1)) as usize);
        match cfg.selection {
            Selection::Magnitude => magnitude[l][i].abs(),
            _ => scores.map_or(0.0, |s| s[l][i]),
        }
    };
    let scorer: Option<&dyn Fn(u64) -> f32> = if cfg.selection == Selection::Random {
        None
    } else {
        Some(&score_of)
    };
    let mut chosen: Vec<u64> = Vec::new();
    if cfg.units {
        chosen = choose_units(states, weights, scores, cfg, rng);
    } else {
        let candidates_of = |l: usize| -> Vec<u64> {
            let layer = &states.layers[l];
            if !layer.injurable {
                return Vec::new();
            }
            layer
                .state
                .iter()
                .enumerate()
                .filter(|(_, &s)| s == HEALTHY)
                .map(|(i, _)| ((l as u64) << SHIFT) | i as u64)
                .collect()
        };
        let quota = |total: usize, healthy: usize| match cfg.kind {
            InjuryKind::Decay => decay_quota(total, total - healthy, n, cfg.iterations),
            InjuryKind::Ablation => ablation_quota(healthy, cfg.fraction),
        };
        match cfg.scope {
            Scope::PerLayer => {
                for l in 0..states.layers.len() {
                    let cand = candidates_of(l);
                    let layer = &states.layers[l];
                    if !layer.injurable {
                        continue;
                    }
                    let q = quota(layer.len(), cand.len());
                    chosen.extend(choose(&cand, scorer, q, rng));
                }
            }
            Scope::Global => {
                let cand: Vec<u64> = (0..states.layers.len()).flat_map(candidates_of).collect();
                let total: usize = states
                    .layers
                    .iter()
                    .filter(|l| l.injurable)
                    .map(|l| l.len())
                    .sum();
                let q = quota(total, cand.len());
                chosen = choose(&cand, scorer, q, rng);
            }
        }
    }
    let mut report = InjuryReport {
        new_per_layer: vec![0; states.layers.len()],
    };
    for c in chosen {
        let (l, i) = ((c >> SHIFT) as usize, (c & ((1 << SHIFT) - 1)) as usize);
        report.new_per_layer[l] += 1;
        // Decay: i32::MIN marks "chosen this iteration" until the pass below counts it.
        states.layers[l].state[i] = if cfg.kind == InjuryKind::Decay {
            i32::MIN
        } else {
            ABLATED
        };
    }
    for (layer, w) in states.layers.iter_mut().zip(weights.iter_mut()) {
        for (s, w) in layer.state.iter_mut().zip(w.iter_mut()) {
            match cfg.kind {
                InjuryKind::Decay => {
                    // Every affected synapse, new and old, decays once per iteration.
                    if *s == i32::MIN {
                        *s = 1;
                        *w *= cfg.gamma as f32;
                    } else if *s > 0 {
                        *s += 1;
                        *w *= cfg.gamma as f32;
                    }
                }
                InjuryKind::Ablation => {
                    if *s == ABLATED {
                        *w = 0.0;
                    }
                }
            }
        }
    }
    Ok(report)
}

/// Unit ablation: per layer, round(fraction x intact units) whole output units (all of whose
/// synapses are healthy), chosen at random or by smallest summed score (L1 norm for magnitude).
fn choose_units<R: Rng>(
    states: &SynapseStates,
    weights: &[Vec<f32>],
    scores: Option<&[Vec<f32>]>,
    cfg: &InjuryConfig,
    rng: &mut R,
) -> Vec<u64> {
    let mut chosen = Vec::new();
    for (l, layer) in states.layers.iter().enumerate() {
        if !layer.injurable || layer.shape.is_empty() {
            continue;
        }
        let units = layer.shape[0];
        let per = layer.len() / units.max(1);
        let intact: Vec<u64> = (0..units)
            .filter(|&u| {
                layer.state[u * per..(u + 1) * per]
                    .iter()
                    .all(|&s| s == HEALTHY)
            })
            .map(|u| u as u64)
            .collect();
        let q = ablation_quota(intact.len(), cfg.fraction);
        let unit_score = |u: u64| -> f32 {
            let r = u as usize * per..(u as usize + 1) * per;
            match cfg.selection {
                Selection::Magnitude => weights[l][r].iter().map(|w| w.abs()).sum(),
                _ => scores.map_or(0.0, |s| s[l][r].iter().sum()),
            }
        };
        let scorer: Option<&dyn Fn(u64) -> f32> = if cfg.selection == Selection::Random {
            None
        } else {
            Some(&unit_score)
        };
        for u in choose(&intact, scorer, q, rng) {
            chosen.extend(
                (u as usize * per..(u as usize + 1) * per)
                    .map(|i| ((l as u64) << SHIFT) | i as u64),
            );
        }
    }
    chosen
}
