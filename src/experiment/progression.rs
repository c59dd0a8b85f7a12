//! Sets a progression model up on the healthy model (docs/PROTOCOLS.md, "Progression"): its
//! connectome from the healthy weights, its areas, and for `activity` every unit's mean absolute
//! activation over the first training images.
use super::subject::Subject;
use crate::data::Dataset;
use crate::injury::{Area, Disease, InjuryConfig, Progression};
use crate::model::Op;
use crate::results::{DamageRow, StateKey};
use anyhow::{bail, Result};
use tch::{Kind, Tensor};

/// The disease of `cfg` on the healthy `s` (None for `uniform`). Call it while `s` is healthy.
pub fn set_up(cfg: &InjuryConfig, s: &Subject, train: &Dataset) -> Result<Option<Disease>> {
    if cfg.progression == Progression::Uniform {
        return Ok(None);
    }
    let layer_names: Vec<String> = (s.synapse_names.iter())
        .map(|n| n.trim_end_matches(".weight").to_string())
        .collect();
    let areas: Vec<Area> = (s.net.arch.areas().into_iter())
        .map(|(name, layers)| Area {
            name,
            layers: (layers.iter())
                .filter_map(|l| layer_names.iter().position(|n| n == l))
                .collect(),
        })
        .collect();
    let activity = match cfg.progression {
        Progression::Activity => Some(unit_activity(s, train, cfg.activity_images)?),
        _ => None,
    };
    Ok(Some(Disease::new(
        cfg,
        &s.states,
        &s.synapses(),
        areas,
        activity.as_deref(),
    )?))
}

/// Every unit's mean absolute activation (over images and positions) on the first `images`
/// training images, in the order of the synapse layers: a unit's activation is the output of the
/// nonlinearity after its layer (the layer's own output for the last, the logits).
fn unit_activity(s: &Subject, train: &Dataset, images: usize) -> Result<Vec<f64>> {
    if s.net.torchscript().is_some() {
        bail!(
            "injury.progression = \"activity\" needs a built-in network: a TorchScript model's \
             activations after each synapse layer cannot be named"
        );
    }
    let layers = s.net.arch.layers()?;
    let names: Vec<String> = (0..layers.len())
        .filter(|&i| matches!(layers[i].op, Op::Conv { .. } | Op::Linear { .. }))
        .map(|i| {
            let next = layers[i + 1..]
                .iter()
                .take_while(|l| !matches!(l.op, Op::Conv { .. } | Op::Linear { .. }))
                .find(|l| matches!(l.op, Op::Relu | Op::PRelu { .. }));
            next.unwrap_or(&layers[i]).name.clone()
        })
        .collect();
    let n = images.min(train.len());
    let subset = train.select(&(0..n).collect::<Vec<_>>());
    let acts = crate::train::capture_activations(&s.net, &subset, &s.norm, &names, s.device)?;
    let mut out = Vec::new();
    for a in acts {
        // n x C (x H x W): the mean of |a| over every dimension but the channel.
        let a = a.abs().to_kind(Kind::Double);
        let dims: Vec<i64> = (0..a.dim() as i64).filter(|&d| d != 1).collect();
        let m: Tensor = a.mean_dim(dims.as_slice(), false, Kind::Double);
        out.extend(Vec::<f64>::try_from(&m.to_device(tch::Device::Cpu))?);
    }
    Ok(out)
}

/// The damage map of `s` just after iteration `n`'s injury, one row per synapse layer under
/// `key` (none without a progression model).
pub fn damage_rows(s: &Subject, key: &StateKey, n: usize) -> Vec<DamageRow> {
    let Some(d) = &s.disease else {
        return Vec::new();
    };
    (d.damage(n, &s.states).into_iter())
        .map(|l| DamageRow {
            key: key.clone(),
            layer: s.synapse_names[l.layer]
                .trim_end_matches(".weight")
                .to_string(),
            area: l.area,
            synapses: s.states.layers[l.layer].len(),
            injured: l.injured,
            load: l.load,
        })
        .collect()
}
