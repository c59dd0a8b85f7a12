//! SGD with momentum and weight decay, as PyTorch's `torch.optim.SGD` (dampening 0), with an
//! optional 0/1 mask per parameter: masked coordinates are frozen synapses.
//!
//! Pruning libraries that zero the gradient of a frozen weight still let weight decay and the
//! momentum buffer move it ("weights coming back to life"). Here the masked coordinates of the
//! momentum buffer are kept at zero, and the update itself is a select (`where`) between the
//! new and the old value, so a frozen synapse keeps its exact bits whatever the settings.
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
    /// (trainable as bool, trainable as the parameter's float kind)
    mask: Option<(Tensor, Tensor)>,
}

/// SGD over the trainable variables of a var store, with frozen-synapse masks.
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
                name,
                param,
                buffer: None,
                mask: None,
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
    pub fn set_mask(&mut self, name: &str, trainable: Option<&Tensor>) -> Result<(), String> {
        let slot = self
            .slots
            .iter_mut()
            .find(|s| s.name == name)
            .ok_or_else(|| format!("no trainable parameter `{name}`"))?;
        slot.mask = match trainable {
            None => None,
            Some(m) => {
                if m.size() != slot.param.size() {
                    return Err(format!(
                        "mask for `{name}` has shape {:?}, expected {:?}",
                        m.size(),
                        slot.param.size()
                    ));
                }
                let device = slot.param.device();
                let b = m.to_device(device).to_kind(Kind::Bool);
                let f = b.to_kind(slot.param.kind());
                if let Some(buf) = &mut slot.buffer {
                    tch::no_grad(|| {
                        let _ = buf.g_mul_(&f);
                    });
                }
                Some((b, f))
            }
        };
        Ok(())
    }

    /// Clears the gradients of all parameters.
    pub fn zero_grad(&mut self) {
        for s in &mut self.slots {
            let mut g = s.param.grad();
            if g.defined() {
                let _ = g.detach_();
                let _ = g.zero_();
            }
        }
    }

    /// One update with learning rate `lr`.
    pub fn step(&mut self, lr: f64) {
        let c = self.config.clone();
        tch::no_grad(|| {
            for s in &mut self.slots {
                let g = s.param.grad();
                if !g.defined() {
                    continue;
                }
                let mut d = if c.weight_decay != 0.0 {
                    &g + &s.param * c.weight_decay
                } else {
                    g
                };
                if let Some((_, f)) = &s.mask {
                    d *= f;
                }
                if c.momentum != 0.0 {
                    let buf = match s.buffer.take() {
                        None => d.copy(),
                        Some(mut b) => {
                            let _ = b.g_mul_scalar_(c.momentum).g_add_(&d);
                            b
                        }
                    };
                    d = if c.nesterov {
                        &d + &buf * c.momentum
                    } else {
                        buf.shallow_clone()
                    };
                    s.buffer = Some(buf);
                }
                match &s.mask {
                    None => {
                        let _ = s.param.g_sub_(&(d * lr));
                    }
                    Some((b, _)) => {
                        let updated = &s.param - d * lr;
                        let kept = updated.where_self(b, &s.param);
                        s.param.copy_(&kept);
                    }
                }
            }
        });
    }

    /// Momentum buffers by parameter name (for resumable checkpoints).
    pub fn buffers(&self) -> Vec<(String, Tensor)> {
        self.slots
            .iter()
            .filter_map(|s| {
                s.buffer
                    .as_ref()
                    .map(|b| (s.name.clone(), b.shallow_clone()))
            })
            .collect()
    }

    /// Restores momentum buffers saved by [`MaskedSgd::buffers`].
    pub fn load_buffers(&mut self, named: Vec<(String, Tensor)>) -> Result<(), String> {
        for (name, t) in named {
            let slot = self
                .slots
                .iter_mut()
                .find(|s| s.name == name)
                .ok_or_else(|| format!("optimizer state names unknown parameter `{name}`"))?;
            if t.size() != slot.param.size() {
                return Err(format!(
                    "optimizer state for `{name}` has shape {:?}, expected {:?}",
                    t.size(),
                    slot.param.size()
                ));
            }
            slot.buffer = Some(t.to_device(slot.param.device()).to_kind(slot.param.kind()));
        }
        Ok(())
    }
}
