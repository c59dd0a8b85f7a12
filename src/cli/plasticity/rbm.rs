//! `atrophy plasticity rbm`: an RBM trained by CD-k on binarised MNIST (the computation is
//! [`crate::plasticity::demos::rbm`]).
use super::PlasticityArgs;
use crate::plasticity::demos;
use anyhow::Result;

/// Trains the RBM and writes its reconstruction curve and image grid.
pub fn run_rbm(a: &PlasticityArgs, progress: bool) -> Result<()> {
    let o = demos::RbmDemoOptions {
        hidden: a.hidden,
        epochs: a.epochs.unwrap_or(5),
        k: a.k,
        ..Default::default()
    };
    if o.hidden == 0 || o.epochs == 0 || o.k == 0 {
        anyhow::bail!("--hidden, --epochs and --k must be at least 1");
    }
    let split = crate::data::load_or_fetch("mnist", a.data.as_deref(), progress)?;
    let train = demos::binarise(&split.train, a.images.unwrap_or(10_000));
    let test = demos::binarise(&split.test, 1000);
    let bar = super::bar(progress, 0, "rbm");
    let run = demos::rbm(train.x.view(), test.x.view(), &o, a.seed, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .map_err(anyhow::Error::msg)?;
    bar.finish_and_clear();
    let mut csv = String::from("epoch,train_reconstruction_error,test_reconstruction_error\n");
    for e in &run.curve {
        csv.push_str(&format!("{},{},{}\n", e.epoch, e.train_error, e.test_error));
    }
    let csv_path = a.out.join("rbm.csv");
    crate::fsio::write_atomic(&csv_path, csv.as_bytes())?;
    let pts: Vec<(f64, f64)> = run
        .curve
        .iter()
        .map(|e| (e.epoch as f64, e.test_error))
        .collect();
    let ymax = pts.iter().map(|p| p.1).fold(0.0, f64::max) * 1.1;
    let curve = crate::report::figures::line_chart(
        &a.out,
        "rbm",
        &format!("RBM ({} hidden, CD-{}) on binarised MNIST", a.hidden, a.k),
        ("epoch", "test reconstruction error (MSE)"),
        &[("test images".to_string(), pts)],
        (0.0, ymax),
    )?;
    let rows = vec![
        ("test images".to_string(), run.originals),
        ("reconstructions".to_string(), run.reconstructions),
        ("samples".to_string(), run.samples),
    ];
    let grid = crate::report::figures::image_grid(&a.out, "rbm_grid", &rows, split.train.width)?;
    println!(
        "{}\n{}\n{}",
        csv_path.display(),
        curve.display(),
        grid.display()
    );
    Ok(())
}
