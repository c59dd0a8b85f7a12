//! The state between two steps of a cycle, on disk: the network's variables and the synapse
//! states after step k, in `state/step-k.*.safetensors`. Only the state the next step starts
//! from is kept; a resumed run loads it.
use super::subject::Subject;
use super::weights::restore;
use crate::checkpoint;
use crate::train::MaskedSgd;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use tch::{Device, Tensor};

fn paths(out: &Path, k: usize) -> (PathBuf, PathBuf, PathBuf) {
    let dir = out.join("state");
    (
        dir.join(format!("step-{k}.weights.safetensors")),
        dir.join(format!("step-{k}.synapses.safetensors")),
        dir.join(format!("step-{k}.momentum.safetensors")),
    )
}

/// Writes the state that step `k` starts from, with the momentum buffers of the optimizer a
/// regime keeps across iterations.
pub fn save(out: &Path, k: usize, s: &Subject, kept: Option<&MaskedSgd>) -> Result<()> {
    let (w, st, mo) = paths(out, k);
    if let Some(opt) = kept {
        let buffers: Vec<(String, Tensor)> = opt
            .buffers()
            .into_iter()
            .map(|(n, t)| (n, t.to_device(Device::Cpu)))
            .collect();
        checkpoint::write_tensors(&mo, &buffers)?;
    }
    let named: Vec<(String, Tensor)> =
        s.vs.variables()
            .into_iter()
            .map(|(n, t)| (n, t.to_device(Device::Cpu)))
            .collect();
    checkpoint::write_tensors(&w, &named)?;
    let states: Vec<(String, Tensor)> = s
        .states
        .layers
        .iter()
        .map(|l| (l.name.clone(), Tensor::from_slice(&l.state)))
        .collect();
    checkpoint::write_tensors(&st, &states)?;
    Ok(())
}

/// Loads the state that step `k` starts from into `s`; returns the kept optimizer's momentum
/// buffers, if they were saved.
pub fn load(out: &Path, k: usize, s: &mut Subject) -> Result<Option<Vec<(String, Tensor)>>> {
    let (w, st, mo) = paths(out, k);
    let weights = checkpoint::read_tensors(&w)?;
    // Every variable, each of its shape: a file that does not fit is an error naming it, not a
    // panic or a partly restored model.
    let vars = s.vs.variables();
    for (name, v) in &vars {
        match weights.iter().find(|(n, _)| n == name) {
            None => anyhow::bail!(
                "{}: no tensor `{name}`; the step state does not fit",
                w.display()
            ),
            Some((_, t)) if t.size() != v.size() => anyhow::bail!(
                "{}: `{name}` has shape {:?}, the model {:?}",
                w.display(),
                t.size(),
                v.size()
            ),
            Some(_) => {}
        }
    }
    if let Some((n, _)) = weights.iter().find(|(n, _)| !vars.contains_key(n)) {
        anyhow::bail!(
            "{}: unexpected tensor `{n}`; the step state does not fit",
            w.display()
        );
    }
    restore(&s.vs, &weights);
    let states = checkpoint::read_tensors(&st)?;
    for layer in &mut s.states.layers {
        let t = states
            .iter()
            .find(|(n, _)| *n == layer.name)
            .with_context(|| format!("{}: no synapse states for {}", st.display(), layer.name))?;
        layer.state = Vec::<i32>::try_from(&t.1)
            .with_context(|| format!("{}: synapse states of {}", st.display(), layer.name))?;
    }
    Ok(if mo.is_file() {
        Some(checkpoint::read_tensors(&mo)?)
    } else {
        None
    })
}

/// Removes every file of `out/state` but the state of step `keep` (and the folder when empty).
pub fn clean(out: &Path, keep: Option<usize>) {
    let dir = out.join("state");
    let kept: Vec<PathBuf> = keep
        .map(|k| {
            let (w, s, m) = paths(out, k);
            vec![w, s, m]
        })
        .unwrap_or_default();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            if !kept.contains(&e.path()) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    let _ = std::fs::remove_dir(&dir);
}

/// Removes the state of step `k`.
pub fn remove(out: &Path, k: usize) {
    let (w, s, m) = paths(out, k);
    let _ = std::fs::remove_file(w);
    let _ = std::fs::remove_file(s);
    let _ = std::fs::remove_file(m);
}
