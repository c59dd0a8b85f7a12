//! `atrophy reproduce`: a paper's protocol run as its preset, then `reproduction.md`, every
//! number the paper prints beside the run's.
use super::run::{RunArgs, Stage};
use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;
use tch::Device;

/// Arguments of `reproduce`.
#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  atrophy reproduce 000 --data ../shared/data/cifar-10-binary.tar.gz     # paper 000, 10 cycles
  atrophy reproduce 001 --cycles 1 --out results/p001
  atrophy reproduce 001 --cycles 1 --healthy runs/recipe30/model.safetensors   # a model trained before
  atrophy reproduce 000 --cycles 1 --regimes R1000,static   # two of its four regimes (about 20 min)
  atrophy reproduce 000 --quick       # the reduced version: minutes on 2 cores, not a reproduction
  atrophy reproduce 003 --data ../shared/data/mnist     # paper 003: about 30 min on 2 cores
  atrophy reproduce 003 --set pattern.erased=[0.5]      # one reading of its erased bits only

Paper 003's settings (with --set): seed, pattern.size (961), pattern.episodes (930),
pattern.erased ([0.05, 0.5]), pattern.baseline (true), pattern.lr, pattern.eta, pattern.window
(10), classify.dataset (mnist), classify.epochs (250), classify.images (100),
classify.eval_images (10000), classify.lr, classify.eta. --data sets classify.path.")]
pub struct ReproduceArgs {
    /// The paper: 000 (decay, preset moore-decay), 001 (ablation, preset moore-ablation) or 003
    /// (differentiable plasticity: pattern reconstruction and MNIST classification).
    pub paper: String,
    /// Results folder (default: results/reproduce-PAPER, with -quick for --quick).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Cycles (default: the preset's: 10 for 000, 3 for 001; 003 has none).
    #[arg(long)]
    pub cycles: Option<usize>,
    /// The reduced version, to check the pipeline; its page says so. 000, 001: small widths, 2
    /// epochs of healthy training, 1 cycle, fewer and shorter retrainings (minutes on 2 cores);
    /// 003: 64-bit patterns, 40 episodes, 3 epochs of 20 images (seconds).
    #[arg(long)]
    pub quick: bool,
    /// File or folder holding the data: CIFAR-10 for 000 and 001, MNIST for 003's classifier
    /// (else the usual search).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Change a preset value (repeatable, as `atrophy run --set`); applied after --quick's.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Run only these regimes of the preset (comma-separated names, as `atrophy run
    /// --regimes`), e.g. `--regimes R1000,static` for paper 000. A paper number whose regime was
    /// not run is read from the nearest one, and its row says it is not the paper's retraining.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub regimes: Vec<String>,
    /// Run only the cycles c with c mod n = i, as `atrophy run --shard`; the table is written
    /// once the shards are merged (`atrophy merge`, then `atrophy reproduce ... --out MERGED`).
    #[arg(long, value_parser = crate::experiment::shard::parse_shard)]
    pub shard: Option<(usize, usize)>,
    /// Start from this healthy model (`model.safetensors` with its JSON sidecar, e.g. from
    /// `atrophy train` or `atrophy compress`) instead of training the preset's; the page names it.
    #[arg(long, value_name = "MODEL")]
    pub healthy: Option<PathBuf>,
    /// Wait for another run in the same folder instead of stopping.
    #[arg(long)]
    pub wait: bool,
    /// The preset to run instead of the paper's own: for 001, `moore-ablation-text` (paper 001
    /// as its workshop text reads: a plain VGG19 with three dense layers, plain-SGD
    /// retraining; docs/PROTOCOLS.md P4) instead of `moore-ablation` (as its authors' code ran
    /// it). --quick, --cycles and --set apply to it as to the default.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
}

/// The presets each paper can run, its own first.
const PRESETS: [(&str, &[&str]); 2] = [
    ("000", &["moore-decay"]),
    ("001", &["moore-ablation", "moore-ablation-text"]),
];

