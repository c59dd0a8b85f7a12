//! `atrophy plasticity DEMO`: runnable demonstrations of the plasticity library, each writing a
//! CSV and a figure.
use crate::plasticity::{hopfield, rules, Hopfield};
use anyhow::Result;
use clap::{Args, ValueEnum};
use rand::Rng;
use std::path::PathBuf;

/// The demos.
#[derive(Clone, Copy, Debug, ValueEnum)]
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
}

/// Arguments of `plasticity`.
#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  atrophy plasticity hopfield-capacity --out demos/hopfield
  atrophy plasticity modern-hopfield --beta 2 --out demos/modern
  atrophy plasticity oja --eta 0.002 --out demos/oja")]
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
    /// Inverse temperature of the modern Hopfield network.
    #[arg(long, default_value_t = 1.0)]
    pub beta: f64,
    /// Learning rate of Oja's rule, in (0, 1].
    #[arg(long, default_value_t = 0.002)]
    pub eta: f64,
    /// RBM: hidden units.
    #[arg(long, default_value_t = 128)]
    pub hidden: usize,
    /// RBM: epochs over the training images.
    #[arg(long, default_value_t = 5)]
    pub epochs: usize,
    /// RBM: training images (the first N of MNIST's training set).
    #[arg(long, default_value_t = 10_000)]
    pub images: usize,
    /// RBM: Gibbs steps of CD-k.
    #[arg(long, default_value_t = 1)]
    pub k: usize,
    /// RBM: folder holding MNIST (else the usual search, and a download when it is nowhere).
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
            if !(a.eta > 0.0 && a.eta <= 1.0) {
                anyhow::bail!("--eta {} is out of range: expected 0 < eta <= 1", a.eta);
            }
            let (c, s) = (0.6f64, 0.8f64);
            let pc = [c, s, 0.0];
            let mut w: Vec<f64> = (0..3).map(|_| rng.random_range(-0.5..0.5)).collect();
            let mut csv = String::from("step,abs_cos,norm\n");
            let (mut cos_pts, mut norm_pts) = (Vec::new(), Vec::new());
            for step in 0..=20_000 {
                let g = |rng: &mut rand_chacha::ChaCha8Rng| {
                    let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
                    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
                };
                let z = [2.0 * g(&mut rng), g(&mut rng), 0.5 * g(&mut rng)];
                let u = [c * z[0] - s * z[1], s * z[0] + c * z[1], z[2]];
                if step % 200 == 0 {
                    let norm = rules::response(&w, &w).sqrt();
                    let cos = rules::response(&w, &pc).abs() / norm.max(1e-300);
                    csv.push_str(&format!("{step},{cos},{norm}\n"));
                    cos_pts.push((step as f64, cos));
                    norm_pts.push((step as f64, norm));
                }
                rules::oja(&mut w, &u, a.eta).map_err(anyhow::Error::msg)?;
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
        Demo::Rbm => return run_rbm(a, progress, &mut rng),
    };
    let csv_path = a.out.join(format!("{name}.csv"));
    crate::fsio::write_atomic(&csv_path, csv.as_bytes())?;
    let png = crate::report::figures::line_chart(&a.out, name, title, axes, &series, yr)?;
    println!("{}\n{}", csv_path.display(), png.display());
    Ok(())
}

fn run_rbm(a: &PlasticityArgs, progress: bool, rng: &mut rand_chacha::ChaCha8Rng) -> Result<()> {
    use crate::plasticity::Rbm;
    if a.hidden == 0 || a.epochs == 0 || a.k == 0 {
        anyhow::bail!("--hidden, --epochs and --k must be at least 1");
    }
    let split = crate::data::load_or_fetch("mnist", a.data.as_deref(), progress)?;
    let t = &split.train;
    let n = a.images.min(t.len());
    let side = t.width;
    let binarise = |set: &crate::data::Dataset, count: usize| {
        ndarray::Array2::from_shape_fn((count, set.image_size()), |(i, j)| {
            if set.image(i)[j] > 127 {
                1.0
            } else {
                0.0
            }
        })
    };
    let train = binarise(t, n);
    let test = binarise(&split.test, 1000.min(split.test.len()));
    let mut rbm = Rbm::new(train.ncols(), a.hidden, rng);
    let batch = 100;
    let bar = if progress {
        crate::progress::steps_bar((a.epochs * n.div_ceil(batch)) as u64, "rbm")
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut csv = String::from("epoch,train_reconstruction_error,test_reconstruction_error\n");
    let mut pts = vec![(0.0, rbm.reconstruction_error(test.view()))];
    csv.push_str(&format!(
        "0,{},{}\n",
        rbm.reconstruction_error(train.view()),
        pts[0].1
    ));
    for e in 1..=a.epochs {
        let mut order: Vec<usize> = (0..n).collect();
        rand::seq::SliceRandom::shuffle(&mut order[..], rng);
        let mut sum = 0.0;
        for chunk in order.chunks(batch) {
            let v = train.select(ndarray::Axis(0), chunk);
            sum += rbm
                .cd_step(v.view(), a.k, 0.05, rng)
                .map_err(anyhow::Error::msg)?
                * chunk.len() as f64;
            bar.inc(1);
        }
        let test_err = rbm.reconstruction_error(test.view());
        csv.push_str(&format!("{e},{},{test_err}\n", sum / n as f64));
        pts.push((e as f64, test_err));
    }
    bar.finish_and_clear();
    let csv_path = a.out.join("rbm.csv");
    crate::fsio::write_atomic(&csv_path, csv.as_bytes())?;
    let ymax = pts.iter().map(|p| p.1).fold(0.0, f64::max) * 1.1;
    let curve = crate::report::figures::line_chart(
        &a.out,
        "rbm",
        &format!("RBM ({} hidden, CD-{}) on binarised MNIST", a.hidden, a.k),
        ("epoch", "test reconstruction error (MSE)"),
        &[("test images".to_string(), pts)],
        (0.0, ymax),
    )?;
    let originals: Vec<Vec<f64>> = (0..10).map(|i| test.row(i).to_vec()).collect();
    let recon = rbm.visible_probs(rbm.hidden_probs(test.slice(ndarray::s![0..10, ..])).view());
    let samples = rbm.sample(10, 1000, rng);
    let rows = vec![
        ("test images".to_string(), originals),
        (
            "reconstructions".to_string(),
            (0..10).map(|i| recon.row(i).to_vec()).collect(),
        ),
        (
            "samples".to_string(),
            (0..10).map(|i| samples.row(i).to_vec()).collect(),
        ),
    ];
    let grid = crate::report::figures::image_grid(&a.out, "rbm_grid", &rows, side)?;
    println!(
        "{}\n{}\n{}",
        csv_path.display(),
        curve.display(),
        grid.display()
    );
    Ok(())
}
