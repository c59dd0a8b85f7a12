//! The computations behind `atrophy plasticity hopfield-capacity|modern-hopfield|oja|rbm|dbn|stdp`:
//! each demo takes an options struct and a seed and returns plain rows (what the command writes
//! as CSV and draws), so that tests can run a demo without the command line. The command adds
//! argument parsing, progress bars, files and figures.
//!
//! Every demo draws all its randomness (patterns, samples, initial weights, batch order) from one
//! generator, [`demo_rng`], on the stream [`crate::seed::stream::PLASTICITY_DEMO`].
use ndarray::Array2;
use rand_chacha::ChaCha8Rng;

mod dbn;
mod hopfield;
mod neat;
mod oja;
mod rbm;
mod stdp;

pub use dbn::{dbn, DbnCurve, DbnDemo, DbnDemoOptions, DbnEvent, FinetunePoint, PretrainPoint};
pub use hopfield::{
    hopfield_capacity, modern_hopfield, CapacityOptions, CapacityPoint, ModernOptions, ModernPoint,
};
pub use neat::{neat, NeatRun, NeatTask};
pub use oja::{oja, OjaOptions, OjaPoint};
pub use rbm::{rbm, RbmDemo, RbmDemoOptions, RbmEpoch};
pub use stdp::{stdp, StdpDemo, StdpOptions};

/// The generator every demo of this module draws from for `seed`.
pub fn demo_rng(seed: u64) -> ChaCha8Rng {
    crate::seed::rng(seed, &[crate::seed::stream::PLASTICITY_DEMO])
}

/// Binarised images with their labels, one image per row.
#[derive(Clone, Debug, PartialEq)]
pub struct Images {
    /// Pixels, 1.0 where the original exceeds 127 and 0.0 elsewhere; one row per image.
    pub x: Array2<f64>,
    /// The class of each row.
    pub labels: Vec<usize>,
}

/// The first `count` images of `set` (all of them when it holds fewer), binarised at 127.
pub fn binarise(set: &crate::data::Dataset, count: usize) -> Images {
    let count = count.min(set.len());
    let x = Array2::from_shape_fn((count, set.image_size()), |(i, j)| {
        if set.image(i)[j] > 127 {
            1.0
        } else {
            0.0
        }
    });
    Images {
        x,
        labels: set.labels[..count].iter().map(|&l| l as usize).collect(),
    }
}