/// The preset `chosen` for `paper` (its own when none is), or an error that names the flag and
/// the presets the paper can run.
fn chosen_preset(paper: &str, chosen: Option<&str>) -> Result<&'static str> {
    let Some((_, names)) = PRESETS.iter().find(|(p, _)| *p == paper) else {
        bail!("paper `{paper}`: expected 000, 001 or 003");
    };
    match chosen {
        None => Ok(names[0]),
        Some(c) => names.iter().copied().find(|n| *n == c).ok_or_else(|| {
            anyhow::anyhow!(
                "--preset {c}: paper {paper} runs {}",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )
        }),
    }
}

/// What `--quick` changes in `paper`'s presets.
fn quick_settings(paper: &str) -> Result<&'static [&'static str]> {
    const QUICK_WIDTHS: &str = "healthy.train.widths=\"16,M,32,M,64,M\"";
    Ok(match paper {
        "000" => &[
            QUICK_WIDTHS,
            "healthy.train.epochs=2",
            "cycles=1",
            "data.eval_images=1000",
            "analysis.images=200",
        ],
        "001" => &[
            QUICK_WIDTHS,
            "healthy.train.epochs=2",
            "cycles=1",
            "injury.iterations=5",
            "data.eval_images=1000",
            "analysis.images=200",
            "analysis.rdm_images_per_class=10",
            "regime.retrained.epochs=1",
            "regime.retrained.images=2000",
        ],
        other => bail!("paper `{other}`: expected 000, 001 or 003"),
    })
}

/// The command that makes (or, on a finished run, tables) `experiment` as `a` asks: every flag
/// that changes the config, so that it finds the same run again.
fn command_line(a: &ReproduceArgs, experiment: &std::path::Path) -> String {
    let word = |w: &str| super::run::shell_word(w);
    let mut c = format!("atrophy reproduce {}", a.paper);
    if a.quick {
        c.push_str(" --quick");
    }
    if let Some(p) = &a.preset {
        c.push_str(&format!(" --preset {}", word(p)));
    }
    if let Some(n) = a.cycles {
        c.push_str(&format!(" --cycles {n}"));
    }
    if let Some(d) = &a.data {
        c.push_str(&format!(" --data {}", word(&d.to_string_lossy())));
    }
    for s in &a.set {
        c.push_str(&format!(" --set {}", word(s)));
    }
    if !a.regimes.is_empty() {
        c.push_str(&format!(" --regimes {}", word(&a.regimes.join(","))));
    }
    if let Some(h) = &a.healthy {
        c.push_str(&format!(" --healthy {}", word(&h.to_string_lossy())));
    }
    c.push_str(&format!(" --out {}", word(&experiment.to_string_lossy())));
    c
}

