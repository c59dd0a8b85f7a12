//! The network built from an [`Architecture`] on libtorch, with activation capture by layer name:
//! the built-in layer lists, or a TorchScript module ([`super::script`]).
use super::arch::{Architecture, Op};
use super::batchnorm::{self, BnMode};
use super::error::ModelError;
use super::script::ScriptNet;
use std::cell::Cell;
use tch::nn;
use tch::Tensor;

enum Module {
    Conv(nn::Conv2D),
    BatchNorm(nn::BatchNorm),
    Relu,
    PRelu(Tensor),
    MaxPool {
        kernel: i64,
        stride: i64,
        padding: i64,
    },
    AvgPool,
    Linear(nn::Linear),
    Dropout(f64),
}

/// A network whose parameters live in a [`nn::VarStore`] under `LAYER.weight`, `LAYER.bias`
/// (and `bnK.running_mean`, `bnK.running_var`), so checkpoints carry the layer names.
pub struct Network {
    /// What it is.
    pub arch: Architecture,
    modules: Vec<(String, Module)>,
    script: Option<ScriptNet>,
    bn_mode: Cell<BnMode>,
    bn_batches: Cell<u64>,
}

/// PyTorch's bound for `nn.Conv2d` and `nn.Linear`: weights by `kaiming_uniform_(a=sqrt(5))`,
/// that is uniform in +-sqrt(6 / ((1 + 5) fan_in)) = +-1/sqrt(fan_in), and biases uniform in the
/// same +-1/sqrt(fan_in).
fn torch_uniform(fan_in: usize) -> nn::Init {
    let bound = 1.0 / (fan_in as f64).sqrt();
    nn::Init::Uniform {
        lo: -bound,
        up: bound,
    }
}

/// `nn.init.xavier_uniform_`: uniform in +-sqrt(6 / (fan_in + fan_out)), the initialisation of
/// the CORnet authors' code (with zero biases).
fn xavier_uniform(fan_in: usize, fan_out: usize) -> nn::Init {
    let bound = (6.0 / (fan_in + fan_out) as f64).sqrt();
    nn::Init::Uniform {
        lo: -bound,
        up: bound,
    }
}

/// torchvision's VGG initialisation (`VGG._initialize_weights`): convolutions
/// `kaiming_normal_(mode="fan_out", nonlinearity="relu")`, normal with sd sqrt(2 / fan_out);
/// dense layers normal with sd 0.01; biases zero.
fn torchvision_vgg(conv: bool, fan_out: usize) -> (nn::Init, nn::Init) {
    let stdev = if conv {
        (2.0 / fan_out as f64).sqrt()
    } else {
        0.01
    };
    (nn::Init::Randn { mean: 0.0, stdev }, nn::Init::Const(0.0))
}

/// Weight and bias initialisation of a convolution (`conv`) or dense layer with `fan_in` inputs
/// and `fan_out` outputs per weight slice: PyTorch's defaults; CORnet's Xavier-uniform with
/// zero biases; for the plain `vgg19` torchvision's VGG initialisation, because at PyTorch's
/// defaults the signal's variance shrinks sixfold per layer (fan_in x 1/(3 fan_in) x 1/2 for
/// the ReLU) through its 19 layers without BatchNorm and it does not learn from scratch: on
/// 25,000 CIFAR-10 images at bench widths, lr 0.01, two epochs stay at chance (loss 2.303)
/// where this initialisation reaches 21.9 % (2026-12-05). The BatchNorm of `vgg19_bn` restores
/// the scale, so it keeps PyTorch's defaults.
fn init(arch: &Architecture, conv: bool, fan_in: usize, fan_out: usize) -> (nn::Init, nn::Init) {
    if arch.is_cornet() {
        (xavier_uniform(fan_in, fan_out), nn::Init::Const(0.0))
    } else if arch.kind == "vgg19" {
        torchvision_vgg(conv, fan_out)
    } else {
        (torch_uniform(fan_in), torch_uniform(fan_in))
    }
}

/// The VarStore path of a layer name, dotted names nested (`V1.conv` -> `V1` / `conv`).
fn layer_path<'a>(root: &nn::Path<'a>, name: &str) -> nn::Path<'a> {
    let mut parts = name.split('.');
    let first = parts.next().unwrap_or(name);
    parts.fold(root.sub(first), |p, part| p.sub(part))
}

