//! Plasticity rules and memories (P9) against what must hold.
use atrophy::plasticity::{hopfield, rules, Hopfield};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Standard normal by Box-Muller (the tests need no distribution crate).
fn normal<R: Rng>(rng: &mut R) -> f64 {
    let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Samples with covariance R diag(4, 1, 0.25) R' for a fixed rotation R: first PC = R e1.
fn sample<R: Rng>(rng: &mut R) -> (Vec<f64>, [f64; 3]) {
    let (c, s) = (0.6f64, 0.8f64); // rotation by atan(4/3) in the x-y plane
    let z = [2.0 * normal(rng), normal(rng), 0.5 * normal(rng)];
    (
        vec![c * z[0] - s * z[1], s * z[0] + c * z[1], z[2]],
        [c, s, 0.0],
    )
}

#[test]
fn oja_converges_to_the_unit_first_principal_component() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut w = vec![0.3, -0.2, 0.5];
    let mut pc = [0.0; 3];
    for _ in 0..20_000 {
        let (u, e1) = sample(&mut rng);
        pc = e1;
        rules::oja(&mut w, &u, 0.002).unwrap();
    }
    let norm = rules::response(&w, &w).sqrt();
    let cos = rules::response(&w, &pc).abs() / norm;
    assert!(cos > 0.99, "|cos| = {cos}");
    assert!((norm - 1.0).abs() < 0.05, "|w| = {norm}");
}

#[test]
fn plain_hebb_diverges_and_normalisation_holds_it() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut w = vec![0.1, 0.1, 0.1];
    let mut norms = vec![];
    for k in 0..2000 {
        let (u, _) = sample(&mut rng);
        rules::hebb(&mut w, &u, 0.01).unwrap();
        if k % 500 == 499 {
            norms.push(rules::response(&w, &w).sqrt());
        }
    }
    assert!(norms.windows(2).all(|p| p[1] > p[0]), "{norms:?}");
    assert!(*norms.last().unwrap() > 1e6, "{norms:?}");
    // Multiplicative normalisation keeps |w|; subtractive keeps the sum.
    let mut w = vec![0.5, 0.5, 0.5];
    let n0 = rules::response(&w, &w).sqrt();
    rules::apply_multiplicative(&mut w, &[1.0, -0.3, 0.2]);
    assert!((rules::response(&w, &w).sqrt() - n0).abs() < 1e-12);
    let s0: f64 = w.iter().sum();
    rules::apply_subtractive(&mut w, &[1.0, -0.3, 0.2]);
    assert!((w.iter().sum::<f64>() - s0).abs() < 1e-12);
    assert!(rules::hebb(&mut w, &[1.0], 0.1)
        .unwrap_err()
        .contains("entries"));
    assert!(rules::oja(&mut w, &[1.0, 2.0, 3.0], 0.0)
        .unwrap_err()
        .contains("eta"));
}

#[test]
fn bcm_becomes_selective_to_one_pattern() {
    let patterns = [
        vec![1.0, 0.0, 0.0],
        vec![0.0, 1.0, 0.0],
        vec![0.0, 0.0, 1.0],
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut w: Vec<f64> = (0..3).map(|_| 0.4 + 0.2 * rng.random::<f64>()).collect();
    let mut theta = 0.0;
    for _ in 0..20_000 {
        let p = &patterns[rng.random_range(0..3)];
        rules::bcm(&mut w, p, &mut theta, 0.01, 50.0).unwrap();
    }
    let mut r: Vec<f64> = patterns.iter().map(|p| rules::response(&w, p)).collect();
    r.sort_by(|a, b| b.total_cmp(a));
    assert!(
        r[0] > 0.5 && r[1].abs() < 0.1 * r[0],
        "responses {r:?} are not selective"
    );
}

#[test]
fn delta_rule_solves_and_but_not_xor() {
    let inputs = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
    let train = |targets: [f64; 4]| {
        let mut w = vec![0.0; 3]; // two inputs and a bias
        for _ in 0..2000 {
            for (x, t) in inputs.iter().zip(targets) {
                rules::delta(&mut w, &[x[0], x[1], 1.0], t, 0.05).unwrap();
            }
        }
        let right = inputs
            .iter()
            .zip(targets)
            .filter(|(x, t)| (rules::response(&w, &[x[0], x[1], 1.0]) > 0.0) == (*t > 0.0))
            .count();
        (w, right)
    };
    // LMS goes to the least-squares weights (worked by hand from the normal equations):
    // AND with targets -1, -1, -1, 1: w = (1, 1), bias -1.5, which separates it; XOR: all 0,
    // the best a linear unit can do.
    let near = |w: &[f64], want: [f64; 3]| w.iter().zip(want).all(|(a, b)| (a - b).abs() < 0.2);
    let (w, right) = train([-1.0, -1.0, -1.0, 1.0]);
    assert!(near(&w, [1.0, 1.0, -1.5]), "AND: {w:?}");
    assert_eq!(right, 4, "AND is linearly separable");
    let (w, _) = train([-1.0, 1.0, 1.0, -1.0]);
    assert!(near(&w, [0.0, 0.0, 0.0]), "XOR: {w:?}");
}

#[test]
fn hopfield_energy_never_increases_and_patterns_are_fixed_points() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let n = 200;
    let patterns = hopfield::random_patterns(10, n, &mut rng); // load 0.05 < 0.138
    let net = Hopfield::store(&patterns).unwrap();
    for p in &patterns {
        assert_eq!(
            net.step_sync(p),
            *p,
            "a stored pattern is not a fixed point"
        );
    }
    // Asynchronous updates from random states: the energy never rises, unit by unit.
    for _ in 0..5 {
        let mut s = hopfield::random_patterns(1, n, &mut rng).pop().unwrap();
        let mut e = net.energy(&s);
        for _ in 0..5 {
            for i in 0..n {
                let h: f32 = net.w[i * n..(i + 1) * n]
                    .iter()
                    .zip(&s)
                    .map(|(w, &x)| w * x as f32)
                    .sum();
                if h != 0.0 {
                    s[i] = if h > 0.0 { 1 } else { -1 };
                }
                let e2 = net.energy(&s);
                assert!(e2 <= e + 1e-9, "energy rose from {e} to {e2}");
                e = e2;
            }
        }
    }
    // Recall from a corrupted pattern (10 % of bits flipped).
    let mut s = patterns[0].clone();
    for i in 0..n / 10 {
        s[i * 10] = -s[i * 10];
    }
    net.recall(&mut s, 20, &mut rng);
    assert_eq!(hopfield::overlap(&s, &patterns[0]), 1.0);
    assert!(Hopfield::store(&[vec![1, 0, -1]])
        .unwrap_err()
        .contains("+1/-1"));
}

