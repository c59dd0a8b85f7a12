//! Seeded random matrices shared by the unit tests.
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// An n x p matrix of uniform values in [-1, 1) from `seed`.
pub(crate) fn random(n: usize, p: usize, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_fn((n, p), |_| rng.random::<f64>() * 2.0 - 1.0)
}
