//! The healthy training's state between epochs on disk: the weights and momentum after epoch k
//! under the epoch's own names (`state/epoch-k.*.safetensors`), committed by the progress record
//! alone, and the older unnumbered form a resume still reads.
use crate::checkpoint::{self, CheckpointError};
use crate::train::MaskedSgd;
use std::path::Path;
use tch::{nn, Device, Tensor};

/// Writes the weights of `vs` and the momentum of `opt` (when it has any) as the state after
/// `epochs` epochs ([`epoch_files`]), on the CPU whatever the device; the caller's record
/// commits them (also the compression's fine-tuning's, `crate::compress::resume`).
pub(crate) fn write_epoch(
    state: &Path,
    epochs: usize,
    vs: &nn::VarStore,
    opt: &MaskedSgd,
) -> Result<(), CheckpointError> {
    let (weights, momentum_file) = epoch_files(state, epochs);
    let on_cpu = |named: Vec<(String, Tensor)>| -> Vec<(String, Tensor)> {
        (named.into_iter())
            .map(|(n, t)| (n, t.to_device(Device::Cpu)))
            .collect()
    };
    checkpoint::write_tensors(&weights, &on_cpu(vs.variables().into_iter().collect()))?;
    let momentum = on_cpu(opt.buffers());
    if !momentum.is_empty() {
        checkpoint::write_tensors(&momentum_file, &momentum)?;
    }
    Ok(())
}

/// The weights and momentum files of the state after `epochs` epochs (also the compression's
/// fine-tuning's, `crate::compress::resume`).
pub(crate) fn epoch_files(state: &Path, epochs: usize) -> (std::path::PathBuf, std::path::PathBuf) {
    (
        state.join(format!("epoch-{epochs}.weights.safetensors")),
        state.join(format!("epoch-{epochs}.momentum.safetensors")),
    )
}

/// The files a resume after `epochs` epochs reads: [`epoch_files`], or in a folder of an
/// atrophy 0.1.0 of its first week, which held them unnumbered, `weights.safetensors` and
/// `momentum.safetensors`.
pub(super) fn resume_files(
    state: &Path,
    epochs: usize,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let numbered = epoch_files(state, epochs);
    let legacy = (
        state.join("weights.safetensors"),
        state.join("momentum.safetensors"),
    );
    if !numbered.0.is_file() && legacy.0.is_file() {
        legacy
    } else {
        numbered
    }
}

/// Removes the state files of epochs before `epochs` (and the unnumbered ones of older
/// folders), once the record points at epoch `epochs`.
pub(super) fn remove_older_epochs(state: &Path, epochs: usize) {
    let keep = [
        format!("epoch-{epochs}.weights.safetensors"),
        format!("epoch-{epochs}.momentum.safetensors"),
    ];
    let Ok(entries) = std::fs::read_dir(state) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let state_file = name.ends_with(".safetensors")
            && (name.starts_with("epoch-")
                || name == "weights.safetensors"
                || name == "momentum.safetensors");
        if state_file && !keep.contains(&name) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
