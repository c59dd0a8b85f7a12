//! atrophy's side of the optimizer-step benchmark (bench/RESULTS.md): `MaskedSgd::step` with
//! momentum 0.9 and weight decay 5e-4 over every parameter of vgg19_bn with the given widths,
//! without masks and with half of all synapses frozen. Gradients come from one backward pass on
//! a random batch of 8 and stay fixed, so only the update is timed. Prints one JSON line; run
//! it through bench/train_bench.sh, which runs torch.optim.SGD (bench/sgd_bench.py) beside it.
//!
//!     cargo run --release --example sgd_bench -- full 2 20
use atrophy::model::{widths_by_name, Architecture, Network};
use atrophy::train::{MaskedSgd, SgdConfig};
use tch::{nn, Device, Kind, Tensor};

fn main() {
    atrophy::malloc::tune();
    let args: Vec<String> = std::env::args().collect();
    let widths = widths_by_name(args.get(1).map(|s| s.as_str()).unwrap_or("full")).to_string();
    let threads: i32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2);
    let steps: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(20);
    tch::set_num_threads(threads);
    tch::manual_seed(0);
    let arch = Architecture::vgg19_bn(&widths, 10);
    let vs = nn::VarStore::new(Device::Cpu);
    let net = Network::new(&vs.root(), &arch).unwrap();
    let x = Tensor::randn([8, 3, 32, 32], (Kind::Float, Device::Cpu));
    let y = Tensor::randint(10, [8], (Kind::Int64, Device::Cpu));
    net.forward_t(&x, true)
        .cross_entropy_for_logits(&y)
        .backward();
    let config = SgdConfig {
        lr: 0.01,
        momentum: 0.9,
        weight_decay: 5e-4,
        nesterov: false,
    };
    let time = |opt: &mut MaskedSgd| {
        for _ in 0..3 {
            opt.step(0.01);
        }
        let t = std::time::Instant::now();
        for _ in 0..steps {
            opt.step(0.01);
        }
        t.elapsed().as_secs_f64() * 1e3 / steps as f64
    };
    let mut plain = MaskedSgd::new(&vs, config.clone());
    let plain_ms = time(&mut plain);
    let mut masked = MaskedSgd::new(&vs, config);
    for l in arch.synapse_layers() {
        let name = format!("{l}.weight");
        let shape = vs.variables()[&name].size();
        let mask = Tensor::rand(shape.as_slice(), (Kind::Float, Device::Cpu)).gt(0.5);
        masked.set_mask(&name, Some(&mask)).unwrap();
    }
    let masked_ms = time(&mut masked);
    let params: i64 = vs
        .trainable_variables()
        .iter()
        .map(|t| t.numel() as i64)
        .sum();
    println!(
        "{{\"side\": \"atrophy\", \"params\": {params}, \"step_ms\": {plain_ms:.2}, \"masked_step_ms\": {masked_ms:.2}}}"
    );
}
