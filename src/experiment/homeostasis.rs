//! Homeostasis: after an injury shrinks the activations, BatchNorm's running statistics no
//! longer match them, and a network normalised with stale statistics can look far worse than its
//! synapses are. Re-estimating the statistics, with no synapse changing, is the in-silico
//! analogue of homeostatic synaptic scaling; measured on its own (the state `recalibrated`) it
//! separates that recovery from synaptic relearning.
use super::config::{RegimeConfig, Source};
use super::record::Step;
use super::retrain::{draw_rng, retraining_images, seed_torch, Pools};
use super::subject::Subject;
use crate::data::{self, Dataset};
use crate::model::BnMode;
use crate::seed::stream;
use anyhow::Result;

/// The `n` images regime `r` recalibrates with at `step`: the first `n` of its retraining draw
/// when that draw holds at least `n` (and is a random or balanced draw of `images`), else `n`
/// images drawn for the purpose, keyed like the retraining draw by the regime's name, the
/// cycle and the draw; among the images the healthy model saw (`pools`).
pub fn recalibration_images(
    train: &Dataset,
    r: &RegimeConfig,
    seed: u64,
    step: Step,
    n: usize,
    pools: Pools,
) -> Result<Vec<usize>> {
    // A draw of R images (not the whole set, which a holdout lists in index order).
    if !r.is_static && r.images.is_some() && matches!(r.source, Source::Random | Source::Balanced) {
        if let Some(ix) = retraining_images(train, r, seed, step, None, pools)? {
            if ix.len() >= n {
                return Ok(ix[..n].to_vec());
            }
        }
    }
    let mut rng = draw_rng(stream::RECALIBRATE_IMAGES, r, seed, step);
    let ix = data::random_subset(pools.seen_len(train.len()), n, &mut rng)?;
    Ok(match pools.seen {
        Some(seen) => ix.into_iter().map(|i| seen[i]).collect(),
        None => ix,
    })
}

/// Homeostasis as regime `r` asks for it at `step` (`recalibrate_bn = N`): BatchNorm's running
/// statistics re-estimated from N training images. False when the regime does not ask.
pub fn homeostasis(
    s: &Subject,
    train: &Dataset,
    r: &RegimeConfig,
    seed: u64,
    step: Step,
) -> Result<bool> {
    let Some(n) = r.recalibrate_bn else {
        return Ok(false);
    };
    let images = recalibration_images(train, r, seed, step, n, s.pools())?;
    // Train-mode passes draw dropout from libtorch's generator: seeded, so that a resumed run
    // (or the Oja path, which seeds nothing else) gives the same statistics.
    seed_torch(stream::RECALIBRATE_TORCH, r, seed, step);
    recalibrate(s, train, &images, r.batch_size)?;
    Ok(true)
}

/// Re-estimates every BatchNorm layer's running statistics from `images` of `train`, in batches
/// of `batch_size`: forward passes in train mode without gradients, the running statistics the
/// plain average of the batches' (mean and unbiased variance), as
/// `torch.optim.swa_utils.update_bn` computes them. No parameter changes; the images are not
/// augmented. A TorchScript model gets the same statistics through
/// [`crate::model::script::ScriptNet::recalibrate`], whatever momentum it was compiled with.
pub fn recalibrate(
    s: &Subject,
    train: &Dataset,
    images: &[usize],
    batch_size: usize,
) -> Result<()> {
    let batches = images.chunks(batch_size.max(1)).map(|chunk| {
        crate::train::make_batch::<rand_chacha::ChaCha8Rng>(train, chunk, &s.norm, None, s.device).0
    });
    if let Some(script) = s.net.torchscript() {
        script.recalibrate(batches)?;
        return Ok(());
    }
    s.net.set_bn_mode(BnMode::Cumulative);
    tch::no_grad(|| {
        for x in batches {
            let _ = s.net.forward_t(&x, true);
        }
    });
    s.net.set_bn_mode(BnMode::default());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recalibration uses the first n images of the regime's retraining draw, so homeostasis
    /// sees images relearning will see; a static regime (no draw), a draw smaller than n or an
    /// error-targeted one get n images of their own, keyed by the regime's name.
    #[test]
    fn recalibration_takes_the_head_of_the_retraining_draw_or_draws_by_name() {
        let spec = crate::data::SyntheticSpec {
            train: 400,
            test: 10,
            ..Default::default()
        };
        let train = crate::data::synthetic(&spec).train;
        let regime = |text: &str| -> RegimeConfig { toml::from_str(text).unwrap() };
        let step = |regime| Step {
            regime,
            cycle: 1,
            iteration: 2,
        };
        let r = regime("name = \"R\"\nimages = 100");
        let draw = retraining_images(&train, &r, 7, step(0), None, Pools::default())
            .unwrap()
            .unwrap();
        let recal = recalibration_images(&train, &r, 7, step(0), 60, Pools::default()).unwrap();
        assert_eq!(recal, draw[..60].to_vec());
        // More than the draw holds: a draw of its own, of n images.
        let own = recalibration_images(&train, &r, 7, step(0), 150, Pools::default()).unwrap();
        assert_eq!(own.len(), 150);
        assert_ne!(own[..100].to_vec(), draw);
        // A static regime: its own draw, the same at another place in the config, another for
        // another name.
        let s = regime("name = \"S\"\nstatic = true");
        let a = recalibration_images(&train, &s, 7, step(0), 50, Pools::default()).unwrap();
        assert_eq!(a.len(), 50);
        assert_eq!(
            a,
            recalibration_images(&train, &s, 7, step(4), 50, Pools::default()).unwrap()
        );
        let t = regime("name = \"T\"\nstatic = true");
        assert_ne!(
            a,
            recalibration_images(&train, &t, 7, step(0), 50, Pools::default()).unwrap()
        );
        // A healthy model that held images out: recalibration never sees them.
        let seen: Vec<usize> = (0..train.len()).filter(|i| i % 2 == 0).collect();
        let pools = Pools {
            seen: Some(&seen),
            unseen: None,
        };
        for (reg, n) in [(&s, 50), (&r, 60), (&r, 150)] {
            let ix = recalibration_images(&train, reg, 7, step(0), n, pools).unwrap();
            assert!(ix.len() == n && ix.iter().all(|i| i % 2 == 0), "{ix:?}");
        }
        // A regime retraining on the whole (seen) set draws its own images, not the first n
        // seen ones in index order.
        let whole = regime("name = \"W\"");
        let ix = recalibration_images(&train, &whole, 7, step(0), 50, pools).unwrap();
        assert!(ix.len() == 50 && ix.iter().all(|i| i % 2 == 0), "{ix:?}");
        assert_ne!(ix, seen[..50].to_vec(), "the lowest seen indices");
        let other = recalibration_images(&train, &whole, 7, step(3), 50, pools).unwrap();
        assert_eq!(
            ix, other,
            "keyed by name, cycle and draw, as a static regime's"
        );
    }
}
