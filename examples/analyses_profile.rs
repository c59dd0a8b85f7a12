//! Where the per-state representation analyses spend their time (issue 17, bench/RESULTS.md):
//! on a `vgg19_bn` of the given widths (random weights: the cost does not depend on training),
//! n synthetic 32x32x3 images, each phase of one state's analyses timed apart: activation
//! capture of every layer, the centred normalised Gram matrices (as full products, as before,
//! and from the lower triangle by halving, as now), the L x L product against the healthy stack, the RDM of the penultimate layer, Kendall's tau, and the pathways.
//!
//!     cargo run --release --example analyses_profile -- bench 1000 2
use atrophy::analysis;
use atrophy::data::{synthetic, Normalization, SyntheticSpec};
use atrophy::experiment::analyses::normalised_grams;
use atrophy::model::{widths_by_name, Architecture, Network};
use ndarray::Array2;
use std::time::Instant;
use tch::{nn, Device, Kind, Tensor};

fn main() {
    atrophy::malloc::tune();
    let args: Vec<String> = std::env::args().collect();
    let widths = widths_by_name(args.get(1).map(|s| s.as_str()).unwrap_or("bench")).to_string();
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let threads: i32 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(2);
    tch::set_num_threads(threads);
    tch::manual_seed(0);
    let split = synthetic(&SyntheticSpec {
        channels: 3,
        size: 32,
        classes: 10,
        train: 10,
        test: n,
        noise: 100,
        seed: 0,
    });
    let norm = Normalization::for_dataset("cifar10", &split.train);
    let arch = Architecture::vgg19_bn(&widths, 10);
    let vs = nn::VarStore::new(Device::Cpu);
    let net = Network::new(&vs.root(), &arch).unwrap();
    let names = net.layer_names();
    let mut phases: Vec<(&str, f64)> = Vec::new();
    let mut time = |name, t: Instant| phases.push((name, t.elapsed().as_secs_f64()));

    let t = Instant::now();
    let acts =
        atrophy::train::capture_activations(&net, &split.test, &norm, &names, Device::Cpu).unwrap();
    let acts: Vec<_> = acts.into_iter().map(|a| a.flatten(1, -1)).collect();
    time("capture (all layers)", t);
    let features: i64 = acts.iter().map(|a| a.size()[1]).sum();

    // Before 2026-11-30: each Gram as one full n x p by p x n product.
    let t = Instant::now();
    let full: Vec<Tensor> = acts
        .iter()
        .map(|a| {
            let x = a.to_kind(Kind::Double);
            let x = (&x - x.mean_dim(0, true, Kind::Double)).to_kind(Kind::Float);
            let k = x.mm(&x.tr()).to_kind(Kind::Double);
            (&k / k.norm()).flatten(0, -1)
        })
        .collect();
    let full = Tensor::stack(&full, 0);
    time("Grams, full products", t);
    let t = Instant::now();
    let (healthy, _) = normalised_grams(&acts);
    time("Grams, lower triangle by halving", t);
    let t = Instant::now();
    let (g, _) = normalised_grams(&acts);
    let m = healthy.mm(&g.tr());
    let m = Vec::<f64>::try_from(m.flatten(0, -1)).unwrap();
    time("Grams + L x L product", t);
    let before = Vec::<f64>::try_from(full.mm(&full.tr()).flatten(0, -1)).unwrap();
    let worst = m
        .iter()
        .zip(&before)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);

    let t = Instant::now();
    for a in &acts {
        let (rows, cols) = (a.size()[0] as usize, a.size()[1] as usize);
        let flat = Vec::<f32>::try_from(a.flatten(0, -1)).unwrap();
        let x = Array2::from_shape_vec((rows, cols), flat).unwrap();
        let _ = analysis::linear_gram(x.view()).unwrap();
    }
    time("Grams by analysis::linear_gram", t);

    let penultimate = &acts[acts.len() - 2];
    let t = Instant::now();
    let (rows, cols) = (
        penultimate.size()[0] as usize,
        penultimate.size()[1] as usize,
    );
    let flat = Vec::<f32>::try_from(penultimate.to_kind(Kind::Float).flatten(0, -1)).unwrap();
    let a = Array2::from_shape_vec((rows, cols), flat).unwrap();
    let rdm = analysis::rdm(a.view()).unwrap();
    time("RDM (penultimate)", t);
    let t = Instant::now();
    let up = analysis::upper_triangle(rdm.view()).unwrap();
    let _ = analysis::kendall_tau(&up, &up, analysis::TauVariant::B).unwrap();
    time("Kendall tau", t);

    let t = Instant::now();
    for l in arch.synapse_layers() {
        let w =
            Vec::<f32>::try_from(vs.variables()[&format!("{l}.weight")].flatten(0, -1)).unwrap();
        let k = ((w.len() as f64 * 0.01).round() as usize).max(1);
        let _ = analysis::pathway_change(&w, &w, k).unwrap();
    }
    time("pathways", t);

    println!(
        "vgg19_bn {widths}: {} layers, {features} features per image, n = {n}, {threads} threads",
        names.len()
    );
    for (name, s) in &phases {
        println!("{name:<32} {s:8.3} s");
    }
    println!("largest CKA difference, halving against full products: {worst:.1e}");
}
