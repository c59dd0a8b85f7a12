//! The results schema as data: every table a results folder can hold, its file, its columns in
//! order with their types, and the columns that follow the config (per-class accuracies, the
//! battery's levels). The column names come from the rows' own headers, so this cannot drift
//! from what the experiment writes; the types are stated here once.
//!
//! [`schema_json`] is committed as `python/atrophy/schema.json`, which the Python package's
//! `atrophy.load` reads to type its DataFrames: one list of columns for both languages.
//! tests/results_schema.rs fails when the committed file and this disagree (and rewrites it
//! with `ATROPHY_BLESS=1`).
use super::rows::{EpochRow, MetricRow, PathwayRow, State, SummaryRow, TauRow};
use super::{BatteryRow, DamageRow, DivergenceRow, SuperclassRow, FORMAT_VERSION};
use serde::Serialize;

/// A column's type, as the Python side maps it onto a pandas dtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// Free text (regime and layer names, notes).
    Str,
    /// A whole number (cycle, iteration, counts).
    Int,
    /// A real number, NaN allowed.
    Float,
    /// A [`State`], ordered as the protocol visits them.
    State,
    /// One of a few words (`a`/`b`, `diverged`/`exploded`).
    Category,
}

/// One column.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Column {
    /// Its name in the header.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: ColumnType,
}

/// The columns after the fixed ones, whose names the config decides.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MoreColumns {
    /// What their names look like.
    pub pattern: &'static str,
    /// Their type.
    #[serde(rename = "type")]
    pub kind: ColumnType,
}

/// One table of a results folder.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Table {
    /// The name the Python package gives it (`Results.metrics`).
    pub name: &'static str,
    /// Its file, relative to the results folder.
    pub file: &'static str,
    /// When it is written.
    pub written: &'static str,
    /// The fixed columns, in order.
    pub columns: Vec<Column>,
    /// Fixed columns a table may lack (written only when needed, or by an older atrophy).
    pub optional: Vec<&'static str>,
    /// The columns after the fixed ones, if the config adds some.
    pub more: Option<MoreColumns>,
}

/// The whole schema.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Schema {
    /// The results folder format these tables belong to ([`FORMAT_VERSION`]).
    pub format_version: u64,
    /// The states in the order the protocol visits them.
    pub states: Vec<&'static str>,
    /// Every table.
    pub tables: Vec<Table>,
}

/// `header` typed: the key columns and the names in `ints`, `strs` and `cats` as they say,
/// every other column a float.
fn typed(header: Vec<String>, ints: &[&str], strs: &[&str], cats: &[&str]) -> Vec<Column> {
    header
        .into_iter()
        .map(|name| {
            let kind = match name.as_str() {
                "state" => ColumnType::State,
                "regime" => ColumnType::Str,
                "cycle" | "iteration" => ColumnType::Int,
                n if ints.contains(&n) => ColumnType::Int,
                n if strs.contains(&n) => ColumnType::Str,
                n if cats.contains(&n) => ColumnType::Category,
                _ => ColumnType::Float,
            };
            Column { name, kind }
        })
        .collect()
}

/// The schema of the results folder this atrophy writes.
pub fn schema() -> Schema {
    let table = |name, file, written, columns, optional: &[&'static str], more| Table {
        name,
        file,
        written,
        columns,
        optional: optional.to_vec(),
        more,
    };
    let floats = |pattern| {
        Some(MoreColumns {
            pattern,
            kind: ColumnType::Float,
        })
    };
    Schema {
        format_version: FORMAT_VERSION,
        states: [
            State::Healthy,
            State::Injured,
            State::Recalibrated,
            State::Retrained,
        ]
        .map(State::as_str)
        .to_vec(),
        tables: vec![
            table(
                "metrics",
                "metrics.csv",
                "always: one row per evaluated state",
                typed(MetricRow::header(0), &[], &[], &[]),
                &[],
                floats("class_<k>: accuracy on class k"),
            ),
            table(
                "summary",
                "summary.csv",
                "always: mean and sample sd over cycles",
                typed(SummaryRow::header(), &["cycles"], &[], &[]),
                &[],
                None,
            ),
            table(
                "tau",
                "rdm_tau.csv",
                "with the rdm analysis",
                typed(TauRow::header(), &[], &["note"], &["variant"]),
                &["note"],
                None,
            ),
            table(
                "pathways",
                "pathways.csv",
                "with the pathways analysis",
                typed(
                    PathwayRow::header(),
                    &["k", "new_pathway", "rescaled"],
                    &["layer"],
                    &[],
                ),
                &[],
                None,
            ),
            table(
                "superclass",
                "superclass.csv",
                "for data sets with superclasses (CIFAR-100)",
                typed(SuperclassRow::header(), &[], &[], &[]),
                &[],
                None,
            ),
            table(
                "battery",
                "battery.csv",
                "with the battery analysis",
                typed(BatteryRow::header(&[]), &[], &[], &[]),
                &[],
                floats("TEST@LEVEL: accuracy; TEST_threshold: the threshold level"),
            ),
            table(
                "damage",
                "damage.csv",
                "with a progression model other than uniform",
                typed(DamageRow::header(), &["synapses"], &["layer", "area"], &[]),
                &[],
                None,
            ),
            table(
                "divergence",
                "divergence.csv",
                "when a state diverged or exploded",
                typed(DivergenceRow::header(), &[], &["note"], &["kind"]),
                &[],
                None,
            ),
            table(
                "training",
                "healthy/train_log.csv",
                "when the experiment trained its healthy model",
                typed(EpochRow::header(), &["epoch"], &[], &[]),
                &[],
                None,
            ),
        ],
    }
}

/// The schema as the pretty-printed JSON of `python/atrophy/schema.json`, newline-terminated.
pub fn schema_json() -> String {
    let mut s = serde_json::to_string_pretty(&schema()).expect("the schema serialises");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-checked types of the columns a reader most relies on.
    #[test]
    fn key_and_count_columns_have_their_types() {
        let s = schema();
        let col = |t: &str, c: &str| {
            let table = s.tables.iter().find(|x| x.name == t).unwrap();
            table.columns.iter().find(|x| x.name == c).unwrap().kind
        };
        assert_eq!(col("metrics", "regime"), ColumnType::Str);
        assert_eq!(col("metrics", "cycle"), ColumnType::Int);
        assert_eq!(col("metrics", "fraction_injured"), ColumnType::Float);
        assert_eq!(col("metrics", "state"), ColumnType::State);
        assert_eq!(col("summary", "cycles"), ColumnType::Int);
        assert_eq!(col("tau", "variant"), ColumnType::Category);
        assert_eq!(col("pathways", "layer"), ColumnType::Str);
        assert_eq!(col("damage", "synapses"), ColumnType::Int);
        assert_eq!(col("training", "epoch"), ColumnType::Int);
        assert_eq!(
            s.states,
            ["healthy", "injured", "recalibrated", "retrained"]
        );
        let names: Vec<&str> = s.tables.iter().map(|t| t.name).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(names.len(), unique.len());
    }
}
