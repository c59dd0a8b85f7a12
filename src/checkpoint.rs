//! Checkpoints: weights as safetensors under their layer names (`conv1.weight`, `bn1.running_mean`,
//! ...) plus a JSON sidecar with the architecture, data set, normalisation, accuracy and the
//! atrophy version. `model.safetensors` goes with `model.json`.
use crate::data::Normalization;
use crate::model::{Architecture, Network, Op};
use crate::results::Evaluation;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tch::{nn, Device, Tensor};

/// What a checkpoint says about its weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    /// Version of atrophy that wrote it.
    pub atrophy_version: String,
    /// The network.
    pub architecture: Architecture,
    /// The data set it was trained on.
    pub dataset: String,
    /// The input normalisation it expects.
    pub normalization: Normalization,
    /// Test-set evaluation when it was written, if any.
    pub evaluation: Option<Evaluation>,
    /// Free-form provenance (training settings, seed, epochs, compression, ...).
    #[serde(default)]
    pub provenance: serde_json::Value,
}

/// Errors of reading or writing checkpoints.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The weights do not fit the architecture.
    #[error("{path}: the weights do not fit the architecture {arch}:\n  {}", problems.join("\n  "))]
    Mismatch {
        /// The weights file.
        path: PathBuf,
        /// The architecture being loaded into.
        arch: String,
        /// One line per missing, unexpected or mis-shaped tensor.
        problems: Vec<String>,
    },
}

/// The weights file and sidecar of a checkpoint given as the weights, the sidecar, the
/// TorchScript copy (`model.pt`) or the folder holding `model.safetensors`.
pub fn paths(checkpoint: &Path) -> (PathBuf, PathBuf) {
    let weights = if checkpoint.is_dir() {
        checkpoint.join("model.safetensors")
    } else {
        checkpoint.to_path_buf()
    };
    let weights = if weights
        .extension()
        .is_some_and(|e| e == "json" || e == "pt")
    {
        weights.with_extension("safetensors")
    } else {
        weights
    };
    let meta = weights.with_extension("json");
    (weights, meta)
}

/// The TorchScript copy of a checkpoint of a TorchScript model: `model.pt` beside
/// `model.safetensors`.
pub fn torchscript_path(weights: &Path) -> PathBuf {
    weights.with_extension("pt")
}

/// Writes `vs`'s variables and `meta` atomically to `weights` (`.safetensors`) and its sidecar;
/// for a TorchScript model also the module with these values, as [`torchscript_path`], which
/// `torch.jit.load` opens in PyTorch.
pub fn save(
    weights: &Path,
    vs: &nn::VarStore,
    net: &Network,
    meta: &CheckpointMeta,
) -> Result<(), CheckpointError> {
    if let Some(script) = net.torchscript() {
        let file = torchscript_path(weights);
        let err = |m: String| CheckpointError::File {
            path: file.clone(),
            message: m,
        };
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
        }
        let tmp = crate::fsio::temp_path(&file).with_extension("pt");
        if let Err(e) = script.save(&tmp) {
            let _ = std::fs::remove_file(&tmp);
            return Err(err(e.to_string()));
        }
        crate::fsio::commit(&tmp, &file).map_err(|e| err(e.to_string()))?;
    }
    let mut named: Vec<(String, Tensor)> = vs
        .variables()
        .into_iter()
        .map(|(n, t)| (n, t.to_device(Device::Cpu)))
        .collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    write_tensors(weights, &named)?;
    let json = serde_json::to_vec_pretty(meta).expect("checkpoint metadata serialises");
    let (_, sidecar) = paths(weights);
    crate::fsio::write_atomic(&sidecar, &json).map_err(|e| CheckpointError::File {
        path: sidecar,
        message: e.to_string(),
    })
}

/// Writes named tensors as safetensors atomically and durably (synced, renamed, folder synced).
pub fn write_tensors(path: &Path, named: &[(String, Tensor)]) -> Result<(), CheckpointError> {
    let err = |m: String| CheckpointError::File {
        path: path.to_path_buf(),
        message: m,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
    }
    let tmp = crate::fsio::temp_path(path);
    let tmp = tmp.with_extension("safetensors");
    if let Err(e) = Tensor::write_safetensors(named, &tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e.to_string()));
    }
    // Durable before it replaces the old file: a resumed run reads the step state it names.
    crate::fsio::commit(&tmp, path).map_err(|e| err(e.to_string()))
}

