//! `atrophy plasticity rbm`: an RBM trained by CD-k on binarised MNIST.
use super::PlasticityArgs;
use anyhow::Result;

/// Trains the RBM and writes its reconstruction curve and image grid.
pub fn run_rbm(
    a: &PlasticityArgs,
    progress: bool,
    rng: &mut rand_chacha::ChaCha8Rng,
) -> Result<()> {
    use crate::plasticity::Rbm;
    let (epochs, images) = (a.epochs.unwrap_or(5), a.images.unwrap_or(10_000));
    if a.hidden == 0 || epochs == 0 || a.k == 0 {
        anyhow::bail!("--hidden, --epochs and --k must be at least 1");
    }
    let split = crate::data::load_or_fetch("mnist", a.data.as_deref(), progress)?;
    let t = &split.train;
    let n = images.min(t.len());
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
        crate::progress::steps_bar((epochs * n.div_ceil(batch)) as u64, "rbm")
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
    for e in 1..=epochs {
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
