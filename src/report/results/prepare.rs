//! What the figures draw, prepared from the results: curves over cycles, the regime and
//! iterations of the CKA and RDM figures, mean CKA matrices, and RDMs sorted by class. The
//! figures only draw.
use super::Results;
use crate::results::{curves, Curves, MetricRow, PathwayRow, State, StateKey};
use ndarray::Array2;

/// Mean Jaccard overlap over layers of each state in `pathways.csv`, in the order first seen.
pub fn pathways_by_state(rows: &[PathwayRow]) -> Vec<(StateKey, f64)> {
    let mut out: Vec<(StateKey, Vec<f64>)> = Vec::new();
    for r in rows {
        match out.iter_mut().find(|(k, _)| *k == r.key) {
            Some((_, js)) => js.push(r.jaccard),
            None => out.push((r.key.clone(), vec![r.jaccard])),
        }
    }
    out.into_iter()
        .map(|(k, js)| {
            let mean = js.iter().sum::<f64>() / js.len() as f64;
            (k, mean)
        })
        .collect()
}

/// An injury level of the CKA and RDM figures: an iteration and its fraction injured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Level {
    /// The iteration.
    pub iteration: usize,
    /// Its fraction injured, as the `metrics.csv` row nearest the level asked for gives it.
    pub fraction: f64,
}

impl Level {
    /// The fraction injured in whole percent, as figure file names carry it.
    pub fn percent(self) -> i64 {
        (100.0 * self.fraction).round() as i64
    }
}

/// The parts of a file stem `REGIME_cC_iI_STATE` (regime names may hold `_`): regime, cycle,
/// iteration, state; None for another name.
pub fn stem_parts(stem: &str) -> Option<(&str, usize, usize, &str)> {
    let mut it = stem.rsplitn(4, '_');
    let state = it.next()?;
    let iteration = it.next()?.strip_prefix('i')?.parse().ok()?;
    let cycle = it.next()?.strip_prefix('c')?.parse().ok()?;
    let regime = it.next()?;
    Some((regime, cycle, iteration, state))
}

/// What the figures draw, prepared from the tables and matrices.
impl Results {
    /// Chance accuracy, 1 / classes; none without per-class columns.
    pub fn chance(&self) -> Option<f64> {
        (self.classes > 0).then(|| 1.0 / self.classes as f64)
    }

    /// The curves (mean +- sd over cycles per regime and state) of one column of
    /// `metrics.csv`, read by `value`.
    pub fn metric_curves(&self, value: impl Fn(&MetricRow) -> f64) -> Curves {
        curves(self.metrics.iter().map(|m| (&m.key, value(m))))
    }

    /// The curves of Kendall's tau in `rdm_tau.csv` and the variant's letter (that of the first
    /// row); none without the table or a line in it.
    pub fn tau_curves(&self) -> Option<(Curves, &'static str)> {
        let t = self.taus.as_ref()?;
        let c = curves(t.iter().map(|row| (&row.key, row.tau)));
        if c.is_empty() {
            return None;
        }
        let variant = t
            .first()
            .map(|row| row.variant.letter())
            .unwrap_or_default();
        Some((c, variant))
    }

    /// The curves of the pathway overlap, mean over layers ([`pathways_by_state`]); none
    /// without `pathways.csv` or a line in it.
    pub fn pathway_curves(&self) -> Option<Curves> {
        let per_state = pathways_by_state(self.pathways.as_ref()?);
        let c = curves(per_state.iter().map(|(k, j)| (k, *j)));
        (!c.is_empty()).then_some(c)
    }

    /// The regime of the CKA and RDM figures: for a run of a paper's protocol, the regime of
    /// the paper's own CKA figure (paper 000 Fig. 3: R = 1000, one epoch) when the run has it;
    /// else the first (in run order) with CKA matrices after retraining, else the first.
    pub fn cka_regime(&self) -> Option<String> {
        let regimes = self.regimes();
        if let Some(own) = self.papers_cka_regime().filter(|g| regimes.contains(g)) {
            return Some(own);
        }
        let retraining = regimes.iter().find(|g| {
            self.cka.keys().any(|k| {
                stem_parts(k).is_some_and(|(r, _, _, s)| r == g.as_str() && s == "retrained")
            })
        });
        retraining.or(regimes.first()).cloned()
    }

