//! The experiment runner: for each regime x cycle x iteration, injure -> evaluate -> retrain ->
//! evaluate, checkpointing after every step so that a stopped run continues where it stopped and
//! ends with the numbers an uninterrupted run gives.
use super::analyses::{pathways_csv, tau_csv, Analyzer, PathwayRow, Tag, TauRow};
use super::config::{ExperimentConfig, RegimeConfig};
use super::records::{metrics_csv, summary_csv, MetricRow};
use crate::checkpoint;
use crate::data::{self, Dataset, Normalization, Split};
use crate::injury::{injure, Selection, SynapseStates};
use crate::model::Network;
use crate::seed;
use crate::train::{
    evaluate, train_epoch, Evaluation, LrSchedule, MaskedSgd, SgdConfig, TrainConfig,
};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tch::{nn, Device, Kind, Tensor};

/// How to run (not part of the experiment's identity).
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Results folder.
    pub out: PathBuf,
    /// Compute device.
    pub device: Device,
    /// Show a progress bar.
    pub progress: bool,
    /// Run only the cycles c with c % n == i: `(i, n)`.
    pub shard: Option<(usize, usize)>,
}

/// One unit of work: an injury (and its retraining) of one regime's cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Index into the config's regimes.
    pub regime: usize,
    /// Cycle.
    pub cycle: usize,
    /// Iteration, from 1.
    pub iteration: usize,
}

/// What `progress.json` records: enough to continue, and to refuse another config.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Progress {
    /// The config that made this folder.
    pub config: ExperimentConfig,
    /// The shard `(i, n)` this folder holds, if any.
    pub shard: Option<(usize, usize)>,
    /// Steps finished, in the order of [`steps`].
    pub completed: usize,
    /// The healthy model's evaluation.
    pub healthy: Option<Evaluation>,
    /// Every row so far.
    pub rows: Vec<MetricRow>,
    /// Kendall tau of each state's RDM against the healthy RDM.
    #[serde(default)]
    pub tau_rows: Vec<TauRow>,
    /// Pathway overlaps of each state.
    #[serde(default)]
    pub pathway_rows: Vec<PathwayRow>,
}

/// The steps of an experiment (or of one shard), in run order: regime, then cycle, then iteration.
pub fn steps(cfg: &ExperimentConfig, shard: Option<(usize, usize)>) -> Vec<Step> {
    let mut out = Vec::new();
    for regime in 0..cfg.regimes.len() {
        for cycle in (0..cfg.cycles).filter(|c| shard.is_none_or(|(i, n)| c % n == i)) {
            for iteration in 1..=cfg.injury.iterations {
                out.push(Step {
                    regime,
                    cycle,
                    iteration,
                });
            }
        }
    }
    out
}

/// The first top-level field in which two configs differ.
pub(crate) fn first_difference(a: &ExperimentConfig, b: &ExperimentConfig) -> String {
    let (va, vb) = (
        serde_json::to_value(a).unwrap_or_default(),
        serde_json::to_value(b).unwrap_or_default(),
    );
    if let (Some(ma), Some(mb)) = (va.as_object(), vb.as_object()) {
        for (k, x) in ma {
            if mb.get(k) != Some(x) {
                return k.clone();
            }
        }
    }
    "?".into()
}

