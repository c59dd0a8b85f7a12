//! Carrying a [`PrunePlan`] out on a network's tensors: conv output filters -> BatchNorm
//! channels -> the next conv's input channels -> the first linear layer's input features.
use super::plan::PrunePlan;
use crate::model::{Architecture, Network, Op};
use tch::{nn, Kind, Tensor};

/// L1 norm of every output filter of every conv layer, in layer order.
pub fn filter_l1(vs: &nn::VarStore, arch: &Architecture) -> Result<Vec<Vec<f64>>, String> {
    let vars = vs.variables();
    let mut out = Vec::new();
    for l in arch.layers().map_err(|e| e.to_string())? {
        if let Op::Conv { .. } = l.op {
            let w = vars
                .get(&format!("{}.weight", l.name))
                .ok_or_else(|| format!("no weights for {}", l.name))?;
            let n = tch::no_grad(|| {
                w.abs()
                    .flatten(1, -1)
                    .sum_dim_intlist(1, false, Kind::Double)
            });
            out.push(
                Vec::<f64>::try_from(n.to_device(tch::Device::Cpu)).map_err(|e| e.to_string())?,
            );
        }
    }
    Ok(out)
}

fn index(ix: &[usize], device: tch::Device) -> Tensor {
    Tensor::from_slice(&ix.iter().map(|&i| i as i64).collect::<Vec<_>>()).to_device(device)
}

/// Copies tensor `name` of `from` into `to`, keeping the rows and columns given (all when None).
fn copy_sliced(
    from: &std::collections::HashMap<String, Tensor>,
    to: &std::collections::HashMap<String, Tensor>,
    name: &str,
    rows: Option<&[usize]>,
    cols: Option<&[usize]>,
) -> Result<(), String> {
    let s = from
        .get(name)
        .ok_or_else(|| format!("source has no `{name}`"))?;
    let mut t = s.shallow_clone();
    if let Some(r) = rows {
        t = t.index_select(0, &index(r, s.device()));
    }
    if let Some(c) = cols {
        t = t.index_select(1, &index(c, s.device()));
    }
    let mut d = to
        .get(name)
        .ok_or_else(|| format!("pruned model has no `{name}`"))?
        .shallow_clone();
    if d.size() != t.size() {
        return Err(format!(
            "`{name}`: sliced to {:?}, the pruned model expects {:?}",
            t.size(),
            d.size()
        ));
    }
    tch::no_grad(|| d.copy_(&t));
    Ok(())
}

/// The input features of the first linear layer (`fin` of them) that survive when only the
/// `channels` of the last feature map do: flattening C x H x W puts channel c at features
/// c*HW .. (c+1)*HW.
fn flattened_columns(
    arch: &Architecture,
    fin: usize,
    channels: &[usize],
) -> Result<Vec<usize>, String> {
    let c_all = arch
        .stages()
        .map_err(|e| e.to_string())?
        .iter()
        .rev()
        .find_map(|s| match s {
            crate::model::Stage::Conv(w) => Some(*w),
            _ => None,
        })
        .unwrap_or(1);
    let hw = fin / c_all;
    Ok(channels
        .iter()
        .flat_map(|&c| c * hw..(c + 1) * hw)
        .collect())
}

/// Builds the pruned network in a new var store on the same device, its tensors sliced from
/// `src` (whose architecture is `arch`).
pub fn prune(
    src: &nn::VarStore,
    arch: &Architecture,
    plan: &PrunePlan,
) -> Result<(nn::VarStore, Network), String> {
    let device = src.device();
    let dst = nn::VarStore::new(device);
    let net = Network::new(&dst.root(), &plan.arch).map_err(|e| e.to_string())?;
    let from = src.variables();
    let to = dst.variables();
    let mut conv = 0usize;
    // Channels of the current feature map that survive (None = all of them).
    let mut channels: Option<Vec<usize>> = None;
    let mut first_linear = true;
    let copy = |name: &str, rows: Option<&[usize]>, cols: Option<&[usize]>| {
        copy_sliced(&from, &to, name, rows, cols)
    };
    for l in arch.layers().map_err(|e| e.to_string())? {
        let n = &l.name;
        match l.op {
            Op::Conv { .. } => {
                let keep = &plan.keep[conv];
                copy(&format!("{n}.weight"), Some(keep), channels.as_deref())?;
                copy(&format!("{n}.bias"), Some(keep), None)?;
                channels = Some(keep.clone());
                conv += 1;
            }
            Op::BatchNorm { .. } => {
                for p in ["weight", "bias", "running_mean", "running_var"] {
                    copy(&format!("{n}.{p}"), channels.as_deref(), None)?;
                }
            }
            Op::Linear { fin, .. } => {
                let cols = match (&channels, first_linear) {
                    (Some(ch), true) => Some(flattened_columns(arch, fin, ch)?),
                    _ => None,
                };
                first_linear = false;
                copy(&format!("{n}.weight"), None, cols.as_deref())?;
                copy(&format!("{n}.bias"), None, None)?;
            }
            Op::PRelu { .. } => {
                // A learned slope per channel: a convolution's kept channels keep theirs; the
                // dense layers are not pruned, so their slopes are copied whole.
                let rows = if first_linear {
                    channels.as_deref()
                } else {
                    None
                };
                copy(&format!("{n}.weight"), rows, None)?;
            }
            _ => {}
        }
    }
    Ok((dst, net))
}
