//! Reading a results directory (the report knows nothing else of the project): the tables,
//! the CKA matrices, the RDMs and the run record. A partial directory reads as what exists.
//! What the figures draw is prepared from them in [`prepare`].
pub mod prepare;

pub use prepare::{pathways_by_state, Level};

use crate::injury::SynapseCount;
use crate::results::{
    read_table, DivergenceRow, EpochRow, MetricRow, PathwayRow, SummaryRow, TauRow, DIVERGENCE_FILE,
};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Everything a report shows.
pub struct Results {
    /// The folder.
    pub dir: PathBuf,
    /// `run.json`, if present.
    pub run: Option<serde_json::Value>,
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
pub fn run_iterations(run: Option<&serde_json::Value>, metrics: &[MetricRow]) -> usize {
    run.and_then(|r| r["config"]["injury"]["iterations"].as_u64())
        .map(|n| n as usize)
        .unwrap_or_else(|| metrics.iter().map(|r| r.key.iteration).max().unwrap_or(0))
}

/// Injury confined to some layers (`[injury] layers`), as `run.json` records it.
#[derive(Clone, Debug, PartialEq)]
pub struct Confined {
    /// The config's layer patterns, e.g. `["V1"]`.
    pub layers: Vec<String>,
    /// The share of the network's synapses in those layers, in (0, 1).
    pub share: f64,
}

/// The `[injury] layers` patterns of `run`'s config.
fn config_layers(run: &serde_json::Value) -> Vec<String> {
    run["config"]["injury"]["layers"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

impl Confined {
    /// The confinement `run` (run.json) records: its `synapses` counts, when injury could reach
    /// fewer synapses than the network has. None for a whole-network injury, or a folder written
    /// before the counts were recorded.
    pub fn of(run: &serde_json::Value) -> Option<Confined> {
        let counts: SynapseCount = serde_json::from_value(run["synapses"].clone()).ok()?;
        Confined::from_counts(counts, &config_layers(run))
    }

    /// Whether `run` confines injury to some layers but records no synapse counts (a folder of
    /// atrophy 0.1.0 before 2026-11-30): its fractions count the whole network.
    pub fn unknown(run: &serde_json::Value) -> bool {
        run["synapses"].is_null() && !config_layers(run).is_empty()
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
        let confined = run.as_ref().and_then(Confined::of);
        if run.as_ref().is_some_and(Confined::unknown) {
            eprintln!(
                "warning: {} confines injury to some layers but records no synapse counts \
                 (`synapses`, written since 2026-11-30): the fractions injured count the whole \
                 network; run the same `atrophy run` command on the folder again to record them",
                dir.join("run.json").display()
            );
        }
        let mut r = Results {
            dir: dir.to_path_buf(),
            run,
            summary: read_table(&dir.join("summary.csv"), |_| SummaryRow::header())?,
            taus: read_table(&dir.join("rdm_tau.csv"), TauRow::header_for)?,
            pathways: read_table(&dir.join("pathways.csv"), |_| PathwayRow::header())?,
            train_log: read_table(&dir.join("healthy/train_log.csv"), |_| EpochRow::header())?,
            divergence: read_table(&dir.join(DIVERGENCE_FILE), |_| DivergenceRow::header())?
                .unwrap_or_default(),
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
        self.run
            .as_ref()
            .and_then(|v| v["config"]["name"].as_str().map(String::from))
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
