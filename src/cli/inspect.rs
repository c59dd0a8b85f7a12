//! `atrophy activations` and `atrophy pathways`: the bridge from checkpoints to the plain-array
//! analysis commands (`cka`, `cka-matrix`, `rdm`, `kendall`).
use crate::analysis;
use anyhow::{bail, Context, Result};
use clap::Args;
use ndarray_npy::WriteNpyExt;
use std::path::PathBuf;
use tch::{Device, Kind};

/// Arguments of `activations`.
#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  atrophy activations runs/fm --layers conv1,relu2,linear1 --n 1000 --out acts/healthy
  atrophy activations results/quick/healthy --layers all --n 500 --out acts/h
  atrophy cka-matrix acts/healthy acts/injured          # then compare two models layer by layer
  atrophy activations resnet.pt --dataset cifar10 --out acts/resnet   # layers of `activations(x)`")]
pub struct ActivationsArgs {
    /// Checkpoint (`model.safetensors`, its sidecar, or their folder), or a TorchScript file
    /// (`torch.jit.save`; its layers are those its `activations(x)` method returns), which
    /// needs --dataset.
    pub checkpoint: PathBuf,
    /// The data set whose images are read: needed by a bare TorchScript file; for an atrophy
    /// checkpoint another data set of the same image shape and classes than the one it records.
    #[arg(long)]
    pub dataset: Option<String>,
    /// How to read a bare TorchScript file.
    #[command(flatten)]
    pub script: super::open::ScriptInput,
    /// Layers to write, comma-separated (see `atrophy info`), or `all`.
    #[arg(long, default_value = "all")]
    pub layers: String,
    /// Number of images: the first N of the split, in file order.
    #[arg(long, default_value_t = 1000)]
    pub n: usize,
    /// test or train.
    #[arg(long, default_value = "test")]
    pub split: String,
    /// File or folder holding the data set named in the checkpoint.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Output folder: LAYER.npy (float32, n x C x H x W or n x F, numbered by order so that
    /// file names sort in forward order) and labels.npy.
    #[arg(long, short)]
    pub out: PathBuf,
}

/// Arguments of `pathways`.
#[derive(Args, Debug)]
#[command(after_help = "\
Example:
  atrophy pathways runs/healthy runs/retrained --k 1000 --out pathways.csv")]
pub struct PathwaysArgs {
    /// Reference checkpoint (e.g. the healthy model).
    pub reference: PathBuf,
    /// Checkpoint to compare (same architecture).
    pub current: PathBuf,
    /// Top-k synapses per layer (capped at the layer's size).
    #[arg(long, conflicts_with = "fraction")]
    pub k: Option<usize>,
    /// Top-k as a fraction of each layer's synapses (default 0.01).
    #[arg(long)]
    pub fraction: Option<f64>,
    /// Also write the table as CSV.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs `activations`.
pub fn run_activations(a: &ActivationsArgs, device: Device) -> Result<()> {
    let (_vs, net, meta, split) = super::open::open_model_and_data(
        &a.checkpoint,
        a.dataset.as_deref(),
        a.data.as_deref(),
        &a.script,
        device,
    )?;
    let set = match a.split.as_str() {
        "test" => &split.test,
        "train" => &split.train,
        other => bail!("--split `{other}`: expected test or train"),
    };
    if a.n == 0 || a.n > set.len() {
        bail!(
            "--n {} is out of range: the {} {} set has {} images",
            a.n,
            split.name,
            a.split,
            set.len()
        );
    }
    let names: Vec<String> = if a.layers == "all" {
        net.layer_names()
    } else {
        a.layers.split(',').map(|s| s.trim().to_string()).collect()
    };
    if names.is_empty() {
        if let Some(s) = &meta.architecture.torchscript {
            bail!(crate::model::ModelError::NoActivations {
                file: s.file.clone()
            });
        }
    }
    let images = set.select(&(0..a.n).collect::<Vec<_>>());
    let acts =
        crate::train::capture_activations(&net, &images, &meta.normalization, &names, device)?;
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    for (k, (name, t)) in names.iter().zip(acts).enumerate() {
        let t = t.to_device(Device::Cpu).to_kind(Kind::Float);
        let shape: Vec<usize> = t.size().iter().map(|&d| d as usize).collect();
        let flat = Vec::<f32>::try_from(t.flatten(0, -1))?;
        let arr = ndarray::ArrayD::from_shape_vec(shape, flat)?;
        let path = a.out.join(format!("{k:03}_{name}.npy"));
        crate::fsio::write_atomic_with(&path, |w| arr.write_npy(w).map_err(std::io::Error::other))?;
        println!("{} {:?}", path.display(), arr.shape());
    }
    let labels = ndarray::Array1::from_iter(images.labels.iter().map(|&l| l as i64));
    crate::fsio::write_atomic_with(&a.out.join("labels.npy"), |w| {
        labels.write_npy(w).map_err(std::io::Error::other)
    })?;
    Ok(())
}

/// Runs `pathways`.
pub fn run_pathways(a: &PathwaysArgs) -> Result<()> {
    let meta = crate::checkpoint::read_meta(&a.reference)?;
    let (wa, _) = crate::checkpoint::paths(&a.reference);
    let (wb, _) = crate::checkpoint::paths(&a.current);
    let ta = crate::checkpoint::read_tensors(&wa)?;
    let tb = crate::checkpoint::read_tensors(&wb)?;
    let flat =
        |named: &[(String, tch::Tensor)], name: &str, file: &std::path::Path| -> Result<Vec<f32>> {
            let t = named
                .iter()
                .find(|(n, _)| n == name)
                .with_context(|| format!("{}: no tensor `{name}`", file.display()))?;
            Ok(Vec::<f32>::try_from(
                t.1.to_kind(Kind::Float).flatten(0, -1),
            )?)
        };
    let mut csv = String::from("layer,synapses,k,jaccard,kept,new_pathway,rescaled,unchanged\n");
    println!(
        "{:<10} {:>10} {:>8} {:>9} {:>8} {:>8} {:>9} {:>9}",
        "layer", "synapses", "k", "jaccard", "kept", "new", "rescaled", "unchanged"
    );
    for layer in meta.architecture.synapse_layers() {
        let name = format!("{layer}.weight");
        let (x, y) = (flat(&ta, &name, &wa)?, flat(&tb, &name, &wb)?);
        let k = match (a.k, a.fraction) {
            (Some(k), _) => k.min(x.len()),
            (None, f) => {
                let f = f.unwrap_or(0.01);
                if !(f > 0.0 && f <= 1.0) {
                    bail!("--fraction {f} is out of range: expected 0 < f <= 1");
                }
                ((x.len() as f64 * f).round() as usize).clamp(1, x.len())
            }
        };
        let c = analysis::pathway_change(&x, &y, k).with_context(|| format!("layer {layer}"))?;
        println!(
            "{layer:<10} {:>10} {:>8} {:>9.6} {:>8} {:>8} {:>9} {:>9}",
            x.len(),
            c.k,
            c.jaccard,
            c.kept,
            c.new_pathway,
            c.rescaled,
            c.unchanged
        );
        csv.push_str(&format!(
            "{layer},{},{},{},{},{},{},{}\n",
            x.len(),
            c.k,
            c.jaccard,
            c.kept,
            c.new_pathway,
            c.rescaled,
            c.unchanged
        ));
    }
    if let Some(out) = &a.out {
        crate::fsio::write_atomic(out, csv.as_bytes())?;
    }
    Ok(())
}
