//! `atrophy plasticity DEMO`: runnable demonstrations of the plasticity library, each writing a
//! CSV and a figure.
use crate::plasticity::{hopfield, rules, Hopfield};
use anyhow::Result;
use clap::{Args, ValueEnum};
use rand::Rng;
use std::path::PathBuf;

mod dbn;
#[cfg(feature = "torch")]
mod differentiable;
mod rbm;

/// The demos.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Demo {
    /// Classic Hopfield: recall rate against load P/N for N = 100..1000 (breakdown near 0.138 N).
    HopfieldCapacity,
    /// Modern Hopfield: retrieval of half-masked patterns at loads far beyond the classic capacity.
    ModernHopfield,
    /// Oja's rule converging to the first principal component (|cos| and |w| per step).
    Oja,
    /// An RBM trained by CD-k on binarised MNIST: reconstruction error per epoch, a grid of
    /// reconstructions and samples.
    Rbm,
    /// A deep belief network (greedy layer-wise RBMs) fine-tuned to classify binarised MNIST,
    /// against the same network trained from random weights.
    Dbn,
    /// Differentiable plasticity (P8): Miconi's pattern reconstruction, a plastic recurrent
    /// network against a non-plastic one of the same shape; sign-error learning curves.
    Pattern,
    /// Differentiable plasticity (P8): convolutional denoising autoencoders with and without
    /// plastic layers on MNIST or Fashion-MNIST; test error curves and a grid of outputs.
    Denoise,
    /// Differentiable plasticity (P8): plastic vs ordinary last layer of a CNN on MNIST, images
    /// fed one at a time; test accuracy per epoch.
    Classify,
}

/// Arguments of `plasticity`. Options marked with a demo's name apply to that demo only; a
/// default given as "demo: value" differs between demos.
#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  atrophy plasticity hopfield-capacity --out demos/hopfield
  atrophy plasticity modern-hopfield --beta 2 --out demos/modern
  atrophy plasticity oja --eta 0.002 --out demos/oja
  atrophy plasticity rbm --hidden 128 --epochs 5 --out demos/rbm
  atrophy plasticity dbn --layers 256,64 --finetune-epochs 10 --out demos/dbn
  atrophy plasticity pattern --episodes 2000 --out demos/pattern            # Miconi, 1000 bits
  atrophy plasticity pattern --size 961 --learn-eta --out demos/pattern961  # paper 003
  atrophy plasticity denoise --dataset fashion-mnist --out demos/denoise-fmnist
  atrophy plasticity classify --epochs 250 --out demos/classify             # paper 003, MNIST")]
