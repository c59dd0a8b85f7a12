use super::*;
use crate::injury::{injure_with, InjuryKind, Scope};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A CORnet-like chain: V1 (4 filters on 3 channels), V2, V4, IT, and a decoder reading IT's
/// 8 channels flattened over 2 x 2 positions.
fn network() -> (SynapseStates, Vec<Vec<f32>>, Vec<Area>) {
    let shapes: Vec<(&str, Vec<usize>)> = vec![
        ("V1.conv.weight", vec![4, 3, 3, 3]),
        ("V2.conv.weight", vec![6, 4, 3, 3]),
        ("V4.conv.weight", vec![8, 6, 3, 3]),
        ("IT.conv.weight", vec![8, 8, 3, 3]),
        ("decoder.linear.weight", vec![3, 32]),
    ];
    let states = SynapseStates::healthy(
        shapes
            .iter()
            .map(|(n, s)| (n.to_string(), s.clone(), true))
            .collect(),
    );
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let weights = states
        .layers
        .iter()
        .map(|l| (0..l.len()).map(|_| rng.random::<f32>() - 0.5).collect())
        .collect();
    let areas = ["V1", "V2", "V4", "IT", "decoder"]
        .iter()
        .enumerate()
        .map(|(i, n)| Area {
            name: n.to_string(),
            layers: vec![i],
        })
        .collect();
    (states, weights, areas)
}

fn config(progression: &str, extra: &str) -> InjuryConfig {
    let cfg: InjuryConfig = toml::from_str(&format!(
        "kind = \"decay\"\niterations = 10\nscope = \"global\"\nprogression = \"{progression}\"\n{extra}"
    ))
    .unwrap();
    cfg.validate().unwrap();
    cfg
}

/// Runs `iterations` of `cfg`; returns the states after each.
fn run(
    cfg: &InjuryConfig,
    activity: Option<&[f64]>,
    seed: u64,
    iterations: usize,
) -> Vec<SynapseStates> {
    let (mut states, mut weights, areas) = network();
    let d = Disease::new(cfg, &states, &weights, areas, activity).unwrap();
    let mut out = Vec::new();
    for n in 1..=iterations {
        let mut rng = ChaCha8Rng::seed_from_u64(seed + n as u64);
        let before: usize = states.layers.iter().map(|l| l.healthy()).sum();
        let r = injure_with(&mut states, &mut weights, None, Some(&d), cfg, n, &mut rng).unwrap();
        let total = states.count().injurable;
        let quota = crate::injury::decay_quota(total, total - before, n, cfg.iterations);
        assert_eq!(
            r.total(),
            quota,
            "iteration {n}: the P3 quota, whatever the progression"
        );
        out.push(states.clone());
    }
    out
}

/// Connectome strengths by hand: the L1 norm of each kernel, summed over a channel's positions
/// after a flatten, divided by the largest weighted degree.
#[test]
fn connectome_strengths_by_hand() {
    let states = SynapseStates::healthy(vec![
        ("conv1.weight".into(), vec![2, 1, 1, 2], true),
        ("linear1.weight".into(), vec![1, 4], true),
    ]);
    // conv1: unit 0 kernel [1, -2], unit 1 kernel [0.5, 0.5]; linear1 reads 2 channels x 2.
    let weights = vec![vec![1.0, -2.0, 0.5, 0.5], vec![1.0, -1.0, 3.0, 0.0]];
    let c = Connectome::of(&states, &weights);
    assert_eq!(c.units, vec![2, 1]);
    assert_eq!(c.wiring[1], Wiring::Flatten { group: 2 });
    // Edges: (conv unit 0, linear unit) = 2, (conv unit 1, linear unit) = 3; degrees 2, 3, 5.
    let by_hand = [(0, 2, 2.0 / 5.0), (1, 2, 3.0 / 5.0)];
    assert_eq!(c.edges.len(), 2);
    for (e, h) in c.edges.iter().zip(&by_hand) {
        assert_eq!((e.0, e.1), (h.0, h.1));
        assert!((e.2 - h.2).abs() < 1e-12);
    }
    assert!((c.degree[2] - 1.0).abs() < 1e-12);
    // Synapse 3 of linear1 (input 3) reads conv unit 1.
    assert_eq!(c.endpoints(&states, 1, 3), (Some(1), 2));
}

/// The first iteration of a diffusion from V1 injures only synapses whose units are V1's or its
/// neighbours' (V2's); later ones reach further.
#[test]
fn diffusion_from_v1_starts_at_v1_and_spreads() {
    let cfg = config("diffusion", "origin = [\"V1\"]\nbeta = 1.0");
    let after = run(&cfg, None, 1, 10);
    let injured = |s: &SynapseStates, l: usize| s.layers[l].len() - s.layers[l].healthy();
    assert!(injured(&after[0], 0) > 0);
    for l in 2..5 {
        assert_eq!(injured(&after[0], l), 0, "layer {l} at iteration 1");
    }
    assert!(
        injured(&after[9], 4) > 0,
        "the last layer is reached in the end"
    );
    // From IT instead: the first iteration leaves V1 alone.
    let cfg = config("diffusion", "origin = [\"IT\"]");
    let after = run(&cfg, None, 1, 1);
    assert_eq!(injured(&after[0], 0), 0);
}

