//! Plastic versus ordinary last layer for MNIST classification (paper 003): the same small CNN,
//! ending either in a linear softmax layer or in a plastic linear layer whose Hebbian trace links
//! the features to the softmax outputs. Images are fed one at a time (the trace is sequential),
//! 100 random training images per epoch, and the whole test set is evaluated after every epoch.
//!
//! The trace is carried across the images of an epoch and reset at its start (one epoch, one
//! episode). Because the weights change after every image, the trace `Hebb` is detached from
//! the graph between images (backpropagation through one step) and weighted by `alpha` inside
//! each step's graph: the gradient reaches `w` and `alpha` but not `eta`, which is therefore
//! fixed. At test time the weighted trace left by the epoch is frozen and shared by every test
//! image.
use super::layer::{Eta, PlasticLinear};
use crate::data::Dataset;
use crate::seed::stream;
use rand::Rng;
use tch::{nn, nn::Module, nn::OptimizerConfig, Device, Kind, Tensor};

/// Settings of the classification experiment.
#[derive(Clone, Debug)]
pub struct ClassifyOptions {
    /// Epochs (250).
    pub epochs: usize,
    /// Random training images per epoch, fed one at a time (100).
    pub images_per_epoch: usize,
    /// Plastic last layer (false: ordinary softmax layer).
    pub plastic: bool,
    /// eta of the plastic layer (fixed; see the module documentation).
    pub eta: f64,
    /// Adam's learning rate.
    pub lr: f64,
    /// Test images evaluated after every epoch (the first N of the test set).
    pub eval_images: usize,
    /// Seed of weights and image draws.
    pub seed: u64,
}

impl Default for ClassifyOptions {
    fn default() -> ClassifyOptions {
        ClassifyOptions {
            epochs: 250,
            images_per_epoch: 100,
            plastic: true,
            eta: 0.01,
            lr: 1e-3,
            eval_images: 10_000,
            seed: 0,
        }
    }
}

/// conv(1->32, 3) ReLU maxpool, conv(32->64, 3) ReLU maxpool, linear 128 ReLU, then the last
/// layer (plastic or not) to the class logits.
#[derive(Debug)]
pub struct PlasticClassifier {
    features: nn::Sequential,
    /// The last layer.
    pub last: PlasticLinear,
}

impl PlasticClassifier {
    /// Builds the network for `side` x `side` single-channel images and `classes` classes.
    pub fn new(
        p: &nn::Path,
        side: usize,
        classes: usize,
        plastic: bool,
        eta: f64,
    ) -> Result<Self, String> {
        let after = ((side as i64 - 2) / 2 - 2) / 2;
        if after < 1 {
            return Err(format!(
                "classify: images of side {side} are too small (need >= 10)"
            ));
        }
        let features = nn::seq()
            .add(nn::conv2d(p / "conv1", 1, 32, 3, Default::default()))
            .add_fn(|x| x.relu().max_pool2d_default(2))
            .add(nn::conv2d(p / "conv2", 32, 64, 3, Default::default()))
            .add_fn(|x| x.relu().max_pool2d_default(2).flatten(1, -1))
            .add(nn::linear(
                p / "fc",
                64 * after * after,
                128,
                Default::default(),
            ))
            .add_fn(|x| x.relu());
        // Same scale as PyTorch's default linear init (bound 1/sqrt(fan_in)), as a normal.
        let last = PlasticLinear::new(
            &(p / "last"),
            128,
            classes,
            Eta::Fixed(eta),
            plastic,
            true,
            1.0 / (3.0f64 * 128.0).sqrt(),
        )?;
        Ok(PlasticClassifier { features, last })
    }

    /// Logits for images `[n, 1, h, w]` under the weighted trace `trace` (`alpha * Hebb`, as
    /// [`PlasticLinear::weigh`] makes it), with the features they came from.
    pub fn logits(&self, images: &Tensor, trace: &Tensor) -> (Tensor, Tensor) {
        let f = self.features.forward(images);
        let z = self.last.pre_activation(&f, trace);
        (f, z)
    }
}

fn to_tensor(set: &Dataset, indices: &[usize], device: Device) -> Tensor {
    let px = set.image_size();
    let mut v = Vec::with_capacity(indices.len() * px);
    for &i in indices {
        v.extend(set.image(i).iter().map(|&b| f32::from(b) / 255.0));
    }
    Tensor::from_slice(&v)
        .view([indices.len() as i64, 1, set.height as i64, set.width as i64])
        .to_device(device)
}

