//! The single number that ranks regimes: the area under the accuracy-vs-injury curve.
//!
//! For one regime and cycle the curve runs through the healthy model (0 % injured) and, at each
//! iteration, the last state the regime reached there (retrained, else recalibrated, else
//! injured: what the network is left with before the next injury), plotted against the
//! fraction of synapses injured. The area under it, by the trapezoid rule, divided by the
//! fraction injured at the last iteration, is the accuracy averaged over the injury range: a
//! number on the accuracy's own scale (a regime that kept the healthy accuracy throughout
//! scores it; a curve that fell at once to chance scores about chance). Over cycles: mean and
//! sample sd (ddof = 1).
use super::rows::{MetricRow, State};
use std::collections::BTreeMap;

/// The area under the accuracy-vs-injury curve of one regime, over its cycles.
#[derive(Clone, Debug, PartialEq)]
pub struct AucRow {
    /// Regime name.
    pub regime: String,
    /// Number of cycles with a complete curve.
    pub cycles: usize,
    /// Top-1 accuracy averaged over the injury range: mean and sd over cycles.
    pub top1: (f64, f64),
    /// Mean class-wise accuracy averaged over the injury range: mean and sd over cycles.
    pub mean_class: (f64, f64),
}

/// The average height of the curve through `points` (fraction injured, value), sorted by
/// fraction: trapezoid area over `[first, last fraction]` divided by its width (the first point
/// is the healthy model, at 0, in every curve atrophy draws). `None` for fewer than two points
/// or a range of zero width.
pub fn average_over_injury(points: &[(f64, f64)]) -> Option<f64> {
    let (first, last) = (points.first()?, points.last()?);
    let width = last.0 - first.0;
    if points.len() < 2 || width.is_nan() || width <= 0.0 {
        return None;
    }
    let area: f64 = points
        .windows(2)
        .map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0)
        .sum();
    Some(area / width)
}

/// Each regime's curves (in order of first appearance): cycle -> iteration -> the row of the
/// last state reached there (retrained, else recalibrated, else injured; healthy at 0).
pub fn last_state_curves(rows: &[MetricRow]) -> Vec<(String, Cycles<'_>)> {
    // Per regime: cycle -> iteration -> the row of the last state reached there.
    let mut curves: Vec<(String, Cycles)> = Vec::new();
    for r in rows {
        let k = &r.key;
        let i = match curves.iter().position(|(name, _)| *name == k.regime) {
            Some(i) => i,
            None => {
                curves.push((k.regime.clone(), BTreeMap::new()));
                curves.len() - 1
            }
        };
        let by_iteration = curves[i].1.entry(k.cycle).or_default();
        let keep = by_iteration
            .get(&k.iteration)
            .is_none_or(|old| rank(old.key.state) <= rank(k.state));
        if keep {
            by_iteration.insert(k.iteration, r);
        }
    }
    curves
}

/// One [`AucRow`] per regime (in order of first appearance) from the rows of `metrics.csv`;
/// a cycle counts when it has its healthy row and every iteration up to `iterations`.
pub fn auc_by_regime(rows: &[MetricRow], iterations: usize) -> Vec<AucRow> {
    let curves = last_state_curves(rows);
    let mut out = Vec::new();
    for (regime, cycles) in curves {
        let (mut top1, mut mean_class) = (Vec::new(), Vec::new());
        for by_iteration in cycles.values() {
            if (0..=iterations).any(|i| !by_iteration.contains_key(&i)) {
                continue;
            }
            let curve = |f: fn(&MetricRow) -> f64| {
                let points: Vec<(f64, f64)> = by_iteration
                    .values()
                    .map(|r| (r.key.fraction_injured, f(r)))
                    .collect();
                average_over_injury(&points)
            };
            if let (Some(t), Some(m)) = (curve(|r| r.top1), curve(|r| r.mean_class)) {
                top1.push(t);
                mean_class.push(m);
            }
        }
        if !top1.is_empty() {
            out.push(AucRow {
                regime,
                cycles: top1.len(),
                top1: crate::stats::mean_sd(&top1),
                mean_class: crate::stats::mean_sd(&mean_class),
            });
        }
    }
    out
}