#[test]
fn hopfield_capacity_breaks_down_near_0_138_n() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let n = 400;
    let recall_rate = |load: f64, rng: &mut ChaCha8Rng| {
        let p = (load * n as f64).round() as usize;
        let patterns = hopfield::random_patterns(p, n, rng);
        let net = Hopfield::store(&patterns).unwrap();
        let ok = patterns
            .iter()
            .filter(|pat| {
                let mut s = (*pat).clone();
                net.recall(&mut s, 30, rng);
                hopfield::overlap(&s, pat) > 0.95
            })
            .count();
        ok as f64 / p as f64
    };
    // Amit, Gutfreund & Sompolinsky: stored patterns stay (nearly) fixed up to 0.138 N. At
    // N = 400 the edge is blurred; the loads either side of it pin it (a capacity halved to
    // 0.07 N fails at 0.10, a doubled one at 0.20).
    assert!(recall_rate(0.05, &mut rng) > 0.95);
    let below = recall_rate(0.10, &mut rng);
    assert!(below > 0.9, "at 0.10 N: {below}");
    let above = recall_rate(0.20, &mut rng);
    assert!(above < 0.5, "at 0.20 N: {above}");
    assert!(recall_rate(0.25, &mut rng) < 0.5);
}

#[test]
fn modern_hopfield_retrieves_half_masked_patterns_far_beyond_classic_capacity() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let d = 64;
    let stored: Vec<Vec<f64>> = hopfield::random_patterns(2 * d, d, &mut rng)
        .into_iter()
        .map(|p| p.into_iter().map(f64::from).collect())
        .collect();
    let mut ok = 0;
    for p in &stored {
        let query: Vec<f64> = p
            .iter()
            .enumerate()
            .map(|(i, &x)| if i < d / 2 { x } else { 0.0 })
            .collect();
        let out = hopfield::modern_retrieve(&stored, &query, 1.0).unwrap();
        if out.iter().zip(p).all(|(o, x)| o.signum() == x.signum()) {
            ok += 1;
        }
    }
    // Load P/d = 2, fifteen times the classic 0.138.
    assert!(
        ok as f64 / stored.len() as f64 > 0.95,
        "{ok} of {}",
        stored.len()
    );
    assert!(hopfield::modern_retrieve(&stored, &[1.0], 1.0).is_err());
}

#[test]
fn oja_demo_writes_csv_and_figure_and_rejects_bad_eta() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_atrophy"))
            .args(args)
            .output()
            .unwrap()
    };
    let o = run(&["plasticity", "oja", "--out", tmp.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(tmp.path().join("oja.csv")).unwrap();
    let last: Vec<f64> = csv
        .lines()
        .last()
        .unwrap()
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(last[1] > 0.99 && (last[2] - 1.0).abs() < 0.05, "{last:?}");
    assert!(tmp.path().join("oja.png").is_file() && tmp.path().join("oja.svg").is_file());
    let o = run(&[
        "plasticity",
        "oja",
        "--eta",
        "1.5",
        "--out",
        tmp.path().to_str().unwrap(),
    ]);
    assert!(
        !o.status.success()
            && String::from_utf8_lossy(&o.stderr).contains("--eta 1.5 is out of range")
    );
}

/// CD-1 on bars and stripes (4x4): the reconstruction error falls well below its start.
#[test]
fn rbm_learns_bars_and_stripes_by_contrastive_divergence() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut data = Vec::new();
    for mask in 0..16u32 {
        for horizontal in [false, true] {
            let img: Vec<f64> = (0..16)
                .map(|i| {
                    let line = if horizontal { i / 4 } else { i % 4 };
                    ((mask >> line) & 1) as f64
                })
                .collect();
            data.extend(img);
        }
    }
    let v = ndarray::Array2::from_shape_vec((32, 16), data).unwrap();
    let mut rbm = atrophy::plasticity::Rbm::new(16, 16, &mut rng);
    let before = rbm.reconstruction_error(v.view());
    for _ in 0..3000 {
        rbm.cd_step(v.view(), 1, 0.1, &mut rng).unwrap();
    }
    let after = rbm.reconstruction_error(v.view());
    assert!(
        after < 0.4 * before,
        "reconstruction error {before} -> {after}"
    );
    assert!(rbm
        .cd_step(ndarray::Array2::zeros((2, 5)).view(), 1, 0.1, &mut rng)
        .unwrap_err()
        .contains("visible units"));
    let s = rbm.sample(4, 50, &mut rng);
    assert_eq!(s.dim(), (4, 16));
    assert!(s.iter().all(|p| (0.0..=1.0).contains(p)));
}
