//! The timed loop both throughput benchmarks share (examples/train_bench.rs and
//! examples/torchscript_bench.rs): the project's own `train_epoch` (batches assembled from bytes
//! with CIFAR augmentation, frozen-synapse masks on half the synapses, masked SGD with momentum
//! 0.9) and `evaluate`, batch 128, on synthetic 32x32x3 images, 3 warm-up steps first.
use atrophy::data::{synthetic, Augment, Normalization, SyntheticSpec};
use atrophy::model::Network;
use atrophy::train::{
    evaluate, train_epoch, Epoch, LrSchedule, MaskedSgd, Precision, SgdConfig, TrainConfig,
};
use tch::{nn, Device, Kind, Tensor};

/// Training and inference throughput (images per second) of `net` over `steps` timed batches,
/// the training steps in `precision` (evaluation is always float32).
pub fn measure(
    net: &Network,
    vs: &nn::VarStore,
    steps: usize,
    device: Device,
    precision: Precision,
) -> (f64, f64) {
    let batch = 128;
    let warmup = 3;
    let split = synthetic(&SyntheticSpec {
        channels: 3,
        size: 32,
        classes: 10,
        train: batch * (steps + warmup),
        test: batch * steps,
        noise: 100,
        seed: 0,
    });
    let norm = Normalization::for_dataset("cifar10", &split.train);
    let cfg = TrainConfig {
        epochs: 1,
        batch_size: batch,
        sgd: SgdConfig {
            lr: 0.01,
            momentum: 0.9,
            weight_decay: 0.0,
            nesterov: false,
        },
        schedule: LrSchedule::Constant,
        augment: Some(Augment::CIFAR),
        precision,
        ..Default::default()
    };
    let mut opt = MaskedSgd::new(vs, cfg.sgd.clone());
    for l in net.arch.synapse_layers() {
        let name = format!("{l}.weight");
        let shape = vs.variables()[&name].size();
        let mask = Tensor::rand(shape.as_slice(), (Kind::Float, Device::Cpu)).gt(0.5);
        opt.set_mask(&name, Some(&mask)).unwrap();
    }
    let mut rng = atrophy::seed::rng(0, &[1]);
    let warm: Vec<usize> = (0..batch * warmup).collect();
    let epoch = Epoch {
        data: &split.train,
        indices: Some(&warm),
        norm: &norm,
        cfg: &cfg,
        step0: 0,
        total_steps: 1000,
        device,
    };
    train_epoch(net, &mut opt, &epoch, &mut rng, |_, _, _| {});
    let timed: Vec<usize> = (batch * warmup..batch * (warmup + steps)).collect();
    let t = std::time::Instant::now();
    let epoch = Epoch {
        data: &split.train,
        indices: Some(&timed),
        norm: &norm,
        cfg: &cfg,
        step0: 0,
        total_steps: 1000,
        device,
    };
    train_epoch(net, &mut opt, &epoch, &mut rng, |_, _, _| {});
    let train = (batch * steps) as f64 / t.elapsed().as_secs_f64();
    let warm_test = split
        .test
        .select(&(0..batch * warmup.min(steps)).collect::<Vec<_>>());
    evaluate(net, &warm_test, &norm, device, batch);
    let t = std::time::Instant::now();
    evaluate(net, &split.test, &norm, device, batch);
    let infer = (batch * steps) as f64 / t.elapsed().as_secs_f64();
    (train, infer)
}
