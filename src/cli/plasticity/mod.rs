//! `atrophy plasticity DEMO`: runnable demonstrations of the plasticity library, each writing a
//! CSV and a figure.
//!
//! The demos' computations live in [`crate::plasticity::demos`] and
//! [`crate::plasticity::differentiable`]; this module turns options into their settings, shows
//! progress, and writes what they return.
use crate::plasticity::demos;
use anyhow::Result;
use clap::{Args, ValueEnum};
use indicatif::ProgressBar;
use std::fmt::Write as _;
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
    /// Spike-timing-dependent plasticity (P10, Song, Miller & Abbott 2000): the learning window,
    /// the weights of a neuron with 1,000 Poisson inputs going bimodal, and its output rate
    /// across input rates with and without STDP.
    Stdp,
    /// NEAT (P10, Stanley & Miikkulainen 2002) on XOR, over --runs seeded runs (100): share
    /// solved, generations, evaluations and hidden nodes, beside the paper's figures.
    NeatXor,
    /// NEAT balancing a pole on a cart (single pole, with velocities) for 10,000 steps of
    /// 0.02 s, over --runs runs (10).
    NeatPole,
    /// NEAT balancing two poles on a cart (with velocities, the paper's benchmark) for 100,000
    /// steps of 0.01 s, over --runs runs (10).
    NeatDoublePole,
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
  atrophy plasticity classify --epochs 250 --out demos/classify             # paper 003, MNIST
  atrophy plasticity stdp --seconds 300 --out demos/stdp                    # Song et al. 2000
  atrophy plasticity neat-xor --runs 100 --out demos/neat                   # the paper's XOR
  atrophy plasticity neat-pole --runs 10 --out demos/neat
  atrophy plasticity neat-double-pole --runs 10 --out demos/neat          # the paper's benchmark

Learnable activation slopes (parametric ReLU, He et al. 2015) are a model setting rather than a
demo: `atrophy train --activation prelu ...` trains any built-in model with them, and
`atrophy info CHECKPOINT` lists the learned slopes per layer.")]
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
    /// stdp: simulated seconds of learning (at 20 Hz inputs; the rate experiment takes 2/3 of
    /// it at each input rate).
    #[arg(long, default_value_t = 300.0)]
    pub seconds: f64,
    /// neat-xor, neat-pole, neat-double-pole: independent runs [neat-xor: 100, neat-pole: 10,
    /// neat-double-pole: 10].
    #[arg(long)]
    pub runs: Option<usize>,
    /// neat-xor, neat-pole, neat-double-pole: generations before a run counts as failed.
    #[arg(long, default_value_t = 300)]
    pub generations: usize,
    /// classify: test images evaluated after every epoch.
    #[arg(long, default_value_t = 10_000)]
    pub eval_images: usize,
    /// rbm, dbn, denoise, classify: file or folder holding the data set (else the usual search, and
    /// a download when it is nowhere).
    #[arg(long)]
    pub data: Option<PathBuf>,
}

/// A demo whose output is one CSV and one line chart.
struct LineDemo {
    csv: String,
    series: Vec<(String, Vec<(f64, f64)>)>,
    name: &'static str,
    title: &'static str,
    axes: (&'static str, &'static str),
    y_range: (f64, f64),
}

