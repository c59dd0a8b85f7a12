//! Seeded random generators: every random choice in atrophy takes one of these, derived from the
//! experiment seed and the coordinates of the step it belongs to, so any step can be re-run alone.
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Mixes a seed with a path of coordinates (e.g. regime, cycle, iteration, purpose) into a new
/// 64-bit seed (SplitMix64 finaliser per coordinate: well spread, cheap, stable across versions).
pub fn derive(seed: u64, path: &[u64]) -> u64 {
    let mut s = seed ^ 0x9E37_79B9_7F4A_7C15;
    for &p in path {
        s = mix(s ^ mix(p.wrapping_add(0x632B_E59B_D9B4_E019)));
    }
    s
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A standard normal draw by Box-Muller (two uniforms, the first kept away from 0), so that
/// the crate needs no distribution crate and every module draws normals the same way.
pub fn standard_normal<R: rand::Rng>(rng: &mut R) -> f64 {
    let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// A coordinate for a name (FNV-1a, 64 bits): stable across platforms and Rust versions, unlike
/// std's hasher. Retraining regimes are keyed by name, not by their position in the config, so
/// `--regimes R1000` draws the same images as R1000 inside the full preset, and folders run
/// with different regimes can be merged into exactly the run that has them all.
pub fn name_key(name: &str) -> u64 {
    name.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// The random streams: the first coordinate of every derived seed says what the draw is for, so
/// two purposes never share a stream. The numbers are part of the results (changing one changes
/// every figure drawn from it); [`tests::streams_are_distinct`] checks that no two are equal.
pub mod stream {
    /// Healthy training: libtorch's generator before the network is built (initial weights).
    pub const HEALTHY_INIT: u64 = 0;
    /// Healthy training: the subset of the training set when `train_subset` is set.
    pub const HEALTHY_SUBSET: u64 = 1;
    /// Healthy training: libtorch's generator for each epoch (dropout), with the epoch.
    pub const HEALTHY_EPOCH_TORCH: u64 = 2;
    /// Healthy training: batch order and augmentation of each epoch, with the epoch.
    pub const HEALTHY_EPOCH_ORDER: u64 = 3;
    /// The fixed evaluation subset of the test set (`data.eval_images`).
    pub const EVAL_SUBSET: u64 = 5;
    /// Which synapses an injury hits, with cycle and iteration (shared by all regimes).
    pub const INJURY: u64 = 10;
    /// The training batches of OBD / Taylor saliency, with cycle and iteration.
    pub const SALIENCY: u64 = 11;
    /// A regime's retraining images, with the regime's name key, cycle and draw.
    pub const RETRAIN_IMAGES: u64 = 20;
    /// A retraining epoch's batch order and augmentation, with regime key, cycle, iteration, epoch.
    pub const RETRAIN_EPOCH_ORDER: u64 = 21;
    /// libtorch's generator during a retraining (dropout), with regime key, cycle, iteration.
    pub const RETRAIN_TORCH: u64 = 22;
    /// BatchNorm recalibration images not taken from the retraining draw, with regime key,
    /// cycle and draw.
    pub const RECALIBRATE_IMAGES: u64 = 23;
    /// libtorch's generator during a BatchNorm recalibration (train-mode forward passes: any
    /// dropout), with regime key, cycle and iteration.
    pub const RECALIBRATE_TORCH: u64 = 24;
    /// Fine-tuning after compression: libtorch's generator, with the epoch.
    pub const COMPRESS_TORCH: u64 = 30;
    /// Fine-tuning after compression: each epoch's batch order, with the epoch.
    pub const COMPRESS_EPOCH_ORDER: u64 = 31;
    /// The plasticity demos (Hopfield, Oja, RBM, DBN): patterns, noise and initial weights.
    pub const PLASTICITY_DEMO: u64 = 40;
    /// Differentiable plasticity, pattern memory: libtorch's generator, with the plastic flag.
    pub const PATTERN_TORCH: u64 = 80;
    /// Differentiable plasticity, pattern memory: the patterns and their corruption.
    pub const PATTERN_DATA: u64 = 81;
    /// Differentiable plasticity, image denoising: libtorch's generator, with the plastic flag.
    pub const DENOISE_TORCH: u64 = 82;
    /// Differentiable plasticity, image denoising: images and corruption.
    pub const DENOISE_DATA: u64 = 83;
    /// Differentiable plasticity, one-shot classification: libtorch's generator, with the flag.
    pub const CLASSIFY_TORCH: u64 = 84;
    /// Differentiable plasticity, one-shot classification: the episodes.
    pub const CLASSIFY_DATA: u64 = 85;
    /// Differentiable plasticity, image denoising: the demo's fixed test episodes.
    pub const DIFFERENTIABLE_DEMO: u64 = 86;
    /// The visual test battery: noise and patches, per test, level and image.
    pub const BATTERY: u64 = 87;

    /// Every stream, for the distinctness test.
    pub const ALL: [u64; 23] = [
        HEALTHY_INIT,
        HEALTHY_SUBSET,
        HEALTHY_EPOCH_TORCH,
        HEALTHY_EPOCH_ORDER,
        EVAL_SUBSET,
        INJURY,
        SALIENCY,
        RETRAIN_IMAGES,
        RETRAIN_EPOCH_ORDER,
        RETRAIN_TORCH,
        RECALIBRATE_IMAGES,
        RECALIBRATE_TORCH,
        COMPRESS_TORCH,
        COMPRESS_EPOCH_ORDER,
        PLASTICITY_DEMO,
        PATTERN_TORCH,
        PATTERN_DATA,
        DENOISE_TORCH,
        DENOISE_DATA,
        CLASSIFY_TORCH,
        CLASSIFY_DATA,
        DIFFERENTIABLE_DEMO,
        BATTERY,
    ];
}

/// A ChaCha generator for `seed` at coordinates `path`.
pub fn rng(seed: u64, path: &[u64]) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(derive(seed, path))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn name_keys_are_fnv1a() {
        // FNV-1a 64 of "" is its offset basis; of "a", the published test vector.
        assert_eq!(name_key(""), 0xCBF2_9CE4_8422_2325);
        assert_eq!(name_key("a"), 0xAF63_DC4C_8601_EC8C);
        assert_ne!(name_key("R1000"), name_key("R100"));
    }

    #[test]
    fn streams_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for s in stream::ALL {
            assert!(seen.insert(s), "stream {s} is used twice");
        }
    }

    #[test]
    fn derived_seeds_differ_and_repeat() {
        assert_eq!(derive(1, &[2, 3]), derive(1, &[2, 3]));
        assert_ne!(derive(1, &[2, 3]), derive(1, &[3, 2]));
        assert_ne!(derive(1, &[2]), derive(2, &[2]));
        assert_ne!(derive(1, &[0]), derive(1, &[0, 0]));
    }
}
