//! Homeostasis inside a TorchScript module: BatchNorm's running statistics re-estimated as they
//! are for the built-in networks (the plain average of the batches' mean and unbiased variance,
//! [`super::BnMode::Cumulative`]), although the module's momentum is compiled into its code and
//! cannot be set from outside.
//!
//! A train-mode forward pass moves every BatchNorm's running statistics by a factor f,
//! `running' = (1 - f) running + f batch`, with f its momentum (or, for `momentum=None`,
//! 1 / num_batches_tracked after the pass). Started from running = 0 and num_batches_tracked =
//! 0, a pass leaves f * batch; a second pass over the same batch (same seed, so the same dropout
//! masks) started from running = 1 leaves (1 - f) + f * batch. Their difference is 1 - f, so
//! the batch statistics come back whatever momentum the module was compiled with: exactly for
//! `momentum=None` (f = 1), to float32 rounding divided by f otherwise. In train mode BatchNorm
//! normalises with the batch's statistics, never the running ones, so the probes' starting
//! values change no output and no other layer.
use super::script::ScriptNet;
use super::ModelError;
use tch::{Device, Kind, Tensor};

/// The running statistics of one BatchNorm module, handles sharing the module's storage.
struct RunningStats {
    module: String,
    mean: Tensor,
    var: Tensor,
    tracked: Option<Tensor>,
}

/// Every module with `running_mean` and `running_var` buffers, in the module's buffer order.
fn running_stats(buffers: Vec<(String, Tensor)>) -> Vec<RunningStats> {
    let find = |name: &str| {
        buffers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.shallow_clone())
    };
    let dotted = |module: &str, buffer: &str| {
        if module.is_empty() {
            buffer.to_string()
        } else {
            format!("{module}.{buffer}")
        }
    };
    buffers
        .iter()
        .filter_map(|(name, mean)| {
            let module = name.strip_suffix("running_mean")?;
            let module = module.strip_suffix('.').unwrap_or(module).to_string();
            let var = find(&dotted(&module, "running_var"))?;
            let tracked = find(&dotted(&module, "num_batches_tracked"));
            Some(RunningStats {
                mean: mean.shallow_clone(),
                var,
                tracked,
                module,
            })
        })
        .collect()
}

/// Each module's (mean, variance) left by a probe, in double precision.
type Probed = Vec<(Tensor, Tensor)>;

fn fill(t: &Tensor, v: f64) {
    let _ = t.shallow_clone().fill_(v);
}

fn set(t: &Tensor, v: &Tensor) {
    t.shallow_clone().copy_(&v.to_kind(t.kind()));
}

impl ScriptNet {
    /// Re-estimates the running statistics of every BatchNorm module from `batches` (normalised
    /// images, N x C x H x W): train-mode passes without gradients, each module's statistics the
    /// plain average of the batches' per-channel mean and unbiased variance, as
    /// [`super::BnMode::Cumulative`] keeps them in the built-in networks. No parameter changes;
    /// `num_batches_tracked` is left as it was. Returns the number of BatchNorm modules.
    ///
    /// Errors when a module does not move its statistics in train mode (momentum 0), whose
    /// statistics no forward pass reveals.
    pub fn recalibrate(
        &self,
        batches: impl IntoIterator<Item = Tensor>,
    ) -> Result<usize, ModelError> {
        let stats = running_stats(self.buffers()?);
        if stats.is_empty() {
            return Ok(0);
        }
        let tracked: Vec<Option<Tensor>> = stats
            .iter()
            .map(|s| s.tracked.as_ref().map(Tensor::copy))
            .collect();
        let mut factors: Option<Vec<f64>> = None;
        let mut sums: Vec<(Tensor, Tensor)> = Vec::new();
        let mut n = 0usize;
        tch::no_grad(|| -> Result<(), ModelError> {
            for x in batches {
                // The factors are the modules' own: measured once, on the first batch.
                let (low, f) = match &factors {
                    Some(f) => (self.probe(&stats, &x, 0.0)?, f.clone()),
                    None => {
                        let (low, f) = self.probe_pair(&stats, &x)?;
                        factors = Some(f.clone());
                        (low, f)
                    }
                };
                if sums.is_empty() {
                    sums = low
                        .iter()
                        .map(|(m, v)| (m.zeros_like(), v.zeros_like()))
                        .collect();
                }
                for ((sum_m, sum_v), ((m, v), f)) in sums.iter_mut().zip(low.iter().zip(&f)) {
                    *sum_m += m / *f;
                    *sum_v += v / *f;
                }
                n += 1;
            }
            Ok(())
        })?;
        tch::no_grad(|| {
            for (i, s) in stats.iter().enumerate() {
                if n > 0 {
                    set(&s.mean, &(&sums[i].0 / n as f64));
                    set(&s.var, &(&sums[i].1 / n as f64));
                }
                if let (Some(t), Some(before)) = (&s.tracked, &tracked[i]) {
                    set(t, before);
                }
            }
        });
        Ok(stats.len())
    }

