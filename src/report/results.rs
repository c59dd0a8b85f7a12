//! Reading a results directory (the report knows nothing else of the project): the tables,
//! the CKA matrices, the RDMs and the run record. A partial directory reads as what exists.
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A CSV table as header and rows of strings.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Reads a CSV file without quoting (atrophy writes none); `None` when it does not exist.
    pub fn read(path: &Path) -> Result<Option<Table>> {
        if !path.is_file() {
            return Ok(None);
        }
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut lines = text.lines();
        let header: Vec<String> = lines
            .next()
            .unwrap_or_default()
            .split(',')
            .map(String::from)
            .collect();
        let rows: Vec<Vec<String>> = lines
            .filter(|l| !l.is_empty())
            .map(|l| l.split(',').map(String::from).collect())
            .collect();
        if let Some((i, r)) = rows
            .iter()
            .enumerate()
            .find(|(_, r)| r.len() != header.len())
        {
            bail!(
                "{}: row {} has {} fields, the header {}",
                path.display(),
                i + 2,
                r.len(),
                header.len()
            );
        }
        Ok(Some(Table { header, rows }))
    }

    /// Index of a column.
    pub fn col(&self, name: &str) -> Result<usize> {
        self.header
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("no column `{name}` (columns: {})", self.header.join(", ")))
    }

    /// A numeric cell.
    pub fn num(&self, row: usize, col: usize) -> f64 {
        self.rows[row][col].parse().unwrap_or(f64::NAN)
    }
}

/// Everything a report shows.
pub struct Results {
    /// The folder.
    pub dir: PathBuf,
    /// `run.json`, if present.
    pub run: Option<serde_json::Value>,
    /// `metrics.csv`.
    pub metrics: Table,
    /// `summary.csv`.
    pub summary: Option<Table>,
    /// `rdm_tau.csv`.
    pub taus: Option<Table>,
    /// `pathways.csv`.
    pub pathways: Option<Table>,
    /// `healthy/train_log.csv`.
    pub train_log: Option<Table>,
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
        let metrics = Table::read(&dir.join("metrics.csv"))?.with_context(|| {
            format!("{} is not an atrophy results directory: it has no metrics.csv (make one with `atrophy run`)", dir.display())
        })?;
        for c in [
            "regime",
            "cycle",
            "iteration",
            "fraction_injured",
            "state",
            "top1",
            "mean_class",
        ] {
            metrics
                .col(c)
                .with_context(|| format!("{}", dir.join("metrics.csv").display()))?;
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
        Ok(Results {
            dir: dir.to_path_buf(),
            run,
            summary: Table::read(&dir.join("summary.csv"))?,
            taus: Table::read(&dir.join("rdm_tau.csv"))?,
            pathways: Table::read(&dir.join("pathways.csv"))?,
            train_log: Table::read(&dir.join("healthy/train_log.csv"))?,
            cka: read_npy_dir(&dir.join("cka"))?,
            cka_layers,
            rdms: read_npy_dir(&dir.join("rdm"))?,
            rdm_labels,
            metrics,
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
        let c = self.metrics.col("regime").unwrap_or(0);
        let mut out: Vec<String> = Vec::new();
        for r in &self.metrics.rows {
            if !out.contains(&r[c]) {
                out.push(r[c].clone());
            }
        }
        out
    }

    /// Number of classes (from the per-class columns).
    pub fn classes(&self) -> usize {
        self.metrics
            .header
            .iter()
            .filter(|h| h.starts_with("class_"))
            .count()
    }
}

/// Lines of a figure: (regime, state) -> points (x, mean, sd).
pub type Curves = BTreeMap<(String, String), Vec<(f64, f64, f64)>>;

/// Mean and sample sd of groups of `value` by (regime, state, iteration), with the mean fraction
/// injured as x: `(regime, state) -> [(x, mean, sd)]` sorted by iteration. Healthy rows start
/// every line of their regime.
pub fn curves(t: &Table, value: &str) -> Result<Curves> {
    let (cr, cs, ci, cf, cv) = (
        t.col("regime")?,
        t.col("state")?,
        t.col("iteration")?,
        t.col("fraction_injured")?,
        t.col(value)?,
    );
    let mut groups: BTreeMap<(String, String, usize), Vec<(f64, f64)>> = BTreeMap::new();
    for (i, r) in t.rows.iter().enumerate() {
        let it: usize = r[ci].parse().unwrap_or(0);
        groups
            .entry((r[cr].clone(), r[cs].clone(), it))
            .or_default()
            .push((t.num(i, cf), t.num(i, cv)));
    }
    let mut out: Curves = BTreeMap::new();
    for ((regime, state, _), v) in &groups {
        let xs: Vec<f64> = v.iter().map(|p| p.0).collect();
        let ys: Vec<f64> = v.iter().map(|p| p.1).filter(|y| y.is_finite()).collect();
        if ys.is_empty() {
            continue;
        }
        let (m, sd) = crate::stats::mean_sd(&ys);
        let x = xs.iter().sum::<f64>() / xs.len() as f64;
        let states: Vec<String> = if state == "healthy" {
            vec!["injured".into(), "retrained".into()]
        } else {
            vec![state.clone()]
        };
        for s in states {
            out.entry((regime.clone(), s)).or_default().push((x, m, sd));
        }
    }
    for v in out.values_mut() {
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    // A regime without retraining has no retrained line: drop lines that hold only the healthy point.
    out.retain(|_, v| v.len() > 1);
    Ok(out)
}
