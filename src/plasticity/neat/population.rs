//! A NEAT population: speciation by compatibility distance, explicit fitness sharing, offspring
//! per species in proportion to its shared fitness, stagnation, elitism, crossover and mutation
//! (Stanley & Miikkulainen 2002, sections 3.3-3.4 and 4.1).
use super::genome::{Genome, Innovations};
use super::NeatConfig;
use rand::Rng;

/// A species: the genomes within the compatibility threshold of its representative.
#[derive(Clone, Debug)]
pub struct Species {
    /// The genome new genomes are compared with (a random member of the last generation).
    pub representative: Genome,
    /// Indices of its members in the current generation.
    pub members: Vec<usize>,
    /// The best fitness it has reached.
    pub best: f64,
    /// Generations since `best` last improved.
    pub since_improved: usize,
}

/// What one generation measured.
#[derive(Clone, Debug)]
pub struct Generation {
    /// Generation number, from 0.
    pub generation: usize,
    /// The best genome and its fitness.
    pub best: (Genome, f64),
    /// Species after speciation.
    pub species: usize,
    /// Genomes evaluated so far, this generation included.
    pub evaluations: usize,
    /// The first genome, in evaluation order, that `solved` accepted, with the evaluations up to
    /// and including it.
    pub solver: Option<(Genome, usize)>,
}

/// A population under evolution.
pub struct Population {
    /// Its parameters.
    pub config: NeatConfig,
    /// The current generation's genomes.
    pub genomes: Vec<Genome>,
    /// The species.
    pub species: Vec<Species>,
    innovations: Innovations,
    generation: usize,
    evaluations: usize,
}

impl Population {
    /// `config.population` minimal genomes with `inputs` inputs (plus the bias) and `outputs`
    /// outputs, weights drawn from `rng`.
    pub fn new<R: Rng>(
        config: NeatConfig,
        inputs: usize,
        outputs: usize,
        rng: &mut R,
    ) -> Result<Population, String> {
        config.validate()?;
        if inputs == 0 || outputs == 0 {
            return Err("a genome needs at least one input and one output".into());
        }
        let genomes: Vec<Genome> = (0..config.population)
            .map(|_| Genome::minimal(inputs, outputs, config.weight_init, rng))
            .collect();
        let innovations = Innovations::new((inputs + 1) * outputs, inputs + 1 + outputs);
        Ok(Population {
            config,
            genomes,
            species: Vec::new(),
            innovations,
            generation: 0,
            evaluations: 0,
        })
    }

    /// Evaluates the current generation with `fitness` (non-negative, larger is better),
    /// notes the first genome `solved` accepts, and replaces the generation by its offspring.
    pub fn evolve<R: Rng>(
        &mut self,
        mut fitness: impl FnMut(&Genome) -> f64,
        mut solved: impl FnMut(&Genome) -> bool,
        rng: &mut R,
    ) -> Generation {
        let mut solver = None;
        let mut scores = Vec::with_capacity(self.genomes.len());
        for g in &self.genomes {
            scores.push(fitness(g).max(0.0));
            self.evaluations += 1;
            if solver.is_none() && solved(g) {
                solver = Some((g.clone(), self.evaluations));
            }
        }
        self.speciate(rng);
        let best_index = (0..scores.len())
            .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
            .expect("a population has genomes");
        let report = Generation {
            generation: self.generation,
            best: (self.genomes[best_index].clone(), scores[best_index]),
            species: self.species.len(),
            evaluations: self.evaluations,
            solver,
        };
        self.reproduce(&scores, best_index, rng);
        self.generation += 1;
        report
    }

    /// Puts every genome into the first species whose representative lies within the
    /// threshold, founding a new species otherwise; empty species disappear.
    fn speciate<R: Rng>(&mut self, rng: &mut R) {
        let c = (self.config.c1, self.config.c2, self.config.c3);
        for s in &mut self.species {
            s.members.clear();
        }
        for (i, g) in self.genomes.iter().enumerate() {
            match self
                .species
                .iter_mut()
                .find(|s| s.representative.distance(g, c) < self.config.threshold)
            {
                Some(s) => s.members.push(i),
                None => self.species.push(Species {
                    representative: g.clone(),
                    members: vec![i],
                    best: f64::NEG_INFINITY,
                    since_improved: 0,
                }),
            }
        }
        self.species.retain(|s| !s.members.is_empty());
        for s in &mut self.species {
            s.representative =
                self.genomes[s.members[rng.random_range(0..s.members.len())]].clone();
        }
    }

