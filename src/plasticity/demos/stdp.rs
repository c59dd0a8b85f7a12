//! Song, Miller & Abbott (2000) with the STDP of [`crate::plasticity::stdp`]: the learning
//! window, the weights of one neuron with 1,000 Poisson inputs going bimodal, and its output
//! rate held nearly constant across input rates.
use super::demo_rng;
use crate::plasticity::stdp::{simulate, Neuron, StdpRule, Synapses};
use rand::Rng;

/// Settings of the STDP demo.
#[derive(Clone, Debug, PartialEq)]
pub struct StdpOptions {
    /// Excitatory inputs.
    pub inputs: usize,
    /// Their rate (Hz) while the weight distribution forms.
    pub rate: f64,
    /// Simulated seconds of learning at `rate`.
    pub seconds: f64,
    /// Input rates (Hz) of the rate experiment.
    pub rates: Vec<f64>,
    /// Simulated seconds of learning at each of `rates`.
    pub rate_seconds: f64,
    /// Simulated seconds over which an output rate is measured (without learning).
    pub measure_seconds: f64,
    /// Histogram bins over [0, w_max].
    pub bins: usize,
    /// The rule.
    pub rule: StdpRule,
}

impl Default for StdpOptions {
    /// 1,000 inputs; 300 s of learning at 20 Hz; input rates 10, 20, 30 and 40 Hz, 200 s each,
    /// output rates over 20 s; 20 bins; the rule of Song et al.
    fn default() -> Self {
        StdpOptions {
            inputs: 1000,
            rate: 20.0,
            seconds: 300.0,
            rates: vec![10.0, 20.0, 30.0, 40.0],
            rate_seconds: 200.0,
            measure_seconds: 20.0,
            bins: 20,
            rule: StdpRule::default(),
        }
    }
}

/// What the demo measured.
#[derive(Clone, Debug, PartialEq)]
pub struct StdpDemo {
    /// (dt = t_post - t_pre in ms, weight change / w_max) of one spike pair, from the synapse
    /// mechanism itself, for dt = -100..100 ms without 0.
    pub window: Vec<(f64, f64)>,
    /// Fraction of the weights in each bin of [0, w_max], before and after learning at `rate`.
    pub before: Vec<f64>,
    /// As `before`, after.
    pub after: Vec<f64>,
    /// Output rate (Hz) before and after learning at `rate`.
    pub rate_before_after: (f64, f64),
    /// (input rate, output rate without STDP, output rate after STDP), Hz.
    pub rates: Vec<(f64, f64, f64)>,
}

fn histogram(w: &[f64], w_max: f64, bins: usize) -> Vec<f64> {
    let mut h = vec![0.0; bins];
    for &x in w {
        let b = ((x / w_max * bins as f64) as usize).min(bins - 1);
        h[b] += 1.0 / w.len() as f64;
    }
    h
}

/// Runs the demo: weights start uniform in [0, w_max]; every random draw comes from `seed`.
pub fn stdp(
    o: &StdpOptions,
    seed: u64,
    mut progress: impl FnMut(&str),
) -> Result<StdpDemo, String> {
    o.rule.validate()?;
    if o.inputs == 0 || o.bins == 0 {
        return Err("inputs and bins must be at least 1".into());
    }
    let mut rng = demo_rng(seed);
    let neuron = Neuron::default();
    let window = (-100..=100)
        .filter(|&k| k != 0)
        .map(|k| {
            let dt = k as f64;
            let mut s = Synapses::new(o.rule, vec![o.rule.w_max / 2.0]);
            let (t_pre, t_post) = (200.0 - dt.min(0.0), 200.0 + dt.max(0.0));
            if dt >= 0.0 {
                s.on_pre(0, t_pre);
                s.on_post(t_post);
            } else {
                s.on_post(t_post);
                s.on_pre(0, t_pre);
            }
            (dt, (s.w[0] - o.rule.w_max / 2.0) / o.rule.w_max)
        })
        .collect();
    let uniform = |rng: &mut rand_chacha::ChaCha8Rng| -> Vec<f64> {
        (0..o.inputs)
            .map(|_| rng.random::<f64>() * o.rule.w_max)
            .collect()
    };
    let mut syn = Synapses::new(o.rule, uniform(&mut rng));
    let before = histogram(&syn.w, o.rule.w_max, o.bins);
    let ms = o.measure_seconds * 1000.0;
    let r0 = simulate(&neuron, &mut syn.clone(), o.rate, ms, false, &mut rng)?.rate();
    progress("learning");
    simulate(
        &neuron,
        &mut syn,
        o.rate,
        o.seconds * 1000.0,
        true,
        &mut rng,
    )?;
    let r1 = simulate(&neuron, &mut syn.clone(), o.rate, ms, false, &mut rng)?.rate();
    let after = histogram(&syn.w, o.rule.w_max, o.bins);
    let mut rates = Vec::new();
    for &r in &o.rates {
        progress(&format!("{r} Hz"));
        let mut s = Synapses::new(o.rule, uniform(&mut rng));
        let fixed = simulate(&neuron, &mut s.clone(), r, ms, false, &mut rng)?.rate();
        simulate(&neuron, &mut s, r, o.rate_seconds * 1000.0, true, &mut rng)?;
        let learned = simulate(&neuron, &mut s, r, ms, false, &mut rng)?.rate();
        rates.push((r, fixed, learned));
    }
    Ok(StdpDemo {
        window,
        before,
        after,
        rate_before_after: (r0, r1),
        rates,
    })
}
