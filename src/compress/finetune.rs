//! Compression end to end: prune a trained network to a FLOPs target, fine-tune what is left,
//! and measure the test accuracy at every stage.
use super::apply::{filter_l1, prune};
use super::plan::{plan, PrunePlan, Scope};
use super::resume::FinetuneState;
use crate::data::{Augment, Normalization, Split};
use crate::model::{Architecture, Network};
use crate::seed::{self, stream};
use crate::train::{
    evaluate, train_epoch, Epoch, EpochStats, Evaluation, LrSchedule, MaskedSgd, SgdConfig,
    TrainConfig,
};
use tch::nn;

/// Images per batch when the test set is evaluated.
const EVAL_BATCH: usize = 500;

/// Settings of the fine-tuning after pruning: SGD with momentum 0.9 and weight decay 5e-4, the
/// learning rate annealed to 0 by a cosine schedule; CIFAR-10 batches get the CIFAR augmentation.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FinetuneOptions {
    /// Passes over the training images (0: no fine-tuning).
    pub epochs: usize,
    /// Images per optimizer step.
    pub batch_size: usize,
    /// Base learning rate of the cosine schedule.
    pub lr: f64,
    /// Seed of the batch order, augmentation and libtorch's generator (dropout).
    pub seed: u64,
}

impl Default for FinetuneOptions {
    /// The command's defaults: no epochs, batches of 128, learning rate 0.01, seed 0.
    fn default() -> Self {
        FinetuneOptions {
            epochs: 0,
            batch_size: 128,
            lr: 0.01,
            seed: 0,
        }
    }
}

impl FinetuneOptions {
    /// The training configuration on the data set named `dataset` (augmented for `cifar10`).
    pub fn train_config(&self, dataset: &str) -> TrainConfig {
        TrainConfig {
            epochs: self.epochs,
            batch_size: self.batch_size,
            sgd: SgdConfig {
                lr: self.lr,
                momentum: 0.9,
                weight_decay: 5e-4,
                nesterov: false,
            },
            schedule: LrSchedule::Cosine,
            augment: (dataset == "cifar10").then_some(Augment::CIFAR),
            ..Default::default()
        }
    }

    /// Optimizer steps of the whole fine-tuning on `images` training images.
    pub fn steps(&self, images: usize) -> usize {
        images.div_ceil(self.batch_size.max(1)) * self.epochs
    }
}

/// Fine-tunes `net` (its tensors in `vs`) on all of `split.train`, on `vs`'s device, for
/// `o.epochs` epochs; `on_step()` runs after every optimizer step (and once for each step of
/// the epochs found committed in `state`, so that a progress bar starts where the run
/// stands). Each epoch seeds libtorch's generator from `o.seed` on [`stream::COMPRESS_TORCH`]
/// and draws its batch order and augmentation from [`stream::COMPRESS_EPOCH_ORDER`], both with
/// the epoch, so the same seed gives the same weights. With a `state`, every finished epoch is committed there and a
/// fine-tuning that finds epochs committed goes on after the last of them, to the weights an
/// unbroken run gives. Returns one [`EpochStats`] per epoch trained by this call (none when
/// `o.epochs` is 0 or all were committed); an invalid setting, or a state of another
/// fine-tuning, is an error naming it.
pub fn finetune(
    vs: &nn::VarStore,
    net: &Network,
    split: &Split,
    norm: &Normalization,
    o: &FinetuneOptions,
    state: Option<&FinetuneState>,
    mut on_step: impl FnMut(),
) -> Result<Vec<EpochStats>, String> {
    if o.epochs == 0 {
        return Ok(Vec::new());
    }
    let cfg = o.train_config(&split.name);
    cfg.validate().map_err(|e| e.to_string())?;
    let device = vs.device();
    let mut opt = MaskedSgd::new(vs, cfg.sgd.clone());
    let spe = split.train.len().div_ceil(cfg.batch_size);
    let done = match state {
        Some(s) => s.epochs_done(o)?.min(cfg.epochs),
        None => 0,
    };
    if let (Some(s), true) = (state, done > 0) {
        s.load(done, vs, &mut opt)?;
    }
    (0..done * spe).for_each(|_| on_step());
    let mut stats = Vec::with_capacity(cfg.epochs - done);
    for e in done..cfg.epochs {
        tch::manual_seed(seed::derive(o.seed, &[stream::COMPRESS_TORCH, e as u64]) as i64);
        let mut rng = seed::rng(o.seed, &[stream::COMPRESS_EPOCH_ORDER, e as u64]);
        let epoch = Epoch {
            data: &split.train,
            indices: None,
            norm,
            cfg: &cfg,
            step0: e * spe,
            total_steps: spe * cfg.epochs,
            device,
        };
        stats.push(train_epoch(net, &mut opt, &epoch, &mut rng, |_, _, _| {
            on_step()
        }));
        if let Some(s) = state {
            s.commit(o, e + 1, vs, &opt)?;
        }
    }
    Ok(stats)
}

