//! What `eval`, `activations` and `info` accept as a model: an atrophy checkpoint
//! (`model.safetensors`, its sidecar, its `model.pt`, or their folder), or a bare TorchScript
//! file (a `.pt` with no atrophy sidecar beside it), which then needs the data set it is for.
use crate::checkpoint::{self, CheckpointMeta};
use crate::data::{self, Normalization};
use crate::model::Network;
use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use tch::{nn, Device};

/// How to read a bare TorchScript file.
#[derive(Args, Debug, Clone, Default)]
pub struct ScriptInput {
    /// For a bare TorchScript file: do not normalise its inputs (a model that normalises
    /// itself sees pixels scaled to [0, 1]); otherwise the data set's mean and std are applied.
    #[arg(long)]
    pub no_normalize: bool,
}

/// Whether `path` is a TorchScript file that is not part of an atrophy checkpoint.
pub fn is_bare_torchscript(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "pt") && !path.with_extension("json").is_file()
}

/// The model at `path` on `device`. A bare TorchScript file is described for the images of the
/// data set `dataset` (found in `data` or the usual places), with that data set's
/// normalisation unless `script.no_normalize`; the metadata then carries no evaluation.
pub fn open_model(
    path: &Path,
    dataset: Option<&str>,
    data_path: Option<&Path>,
    script: &ScriptInput,
    device: Device,
) -> Result<(nn::VarStore, Network, CheckpointMeta)> {
    if !is_bare_torchscript(path) {
        if script.no_normalize {
            bail!(
                "--no-normalize applies to a bare TorchScript file; {} is an atrophy checkpoint, whose normalisation is recorded in its sidecar",
                path.display()
            );
        }
        return Ok(checkpoint::load(path, device)?);
    }
    let Some(name) = dataset else {
        bail!(
            "{} is a TorchScript file without an atrophy sidecar: say which data set's images it takes with --dataset (cifar10, cifar100, mnist, fashion-mnist or synthetic)",
            path.display()
        );
    };
    let split = data::load(name, data_path)?;
    let t = &split.train;
    let arch = crate::model::script::architecture(
        path,
        t.channels,
        t.height,
        t.num_classes(),
        !script.no_normalize,
    )?;
    let normalization = if script.no_normalize {
        Normalization::identity(t.channels)
    } else {
        Normalization::for_dataset(&split.name, t)
    };
    let vs = nn::VarStore::new(device);
    let net = Network::new(&vs.root(), &arch)?;
    let meta = CheckpointMeta {
        atrophy_version: env!("CARGO_PKG_VERSION").into(),
        architecture: arch,
        dataset: split.name.clone(),
        normalization,
        evaluation: None,
        provenance: serde_json::json!({ "torchscript": PathBuf::from(path) }),
    };
    Ok((vs, net, meta))
}

/// The model at `path` ([`open_model`]) and the data set it is read on ([`data_for`]): what
/// `eval` and `activations` open.
pub fn open_model_and_data(
    path: &Path,
    dataset: Option<&str>,
    data_path: Option<&Path>,
    script: &ScriptInput,
    device: Device,
) -> Result<(nn::VarStore, Network, CheckpointMeta, data::Split)> {
    let (vs, net, meta) = open_model(path, dataset, data_path, script, device)?;
    let split = data_for(path, &meta, dataset, data_path)?;
    Ok((vs, net, meta, split))
}

/// The data set a model is evaluated or read on: `dataset` when given (an atrophy checkpoint
/// on another data set of the same image shape and classes, e.g. an MNIST model on
/// Fashion-MNIST), else the one its metadata records; refused, naming both, when the images do
/// not fit the model.
pub fn data_for(
    checkpoint: &Path,
    meta: &CheckpointMeta,
    dataset: Option<&str>,
    data_path: Option<&Path>,
) -> Result<data::Split> {
    let name = dataset.unwrap_or(&meta.dataset);
    let split = data::load(name, data_path)
        .with_context(|| format!("loading the data set `{name}` of {}", checkpoint.display()))?;
    let t = &split.test;
    let arch = &meta.architecture;
    if !arch.takes(t) {
        bail!(
            "{} takes {}x{}x{} images in {} classes, but {} has {}x{}x{} in {}",
            checkpoint.display(),
            arch.in_channels,
            arch.image_size,
            arch.image_size,
            arch.num_classes,
            split.name,
            t.channels,
            t.height,
            t.width,
            t.num_classes()
        );
    }
    Ok(split)
}
