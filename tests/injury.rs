//! Injury semantics of docs/PROTOCOLS.md P3 (decay) and P4 (ablation), on plain arrays.
use atrophy::injury::*;
use rand::SeedableRng;

fn states(sizes: &[usize]) -> SynapseStates {
    SynapseStates::healthy(
        sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| (format!("conv{}.weight", i + 1), vec![n / 4, 4], true))
            .collect(),
    )
}

fn weights(sizes: &[usize]) -> Vec<Vec<f32>> {
    sizes
        .iter()
        .enumerate()
        .map(|(l, &n)| (0..n).map(|i| 1.0 + (i as f32) * 0.01 + l as f32).collect())
        .collect()
}

fn decay(iterations: usize) -> InjuryConfig {
    InjuryConfig {
        kind: InjuryKind::Decay,
        iterations,
        gamma: 0.5,
        fraction: 0.2,
        selection: Selection::Random,
        scope: Scope::PerLayer,
        layers: vec![],
        units: false,
        saliency_batches: 1,
        ..InjuryConfig::with_defaults(InjuryKind::Decay, iterations)
    }
}

#[test]
fn decay_follows_p3_exactly() {
    let sizes = [400, 1000, 36];
    let mut s = states(&sizes);
    let orig = weights(&sizes);
    let mut w = orig.clone();
    let cfg = decay(10);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    // The iteration at which each synapse was first affected (0 = not yet).
    let mut first: Vec<Vec<usize>> = sizes.iter().map(|&n| vec![0; n]).collect();
    for n in 1..=10 {
        let r = injure(&mut s, &mut w, None, &cfg, n, &mut rng).unwrap();
        for (l, &size) in sizes.iter().enumerate() {
            // Stratified: each layer has floor(T_l n / N) affected (all at the last iteration).
            let affected = s.layers[l].len() - s.layers[l].healthy();
            let expect = if n == 10 { size } else { size * n / 10 };
            assert_eq!(affected, expect, "layer {l} iteration {n}");
            for i in 0..size {
                if s.layers[l].state[i] > 0 && first[l][i] == 0 {
                    first[l][i] = n;
                }
                // A synapse first affected at iteration k holds w * gamma^(n-k+1); exact in f32
                // since gamma = 1/2 only changes the exponent.
                let k = first[l][i];
                let want = if k == 0 {
                    orig[l][i]
                } else {
                    orig[l][i] * 0.5f32.powi((n - k + 1) as i32)
                };
                assert_eq!(w[l][i], want, "layer {l} synapse {i} iteration {n}");
                if k > 0 {
                    assert_eq!(s.layers[l].state[i], (n - k + 1) as i32);
                }
            }
        }
        assert!(r.total() > 0);
    }
    assert_eq!(s.fraction_injured(), 1.0);
}

