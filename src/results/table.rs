//! Writing and reading a table of rows with the `csv` crate: a header line, then one record per
//! row, fields by position. Writes are atomic (a reader or a crash never sees half a table).
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Why a table could not be written or read; every case names the file.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The header is not the one this table has.
    #[error("{}: unexpected columns `{found}`: expected `{expected}`", path.display())]
    Header {
        /// The file.
        path: PathBuf,
        /// The header found.
        found: String,
        /// The header expected.
        expected: String,
    },
    /// A record does not fit the row type.
    #[error("{}: line {line}: {message}", path.display())]
    Row {
        /// The file.
        path: PathBuf,
        /// Line number, from 1 (the header is line 1).
        line: u64,
        /// What was wrong with it.
        message: String,
    },
}

/// The bytes of a table: `header`, then `rows`.
pub fn table_bytes<T: Serialize>(header: &[String], rows: &[T]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    w.write_record(header)?;
    for r in rows {
        w.serialize(r)?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// Writes `rows` under `header` to `path`, atomically.
pub fn write_table<T: Serialize>(
    path: &Path,
    header: &[String],
    rows: &[T],
) -> Result<(), TableError> {
    let io = |source| TableError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = table_bytes(header, rows).map_err(|e| io(std::io::Error::other(e)))?;
    crate::fsio::write_atomic(path, &bytes).map_err(io)
}

/// Reads the rows of `path`, `None` when it does not exist. `expected` gives the header the
/// table must have, from the number of columns found (tables with per-class columns have as
/// many as the data set has classes).
pub fn read_table<T: DeserializeOwned>(
    path: &Path,
    expected: impl FnOnce(usize) -> Vec<String>,
) -> Result<Option<Vec<T>>, TableError> {
    if !path.is_file() {
        return Ok(None);
    }
    let bytes = std::fs::read(path).map_err(|source| TableError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let row_error = |line: u64, message: String| TableError::Row {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(&bytes[..]);
    let header: Vec<String> = r
        .headers()
        .map_err(|e| row_error(1, e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    let want = expected(header.len());
    if header != want {
        return Err(TableError::Header {
            path: path.to_path_buf(),
            found: header.join(","),
            expected: want.join(","),
        });
    }
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            row_error(line, e.to_string())
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        rows.push(rec.deserialize(None).map_err(|e| {
            // The column by its header name, not csv's 0-based field index.
            let message = match e.kind() {
                csv::ErrorKind::Deserialize { err, .. } => {
                    match err.field().and_then(|f| header.get(f as usize)) {
                        Some(column) => format!("column `{column}`: {}", err.kind()),
                        None => err.kind().to_string(),
                    }
                }
                _ => e.to_string(),
            };
            row_error(line, message)
        })?);
    }
    Ok(Some(rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{MetricRow, State, StateKey};

    fn row(regime: &str, state: State, per_class: Vec<f64>) -> MetricRow {
        MetricRow {
            key: StateKey {
                regime: regime.into(),
                cycle: 0,
                iteration: 2,
                fraction_injured: 0.1,
                state,
            },
            top1: 0.5,
            mean_class: 0.25,
            loss: 1.0,
            seconds: 1.23456,
            per_class,
        }
    }

    #[test]
    fn metrics_round_trip_with_quotes_and_class_columns() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("metrics.csv");
        let rows = vec![
            row("R1000, \"balanced\"", State::Injured, vec![0.5, 0.0]),
            row("static", State::Retrained, vec![1.0, 0.125]),
        ];
        write_table(&p, &MetricRow::header(2), &rows).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            text.lines().nth(1).unwrap(),
            "\"R1000, \"\"balanced\"\"\",0,2,0.1,injured,0.5,0.25,1,1.235,0.5,0"
        );
        let back: Vec<MetricRow> = read_table(&p, |n| MetricRow::header(n - 9))
            .unwrap()
            .unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].key, rows[0].key);
        assert_eq!(back[1].per_class, vec![1.0, 0.125]);
        assert_eq!(back[0].seconds, 1.235);
    }

    #[test]
    fn a_wrong_header_or_row_names_the_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("rdm_tau.csv");
        std::fs::write(&p, "regime,cycle\nx,1\n").unwrap();
        let e = read_table::<crate::results::TauRow>(&p, |_| crate::results::TauRow::header())
            .unwrap_err()
            .to_string();
        assert!(e.contains("rdm_tau.csv") && e.contains("expected"), "{e}");
        std::fs::write(
            &p,
            "regime,cycle,iteration,fraction_injured,state,variant,tau\nx,1,2,0.5,melted,a,0.1\n",
        )
        .unwrap();
        let e = read_table::<crate::results::TauRow>(&p, crate::results::TauRow::header_for)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("rdm_tau.csv: line 2: unknown variant `melted`"),
            "{e}"
        );
        // A bad number: the line and the cell's text.
        let s = d.path().join("summary.csv");
        let header = crate::results::SummaryRow::header();
        let mut cells: Vec<&str> = vec!["R", "1", "injured", "2", "0.1", "abc"];
        cells.resize(header.len(), "0");
        std::fs::write(&s, format!("{}\n{}\n", header.join(","), cells.join(","))).unwrap();
        let e = read_table::<crate::results::SummaryRow>(&s, |_| header.clone())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("summary.csv: line 2: `abc` is not a number"),
            "{e}"
        );
        assert!(
            read_table::<crate::results::TauRow>(&d.path().join("none.csv"), |_| vec![])
                .unwrap()
                .is_none()
        );
    }
}
