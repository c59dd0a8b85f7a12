//! NEAT on the paper's benchmarks (Stanley & Miikkulainen 2002): XOR over many seeded runs
//! (share solved, generations, evaluations, hidden nodes of the solutions) and single-pole
//! balancing.
use crate::plasticity::neat::{tasks, Generation, NeatConfig, Population};

/// One evolutionary run.
#[derive(Clone, Debug, PartialEq)]
pub struct NeatRun {
    /// Run index (its seed is derived from the demo's seed and it).
    pub run: usize,
    /// Whether a genome solved the task within the generation limit.
    pub solved: bool,
    /// Generations evaluated until the solution (the limit when unsolved).
    pub generations: usize,
    /// Genomes evaluated up to and including the solver.
    pub evaluations: usize,
    /// Hidden nodes of the solver (of the best genome when unsolved).
    pub hidden: usize,
    /// Enabled connections of that genome.
    pub connections: usize,
    /// Best fitness of every generation.
    pub curve: Vec<f64>,
}

/// Which task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeatTask {
    /// XOR with 2 inputs (plus bias) and one output.
    Xor,
    /// Single-pole balancing with velocities (4 inputs): solved when the pole stays up for
    /// `limit` steps of 0.02 s.
    Pole {
        /// Steps to balance.
        limit: usize,
    },
    /// Double-pole balancing with velocities (6 inputs), the paper's benchmark: solved when
    /// both poles stay up for `limit` steps of 0.01 s (the paper: 100,000).
    DoublePole {
        /// Steps to balance.
        limit: usize,
    },
}

/// Runs NEAT `runs` times on `task`, each for at most `max_generations`, with `config`.
pub fn neat(
    task: NeatTask,
    config: &NeatConfig,
    runs: usize,
    max_generations: usize,
    seed: u64,
    mut progress: impl FnMut(usize),
) -> Result<Vec<NeatRun>, String> {
    config.validate()?;
    let mut out = Vec::with_capacity(runs);
    for run in 0..runs {
        let mut rng = crate::seed::rng(
            seed,
            &[crate::seed::stream::PLASTICITY_DEMO, 0x4EA7, run as u64],
        );
        let inputs = match task {
            NeatTask::Xor => 2,
            NeatTask::Pole { .. } => 4,
            NeatTask::DoublePole { .. } => 6,
        };
        let mut pop = Population::new(config.clone(), inputs, 1, &mut rng)?;
        let mut curve = Vec::new();
        let mut last: Option<Generation> = None;
        let mut solved = None;
        for _ in 0..max_generations {
            let g = match task {
                NeatTask::Xor => pop.evolve(tasks::xor_fitness, tasks::xor_solved, &mut rng),
                NeatTask::Pole { limit } => pop.evolve(
                    |g| tasks::balance(g, limit) as f64,
                    |g| tasks::balance(g, limit) == limit,
                    &mut rng,
                ),
                NeatTask::DoublePole { limit } => pop.evolve(
                    |g| tasks::balance_double(g, limit) as f64,
                    |g| tasks::balance_double(g, limit) == limit,
                    &mut rng,
                ),
            };
            curve.push(g.best.1);
            if g.solver.is_some() {
                solved = Some(g);
                break;
            }
            last = Some(g);
        }
        progress(run);
        let (ok, g) = match (solved, last) {
            (Some(g), _) => (true, g),
            (None, Some(g)) => (false, g),
            (None, None) => return Err("max_generations must be at least 1".into()),
        };
        let genome = g.solver.as_ref().map_or(&g.best.0, |s| &s.0);
        out.push(NeatRun {
            run,
            solved: ok,
            generations: g.generation + 1,
            evaluations: g.solver.as_ref().map_or(g.evaluations, |s| s.1),
            hidden: genome.hidden(),
            connections: genome.conns.iter().filter(|c| c.enabled).count(),
            curve,
        });
    }
    Ok(out)
}
