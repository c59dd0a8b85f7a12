//! The experiment runner: for each regime x cycle x iteration, injure -> evaluate -> (analyses)
//! -> (homeostasis: re-estimate BatchNorm statistics -> evaluate -> analyses) -> retrain (and
//! re-estimate again) -> evaluate -> (analyses) -> record. The record and the state the next step starts
//! from are written after every step, so a stopped run continues where it stopped and ends with
//! the numbers an uninterrupted run gives.
use super::analyses::Analyzer;
use super::config::{ExperimentConfig, Rule};
use super::homeostasis::homeostasis;
use super::record::{steps, RunRecord, Step};
use super::retrain::{optimizer, retrain, saliency};
use super::step_state;
use super::subject::Subject;
use crate::data::{self, Dataset, Split};
use crate::injury::Selection;
use crate::results::{Evaluation, MetricRow, State, StateKey, SuperclassRow};
use crate::seed::{self, stream};
use crate::train::MaskedSgd;
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tch::Device;

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
    /// Where the healthy model of a `[healthy.train]` config comes from.
    pub healthy: HealthySource,
    /// When another live process runs in the results folder: wait for it to finish (true) or
    /// stop at once with an error that names it (false).
    pub wait: bool,
}

/// Where the healthy model of a `[healthy.train]` config comes from: one model per experiment,
/// never one per shard.
#[derive(Clone, Debug)]
pub enum HealthySource {
    /// Trained into this folder, or its training continued, under `FOLDER.lock`: a whole run,
    /// or `atrophy run --stage healthy`. A process that finds another one training it waits and
    /// then uses its model.
    Train(PathBuf),
    /// The model finished in this folder by the healthy stage, waited for while a live process
    /// trains it; never trained here (a shard). When there is none, the error says to run
    /// `command`.
    Reuse {
        /// The healthy folder of the experiment.
        dir: PathBuf,
        /// The command that makes it, for the error message.
        command: String,
    },
}

