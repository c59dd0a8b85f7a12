//! Reading a results directory (the report knows nothing else of the project): the tables,
//! the CKA matrices, the RDMs and the run record. A partial directory reads as what exists.
//! What the figures draw is prepared from them in [`prepare`].
pub mod prepare;

pub use prepare::{pathways_by_state, Level};

use crate::config::{ExperimentConfig, RegimeConfig};
use crate::injury::SynapseCount;
use crate::results::{
    read_table, DivergenceRow, EpochRow, MetricRow, PathwayRow, SummaryRow, TauRow, DIVERGENCE_FILE,
};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What the report reads of `run.json`, typed: the config as this atrophy's types read it (a
/// renamed or mistyped field is a warning that names it, never a silent default) and the
/// synapse counts.
#[derive(Clone, Debug, Default)]
pub struct RunInfo {
    /// `config`, when it reads.
    pub config: Option<ExperimentConfig>,
    /// `synapses`, when recorded.
    pub synapses: Option<SynapseCount>,
}

impl RunInfo {
    /// The typed parts of `run` (run.json's value); `path` names it in the warning a config
    /// that does not read gives.
    pub fn of(run: &serde_json::Value, path: &Path) -> RunInfo {
        let config = run.get("config").and_then(|c| {
            serde_json::from_value::<ExperimentConfig>(c.clone())
                .map_err(|e| {
                    eprintln!(
                        "warning: {}: its config does not read as atrophy {}'s ({e}); the \
                         report shows no paper figures and no settings taken from it",
                        path.display(),
                        env!("CARGO_PKG_VERSION")
                    )
                })
                .ok()
        });
        let synapses = serde_json::from_value(run["synapses"].clone()).ok();
        RunInfo { config, synapses }
    }

    /// The config's regime named `name`.
    pub fn regime(&self, name: &str) -> Option<&RegimeConfig> {
        self.config
            .as_ref()?
            .regimes
            .iter()
            .find(|g| g.name == name)
    }
}

/// Everything a report shows.
pub struct Results {
    /// The folder.
    pub dir: PathBuf,
    /// `run.json`, if present.
    pub run: Option<serde_json::Value>,
    /// Its config and synapse counts, typed.
    pub info: RunInfo,
    /// `metrics.csv`.
    pub metrics: Vec<MetricRow>,
    /// Per-class columns of `metrics.csv`.
    pub classes: usize,
    /// `summary.csv`.
    pub summary: Option<Vec<SummaryRow>>,
    /// `rdm_tau.csv`.
    pub taus: Option<Vec<TauRow>>,
    /// `pathways.csv`.
    pub pathways: Option<Vec<PathwayRow>>,
    /// `healthy/train_log.csv`.
    pub train_log: Option<Vec<EpochRow>>,
    /// `divergence.csv`: the states that diverged or exploded (empty when there is none).
    pub divergence: Vec<DivergenceRow>,
    /// `battery.csv`: the visual test battery, with its tests' names and levels.
    pub battery: Option<BatteryTable>,
    /// `damage.csv`: a progression model's damage map.
    pub damage: Option<Vec<crate::results::DamageRow>>,
    /// CKA matrices by file stem (`REGIME_cC_iI_STATE`).
    pub cka: BTreeMap<String, ndarray::Array2<f64>>,
    /// Names of the CKA matrices' layers.
    pub cka_layers: Vec<String>,
    /// RDMs by file stem (cycle 0, plus `healthy`); their images' labels are `rdm_labels`.
    pub rdms: BTreeMap<String, ndarray::Array2<f64>>,
    /// Labels of the analysis images.
    pub rdm_labels: Option<Vec<usize>>,
    /// Whether the run is complete.
    pub finished: bool,
    /// Injury confined to some layers: every fraction injured above counts those layers'
    /// synapses, not the whole network's.
    pub confined: Option<Confined>,
}

/// The injury iterations a complete cycle reaches: the config's in `run.json`, else (a folder
/// without one) the highest iteration in `metrics`. A cycle that a stopped run left short of
/// it does not count in the ranking.
pub fn run_iterations(config: Option<&ExperimentConfig>, metrics: &[MetricRow]) -> usize {
    config
        .map(|c| c.injury.iterations)
        .unwrap_or_else(|| metrics.iter().map(|r| r.key.iteration).max().unwrap_or(0))
}

/// `battery.csv`'s tests (name, levels) and rows.
pub type BatteryTable = (Vec<(String, Vec<f64>)>, Vec<crate::results::BatteryRow>);