/// Runs (or continues) the experiment into `opts.out`.
pub fn run(cfg: &ExperimentConfig, opts: &RunOptions) -> Result<Progress> {
    cfg.validate().map_err(anyhow::Error::msg)?;
    let out = &opts.out;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let progress_file = out.join("progress.json");
    let mut cfg_id = cfg.clone();
    cfg_id.out = None;
    let mut progress = if progress_file.is_file() {
        let p: Progress = serde_json::from_slice(&std::fs::read(&progress_file)?)
            .with_context(|| format!("{}: unreadable progress record", progress_file.display()))?;
        if p.config != cfg_id {
            bail!(
                "{} holds results of a different config (field `{}` differs); use another --out, or remove the folder to start over",
                out.display(),
                first_difference(&p.config, &cfg_id)
            );
        }
        if p.shard != opts.shard {
            bail!(
                "{} holds shard {:?}, not {:?}",
                out.display(),
                p.shard,
                opts.shard
            );
        }
        p
    } else {
        Progress {
            config: cfg_id.clone(),
            shard: opts.shard,
            completed: 0,
            healthy: None,
            rows: Vec::new(),
            tau_rows: Vec::new(),
            pathway_rows: Vec::new(),
        }
    };
    let t_start = Instant::now();
    let device = opts.device;
    let split = data::load_or_fetch(&cfg.data.dataset, cfg.data.path.as_deref(), opts.progress)?;

    // The healthy model: trained into OUT/healthy (itself resumable) or loaded.
    let t_healthy = Instant::now();
    let healthy_ckpt = match (&cfg.healthy.checkpoint, &cfg.healthy.train) {
        (Some(c), _) => c.clone(),
        (None, Some(opt)) => {
            let spec = opt
                .to_spec(&split)
                .map_err(|e| anyhow::anyhow!("healthy.train: {e}"))?;
            crate::train::train_healthy(&spec, &split, &out.join("healthy"), device, opts.progress)?
        }
        (None, None) => unreachable!("validated"),
    };
    let healthy_seconds = t_healthy.elapsed().as_secs_f64();
    let (vs, net, meta) = checkpoint::load(&healthy_ckpt, device)?;
    let arch = &meta.architecture;
    let t = &split.train;
    if (t.channels, t.height, t.num_classes())
        != (arch.in_channels, arch.image_size, arch.num_classes)
    {
        bail!(
            "healthy model {} does not take {} images ({}x{}x{}, {} classes)",
            healthy_ckpt.display(),
            split.name,
            t.channels,
            t.height,
            t.width,
            t.num_classes()
        );
    }
    let norm = meta.normalization.clone();
    let eval_set = eval_set(&split, cfg)?;
    let healthy_vars: Vec<(String, Tensor)> = vs
        .variables()
        .into_iter()
        .map(|(n, t)| (n, t.copy()))
        .collect();
    let synapse_layers = arch.synapse_layers();
    for p in &cfg.injury.layers {
        let one = crate::injury::InjuryConfig {
            layers: vec![p.clone()],
            ..cfg.injury.clone()
        };
        if !synapse_layers.iter().any(|l| one.injurable(l)) {
            bail!(
                "injury.layers: `{p}` matches no conv or linear layer of the model; they are {}",
                synapse_layers.join(", ")
            );
        }
    }
    let synapse_names: Vec<String> = synapse_layers
        .iter()
        .map(|l| format!("{l}.weight"))
        .collect();
    let vars = vs.variables();
    let healthy_states = SynapseStates::healthy(
        arch.synapse_layers()
            .iter()
            .zip(&synapse_names)
            .map(|(l, n)| {
                (
                    n.clone(),
                    vars[n].size().iter().map(|&d| d as usize).collect(),
                    cfg.injury.injurable(l),
                )
            })
            .collect(),
    );
    if progress.healthy.is_none() {
        progress.healthy = Some(evaluate(&net, &eval_set, &norm, device, 500));
    }
    let healthy_eval = progress.healthy.clone().unwrap();
    let analyzer = Analyzer::new(
        &net,
        &vs,
        &eval_set,
        &norm,
        &cfg.analysis,
        &cfg.analyses,
        device,
    )
    .map_err(anyhow::Error::msg)?;
    analyzer.write_healthy(&net, out)?;
    if analyzer.active() {
        crate::fsio::write_atomic(
            &out.join("cka").join("layers.txt"),
            (analyzer.cka_layers().join("\n") + "\n").as_bytes(),
        )?;
    }

    let all = steps(cfg, opts.shard);
    let bar = if opts.progress {
        crate::progress::steps_bar(all.len() as u64, "run")
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_position(progress.completed as u64);
    let mut states = healthy_states.clone();
    if progress.completed > 0
        && progress.completed < all.len()
        && all[progress.completed].iteration > 1
    {
        load_state(out, progress.completed, &vs, &mut states)?;
    }
    // A run killed mid-step can leave the state of a step already recorded, or a half-written
    // temporary file: only the state of the step to run next is still wanted.
    clean_state(out, Some(progress.completed));
    write_tables(out, &progress)?;
    write_run_json(
        out,
        cfg,
        opts,
        &progress,
        healthy_seconds,
        t_start.elapsed().as_secs_f64(),
        false,
    )?;
    for (k, &step) in all.iter().enumerate().skip(progress.completed) {
        let regime = &cfg.regimes[step.regime];
        if step.iteration == 1 {
            restore(&vs, &healthy_vars);
            states = healthy_states.clone();
            progress.rows.push(row(
                regime,
                step.cycle,
                0,
                0.0,
                "healthy",
                &healthy_eval,
                0.0,
            ));
        }
        // Injury: the synapses chosen depend on the cycle and iteration, not on the regime, so
        // every regime of a cycle loses the same synapses under random selection.
        let t0 = Instant::now();
        let mut rng = seed::rng(cfg.seed, &[10, step.cycle as u64, step.iteration as u64]);
        let scores = match cfg.injury.selection {
            Selection::Obd | Selection::Taylor => Some(saliency(
                &net,
                &vs,
                &synapse_names,
                &split.train,
                &norm,
                cfg,
                step,
                device,
            )),
            _ => None,
        };
        let mut weights = read_weights(&vs, &synapse_names);
        injure(
            &mut states,
            &mut weights,
            scores.as_deref(),
            &cfg.injury,
            step.iteration,
            &mut rng,
        )
        .map_err(anyhow::Error::msg)?;
        write_weights(&vs, &synapse_names, &weights);
        let e = evaluate(&net, &eval_set, &norm, device, 500);
        let frac = states.fraction_injured();
        progress.rows.push(row(
            regime,
            step.cycle,
            step.iteration,
            frac,
            "injured",
            &e,
            t0.elapsed().as_secs_f64(),
        ));
        let tag = |state: &str| Tag {
            regime: regime.name.clone(),
            cycle: step.cycle,
            iteration: step.iteration,
            fraction_injured: frac,
            state: state.into(),
        };
        let (t, p) = analyzer.measure(&net, &vs, &tag("injured"), out)?;
        progress.tau_rows.extend(t);
        progress.pathway_rows.extend(p);
        if !regime.is_static {
            let t1 = Instant::now();
            retrain(
                &net,
                &vs,
                &synapse_names,
                &states,
                &split.train,
                &norm,
                regime,
                cfg,
                step,
                device,
            )?;
            let e = evaluate(&net, &eval_set, &norm, device, 500);
            progress.rows.push(row(
                regime,
                step.cycle,
                step.iteration,
                frac,
                "retrained",
                &e,
                t1.elapsed().as_secs_f64(),
            ));
            let (t, p) = analyzer.measure(&net, &vs, &tag("retrained"), out)?;
            progress.tau_rows.extend(t);
            progress.pathway_rows.extend(p);
        }
        // State for step k+1 first, then the record that points at it, then the tables.
        let last_of_cycle = step.iteration == cfg.injury.iterations;
        if !last_of_cycle {
            save_state(out, k + 1, &vs, &states)?;
        }
        progress.completed = k + 1;
        crate::fsio::write_atomic(&progress_file, &serde_json::to_vec(&progress)?)?;
        remove_state(out, k);
        if last_of_cycle {
            remove_state(out, k + 1);
        }
        write_tables(out, &progress)?;
        let last = progress.rows.last().unwrap();
        bar.set_message(format!(
            "{} cycle {} iteration {}: {} top-1 {:.3}",
            regime.name, step.cycle, step.iteration, last.state, last.top1
        ));
        bar.inc(1);
    }
    bar.finish_and_clear();
    clean_state(out, None);
    write_run_json(
        out,
        cfg,
        opts,
        &progress,
        healthy_seconds,
        t_start.elapsed().as_secs_f64(),
        true,
    )?;
    Ok(progress)
}

fn row(
    r: &RegimeConfig,
    cycle: usize,
    iteration: usize,
    frac: f64,
    state: &str,
    e: &Evaluation,
    seconds: f64,
) -> MetricRow {
    MetricRow {
        regime: r.name.clone(),
        cycle,
        iteration,
        fraction_injured: frac,
        state: state.into(),
        top1: e.top1,
        mean_class: e.mean_class,
        per_class: e.per_class.clone(),
        loss: e.loss,
        seconds,
    }
}

/// The fixed evaluation set: the whole test set, or a seeded random subset of it.
fn eval_set(split: &Split, cfg: &ExperimentConfig) -> Result<Dataset> {
    Ok(match cfg.data.eval_images {
        None => split.test.clone(),
        Some(n) => {
            if n > split.test.len() {
                bail!(
                    "data.eval_images = {n} is out of range: the {} test set has {} images",
                    split.name,
                    split.test.len()
                );
            }
            let mut ix = data::random_subset(split.test.len(), n, &mut seed::rng(cfg.seed, &[5]))?;
            ix.sort_unstable();
            split.test.select(&ix)
        }
    })
}

fn restore(vs: &nn::VarStore, snapshot: &[(String, Tensor)]) {
    let vars = vs.variables();
    tch::no_grad(|| {
        for (n, t) in snapshot {
            let mut v = vars[n].shallow_clone();
            v.copy_(t);
        }
    });
}

/// The synapse tensors as flat f32 vectors on the host.
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

/// Writes flat host vectors back into the synapse tensors.
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

/// OBD (0.5 E[g^2] w^2) or Taylor (|E[g] w|) saliency from a few training batches.
#[allow(clippy::too_many_arguments)]
fn saliency(
    net: &Network,
    vs: &nn::VarStore,
    names: &[String],
    train: &Dataset,
    norm: &Normalization,
    cfg: &ExperimentConfig,
    step: Step,
    device: Device,
) -> Vec<Vec<f32>> {
    let vars = vs.variables();
    let mut rng = seed::rng(cfg.seed, &[11, step.cycle as u64, step.iteration as u64]);
    let b = cfg.injury.saliency_batches;
    let ix = data::random_subset(train.len(), (b * 128).min(train.len()), &mut rng)
        .expect("subset within the set");
    let mut g1: Vec<Tensor> = names.iter().map(|n| vars[n].zeros_like()).collect();
    let mut g2: Vec<Tensor> = names.iter().map(|n| vars[n].zeros_like()).collect();
    let chunks: Vec<&[usize]> = ix.chunks(128).collect();
    for chunk in &chunks {
        for v in vars.values() {
            let mut g = v.grad();
            if g.defined() {
                let _ = g.zero_();
            }
        }
        let (x, y) =
            crate::train::make_batch::<rand_chacha::ChaCha8Rng>(train, chunk, norm, None, device);
        net.forward_t(&x, false)
            .cross_entropy_for_logits(&y)
            .backward();
        tch::no_grad(|| {
            for (i, n) in names.iter().enumerate() {
                let g = vars[n].grad();
                g1[i] += &g;
                g2[i] += &g * &g;
            }
        });
    }
    let nb = chunks.len() as f64;
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let w = &vars[n];
            let s = tch::no_grad(|| match cfg.injury.selection {
                Selection::Obd => (&g2[i] / nb) * w * w * 0.5,
                _ => ((&g1[i] / nb) * w).abs(),
            });
            Vec::<f32>::try_from(s.to_device(Device::Cpu).to_kind(Kind::Float).flatten(0, -1))
                .expect("float scores")
        })
        .collect()
}

