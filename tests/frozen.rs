//! P3's frozen synapses through a whole experiment: after decay and a retraining with momentum
//! and weight decay (backprop) or by Oja's rule, every decayed synapse holds exactly
//! gamma x its healthy value, bit for bit, and every other synapse may have moved.
#![cfg(feature = "torch")]
use std::collections::HashMap;
use std::path::Path;

mod common;

/// Healthy weights of synapse layers (conv and linear weights) by name, as f32 vectors.
fn synapses(path: &Path) -> HashMap<String, Vec<f32>> {
    atrophy::checkpoint::read_tensors(path)
        .unwrap()
        .into_iter()
        .filter(|(n, t)| n.ends_with(".weight") && t.dim() > 1)
        .map(|(n, t)| (n, Vec::<f32>::try_from(t.flatten(0, -1)).unwrap()))
        .collect()
}

#[test]
fn decayed_synapses_hold_gamma_times_their_healthy_value_bit_for_bit() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("frozen.toml");
    let head = "name = \"frozen\"\nseed = 4\ncycles = 1\nsave_models = true";
    let rest = r#"[injury]
kind = "decay"
iterations = 4
gamma = 0.5

[[regime]]
name = "sgd"
images = 200
batch_size = 50
lr = 0.05
momentum = 0.9
weight_decay = 0.01

[[regime]]
name = "oja"
images = 200
batch_size = 50
rule = "oja"
hebbian_rate = 0.5
"#;
    std::fs::write(&cfg, common::synthetic_config(head, 100, rest)).unwrap();
    let out = tmp.path().join("out");
    common::run_experiment(&cfg, &out);
    let healthy = synapses(&out.join("healthy/model.safetensors"));
    for regime in ["sgd", "oja"] {
        let after =
            synapses(&out.join(format!("models/{regime}_c0_i1_retrained/model.safetensors")));
        let mut moved = 0;
        for (name, h) in &healthy {
            let a = &after[name];
            // Iteration 1 decays floor(T / 4) synapses of each layer once: exactly half of their
            // healthy value (a product by 0.5 is exact), and retraining must not touch them.
            let halved = h
                .iter()
                .zip(a)
                .filter(|(h, a)| (0.5 * **h).to_bits() == a.to_bits() && **h != 0.0)
                .count();
            let quota = atrophy::injury::decay_quota(h.len(), 0, 1, 4);
            assert_eq!(halved, quota, "{regime}: {name}");
            moved += h.iter().zip(a).filter(|(h, a)| h != a).count() - halved;
        }
        assert!(moved > 0, "{regime}: retraining changed no healthy synapse");
    }
}
