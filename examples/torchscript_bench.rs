//! atrophy's side of the TorchScript throughput benchmark (issue 16, bench/RESULTS.md): a
//! scripted module (bench/torchscript_bench.py --save FILE) trained through the project's own
//! loop (`train_epoch`: batches assembled from bytes with CIFAR augmentation, frozen-synapse
//! masks on half the synapses, masked SGD with momentum 0.9) and evaluated (`evaluate`), batch
//! 128, 32x32x3. Prints one JSON line. Run through bench/torchscript_bench.sh.
//!
//!     cargo run --release --example torchscript_bench -- target/resnet20.pt 2 20
use atrophy::data::{synthetic, Augment, Normalization, SyntheticSpec};
use atrophy::model::{script, Network};
use atrophy::train::{evaluate, train_epoch, LrSchedule, MaskedSgd, SgdConfig, TrainConfig};
use tch::{nn, Device, Kind, Tensor};

fn main() {
    let tuned = atrophy::malloc::tune();
    let args: Vec<String> = std::env::args().collect();
    let file = std::path::PathBuf::from(
        args.get(1)
            .expect("usage: torchscript_bench FILE.pt [THREADS] [STEPS] [DEVICE]"),
    );
    let threads: i32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2);
    let steps: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(20);
    let device = match args.get(4).map(|s| s.as_str()) {
        Some(d) => atrophy::device::parse_device(d).unwrap(),
        None => Device::Cpu,
    };
    tch::set_num_threads(threads);
    tch::manual_seed(0);
    let (batch, warmup) = (128, 3);
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
    let arch = script::architecture(&file, 3, 32, 10, true).unwrap();
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
    let mut run = |ix: Vec<usize>| {
        train_epoch(
            &net,
            &mut opt,
            &split.train,
            Some(&ix),
            &norm,
            &cfg,
            0,
            1000,
            device,
            &mut rng,
            |_, _, _| {},
        );
    };
    run((0..batch * warmup).collect());
    let t = std::time::Instant::now();
    run((batch * warmup..batch * (warmup + steps)).collect());
    let train = (batch * steps) as f64 / t.elapsed().as_secs_f64();
    let warm_test = split
        .test
        .select(&(0..batch * warmup.min(steps)).collect::<Vec<_>>());
    evaluate(&net, &warm_test, &norm, device, batch);
    let t = std::time::Instant::now();
    evaluate(&net, &split.test, &norm, device, batch);
    let infer = (batch * steps) as f64 / t.elapsed().as_secs_f64();
    println!(
        "{{\"impl\": \"atrophy {}{} torchscript\", \"model\": \"{}\", \"threads\": {threads}, \"train_img_s\": {train}, \"infer_img_s\": {infer}, \"malloc_tuned\": {tuned}}}",
        env!("CARGO_PKG_VERSION"),
        if atrophy::train::channels_last(device) { " channels_last" } else { "" },
        file.display()
    );
}
