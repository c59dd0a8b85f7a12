//! The state of every synapse (every weight of a conv or linear layer): healthy, decayed k times,
//! or ablated. Healthy synapses are the only ones retraining may change.
use serde::{Deserialize, Serialize};

/// State code of a healthy synapse.
pub const HEALTHY: i32 = 0;
/// State code of an ablated synapse (set to zero and frozen there).
pub const ABLATED: i32 = -1;

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
