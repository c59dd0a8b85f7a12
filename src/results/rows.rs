//! The rows of the results tables. Field order is column order: the `csv` crate writes and reads
//! them by position, under the headers in [`MetricRow::header`] and its siblings.
use super::num;
use crate::analysis::TauVariant;
use serde::{Deserialize, Serialize};

/// Which state of the network a row measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// The healthy model (iteration 0).
    Healthy,
    /// Right after an injury.
    Injured,
    /// After the injury and a re-estimation of BatchNorm's running statistics (homeostasis),
    /// before any synapse relearns.
    Recalibrated,
    /// After the regime's retraining (and, with `recalibrate_bn`, a re-estimation after it).
    Retrained,
}

impl State {
    /// The word written in the tables.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Healthy => "healthy",
            State::Injured => "injured",
            State::Recalibrated => "recalibrated",
            State::Retrained => "retrained",
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The coordinates of an evaluated state: the first five columns of `metrics.csv`,
/// `rdm_tau.csv`, `pathways.csv` and `superclass.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StateKey {
    /// Regime name.
    pub regime: String,
    /// Cycle, from 0.
    pub cycle: usize,
    /// Iteration, from 1 (0 = the healthy model).
    pub iteration: usize,
    /// Fraction of all synapses injured.
    #[serde(with = "num")]
    pub fraction_injured: f64,
    /// Which state.
    pub state: State,
}

impl StateKey {
    /// `REGIME_cC_iI_STATE`: the file stem of this state's CKA matrix and RDM.
    pub fn file_stem(&self) -> String {
        format!(
            "{}_c{}_i{}_{}",
            self.regime, self.cycle, self.iteration, self.state
        )
    }
}

const KEY_COLUMNS: [&str; 5] = ["regime", "cycle", "iteration", "fraction_injured", "state"];

pub(crate) fn with_key(rest: &[&str]) -> Vec<String> {
    KEY_COLUMNS
        .iter()
        .chain(rest)
        .map(|s| s.to_string())
        .collect()
}

/// One row of `metrics.csv`: one evaluated state of one (regime, cycle, iteration).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricRow {
    /// Which state.
    pub key: StateKey,
    /// Top-1 accuracy.
    #[serde(with = "num")]
    pub top1: f64,
    /// Mean class-wise accuracy.
    #[serde(with = "num")]
    pub mean_class: f64,
    /// Mean cross-entropy.
    #[serde(with = "num")]
    pub loss: f64,
    /// Wall seconds of the work that led to this state (injury or retraining, and evaluation),
    /// kept to the millisecond.
    #[serde(with = "num::millis")]
    pub seconds: f64,
    /// Per-class accuracy (`class_0`, `class_1`, ...); none in tables written without them.
    #[serde(with = "num::vec", default)]
    pub per_class: Vec<f64>,
}

impl MetricRow {
    /// The row of state `key` evaluated as `e`, after `seconds` of work.
    pub fn new(key: StateKey, e: &super::Evaluation, seconds: f64) -> MetricRow {
        MetricRow {
            key,
            top1: e.top1,
            mean_class: e.mean_class,
            loss: e.loss,
            seconds,
            per_class: e.per_class.clone(),
        }
    }

    /// Checks that the row holds what an evaluation can give: accuracies are fractions in
    /// [0, 1] (a NaN is no accuracy: a diverged network's argmax still counts), the loss is
    /// not negative (NaN and infinity are a diverged network's, and allowed), the seconds not
    /// negative. The message names the value and the field.
    pub fn check(&self) -> Result<(), String> {
        let fraction = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(format!(
                    "{name} = {v} is out of range: expected a fraction in [0, 1]"
                ))
            }
        };
        fraction("top1", self.top1)?;
        fraction("mean_class", self.mean_class)?;
        for (c, &v) in self.per_class.iter().enumerate() {
            fraction(&format!("class_{c}"), v)?;
        }
        if self.loss < 0.0 {
            return Err(format!(
                "loss = {} is out of range: expected a cross-entropy >= 0 (NaN or inf for a \
                 diverged network)",
                self.loss
            ));
        }
        if self.seconds.is_nan() || self.seconds < 0.0 {
            return Err(format!(
                "seconds = {} is out of range: expected a duration >= 0",
                self.seconds
            ));
        }
        Ok(())
    }

    /// The header for `classes` per-class columns.
    pub fn header(classes: usize) -> Vec<String> {
        let mut h = with_key(&["top1", "mean_class", "loss", "seconds"]);
        h.extend((0..classes).map(|c| format!("class_{c}")));
        h
    }
}

