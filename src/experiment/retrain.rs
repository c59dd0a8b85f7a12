//! The two steps that use gradients: saliency scores for OBD / Taylor selection of the synapses
//! to injure, and the retraining of the healthy synapses (P3: R images, E epochs, frozen
//! synapses stay bitwise frozen; biases and BatchNorm stay trainable).
use super::config::{BnMomentum, RegimeConfig, RetrainSchedule, Source};
use super::record::Step;
use super::subject::Subject;
use crate::data::{self, Dataset};
use crate::injury::Selection;
use crate::model::BnMode;
use crate::seed::{self, stream};
use crate::train::{train_epoch, Epoch, LrSchedule, MaskedSgd, SgdConfig, TrainConfig};
use anyhow::{Context, Result};
use rand_chacha::ChaCha8Rng;
use tch::{Device, Kind, Tensor};

/// Images per saliency batch.
const SALIENCY_BATCH: usize = 128;

/// OBD (0.5 E[g^2] w^2) or Taylor (|E[g] w|) saliency of every synapse, from `batches` batches
/// of training images drawn for `step`.
pub fn saliency(
    s: &Subject,
    train: &Dataset,
    selection: Selection,
    batches: usize,
    seed: u64,
    step: Step,
) -> Vec<Vec<f32>> {
    let vars = s.vs.variables();
    let names = &s.synapse_names;
    let mut rng = seed::rng(
        seed,
        &[stream::SALIENCY, step.cycle as u64, step.iteration as u64],
    );
    let ix = data::random_subset(
        train.len(),
        (batches * SALIENCY_BATCH).min(train.len()),
        &mut rng,
    )
    .expect("subset within the set");
    let mut g1: Vec<Tensor> = names.iter().map(|n| vars[n].zeros_like()).collect();
    let mut g2: Vec<Tensor> = names.iter().map(|n| vars[n].zeros_like()).collect();
    let chunks: Vec<&[usize]> = ix.chunks(SALIENCY_BATCH).collect();
    for chunk in &chunks {
        for v in vars.values() {
            let mut g = v.grad();
            if g.defined() {
                let _ = g.zero_();
            }
        }
        let (x, y) = crate::train::make_batch::<rand_chacha::ChaCha8Rng>(
            train, chunk, &s.norm, None, s.device,
        );
        s.net
            .forward_t(&x, false)
            .cross_entropy_for_logits(&y)
            .backward();
        tch::no_grad(|| {
            for (i, n) in names.iter().enumerate() {
                let g = vars[n].grad();
                g1[i] += &g;
                g2[i] += &g * &g;
            }
        });
    }
    let nb = chunks.len() as f64;
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let w = &vars[n];
            let score = tch::no_grad(|| match selection {
                Selection::Obd => (&g2[i] / nb) * w * w * 0.5,
                _ => ((&g1[i] / nb) * w).abs(),
            });
            Vec::<f32>::try_from(
                score
                    .to_device(Device::Cpu)
                    .to_kind(Kind::Float)
                    .flatten(0, -1),
            )
            .expect("float scores")
        })
        .collect()
}

/// The generator of regime `r`'s image draw for `purpose` at `step`: keyed by the regime's name,
/// the cycle and the draw (the iteration with a fresh draw every iteration, else 0).
pub fn draw_rng(purpose: u64, r: &RegimeConfig, seed: u64, step: Step) -> ChaCha8Rng {
    let draw = if r.fresh_draw {
        step.iteration as u64
    } else {
        0
    };
    let key = seed::name_key(&r.name);
    seed::rng(seed, &[purpose, key, step.cycle as u64, draw])
}

/// Seeds libtorch's generator (dropout) for `purpose` in regime `r` at `step`, keyed like the
/// image draws by the regime's name, the cycle and the iteration.
pub fn seed_torch(purpose: u64, r: &RegimeConfig, seed: u64, step: Step) {
    let key = [
        purpose,
        seed::name_key(&r.name),
        step.cycle as u64,
        step.iteration as u64,
    ];
    tch::manual_seed(seed::derive(seed, &key) as i64);
}

/// The training images a regime draws from. A healthy model that held images out trained on
/// the others (`seen`); every source but `unseen` draws among those, and recalibration too, so
/// that `unseen` alone retrains on images the healthy model never saw.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pools<'a> {
    /// The images the healthy model trained on, in increasing order; `None`: all of them.
    pub seen: Option<&'a [usize]>,
    /// The images it never saw, in increasing order; `None` when it saw them all.
    pub unseen: Option<&'a [usize]>,
}

impl Pools<'_> {
    /// How many images the sources other than `unseen` draw among.
    pub fn seen_len(&self, train_len: usize) -> usize {
        self.seen.map_or(train_len, <[usize]>::len)
    }

    /// Positions `ix` among the seen images as indices of the training set.
    fn lift(&self, ix: Vec<usize>) -> Vec<usize> {
        match self.seen {
            Some(p) => ix.into_iter().map(|i| p[i]).collect(),
            None => ix,
        }
    }
}

