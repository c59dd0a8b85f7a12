//! Training a healthy model from scratch, resumable: after every epoch the weights, the momentum
//! buffers and the log are checkpointed, so a stopped run loses at most one epoch and its
//! continuation gives the numbers an uninterrupted run gives (every random draw is derived from
//! the seed and the epoch).
use super::epoch_state::{remove_older_epochs, resume_files, write_epoch};
use super::error::TrainError;
use super::fit::{evaluate, train_epoch, Epoch, TrainConfig};
use super::held_out::provenance;
use super::optim::MaskedSgd;
pub use super::options::{AugmentSetting, HealthyOptions};
use crate::checkpoint::{self, CheckpointMeta};
use crate::data::{Normalization, Split};
use crate::model::{Architecture, Network};
pub use crate::results::EpochRow;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::{nn, Device};

/// Everything that determines a healthy model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HealthySpec {
    /// Data set name.
    pub dataset: String,
    /// The network.
    pub architecture: Architecture,
    /// Training settings.
    pub train: TrainConfig,
    /// Seed of initialisation, shuffling, augmentation and dropout.
    pub seed: u64,
    /// Train on this many images drawn at random (None = all).
    #[serde(default)]
    pub train_subset: Option<usize>,
}

impl HealthyOptions {
    /// The spec for `split`; errors name the option.
    pub fn to_spec(
        &self,
        split: &crate::data::Split,
    ) -> std::result::Result<HealthySpec, TrainError> {
        use crate::train::{LrSchedule, SgdConfig};
        let t = &split.train;
        let architecture = self.architecture(t)?;
        let augment = self.augment.resolve(&split.name);
        if self.cutout > 0 && augment.is_none() {
            return Err(TrainError::out_of_range(
                "cutout",
                self.cutout,
                "0 when augmentation is off (cutout is part of augmentation: augment = \"on\")",
            ));
        }
        if self.cutout > t.height.max(t.width) {
            return Err(TrainError::out_of_range(
                "cutout",
                self.cutout,
                format!("at most the image's side ({})", t.height.max(t.width)),
            ));
        }
        let train = TrainConfig {
            epochs: self.epochs,
            batch_size: self.batch_size,
            sgd: SgdConfig {
                lr: self.lr,
                momentum: self.momentum,
                weight_decay: self.weight_decay,
                nesterov: self.nesterov,
            },
            schedule: LrSchedule::parse(&self.schedule).map_err(TrainError::Schedule)?,
            augment: augment.map(|a| a.with_cutout(self.cutout)),
            label_smoothing: self.label_smoothing,
            precision: self.precision,
        };
        HealthySpec::validate_train(&train, self.torchscript.is_some())?;
        let subset = self.train_subset(t.len())?;
        Ok(HealthySpec {
            dataset: split.name.clone(),
            architecture,
            train,
            seed: self.seed,
            train_subset: subset,
        })
    }

    /// The network the options describe for images like `t`'s, checked against the memory
    /// budget (a TorchScript model's size is its own).
    fn architecture(
        &self,
        t: &crate::data::Dataset,
    ) -> std::result::Result<Architecture, TrainError> {
        if self.torchscript.is_some() && !self.activation.is_relu() {
            return Err(TrainError::Architecture(
                crate::model::ModelError::out_of_range(
                    "activation",
                    "prelu",
                    "relu for a TorchScript model (its code fixes its nonlinearities)",
                ),
            ));
        }
        let architecture = match &self.torchscript {
            Some(file) => crate::model::script::architecture(
                file,
                t.channels,
                t.height,
                t.num_classes(),
                self.normalize,
            ),
            None => Architecture::preset(
                &self.model,
                self.widths.as_deref(),
                t.channels,
                t.height,
                t.num_classes(),
            )
            .map(|a| Architecture {
                activation: self.activation,
                ..a
            }),
        }
        .map_err(TrainError::Architecture)?;
        if self.torchscript.is_none() {
            use crate::model::budget::{check_fits, BudgetError};
            check_fits(&architecture, self.batch_size).map_err(|e| match e {
                BudgetError::BadBudget(why) => TrainError::Budget(why),
                BudgetError::TooLarge(why) => TrainError::out_of_range(
                    "widths and batch_size",
                    format!(
                        "{} and {}",
                        self.widths.as_deref().unwrap_or(&self.model),
                        self.batch_size
                    ),
                    format!("a model that fits in memory: {why}"),
                ),
            })?;
        }
        Ok(architecture)
    }

