//! atrophy's analysis kernels against values computed by numpy/scipy.
//!
//! Fixtures come from `bench/analysis_reference.py` (inputs as .npy, expected values in
//! `tests/fixtures/analysis/expected.json`). Regenerate with
//! `python3 bench/analysis_reference.py` after changing a definition.

use std::path::PathBuf;

use atrophy::analysis::{
    self, kendall_counts, npy, rdm, rdm_kendall_tau, upper_triangle, CkaOptions, Estimator, Kernel,
    TauVariant, UnbiasedGram,
};
use ndarray::Array2;
use serde_json::Value;

/// Agreement required between f64 computations done in a different order.
const REL: f64 = 1e-10;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/analysis")
}

fn load(name: &Value) -> Array2<f64> {
    npy::read_matrix(dir().join(name.as_str().unwrap()))
        .unwrap()
        .into_f64()
}

fn cases(kind: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(dir().join("expected.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == kind)
        .cloned()
        .collect()
}

#[track_caller]
fn close(got: f64, want: &Value, what: &str) {
    let want = want.as_f64().unwrap();
    // Relative to the magnitude, but with an absolute floor for values near 0.
    let tol = REL * want.abs().max(1e-3);
    assert!(
        (got - want).abs() <= tol,
        "{what}: atrophy {got:.17e}, numpy {want:.17e}, diff {:e}",
        (got - want).abs()
    );
}

#[test]
fn cka_matches_numpy() {
    let cs = cases("cka");
    assert!(cs.len() >= 4);
    for c in cs {
        let name = c["name"].as_str().unwrap();
        let (x, y) = (load(&c["x"]), load(&c["y"]));
        let (x, y) = (x.view(), y.view());
        close(analysis::linear_cka(x, y).unwrap(), &c["linear"], name);
        close(
            analysis::linear_cka_feature(x, y).unwrap(),
            &c["linear"],
            name,
        );
        close(
            analysis::linear_cka_gram(x, y).unwrap(),
            &c["linear_gram"],
            name,
        );
        close(
            analysis::linear_cka_unbiased(x, y).unwrap(),
            &c["linear_unbiased"],
            name,
        );
        // The unbiased HSIC value itself (Song et al.), from uncentred linear Grams.
        let k = UnbiasedGram::new(x.dot(&x.t())).unwrap();
        let l = UnbiasedGram::new(y.dot(&y.t())).unwrap();
        close(k.hsic(&l).unwrap(), &c["hsic_unbiased_xy"], name);
        close(k.hsic(&l).unwrap(), &c["hsic_unbiased_kornblith_xy"], name);
        for (t, want) in c["rbf"].as_object().unwrap() {
            let opts = CkaOptions {
                kernel: Kernel::Rbf {
                    sigma_fraction: t.parse().unwrap(),
                },
                estimator: Estimator::Biased,
            };
            close(
                analysis::cka(x, y, &opts).unwrap(),
                want,
                &format!("{name} rbf {t}"),
            );
        }
        for (t, want) in c["rbf_unbiased"].as_object().unwrap() {
            let got = analysis::rbf_cka(x, y, t.parse().unwrap(), Estimator::Unbiased).unwrap();
            close(got, want, &format!("{name} unbiased rbf {t}"));
        }
    }
}

#[test]
fn cka_matrix_matches_numpy_pairwise_values() {
    let cs = cases("cka");
    // Layers with the same n: the fixtures' "wide" (n = 24) case is alone, so build a matrix
    // from x and y of one case against itself and check both off-diagonal entries.
    for c in cs {
        let (x, y) = (load(&c["x"]), load(&c["y"]));
        let m = analysis::cka_matrix(
            &[x.view(), y.view()],
            &[y.view(), x.view()],
            Estimator::Biased,
        )
        .unwrap();
        close(m[[0, 0]], &c["linear"], "matrix [x][y]");
        close(m[[1, 1]], &c["linear"], "matrix [y][x]");
        let u = analysis::cka_matrix(&[x.view()], &[y.view()], Estimator::Unbiased).unwrap();
        close(u[[0, 0]], &c["linear_unbiased"], "unbiased matrix");
    }
}

#[test]
fn rdm_and_tau_match_numpy_scipy() {
    for c in cases("rdm") {
        let name = c["name"].as_str().unwrap();
        let (a, b) = (load(&c["a"]), load(&c["b"]));
        let want = load(&c["rdm_a"]);
        let ra = rdm(a.view()).unwrap();
        for ((i, j), w) in want.indexed_iter() {
            let got = ra[[i, j]];
            // numpy's diagonal is 1 - corrcoef = 0 up to rounding; ours is exactly 0.
            assert!(
                (got - w).abs() <= 1e-13,
                "{name} RDM[{i}][{j}]: {got} vs {w}"
            );
        }
        let rb = rdm(b.view()).unwrap();
        close(
            rdm_kendall_tau(ra.view(), rb.view(), TauVariant::B).unwrap(),
            &c["tau_b"],
            name,
        );
        close(
            rdm_kendall_tau(ra.view(), rb.view(), TauVariant::A).unwrap(),
            &c["tau_a"],
            name,
        );
        // Over the whole matrices, as paper 001's authors' code (scipy on the flattened RDMs).
        for (variant, key) in [(TauVariant::B, "tau_b_full"), (TauVariant::A, "tau_a_full")] {
            close(
                analysis::rdm_kendall_counts_over(ra.view(), rb.view(), analysis::RdmPairs::Full)
                    .unwrap()
                    .tau(variant)
                    .unwrap(),
                &c[key],
                name,
            );
        }
        // The same through the vector interface.
        let (ua, ub) = (
            upper_triangle(ra.view()).unwrap(),
            upper_triangle(rb.view()).unwrap(),
        );
        close(
            analysis::kendall_tau(&ua, &ub, TauVariant::B).unwrap(),
            &c["tau_b"],
            name,
        );
    }
}

#[test]
fn tau_with_ties_matches_scipy_and_exact_counts() {
    for c in cases("tau") {
        let name = c["name"].as_str().unwrap();
        let x = npy::read_vector(dir().join(c["x"].as_str().unwrap())).unwrap();
        let y = npy::read_vector(dir().join(c["y"].as_str().unwrap())).unwrap();
        let counts = kendall_counts(x.as_slice().unwrap(), y.as_slice().unwrap()).unwrap();
        assert_eq!(counts.pairs, c["pairs"].as_u64().unwrap(), "{name}");
        assert_eq!(
            counts.discordant,
            c["discordant"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            counts.concordant(),
            c["concordant"].as_u64().unwrap(),
            "{name}"
        );
        close(counts.tau(TauVariant::B).unwrap(), &c["tau_b"], name);
        close(counts.tau(TauVariant::A).unwrap(), &c["tau_a"], name);
    }
}
