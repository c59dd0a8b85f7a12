//! Aggregates over cycles: the `summary.csv` rows, and the curves the figures draw.
use super::rows::{MetricRow, State, StateKey, SummaryRow};
use crate::stats::mean_sd;
use std::collections::BTreeMap;

/// `summary.csv`: mean and sample sd over cycles per (regime, iteration, state), in the order
/// first seen.
pub fn summarize(rows: &[MetricRow]) -> Vec<SummaryRow> {
    let mut keys: Vec<(&str, usize, State)> = Vec::new();
    for r in rows {
        let k = (r.key.regime.as_str(), r.key.iteration, r.key.state);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .map(|(regime, iteration, state)| {
            let g: Vec<&MetricRow> = rows
                .iter()
                .filter(|r| {
                    r.key.regime == regime && r.key.iteration == iteration && r.key.state == state
                })
                .collect();
            let col =
                |f: fn(&MetricRow) -> f64| mean_sd(&g.iter().map(|r| f(r)).collect::<Vec<_>>());
            let (fraction_injured, _) = col(|r| r.key.fraction_injured);
            let (top1_mean, top1_sd) = col(|r| r.top1);
            let (mean_class_mean, mean_class_sd) = col(|r| r.mean_class);
            let (loss_mean, loss_sd) = col(|r| r.loss);
            SummaryRow {
                regime: regime.to_string(),
                iteration,
                state,
                cycles: g.len(),
                fraction_injured,
                top1_mean,
                top1_sd,
                mean_class_mean,
                mean_class_sd,
                loss_mean,
                loss_sd,
            }
        })
        .collect()
}

/// Lines of a figure: (regime, state) -> points (x, mean, sd).
pub type Curves = BTreeMap<(String, State), Vec<(f64, f64, f64)>>;

/// Mean and sample sd of `points` grouped by (regime, state, iteration), with the mean fraction
/// injured as x: `(regime, state) -> [(x, mean, sd)]` sorted by x. Healthy points start every
/// line of their regime (injured, recalibrated, retrained); non-finite values are left out; a line of a single point (the
/// healthy one alone: a regime without retraining has no retrained line) is dropped.
pub fn curves<'a>(points: impl IntoIterator<Item = (&'a StateKey, f64)>) -> Curves {
    // (regime, state, iteration) -> (fraction injured, value) of each cycle
    type Group<'k> = (&'k str, State, usize);
    let mut groups: BTreeMap<Group, Vec<(f64, f64)>> = BTreeMap::new();
    for (k, v) in points {
        groups
            .entry((k.regime.as_str(), k.state, k.iteration))
            .or_default()
            .push((k.fraction_injured, v));
    }
    let mut out: Curves = BTreeMap::new();
    for ((regime, state, _), v) in &groups {
        let ys: Vec<f64> = v.iter().map(|p| p.1).filter(|y| y.is_finite()).collect();
        if ys.is_empty() {
            continue;
        }
        let (m, sd) = mean_sd(&ys);
        let x = v.iter().map(|p| p.0).sum::<f64>() / v.len() as f64;
        let lines: &[State] = if *state == State::Healthy {
            &[State::Injured, State::Recalibrated, State::Retrained]
        } else {
            std::slice::from_ref(state)
        };
        for s in lines {
            out.entry((regime.to_string(), *s))
                .or_default()
                .push((x, m, sd));
        }
    }
    for v in out.values_mut() {
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    out.retain(|_, v| v.len() > 1);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(regime: &str, cycle: usize, iteration: usize, state: State) -> StateKey {
        StateKey {
            regime: regime.into(),
            cycle,
            iteration,
            fraction_injured: iteration as f64 / 10.0,
            state,
        }
    }

    #[test]
    fn curves_average_cycles_and_start_at_the_healthy_point() {
        let keys = [
            key("R", 0, 0, State::Healthy),
            key("R", 1, 0, State::Healthy),
            key("R", 0, 1, State::Injured),
            key("R", 1, 1, State::Injured),
            key("static", 0, 0, State::Healthy),
            key("static", 0, 1, State::Injured),
        ];
        let values = [0.9, 0.9, 0.5, 0.7, 0.9, 0.4];
        let c = curves(keys.iter().zip(values));
        let r = &c[&("R".to_string(), State::Injured)];
        assert_eq!(r[0], (0.0, 0.9, 0.0));
        assert_eq!(r[1].0, 0.1);
        assert!((r[1].1 - 0.6).abs() < 1e-12);
        assert!((r[1].2 - 0.02f64.sqrt()).abs() < 1e-12);
        // No retrained rows: no retrained lines, only the healthy point would be on them.
        assert!(!c.contains_key(&("R".to_string(), State::Retrained)));
        assert!(!c.contains_key(&("static".to_string(), State::Retrained)));
    }
}