/// Settings of [`compress`].
#[derive(Clone, Debug, PartialEq)]
pub struct CompressOptions {
    /// Keep at most this fraction of the FLOPs (multiply-accumulates) of one forward pass.
    pub flops_keep: f64,
    /// Where filters compete: within each layer (the default) or across the network.
    pub scope: Scope,
    /// The fine-tuning after pruning.
    pub finetune: FinetuneOptions,
}

/// A compressed network and its test accuracy before and after each stage.
pub struct Compressed {
    /// The pruned (and fine-tuned) network's tensors.
    pub vs: nn::VarStore,
    /// The pruned network; its architecture is `plan.arch`.
    pub net: Network,
    /// What was kept, with the FLOPs and parameter counts before and after.
    pub plan: PrunePlan,
    /// The original network on the test set.
    pub original: Evaluation,
    /// The pruned network before fine-tuning.
    pub pruned: Evaluation,
    /// The pruned network after fine-tuning (equal to `pruned` without fine-tuning).
    pub finetuned: Evaluation,
}

/// Compresses `net` (architecture `arch`, tensors in `vs`, inputs normalised by `norm`): removes
/// the conv filters of smallest L1 norm (within each layer or across them, `o.scope`),
/// dependency-aware, until at most `o.flops_keep` of the FLOPs remain ([`plan`]), builds the smaller network on `vs`'s device ([`prune`]), and
/// fine-tunes it on `split.train` ([`finetune`], `on_step` after every step; with
/// `state_dir`, resumable there, the state tied to this pruning by the FLOPs target, the
/// scope, the pruned widths and the original's evaluation). Each stage is evaluated on all of
/// `split.test`. `vs` and `net` are left unchanged.
#[allow(clippy::too_many_arguments)]
pub fn compress(
    vs: &nn::VarStore,
    net: &Network,
    arch: &Architecture,
    split: &Split,
    norm: &Normalization,
    o: &CompressOptions,
    state_dir: Option<&std::path::Path>,
    on_step: impl FnMut(),
) -> Result<Compressed, String> {
    let device = vs.device();
    let original = evaluate(net, &split.test, norm, device, EVAL_BATCH);
    let norms = filter_l1(vs, arch)?;
    let plan = plan(arch, &norms, o.flops_keep, o.scope)?;
    let (vs2, net2) = prune(vs, arch, &plan)?;
    let pruned = evaluate(&net2, &split.test, norm, device, EVAL_BATCH);
    let state = state_dir.map(|dir| FinetuneState {
        dir,
        source: serde_json::json!({
            "flops_keep": o.flops_keep,
            "scope": o.scope,
            "widths": plan.arch.widths,
            "original": original,
        }),
        arch: &plan.arch,
    });
    let finetuned = if o.finetune.epochs > 0 {
        finetune(
            &vs2,
            &net2,
            split,
            norm,
            &o.finetune,
            state.as_ref(),
            on_step,
        )?;
        evaluate(&net2, &split.test, norm, device, EVAL_BATCH)
    } else {
        pruned.clone()
    };
    Ok(Compressed {
        vs: vs2,
        net: net2,
        plan,
        original,
        pruned,
        finetuned,
    })
}