/// Reads named tensors from a safetensors file.
pub fn read_tensors(path: &Path) -> Result<Vec<(String, Tensor)>, CheckpointError> {
    if !path.is_file() {
        return Err(CheckpointError::File {
            path: path.into(),
            message: "not found: expected a .safetensors weights file".into(),
        });
    }
    Tensor::read_safetensors(path).map_err(|e| CheckpointError::File {
        path: path.into(),
        message: format!("not a readable safetensors file: {e}"),
    })
}

/// Reads a checkpoint's sidecar.
pub fn read_meta(checkpoint: &Path) -> Result<CheckpointMeta, CheckpointError> {
    let (weights, meta) = paths(checkpoint);
    if !weights.is_file() {
        // Name what the user gave before the sidecar derived from it.
        return Err(CheckpointError::File {
            path: weights,
            message: "no such checkpoint: expected a .safetensors file written by atrophy (or the folder holding model.safetensors)".into(),
        });
    }
    let bytes = std::fs::read(&meta).map_err(|e| CheckpointError::File {
        path: meta.clone(),
        message: format!("{e}: expected the JSON sidecar written beside the weights"),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| CheckpointError::File {
        path: meta,
        message: format!("not a valid atrophy checkpoint sidecar: {e}"),
    })
}

/// Copies a checkpoint's tensors into `vs`; any missing, unexpected or mis-shaped tensor is an
/// error that lists them all.
pub fn load_into(
    weights: &Path,
    vs: &nn::VarStore,
    arch: &Architecture,
) -> Result<(), CheckpointError> {
    let named = read_tensors(weights)?;
    let mut vars = vs.variables();
    let mut problems = Vec::new();
    let mut found = std::collections::HashSet::new();
    for (name, t) in &named {
        match vars.get(name) {
            None => problems.push(format!("unexpected tensor `{name}` {:?}", t.size())),
            Some(v) if v.size() != t.size() => problems.push(format!(
                "`{name}`: checkpoint has shape {:?}, the architecture expects {:?}",
                t.size(),
                v.size()
            )),
            Some(_) => {
                found.insert(name.clone());
            }
        }
    }
    let mut missing: Vec<&String> = vars
        .keys()
        .filter(|k| !found.contains(*k) && !named.iter().any(|(n, _)| n == *k))
        .collect();
    missing.sort();
    problems.extend(missing.into_iter().map(|m| format!("missing tensor `{m}`")));
    if !problems.is_empty() {
        return Err(CheckpointError::Mismatch {
            path: weights.into(),
            arch: format!("{} (widths {})", arch.kind, arch.widths),
            problems,
        });
    }
    tch::no_grad(|| {
        for (name, t) in named {
            if let Some(v) = vars.get_mut(&name) {
                v.copy_(&t.to_device(v.device()).to_kind(v.kind()));
            }
        }
    });
    Ok(())
}

/// A network and its var store loaded from a checkpoint on `device`.
pub fn load(
    checkpoint: &Path,
    device: Device,
) -> Result<(nn::VarStore, Network, CheckpointMeta), CheckpointError> {
    let meta = read_meta(checkpoint)?;
    let (weights, sidecar) = paths(checkpoint);
    check_meta(&meta, &sidecar, &weights)?;
    let vs = nn::VarStore::new(device);
    let net = match &meta.architecture.torchscript {
        // The module's code comes from the checkpoint's own copy, its values from the weights.
        Some(_) => {
            Network::from_torchscript(&vs.root(), &meta.architecture, &torchscript_path(&weights))
                .map_err(|m| CheckpointError::File {
                path: torchscript_path(&weights),
                message: format!(
                    "{m} (a checkpoint of a TorchScript model keeps its module there)"
                ),
            })?
        }
        None => {
            Network::new(&vs.root(), &meta.architecture).map_err(|m| CheckpointError::File {
                path: sidecar,
                message: format!("invalid architecture: {m}"),
            })?
        }
    };
    load_into(&weights, &vs, &meta.architecture)?;
    Ok((vs, net, meta))
}

/// Checks what a sidecar says before a network is allocated from it: an architecture whose
/// parameters fit in the weights file beside it (at least a byte each; a sidecar claiming 2^40
/// weights is an error, not an allocation), with no empty input or layer, and one finite mean and
/// one positive standard deviation per input channel.
fn check_meta(
    meta: &CheckpointMeta,
    sidecar: &Path,
    weights: &Path,
) -> Result<(), CheckpointError> {
    let err = |message: String| CheckpointError::File {
        path: sidecar.into(),
        message,
    };
    let a = &meta.architecture;
    if a.in_channels == 0 || a.image_size == 0 || a.hidden.contains(&0) {
        return Err(err(format!(
            "invalid architecture: in_channels {}, image_size {}, hidden {:?}: expected each to be at least 1",
            a.in_channels, a.image_size, a.hidden
        )));
    }
    let layers = a
        .layers()
        .map_err(|m| err(format!("invalid architecture: {m}")))?;
    let params = layers.iter().try_fold(0usize, |sum, l| {
        let n = match l.op {
            Op::Conv {
                cin, cout, kernel, ..
            } => cin
                .checked_mul(kernel.checked_mul(kernel)?)?
                .checked_mul(cout)?
                .checked_add(cout)?,
            Op::BatchNorm { channels } => channels.checked_mul(4)?,
            Op::PRelu { channels } => channels,
            Op::Linear { fin, fout } => fin.checked_mul(fout)?.checked_add(fout)?,
            _ => 0,
        };
        sum.checked_add(n)
    });
    let bytes = std::fs::metadata(weights).map(|m| m.len()).unwrap_or(0);
    // A sidecar's plausible architecture over a file too small for it: the weights are what is
    // damaged (a truncated copy, an interrupted download), and the error names them.
    if let Some(p) = params.filter(|&p| p as u64 > bytes && p as u64 <= 1 << 40) {
        return Err(CheckpointError::File {
            path: weights.into(),
            message: format!(
                "{bytes} bytes, too few for the {p} parameters of the {} (widths {}) its sidecar \
                 {} describes: a truncated or damaged weights file (copy or write it again)",
                a.kind,
                a.widths,
                sidecar.display()
            ),
        });
    }
    if params.is_none_or(|p| p as u64 > bytes) {
        return Err(err(format!(
            "invalid architecture: {} (widths {}) has {}, more than {} of {bytes} bytes can hold",
            a.kind,
            a.widths,
            params.map_or("more than 2^64 parameters".into(), |p| format!(
                "{p} parameters"
            )),
            weights.display()
        )));
    }
    let n = &meta.normalization;
    if n.mean.len() != a.in_channels
        || n.std.len() != a.in_channels
        || !n.mean.iter().all(|m| m.is_finite())
        || !n.std.iter().all(|s| s.is_finite() && *s > 0.0)
    {
        return Err(err(format!(
            "invalid normalization: mean {:?}, std {:?}: expected a finite mean and a positive std for each of the {} input channels",
            n.mean, n.std, a.in_channels
        )));
    }
    Ok(())
}

/// The learned PReLU slopes of a checkpoint, layer by layer in forward order (none for a model
/// with ReLU).
pub fn prelu_slopes(checkpoint: &Path) -> Result<Vec<(String, Vec<f32>)>, CheckpointError> {
    let meta = read_meta(checkpoint)?;
    let (weights, _) = paths(checkpoint);
    let layers = meta.architecture.layers().unwrap_or_default();
    let named = read_tensors(&weights)?;
    Ok(layers
        .iter()
        .filter(|l| matches!(l.op, Op::PRelu { .. }))
        .filter_map(|l| {
            let name = format!("{}.weight", l.name);
            let t = &named.iter().find(|(n, _)| *n == name)?.1;
            let v = Vec::<f32>::try_from(t.to_kind(tch::Kind::Float).flatten(0, -1)).ok()?;
            Some((l.name.clone(), v))
        })
        .collect())
}