/// What the network, as it is just before retraining, says of every training image: what the
/// sources that choose images by it (`errors`, `uncertain`) need.
#[derive(Clone, Debug, PartialEq)]
pub enum Judged {
    /// The indices it classifies wrongly, in increasing order.
    Misclassified(Vec<usize>),
    /// Its predictive entropy on every image (nats).
    Entropy(Vec<f64>),
}

/// What `r`'s source needs the network `s` to say of `train` (None for the others).
pub fn judge(s: &Subject, train: &Dataset, r: &RegimeConfig) -> Option<Judged> {
    match r.source {
        Source::Errors => Some(Judged::Misclassified(s.misclassified(train))),
        Source::Uncertain => Some(Judged::Entropy(crate::train::predictive_entropy(
            &s.net, train, &s.norm, s.device, 500,
        ))),
        _ => None,
    }
}

/// The `n` images of `pool` (training-set indices) with the highest entropy, ties to the lower
/// index, in increasing index order.
pub fn most_uncertain(entropy: &[f64], pool: &[usize], n: usize) -> Vec<usize> {
    let mut ranked = pool.to_vec();
    ranked.sort_by(|&a, &b| entropy[b].total_cmp(&entropy[a]).then(a.cmp(&b)));
    ranked.truncate(n);
    ranked.sort_unstable();
    ranked
}

/// The images regime `r` retrains on at `step` (`None`: the whole training set), drawn by
/// name, cycle and draw (a fresh draw per iteration, or one per cycle), among the seen images
/// of `pools` (the unseen ones for `source = "unseen"`).
pub fn retraining_images(
    train: &Dataset,
    r: &RegimeConfig,
    seed: u64,
    step: Step,
    judged: Option<&Judged>,
    pools: Pools,
) -> Result<Option<Vec<usize>>> {
    let mut rng = draw_rng(stream::RETRAIN_IMAGES, r, seed, step);
    let source = match (r.source, r.balanced) {
        (Source::Random, true) => Source::Balanced,
        (s, _) => s,
    };
    let n_seen = pools.seen_len(train.len());
    Ok(match (r.images, source) {
        (None, _) => pools.seen.map(<[usize]>::to_vec),
        (Some(n), Source::Balanced) => {
            Some(data::balanced_subset_among(train, pools.seen, n, &mut rng)?)
        }
        (Some(n), Source::Uncertain) => {
            let Some(Judged::Entropy(entropy)) = judged else {
                panic!("the caller takes the entropy of the training set");
            };
            let pool: Vec<usize> = pools
                .seen
                .map_or_else(|| (0..train.len()).collect(), <[usize]>::to_vec);
            if n > pool.len() {
                anyhow::bail!(
                    "regime {}: images = {n} is more than the {} images it chooses among",
                    r.name,
                    pool.len()
                );
            }
            Some(most_uncertain(entropy, &pool, n))
        }
        (Some(n), Source::Errors) => {
            let Some(Judged::Misclassified(wrong)) = judged else {
                panic!("the caller classifies the training set");
            };
            let wrong = match pools.seen {
                None => wrong.to_vec(),
                Some(seen) => positions_among(seen, wrong, train.len()),
            };
            Some(
                pools.lift(
                    error_targeted(n_seen, &wrong, n, r.errors_share, &mut rng)
                        .with_context(|| format!("regime {}: images", r.name))?,
                ),
            )
        }
        (Some(n), Source::Unseen) => {
            let at = format!("regime ({})", r.name);
            if let Some(e) = r.unseen_problem(&at, pools.unseen.map(<[usize]>::len)) {
                return Err(e.into());
            }
            let pool = pools.unseen.unwrap_or_default();
            let pick = data::random_subset(pool.len(), n, &mut rng)
                .with_context(|| format!("{at}: images"))?;
            Some(pick.into_iter().map(|i| pool[i]).collect())
        }
        (Some(n), Source::Random) => Some(
            pools.lift(
                data::random_subset(n_seen, n, &mut rng)
                    .with_context(|| format!("regime {}: images", r.name))?,
            ),
        ),
    })
}

/// The positions among `seen` (increasing indices of a set of `len`) of the indices `wrong`.
fn positions_among(seen: &[usize], wrong: &[usize], len: usize) -> Vec<usize> {
    let mut is_wrong = vec![false; len];
    for &i in wrong {
        if let Some(w) = is_wrong.get_mut(i) {
            *w = true;
        }
    }
    (0..seen.len()).filter(|&p| is_wrong[seen[p]]).collect()
}

