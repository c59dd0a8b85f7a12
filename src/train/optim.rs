//! SGD with momentum and weight decay, with the update rule of PyTorch's `torch.optim.SGD`
//! (dampening 0), and an optional 0/1 mask per parameter: masked coordinates are frozen synapses.
//! The arithmetic agrees with PyTorch's to float rounding (a multiply-add may round once where
//! PyTorch rounds twice, or the reverse); factors are held in the parameter's own precision.
//!
//! Pruning libraries that zero the gradient of a frozen weight still let weight decay and the
//! momentum buffer move it ("weights coming back to life"). Here the masked coordinates of the
//! update direction and of the momentum buffer are kept at +0.0, and the new weights are a
//! bitwise select between the updated and the old values, so a frozen synapse keeps its exact
//! bits whatever the settings (even -0.0, which `w + 0.0` would turn into +0.0, and even where
//! its gradient is NaN).
//!
//! Every operation runs in place or into a scratch tensor kept between steps: on the CPU a
//! fresh 80 MB temporary costs as much as several passes over it, and the masked step of the
//! full-width vgg19_bn went from about 115 ms to about 40 ms this way (bench/RESULTS.md).
use super::error::TrainError;
use serde::{Deserialize, Serialize};
use tch::{nn, Kind, Tensor};

/// Optimizer settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SgdConfig {
    /// Base learning rate.
    pub lr: f64,
    /// Momentum (0 = plain SGD).
    pub momentum: f64,
    /// L2 weight decay added to the gradient.
    pub weight_decay: f64,
    /// Nesterov momentum.
    #[serde(default)]
    pub nesterov: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig {
            lr: 0.001,
            momentum: 0.9,
            weight_decay: 0.0,
            nesterov: false,
        }
    }
}

struct Slot {
    name: String,
    param: Tensor,
    buffer: Option<Tensor>,
    /// Holds the update direction, then the updated weights, without a fresh allocation per step.
    scratch: Option<Tensor>,
    mask: Option<Mask>,
    /// Whether weight decay applies (not to PReLU slopes).
    decays: bool,
    /// Weight decay, momentum and -lr as 0-d tensors on the parameter's device, for the fused
    /// `a + b * factor` of addcmul.
    factors: [Factor; 3],
}

/// A 0-d tensor holding a factor on the parameter's device, refilled only when the value
/// changes: made on the host each step it would be copied to a GPU with a sync every time.
#[derive(Default)]
struct Factor {
    value: f64,
    tensor: Option<Tensor>,
}

impl Factor {
    fn get(&mut self, value: f64, like: &Tensor) -> &Tensor {
        match &mut self.tensor {
            // Bits, so that a change between 0.0 and -0.0 is not missed.
            Some(_) if self.value.to_bits() == value.to_bits() => {}
            Some(t) => {
                let _ = t.fill_(value);
            }
            None => self.tensor = Some(Tensor::full([], value, (like.kind(), like.device()))),
        }
        self.value = value;
        self.tensor.as_ref().expect("set above")
    }
}

/// A frozen-synapse mask as bit patterns of the parameter's width: all ones where the synapse
/// is trainable (`keep`), all zeros where it is frozen, and the complement (`drop`).
struct Mask {
    keep: Tensor,
    drop: Tensor,
}

/// The integer kind with the bit width of float kind `kind`, for bitwise views.
fn bits_kind(kind: Kind) -> Option<Kind> {
    match kind {
        Kind::Float => Some(Kind::Int),
        Kind::Double => Some(Kind::Int64),
        Kind::Half | Kind::BFloat16 => Some(Kind::Int16),
        _ => None,
    }
}

/// `t`'s storage viewed as integers of the same width (in-place ops on it write `t`).
fn bits(t: &Tensor) -> Tensor {
    t.view_dtype(bits_kind(t.kind()).expect("masked parameters are floats"))
}

impl Mask {
    /// The masks for `trainable`, shaped and placed as `like`; `None` when `like` is not a
    /// float tensor.
    fn new(trainable: &Tensor, like: &Tensor) -> Option<Mask> {
        let kind = bits_kind(like.kind())?;
        // true -> 1 -> -1, whose two's complement is all ones.
        let keep = -trainable
            .to_device(like.device())
            .to_kind(Kind::Bool)
            .to_kind(kind);
        let drop = keep.bitwise_not();
        Some(Mask { keep, drop })
    }

    /// Sets the frozen coordinates of `t` to +0.0.
    fn clear_frozen(&self, t: &Tensor) {
        let _ = bits(t).bitwise_and_tensor_(&self.keep);
    }