/// Retrains the healthy synapses (biases and BatchNorm stay trainable) as the regime says.
#[allow(clippy::too_many_arguments)]
fn retrain(
    net: &Network,
    vs: &nn::VarStore,
    names: &[String],
    states: &SynapseStates,
    train: &Dataset,
    norm: &Normalization,
    r: &RegimeConfig,
    cfg: &ExperimentConfig,
    step: Step,
    device: Device,
) -> Result<()> {
    let draw = if r.fresh_draw {
        step.iteration as u64
    } else {
        0
    };
    // Keyed by name, not position: `--regimes` subsets and merges reproduce the full run.
    let regime_key = seed::name_key(&r.name);
    let mut rng = seed::rng(cfg.seed, &[20, regime_key, step.cycle as u64, draw]);
    let subset = match r.images {
        None => None,
        Some(n) if r.balanced => Some(data::balanced_subset(train, n, &mut rng)?),
        Some(n) => Some(
            data::random_subset(train.len(), n, &mut rng)
                .with_context(|| format!("regime {}: images", r.name))?,
        ),
    };
    let tc = TrainConfig {
        epochs: r.epochs,
        batch_size: r.batch_size,
        sgd: SgdConfig {
            lr: r.lr,
            momentum: r.momentum,
            weight_decay: r.weight_decay,
            nesterov: false,
        },
        schedule: LrSchedule::Constant,
        augment: r.augment.then_some(crate::data::Augment::CIFAR),
    };
    let mut opt = MaskedSgd::new(vs, tc.sgd.clone());
    for (layer, name) in states.layers.iter().zip(names) {
        if layer.healthy() < layer.len() {
            let m = Tensor::from_slice(&layer.healthy_mask()).view(
                layer
                    .shape
                    .iter()
                    .map(|&d| d as i64)
                    .collect::<Vec<_>>()
                    .as_slice(),
            );
            opt.set_mask(name, Some(&m)).map_err(anyhow::Error::msg)?;
        }
    }
    let n = subset.as_ref().map_or(train.len(), |s| s.len());
    let spe = n.div_ceil(tc.batch_size);
    tch::manual_seed(seed::derive(
        cfg.seed,
        &[22, regime_key, step.cycle as u64, step.iteration as u64],
    ) as i64);
    for e in 0..tc.epochs {
        let mut erng = seed::rng(
            cfg.seed,
            &[
                21,
                regime_key,
                step.cycle as u64,
                step.iteration as u64,
                e as u64,
            ],
        );
        train_epoch(
            net,
            &mut opt,
            train,
            subset.as_deref(),
            norm,
            &tc,
            e * spe,
            spe * tc.epochs,
            device,
            &mut erng,
            |_, _, _| {},
        );
    }
    Ok(())
}

