//! NEAT, NeuroEvolution of Augmenting Topologies (Stanley & Miikkulainen 2002; P10): structural
//! plasticity by evolution. Networks start minimal (inputs wired to outputs) and grow by adding
//! connections and nodes; genes carry innovation numbers so that different topologies cross
//! over; speciation by compatibility distance with explicit fitness sharing protects new
//! structure while its weights are tuned. Every random choice comes from the seeded generator
//! the caller passes.
pub mod genome;
pub mod population;
pub mod tasks;

pub use genome::{sigmoid, ConnGene, Genome, Innovations, NodeKind};
pub use population::{Generation, Population};

/// NEAT's parameters; the defaults are the paper's (section 4.1) where it gives them.
#[derive(Clone, Debug, PartialEq)]
pub struct NeatConfig {
    /// Genomes per generation (150).
    pub population: usize,
    /// Excess-gene coefficient c1 (1.0).
    pub c1: f64,
    /// Disjoint-gene coefficient c2 (1.0).
    pub c2: f64,
    /// Weight-difference coefficient c3 (0.4).
    pub c3: f64,
    /// Compatibility threshold delta_t (3.0).
    pub threshold: f64,
    /// Generations without improvement after which a species may not reproduce (15).
    pub stagnation: usize,
    /// A species' champion is copied unchanged when the species has more than this many
    /// members (5).
    pub elitism_above: usize,
    /// Probability that a genome's weights are mutated (0.8), in offspring that got no new node
    /// or connection (so about 0.74 of all offspring with the defaults).
    pub weight_mutation: f64,
    /// Probability that a mutated weight is drawn anew instead of perturbed (0.1).
    pub weight_replace: f64,
    /// Largest perturbation of a weight (uniform in +-). Not given in the paper: 2.5, with
    /// which 10 of 10 probe runs solved XOR (with 0.5, 3 of 6 within 300 generations).
    pub weight_step: f64,
    /// New weights are uniform in +- this (not given in the paper: 2.5).
    pub weight_init: f64,
    /// Probability that a gene disabled in either parent is disabled in the child (0.75).
    pub disable_inherited: f64,
    /// Share of offspring made by mutation alone, without crossover (0.25).
    pub mutate_only: f64,
    /// Probability that a crossover takes its second parent from the whole population instead
    /// of its own species (0.001; the draw may land in its own species).
    pub interspecies: f64,
    /// Probability of adding a node (0.03).
    pub add_node: f64,
    /// Probability of adding a connection (0.05; the paper's 0.3 is for large populations).
    pub add_connection: f64,
    /// Share of each species (its best) allowed to reproduce (not given in the paper: 0.2, at
    /// least one genome).
    pub survival: f64,
}

impl Default for NeatConfig {
    fn default() -> Self {
        NeatConfig {
            population: 150,
            c1: 1.0,
            c2: 1.0,
            c3: 0.4,
            threshold: 3.0,
            stagnation: 15,
            elitism_above: 5,
            weight_mutation: 0.8,
            weight_replace: 0.1,
            weight_step: 2.5,
            weight_init: 2.5,
            disable_inherited: 0.75,
            mutate_only: 0.25,
            interspecies: 0.001,
            add_node: 0.03,
            add_connection: 0.05,
            survival: 0.2,
        }
    }
}

impl NeatConfig {
    /// Checks every setting, naming it and its range.
    pub fn validate(&self) -> Result<(), String> {
        if self.population < 2 {
            return Err(format!(
                "population = {} is out of range: expected at least 2",
                self.population
            ));
        }
        for (name, p) in [
            ("weight_mutation", self.weight_mutation),
            ("weight_replace", self.weight_replace),
            ("disable_inherited", self.disable_inherited),
            ("mutate_only", self.mutate_only),
            ("interspecies", self.interspecies),
            ("add_node", self.add_node),
            ("add_connection", self.add_connection),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!(
                    "{name} = {p} is out of range: expected a probability in [0, 1]"
                ));
            }
        }
        if !(self.survival > 0.0 && self.survival <= 1.0) {
            return Err(format!(
                "survival = {} is out of range: expected (0, 1]",
                self.survival
            ));
        }
        for (name, v) in [
            ("threshold", self.threshold),
            ("weight_step", self.weight_step),
            ("weight_init", self.weight_init),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(format!(
                    "{name} = {v} is out of range: expected a positive number"
                ));
            }
        }
        Ok(())
    }
}
