//! Miconi's pattern-reconstruction task (P8): a fully recurrent plastic network sees a few
//! random binary patterns, then a half-erased copy of one of them, and must complete it.
//!
//! Nothing about the patterns can be stored in the fixed weights (every episode draws new ones),
//! so only a network that learns *within* the episode, through its Hebbian trace, can succeed;
//! the non-plastic network of the same shape stays at chance on the erased bits.
use super::layer::{Eta, PlasticLinear};
use crate::seed::stream;
use rand::seq::SliceRandom;
use rand::Rng;
use tch::{nn, nn::OptimizerConfig, Device, Kind, Tensor};

/// The structure of one episode.
#[derive(Clone, Debug, PartialEq)]
pub struct PatternTask {
    /// Bits per pattern (Miconi 1000, paper 003 961), also the number of neurons.
    pub size: usize,
    /// Patterns per episode (5).
    pub patterns: usize,
    /// Times each pattern is shown, in random order (2).
    pub presentations: usize,
    /// Time steps each pattern is shown (6).
    pub show_steps: usize,
    /// Zero time steps after each presentation (4).
    pub gap_steps: usize,
    /// Time steps the degraded test pattern is shown (6).
    pub test_steps: usize,
    /// Fraction of the test pattern's bits set to zero (0.5).
    pub erased: f64,
    /// Factor on every input (20).
    pub input_scale: f64,
}

impl Default for PatternTask {
    /// Miconi's settings.
    fn default() -> PatternTask {
        PatternTask {
            size: 1000,
            patterns: 5,
            presentations: 2,
            show_steps: 6,
            gap_steps: 4,
            test_steps: 6,
            erased: 0.5,
            input_scale: 20.0,
        }
    }
}

/// A batch of episodes: inputs `[steps, batch, size]` (already scaled), the full test patterns
/// `[batch, size]` and the mask of erased bits `[batch, size]` (1 where erased).
#[derive(Debug)]
pub struct Episodes {
    /// Network input at every time step.
    pub inputs: Tensor,
    /// The pattern the last output must reproduce.
    pub targets: Tensor,
    /// 1 on the bits that were zeroed in the test presentation.
    pub erased: Tensor,
}

impl PatternTask {
    /// Checks the settings.
    pub fn validate(&self) -> Result<(), String> {
        if self.size < 2 || self.patterns == 0 || self.presentations == 0 {
            return Err(format!(
                "pattern task: size must be >= 2 and patterns, presentations >= 1 (got size {}, {} patterns, {} presentations)",
                self.size, self.patterns, self.presentations
            ));
        }
        if self.show_steps == 0 || self.test_steps == 0 {
            return Err("pattern task: show_steps and test_steps must be >= 1".into());
        }
        if !(self.erased >= 0.0 && self.erased < 1.0) {
            return Err(format!(
                "pattern task: erased = {} is out of range: expected 0 <= erased < 1",
                self.erased
            ));
        }
        if !(self.input_scale > 0.0 && self.input_scale.is_finite()) {
            return Err(format!(
                "pattern task: input_scale = {}: expected a positive number",
                self.input_scale
            ));
        }
        Ok(())
    }

    /// Time steps in an episode.
    pub fn steps(&self) -> usize {
        self.patterns * self.presentations * (self.show_steps + self.gap_steps) + self.test_steps
    }

    /// Draws `batch` independent episodes on `device`.
    pub fn episodes<R: Rng>(&self, batch: usize, device: Device, rng: &mut R) -> Episodes {
        let (n, t) = (self.size, self.steps());
        let mut inputs = vec![0f32; t * batch * n];
        let mut targets = vec![0f32; batch * n];
        let mut erased = vec![0f32; batch * n];
        let scale = self.input_scale as f32;
        for b in 0..batch {
            // Half the bits -1, half +1, in random positions.
            let patterns: Vec<Vec<f32>> = (0..self.patterns)
                .map(|_| {
                    let mut p: Vec<f32> =
                        (0..n).map(|i| if i < n / 2 { -1.0 } else { 1.0 }).collect();
                    p.shuffle(rng);
                    p
                })
                .collect();
            let mut order: Vec<usize> = (0..self.patterns)
                .flat_map(|k| std::iter::repeat_n(k, self.presentations))
                .collect();
            order.shuffle(rng);
            let mut step = 0;
            let mut put = |step: usize, values: &[f32]| {
                let at = (step * batch + b) * n;
                for (dst, &v) in inputs[at..at + n].iter_mut().zip(values) {
                    *dst = v * scale;
                }
            };
            for &k in &order {
                for _ in 0..self.show_steps {
                    put(step, &patterns[k]);
                    step += 1;
                }
                step += self.gap_steps;
            }
            let chosen = rng.random_range(0..self.patterns);
            let mut positions: Vec<usize> = (0..n).collect();
            positions.shuffle(rng);
            let mut degraded = patterns[chosen].clone();
            for &i in &positions[..(self.erased * n as f64).round() as usize] {
                degraded[i] = 0.0;
                erased[b * n + i] = 1.0;
            }
            for _ in 0..self.test_steps {
                put(step, &degraded);
                step += 1;
            }
            targets[b * n..(b + 1) * n].copy_from_slice(&patterns[chosen]);
        }
        let (t, b, n) = (t as i64, batch as i64, n as i64);
        Episodes {
            inputs: Tensor::from_slice(&inputs)
                .view([t, b, n])
                .to_device(device),
            targets: Tensor::from_slice(&targets).view([b, n]).to_device(device),
            erased: Tensor::from_slice(&erased).view([b, n]).to_device(device),
        }
    }
}

