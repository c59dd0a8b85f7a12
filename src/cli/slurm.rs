//! `atrophy slurm`: the sbatch scripts a user would write by hand to run an experiment on a
//! Slurm cluster: the healthy job, a job array of shards that depends on it, and a merge +
//! report job that depends on the array; `--submit` chains them with `sbatch`.
use super::run::{load_config_with, shell_word};
use crate::experiment::overrides::Overrides;
use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};

/// Writes (and with `--submit` submits) the Slurm jobs of an experiment.
///
/// Three scripts in OUT/slurm/ (or --scripts DIR): `healthy.sbatch` trains the experiment's one
/// healthy model into OUT/healthy (`atrophy run --stage healthy`); `shards.sbatch`, a job array
/// of N tasks, runs shard i of N into OUT/shard-i-of-N, using that model (afterok on the healthy
/// job); `merge.sbatch` merges the shards into OUT/merged and writes its report (afterok on the
/// whole array). `submit.sh` submits the three with their dependencies. A requeued task (node
/// failure, `scontrol requeue`) continues from its own folder: every step is checkpointed.
#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  atrophy slurm moore-decay --shards 10 --partition gpu --gpus 1 --time 12:00:00 --device cuda
  atrophy slurm my.toml --shards 4 --cpus-per-task 8 --mem 16G --requeue --submit
  atrophy slurm quick --shards 3 --out results/quick-slurm     # then read and adapt the scripts

Afterwards: OUT/merged/report.html; logs in OUT/slurm/logs/.")]
pub struct SlurmArgs {
    /// An experiment config (TOML file) or a preset name.
    pub config: String,
    /// Number of shards (array tasks); shard i runs the cycles c with c mod N = i.
    #[arg(long)]
    pub shards: usize,
    /// Experiment folder (default: the config's `out`, else results/NAME).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Where to write the scripts (default: OUT/slurm).
    #[arg(long)]
    pub scripts: Option<PathBuf>,
    /// Config changes passed to every job, as `atrophy run --set`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// #SBATCH --partition.
    #[arg(long)]
    pub partition: Option<String>,
    /// #SBATCH --time (e.g. 12:00:00) of the healthy and shard jobs.
    #[arg(long)]
    pub time: Option<String>,
    /// #SBATCH --mem (e.g. 16G).
    #[arg(long)]
    pub mem: Option<String>,
    /// #SBATCH --cpus-per-task; libtorch then uses that many threads.
    #[arg(long)]
    pub cpus_per_task: Option<usize>,
    /// #SBATCH --gpus of the healthy and shard jobs.
    #[arg(long)]
    pub gpus: Option<String>,
    /// #SBATCH --account.
    #[arg(long)]
    pub account: Option<String>,
    /// #SBATCH --requeue: Slurm may requeue a job after a node failure; it then resumes.
    #[arg(long)]
    pub requeue: bool,
    /// The atrophy binary the jobs run (default: this one).
    #[arg(long)]
    pub atrophy: Option<PathBuf>,
    /// Submit the jobs with sbatch and print their ids (else only write the scripts).
    #[arg(long)]
    pub submit: bool,
}

/// One generated file: its name in the scripts folder and its text.
pub struct Script {
    /// File name (`healthy.sbatch`, ...).
    pub name: &'static str,
    /// Contents.
    pub text: String,
}

/// The resolved inputs of the scripts.
pub struct Plan {
    /// Experiment name (job names).
    pub name: String,
    /// The config as the jobs name it (an absolute path for a file, else the preset's name).
    pub config: String,
    /// Experiment folder, absolute.
    pub experiment_dir: PathBuf,
    /// Scripts folder, absolute.
    pub scripts_dir: PathBuf,
    /// Working directory of the jobs.
    pub workdir: PathBuf,
    /// The atrophy binary, absolute.
    pub atrophy: PathBuf,
    /// The jobs' compute device (the global `--device`).
    pub device: String,
}

fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).with_context(|| format!("resolving {}", p.display()))
}

