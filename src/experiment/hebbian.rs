//! Recovery by local plasticity instead of backpropagation (`rule = "oja"`, [`Rule::Oja`]):
//! the healthy synapses of each chosen layer change by Oja's rule computed from that layer's own
//! input and output, on the same retraining images, batches and epochs as backprop would use;
//! frozen synapses stay bitwise frozen; the last layer may stay a supervised read-out.
use super::config::{RegimeConfig, Rule};
use super::record::Step;
use super::retrain::retraining_images;
use super::subject::Subject;
use crate::data::Dataset;
use crate::injury::config::chosen_by;
use crate::model::Op;
use anyhow::{bail, Result};
use tch::{Kind, Tensor};

/// Oja's update of a layer's weights `w` (units x inputs, flattened) from inputs `x` (inputs x
/// M) and outputs `y` (units x M), its rate normalised by the layer's input power:
/// dw_j = eta (<y_j x> - <y_j^2> w_j / c_j) / <|x|^2>, `c` the target squared norm of each unit
/// (units), <.> the mean over the M columns. That is Oja's rule with eta' = eta / <|x|^2>:
/// the same fixed point (|w_j|^2 = c_j, along the principal direction of the unit's input, for
/// y = w x; the layers' outputs that [`local_retrain`] passes include their bias, which shifts
/// it), and
/// since the input's largest eigenvalue is at most its power, any eta < 1 is stable in every
/// layer whatever the activations' scale (as normalised LMS). Returned, not applied.
pub fn oja_update(w: &Tensor, x: &Tensor, y: &Tensor, c: &Tensor, eta: f64) -> Tensor {
    let m = x.size()[1] as f64;
    let power = (x * x).sum(Kind::Float) / m;
    let yy = (y * y).sum_dim_intlist(1, true, Kind::Float) / m; // units x 1
    let yx = y.matmul(&x.tr()) / m;
    (yx - w * (yy / c.unsqueeze(1))) * eta / power.clamp_min(1e-12)
}

/// A synapse layer's input and pre-activation output as the matrices of [`oja_update`]: for a
/// convolution the input patches (C k k x N L) and the filter outputs (Cout x N L), for a linear
/// layer the input vectors (fin x N) and the outputs (fout x N).
pub fn unfold(op: &Op, input: &Tensor, output: &Tensor) -> (Tensor, Tensor) {
    match *op {
        Op::Conv { kernel, stride, .. } => {
            let (k, s, p) = (kernel as i64, stride as i64, (kernel / 2) as i64);
            let patches = input.im2col([k, k], [1, 1], [p, p], [s, s]); // N x K x L
            let kk = patches.size()[1];
            let x = patches.permute([1, 0, 2]).reshape([kk, -1]);
            let cout = output.size()[1];
            let y = output.flatten(2, -1).permute([1, 0, 2]).reshape([cout, -1]);
            (x, y)
        }
        _ => (input.flatten(1, -1).tr(), output.flatten(1, -1).tr()),
    }
}

/// One synapse layer the rule changes.
struct Plastic {
    /// Index of the layer in the network's layer list.
    index: usize,
    op: Op,
    weight: Tensor,
    /// Healthy synapses, true in the weight's shape.
    mask: Tensor,
    /// Each unit's squared norm when the retraining starts.
    target: Tensor,
}

/// The healthy synapses of layer `name` of `s` as a boolean tensor in its weight's shape.
fn mask_of(s: &Subject, name: &str) -> Tensor {
    let k = s
        .synapse_names
        .iter()
        .position(|n| n == &format!("{name}.weight"))
        .expect("a synapse layer has states");
    let layer = &s.states.layers[k];
    let shape: Vec<i64> = layer.shape.iter().map(|&d| d as i64).collect();
    Tensor::from_slice(&layer.healthy_mask())
        .view(shape.as_slice())
        .to_device(s.device)
        .to_kind(Kind::Bool)
}

/// Layer `layer` (at `index` in forward order) of `s` made plastic: its weight, healthy
/// synapses and each unit's squared norm now, which Oja's rule keeps.
fn plastic(s: &Subject, layer: &crate::model::LayerSpec, index: usize) -> Plastic {
    tch::no_grad(|| {
        let weight = s.vs.variables()[&format!("{}.weight", layer.name)].shallow_clone();
        let flat = weight.flatten(1, -1);
        Plastic {
            index,
            op: layer.op,
            mask: mask_of(s, &layer.name),
            target: (&flat * &flat)
                .sum_dim_intlist(1, false, Kind::Float)
                .clamp_min(1e-12),
            weight,
        }
    })
}