/// Runs (or continues) the experiment into `opts.out`.
pub fn run(cfg: &ExperimentConfig, opts: &RunOptions) -> Result<RunRecord> {
    let (split, _lock, mut record) = open_folder(cfg, opts)?;
    let out = &opts.out;
    let clock = Instant::now();
    let (mut subject, eval_set, healthy, analyzer, healthy_seconds) =
        healthy_state(cfg, &split, opts, &mut record)?;
    // The battery of the healthy model, measured while it is healthy (before a resume).
    let battery = super::battery::Battery::new(cfg, &split.test);
    let healthy_battery = battery.as_ref().map(|b| {
        b.measure(
            &subject,
            &state_key(
                cfg,
                Step {
                    regime: 0,
                    cycle: 0,
                    iteration: 1,
                },
                0,
                0.0,
                State::Healthy,
            ),
        )
    });

    let all = steps(cfg, opts.shard);
    let bar = crate::progress::steps_bar_if(opts.progress, all.len() as u64, "run");
    bar.set_position(record.completed as u64);
    let mut kept = resume(out, &record, &all, cfg, &mut subject)?;
    record.write_tables(out)?;
    record.write_run_json(cfg, out, opts.device, healthy_seconds, clock, false)?;
    for (k, &step) in all.iter().enumerate().skip(record.completed) {
        let regime = &cfg.regimes[step.regime];
        if step.iteration == 1 {
            subject.reset();
            kept = None;
            let key = state_key(cfg, step, 0, 0.0, State::Healthy);
            record
                .superclass_rows
                .extend(SuperclassRow::new(&key, &healthy));
            if let Some(b) = &healthy_battery {
                record.battery_rows.push(crate::results::BatteryRow {
                    key: key.clone(),
                    values: b.values.clone(),
                });
            }
            record.rows.push(MetricRow::new(key, &healthy, 0.0));
        } else if record.cycle_ended(&regime.name, step.cycle) {
            // The cycle diverged at an earlier iteration: a NaN network has nothing left to
            // lose or relearn (docs/PROTOCOLS.md, "Divergence"). The step is done, empty.
            commit(out, &mut record, &subject, None, k, true)?;
            bar.inc(1);
            continue;
        }
        let t = Instant::now();
        injure(&mut subject, cfg, &split.train, step)?;
        let at = |state| {
            let fraction = subject.states.fraction_injured();
            state_key(cfg, step, step.iteration, fraction, state)
        };
        let damage = super::progression::damage_rows(&subject, &at(State::Injured), step.iteration);
        record.damage_rows.extend(damage);
        let m = Measure {
            cfg,
            subject: &subject,
            analyzer: &analyzer,
            battery: battery.as_ref(),
            eval_set: &eval_set,
            out,
            bar: &bar,
        };
        let mut ended = m.record(&mut record, at(State::Injured), t)?;
        let t = Instant::now();
        if !ended && homeostasis(&subject, &split.train, regime, cfg.seed, step)? {
            ended = m.record(&mut record, at(State::Recalibrated), t)?;
        }
        if !ended && !regime.is_static {
            let t = Instant::now();
            match regime.rule {
                Rule::Backprop => {
                    retrain(&subject, &split.train, regime, cfg.seed, step, &mut kept)?
                }
                Rule::Oja => {
                    super::hebbian::local_retrain(&subject, &split.train, regime, cfg.seed, step)?
                }
            }
            homeostasis(&subject, &split.train, regime, cfg.seed, step)?;
            ended = m.record(&mut record, at(State::Retrained), t)?;
        }
        if cfg.save_models {
            let last = record.rows.last().expect("a step adds rows");
            super::models::save_step(out, &subject, &split.name, last)?;
        }
        let last_of_cycle = step.iteration == cfg.injury.iterations;
        commit(
            out,
            &mut record,
            &subject,
            kept.as_ref(),
            k,
            last_of_cycle || ended,
        )?;
        let last = record.rows.last().expect("a step adds rows");
        let done = format!(
            "{} cycle {} iteration {}: {} top-1 {:.3}",
            regime.name, step.cycle, step.iteration, last.key.state, last.top1
        );
        if bar.is_hidden() {
            // Without bars (a log file, `--quiet`) a line per step: hours of work stay visible.
            eprintln!("step {}/{}  {done}", k + 1, all.len());
        }
        bar.set_message(done);
        bar.inc(1);
    }
    bar.finish_and_clear();
    step_state::clean(out, None);
    record.write_run_json(cfg, out, opts.device, healthy_seconds, clock, true)?;
    Ok(record)
}

/// Everything before any work: the config checked against the data set's sizes, then the
/// results folder made, locked (one process per folder) and its record opened, and what a run
/// killed mid-write left there removed.
fn open_folder(
    cfg: &ExperimentConfig,
    opts: &RunOptions,
) -> Result<(Split, super::lock::Lock, RunRecord)> {
    cfg.validate()?;
    // Everything the data set's size decides is checked before the folder exists or any work.
    let split = data::load_or_fetch(&cfg.data.dataset, cfg.data.path.as_deref(), opts.progress)?;
    cfg.check_data(&split)?;
    let out = &opts.out;
    std::fs::create_dir_all(out).map_err(|e| anyhow::anyhow!("creating {}: {e}", out.display()))?;
    // One process per results folder: two would write the same steps' files.
    let lock = super::lock::hold_folder(out, opts.wait)?;
    let record = RunRecord::open(out, cfg, opts.shard)?;
    // A run killed mid-write left its temporary files; they are nobody's now. Only in what this
    // run alone writes: the healthy folder is cleaned by whoever holds its lock.
    crate::fsio::remove_stale_temporaries(out, 0);
    for sub in ["cka", "rdm", "state", "models"] {
        crate::fsio::remove_stale_temporaries(&out.join(sub), 1);
    }
    Ok((split, lock, record))
}

