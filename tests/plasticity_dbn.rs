//! Deep belief network (P9): greedy layer-wise pretraining and supervised fine-tuning, without
//! libtorch (`cargo test --no-default-features --test plasticity_dbn`).
use atrophy::plasticity::{Dbn, DbnClassifier, DbnGradient, Rbm};
use ndarray::{Array2, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `n` noisy copies of `classes` random binary prototypes of `width` bits, each bit flipped with
/// probability `noise`; row i belongs to class i % classes. The prototypes come from `proto_rng`
/// so that train and test sets can share them while drawing different noise.
fn noisy_prototypes(
    classes: usize,
    width: usize,
    n: usize,
    noise: f64,
    proto_seed: u64,
    rng: &mut ChaCha8Rng,
) -> (Array2<f64>, Vec<usize>) {
    let mut proto_rng = ChaCha8Rng::seed_from_u64(proto_seed);
    let protos: Vec<Vec<bool>> = (0..classes)
        .map(|_| (0..width).map(|_| proto_rng.random_bool(0.5)).collect())
        .collect();
    let labels: Vec<usize> = (0..n).map(|i| i % classes).collect();
    let x = Array2::from_shape_fn((n, width), |(i, j)| {
        let bit = protos[labels[i]][j] ^ rng.random_bool(noise);
        if bit {
            1.0
        } else {
            0.0
        }
    });
    (x, labels)
}

/// Largest difference between two gradients, each parameter array's differences taken relative
/// to that array's largest entry: entries far below their array's scale sit at the noise floor of
/// finite differences (~1e-10), so a plain entry-wise relative error would judge the noise.
fn max_rel_error(a: &DbnGradient, b: &DbnGradient) -> f64 {
    fn rel<'a>(x: impl Iterator<Item = (&'a f64, &'a f64)> + Clone) -> f64 {
        let scale = x
            .clone()
            .map(|(p, q)| p.abs().max(q.abs()))
            .fold(1e-12, f64::max);
        x.map(|(p, q)| (p - q).abs()).fold(0.0, f64::max) / scale
    }
    let w = a
        .weights
        .iter()
        .zip(&b.weights)
        .map(|(x, y)| rel(x.iter().zip(y.iter())));
    let bias = a
        .biases
        .iter()
        .zip(&b.biases)
        .map(|(x, y)| rel(x.iter().zip(y.iter())));
    w.chain(bias).fold(0.0, f64::max)
}

/// d loss / d parameter by central differences, one parameter at a time.
fn numerical_gradient(clf: &DbnClassifier, x: ArrayView2<f64>, labels: &[usize]) -> DbnGradient {
    let eps = 1e-6;
    let mut net = clf.clone();
    let mut weights = Vec::new();
    let mut biases = Vec::new();
    for l in 0..clf.weights().len() {
        let mut gw = Array2::zeros(clf.weights()[l].raw_dim());
        for idx in ndarray::indices(gw.raw_dim()) {
            let orig = clf.weights()[l][idx];
            net.weight_mut(l).unwrap()[idx] = orig + eps;
            let up = net.loss(x, labels).unwrap();
            net.weight_mut(l).unwrap()[idx] = orig - eps;
            let down = net.loss(x, labels).unwrap();
            net.weight_mut(l).unwrap()[idx] = orig;
            gw[idx] = (up - down) / (2.0 * eps);
        }
        weights.push(gw);
        let mut gb = ndarray::Array1::zeros(clf.biases()[l].len());
        for i in 0..gb.len() {
            let orig = clf.biases()[l][i];
            net.bias_mut(l).unwrap()[i] = orig + eps;
            let up = net.loss(x, labels).unwrap();
            net.bias_mut(l).unwrap()[i] = orig - eps;
            let down = net.loss(x, labels).unwrap();
            net.bias_mut(l).unwrap()[i] = orig;
            gb[i] = (up - down) / (2.0 * eps);
        }
        biases.push(gb);
    }
    DbnGradient {
        loss: clf.loss(x, labels).unwrap(),
        weights,
        biases,
    }
}

