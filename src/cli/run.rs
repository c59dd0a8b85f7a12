//! `atrophy run` and `atrophy merge`.
use crate::experiment::overrides::{self, Overrides};
use crate::experiment::{self, ExperimentConfig, HealthySource, RunOptions};
use crate::report::results::Confined;
use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;
use tch::Device;

/// Presets shipped inside the binary, so `atrophy run quick` works from any folder.
pub const PRESETS: [(&str, &str); 4] = [
    ("quick", include_str!("../../configs/quick.toml")),
    (
        "moore-decay",
        include_str!("../../configs/moore-decay.toml"),
    ),
    (
        "moore-ablation-text",
        include_str!("../../configs/moore-ablation-text.toml"),
    ),
    (
        "moore-ablation",
        include_str!("../../configs/moore-ablation.toml"),
    ),
];

/// Arguments of `run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// An experiment config (TOML file) or a preset name (quick, moore-decay, moore-ablation,
    /// moore-ablation-text).
    #[arg(default_value = "quick")]
    pub config: String,
    /// Results folder (default: the config's `out`, else results/NAME).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Run only the cycles c with c mod n = i (e.g. 0/4 ... 3/4 in four processes) into
    /// OUT/shard-i-of-n, with the experiment's healthy model in OUT/healthy (made by `--stage
    /// healthy`; a shard never trains its own), then combine the folders with `atrophy merge`.
    #[arg(long, value_parser = experiment::shard::parse_shard)]
    pub shard: Option<(usize, usize)>,
    /// Change a config value (repeatable), TOML syntax: `--set cycles=3`,
    /// `--set injury.gamma=0.25`, `--set data.eval_images=2000`, `--set regime.*.lr=0.01` (every
    /// regime), `--set regime.R1000.epochs=3` (the regime named R1000). Resuming needs the same
    /// changes.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Run only these regimes of the config (comma-separated names), e.g. `--regimes R1000,static`.
    #[arg(long, value_delimiter = ',')]
    pub regimes: Vec<String>,
    /// Start from this healthy checkpoint instead of the config's [healthy] section.
    #[arg(long)]
    pub healthy: Option<PathBuf>,
    /// `all`: the healthy model, then the experiment's steps. `healthy`: only the experiment's
    /// one healthy model, into OUT/healthy (the first job on a cluster; shards then use it).
    #[arg(long, value_enum, default_value = "all")]
    pub stage: Stage,
    /// When another `atrophy run` is running in the same results folder, wait for it to end and
    /// then continue the run (without: stop at once, naming the process that holds it).
    #[arg(long)]
    pub wait: bool,
}

/// What `atrophy run` does.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Stage {
    /// The healthy model (trained once per experiment, or the config's checkpoint), then the
    /// steps.
    #[default]
    All,
    /// Only the healthy model, into OUT/healthy.
    Healthy,
}

/// Arguments of `merge`.
#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Finished results folders of one experiment (shards, or runs with different regimes).
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// Folder for the merged results.
    #[arg(long, short)]
    pub out: PathBuf,
}

/// Reads a config file or a preset.
pub fn load_config(spec: &str) -> Result<ExperimentConfig> {
    load_config_with(spec, &Overrides::default())
}

/// Reads a config file or a preset and applies command-line changes to it.
pub fn load_config_with(spec: &str, o: &Overrides) -> Result<ExperimentConfig> {
    Ok(load_config_and_origin(spec, o)?.0)
}

/// [`load_config_with`], and where the config came from (for errors found later).
pub fn load_config_and_origin(spec: &str, o: &Overrides) -> Result<(ExperimentConfig, String)> {
    let (text, origin) = config_text(spec)?;
    let text = overrides::apply(&text, &origin, o).map_err(anyhow::Error::msg)?;
    let origin = if o.is_empty() {
        origin
    } else {
        format!("{origin} with the command-line changes")
    };
    Ok((ExperimentConfig::from_toml(&text, &origin)?, origin))
}

