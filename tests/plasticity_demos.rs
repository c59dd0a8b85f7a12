//! The plasticity demos of `atrophy plasticity`, called as library functions
//! (`atrophy::plasticity::demos`): what each must show, and the same rows for the same seed.
use atrophy::plasticity::demos::{self, DbnEvent};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[test]
fn hopfield_capacity_demo_breaks_down_near_0_138_n() {
    let o = demos::CapacityOptions {
        sizes: vec![400],
        loads: vec![0.05, 0.10, 0.20, 0.25],
        ..Default::default()
    };
    let mut seen = 0;
    let points = demos::hopfield_capacity(&o, 5, |_| seen += 1).unwrap();
    assert_eq!(seen, 4);
    assert_eq!(
        points.iter().map(|p| (p.n, p.patterns)).collect::<Vec<_>>(),
        [(400, 20), (400, 40), (400, 80), (400, 100)]
    );
    // The edge near 0.138 N, bracketed (see tests/plasticity.rs).
    assert!(points[0].recall_rate > 0.95, "{points:?}");
    assert!(points[1].recall_rate > 0.9, "{points:?}");
    assert!(points[2].recall_rate < 0.5, "{points:?}");
    assert!(points[3].recall_rate < 0.5, "{points:?}");
    assert_eq!(points, demos::hopfield_capacity(&o, 5, |_| {}).unwrap());
    // The command's sweep: 4 sizes x 15 loads from 0.02 to 0.30.
    let d = demos::CapacityOptions::default();
    assert_eq!((d.sizes.len(), d.loads.len()), (4, 15));
    assert!((d.loads[14] - 0.3).abs() < 1e-12);
}

#[test]
fn modern_hopfield_demo_retrieves_far_beyond_classic_capacity_and_refuses_bad_beta() {
    let o = demos::ModernOptions {
        d: 64,
        loads: vec![2.0],
        beta: 1.0,
    };
    let points = demos::modern_hopfield(&o, 6).unwrap();
    assert_eq!(points.len(), 1);
    assert_eq!(points[0].patterns, 128);
    // Load P/d = 2, fifteen times the classic 0.138.
    assert!(points[0].success_rate > 0.95, "{points:?}");
    for beta in [0.0, -1.0, f64::NAN] {
        let bad = demos::ModernOptions { beta, ..o.clone() };
        let e = demos::modern_hopfield(&bad, 6).unwrap_err();
        assert!(e.contains("beta"), "{e}");
    }
}

#[test]
fn oja_demo_converges_to_the_unit_first_principal_component() {
    let o = demos::OjaOptions::default();
    let points = demos::oja(&o, 0).unwrap();
    assert_eq!(points.len(), 101);
    assert_eq!((points[0].step, points[100].step), (0, 20_000));
    let last = points.last().unwrap();
    assert!(
        last.abs_cos > 0.99 && (last.norm - 1.0).abs() < 0.05,
        "{last:?}"
    );
    assert_eq!(points, demos::oja(&o, 0).unwrap());
    assert_ne!(points, demos::oja(&o, 1).unwrap());
    let bad = demos::OjaOptions {
        eta: 1.5,
        ..Default::default()
    };
    let e = demos::oja(&bad, 0).unwrap_err();
    assert!(e.contains("eta 1.5 is out of range"), "{e}");
}

/// The 32 images of 4x4 bars and stripes, one per row.
fn bars_and_stripes() -> Array2<f64> {
    Array2::from_shape_fn((32, 16), |(r, i)| {
        let (mask, horizontal) = (r as u32 / 2, r % 2 == 1);
        let line = if horizontal { i / 4 } else { i % 4 };
        ((mask >> line) & 1) as f64
    })
}

#[test]
fn rbm_demo_lowers_the_reconstruction_error_and_returns_its_pictures() {
    let data = bars_and_stripes();
    let o = demos::RbmDemoOptions {
        hidden: 16,
        epochs: 300,
        batch: 8,
        lr: 0.1,
        shown: 4,
        gibbs_steps: 50,
        ..Default::default()
    };
    let mut calls = Vec::new();
    let run = demos::rbm(data.view(), data.view(), &o, 7, |done, total| {
        calls.push((done, total))
    })
    .unwrap();
    assert_eq!(calls.len(), 300 * 4);
    assert_eq!(*calls.last().unwrap(), (1200, 1200));
    assert_eq!(run.curve.len(), 301);
    let (before, after) = (run.curve[0].test_error, run.curve[300].test_error);
    assert!(
        after < 0.4 * before,
        "reconstruction error {before} -> {after}"
    );
    assert_eq!(run.originals.len(), 4);
    assert_eq!(run.originals[1], data.row(1).to_vec());
    assert_eq!(run.reconstructions.len(), 4);
    assert_eq!(run.samples.len(), 4);
    assert!(run
        .samples
        .iter()
        .flatten()
        .all(|p| (0.0..=1.0).contains(p) && run.samples[0].len() == 16));
    let again = demos::rbm(data.view(), data.view(), &o, 7, |_, _| {}).unwrap();
    assert_eq!((&run.curve, &run.samples), (&again.curve, &again.samples));
    let e = demos::rbm(data.view(), Array2::zeros((2, 5)).view(), &o, 7, |_, _| {}).unwrap_err();
    assert!(e.contains("pixels"), "{e}");
}

