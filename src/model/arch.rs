//! Architectures as data: the VGG family with configurable widths (so a compressed model is just
//! other widths) and a small CNN for 28x28 inputs. Every module output gets a stable name (conv,
//! bn, relu, pool, linear, dropout, each numbered from 1 in order), and parameter and FLOP counts
//! follow from the description alone, without building the network.
use super::error::ModelError;
pub use super::ops::{layer_flops, layer_params, Op};
pub use super::widths::{
    format_widths, parse_widths, widths_by_name, Stage, BENCH_WIDTHS, VGG19_WIDTHS,
};
use serde::{Deserialize, Serialize};

/// What atrophy knows of a TorchScript model (`kind = "torchscript"`): found by loading it once
/// ([`crate::model::script::describe`]), so that counts, synapse names and layer names are
/// available without libtorch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScriptArch {
    /// The TorchScript file as the config named it. A checkpoint loads its own copy instead,
    /// `model.pt` beside `model.safetensors`.
    pub file: std::path::PathBuf,
    /// SHA-256 of the file, so that a resumed run notices a changed model.
    pub sha256: String,
    /// The synapse layers (every parameter `LAYER.weight` with 2 or more dimensions: convolution
    /// and linear weights) with the weight's shape, in the module's parameter order.
    pub synapses: Vec<(String, Vec<usize>)>,
    /// Parameters of all kinds.
    pub parameters: usize,
    /// The layers `activations(x)` returns, in its order; empty without that method.
    pub layers: Vec<String>,
    /// Whether inputs are normalised with the data set's mean and std before the model sees
    /// them (false for a model that normalises itself).
    pub normalize: bool,
}

/// The nonlinearity after every convolution and hidden dense layer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// max(0, x).
    #[default]
    Relu,
    /// Parametric ReLU (He et al. 2015): max(0, x) + a_c min(0, x) with one slope a_c per
    /// channel (per feature after a dense layer), learned with the other parameters from
    /// a_c = 0.25 (PyTorch's `nn.PReLU` initialisation) and exempt from weight decay, as in the
    /// paper. The slopes are not synapses.
    Prelu,
}

impl Activation {
    /// Whether this is ReLU (the default, left out of written architectures).
    pub fn is_relu(&self) -> bool {
        *self == Activation::Relu
    }
}

/// A network: convolutional stages, then dense layers, then the classifier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Architecture {
    /// Preset it came from (`vgg19_bn`, `vgg19`, `small_cnn`), for display.
    pub kind: String,
    /// Conv widths and pools, as `64,64,M,...`.
    pub widths: String,
    /// BatchNorm after every convolution.
    pub batch_norm: bool,
    /// Widths of the hidden dense layers between the features and the classifier.
    pub hidden: Vec<usize>,
    /// Dropout probability after each hidden dense layer (0 = none).
    pub dropout: f64,
    /// Input channels.
    pub in_channels: usize,
    /// Input height = width.
    pub image_size: usize,
    /// Output classes.
    pub num_classes: usize,
    /// The nonlinearity of the built-in networks.
    #[serde(default, skip_serializing_if = "Activation::is_relu")]
    pub activation: Activation,
    /// The TorchScript model, for `kind = "torchscript"` (the other fields but the input and
    /// class counts then say nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub torchscript: Option<ScriptArch>,
}

/// A layer with its stable name and output shape (without the batch dimension).
#[derive(Clone, Debug, PartialEq)]
pub struct LayerSpec {
    /// Stable name, e.g. `conv3`, `bn3`, `relu3`, `pool2`, `linear1`.
    pub name: String,
    /// What it computes.
    pub op: Op,
    /// Output shape: [C, H, W] for feature maps, [F] after flattening.
    pub out_shape: Vec<usize>,
}

impl Architecture {
    /// Whether the network takes the images of `set`: its channels, side and number of classes
    /// (square images, as every atrophy network takes them).
    pub fn takes(&self, set: &crate::data::Dataset) -> bool {
        (set.channels, set.height, set.width, set.num_classes())
            == (
                self.in_channels,
                self.image_size,
                self.image_size,
                self.num_classes,
            )
    }

    /// `vgg19_bn`, CIFAR variant (P1): 16 conv+BN+ReLU, 5 pools, `Linear(last width, classes)`.
    pub fn vgg19_bn(widths: &str, num_classes: usize) -> Architecture {
        Architecture {
            kind: "vgg19_bn".into(),
            widths: widths.into(),
            batch_norm: true,
            hidden: vec![],
            dropout: 0.0,
            in_channels: 3,
            image_size: 32,
            num_classes,
            activation: Activation::Relu,
            torchscript: None,
        }
    }