#[test]
fn backprop_matches_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let x = Array2::from_shape_fn((7, 5), |_| rng.random::<f64>());
    let labels = [0, 1, 2, 2, 1, 0, 2];
    // Random init, and a pretrained one (different weight statistics, biases not zero).
    let random = DbnClassifier::random(&[5, 4, 3], 3, &mut rng).unwrap();
    let dbn = Dbn::pretrain(x.view(), &[5, 4, 3], 20, 3, 1, 0.5, &mut rng, |_, _, _| {}).unwrap();
    let pretrained = DbnClassifier::from_dbn(&dbn, 3, &mut rng).unwrap();
    let mut nets = [random, pretrained];
    for net in &mut nets {
        // Larger softmax weights than the 0.01 init, so that the hidden layers get gradients
        // well above the noise floor of finite differences.
        net.weight_mut(2)
            .unwrap()
            .mapv_inplace(|_| rng.random_range(-2.0..2.0));
    }
    for clf in nets {
        let analytic = clf.gradient(x.view(), &labels).unwrap();
        let numeric = numerical_gradient(&clf, x.view(), &labels);
        assert_eq!(analytic.loss, numeric.loss);
        let err = max_rel_error(&analytic, &numeric);
        assert!(
            err < 1e-6,
            "backprop vs finite differences: max rel error {err}"
        );
        // Every layer's gradient must be materially non-zero, or the check would prove nothing.
        for (l, g) in analytic.weights.iter().enumerate() {
            let norm = g.mapv(|v| v * v).sum().sqrt();
            assert!(norm > 1e-3, "layer {l} weight gradient norm {norm}");
        }
        // Negative control: an error of 1% of the first layer's scale in one entry is caught.
        let mut wrong = analytic.clone();
        let scale = wrong.weights[0].fold(0.0, |m: f64, v| m.max(v.abs()));
        wrong.weights[0][[2, 1]] += 0.01 * scale;
        assert!(max_rel_error(&wrong, &numeric) > 1e-3);
    }
}

#[test]
fn zero_network_gives_uniform_probabilities_and_log_c_loss() {
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let mut clf = DbnClassifier::random(&[3, 2], 4, &mut rng).unwrap();
    for l in 0..2 {
        clf.weight_mut(l).unwrap().fill(0.0);
        clf.bias_mut(l).unwrap().fill(0.0);
    }
    let x = Array2::from_shape_fn((5, 3), |_| rng.random::<f64>());
    let p = clf.probabilities(x.view()).unwrap();
    assert!(p.iter().all(|&q| (q - 0.25).abs() < 1e-15));
    let loss = clf.loss(x.view(), &[0, 1, 2, 3, 0]).unwrap();
    assert!((loss - 4f64.ln()).abs() < 1e-12, "loss {loss}");
    assert_eq!(clf.sizes(), vec![3, 2, 4]);
    assert_eq!(clf.classes(), 4);
}

#[test]
fn pretraining_lowers_every_layers_reconstruction_error() {
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let (x, _) = noisy_prototypes(4, 64, 400, 0.05, 1, &mut rng);
    let sizes = [64, 32, 16];
    let epochs = 15;
    let mut log: Vec<(usize, usize, f64)> = Vec::new();
    let dbn = Dbn::pretrain(
        x.view(),
        &sizes,
        epochs,
        20,
        1,
        0.1,
        &mut rng,
        |l, e, err| log.push((l, e, err)),
    )
    .unwrap();
    assert_eq!(dbn.sizes(), sizes.to_vec());
    // One call per layer and epoch, in order.
    let expected: Vec<(usize, usize)> = (0..2)
        .flat_map(|l| (1..=epochs).map(move |e| (l, e)))
        .collect();
    assert_eq!(
        log.iter().map(|&(l, e, _)| (l, e)).collect::<Vec<_>>(),
        expected
    );
    let finals = dbn.reconstruction_errors(x.view()).unwrap();
    let reps = dbn.representations(x.view()).unwrap();
    for l in 0..2 {
        let errs: Vec<f64> = log.iter().filter(|r| r.0 == l).map(|r| r.2).collect();
        // The callback's last value is the trained layer's error on its final input.
        assert!((errs[epochs - 1] - finals[l]).abs() < 1e-12);
        // An untrained RBM of the same shape on the same input is the reference.
        let input = if l == 0 { x.view() } else { reps[l - 1].view() };
        let untrained = Rbm::new(sizes[l], sizes[l + 1], &mut rng).reconstruction_error(input);
        eprintln!(
            "layer {l}: untrained {untrained:.4}, epoch 1 {:.4}, final {:.4}",
            errs[0], finals[l]
        );
        assert!(finals[l] < errs[0], "layer {l}: {errs:?}");
        assert!(
            finals[l] < 0.5 * untrained,
            "layer {l}: final {} vs untrained {untrained}",
            finals[l]
        );
    }
}