/// Same seed and config, same synapses; another seed, others (ties of load 0 are drawn).
#[test]
fn progressions_are_reproducible() {
    for (p, extra) in [
        ("diffusion", "origin = [\"V2\"]"),
        (
            "fisher-kolmogorov",
            "origin = [\"V1\"]\nrho = 0.5\nalpha = 2.0",
        ),
        ("staged", "stages = [\"posterior\"]"),
    ] {
        let cfg = config(p, extra);
        let a = run(&cfg, None, 3, 4);
        let b = run(&cfg, None, 3, 4);
        assert_eq!(a, b, "{p}");
    }
}

/// Staged: no area loses a synapse before the one before it lost its share; `anterior` starts
/// at IT; the decoder (no stage) goes last.
#[test]
fn staged_areas_fall_in_order() {
    let cfg = config(
        "staged",
        "stages = [\"V1\", \"V2\", \"V4\", \"IT\"]\nstage_share = 0.5",
    );
    let share = |s: &SynapseStates, l: usize| {
        (s.layers[l].len() - s.layers[l].healthy()) as f64 / s.layers[l].len() as f64
    };
    for s in run(&cfg, None, 5, 10) {
        for l in 1..4 {
            if share(&s, l) > 0.0 {
                assert!(
                    share(&s, l - 1) >= 0.5,
                    "area {l} before {} reached 0.5",
                    l - 1
                );
            }
        }
        if share(&s, 4) > 0.0 {
            assert!((0..4).all(|l| share(&s, l) == 1.0));
        }
    }
    let cfg = config("staged", "stages = [\"anterior\"]");
    let first = &run(&cfg, None, 5, 1)[0];
    assert!(share(first, 3) > 0.0 && share(first, 0) == 0.0);
}

/// Activity: the busiest units' synapses go first.
#[test]
fn activity_takes_the_busiest_units_first() {
    let cfg = config("activity", "");
    // V4's units the busiest by far, the rest ranked low.
    let mut activity = vec![0.1; 4 + 6 + 8 + 8 + 3];
    for a in &mut activity[10..18] {
        *a = 5.0;
    }
    let first = &run(&cfg, Some(&activity), 2, 1)[0];
    let injured = |l: usize| first.layers[l].len() - first.layers[l].healthy();
    // The synapses into V4 and out of it join a busy unit and a quiet one: the 10 % quota
    // (142 of 1428) comes from those two layers alone.
    assert_eq!(injured(0) + injured(1) + injured(4), 0);
    assert_eq!(injured(2) + injured(3), first.count().injurable / 10);
}

/// Percentile ranks by hand, ties sharing their mean rank.
#[test]
fn percentile_ranks_by_hand() {
    assert_eq!(percentile_ranks(&[3.0, 1.0, 2.0]), vec![1.0, 0.0, 0.5]);
    assert_eq!(percentile_ranks(&[1.0, 1.0, 2.0]), vec![0.25, 0.25, 1.0]);
}

/// Bad input names the field.
#[test]
fn bad_settings_name_the_field() {
    let (states, weights, areas) = network();
    let err = |cfg: &InjuryConfig| {
        Disease::new(cfg, &states, &weights, areas.clone(), None)
            .unwrap_err()
            .to_string()
    };
    let e = err(&config("diffusion", "origin = [\"V7\"]"));
    assert!(e.contains("injury.origin") && e.contains("V1"), "{e}");
    let e = err(&config("staged", "stages = [\"V1\", \"PFC\"]"));
    assert!(e.contains("injury.stages") && e.contains("PFC"), "{e}");
    let parse = |extra: &str| -> String {
        let c: InjuryConfig =
            toml::from_str(&format!("kind = \"decay\"\niterations = 3\n{extra}")).unwrap();
        c.validate().unwrap_err().to_string()
    };
    let e = parse("progression = \"diffusion\"\norigin = [\"V1\"]");
    assert!(
        e.contains("injury.scope = \"global\"") && e.contains("per_layer"),
        "{e}"
    );
    let e = parse("progression = \"diffusion\"\nscope = \"global\"\norigin = [\"V1\"]\nbeta = -1");
    assert!(e.contains("injury.beta"), "{e}");
    let e = parse("progression = \"diffusion\"\nscope = \"global\"");
    assert!(e.contains("injury.origin"), "{e}");
    let e =
        parse("progression = \"staged\"\nscope = \"global\"\nstages = [\"V1\"]\nstage_share = 0");
    assert!(e.contains("injury.stage_share"), "{e}");
    assert!(toml::from_str::<InjuryConfig>(
        "kind = \"decay\"\niterations = 3\nprogression = \"spread\""
    )
    .is_err());
    let _ = (InjuryKind::Decay, Scope::Global);
}