    /// `vgg19` as in paper 001: no BatchNorm, three dense layers 512 -> 4096 -> 4096 -> classes
    /// with ReLU and dropout 0.5 between.
    pub fn vgg19(num_classes: usize) -> Architecture {
        Architecture {
            kind: "vgg19".into(),
            widths: VGG19_WIDTHS.into(),
            batch_norm: false,
            hidden: vec![4096, 4096],
            dropout: 0.5,
            in_channels: 3,
            image_size: 32,
            num_classes,
            activation: Activation::Relu,
            torchscript: None,
        }
    }

    /// A small CNN for 28x28 grey images: two conv+BN+ReLU+pool blocks (32, 64), dense 128.
    pub fn small_cnn(num_classes: usize) -> Architecture {
        Architecture {
            kind: "small_cnn".into(),
            widths: "32,M,64,M".into(),
            batch_norm: true,
            hidden: vec![128],
            dropout: 0.0,
            in_channels: 1,
            image_size: 28,
            num_classes,
            activation: Activation::Relu,
            torchscript: None,
        }
    }

    /// A preset by name: `vgg19_bn`, `vgg19`, `small_cnn`, `cornet_z`, `cornet_z32`; `widths` overrides the conv widths,
    /// either as a list or as a name [`widths_by_name`] knows (`bench`, `full`).
    pub fn preset(
        name: &str,
        widths: Option<&str>,
        in_channels: usize,
        image_size: usize,
        num_classes: usize,
    ) -> Result<Architecture, ModelError> {
        let mut a = match name.replace('-', "_").as_str() {
            "vgg19_bn" => Architecture::vgg19_bn(VGG19_WIDTHS, num_classes),
            "vgg19" => Architecture::vgg19(num_classes),
            "small_cnn" => Architecture::small_cnn(num_classes),
            "cornet_z" => Architecture::cornet_z(num_classes, false),
            "cornet_z32" => Architecture::cornet_z(num_classes, true),
            _ => return Err(ModelError::UnknownModel { name: name.into() }),
        };
        if let Some(w) = widths.map(widths_by_name) {
            parse_widths(w)?;
            a.widths = w.into();
        }
        a.in_channels = in_channels;
        a.image_size = image_size;
        a.layers()?;
        Ok(a)
    }

    /// The stages parsed from `widths`.
    pub fn stages(&self) -> Result<Vec<Stage>, ModelError> {
        parse_widths(&self.widths)
    }

    /// Every named layer in forward order, with output shapes; an error when the input size does
    /// not survive the pools or a width is invalid. Empty for a TorchScript model (its layers
    /// are whatever its code computes; [`ScriptArch`] lists what atrophy knows of them).
    pub fn layers(&self) -> Result<Vec<LayerSpec>, ModelError> {
        if self.torchscript.is_some() {
            return Ok(Vec::new());
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(ModelError::out_of_range(
                "dropout",
                self.dropout,
                "0 <= p < 1",
            ));
        }
        if self.num_classes < 2 {
            return Err(ModelError::out_of_range(
                "num_classes",
                self.num_classes,
                "at least 2",
            ));
        }
        if self.is_cornet() {
            return self.cornet_layers();
        }
        let mut out = Vec::new();
        let mut names = Namer::default();
        let (c, hw) = self.conv_layers(&mut names, &mut out)?;
        self.dense_layers(c, hw, &mut names, &mut out)?;
        Ok(out)
    }

    /// The convolutional stages (conv, BatchNorm, nonlinearity; pools) into `out`; returns the
    /// channels and side of the last feature map.
    fn conv_layers(
        &self,
        names: &mut Namer,
        out: &mut Vec<LayerSpec>,
    ) -> Result<(usize, usize), ModelError> {
        let (mut c, mut hw) = (self.in_channels, self.image_size);
        for stage in self.stages()? {
            match stage {
                Stage::Conv(w) => {
                    out.push(LayerSpec {
                        name: names.next("conv"),
                        op: Op::Conv {
                            cin: c,
                            cout: w,
                            kernel: 3,
                            stride: 1,
                        },
                        out_shape: vec![w, hw, hw],
                    });
                    c = w;
                    if self.batch_norm {
                        out.push(LayerSpec {
                            name: names.next("bn"),
                            op: Op::BatchNorm { channels: c },
                            out_shape: vec![c, hw, hw],
                        });
                    }
                    let (n, op) = self.nonlinearity(c);
                    out.push(LayerSpec {
                        name: names.next(n),
                        op,
                        out_shape: vec![c, hw, hw],
                    });
                }
                Stage::Pool => {
                    if hw < 2 {
                        return Err(ModelError::TooManyPools {
                            widths: self.widths.clone(),
                            map: hw,
                            image_size: self.image_size,
                        });
                    }
                    hw /= 2;
                    out.push(LayerSpec {
                        name: names.next("pool"),
                        op: Op::VGG_POOL,
                        out_shape: vec![c, hw, hw],
                    });
                }
            }
        }
        Ok((c, hw))
    }