/// Relearns the healthy synapses of `s` by the local rule of regime `r` (see the module).
pub fn local_retrain(
    s: &Subject,
    train: &Dataset,
    r: &RegimeConfig,
    seed: u64,
    step: Step,
) -> Result<()> {
    debug_assert_eq!(r.rule, Rule::Oja);
    let layers = s.net.arch.layers()?;
    if layers.is_empty() {
        bail!(
            "regime {}: rule = \"oja\" needs a built-in network (its layer inputs)",
            r.name
        );
    }
    let vars = s.vs.variables();
    let synapse_layers: Vec<usize> = (0..layers.len())
        .filter(|&i| matches!(layers[i].op, Op::Conv { .. } | Op::Linear { .. }))
        .collect();
    let last = *synapse_layers
        .last()
        .expect("a network has a synapse layer");
    let chosen =
        |i: usize| !(r.supervised_last && i == last) && chosen_by(&r.rule_layers, &layers[i].name);
    let plastic: Vec<Plastic> = synapse_layers
        .iter()
        .copied()
        .filter(|&i| chosen(i))
        .map(|i| plastic(s, &layers[i], i))
        .collect();
    let readout = r.supervised_last.then(|| {
        let name = &layers[last].name;
        (
            vars[&format!("{name}.weight")].shallow_clone(),
            vars[&format!("{name}.bias")].shallow_clone(),
            mask_of(s, name),
        )
    });
    let judged = super::retrain::judge(s, train, r);
    let subset = retraining_images(train, r, seed, step, judged.as_ref(), s.pools())?;
    let all: Vec<usize> = subset.unwrap_or_else(|| (0..train.len()).collect());
    let names: Vec<String> = layers.iter().map(|l| l.name.clone()).collect();
    let augment = r.augment.then_some(crate::data::Augment::CIFAR);
    for e in 0..r.epochs {
        let mut order = super::retrain::epoch_order(seed, r, step, e);
        let mut ix = all.clone();
        rand::seq::SliceRandom::shuffle(ix.as_mut_slice(), &mut order);
        for chunk in ix.chunks(r.batch_size) {
            let (x, y) = crate::train::make_batch(
                train,
                chunk,
                &s.norm,
                augment.map(|a| (a, &mut order)),
                s.device,
            );
            let (_, acts) = tch::no_grad(|| s.net.forward_capture(&x, false, &names));
            tch::no_grad(|| {
                for p in &plastic {
                    let input = if p.index == 0 { &x } else { &acts[p.index - 1] };
                    let (xm, ym) = unfold(&p.op, input, &acts[p.index]);
                    let w = p.weight.flatten(1, -1);
                    let dw = oja_update(&w, &xm, &ym, &p.target, r.hebbian_rate);
                    apply_masked(&p.weight, &(&p.weight + dw.view_as(&p.weight)), &p.mask);
                }
            });
            if let Some((w, b, mask)) = &readout {
                read_out_step(w, b, mask, &acts[last - 1], &y, r);
            }
        }
    }
    Ok(())
}

/// Writes `new` into `w` where `healthy` holds, leaving every other entry's bits as they are
/// (an addition of 0 would turn an ablated -0.0 into +0.0).
fn apply_masked(w: &Tensor, new: &Tensor, healthy: &Tensor) {
    let merged = new.where_self(healthy, w);
    w.shallow_clone().copy_(&merged);
}

/// One SGD step of the last layer alone on the cross-entropy of its own input `h` (detached):
/// w -= lr (grad + weight_decay w) on the healthy synapses, the bias likewise.
fn read_out_step(w: &Tensor, b: &Tensor, mask: &Tensor, h: &Tensor, y: &Tensor, r: &RegimeConfig) {
    let h = h.flatten(1, -1).detach();
    let mut w = w.shallow_clone();
    let mut b = b.shallow_clone();
    w.zero_grad();
    b.zero_grad();
    let logits = h.matmul(&w.tr()) + &b;
    logits.cross_entropy_for_logits(y).backward();
    tch::no_grad(|| {
        let gw = w.grad() + &w * r.weight_decay;
        let gb = b.grad() + &b * r.weight_decay;
        apply_masked(&w, &(&w - gw * r.lr), mask);
        let _ = b.g_sub_(&(gb * r.lr));
    });
    w.zero_grad();
    b.zero_grad();
}