/// The healthy model loaded as the subject (trained first if need be) and checked against the
/// config, the evaluation set, the healthy evaluation (recorded once) and the analyses with
/// their healthy references written; with the seconds spent getting the healthy model.
fn healthy_state(
    cfg: &ExperimentConfig,
    split: &Split,
    opts: &RunOptions,
    record: &mut RunRecord,
) -> Result<(Subject, Dataset, Evaluation, Analyzer, f64)> {
    let out = &opts.out;
    let (checkpoint, healthy_seconds) = healthy_checkpoint(cfg, split, opts)?;
    let mut subject = Subject::load(&checkpoint, split, &cfg.injury, opts.device)?;
    subject.disease = super::progression::set_up(&cfg.injury, &subject, &split.train)?;
    cfg.check_against(
        subject.net.has_batch_norm(),
        subject.net.torchscript().is_some(),
        // Recalibration draws among the images the healthy model saw.
        subject.pools().seen_len(split.train.len()),
    )?;
    let layers: Vec<String> = (subject.synapse_names.iter())
        .map(|n| n.trim_end_matches(".weight").to_string())
        .collect();
    cfg.check_regimes_fit(subject.unseen.as_ref().map(Vec::len), &layers)?;
    record.synapses = Some(subject.states.count());
    let eval_set = evaluation_set(split, cfg)?;
    let healthy = record
        .healthy
        .get_or_insert_with(|| subject.evaluate(&eval_set))
        .clone();
    let analyzer = Analyzer::new(
        &subject,
        &eval_set,
        &split.test,
        &cfg.analysis,
        &cfg.analyses,
    )?;
    analyzer.write_healthy(out)?;
    Ok((subject, eval_set, healthy, analyzer, healthy_seconds))
}

/// The healthy model's checkpoint: the config's, or the experiment's one (`opts.healthy`;
/// training is itself resumable); with the seconds this process spent getting it.
pub fn healthy_checkpoint(
    cfg: &ExperimentConfig,
    split: &Split,
    opts: &RunOptions,
) -> Result<(PathBuf, f64)> {
    let t = Instant::now();
    let path = match (&cfg.healthy.checkpoint, &cfg.healthy.train) {
        (Some(c), _) => c.clone(),
        (None, Some(opt)) => {
            let spec = opt
                .to_spec(split)
                .map_err(|e| anyhow::anyhow!("healthy.train: {e}"))?;
            match &opts.healthy {
                HealthySource::Train(dir) => {
                    super::healthy_stage::train_once(&spec, split, dir, opts.device, opts.progress)?
                }
                HealthySource::Reuse { dir, command } => {
                    super::healthy_stage::wait_for(&spec, dir, command)?
                }
            }
        }
        (None, None) => unreachable!("validated"),
    };
    Ok((path, t.elapsed().as_secs_f64()))
}

/// The fixed evaluation set: the whole test set, or a seeded random subset of it.
fn evaluation_set(split: &Split, cfg: &ExperimentConfig) -> Result<Dataset> {
    let Some(n) = cfg.data.eval_images else {
        return Ok(split.test.clone());
    };
    if n > split.test.len() {
        bail!(
            "data.eval_images = {n} is out of range: the {} test set has {} images",
            split.name,
            split.test.len()
        );
    }
    let mut rng = seed::rng(cfg.seed, &[stream::EVAL_SUBSET]);
    let mut ix = data::random_subset(split.test.len(), n, &mut rng)?;
    ix.sort_unstable();
    Ok(split.test.select(&ix))
}

/// A stopped run continues mid-cycle from the state its last step left (with the optimizer a
/// regime keeps across iterations).
fn resume(
    out: &Path,
    record: &RunRecord,
    all: &[Step],
    cfg: &ExperimentConfig,
    s: &mut Subject,
) -> Result<Option<MaskedSgd>> {
    let next = record.completed;
    let mut kept = None;
    let ended = |s: &Step| record.cycle_ended(&cfg.regimes[s.regime].name, s.cycle);
    if next > 0 && next < all.len() && all[next].iteration > 1 && !ended(&all[next]) {
        let buffers = step_state::load(out, next, s)?;
        let regime = &cfg.regimes[all[next].regime];
        match (regime.keep_optimizer, buffers) {
            (true, Some(b)) => {
                let mut opt = optimizer(s, regime);
                opt.load_buffers(b)?;
                kept = Some(opt);
            }
            // A fresh optimizer would change the numbers the run gives.
            (true, None) => anyhow::bail!(
                "{}: the momentum of regime {} (keep_optimizer) is missing; the run cannot \
                 continue to the numbers an uninterrupted run gives (remove the folder to \
                 start over)",
                out.join("state").display(),
                regime.name
            ),
            _ => {}
        }
    }
    // A run killed mid-step can leave the state of a step already recorded, or a half-written
    // temporary file: only the state of the step to run next is still wanted.
    step_state::clean(out, Some(next));
    Ok(kept)
}

