//! The visual test battery as a step of an experiment (`analyses = [..., "battery"]`): at every
//! evaluated state, top-1 accuracy on the first N test images under each perturbation of
//! [`crate::battery`], in eval mode, and each test's threshold. Every perturbed image is drawn
//! from a stream seeded by the experiment's seed, the test, the level and the image, so every
//! state (and a resumed run) sees the same perturbed images.
use super::subject::Subject;
use crate::battery::{perturb, threshold, Test};
use crate::config::ExperimentConfig;
use crate::data::Dataset;
use crate::results::{BatteryRow, StateKey};
use crate::seed::{self, stream};
use tch::{Device, Tensor};

/// The battery of a run.
pub struct Battery {
    images: Dataset,
    tests: Vec<(Test, Vec<f64>)>,
    seed: u64,
}

impl Battery {
    /// The battery `cfg` asks for on the test set `test` (None without `"battery"` in
    /// `analyses`).
    pub fn new(cfg: &ExperimentConfig, test: &Dataset) -> Option<Battery> {
        if !cfg.analyses.contains(&crate::config::Analysis::Battery) {
            return None;
        }
        let n = cfg.battery.image_count(test.len()).min(test.len());
        Some(Battery {
            images: test.select(&(0..n).collect::<Vec<_>>()),
            tests: (cfg.battery.tests.iter())
                .map(|&t| (t, cfg.battery.levels(t)))
                .collect(),
            seed: cfg.seed,
        })
    }

    /// The battery's row for the state of `s` recorded as `key`.
    pub fn measure(&self, s: &Subject, key: &StateKey) -> BatteryRow {
        let chance = 1.0 / self.images.num_classes().max(2) as f64;
        let mut values = Vec::new();
        for (ti, (test, levels)) in self.tests.iter().enumerate() {
            let acc: Vec<f64> = (levels.iter().enumerate())
                .map(|(li, &level)| self.accuracy(s, *test, level, &[ti as u64, li as u64]))
                .collect();
            let t = threshold(levels, &acc, chance, test.log_scale());
            values.extend(acc);
            values.push(t.unwrap_or(f64::NAN));
        }
        BatteryRow {
            key: key.clone(),
            values,
        }
    }

    /// Top-1 accuracy of `s` on the battery's images perturbed by `test` at `level`.
    fn accuracy(&self, s: &Subject, test: Test, level: f64, at: &[u64]) -> f64 {
        let d = &self.images;
        let shape = (d.channels, d.height, d.width);
        let size = d.image_size();
        let plane = d.height * d.width;
        let mut correct = 0usize;
        let all: Vec<usize> = (0..d.len()).collect();
        for chunk in all.chunks(250) {
            let mut buf = Vec::with_capacity(chunk.len() * size);
            for &i in chunk {
                let path = [&[stream::BATTERY], at, &[i as u64]].concat();
                let mut rng = seed::rng(self.seed, &path);
                let img = &d.images[i * size..(i + 1) * size];
                let x = perturb(test, level, img, shape, &mut rng);
                buf.extend(x.iter().enumerate().map(|(k, &v)| {
                    let c = k / plane;
                    (v - s.norm.mean[c]) / s.norm.std[c]
                }));
            }
            let x = Tensor::from_slice(&buf)
                .view([
                    chunk.len() as i64,
                    d.channels as i64,
                    d.height as i64,
                    d.width as i64,
                ])
                .to_device(s.device);
            let x = crate::train::fit::layout(x, s.device);
            let pred = tch::no_grad(|| s.net.forward_t(&x, false).argmax(-1, false));
            let pred = Vec::<i64>::try_from(pred.to_device(Device::Cpu)).unwrap_or_default();
            correct += (chunk.iter().zip(pred))
                .filter(|(&i, p)| d.labels[i] as i64 == *p)
                .count();
        }
        correct as f64 / d.len().max(1) as f64
    }
}