pub struct PlasticityArgs {
    /// Which demo.
    #[arg(value_enum)]
    pub demo: Demo,
    /// Output folder (CSV + PNG + SVG).
    #[arg(long, short, default_value = "demos")]
    pub out: PathBuf,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Compute device of the differentiable-plasticity demos: cpu, cuda or cuda:N.
    #[arg(long, env = "ATROPHY_DEVICE", default_value = "cpu")]
    pub device: String,
    /// Inverse temperature of the modern Hopfield network.
    #[arg(long, default_value_t = 1.0)]
    pub beta: f64,
    /// Learning rate of Oja's rule, or the Hebbian trace's eta, in (0, 1]
    /// [oja: 0.002, pattern: 0.01, denoise: 0.1, classify: 0.01].
    #[arg(long)]
    pub eta: Option<f64>,
    /// pattern, denoise: learn eta by backpropagation instead of holding it fixed.
    #[arg(long)]
    pub learn_eta: bool,
    /// rbm: hidden units.
    #[arg(long, default_value_t = 128)]
    pub hidden: usize,
    /// Epochs [rbm, dbn: 5 of CD-k per layer over the training images; classify: 250 of
    /// --images images each].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Training images [rbm, dbn: the first 10000 of MNIST; classify: 100 random ones per
    /// epoch].
    #[arg(long)]
    pub images: Option<usize>,
    /// dbn: hidden layer widths, bottom first.
    #[arg(long, default_value = "256,64")]
    pub layers: String,
    /// dbn: epochs of supervised fine-tuning (and of the baseline's training).
    #[arg(long, default_value_t = 10)]
    pub finetune_epochs: usize,
    /// rbm, dbn: Gibbs steps of CD-k.
    #[arg(long, default_value_t = 1)]
    pub k: usize,
    /// pattern, denoise: training episodes (optimizer steps) [pattern: 1000, denoise: 2000].
    #[arg(long)]
    pub episodes: Option<usize>,
    /// pattern, denoise: episodes per optimizer step [pattern: 1, denoise: 16].
    #[arg(long)]
    pub batch: Option<usize>,
    /// Learning rate [pattern: 3e-4, denoise, classify: 1e-3 (Adam); dbn: 0.1 (SGD
    /// fine-tuning)].
    #[arg(long)]
    pub lr: Option<f64>,
    /// pattern: bits per pattern and neurons (Miconi 1000, paper 003 961).
    #[arg(long, default_value_t = 1000)]
    pub size: usize,
    /// denoise: standard deviation of the Gaussian noise on pixels in [0, 1].
    #[arg(long, default_value_t = 0.5)]
    pub noise: f64,
    /// denoise: data set, mnist or fashion-mnist.
    #[arg(long, default_value = "mnist")]
    pub dataset: String,
    /// classify: test images evaluated after every epoch.
    #[arg(long, default_value_t = 10_000)]
    pub eval_images: usize,
    /// rbm, dbn, denoise, classify: file or folder holding the data set (else the usual search, and
    /// a download when it is nowhere).
    #[arg(long)]
    pub data: Option<PathBuf>,
}

