//! The visual test battery's thresholds in short (docs/PROTOCOLS.md P14), for the report page
//! and `compare.md`: per regime and test, the healthy model's and after the last iteration.
use super::results::Results;
use crate::results::auc::rank;

/// One regime's threshold of one test, as text (`0.125`, or `not reached`).
pub struct Threshold {
    /// Regime name.
    pub regime: String,
    /// Test name.
    pub test: String,
    /// The healthy model's, mean over cycles.
    pub healthy: String,
    /// The last state of the last iteration, mean over the cycles that reached it.
    pub last: String,
}

/// Every regime's threshold of every test in `r`'s `battery.csv` (none without one).
pub fn thresholds(r: &Results) -> Vec<Threshold> {
    let Some((columns, rows)) = &r.battery else {
        return Vec::new();
    };
    let last_iteration = rows.iter().map(|b| b.key.iteration).max().unwrap_or(0);
    let mut out = Vec::new();
    for (test, _, at) in crate::results::battery::tests_with_threshold(columns) {
        for regime in r.regimes() {
            let mean_at = |iteration: usize| -> String {
                let mine = (rows.iter())
                    .filter(|b| b.key.regime == regime && b.key.iteration == iteration);
                let top = mine.clone().map(|b| rank(b.key.state)).max();
                let v: Vec<f64> = mine
                    .filter(|b| Some(rank(b.key.state)) == top && b.values[at].is_finite())
                    .map(|b| b.values[at])
                    .collect();
                if v.is_empty() {
                    "not reached".into()
                } else {
                    format!("{:.3}", v.iter().sum::<f64>() / v.len() as f64)
                }
            };
            out.push(Threshold {
                regime: regime.clone(),
                test: test.to_string(),
                healthy: mean_at(0),
                last: mean_at(last_iteration),
            });
        }
    }
    out
}
