//! `damage.csv`: the damage map of a progression model (docs/PROTOCOLS.md, "Progression"), one
//! row per synapse layer after each injury: its area, the share of its synapses injured and the
//! mean damage load of its units. Written only when `injury.progression` is not `uniform`.
use super::num;
use super::rows::{with_key, StateKey};
use serde::{Deserialize, Serialize};

/// The file's name in a results folder.
pub const DAMAGE_FILE: &str = "damage.csv";

/// One row of `damage.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DamageRow {
    /// The injured state (after the injury of its iteration).
    pub key: StateKey,
    /// The synapse layer, e.g. `V1.conv`.
    pub layer: String,
    /// Its area (`V1`, `block2`, `classifier`).
    pub area: String,
    /// Its synapses (weights).
    pub synapses: usize,
    /// Share of the layer's synapses injured.
    #[serde(with = "num")]
    pub injured: f64,
    /// Mean load of its units (diffusion: a conserved share of 1 spread over all units;
    /// Fisher-Kolmogorov: in [0, 1]; activity: percentile rank; staged: 1 once the area is open).
    #[serde(with = "num")]
    pub load: f64,
}

impl DamageRow {
    /// The header of `damage.csv`.
    pub fn header() -> Vec<String> {
        with_key(&["layer", "area", "synapses", "injured", "load"])
    }
}

/// Each area's share of synapses injured (pooled over its layers) at each iteration, averaged
/// over cycles, for regime `regime`: `(area, [(iteration, share)])` in the areas' order of
/// appearance, iteration 0 (healthy, nothing injured) first.
pub fn area_shares(rows: &[DamageRow], regime: &str) -> Vec<(String, Vec<(usize, f64)>)> {
    use std::collections::BTreeMap;
    let mut areas: Vec<String> = Vec::new();
    // (area, iteration) -> cycle -> (injured synapses, synapses)
    let mut pooled: BTreeMap<(usize, usize), BTreeMap<usize, (f64, f64)>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.key.regime == regime) {
        let a = match areas.iter().position(|a| *a == r.area) {
            Some(a) => a,
            None => {
                areas.push(r.area.clone());
                areas.len() - 1
            }
        };
        let e = (pooled.entry((a, r.key.iteration)).or_default())
            .entry(r.key.cycle)
            .or_default();
        e.0 += r.injured * r.synapses as f64;
        e.1 += r.synapses as f64;
    }
    (areas.iter().enumerate())
        .map(|(a, name)| {
            let mut points = vec![(0, 0.0)];
            for ((_, i), cycles) in pooled.range((a, 0)..(a + 1, 0)) {
                let shares: Vec<f64> = cycles.values().map(|(x, n)| x / n.max(1.0)).collect();
                points.push((*i, shares.iter().sum::<f64>() / shares.len() as f64));
            }
            (name.clone(), points)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::State;

    /// Areas pool their layers by synapses and average cycles, by hand.
    #[test]
    fn area_shares_by_hand() {
        let row = |cycle, iteration, layer: &str, area: &str, synapses, injured| DamageRow {
            key: StateKey {
                regime: "R".into(),
                cycle,
                iteration,
                fraction_injured: 0.5,
                state: State::Injured,
            },
            layer: layer.into(),
            area: area.into(),
            synapses,
            injured,
            load: 0.0,
        };
        let rows = [
            row(0, 1, "conv1", "block1", 100, 1.0),
            row(0, 1, "conv2", "block1", 300, 0.0),
            row(0, 1, "linear1", "classifier", 10, 0.5),
            row(1, 1, "conv1", "block1", 100, 0.0),
            row(1, 1, "conv2", "block1", 300, 0.0),
            row(1, 1, "linear1", "classifier", 10, 0.0),
        ];
        let shares = area_shares(&rows, "R");
        assert_eq!(shares[0].0, "block1");
        // Cycle 0: 100 of 400 = 0.25; cycle 1: 0. Mean 0.125.
        assert_eq!(shares[0].1, vec![(0, 0.0), (1, 0.125)]);
        assert_eq!(shares[1].1, vec![(0, 0.0), (1, 0.25)]);
        assert!(area_shares(&rows, "other").is_empty());
    }
}
