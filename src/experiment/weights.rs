//! The network's tensors by name: snapshots and restores of the whole VarStore, and the synapse
//! tensors as flat host vectors (the form the injury and pathway code work on).
use tch::{nn, Device, Kind, Tensor};

/// A copy of every variable of `vs` (weights, biases, BatchNorm parameters and buffers).
pub fn snapshot(vs: &nn::VarStore) -> Vec<(String, Tensor)> {
    vs.variables()
        .into_iter()
        .map(|(n, t)| (n, t.copy()))
        .collect()
}

/// Copies the tensors of `snapshot` into the variables of the same names.
pub fn restore(vs: &nn::VarStore, snapshot: &[(String, Tensor)]) {
    let vars = vs.variables();
    tch::no_grad(|| {
        for (n, t) in snapshot {
            let mut v = vars[n].shallow_clone();
            v.copy_(t);
        }
    });
}

/// The synapse tensors `names` as flat f32 vectors on the host.
pub fn read_weights(vs: &nn::VarStore, names: &[String]) -> Vec<Vec<f32>> {
    let vars = vs.variables();
    names
        .iter()
        .map(|n| {
            Vec::<f32>::try_from(
                vars[n]
                    .to_device(Device::Cpu)
                    .to_kind(Kind::Float)
                    .flatten(0, -1),
            )
            .expect("float weights")
        })
        .collect()
}

/// Writes flat host vectors back into the synapse tensors `names`.
pub fn write_weights(vs: &nn::VarStore, names: &[String], weights: &[Vec<f32>]) {
    let vars = vs.variables();
    tch::no_grad(|| {
        for (n, w) in names.iter().zip(weights) {
            let mut v = vars[n].shallow_clone();
            let src = Tensor::from_slice(w)
                .view(v.size().as_slice())
                .to_device(v.device())
                .to_kind(v.kind());
            v.copy_(&src);
        }
    });
}
