//! Rust side of the analysis-kernel benchmark (bench/RESULTS.md, "Analysis kernels").
//!
//! ```text
//! # same data as bench/analysis_bench.py (which generates it on first use)
//! cargo run --release --no-default-features --example analysis_bench -- /tmp/atrophy-bench
//! # 48 x 48 minibatch CKA matrix at n = 10,000 on compressed-VGG19-like layer widths
//! /usr/bin/time -v target/release/examples/analysis_bench vgg 10000 1000
//! ```
use std::time::Instant;

use anyhow::{bail, Context, Result};
use atrophy::analysis::{self, kendall::rdm_kendall_counts, npy, LayerSource, TauVariant};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

fn secs<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let t = Instant::now();
    let v = f();
    (t.elapsed().as_secs_f64(), v)
}

fn load_f32(dir: &str, name: &str) -> Result<Array2<f32>> {
    match npy::read_matrix(format!("{dir}/{name}"))? {
        npy::Matrix::F32(a) => Ok(a),
        npy::Matrix::F64(_) => bail!("{dir}/{name}: expected float32"),
    }
}

fn kernels(dir: &str) -> Result<()> {
    let mut out = serde_json::Map::new();
    let threads = rayon::current_num_threads();
    println!("rayon threads: {threads}");
    let a = load_f32(dir, "acts_a.npy")?;
    let b = load_f32(dir, "acts_b.npy")?;
    let (t_rdm, ra) = secs(|| analysis::rdm(a.view()));
    let ra = ra?;
    println!("RDM 10000x512: {t_rdm:.3} s  rdm[0][1] = {:?}", ra[[0, 1]]);
    let (t_rdm_b, rb) = secs(|| analysis::rdm(b.view()));
    let rb = rb?;
    println!("RDM 10000x512 (second): {t_rdm_b:.3} s");
    let (t_tau, counts) = secs(|| rdm_kendall_counts(ra.view(), rb.view()));
    let counts = counts?;
    let (tau_b, tau_a) = (counts.tau(TauVariant::B)?, counts.tau(TauVariant::A)?);
    println!(
        "Kendall on RDM upper triangles ({} pairs, from the two RDMs, triangle extraction \
         included): {t_tau:.3} s  tau-b = {tau_b:?}  tau-a = {tau_a:?}",
        counts.len
    );
    drop((ra, rb));
    let x = load_f32(dir, "cka_x.npy")?;
    let y = load_f32(dir, "cka_y.npy")?;
    let (t_cka, v32) = secs(|| analysis::linear_cka(x.view(), y.view()));
    let v32 = v32?;
    println!("linear CKA f32 (n=10000, 4096 x 2048): {t_cka:.3} s  cka = {v32:?}");
    let (x64, y64) = (x.mapv(f64::from), y.mapv(f64::from));
    drop((x, y));
    let (t_cka64, v64) = secs(|| analysis::linear_cka(x64.view(), y64.view()));
    let v64 = v64?;
    println!("linear CKA f64 (n=10000, 4096 x 2048): {t_cka64:.3} s  cka = {v64:?}");
    for (k, v) in [
        ("rdm_10000x512", t_rdm),
        ("rdm_10000x512_second", t_rdm_b),
        ("kendall_rdm_49995000", t_tau),
        ("linear_cka_f32_10000_4096_2048", t_cka),
        ("linear_cka_f64_10000_4096_2048", t_cka64),
        ("tau_b", tau_b),
        ("tau_a", tau_a),
        ("cka_f32", v32),
        ("cka_f64", v64),
    ] {
        out.insert(k.into(), v.into());
    }
    out.insert("threads".into(), threads.into());
    let path = format!("{dir}/rust_results.json");
    std::fs::write(&path, serde_json::to_string_pretty(&out)?).context(path)?;
    Ok(())
}

