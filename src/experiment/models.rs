//! The model of every step as a checkpoint, when the config says `save_models = true`:
//! `OUT/models/REGIME_cC_iI_STATE/model.safetensors` with its sidecar, for the state each step
//! ends in (its last row: retrained, else recalibrated, else injured). For a TorchScript model the folder also
//! holds `model.pt`, the module with the step's weights, which `torch.jit.load` opens in PyTorch.
use super::subject::Subject;
use crate::checkpoint::{self, CheckpointMeta};
use crate::results::MetricRow;
use anyhow::Result;
use std::path::{Path, PathBuf};

/// The folder of the model of the state `row` measured.
pub fn folder(out: &Path, row: &MetricRow) -> PathBuf {
    out.join("models").join(row.key.file_stem())
}

/// Writes the subject's current weights as the checkpoint of the state `row` measured; the
/// files are written atomically, so a stopped run leaves each whole or absent.
pub fn save_step(out: &Path, s: &Subject, dataset: &str, row: &MetricRow) -> Result<()> {
    let meta = CheckpointMeta {
        atrophy_version: env!("CARGO_PKG_VERSION").into(),
        architecture: s.net.arch.clone(),
        dataset: dataset.into(),
        normalization: s.norm.clone(),
        evaluation: None,
        provenance: serde_json::json!({
            "experiment_state": row.key,
            "top1": row.top1,
            "mean_class": row.mean_class,
        }),
    };
    let weights = folder(out, row).join("model.safetensors");
    checkpoint::save(&weights, &s.vs, &s.net, &meta)?;
    Ok(())
}
