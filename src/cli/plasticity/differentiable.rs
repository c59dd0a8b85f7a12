//! `atrophy plasticity pattern|denoise|classify`: the differentiable-plasticity experiments of
//! P8, each run for a plastic network and its non-plastic twin on the same data stream (the
//! training itself is [`crate::plasticity::differentiable`]'s).
use super::bar;
use super::PlasticityArgs;
use crate::plasticity::differentiable::{classify, denoise, pattern, Eta};
use anyhow::{anyhow, Result};
use std::fmt::Write as _;
use std::path::PathBuf;

const NETWORKS: [(bool, &str); 2] = [(true, "plastic"), (false, "non-plastic")];

fn device(a: &PlasticityArgs) -> Result<tch::Device> {
    crate::device::parse_device(&a.device).map_err(|e| anyhow!("--device: {e}"))
}

fn eta(a: &PlasticityArgs, default: f64) -> Result<Eta> {
    let v = a.eta.unwrap_or(default);
    let eta = if a.learn_eta {
        Eta::Learned(v)
    } else {
        Eta::Fixed(v)
    };
    eta.validate().map_err(|e| anyhow!("--eta: {e}"))?;
    Ok(eta)
}

/// Mean of the last `window` values at every point (the curves of single episodes are noisy).
fn running_mean(points: &[(f64, f64)], window: usize) -> Vec<(f64, f64)> {
    let mut sum = 0.0;
    points
        .iter()
        .enumerate()
        .map(|(i, &(x, y))| {
            sum += y;
            if i >= window {
                sum -= points[i - window].1;
            }
            (x, sum / (i + 1).min(window) as f64)
        })
        .collect()
}

