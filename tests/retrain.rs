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

/// The synapses after one retraining of the synthetic subject by a regime of 100 images (batch
/// 50, lr 0.05) with each of `extras` added to its settings, every one from the same weights.
fn retrained_from_the_same_weights<const N: usize>(extras: [&str; N]) -> [Vec<Vec<f32>>; N] {
    let tmp = tempfile::tempdir().unwrap();
    let (mut s, split) = common::synthetic_subject(&tmp.path().join("healthy"));
    let step = Step {
        regime: 0,
        cycle: 0,
        iteration: 1,
    };
    extras.map(|extra| {
        let r: RegimeConfig = toml::from_str(&format!(
            "name = \"R\"\nimages = 100\nbatch_size = 50\nlr = 0.05\n{extra}"
        ))
        .unwrap();
        s.reset();
        retrain(&s, &split.train, &r, 1, step, &mut None).unwrap();
        s.synapses()
    })
}

/// A regime's `label_smoothing` reaches the retraining's loss: the same retraining from the
/// same weights and images ends elsewhere with e = 0.1 than with plain cross-entropy, and the
/// same again with e = 0.1; out-of-range values and a local rule with it are refused.
#[test]
fn label_smoothing_reaches_the_retraining() {
    let [plain, smoothed, again] =
        retrained_from_the_same_weights(["", "label_smoothing = 0.1", "label_smoothing = 0.1"]);
    assert!(plain != smoothed, "label smoothing changed nothing");
    assert!(smoothed == again);
    let cfg = |regime: &str| one_regime("R", regime);
    let e = cfg("images = 10\nlabel_smoothing = 1.0").unwrap_err();
    assert!(
        e.contains("regime[0] (R).label_smoothing = 1 is out of range"),
        "{e}"
    );
    let e = cfg("images = 10\nrule = \"oja\"\nlabel_smoothing = 0.1").unwrap_err();
    assert!(
        e.contains("regime[0] (R).label_smoothing: a local rule"),
        "{e}"
    );
    assert!(cfg("images = 10\nlabel_smoothing = 0.1").is_ok());
}

/// A regime's `precision = "bf16"` retrains under autocast: from the same weights and images it
/// ends elsewhere than float32, and the same again with bf16; a local rule with it is refused,
/// and an unknown precision names the choices.
#[test]
fn bf16_precision_reaches_the_retraining() {
    let [fp32, bf16, again] =
        retrained_from_the_same_weights(["", "precision = \"bf16\"", "precision = \"bf16\""]);
    assert!(fp32 != bf16, "bf16 changed nothing");
    assert!(bf16 == again);
    let cfg = |regime: &str| one_regime("R", regime);
    let e = cfg("images = 10\nrule = \"oja\"\nprecision = \"bf16\"").unwrap_err();
    assert!(e.contains("regime[0] (R).precision: a local rule"), "{e}");
    let e = cfg("images = 10\nprecision = \"fp16\"").unwrap_err();
    assert!(e.contains("fp32") && e.contains("bf16"), "{e}");
    assert!(cfg("images = 10\nprecision = \"bf16\"").is_ok());
}

/// `source = "uncertain"` takes the R training images on which the network's predictive entropy
/// is highest, as computed directly from its logits here; a static regime, a regime without
/// `images` or with `fresh_draw = false` is refused, naming the field.
#[test]
fn uncertain_takes_the_highest_entropy_images() {
    use atrophy::experiment::retrain::{judge, retraining_images, Pools};
    use tch::Kind;
    let tmp = tempfile::tempdir().unwrap();
    let (s, split) = common::synthetic_subject(&tmp.path().join("healthy"));
    let r: RegimeConfig =
        toml::from_str("name = \"U\"\nimages = 40\nsource = \"uncertain\"").unwrap();
    let step = Step {
        regime: 0,
        cycle: 0,
        iteration: 1,
    };
    let judged = judge(&s, &split.train, &r);
    let chosen = retraining_images(&split.train, &r, 1, step, judged.as_ref(), Pools::default())
        .unwrap()
        .unwrap();
    // Directly: softmax of the logits in eval mode, H = -sum p ln p, the 40 largest.
    let all: Vec<usize> = (0..split.train.len()).collect();
    let (x, _) = atrophy::train::make_batch::<rand_chacha::ChaCha8Rng>(
        &split.train,
        &all,
        &s.norm,
        None,
        tch::Device::Cpu,
    );
    let p = tch::no_grad(|| s.net.forward_t(&x, false))
        .to_kind(Kind::Double)
        .softmax(-1, Kind::Double);
    let h: Vec<f64> =
        Vec::try_from(-(&p * p.log()).sum_dim_intlist(-1, false, Kind::Double)).unwrap();
    let mut order = all.clone();
    order.sort_by(|&a, &b| h[b].total_cmp(&h[a]).then(a.cmp(&b)));
    let mut want = order[..40].to_vec();
    want.sort_unstable();
    assert_eq!(chosen, want);
    // Not the same as a random draw, and above the median entropy.
    let mut sorted = h.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    assert!(chosen.iter().all(|&i| h[i] >= median));
    let cfg = |regime: &str| one_regime("U", regime);
    let e = cfg("source = \"uncertain\"").unwrap_err();
    assert!(
        e.contains("regime[0] (U).source") && e.contains("images"),
        "{e}"
    );
    let e = cfg("images = 10\nsource = \"uncertain\"\nfresh_draw = false").unwrap_err();
    assert!(e.contains("regime[0] (U).fresh_draw"), "{e}");
    let e = cfg("static = true\nsource = \"uncertain\"").unwrap_err();
    assert!(e.contains("regime[0] (U).source"), "{e}");
}

/// An experiment config with one regime named `name` of settings `regime`, parsed and checked
/// (the error's text on failure).
fn one_regime(name: &str, regime: &str) -> Result<atrophy::experiment::ExperimentConfig, String> {
    atrophy::experiment::ExperimentConfig::from_toml(
        &format!(
            "name = \"t\"\n[data]\ndataset = \"synthetic\"\n[healthy]\ncheckpoint = \"m\"\n\
             [injury]\nkind = \"decay\"\niterations = 2\n[[regime]]\nname = \"{name}\"\n{regime}"
        ),
        "t.toml",
    )
    .map_err(|e| e.to_string())
}
