//! atrophy's side of the training-throughput benchmark (issue 2, bench/RESULTS.md): the
//! project's own loop (`train_epoch`: batches assembled from bytes with CIFAR augmentation,
//! frozen-synapse masks on half the synapses, masked SGD with momentum 0.9, the allocator tuned as
//! the binary tunes it) and its evaluation
//! (`evaluate`: eval mode, no autograd), on vgg19_bn with the given widths, batch 128, 32x32x3.
//! Prints one JSON line. Run through bench/train_bench.sh, which runs PyTorch beside it.
//!
//!     cargo run --release --example train_bench -- bench 2 20
use atrophy::data::{synthetic, Augment, Normalization, SyntheticSpec};
use atrophy::model::{widths_by_name, Architecture, Network};
use atrophy::train::{evaluate, train_epoch, LrSchedule, MaskedSgd, SgdConfig, TrainConfig};
use tch::{nn, Device, Kind, Tensor};

fn main() {
    // As the atrophy binary does at start-up (src/malloc.rs).
    let tuned = atrophy::malloc::tune();
    let args: Vec<String> = std::env::args().collect();
    let widths = widths_by_name(args.get(1).map(|s| s.as_str()).unwrap_or("bench")).to_string();
    let threads: i32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2);
    let steps: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(20);
    let device = match args.get(4).map(|s| s.as_str()) {
        Some(d) => atrophy::device::parse_device(d).unwrap(),
        None => Device::Cpu,
    };
    tch::set_num_threads(threads);
    tch::manual_seed(0);
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
    let arch = Architecture::vgg19_bn(&widths, 10);
    let vs = nn::VarStore::new(device);
    let net = Network::new(&vs.root(), &arch).unwrap();
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
    };
    let mut opt = MaskedSgd::new(&vs, cfg.sgd.clone());
    for l in arch.synapse_layers() {
        let name = format!("{l}.weight");
        let shape = vs.variables()[&name].size();
        let mask = Tensor::rand(shape.as_slice(), (Kind::Float, Device::Cpu)).gt(0.5);
        opt.set_mask(&name, Some(&mask)).unwrap();
    }
    let mut rng = atrophy::seed::rng(0, &[1]);
    let warm: Vec<usize> = (0..batch * warmup).collect();
    train_epoch(
        &net,
        &mut opt,
        &split.train,
        Some(&warm),
        &norm,
        &cfg,
        0,
        1000,
        device,
        &mut rng,
        |_, _, _| {},
    );
    let timed: Vec<usize> = (batch * warmup..batch * (warmup + steps)).collect();
    let t = std::time::Instant::now();
    train_epoch(
        &net,
        &mut opt,
        &split.train,
        Some(&timed),
        &norm,
        &cfg,
        0,
        1000,
        device,
        &mut rng,
        |_, _, _| {},
    );
    let train = (batch * steps) as f64 / t.elapsed().as_secs_f64();
    let warm_test = split
        .test
        .select(&(0..batch * warmup.min(steps)).collect::<Vec<_>>());
    evaluate(&net, &warm_test, &norm, device, batch);
    let t = std::time::Instant::now();
    evaluate(&net, &split.test, &norm, device, batch);
    let infer = (batch * steps) as f64 / t.elapsed().as_secs_f64();
    println!(
        "{{\"impl\": \"atrophy {}{}\", \"widths\": \"{}\", \"threads\": {threads}, \"train_img_s\": {train}, \"infer_img_s\": {infer}, \"malloc_tuned\": {tuned}}}",
        env!("CARGO_PKG_VERSION"),
        if atrophy::train::channels_last(device) {
            " channels_last"
        } else {
            ""
        },
        args.get(1).map(|s| s.as_str()).unwrap_or("bench")
    );
}