fn write_csv(a: &PlasticityArgs, name: &str, csv: &str) -> Result<PathBuf> {
    let path = a.out.join(format!("{name}.csv"));
    crate::fsio::write_atomic(&path, csv.as_bytes())
        .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// Miconi's pattern reconstruction, plastic and non-plastic.
pub fn run_pattern(a: &PlasticityArgs, progress: bool) -> Result<()> {
    let device = device(a)?;
    let episodes = a.episodes.unwrap_or(1000);
    let mut o = pattern::PatternOptions {
        task: pattern::PatternTask {
            size: a.size,
            ..Default::default()
        },
        episodes,
        batch: a.batch.unwrap_or(1),
        lr: a.lr.unwrap_or(3e-4),
        eta: eta(a, 0.01)?,
        plastic: true,
        seed: a.seed,
    };
    o.task.validate().map_err(|e| anyhow!("--size: {e}"))?;
    let pb = bar(progress, 2 * episodes, "pattern");
    let mut csv = String::from("network,episode,loss,error,error_erased,eta\n");
    let (mut series, mut summary) = (Vec::new(), String::new());
    let window = 50.min(episodes);
    for (plastic, label) in NETWORKS {
        o.plastic = plastic;
        let (_vs, _net, curve) = pattern::train(&o, device, |p| {
            pb.inc(1);
            pb.set_message(format!("{label}: error {:.3}", p.error));
        })
        .map_err(|e| anyhow!(e))?;
        for p in &curve {
            writeln!(
                csv,
                "{label},{},{},{},{},{}",
                p.episode, p.loss, p.error, p.error_erased, p.eta
            )?;
        }
        let tail = &curve[curve.len().saturating_sub(100)..];
        let mean = |f: fn(&pattern::PatternPoint) -> f64| {
            tail.iter().map(f).sum::<f64>() / tail.len() as f64
        };
        writeln!(
            summary,
            "{label}: sign error {:.4} of all bits, {:.4} of the erased bits (mean of the last {} episodes), eta {:.4}",
            mean(|p| p.error),
            mean(|p| p.error_erased),
            tail.len(),
            curve.last().map_or(0.0, |p| p.eta)
        )?;
        let pts: Vec<(f64, f64)> = curve.iter().map(|p| (p.episode as f64, p.error)).collect();
        series.push((label.to_string(), running_mean(&pts, window)));
    }
    pb.finish_and_clear();
    let path = write_csv(a, "pattern", &csv)?;
    let png = crate::report::figures::line_chart(
        &a.out,
        "pattern",
        &format!(
            "Pattern reconstruction, {} bits (running mean of {window} episodes)",
            a.size
        ),
        ("episode", "fraction of bits with the wrong sign"),
        &series,
        (0.0, 0.5),
    )?;
    print!("{summary}");
    println!("{}\n{}", path.display(), png.display());
    Ok(())
}

/// Denoising autoencoders with and without plastic layers.
pub fn run_denoise(a: &PlasticityArgs, progress: bool) -> Result<()> {
    let device = device(a)?;
    let name = crate::data::canonical_name(&a.dataset)?;
    if name != "mnist" && name != "fashion-mnist" {
        anyhow::bail!(
            "--dataset {}: the denoise demo takes mnist or fashion-mnist",
            a.dataset
        );
    }
    let split = crate::data::load_or_fetch(name, a.data.as_deref(), progress)?;
    let mut o = denoise::DenoiseOptions {
        noise_std: a.noise,
        eta: eta(a, 0.1)?,
        episodes: a.episodes.unwrap_or(2000),
        batch: a.batch.unwrap_or(16),
        lr: a.lr.unwrap_or(1e-3),
        seed: a.seed,
        ..Default::default()
    };
    o.validate().map_err(|e| anyhow!(e))?;
    // A fixed test stream of 128 episodes from test images, the same for both networks.
    let test = denoise::test_episodes(&split.test, &o, 8, 16, device).map_err(|e| anyhow!(e))?;
    let noisy_mse = denoise::noisy_mse(&test);
    let eval_every = (o.episodes / 10).max(1);
    let pb = bar(progress, 2 * o.episodes, "denoise");
    let mut csv = String::from("network,episode,train_mse,test_mse\n");
    let (mut series, mut summary, mut outputs) = (Vec::new(), String::new(), Vec::new());
    for (plastic, label) in NETWORKS {
        o.plastic = plastic;
        let (_vs, net, curve) = denoise::train(&o, &split.train, &test, eval_every, device, |p| {
            pb.inc(1);
            pb.set_message(format!("{label}: train MSE {:.4}", p.train_mse));
        })
        .map_err(|e| anyhow!(e))?;
        let mut pts = Vec::new();
        for p in &curve {
            let test_mse = p.test_mse.map(|v| v.to_string()).unwrap_or_default();
            writeln!(csv, "{label},{},{},{test_mse}", p.episode, p.train_mse)?;
            if let Some(v) = p.test_mse {
                pts.push((p.episode as f64, v));
            }
        }
        let last = pts.last().map_or(f64::NAN, |p| p.1);
        writeln!(summary, "{label}: test MSE per pixel {last:.5}")?;
        series.push((label.to_string(), pts));
        let _guard = tch::no_grad_guard();
        outputs.push((label, net.forward(&test[0].frames, false)));
    }
    pb.finish_and_clear();
    writeln!(summary, "noisy input: MSE per pixel {noisy_mse:.5}")?;
    series.push((
        "noisy input".to_string(),
        vec![
            (eval_every as f64, noisy_mse),
            (o.episodes as f64, noisy_mse),
        ],
    ));
    let path = write_csv(a, "denoise", &csv)?;
    let ymax = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.1))
        .fold(0.0, f64::max)
        * 1.1;
    let png = crate::report::figures::line_chart(
        &a.out,
        "denoise",
        &format!(
            "Denoising autoencoders on {name}, Gaussian noise sd {}",
            a.noise
        ),
        ("episode", "test MSE per pixel"),
        &series,
        (0.0, ymax),
    )?;
    let grid = denoise_grid(a, &test[0], &outputs, split.test.width)?;
    print!("{summary}");
    println!("{}\n{}\n{}", path.display(), png.display(), grid.display());
    Ok(())
}