fn state_paths(out: &Path, k: usize) -> (PathBuf, PathBuf) {
    let dir = out.join("state");
    (
        dir.join(format!("step-{k}.weights.safetensors")),
        dir.join(format!("step-{k}.synapses.safetensors")),
    )
}

fn save_state(out: &Path, k: usize, vs: &nn::VarStore, states: &SynapseStates) -> Result<()> {
    let (w, s) = state_paths(out, k);
    let named: Vec<(String, Tensor)> = vs
        .variables()
        .into_iter()
        .map(|(n, t)| (n, t.to_device(Device::Cpu)))
        .collect();
    checkpoint::write_tensors(&w, &named)?;
    let st: Vec<(String, Tensor)> = states
        .layers
        .iter()
        .map(|l| (l.name.clone(), Tensor::from_slice(&l.state)))
        .collect();
    checkpoint::write_tensors(&s, &st)?;
    Ok(())
}

fn load_state(out: &Path, k: usize, vs: &nn::VarStore, states: &mut SynapseStates) -> Result<()> {
    let (w, s) = state_paths(out, k);
    let named = checkpoint::read_tensors(&w)?;
    restore(vs, &named);
    let st = checkpoint::read_tensors(&s)?;
    for layer in &mut states.layers {
        let t = st
            .iter()
            .find(|(n, _)| *n == layer.name)
            .with_context(|| format!("{}: no synapse states for {}", s.display(), layer.name))?;
        layer.state = Vec::<i32>::try_from(&t.1)
            .with_context(|| format!("{}: synapse states of {}", s.display(), layer.name))?;
    }
    Ok(())
}

