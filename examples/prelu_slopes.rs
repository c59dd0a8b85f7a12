//! The learned PReLU slopes of a checkpoint by depth (issue 19, docs/RESULTS.md): the mean, and
//! the 10th and 90th percentiles, of each layer's per-channel slopes, as a CSV and a figure.
//!
//!     cargo run --release --example prelu_slopes -- runs/prelu-bench docs/figures/prelu
use std::fmt::Write as _;
use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let checkpoint = PathBuf::from(args.get(1).expect("usage: prelu_slopes CHECKPOINT OUT_DIR"));
    let out = PathBuf::from(args.get(2).expect("usage: prelu_slopes CHECKPOINT OUT_DIR"));
    let slopes = atrophy::checkpoint::prelu_slopes(&checkpoint)?;
    anyhow::ensure!(
        !slopes.is_empty(),
        "{} has no PReLU layer",
        checkpoint.display()
    );
    let mut csv = String::from("depth,layer,channels,mean,p10,p90\n");
    let (mut mean, mut p10, mut p90) = (Vec::new(), Vec::new(), Vec::new());
    for (k, (name, v)) in slopes.iter().enumerate() {
        let mut s = v.clone();
        s.sort_by(f32::total_cmp);
        let q = |p: f64| s[((p * (s.len() - 1) as f64).round()) as usize] as f64;
        let m = s.iter().map(|&x| x as f64).sum::<f64>() / s.len() as f64;
        writeln!(
            csv,
            "{},{name},{},{m},{},{}",
            k + 1,
            s.len(),
            q(0.1),
            q(0.9)
        )?;
        let d = (k + 1) as f64;
        mean.push((d, m));
        p10.push((d, q(0.1)));
        p90.push((d, q(0.9)));
    }
    std::fs::create_dir_all(&out)?;
    atrophy::fsio::write_atomic(&out.join("prelu_slopes.csv"), csv.as_bytes())?;
    let top = p90.iter().map(|p| p.1).fold(0.3, f64::max) * 1.1;
    let low = p10.iter().map(|p| p.1).fold(0.0, f64::min) * 1.1;
    let png = atrophy::report::figures::line_chart(
        &out,
        "prelu_slopes",
        "Learned PReLU slopes by depth",
        ("PReLU layer (1 = first conv block)", "slope a"),
        &[
            ("mean".to_string(), mean),
            ("10th percentile".to_string(), p10),
            ("90th percentile".to_string(), p90),
        ],
        (low, top),
    )?;
    println!(
        "{}\n{}",
        out.join("prelu_slopes.csv").display(),
        png.display()
    );
    Ok(())
}