/// A config error found once the data or the model is known, with the file it is in.
fn in_config(e: anyhow::Error, origin: &str) -> anyhow::Error {
    match e.downcast::<experiment::ConfigError>() {
        Ok(experiment::ConfigError::In { origin, error }) => {
            experiment::ConfigError::In { origin, error }.into()
        }
        Ok(c) => experiment::ConfigError::In {
            origin: origin.to_string(),
            error: Box::new(c),
        }
        .into(),
        Err(e) => e,
    }
}

/// The text of a config file or preset, and where it came from.
fn config_text(spec: &str) -> Result<(String, String)> {
    let path = PathBuf::from(spec);
    if path.is_file() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        return Ok((text, path.display().to_string()));
    }
    // A preset name finds the repository's editable copy first, then the built-in one.
    let p = PathBuf::from("configs").join(format!("{spec}.toml"));
    if p.is_file() {
        return Ok((std::fs::read_to_string(&p)?, p.display().to_string()));
    }
    if let Some((name, text)) = PRESETS.iter().find(|(n, _)| *n == spec) {
        return Ok((text.to_string(), format!("preset {name}")));
    }
    anyhow::bail!(
        "`{spec}` is neither a config file nor a preset (presets: {})",
        PRESETS.iter().map(|p| p.0).collect::<Vec<_>>().join(", ")
    )
}

/// Runs `run`.
pub fn run(a: &RunArgs, device: Device, progress: bool) -> Result<()> {
    let (cfg, origin) = load_config_and_origin(
        &a.config,
        &Overrides {
            set: a.set.clone(),
            regimes: a.regimes.clone(),
            healthy: a.healthy.clone(),
        },
    )?;
    // The experiment folder holds the one healthy model and, for a sharded run, the shards.
    let experiment_dir = a
        .out
        .clone()
        .or(cfg.out.clone())
        .unwrap_or_else(|| PathBuf::from("results").join(&cfg.name));
    let healthy_dir = experiment_dir.join("healthy");
    if a.stage == Stage::Healthy {
        return run_healthy_stage(a, &cfg, &experiment_dir, device, progress);
    }
    let (out, healthy) = match a.shard {
        Some((i, n)) => (
            experiment_dir.join(format!("shard-{i}-of-{n}")),
            HealthySource::Reuse {
                dir: healthy_dir,
                command: healthy_command(a, &experiment_dir, device),
            },
        ),
        None => (experiment_dir.clone(), HealthySource::Train(healthy_dir)),
    };
    let total = experiment::steps(&cfg, a.shard).len();
    eprintln!(
        "experiment {}: {} regimes x {} cycles x {} iterations = {} steps{} on {}; results in {}",
        cfg.name,
        cfg.regimes.len(),
        cfg.cycles,
        cfg.injury.iterations,
        total,
        a.shard
            .map(|(i, n)| format!(" (shard {i}/{n})"))
            .unwrap_or_default(),
        crate::device::describe(device),
        out.display()
    );
    // Trained in bf16: the healthy model (when this run trains it) or a retraining regime.
    let bf16 = cfg
        .healthy
        .train
        .as_ref()
        .is_some_and(|t| !t.precision.is_fp32())
        || cfg
            .regimes
            .iter()
            .any(|r| !r.is_static && !r.precision.is_fp32());
    let precision = if bf16 {
        crate::train::Precision::Bf16
    } else {
        crate::train::Precision::Fp32
    };
    crate::train::precision::warn_if_emulated(precision, device);
    let p = experiment::run(
        &cfg,
        &RunOptions {
            out: out.clone(),
            device,
            progress,
            shard: a.shard,
            healthy,
            wait: a.wait,
        },
    )
    .map_err(|e| in_config(e, &origin))?;
    print_summary(&p);
    let r = crate::report::report(&out, &crate::report::DEFAULT_LEVELS)?;
    println!(
        "results in {}; report {}{}",
        out.display(),
        r.html.display(),
        r.markdown
            .map(|m| format!(", tables {}", m.display()))
            .unwrap_or_default()
    );
    Ok(())
}

