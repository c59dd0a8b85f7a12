//! Learning-rate schedules, evaluated per optimizer step.
use super::error::ScheduleError;
use serde::{Deserialize, Serialize};

/// How the learning rate moves over training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LrSchedule {
    /// The base rate throughout (the papers' setting).
    Constant,
    /// Multiply by `gamma` every `every` epochs.
    Step {
        /// Epochs between drops.
        every: usize,
        /// Factor per drop.
        gamma: f64,
    },
    /// Cosine annealing from the base rate to 0 over all steps.
    Cosine,
    /// One-cycle (PyTorch's `OneCycleLR` with cosine annealing and `cycle_momentum=False`: the
    /// momentum stays the optimizer's): from base/25 up to base over the first `pct_start` of
    /// the steps (at least one), then down to base/25/1e4.
    OneCycle {
        /// Fraction of steps spent warming up.
        pct_start: f64,
    },
}

impl LrSchedule {
    /// The rate at global step `step` (0-based) of `total` steps, with `steps_per_epoch`.
    pub fn lr(&self, base: f64, step: usize, total: usize, steps_per_epoch: usize) -> f64 {
        let total = total.max(1);
        match *self {
            LrSchedule::Constant => base,
            LrSchedule::Step { every, gamma } => {
                let epoch = step / steps_per_epoch.max(1);
                base * gamma.powi((epoch / every.max(1)) as i32)
            }
            LrSchedule::Cosine => {
                base * 0.5 * (1.0 + (std::f64::consts::PI * step as f64 / total as f64).cos())
            }
            LrSchedule::OneCycle { pct_start } => {
                let initial = base / 25.0;
                let last = initial / 1e4;
                let up = ((pct_start * total as f64) - 1.0).max(1.0);
                let s = step as f64;
                let cos = |from: f64, to: f64, frac: f64| {
                    to + (from - to)
                        * 0.5
                        * (1.0 + (std::f64::consts::PI * frac.clamp(0.0, 1.0)).cos())
                };
                if s <= up {
                    cos(initial, base, s / up)
                } else {
                    cos(base, last, (s - up) / ((total as f64 - 1.0) - up).max(1.0))
                }
            }
        }
    }

    /// Parses `constant`, `step:EVERY:GAMMA`, `cosine`, `onecycle[:PCT]`.
    pub fn parse(s: &str) -> Result<LrSchedule, ScheduleError> {
        let parts: Vec<&str> = s.split(':').collect();
        let num = |t: &str| {
            t.parse::<f64>().map_err(|_| ScheduleError::NotANumber {
                spec: s.into(),
                token: t.into(),
            })
        };
        match parts.as_slice() {
            ["constant"] => Ok(LrSchedule::Constant),
            ["cosine"] => Ok(LrSchedule::Cosine),
            ["onecycle"] => Ok(LrSchedule::OneCycle { pct_start: 0.3 }),
            ["onecycle", p] => {
                let p = num(p)?;
                if !(0.0..1.0).contains(&p) || p == 0.0 {
                    return Err(ScheduleError::PctStart { spec: s.into() });
                }
                Ok(LrSchedule::OneCycle { pct_start: p })
            }
            ["step", e, g] => {
                let every: usize = e.parse().map_err(|_| ScheduleError::NotWholeEpochs {
                    spec: s.into(),
                    token: (*e).into(),
                })?;
                let gamma = num(g)?;
                if every == 0 || !(gamma > 0.0 && gamma <= 1.0) {
                    return Err(ScheduleError::StepRange { spec: s.into() });
                }
                Ok(LrSchedule::Step { every, gamma })
            }
            _ => Err(ScheduleError::Unknown { spec: s.into() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn schedules_hit_their_landmarks() {
        assert_eq!(LrSchedule::Constant.lr(0.1, 7, 10, 2), 0.1);
        let s = LrSchedule::Step {
            every: 2,
            gamma: 0.1,
        };
        assert_eq!(s.lr(1.0, 3, 100, 2), 1.0);
        assert!((s.lr(1.0, 4, 100, 2) - 0.1).abs() < 1e-12);
        assert!((LrSchedule::Cosine.lr(1.0, 50, 100, 10) - 0.5).abs() < 1e-12);
        assert!(LrSchedule::Cosine.lr(1.0, 100, 100, 10).abs() < 1e-12);
        let o = LrSchedule::OneCycle { pct_start: 0.25 };
        assert!((o.lr(1.0, 0, 100, 10) - 0.04).abs() < 1e-12);
        assert!((o.lr(1.0, 24, 100, 10) - 1.0).abs() < 1e-9);
        assert!((o.lr(1.0, 99, 100, 10) - 4e-6).abs() < 1e-12);
        // Between the landmarks, torch 2.13's OneCycleLR(max_lr=1, total_steps=100,
        // pct_start=0.25, cycle_momentum=False) gives these rates (bench/onecycle_reference.py):
        for (step, torch) in [
            (10, 0.39576685835079006),
            (50, 0.7316490909678607),
            (75, 0.23208967416409151),
            (90, 0.0351156166088461),
        ] {
            let ours = o.lr(1.0, step, 100, 10);
            assert!(
                (ours - torch).abs() < 1e-9,
                "step {step}: {ours} vs {torch}"
            );
        }
        assert_eq!(
            LrSchedule::parse("step:30:0.1").unwrap(),
            LrSchedule::Step {
                every: 30,
                gamma: 0.1
            }
        );
        for bad in ["step:0:0.1", "step:10:0", "step:10:1.5", "step:10:nan"] {
            assert!(
                LrSchedule::parse(bad)
                    .unwrap_err()
                    .to_string()
                    .contains("EVERY >= 1"),
                "{bad}"
            );
        }
        assert!(LrSchedule::parse("linear")
            .unwrap_err()
            .to_string()
            .contains("unknown schedule"));
    }
}