/// `battery.csv` with the columns its config names (none without the battery).
fn read_battery(dir: &Path, config: Option<&ExperimentConfig>) -> Result<Option<BatteryTable>> {
    let Some(c) = config.filter(|c| c.analyses.contains(&crate::config::Analysis::Battery)) else {
        return Ok(None);
    };
    let columns = c.battery.columns();
    let rows = read_table(&dir.join(crate::results::BATTERY_FILE), |_| {
        crate::results::BatteryRow::header(&columns)
    })?;
    Ok(rows.map(|r| (columns, r)))
}

/// Injury confined to some layers (`[injury] layers`), as `run.json` records it.
#[derive(Clone, Debug, PartialEq)]
pub struct Confined {
    /// The config's layer patterns, e.g. `["V1"]`.
    pub layers: Vec<String>,
    /// The share of the network's synapses in those layers, in (0, 1).
    pub share: f64,
}

impl Confined {
    /// The confinement `run` (run.json) records: its `synapses` counts, when injury could reach
    /// fewer synapses than the network has. None for a whole-network injury, or a folder written
    /// before the counts were recorded.
    pub fn of(run: &RunInfo) -> Option<Confined> {
        let layers = run.config.as_ref().map_or(&[][..], |c| &c.injury.layers);
        Confined::from_counts(run.synapses?, layers)
    }

    /// Whether `run` confines injury to some layers but records no synapse counts (a folder of
    /// atrophy 0.1.0 before 2026-11-30): its fractions count the whole network.
    pub fn unknown(run: &RunInfo) -> bool {
        run.synapses.is_none()
            && run
                .config
                .as_ref()
                .is_some_and(|c| !c.injury.layers.is_empty())
    }

    /// The confinement of a run whose `counts` and config `layers` are known; None when
    /// injury may reach every synapse.
    pub fn from_counts(counts: SynapseCount, layers: &[String]) -> Option<Confined> {
        (counts.injurable > 0 && counts.injurable < counts.total).then(|| Confined {
            layers: layers.to_vec(),
            share: counts.injurable as f64 / counts.total as f64,
        })
    }

    /// The layers in words: `V1`, `V1, V2`, `all but fc` for the exclusion `!fc`, or `the
    /// chosen layers` when the config named none.
    pub fn names(&self) -> String {
        if self.layers.is_empty() {
            return "the chosen layers".into();
        }
        let words: Vec<String> = self
            .layers
            .iter()
            .map(|p| match p.strip_prefix('!') {
                Some(x) => format!("all but {x}"),
                None => p.clone(),
            })
            .collect();
        words.join(", ")
    }

    /// An injury level in words: `60 % of V1`.
    pub fn level(&self, percent: i64) -> String {
        format!("{percent} % of {}", self.names())
    }
}

fn read_npy_dir(dir: &Path) -> Result<BTreeMap<String, ndarray::Array2<f64>>> {
    let mut out = BTreeMap::new();
    if dir.is_dir() {
        for e in std::fs::read_dir(dir)? {
            let p = e?.path();
            if p.extension().is_some_and(|x| x == "npy")
                && p.file_stem().is_some_and(|s| s != "labels")
            {
                // atrophy's reader: it names the file and checks the header against the file's
                // length (ndarray_npy allocates whatever the header claims, then aborts).
                let m = crate::analysis::npy::read_matrix(&p)?.into_f64();
                out.insert(p.file_stem().unwrap().to_string_lossy().into_owned(), m);
            }
        }
    }
    Ok(out)
}

