//! `atrophy train` and `atrophy eval`.
use crate::data::{self, Normalization};
use crate::train::{evaluate, train_healthy, AugmentSetting, HealthyOptions};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use tch::Device;

/// Arguments of `train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Data set: cifar10, cifar100, mnist, fashion-mnist, synthetic, or images[:SIZE[:gray]] (an
    /// image folder given by --data).
    #[arg(long, default_value = "fashion-mnist")]
    pub dataset: String,
    /// File or folder holding the data set, looked at alone (without it: $ATROPHY_DATA, the
    /// cache, /usr/share/datasets).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Network: small_cnn (28x28 inputs), vgg19_bn (CIFAR variant), vgg19 (paper 001),
    /// cornet_z (Kubilius et al. 2018: areas V1, V2, V4, IT) or cornet_z32 (its 32x32 variant).
    #[arg(long, default_value = "small_cnn")]
    pub model: String,
    /// Nonlinearity of a built-in model: relu, or prelu (one learned slope per channel, He et
    /// al. 2015).
    #[arg(long, value_enum, default_value = "relu")]
    pub activation: crate::model::Activation,
    /// A TorchScript model (`torch.jit.save` of a scripted or traced network) to train instead
    /// of `--model`; with `--epochs 0` it is taken as it is (a model trained elsewhere).
    #[arg(long, value_name = "FILE.pt")]
    pub torchscript: Option<PathBuf>,
    /// Do not normalise a TorchScript model's inputs (for a model that normalises itself): it
    /// then sees pixels scaled to [0, 1].
    #[arg(long, requires = "torchscript")]
    pub no_normalize: bool,
    /// Conv widths and pools: a list such as 22,22,M,44,44,M,... (M = 2x2 max-pool), or a name:
    /// `bench` (the benchmark widths, about 1/3 of VGG19's) or `full` (VGG19's 64,64,M,...,512,M).
    #[arg(long)]
    pub widths: Option<String>,
    /// A named recipe: epochs, learning rate, schedule, Nesterov and label smoothing measured
    /// together (a flag given beside it wins). onecycle30: 30 epochs, one-cycle to 0.1 at 25 %,
    /// Nesterov, label smoothing 0.1 (89.71 % on CIFAR-10 for the bench-width vgg19_bn; the
    /// paper presets' healthy training).
    #[arg(long, value_name = "NAME", value_parser = parse_recipe)]
    pub recipe: Option<String>,
    /// Epochs (0 only with --torchscript) [default: 3, or the recipe's].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Images per step.
    #[arg(long, default_value_t = 128)]
    pub batch_size: usize,
    /// Base learning rate (the peak of a one-cycle schedule) [default: 0.01, or the recipe's].
    #[arg(long)]
    pub lr: Option<f64>,
    /// SGD momentum.
    #[arg(long, default_value_t = 0.9)]
    pub momentum: f64,
    /// Nesterov momentum (as torch.optim.SGD's nesterov=True; on with --recipe onecycle30,
    /// `--nesterov=false` turns it off there).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub nesterov: Option<bool>,
    /// Label smoothing of the cross-entropy, 0 <= e < 1 (as nn.CrossEntropyLoss's
    /// label_smoothing; 0.1 is the usual value) [default: 0, or the recipe's].
    #[arg(long, value_name = "E")]
    pub label_smoothing: Option<f64>,
    /// Cutout: zero a square of this side (pixels) at a random place in every augmented
    /// training image, after normalisation (DeVries & Taylor 2017 use 16 on CIFAR-10); 0 = none.
    /// A regulariser: in 30 epochs it lowered the accuracy of the bench-width vgg19_bn, which
    /// underfits there (docs/RESULTS.md, "The ingredients one at a time").
    #[arg(long, default_value_t = 0, value_name = "SIDE")]
    pub cutout: usize,
    /// L2 weight decay.
    #[arg(long, default_value_t = 5e-4)]
    pub weight_decay: f64,
    /// Arithmetic of the training steps: fp32, or bf16 (autocast to bfloat16 as
    /// torch.autocast; float32 weights, evaluation in float32). On a CPU with AVX512-BF16 bf16
    /// runs a training step about 1.5 times as fast; on one without it bfloat16 is emulated and
    /// a step is about 11 times slower (a warning says so). Built-in models only (bf16 is
    /// refused for a TorchScript model).
    #[arg(long, value_enum, default_value_t = crate::train::Precision::Fp32)]
    pub precision: crate::train::Precision,
    /// constant, step:EVERY:GAMMA, cosine or onecycle[:PCT] [default: constant, or the
    /// recipe's].
    #[arg(long)]
    pub schedule: Option<String>,
    /// Augmentation (4-pixel padded random crop + horizontal flip).
    #[arg(long, value_enum, default_value_t = AugmentSetting::Auto)]
    pub augment: AugmentSetting,
    /// Train on this many images drawn at random from the training set.
    #[arg(long, conflicts_with = "holdout")]
    pub subset: Option<usize>,
    /// Hold this many random training images out (never seen by the healthy model; for
    /// regimes with source = "unseen").
    #[arg(long)]
    pub holdout: Option<usize>,
    /// Seed of everything random.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output folder: model.safetensors + model.json, train_log.csv, state/ (for resuming).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