/// Activations of a compressed VGG19 (filters / 3.4, about 8.5 % of the parameters) on
/// 32 x 32 inputs: conv, BatchNorm and ReLU output of each of the 16 convs (48 layers,
/// C*H*W features each), generated on demand, reproducibly per (model, layer, row).
/// Model B is model A plus noise, so the diagonal of the CKA matrix is high.
struct SyntheticVgg {
    widths: Vec<usize>,
    n: usize,
    model: u64,
}

impl SyntheticVgg {
    fn new(n: usize, model: u64) -> Self {
        let cfg = [
            (64, 32),
            (64, 32),
            (128, 16),
            (128, 16),
            (256, 8),
            (256, 8),
            (256, 8),
            (256, 8),
            (512, 4),
            (512, 4),
            (512, 4),
            (512, 4),
            (512, 2),
            (512, 2),
            (512, 2),
            (512, 2),
        ];
        let widths = cfg
            .iter()
            .flat_map(|&(c, s)| {
                let c = (c as f64 / 3.4).round() as usize;
                [c * s * s; 3]
            })
            .collect();
        Self { widths, n, model }
    }

    fn row(layer: usize, model: u64, i: usize, out: &mut [f32]) {
        let mut rng = ChaCha8Rng::seed_from_u64(((layer as u64) << 48) ^ (model << 40) ^ i as u64);
        for v in out.iter_mut() {
            *v = rng.random::<f32>();
        }
    }
}

impl LayerSource for SyntheticVgg {
    type Elem = f32;
    fn n_layers(&self) -> usize {
        self.widths.len()
    }
    fn n_rows(&self) -> usize {
        self.n
    }
    fn layer_name(&self, layer: usize) -> String {
        format!("synthetic model {} layer {layer}", self.model)
    }
    fn read_rows(
        &self,
        layer: usize,
        rows: std::ops::Range<usize>,
    ) -> atrophy::analysis::Result<Array2<f32>> {
        let p = self.widths[layer];
        let mut a = Array2::<f32>::zeros((rows.len(), p));
        a.axis_iter_mut(ndarray::Axis(0))
            .into_par_iter()
            .enumerate()
            .for_each(|(k, mut r)| {
                let r = r.as_slice_mut().unwrap();
                Self::row(layer, 0, rows.start + k, r);
                if self.model != 0 {
                    let mut noise = vec![0f32; p];
                    Self::row(layer, self.model, rows.start + k, &mut noise);
                    for (v, e) in r.iter_mut().zip(noise) {
                        *v += 0.5 * e;
                    }
                }
            });
        Ok(a)
    }
}

fn vgg(n: usize, batch: usize) -> Result<()> {
    let healthy = SyntheticVgg::new(n, 0);
    let injured = SyntheticVgg::new(n, 1);
    let total: usize = healthy.widths.iter().sum();
    println!(
        "{} layers per model, {} features per image per model (widths {:?})",
        healthy.widths.len(),
        total,
        healthy.widths
    );
    let start = Instant::now();
    let m = analysis::minibatch_cka_matrix(
        &healthy,
        &injured,
        batch,
        analysis::Estimator::Unbiased,
        |d, t| eprintln!("minibatch {d}/{t}  {:.1} s", start.elapsed().as_secs_f64()),
    )?;
    let diag: Vec<String> = (0..m.nrows())
        .map(|i| format!("{:.3}", m[[i, i]]))
        .collect();
    println!(
        "48 x 48 minibatch CKA (n = {n}, batch = {batch}): {:.2} s",
        start.elapsed().as_secs_f64()
    );
    println!("diagonal: {}", diag.join(" "));
    println!("M[0][47] = {:.4}", m[[0, 47]]);
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("vgg") => {
            let n = args.get(1).map_or(Ok(10_000), |s| s.parse())?;
            let b = args.get(2).map_or(Ok(1000), |s| s.parse())?;
            vgg(n, b)
        }
        Some(dir) => kernels(dir),
        None => bail!("usage: analysis_bench DATA_DIR | analysis_bench vgg [N] [BATCH]"),
    }
}
