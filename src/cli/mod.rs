//! The command line: argument parsing and progress display only; the science lives in the
//! library modules.
pub mod analysis;
#[cfg(feature = "torch")]
pub mod compress;
pub mod data;
pub mod info;
#[cfg(feature = "torch")]
pub mod inspect;
#[cfg(feature = "torch")]
pub mod open;
pub mod plasticity;
#[cfg(feature = "torch")]
pub mod reproduce;
pub mod rsa;
#[cfg(feature = "torch")]
pub mod run;
#[cfg(feature = "torch")]
pub mod slurm;
#[cfg(feature = "torch")]
pub mod train;

use clap::{Parser, Subcommand};

/// atrophy: in-silico neurodegeneration and neuroplasticity in deep networks.
///
/// Train a healthy vision network, injure its synapses step by step (decay, ablation), let the
/// healthy synapses re-learn, and measure accuracy and internal representations after every step.
///
/// Quick start:
///   atrophy run                      # the quick experiment: decay + retraining, 3 cycles
///   atrophy data info fashion-mnist
///   atrophy train --dataset fashion-mnist --model small_cnn --epochs 3 --out runs/fm
///   atrophy eval runs/fm
///   atrophy info runs/fm
#[derive(Parser, Debug)]
#[command(name = "atrophy", version, about, long_about, verbatim_doc_comment)]
pub struct Cli {
    /// Compute device: cpu, cuda or cuda:N.
    #[arg(long, global = true, default_value = "cpu", env = "ATROPHY_DEVICE")]
    pub device: String,
    /// CPU threads for libtorch (default: libtorch's choice, usually the number of cores).
    #[arg(long, global = true, env = "ATROPHY_THREADS")]
    #[arg(value_parser = clap::value_parser!(i32).range(1..))]
    pub threads: Option<i32>,
    /// No progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run an experiment: injure, evaluate, retrain, evaluate, over regimes and cycles.
    ///
    /// CONFIG is a TOML file or a preset (quick, moore-decay, moore-ablation,
    /// moore-ablation-text); --set, --regimes and --healthy change it without editing the file. Writes OUT/metrics.csv (one row per
    /// evaluated state), OUT/summary.csv (mean and sample sd over cycles), OUT/run.json (config,
    /// version, seeds, backend, timings). Progress is checkpointed after every step: run the same command
    /// again to continue; a different config on the same folder is refused.
    ///
    /// Examples:
    ///   atrophy run                          # the quick preset into results/quick
    ///   atrophy run configs/moore-decay.toml --device cuda
    ///   atrophy run my.toml --stage healthy  # the one healthy model, into results/NAME/healthy
    ///   atrophy run my.toml --shard 0/4      # cycles 0, 4, 8, ... into results/NAME/shard-0-of-4
    ///                                        # (with that healthy model; then `atrophy merge`)
    ///   atrophy run moore-decay --regimes R1000,static --set cycles=3 \
    ///       --healthy runs/cifar-bench/model.safetensors --out results/moore-r1000
    #[cfg(feature = "torch")]
    #[command(verbatim_doc_comment)]
    Run(run::RunArgs),
    /// Reproduce a paper: run its protocol (the preset), then write DIR/reproduction.md with
    /// every number the paper prints beside the run's, the difference, whether it lies within
    /// the paper's sd and what explains a miss. Resumable as `run`.
    #[cfg(feature = "torch")]
    Reproduce(reproduce::ReproduceArgs),
    /// Merge finished results folders of one experiment (shards, or regime subsets) into one.
    ///
    /// The shards of `run --shard i/n`, and runs of the same config with different `--regimes`
    /// (each regime draws its retraining images by name, so the merge equals the run that has
    /// them all).
    ///
    /// The output folder must lie apart from every input: one that is an input, lies inside
    /// one or holds one is refused before anything is written. The merged folder gets the
    /// tables, the CKA and RDM files and the healthy model's training log; the healthy model
    /// itself (healthy/model.safetensors) is not copied, by intent: it is tens of megabytes the
    /// report does not read, and it stays where the shards found it (the experiment's healthy
    /// folder, or the one `--healthy` named), which run.json's `merged_from` leads back to.
    ///
    /// Examples:
    ///   atrophy merge results/x/shard-0-of-2 results/x/shard-1-of-2 --out results/x/merged
    ///   atrophy merge results/moore-r5000 results/moore-r1000 --out results/moore-all
    #[cfg(feature = "torch")]
    #[command(verbatim_doc_comment)]
    Merge(run::MergeArgs),
    /// Write (and with --submit, submit) the Slurm jobs of an experiment: the healthy model,
    /// a job array of shards after it, then merge and report.
    #[cfg(feature = "torch")]
    Slurm(slurm::SlurmArgs),
    /// Turn a results folder into figures (PNG + SVG) and one HTML page (DIR/report.html).
    ///
    /// Works on a partial folder too (a run still going or stopped), marking the page partial.
    /// `atrophy run` calls it at the end.
    ///
    /// Examples:
    ///   atrophy report results/quick
    ///   atrophy report results/moore-decay --at 0.3,0.6,0.8
    #[command(verbatim_doc_comment)]
    Report(ReportArgs),
    /// Draw results folders side by side in one set of figures, their regimes ranked.
    ///
    /// The same experiment on different layers, models or data sets; or one folder's regimes,
    /// each in its last state.
    ///
    /// Each regime of each run is one curve: that of its last state (retrained, else
    /// recalibrated, else injured) against the share of the synapses its injury could reach
    /// (a lesion confined to V1 runs to 100 % of V1). Writes OUT/compare_top1.png and
    /// compare_mean_class.png (+ SVG), compare_cka_diagonal.png when the runs have CKA on the
    /// same layers (else a note says why there is none), and compare.md: every run's regimes
    /// ranked by the accuracy averaged over the injury.
    ///
    /// Healthy trainings too: folders of `atrophy train` (or their train_log.csv) give
    /// OUT/compare_training.png (+ SVG), test top-1 against epochs and against hours, and
    /// compare.md, the accuracy at epochs 10, 20, 30 and 60, the last and the best, and the
    /// median time per epoch. Trainings and results folders do not mix.
    ///
    /// Examples:
    ///   atrophy compare runs/cornet-areas/{V1,V2,V4,IT} --out runs/cornet-areas/compare
    ///   atrophy compare results/a results/b --labels decay,ablation --at 0.8 --out cmp
    ///   atrophy compare runs/cosine60 runs/recipe30 --out runs/recipes   # two trainings
    #[command(verbatim_doc_comment)]
    Compare(CompareArgs),
    /// Train a healthy model from scratch (resumable: run it again to continue).
    ///
    /// Writes OUT/model.safetensors with its JSON sidecar, OUT/train_log.csv (one row per epoch)
    /// and OUT/state/ (weights and momentum after the last finished epoch). Running the same
    /// command again continues where it stopped; a different configuration is refused.
    ///
    /// Examples:
    ///   atrophy train --dataset fashion-mnist --epochs 3 --out runs/fm
    ///   atrophy train --dataset cifar10 --model vgg19_bn --widths bench --recipe onecycle30 \
    ///       --out runs/recipe30          # the paper presets' healthy model (89.7 %, 1.1 h on 2 cores)
    ///   atrophy train --dataset cifar10 --model vgg19_bn --widths bench --recipe onecycle30 \
    ///       --epochs 60 --out runs/recipe60      # the recipe, longer
    ///   atrophy train --dataset cifar10 --model vgg19_bn --widths bench --epochs 60 \
    ///       --lr 0.05 --schedule cosine --out runs/cifar-bench
    #[cfg(feature = "torch")]
    #[command(verbatim_doc_comment)]
    Train(train::TrainArgs),
    /// Evaluate a checkpoint on its test set: top-1, mean class-wise, per-class, confusion.
    ///
    /// Example: atrophy eval runs/fm --json
    #[cfg(feature = "torch")]
    Eval(train::EvalArgs),
    /// Compress a checkpoint: remove the filters of smallest L1 norm (by default every conv
    /// keeps the same fraction of its own; --scope global ranks them across layers), with their
    /// BatchNorm channels and the next layer's inputs, until the FLOPs are at most F of the
    /// original, then, with --finetune-epochs E, fine-tune (P2, paper 000).
    #[cfg(feature = "torch")]
    Compress(compress::CompressArgs),
    /// Show the layers (names, shapes, parameters, MACs) of a checkpoint or a model preset.
    ///
    /// Examples:
    ///   atrophy info runs/fm/model.safetensors
    ///   atrophy info --model vgg19_bn --widths 22,22,M,44,44,M,88,88,88,88,M,176,176,176,176,M,176,176,176,176,M
    #[command(verbatim_doc_comment)]
    Info(info::InfoArgs),
    /// Get and inspect data sets.
    #[command(subcommand)]
    Data(data::DataCommand),
    /// Write the activations of named layers of a checkpoint for N images as .npy files.
    #[cfg(feature = "torch")]
    Activations(inspect::ActivationsArgs),
    /// Compare the top-k magnitude synapses of two checkpoints layer by layer (pathways, P7).
    #[cfg(feature = "torch")]
    Pathways(inspect::PathwaysArgs),
    /// Demos of the plasticity library (Hopfield, Oja, RBM, DBN, differentiable plasticity), CSV + figures.
    Plasticity(plasticity::PlasticityArgs),
    /// CKA between two activation arrays (.npy, n images x features).
    Cka(analysis::CkaArgs),
    /// Layer x layer CKA matrix between two folders of per-layer .npy activations.
    CkaMatrix(analysis::CkaMatrixArgs),
    /// Representational dissimilarity matrix (1 - Pearson r between images) of activations.
    Rdm(analysis::RdmArgs),
    /// Kendall's tau (a or b) between two RDMs (upper triangles) or two vectors.
    Kendall(analysis::KendallArgs),
    /// Both RDMs of two activation arrays and Kendall's tau between them, in one command.
    Rsa(analysis::RsaArgs),
}

