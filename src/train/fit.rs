//! The training loop (one epoch over a set of images, masks respected) and evaluation.
use super::error::TrainError;
use super::optim::MaskedSgd;
use super::precision::{autocast, Precision};
use super::schedule::LrSchedule;
use crate::data::{fill_batch, Augment, Dataset, Normalization};
use crate::model::{ModelError, Network};
use crate::results::Evaluation;
use rand::seq::SliceRandom;
use rand::Rng;
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

/// How to train: epochs, batches, optimizer, schedule, augmentation, loss.
///
/// `TrainConfig::default()` is one epoch of batch 128, [`SgdConfig::default`](super::SgdConfig),
/// a constant rate, no augmentation and plain cross-entropy; set the fields that differ with
/// `..Default::default()`, so a new setting is added here and where it is used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Passes over the training images.
    pub epochs: usize,
    /// Images per optimizer step.
    pub batch_size: usize,
    /// Optimizer settings.
    pub sgd: super::optim::SgdConfig,
    /// Learning-rate schedule.
    pub schedule: LrSchedule,
    /// Augmentation of training batches (None = none).
    pub augment: Option<Augment>,
    /// Label smoothing of the cross-entropy (Szegedy et al. 2016; `label_smoothing` of
    /// `torch.nn.CrossEntropyLoss`): the target puts 1 - e + e/K on the true class and e/K on
    /// each of the K classes' others. 0 = plain cross-entropy.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub label_smoothing: f64,
    /// The arithmetic of the training steps (float32, or autocast to bfloat16).
    #[serde(default, skip_serializing_if = "Precision::is_fp32")]
    pub precision: Precision,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 1,
            batch_size: 128,
            sgd: super::optim::SgdConfig::default(),
            schedule: LrSchedule::Constant,
            augment: None,
            label_smoothing: 0.0,
            precision: Precision::Fp32,
        }
    }
}

use super::options::MAX_EPOCHS;

impl TrainConfig {
    /// Checks every value, naming the field and the allowed range.
    pub fn validate(&self) -> Result<(), TrainError> {
        let at_least_one = |field: &str| TrainError::TooSmall {
            field: field.into(),
            min: 1,
        };
        if self.epochs == 0 {
            return Err(at_least_one("epochs"));
        }
        if self.epochs > MAX_EPOCHS {
            return Err(TrainError::out_of_range(
                "epochs",
                self.epochs,
                format!("1..={MAX_EPOCHS}"),
            ));
        }
        if self.batch_size == 0 {
            return Err(at_least_one("batch_size"));
        }
        if !(self.sgd.lr > 0.0 && self.sgd.lr.is_finite()) {
            return Err(TrainError::out_of_range(
                "lr",
                self.sgd.lr,
                "a positive number",
            ));
        }
        if !(0.0..1.0).contains(&self.sgd.momentum) {
            return Err(TrainError::out_of_range(
                "momentum",
                self.sgd.momentum,
                "0 <= momentum < 1",
            ));
        }
        if self.sgd.nesterov && self.sgd.momentum == 0.0 {
            return Err(TrainError::NesterovWithoutMomentum);
        }
        if !(self.sgd.weight_decay >= 0.0 && self.sgd.weight_decay.is_finite()) {
            return Err(TrainError::out_of_range(
                "weight_decay",
                self.sgd.weight_decay,
                "a finite number >= 0",
            ));
        }
        if !(0.0..1.0).contains(&self.label_smoothing) {
            return Err(TrainError::out_of_range(
                "label_smoothing",
                self.label_smoothing,
                "0 <= label_smoothing < 1",
            ));
        }
        Ok(())
    }
}

/// Running figures of one epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    /// Mean training loss.
    pub loss: f64,
    /// Training accuracy (on augmented images, in train mode).
    pub accuracy: f64,
    /// Learning rate at the last step.
    pub lr: f64,
}

/// Turns images `indices` of `data` into a normalised N x C x H x W tensor and label tensor.
pub fn make_batch<R: Rng>(
    data: &Dataset,
    indices: &[usize],
    norm: &Normalization,
    augment: Option<(Augment, &mut R)>,
    device: Device,
) -> (Tensor, Tensor) {
    let mut buf = vec![0f32; indices.len() * data.image_size()];
    fill_batch(data, indices, norm, augment, &mut buf);
    let x = Tensor::from_slice(&buf)
        .view([
            indices.len() as i64,
            data.channels as i64,
            data.height as i64,
            data.width as i64,
        ])
        .to_device(device);
    let labels: Vec<i64> = indices.iter().map(|&i| data.labels[i] as i64).collect();
    let y = Tensor::from_slice(&labels).to_device(device);
    (x, y)
}

