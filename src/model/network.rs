//! The network built from an [`Architecture`] on libtorch, with activation capture by layer name.
use super::arch::{Architecture, Op};
use super::error::ModelError;
use tch::nn::{self, ModuleT};
use tch::Tensor;

enum Module {
    Conv(nn::Conv2D),
    BatchNorm(nn::BatchNorm),
    Relu,
    MaxPool,
    Linear(nn::Linear),
    Dropout(f64),
}

/// A network whose parameters live in a [`nn::VarStore`] under `LAYER.weight`, `LAYER.bias`
/// (and `bnK.running_mean`, `bnK.running_var`), so checkpoints carry the layer names.
pub struct Network {
    /// What it is.
    pub arch: Architecture,
    modules: Vec<(String, Module)>,
}

impl Network {
    /// Builds the network's parameters under `root`, initialised as PyTorch initialises
    /// `nn.Conv2d`, `nn.BatchNorm2d` and `nn.Linear` (Kaiming-uniform weights with a = sqrt(5),
    /// biases uniform in +-1/sqrt(fan_in), BatchNorm scale 1 and shift 0).
    pub fn new(root: &nn::Path, arch: &Architecture) -> Result<Network, ModelError> {
        let mut modules = Vec::new();
        for l in arch.layers()? {
            let p = root / l.name.as_str();
            let m = match l.op {
                Op::Conv { cin, cout } => {
                    let bound = 1.0 / ((cin * 9) as f64).sqrt();
                    let cfg = nn::ConvConfig {
                        padding: 1,
                        bs_init: nn::Init::Uniform {
                            lo: -bound,
                            up: bound,
                        },
                        ..Default::default()
                    };
                    Module::Conv(nn::conv2d(&p, cin as i64, cout as i64, 3, cfg))
                }
                Op::BatchNorm { channels } => {
                    Module::BatchNorm(nn::batch_norm2d(&p, channels as i64, Default::default()))
                }
                Op::Relu => Module::Relu,
                Op::MaxPool => Module::MaxPool,
                Op::Linear { fin, fout } => {
                    Module::Linear(nn::linear(&p, fin as i64, fout as i64, Default::default()))
                }
                Op::Dropout { p } => Module::Dropout(p),
            };
            modules.push((l.name, m));
        }
        Ok(Network {
            arch: arch.clone(),
            modules,
        })
    }

    /// Names of all layers in forward order.
    pub fn layer_names(&self) -> Vec<String> {
        self.modules.iter().map(|(n, _)| n.clone()).collect()
    }

    /// The logits for a batch `x` (N x C x H x W). `train` selects batch statistics and dropout.
    pub fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        self.forward_capture(x, train, &[]).0
    }

    /// The logits and the outputs of the layers named in `capture` (in the order asked for).
    /// Unknown names are an error listing the valid ones.
    pub fn forward_capture_checked(
        &self,
        x: &Tensor,
        train: bool,
        capture: &[String],
    ) -> Result<(Tensor, Vec<Tensor>), ModelError> {
        let names = self.layer_names();
        if let Some(bad) = capture.iter().find(|c| !names.contains(c)) {
            return Err(ModelError::UnknownLayer {
                name: bad.clone(),
                layers: names,
            });
        }
        Ok(self.forward_capture(x, train, capture))
    }

    /// As [`Network::forward_capture_checked`], ignoring unknown names.
    pub fn forward_capture(
        &self,
        x: &Tensor,
        train: bool,
        capture: &[String],
    ) -> (Tensor, Vec<Tensor>) {
        let mut slots: Vec<Option<Tensor>> = capture.iter().map(|_| None).collect();
        let mut h = x.shallow_clone();
        let mut captured = false;
        for (name, m) in &self.modules {
            h = match m {
                Module::Conv(c) => h.apply(c),
                Module::BatchNorm(b) => b.forward_t(&h, train),
                // In place, as PyTorch's ReLU(inplace=True), unless the input is a captured
                // activation, which must keep its values.
                Module::Relu if !captured => h.relu_(),
                Module::Relu => h.relu(),
                Module::MaxPool => h.max_pool2d_default(2),
                Module::Linear(l) => {
                    if h.dim() > 2 {
                        h = h.flatten(1, -1);
                    }
                    h.apply(l)
                }
                Module::Dropout(p) => h.dropout(*p, train),
            };
            captured = false;
            for (slot, want) in slots.iter_mut().zip(capture) {
                if want == name {
                    *slot = Some(h.shallow_clone());
                    captured = true;
                }
            }
        }
        (h, slots.into_iter().flatten().collect())
    }
}
