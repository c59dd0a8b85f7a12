//! Spike-timing-dependent plasticity (P10): pair-based STDP with exponential windows on a leaky
//! integrate-and-fire neuron driven by Poisson inputs, after Song, Miller & Abbott (2000).
//!
//! For a presynaptic spike at t_pre and a postsynaptic spike at t_post, dt = t_post - t_pre:
//! dw = A+ exp(-dt / tau+) w_max for dt > 0 (causal: potentiation) and -A- exp(dt / tau-) w_max
//! for dt < 0. Pairs are summed all-to-all, or only the nearest spikes pair. The sum is kept by
//! traces: each synapse's presynaptic trace P jumps by A+ (all-to-all) or to A+ (nearest) at
//! its spikes and decays with tau+; the neuron's postsynaptic trace M jumps by -A- (or to -A-)
//! at its spikes and decays with tau-; a postsynaptic spike adds P w_max to every synapse, a
//! presynaptic spike adds M w_max to its own. Additive bounds clip w to [0, w_max];
//! multiplicative (soft) bounds scale potentiation by (1 - w / w_max) and depression by
//! w / w_max.
use rand::Rng;

/// Which spike pairs count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pairing {
    /// Every pre-post pair.
    AllToAll,
    /// Each spike pairs only with the nearest earlier spike of the other side (symmetric
    /// nearest-spike pairing: the traces are reset to A, not incremented).
    Nearest,
}

/// How the weights are kept within [0, w_max].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bounds {
    /// Changes are added, then the weight is clipped (Song et al. 2000).
    Additive,
    /// Changes scale with the distance to the bound they move towards: potentiation with
    /// w_max - w, depression with w (soft bounds; van Rossum et al. 2000 scale only
    /// depression with w).
    Multiplicative,
}

/// The STDP rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StdpRule {
    /// Potentiation amplitude A+, as a fraction of w_max.
    pub a_plus: f64,
    /// Depression amplitude A-, as a fraction of w_max.
    pub a_minus: f64,
    /// Potentiation window tau+ (ms).
    pub tau_plus: f64,
    /// Depression window tau- (ms).
    pub tau_minus: f64,
    /// Maximal weight (peak conductance, in units of the leak conductance).
    pub w_max: f64,
    /// Which pairs count.
    pub pairing: Pairing,
    /// How the bounds apply.
    pub bounds: Bounds,
}

impl Default for StdpRule {
    /// Song, Miller & Abbott (2000): A+ = 0.005, A- / A+ = 1.05, tau+ = tau- = 20 ms,
    /// w_max = 0.015, all-to-all, additive.
    fn default() -> Self {
        StdpRule {
            a_plus: 0.005,
            a_minus: 0.005 * 1.05,
            tau_plus: 20.0,
            tau_minus: 20.0,
            w_max: 0.015,
            pairing: Pairing::AllToAll,
            bounds: Bounds::Additive,
        }
    }
}

impl StdpRule {
    /// Checks every setting, naming it and its range.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("a_plus", self.a_plus),
            ("a_minus", self.a_minus),
            ("tau_plus", self.tau_plus),
            ("tau_minus", self.tau_minus),
            ("w_max", self.w_max),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(format!(
                    "{name} = {v} is out of range: expected a positive number"
                ));
            }
        }
        Ok(())
    }

    /// The weight change of one pre-post pair, dt = t_post - t_pre (ms), with additive bounds
    /// and a weight inside them: the learning window.
    pub fn window(&self, dt: f64) -> f64 {
        if dt > 0.0 {
            self.a_plus * (-dt / self.tau_plus).exp() * self.w_max
        } else if dt < 0.0 {
            -self.a_minus * (dt / self.tau_minus).exp() * self.w_max
        } else {
            0.0
        }
    }

    /// `w` after a change of `amount` w_max (positive: potentiation), within the bounds.
    fn apply(&self, w: f64, amount: f64) -> f64 {
        let dw = match self.bounds {
            Bounds::Additive => amount * self.w_max,
            Bounds::Multiplicative if amount > 0.0 => amount * (self.w_max - w),
            Bounds::Multiplicative => amount * w,
        };
        (w + dw).clamp(0.0, self.w_max)
    }
}

