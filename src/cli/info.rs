//! `atrophy info`: a checkpoint's (or a preset's) layers, parameters and FLOPs.
use crate::model::arch::{layer_flops, layer_params, Architecture};
use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;

/// Arguments of `info`.
#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  atrophy info runs/fm
  atrophy info --model vgg19_bn --widths bench
  atrophy info resnet.pt --dataset cifar10    # a TorchScript model: its synapses and layers")]
pub struct InfoArgs {
    /// A checkpoint (`model.safetensors`, its `.json` sidecar, or the folder holding them), or
    /// a TorchScript file (`torch.jit.save`), which needs --dataset.
    pub checkpoint: Option<PathBuf>,
    /// The data set a bare TorchScript file takes (its image shape and classes).
    #[arg(long, requires = "checkpoint")]
    pub dataset: Option<String>,
    /// File or folder holding that data set.
    #[arg(long, requires = "dataset")]
    pub data: Option<PathBuf>,
    /// Describe a model preset instead: vgg19_bn, vgg19, small_cnn, cornet_z or cornet_z32.
    #[arg(long, conflicts_with = "checkpoint")]
    pub model: Option<String>,
    /// Conv widths of the preset: a list such as 22,22,M,44,44,M,... or the name `bench` or `full`.
    #[arg(long, requires = "model")]
    pub widths: Option<String>,
}

/// Prints the table.
pub fn run(a: &InfoArgs) -> Result<()> {
    let (arch, meta_eval) = match (&a.checkpoint, &a.model) {
        (Some(c), _) => describe_checkpoint(c, a)?,
        (None, Some(m)) => {
            let (ch, size) = if m.contains("small") {
                (1, 28)
            } else {
                (3, 32)
            };
            (
                Architecture::preset(m, a.widths.as_deref(), ch, size, 10)?,
                None,
            )
        }
        (None, None) => bail!("give a CHECKPOINT or --model NAME"),
    };
    if let Some(script) = &arch.torchscript {
        print_torchscript(&arch, script);
        if let Some(e) = meta_eval {
            println!("{e}");
        }
        return Ok(());
    }
    let layers = arch.layers()?;
    println!("model     {}  widths {}", arch.kind, arch.widths);
    println!(
        "input     {} x {} x {}, {} classes",
        arch.in_channels, arch.image_size, arch.image_size, arch.num_classes
    );
    let width = layers
        .iter()
        .map(|l| l.name.len())
        .max()
        .unwrap_or(5)
        .max(5);
    println!(
        "{:<width$} {:<24} {:<16} {:>12} {:>14}",
        "layer", "op", "output", "parameters", "MACs"
    );
    for l in &layers {
        println!(
            "{:<width$} {:<24} {:<16} {:>12} {:>14}",
            l.name,
            l.op.describe(),
            format!("{:?}", l.out_shape),
            layer_params(&l.op),
            layer_flops(l)
        );
    }
    println!("parameters  {}", arch.parameter_count());
    println!(
        "synapses    {} (conv and linear weights)",
        arch.synapse_count()
    );
    println!(
        "FLOPs       {} multiply-accumulates per image",
        arch.flops()
    );
    if let Some(e) = meta_eval {
        println!("{e}");
    }
    #[cfg(feature = "torch")]
    if let (Some(c), crate::model::Activation::Prelu) = (&a.checkpoint, arch.activation) {
        print_slopes(c)?;
    }
    Ok(())
}

/// The learned PReLU slopes per layer (He et al. 2015 report larger slopes, more linear units,
/// in early layers).
#[cfg(feature = "torch")]
fn print_slopes(c: &std::path::Path) -> Result<()> {
    println!("PReLU slopes    channels       mean        min        max");
    for (name, v) in crate::checkpoint::prelu_slopes(c)? {
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / v.len().max(1) as f64;
        let (lo, hi) = v
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            });
        println!(
            "{name:<15} {:>8} {mean:>10.4} {lo:>10.4} {hi:>10.4}",
            v.len()
        );
    }
    Ok(())
}

/// A TorchScript model's synapse layers and the layers its `activations(x)` names.
fn print_torchscript(arch: &Architecture, s: &crate::model::ScriptArch) {
    println!("model     torchscript {}", s.file.display());
    println!(
        "input     {} x {} x {}, {} classes; {}",
        arch.in_channels,
        arch.image_size,
        arch.image_size,
        arch.num_classes,
        if s.normalize {
            "normalised with the data set's mean and std"
        } else {
            "pixels in [0, 1], not normalised"
        }
    );
    println!(
        "{:<32} {:<20} {:>12}",
        "synapse layer", "weight shape", "synapses"
    );
    for (name, shape) in &s.synapses {
        println!(
            "{:<32} {:<20} {:>12}",
            name,
            format!("{shape:?}"),
            shape.iter().product::<usize>()
        );
    }
    println!("parameters  {}", arch.parameter_count());
    println!(
        "synapses    {} (conv and linear weights)",
        arch.synapse_count()
    );
    if s.layers.is_empty() {
        println!("layers      none named: the module defines no `activations(x)` (see docs/torchscript.md)");
    } else {
        println!(
            "layers      {} (from `activations(x)`)",
            s.layers.join(", ")
        );
    }
}

#[cfg(feature = "torch")]
fn describe_checkpoint(
    c: &std::path::Path,
    a: &InfoArgs,
) -> Result<(Architecture, Option<String>)> {
    if super::open::is_bare_torchscript(c) {
        let (_, _, meta) = super::open::open_model(
            c,
            a.dataset.as_deref(),
            a.data.as_deref(),
            &Default::default(),
            tch::Device::Cpu,
        )?;
        return Ok((meta.architecture, None));
    }
    if a.dataset.is_some() {
        bail!(
            "--dataset applies to a bare TorchScript file; {} is an atrophy checkpoint, whose \
             data set is recorded in its sidecar",
            c.display()
        );
    }
    let meta = crate::checkpoint::read_meta(c)?;
    let eval = meta.evaluation.as_ref().map(|e| {
        format!(
            "trained on {}: test top-1 {:.4}, mean class-wise {:.4} (n = {}); written by atrophy {}",
            meta.dataset, e.top1, e.mean_class, e.n, meta.atrophy_version
        )
    });
    Ok((meta.architecture, eval))
}

#[cfg(not(feature = "torch"))]
fn describe_checkpoint(
    _: &std::path::Path,
    _: &InfoArgs,
) -> Result<(Architecture, Option<String>)> {
    bail!("this build of atrophy has no libtorch (feature `torch` off)")
}
