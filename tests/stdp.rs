//! Spike-timing-dependent plasticity (P10): the learning window of the synapse mechanism
//! against the formula, all-to-all against nearest-spike pairing, both kinds of bounds, and
//! Song, Miller & Abbott's (2000) result: a neuron with 1,000 Poisson inputs whose weights go
//! bimodal while its output rate falls from hundreds of Hz to tens.
use atrophy::plasticity::stdp::{simulate, Bounds, Neuron, Pairing, StdpRule, Synapses};
use rand::{Rng, SeedableRng};

fn pair(rule: StdpRule, w0: f64, dt: f64) -> f64 {
    let mut s = Synapses::new(rule, vec![w0]);
    if dt > 0.0 {
        s.on_pre(0, 100.0);
        s.on_post(100.0 + dt);
    } else {
        s.on_post(100.0);
        s.on_pre(0, 100.0 - dt);
    }
    s.w[0] - w0
}

#[test]
fn the_window_is_the_formula() {
    let rule = StdpRule::default();
    let half = rule.w_max / 2.0;
    for dt in [-80.0, -20.0, -5.0, -1.0, 1.0, 5.0, 20.0, 80.0] {
        let want = if dt > 0.0 {
            0.005 * (-dt / 20.0f64).exp() * rule.w_max
        } else {
            -0.005 * 1.05 * (dt / 20.0f64).exp() * rule.w_max
        };
        assert!((rule.window(dt) - want).abs() < 1e-15, "{dt}");
        assert!((pair(rule, half, dt) - want).abs() < 1e-15, "{dt}");
        // Soft bounds scale potentiation by the room left, depression by the weight.
        let soft = StdpRule {
            bounds: Bounds::Multiplicative,
            ..rule
        };
        let w0 = 0.25 * rule.w_max;
        let scale = if dt > 0.0 { 0.75 } else { 0.25 };
        assert!((pair(soft, w0, dt) - want * scale).abs() < 1e-15, "{dt}");
    }
    // Additive bounds clip: a maximal weight cannot grow, a zero weight cannot shrink.
    assert_eq!(pair(rule, rule.w_max, 5.0), 0.0);
    assert_eq!(pair(rule, 0.0, -5.0), 0.0);
    let bad = StdpRule {
        tau_plus: 0.0,
        ..rule
    };
    assert!(bad.validate().unwrap_err().contains("tau_plus"));
}

/// Two presynaptic spikes 10 ms and 30 ms before one postsynaptic spike: all-to-all sums both
/// pairs, nearest-spike pairing counts the nearer one only.
#[test]
fn all_to_all_sums_pairs_and_nearest_takes_the_nearest() {
    let run = |pairing| {
        let rule = StdpRule {
            pairing,
            ..Default::default()
        };
        let mut s = Synapses::new(rule, vec![rule.w_max / 2.0]);
        s.on_pre(0, 70.0);
        s.on_pre(0, 90.0);
        s.on_post(100.0);
        (s.w[0] - rule.w_max / 2.0, rule)
    };
    let (all, rule) = run(Pairing::AllToAll);
    assert!((all - rule.window(10.0) - rule.window(30.0)).abs() < 1e-15);
    let (nearest, rule) = run(Pairing::Nearest);
    assert!((nearest - rule.window(10.0)).abs() < 1e-15);
}

/// Song, Miller & Abbott (2000): 1,000 excitatory inputs at 20 Hz from uniform weights; after
/// 300 s of additive STDP the weights pile up at both bounds (a U), every weight within them,
/// and the output rate has fallen from about 190 Hz to tens of Hz.
#[test]
fn additive_stdp_makes_the_weights_bimodal_and_regulates_the_rate() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    let rule = StdpRule::default();
    let w: Vec<f64> = (0..1000)
        .map(|_| rng.random::<f64>() * rule.w_max)
        .collect();
    let mut syn = Synapses::new(rule, w);
    let neuron = Neuron::default();
    let before = simulate(&neuron, &mut syn.clone(), 20.0, 10_000.0, false, &mut rng)
        .unwrap()
        .rate();
    simulate(&neuron, &mut syn, 20.0, 300_000.0, true, &mut rng).unwrap();
    let after = simulate(&neuron, &mut syn.clone(), 20.0, 10_000.0, false, &mut rng)
        .unwrap()
        .rate();
    assert!(syn.w.iter().all(|&w| (0.0..=rule.w_max).contains(&w)));
    let share = |lo: f64, hi: f64| {
        syn.w
            .iter()
            .filter(|&&w| w >= lo * rule.w_max && w < hi * rule.w_max)
            .count() as f64
            / 1000.0
    };
    let (bottom, middle, top) = (
        share(0.0, 0.1),
        share(0.3, 0.7) / 8.0,
        share(0.9, 1.01) / 2.0,
    );
    assert!(
        bottom > 0.3 && top > 2.0 * middle,
        "{bottom} {middle} {top}"
    );
    assert!(before > 100.0 && after < 40.0, "{before} -> {after} Hz");
}