#[test]
fn ablation_follows_p4() {
    let sizes = [10_000, 2_500];
    let mut s = states(&sizes);
    let mut w = weights(&sizes);
    let cfg = InjuryConfig {
        kind: InjuryKind::Ablation,
        ..decay(15)
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
    let mut prev_ablated: Vec<Vec<bool>> = sizes.iter().map(|&n| vec![false; n]).collect();
    for n in 1..=11 {
        injure(&mut s, &mut w, None, &cfg, n, &mut rng).unwrap();
        for (l, &size) in sizes.iter().enumerate() {
            let remaining = s.layers[l].healthy() as f64 / size as f64;
            assert!(
                (remaining - 0.8f64.powi(n as i32)).abs() < 2.0 / size as f64 * n as f64,
                "layer {l} n {n}: {remaining}"
            );
            for i in 0..size {
                let ab = s.layers[l].state[i] == ABLATED;
                if prev_ablated[l][i] {
                    assert!(ab, "an ablated synapse came back");
                }
                if ab {
                    assert_eq!(w[l][i].to_bits(), 0, "ablated synapse is not +0.0");
                } else {
                    assert!(w[l][i] >= 1.0);
                }
                prev_ablated[l][i] = ab;
            }
        }
    }
    // n = 11: 91.4 % ablated (P4).
    assert!(
        (s.fraction_injured() - 0.914).abs() < 0.002,
        "{}",
        s.fraction_injured()
    );
}

#[test]
fn magnitude_selection_takes_the_smallest_and_global_scope_pools_layers() {
    let sizes = [100, 100];
    let mut s = states(&sizes);
    // Layer 0 holds small weights, layer 1 large ones.
    let mut w: Vec<Vec<f32>> = vec![
        (0..100).map(|i| i as f32 * 0.01).collect(),
        (0..100).map(|i| 10.0 + i as f32).collect(),
    ];
    let cfg = InjuryConfig {
        kind: InjuryKind::Ablation,
        fraction: 0.25,
        selection: Selection::Magnitude,
        scope: Scope::Global,
        ..decay(4)
    };
    let r = injure(
        &mut s,
        &mut w,
        None,
        &cfg,
        1,
        &mut rand_chacha::ChaCha8Rng::seed_from_u64(0),
    )
    .unwrap();
    assert_eq!(r.new_per_layer, vec![50, 0]);
    assert!(s.layers[0].state[..50].iter().all(|&x| x == ABLATED));
    assert!(s.layers[0].state[50..].iter().all(|&x| x == HEALTHY));
    // Per layer, each layer loses its own 25 %.
    let mut s2 = states(&sizes);
    let cfg2 = InjuryConfig {
        scope: Scope::PerLayer,
        ..cfg.clone()
    };
    let r2 = injure(
        &mut s2,
        &mut w,
        None,
        &cfg2,
        1,
        &mut rand_chacha::ChaCha8Rng::seed_from_u64(0),
    )
    .unwrap();
    assert_eq!(r2.new_per_layer, vec![25, 25]);
    // Taylor / OBD use the given scores and refuse to run without them.
    let cfg3 = InjuryConfig {
        selection: Selection::Taylor,
        scope: Scope::PerLayer,
        ..cfg.clone()
    };
    let mut s3 = states(&sizes);
    assert!(injure(
        &mut s3,
        &mut w,
        None,
        &cfg3,
        1,
        &mut rand_chacha::ChaCha8Rng::seed_from_u64(0)
    )
    .is_err());
    let scores: Vec<Vec<f32>> = vec![
        (0..100).rev().map(|i| i as f32).collect(),
        (0..100).map(|i| i as f32).collect(),
    ];
    injure(
        &mut s3,
        &mut w,
        Some(&scores),
        &cfg3,
        1,
        &mut rand_chacha::ChaCha8Rng::seed_from_u64(0),
    )
    .unwrap();
    assert!(s3.layers[0].state[75..].iter().all(|&x| x == ABLATED));
    assert!(s3.layers[1].state[..25].iter().all(|&x| x == ABLATED));
}

#[test]
fn unit_ablation_removes_whole_output_units_and_layer_filters_apply() {
    let sizes = [400, 400];
    let mut s = states(&sizes); // shapes [100, 4]: 100 units of 4 synapses
    s.layers[1].injurable = false;
    let mut w = weights(&sizes);
    let cfg = InjuryConfig {
        kind: InjuryKind::Ablation,
        fraction: 0.1,
        units: true,
        ..decay(3)
    };
    let r = injure(
        &mut s,
        &mut w,
        None,
        &cfg,
        1,
        &mut rand_chacha::ChaCha8Rng::seed_from_u64(5),
    )
    .unwrap();
    assert_eq!(r.new_per_layer, vec![40, 0]);
    let dead_units = (0..100)
        .filter(|u| {
            s.layers[0].state[u * 4..u * 4 + 4]
                .iter()
                .all(|&x| x == ABLATED)
        })
        .count();
    assert_eq!(dead_units, 10);
    assert!(
        cfg.injurable("conv3")
            && InjuryConfig {
                layers: vec!["conv".into()],
                ..cfg.clone()
            }
            .injurable("conv12")
    );
    let only = InjuryConfig {
        layers: vec!["conv1".into(), "linear".into()],
        ..cfg.clone()
    };
    assert!(
        only.injurable("conv1")
            && only.injurable("linear2")
            && !only.injurable("conv12")
            && !only.injurable("conv2")
    );
}

#[test]
fn validation_names_fields() {
    let bad = InjuryConfig {
        gamma: 1.5,
        ..decay(10)
    };
    assert!(bad
        .validate()
        .unwrap_err()
        .to_string()
        .contains("injury.gamma"));
    let bad = InjuryConfig {
        kind: InjuryKind::Ablation,
        fraction: 0.0,
        ..decay(10)
    };
    assert!(bad
        .validate()
        .unwrap_err()
        .to_string()
        .contains("injury.fraction"));
    assert!(decay(0)
        .validate()
        .unwrap_err()
        .to_string()
        .contains("injury.iterations"));
    assert_eq!(decay_quota(10, 0, 1, 3), 3);
    assert_eq!(decay_quota(10, 3, 2, 3), 3);
    assert_eq!(decay_quota(10, 6, 3, 3), 4);
}

/// The smaller rules: equal scores are taken in position order; unit ablation by magnitude
/// removes the units of smallest L1 norm; global decay marks floor(T n / N) of the pooled
/// synapses by iteration n, whatever layer they are in.
#[test]
fn ties_by_position_units_by_l1_norm_and_global_decay_quota() {
    let rng = || rand_chacha::ChaCha8Rng::seed_from_u64(1);
    // Ties: every |w| equal, magnitude ablation of 30 % takes the first 30 of each layer.
    let mut s = states(&[100]);
    let mut w = vec![vec![-2.0f32; 100]];
    let cfg = InjuryConfig {
        kind: InjuryKind::Ablation,
        fraction: 0.3,
        selection: Selection::Magnitude,
        ..decay(3)
    };
    injure(&mut s, &mut w, None, &cfg, 1, &mut rng()).unwrap();
    assert!(s.layers[0].state[..30].iter().all(|&x| x == ABLATED));
    assert!(s.layers[0].state[30..].iter().all(|&x| x == HEALTHY));

    // Units by L1 norm: 25 units of 4 synapses, unit u has |w| = 25 - u except one large
    // synapse in units 20..25, so the smallest L1 norms are those of units 15..20.
    let mut s = states(&[100]);
    let mut w = vec![(0..100)
        .map(|i| {
            let u = i / 4;
            let big = if u >= 20 && i % 4 == 0 { -100.0 } else { 0.0 };
            (25 - u) as f32 * 0.01 + big
        })
        .collect::<Vec<f32>>()];
    let units = InjuryConfig {
        fraction: 0.2,
        units: true,
        ..cfg.clone()
    };
    injure(&mut s, &mut w, None, &units, 1, &mut rng()).unwrap();
    let dead: Vec<usize> = (0..25)
        .filter(|u| {
            s.layers[0].state[u * 4..u * 4 + 4]
                .iter()
                .all(|&x| x == ABLATED)
        })
        .collect();
    assert_eq!(dead, (15..20).collect::<Vec<_>>());

    // Global decay: 4 iterations over 60 + 40 pooled synapses mark 25, 50, 75, 100 in all.
    let mut s = states(&[60, 40]);
    let mut w = weights(&[60, 40]);
    let global = InjuryConfig {
        scope: Scope::Global,
        ..decay(4)
    };
    let mut r = rng();
    for (n, want) in [(1, 25), (2, 50), (3, 75), (4, 100)] {
        injure(&mut s, &mut w, None, &global, n, &mut r).unwrap();
        let (healthy, _, _) = s.counts();
        assert_eq!(100 - healthy, want, "iteration {n}");
    }
}
