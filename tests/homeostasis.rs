//! Homeostasis (BatchNorm recalibration) as a measured state of the experiment: the statistics it
//! sets, that no parameter moves, the order of states in the tables, and resume after SIGKILL.
#![cfg(feature = "torch")]
use atrophy::data::{synthetic, SyntheticSpec};
use atrophy::experiment::homeostasis::recalibrate;
use atrophy::experiment::subject::Subject;
use atrophy::injury::InjuryConfig;
use std::path::Path;
use tch::{Device, Kind, Tensor};

mod common;
use common::{atrophy, metrics_without_seconds, ok};

fn subject(dir: &Path) -> (Subject, atrophy::data::Split) {
    common::train_synthetic(dir, "8,M,16,M");
    let split = synthetic(&SyntheticSpec::default());
    let injury: InjuryConfig = toml::from_str("kind = \"decay\"\niterations = 2").unwrap();
    let s = Subject::load(&dir.join("model.safetensors"), &split, &injury, Device::Cpu).unwrap();
    (s, split)
}

/// Per-channel mean and unbiased variance of conv1's output (bn1's input) over `images`.
fn conv1_stats(s: &Subject, split: &atrophy::data::Split, images: &[usize]) -> (Tensor, Tensor) {
    let (x, _) = atrophy::train::make_batch::<rand_chacha::ChaCha8Rng>(
        &split.train,
        images,
        &s.norm,
        None,
        Device::Cpu,
    );
    let (_, acts) = s.net.forward_capture(&x, false, &["conv1".to_string()]);
    let a = acts[0].to_kind(Kind::Double);
    let mean = a.mean_dim(&[0i64, 2, 3][..], false, Kind::Double);
    let var = a.var_dim(&[0i64, 2, 3][..], true, false);
    (mean, var)
}

fn max_diff(a: &Tensor, b: &Tensor) -> f64 {
    (a.to_kind(Kind::Double) - b.to_kind(Kind::Double))
        .abs()
        .max()
        .double_value(&[])
}

#[test]
fn recalibration_sets_the_exact_statistics_and_moves_no_parameter() {
    let tmp = tempfile::tempdir().unwrap();
    let (s, split) = subject(tmp.path());
    let vars = s.vs.variables();
    let trainable: Vec<(String, Tensor)> =
        s.vs.trainable_variables()
            .iter()
            .map(|t| {
                let name = vars
                    .iter()
                    .find(|(_, v)| v.data_ptr() == t.data_ptr())
                    .unwrap()
                    .0
                    .clone();
                (name, t.copy())
            })
            .collect();
    assert!(trainable.len() >= 8);

    // One batch holds all 100 images: the running statistics are theirs exactly (the variance
    // unbiased, as PyTorch keeps it).
    let images: Vec<usize> = (0..100).collect();
    recalibrate(&s, &split.train, &images, 128).unwrap();
    let (mean, var) = conv1_stats(&s, &split, &images);
    let rm = &vars["bn1.running_mean"];
    let rv = &vars["bn1.running_var"];
    assert!(max_diff(rm, &mean) < 1e-5, "mean {rm} vs {mean}");
    assert!(max_diff(rv, &var) < 1e-4 * var.abs().max().double_value(&[]).max(1.0));

    // Four batches (30, 30, 30, 10): the plain average of the batches' statistics, whatever the
    // statistics were before.
    let images: Vec<usize> = (200..300).collect();
    recalibrate(&s, &split.train, &images, 30).unwrap();
    let mut means = Vec::new();
    let mut vars_ = Vec::new();
    for chunk in images.chunks(30) {
        let (m, v) = conv1_stats(&s, &split, chunk);
        means.push(m);
        vars_.push(v);
    }
    let avg = |ts: &[Tensor]| Tensor::stack(ts, 0).mean_dim(0, false, Kind::Double);
    assert!(max_diff(rm, &avg(&means)) < 1e-5);
    assert!(max_diff(rv, &avg(&vars_)) < 1e-4 * rv.abs().max().double_value(&[]).max(1.0));

    // No trainable parameter changed, bitwise; BatchNorm is back in its default mode.
    for (name, before) in &trainable {
        assert!(
            vars[name].equal(before),
            "{name} changed during recalibration"
        );
    }
    assert_eq!(s.net.bn_mode(), atrophy::model::BnMode::default());
}