/// Removes every file of `out/state` but the state of step `keep` (and the folder when empty).
fn clean_state(out: &Path, keep: Option<usize>) {
    let dir = out.join("state");
    let kept: Vec<PathBuf> = keep
        .map(|k| {
            let (w, s) = state_paths(out, k);
            vec![w, s]
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

fn remove_state(out: &Path, k: usize) {
    let (w, s) = state_paths(out, k);
    let _ = std::fs::remove_file(w);
    let _ = std::fs::remove_file(s);
}

/// Writes `metrics.csv` and `summary.csv` (and `rdm_tau.csv`, `pathways.csv` when those
/// analyses run) from the progress record.
pub fn write_tables(out: &Path, p: &Progress) -> Result<()> {
    crate::fsio::write_atomic(&out.join("metrics.csv"), metrics_csv(&p.rows).as_bytes())?;
    crate::fsio::write_atomic(&out.join("summary.csv"), summary_csv(&p.rows).as_bytes())?;
    if p.config.analyses.iter().any(|a| a == "rdm") {
        crate::fsio::write_atomic(&out.join("rdm_tau.csv"), tau_csv(&p.tau_rows).as_bytes())?;
    }
    if p.config.analyses.iter().any(|a| a == "pathways") {
        crate::fsio::write_atomic(
            &out.join("pathways.csv"),
            pathways_csv(&p.pathway_rows).as_bytes(),
        )?;
    }
    Ok(())
}

fn write_run_json(
    out: &Path,
    cfg: &ExperimentConfig,
    opts: &RunOptions,
    p: &Progress,
    healthy_s: f64,
    total_s: f64,
    finished: bool,
) -> Result<()> {
    let all = steps(cfg, opts.shard).len();
    let v = serde_json::json!({
        "atrophy_version": env!("CARGO_PKG_VERSION"),
        "config": cfg,
        "seed": cfg.seed,
        "shard": opts.shard,
        "backend": { "library": "libtorch 2.13.0 via tch 0.26", "device": crate::device::describe(opts.device) },
        "steps_total": all,
        "steps_completed": p.completed,
        "finished": finished && p.completed == all,
        "timings": {
            "healthy_seconds_this_session": healthy_s,
            "session_seconds": total_s,
            "step_seconds_sum": p.rows.iter().map(|r| r.seconds).sum::<f64>(),
        },
    });
    crate::fsio::write_atomic(
        &out.join("run.json"),
        serde_json::to_string_pretty(&v)?.as_bytes(),
    )?;
    Ok(())
}