/// Whether batches go through the network in channels-last layout (NHWC strides, the same
/// logical N x C x H x W tensor): oneDNN's CPU convolutions run it without converting every
/// layer's input, which measured 10-25 % faster training on the benchmark model (bench/RESULTS.md).
/// On by default on the CPU; `ATROPHY_CHANNELS_LAST=0` turns it off (the numbers then differ in
/// the last bits, as any change of convolution algorithm does). CUDA keeps NCHW (not measured).
pub fn channels_last(device: Device) -> bool {
    device == Device::Cpu
        && std::env::var("ATROPHY_CHANNELS_LAST").map_or(true, |v| v != "0" && v != "false")
}

/// The same N x C x H x W tensor stored with channels-last (NHWC) strides; other ranks as is.
pub fn to_channels_last(x: &Tensor) -> Tensor {
    if x.dim() == 4 {
        x.permute([0, 2, 3, 1]).contiguous().permute([0, 3, 1, 2])
    } else {
        x.shallow_clone()
    }
}

/// `x` in the layout [`channels_last`] picks for `device`.
pub(crate) fn layout(x: Tensor, device: Device) -> Tensor {
    if channels_last(device) {
        to_channels_last(&x)
    } else {
        x
    }
}

/// One epoch of training: which images, how they are prepared and trained on, and where the
/// epoch sits in the run (for the schedule).
#[derive(Clone, Copy)]
pub struct Epoch<'a> {
    /// The images.
    pub data: &'a Dataset,
    /// The images of `data` to train on (all when `None`).
    pub indices: Option<&'a [usize]>,
    /// Input normalisation.
    pub norm: &'a Normalization,
    /// Batches, optimizer settings, schedule, augmentation, loss.
    pub cfg: &'a TrainConfig,
    /// The global optimizer step at the epoch's start.
    pub step0: usize,
    /// The whole run's optimizer steps (the schedule's length).
    pub total_steps: usize,
    /// Where the batches go.
    pub device: Device,
}

/// Trains `net` for one epoch `e`, in an order shuffled by `rng`. `on_step(step,
/// steps_in_epoch, loss)` reports progress (the loss now and then).
pub fn train_epoch<R: Rng>(
    net: &Network,
    opt: &mut MaskedSgd,
    e: &Epoch,
    rng: &mut R,
    mut on_step: impl FnMut(usize, usize, Option<f64>),
) -> EpochStats {
    let Epoch {
        data,
        indices,
        norm,
        cfg,
        step0,
        total_steps,
        device,
    } = *e;
    let mut order: Vec<usize> = match indices {
        Some(ix) => ix.to_vec(),
        None => (0..data.len()).collect(),
    };
    order.shuffle(rng);
    let steps_per_epoch = order.len().div_ceil(cfg.batch_size);
    // Sums stay on the device; reading them back each step would stall a GPU.
    let mut loss_sum = Tensor::zeros([], (Kind::Float, device));
    let mut correct = Tensor::zeros([], (Kind::Int64, device));
    let mut lr = cfg.sgd.lr;
    for (k, chunk) in order.chunks(cfg.batch_size).enumerate() {
        let aug = cfg.augment.map(|a| (a, &mut *rng));
        let (x, y) = make_batch(data, chunk, norm, aug, device);
        let x = layout(x, device);
        lr = cfg
            .schedule
            .lr(cfg.sgd.lr, step0 + k, total_steps, steps_per_epoch);
        opt.zero_grad();
        let logits = step_logits(net, &x, cfg.precision, device);
        let loss = training_loss(&logits, &y, cfg.label_smoothing);
        loss.backward();
        opt.step(lr);
        tch::no_grad(|| {
            loss_sum += loss.detach() * chunk.len() as f64;
            correct += logits.argmax(-1, false).eq_tensor(&y).sum(Kind::Int64);
        });
        // A host read of the loss every 20 steps keeps the bar alive without stalling each step.
        let live = ((k + 1) % 20 == 0 || k + 1 == steps_per_epoch).then(|| loss.double_value(&[]));
        on_step(k + 1, steps_per_epoch, live);
    }
    let n = order.len().max(1) as f64;
    EpochStats {
        loss: loss_sum.double_value(&[]) / n,
        accuracy: correct.int64_value(&[]) as f64 / n,
        lr,
    }
}

/// The logits of a training step (train mode) in float32, whatever `precision` the layers ran
/// in, so that the loss, label smoothing included, is computed in float32 outside autocast.
pub fn step_logits(net: &Network, x: &Tensor, precision: Precision, device: Device) -> Tensor {
    autocast(precision, device, || {
        net.forward_t(x, true).to_kind(Kind::Float)
    })
}

/// The mean cross-entropy of `logits` against labels `y`, with label smoothing `e`.
pub fn training_loss(logits: &Tensor, y: &Tensor, e: f64) -> Tensor {
    if e == 0.0 {
        // The kernel every run without smoothing has used: its bits stay as they were.
        logits.cross_entropy_for_logits(y)
    } else {
        logits.cross_entropy_loss::<Tensor>(y, None, tch::Reduction::Mean, -100, e)
    }
}

