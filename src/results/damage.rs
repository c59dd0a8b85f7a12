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
        with_key(&["layer", "area", "injured", "load"])
    }
}