    /// The run's regime with the retraining of the CKA values its paper prints, if any.
    fn papers_cka_regime(&self) -> Option<String> {
        let paper = crate::report::paper::Paper::of_run(&self.info)?;
        let value = (crate::report::paper_values::values().iter())
            .find(|v| v.paper == paper.id() && v.metric == "cka_diagonal")?;
        let config = self.info.config.as_ref()?;
        (config.regimes.iter())
            .find(|r| {
                value
                    .regime
                    .matches(crate::report::paper_values::Retraining::of(r))
            })
            .map(|r| r.name.clone())
    }

    /// Mean over cycles of the CKA matrices of (`regime`, `iteration`, `state`), and how many
    /// cycles they are; none when there is none.
    pub fn mean_cka(
        &self,
        regime: &str,
        iteration: usize,
        state: State,
    ) -> Option<(Array2<f64>, usize)> {
        let ms: Vec<&Array2<f64>> = self
            .cka
            .iter()
            .filter(|(k, _)| {
                stem_parts(k).is_some_and(|(r, _, i, s)| {
                    r == regime && i == iteration && s == state.as_str()
                })
            })
            .map(|(_, v)| v)
            .collect();
        // Matrices of one regime share their layers; a stray file of another shape (the rarer
        // one; of two as common, the shape of the later file) is left out.
        let dims: Vec<(usize, usize)> = ms.iter().map(|m| m.dim()).collect();
        let dim = *dims
            .iter()
            .max_by_key(|d| dims.iter().filter(|e| e == d).count())?;
        let ms: Vec<&Array2<f64>> = ms.into_iter().filter(|m| m.dim() == dim).collect();
        let first = ms.first()?;
        let mut sum = Array2::<f64>::zeros(first.dim());
        for m in &ms {
            sum += *m;
        }
        Some((sum / ms.len() as f64, ms.len()))
    }

    /// The iteration of `regime` (not the healthy one) whose fraction injured in
    /// `metrics.csv` is closest to `target` (the first such row on ties).
    pub fn iteration_near(&self, regime: &str, target: f64) -> Option<Level> {
        self.metrics
            .iter()
            .filter(|row| row.key.regime == regime && row.key.iteration != 0)
            .map(|row| Level {
                iteration: row.key.iteration,
                fraction: row.key.fraction_injured,
            })
            .min_by(|a, b| {
                (a.fraction - target)
                    .abs()
                    .total_cmp(&(b.fraction - target).abs())
            })
    }

    /// [`Results::iteration_near`] each of the fractions `levels`, in their order, each
    /// iteration once and each whole percent once (the figures' files are named by it, so two
    /// iterations at 96 % would overwrite each other).
    pub fn levels_near(&self, regime: &str, levels: &[f64]) -> Vec<Level> {
        let mut out: Vec<Level> = Vec::new();
        for &level in levels {
            if let Some(at) = self.iteration_near(regime, level) {
                if !out
                    .iter()
                    .any(|l| l.iteration == at.iteration || l.percent() == at.percent())
                {
                    out.push(at);
                }
            }
        }
        out
    }

    /// How many classes the RDM images' labels hold (0 without labels).
    pub fn rdm_classes(&self) -> usize {
        self.rdm_labels.as_ref().map_or(0, |l| {
            l.iter()
                .copied()
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        })
    }

