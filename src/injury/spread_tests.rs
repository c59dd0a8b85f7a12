use super::*;

#[derive(serde::Deserialize)]
struct Fixture {
    edges: Vec<(usize, usize, f64)>,
    x0: Vec<f64>,
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    beta: f64,
    x: Vec<f64>,
}

fn fixture() -> Fixture {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/progression/diffusion.json"
    );
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// exp(-beta L) x0 equals scipy.linalg.expm's (bench/progression_reference.py) to 1e-10, for
/// beta from 0 to 25, and the load's sum is conserved (1^T L = 0).
#[test]
fn diffusion_equals_scipy_expm_and_conserves_the_load() {
    let f = fixture();
    let c = Connectome::from_edges(f.x0.len(), &f.edges);
    for case in &f.cases {
        let x = diffuse(&c, &f.x0, case.beta);
        for (a, b) in x.iter().zip(&case.x) {
            assert!((a - b).abs() < 1e-10, "beta {}: {a} vs {b}", case.beta);
        }
        let sum: f64 = x.iter().sum();
        assert!((sum - 1.0).abs() < 1e-12, "beta {}: sum {sum}", case.beta);
    }
}

/// Two steps of beta equal one of 2 beta (the semigroup property of exp(-beta L)).
#[test]
fn diffusion_composes() {
    let f = fixture();
    let c = Connectome::from_edges(f.x0.len(), &f.edges);
    let twice = diffuse(&c, &diffuse(&c, &f.x0, 0.7), 0.7);
    let once = diffuse(&c, &f.x0, 1.4);
    for (a, b) in twice.iter().zip(&once) {
        assert!((a - b).abs() < 1e-12);
    }
}

/// The scaled Bessel values satisfy the normalisation and match tabulated values:
/// e^{-1} I_0(1) = 0.46575960759364043, e^{-1} I_1(1) = 0.20791041534970844.
#[test]
fn scaled_bessel_values() {
    let v = scaled_bessel_i(1.0, 30);
    assert!((v[0] - 0.46575960759364043).abs() < 1e-15);
    assert!((v[1] - 0.20791041534970844).abs() < 1e-15);
    let big = scaled_bessel_i(400.0, 700);
    let sum = big[0] + 2.0 * big[1..].iter().sum::<f64>();
    assert!((sum - 1.0).abs() < 1e-12, "{sum}");
}

/// Fisher-Kolmogorov on a connected chain: loads stay in [0, 1], a single seed reaches its
/// neighbour before the unit two steps away, and every unit saturates towards 1.
#[test]
fn fisher_kolmogorov_stays_bounded_spreads_in_order_and_saturates() {
    let edges: Vec<(usize, usize, f64)> = (0..5).map(|i| (i, i + 1, 0.5)).collect();
    let c = Connectome::from_edges(6, &edges);
    let mut x0 = vec![0.0; 6];
    x0[0] = 0.5;
    let mut first = [usize::MAX; 6];
    for t in 1..=60 {
        let x = fisher_kolmogorov(&c, &x0, 1.0, 1.0, t);
        for (i, &v) in x.iter().enumerate() {
            assert!((-1e-12..=1.0 + 1e-12).contains(&v), "t {t} unit {i}: {v}");
            if v > 0.1 && first[i] == usize::MAX {
                first[i] = t;
            }
        }
        if t == 60 {
            assert!(x.iter().all(|&v| v > 0.99), "{x:?}");
        }
    }
    for i in 1..6 {
        assert!(first[i - 1] <= first[i], "{first:?}");
    }
    assert!(first[1] < first[2], "{first:?}");
}