/// Arguments of `compare`.
#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// Results folders made by `atrophy run` (one: its regimes in their last states), or
    /// trainings: folders made by `atrophy train`, or their train_log.csv.
    #[arg(required = true, num_args = 1..)]
    pub dirs: Vec<std::path::PathBuf>,
    /// Where to write the figures and compare.md.
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// One label per folder, comma-separated (default: each folder's name; a log file's name
    /// without `.csv`, or its folder's when it is `train_log.csv`).
    #[arg(long, value_delimiter = ',')]
    pub labels: Vec<String>,
    /// Injury level of the CKA diagonals: the fraction of the synapses each run's injury could
    /// reach (nearest iteration of each run). Results folders only: trainings have no injury.
    #[arg(long, default_value = "0.6")]
    pub at: f64,
}

impl CompareArgs {
    /// (label, folder) per folder; an error when the labels do not match the folders.
    pub fn runs(&self) -> anyhow::Result<Vec<(String, std::path::PathBuf)>> {
        if !self.labels.is_empty() && self.labels.len() != self.dirs.len() {
            anyhow::bail!(
                "--labels gives {} labels for {} folders: give one per folder, in their order",
                self.labels.len(),
                self.dirs.len()
            );
        }
        Ok(self
            .dirs
            .iter()
            .enumerate()
            .map(|(k, d)| {
                let label = self.labels.get(k).cloned().unwrap_or_else(|| {
                    // A log file is named by its stem, `train_log.csv` by its folder.
                    let named = if d.is_file() && d.file_stem().is_some_and(|s| s != "train_log") {
                        d.file_stem()
                    } else if d.is_file() {
                        // `./train_log.csv` has no parent name until made absolute.
                        return std::fs::canonicalize(d)
                            .ok()
                            .and_then(|a| {
                                Some(a.parent()?.file_name()?.to_string_lossy().into_owned())
                            })
                            .unwrap_or_else(|| d.display().to_string());
                    } else {
                        d.file_name()
                    };
                    named.map_or_else(
                        || d.display().to_string(),
                        |n| n.to_string_lossy().into_owned(),
                    )
                });
                (label, d.clone())
            })
            .collect())
    }
}

/// Arguments of `report`.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// A results folder made by `atrophy run`.
    pub dir: std::path::PathBuf,
    /// Fractions injured at which to draw CKA heatmaps, diagonals and RDMs (nearest iteration).
    #[arg(long, value_delimiter = ',', default_value = "0.6")]
    pub at: Vec<f64>,
}