/// Runs `reproduce`.
pub fn run_reproduce(a: &ReproduceArgs, device: Device, progress: bool) -> Result<()> {
    if a.paper == "003" {
        if let Some(p) = &a.preset {
            bail!("--preset {p}: paper 003 runs its own parts, not a preset");
        }
        return run_003(a, device, progress);
    }
    let preset = chosen_preset(&a.paper, a.preset.as_deref())?;
    let quick = quick_settings(&a.paper)?;
    let mut set: Vec<String> = Vec::new();
    if a.quick {
        set.extend(quick.iter().map(|s| s.to_string()));
    }
    if let Some(c) = a.cycles {
        set.push(format!("cycles={c}"));
    }
    if let Some(d) = &a.data {
        set.push(format!(
            "data.path={}",
            toml::Value::from(d.to_string_lossy().as_ref())
        ));
    }
    set.extend(a.set.iter().cloned());
    let name = format!(
        "reproduce-{}{}",
        a.paper,
        if a.quick { "-quick" } else { "" }
    );
    let experiment = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(&name));
    let run = RunArgs {
        config: preset.to_string(),
        out: Some(experiment.clone()),
        shard: a.shard,
        set,
        regimes: a.regimes.clone(),
        healthy: a.healthy.clone(),
        stage: Stage::All,
        wait: a.wait,
    };
    // A finished whole run (or the merge of its shards) is read as it is: running it again
    // would only find it done, and a merged folder holds no healthy model to start from.
    let wanted = super::run::load_config_with(
        preset,
        &crate::experiment::overrides::Overrides {
            set: run.set.clone(),
            regimes: run.regimes.clone(),
            healthy: run.healthy.clone(),
        },
    )?;
    let finished = crate::experiment::RunRecord::read(&experiment).is_ok_and(|r| {
        let mut same = wanted.clone();
        same.out = None;
        r.shard.is_none()
            && r.config == same
            && r.completed == crate::experiment::steps(&r.config, None).len()
    });
    if finished && a.shard.is_none() {
        eprintln!(
            "{}: a finished run; writing its reproduction table",
            experiment.display()
        );
    } else {
        super::run::run(&run, device, progress)?;
    }
    let command = command_line(a, &experiment);
    if let Some((i, n)) = a.shard {
        println!(
            "shard {i}/{n} done; merge the shards (atrophy merge ... --out DIR), then write the \
             table with `{}`",
            command.replace(
                &super::run::shell_word(&experiment.to_string_lossy()),
                "DIR"
            )
        );
        return Ok(());
    }
    let results = crate::report::results::Results::read(&experiment)?;
    let md = crate::report::reproduction::markdown(&a.paper, preset, &results, a.quick, &command);
    let path = experiment.join("reproduction.md");
    crate::fsio::write_atomic(&path, md.as_bytes())?;
    println!("reproduction table: {}", path.display());
    Ok(())
}

/// Paper 003: its own parts (no injury, no cycles), resumable part by part.
fn run_003(a: &ReproduceArgs, device: Device, progress: bool) -> Result<()> {
    use crate::plasticity::differentiable::paper003::{self, Paper003Config};
    for (given, flag) in [
        (a.cycles.is_some(), "--cycles"),
        (a.shard.is_some(), "--shard"),
        (a.healthy.is_some(), "--healthy"),
        (!a.regimes.is_empty(), "--regimes"),
        (a.wait, "--wait"),
    ] {
        if given {
            bail!("{flag}: not for paper 003, which has no injury cycles, regimes, shards, healthy model or run lock; its settings are changed with --set (see --help)");
        }
    }
    let mut set: Vec<String> = Vec::new();
    if a.quick {
        set.extend(paper003::QUICK.iter().map(|s| s.to_string()));
    }
    if let Some(d) = &a.data {
        set.push(format!(
            "classify.path={}",
            toml::Value::from(d.to_string_lossy().as_ref())
        ));
    }
    set.extend(a.set.iter().cloned());
    let config = Paper003Config::with(&set)?;
    let dir = a.out.clone().unwrap_or_else(|| {
        PathBuf::from("results").join(if a.quick {
            "reproduce-003-quick"
        } else {
            "reproduce-003"
        })
    });
    println!(
        "paper 003: {} parts on {device:?}; results in {}",
        config.parts().len(),
        dir.display()
    );
    let results = paper003::run(&config, &dir, device, progress)?;
    let mut figures = Vec::new();
    for png in [
        crate::report::figures::paper003::pattern(&results, &dir)?,
        crate::report::figures::paper003::classify(&results, &dir)?,
    ]
    .into_iter()
    .flatten()
    {
        figures.extend(png.file_name().map(|f| f.to_string_lossy().into_owned()));
    }
    let command = command_line(a, &dir);
    let md = crate::report::reproduction003::markdown(&results, a.quick, &command, &figures);
    let path = dir.join("reproduction.md");
    crate::fsio::write_atomic(&path, md.as_bytes())?;
    println!("reproduction table: {}", path.display());
    Ok(())
}