/// Runs a demo.
pub fn run(a: &PlasticityArgs, progress: bool) -> Result<()> {
    let mut rng = crate::seed::rng(a.seed, &[40]);
    std::fs::create_dir_all(&a.out)?;
    let (csv, series, name, title, axes, yr) = match a.demo {
        Demo::HopfieldCapacity => {
            let sizes = [100usize, 200, 500, 1000];
            let loads: Vec<f64> = (1..=15).map(|k| 0.02 * k as f64).collect();
            let bar = if progress {
                crate::progress::steps_bar((sizes.len() * loads.len()) as u64, "hopfield")
            } else {
                indicatif::ProgressBar::hidden()
            };
            let mut csv = String::from("n,load,patterns,recall_rate\n");
            let mut series = Vec::new();
            for &n in &sizes {
                let mut pts = Vec::new();
                for &load in &loads {
                    let p = ((load * n as f64).round() as usize).max(1);
                    let patterns = hopfield::random_patterns(p, n, &mut rng);
                    let net = Hopfield::store(&patterns).map_err(anyhow::Error::msg)?;
                    let ok = patterns
                        .iter()
                        .filter(|pat| {
                            let mut s = (*pat).clone();
                            net.recall(&mut s, 30, &mut rng);
                            hopfield::overlap(&s, pat) > 0.95
                        })
                        .count();
                    let rate = ok as f64 / p as f64;
                    csv.push_str(&format!("{n},{load},{p},{rate}\n"));
                    pts.push((load, rate));
                    bar.inc(1);
                }
                series.push((format!("N = {n}"), pts));
            }
            bar.finish_and_clear();
            (
                csv,
                series,
                "hopfield_capacity",
                "Classic Hopfield recall (overlap > 0.95) against load",
                (
                    "load P / N (classic capacity about 0.138)",
                    "fraction of patterns recalled",
                ),
                (0.0, 1.05),
            )
        }
        Demo::ModernHopfield => {
            let d = 100;
            let mut csv = String::from("d,load,patterns,beta,success_rate\n");
            let mut pts = Vec::new();
            for load in [0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0] {
                let p = (load * d as f64) as usize;
                let stored: Vec<Vec<f64>> = hopfield::random_patterns(p, d, &mut rng)
                    .into_iter()
                    .map(|v| v.into_iter().map(f64::from).collect())
                    .collect();
                let ok = stored
                    .iter()
                    .filter(|x| {
                        let q: Vec<f64> = x
                            .iter()
                            .enumerate()
                            .map(|(i, &v)| if i < d / 2 { v } else { 0.0 })
                            .collect();
                        let out =
                            hopfield::modern_retrieve(&stored, &q, a.beta).unwrap_or_default();
                        out.iter()
                            .zip(x.iter())
                            .all(|(o, v)| o.signum() == v.signum())
                    })
                    .count();
                let rate = ok as f64 / p as f64;
                csv.push_str(&format!("{d},{load},{p},{},{rate}\n", a.beta));
                pts.push((load, rate));
            }
            (
                csv,
                vec![(format!("beta = {}", a.beta), pts)],
                "modern_hopfield",
                "Modern Hopfield: retrieval from half-masked patterns",
                ("load P / d", "fraction retrieved exactly"),
                (0.0, 1.05),
            )
        }
        Demo::Oja => {
            let eta = a.eta.unwrap_or(0.002);
            if !(eta > 0.0 && eta <= 1.0) {
                anyhow::bail!("--eta {eta} is out of range: expected 0 < eta <= 1");
            }
            let (c, s) = (0.6f64, 0.8f64);
            let pc = [c, s, 0.0];
            let mut w: Vec<f64> = (0..3).map(|_| rng.random_range(-0.5..0.5)).collect();
            let mut csv = String::from("step,abs_cos,norm\n");
            let (mut cos_pts, mut norm_pts) = (Vec::new(), Vec::new());
            for step in 0..=20_000 {
                let g = crate::seed::standard_normal::<rand_chacha::ChaCha8Rng>;
                let z = [2.0 * g(&mut rng), g(&mut rng), 0.5 * g(&mut rng)];
                let u = [c * z[0] - s * z[1], s * z[0] + c * z[1], z[2]];
                if step % 200 == 0 {
                    let norm = rules::response(&w, &w).sqrt();
                    let cos = rules::response(&w, &pc).abs() / norm.max(1e-300);
                    csv.push_str(&format!("{step},{cos},{norm}\n"));
                    cos_pts.push((step as f64, cos));
                    norm_pts.push((step as f64, norm));
                }
                rules::oja(&mut w, &u, eta).map_err(anyhow::Error::msg)?;
            }
            (
                csv,
                vec![
                    ("|cos(w, first PC)|".to_string(), cos_pts),
                    ("|w|".to_string(), norm_pts),
                ],
                "oja",
                "Oja's rule on data with covariance diag(4, 1, 0.25), rotated",
                ("update step", "value"),
                (0.0, 1.2),
            )
        }
        Demo::Rbm => return rbm::run_rbm(a, progress, &mut rng),
        Demo::Dbn => return dbn::run_dbn(a, progress, &mut rng),
        #[cfg(feature = "torch")]
        Demo::Pattern => return differentiable::run_pattern(a, progress),
        #[cfg(feature = "torch")]
        Demo::Denoise => return differentiable::run_denoise(a, progress),
        #[cfg(feature = "torch")]
        Demo::Classify => return differentiable::run_classify(a, progress),
        #[cfg(not(feature = "torch"))]
        Demo::Pattern | Demo::Denoise | Demo::Classify => anyhow::bail!(
            "the {:?} demo needs libtorch: build atrophy with its default `torch` feature",
            a.demo
        ),
    };
    let csv_path = a.out.join(format!("{name}.csv"));
    crate::fsio::write_atomic(&csv_path, csv.as_bytes())?;
    let png = crate::report::figures::line_chart(&a.out, name, title, axes, &series, yr)?;
    println!("{}\n{}", csv_path.display(), png.display());
    Ok(())
}
