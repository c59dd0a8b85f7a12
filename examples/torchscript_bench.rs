//! atrophy's side of the TorchScript throughput benchmark (issue 16, bench/RESULTS.md): a
//! scripted module (bench/torchscript_bench.py --save FILE) trained through the project's own
//! loop (`train_epoch`: batches assembled from bytes with CIFAR augmentation, frozen-synapse
//! masks on half the synapses, masked SGD with momentum 0.9) and evaluated (`evaluate`), batch
//! 128, 32x32x3. Prints one JSON line. Run through bench/torchscript_bench.sh.
//!
//!     cargo run --release --example torchscript_bench -- target/resnet20.pt 2 20
use atrophy::model::{script, Network};
use tch::{nn, Device};

#[path = "common/loop_bench.rs"]
mod loop_bench;

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
    let arch = script::architecture(&file, 3, 32, 10, true).unwrap();
    let vs = nn::VarStore::new(device);
    let net = Network::new(&vs.root(), &arch).unwrap();
    let (train, infer) =
        loop_bench::measure(&net, &vs, steps, device, atrophy::train::Precision::Fp32);
    println!(
        "{{\"impl\": \"atrophy {}{} torchscript\", \"model\": \"{}\", \"threads\": {threads}, \"train_img_s\": {train}, \"infer_img_s\": {infer}, \"malloc_tuned\": {tuned}}}",
        env!("CARGO_PKG_VERSION"),
        if atrophy::train::channels_last(device) { " channels_last" } else { "" },
        file.display()
    );
}
