//! Oja's rule converging to the first principal component of rotated Gaussian data.
use super::demo_rng;
use crate::plasticity::rules;
use rand::Rng;

/// Settings of the Oja demo.
#[derive(Clone, Debug, PartialEq)]
pub struct OjaOptions {
    /// Learning rate, in (0, 1].
    pub eta: f64,
    /// The last update step; steps 0 to `steps` each draw a sample and update the weights.
    pub steps: usize,
    /// The weights are recorded at every step that is a multiple of this (at least 1).
    pub every: usize,
}

impl Default for OjaOptions {
    /// The command's settings: eta 0.002, steps 0 to 20,000, a record every 200 steps.
    fn default() -> Self {
        OjaOptions {
            eta: 0.002,
            steps: 20_000,
            every: 200,
        }
    }
}

impl OjaOptions {
    /// Checks eta and the recording interval, naming the value and the allowed range.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.eta > 0.0 && self.eta <= 1.0) {
            return Err(format!(
                "eta {} is out of range: expected 0 < eta <= 1",
                self.eta
            ));
        }
        if self.every == 0 {
            return Err("every must be at least 1".into());
        }
        Ok(())
    }
}

/// The weights at one recorded step (a row of `oja.csv`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OjaPoint {
    /// Updates applied so far.
    pub step: usize,
    /// |cos| of the angle between the weights and the first principal component.
    pub abs_cos: f64,
    /// Euclidean norm of the weights.
    pub norm: f64,
}

/// Oja's rule on 3-dimensional samples with covariance R diag(4, 1, 0.25) R', R a rotation by
/// atan(4/3) in the x-y plane (first principal component (0.6, 0.8, 0)). The weights start
/// uniform in [-0.5, 0.5); at steps 0, `every`, 2 `every`, ... up to `steps` they are recorded
/// before that step's update. With the defaults |cos| ends above 0.99 and |w| near 1.
pub fn oja(o: &OjaOptions, seed: u64) -> Result<Vec<OjaPoint>, String> {
    o.validate()?;
    let mut rng = demo_rng(seed);
    let (c, s) = (0.6f64, 0.8f64);
    let pc = [c, s, 0.0];
    let mut w: Vec<f64> = (0..3).map(|_| rng.random_range(-0.5..0.5)).collect();
    let mut points = Vec::with_capacity(o.steps / o.every + 1);
    let g = crate::seed::standard_normal::<rand_chacha::ChaCha8Rng>;
    for step in 0..=o.steps {
        let z = [2.0 * g(&mut rng), g(&mut rng), 0.5 * g(&mut rng)];
        let u = [c * z[0] - s * z[1], s * z[0] + c * z[1], z[2]];
        if step % o.every == 0 {
            let norm = rules::response(&w, &w).sqrt();
            let abs_cos = rules::response(&w, &pc).abs() / norm.max(1e-300);
            points.push(OjaPoint {
                step,
                abs_cos,
                norm,
            });
        }
        rules::oja(&mut w, &u, o.eta)?;
    }
    Ok(points)
}