/// `n` of `0..len`: `round(share * n)` drawn uniformly from `wrong` (all of `wrong` when it has
/// fewer), the rest uniformly from the other indices ([`Source::Errors`]); when those are too
/// few, more of `wrong` make up the `n`.
pub fn error_targeted(
    len: usize,
    wrong: &[usize],
    n: usize,
    share: f64,
    rng: &mut rand_chacha::ChaCha8Rng,
) -> Result<Vec<usize>> {
    let right_len = len.saturating_sub(wrong.len());
    let from_wrong = ((share * n as f64).round() as usize)
        .max(n.saturating_sub(right_len))
        .min(wrong.len())
        .min(n);
    let mut picked: Vec<usize> = data::random_subset(wrong.len(), from_wrong, rng)?
        .into_iter()
        .map(|i| wrong[i])
        .collect();
    let mut is_wrong = vec![false; len];
    for &i in wrong {
        if let Some(w) = is_wrong.get_mut(i) {
            *w = true;
        }
    }
    let right: Vec<usize> = (0..len).filter(|&i| !is_wrong[i]).collect();
    let rest = data::random_subset(right.len(), n - from_wrong, rng)?;
    picked.extend(rest.into_iter().map(|i| right[i]));
    Ok(picked)
}

/// A fresh optimizer for regime `r` over the variables of `s`.
pub fn optimizer(s: &Subject, r: &RegimeConfig) -> MaskedSgd {
    MaskedSgd::new(&s.vs, sgd(r))
}

fn sgd(r: &RegimeConfig) -> SgdConfig {
    SgdConfig {
        lr: r.lr,
        momentum: r.momentum,
        weight_decay: r.weight_decay,
        nesterov: r.nesterov,
    }
}

/// The generator of the order (and augmentation) of regime `r`'s retraining epoch `epoch` at
/// `step`, keyed by the regime's name: the same for every rule that retrains.
pub fn epoch_order(seed: u64, r: &RegimeConfig, step: Step, epoch: usize) -> ChaCha8Rng {
    seed::rng(
        seed,
        &[
            stream::RETRAIN_EPOCH_ORDER,
            seed::name_key(&r.name),
            step.cycle as u64,
            step.iteration as u64,
            epoch as u64,
        ],
    )
}

/// What BatchNorm does while regime `r` retrains.
fn bn_mode(r: &RegimeConfig) -> BnMode {
    match (r.bn_train, r.bn_momentum) {
        (false, _) => BnMode::Frozen,
        (true, None) => BnMode::default(),
        (true, Some(BnMomentum::Fixed(m))) => BnMode::Momentum(m),
        (true, Some(BnMomentum::Cumulative)) => BnMode::Cumulative,
    }
}

/// Retrains the healthy synapses of `s` as regime `r` says, for `step` of an experiment seeded
/// with `seed`. Its images, their order and libtorch's generator are keyed by the regime's name,
/// not its position, so `--regimes` subsets and merges reproduce the full run. `kept` is the
/// optimizer a regime with `keep_optimizer` carries from one iteration to the next (created
/// here when empty); without it every retraining starts with a fresh one.
pub fn retrain(
    s: &Subject,
    train: &Dataset,
    r: &RegimeConfig,
    seed: u64,
    step: Step,
    kept: &mut Option<MaskedSgd>,
) -> Result<()> {
    let judged = judge(s, train, r);
    let subset = retraining_images(train, r, seed, step, judged.as_ref(), s.pools())?;
    let tc = TrainConfig {
        epochs: r.epochs,
        batch_size: r.batch_size,
        sgd: sgd(r),
        schedule: match r.schedule {
            RetrainSchedule::Constant => LrSchedule::Constant,
            RetrainSchedule::Cosine => LrSchedule::Cosine,
        },
        augment: r.augment.then_some(crate::data::Augment::CIFAR),
        label_smoothing: r.label_smoothing,
        precision: r.precision,
    };
    let mut fresh = None;
    let opt = match (r.keep_optimizer, kept) {
        (true, kept) => kept.get_or_insert_with(|| optimizer(s, r)),
        (false, _) => fresh.insert(optimizer(s, r)),
    };
    for (layer, name) in s.states.layers.iter().zip(&s.synapse_names) {
        if layer.healthy() < layer.len() {
            let shape: Vec<i64> = layer.shape.iter().map(|&d| d as i64).collect();
            let m = Tensor::from_slice(&layer.healthy_mask()).view(shape.as_slice());
            opt.set_mask(name, Some(&m))?;
        }
    }
    let n = subset.as_ref().map_or(train.len(), |s| s.len());
    let steps_per_epoch = n.div_ceil(tc.batch_size);
    seed_torch(stream::RETRAIN_TORCH, r, seed, step);
    s.net.set_bn_mode(bn_mode(r));
    for e in 0..tc.epochs {
        let mut order = epoch_order(seed, r, step, e);
        let epoch = Epoch {
            data: train,
            indices: subset.as_deref(),
            norm: &s.norm,
            cfg: &tc,
            step0: e * steps_per_epoch,
            total_steps: steps_per_epoch * tc.epochs,
            device: s.device,
        };
        train_epoch(&s.net, opt, &epoch, &mut order, |_, _, _| {});
    }
    s.net.set_bn_mode(BnMode::default());
    Ok(())
}

#[cfg(test)]
#[path = "retrain_tests.rs"]
mod tests;