/// Arguments of `eval`.
#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  atrophy eval runs/fm
  atrophy eval resnet18.pt --dataset cifar10       # a TorchScript model saved in PyTorch")]
pub struct EvalArgs {
    /// Checkpoint (`model.safetensors`, its sidecar, or their folder), or a TorchScript file
    /// (`torch.jit.save`), which needs --dataset.
    pub checkpoint: PathBuf,
    /// File or folder holding the data set named in the checkpoint.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Evaluate on another data set of the same shape (for a TorchScript file: the data set
    /// it takes).
    #[arg(long)]
    pub dataset: Option<String>,
    /// How to read a bare TorchScript file.
    #[command(flatten)]
    pub script: super::open::ScriptInput,
    /// Images per forward pass.
    #[arg(long, default_value_t = 500)]
    pub batch_size: usize,
    /// Print the evaluation as JSON (with the confusion matrix).
    #[arg(long)]
    pub json: bool,
}

/// A recipe's name, checked before any data is read.
fn parse_recipe(name: &str) -> Result<String, String> {
    // clap names the flag and the value itself.
    crate::train::recipe::find(name).map(|r| r.name.to_string())
}

/// The healthy-model options of the arguments: the recipe's settings, if one is named, under
/// the flags given.
pub fn options_from(a: &TrainArgs) -> Result<HealthyOptions> {
    use crate::train::options::{d_healthy_epochs, d_healthy_lr, d_schedule};
    let mut o = HealthyOptions {
        model: a.model.clone(),
        torchscript: a.torchscript.clone(),
        activation: a.activation,
        normalize: !a.no_normalize,
        widths: a.widths.clone(),
        epochs: d_healthy_epochs(),
        batch_size: a.batch_size,
        lr: d_healthy_lr(),
        momentum: a.momentum,
        nesterov: false,
        label_smoothing: 0.0,
        cutout: a.cutout,
        weight_decay: a.weight_decay,
        precision: a.precision,
        schedule: d_schedule(),
        augment: a.augment,
        subset: a.subset,
        holdout: a.holdout,
        seed: a.seed,
    };
    if let Some(name) = &a.recipe {
        o = crate::train::recipe::find(name)
            .map_err(anyhow::Error::msg)?
            .apply(o);
    }
    o.nesterov = a.nesterov.unwrap_or(o.nesterov);
    o.epochs = a.epochs.unwrap_or(o.epochs);
    o.lr = a.lr.unwrap_or(o.lr);
    o.schedule = a.schedule.clone().unwrap_or(o.schedule);
    o.label_smoothing = a.label_smoothing.unwrap_or(o.label_smoothing);
    Ok(o)
}

/// Runs `train`.
pub fn run_train(a: &TrainArgs, device: Device, progress: bool) -> Result<()> {
    let split = data::load_or_fetch(&a.dataset, a.data.as_deref(), progress)?;
    let spec = options_from(a)?.to_spec(&split)?;
    let out = a.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "runs/healthy-{}-{}",
            split.name, spec.architecture.kind
        ))
    });
    eprintln!(
        "training {} ({} parameters) on {} ({} images) for {} epochs on {}; output in {}",
        spec.architecture.kind,
        spec.architecture.parameter_count(),
        split.name,
        spec.train_subset.unwrap_or(split.train.len()),
        spec.train.epochs,
        crate::device::describe(device),
        out.display()
    );
    crate::train::precision::warn_if_emulated(a.precision, device);
    let weights = train_healthy(&spec, &split, &out, device, progress)?;
    let meta = crate::checkpoint::read_meta(&weights)?;
    if let Some(e) = meta.evaluation {
        println!(
            "test top-1 {:.4}  mean class-wise {:.4}  loss {:.4}  (n = {})",
            e.top1, e.mean_class, e.loss, e.n
        );
    }
    println!("checkpoint {}", weights.display());
    Ok(())
}

/// Runs `eval`.
pub fn run_eval(a: &EvalArgs, device: Device) -> Result<()> {
    if a.batch_size == 0 {
        anyhow::bail!("--batch-size 0: expected at least 1");
    }
    let (_vs, net, meta, split) = super::open::open_model_and_data(
        &a.checkpoint,
        a.dataset.as_deref(),
        a.data.as_deref(),
        &a.script,
        device,
    )?;
    let t = &split.test;
    let norm: Normalization = meta.normalization.clone();
    let e = evaluate(&net, t, &norm, device, a.batch_size);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&e)?);
        return Ok(());
    }
    println!("data set          {} (test, n = {})", split.name, e.n);
    println!("top-1             {:.6}", e.top1);
    println!("mean class-wise   {:.6}", e.mean_class);
    println!("loss              {:.6}", e.loss);
    if let Some(s) = &e.superclass {
        println!("superclass top-1  {:.6}", s.top1);
        println!("errors within superclass {:.6}", s.within_errors);
    }
    println!("per class");
    for (i, c) in t.classes.iter().enumerate() {
        println!("  {i:>2} {c:<12} {:.4}", e.per_class[i]);
    }
    println!("confusion (rows true, columns predicted)");
    for row in &e.confusion {
        println!(
            "  {}",
            row.iter().map(|v| format!("{v:>5}")).collect::<String>()
        );
    }
    Ok(())
}
