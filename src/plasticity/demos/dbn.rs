//! A deep belief network (greedy layer-wise RBMs) fine-tuned as a classifier, against the same
//! network trained from random weights.
use super::{demo_rng, Images};
use crate::plasticity::{Dbn, DbnClassifier};

/// Settings of the DBN demo.
#[derive(Clone, Debug, PartialEq)]
pub struct DbnDemoOptions {
    /// Hidden layer widths, bottom first.
    pub hidden: Vec<usize>,
    /// Epochs of CD-k per layer in pretraining.
    pub epochs: usize,
    /// Gibbs steps of CD-k.
    pub k: usize,
    /// Rows per CD update in pretraining.
    pub batch: usize,
    /// Learning rate of pretraining.
    pub pretrain_lr: f64,
    /// Epochs of supervised fine-tuning (and of the baseline's training).
    pub finetune_epochs: usize,
    /// Rows per SGD step in fine-tuning.
    pub finetune_batch: usize,
    /// Learning rate of fine-tuning (plain SGD).
    pub lr: f64,
}

impl Default for DbnDemoOptions {
    /// The command's settings: layers 256, 64; 5 epochs of CD-1 per layer in batches of 100 at
    /// lr 0.05; 10 epochs of fine-tuning in batches of 32 at lr 0.1.
    fn default() -> Self {
        DbnDemoOptions {
            hidden: vec![256, 64],
            epochs: 5,
            k: 1,
            batch: 100,
            pretrain_lr: 0.05,
            finetune_epochs: 10,
            finetune_batch: 32,
            lr: 0.1,
        }
    }
}

/// One layer's reconstruction error after a pretraining epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PretrainPoint {
    /// The layer (RBM), from 0 at the bottom.
    pub layer: usize,
    /// Epochs of CD the layer has had, from 1.
    pub epoch: usize,
    /// Mean squared reconstruction error of the layer's whole input (mean field).
    pub error: f64,
}

/// One epoch of supervised training of a classifier.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FinetunePoint {
    /// Epochs trained, from 1.
    pub epoch: usize,
    /// Mean training loss (cross-entropy) over the epoch, each batch measured before its update.
    pub train_loss: f64,
    /// Accuracy on the test images after the epoch.
    pub test_accuracy: f64,
}

/// The learning curve of one classifier.
#[derive(Clone, Debug, PartialEq)]
pub struct DbnCurve {
    /// "DBN (pretrained)" or "random init".
    pub label: &'static str,
    /// Test accuracy before training.
    pub initial_accuracy: f64,
    /// One point per epoch.
    pub epochs: Vec<FinetunePoint>,
}

/// What the DBN demo produces.
#[derive(Clone, Debug, PartialEq)]
pub struct DbnDemo {
    /// Layer widths, input first.
    pub sizes: Vec<usize>,
    /// Pretraining, layer by layer and epoch by epoch.
    pub pretraining: Vec<PretrainPoint>,
    /// The pretrained network, then the one from random weights.
    pub networks: Vec<DbnCurve>,
}

/// Progress of the DBN demo, reported as it happens.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DbnEvent {
    /// A pretraining epoch of one layer ended.
    Pretrained(PretrainPoint),
    /// A fine-tuning epoch of the classifier `label` ended.
    Trained {
        /// The classifier, as in [`DbnCurve::label`].
        label: &'static str,
        /// Its figures after the epoch.
        point: FinetunePoint,
    },
}

/// Pretrains a DBN greedily on `train.x` (values in [0, 1]), unrolls it into a sigmoid MLP
/// classifier of `classes` classes and fine-tunes it by SGD, then trains the same shape from
/// random weights for as many epochs on the same images; test accuracy after every epoch.
/// `on_event(event, done, total)` sees every epoch, with the work done so far and in all (one
/// unit per CD batch and per fine-tuning epoch).
pub fn dbn(
    train: &Images,
    test: &Images,
    classes: usize,
    o: &DbnDemoOptions,
    seed: u64,
    mut on_event: impl FnMut(&DbnEvent, usize, usize),
) -> Result<DbnDemo, String> {
    let mut rng = demo_rng(seed);
    let mut sizes = vec![train.x.ncols()];
    sizes.extend(&o.hidden);
    let batches = train.x.nrows().div_ceil(o.batch.max(1));
    let total = o.hidden.len() * o.epochs * batches + 2 * o.finetune_epochs;
    let mut done = 0;
    let mut pretraining = Vec::new();
    let dbn = Dbn::pretrain(
        train.x.view(),
        &sizes,
        o.epochs,
        o.batch,
        o.k,
        o.pretrain_lr,
        &mut rng,
        |layer, epoch, error| {
            let p = PretrainPoint {
                layer,
                epoch,
                error,
            };
            done += batches;
            on_event(&DbnEvent::Pretrained(p), done, total);
            pretraining.push(p);
        },
    )?;
    // Both classifiers are drawn before either trains: the baseline's initial weights do not
    // depend on how the fine-tuning went.
    let pretrained = DbnClassifier::from_dbn(&dbn, classes, &mut rng);
    let random = DbnClassifier::random(&sizes, classes, &mut rng);
    let mut networks = Vec::new();
    for (label, net) in [("DBN (pretrained)", pretrained), ("random init", random)] {
        let mut net = net?;
        let mut curve = DbnCurve {
            label,
            initial_accuracy: net.accuracy(test.x.view(), &test.labels)?,
            epochs: Vec::new(),
        };
        for epoch in 1..=o.finetune_epochs {
            let train_loss = net.train_epoch(
                train.x.view(),
                &train.labels,
                o.finetune_batch,
                o.lr,
                &mut rng,
            )?;
            let point = FinetunePoint {
                epoch,
                train_loss,
                test_accuracy: net.accuracy(test.x.view(), &test.labels)?,
            };
            done += 1;
            on_event(&DbnEvent::Trained { label, point }, done, total);
            curve.epochs.push(point);
        }
        networks.push(curve);
    }
    Ok(DbnDemo {
        sizes,
        pretraining,
        networks,
    })
}
