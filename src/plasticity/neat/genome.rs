//! NEAT genomes (Stanley & Miikkulainen 2002, P10): node genes and connection genes carrying
//! global innovation numbers; the mutations that grow a topology from the minimal one; crossover
//! aligned by innovation number; the compatibility distance; and the network a genome encodes.
use super::NeatConfig;
use rand::Rng;
use std::collections::{BTreeMap, HashMap, HashSet};

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// An input (its value is given); the bias input is always 1.
    Input,
    /// The constant-1 bias input.
    Bias,
    /// A hidden unit (added by a mutation).
    Hidden,
    /// An output unit.
    Output,
}

/// A connection gene: `from` -> `to` with `weight`, enabled or not, and its historical marking.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConnGene {
    /// Source node id.
    pub from: usize,
    /// Target node id.
    pub to: usize,
    /// Weight.
    pub weight: f64,
    /// Whether it takes part in the network.
    pub enabled: bool,
    /// Global innovation number: the same structural change gets the same number.
    pub innovation: usize,
}

/// A genome: its nodes by global id (inputs and bias first, then outputs, then hidden units
/// numbered as the population created them) and connection genes sorted by innovation number.
#[derive(Clone, Debug, PartialEq)]
pub struct Genome {
    /// The kind of every node the genome has, by id.
    pub nodes: BTreeMap<usize, NodeKind>,
    /// Connection genes, by increasing innovation number.
    pub conns: Vec<ConnGene>,
}

/// The innovation numbers handed out so far: a structural change met again (in this
/// generation, or ever, here) gets the number it got the first time.
#[derive(Clone, Debug, Default)]
pub struct Innovations {
    next: usize,
    links: HashMap<(usize, usize), usize>,
    splits: HashMap<usize, usize>,
    next_node: usize,
}

impl Innovations {
    /// Numbering that starts after the `first` innovations and `nodes` node ids of the initial
    /// genomes.
    pub fn new(first: usize, nodes: usize) -> Innovations {
        Innovations {
            next: first,
            links: HashMap::new(),
            splits: HashMap::new(),
            next_node: nodes,
        }
    }

    /// The number of the connection `from` -> `to`.
    pub fn link(&mut self, from: usize, to: usize) -> usize {
        let next = &mut self.next;
        *self.links.entry((from, to)).or_insert_with(|| {
            *next += 1;
            *next - 1
        })
    }

    /// The id of the node that splits the connection with innovation `innovation`.
    pub fn split(&mut self, innovation: usize) -> usize {
        let next = &mut self.next_node;
        *self.splits.entry(innovation).or_insert_with(|| {
            *next += 1;
            *next - 1
        })
    }
}

/// NEAT's steepened sigmoid, 1 / (1 + exp(-4.9 x)).
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-4.9 * x).exp())
}

impl Genome {
    /// The minimal genome: every input and the bias connected to every output, weights uniform
    /// in +-`init`, innovation numbers 0.. in (input, output) order.
    pub fn minimal<R: Rng>(inputs: usize, outputs: usize, init: f64, rng: &mut R) -> Genome {
        let mut nodes: BTreeMap<usize, NodeKind> =
            (0..inputs).map(|i| (i, NodeKind::Input)).collect();
        nodes.insert(inputs, NodeKind::Bias);
        nodes.extend((0..outputs).map(|o| (inputs + 1 + o, NodeKind::Output)));
        let mut conns = Vec::new();
        for from in 0..=inputs {
            for o in 0..outputs {
                conns.push(ConnGene {
                    from,
                    to: inputs + 1 + o,
                    weight: rng.random_range(-init..init),
                    enabled: true,
                    innovation: conns.len(),
                });
            }
        }
        Genome { nodes, conns }
    }

    /// Hidden nodes that an enabled connection uses.
    pub fn hidden(&self) -> usize {
        self.nodes
            .iter()
            .filter(|(&id, &k)| {
                k == NodeKind::Hidden
                    && self
                        .conns
                        .iter()
                        .any(|c| c.enabled && (c.from == id || c.to == id))
            })
            .count()
    }

    /// Whether `to` is reachable from `from` over enabled or disabled connections (a new
    /// connection `to` -> `from` would then close a cycle).
    fn reaches(&self, from: usize, to: usize) -> bool {
        self.reaches_over(from, to, false)
    }

