//! The two steps that use gradients: saliency scores for OBD / Taylor selection of the synapses
//! to injure, and the retraining of the healthy synapses (P3: R images, E epochs, frozen
//! synapses stay bitwise frozen; biases and BatchNorm stay trainable).
use super::config::{BnMomentum, RegimeConfig, RetrainSchedule};
use super::record::Step;
use super::subject::Subject;
use crate::data::{self, Dataset};
use crate::injury::Selection;
use crate::model::BnMode;
use crate::seed::{self, stream};
use crate::train::{train_epoch, LrSchedule, MaskedSgd, SgdConfig, TrainConfig};
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

/// The images regime `r` retrains on at `step` (`None`: the whole training set), drawn by
/// name, cycle and draw (a fresh draw per iteration, or one per cycle).
pub fn retraining_images(
    train: &Dataset,
    r: &RegimeConfig,
    seed: u64,
    step: Step,
) -> Result<Option<Vec<usize>>> {
    let mut rng = draw_rng(stream::RETRAIN_IMAGES, r, seed, step);
    Ok(match r.images {
        None => None,
        Some(n) if r.balanced => Some(data::balanced_subset(train, n, &mut rng)?),
        Some(n) => Some(
            data::random_subset(train.len(), n, &mut rng)
                .with_context(|| format!("regime {}: images", r.name))?,
        ),
    })
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
    let regime_key = seed::name_key(&r.name);
    let (cycle, iteration) = (step.cycle as u64, step.iteration as u64);
    let subset = retraining_images(train, r, seed, step)?;
    let tc = TrainConfig {
        epochs: r.epochs,
        batch_size: r.batch_size,
        sgd: sgd(r),
        schedule: match r.schedule {
            RetrainSchedule::Constant => LrSchedule::Constant,
            RetrainSchedule::Cosine => LrSchedule::Cosine,
        },
        augment: r.augment.then_some(crate::data::Augment::CIFAR),
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
    tch::manual_seed(
        seed::derive(seed, &[stream::RETRAIN_TORCH, regime_key, cycle, iteration]) as i64,
    );
    s.net.set_bn_mode(bn_mode(r));
    for e in 0..tc.epochs {
        let mut order = seed::rng(
            seed,
            &[
                stream::RETRAIN_EPOCH_ORDER,
                regime_key,
                cycle,
                iteration,
                e as u64,
            ],
        );
        train_epoch(
            &s.net,
            opt,
            train,
            subset.as_deref(),
            &s.norm,
            &tc,
            e * steps_per_epoch,
            steps_per_epoch * tc.epochs,
            s.device,
            &mut order,
            |_, _, _| {},
        );
    }
    s.net.set_bn_mode(BnMode::default());
    Ok(())
}
