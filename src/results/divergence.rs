//! Divergence: a state whose network no longer computes numbers (NaN or infinite weights or
//! loss) or whose loss has exploded. Divergence is a result, not a crash: the run records the
//! state as it is, flags it here (`divergence.csv`), and the summaries and rankings name it
//! rather than averaging it in silently.
//!
//! The rule (one place, used by the runner, `summary.md` and `compare`):
//! - **diverged**: a parameter or buffer holds a non-finite value, or the evaluation loss is
//!   NaN or infinite. The cycle ends there (docs/PROTOCOLS.md, "Divergence").
//! - **exploded**: the evaluation loss is finite but above [`EXPLODED_FACTOR`] x ln K, K the
//!   number of classes (ln K is the cross-entropy of a uniform guess; a merely wrong network
//!   stays within a few times it). The run goes on; the state is flagged.
use super::num;
use super::rows::{with_key, MetricRow, StateKey};
use serde::{Deserialize, Serialize};

/// A finite loss above this many times ln K (K classes) has exploded.
pub const EXPLODED_FACTOR: f64 = 100.0;

/// The file divergence rows are written to, beside `metrics.csv`, when there are any.
pub const DIVERGENCE_FILE: &str = "divergence.csv";

/// How a state's numbers stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Divergence {
    /// Non-finite weights or loss: the cycle ends at this state.
    Diverged,
    /// A finite loss above [`EXPLODED_FACTOR`] x ln K.
    Exploded,
}

impl Divergence {
    /// `diverged` or `exploded`.
    pub fn as_str(self) -> &'static str {
        match self {
            Divergence::Diverged => "diverged",
            Divergence::Exploded => "exploded",
        }
    }

    /// The rule applied to an evaluation loss over `classes` classes (weights not seen: the
    /// runner checks those itself).
    pub fn of_loss(loss: f64, classes: usize) -> Option<Divergence> {
        if !loss.is_finite() {
            Some(Divergence::Diverged)
        } else if loss > EXPLODED_FACTOR * (classes.max(2) as f64).ln() {
            Some(Divergence::Exploded)
        } else {
            None
        }
    }

    /// The rule applied to a row of `metrics.csv` (its classes: its per-class columns, else
    /// `classes`).
    pub fn of_row(r: &MetricRow, classes: usize) -> Option<Divergence> {
        let k = if r.per_class.is_empty() {
            classes
        } else {
            r.per_class.len()
        };
        Divergence::of_loss(r.loss, k)
    }
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of `divergence.csv`: a state that diverged or exploded, and what the run did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DivergenceRow {
    /// Which state.
    pub key: StateKey,
    /// Diverged or exploded.
    pub kind: Divergence,
    /// Its top-1 accuracy as evaluated (a NaN network's argmax is not a prediction).
    #[serde(with = "num")]
    pub top1: f64,
    /// Its evaluation loss.
    #[serde(with = "num")]
    pub loss: f64,
    /// What was found and what the run did: the first non-finite tensor, the analyses skipped,
    /// the iterations not run.
    pub note: String,
}

impl DivergenceRow {
    /// The header of `divergence.csv`.
    pub fn header() -> Vec<String> {
        with_key(&["kind", "top1", "loss", "note"])
    }
}

/// The cycles of each regime in which any state diverged or exploded, from the rows of
/// `metrics.csv` (by the rule) and of `divergence.csv` (which also knows non-finite weights):
/// regime -> (cycle -> the first such state's iteration and kind).
pub fn flagged_cycles(
    metrics: &[MetricRow],
    divergence: &[DivergenceRow],
    classes: usize,
) -> std::collections::BTreeMap<String, std::collections::BTreeMap<usize, (usize, Divergence)>> {
    let mut out: std::collections::BTreeMap<String, std::collections::BTreeMap<_, _>> =
        Default::default();
    let found = metrics
        .iter()
        .filter_map(|r| Divergence::of_row(r, classes).map(|d| (&r.key, d)))
        .chain(divergence.iter().map(|d| (&d.key, d.kind)));
    for (k, d) in found {
        let cycles = out.entry(k.regime.clone()).or_default();
        let e = cycles.entry(k.cycle).or_insert((k.iteration, d));
        // Keep the earliest, and diverged over exploded at the same iteration.
        if (k.iteration, d == Divergence::Exploded) < (e.0, e.1 == Divergence::Exploded) {
            *e = (k.iteration, d);
        }
    }
    out
}