    /// As [`Genome::reaches`], over all connections or (`enabled_only`) the enabled ones.
    fn reaches_over(&self, from: usize, to: usize, enabled_only: bool) -> bool {
        let mut stack = vec![from];
        let mut seen = HashSet::new();
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if !seen.insert(n) {
                continue;
            }
            stack.extend(
                self.conns
                    .iter()
                    .filter(|c| c.from == n && (c.enabled || !enabled_only))
                    .map(|c| c.to),
            );
        }
        false
    }

    /// Every weight: drawn anew with probability `config.weight_replace` (0.1), else perturbed
    /// uniformly by up to +-`weight_step`. Whether a genome's weights mutate at all
    /// (`weight_mutation`) is the caller's choice.
    pub fn mutate_weights<R: Rng>(&mut self, config: &NeatConfig, rng: &mut R) {
        for c in &mut self.conns {
            if rng.random_bool(config.weight_replace) {
                c.weight = rng.random_range(-config.weight_init..config.weight_init);
            } else {
                c.weight += rng.random_range(-config.weight_step..config.weight_step);
            }
        }
    }

    /// Adds a connection between two nodes not yet connected (feed-forward: never into an
    /// input, never closing a cycle), weight uniform in +-`init`; false when none was found in
    /// 20 tries.
    pub fn add_connection<R: Rng>(
        &mut self,
        innovations: &mut Innovations,
        init: f64,
        rng: &mut R,
    ) -> bool {
        let ids: Vec<(usize, NodeKind)> = self.nodes.iter().map(|(&i, &k)| (i, k)).collect();
        for _ in 0..20 {
            let (from, from_kind) = ids[rng.random_range(0..ids.len())];
            let (to, to_kind) = ids[rng.random_range(0..ids.len())];
            let sink_ok = matches!(to_kind, NodeKind::Hidden | NodeKind::Output);
            if from == to
                || !sink_ok
                || from_kind == NodeKind::Output
                || self.conns.iter().any(|c| c.from == from && c.to == to)
                || self.reaches(to, from)
            {
                continue;
            }
            let gene = ConnGene {
                from,
                to,
                weight: rng.random_range(-init..init),
                enabled: true,
                innovation: innovations.link(from, to),
            };
            self.insert(gene);
            return true;
        }
        false
    }

    /// Splits a random enabled connection: it is disabled, a new node takes its place, the
    /// connection into the new node gets weight 1 and the one out of it the old weight.
    pub fn add_node<R: Rng>(&mut self, innovations: &mut Innovations, rng: &mut R) -> bool {
        let enabled: Vec<usize> = (0..self.conns.len())
            .filter(|&i| self.conns[i].enabled)
            .collect();
        if enabled.is_empty() {
            return false;
        }
        let i = enabled[rng.random_range(0..enabled.len())];
        let old = self.conns[i];
        let node = innovations.split(old.innovation);
        if self.nodes.contains_key(&node) {
            // This genome already split that connection once (it was re-enabled since).
            return false;
        }
        self.conns[i].enabled = false;
        self.nodes.insert(node, NodeKind::Hidden);
        for (from, to, weight) in [(old.from, node, 1.0), (node, old.to, old.weight)] {
            let gene = ConnGene {
                from,
                to,
                weight,
                enabled: true,
                innovation: innovations.link(from, to),
            };
            self.insert(gene);
        }
        true
    }

    fn insert(&mut self, gene: ConnGene) {
        let at = self
            .conns
            .partition_point(|c| c.innovation < gene.innovation);
        self.conns.insert(at, gene);
    }

    /// The child of `self` (the fitter parent, or the first of two equally fit ones) and
    /// `other`: genes lined up by innovation number; a matching gene comes from either parent
    /// at random and is disabled with probability `disable` when either parent's copy is;
    /// disjoint and excess genes come from the fitter parent, or, when the parents are `equal`ly
    /// fit, each from its parent with probability 1/2 (inherited randomly, as the paper says;
    /// taking them all would double a genome at every such crossover).
    pub fn crossover<R: Rng>(
        &self,
        other: &Genome,
        equal: bool,
        disable: f64,
        rng: &mut R,
    ) -> Genome {
        let theirs: HashMap<usize, &ConnGene> =
            other.conns.iter().map(|c| (c.innovation, c)).collect();
        let mut conns: Vec<ConnGene> = Vec::new();
        for c in &self.conns {
            let gene = match theirs.get(&c.innovation) {
                Some(o) => {
                    let mut g = if rng.random_bool(0.5) { *c } else { **o };
                    g.enabled = if !c.enabled || !o.enabled {
                        !rng.random_bool(disable)
                    } else {
                        true
                    };
                    g
                }
                None if equal && rng.random_bool(0.5) => continue,
                None => *c,
            };
            conns.push(gene);
        }
        if equal {
            let mine: HashSet<usize> = self.conns.iter().map(|c| c.innovation).collect();
            for o in other.conns.iter().filter(|o| !mine.contains(&o.innovation)) {
                if rng.random_bool(0.5) {
                    conns.push(*o);
                }
            }
            conns.sort_by_key(|c| c.innovation);
        }
        // The inputs, bias and outputs, and every node a gene of the child uses.
        let mut nodes: BTreeMap<usize, NodeKind> = self
            .nodes
            .iter()
            .filter(|(_, &k)| k != NodeKind::Hidden)
            .map(|(&i, &k)| (i, k))
            .collect();
        for c in &conns {
            for id in [c.from, c.to] {
                nodes.entry(id).or_insert(NodeKind::Hidden);
            }
        }
        let mut child = Genome { nodes, conns };
        child.drop_cycles();
        child
    }

    /// Disables genes that close a cycle (possible after crossover joins two feed-forward
    /// parents), keeping the network feed-forward.
    fn drop_cycles(&mut self) {
        for i in 0..self.conns.len() {
            if self.conns[i].enabled {
                let c = self.conns[i];
                self.conns[i].enabled = false;
                if self.reaches_over(c.to, c.from, true) {
                    continue;
                }
                self.conns[i].enabled = true;
            }
        }
    }

    /// Compatibility distance c1 E / N + c2 D / N + c3 W: E excess and D disjoint genes, W the
    /// mean weight difference of matching genes, N the larger genome's gene count (1 when both
    /// have fewer than 20 genes, as in the paper).
    pub fn distance(&self, other: &Genome, c: (f64, f64, f64)) -> f64 {
        let (mut i, mut j) = (0, 0);
        let (mut disjoint, mut matching, mut wdiff) = (0usize, 0usize, 0.0);
        let (a, b) = (&self.conns, &other.conns);
        while i < a.len() && j < b.len() {
            match a[i].innovation.cmp(&b[j].innovation) {
                std::cmp::Ordering::Equal => {
                    matching += 1;
                    wdiff += (a[i].weight - b[j].weight).abs();
                    i += 1;
                    j += 1;
                }
                std::cmp::Ordering::Less => {
                    disjoint += 1;
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    disjoint += 1;
                    j += 1;
                }
            }
        }
        let excess = (a.len() - i) + (b.len() - j);
        let longest = a.len().max(b.len());
        let n = if longest < 20 { 1.0 } else { longest as f64 };
        let w = if matching == 0 {
            0.0
        } else {
            wdiff / matching as f64
        };
        c.0 * excess as f64 / n + c.1 * disjoint as f64 / n + c.2 * w
    }

    /// The outputs for `inputs` (the bias is added): every node's value is the steepened
    /// sigmoid of its weighted enabled inputs, in topological order.
    pub fn activate(&self, inputs: &[f64]) -> Vec<f64> {
        let mut value: HashMap<usize, f64> = HashMap::new();
        let mut k = 0;
        for (&id, kind) in &self.nodes {
            match kind {
                NodeKind::Input => {
                    value.insert(id, inputs.get(k).copied().unwrap_or(0.0));
                    k += 1;
                }
                NodeKind::Bias => {
                    value.insert(id, 1.0);
                }
                _ => {}
            }
        }
        let enabled: Vec<&ConnGene> = self.conns.iter().filter(|c| c.enabled).collect();
        // Repeatedly compute every node whose enabled inputs are all computed (a feed-forward
        // network finishes in at most as many passes as it has nodes).
        for _ in 0..self.nodes.len() {
            let mut progress = false;
            for &id in self.nodes.keys() {
                if value.contains_key(&id) {
                    continue;
                }
                let ins: Vec<&&ConnGene> = enabled.iter().filter(|c| c.to == id).collect();
                if ins.iter().all(|c| value.contains_key(&c.from)) {
                    let sum: f64 = ins.iter().map(|c| c.weight * value[&c.from]).sum();
                    value.insert(id, sigmoid(sum));
                    progress = true;
                }
            }
            if !progress {
                break;
            }
        }
        self.nodes
            .iter()
            .filter(|(_, k)| **k == NodeKind::Output)
            .map(|(id, _)| value.get(id).copied().unwrap_or(0.5))
            .collect()
    }
}
