//! `superclass.csv`: for a data set whose classes form superclasses (CIFAR-100), one row per
//! evaluated state with the superclass accuracy and the share of errors that stay within the
//! true superclass ([`SuperclassMetrics`](super::evaluation::SuperclassMetrics)). Its rows pair
//! one to one with those of `metrics.csv`.
use super::num;
use super::rows::{with_key, StateKey};
use super::Evaluation;
use serde::{Deserialize, Serialize};

/// One row of `superclass.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SuperclassRow {
    /// Which state.
    pub key: StateKey,
    /// Fraction of predictions in the true superclass.
    #[serde(with = "num")]
    pub superclass_top1: f64,
    /// Fraction of the errors that stay within the true superclass (NaN without errors).
    #[serde(with = "num")]
    pub within_superclass_errors: f64,
}

impl SuperclassRow {
    /// The row of state `key` evaluated as `e`, if `e` measured superclasses.
    pub fn new(key: &StateKey, e: &Evaluation) -> Option<SuperclassRow> {
        e.superclass.as_ref().map(|s| SuperclassRow {
            key: key.clone(),
            superclass_top1: s.top1,
            within_superclass_errors: s.within_errors,
        })
    }

    /// The header of `superclass.csv`.
    pub fn header() -> Vec<String> {
        with_key(&["superclass_top1", "within_superclass_errors"])
    }
}
