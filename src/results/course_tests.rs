use super::*;
use crate::results::{State, StateKey};
use rand::{Rng, SeedableRng};

/// Onset and reserve on hand-worked curves: interpolated, "not reached", and the first crossing
/// of a curve that recovers.
#[test]
fn onset_and_reserve_by_hand() {
    let curve = [(0.0, 0.9), (0.2, 0.88), (0.4, 0.8), (0.6, 0.4), (0.8, 0.1)];
    // 5 points below 0.9 is 0.85: between 0.2 (0.88) and 0.4 (0.80), 3/8 of the way.
    assert!((onset(&curve, 0.05).unwrap() - 0.275).abs() < 1e-12);
    // Halfway to chance 0.1 is 0.5: between 0.4 (0.8) and 0.6 (0.4), 3/4 of the way.
    assert!((reserve(&curve, 0.1).unwrap() - 0.55).abs() < 1e-12);
    let flat = [(0.0, 0.9), (0.5, 0.89), (1.0, 0.88)];
    assert_eq!(onset(&flat, 0.05), None);
    assert_eq!(reserve(&flat, 0.1), None);
    // Non-monotone: falls through 0.5 between 0.2 and 0.4, recovers, falls again; the first.
    let bumpy = [(0.0, 0.9), (0.2, 0.6), (0.4, 0.4), (0.6, 0.7), (0.8, 0.2)];
    assert!((reserve(&bumpy, 0.1).unwrap() - 0.3).abs() < 1e-12);
}

/// The logistic fit recovers known parameters from a noisy synthetic curve (21 points, Gaussian
/// noise of sd 0.01): f50 within 0.02, k within 20 %, top within 0.02; and fits an exact curve
/// to rounding.
#[test]
fn logistic_fit_recovers_known_parameters() {
    let truth = Logistic {
        top: 0.9,
        k: 12.0,
        f50: 0.55,
        rms: 0.0,
    };
    let chance = 0.1;
    let f: Vec<f64> = (0..=20).map(|i| i as f64 / 20.0).collect();
    let exact: Vec<(f64, f64)> = f.iter().map(|&f| (f, truth.at(f, chance))).collect();
    let fit = logistic_fit(&exact, chance).unwrap();
    assert!(
        (fit.f50 - 0.55).abs() < 1e-6 && (fit.k - 12.0).abs() < 1e-4,
        "{fit:?}"
    );
    assert!(fit.rms < 1e-9);
    for seed in 0..5 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let noisy: Vec<(f64, f64)> = exact
            .iter()
            .map(|&(f, a)| {
                // Box-Muller: one standard normal from two uniforms.
                let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
                let z = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
                (f, a + 0.01 * z)
            })
            .collect();
        let fit = logistic_fit(&noisy, chance).unwrap();
        assert!((fit.f50 - 0.55).abs() < 0.02, "seed {seed}: {fit:?}");
        assert!((fit.k / 12.0 - 1.0).abs() < 0.2, "seed {seed}: {fit:?}");
        assert!((fit.top - 0.9).abs() < 0.02, "seed {seed}: {fit:?}");
        assert!(fit.rms > 0.003 && fit.rms < 0.02, "seed {seed}: {fit:?}");
    }
    assert_eq!(logistic_fit(&exact[..3], chance), None);
}

/// Over the rows of metrics.csv: a regime's cycles give mean and sd; too short a curve is
/// refused with a note.
#[test]
fn course_over_cycles_from_metrics_rows() {
    let row = |regime: &str, cycle: usize, it: usize, acc: f64| MetricRow {
        key: StateKey {
            regime: regime.into(),
            cycle,
            iteration: it,
            fraction_injured: it as f64 / 4.0,
            state: if it == 0 {
                State::Healthy
            } else {
                State::Injured
            },
        },
        top1: acc,
        mean_class: acc,
        loss: 1.0,
        seconds: 0.0,
        per_class: vec![],
    };
    let mut rows = Vec::new();
    for (c, curve) in [[0.9, 0.8, 0.5, 0.2, 0.1], [0.9, 0.85, 0.6, 0.3, 0.1]]
        .iter()
        .enumerate()
    {
        for (i, &a) in curve.iter().enumerate() {
            rows.push(row("static", c, i, a));
        }
    }
    let course = course_by_regime(&rows, 4, 0.1, 0.05);
    assert_eq!(course.len(), 1);
    let c = &course[0];
    assert_eq!(c.cycles, 2);
    // Onsets: 0.85 reached at 0.125 (cycle 0) and exactly at 0.25 (cycle 1).
    let onset = c.onset.unwrap();
    assert!(
        (onset.mean - 0.1875).abs() < 1e-12 && onset.n == 2,
        "{onset:?}"
    );
    // Reserves (0.5): at 0.5 in cycle 0; between 0.5 (0.6) and 0.75 (0.3) in cycle 1: 0.5833.
    let reserve = c.reserve.unwrap();
    assert!((reserve.mean - (0.5 + 0.5 + 0.25 / 3.0) / 2.0).abs() < 1e-12);
    assert!(c.f50.is_some() && c.note.is_empty(), "{c:?}");
    let three: Vec<MetricRow> = rows.into_iter().filter(|r| r.key.iteration <= 2).collect();
    let short = course_by_regime(&three, 2, 0.1, 0.05);
    assert!(short[0].f50.is_none());
    assert!(
        short[0].note.contains("fewer than 4 points"),
        "{:?}",
        short[0]
    );
}