    /// The factor by which each BatchNorm module moves its running statistics in one
    /// train-mode pass (its compiled momentum; 1 for `momentum=None` after a reset), measured
    /// on the batch `x` by the two probes; every buffer is restored afterwards.
    pub fn batch_norm_momenta(&self, x: &Tensor) -> Result<Vec<(String, f64)>, ModelError> {
        let stats = running_stats(self.buffers()?);
        let saved: Vec<(Tensor, Tensor, Option<Tensor>)> = stats
            .iter()
            .map(|s| {
                (
                    s.mean.copy(),
                    s.var.copy(),
                    s.tracked.as_ref().map(Tensor::copy),
                )
            })
            .collect();
        let measured = tch::no_grad(|| self.probe_pair(&stats, x).map(|(_, f)| f));
        tch::no_grad(|| {
            for (s, (m, v, t)) in stats.iter().zip(&saved) {
                set(&s.mean, m);
                set(&s.var, v);
                if let (Some(dst), Some(src)) = (&s.tracked, t) {
                    set(dst, src);
                }
            }
        });
        Ok(stats
            .iter()
            .map(|s| s.module.clone())
            .zip(measured?)
            .collect())
    }

    /// The two probes of `x` under one seed (so a dropout draws the same masks in both): the
    /// statistics the pass from 0 leaves, and each module's factor.
    fn probe_pair(
        &self,
        stats: &[RunningStats],
        x: &Tensor,
    ) -> Result<(Probed, Vec<f64>), ModelError> {
        let seed = Tensor::randint(i64::MAX, [1], (Kind::Int64, Device::Cpu)).int64_value(&[0]);
        tch::manual_seed(seed);
        let low = self.probe(stats, x, 0.0)?;
        tch::manual_seed(seed);
        let high = self.probe(stats, x, 1.0)?;
        let f = self.factors(stats, &low, &high)?;
        Ok((low, f))
    }

    /// One train-mode pass over `x` with every module's running statistics started at `start`
    /// (and num_batches_tracked at 0); the statistics it leaves, in double precision.
    fn probe(&self, stats: &[RunningStats], x: &Tensor, start: f64) -> Result<Probed, ModelError> {
        for s in stats {
            fill(&s.mean, start);
            fill(&s.var, start);
            if let Some(t) = &s.tracked {
                fill(t, 0.0);
            }
        }
        let _ = self.forward(x, true)?;
        Ok(stats
            .iter()
            .map(|s| (s.mean.to_kind(Kind::Double), s.var.to_kind(Kind::Double)))
            .collect())
    }

    /// Each module's factor f from the passes started at 0 (`low`) and at 1 (`high`): the
    /// channels' mean of 1 - (high - low) over both statistics.
    fn factors(
        &self,
        stats: &[RunningStats],
        low: &[(Tensor, Tensor)],
        high: &[(Tensor, Tensor)],
    ) -> Result<Vec<f64>, ModelError> {
        stats
            .iter()
            .zip(low.iter().zip(high))
            .map(|(s, ((lm, lv), (hm, hv)))| {
                let kept = Tensor::cat(&[hm - lm, hv - lv], 0).mean(Kind::Double);
                let f = 1.0 - kept.double_value(&[]);
                if f.is_finite() && f > 1e-6 {
                    Ok(f)
                } else {
                    Err(ModelError::TorchScript {
                        file: self.file().to_path_buf(),
                        message: format!(
                            "BatchNorm `{}` does not move its running statistics in train mode \
                             (factor {f}: momentum 0?), so no forward pass reveals them: leave \
                             recalibrate_bn out for this model",
                            s.module
                        ),
                    })
                }
            })
            .collect()
    }
}
