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
