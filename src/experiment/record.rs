//! The run record (`progress.json`): the config that made a results folder, how many steps are
//! done and every row so far. It is written atomically after each step, so a stopped run
//! continues where it stopped and ends with the numbers an uninterrupted run gives; the tables
//! are written from it.
use super::config::{Analysis, ExperimentConfig};
use crate::injury::SynapseCount;
use crate::results::{
    summarize, write_table, Divergence, DivergenceRow, Evaluation, MetricRow, PathwayRow,
    SummaryRow, SuperclassRow, TauRow, DIVERGENCE_FILE,
};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

/// The record's file in a results folder.
pub const RECORD_FILE: &str = "progress.json";

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

/// What a results folder holds: enough to continue a run, and to refuse another config.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunRecord {
    /// The config that made this folder.
    pub config: ExperimentConfig,
    /// The shard `(i, n)` this folder holds, if any.
    pub shard: Option<(usize, usize)>,
    /// Steps finished, in the order of [`steps`].
    pub completed: usize,
    /// The healthy model's evaluation.
    pub healthy: Option<Evaluation>,
    /// Every row of `metrics.csv` so far.
    pub rows: Vec<MetricRow>,
    /// Kendall tau of each state's RDM against the healthy RDM.
    #[serde(default)]
    pub tau_rows: Vec<TauRow>,
    /// Pathway overlaps of each state.
    #[serde(default)]
    pub pathway_rows: Vec<PathwayRow>,
    /// Superclass metrics of each state, for a data set with superclasses.
    #[serde(default)]
    pub superclass_rows: Vec<SuperclassRow>,
    /// The network's synapses and those injury may reach (absent in folders of atrophy
    /// 0.1.0 before 2026-11-30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synapses: Option<SynapseCount>,
    /// States that diverged or exploded (`divergence.csv`), in run order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub divergence_rows: Vec<DivergenceRow>,
    /// The visual test battery of each state (`battery.csv`), in run order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub battery_rows: Vec<crate::results::BatteryRow>,
    /// The damage map of a progression model (`damage.csv`), in run order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub damage_rows: Vec<crate::results::DamageRow>,
}

/// Where two configs differ: the first top-level field, then the innermost fields in words,
/// each side named by its label (`` field `cycles` differs: `cycles`: 3 recorded, 5 given ``).
pub(crate) fn first_difference(
    a: &ExperimentConfig,
    b: &ExperimentConfig,
    labels: (&str, &str),
) -> String {
    // Both sides' fields, a default left out of one side's JSON (such as save_models = false)
    // included: `differences` names a field absent from one side.
    let d = crate::config::differences(
        &serde_json::to_value(a).unwrap_or_default(),
        &serde_json::to_value(b).unwrap_or_default(),
    );
    let words = crate::config::describe_differences(&d, labels.0, labels.1);
    match d.first() {
        Some(first) => {
            let top = first.path.split(['.', '[']).next().unwrap_or_default();
            format!("field `{top}` differs: {words}")
        }
        None => words,
    }
}

/// A shard in words: `shard 0/4`, or `the whole run`.
fn describe_shard(shard: Option<(usize, usize)>) -> String {
    match shard {
        Some((i, n)) => format!("shard {i}/{n}"),
        None => "the whole run".into(),
    }
}

impl RunRecord {
    /// The record of `out`, or a new one; an error when `out` holds another config or shard.
    pub fn open(out: &Path, cfg: &ExperimentConfig, shard: Option<(usize, usize)>) -> Result<Self> {
        let mut config = cfg.clone();
        config.out = None;
        let file = out.join(RECORD_FILE);
        if !file.is_file() {
            return Ok(RunRecord {
                config,
                shard,
                completed: 0,
                healthy: None,
                rows: Vec::new(),
                tau_rows: Vec::new(),
                pathway_rows: Vec::new(),
                superclass_rows: Vec::new(),
                synapses: None,
                divergence_rows: Vec::new(),
                battery_rows: Vec::new(),
                damage_rows: Vec::new(),
            });
        }
        let r = Self::read(out)?;
        if r.config != config {
            bail!(
                "{} holds results of a different config ({}); use another --out, or remove the folder to start over",
                out.display(),
                first_difference(&r.config, &config, ("recorded", "given"))
            );
        }
        if r.shard != shard {
            bail!(
                "{} holds {}, not {}; use another --out",
                out.display(),
                describe_shard(r.shard),
                describe_shard(shard)
            );
        }
        Ok(r)
    }

    /// Reads the record of the results folder `dir`.
    pub fn read(dir: &Path) -> Result<Self> {
        let f = dir.join(RECORD_FILE);
        let bytes = std::fs::read(&f).with_context(|| {
            format!("{}: not a results folder (no {RECORD_FILE})", dir.display())
        })?;
        serde_json::from_slice(&bytes)
            .with_context(|| format!("{}: unreadable run record", f.display()))
    }

    /// Writes the record into `out`, atomically.
    pub fn save(&self, out: &Path) -> Result<()> {
        crate::fsio::write_atomic(&out.join(RECORD_FILE), &serde_json::to_vec(self)?)?;
        Ok(())
    }

    /// Whether `regime`'s cycle `cycle` has ended early: a state of it diverged.
    pub fn cycle_ended(&self, regime: &str, cycle: usize) -> bool {
        self.divergence_rows.iter().any(|d| {
            d.kind == Divergence::Diverged && d.key.regime == regime && d.key.cycle == cycle
        })
    }

