//! OBD and Taylor saliency (the `obd` and `taylor` injury selections) against the formulas,
//! recomputed here from one gradient of the mean cross-entropy over the images: with every
//! image in one saliency batch, OBD is 0.5 g^2 w^2 and Taylor |g w| for each synapse.
#![cfg(feature = "torch")]
use atrophy::experiment::record::Step;
use atrophy::experiment::retrain::saliency;
use atrophy::injury::Selection;
use tch::Kind;

mod common;

#[test]
fn obd_and_taylor_scores_follow_their_formulas() {
    let tmp = tempfile::tempdir().unwrap();
    let (s, split) = common::synthetic_subject(&tmp.path().join("healthy"));
    // 100 images: fewer than one saliency batch (128), so the batch holds them all and its mean
    // gradient does not depend on the order they were drawn in.
    let images = split.train.select(&(0..100).collect::<Vec<_>>());
    let step = Step {
        regime: 0,
        cycle: 0,
        iteration: 1,
    };
    let obd = saliency(&s, &images, Selection::Obd, 1, 0, step);
    let taylor = saliency(&s, &images, Selection::Taylor, 1, 0, step);

    // The gradient of the mean loss over the 100 images, in their own order.
    let vars = s.vs.variables();
    for v in vars.values() {
        let mut g = v.grad();
        if g.defined() {
            let _ = g.zero_();
        }
    }
    let all: Vec<usize> = (0..images.len()).collect();
    let (x, y) = atrophy::train::make_batch::<rand_chacha::ChaCha8Rng>(
        &images, &all, &s.norm, None, s.device,
    );
    s.net
        .forward_t(&x, false)
        .cross_entropy_for_logits(&y)
        .backward();
    assert_eq!(obd.len(), s.synapse_names.len());
    for (k, name) in s.synapse_names.iter().enumerate() {
        let w = &vars[name];
        let g = w.grad();
        let want_obd = tch::no_grad(|| &g * &g * w * w * 0.5);
        let want_taylor = tch::no_grad(|| (&g * w).abs());
        for (got, want, what) in [
            (&obd[k], want_obd, "OBD"),
            (&taylor[k], want_taylor, "Taylor"),
        ] {
            let want = Vec::<f32>::try_from(want.to_kind(Kind::Float).flatten(0, -1)).unwrap();
            assert_eq!(got.len(), want.len(), "{what} {name}");
            let scale = want.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-30);
            let worst = got
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs() / scale)
                .fold(0f32, f32::max);
            assert!(
                worst < 1e-4,
                "{what} {name}: off by {worst} of the largest score"
            );
            assert!(want.iter().any(|v| *v > 0.0), "{what} {name}: all zero");
        }
    }
}
