//! One healthy model per experiment: trained once into `EXP/healthy` (under `EXP/healthy.lock`,
//! so two processes never train it at once), then shared by every shard of the experiment. On a
//! cluster the healthy stage is a job of its own (`atrophy run CONFIG --stage healthy`) and the
//! shards depend on it; a shard never trains its own copy, which on a GPU (not bitwise
//! deterministic) would differ from the others' and make their results unmergeable.
use super::lock::{self, Lock};
use crate::data::Split;
use crate::train::{finished_healthy, train_healthy, HealthySpec};
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tch::Device;

/// How often a waiting process looks again.
const POLL: Duration = Duration::from_secs(5);

/// The lock file of the healthy folder `dir`: `dir` with the extension `.lock`, beside it.
pub fn lock_path(dir: &Path) -> PathBuf {
    dir.with_extension("lock")
}

/// Trains the healthy model `spec` into `dir`, or continues its training, unless another live
/// process holds the lock: then waits for it and uses its model (or takes over the training if
/// that process dies before finishing).
pub fn train_once(
    spec: &HealthySpec,
    split: &Split,
    dir: &Path,
    device: Device,
    progress: bool,
) -> Result<PathBuf> {
    let lock_file = lock_path(dir);
    let mut told = false;
    loop {
        if let Some(done) = finished_healthy(spec, dir)? {
            if !lock::is_held(&lock_file) {
                return Ok(done);
            }
        }
        if let Some(_held) = Lock::try_acquire(&lock_file)? {
            // Ours alone now: what a killed trainer left half-written goes.
            crate::fsio::remove_stale_temporaries(dir, 1);
            return train_healthy(spec, split, dir, device, progress);
        }
        if !told {
            eprintln!("{}", waiting_message(&lock_file, dir));
            told = true;
        }
        std::thread::sleep(POLL);
    }
}

/// The finished healthy model `spec` in `dir`, waiting while a live process trains it; an error
/// naming `command` when nobody does and it is not there.
pub fn wait_for(spec: &HealthySpec, dir: &Path, command: &str) -> Result<PathBuf> {
    let lock_file = lock_path(dir);
    let mut told = false;
    loop {
        let held = lock::is_held(&lock_file);
        if !held {
            if let Some(done) = finished_healthy(spec, dir)? {
                return Ok(done);
            }
            bail!(
                "no finished healthy model in {}: a shard uses the experiment's one healthy model and \
                 never trains its own; make it first with\n  {command}",
                dir.display()
            );
        }
        if !told {
            eprintln!("{}", waiting_message(&lock_file, dir));
            told = true;
        }
        std::thread::sleep(POLL);
    }
}

fn waiting_message(lock_file: &Path, dir: &Path) -> String {
    let who = lock::holder(lock_file)
        .map(|h| h.to_string())
        .unwrap_or_else(|| "another process".into());
    format!(
        "waiting for the healthy model: {who} is training it into {} (lock {})",
        dir.display(),
        lock_file.display()
    )
}
