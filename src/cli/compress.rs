//! `atrophy compress`: dependency-aware L1 filter pruning to a FLOPs target, then fine-tuning
//! (the computation is [`crate::compress::compress`]; this module loads, shows and saves).
use crate::checkpoint::{self, CheckpointMeta};
use crate::compress::{self, CompressOptions, FinetuneOptions, Scope};
use crate::data;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use tch::Device;

/// Arguments of `compress`.
#[derive(Args, Debug)]
#[command(after_help = "\
Example (paper 000: about 8.5 % of VGG19's parameters):
  atrophy compress runs/vgg19bn --flops-keep 0.087 --finetune-epochs 20 --out runs/vgg19bn-small
  atrophy info runs/vgg19bn-small            # the new widths
Every layer keeps the same fraction of its filters unless --scope global is given.
The fine-tuning commits every epoch to OUT/state: the same command after a stop goes on at
the last finished epoch and ends with the weights of an unbroken run.")]
pub struct CompressArgs {
    /// Checkpoint to compress.
    pub checkpoint: PathBuf,
    /// Keep at most this fraction of the FLOPs (multiply-accumulates) of one forward pass.
    #[arg(long)]
    pub flops_keep: f64,
    /// Where filters compete: `layer`, every conv keeps the same fraction of its filters, its
    /// strongest by L1 norm (Li et al.; Torch-Pruning's default); `global`, the weakest by L1
    /// norm per weight go first across the network (on a BatchNorm network it can strip the
    /// deep layers to one filter).
    #[arg(long, value_enum, default_value_t = Scope::Layer)]
    pub scope: Scope,
    /// Epochs of fine-tuning after pruning (0 = none).
    #[arg(long, default_value_t = 0)]
    pub finetune_epochs: usize,
    /// Fine-tuning learning rate (cosine schedule).
    #[arg(long, default_value_t = 0.01)]
    pub lr: f64,
    /// Fine-tuning batch size.
    #[arg(long, default_value_t = 128)]
    pub batch_size: usize,
    /// Seed of the fine-tuning.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// File or folder holding the checkpoint's data set.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Output folder (model.safetensors + model.json; state/ holds the fine-tuning's last
    /// finished epoch, from which the same command resumes).
    #[arg(long, short)]
    pub out: PathBuf,
}

/// Runs `compress`.
pub fn run(a: &CompressArgs, device: Device, progress: bool) -> Result<()> {
    // The flags first: a mistake is named before the checkpoint and data set are read.
    check_flags(a)?;
    let (vs, net, meta) = checkpoint::load(&a.checkpoint, device)?;
    let arch = &meta.architecture;
    if arch.torchscript.is_some() || arch.is_cornet() {
        anyhow::bail!(
            "{}: compress prunes conv filters of the VGG family and small_cnn (widths with M pools); this checkpoint is {}",
            a.checkpoint.display(),
            arch.kind
        );
    }
    let split = data::load(&meta.dataset, a.data.as_deref())?;
    let norm = meta.normalization.clone();
    let o = CompressOptions {
        flops_keep: a.flops_keep,
        scope: a.scope,
        finetune: FinetuneOptions {
            epochs: a.finetune_epochs,
            batch_size: a.batch_size,
            lr: a.lr,
            seed: a.seed,
        },
    };
    let bar = crate::progress::steps_bar_if(
        progress && a.finetune_epochs > 0,
        o.finetune.steps(split.train.len()) as u64,
        "fine-tune",
    );
    let state = a.out.join("state");
    let done = compress::compress(
        &vs,
        &net,
        &meta.architecture,
        &split,
        &norm,
        &o,
        Some(&state),
        || bar.inc(1),
    )
    .map_err(anyhow::Error::msg)?;
    bar.finish_and_clear();
    let (plan, before, pruned, finetuned) =
        (&done.plan, &done.original, &done.pruned, &done.finetuned);
    let (f0, f1) = plan.flops;
    let (p0, p1) = plan.params;
    let out_meta = CheckpointMeta {
        atrophy_version: env!("CARGO_PKG_VERSION").into(),
        architecture: plan.arch.clone(),
        dataset: meta.dataset.clone(),
        normalization: norm,
        evaluation: Some(finetuned.clone()),
        provenance: serde_json::json!({
            "compressed_from": a.checkpoint.display().to_string(),
            "original_widths": meta.architecture.widths,
            "flops_keep_requested": a.flops_keep,
            "scope": a.scope,
            "flops": [f0, f1],
            "parameters": [p0, p1],
            "top1": { "original": before.top1, "pruned": pruned.top1, "finetuned": finetuned.top1 },
            "finetune_epochs": a.finetune_epochs,
            "original_provenance": meta.provenance,
        }),
    };
    let weights = a.out.join("model.safetensors");
    checkpoint::save(&weights, &done.vs, &done.net, &out_meta)?;
    print_summary(a, &meta.architecture.widths, &done);
    println!("checkpoint  {}", weights.display());
    Ok(())
}

/// The flags' values, checked.
fn check_flags(a: &CompressArgs) -> Result<()> {
    if !(a.flops_keep > 0.0 && a.flops_keep <= 1.0) {
        anyhow::bail!(
            "--flops-keep {} is out of range: expected 0 < F <= 1",
            a.flops_keep
        );
    }
    if a.batch_size == 0 {
        anyhow::bail!("--batch-size 0: expected at least 1");
    }
    if !(a.lr > 0.0 && a.lr.is_finite()) {
        anyhow::bail!("--lr {}: expected a positive learning rate", a.lr);
    }
    Ok(())
}

/// What the compression kept and what it cost, one line each.
fn print_summary(a: &CompressArgs, original_widths: &str, done: &compress::Compressed) {
    let (plan, before, pruned, finetuned) =
        (&done.plan, &done.original, &done.pruned, &done.finetuned);
    let (f0, f1) = plan.flops;
    let (p0, p1) = plan.params;
    println!(
        "widths      {} -> {} ({} scope)",
        original_widths,
        plan.arch.widths,
        match a.scope {
            Scope::Layer => "layer",
            Scope::Global => "global",
        }
    );
    println!(
        "parameters  {p0} -> {p1} ({:.2} % kept)",
        100.0 * p1 as f64 / p0 as f64
    );
    println!(
        "FLOPs       {f0} -> {f1} ({:.2} % kept)",
        100.0 * f1 as f64 / f0 as f64
    );
    println!(
        "top-1       original {:.4}, pruned {:.4}, fine-tuned ({} epochs) {:.4}",
        before.top1, pruned.top1, a.finetune_epochs, finetuned.top1
    );
}