impl Network {
    /// Builds the network's parameters under `root`, drawn from the distributions PyTorch draws
    /// `nn.Conv2d`, `nn.BatchNorm2d` and `nn.Linear` from: weights Kaiming-uniform with
    /// a = sqrt(5) (uniform in +-1/sqrt(fan_in)), biases uniform in +-1/sqrt(fan_in), BatchNorm
    /// scale 1 and shift 0, running mean 0 and variance 1. Two exceptions take their authors'
    /// initialisation: CORnet-Z (Xavier-uniform weights, zero biases) and the plain `vgg19`
    /// (torchvision's VGG initialisation: He-normal over fan_out for convolutions, sd 0.01 for
    /// dense layers, zero biases). BatchNorm starts in [`BnMode::Momentum`] 0.1, PyTorch's
    /// default.
    ///
    /// A TorchScript architecture loads its file instead, with the values it holds.
    pub fn new(root: &nn::Path, arch: &Architecture) -> Result<Network, ModelError> {
        if let Some(s) = &arch.torchscript {
            return Network::from_torchscript(root, arch, &s.file);
        }
        let mut modules = Vec::new();
        for l in arch.layers()? {
            let p = layer_path(root, &l.name);
            let m = match l.op {
                Op::Conv {
                    cin,
                    cout,
                    kernel,
                    stride,
                } => {
                    let (ws_init, bs_init) =
                        init(arch, true, cin * kernel * kernel, cout * kernel * kernel);
                    let cfg = nn::ConvConfig {
                        padding: (kernel / 2) as i64,
                        stride: stride as i64,
                        ws_init,
                        bs_init,
                        ..Default::default()
                    };
                    Module::Conv(nn::conv2d(&p, cin as i64, cout as i64, kernel as i64, cfg))
                }
                Op::BatchNorm { channels } => {
                    let cfg = nn::BatchNormConfig {
                        ws_init: nn::Init::Const(1.0),
                        bs_init: nn::Init::Const(0.0),
                        momentum: batchnorm::DEFAULT_MOMENTUM,
                        ..Default::default()
                    };
                    Module::BatchNorm(nn::batch_norm2d(&p, channels as i64, cfg))
                }
                Op::Relu => Module::Relu,
                Op::PRelu { channels } => {
                    Module::PRelu(p.var("weight", &[channels as i64], nn::Init::Const(0.25)))
                }
                Op::MaxPool {
                    kernel,
                    stride,
                    padding,
                } => Module::MaxPool {
                    kernel: kernel as i64,
                    stride: stride as i64,
                    padding: padding as i64,
                },
                Op::AvgPool => Module::AvgPool,
                Op::Linear { fin, fout } => {
                    let (ws_init, bs_init) = init(arch, false, fin, fout);
                    let cfg = nn::LinearConfig {
                        ws_init,
                        bs_init: Some(bs_init),
                        bias: true,
                    };
                    Module::Linear(nn::linear(&p, fin as i64, fout as i64, cfg))
                }
                Op::Dropout { p } => Module::Dropout(p),
            };
            modules.push((l.name, m));
        }
        Ok(Network {
            arch: arch.clone(),
            modules,
            script: None,
            bn_mode: Cell::new(BnMode::default()),
            bn_batches: Cell::new(0),
        })
    }

    /// The TorchScript model of `arch` loaded from `file` (a checkpoint's own copy, or the
    /// file the architecture names), its parameters and buffers registered under `root`.
    pub fn from_torchscript(
        root: &nn::Path,
        arch: &Architecture,
        file: &std::path::Path,
    ) -> Result<Network, ModelError> {
        Ok(Network {
            arch: arch.clone(),
            modules: Vec::new(),
            script: Some(ScriptNet::load(root, file)?),
            bn_mode: Cell::new(BnMode::default()),
            bn_batches: Cell::new(0),
        })
    }

    /// The TorchScript module, for a model loaded from one.
    pub fn torchscript(&self) -> Option<&ScriptNet> {
        self.script.as_ref()
    }