/// Plastic vs ordinary last layer on MNIST, one image at a time.
pub fn run_classify(a: &PlasticityArgs, progress: bool) -> Result<()> {
    let device = device(a)?;
    if a.learn_eta {
        anyhow::bail!(
            "--learn-eta: the classify demo holds eta fixed (its trace is detached between images)"
        );
    }
    let split = crate::data::load_or_fetch("mnist", a.data.as_deref(), progress)?;
    let mut o = classify::ClassifyOptions {
        epochs: a.epochs.unwrap_or(250),
        images_per_epoch: a.images.unwrap_or(100),
        eta: eta(a, 0.01)?.initial(),
        lr: a.lr.unwrap_or(1e-3),
        eval_images: a.eval_images,
        seed: a.seed,
        ..Default::default()
    };
    let pb = bar(progress, 2 * o.epochs, "classify");
    let mut csv = String::from("network,epoch,train_loss,test_loss,test_accuracy,alpha_shift\n");
    let (mut series, mut summary) = (Vec::new(), String::new());
    for (plastic, label) in NETWORKS {
        o.plastic = plastic;
        let curve = classify::train(&o, &split.train, &split.test, device, |p| {
            pb.inc(1);
            pb.set_message(format!("{label}: test accuracy {:.3}", p.test_accuracy));
        })
        .map_err(|e| anyhow!(e))?;
        for p in &curve {
            writeln!(
                csv,
                "{label},{},{},{},{},{}",
                p.epoch, p.train_loss, p.test_loss, p.test_accuracy, p.alpha_shift
            )?;
        }
        let best = curve.iter().map(|p| p.test_accuracy).fold(0.0, f64::max);
        let last = curve.last().map_or(0.0, |p| p.test_accuracy);
        writeln!(
            summary,
            "{label}: best test accuracy {best:.4}, final {last:.4} ({} test images)",
            o.eval_images.min(split.test.len())
        )?;
        series.push((
            label.to_string(),
            curve
                .iter()
                .map(|p| (p.epoch as f64, p.test_accuracy))
                .collect(),
        ));
    }
    pb.finish_and_clear();
    let path = write_csv(a, "classify", &csv)?;
    let png = crate::report::figures::line_chart(
        &a.out,
        "classify",
        &format!(
            "MNIST, plastic vs ordinary last layer ({} images per epoch, one at a time)",
            o.images_per_epoch
        ),
        ("epoch", "test accuracy"),
        &series,
        (0.0, 1.0),
    )?;
    print!("{summary}");
    println!("{}\n{}", path.display(), png.display());
    Ok(())
}

/// The first 8 test images clean, noisy, and as each network restores them, as one grid.
fn denoise_grid(
    a: &PlasticityArgs,
    episode: &denoise::DenoiseEpisodes,
    outputs: &[(&str, tch::Tensor)],
    side: usize,
) -> Result<PathBuf> {
    let t = episode.frames.size()[0];
    let to_rows = |x: &tch::Tensor| -> Vec<Vec<f64>> {
        let x = x.flatten(1, -1).clamp(0.0, 1.0).to_kind(tch::Kind::Double);
        (0..8.min(x.size()[0]))
            .map(|i| Vec::<f64>::try_from(&x.get(i)).unwrap_or_default())
            .collect()
    };
    let mut rows = vec![
        ("clean".to_string(), to_rows(&episode.targets)),
        (
            "noisy input".to_string(),
            to_rows(&episode.frames.get(t - 1)),
        ),
    ];
    rows.extend(outputs.iter().map(|(l, y)| (l.to_string(), to_rows(y))));
    crate::report::figures::image_grid(&a.out, "denoise_grid", &rows, side)
}
