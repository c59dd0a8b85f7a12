//! The fine-tuning's state between epochs on disk, so that a stopped `atrophy compress` goes on
//! at its last finished epoch and ends with the bits of an unbroken run: the pruned network's
//! weights and momentum after epoch k under the names the healthy training uses
//! (`epoch-k.weights.safetensors`, `epoch-k.momentum.safetensors`), then `progress.json`, the
//! one commit point (a stop before it leaves the previous epoch's files and record as they were).
use super::finetune::FinetuneOptions;
use crate::checkpoint;
use crate::model::Architecture;
use crate::train::epoch_state::{epoch_files as files, write_epoch};
use crate::train::MaskedSgd;
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::nn;

/// Where a fine-tuning keeps its state, and what it belongs to.
pub struct FinetuneState<'a> {
    /// The folder of the state files (`atrophy compress` uses `OUT/state`).
    pub dir: &'a Path,
    /// What identifies the network being fine-tuned, compared with the record's before a
    /// resume (for [`super::compress`]: the FLOPs target, the scope, the pruned widths and the
    /// original's evaluation).
    pub source: serde_json::Value,
    /// The pruned network's architecture, against which the saved weights are checked.
    pub arch: &'a Architecture,
}

/// The progress record, `progress.json`.
#[derive(Serialize, Deserialize)]
struct Record {
    options: FinetuneOptions,
    source: serde_json::Value,
    epochs_done: usize,
}

impl FinetuneState<'_> {
    fn progress_file(&self) -> std::path::PathBuf {
        self.dir.join("progress.json")
    }

    /// Epochs a fine-tuning with options `o` has committed here (0 without a record); an error
    /// naming the record when it is unreadable or belongs to another fine-tuning.
    pub fn epochs_done(&self, o: &FinetuneOptions) -> Result<usize, String> {
        let path = self.progress_file();
        if !path.is_file() {
            return Ok(0);
        }
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let r: Record = serde_json::from_slice(&bytes)
            .map_err(|e| format!("{}: unreadable fine-tuning state: {e}", path.display()))?;
        let recorded = serde_json::json!({"options": r.options, "source": r.source});
        let given = serde_json::json!({"options": o, "source": self.source});
        let d = crate::config::differences(&recorded, &given);
        if !d.is_empty() {
            // The original's evaluation stands for the network itself: alone it differs when
            // the same checkpoint is evaluated with other arithmetic.
            let why = if d.iter().all(|d| d.path.starts_with("source.original")) {
                " (the original network evaluates to other numbers than when this fine-tuning \
                 began: another checkpoint, or the same one on another device or libtorch \
                 build; a fine-tuning resumes only where it began)"
            } else {
                ""
            };
            return Err(format!(
                "{} holds a fine-tuning with a different configuration or of another pruned \
                 network ({}){why}; use another --out or remove it",
                path.display(),
                crate::config::describe_differences(&d, "recorded", "given"),
            ));
        }
        Ok(r.epochs_done)
    }

    /// Loads the weights and momentum that `epochs` committed epochs left here into `vs` and
    /// `opt`.
    pub fn load(
        &self,
        epochs: usize,
        vs: &nn::VarStore,
        opt: &mut MaskedSgd,
    ) -> Result<(), String> {
        let (weights, momentum) = files(self.dir, epochs);
        checkpoint::load_into(&weights, vs, self.arch).map_err(|e| e.to_string())?;
        // Fine-tuning always uses momentum, so a missing file is a broken state, not an option.
        let buffers = checkpoint::read_tensors(&momentum).map_err(|e| e.to_string())?;
        opt.load_buffers(buffers)
            .map_err(|e| format!("{}: {e}", momentum.display()))
    }

    /// Commits epoch `epochs` of a fine-tuning with options `o`: its weights and momentum, then
    /// the record; the files of earlier epochs are removed after.
    pub fn commit(
        &self,
        o: &FinetuneOptions,
        epochs: usize,
        vs: &nn::VarStore,
        opt: &MaskedSgd,
    ) -> Result<(), String> {
        std::fs::create_dir_all(self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?;
        write_epoch(self.dir, epochs, vs, opt).map_err(|e| e.to_string())?;
        let record = Record {
            options: o.clone(),
            source: self.source.clone(),
            epochs_done: epochs,
        };
        let path = self.progress_file();
        let bytes = serde_json::to_vec_pretty(&record).map_err(|e| e.to_string())?;
        crate::fsio::write_atomic(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        for k in 0..epochs {
            let (w, m) = files(self.dir, k);
            let _ = (std::fs::remove_file(w), std::fs::remove_file(m));
        }
        Ok(())
    }
}