#[test]
fn fine_tuned_dbn_classifies_noisy_prototypes() {
    let mut rng = ChaCha8Rng::seed_from_u64(31);
    let (classes, width) = (5, 64);
    let (x, y) = noisy_prototypes(classes, width, 500, 0.15, 2, &mut rng);
    let (xt, yt) = noisy_prototypes(classes, width, 500, 0.15, 2, &mut rng);
    let sizes = [width, 48, 24];
    let dbn = Dbn::pretrain(x.view(), &sizes, 10, 20, 1, 0.1, &mut rng, |_, _, _| {}).unwrap();
    let mut clf = DbnClassifier::from_dbn(&dbn, classes, &mut rng).unwrap();
    // Unrolling copies the RBMs' weights and hidden biases.
    for (l, rbm) in dbn.layers().iter().enumerate() {
        assert_eq!(clf.weights()[l], rbm.w);
        assert_eq!(clf.biases()[l], rbm.c);
    }
    assert_eq!(clf.sizes(), vec![width, 48, 24, classes]);
    let mut losses = Vec::new();
    for _ in 0..20 {
        losses.push(clf.train_epoch(x.view(), &y, 20, 0.5, &mut rng).unwrap());
    }
    let acc = clf.accuracy(xt.view(), &yt).unwrap();
    let mut baseline = DbnClassifier::random(&sizes, classes, &mut rng).unwrap();
    for _ in 0..20 {
        baseline
            .train_epoch(x.view(), &y, 20, 0.5, &mut rng)
            .unwrap();
    }
    let base_acc = baseline.accuracy(xt.view(), &yt).unwrap();
    eprintln!(
        "test accuracy: fine-tuned DBN {acc:.3}, random init {base_acc:.3}; losses {:.4} -> {:.4}",
        losses[0],
        losses[losses.len() - 1]
    );
    assert!(losses[losses.len() - 1] < 0.5 * losses[0], "{losses:?}");
    assert!(acc > 0.9, "test accuracy {acc}");
    let pred = clf.predict(xt.view()).unwrap();
    assert_eq!(pred.len(), 500);
    assert!(pred.iter().all(|&c| c < classes));
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let mut rng = ChaCha8Rng::seed_from_u64(41);
    let x = Array2::from_shape_fn((10, 6), |_| if rng.random_bool(0.5) { 1.0 } else { 0.0 });
    let mut pretrain = |data: ArrayView2<f64>, sizes: &[usize], epochs, batch, k, lr: f64| {
        Dbn::pretrain(data, sizes, epochs, batch, k, lr, &mut rng, |_, _, _| {}).unwrap_err()
    };
    let cases = [
        (pretrain(x.view(), &[], 1, 2, 1, 0.1), "empty"),
        (pretrain(x.view(), &[6], 1, 2, 1, 0.1), "at least 2"),
        (pretrain(x.view(), &[6, 0], 1, 2, 1, 0.1), "size 0"),
        (pretrain(x.view(), &[6, 3], 0, 2, 1, 0.1), "epochs"),
        (pretrain(x.view(), &[6, 3], 1, 0, 1, 0.1), "batch"),
        (pretrain(x.view(), &[6, 3], 1, 2, 0, 0.1), "k >= 1"),
        (pretrain(x.view(), &[6, 3], 1, 2, 1, 0.0), "learning rate"),
        (pretrain(x.view(), &[6, 3], 1, 2, 1, -1.0), "learning rate"),
        (
            pretrain(x.view(), &[6, 3], 1, 2, 1, f64::NAN),
            "learning rate",
        ),
        (
            pretrain(x.view(), &[6, 3], 1, 2, 1, f64::INFINITY),
            "learning rate",
        ),
        (pretrain(x.view(), &[7, 3], 1, 2, 1, 0.1), "columns"),
        (
            pretrain(x.slice(ndarray::s![..0, ..]), &[6, 3], 1, 2, 1, 0.1),
            "row",
        ),
        (pretrain((&x * 2.0).view(), &[6, 3], 1, 2, 1, 0.1), "[0, 1]"),
    ];
    for (err, needle) in cases {
        assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    }

    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let dbn = Dbn::pretrain(x.view(), &[6, 3], 1, 5, 1, 0.1, &mut rng, |_, _, _| {}).unwrap();
    assert!(Dbn::from_layers(vec![]).is_err());
    let mismatched = vec![Rbm::new(6, 3, &mut rng), Rbm::new(4, 2, &mut rng)];
    assert!(Dbn::from_layers(mismatched)
        .unwrap_err()
        .contains("hidden units"));
    assert!(dbn.representations(x.t()).is_err());
    assert!(dbn.reconstruction_errors(x.t()).is_err());

    assert!(DbnClassifier::from_dbn(&dbn, 1, &mut rng)
        .unwrap_err()
        .contains("2 classes"));
    assert!(DbnClassifier::random(&[], 3, &mut rng)
        .unwrap_err()
        .contains("empty"));
    assert!(DbnClassifier::random(&[6, 0], 3, &mut rng).is_err());
    let mut clf = DbnClassifier::from_dbn(&dbn, 3, &mut rng).unwrap();
    let labels = vec![0, 1, 2, 0, 1, 2, 0, 1, 2, 0];
    let errs = [
        clf.train_epoch(x.view(), &labels[..9], 2, 0.1, &mut rng)
            .unwrap_err(),
        clf.train_epoch(x.view(), &[3; 10], 2, 0.1, &mut rng)
            .unwrap_err(),
        clf.train_epoch(x.view(), &labels, 0, 0.1, &mut rng)
            .unwrap_err(),
        clf.train_epoch(x.view(), &labels, 2, f64::NAN, &mut rng)
            .unwrap_err(),
        clf.train_epoch(x.t(), &labels[..6], 2, 0.1, &mut rng)
            .unwrap_err(),
        clf.accuracy(x.slice(ndarray::s![..0, ..]), &[])
            .unwrap_err(),
        clf.accuracy(x.view(), &[5; 10]).unwrap_err(),
        clf.predict(x.t()).unwrap_err(),
        clf.probabilities(x.t()).unwrap_err(),
        clf.loss(x.view(), &labels[..3]).unwrap_err(),
        clf.gradient(x.view(), &[9; 10]).unwrap_err(),
    ];
    let needles = [
        "9 labels for 10",
        "label 3 at row 0",
        "batch",
        "learning rate",
        "columns",
        "no rows",
        "out of range",
        "columns",
        "columns",
        "3 labels",
        "out of range",
    ];
    for (err, needle) in errs.iter().zip(needles) {
        assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    }
    assert!(clf.weight_mut(2).is_none() && clf.bias_mut(2).is_none());
    // A NaN input yields a prediction, not a panic.
    let mut nan = x.clone();
    nan[[0, 0]] = f64::NAN;
    assert_eq!(clf.predict(nan.view()).unwrap().len(), 10);
}