/// One point of the learning curve.
#[derive(Clone, Copy, Debug)]
pub struct ClassifyPoint {
    /// Epochs trained.
    pub epoch: usize,
    /// Mean cross-entropy over the epoch's images.
    pub train_loss: f64,
    /// Cross-entropy on the test images.
    pub test_loss: f64,
    /// Top-1 accuracy on the test images.
    pub test_accuracy: f64,
    /// Mean |alpha - its initial value| over the plastic layer's coefficients: how far learning
    /// has moved the plasticity itself (0 for the ordinary layer).
    pub alpha_shift: f64,
}

/// Accuracy and mean cross-entropy on the first `n` test images under the frozen weighted
/// trace `trace` (`alpha * Hebb`).
pub fn evaluate(
    net: &PlasticClassifier,
    trace: &Tensor,
    test: &Dataset,
    n: usize,
    device: Device,
) -> (f64, f64) {
    let _guard = tch::no_grad_guard();
    let (mut correct, mut loss) = (0i64, 0.0);
    let idx: Vec<usize> = (0..n.min(test.len())).collect();
    for chunk in idx.chunks(1000) {
        let x = to_tensor(test, chunk, device);
        let y = Tensor::from_slice(
            &chunk
                .iter()
                .map(|&i| i64::from(test.labels[i]))
                .collect::<Vec<_>>(),
        )
        .to_device(device);
        let (_, z) = net.logits(&x, trace);
        loss += z.cross_entropy_for_logits(&y).double_value(&[]) * chunk.len() as f64;
        correct += z
            .argmax(1, false)
            .eq_tensor(&y)
            .sum(Kind::Int64)
            .int64_value(&[]);
    }
    (correct as f64 / idx.len() as f64, loss / idx.len() as f64)
}

/// Trains the classifier one image at a time and evaluates after every epoch.
pub fn train(
    o: &ClassifyOptions,
    train_set: &Dataset,
    test: &Dataset,
    device: Device,
    mut on_epoch: impl FnMut(&ClassifyPoint),
) -> Result<Vec<ClassifyPoint>, String> {
    Eta::Fixed(o.eta).validate()?;
    if o.epochs == 0 || o.images_per_epoch == 0 || o.eval_images == 0 {
        return Err("classify: epochs, images_per_epoch and eval_images must be >= 1".into());
    }
    if !(o.lr > 0.0 && o.lr.is_finite()) {
        return Err(format!(
            "classify: lr = {}: expected a positive number",
            o.lr
        ));
    }
    if train_set.channels != 1 || train_set.height != train_set.width {
        return Err(format!(
            "classify: square single-channel images expected, got {}x{}x{}",
            train_set.channels, train_set.height, train_set.width
        ));
    }
    tch::manual_seed(
        crate::seed::derive(o.seed, &[stream::CLASSIFY_TORCH, o.plastic as u64]) as i64,
    );
    let vs = nn::VarStore::new(device);
    let classes = train_set.num_classes();
    let net = PlasticClassifier::new(&vs.root(), train_set.width, classes, o.plastic, o.eta)?;
    let mut opt = nn::Adam::default()
        .build(&vs, o.lr)
        .map_err(|e| e.to_string())?;
    let mut rng = crate::seed::rng(o.seed, &[stream::CLASSIFY_DATA]);
    let alpha0 = net.last.alpha.as_ref().map(|a| a.detach().copy());
    let mut curve = Vec::with_capacity(o.epochs);
    for epoch in 1..=o.epochs {
        let mut hebb = net.last.zero_trace(1);
        let mut sum = 0.0;
        for _ in 0..o.images_per_epoch {
            let i = rng.random_range(0..train_set.len());
            let x = to_tensor(train_set, &[i], device);
            let y = Tensor::from_slice(&[i64::from(train_set.labels[i])]).to_device(device);
            let (f, z) = net.logits(&x, &net.last.weigh(&hebb));
            let loss = z.cross_entropy_for_logits(&y);
            opt.backward_step(&loss);
            sum += loss.double_value(&[]);
            hebb = net
                .last
                .update_hebb(&hebb, &f.detach(), &z.detach().softmax(1, Kind::Float))
                .detach();
        }
        let frozen = tch::no_grad(|| net.last.weigh(&hebb));
        let (test_accuracy, test_loss) = evaluate(&net, &frozen, test, o.eval_images, device);
        let alpha_shift = match (&net.last.alpha, &alpha0) {
            (Some(a), Some(a0)) => {
                tch::no_grad(|| (a - a0).abs().mean(Kind::Double)).double_value(&[])
            }
            _ => 0.0,
        };
        let point = ClassifyPoint {
            epoch,
            train_loss: sum / o.images_per_epoch as f64,
            test_loss,
            test_accuracy,
            alpha_shift,
        };
        on_epoch(&point);
        curve.push(point);
    }
    Ok(curve)
}