fn state_key(
    cfg: &ExperimentConfig,
    step: Step,
    iteration: usize,
    fraction_injured: f64,
    state: State,
) -> StateKey {
    StateKey {
        regime: cfg.regimes[step.regime].name.clone(),
        cycle: step.cycle,
        iteration,
        fraction_injured,
        state,
    }
}

/// The injury of `step`: the synapses chosen depend on the cycle and iteration, not on the
/// regime, so every regime of a cycle loses the same synapses under random selection.
fn injure(s: &mut Subject, cfg: &ExperimentConfig, train: &Dataset, step: Step) -> Result<()> {
    let (cycle, iteration) = (step.cycle as u64, step.iteration as u64);
    let mut rng = seed::rng(cfg.seed, &[stream::INJURY, cycle, iteration]);
    let selection = cfg.injury.selection;
    let scores = matches!(selection, Selection::Obd | Selection::Taylor).then(|| {
        saliency(
            s,
            train,
            selection,
            cfg.injury.saliency_batches,
            cfg.seed,
            step,
        )
    });
    s.injure(&cfg.injury, step.iteration, scores.as_deref(), &mut rng)
}

/// What measuring a state needs: the config, the model, the analyses, the evaluation set, the
/// folder, and the progress bar its warnings print above.
struct Measure<'a> {
    cfg: &'a ExperimentConfig,
    subject: &'a Subject,
    analyzer: &'a Analyzer,
    battery: Option<&'a super::battery::Battery>,
    eval_set: &'a Dataset,
    out: &'a Path,
    bar: &'a indicatif::ProgressBar,
}

impl Measure<'_> {
    /// Evaluates the current state, runs the analyses and records their rows; `since` is when
    /// the work that led to this state began. A state that diverged or exploded is recorded as
    /// it is and flagged ([`crate::results::divergence`]); a diverged one skips the analyses,
    /// which need finite weights, and the result is true: its cycle ends.
    fn record(&self, record: &mut RunRecord, key: StateKey, since: Instant) -> Result<bool> {
        let e: Evaluation = self.subject.evaluate(self.eval_set);
        let seconds = since.elapsed().as_secs_f64();
        let non_finite = super::divergence::first_non_finite(&self.subject.vs);
        let flag = super::divergence::judge(self.cfg, &key, &e, non_finite.as_deref());
        let diverged = flag
            .as_ref()
            .is_some_and(|f| f.kind == crate::results::Divergence::Diverged);
        if !diverged {
            let m = self.analyzer.measure(self.subject, &key, self.out)?;
            record.tau_rows.extend(m.taus);
            record.pathway_rows.extend(m.pathways);
            if let Some(b) = self.battery {
                record.battery_rows.push(b.measure(self.subject, &key));
            }
        }
        record.superclass_rows.extend(SuperclassRow::new(&key, &e));
        record.rows.push(MetricRow::new(key, &e, seconds));
        if let Some(f) = flag {
            let warning = format!(
                "warning: {} cycle {} iteration {} ({}) {}: top-1 {:.4}, loss {}; {}",
                f.key.regime,
                f.key.cycle,
                f.key.iteration,
                f.key.state,
                f.kind,
                f.top1,
                f.loss,
                f.note
            );
            crate::progress::say(self.bar, warning);
            record.divergence_rows.push(f);
        }
        Ok(diverged)
    }
}

/// Ends step `k`: the state step k+1 starts from first, then the record that points at it, then
/// the tables. A stop at any point leaves a folder that resumes to the same numbers.
fn commit(
    out: &Path,
    record: &mut RunRecord,
    s: &Subject,
    kept: Option<&MaskedSgd>,
    k: usize,
    last_of_cycle: bool,
) -> Result<()> {
    if !last_of_cycle {
        step_state::save(out, k + 1, s, kept)?;
    }
    record.completed = k + 1;
    record.save(out)?;
    step_state::remove(out, k);
    if last_of_cycle {
        step_state::remove(out, k + 1);
    }
    record.write_tables(out)
}