/// Indices of the images of `data` whose top-1 prediction differs from their label (eval
/// mode, no augmentation), in increasing order.
pub fn misclassified(
    net: &Network,
    data: &Dataset,
    norm: &Normalization,
    device: Device,
    batch_size: usize,
) -> Vec<usize> {
    let mut wrong = Vec::new();
    tch::no_grad(|| {
        let all: Vec<usize> = (0..data.len()).collect();
        for chunk in all.chunks(batch_size.max(1)) {
            let (x, y) = make_batch::<rand_chacha::ChaCha8Rng>(data, chunk, norm, None, device);
            let pred = net.forward_t(&layout(x, device), false).argmax(-1, false);
            let miss = Vec::<bool>::try_from(pred.ne_tensor(&y).to_device(Device::Cpu))
                .unwrap_or_default();
            wrong.extend(chunk.iter().zip(miss).filter(|(_, m)| *m).map(|(&i, _)| i));
        }
    });
    wrong
}

/// The predictive entropy H = -sum_k p_k ln p_k (nats) of `net`'s softmax on every image of
/// `data`, in eval mode, without augmentation.
pub fn predictive_entropy(
    net: &Network,
    data: &Dataset,
    norm: &Normalization,
    device: Device,
    batch_size: usize,
) -> Vec<f64> {
    let mut out = Vec::with_capacity(data.len());
    tch::no_grad(|| {
        let all: Vec<usize> = (0..data.len()).collect();
        for chunk in all.chunks(batch_size.max(1)) {
            let (x, _) = make_batch::<rand_chacha::ChaCha8Rng>(data, chunk, norm, None, device);
            let logits = net
                .forward_t(&layout(x, device), false)
                .to_kind(Kind::Double);
            let logp = logits.log_softmax(-1, Kind::Double);
            let h = -(logp.exp() * &logp).sum_dim_intlist(-1, false, Kind::Double);
            out.extend(Vec::<f64>::try_from(h.to_device(Device::Cpu)).unwrap_or_default());
        }
    });
    out
}

/// Evaluates `net` in eval mode, without autograd, on all of `data`.
pub fn evaluate(
    net: &Network,
    data: &Dataset,
    norm: &Normalization,
    device: Device,
    batch_size: usize,
) -> Evaluation {
    let k = data.num_classes();
    let mut confusion = Tensor::zeros([(k * k) as i64], (Kind::Int64, device));
    let mut loss_sum = Tensor::zeros([], (Kind::Double, device));
    tch::no_grad(|| {
        let all: Vec<usize> = (0..data.len()).collect();
        for chunk in all.chunks(batch_size.max(1)) {
            let (x, y) = make_batch::<rand_chacha::ChaCha8Rng>(data, chunk, norm, None, device);
            let logits = net.forward_t(&layout(x, device), false);
            loss_sum += logits
                .cross_entropy_loss::<Tensor>(&y, None, tch::Reduction::Sum, -100, 0.0)
                .to_kind(Kind::Double);
            let pred = logits.argmax(-1, false);
            let cell = &y * k as i64 + pred;
            confusion += cell.bincount::<Tensor>(None, (k * k) as i64);
        }
    });
    let flat: Vec<i64> = Vec::<i64>::try_from(confusion.to_device(Device::Cpu)).unwrap_or_default();
    let matrix = flat
        .chunks(k)
        .map(|r| r.iter().map(|&v| v as u64).collect())
        .collect();
    let e = Evaluation::from_confusion(matrix, loss_sum.double_value(&[]));
    match &data.superclasses {
        Some(s) => e.with_superclasses(&s.of_class),
        None => e,
    }
}

/// The outputs of the layers `names` for every image of `data`, in eval mode without autograd,
/// each concatenated over batches (N x layer shape) on `device`. Unknown names are an error
/// listing the layers.
pub fn capture_activations(
    net: &Network,
    data: &Dataset,
    norm: &Normalization,
    names: &[String],
    device: Device,
) -> Result<Vec<Tensor>, ModelError> {
    let mut parts: Vec<Vec<Tensor>> = names.iter().map(|_| Vec::new()).collect();
    tch::no_grad(|| {
        let all: Vec<usize> = (0..data.len()).collect();
        for chunk in all.chunks(250) {
            let (x, _) = make_batch::<rand_chacha::ChaCha8Rng>(data, chunk, norm, None, device);
            let (_, acts) = net.forward_capture_checked(&x, false, names)?;
            for (p, a) in parts.iter_mut().zip(acts) {
                p.push(a);
            }
        }
        Ok(parts.into_iter().map(|p| Tensor::cat(&p, 0)).collect())
    })
}