    /// How many training images to draw (None = all), from `holdout` or `subset`, for a
    /// training set of `n` images.
    fn train_subset(&self, n: usize) -> std::result::Result<Option<usize>, TrainError> {
        let subset = match (self.holdout, self.subset) {
            (None, s) => s,
            (Some(h), Some(subset)) => {
                return Err(TrainError::HoldoutWithSubset { holdout: h, subset })
            }
            (Some(h), None) if h >= 1 && h < n => Some(n - h),
            (Some(h), None) => {
                return Err(TrainError::HoldoutOutOfRange {
                    holdout: h,
                    images: n,
                })
            }
        };
        if let Some(r) = subset {
            if r == 0 || r > n {
                return Err(TrainError::SubsetOutOfRange {
                    subset: r,
                    images: n,
                });
            }
        }
        Ok(subset)
    }
}

impl HealthySpec {
    /// Checks the training settings; a TorchScript model may train 0 epochs (taken as it is,
    /// for a model trained elsewhere), a built-in one at least 1.
    fn validate_train(train: &TrainConfig, torchscript: bool) -> Result<(), TrainError> {
        if torchscript && !train.precision.is_fp32() {
            return Err(TrainError::out_of_range(
                "precision",
                "bf16",
                super::precision::TORCHSCRIPT_FP32_ONLY,
            ));
        }
        if torchscript && train.epochs == 0 {
            return TrainConfig {
                epochs: 1,
                ..train.clone()
            }
            .validate();
        }
        train.validate()
    }
}

/// The healthy model that `spec` makes, if `out` holds it finished: all epochs trained and the
/// final checkpoint written (read only; nothing is trained or rewritten). An error when `out`
/// holds a training run of another spec, or an unreadable record.
pub fn finished_healthy(spec: &HealthySpec, out: &Path) -> Result<Option<std::path::PathBuf>> {
    let final_weights = out.join("model.safetensors");
    let Some(rows) = read_record(spec, out)? else {
        return Ok(None);
    };
    // The checkpoint is whole when both its files are there (a stop between the two leaves it
    // unfinished, and the next call writes it again).
    let (_, sidecar) = checkpoint::paths(&final_weights);
    let written = final_weights.is_file() && sidecar.is_file();
    let complete = rows.len() >= spec.train.epochs && written;
    // Written only with the final checkpoint when there is no epoch to train.
    let complete = complete || (spec.train.epochs == 0 && written);
    Ok(complete.then_some(final_weights))
}

#[derive(Serialize, Deserialize)]
struct TrainingRecord {
    spec: HealthySpec,
    rows: Vec<EpochRow>,
}

/// The epochs recorded in `out`'s training state (None when there is none); an error when it is
/// unreadable or of another spec.
fn read_record(spec: &HealthySpec, out: &Path) -> Result<Option<Vec<EpochRow>>> {
    let progress_file = out.join("state").join("progress.json");
    if !progress_file.is_file() {
        return Ok(None);
    }
    let p: TrainingRecord = serde_json::from_slice(
        &std::fs::read(&progress_file)
            .with_context(|| format!("reading {}", progress_file.display()))?,
    )
    .with_context(|| format!("{}: unreadable training state", progress_file.display()))?;
    if p.spec != *spec {
        let d = crate::config::differences(
            &serde_json::to_value(&p.spec).unwrap_or_default(),
            &serde_json::to_value(spec).unwrap_or_default(),
        );
        bail!(
            "{} holds a training run with a different configuration ({}; see {}); use another \
             --out or remove it",
            out.display(),
            crate::config::describe_differences(&d, "recorded", "given"),
            progress_file.display()
        );
    }
    Ok(Some(p.rows))
}

