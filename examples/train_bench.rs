//! atrophy's side of the training-throughput benchmark (issue 2, bench/RESULTS.md): the
//! project's own loop (`train_epoch`: batches assembled from bytes with CIFAR augmentation,
//! frozen-synapse masks on half the synapses, masked SGD with momentum 0.9, the allocator tuned as
//! the binary tunes it) and its evaluation
//! (`evaluate`: eval mode, no autograd), on vgg19_bn with the given widths, batch 128, 32x32x3.
//! Prints one JSON line. Run through bench/train_bench.sh, which runs PyTorch beside it.
//!
//!     cargo run --release --example train_bench -- bench 2 20 [cpu|cuda] [fp32|bf16]
use atrophy::model::{widths_by_name, Architecture, Network};
use tch::{nn, Device};

#[path = "common/loop_bench.rs"]
mod loop_bench;

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
    let precision = match args.get(5).map(|s| s.as_str()) {
        None | Some("fp32") => atrophy::train::Precision::Fp32,
        Some("bf16") => atrophy::train::Precision::Bf16,
        Some(other) => panic!("precision {other}: expected fp32 or bf16"),
    };
    tch::set_num_threads(threads);
    tch::manual_seed(0);
    let arch = Architecture::vgg19_bn(&widths, 10);
    let vs = nn::VarStore::new(device);
    let net = Network::new(&vs.root(), &arch).unwrap();
    let (train, infer) = loop_bench::measure(&net, &vs, steps, device, precision);
    println!(
        "{{\"impl\": \"atrophy {}{}{}\", \"widths\": \"{}\", \"threads\": {threads}, \"train_img_s\": {train}, \"infer_img_s\": {infer}, \"malloc_tuned\": {tuned}}}",
        env!("CARGO_PKG_VERSION"),
        if atrophy::train::channels_last(device) {
            " channels_last"
        } else {
            ""
        },
        if precision == atrophy::train::Precision::Bf16 {
            " bf16"
        } else {
            ""
        },
        args.get(1).map(|s| s.as_str()).unwrap_or("bench")
    );
}
