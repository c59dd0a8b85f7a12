//! The results tables: `metrics.csv` (one row per evaluated state) and `summary.csv` (mean and
//! sample standard deviation over cycles).
use serde::{Deserialize, Serialize};

/// One evaluated state of one (regime, cycle, iteration).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricRow {
    /// Regime name.
    pub regime: String,
    /// Cycle, from 0.
    pub cycle: usize,
    /// Iteration, from 1 (0 = the healthy model).
    pub iteration: usize,
    /// Fraction of all synapses injured.
    pub fraction_injured: f64,
    /// `healthy`, `injured` or `retrained`.
    pub state: String,
    /// Top-1 accuracy.
    pub top1: f64,
    /// Mean class-wise accuracy.
    pub mean_class: f64,
    /// Per-class accuracy.
    pub per_class: Vec<f64>,
    /// Mean cross-entropy.
    pub loss: f64,
    /// Wall seconds of the work that led to this state (injury or retraining, and evaluation).
    pub seconds: f64,
}

/// `metrics.csv`.
pub fn metrics_csv(rows: &[MetricRow]) -> String {
    let k = rows.first().map_or(0, |r| r.per_class.len());
    let mut s =
        String::from("regime,cycle,iteration,fraction_injured,state,top1,mean_class,loss,seconds");
    for c in 0..k {
        s.push_str(&format!(",class_{c}"));
    }
    s.push('\n');
    for r in rows {
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{},{:.3}",
            r.regime,
            r.cycle,
            r.iteration,
            r.fraction_injured,
            r.state,
            r.top1,
            r.mean_class,
            r.loss,
            r.seconds
        ));
        for v in &r.per_class {
            s.push_str(&format!(",{v}"));
        }
        s.push('\n');
    }
    s
}

pub use crate::stats::mean_sd;

/// `summary.csv`: per (regime, iteration, state), in the order first seen.
pub fn summary_csv(rows: &[MetricRow]) -> String {
    let mut keys: Vec<(String, usize, String)> = Vec::new();
    for r in rows {
        let k = (r.regime.clone(), r.iteration, r.state.clone());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let mut s = String::from("regime,iteration,state,cycles,fraction_injured,top1_mean,top1_sd,mean_class_mean,mean_class_sd,loss_mean,loss_sd\n");
    for (regime, it, state) in keys {
        let g: Vec<&MetricRow> = rows
            .iter()
            .filter(|r| r.regime == regime && r.iteration == it && r.state == state)
            .collect();
        let col = |f: fn(&MetricRow) -> f64| mean_sd(&g.iter().map(|r| f(r)).collect::<Vec<_>>());
        let (fi, _) = col(|r| r.fraction_injured);
        let (t, ts) = col(|r| r.top1);
        let (m, ms) = col(|r| r.mean_class);
        let (l, ls) = col(|r| r.loss);
        s.push_str(&format!(
            "{regime},{it},{state},{},{fi},{t},{ts},{m},{ms},{l},{ls}\n",
            g.len()
        ));
    }
    s
}
