//! `battery.csv`: the visual test battery (`analyses = [..., "battery"]`), one row per evaluated
//! state, as `metrics.csv`: for each test, top-1 accuracy at each level (`contrast@0.5`) and
//! the threshold (`contrast_threshold`, the level at which accuracy fell halfway to chance; NaN
//! when it did not). The columns follow the config's tests and levels.
use super::num;
use super::rows::{with_key, StateKey};
use serde::{Deserialize, Serialize};

/// The file's name in a results folder.
pub const BATTERY_FILE: &str = "battery.csv";

/// One row of `battery.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatteryRow {
    /// Which state.
    pub key: StateKey,
    /// The values in the order of [`BatteryRow::header`]'s columns after the key.
    #[serde(with = "num::vec")]
    pub values: Vec<f64>,
}

/// The value columns for `tests` (name, levels): each level's accuracy, then the threshold.
pub fn value_columns(tests: &[(String, Vec<f64>)]) -> Vec<String> {
    let mut out = Vec::new();
    for (name, levels) in tests {
        for l in levels {
            out.push(format!("{name}@{l}"));
        }
        out.push(format!("{name}_threshold"));
    }
    out
}

/// Each test of `tests` (name, levels) with the index among a row's values of its threshold
/// column, which follows its levels' accuracies as [`value_columns`] lays them out.
pub fn tests_with_threshold(tests: &[(String, Vec<f64>)]) -> Vec<(&str, &[f64], usize)> {
    let mut offset = 0;
    (tests.iter())
        .map(|(name, levels)| {
            let at = offset + levels.len();
            offset = at + 1;
            (name.as_str(), levels.as_slice(), at)
        })
        .collect()
}

impl BatteryRow {
    /// The header of `battery.csv` for `tests` (name, levels).
    pub fn header(tests: &[(String, Vec<f64>)]) -> Vec<String> {
        let columns = value_columns(tests);
        with_key(&columns.iter().map(String::as_str).collect::<Vec<_>>())
    }
}

/// Each test's threshold in a `battery.csv` read back: `(test, column index among the values)`,
/// from the header's value columns.
pub fn threshold_columns(value_columns: &[String]) -> Vec<(String, usize)> {
    (value_columns.iter().enumerate())
        .filter_map(|(i, c)| c.strip_suffix("_threshold").map(|t| (t.to_string(), i)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_index_points_at_the_threshold_column() {
        let tests = vec![
            ("contrast".to_string(), vec![1.0, 0.5, 0.25]),
            ("colour".to_string(), vec![1.0]),
        ];
        let columns = value_columns(&tests);
        let found = tests_with_threshold(&tests);
        assert_eq!(found.len(), 2);
        for (name, levels, at) in found {
            assert_eq!(columns[at], format!("{name}_threshold"));
            assert_eq!(columns[at - levels.len()], format!("{name}@{}", levels[0]));
        }
    }
}