/// The command that makes the experiment's healthy model, as a shard's error shows it: on
/// the shard's `device` too.
pub fn healthy_command(a: &RunArgs, experiment_dir: &std::path::Path, device: Device) -> String {
    let mut words = vec!["atrophy".to_string()];
    if let Device::Cuda(i) = device {
        words.push("--device".into());
        words.push(format!("cuda:{i}"));
    }
    words.extend([
        "run".to_string(),
        shell_word(&a.config),
        "--stage".into(),
        "healthy".into(),
        "--out".into(),
        shell_word(&experiment_dir.to_string_lossy()),
    ]);
    for s in &a.set {
        words.push("--set".into());
        words.push(shell_word(s));
    }
    if let Some(h) = &a.healthy {
        words.push("--healthy".into());
        words.push(shell_word(&h.to_string_lossy()));
    }
    words.join(" ")
}

/// `w` as one word of a POSIX shell command line.
pub fn shell_word(w: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !w.is_empty() && w.chars().all(plain) {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

/// `atrophy run --stage healthy`: the experiment's one healthy model, nothing else.
fn run_healthy_stage(
    a: &RunArgs,
    cfg: &ExperimentConfig,
    experiment_dir: &std::path::Path,
    device: Device,
    progress: bool,
) -> Result<()> {
    if a.shard.is_some() {
        anyhow::bail!(
            "--stage healthy makes the one healthy model the shards share; it takes no --shard"
        );
    }
    cfg.validate()?;
    if let Some(c) = &cfg.healthy.checkpoint {
        println!(
            "the config names the healthy model ({}): nothing to train",
            c.display()
        );
        return Ok(());
    }
    let split = crate::data::load_or_fetch(&cfg.data.dataset, cfg.data.path.as_deref(), progress)?;
    let (checkpoint, seconds) = experiment::healthy_checkpoint(
        cfg,
        &split,
        &RunOptions {
            out: experiment_dir.to_path_buf(),
            device,
            progress,
            shard: None,
            healthy: HealthySource::Train(experiment_dir.join("healthy")),
            wait: a.wait,
        },
    )?;
    println!(
        "healthy model {} ready ({:.0} s in this process)",
        checkpoint.display(),
        seconds
    );
    Ok(())
}

/// The summary table; with injury confined to some layers, "injured" counts their synapses.
fn print_summary(p: &experiment::RunRecord) {
    let confined = p
        .synapses
        .and_then(|c| Confined::from_counts(c, &p.config.injury.layers));
    let share = match &confined {
        Some(c) => {
            println!(
                "injury confined to {} ({:.2} % of the network's synapses): injured counts theirs",
                c.names(),
                100.0 * c.share
            );
            c.share
        }
        None => 1.0,
    };
    println!(
        "{:<10} {:>4} {:<10} {:>9} {:>16}",
        "regime", "iter", "state", "injured", "top-1 mean+-sd"
    );
    for r in p.summary() {
        println!(
            "{:<10} {:>4} {:<10} {:>8.1}% {:>8.4} +- {:.4}",
            r.regime,
            r.iteration,
            r.state.as_str(),
            100.0 * r.fraction_injured / share,
            r.top1_mean,
            r.top1_sd
        );
    }
}

/// Runs `merge`.
pub fn merge(a: &MergeArgs) -> Result<()> {
    let dirs: Vec<&std::path::Path> = a.shards.iter().map(|p| p.as_path()).collect();
    let p = experiment::shard::merge(&dirs, &a.out)?;
    print_summary(&p);
    println!("merged {} folders into {}", dirs.len(), a.out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// The healthy model's command a shard prints runs it on the shard's device, with the
    /// shard's overrides.
    #[test]
    fn the_healthy_command_keeps_the_device_and_overrides() {
        let cli = crate::cli::Cli::try_parse_from([
            "atrophy",
            "run",
            "my exp.toml",
            "--set",
            "cycles=2",
            "--shard",
            "1/4",
        ])
        .unwrap();
        let crate::cli::Command::Run(a) = cli.command else {
            panic!("a run")
        };
        let dir = std::path::Path::new("results/e");
        assert_eq!(
            healthy_command(&a, dir, Device::Cpu),
            "atrophy run 'my exp.toml' --stage healthy --out results/e --set cycles=2"
        );
        assert!(healthy_command(&a, dir, Device::Cuda(1))
            .starts_with("atrophy --device cuda:1 run 'my exp.toml' --stage healthy"));
    }
}