/// Resolves the paths the scripts use (all absolute, so the jobs run from anywhere); `device`
/// is the jobs' compute device.
pub fn plan(a: &SlurmArgs, device: &str) -> Result<Plan> {
    if a.shards == 0 {
        bail!("--shards must be at least 1");
    }
    if a.cpus_per_task == Some(0) {
        bail!("--cpus-per-task must be at least 1");
    }
    // The jobs run on the cluster's nodes: the name is checked here, the GPU there.
    crate::device::device_index(device).map_err(|e| anyhow::anyhow!("--device: {e}"))?;
    let cfg = load_config_with(
        &a.config,
        &Overrides {
            set: a.set.clone(),
            ..Overrides::default()
        },
    )?;
    cfg.validate()?;
    if a.shards > cfg.cycles {
        bail!(
            "--shards {} is more than the experiment's {} cycles: shard i runs the cycles c with \
             c mod N = i, so some shards would have nothing to do",
            a.shards,
            cfg.cycles
        );
    }
    let experiment_dir = absolute(
        &a.out
            .clone()
            .or(cfg.out.clone())
            .unwrap_or_else(|| PathBuf::from("results").join(&cfg.name)),
    )?;
    let config = if Path::new(&a.config).is_file() {
        absolute(Path::new(&a.config))?
            .to_string_lossy()
            .into_owned()
    } else {
        a.config.clone()
    };
    let atrophy = match &a.atrophy {
        Some(p) => absolute(p)?,
        None => std::env::current_exe().context("locating the atrophy binary")?,
    };
    Ok(Plan {
        name: cfg.name.clone(),
        config,
        scripts_dir: match &a.scripts {
            Some(d) => absolute(d)?,
            None => experiment_dir.join("slurm"),
        },
        experiment_dir,
        workdir: std::env::current_dir()?,
        atrophy,
        device: device.to_string(),
    })
}

/// The `#SBATCH` header of one job.
fn header(a: &SlurmArgs, p: &Plan, job: &str, array: Option<usize>, compute: bool) -> String {
    let logs = p.scripts_dir.join("logs");
    let mut h = vec![
        "#!/bin/bash".to_string(),
        format!("#SBATCH --job-name=atrophy-{}-{job}", p.name),
        match array {
            Some(n) => format!("#SBATCH --array=0-{}", n - 1),
            None => String::new(),
        },
        format!(
            "#SBATCH --output={}",
            logs.join(if array.is_some() {
                "%x-%A_%a.out"
            } else {
                "%x-%j.out"
            })
            .display()
        ),
    ];
    let mut opt = |flag: &str, v: &Option<String>| {
        if let Some(v) = v {
            h.push(format!("#SBATCH --{flag}={v}"));
        }
    };
    opt("partition", &a.partition);
    opt("account", &a.account);
    opt("mem", &a.mem);
    if compute {
        opt("time", &a.time);
        opt("gpus", &a.gpus);
        opt("cpus-per-task", &a.cpus_per_task.map(|c| c.to_string()));
    }
    if a.requeue {
        h.push("#SBATCH --requeue".into());
    }
    h.retain(|l| !l.is_empty());
    h.push(String::new());
    h.push("set -euo pipefail".into());
    h.push(format!("cd {}", shell_word(&p.workdir.to_string_lossy())));
    if compute && a.cpus_per_task.is_some() {
        h.push("export ATROPHY_THREADS=\"$SLURM_CPUS_PER_TASK\"".into());
    }
    h.join("\n") + "\n"
}

/// `atrophy run CONFIG` with the common options, as shell words.
fn run_words(a: &SlurmArgs, p: &Plan) -> String {
    let mut w = vec![
        shell_word(&p.atrophy.to_string_lossy()),
        "--quiet".into(),
        "--device".into(),
        shell_word(&p.device),
        "run".into(),
        shell_word(&p.config),
        "--out".into(),
        shell_word(&p.experiment_dir.to_string_lossy()),
    ];
    for s in &a.set {
        w.push("--set".into());
        w.push(shell_word(s));
    }
    w.join(" ")
}