impl Results {
    /// Reads `dir`; an error when it is not a results directory.
    pub fn read(dir: &Path) -> Result<Results> {
        let fixed = MetricRow::header(0).len();
        let mut classes = 0;
        let metrics: Vec<MetricRow> = read_table(&dir.join("metrics.csv"), |n| {
            classes = n.saturating_sub(fixed);
            MetricRow::header(classes)
        })?
        .with_context(|| {
            format!("{} is not an atrophy results directory: it has no metrics.csv (make one with `atrophy run`)", dir.display())
        })?;
        for (i, m) in metrics.iter().enumerate() {
            m.check().map_err(|why| {
                anyhow::anyhow!(
                    "{} row {} ({} cycle {} iteration {} {}): {why}",
                    dir.join("metrics.csv").display(),
                    i + 2,
                    m.key.regime,
                    m.key.cycle,
                    m.key.iteration,
                    m.key.state
                )
            })?;
        }
        let run: Option<serde_json::Value> =
            match std::fs::read(dir.join("run.json")) {
                Ok(b) => Some(serde_json::from_slice(&b).with_context(|| {
                    format!("{}: not valid JSON", dir.join("run.json").display())
                })?),
                Err(_) => None,
            };
        if let Some(r) = &run {
            crate::results::check_format(r, &dir.join("run.json")).map_err(anyhow::Error::msg)?;
        }
        let finished = run
            .as_ref()
            .and_then(|r| r["finished"].as_bool())
            .unwrap_or(false);
        let cka_layers = std::fs::read_to_string(dir.join("cka/layers.txt"))
            .map(|s| s.lines().map(String::from).collect())
            .unwrap_or_default();
        let rdm_labels = crate::analysis::npy::read_vector(dir.join("rdm/labels.npy"))
            .ok()
            .map(|l| l.iter().map(|&v| v as usize).collect());
        let info = run
            .as_ref()
            .map(|r| RunInfo::of(r, &dir.join("run.json")))
            .unwrap_or_default();
        let confined = Confined::of(&info);
        if Confined::unknown(&info) {
            eprintln!(
                "warning: {} confines injury to some layers but records no synapse counts \
                 (`synapses`, written since 2026-11-30): the fractions injured count the whole \
                 network; run the same `atrophy run` command on the folder again to record them",
                dir.join("run.json").display()
            );
        }
        let battery = read_battery(dir, info.config.as_ref())?;
        let mut r = Results {
            dir: dir.to_path_buf(),
            run,
            info,
            summary: read_table(&dir.join("summary.csv"), |_| SummaryRow::header())?,
            taus: read_table(&dir.join("rdm_tau.csv"), TauRow::header_for)?,
            pathways: read_table(&dir.join("pathways.csv"), |_| PathwayRow::header())?,
            train_log: read_table(&dir.join("healthy/train_log.csv"), |_| EpochRow::header())?,
            divergence: read_table(&dir.join(DIVERGENCE_FILE), |_| DivergenceRow::header())?
                .unwrap_or_default(),
            battery,
            damage: read_table(&dir.join(crate::results::DAMAGE_FILE), |_| {
                crate::results::DamageRow::header()
            })?,
            cka: read_npy_dir(&dir.join("cka"))?,
            cka_layers,
            rdms: read_npy_dir(&dir.join("rdm"))?,
            rdm_labels,
            metrics,
            classes,
            finished,
            confined,
        };
        r.count_the_injurable_synapses();
        Ok(r)
    }

    /// With injury confined to some layers, every fraction injured is divided by those layers'
    /// share of the network, so that the figures, tables and `--at` levels count the synapses
    /// injury could reach: a lesion of V1 ends at 100 %, not at V1's 0.1 % of CORnet.
    fn count_the_injurable_synapses(&mut self) {
        let Some(share) = self.confined.as_ref().map(|c| c.share) else {
            return;
        };
        for m in &mut self.metrics {
            m.key.fraction_injured /= share;
        }
        for s in self.summary.iter_mut().flatten() {
            s.fraction_injured /= share;
        }
        for t in self.taus.iter_mut().flatten() {
            t.key.fraction_injured /= share;
        }
        for p in self.pathways.iter_mut().flatten() {
            p.key.fraction_injured /= share;
        }
    }

    /// An injury level in words: `60 %`, or `60 % of V1` for a confined run.
    pub fn level_words(&self, percent: i64) -> String {
        match &self.confined {
            Some(c) => c.level(percent),
            None => format!("{percent} %"),
        }
    }

    /// The x axis of the curves: `synapses injured (%)`, or with injury confined to some
    /// layers, `synapses of V1 injured (%)`.
    pub fn x_desc(&self) -> String {
        match &self.confined {
            Some(c) => format!("synapses of {} injured (%)", c.names()),
            None => "synapses injured (%)".into(),
        }
    }

    /// The experiment's name from run.json, else the folder.
    pub fn name(&self) -> String {
        (self.info.config.as_ref())
            .map(|c| c.name.clone())
            .unwrap_or_else(|| self.dir.display().to_string())
    }

    /// Regime names in run order.
    pub fn regimes(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.metrics {
            if !out.contains(&r.key.regime) {
                out.push(r.key.regime.clone());
            }
        }
        out
    }

    /// Number of classes (from the per-class columns).
    pub fn classes(&self) -> usize {
        self.classes
    }
}
