//! The plastic layer of P8: fixed weights plus a learned coefficient times a Hebbian trace.
use tch::{nn, Kind, Tensor};

/// The trace's learning rate eta: fixed, or learned by backpropagation from an initial value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Eta {
    /// Held at this value (Miconi's default 0.01).
    Fixed(f64),
    /// Learned, starting from this value.
    Learned(f64),
}

impl Eta {
    /// The value eta starts from.
    pub fn initial(self) -> f64 {
        match self {
            Eta::Fixed(v) | Eta::Learned(v) => v,
        }
    }

    /// eta is a mixing weight between the new outer product and the old trace, so it must lie in
    /// (0, 1]: 0 would freeze the trace at zero, above 1 would flip its sign every step.
    pub fn validate(self) -> Result<(), String> {
        let v = self.initial();
        if v > 0.0 && v <= 1.0 {
            Ok(())
        } else {
            Err(format!("eta = {v} is out of range: expected 0 < eta <= 1"))
        }
    }
}

/// The output non-linearity sigma of a plastic layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// tanh, as in Miconi's recurrent network.
    Tanh,
    /// The logistic function, for outputs in (0, 1) such as pixel intensities.
    Sigmoid,
    /// No non-linearity (logits for a softmax).
    Identity,
}

impl Activation {
    /// Applies the non-linearity.
    pub fn apply(self, x: &Tensor) -> Tensor {
        match self {
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => x.sigmoid(),
            Activation::Identity => x.shallow_clone(),
        }
    }
}

/// A plastic connection from `n_in` to `n_out` units (P8):
/// `y_j = sigma( sum_i (w_ij + alpha_ij Hebb_ij) x_i [+ b_j] )`,
/// `Hebb_ij <- eta x_i y_j + (1 - eta) Hebb_ij`.
///
/// The trace is per episode and per sequence of a batch, shaped `[batch, n_in, n_out]`; it is
/// carried by the caller (start each episode from [`PlasticLinear::zero_trace`]) so that the
/// same layer serves feed-forward and recurrent networks.
///
/// What is carried is the *weighted* trace `P = alpha * Hebb`, not `Hebb` itself: `alpha` is
/// constant within an episode, so `P <- (1 - eta) P + alpha * (eta x^T y)` is exactly P8's
/// recursion multiplied by `alpha`, and the pre-activation needs only `x P`. This halves the
/// memory traffic of every step (no `alpha * Hebb` product to form), which dominates the cost
/// of Miconi's 1000-neuron network. [`PlasticLinear::hebb`] recovers `Hebb` where `alpha != 0`. With `plastic = false` the layer is
/// an ordinary linear layer of the same shape (the non-plastic baseline): there is no `alpha`,
/// and the trace is never read.
#[derive(Debug)]
pub struct PlasticLinear {
    /// Fixed weights, `[n_in, n_out]`.
    pub w: Tensor,
    /// Plasticity coefficients, `[n_in, n_out]` (absent in the non-plastic baseline).
    pub alpha: Option<Tensor>,
    /// The trace's learning rate, a one-element tensor (a parameter when learned).
    pub eta: Tensor,
    /// Optional bias, `[n_out]` (not in P8's formula; used by the autoencoder and classifier).
    pub bias: Option<Tensor>,
    n_in: i64,
    n_out: i64,
}