    /// `param` := `updated` where trainable, its own bits where frozen (`updated` is clobbered).
    fn select(&self, param: &Tensor, updated: &Tensor) {
        self.clear_frozen(updated);
        let mut p = bits(param);
        let _ = p.bitwise_and_tensor_(&self.drop);
        let _ = p.bitwise_or_tensor_(&bits(updated));
    }
}

/// Whether parameter `name` is the slope vector of a PReLU layer (`preluK.weight` in the VGG
/// family and the small CNN, `AREA.nonlin.weight` in CORnet-Z), which He et al. (2015) train
/// without weight decay.
pub fn is_prelu_slope(name: &str) -> bool {
    let Some(layer) = name.strip_suffix(".weight") else {
        return false;
    };
    let last = layer.rsplit('.').next().unwrap_or(layer);
    last == "nonlin"
        || last
            .strip_prefix("prelu")
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// SGD over the trainable variables of a var store, with frozen-synapse masks; weight decay
/// spares PReLU slopes ([`is_prelu_slope`]).
pub struct MaskedSgd {
    /// Settings; `lr` is the base rate that schedules scale.
    pub config: SgdConfig,
    slots: Vec<Slot>,
}

impl MaskedSgd {
    /// An optimizer over every trainable variable of `vs`, in name order.
    pub fn new(vs: &nn::VarStore, config: SgdConfig) -> MaskedSgd {
        let mut vars: Vec<(String, Tensor)> = vs
            .variables()
            .into_iter()
            .filter(|(_, t)| t.requires_grad())
            .collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let slots = vars
            .into_iter()
            .map(|(name, param)| Slot {
                decays: !is_prelu_slope(&name),
                name,
                param,
                buffer: None,
                scratch: None,
                mask: None,
                factors: Default::default(),
            })
            .collect();
        MaskedSgd { config, slots }
    }

    /// Names of the parameters it updates.
    pub fn names(&self) -> Vec<String> {
        self.slots.iter().map(|s| s.name.clone()).collect()
    }

    /// Freezes the coordinates of parameter `name` where `trainable` is 0 (or false); `None`
    /// makes the whole parameter trainable again. Momentum at frozen coordinates is cleared.
    pub fn set_mask(&mut self, name: &str, trainable: Option<&Tensor>) -> Result<(), TrainError> {
        let slot = self
            .slots
            .iter_mut()
            .find(|s| s.name == name)
            .ok_or_else(|| TrainError::UnknownParameter { name: name.into() })?;
        slot.mask = match trainable {
            None => None,
            Some(m) => {
                if m.size() != slot.param.size() {
                    return Err(TrainError::MaskShape {
                        name: name.into(),
                        shape: m.size(),
                        expected: slot.param.size(),
                    });
                }
                let mask = Mask::new(m, &slot.param).ok_or_else(|| TrainError::MaskKind {
                    name: name.into(),
                    kind: format!("{:?}", slot.param.kind()),
                })?;
                if let Some(buf) = &slot.buffer {
                    tch::no_grad(|| mask.clear_frozen(buf));
                }
                Some(mask)
            }
        };
        Ok(())
    }

    /// Sets the gradients of all parameters to zero (PyTorch's `zero_grad(set_to_none=False)`:
    /// a parameter the loss does not reach then still gets weight decay and momentum, where
    /// torch's default `set_to_none=True` would skip it; every built-in network uses all its
    /// parameters).
    pub fn zero_grad(&mut self) {
        for s in &mut self.slots {
            let mut g = s.param.grad();
            if g.defined() {
                let _ = g.detach_();
                let _ = g.zero_();
            }
        }
    }

    /// One update with learning rate `lr`, in PyTorch's order: `d = g + wd * w`, `buf = m * buf +
    /// d`, `w -= lr * buf` (Nesterov: `w -= lr * (d + m * buf)`). The gradients are left as they
    /// were.
    pub fn step(&mut self, lr: f64) {
        let c = self.config.clone();
        tch::no_grad(|| {
            for s in &mut self.slots {
                let g = s.param.grad();
                if !g.defined() {
                    continue;
                }
                let [wd, momentum, minus_lr] = &mut s.factors;
                let mut d = s
                    .scratch
                    .get_or_insert_with(|| s.param.empty_like())
                    .shallow_clone();
                if c.weight_decay != 0.0 && s.decays {
                    let _ = g.addcmul_out(&d, &s.param, wd.get(c.weight_decay, &s.param));
                } else {
                    d.copy_(&g);
                }
                if let Some(mask) = &s.mask {
                    mask.clear_frozen(&d);
                }
                let direction = if c.momentum == 0.0 {
                    d.shallow_clone()
                } else {
                    let buf = match s.buffer.take() {
                        None => d.copy(),
                        Some(b) => d.addcmul_out(&b, &b, momentum.get(c.momentum, &s.param)),
                    };
                    let direction = if c.nesterov {
                        d.addcmul_(&buf, momentum.get(c.momentum, &s.param))
                    } else {
                        buf.shallow_clone()
                    };
                    s.buffer = Some(buf);
                    direction
                };
                let minus_lr = minus_lr.get(-lr, &s.param);
                match &s.mask {
                    None => {
                        let _ = s.param.addcmul_(&direction, minus_lr);
                    }
                    Some(mask) => {
                        let updated = s.param.addcmul_out(&d, &direction, minus_lr);
                        mask.select(&s.param, &updated);
                    }
                }
            }
        });
    }

    /// Copies of the momentum buffers by parameter name (for resumable checkpoints); later
    /// steps do not change them.
    pub fn buffers(&self) -> Vec<(String, Tensor)> {
        self.slots
            .iter()
            .filter_map(|s| s.buffer.as_ref().map(|b| (s.name.clone(), b.copy())))
            .collect()
    }

    /// Restores momentum buffers saved by [`MaskedSgd::buffers`] (copied: the optimizer updates
    /// its buffers in place), cleared at the coordinates of any mask already set.
    pub fn load_buffers(&mut self, named: Vec<(String, Tensor)>) -> Result<(), TrainError> {
        for (name, t) in named {
            let slot = self
                .slots
                .iter_mut()
                .find(|s| s.name == name)
                .ok_or_else(|| TrainError::UnknownBuffer { name: name.clone() })?;
            if t.size() != slot.param.size() {
                return Err(TrainError::BufferShape {
                    shape: t.size(),
                    expected: slot.param.size(),
                    name,
                });
            }
            let buf = t
                .to_device(slot.param.device())
                .to_kind(slot.param.kind())
                .copy();
            if let Some(mask) = &slot.mask {
                tch::no_grad(|| mask.clear_frozen(&buf));
            }
            slot.buffer = Some(buf);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    /// A frozen synapse keeps its bits even when its gradient is NaN or infinite (multiplying
    /// the step by a 0/1 mask would give NaN there) and when it is -0.0.
    #[test]
    fn frozen_synapses_ignore_nan_and_infinite_gradients() {
        let vs = nn::VarStore::new(Device::Cpu);
        let w = vs
            .root()
            .var_copy("w", &Tensor::from_slice(&[1.0f32, -0.0, 3.0, 4.0]));
        let mut opt = MaskedSgd::new(
            &vs,
            SgdConfig {
                lr: 0.1,
                weight_decay: 0.01,
                ..SgdConfig::default()
            },
        );
        opt.set_mask("w", Some(&Tensor::from_slice(&[1.0f32, 0.0, 0.0, 1.0])))
            .unwrap();
        let c = Tensor::from_slice(&[1.0f32, f32::NAN, f32::INFINITY, -1.0]);
        for _ in 0..3 {
            opt.zero_grad();
            (&w * &c).sum(Kind::Float).backward();
            opt.step(0.1);
        }
        let got = Vec::<f32>::try_from(&w).unwrap();
        assert_eq!(got[1].to_bits(), (-0.0f32).to_bits());
        assert_eq!(got[2].to_bits(), 3.0f32.to_bits());
        assert!(got[0] < 1.0 && got[3] > 4.0, "{got:?}");
        let buf = Vec::<f32>::try_from(&opt.buffers()[0].1).unwrap();
        assert_eq!(&buf[1..3], &[0.0, 0.0], "momentum at frozen synapses");
    }

    /// Momentum restored from a checkpoint is a copy, and cleared where a mask already freezes
    /// synapses; the buffers handed out are snapshots that later steps leave alone.
    #[test]
    fn restored_momentum_respects_masks_and_snapshots_stay_put() {
        let vs = nn::VarStore::new(Device::Cpu);
        let w = vs
            .root()
            .var_copy("w", &Tensor::from_slice(&[1.0f32, 2.0, 3.0]));
        let mut opt = MaskedSgd::new(&vs, SgdConfig::default());
        opt.set_mask("w", Some(&Tensor::from_slice(&[1.0f32, 0.0, 1.0])))
            .unwrap();
        let saved = Tensor::from_slice(&[0.5f32, 0.5, 0.5]);
        opt.load_buffers(vec![("w".into(), saved.shallow_clone())])
            .unwrap();
        let snapshot = opt.buffers().remove(0).1;
        assert_eq!(Vec::<f32>::try_from(&snapshot).unwrap(), [0.5, 0.0, 0.5]);
        opt.zero_grad();
        (&w * &w).sum(Kind::Float).backward();
        opt.step(0.1);
        assert_eq!(Vec::<f32>::try_from(&snapshot).unwrap(), [0.5, 0.0, 0.5]);
        assert_eq!(Vec::<f32>::try_from(&saved).unwrap(), [0.5, 0.5, 0.5]);
    }
}
