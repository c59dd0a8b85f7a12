//! A deterministic synthetic image data set, for tests and examples that must not need a
//! download: each class is a fixed random prototype image and its members are noisy copies.
use super::dataset::{Dataset, Split};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Shape and size of a synthetic data set.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct SyntheticSpec {
    /// Channels per image.
    pub channels: usize,
    /// Height and width.
    pub size: usize,
    /// Number of classes.
    pub classes: usize,
    /// Training images.
    pub train: usize,
    /// Test images.
    pub test: usize,
    /// Width of the uniform pixel noise (0-255 scale) around the class prototype: pixels vary
    /// by up to `noise / 2` either way; larger is harder.
    pub noise: u8,
    /// Seed of the prototypes and the noise.
    pub seed: u64,
}

impl Default for SyntheticSpec {
    fn default() -> Self {
        SyntheticSpec {
            channels: 1,
            size: 28,
            classes: 10,
            train: 2000,
            test: 500,
            noise: 160,
            seed: 0,
        }
    }
}

/// Makes the data set: identical bytes for identical specs, on every machine.
pub fn synthetic(spec: &SyntheticSpec) -> Split {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed ^ 0x5EED_DA7A);
    let pixels = spec.channels * spec.size * spec.size;
    let prototypes: Vec<Vec<u8>> = (0..spec.classes)
        .map(|_| {
            (0..pixels)
                .map(|_| if rng.random_bool(0.5) { 200 } else { 40 })
                .collect()
        })
        .collect();
    let classes: Vec<String> = (0..spec.classes).map(|c| format!("class{c}")).collect();
    let mut make = |n: usize| {
        let mut images = Vec::with_capacity(n * pixels);
        let mut labels = Vec::with_capacity(n);
        for i in 0..n {
            // Round-robin labels make every class equally frequent, as in the real data sets.
            let label = i % spec.classes;
            labels.push(label as u8);
            let half = spec.noise as i32 / 2;
            for &p in &prototypes[label] {
                let noise = if half > 0 {
                    rng.random_range(-half..=half)
                } else {
                    0
                };
                images.push((p as i32 + noise).clamp(0, 255) as u8);
            }
        }
        Dataset {
            channels: spec.channels,
            height: spec.size,
            width: spec.size,
            images,
            labels,
            classes: classes.clone(),
            superclasses: None,
        }
    };
    let train = make(spec.train);
    let test = make(spec.test);
    Split {
        name: "synthetic".into(),
        train,
        test,
    }
}