    /// How BatchNorm treats its running statistics in train mode from now on; a cumulative
    /// average starts afresh. A TorchScript model's BatchNorm keeps its own momentum (compiled
    /// into the module), so callers check [`Network::supports_bn_mode`] first.
    pub fn set_bn_mode(&self, mode: BnMode) {
        self.bn_mode.set(mode);
        self.bn_batches.set(0);
    }

    /// Whether train-mode forward passes can keep BatchNorm statistics as `mode` says: every
    /// mode for the built-in networks, only the default momentum for a TorchScript model.
    pub fn supports_bn_mode(&self, mode: BnMode) -> bool {
        self.script.is_none() || mode == BnMode::default()
    }

    /// The current BatchNorm mode.
    pub fn bn_mode(&self) -> BnMode {
        self.bn_mode.get()
    }

    /// Whether the network has BatchNorm layers.
    pub fn has_batch_norm(&self) -> bool {
        if self.script.is_some() {
            return self.arch.batch_norm;
        }
        self.modules
            .iter()
            .any(|(_, m)| matches!(m, Module::BatchNorm(_)))
    }

    /// Names of all layers in forward order; for a TorchScript model the names its
    /// `activations(x)` returns (none without that method).
    pub fn layer_names(&self) -> Vec<String> {
        if let Some(s) = &self.arch.torchscript {
            return s.layers.clone();
        }
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
        if let Some(s) = &self.script {
            if !capture.is_empty() && !s.has_activations() {
                return Err(ModelError::NoActivations {
                    file: self
                        .arch
                        .torchscript
                        .as_ref()
                        .map(|a| a.file.clone())
                        .unwrap_or_default(),
                });
            }
        }
        let names = self.layer_names();
        if let Some(bad) = capture.iter().find(|c| !names.contains(c)) {
            return Err(ModelError::UnknownLayer {
                name: bad.clone(),
                layers: names,
            });
        }
        Ok(self.forward_capture(x, train, capture))
    }

    /// As [`Network::forward_capture_checked`], ignoring unknown names. A TorchScript model
    /// that fails here failed a probe of the same shapes when it was described, so a failure is
    /// a bug of the model and panics with its message.
    pub fn forward_capture(
        &self,
        x: &Tensor,
        train: bool,
        capture: &[String],
    ) -> (Tensor, Vec<Tensor>) {
        if let Some(s) = &self.script {
            return script_capture(s, x, train, capture).unwrap_or_else(|e| panic!("{e}"));
        }
        let mut slots: Vec<Option<Tensor>> = capture.iter().map(|_| None).collect();
        let mut h = x.shallow_clone();
        let mut captured = false;
        for (name, m) in &self.modules {
            h = match m {
                Module::Conv(c) => h.apply(c),
                Module::BatchNorm(b) => {
                    batchnorm::forward(b, &h, train, self.bn_mode.get(), self.bn_batches.get())
                }
                // In place, as PyTorch's ReLU(inplace=True), unless the input is a captured
                // activation, which must keep its values.
                Module::Relu if !captured => h.relu_(),
                Module::Relu => h.relu(),
                Module::PRelu(w) => h.prelu(w),
                Module::MaxPool {
                    kernel,
                    stride,
                    padding,
                } => h.max_pool2d(
                    [*kernel, *kernel],
                    [*stride, *stride],
                    [*padding, *padding],
                    [1, 1],
                    false,
                ),
                Module::AvgPool => h.adaptive_avg_pool2d([1, 1]).flatten(1, -1),
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
        if train {
            self.bn_batches.set(self.bn_batches.get() + 1);
        }
        (h, slots.into_iter().flatten().collect())
    }
}

/// The logits by `forward(x)` and the layers by `activations(x)` (a second pass, only when
/// layers are asked for).
fn script_capture(
    s: &ScriptNet,
    x: &Tensor,
    train: bool,
    capture: &[String],
) -> Result<(Tensor, Vec<Tensor>), ModelError> {
    let logits = s.forward(x, train)?;
    if capture.is_empty() {
        return Ok((logits, Vec::new()));
    }
    let acts = s.activations(x, train)?;
    let picked = capture
        .iter()
        .filter_map(|want| acts.iter().find(|(n, _)| n == want))
        .map(|(_, t)| t.shallow_clone())
        .collect();
    Ok((logits, picked))
}

#[cfg(test)]
#[path = "network_tests.rs"]
mod tests;
