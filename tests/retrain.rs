//! Retraining's optimizer across iterations: `keep_optimizer = true` carries SGD's momentum
//! buffers from one retraining to the next; without it every retraining starts from zero
//! momentum, so two retrainings from the same weights and images end identically.
#![cfg(feature = "torch")]
use atrophy::experiment::config::RegimeConfig;
use atrophy::experiment::record::Step;
use atrophy::experiment::retrain::retrain;

mod common;

#[test]
fn keep_optimizer_carries_momentum_across_iterations() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut s, split) = common::synthetic_subject(&tmp.path().join("healthy"));
    let regime = |keep: bool| -> RegimeConfig {
        toml::from_str(&format!(
            "name = \"R\"\nimages = 100\nbatch_size = 50\nlr = 0.05\nmomentum = 0.9\n\
             keep_optimizer = {keep}\nfresh_draw = false"
        ))
        .unwrap()
    };
    let step = |iteration| Step {
        regime: 0,
        cycle: 0,
        iteration,
    };
    // Without keep_optimizer: no optimizer is kept, and the same retraining from the same
    // weights gives the same weights (fresh momentum each time).
    let mut kept = None;
    retrain(&s, &split.train, &regime(false), 1, step(2), &mut kept).unwrap();
    assert!(kept.is_none());
    let fresh = s.synapses();
    s.reset(); // every variable and buffer back to the healthy model's
    retrain(&s, &split.train, &regime(false), 1, step(2), &mut kept).unwrap();
    assert!(s.synapses() == fresh, "a fresh optimizer each time");

    // With it: the optimizer of iteration 1 is kept with non-zero momentum, and iteration 2's
    // retraining from the same weights ends elsewhere than with fresh momentum.
    s.reset(); // every variable and buffer back to the healthy model's
    let mut kept = None;
    retrain(&s, &split.train, &regime(true), 1, step(1), &mut kept).unwrap();
    let buffers = kept.as_ref().expect("the optimizer is kept").buffers();
    assert!(!buffers.is_empty());
    assert!(buffers
        .iter()
        .any(|(_, b)| b.abs().max().double_value(&[]) > 0.0));
    s.reset(); // every variable and buffer back to the healthy model's
    retrain(&s, &split.train, &regime(true), 1, step(2), &mut kept).unwrap();
    assert!(s.synapses() != fresh, "the kept momentum changed nothing");
}

/// A step state that does not fit the model is an error naming the file, not a panic or a
/// partly restored model; one that fits restores the saved weights.
#[test]
fn a_step_state_that_does_not_fit_is_refused() {
    use atrophy::experiment::step_state;
    let tmp = tempfile::tempdir().unwrap();
    let (mut s, _) = common::synthetic_subject(&tmp.path().join("healthy"));
    let out = tmp.path().join("run");
    step_state::save(&out, 3, &s, None).unwrap();
    assert!(
        step_state::load(&out, 3, &mut s).unwrap().is_none(),
        "no momentum saved"
    );
    // Another model's weights under the same file name.
    let w = out.join("state/step-3.weights.safetensors");
    let mut named = atrophy::checkpoint::read_tensors(&w).unwrap();
    let name = named[0].0.clone();
    let numel = named[0].1.numel() as i64;
    named[0].1 = tch::Tensor::zeros([numel + 1], (tch::Kind::Float, tch::Device::Cpu));
    atrophy::checkpoint::write_tensors(&w, &named).unwrap();
    let e = step_state::load(&out, 3, &mut s).unwrap_err().to_string();
    assert!(
        e.contains("step-3.weights.safetensors") && e.contains(&name),
        "{e}"
    );
}