    /// The next generation: offspring per species in proportion to its members' fitness shared
    /// by the species size, none for species stagnant for `stagnation` generations (but the one
    /// holding the best genome); champions of species above `elitism_above` members copied
    /// unchanged; the rest bred from the best `survival` share of each species.
    fn reproduce<R: Rng>(&mut self, scores: &[f64], best_index: usize, rng: &mut R) {
        let cfg = self.config.clone();
        let mut shared = Vec::with_capacity(self.species.len());
        for s in &mut self.species {
            let top = s
                .members
                .iter()
                .map(|&i| scores[i])
                .fold(f64::NEG_INFINITY, f64::max);
            if top > s.best {
                s.best = top;
                s.since_improved = 0;
            } else {
                s.since_improved += 1;
            }
            let alive = s.since_improved < cfg.stagnation || s.members.contains(&best_index);
            let sum: f64 =
                s.members.iter().map(|&i| scores[i]).sum::<f64>() / s.members.len() as f64;
            shared.push(if alive { sum } else { 0.0 });
        }
        let quotas = quotas(&shared, cfg.population);
        // Each species' parents: its best members.
        let parents: Vec<Vec<usize>> = self
            .species
            .iter()
            .map(|s| {
                let mut m = s.members.clone();
                m.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
                let keep = ((cfg.survival * m.len() as f64).ceil() as usize).max(1);
                m.truncate(keep);
                m
            })
            .collect();
        let mut next = Vec::with_capacity(cfg.population);
        let sizes: Vec<usize> = self.species.iter().map(|s| s.members.len()).collect();
        for (k, &size) in sizes.iter().enumerate() {
            let mut quota = quotas[k];
            if quota > 0 && size > cfg.elitism_above {
                next.push(self.genomes[parents[k][0]].clone());
                quota -= 1;
            }
            for _ in 0..quota {
                let p = &parents[k];
                let a = p[rng.random_range(0..p.len())];
                let mut child = if p.len() == 1 || rng.random_bool(cfg.mutate_only) {
                    self.genomes[a].clone()
                } else {
                    let b = if rng.random_bool(cfg.interspecies) && sizes.len() > 1 {
                        let other = &parents[rng.random_range(0..parents.len())];
                        other[rng.random_range(0..other.len())]
                    } else {
                        p[rng.random_range(0..p.len())]
                    };
                    let (fit, weak) = if scores[a] >= scores[b] {
                        (a, b)
                    } else {
                        (b, a)
                    };
                    self.genomes[fit].crossover(
                        &self.genomes[weak],
                        scores[a] == scores[b],
                        cfg.disable_inherited,
                        rng,
                    )
                };
                mutate(&cfg, &mut self.innovations, &mut child, rng);
                next.push(child);
            }
        }
        self.genomes = next;
    }
}

/// One mutation: a new node, else a new connection, else (with `weight_mutation`) the weights.
fn mutate<R: Rng>(cfg: &NeatConfig, innovations: &mut Innovations, g: &mut Genome, rng: &mut R) {
    if rng.random_bool(cfg.add_node) {
        g.add_node(innovations, rng);
    } else if rng.random_bool(cfg.add_connection) {
        g.add_connection(innovations, cfg.weight_init, rng);
    } else if rng.random_bool(cfg.weight_mutation) {
        g.mutate_weights(cfg, rng);
    }
}

/// Offspring per species: `total` split in proportion to `shares`, rounded down and the rest
/// handed out by largest remainder; evenly when every share is 0.
pub fn quotas(shares: &[f64], total: usize) -> Vec<usize> {
    let sum: f64 = shares.iter().sum();
    let weights: Vec<f64> = if sum > 0.0 {
        shares.iter().map(|s| s / sum).collect()
    } else {
        vec![1.0 / shares.len() as f64; shares.len()]
    };
    let exact: Vec<f64> = weights.iter().map(|w| w * total as f64).collect();
    let mut q: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..q.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - q[b] as f64).total_cmp(&(exact[a] - q[a] as f64)));
    let missing = total - q.iter().sum::<usize>();
    for &i in order.iter().take(missing) {
        q[i] += 1;
    }
    q
}