/// Synapses under an STDP rule, with their traces; times in ms.
#[derive(Clone, Debug)]
pub struct Synapses {
    /// The rule.
    pub rule: StdpRule,
    /// Weights; every update keeps them in [0, w_max] (initial values are the caller's).
    pub w: Vec<f64>,
    pre_trace: Vec<f64>,
    pre_time: Vec<f64>,
    post_trace: f64,
    post_time: f64,
}

impl Synapses {
    /// `w` under `rule`, with empty traces.
    pub fn new(rule: StdpRule, w: Vec<f64>) -> Synapses {
        let n = w.len();
        Synapses {
            rule,
            w,
            pre_trace: vec![0.0; n],
            pre_time: vec![0.0; n],
            post_trace: 0.0,
            post_time: 0.0,
        }
    }

    fn decayed_pre(&self, i: usize, t: f64) -> f64 {
        self.pre_trace[i] * (-(t - self.pre_time[i]) / self.rule.tau_plus).exp()
    }

    fn decayed_post(&self, t: f64) -> f64 {
        self.post_trace * (-(t - self.post_time) / self.rule.tau_minus).exp()
    }

    /// A presynaptic spike of synapse `i` at time `t`: depression by the postsynaptic trace,
    /// then the synapse's own trace jumps.
    pub fn on_pre(&mut self, i: usize, t: f64) {
        let m = self.decayed_post(t);
        self.w[i] = self.rule.apply(self.w[i], m);
        let p = self.decayed_pre(i, t);
        self.pre_trace[i] = match self.rule.pairing {
            Pairing::AllToAll => p + self.rule.a_plus,
            Pairing::Nearest => self.rule.a_plus,
        };
        self.pre_time[i] = t;
    }

    /// A postsynaptic spike at time `t`: potentiation of every synapse by its trace, then the
    /// postsynaptic trace jumps.
    pub fn on_post(&mut self, t: f64) {
        for i in 0..self.w.len() {
            let p = self.decayed_pre(i, t);
            if p > 0.0 {
                self.w[i] = self.rule.apply(self.w[i], p);
            }
        }
        let m = self.decayed_post(t);
        self.post_trace = match self.rule.pairing {
            Pairing::AllToAll => m - self.rule.a_minus,
            Pairing::Nearest => -self.rule.a_minus,
        };
        self.post_time = t;
    }
}

/// The neuron and its inputs (Song, Miller & Abbott 2000, Methods).
#[derive(Clone, Debug, PartialEq)]
pub struct Neuron {
    /// Membrane time constant (ms).
    pub tau_m: f64,
    /// Resting potential (mV).
    pub v_rest: f64,
    /// Threshold (mV).
    pub v_threshold: f64,
    /// Reset (mV).
    pub v_reset: f64,
    /// Excitatory reversal potential (mV).
    pub e_ex: f64,
    /// Inhibitory reversal potential (mV).
    pub e_in: f64,
    /// Synaptic conductance decay (ms), excitatory and inhibitory.
    pub tau_syn: f64,
    /// Inhibitory inputs, each with peak conductance `g_in` and rate `rate_in` (Hz).
    pub inhibitory: usize,
    /// Peak conductance of an inhibitory input.
    pub g_in: f64,
    /// Rate of the inhibitory inputs (Hz).
    pub rate_in: f64,
    /// Integration step (ms).
    pub dt: f64,
}