/// Loads the weights and momentum that `epochs` finished epochs left in `state` into `vs` and
/// `opt`; an error when the momentum a run with momentum needs is missing.
fn resume_from(
    spec: &HealthySpec,
    state: &Path,
    epochs: usize,
    vs: &nn::VarStore,
    opt: &mut MaskedSgd,
) -> Result<()> {
    let (weights, momentum) = resume_files(state, epochs);
    checkpoint::load_into(&weights, vs, &spec.architecture)?;
    if momentum.is_file() {
        opt.load_buffers(checkpoint::read_tensors(&momentum)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", momentum.display()))?;
    } else if spec.train.sgd.momentum > 0.0 {
        // Zero momentum would not continue the run the record describes.
        bail!(
            "{}: the optimizer's momentum after epoch {epochs} is missing; the training cannot \
             continue to the numbers an uninterrupted run gives (remove {} to start over)",
            momentum.display(),
            state.parent().unwrap_or(state).display()
        );
    }
    Ok(())
}

/// Ends an epoch: the state after it under the epoch's own names, then the progress record,
/// the one commit point (a stop before it leaves the previous epoch's files and record as they
/// were, and the epoch is trained again from them; a stop after it finds both new), then the log.
fn commit_epoch(
    spec: &HealthySpec,
    out: &Path,
    rows: &[EpochRow],
    vs: &nn::VarStore,
    opt: &MaskedSgd,
) -> Result<()> {
    let state = out.join("state");
    write_epoch(&state, rows.len(), vs, opt)?;
    let p = TrainingRecord {
        spec: spec.clone(),
        rows: rows.to_vec(),
    };
    crate::fsio::write_atomic(
        &state.join("progress.json"),
        &serde_json::to_vec_pretty(&p)?,
    )?;
    write_log(&out.join("train_log.csv"), rows)?;
    remove_older_epochs(&state, rows.len());
    Ok(())
}

fn write_log(path: &Path, rows: &[EpochRow]) -> Result<()> {
    Ok(crate::results::write_table(
        path,
        &EpochRow::header(),
        rows,
    )?)
}

/// Warns, once, when the epoch just finished (`row`) is the first whose loss is not a number:
/// the run goes on as asked, and an experiment will refuse the model, naming its weights.
fn warn_if_diverged(bar: &indicatif::ProgressBar, before: &[EpochRow], row: &EpochRow) {
    let finite = |r: &EpochRow| r.train_loss.is_finite() && r.test_loss.is_finite();
    if !finite(row) && before.iter().all(finite) {
        crate::progress::say(
            bar,
            format!(
                "warning: the training diverged at epoch {} (loss {}): its weights are no longer \
                 numbers; train again with a lower learning rate",
                row.epoch, row.train_loss
            ),
        );
    }
}

/// Writes the trained model as `out/model.safetensors` with its sidecar; a model taken as it is
/// (0 epochs) also records its spec, so that a rerun finds it finished.
fn save_final(
    spec: &HealthySpec,
    split: &Split,
    out: &Path,
    (vs, net): (&nn::VarStore, &Network),
    normalization: Normalization,
    test: crate::results::Evaluation,
    rows: Vec<EpochRow>,
) -> Result<()> {
    let meta = CheckpointMeta {
        atrophy_version: env!("CARGO_PKG_VERSION").into(),
        architecture: spec.architecture.clone(),
        dataset: split.name.clone(),
        normalization,
        evaluation: Some(test),
        provenance: provenance(spec, rows.len(), split.train.len())?,
    };
    checkpoint::save(&out.join("model.safetensors"), vs, net, &meta)?;
    if rows.is_empty() {
        let p = TrainingRecord {
            spec: spec.clone(),
            rows,
        };
        let progress_file = out.join("state").join("progress.json");
        crate::fsio::write_atomic(&progress_file, &serde_json::to_vec_pretty(&p)?)?;
    }
    Ok(())
}

/// Trains (or continues training) the healthy model described by `spec` into `out`, and returns
/// the path of the final checkpoint (`out/model.safetensors`).
pub fn train_healthy(
    spec: &HealthySpec,
    split: &Split,
    out: &Path,
    device: Device,
    progress: bool,
) -> Result<std::path::PathBuf> {
    // Kept in one piece (about 90 lines): the order of seeding, resuming, training, evaluating
    // and committing each epoch is what makes a resumed run give the same numbers as an
    // unbroken one, and it is read here in one place.
    HealthySpec::validate_train(&spec.train, spec.architecture.torchscript.is_some())
        .map_err(|e| anyhow::anyhow!("training settings: {e}"))?;
    if let Some(done) = finished_healthy(spec, out)? {
        return Ok(done);
    }
    let state = out.join("state");
    let final_weights = out.join("model.safetensors");
    let mut rows = read_record(spec, out)?.unwrap_or_default();
    let norm = match &spec.architecture.torchscript {
        Some(s) if !s.normalize => Normalization::identity(split.train.channels),
        _ => Normalization::for_dataset(&split.name, &split.train),
    };
    tch::manual_seed(crate::seed::derive(spec.seed, &[crate::seed::stream::HEALTHY_INIT]) as i64);
    let vs = nn::VarStore::new(device);
    let net = Network::new(&vs.root(), &spec.architecture)
        .map_err(|e| anyhow::anyhow!("architecture: {e}"))?;
    let mut opt = MaskedSgd::new(&vs, spec.train.sgd.clone());
    if !rows.is_empty() {
        resume_from(spec, &state, rows.len(), &vs, &mut opt)?;
    }
    let subset = match spec.train_subset {
        Some(r) => Some(crate::data::random_subset(
            split.train.len(),
            r,
            &mut crate::seed::rng(spec.seed, &[crate::seed::stream::HEALTHY_SUBSET]),
        )?),
        None => None,
    };
    let n_train = subset.as_ref().map_or(split.train.len(), |s| s.len());
    let steps_per_epoch = n_train.div_ceil(spec.train.batch_size);
    let total_steps = steps_per_epoch * spec.train.epochs;
    let bar = crate::progress::steps_bar_if(progress, total_steps as u64, "train");
    bar.set_position((rows.len() * steps_per_epoch) as u64);
    for epoch in rows.len()..spec.train.epochs {
        let t0 = std::time::Instant::now();
        tch::manual_seed(crate::seed::derive(
            spec.seed,
            &[crate::seed::stream::HEALTHY_EPOCH_TORCH, epoch as u64],
        ) as i64);
        let mut rng = crate::seed::rng(
            spec.seed,
            &[crate::seed::stream::HEALTHY_EPOCH_ORDER, epoch as u64],
        );
        let this = Epoch {
            data: &split.train,
            indices: subset.as_deref(),
            norm: &norm,
            cfg: &spec.train,
            step0: epoch * steps_per_epoch,
            total_steps,
            device,
        };
        let stats = train_epoch(&net, &mut opt, &this, &mut rng, |_, _, loss| {
            bar.inc(1);
            if let Some(l) = loss {
                bar.set_message(format!(
                    "epoch {}/{} loss {l:.4}",
                    epoch + 1,
                    spec.train.epochs
                ));
            }
        });
        let test = evaluate(&net, &split.test, &norm, device, 500);
        let row = EpochRow {
            epoch: epoch + 1,
            lr: stats.lr,
            train_loss: stats.loss,
            train_accuracy: stats.accuracy,
            test_loss: test.loss,
            test_top1: test.top1,
            test_mean_class: test.mean_class,
            seconds: t0.elapsed().as_secs_f64(),
        };
        // Also without bars (a log file): a long training's only sign of life.
        crate::progress::say(&bar, format!(
            "epoch {:>3}/{}  loss {:.4}  train acc {:.4}  test top-1 {:.4}  mean class-wise {:.4}  ({:.1} s)",
            row.epoch, spec.train.epochs, row.train_loss, row.train_accuracy, row.test_top1, row.test_mean_class, row.seconds
        ));
        warn_if_diverged(&bar, &rows, &row);
        rows.push(row);
        commit_epoch(spec, out, &rows, &vs, &opt)?;
    }
    bar.finish_and_clear();
    let test = evaluate(&net, &split.test, &norm, device, 500);
    save_final(spec, split, out, (&vs, &net), norm, test, rows)?;
    Ok(final_weights)
}

#[cfg(test)]
#[path = "healthy_tests.rs"]
mod tests;
