//! `atrophy plasticity dbn`: a deep belief network (greedy layer-wise RBMs, P9) fine-tuned to
//! classify binarised MNIST, against the same network trained from random weights (the
//! computation is [`crate::plasticity::demos::dbn`]).
use super::PlasticityArgs;
use crate::plasticity::demos::{self, DbnEvent};
use anyhow::{anyhow, Result};
use std::fmt::Write as _;

/// Pretrains, fine-tunes, trains the baseline, and writes the curves.
pub fn run_dbn(a: &PlasticityArgs, progress: bool) -> Result<()> {
    let o = options(a)?;
    let split = crate::data::load_or_fetch("mnist", a.data.as_deref(), progress)?;
    let train = demos::binarise(&split.train, a.images.unwrap_or(10_000));
    let test = demos::binarise(&split.test, split.test.len());
    let classes = split.train.num_classes();
    let bar = super::bar(progress, 0, "dbn");
    let run = demos::dbn(&train, &test, classes, &o, a.seed, |event, done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        bar.set_message(describe(event));
    })
    .map_err(|e| anyhow!(e))?;
    bar.finish_and_clear();
    let mut csv = String::from("phase,layer,epoch,value\n");
    let mut pre: Vec<(String, Vec<(f64, f64)>)> = o
        .hidden
        .iter()
        .enumerate()
        .map(|(l, h)| (format!("RBM {} ({h} hidden)", l + 1), Vec::new()))
        .collect();
    for p in &run.pretraining {
        let (layer, epoch, err) = (p.layer + 1, p.epoch, p.error);
        writeln!(csv, "pretrain_reconstruction_error,{layer},{epoch},{err}")?;
        pre[p.layer].1.push((epoch as f64, err));
    }
    let (mut series, mut summary) = (Vec::new(), String::new());
    for net in &run.networks {
        let label = net.label;
        let mut pts = vec![(0.0, net.initial_accuracy)];
        for p in &net.epochs {
            writeln!(
                csv,
                "finetune_train_loss,{label},{},{}",
                p.epoch, p.train_loss
            )?;
            writeln!(
                csv,
                "finetune_test_accuracy,{label},{},{}",
                p.epoch, p.test_accuracy
            )?;
            pts.push((p.epoch as f64, p.test_accuracy));
        }
        writeln!(
            summary,
            "{label}: test accuracy {:.4} after {} epochs of fine-tuning",
            pts.last().map_or(0.0, |p| p.1),
            o.finetune_epochs
        )?;
        series.push((label.to_string(), pts));
    }
    let path = a.out.join("dbn.csv");
    crate::fsio::write_atomic(&path, csv.as_bytes())?;
    let acc = crate::report::figures::line_chart(
        &a.out,
        "dbn",
        &format!(
            "MNIST, {} images: sigmoid MLP {:?} with and without DBN pretraining",
            train.x.nrows(),
            run.sizes
        ),
        ("fine-tuning epoch", "test accuracy"),
        &series,
        (0.0, 1.0),
    )?;
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

/// The demo's settings from the command line.
fn options(a: &PlasticityArgs) -> Result<demos::DbnDemoOptions> {
    let hidden: Vec<usize> = a
        .layers
        .split(',')
        .map(|s| s.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|_| anyhow!("--layers {}: expected widths like 256,64", a.layers))?;
    Ok(demos::DbnDemoOptions {
        hidden,
        epochs: a.epochs.unwrap_or(5),
        k: a.k,
        finetune_epochs: a.finetune_epochs,
        lr: a.lr.unwrap_or(0.1),
        ..Default::default()
    })
}

/// The progress bar's message for a finished epoch.
fn describe(event: &DbnEvent) -> String {
    match event {
        DbnEvent::Pretrained(p) => format!(
            "layer {} epoch {}: reconstruction {:.4}",
            p.layer + 1,
            p.epoch,
            p.error
        ),
        DbnEvent::Trained { label, point } => {
            format!("{label}: test accuracy {:.4}", point.test_accuracy)
        }
    }
}
