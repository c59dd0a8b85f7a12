//! An RBM trained by CD-k on binary images: reconstruction error per epoch, reconstructions and
//! samples.
use super::demo_rng;
use crate::plasticity::Rbm;
use ndarray::{s, ArrayView2, Axis};
use rand::seq::SliceRandom;

/// Settings of the RBM demo.
#[derive(Clone, Debug, PartialEq)]
pub struct RbmDemoOptions {
    /// Hidden units.
    pub hidden: usize,
    /// Passes of CD-k over the training images.
    pub epochs: usize,
    /// Gibbs steps of CD-k.
    pub k: usize,
    /// Images per CD update.
    pub batch: usize,
    /// Learning rate of CD-k.
    pub lr: f64,
    /// Test images shown (with their reconstructions), and samples drawn, for the picture.
    pub shown: usize,
    /// Gibbs steps of each sample.
    pub gibbs_steps: usize,
}

impl Default for RbmDemoOptions {
    /// The command's settings: 128 hidden units, 5 epochs of CD-1 in batches of 100 at lr 0.05;
    /// 10 images shown and 10 samples after 1000 Gibbs steps.
    fn default() -> Self {
        RbmDemoOptions {
            hidden: 128,
            epochs: 5,
            k: 1,
            batch: 100,
            lr: 0.05,
            shown: 10,
            gibbs_steps: 1000,
        }
    }
}

/// The reconstruction errors after one epoch (a row of `rbm.csv`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RbmEpoch {
    /// Epochs trained (0: the untrained RBM).
    pub epoch: usize,
    /// Mean squared reconstruction error on the training images: for epoch 0 of the untrained
    /// RBM, afterwards the mean over the epoch's batches of CD's first Gibbs step (each batch's
    /// error a mean per image and pixel).
    pub train_error: f64,
    /// Mean squared reconstruction error (mean field) on the test images after the epoch.
    pub test_error: f64,
}

/// What the RBM demo produces.
#[derive(Clone, Debug)]
pub struct RbmDemo {
    /// The trained RBM.
    pub rbm: Rbm,
    /// One row per epoch, from epoch 0.
    pub curve: Vec<RbmEpoch>,
    /// The first `shown` test images.
    pub originals: Vec<Vec<f64>>,
    /// Their reconstructions (visible probabilities given the hidden probabilities).
    pub reconstructions: Vec<Vec<f64>>,
    /// `shown` samples of the model, each after `gibbs_steps` Gibbs steps.
    pub samples: Vec<Vec<f64>>,
}

/// Trains an RBM by CD-k on the rows of `train` (values in {0, 1}), shuffled every epoch,
/// measuring the test images' reconstruction error after every epoch; then reconstructs the
/// first test images and draws samples. `on_batch(done, total)` sees every CD update.
pub fn rbm(
    train: ArrayView2<f64>,
    test: ArrayView2<f64>,
    o: &RbmDemoOptions,
    seed: u64,
    mut on_batch: impl FnMut(usize, usize),
) -> Result<RbmDemo, String> {
    if o.hidden == 0 || o.epochs == 0 || o.k == 0 || o.batch == 0 {
        return Err("hidden, epochs, k and batch must be at least 1".into());
    }
    let n = train.nrows();
    if n == 0 || test.nrows() == 0 {
        return Err("the RBM demo needs at least one training and one test image".into());
    }
    if test.ncols() != train.ncols() {
        return Err(format!(
            "the test images have {} pixels, the training images {}",
            test.ncols(),
            train.ncols()
        ));
    }
    let mut rng = demo_rng(seed);
    let mut rbm = Rbm::new(train.ncols(), o.hidden, &mut rng);
    let total = o.epochs * n.div_ceil(o.batch);
    let mut curve = vec![RbmEpoch {
        epoch: 0,
        train_error: rbm.reconstruction_error(train),
        test_error: rbm.reconstruction_error(test),
    }];
    let mut done = 0;
    for epoch in 1..=o.epochs {
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut rng);
        let mut sum = 0.0;
        for chunk in order.chunks(o.batch) {
            let v = train.select(Axis(0), chunk);
            sum += rbm.cd_step(v.view(), o.k, o.lr, &mut rng)? * chunk.len() as f64;
            done += 1;
            on_batch(done, total);
        }
        curve.push(RbmEpoch {
            epoch,
            train_error: sum / n as f64,
            test_error: rbm.reconstruction_error(test),
        });
    }
    let shown = o.shown.min(test.nrows());
    let rows = |a: ArrayView2<f64>| (0..a.nrows()).map(|i| a.row(i).to_vec()).collect();
    let first = test.slice(s![0..shown, ..]);
    let recon = rbm.visible_probs(rbm.hidden_probs(first).view());
    let samples = rbm.sample(o.shown, o.gibbs_steps, &mut rng);
    Ok(RbmDemo {
        originals: rows(first),
        reconstructions: rows(recon.view()),
        samples: rows(samples.view()),
        rbm,
        curve,
    })
}