impl Default for Neuron {
    /// tau_m 20 ms, rest -70 mV, threshold -54 mV, reset -60 mV, E_ex 0 mV, E_in -70 mV,
    /// synaptic decay 5 ms, 200 inhibitory inputs at 10 Hz with g_in 0.05, step 0.1 ms.
    fn default() -> Self {
        Neuron {
            tau_m: 20.0,
            v_rest: -70.0,
            v_threshold: -54.0,
            v_reset: -60.0,
            e_ex: 0.0,
            e_in: -70.0,
            tau_syn: 5.0,
            inhibitory: 200,
            g_in: 0.05,
            rate_in: 10.0,
            dt: 0.1,
        }
    }
}

/// What a simulation did.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// Postsynaptic spikes.
    pub spikes: usize,
    /// Simulated time (ms).
    pub duration: f64,
}

impl Run {
    /// The output rate (Hz).
    pub fn rate(&self) -> f64 {
        self.spikes as f64 / (self.duration / 1000.0)
    }
}

/// Simulates `neuron` for `duration` ms with excitatory Poisson inputs at `rate_ex` Hz through
/// `syn` (learning when `learn`), inhibitory ones as the neuron says; spike times of each input
/// are drawn as exponential intervals from `rng`. Euler steps of `neuron.dt` for the membrane;
/// input spikes act at the start of the step they fall in.
pub fn simulate<R: Rng>(
    neuron: &Neuron,
    syn: &mut Synapses,
    rate_ex: f64,
    duration: f64,
    learn: bool,
    rng: &mut R,
) -> Result<Run, String> {
    if !(rate_ex > 0.0 && duration > 0.0 && neuron.dt > 0.0) {
        return Err(format!(
            "rate {rate_ex} Hz, duration {duration} ms, step {} ms: expected each positive",
            neuron.dt
        ));
    }
    let n_ex = syn.w.len();
    let rates: Vec<f64> = (0..n_ex + neuron.inhibitory)
        .map(|i| if i < n_ex { rate_ex } else { neuron.rate_in })
        .collect();
    // Next spike time of every input (ms), as exponential intervals (1 - u lies in (0, 1]).
    let interval =
        |rate: f64, rng: &mut R| -> f64 { -(1.0 - rng.random::<f64>()).ln() * 1000.0 / rate };
    let start = syn
        .post_time
        .max(syn.pre_time.iter().cloned().fold(0.0, f64::max));
    let mut next: std::collections::BinaryHeap<std::cmp::Reverse<(u64, usize)>> = rates
        .iter()
        .enumerate()
        .map(|(i, &r)| std::cmp::Reverse(((start + interval(r, rng)).to_bits(), i)))
        .collect();
    let (mut v, mut g_ex, mut g_in) = (neuron.v_rest, 0.0f64, 0.0f64);
    let decay = (-neuron.dt / neuron.tau_syn).exp();
    let steps = (duration / neuron.dt).round() as u64;
    let mut spikes = 0;
    for k in 0..steps {
        let t = start + k as f64 * neuron.dt;
        let end = t + neuron.dt;
        // Non-negative f64s order as their bits.
        while let Some(&std::cmp::Reverse((bits, i))) = next.peek() {
            let ts = f64::from_bits(bits);
            if ts >= end {
                break;
            }
            next.pop();
            if i < n_ex {
                g_ex += syn.w[i];
                if learn {
                    syn.on_pre(i, ts);
                }
            } else {
                g_in += neuron.g_in;
            }
            next.push(std::cmp::Reverse((
                (ts + interval(rates[i], rng)).to_bits(),
                i,
            )));
        }
        let dv = (neuron.v_rest - v + g_ex * (neuron.e_ex - v) + g_in * (neuron.e_in - v))
            / neuron.tau_m;
        v += dv * neuron.dt;
        g_ex *= decay;
        g_in *= decay;
        if v >= neuron.v_threshold {
            v = neuron.v_reset;
            spikes += 1;
            if learn {
                syn.on_post(end);
            }
        }
    }
    Ok(Run {
        spikes,
        duration: steps as f64 * neuron.dt,
    })
}