impl PlasticLinear {
    /// A layer under `path`: `w` and `alpha` drawn from N(0, init_std^2) (Miconi uses 0.01 for
    /// both), a zero bias when asked, eta fixed or learned.
    pub fn new(
        path: &nn::Path,
        n_in: usize,
        n_out: usize,
        eta: Eta,
        plastic: bool,
        bias: bool,
        init_std: f64,
    ) -> Result<PlasticLinear, String> {
        eta.validate()?;
        if n_in == 0 || n_out == 0 {
            return Err(format!(
                "a plastic layer needs at least one input and one output (got {n_in} x {n_out})"
            ));
        }
        if !(init_std > 0.0 && init_std.is_finite()) {
            return Err(format!("init_std = {init_std}: expected a positive number"));
        }
        let (i, o) = (n_in as i64, n_out as i64);
        let normal = nn::Init::Randn {
            mean: 0.0,
            stdev: init_std,
        };
        let w = path.var("w", &[i, o], normal);
        let alpha = plastic.then(|| path.var("alpha", &[i, o], normal));
        let eta = match eta {
            Eta::Learned(v) => path.var("eta", &[1], nn::Init::Const(v)),
            Eta::Fixed(v) => Tensor::from_slice(&[v as f32]).to_device(path.device()),
        };
        let bias = bias.then(|| path.var("b", &[o], nn::Init::Const(0.0)));
        Ok(PlasticLinear {
            w,
            alpha,
            eta,
            bias,
            n_in: i,
            n_out: o,
        })
    }

    /// Whether the layer has a Hebbian component.
    pub fn is_plastic(&self) -> bool {
        self.alpha.is_some()
    }

    /// Inputs and outputs.
    pub fn shape(&self) -> (usize, usize) {
        (self.n_in as usize, self.n_out as usize)
    }

    /// The current value of eta.
    pub fn eta_value(&self) -> f64 {
        self.eta.double_value(&[0])
    }

    /// The weighted trace at the start of an episode: zeros, `[batch, n_in, n_out]`.
    pub fn zero_trace(&self, batch: usize) -> Tensor {
        let shape = if self.is_plastic() {
            [batch as i64, self.n_in, self.n_out]
        } else {
            // The baseline never reads its trace; a placeholder keeps one calling convention.
            [batch as i64, 1, 1]
        };
        Tensor::zeros(shape, (Kind::Float, self.w.device()))
    }

    /// `Hebb` from a weighted trace `alpha * Hebb` (for inspection; 0/0 reads as 0).
    pub fn hebb(&self, trace: &Tensor) -> Option<Tensor> {
        let alpha = self.alpha.as_ref()?;
        let zero = alpha.eq(0.0);
        Some(
            (trace / alpha.where_self(&zero.logical_not(), &alpha.ones_like()))
                .masked_fill(&zero, 0.0),
        )
    }

    /// `x (w + alpha * Hebb) + b` for a batch `x` of shape `[batch, n_in]` and the weighted
    /// trace `alpha * Hebb`.
    pub fn pre_activation(&self, x: &Tensor, trace: &Tensor) -> Tensor {
        let mut out = x.matmul(&self.w);
        if self.is_plastic() {
            // Each sequence of the batch has its own trace, hence a batched product; a trace of
            // batch 1 is shared by every row of `x` (evaluation with a frozen trace).
            out += x.unsqueeze(1).matmul(trace).squeeze_dim(1);
        }
        if let Some(b) = &self.bias {
            out += b;
        }
        out
    }

    /// `Hebb <- eta x^T y + (1 - eta) Hebb`, on the weighted trace `alpha * Hebb`, for
    /// presynaptic `pre` `[batch, n_in]` and postsynaptic `post` `[batch, n_out]`.
    pub fn update_trace(&self, trace: &Tensor, pre: &Tensor, post: &Tensor) -> Tensor {
        let Some(alpha) = &self.alpha else {
            return trace.shallow_clone();
        };
        // eta scales the n_in-vector rather than the n_in x n_out outer product.
        let outer = (pre * &self.eta).unsqueeze(2).bmm(&post.unsqueeze(1));
        ((-&self.eta + 1.0) * trace).addcmul(&outer, alpha)
    }

    /// The weighted trace `alpha * hebb` of an unweighted trace `hebb`, in the graph of
    /// `alpha`: for training that carries `Hebb` itself (detached between steps) so that the
    /// gradient still reaches `alpha` through the current step. The baseline's placeholder
    /// passes through.
    pub fn weigh(&self, hebb: &Tensor) -> Tensor {
        match &self.alpha {
            Some(alpha) => hebb * alpha,
            None => hebb.shallow_clone(),
        }
    }

