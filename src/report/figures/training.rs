//! The healthy model's training: test and training accuracy per epoch.
use super::Figure;
use crate::report::legend::legend;
use crate::report::results::Results;
use crate::report::style::{both, line, pe, series_colour, Stroke, SIZE};
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The `healthy_training` figure, when `healthy/train_log.csv` has at least one epoch.
pub fn training(r: &Results, dir: &Path) -> Result<Option<Figure>> {
    let Some(t) = &r.train_log else {
        return Ok(None);
    };
    let pts: Vec<(f64, f64, f64)> = t
        .iter()
        .map(|e| (e.epoch as f64, e.test_top1, e.train_accuracy))
        .collect();
    if pts.is_empty() {
        return Ok(None);
    }
    let max_e = pts.iter().map(|p| p.0).fold(1.0, f64::max);
    let png = both!(dir, "healthy_training", SIZE, |root: &DrawingArea<
        _,
        Shift,
    >|
     -> Result<()> {
        let mut chart = ChartBuilder::on(root)
            .caption("Healthy model: accuracy per epoch", ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..max_e + 0.5, 0f64..1f64)
            .map_err(pe)?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc("accuracy")
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(pe)?;
        for (k, name) in [(0usize, "test top-1"), (1, "train")] {
            let colour = series_colour(k, 2);
            let xy: Vec<(f64, f64)> = pts
                .iter()
                .map(|p| (p.0, if k == 0 { p.1 } else { p.2 }))
                .collect();
            line(&mut chart, &xy, colour, name, Stroke::Solid)?;
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    });
    Ok(Some(Figure {
        png,
        title: "Healthy model".into(),
        caption: "Test top-1 and training accuracy per epoch of the healthy model's training (the \
                  training accuracy over the epoch's batches as trained: augmented when the \
                  training augments)."
            .into(),
    }))
}