/// One row of `summary.csv`: mean and sample sd over the cycles of one (regime, iteration,
/// state).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Regime name.
    pub regime: String,
    /// Iteration (0 = healthy).
    pub iteration: usize,
    /// Which state.
    pub state: State,
    /// Cycles averaged.
    pub cycles: usize,
    /// Mean fraction of synapses injured.
    #[serde(with = "num")]
    pub fraction_injured: f64,
    /// Mean top-1.
    #[serde(with = "num")]
    pub top1_mean: f64,
    /// Sample sd of top-1.
    #[serde(with = "num")]
    pub top1_sd: f64,
    /// Mean of the mean class-wise accuracy.
    #[serde(with = "num")]
    pub mean_class_mean: f64,
    /// Its sample sd.
    #[serde(with = "num")]
    pub mean_class_sd: f64,
    /// Mean loss.
    #[serde(with = "num")]
    pub loss_mean: f64,
    /// Its sample sd.
    #[serde(with = "num")]
    pub loss_sd: f64,
}

impl SummaryRow {
    /// The header of `summary.csv`.
    pub fn header() -> Vec<String> {
        [
            "regime",
            "iteration",
            "state",
            "cycles",
            "fraction_injured",
            "top1_mean",
            "top1_sd",
            "mean_class_mean",
            "mean_class_sd",
            "loss_mean",
            "loss_sd",
        ]
        .map(String::from)
        .to_vec()
    }

    /// Mean and sd of a metric by its summary name (`top1`, `mean_class`, `loss`).
    pub fn metric(&self, name: &str) -> Option<(f64, f64)> {
        match name {
            "top1" => Some((self.top1_mean, self.top1_sd)),
            "mean_class" => Some((self.mean_class_mean, self.mean_class_sd)),
            "loss" => Some((self.loss_mean, self.loss_sd)),
            _ => None,
        }
    }
}

/// One row of `rdm_tau.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TauRow {
    /// Which state.
    pub key: StateKey,
    /// Kendall variant (`a` or `b`).
    pub variant: TauVariant,
    /// tau between this state's RDM and the healthy RDM (NaN when undefined).
    #[serde(with = "num")]
    pub tau: f64,
    /// Why tau is undefined (a layer made constant by injury has no RDM), else empty. Tables
    /// without the column (no undefined value, or written before it existed) read as empty.
    #[serde(default)]
    pub note: String,
}

impl TauRow {
    /// The header of `rdm_tau.csv`.
    pub fn header() -> Vec<String> {
        with_key(&["variant", "tau", "note"])
    }

    /// The rows as `rdm_tau.csv` holds them: with the `note` column only when some tau is
    /// undefined, so that a table without undefined values keeps its seven columns.
    pub fn table(rows: &[TauRow]) -> (Vec<String>, Vec<TauCells<'_>>) {
        let noted = rows.iter().any(|r| !r.note.is_empty());
        let header = Self::header_for(if noted { 8 } else { 7 });
        let cells = rows
            .iter()
            .map(|r| TauCells {
                key: &r.key,
                variant: r.variant,
                tau: r.tau,
                note: noted.then_some(r.note.as_str()),
            })
            .collect();
        (header, cells)
    }

    /// The header for a table with `columns` columns: with the `note` column, or without.
    pub fn header_for(columns: usize) -> Vec<String> {
        let mut h = Self::header();
        if columns == h.len() - 1 {
            h.pop();
        }
        h
    }
}