    /// The classifier after a `c` x `hw` x `hw` feature map: the hidden dense layers (with their
    /// nonlinearity and dropout) and the output layer, into `out`.
    fn dense_layers(
        &self,
        c: usize,
        hw: usize,
        names: &mut Namer,
        out: &mut Vec<LayerSpec>,
    ) -> Result<(), ModelError> {
        let mut f = c
            .checked_mul(hw)
            .and_then(|f| f.checked_mul(hw))
            .ok_or_else(|| ModelError::TooManyFeatures {
                channels: c,
                map: hw,
                widths: self.widths.clone(),
                image_size: self.image_size,
            })?;
        for &h in &self.hidden {
            out.push(LayerSpec {
                name: names.next("linear"),
                op: Op::Linear { fin: f, fout: h },
                out_shape: vec![h],
            });
            let (n, op) = self.nonlinearity(h);
            out.push(LayerSpec {
                name: names.next(n),
                op,
                out_shape: vec![h],
            });
            if self.dropout > 0.0 {
                out.push(LayerSpec {
                    name: names.next("dropout"),
                    op: Op::Dropout { p: self.dropout },
                    out_shape: vec![h],
                });
            }
            f = h;
        }
        out.push(LayerSpec {
            name: names.next("linear"),
            op: Op::Linear {
                fin: f,
                fout: self.num_classes,
            },
            out_shape: vec![self.num_classes],
        });
        Ok(())
    }

    /// The nonlinearity after a layer of `channels` channels, with the stem of its name
    /// (`relu` or `prelu`, numbered in forward order).
    pub(super) fn nonlinearity(&self, channels: usize) -> (&'static str, Op) {
        match self.activation {
            Activation::Relu => ("relu", Op::Relu),
            Activation::Prelu => ("prelu", Op::PRelu { channels }),
        }
    }

    /// Names of the layers whose weights are synapses (conv and linear), in order.
    pub fn synapse_layers(&self) -> Vec<String> {
        if let Some(s) = &self.torchscript {
            return s.synapses.iter().map(|(n, _)| n.clone()).collect();
        }
        self.layers()
            .unwrap_or_default()
            .into_iter()
            .filter(|l| matches!(l.op, Op::Conv { .. } | Op::Linear { .. }))
            .map(|l| l.name)
            .collect()
    }

    /// Trainable parameters (weights, biases, BatchNorm scale and shift).
    pub fn parameter_count(&self) -> usize {
        if let Some(s) = &self.torchscript {
            return s.parameters;
        }
        self.layers()
            .unwrap_or_default()
            .iter()
            .map(|l| layer_params(&l.op))
            .sum()
    }

    /// [`Architecture::parameter_count`] without overflow, for widths too large to train.
    pub fn parameter_count_u128(&self) -> u128 {
        if let Some(s) = &self.torchscript {
            return s.parameters as u128;
        }
        (self.layers().unwrap_or_default().iter())
            .map(|l| match l.op {
                Op::Conv {
                    cin, cout, kernel, ..
                } => (cin as u128) * (cout as u128) * (kernel as u128).pow(2) + cout as u128,
                Op::Linear { fin, fout } => (fin as u128) * (fout as u128) + fout as u128,
                Op::BatchNorm { channels } => 2 * channels as u128,
                Op::PRelu { channels } => channels as u128,
                _ => 0,
            })
            .sum()
    }

    /// Synapses: the weights of conv and linear layers (P3's T).
    pub fn synapse_count(&self) -> usize {
        if let Some(s) = &self.torchscript {
            return s
                .synapses
                .iter()
                .map(|(_, shape)| shape.iter().product::<usize>())
                .sum();
        }
        self.layers()
            .unwrap_or_default()
            .iter()
            .map(|l| match l.op {
                Op::Conv {
                    cin, cout, kernel, ..
                } => cin * cout * kernel * kernel,
                Op::Linear { fin, fout } => fin * fout,
                _ => 0,
            })
            .sum()
    }

    /// Multiply-accumulates of one forward pass of one image (conv and linear layers; the
    /// element-wise layers are negligible and not counted, as in the pruning literature); 0 for
    /// a TorchScript model, whose layer shapes atrophy does not know.
    pub fn flops(&self) -> usize {
        self.layers()
            .unwrap_or_default()
            .iter()
            .map(layer_flops)
            .sum()
    }
}

/// Names layers by kind, numbered in forward order: conv1, bn1, relu1, conv2, ...
#[derive(Default)]
pub(super) struct Namer(std::collections::HashMap<&'static str, usize>);

impl Namer {
    /// The next name of kind `k`.
    pub(super) fn next(&mut self, k: &'static str) -> String {
        let c = self.0.entry(k).or_insert(0);
        *c += 1;
        format!("{k}{c}")
    }
}

#[cfg(test)]
#[path = "arch_tests.rs"]
mod tests;
