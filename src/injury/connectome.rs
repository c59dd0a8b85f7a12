//! The network as a connectome (docs/PROTOCOLS.md, "Progression"): one node per unit (an output
//! channel of a convolution, a neuron of a linear layer), one undirected edge between unit i of a
//! synapse layer and unit j of the next, as strong as their connection in the healthy model.
use super::state::SynapseStates;

/// How a synapse layer's inputs map onto the units of the layer before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wiring {
    /// The first synapse layer: its inputs are the image, not units.
    Image,
    /// Input k is unit k of the layer before (a convolution after a convolution, a linear layer
    /// after a linear layer).
    Direct,
    /// Input k is unit k / `group` of the layer before: a linear layer reading a flattened
    /// C x H x W feature map, `group` = H x W features per channel.
    Flatten {
        /// Features per unit of the layer before.
        group: usize,
    },
    /// The inputs cannot be matched to the layer before (a TorchScript model whose wiring is
    /// not a chain: residual additions, concatenations): every unit of the layer before is
    /// joined to every unit of this one by the mean absolute weight of this unit.
    LayerOrder,
}

/// The connectome of a network's synapse layers, taken in their order.
#[derive(Clone, Debug)]
pub struct Connectome {
    /// Units of each synapse layer (its weight's first dimension).
    pub units: Vec<usize>,
    /// Index of each layer's first unit among all units.
    pub offset: Vec<usize>,
    /// How each layer reads the one before.
    pub wiring: Vec<Wiring>,
    /// Undirected edges (unit, unit, strength), strengths divided by the largest weighted degree
    /// so that the Laplacian's spectrum lies in [0, 2].
    pub edges: Vec<(usize, usize, f64)>,
    /// Weighted degree of every unit (after that division): at most 1.
    pub degree: Vec<f64>,
}

impl Connectome {
    /// The connectome of the synapse layers of `states` with the healthy `weights` (flat, one
    /// vector per layer, in the layers' shapes). The strength between unit i of layer l - 1 and
    /// unit j of layer l is the L1 norm of the weights joining them: the kernel w[j, i, :, :] of a
    /// convolution, |w[j, i]| of a linear layer, summed over the H x W features of channel i
    /// after a flatten.
    pub fn of(states: &SynapseStates, weights: &[Vec<f32>]) -> Connectome {
        let units: Vec<usize> = states
            .layers
            .iter()
            .map(|l| l.shape.first().copied().unwrap_or(1))
            .collect();
        let mut offset = Vec::with_capacity(units.len());
        let mut total = 0;
        for &u in &units {
            offset.push(total);
            total += u;
        }
        let mut wiring = Vec::with_capacity(units.len());
        let mut edges = Vec::new();
        for (l, layer) in states.layers.iter().enumerate() {
            let inputs = layer.shape.get(1).copied().unwrap_or(1);
            let w = if l == 0 {
                Wiring::Image
            } else if inputs == units[l - 1] {
                Wiring::Direct
            } else if inputs % units[l - 1] == 0 {
                Wiring::Flatten {
                    group: inputs / units[l - 1],
                }
            } else {
                Wiring::LayerOrder
            };
            wiring.push(w);
            if l == 0 {
                continue;
            }
            // Weights per output unit, and per (output unit, input) pair.
            let per_unit = layer.len() / units[l];
            let per_input = per_unit / inputs.max(1);
            let pre = units[l - 1];
            let mut strength = vec![0.0f64; units[l] * pre];
            for j in 0..units[l] {
                let row = &weights[l][j * per_unit..(j + 1) * per_unit];
                match w {
                    Wiring::Direct | Wiring::Flatten { .. } => {
                        let group = match w {
                            Wiring::Flatten { group } => group,
                            _ => 1,
                        };
                        for (k, kernel) in row.chunks(per_input.max(1)).enumerate() {
                            let s: f64 = kernel.iter().map(|x| x.abs() as f64).sum();
                            strength[j * pre + k / group] += s;
                        }
                    }
                    Wiring::LayerOrder => {
                        let mean =
                            row.iter().map(|x| x.abs() as f64).sum::<f64>() / row.len() as f64;
                        strength[j * pre..(j + 1) * pre].fill(mean);
                    }
                    Wiring::Image => unreachable!("the first layer has no units before it"),
                }
            }
            for j in 0..units[l] {
                for i in 0..pre {
                    let s = strength[j * pre + i];
                    if s > 0.0 {
                        edges.push((offset[l - 1] + i, offset[l] + j, s));
                    }
                }
            }
        }
        let mut degree = vec![0.0; total];
        for &(a, b, s) in &edges {
            degree[a] += s;
            degree[b] += s;
        }
        let top = degree.iter().cloned().fold(0.0, f64::max);
        if top > 0.0 {
            for e in &mut edges {
                e.2 /= top;
            }
            for d in &mut degree {
                *d /= top;
            }
        }
        Connectome {
            units,
            offset,
            wiring,
            edges,
            degree,
        }
    }

    /// A connectome given by its edges, for tests and hand-built graphs: `n` units in one layer.
    pub fn from_edges(n: usize, edges: &[(usize, usize, f64)]) -> Connectome {
        let mut degree = vec![0.0; n];
        for &(a, b, s) in edges {
            degree[a] += s;
            degree[b] += s;
        }
        Connectome {
            units: vec![n],
            offset: vec![0],
            wiring: vec![Wiring::Image],
            edges: edges.to_vec(),
            degree,
        }
    }

    /// Number of units.
    pub fn len(&self) -> usize {
        self.degree.len()
    }

    /// True for a network without units.
    pub fn is_empty(&self) -> bool {
        self.degree.is_empty()
    }

    /// L x for the graph Laplacian L = D - A.
    pub fn laplacian(&self, x: &[f64]) -> Vec<f64> {
        let mut y: Vec<f64> = self.degree.iter().zip(x).map(|(d, v)| d * v).collect();
        for &(a, b, s) in &self.edges {
            y[a] -= s * x[b];
            y[b] -= s * x[a];
        }
        y
    }

    /// The layer a unit belongs to.
    pub fn layer_of(&self, unit: usize) -> usize {
        self.offset.partition_point(|&o| o <= unit) - 1
    }

    /// The units of the layer before layer `l` that synapse `index` of layer `l` reads (none for
    /// the first layer; all of them without a readable wiring), and its own unit.
    pub fn endpoints(
        &self,
        states: &SynapseStates,
        l: usize,
        index: usize,
    ) -> (Option<usize>, usize) {
        let shape = &states.layers[l].shape;
        let per_unit = states.layers[l].len() / self.units[l];
        let j = index / per_unit;
        let post = self.offset[l] + j;
        let inputs = shape.get(1).copied().unwrap_or(1);
        let per_input = (per_unit / inputs.max(1)).max(1);
        let k = (index % per_unit) / per_input;
        let pre = match self.wiring[l] {
            Wiring::Image | Wiring::LayerOrder => None,
            Wiring::Direct => Some(self.offset[l - 1] + k),
            Wiring::Flatten { group } => Some(self.offset[l - 1] + k / group),
        };
        (pre, post)
    }
}