/// The scripts, in submission order, then `submit.sh`.
pub fn scripts(a: &SlurmArgs, p: &Plan) -> Vec<Script> {
    let n = a.shards;
    let exp = |sub: &str| shell_word(&p.experiment_dir.join(sub).to_string_lossy());
    let bin = shell_word(&p.atrophy.to_string_lossy());
    let healthy = format!(
        "{}# The experiment's one healthy model, into {}; the shards wait for it.\n{} --stage healthy\n",
        header(a, p, "healthy", None, true),
        p.experiment_dir.join("healthy").display(),
        run_words(a, p)
    );
    let shards = format!(
        "{}# Shard $SLURM_ARRAY_TASK_ID of {n}: the cycles c with c mod {n} = $SLURM_ARRAY_TASK_ID, into\n\
         # {}/shard-$SLURM_ARRAY_TASK_ID-of-{n}. A requeued task continues from its folder.\n\
         {} --shard \"$SLURM_ARRAY_TASK_ID/{n}\"\n",
        header(a, p, "shards", Some(n), true),
        p.experiment_dir.display(),
        run_words(a, p)
    );
    let parts: Vec<String> = (0..n).map(|i| exp(&format!("shard-{i}-of-{n}"))).collect();
    let merge = format!(
        "{}# All shards into {}, then its report.\n{bin} merge {} --out {}\n{bin} report {}\n",
        header(a, p, "merge", None, false),
        p.experiment_dir.join("merged").display(),
        parts.join(" "),
        exp("merged"),
        exp("merged")
    );
    let submit = String::from(
        "#!/bin/bash\n\
         # Submits the experiment's jobs with their dependencies (what `atrophy slurm --submit` does).\n\
         set -euo pipefail\n\
         cd \"$(dirname \"$0\")\"\n\
         mkdir -p logs\n\
         healthy=$(sbatch --parsable healthy.sbatch)\n\
         shards=$(sbatch --parsable --dependency=afterok:\"${healthy%%;*}\" shards.sbatch)\n\
         merge=$(sbatch --parsable --dependency=afterok:\"${shards%%;*}\" merge.sbatch)\n\
         echo \"healthy job $healthy, shard array $shards, merge job $merge\"\n",
    );
    vec![
        Script {
            name: "healthy.sbatch",
            text: healthy,
        },
        Script {
            name: "shards.sbatch",
            text: shards,
        },
        Script {
            name: "merge.sbatch",
            text: merge,
        },
        Script {
            name: "submit.sh",
            text: submit,
        },
    ]
}

/// Submits one script with `sbatch --parsable`, after `depends_on`; returns the job id.
fn sbatch(script: &Path, depends_on: Option<&str>) -> Result<String> {
    let mut cmd = std::process::Command::new("sbatch");
    cmd.arg("--parsable");
    if let Some(id) = depends_on {
        cmd.arg(format!("--dependency=afterok:{id}"));
    }
    let out = cmd.arg(script).output().map_err(|e| {
        anyhow::anyhow!(
            "running sbatch: {e}; is this a Slurm login node? (the scripts are in {})",
            script.parent().unwrap_or(script).display()
        )
    })?;
    if !out.status.success() {
        bail!(
            "sbatch {} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    // --parsable prints "jobid" or "jobid;cluster".
    Ok(text.trim().split(';').next().unwrap_or("").to_string())
}

/// Runs `atrophy slurm`; `device` (the global `--device`) is the jobs' compute device.
pub fn run(a: &SlurmArgs, device: &str) -> Result<()> {
    let p = plan(a, device)?;
    std::fs::create_dir_all(p.scripts_dir.join("logs"))
        .with_context(|| format!("creating {}", p.scripts_dir.display()))?;
    for s in scripts(a, &p) {
        let path = p.scripts_dir.join(s.name);
        crate::fsio::write_atomic(&path, s.text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        }
    }
    println!(
        "Slurm scripts for {} ({} shards) in {}: healthy.sbatch, shards.sbatch, merge.sbatch, submit.sh",
        p.name,
        a.shards,
        p.scripts_dir.display()
    );
    if !a.submit {
        println!(
            "submit them with {}/submit.sh (or atrophy slurm ... --submit)",
            p.scripts_dir.display()
        );
        return Ok(());
    }
    let healthy = sbatch(&p.scripts_dir.join("healthy.sbatch"), None)?;
    let shards = sbatch(&p.scripts_dir.join("shards.sbatch"), Some(&healthy))?;
    let merge = sbatch(&p.scripts_dir.join("merge.sbatch"), Some(&shards))?;
    println!("submitted: healthy job {healthy}, shard array {shards}, merge job {merge}");
    println!(
        "results: {}/merged (report.html); logs: {}/logs",
        p.experiment_dir.display(),
        p.scripts_dir.display()
    );
    Ok(())
}

#[cfg(test)]
#[path = "slurm_tests.rs"]
mod tests;
