//! Reading a results directory (the report knows nothing else of the project): the tables,
//! the CKA matrices, the RDMs and the run record. A partial directory reads as what exists.
//! What the figures draw is prepared from them in [`prepare`].
pub mod prepare;

pub use prepare::{pathways_by_state, Level};

use crate::results::{read_table, EpochRow, MetricRow, PathwayRow, SummaryRow, TauRow};
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
    /// CKA matrices by file stem (`REGIME_cC_iI_STATE`).
    pub cka: BTreeMap<String, ndarray::Array2<f64>>,
    /// Names of the CKA matrices' layers.
    pub cka_layers: Vec<String>,
    /// RDMs by file stem (cycle 0, plus `healthy`), and the images' labels.
    pub rdms: BTreeMap<String, ndarray::Array2<f64>>,
    /// Labels of the analysis images.
    pub rdm_labels: Option<Vec<usize>>,
    /// Whether the run is complete.
    pub finished: bool,
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
        let metrics = read_table(&dir.join("metrics.csv"), |n| {
            classes = n.saturating_sub(fixed);
            MetricRow::header(classes)
        })?
        .with_context(|| {
            format!("{} is not an atrophy results directory: it has no metrics.csv (make one with `atrophy run`)", dir.display())
        })?;
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
        Ok(Results {
            dir: dir.to_path_buf(),
            run,
            summary: read_table(&dir.join("summary.csv"), |_| SummaryRow::header())?,
            taus: read_table(&dir.join("rdm_tau.csv"), TauRow::header_for)?,
            pathways: read_table(&dir.join("pathways.csv"), |_| PathwayRow::header())?,
            train_log: read_table(&dir.join("healthy/train_log.csv"), |_| EpochRow::header())?,
            cka: read_npy_dir(&dir.join("cka"))?,
            cka_layers,
            rdms: read_npy_dir(&dir.join("rdm"))?,
            rdm_labels,
            metrics,
            classes,
            finished,
        })
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
