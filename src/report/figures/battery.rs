//! The visual test battery: each test's threshold against the synapses injured, per regime.
use super::Figure;
use crate::report::results::Results;
use crate::results::auc::rank;
use anyhow::Result;
use std::collections::BTreeMap;
use std::path::Path;

/// Iteration -> cycle -> (state rank, fraction injured, threshold, unperturbed accuracy) of
/// the last state.
type ByIteration = BTreeMap<usize, BTreeMap<usize, (u8, f64, f64, f64)>>;

/// A state whose unperturbed accuracy is within this many points (as a fraction) of chance has
/// no threshold worth drawing: halfway from there to chance is within the noise of the test.
pub const CHANCE_MARGIN: f64 = 0.1;

/// Per regime, one test's threshold at the last state of every iteration (retrained, else
/// recalibrated, else injured): (mean fraction injured in %, mean threshold over the cycles that
/// reached it and whose unperturbed accuracy is more than [`CHANCE_MARGIN`] above `chance`).
/// `at` is the threshold's index among a row's values, `levels` the test's levels (their
/// accuracies come just before it, the unperturbed level first).
pub fn threshold_series(
    regimes: &[String],
    rows: &[crate::results::BatteryRow],
    at: usize,
    levels: usize,
    chance: Option<f64>,
) -> Vec<(String, Vec<(f64, f64)>)> {
    let floor = chance.map_or(f64::NEG_INFINITY, |c| c + CHANCE_MARGIN);
    let mut last: BTreeMap<&str, ByIteration> = BTreeMap::new();
    for row in rows {
        let k = &row.key;
        let e = (last.entry(k.regime.as_str()).or_default())
            .entry(k.iteration)
            .or_default()
            .entry(k.cycle)
            .or_insert((0, 0.0, f64::NAN, f64::NAN));
        if rank(k.state) >= e.0 {
            let unperturbed = row.values[at - levels];
            *e = (
                rank(k.state),
                k.fraction_injured,
                row.values[at],
                unperturbed,
            );
        }
    }
    (regimes.iter())
        .filter_map(|regime| {
            let by = last.get(regime.as_str())?;
            let points = (by.values())
                .filter_map(|cycles| {
                    let reached: Vec<f64> = (cycles.values())
                        .filter(|v| v.2.is_finite() && v.3 > floor)
                        .map(|v| v.2)
                        .collect();
                    let f = cycles.values().map(|v| v.1).sum::<f64>() / cycles.len() as f64;
                    (!reached.is_empty()).then(|| {
                        (
                            100.0 * f,
                            reached.iter().sum::<f64>() / reached.len() as f64,
                        )
                    })
                })
                .collect();
            Some((regime.clone(), points))
        })
        .collect()
}

/// One figure per test of `battery.csv`: [`threshold_series`] against the synapses injured.
pub fn battery(r: &Results, dir: &Path) -> Result<Vec<Figure>> {
    let Some((columns, rows)) = &r.battery else {
        return Ok(Vec::new());
    };
    let mut figs = Vec::new();
    for (test, levels, at) in crate::results::battery::tests_with_threshold(columns) {
        let series = threshold_series(&r.regimes(), rows, at, levels.len(), r.chance());
        if series.iter().all(|s| s.1.is_empty()) {
            continue;
        }
        let top = levels.iter().cloned().fold(0.0, f64::max);
        let name = format!("battery_{test}");
        let png = super::line_chart(
            dir,
            &name,
            &format!("Visual test battery: {test} threshold"),
            ("synapses injured (%)", threshold_words(test)),
            &series,
            (0.0, top * 1.05),
        )?;
        figs.push(Figure {
            png,
            title: format!("Battery: {test}"),
            caption: format!(
                "The {test} level at which top-1 accuracy falls halfway from its unperturbed value \
                 to chance (interpolated between the levels {levels:?}; lower contrast, more \
                 noise, blur or fragmentation tolerated is better), mean over the cycles that \
                 reached it; a missing point: no cycle reached it, or every cycle's unperturbed \
                 accuracy was within {} points of chance. From battery.csv.",
                100.0 * CHANCE_MARGIN
            ),
        });
    }
    Ok(figs)
}

fn threshold_words(test: &str) -> &'static str {
    match test {
        "contrast" => "contrast factor at threshold",
        "noise" => "noise sd at threshold",
        "blur" => "blur sd (pixels) at threshold",
        "fragmentation" => "share of patches removed at threshold",
        _ => "level at threshold",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::rows::{State, StateKey};
    use crate::results::BatteryRow;

    fn row(cycle: usize, iteration: usize, state: State, unperturbed: f64, t: f64) -> BatteryRow {
        BatteryRow {
            key: StateKey {
                regime: "R".into(),
                cycle,
                iteration,
                fraction_injured: iteration as f64 / 10.0,
                state,
            },
            // One test of two levels: accuracy as is, accuracy perturbed, threshold.
            values: vec![unperturbed, unperturbed / 2.0, t],
        }
    }

    #[test]
    fn thresholds_of_states_at_chance_are_left_out() {
        let rows = vec![
            row(0, 0, State::Healthy, 0.9, 0.3),
            row(1, 0, State::Healthy, 0.9, 0.3),
            // Iteration 1: the retrained state counts, not the injured one before it.
            row(0, 1, State::Injured, 0.5, 9.0),
            row(0, 1, State::Retrained, 0.8, 0.4),
            row(1, 1, State::Retrained, 0.8, 0.6),
            // Iteration 2: one cycle at chance (0.1 + 0.1 is not above the floor), one not.
            row(0, 2, State::Injured, 0.2, 0.7),
            row(1, 2, State::Injured, 0.5, 0.2),
            // Iteration 3: both at chance: no point.
            row(0, 3, State::Injured, 0.1, 0.5),
            row(1, 3, State::Injured, 0.12, 0.5),
        ];
        let s = threshold_series(&["R".to_string()], &rows, 2, 2, Some(0.1));
        assert_eq!(s.len(), 1);
        let pts = &s[0].1;
        assert_eq!(pts.len(), 3, "{pts:?}");
        assert!((pts[0].0 - 0.0).abs() < 1e-12 && (pts[0].1 - 0.3).abs() < 1e-12);
        assert!((pts[1].0 - 10.0).abs() < 1e-12 && (pts[1].1 - 0.5).abs() < 1e-12);
        assert!((pts[2].0 - 20.0).abs() < 1e-12 && (pts[2].1 - 0.2).abs() < 1e-12);
        // Without a known chance, every reached threshold is drawn.
        let all = threshold_series(&["R".to_string()], &rows, 2, 2, None);
        assert_eq!(all[0].1.len(), 4);
    }
}
