//! `atrophy plasticity dbn`: a deep belief network (greedy layer-wise RBMs, P9) fine-tuned to
//! classify binarised MNIST, against the same network trained from random weights.
use super::PlasticityArgs;
use crate::plasticity::{Dbn, DbnClassifier};
use anyhow::{anyhow, Result};
use ndarray::Array2;
use rand_chacha::ChaCha8Rng;
use std::fmt::Write as _;

fn binarise(set: &crate::data::Dataset, count: usize) -> (Array2<f64>, Vec<usize>) {
    let x = Array2::from_shape_fn((count, set.image_size()), |(i, j)| {
        if set.image(i)[j] > 127 {
            1.0
        } else {
            0.0
        }
    });
    (x, set.labels[..count].iter().map(|&l| l as usize).collect())
}

/// Pretrains, fine-tunes, trains the baseline, and writes the curves.
pub fn run_dbn(a: &PlasticityArgs, progress: bool, rng: &mut ChaCha8Rng) -> Result<()> {
    let epochs = a.epochs.unwrap_or(5);
    let finetune = a.finetune_epochs;
    let images = a.images.unwrap_or(10_000);
    let hidden: Vec<usize> = a
        .layers
        .split(',')
        .map(|s| s.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|_| anyhow!("--layers {}: expected widths like 256,64", a.layers))?;
    let lr = a.lr.unwrap_or(0.1);
    let split = crate::data::load_or_fetch("mnist", a.data.as_deref(), progress)?;
    let (x, y) = binarise(&split.train, images.min(split.train.len()));
    let (tx, ty) = binarise(&split.test, split.test.len());
    let mut sizes = vec![x.ncols()];
    sizes.extend(&hidden);
    let batches = x.nrows().div_ceil(100);
    let total = hidden.len() * epochs * batches + 2 * finetune;
    let bar = if progress {
        crate::progress::steps_bar(total as u64, "dbn")
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut csv = String::from("phase,layer,epoch,value\n");
    let mut pretrain_pts: Vec<Vec<(f64, f64)>> = vec![Vec::new(); hidden.len()];
    let dbn = Dbn::pretrain(
        x.view(),
        &sizes,
        epochs,
        100,
        a.k,
        0.05,
        rng,
        |layer, epoch, err| {
            bar.inc(batches as u64);
            bar.set_message(format!(
                "layer {} epoch {epoch}: reconstruction {err:.4}",
                layer + 1
            ));
            let _ = writeln!(
                csv,
                "pretrain_reconstruction_error,{},{epoch},{err}",
                layer + 1
            );
            pretrain_pts[layer].push((epoch as f64, err));
        },
    )
    .map_err(|e| anyhow!(e))?;
    let classes = split.train.num_classes();
    let mut nets = [
        (
            "DBN (pretrained)",
            DbnClassifier::from_dbn(&dbn, classes, rng),
        ),
        ("random init", DbnClassifier::random(&sizes, classes, rng)),
    ];
    let mut series = Vec::new();
    let mut summary = String::new();
    for (label, net) in nets.iter_mut() {
        let net = net.as_mut().map_err(|e| anyhow!(e.clone()))?;
        let mut pts = vec![(0.0, net.accuracy(tx.view(), &ty).map_err(|e| anyhow!(e))?)];
        for e in 1..=finetune {
            let loss = net
                .train_epoch(x.view(), &y, 32, lr, rng)
                .map_err(|e| anyhow!(e))?;
            let acc = net.accuracy(tx.view(), &ty).map_err(|e| anyhow!(e))?;
            writeln!(csv, "finetune_train_loss,{label},{e},{loss}")?;
            writeln!(csv, "finetune_test_accuracy,{label},{e},{acc}")?;
            pts.push((e as f64, acc));
            bar.inc(1);
            bar.set_message(format!("{label}: test accuracy {acc:.4}"));
        }
        writeln!(
            summary,
            "{label}: test accuracy {:.4} after {finetune} epochs of fine-tuning",
            pts.last().map_or(0.0, |p| p.1)
        )?;
        series.push((label.to_string(), pts));
    }
    bar.finish_and_clear();
    let path = a.out.join("dbn.csv");
    crate::fsio::write_atomic(&path, csv.as_bytes())?;
    let acc = crate::report::figures::line_chart(
        &a.out,
        "dbn",
        &format!(
            "MNIST, {} images: sigmoid MLP {:?} with and without DBN pretraining",
            x.nrows(),
            sizes
        ),
        ("fine-tuning epoch", "test accuracy"),
        &series,
        (0.0, 1.0),
    )?;
    let pre: Vec<(String, Vec<(f64, f64)>)> = pretrain_pts
        .into_iter()
        .enumerate()
        .map(|(l, p)| (format!("RBM {} ({} hidden)", l + 1, hidden[l]), p))
        .collect();
    let ymax = pre
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.1))
        .fold(0.0, f64::max)
        * 1.1;
    let recon = crate::report::figures::line_chart(
        &a.out,
        "dbn_pretraining",
        &format!("Greedy layer-wise pretraining (CD-{})", a.k),
        ("epoch", "reconstruction error of the layer's input (MSE)"),
        &pre,
        (0.0, ymax),
    )?;
    print!("{summary}");
    println!("{}\n{}\n{}", path.display(), acc.display(), recon.display());
    Ok(())
}
