//! The state of every synapse (every weight of a conv or linear layer): healthy, decayed k times,
//! or ablated. Healthy synapses are the only ones retraining may change.
use serde::{Deserialize, Serialize};

/// State code of a healthy synapse.
pub const HEALTHY: i32 = 0;
/// State code of an ablated synapse (set to zero and frozen there).
pub const ABLATED: i32 = -1;

/// What a synapse has suffered: nothing, k decays (P3: once per iteration since it was first
/// chosen, its weight multiplied by gamma each time) or ablation (P4: set to zero). Stored as
/// its code ([`SynapseState::code`]: 0, k, -1), which the step state files keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SynapseState {
    /// Untouched; the only state retraining may change.
    Healthy,
    /// Decayed this many times (at least 1).
    Decayed(u32),
    /// Removed: zero, and frozen there.
    Ablated,
}

impl SynapseState {
    /// The state a code stands for (a code below -1 reads as ablated).
    pub fn of(code: i32) -> SynapseState {
        match code {
            HEALTHY => SynapseState::Healthy,
            k if k > 0 => SynapseState::Decayed(k as u32),
            _ => SynapseState::Ablated,
        }
    }

    /// The code stored for this state.
    pub fn code(self) -> i32 {
        match self {
            SynapseState::Healthy => HEALTHY,
            SynapseState::Decayed(k) => k as i32,
            SynapseState::Ablated => ABLATED,
        }
    }
}

/// One synapse of a network: its layer (index into [`SynapseStates::layers`]) and its index in
/// that layer's flattened weight tensor. Ordered by layer, then index: the order in which ties
/// of equal saliency are broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Synapse {
    /// Layer index.
    pub layer: usize,
    /// Index in the layer's flattened weights.
    pub index: usize,
}

/// The synapses of one layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerSynapses {
    /// Parameter name, e.g. `conv3.weight`.
    pub name: String,
    /// Weight shape.
    pub shape: Vec<usize>,
    /// May this layer be injured at all (the config can restrict injury to some layers).
    pub injurable: bool,
    /// One code per synapse: 0 healthy, k > 0 decayed k times, -1 ablated.
    pub state: Vec<i32>,
}

impl LayerSynapses {
    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.state.len()
    }
    /// True for a layer without synapses.
    pub fn is_empty(&self) -> bool {
        self.state.is_empty()
    }
    /// Synapses no injury has touched.
    pub fn healthy(&self) -> usize {
        self.state.iter().filter(|&&s| s == HEALTHY).count()
    }
    /// The retraining mask: 1 where healthy, 0 where injured.
    pub fn healthy_mask(&self) -> Vec<f32> {
        self.state
            .iter()
            .map(|&s| if s == HEALTHY { 1.0 } else { 0.0 })
            .collect()
    }
}

/// The synapses of a network that injury may reach, beside all of them: with injury confined to
/// some layers (`[injury] layers`), `injurable < total`, and the reports give the fraction
/// injured as a share of the injurable synapses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SynapseCount {
    /// Every synapse (P3's T).
    pub total: usize,
    /// The synapses of the layers injury may reach.
    pub injurable: usize,
}

/// Every synapse of a network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SynapseStates {
    /// Layers in forward order.
    pub layers: Vec<LayerSynapses>,
}

impl SynapseStates {
    /// All synapses healthy. `layers` gives (parameter name, shape, injurable).
    pub fn healthy(layers: Vec<(String, Vec<usize>, bool)>) -> SynapseStates {
        SynapseStates {
            layers: layers
                .into_iter()
                .map(|(name, shape, injurable)| {
                    let n = shape.iter().product();
                    LayerSynapses {
                        name,
                        shape,
                        injurable,
                        state: vec![HEALTHY; n],
                    }
                })
                .collect(),
        }
    }

    /// Total synapses (P3's T), injurable or not.
    pub fn total(&self) -> usize {
        self.layers.iter().map(|l| l.len()).sum()
    }

    /// How many synapses the network has, and how many of them injury may reach.
    pub fn count(&self) -> SynapseCount {
        SynapseCount {
            total: self.total(),
            injurable: self
                .layers
                .iter()
                .filter(|l| l.injurable)
                .map(|l| l.len())
                .sum(),
        }
    }

    /// Fraction of all synapses that are injured (decayed or ablated).
    pub fn fraction_injured(&self) -> f64 {
        let t = self.total();
        if t == 0 {
            return 0.0;
        }
        let injured: usize = self.layers.iter().map(|l| l.len() - l.healthy()).sum();
        injured as f64 / t as f64
    }

    /// Counts of (healthy, decayed, ablated) synapses.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for s in self.layers.iter().flat_map(|l| &l.state) {
            match *s {
                HEALTHY => c.0 += 1,
                ABLATED => c.2 += 1,
                _ => c.1 += 1,
            }
        }
        c
    }
}

#[cfg(test)]
mod state_codes {
    use super::*;

    /// The stored codes are those of the step state files: 0 healthy, k decayed k times, -1
    /// ablated; every state reads back as itself.
    #[test]
    fn states_and_codes_round_trip() {
        for (s, code) in [
            (SynapseState::Healthy, 0),
            (SynapseState::Decayed(1), 1),
            (SynapseState::Decayed(7), 7),
            (SynapseState::Ablated, -1),
        ] {
            assert_eq!(s.code(), code);
            assert_eq!(SynapseState::of(code), s);
        }
        let (a, b) = (
            Synapse { layer: 0, index: 9 },
            Synapse { layer: 1, index: 0 },
        );
        assert!(a < b, "ties break by layer first, then index");
    }
}
