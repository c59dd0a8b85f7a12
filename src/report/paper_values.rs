//! The numbers the source papers print (`docs/paper-values.toml`): each with its paper, section,
//! exact quote and the state, iteration and retraining it belongs to. The one place the
//! project's paper numbers live; summary.md, the report's figures and the reproduction tables
//! look them up here.
use serde::Deserialize;
use std::sync::LazyLock;

/// The file's text, built into the binary.
pub const SOURCE: &str = include_str!("../../docs/paper-values.toml");

/// The retraining a number belongs to; an absent field matches any regime.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegimeCondition {
    /// Whether the regime retrains at all (false: a static regime).
    pub retrains: Option<bool>,
    /// R, the retraining images.
    pub images: Option<u64>,
    /// Retraining on the whole training set.
    pub whole_set: Option<bool>,
    /// Retraining epochs.
    pub epochs: Option<u64>,
}

/// One printed number.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaperValue {
    /// `000`, `001` or `003`.
    pub paper: String,
    /// The section or figure it is printed in.
    pub section: String,
    /// The sentence that prints it, word for word.
    pub quote: String,
    /// What it measures (`top1`, `mean_class`, `tau`, `ablated_until`, `tau_equal_from`,
    /// `parameters`, `mse`, `best_top1`, `cka_diagonal`).
    pub metric: String,
    /// `healthy`, `injured` or `retrained`.
    #[serde(default)]
    pub state: Option<String>,
    /// The injury iteration (0: healthy), or for `mse` the training epochs.
    #[serde(default)]
    pub iteration: Option<usize>,
    /// A range of iterations it holds for, both ends included.
    #[serde(default)]
    pub iterations: Option<[usize; 2]>,
    /// The retraining it belongs to.
    #[serde(default)]
    pub regime: RegimeCondition,
    /// The value (percent for accuracies and shares).
    pub mean: f64,
    /// Its sample sd over cycles, when printed.
    #[serde(default)]
    pub sd: Option<f64>,
    /// Given only roughly ("about", "chance").
    #[serde(default)]
    pub approximate: bool,
    /// How a rough value was read from the words.
    #[serde(default)]
    pub note: Option<String>,
    /// The paper gives an upper bound ("and below"): any value up to it agrees.
    #[serde(default)]
    pub at_most: bool,
    /// `cka_diagonal`: the first and last layer it speaks of (1-based in the layer list).
    #[serde(default)]
    pub layers: Option<[usize; 2]>,
    /// Paper 003: the network it belongs to, `plastic` or `non-plastic`.
    #[serde(default)]
    pub network: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    value: Vec<PaperValue>,
}

/// Every value of the file, in its order.
pub fn values() -> &'static [PaperValue] {
    static VALUES: LazyLock<Vec<PaperValue>> = LazyLock::new(|| {
        toml::from_str::<File>(SOURCE)
            .unwrap_or_else(|e| panic!("docs/paper-values.toml does not read: {e}"))
            .value
    });
    &VALUES
}

/// A regime's retraining, as a [`RegimeCondition`] is matched against it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Retraining {
    /// R (None: the whole training set).
    pub images: Option<u64>,
    /// Epochs per retraining.
    pub epochs: u64,
    /// A static regime (no retraining).
    pub is_static: bool,
}

impl Retraining {
    /// The retraining of a regime of a config.
    pub fn of(r: &crate::config::RegimeConfig) -> Retraining {
        Retraining {
            images: r.images.map(|n| n as u64),
            epochs: r.epochs as u64,
            is_static: r.is_static,
        }
    }
}

impl RegimeCondition {
    /// Whether `r` is the retraining this condition names.
    pub fn matches(&self, r: Retraining) -> bool {
        self.retrains.is_none_or(|x| x != r.is_static)
            && self
                .images
                .is_none_or(|n| !r.is_static && r.images == Some(n))
            && self
                .whole_set
                .is_none_or(|w| !r.is_static && w == r.images.is_none())
            && self.epochs.is_none_or(|e| !r.is_static && e == r.epochs)
    }
}

/// The value `paper` prints for `metric` at `iteration` in `state` for a regime retraining as
/// `r`, if any.
pub fn find(
    paper: &str,
    metric: &str,
    iteration: usize,
    state: &str,
    r: Retraining,
) -> Option<&'static PaperValue> {
    values().iter().find(|v| {
        v.paper == paper
            && v.metric == metric
            && v.state.as_deref() == Some(state)
            && match (v.iteration, v.iterations) {
                (Some(i), _) => i == iteration,
                (None, Some([a, b])) => (a..=b).contains(&iteration),
                (None, None) => false,
            }
            && v.regime.matches(r)
    })
}

