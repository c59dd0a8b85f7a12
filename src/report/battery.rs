//! The visual test battery's thresholds in short (docs/PROTOCOLS.md P14), for the report page
//! and `compare.md`: per regime and test, the healthy model's and after the last iteration.
use super::figures::battery::CHANCE_MARGIN;
use super::results::Results;
use crate::results::auc::rank;

/// One regime's threshold of one test, as text (`0.125`, `not reached` or `at chance`).
pub struct Threshold {
    /// Regime name.
    pub regime: String,
    /// Test name.
    pub test: String,
    /// The healthy model's, mean over cycles.
    pub healthy: String,
    /// The last state of the last iteration, mean over the cycles that reached it; `at chance`
    /// when every cycle's unperturbed accuracy is within
    /// [`CHANCE_MARGIN`](super::figures::battery::CHANCE_MARGIN) of chance there (no threshold
    /// is meaningful), and cycles at chance are left out of the mean.
    pub last: String,
}

/// Every regime's threshold of every test in `r`'s `battery.csv` (none without one).
pub fn thresholds(r: &Results) -> Vec<Threshold> {
    let Some((columns, rows)) = &r.battery else {
        return Vec::new();
    };
    let last_iteration = rows.iter().map(|b| b.key.iteration).max().unwrap_or(0);
    let mut out = Vec::new();
    let floor = r.chance().map_or(f64::NEG_INFINITY, |c| c + CHANCE_MARGIN);
    for (test, levels, at) in crate::results::battery::tests_with_threshold(columns) {
        for regime in r.regimes() {
            let mean_at = |iteration: usize| -> String {
                let mine = (rows.iter())
                    .filter(|b| b.key.regime == regime && b.key.iteration == iteration);
                let top = mine.clone().map(|b| rank(b.key.state)).max();
                let states: Vec<&crate::results::BatteryRow> =
                    mine.filter(|b| Some(rank(b.key.state)) == top).collect();
                // The unperturbed level's accuracy comes first among the test's columns.
                let above: Vec<_> = (states.iter())
                    .filter(|b| b.values[at - levels.len()] > floor)
                    .collect();
                let v: Vec<f64> = (above.iter())
                    .filter(|b| b.values[at].is_finite())
                    .map(|b| b.values[at])
                    .collect();
                if !states.is_empty() && above.is_empty() {
                    "at chance".into()
                } else if v.is_empty() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::results::prepare::tests::{key, results};
    use crate::results::{BatteryRow, State};

    /// The healthy threshold is the mean over cycles; after the last iteration a regime whose
    /// every cycle is at chance on the unperturbed images reads `at chance`, one whose cycles
    /// never fell halfway `not reached`, and a cycle at chance is left out of another's mean.
    #[test]
    fn thresholds_by_hand_with_states_at_chance() {
        let mut r = results(); // 4 classes: chance 0.25, drawn above 0.35
        let row = |regime, c, it, f, state, unperturbed: f64, t: f64| BatteryRow {
            key: key(regime, c, it, f, state),
            values: vec![unperturbed, unperturbed / 2.0, t],
        };
        let rows = vec![
            row("static", 0, 0, 0.0, State::Healthy, 0.9, 0.2),
            row("static", 1, 0, 0.0, State::Healthy, 0.9, 0.4),
            row("static", 0, 2, 0.6, State::Injured, 0.3, 0.5),
            row("static", 1, 2, 0.6, State::Injured, 0.25, 0.5),
            row("R", 0, 0, 0.0, State::Healthy, 0.9, 0.2),
            row("R", 1, 0, 0.0, State::Healthy, 0.9, 0.4),
            row("R", 0, 2, 0.6, State::Injured, 0.3, 0.9),
            row("R", 1, 2, 0.6, State::Injured, 0.6, 0.1),
        ];
        r.battery = Some((vec![("contrast".into(), vec![1.0, 0.5])], rows.clone()));
        let t = thresholds(&r);
        let got: Vec<(&str, &str, &str)> = (t.iter())
            .map(|t| (t.regime.as_str(), t.healthy.as_str(), t.last.as_str()))
            .collect();
        assert_eq!(
            got,
            [("static", "0.300", "at chance"), ("R", "0.300", "0.100")]
        );
        let mut never = rows;
        never[7].values[2] = f64::NAN;
        r.battery = Some((vec![("contrast".into(), vec![1.0, 0.5])], never));
        assert_eq!(thresholds(&r)[1].last, "not reached");
    }
}