/// One regime's curves: cycle -> iteration -> the row of the last state of that iteration.
pub type Cycles<'a> = BTreeMap<usize, BTreeMap<usize, &'a MetricRow>>;

/// Order of the states within an iteration.
pub(crate) fn rank(s: State) -> u8 {
    match s {
        State::Healthy => 0,
        State::Injured => 1,
        State::Recalibrated => 2,
        State::Retrained => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::StateKey;

    fn row(regime: &str, cycle: usize, it: usize, f: f64, state: State, acc: f64) -> MetricRow {
        MetricRow {
            key: StateKey {
                regime: regime.into(),
                cycle,
                iteration: it,
                fraction_injured: f,
                state,
            },
            top1: acc,
            mean_class: acc - 0.01,
            loss: 1.0,
            seconds: 0.0,
            per_class: vec![],
        }
    }

    #[test]
    fn hand_worked_trapezoids() {
        // Constant curve: its height. A line from 0.9 to 0.1: the mean 0.5.
        assert_eq!(
            average_over_injury(&[(0.0, 0.7), (0.5, 0.7), (1.0, 0.7)]),
            Some(0.7)
        );
        let v = average_over_injury(&[(0.0, 0.9), (0.4, 0.5), (0.8, 0.1)]).unwrap();
        assert!((v - 0.5).abs() < 1e-15, "{v}");
        // Uneven steps: (0.2 * (1 + 0.5) / 2 + 0.6 * (0.5 + 0.5) / 2) / 0.8 = 0.5625.
        let v = average_over_injury(&[(0.0, 1.0), (0.2, 0.5), (0.8, 0.5)]).unwrap();
        assert!((v - 0.5625).abs() < 1e-15, "{v}");
        assert_eq!(average_over_injury(&[(0.0, 1.0)]), None);
        assert_eq!(average_over_injury(&[(0.0, 1.0), (0.0, 0.5)]), None);
    }

    #[test]
    fn the_last_state_of_each_iteration_is_the_curve_and_cycles_give_mean_and_sd() {
        let mut rows = Vec::new();
        for (c, healthy) in [(0, 0.9), (1, 0.8)] {
            rows.push(row("R", c, 0, 0.0, State::Healthy, healthy));
            rows.push(row("R", c, 1, 0.5, State::Injured, 0.1));
            rows.push(row("R", c, 1, 0.5, State::Retrained, 0.7));
            rows.push(row("R", c, 2, 1.0, State::Injured, 0.1));
            rows.push(row("R", c, 2, 1.0, State::Recalibrated, 0.3));
            rows.push(row("R", c, 2, 1.0, State::Retrained, 0.5));
            rows.push(row("static", c, 0, 0.0, State::Healthy, healthy));
            rows.push(row("static", c, 1, 0.5, State::Injured, 0.1));
            rows.push(row("static", c, 2, 1.0, State::Injured, 0.1));
        }
        // An incomplete third cycle is left out.
        rows.push(row("R", 2, 0, 0.0, State::Healthy, 0.9));
        rows.push(row("R", 2, 1, 0.5, State::Injured, 0.2));
        let a = auc_by_regime(&rows, 2);
        assert_eq!(a.len(), 2);
        assert_eq!((a[0].regime.as_str(), a[0].cycles), ("R", 2));
        // Cycle 0: (0.5 * (0.9 + 0.7) / 2 + 0.5 * (0.7 + 0.5) / 2) / 1 = 0.7; cycle 1: 0.675.
        let (m, sd) = a[0].top1;
        assert!((m - 0.6875).abs() < 1e-12, "{m}");
        assert!((sd - 0.025 / 2f64.sqrt()).abs() < 1e-12, "{sd}");
        assert!((a[0].mean_class.0 - 0.6775).abs() < 1e-12);
        // Static: the injured states; (0.25 * (0.9 + 0.1) + 0.5 * 0.1) = 0.3 and 0.275.
        assert_eq!(a[1].regime, "static");
        assert!((a[1].top1.0 - 0.2875).abs() < 1e-12, "{:?}", a[1].top1);
    }
}
