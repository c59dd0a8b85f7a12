//! How the BatchNorm layers of a [`super::Network`] treat their running statistics in train mode:
//! the knob that separates homeostasis (statistics catching up with the activations an injury
//! changed) from synaptic relearning.
use tch::nn;
use tch::Tensor;

/// PyTorch's default running-statistics momentum (`nn.BatchNorm2d(momentum=0.1)`).
pub const DEFAULT_MOMENTUM: f64 = 0.1;

/// What BatchNorm does in train mode (in eval mode it always normalises with the running
/// statistics and changes nothing).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BnMode {
    /// Normalise with the batch's statistics; running statistics move towards them by
    /// `momentum` (`running = (1 - momentum) running + momentum batch`, the variance unbiased).
    Momentum(f64),
    /// Normalise with the batch's statistics; running statistics are the plain average of the
    /// statistics of every batch since the mode was set (PyTorch's `momentum=None`, as
    /// `torch.optim.swa_utils.update_bn` uses it).
    Cumulative,
    /// Normalise with the running statistics and never change them (BatchNorm as in eval mode,
    /// while dropout and gradients still run in train mode).
    Frozen,
}

impl Default for BnMode {
    fn default() -> Self {
        BnMode::Momentum(DEFAULT_MOMENTUM)
    }
}

/// BatchNorm of `x` by layer `b` in `mode`; `batches` is how many batches the cumulative
/// average already holds.
pub(super) fn forward(
    b: &nn::BatchNorm,
    x: &Tensor,
    train: bool,
    mode: BnMode,
    batches: u64,
) -> Tensor {
    let (batch_stats, momentum) = match (train, mode) {
        (false, _) | (true, BnMode::Frozen) => (false, 0.0),
        (true, BnMode::Momentum(m)) => (true, m),
        // The first batch replaces the old statistics (factor 1), the k-th enters with 1/k.
        (true, BnMode::Cumulative) => (true, 1.0 / (batches + 1) as f64),
    };
    Tensor::batch_norm(
        x,
        b.ws.as_ref(),
        b.bs.as_ref(),
        Some(&b.running_mean),
        Some(&b.running_var),
        batch_stats,
        momentum,
        1e-5,
        true,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{nn, Device, Kind};

    /// The running statistics of each mode against numbers computed here from the batch:
    /// Momentum(m) moves them by m (variance unbiased), Cumulative's first batch replaces them,
    /// Frozen leaves them and normalises as eval mode does.
    #[test]
    fn each_mode_moves_the_running_statistics_as_documented() {
        tch::manual_seed(3);
        let x = Tensor::randn([8, 3, 4, 4], (Kind::Float, Device::Cpu)) * 2.0 + 1.0;
        let batch_mean = x.mean_dim([0, 2, 3].as_slice(), false, Kind::Float);
        let batch_var = x.var_dim([0, 2, 3].as_slice(), true, false); // unbiased
        let fresh = || {
            let vs = nn::VarStore::new(Device::Cpu);
            let mut b = nn::batch_norm2d(vs.root(), 3, Default::default());
            tch::no_grad(|| {
                b.running_mean
                    .copy_(&Tensor::from_slice(&[0.5f32, -1.0, 2.0]));
                b.running_var
                    .copy_(&Tensor::from_slice(&[2.0f32, 0.5, 1.0]));
            });
            let old = (b.running_mean.copy(), b.running_var.copy());
            (vs, b, old)
        };
        let close = |a: &Tensor, b: &Tensor| {
            let d = (a - b).abs().max().double_value(&[]);
            assert!(d < 1e-5, "differ by {d}");
        };

        let (_vs, b, (m0, v0)) = fresh();
        let _ = forward(&b, &x, true, BnMode::Momentum(0.3), 0);
        close(&b.running_mean, &(&m0 * 0.7 + &batch_mean * 0.3));
        close(&b.running_var, &(&v0 * 0.7 + &batch_var * 0.3));

        let (_vs, b, _) = fresh();
        let _ = forward(&b, &x, true, BnMode::Cumulative, 0);
        close(&b.running_mean, &batch_mean);
        close(&b.running_var, &batch_var);
        // The second batch enters with 1/2: the plain average of the two.
        let x2 = &x * 0.5 - 1.0;
        let _ = forward(&b, &x2, true, BnMode::Cumulative, 1);
        let mean2 = x2.mean_dim([0, 2, 3].as_slice(), false, Kind::Float);
        close(&b.running_mean, &((&batch_mean + &mean2) * 0.5));

        let (_vs, b, (m0, v0)) = fresh();
        let y = forward(&b, &x, true, BnMode::Frozen, 0);
        assert!(b.running_mean.equal(&m0) && b.running_var.equal(&v0));
        close(&y, &forward(&b, &x, false, BnMode::default(), 0));
    }
}