    /// The RDM with file stem `stem` (`healthy`, or `REGIME_c0_iI_STATE`), its images sorted
    /// by class (stably: by index within a class); none without that RDM, without the images'
    /// labels, or when their numbers differ.
    pub fn rdm_by_class(&self, stem: &str) -> Option<Array2<f64>> {
        let (m, labels) = (self.rdms.get(stem)?, self.rdm_labels.as_ref()?);
        if m.nrows() != labels.len() || m.ncols() != labels.len() {
            return None;
        }
        let mut order: Vec<usize> = (0..labels.len()).collect();
        order.sort_by_key(|&i| (labels[i], i));
        Some(Array2::from_shape_fn(m.dim(), |(i, j)| {
            m[[order[i], order[j]]]
        }))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::analysis::TauVariant;
    use crate::results::TauRow;
    use ndarray::array;
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    pub(crate) fn key(
        regime: &str,
        cycle: usize,
        iteration: usize,
        fraction: f64,
        state: State,
    ) -> StateKey {
        StateKey {
            regime: regime.into(),
            cycle,
            iteration,
            fraction_injured: fraction,
            state,
        }
    }

    fn metric(k: StateKey, top1: f64) -> MetricRow {
        MetricRow {
            key: k,
            top1,
            mean_class: top1 / 2.0,
            loss: 1.0,
            seconds: 0.0,
            per_class: vec![top1; 4],
        }
    }

    /// Two regimes, two cycles, iterations 0-2 at 0 %, 30 % and 60 % injured.
    pub(crate) fn results() -> Results {
        let mut metrics = Vec::new();
        for regime in ["static", "R"] {
            for c in 0..2 {
                metrics.push(metric(key(regime, c, 0, 0.0, State::Healthy), 0.9));
                for (it, f) in [(1, 0.3), (2, 0.6)] {
                    metrics.push(metric(
                        key(regime, c, it, f, State::Injured),
                        0.5 + 0.1 * c as f64,
                    ));
                }
            }
        }
        Results {
            dir: PathBuf::from("res"),
            run: None,
            info: Default::default(),
            metrics,
            classes: 4,
            summary: None,
            taus: None,
            pathways: None,
            train_log: None,
            divergence: Vec::new(),
            damage: None,
            battery: None,
            cka: BTreeMap::new(),
            cka_layers: Vec::new(),
            rdms: BTreeMap::new(),
            rdm_labels: None,
            finished: true,
            confined: None,
        }
    }

    #[test]
    fn chance_is_one_over_the_classes() {
        let mut r = results();
        assert_eq!(r.chance(), Some(0.25));
        r.classes = 0;
        assert_eq!(r.chance(), None);
    }

    #[test]
    fn metric_curves_read_the_chosen_column() {
        let r = results();
        let c = r.metric_curves(|m| m.mean_class);
        let line = &c[&("R".to_string(), State::Injured)];
        assert_eq!(line.len(), 3);
        assert_eq!(line[0], (0.0, 0.45, 0.0));
        assert_eq!(line[2].0, 0.6);
        assert!((line[2].1 - 0.275).abs() < 1e-12);
        assert!(!c.contains_key(&("R".to_string(), State::Retrained)));
    }

    #[test]
    fn tau_curves_carry_the_variant_and_need_a_line() {
        let mut r = results();
        assert!(r.tau_curves().is_none());
        let tau = |k: StateKey, tau: f64| TauRow {
            key: k,
            variant: TauVariant::B,
            tau,
            note: String::new(),
        };
        r.taus = Some(vec![tau(key("R", 0, 1, 0.3, State::Injured), 0.5)]);
        // One point is no line.
        assert!(r.tau_curves().is_none());
        r.taus
            .as_mut()
            .unwrap()
            .push(tau(key("R", 0, 2, 0.6, State::Injured), 0.25));
        let (c, variant) = r.tau_curves().unwrap();
        assert_eq!(variant, "b");
        assert_eq!(
            c[&("R".to_string(), State::Injured)],
            vec![(0.3, 0.5, 0.0), (0.6, 0.25, 0.0)]
        );
    }

    #[test]
    fn pathways_are_averaged_over_layers_per_state() {
        let row = |k: StateKey, layer: &str, jaccard: f64| PathwayRow {
            key: k,
            layer: layer.into(),
            k: 10,
            jaccard,
            new_pathway: 0,
            rescaled: 0,
        };
        let rows = vec![
            row(key("R", 0, 1, 0.3, State::Injured), "conv1", 0.5),
            row(key("R", 0, 1, 0.3, State::Injured), "fc", 0.25),
            row(key("R", 0, 2, 0.6, State::Injured), "conv1", 0.125),
            row(key("R", 0, 1, 0.3, State::Retrained), "conv1", 1.0),
        ];
        let by_state = pathways_by_state(&rows);
        assert_eq!(
            by_state,
            vec![
                (key("R", 0, 1, 0.3, State::Injured), 0.375),
                (key("R", 0, 2, 0.6, State::Injured), 0.125),
                (key("R", 0, 1, 0.3, State::Retrained), 1.0),
            ]
        );
        let mut r = results();
        assert!(r.pathway_curves().is_none());
        r.pathways = Some(rows);
        let c = r.pathway_curves().unwrap();
        assert_eq!(
            c[&("R".to_string(), State::Injured)],
            vec![(0.3, 0.375, 0.0), (0.6, 0.125, 0.0)]
        );
        // The retrained state has one point: no line.
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn the_cka_regime_is_the_first_that_retrains() {
        let mut r = results();
        assert_eq!(r.cka_regime().as_deref(), Some("static"));
        r.cka.insert("static_c0_i1_injured".into(), array![[1.0]]);
        r.cka.insert("R_c0_i1_retrained".into(), array![[1.0]]);
        assert_eq!(r.cka_regime().as_deref(), Some("R"));
        r.metrics.clear();
        assert_eq!(r.cka_regime(), None);
    }

    #[test]
    fn mean_cka_averages_the_cycles_of_one_state() {
        let mut r = results();
        r.cka
            .insert("R_c0_i2_injured".into(), array![[1.0, 0.5], [0.0, 0.25]]);
        r.cka
            .insert("R_c1_i2_injured".into(), array![[0.5, 0.5], [1.0, 0.75]]);
        r.cka
            .insert("R_c0_i2_retrained".into(), array![[0.0, 0.0], [0.0, 0.0]]);
        r.cka
            .insert("R_c0_i12_injured".into(), array![[9.0, 9.0], [9.0, 9.0]]);
        r.cka.insert(
            "static_c0_i2_injured".into(),
            array![[9.0, 9.0], [9.0, 9.0]],
        );
        // A regime whose name extends R's with `_c...` is another regime.
        r.cka
            .insert("R_cos_c0_i2_injured".into(), array![[9.0, 9.0], [9.0, 9.0]]);
        // Another shape, sorted first: left out, the common shape kept.
        r.cka.insert("R_c00_i2_injured".into(), array![[9.0]]);
        assert_eq!(
            stem_parts("R_cos_c0_i2_injured"),
            Some(("R_cos", 0, 2, "injured"))
        );
        assert_eq!(stem_parts("layers"), None);
        let (m, cycles) = r.mean_cka("R", 2, State::Injured).unwrap();
        assert_eq!(cycles, 2);
        assert_eq!(m, array![[0.75, 0.5], [0.5, 0.5]]);
        assert_eq!(r.mean_cka("R", 2, State::Retrained).unwrap().1, 1);
        assert!(r.mean_cka("R", 1, State::Injured).is_none());
    }

    #[test]
    fn levels_are_the_nearest_iterations_each_once() {
        let r = results();
        let at = |iteration, fraction| Level {
            iteration,
            fraction,
        };
        assert_eq!(r.iteration_near("R", 0.0), Some(at(1, 0.3)));
        assert_eq!(r.iteration_near("R", 0.5), Some(at(2, 0.6)));
        assert_eq!(r.iteration_near("other", 0.5), None);
        assert_eq!(
            r.levels_near("R", &[0.6, 0.55, 0.1]),
            vec![at(2, 0.6), at(1, 0.3)]
        );
        assert_eq!(at(2, 0.6).percent(), 60);
        // Two iterations at the same whole percent: the first asked for only.
        let mut close = results();
        for m in close.metrics.iter_mut() {
            if m.key.iteration == 1 {
                m.key.fraction_injured = 0.598;
            }
        }
        assert_eq!(
            close.levels_near("R", &[0.6, 0.598]),
            vec![at(2, 0.6)],
            "iteration 1 (59.8 %) would overwrite iteration 2's files"
        );
        assert_eq!(at(1, 0.125).percent(), 13);
    }

    #[test]
    fn rdms_are_sorted_by_class() {
        let mut r = results();
        let m = array![[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]];
        r.rdms.insert("healthy".into(), m);
        assert!(r.rdm_by_class("healthy").is_none());
        r.rdm_labels = Some(vec![1, 0, 1]);
        // Order: image 1 (class 0), then images 0 and 2 (class 1).
        assert_eq!(
            r.rdm_by_class("healthy").unwrap(),
            array![[0.0, 1.0, 3.0], [1.0, 0.0, 2.0], [3.0, 2.0, 0.0]]
        );
        assert!(r.rdm_by_class("R_c0_i1_injured").is_none());
        r.rdm_labels = Some(vec![1, 0]);
        assert!(r.rdm_by_class("healthy").is_none());
    }
}
