//! Homeostasis for TorchScript models: `recalibrate_bn` sets every BatchNorm's running statistics
//! to what PyTorch's own forward hooks measured on the same images (tests/torchscript_fixtures.py,
//! bn_momenta.expected.json), whatever momentum each module was compiled with, and moves no
//! parameter.
#![cfg(feature = "torch")]
use atrophy::model::{script, Network};
use std::path::{Path, PathBuf};
use tch::{nn, Device, Kind, Tensor};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/torchscript")
        .join(name)
}

/// The fixture script's `fixed_images(n)`, normalised with its mean 0.5 and std 0.25.
fn images(n: usize) -> Tensor {
    let pixels: Vec<f32> = (0..n * 28 * 28)
        .map(|i| ((i * 37 + (i / 28) * 11) % 256) as f32)
        .collect();
    (Tensor::from_slice(&pixels).reshape([n as i64, 1, 28, 28]) / 255.0 - 0.5) / 0.25
}

fn load() -> (nn::VarStore, Network) {
    let file = fixture("bn_momenta.pt");
    let arch = script::architecture(&file, 1, 28, 10, true).unwrap();
    let vs = nn::VarStore::new(Device::Cpu);
    let net = Network::new(&vs.root(), &arch).unwrap();
    (vs, net)
}

/// Largest difference between a buffer and the expected list, relative to the list's scale.
fn rel_diff(t: &Tensor, want: &serde_json::Value) -> f64 {
    let want: Vec<f64> = want
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let scale = want.iter().fold(1.0f64, |a, v| a.max(v.abs()));
    let got = Vec::<f64>::try_from(t.to_kind(Kind::Double)).unwrap();
    assert_eq!(got.len(), want.len());
    got.iter()
        .zip(&want)
        .map(|(g, w)| (g - w).abs() / scale)
        .fold(0.0, f64::max)
}

#[test]
fn recalibration_sets_pytorchs_statistics_whatever_the_compiled_momentum() {
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture("bn_momenta.expected.json")).unwrap())
            .unwrap();
    let (vs, net) = load();
    let script = net.torchscript().unwrap();
    let vars = vs.variables();
    let before: Vec<(String, Tensor)> = vars.iter().map(|(n, t)| (n.clone(), t.copy())).collect();
    let x = images(40);

    // The momenta the module was compiled with: None (a factor of 1 after the reset), 0.3 and
    // PyTorch's 0.1; bn4 sits behind a dropout, so its two probes agree only if they drew the
    // same mask. Measuring restores every buffer.
    tch::manual_seed(5);
    let momenta = script.batch_norm_momenta(&x).unwrap();
    let names: Vec<&str> = momenta.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["bn1", "bn2", "bn3", "bn4"]);
    for ((name, got), want) in momenta.iter().zip([1.0, 0.3, 0.1, 0.1]) {
        assert!(
            (got - want).abs() < 1e-5,
            "{name}: factor {got}, compiled {want}"
        );
    }
    for (name, t) in &before {
        assert!(
            vars[name].equal(t),
            "{name} changed by measuring the momenta"
        );
    }

    // All 40 images as one batch, then as batches of 16, 16, 8 (the plain average).
    for (batch, key) in [(40, "one_batch"), (16, "batches_of_16")] {
        let batches: Vec<Tensor> = (0..40)
            .step_by(batch)
            .map(|i| x.narrow(0, i, batch.min(40 - i as usize) as i64))
            .collect();
        tch::manual_seed(5);
        assert_eq!(script.recalibrate(batches).unwrap(), 4);
        for (bn, want) in expected[key].as_object().unwrap() {
            let m = rel_diff(&vars[&format!("{bn}.running_mean")], &want["mean"]);
            let v = rel_diff(&vars[&format!("{bn}.running_var")], &want["var"]);
            assert!(
                m < 1e-5 && v < 1e-5,
                "{key} {bn}: mean off by {m}, var by {v}"
            );
        }
    }

    // No parameter and no num_batches_tracked changed, bitwise.
    for (name, t) in &before {
        if !name.contains("running_") {
            assert!(vars[name].equal(t), "{name} changed during recalibration");
        }
    }
}
