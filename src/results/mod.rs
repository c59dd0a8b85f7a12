//! The results schema: every table an experiment writes and a report reads, as typed rows
//! (serde structs) written and read with the `csv` crate. It needs no libtorch, so the
//! experiment (which writes), the report (which reads) and merging all share one definition.
//!
//! | file | row |
//! |---|---|
//! | `metrics.csv` | [`MetricRow`]: one evaluated state of one (regime, cycle, iteration) |
//! | `summary.csv` | [`SummaryRow`]: mean and sample sd over cycles |
//! | `rdm_tau.csv` | [`TauRow`]: Kendall's tau of a state's RDM against the healthy RDM |
//! | `pathways.csv` | [`PathwayRow`]: top-k pathway overlap of a layer with the healthy model |
//! | `superclass.csv` | [`SuperclassRow`]: superclass accuracy and errors within the superclass (CIFAR-100) |
//! | `battery.csv` | [`BatteryRow`]: accuracy under each perturbation of the visual test battery, and thresholds |
//! | `damage.csv` | [`DamageRow`]: a layer's share injured and mean damage load after an injury (progression models only) |
//! | `divergence.csv` | [`DivergenceRow`]: a state that diverged or exploded, and what the run did (only when there is one) |
//! | `healthy/train_log.csv` | [`EpochRow`]: one epoch of the healthy training |
//!
//! [`schema`] holds the same list as data (file, columns, types), which the Python package reads.
//!
//! [`auc`] reduces `metrics.csv` to the one number per regime that ranks regimes: the accuracy
//! averaged over the injury range.
//!
//! Column names and order, and the number formats (Rust's shortest round-trip form; wall
//! seconds to the millisecond), are those atrophy has always written, so older results folders
//! read unchanged.
/// The version of the results folder's format, written into `run.json` as `format_version`
/// and checked by every reader: a folder of a newer format is refused with a message that says
/// so, every older one is read. 1: the tables of atrophy 0.1.0 with `divergence.csv`; folders
/// without the field (atrophy 0.1.0 before 2026-12-04) are format 0 and read the same way.
pub const FORMAT_VERSION: u64 = 1;

/// Refuses a `run.json` (`run`, read from `path`) of a format newer than [`FORMAT_VERSION`].
pub fn check_format(run: &serde_json::Value, path: &std::path::Path) -> Result<(), String> {
    match run.get("format_version").map(|v| v.as_u64()) {
        None => Ok(()),
        Some(Some(v)) if v <= FORMAT_VERSION => Ok(()),
        Some(Some(v)) => Err(format!(
            "{}: results folder format {v}, newer than the {FORMAT_VERSION} this atrophy ({}) \
             reads; use a newer atrophy",
            path.display(),
            env!("CARGO_PKG_VERSION")
        )),
        Some(None) => Err(format!(
            "{}: format_version = {}: expected a whole number",
            path.display(),
            run["format_version"]
        )),
    }
}

pub mod auc;
pub mod battery;
pub mod course;
pub mod damage;
pub mod divergence;
pub mod evaluation;
pub(crate) mod num;
pub mod rows;
pub mod schema;
pub mod summary;
pub mod superclass;
pub mod table;

pub use auc::{auc_by_regime, AucRow};
pub use battery::{BatteryRow, BATTERY_FILE};
pub use damage::{area_shares, DamageRow, DAMAGE_FILE};
pub use divergence::{Divergence, DivergenceRow, DIVERGENCE_FILE};
pub use evaluation::{Evaluation, SuperclassMetrics};
pub use rows::{EpochRow, MetricRow, PathwayRow, State, StateKey, SummaryRow, TauCells, TauRow};
pub use summary::{curves, summarize, Curves};
pub use superclass::SuperclassRow;
pub use table::{read_table, table_bytes, write_table, TableError};