/// The value `paper` prints for `metric` without an iteration (a limit, a share).
pub fn single(paper: &str, metric: &str) -> Option<&'static PaperValue> {
    values()
        .iter()
        .find(|v| v.paper == paper && v.metric == metric)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file reads, and every number stands in its own quote as the paper prints it
    /// (rough values are read from words, said in their note).
    #[test]
    fn every_value_is_in_its_quote() {
        assert!(values().len() >= 15);
        for v in values() {
            if v.approximate && v.note.is_some() {
                continue;
            }
            let printed = [
                format!("{}", v.mean),
                format!("{:.1}", v.mean),
                format!("{:.2}", v.mean),
                format!("{:.5}", v.mean),
                format!("{:.0}", v.mean),
            ];
            assert!(
                printed.iter().any(|p| v.quote.contains(p.as_str())),
                "{} is not in its quote: {}",
                v.mean,
                v.quote
            );
            if let Some(sd) = v.sd {
                assert!(v.quote.contains(&format!("{sd}")), "{sd}: {}", v.quote);
            }
        }
    }

    /// Every quote stands word for word in its paper's text (where the source texts are
    /// beside the checkout, as in the project's workspace; a clone alone has none).
    #[test]
    fn every_quote_is_word_for_word_in_its_paper() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/papers");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("SKIPPED: no {} beside the checkout", dir.display());
            return;
        };
        let texts: Vec<(String, String)> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(e.path()).ok()?;
                Some((name, text))
            })
            .collect();
        for v in values() {
            let text = texts
                .iter()
                .find(|(n, _)| n.starts_with(&format!("{}_", v.paper)))
                .map(|(_, t)| t)
                .unwrap_or_else(|| panic!("no text of paper {}", v.paper));
            assert!(
                text.contains(&v.quote),
                "paper {}: not word for word: {}",
                v.paper,
                v.quote
            );
        }
    }

    /// The regimes each value belongs to, as summary.md matched them before the file existed.
    #[test]
    fn values_are_found_for_their_regimes() {
        let r = |images: Option<u64>, epochs: u64, is_static: bool| Retraining {
            images,
            epochs,
            is_static,
        };
        let r1000 = r(Some(1000), 1, false);
        let stat = r(None, 1, true);
        assert_eq!(find("000", "top1", 0, "healthy", stat).unwrap().mean, 93.3);
        assert_eq!(find("000", "top1", 1, "injured", stat).unwrap().mean, 68.3);
        assert_eq!(
            find("000", "top1", 1, "retrained", r1000).unwrap().sd,
            Some(6.06)
        );
        assert_eq!(find("000", "top1", 6, "injured", r1000).unwrap().mean, 15.0);
        assert!(find("000", "top1", 6, "injured", stat).is_none());
        assert!(find("000", "top1", 6, "injured", r(Some(1000), 3, false)).is_none());
        assert!(find("000", "top1", 8, "retrained", r(Some(100), 1, false)).is_some());
        assert!(find("000", "top1", 8, "retrained", r1000).is_none());
        let whole3 = r(None, 3, false);
        assert_eq!(
            find("001", "mean_class", 1, "retrained", whole3)
                .unwrap()
                .mean,
            91.9
        );
        assert!(find("001", "mean_class", 1, "retrained", r1000).is_none());
        // After each later ablation the retrained model, injured again, is "only at chance
        // level": the first injury keeps its own 14.3, and a static run has no such number.
        assert_eq!(
            find("001", "mean_class", 1, "injured", whole3)
                .unwrap()
                .mean,
            14.3
        );
        for i in [2, 9, 15] {
            let v = find("001", "mean_class", i, "injured", whole3).unwrap();
            assert!(v.mean == 10.0 && v.approximate, "{v:?}");
            assert!(find("001", "mean_class", i, "injured", stat).is_none());
        }
        assert!(find("001", "mean_class", 16, "injured", whole3).is_none());
        assert_eq!(find("001", "tau", 1, "injured", stat).unwrap().mean, 0.18);
        assert_eq!(
            find("001", "tau", 1, "retrained", whole3).unwrap().mean,
            0.71
        );
        assert_eq!(single("001", "ablated_until").unwrap().mean, 91.0);
        assert_eq!(single("003", "mse").unwrap().mean, 0.02393);
        let best = |network: &str| {
            values()
                .iter()
                .find(|v| v.metric == "best_top1" && v.network.as_deref() == Some(network))
                .map(|v| v.mean)
        };
        assert_eq!(
            (best("plastic"), best("non-plastic")),
            (Some(95.0), Some(97.0))
        );
    }
}