/// Runs the recurrent network over every time step from a zero state and a zero trace; returns
/// the last output `[batch, size]`. Inputs of another shape than `[steps, batch, neurons]` are
/// an error naming both sizes.
pub fn run_episode(net: &PlasticLinear, inputs: &Tensor) -> Result<Tensor, String> {
    let shape = inputs.size();
    let (n_in, n_out) = net.shape();
    if n_in != n_out {
        return Err(format!(
            "pattern task: the recurrent network must be square, this one is {n_in} x {n_out}"
        ));
    }
    let [t, b, n] = shape[..] else {
        return Err(format!(
            "pattern task: inputs must be [steps, batch, size], got shape {shape:?}"
        ));
    };
    if n as usize != n_in {
        return Err(format!(
            "pattern task: patterns of {n} bits, but the network has {n_in} neurons"
        ));
    }
    let mut y = Tensor::zeros([b, n], (Kind::Float, inputs.device()));
    let mut hebb = net.zero_trace(b as usize);
    for step in 0..t {
        (y, hebb) = net.recurrent(&y, &inputs.get(step), &hebb);
    }
    Ok(y)
}

/// Fraction of bits whose sign is wrong: over all bits, and over the erased bits only.
pub fn sign_errors(output: &Tensor, episodes: &Episodes) -> (f64, f64) {
    let wrong = output
        .sign()
        .ne_tensor(&episodes.targets)
        .to_kind(Kind::Float);
    let all = wrong.mean(Kind::Float).double_value(&[]);
    let on_erased = (&wrong * &episodes.erased)
        .sum(Kind::Float)
        .double_value(&[])
        / episodes.erased.sum(Kind::Float).double_value(&[]).max(1.0);
    (all, on_erased)
}

/// Training settings.
#[derive(Clone, Debug)]
pub struct PatternOptions {
    /// The task.
    pub task: PatternTask,
    /// Episodes (optimizer steps).
    pub episodes: usize,
    /// Episodes per optimizer step (Miconi: 1).
    pub batch: usize,
    /// Adam's learning rate (3e-4).
    pub lr: f64,
    /// eta, fixed at 0.01 or learned.
    pub eta: Eta,
    /// false: the non-plastic baseline of the same shape.
    pub plastic: bool,
    /// Seed of the initial weights and of the episodes.
    pub seed: u64,
}

/// One point of the learning curve.
#[derive(Clone, Copy, Debug)]
pub struct PatternPoint {
    /// Episodes trained so far.
    pub episode: usize,
    /// Squared error of the last output (summed over bits, mean over the batch).
    pub loss: f64,
    /// Fraction of all bits with the wrong sign.
    pub error: f64,
    /// Fraction of the erased bits with the wrong sign.
    pub error_erased: f64,
    /// eta after the step.
    pub eta: f64,
}

/// Trains a plastic (or non-plastic) recurrent network on the task with Adam and calls
/// `on_episode` after every step; returns the trained layer and its learning curve.
pub fn train(
    o: &PatternOptions,
    device: Device,
    mut on_episode: impl FnMut(&PatternPoint),
) -> Result<(nn::VarStore, PlasticLinear, Vec<PatternPoint>), String> {
    o.task.validate()?;
    if o.episodes == 0 || o.batch == 0 {
        return Err("pattern task: episodes and batch must be >= 1".into());
    }
    if !(o.lr > 0.0 && o.lr.is_finite()) {
        return Err(format!(
            "pattern task: lr = {}: expected a positive number",
            o.lr
        ));
    }
    tch::manual_seed(
        crate::seed::derive(o.seed, &[stream::PATTERN_TORCH, o.plastic as u64]) as i64,
    );
    let vs = nn::VarStore::new(device);
    let n = o.task.size;
    let net = PlasticLinear::new(&vs.root(), n, n, o.eta, o.plastic, false, 0.01)?;
    let mut opt = nn::Adam::default()
        .build(&vs, o.lr)
        .map_err(|e| e.to_string())?;
    // Both networks see the same episodes: the stream does not depend on `plastic`.
    let mut rng = crate::seed::rng(o.seed, &[stream::PATTERN_DATA]);
    let mut curve = Vec::with_capacity(o.episodes);
    for episode in 1..=o.episodes {
        let ep = o.task.episodes(o.batch, device, &mut rng);
        let y = run_episode(&net, &ep.inputs)?;
        let loss = (&y - &ep.targets)
            .square()
            .sum_dim_intlist(1, false, Kind::Float)
            .mean(Kind::Float);
        opt.backward_step(&loss);
        let (error, error_erased) = sign_errors(&y.detach(), &ep);
        let point = PatternPoint {
            episode,
            loss: loss.double_value(&[]),
            error,
            error_erased,
            eta: net.eta_value(),
        };
        on_episode(&point);
        curve.push(point);
    }
    Ok((vs, net, curve))
}