static CONFIG: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    common::synthetic_config(
        r#"name = "homeostasis"
seed = 5
cycles = 2
analyses = ["accuracy", "cka"]"#,
        200,
        r#"[injury]
kind = "decay"
iterations = 3
gamma = 0.5

[[regime]]
name = "R200"
images = 200
batch_size = 50
lr = 0.01
recalibrate_bn = 150
keep_optimizer = true
bn_momentum = "cumulative"

[[regime]]
name = "homeostasis"
static = true
recalibrate_bn = 100

[analysis]
images = 40
"#,
    )
});

#[test]
fn recalibrated_states_are_recorded_in_order_and_survive_sigkill() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("exp.toml");
    std::fs::write(&cfg, &*CONFIG).unwrap();
    let cfg = cfg.to_str().unwrap();
    let full = tmp.path().join("full");
    let t = std::time::Instant::now();
    ok(&atrophy(&["run", cfg, "--out", full.to_str().unwrap()]));
    let full_ms = t.elapsed().as_millis() as u64;
    let rows = metrics_without_seconds(&full);
    let states: Vec<(String, String, String)> = rows[1..]
        .iter()
        .map(|r| {
            let f: Vec<&str> = r.split(',').collect();
            (f[0].to_string(), f[2].to_string(), f[4].to_string())
        })
        .collect();
    // Per cycle: healthy, then per iteration injured, recalibrated (and retrained).
    let want = |regime: &str, retrains: bool| {
        let mut v = vec![(regime.to_string(), "0".to_string(), "healthy".to_string())];
        for it in 1..=3 {
            for st in ["injured", "recalibrated", "retrained"] {
                if st != "retrained" || retrains {
                    v.push((regime.to_string(), it.to_string(), st.to_string()));
                }
            }
        }
        v
    };
    let mut expected = Vec::new();
    for _ in 0..2 {
        expected.extend(want("R200", true));
    }
    for _ in 0..2 {
        expected.extend(want("homeostasis", false));
    }
    assert_eq!(states, expected);
    // Both regimes injure the same synapses of the same healthy model first: their first
    // injured rows agree in every column after the state (accuracies, loss, per class), in
    // both cycles. (Their recalibrated rows differ: 150 and 100 images.)
    let row = |regime: &str, cycle: usize, it: &str, st: &str| -> String {
        let r = rows[1..]
            .iter()
            .find(|r| {
                r.starts_with(&format!("{regime},{cycle},{it},")) && r.contains(&format!(",{st},"))
            })
            .unwrap();
        let mut cells: Vec<&str> = r.split(',').collect();
        cells.remove(0); // the regime's name
        cells.remove(7); // the step's seconds (after cycle, iteration, fraction, state, top-1,
                         // mean class-wise and loss)
        cells.join(",")
    };
    for cycle in 0..2 {
        assert_eq!(
            row("R200", cycle, "1", "injured"),
            row("homeostasis", cycle, "1", "injured")
        );
    }
    let summary = std::fs::read_to_string(full.join("summary.csv")).unwrap();
    assert!(
        summary.contains("homeostasis,2,recalibrated,2,"),
        "{summary}"
    );
    assert!(full.join("cka/R200_c0_i1_recalibrated.npy").is_file());
    let md = std::fs::read_to_string(full.join("summary.md")).unwrap();
    assert!(md.contains("after recalibration"), "{md}");

    // Killed with SIGKILL at random moments and started again, it ends with the same tables.
    let resumed = tmp.path().join("resumed");
    let kills = common::run_with_kills(
        &["run", cfg, "--out", resumed.to_str().unwrap()],
        full_ms,
        9,
        40,
    );
    assert!(kills >= 2, "never interrupted");
    assert_eq!(metrics_without_seconds(&resumed), rows);
    assert_eq!(
        std::fs::read(resumed.join("summary.csv")).unwrap(),
        std::fs::read(full.join("summary.csv")).unwrap()
    );
}
