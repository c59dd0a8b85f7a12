//! The parts' learning curves as CSV files under `parts/`: one row per episode or epoch.
use crate::plasticity::differentiable::classify::ClassifyPoint;
use crate::plasticity::differentiable::pattern::PatternPoint;
use anyhow::{anyhow, bail, Context, Result};
use std::fmt::Write as _;
use std::path::Path;

/// A point of a learning curve as one CSV row of five numbers.
pub(super) trait CurveRow: Sized {
    /// The CSV header.
    const HEADER: &'static str;
    /// The row's values, in the header's order.
    fn values(&self) -> [f64; 5];
    /// The point from a row read back.
    fn from_values(v: &[f64]) -> Self;
}

impl CurveRow for PatternPoint {
    const HEADER: &'static str = "episode,loss,error,error_erased,eta";
    fn values(&self) -> [f64; 5] {
        let p = self;
        [p.episode as f64, p.loss, p.error, p.error_erased, p.eta]
    }
    fn from_values(r: &[f64]) -> Self {
        PatternPoint {
            episode: r[0] as usize,
            loss: r[1],
            error: r[2],
            error_erased: r[3],
            eta: r[4],
        }
    }
}

impl CurveRow for ClassifyPoint {
    const HEADER: &'static str = "epoch,train_loss,test_loss,test_accuracy,alpha_shift";
    fn values(&self) -> [f64; 5] {
        let p = self;
        [
            p.epoch as f64,
            p.train_loss,
            p.test_loss,
            p.test_accuracy,
            p.alpha_shift,
        ]
    }
    fn from_values(r: &[f64]) -> Self {
        ClassifyPoint {
            epoch: r[0] as usize,
            train_loss: r[1],
            test_loss: r[2],
            test_accuracy: r[3],
            alpha_shift: r[4],
        }
    }
}

/// The curve as CSV text (numbers in their shortest round-trip form).
pub(super) fn to_csv<T: CurveRow>(points: &[T]) -> String {
    let mut s = format!("{}\n", T::HEADER);
    for p in points {
        let v = p.values().map(|x| x.to_string());
        let _ = writeln!(s, "{}", v.join(","));
    }
    s
}

/// A curve read back from its CSV file; errors name the file and line.
pub(super) fn read_curve<T: CurveRow>(path: &Path) -> Result<Vec<T>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut lines = text.lines();
    if lines.next() != Some(T::HEADER) {
        bail!("{}: expected the header `{}`", path.display(), T::HEADER);
    }
    lines
        .enumerate()
        .map(|(i, line)| {
            let row: Vec<f64> = line
                .split(',')
                .map(|v| v.parse::<f64>())
                .collect::<Result<_, _>>()
                .map_err(|e| anyhow!("{} line {}: {e}", path.display(), i + 2))?;
            if row.len() != 5 {
                bail!(
                    "{} line {}: {} values, expected 5",
                    path.display(),
                    i + 2,
                    row.len()
                );
            }
            Ok(T::from_values(&row))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_read_back_as_written() {
        let points = vec![PatternPoint {
            episode: 1,
            loss: 2.5,
            error: 0.25,
            error_erased: 0.5,
            eta: 0.01,
        }];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.csv");
        std::fs::write(&path, to_csv(&points)).unwrap();
        let back = read_curve::<PatternPoint>(&path).unwrap();
        assert_eq!(
            (back[0].episode, back[0].loss, back[0].error),
            (1, 2.5, 0.25)
        );
        std::fs::write(&path, "episode,loss\n1,2\n").unwrap();
        let e = read_curve::<PatternPoint>(&path).unwrap_err().to_string();
        assert!(e.contains("p.csv") && e.contains("header"), "{e}");
    }
}