/// `n` noisy copies (bits flipped with probability 0.15) of 5 random 64-bit prototypes, row i
/// of class i % 5: the data of `plasticity_dbn`'s fine-tuning test.
fn prototypes(n: usize, rng: &mut ChaCha8Rng) -> demos::Images {
    let mut proto_rng = ChaCha8Rng::seed_from_u64(2);
    let protos: Vec<Vec<bool>> = (0..5)
        .map(|_| (0..64).map(|_| proto_rng.random_bool(0.5)).collect())
        .collect();
    let labels: Vec<usize> = (0..n).map(|i| i % 5).collect();
    let x = Array2::from_shape_fn((n, 64), |(i, j)| {
        f64::from(u8::from(protos[labels[i]][j] ^ rng.random_bool(0.15)))
    });
    demos::Images { x, labels }
}

#[test]
fn dbn_demo_pretrains_every_layer_and_its_classifier_learns() {
    let mut rng = ChaCha8Rng::seed_from_u64(31);
    let (train, test) = (prototypes(500, &mut rng), prototypes(500, &mut rng));
    let o = demos::DbnDemoOptions {
        hidden: vec![48, 24],
        epochs: 10,
        batch: 20,
        pretrain_lr: 0.1,
        finetune_epochs: 20,
        finetune_batch: 20,
        lr: 0.5,
        ..Default::default()
    };
    let mut events = Vec::new();
    let run = demos::dbn(&train, &test, 5, &o, 3, |e, done, total| {
        events.push((*e, done, total))
    })
    .unwrap();
    assert_eq!(run.sizes, [64, 48, 24]);
    // 2 layers x 10 epochs x 25 batches, then 20 epochs for each of the two networks.
    let total = 2 * 10 * 25 + 2 * 20;
    assert_eq!(events.len(), 2 * 10 + 2 * 20);
    assert_eq!(events.last().unwrap().1, total);
    assert!(events.iter().all(|e| e.2 == total));
    assert!(matches!(events[0].0, DbnEvent::Pretrained(p) if p.layer == 0 && p.epoch == 1));
    for layer in 0..2 {
        let errs: Vec<f64> = run
            .pretraining
            .iter()
            .filter(|p| p.layer == layer)
            .map(|p| p.error)
            .collect();
        assert_eq!(errs.len(), 10);
        assert!(errs[9] < errs[0], "layer {layer}: {errs:?}");
    }
    let labels: Vec<&str> = run.networks.iter().map(|n| n.label).collect();
    assert_eq!(labels, ["DBN (pretrained)", "random init"]);
    let pretrained = &run.networks[0];
    assert_eq!(pretrained.epochs.len(), 20);
    let losses: Vec<f64> = pretrained.epochs.iter().map(|p| p.train_loss).collect();
    assert!(losses[19] < 0.5 * losses[0], "{losses:?}");
    let acc = pretrained.epochs[19].test_accuracy;
    assert!(acc > 0.9, "pretrained classifier: test accuracy {acc}");
    assert_eq!(
        run,
        demos::dbn(&train, &test, 5, &o, 3, |_, _, _| {}).unwrap()
    );
}

#[test]
fn binarise_thresholds_at_127_and_keeps_labels() {
    let split = atrophy::data::synthetic(&atrophy::data::SyntheticSpec {
        channels: 1,
        size: 6,
        classes: 3,
        train: 10,
        test: 5,
        noise: 60,
        seed: 1,
    });
    let b = demos::binarise(&split.train, 4);
    assert_eq!(b.x.dim(), (4, 36));
    for i in 0..4 {
        for (j, &p) in split.train.image(i).iter().enumerate() {
            assert_eq!(b.x[[i, j]], if p > 127 { 1.0 } else { 0.0 });
        }
        assert_eq!(b.labels[i], split.train.labels[i] as usize);
    }
    assert_eq!(demos::binarise(&split.test, 100).x.nrows(), 5);
}
