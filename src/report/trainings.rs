//! Healthy trainings side by side (`atrophy compare` on folders of `atrophy train`, or on their
//! `train_log.csv`): test accuracy against epochs and against training time, and a table of
//! the accuracy reached at set epochs, the best epoch and the time per epoch. How a recipe
//! (schedule, augmentation, label smoothing, epochs) buys accuracy, and at what cost.
use super::compare::Comparison;
use super::legend::legend;
use super::style::{both, distinct_series, line, pe};
use crate::results::EpochRow;
use anyhow::{bail, Context, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// The epochs the table reports test accuracy at (those a training reached).
pub const TABLE_EPOCHS: [usize; 4] = [10, 20, 30, 60];

/// The training log `path` names: the file itself when its first line is the header of a
/// `train_log.csv` (it, or a copy of one), or `train_log.csv` in a folder of `atrophy train`
/// (one without `metrics.csv`, which would make it a results folder); `None` for anything
/// else.
pub fn log_of(path: &Path) -> Option<PathBuf> {
    if path.is_file() {
        let first = std::fs::read_to_string(path).ok()?;
        let header = first.lines().next()?.trim_end_matches('\r');
        return (header == EpochRow::header().join(",")).then(|| path.to_path_buf());
    }
    let log = path.join("train_log.csv");
    (log.is_file() && !path.join("metrics.csv").exists()).then_some(log)
}

/// One training: its label and epochs.
struct Training {
    label: String,
    epochs: Vec<EpochRow>,
}

impl Training {
    fn read(label: &str, path: &Path) -> Result<Training> {
        let log = log_of(path).with_context(|| {
            format!(
                "{}: not a training log (train_log.csv) or a folder of `atrophy train`",
                path.display()
            )
        })?;
        let epochs: Vec<EpochRow> = crate::results::read_table(&log, |_| EpochRow::header())?
            .with_context(|| format!("{}: no such file", log.display()))?;
        if epochs.is_empty() {
            bail!("{}: no finished epoch yet", log.display());
        }
        Ok(Training {
            label: label.to_string(),
            epochs,
        })
    }

    /// The median wall seconds of an epoch: a pause of the process (a stopped job) lengthens
    /// one epoch's time, not the median.
    fn median_seconds(&self) -> f64 {
        let mut s: Vec<f64> = self.epochs.iter().map(|e| e.seconds).collect();
        s.sort_by(f64::total_cmp);
        let n = s.len();
        if n % 2 == 1 {
            s[n / 2]
        } else {
            (s[n / 2 - 1] + s[n / 2]) / 2.0
        }
    }

    /// The epoch of the best test top-1 (the first, on a tie) and that accuracy.
    fn best(&self) -> (usize, f64) {
        (self.epochs.iter()).fold((0, f64::NEG_INFINITY), |b, e| {
            if e.test_top1 > b.1 {
                (e.epoch, e.test_top1)
            } else {
                b
            }
        })
    }
}

/// Compares the trainings `runs` (label, folder or log file) into `out`:
/// `compare_training.png` (+ SVG) and `compare.md`.
pub fn compare(runs: &[(String, PathBuf)], out: &Path) -> Result<Comparison> {
    let trainings: Vec<Training> = (runs.iter())
        .map(|(label, path)| Training::read(label, path))
        .collect::<Result<_>>()?;
    super::style::register_font();
    std::fs::create_dir_all(out)?;
    let png = figure(&trainings, out)?;
    let markdown = out.join("compare.md");
    crate::fsio::write_atomic(&markdown, table(&trainings).as_bytes())?;
    Ok(Comparison {
        figures: vec![png],
        markdown,
        notes: Vec::new(),
    })
}

/// The table: test top-1 at [`TABLE_EPOCHS`], at the last epoch and at the best, the median
/// seconds per epoch and the hours the whole training takes at that pace.
fn table(trainings: &[Training]) -> String {
    let mut md = String::from(
        "# Trainings compared\n\nTest top-1 (%) on the test set after the epoch, no test-time \
         augmentation; the time of an epoch is the median over the training's epochs (training \
         and evaluation), so a pause of the process does not count; hours = epochs x that \
         median.\n\n| training |",
    );
    for e in TABLE_EPOCHS {
        md.push_str(&format!(" epoch {e} |"));
    }
    md.push_str(" last (epoch) | best (epoch) | median s / epoch | hours |\n|---|");
    md.push_str(&"---:|".repeat(TABLE_EPOCHS.len() + 4));
    md.push('\n');
    for t in trainings {
        md.push_str(&format!("| {} |", t.label));
        for e in TABLE_EPOCHS {
            match t.epochs.iter().find(|r| r.epoch == e) {
                Some(r) => md.push_str(&format!(" {:.2} |", 100.0 * r.test_top1)),
                None => md.push_str(" — |"),
            }
        }
        let last = t.epochs.last().expect("read refuses an empty log");
        let (best_epoch, best) = t.best();
        let secs = t.median_seconds();
        md.push_str(&format!(
            " {:.2} ({}) | {:.2} ({best_epoch}) | {secs:.0} | {:.2} |\n",
            100.0 * last.test_top1,
            last.epoch,
            100.0 * best,
            last.epoch as f64 * secs / 3600.0
        ));
    }
    md
}

/// Test top-1 against epochs (left) and against hours at the median epoch time (right), one
/// colour per training.
fn figure(trainings: &[Training], out: &Path) -> Result<PathBuf> {
    let max_epoch = (trainings.iter())
        .flat_map(|t| t.epochs.iter().map(|e| e.epoch))
        .max()
        .unwrap_or(1) as f64;
    let max_hours = (trainings.iter())
        .map(|t| t.epochs.last().map_or(0, |e| e.epoch) as f64 * t.median_seconds() / 3600.0)
        .fold(0.0, f64::max)
        .max(1e-3);
    let lowest = (trainings.iter())
        .flat_map(|t| t.epochs.iter().map(|e| 100.0 * e.test_top1))
        .fold(100.0, f64::min);
    let y_from = (lowest / 10.0).floor() * 10.0;
    let png = both!(
        out,
        "compare_training",
        (1400, 560),
        |root: &DrawingArea<_, Shift>| -> Result<()> {
            let panels = root.split_evenly((1, 2));
            for (k, area) in panels.iter().enumerate() {
                let (x_max, x_desc, caption) = if k == 0 {
                    (max_epoch, "epoch", "Test top-1 against epochs")
                } else {
                    (
                        max_hours,
                        "hours (epochs x median epoch time)",
                        "Test top-1 against training time",
                    )
                };
                let mut chart = ChartBuilder::on(area)
                    .caption(caption, ("sans-serif", 22))
                    .margin(12)
                    .margin_right(24)
                    .x_label_area_size(45)
                    .y_label_area_size(60)
                    .build_cartesian_2d(0f64..x_max * 1.02, y_from..100f64)
                    .map_err(pe)?;
                chart
                    .configure_mesh()
                    .x_desc(x_desc)
                    .y_desc("test top-1 (%)")
                    .label_style(("sans-serif", 14))
                    .draw()
                    .map_err(pe)?;
                for (i, t) in trainings.iter().enumerate() {
                    let per_epoch = t.median_seconds() / 3600.0;
                    let xy: Vec<(f64, f64)> = (t.epochs.iter())
                        .map(|e| {
                            let x = if k == 0 {
                                e.epoch as f64
                            } else {
                                e.epoch as f64 * per_epoch
                            };
                            (x, 100.0 * e.test_top1)
                        })
                        .collect();
                    let (colour, stroke) = distinct_series(i);
                    line(&mut chart, &xy, colour, &t.label, stroke)?;
                }
                legend(&mut chart, SeriesLabelPosition::LowerRight)?;
            }
            Ok(())
        }
    );
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(dir: &Path, name: &str, rows: &[(usize, f64, f64)]) -> PathBuf {
        let mut s = EpochRow::header().join(",");
        s.push('\n');
        for (epoch, top1, secs) in rows {
            s.push_str(&format!("{epoch},0.1,1.0,0.5,1.0,{top1},{top1},{secs}\n"));
        }
        let p = dir.join(name);
        std::fs::write(&p, s).unwrap();
        p
    }

    /// A hand-worked table: accuracy at the epochs reached, the best epoch (the first of a
    /// tie), the median epoch time (a paused epoch of 900 s does not move it) and the hours.
    #[test]
    fn the_table_reads_epochs_best_and_median_time() {
        let d = tempfile::tempdir().unwrap();
        let rows: Vec<(usize, f64, f64)> = (1..=20)
            .map(|e| {
                let top1 = if e >= 15 { 0.85 } else { 0.5 + 0.02 * e as f64 };
                (e, top1, if e == 1 { 900.0 } else { 100.0 + e as f64 })
            })
            .collect();
        let a = log(d.path(), "a.csv", &rows);
        let b = log(d.path(), "b.csv", &[(1, 0.3, 50.0), (2, 0.4, 70.0)]);
        let t = [
            Training::read("a", &a).unwrap(),
            Training::read("b", &b).unwrap(),
        ];
        // Epoch times 900, 102..=120: the median of 20 is the mean of the 10th and 11th
        // smallest, 111 and 112.
        assert_eq!(t[0].median_seconds(), 111.5);
        assert_eq!(t[0].best(), (15, 0.85));
        assert_eq!(t[1].median_seconds(), 60.0);
        let md = table(&t);
        // a: epoch 10 at 0.5 + 0.2 = 70 %, 20 epochs x 111.5 s = 0.62 h.
        assert!(
            md.contains("| a | 70.00 | 85.00 | — | — | 85.00 (20) | 85.00 (15) | 112 | 0.62 |"),
            "{md}"
        );
        assert!(
            md.contains("| b | — | — | — | — | 40.00 (2) | 40.00 (2) | 60 | 0.03 |"),
            "{md}"
        );
    }

    /// Folders of `atrophy train` and log files are trainings; a results folder is not, and an
    /// empty log is refused by name.
    #[test]
    fn trainings_are_told_from_results_folders() {
        let d = tempfile::tempdir().unwrap();
        let train = d.path().join("train");
        std::fs::create_dir_all(&train).unwrap();
        log(&train, "train_log.csv", &[(1, 0.5, 10.0)]);
        assert_eq!(log_of(&train), Some(train.join("train_log.csv")));
        let results = d.path().join("run");
        std::fs::create_dir_all(&results).unwrap();
        log(&results, "train_log.csv", &[(1, 0.5, 10.0)]);
        std::fs::write(results.join("metrics.csv"), "").unwrap();
        assert_eq!(log_of(&results), None);
        // Another table (a results folder's metrics.csv) is no training.
        let metrics = d.path().join("metrics.csv");
        std::fs::write(&metrics, "regime,cycle,iteration\n").unwrap();
        assert_eq!(log_of(&metrics), None);
        let empty = log(d.path(), "empty.csv", &[]);
        let e = Training::read("e", &empty).err().unwrap().to_string();
        assert!(
            e.contains("empty.csv") && e.contains("no finished epoch"),
            "{e}"
        );
    }

    /// The figure and the table are written, and the figure is a PNG of the stated size.
    #[test]
    fn compare_writes_the_figure_and_table() {
        let d = tempfile::tempdir().unwrap();
        let a = log(d.path(), "a.csv", &[(1, 0.5, 10.0), (2, 0.6, 10.0)]);
        let b = log(
            d.path(),
            "b.csv",
            &[(1, 0.4, 20.0), (2, 0.7, 20.0), (3, 0.8, 20.0)],
        );
        let out = d.path().join("cmp");
        let c = compare(&[("a".into(), a), ("b".into(), b)], &out).unwrap();
        assert_eq!(c.figures, vec![out.join("compare_training.png")]);
        let png = std::fs::read(&c.figures[0]).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        // Width and height, big-endian, in the IHDR chunk.
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 1400);
        assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 560);
        assert!(out.join("compare_training.svg").is_file());
        assert!(std::fs::read_to_string(&c.markdown)
            .unwrap()
            .contains("| b |"));
    }
}