/// The rows of `metrics` without the cycles in which a state diverged (by `divergence.csv`, or
/// by a non-finite loss): what the ranking averages, so that a NaN network's argmax never counts
/// as accuracy, even in a cycle that diverged at its last iteration.
pub fn without_diverged_cycles(
    metrics: &[MetricRow],
    divergence: &[DivergenceRow],
    classes: usize,
) -> Vec<MetricRow> {
    let diverged = |r: &MetricRow| {
        divergence.iter().any(|d| {
            d.kind == Divergence::Diverged
                && d.key.regime == r.key.regime
                && d.key.cycle == r.key.cycle
        }) || (metrics.iter()).any(|m| {
            m.key.regime == r.key.regime
                && m.key.cycle == r.key.cycle
                && Divergence::of_row(m, classes) == Some(Divergence::Diverged)
        })
    };
    metrics.iter().filter(|r| !diverged(r)).cloned().collect()
}

/// The order of a ranking: the best mean first, a regime without one (NaN: every cycle
/// diverged) last.
pub fn rank_order(a: f64, b: f64) -> std::cmp::Ordering {
    (a.is_nan(), -a)
        .partial_cmp(&(b.is_nan(), -b))
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// A regime's flagged cycles in words, e.g. `diverged in 1 of 3 cycles (cycle 0 at iteration
/// 2)`; empty when none.
pub fn describe(
    flagged: Option<&std::collections::BTreeMap<usize, (usize, Divergence)>>,
    cycles: usize,
) -> String {
    let Some(f) = flagged.filter(|f| !f.is_empty()) else {
        return String::new();
    };
    let mut parts = Vec::new();
    for kind in [Divergence::Diverged, Divergence::Exploded] {
        let these: Vec<String> = f
            .iter()
            .filter(|(_, (_, d))| *d == kind)
            .map(|(c, (i, _))| format!("cycle {c} at iteration {i}"))
            .collect();
        if !these.is_empty() {
            parts.push(format!(
                "{kind} in {} of {cycles} cycles ({})",
                these.len(),
                these.join(", ")
            ));
        }
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::State;

    fn row(cycle: usize, iteration: usize, loss: f64) -> MetricRow {
        MetricRow {
            key: StateKey {
                regime: "R".into(),
                cycle,
                iteration,
                fraction_injured: 0.1 * iteration as f64,
                state: State::Retrained,
            },
            top1: 0.1,
            mean_class: 0.1,
            loss,
            seconds: 0.0,
            per_class: vec![0.1; 10],
        }
    }

    /// The stated rule, at its edges: ln 10 = 2.3026, so 100 ln 10 = 230.26.
    #[test]
    fn the_rule_at_its_edges() {
        assert_eq!(
            Divergence::of_loss(f64::NAN, 10),
            Some(Divergence::Diverged)
        );
        assert_eq!(
            Divergence::of_loss(f64::INFINITY, 10),
            Some(Divergence::Diverged)
        );
        assert_eq!(Divergence::of_loss(3.5e17, 10), Some(Divergence::Exploded));
        assert_eq!(Divergence::of_loss(230.3, 10), Some(Divergence::Exploded));
        assert_eq!(Divergence::of_loss(230.2, 10), None);
        assert_eq!(Divergence::of_loss(2.4, 10), None);
        // 100 ln 100 = 460.5 for CIFAR-100.
        assert_eq!(Divergence::of_loss(300.0, 100), None);
    }

    /// The first flagged state of each cycle is named, diverged before exploded.
    #[test]
    fn flagged_cycles_name_the_first_state() {
        let metrics = vec![
            row(0, 1, 1.0),
            row(0, 2, 500.0),
            row(0, 3, f64::NAN),
            row(1, 1, 1.0),
            row(2, 4, f64::INFINITY),
        ];
        let f = flagged_cycles(&metrics, &[], 10);
        let r = &f["R"];
        assert_eq!(r[&0], (2, Divergence::Exploded));
        assert_eq!(r[&2], (4, Divergence::Diverged));
        assert!(!r.contains_key(&1));
        assert_eq!(
            describe(Some(r), 3),
            "diverged in 1 of 3 cycles (cycle 2 at iteration 4); exploded in 1 of 3 cycles \
             (cycle 0 at iteration 2)"
        );
        assert_eq!(describe(None, 3), "");
    }

    /// A cycle that diverged, even at its last iteration, leaves the ranking; an exploded one
    /// stays; a regime without a mean ranks last.
    #[test]
    fn diverged_cycles_leave_the_ranking_and_nan_ranks_last() {
        let metrics = vec![
            row(0, 1, 1.0),
            row(0, 2, f64::NAN),
            row(1, 1, 500.0),
            row(1, 2, 1.0),
        ];
        let kept = without_diverged_cycles(&metrics, &[], 10);
        assert!(kept.iter().all(|r| r.key.cycle == 1), "{kept:?}");
        assert_eq!(kept.len(), 2);
        let mut means = [f64::NAN, 0.5, 0.9];
        means.sort_by(|a, b| rank_order(*a, *b));
        assert_eq!(means[..2], [0.9, 0.5]);
        assert!(means[2].is_nan());
    }
}