/// A [`TauRow`] as written, the note left out when no row has one.
#[derive(Serialize)]
pub struct TauCells<'a> {
    key: &'a StateKey,
    variant: TauVariant,
    #[serde(with = "num")]
    tau: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

/// One row of `pathways.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PathwayRow {
    /// Which state.
    pub key: StateKey,
    /// Synapse layer.
    pub layer: String,
    /// Top-k size.
    pub k: usize,
    /// Jaccard overlap with the healthy top-k.
    #[serde(with = "num")]
    pub jaccard: f64,
    /// Indices new to the top-k.
    pub new_pathway: usize,
    /// Same index, different value.
    pub rescaled: usize,
}

impl PathwayRow {
    /// The header of `pathways.csv`.
    pub fn header() -> Vec<String> {
        with_key(&["layer", "k", "jaccard", "new_pathway", "rescaled"])
    }
}

/// One row of `train_log.csv` (the healthy training, one row per epoch).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochRow {
    /// Epoch, from 1.
    pub epoch: usize,
    /// Learning rate at the epoch's last step.
    #[serde(with = "num")]
    pub lr: f64,
    /// Mean training loss.
    #[serde(with = "num")]
    pub train_loss: f64,
    /// Training accuracy.
    #[serde(with = "num")]
    pub train_accuracy: f64,
    /// Test loss.
    #[serde(with = "num")]
    pub test_loss: f64,
    /// Test top-1 accuracy.
    #[serde(with = "num")]
    pub test_top1: f64,
    /// Test mean class-wise accuracy.
    #[serde(with = "num")]
    pub test_mean_class: f64,
    /// Wall seconds of the epoch (training and evaluation), kept to the millisecond.
    #[serde(with = "num::millis")]
    pub seconds: f64,
}

impl EpochRow {
    /// The header of `train_log.csv`.
    pub fn header() -> Vec<String> {
        [
            "epoch",
            "lr",
            "train_loss",
            "train_accuracy",
            "test_loss",
            "test_top1",
            "test_mean_class",
            "seconds",
        ]
        .map(String::from)
        .to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_the_shortest_round_trip_form() {
        let row = TauRow {
            key: StateKey {
                regime: "R1000, \"balanced\"".into(),
                cycle: 1,
                iteration: 0,
                fraction_injured: 1.0,
                state: State::Healthy,
            },
            variant: TauVariant::A,
            tau: f64::NAN,
            note: "constant".into(),
        };
        let bytes =
            crate::results::table_bytes(&TauRow::header(), std::slice::from_ref(&row)).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text,
            "regime,cycle,iteration,fraction_injured,state,variant,tau,note\n\
             \"R1000, \"\"balanced\"\"\",1,0,1,healthy,a,NaN,constant\n"
        );
        // JSON (the run record) reads the same rows back.
        let json = serde_json::to_string(&row).unwrap();
        let back: TauRow = serde_json::from_str(&json).unwrap();
        assert_eq!(back.key, row.key);
        assert!(back.tau.is_nan());
    }

    #[test]
    fn the_note_column_appears_only_when_a_tau_is_undefined() {
        let key = StateKey {
            regime: "R".into(),
            cycle: 0,
            iteration: 1,
            fraction_injured: 0.5,
            state: State::Injured,
        };
        let row = |tau: f64, note: &str| TauRow {
            key: key.clone(),
            variant: TauVariant::B,
            tau,
            note: note.into(),
        };
        let text = |rows: &[TauRow]| {
            let (h, cells) = TauRow::table(rows);
            String::from_utf8(crate::results::table_bytes(&h, &cells).unwrap()).unwrap()
        };
        assert_eq!(
            text(&[row(0.25, "")]),
            "regime,cycle,iteration,fraction_injured,state,variant,tau\nR,0,1,0.5,injured,b,0.25\n"
        );
        assert_eq!(
            text(&[row(0.25, ""), row(f64::NAN, "constant")]),
            "regime,cycle,iteration,fraction_injured,state,variant,tau,note\n\
             R,0,1,0.5,injured,b,0.25,\nR,0,1,0.5,injured,b,NaN,constant\n"
        );
    }
}