    /// The rows of `summary.csv`.
    pub fn summary(&self) -> Vec<SummaryRow> {
        summarize(&self.rows)
    }

    /// Writes `metrics.csv` and `summary.csv` (and `rdm_tau.csv`, `pathways.csv` when those
    /// analyses run, `superclass.csv` for a data set with superclasses, `divergence.csv` when
    /// a state diverged or exploded).
    pub fn write_tables(&self, out: &Path) -> Result<()> {
        let classes = self.rows.first().map_or(0, |r| r.per_class.len());
        write_table(
            &out.join("metrics.csv"),
            &MetricRow::header(classes),
            &self.rows,
        )?;
        write_table(
            &out.join("summary.csv"),
            &SummaryRow::header(),
            &self.summary(),
        )?;
        if self.config.analyses.contains(&Analysis::Rdm) {
            let (header, cells) = TauRow::table(&self.tau_rows);
            write_table(&out.join("rdm_tau.csv"), &header, &cells)?;
        }
        if !self.superclass_rows.is_empty() {
            write_table(
                &out.join("superclass.csv"),
                &SuperclassRow::header(),
                &self.superclass_rows,
            )?;
        }
        if self.config.analyses.contains(&Analysis::Pathways) {
            write_table(
                &out.join("pathways.csv"),
                &PathwayRow::header(),
                &self.pathway_rows,
            )?;
        }
        if self.config.analyses.contains(&Analysis::Battery) {
            let columns = self.config.battery.columns();
            write_table(
                &out.join(crate::results::BATTERY_FILE),
                &crate::results::BatteryRow::header(&columns),
                &self.battery_rows,
            )?;
        }
        if self.config.injury.progression != crate::injury::Progression::Uniform {
            write_table(
                &out.join(crate::results::DAMAGE_FILE),
                &crate::results::DamageRow::header(),
                &self.damage_rows,
            )?;
        }
        if !self.divergence_rows.is_empty() {
            write_table(
                &out.join(DIVERGENCE_FILE),
                &DivergenceRow::header(),
                &self.divergence_rows,
            )?;
        }
        Ok(())
    }

    /// Writes `run.json`: the config as given, seed, shard, backend, progress and timings of this
    /// session (`healthy_seconds` spent training the healthy model, the session since `session`).
    pub fn write_run_json(
        &self,
        cfg: &ExperimentConfig,
        out: &Path,
        device: tch::Device,
        healthy_seconds: f64,
        session: Instant,
        finished: bool,
    ) -> Result<()> {
        let all = steps(cfg, self.shard).len();
        let v = serde_json::json!({
            "atrophy_version": env!("CARGO_PKG_VERSION"),
            "format_version": crate::results::FORMAT_VERSION,
            "config": cfg,
            "seed": cfg.seed,
            "shard": self.shard,
            "backend": { "library": "libtorch 2.13.0 via tch 0.26", "device": crate::device::describe(device) },
            "steps_total": all,
            "steps_completed": self.completed,
            "finished": finished && self.completed == all,
            "synapses": self.synapses,
            "timings": {
                "healthy_seconds_this_session": healthy_seconds,
                "session_seconds": session.elapsed().as_secs_f64(),
                "step_seconds_sum": self.rows.iter().map(|r| r.seconds).sum::<f64>(),
            },
        });
        crate::fsio::write_atomic(
            &out.join("run.json"),
            serde_json::to_string_pretty(&v)?.as_bytes(),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder holds one config and one shard: another of either is refused in words.
    #[test]
    fn a_folder_refuses_another_config_or_shard() {
        let text = "name = \"t\"\ncycles = 4\n[data]\ndataset = \"synthetic\"\n[healthy]\n\
                    checkpoint = \"m\"\n[injury]\nkind = \"decay\"\niterations = 2\n\
                    [[regime]]\nname = \"R\"\nimages = 10";
        let cfg = ExperimentConfig::from_toml(text, "t.toml").unwrap();
        let d = tempfile::tempdir().unwrap();
        RunRecord::open(d.path(), &cfg, Some((1, 2)))
            .unwrap()
            .save(d.path())
            .unwrap();
        assert_eq!(
            RunRecord::open(d.path(), &cfg, Some((1, 2))).unwrap().shard,
            Some((1, 2))
        );
        let e = RunRecord::open(d.path(), &cfg, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("holds shard 1/2, not the whole run"), "{e}");
        let e = RunRecord::open(d.path(), &cfg, Some((0, 2)))
            .unwrap_err()
            .to_string();
        assert!(e.contains("holds shard 1/2, not shard 0/2"), "{e}");
        let other =
            ExperimentConfig::from_toml(&text.replace("cycles = 4", "cycles = 5"), "t").unwrap();
        let e = RunRecord::open(d.path(), &other, Some((1, 2)))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("different config") && e.contains("`cycles`"),
            "{e}"
        );
        // A key the folder's config left out (save_models = false is not written) is named too.
        let more =
            ExperimentConfig::from_toml(&format!("save_models = true\n{text}"), "t").unwrap();
        let e = RunRecord::open(d.path(), &more, Some((1, 2)))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`save_models`"), "{e}");
        // Shard i of n: cycles c with c mod n = i.
        let cycles: Vec<usize> = steps(&cfg, Some((1, 2))).iter().map(|s| s.cycle).collect();
        assert_eq!(cycles, [1, 1, 3, 3]);
    }
}