/// Runs a demo.
pub fn run(a: &PlasticityArgs, progress: bool) -> Result<()> {
    std::fs::create_dir_all(&a.out)?;
    let demo = match a.demo {
        Demo::HopfieldCapacity => hopfield_capacity(a, progress)?,
        Demo::ModernHopfield => modern_hopfield(a)?,
        Demo::Oja => oja(a)?,
        Demo::Stdp => return run_stdp(a, progress),
        Demo::NeatXor => return run_neat(a, demos::NeatTask::Xor, 100, progress),
        Demo::NeatPole => {
            return run_neat(a, demos::NeatTask::Pole { limit: 10_000 }, 10, progress)
        }
        Demo::NeatDoublePole => {
            let task = demos::NeatTask::DoublePole { limit: 100_000 };
            return run_neat(a, task, 10, progress);
        }
        Demo::Rbm => return rbm::run_rbm(a, progress),
        Demo::Dbn => return dbn::run_dbn(a, progress),
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
    let csv_path = a.out.join(format!("{}.csv", demo.name));
    crate::fsio::write_atomic(&csv_path, demo.csv.as_bytes())?;
    let png = crate::report::figures::line_chart(
        &a.out,
        demo.name,
        demo.title,
        demo.axes,
        &demo.series,
        demo.y_range,
    )?;
    println!("{}\n{}", csv_path.display(), png.display());
    Ok(())
}

/// The classic Hopfield network's recall against load, one curve per size.
fn hopfield_capacity(a: &PlasticityArgs, progress: bool) -> Result<LineDemo> {
    let o = demos::CapacityOptions::default();
    let bar = bar(progress, o.sizes.len() * o.loads.len(), "hopfield");
    let points =
        demos::hopfield_capacity(&o, a.seed, |_| bar.inc(1)).map_err(anyhow::Error::msg)?;
    bar.finish_and_clear();
    let mut csv = String::from("n,load,patterns,recall_rate\n");
    for p in &points {
        writeln!(csv, "{},{},{},{}", p.n, p.load, p.patterns, p.recall_rate)?;
    }
    // One curve per size: the points come size by size, every load in turn.
    let series = points
        .chunks(o.loads.len().max(1))
        .map(|c| {
            let label = format!("N = {}", c[0].n);
            (label, c.iter().map(|p| (p.load, p.recall_rate)).collect())
        })
        .collect();
    Ok(LineDemo {
        csv,
        series,
        name: "hopfield_capacity",
        title: "Classic Hopfield recall (overlap > 0.95) against load",
        axes: (
            "load P / N (classic capacity about 0.138)",
            "fraction of patterns recalled",
        ),
        y_range: (0.0, 1.05),
    })
}

/// The modern Hopfield network's retrieval against load.
fn modern_hopfield(a: &PlasticityArgs) -> Result<LineDemo> {
    let o = demos::ModernOptions {
        beta: a.beta,
        ..Default::default()
    };
    let points = demos::modern_hopfield(&o, a.seed).map_err(anyhow::Error::msg)?;
    let mut csv = String::from("d,load,patterns,beta,success_rate\n");
    for p in &points {
        writeln!(
            csv,
            "{},{},{},{},{}",
            p.d, p.load, p.patterns, p.beta, p.success_rate
        )?;
    }
    let pts = points.iter().map(|p| (p.load, p.success_rate)).collect();
    Ok(LineDemo {
        csv,
        series: vec![(format!("beta = {}", a.beta), pts)],
        name: "modern_hopfield",
        title: "Modern Hopfield: retrieval from half-masked patterns",
        axes: ("load P / d", "fraction retrieved exactly"),
        y_range: (0.0, 1.05),
    })
}

/// Oja's rule converging on the first principal component.
fn oja(a: &PlasticityArgs) -> Result<LineDemo> {
    let o = demos::OjaOptions {
        eta: a.eta.unwrap_or(0.002),
        ..Default::default()
    };
    // The library's message names the option; on the command line it is `--eta`.
    o.validate().map_err(|e| anyhow::anyhow!("--{e}"))?;
    let points = demos::oja(&o, a.seed).map_err(anyhow::Error::msg)?;
    let mut csv = String::from("step,abs_cos,norm\n");
    for p in &points {
        writeln!(csv, "{},{},{}", p.step, p.abs_cos, p.norm)?;
    }
    let curve =
        |f: fn(&demos::OjaPoint) -> f64| points.iter().map(|p| (p.step as f64, f(p))).collect();
    Ok(LineDemo {
        csv,
        series: vec![
            ("|cos(w, first PC)|".to_string(), curve(|p| p.abs_cos)),
            ("|w|".to_string(), curve(|p| p.norm)),
        ],
        name: "oja",
        title: "Oja's rule on data with covariance diag(4, 1, 0.25), rotated",
        axes: ("update step", "value"),
        y_range: (0.0, 1.2),
    })
}

/// A step-counting bar of `total` steps, hidden without `progress`.
fn bar(progress: bool, total: usize, label: &str) -> ProgressBar {
    crate::progress::steps_bar_if(progress, total as u64, label)
}

/// Runs the STDP demo: three CSVs and three figures.
fn run_stdp(a: &PlasticityArgs, progress: bool) -> Result<()> {
    if !(a.seconds > 0.0 && a.seconds.is_finite()) {
        anyhow::bail!("--seconds {}: expected a positive duration", a.seconds);
    }
    let o = demos::StdpOptions {
        seconds: a.seconds,
        rate_seconds: a.seconds * 2.0 / 3.0,
        ..Default::default()
    };
    let bar = bar(progress, 0, "stdp");
    let d = demos::stdp(&o, a.seed, |m| bar.set_message(m.to_string()))
        .map_err(|e| anyhow::anyhow!("stdp: {e}"))?;
    bar.finish_and_clear();
    let mut written = Vec::new();
    let mut write = |name: &str, csv: String| -> Result<()> {
        let p = a.out.join(format!("{name}.csv"));
        crate::fsio::write_atomic(&p, csv.as_bytes())?;
        written.push(p);
        Ok(())
    };
    let mut csv = String::from("dt_ms,dw_over_wmax\n");
    for (dt, dw) in &d.window {
        writeln!(csv, "{dt},{dw}")?;
    }
    write("stdp_window", csv)?;
    let centre = |i: usize| (i as f64 + 0.5) / o.bins as f64;
    let mut csv = String::from("w_over_wmax,before,after\n");
    for i in 0..o.bins {
        writeln!(csv, "{},{},{}", centre(i), d.before[i], d.after[i])?;
    }
    write("stdp_weights", csv)?;
    let mut csv = String::from("input_hz,output_hz_fixed,output_hz_stdp\n");
    for (r, f, l) in &d.rates {
        writeln!(csv, "{r},{f},{l}")?;
    }
    write("stdp_rates", csv)?;
    let figs = stdp_figures(&a.out, &o, &d)?;
    for p in written.iter().chain(&figs) {
        println!("{}", p.display());
    }
    Ok(())
}

/// The STDP demo's three figures: the learning window, the weight distribution before and
/// after, and the output rate against the input rate.
fn stdp_figures(
    out: &std::path::Path,
    o: &demos::StdpOptions,
    d: &demos::StdpDemo,
) -> Result<[PathBuf; 3]> {
    let amp = o.rule.a_minus.max(o.rule.a_plus) * 1.1;
    let centre = |i: usize| (i as f64 + 0.5) / o.bins as f64;
    Ok([
        crate::report::figures::line_chart(
            out,
            "stdp_window",
            "STDP learning window (one pre-post pair)",
            ("t_post - t_pre (ms)", "weight change / w_max"),
            &[("dw / w_max".to_string(), d.window.clone())],
            (-amp, amp),
        )?,
        crate::report::figures::line_chart(
            out,
            "stdp_weights",
            &format!(
                "1000 inputs at {} Hz: output {:.0} Hz before STDP, {:.0} Hz after",
                o.rate, d.rate_before_after.0, d.rate_before_after.1
            ),
            ("w / w_max", "fraction of synapses"),
            &[
                (
                    "before".to_string(),
                    (0..o.bins).map(|i| (centre(i), d.before[i])).collect(),
                ),
                (
                    format!("after {} s of STDP", o.seconds),
                    (0..o.bins).map(|i| (centre(i), d.after[i])).collect(),
                ),
            ],
            (
                0.0,
                d.after.iter().chain(&d.before).cloned().fold(0.0, f64::max) * 1.1,
            ),
        )?,
        crate::report::figures::line_chart(
            out,
            "stdp_rates",
            "Output rate against input rate",
            ("input rate (Hz)", "output rate (Hz)"),
            &[
                (
                    "fixed uniform weights".to_string(),
                    d.rates.iter().map(|r| (r.0, r.1)).collect(),
                ),
                (
                    "after STDP".to_string(),
                    d.rates.iter().map(|r| (r.0, r.2)).collect(),
                ),
            ],
            (
                0.0,
                d.rates.iter().map(|r| r.1.max(r.2)).fold(1.0, f64::max) * 1.1,
            ),
        )?,
    ])
}

/// Runs NEAT on a task: a CSV of runs, a summary line and the best-fitness curves.
fn run_neat(a: &PlasticityArgs, task: demos::NeatTask, runs: usize, progress: bool) -> Result<()> {
    let runs = a.runs.unwrap_or(runs);
    if runs == 0 {
        anyhow::bail!("--runs 0: expected at least one run");
    }
    if a.generations == 0 {
        anyhow::bail!("--generations 0: expected at least one generation");
    }
    let config = crate::plasticity::neat::NeatConfig::default();
    let bar = bar(progress, runs, "neat");
    let results = demos::neat(task, &config, runs, a.generations, a.seed, |_| bar.inc(1))
        .map_err(|e| anyhow::anyhow!("neat: {e}"))?;
    bar.finish_and_clear();
    let name = match task {
        demos::NeatTask::Xor => "neat_xor",
        demos::NeatTask::Pole { .. } => "neat_pole",
        demos::NeatTask::DoublePole { .. } => "neat_double_pole",
    };
    let mut csv = String::from("run,solved,generations,evaluations,hidden,connections\n");
    for r in &results {
        writeln!(
            csv,
            "{},{},{},{},{},{}",
            r.run, r.solved, r.generations, r.evaluations, r.hidden, r.connections
        )?;
    }
    let csv_path = a.out.join(format!("{name}.csv"));
    crate::fsio::write_atomic(&csv_path, csv.as_bytes())?;
    let solved: Vec<&demos::NeatRun> = results.iter().filter(|r| r.solved).collect();
    let mean = |f: fn(&demos::NeatRun) -> f64| {
        solved.iter().map(|r| f(r)).sum::<f64>() / solved.len().max(1) as f64
    };
    println!(
        "{name}: solved {} of {} runs; over the solved runs, mean {:.1} generations, {:.0} evaluations, {:.2} hidden nodes, {:.1} enabled connections",
        solved.len(),
        results.len(),
        mean(|r| r.generations as f64),
        mean(|r| r.evaluations as f64),
        mean(|r| r.hidden as f64),
        mean(|r| r.connections as f64),
    );
    let top = results
        .iter()
        .flat_map(|r| r.curve.iter().copied())
        .fold(1.0, f64::max);
    let series: Vec<(String, Vec<(f64, f64)>)> = results
        .iter()
        .take(5)
        .map(|r| {
            let pts = r
                .curve
                .iter()
                .enumerate()
                .map(|(g, f)| (g as f64, *f))
                .collect();
            (format!("run {}", r.run), pts)
        })
        .collect();
    let png = crate::report::figures::line_chart(
        &a.out,
        name,
        "NEAT: best fitness per generation (first runs)",
        ("generation", "best fitness"),
        &series,
        (0.0, top * 1.05),
    )?;
    println!("{}\n{}", csv_path.display(), png.display());
    Ok(())
}