    /// `Hebb <- eta x^T y + (1 - eta) Hebb` on the unweighted trace `hebb` `[batch, n_in,
    /// n_out]`, for presynaptic `pre` `[batch, n_in]` and postsynaptic `post` `[batch, n_out]`
    /// (P8's recursion as written; [`PlasticLinear::update_trace`] is the same on `alpha * Hebb`).
    pub fn update_hebb(&self, hebb: &Tensor, pre: &Tensor, post: &Tensor) -> Tensor {
        if self.alpha.is_none() {
            return hebb.shallow_clone();
        }
        let outer = (pre * &self.eta).unsqueeze(2).bmm(&post.unsqueeze(1));
        (-&self.eta + 1.0) * hebb + outer
    }

    /// One feed-forward step: `y = sigma(x (w + alpha Hebb) + b)` and the updated trace.
    pub fn forward(&self, x: &Tensor, trace: &Tensor, sigma: Activation) -> (Tensor, Tensor) {
        let y = sigma.apply(&self.pre_activation(x, trace));
        let next = self.update_trace(trace, x, &y);
        (y, next)
    }

    /// A whole feed-forward episode from a zero trace: the outputs for inputs `xs` (each
    /// `[batch, n_in]`), equal to calling [`forward`](Self::forward) step by step.
    ///
    /// Unrolled, the trace before step t is `Hebb_t = sum_{s<t} eta (1-eta)^(t-1-s) x_s^T y_s`,
    /// so the plastic term is `x_t (alpha * Hebb_t) = sum_s c_ts y_s * ((x_t * x_s) alpha)`:
    /// one matrix product per step over the stacked history instead of forming `[batch, n_in,
    /// n_out]` traces. For short episodes with wide layers and batches (the denoising
    /// autoencoder's 784 x 784 pixel layer) this is an order of magnitude faster; for long
    /// episodes (Miconi's 106 steps, batch 1) carry the trace instead, its cost is linear in t.
    pub fn forward_sequence(&self, xs: &[Tensor], sigma: Activation) -> Vec<Tensor> {
        let mut ys: Vec<Tensor> = Vec::with_capacity(xs.len());
        let Some(alpha) = &self.alpha else {
            return xs
                .iter()
                .map(|x| sigma.apply(&self.pre_activation(x, &self.zero_trace(1))))
                .collect();
        };
        let keep = -&self.eta + 1.0;
        for (t, x) in xs.iter().enumerate() {
            let mut pre = x.matmul(&self.w);
            if let Some(b) = &self.bias {
                pre += b;
            }
            if t > 0 {
                let past_x = Tensor::stack(&xs[..t], 0); // [t, batch, n_in]
                let past_y = Tensor::stack(&ys[..t], 0); // [t, batch, n_out]
                                                         // c_ts = eta (1 - eta)^(t-1-s), s = 0..t-1, kept in the graph for a learned eta.
                let powers =
                    Tensor::arange_start_step((t - 1) as i64, -1, -1, (Kind::Float, x.device()));
                let c = (&self.eta * keep.pow(&powers)).view([t as i64, 1, 1]);
                let term = (x.unsqueeze(0) * past_x).matmul(alpha) * past_y * c;
                pre += term.sum_dim_intlist(0, false, Kind::Float);
            }
            ys.push(sigma.apply(&pre));
        }
        ys
    }

    /// One step of the fully recurrent form (n_in = n_out):
    /// `y(t) = tanh(y(t-1) (w + alpha Hebb) + input(t))`, the trace updated with `y(t-1)` as the
    /// presynaptic and `y(t)` as the postsynaptic activity.
    pub fn recurrent(&self, y_prev: &Tensor, input: &Tensor, trace: &Tensor) -> (Tensor, Tensor) {
        let y = (self.pre_activation(y_prev, trace) + input).tanh();
        let next = self.update_trace(trace, y_prev, &y);
        (y, next)
    }
}
