//! Paper 003's two measured tasks as `atrophy reproduce 003` ran them, with the values the paper
//! prints as diamonds: the pattern reconstruction's error against episodes (its Fig. 1-2 print
//! one number each), and the test accuracy of the plastic and ordinary classifiers against
//! epochs (its Fig. 7-8; the text prints the best of each).
use crate::plasticity::differentiable::paper003::{network, Paper003Results};
use crate::report::legend::legend;
use crate::report::paper_values;
use crate::report::style::{both, diamond, line, pe, register_font, series_colour, Stroke, SIZE};
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// The floor a zero error rate is drawn at on the log axis: half of one wrong bit in a window.
pub fn log_floor(size: usize, window: usize) -> f64 {
    0.5 / (size * window) as f64
}

/// Running mean over the last `window` values (fewer at the start).
fn running_mean(values: &[f64], window: usize) -> Vec<f64> {
    (0..values.len())
        .map(|i| {
            let from = (i + 1).saturating_sub(window);
            values[from..=i].iter().sum::<f64>() / (i + 1 - from) as f64
        })
        .collect()
}

/// `pattern.png`: log10 of the sign error rate, running mean of `window` episodes, one line per
/// run (solid plastic, dashed non-plastic), with paper 003's printed values.
pub fn pattern(r: &Paper003Results, dir: &Path) -> Result<Option<PathBuf>> {
    if r.patterns.is_empty() {
        return Ok(None);
    }
    register_font();
    let c = &r.config.pattern;
    let printed: Vec<(f64, f64)> = (paper_values::values().iter())
        .filter(|v| v.paper == "003" && v.metric == "mse")
        .filter_map(|v| Some((v.iteration? as f64, v.mean)))
        .collect();
    // Low enough for the paper's values too, so that no diamond sits on the floor.
    let floor = (printed.iter().map(|p| p.1 / 2.0)).fold(log_floor(c.size, c.window), f64::min);
    let marks: Vec<(f64, f64)> = printed.iter().map(|&(x, y)| (x, y.log10())).collect();
    let shares = &c.erased;
    let x1 = (c.episodes as f64).max(marks.iter().map(|m| m.0).fold(1.0, f64::max));
    let png = both!(
        dir,
        "pattern",
        SIZE,
        |root: &DrawingArea<_, Shift>| -> Result<()> {
            let mut chart = ChartBuilder::on(root)
                .caption(
                    format!(
                        "Pattern reconstruction, {} bits (paper 003, Fig. 1-2)",
                        c.size
                    ),
                    ("sans-serif", 22),
                )
                .margin(12)
                .margin_right(30)
                .x_label_area_size(45)
                .y_label_area_size(60)
                .build_cartesian_2d(0.0..x1, floor.log10()..0.0)
                .map_err(pe)?;
            chart
                .configure_mesh()
                .x_desc("episode")
                .y_desc(format!(
                    "log10 sign error rate, mean of {} episodes",
                    c.window
                ))
                .label_style(("sans-serif", 14))
                .draw()
                .map_err(pe)?;
            for curve in &r.patterns {
                let errors: Vec<f64> = curve.points.iter().map(|p| p.error).collect();
                let xy: Vec<(f64, f64)> = (curve.points.iter())
                    .zip(running_mean(&errors, c.window))
                    .map(|(p, e)| (p.episode as f64, e.max(floor).log10()))
                    .collect();
                let i = shares.iter().position(|&s| s == curve.erased).unwrap_or(0);
                let stroke = if curve.plastic {
                    Stroke::Solid
                } else {
                    Stroke::Dashed
                };
                let label = format!(
                    "{}, {:.0} % erased",
                    network(curve.plastic),
                    100.0 * curve.erased
                );
                line(
                    &mut chart,
                    &xy,
                    series_colour(i, shares.len()),
                    &label,
                    stroke,
                )?;
            }
            for (k, &(x, y)) in marks.iter().enumerate() {
                let drawn = chart
                    .draw_series(std::iter::once(
                        EmptyElement::at((x, y)) + diamond(0, 0, BLACK.filled()),
                    ))
                    .map_err(pe)?;
                if k == 0 {
                    drawn
                        .label("paper 003: printed mean loss")
                        .legend(|(x, y)| diamond(x + 10, y, BLACK.filled()));
                }
            }
            legend(&mut chart, SeriesLabelPosition::UpperRight)
        }
    );
    Ok(Some(png))
}

/// `classify.png`: test accuracy per epoch of both classifiers, with the best accuracy paper
/// 003 prints for each as a dotted line in the same colour.
pub fn classify(r: &Paper003Results, dir: &Path) -> Result<Option<PathBuf>> {
    if r.classify.is_empty() {
        return Ok(None);
    }
    register_font();
    let c = &r.config.classify;
    let x1 = c.epochs.max(2) as f64;
    let colour = |plastic: bool| series_colour(usize::from(!plastic), 2);
    // Zoomed on where the curves settle: from the lowest accuracy after the first 3 epochs (or
    // the paper's values, if lower), in steps of 5 %; the points below it (the first epochs)
    // are left out, as the caption says.
    let settled = (r.classify.iter())
        .flat_map(|curve| curve.points.iter())
        .filter(|p| p.epoch > 3 || c.epochs <= 3)
        .map(|p| 100.0 * p.test_accuracy)
        .chain(
            (paper_values::values().iter())
                .filter(|v| v.paper == "003" && v.metric == "best_top1")
                .map(|v| v.mean),
        )
        .fold(100.0, f64::min);
    let y0 = (5.0 * ((settled - 2.0) / 5.0).floor()).clamp(0.0, 95.0);
    let png = both!(
        dir,
        "classify",
        SIZE,
        |root: &DrawingArea<_, Shift>| -> Result<()> {
            let mut chart = ChartBuilder::on(root)
                .caption(
                    format!(
                        "{}: plastic vs ordinary last layer (paper 003, Fig. 7-8){}",
                        c.dataset,
                        if y0 > 0.0 {
                            format!("; below {y0:.0} % not drawn")
                        } else {
                            String::new()
                        }
                    ),
                    ("sans-serif", 22),
                )
                .margin(12)
                .margin_right(30)
                .x_label_area_size(45)
                .y_label_area_size(60)
                .build_cartesian_2d(1.0..x1, y0..100.0)
                .map_err(pe)?;
            chart
                .configure_mesh()
                .x_desc("epoch")
                .y_desc("test accuracy (%)")
                .label_style(("sans-serif", 14))
                .draw()
                .map_err(pe)?;
            for curve in &r.classify {
                let xy: Vec<(f64, f64)> = (curve.points.iter())
                    .map(|p| (p.epoch as f64, 100.0 * p.test_accuracy))
                    .filter(|&(_, y)| y >= y0)
                    .collect();
                line(
                    &mut chart,
                    &xy,
                    colour(curve.plastic),
                    network(curve.plastic),
                    Stroke::Solid,
                )?;
            }
            for v in (paper_values::values().iter())
                .filter(|v| v.paper == "003" && v.metric == "best_top1")
            {
                let plastic = v.network.as_deref() == Some("plastic");
                line(
                    &mut chart,
                    &[(1.0, v.mean), (x1, v.mean)],
                    colour(plastic),
                    &format!("paper 003: best, {} ({:.0} %)", network(plastic), v.mean),
                    Stroke::Dotted,
                )?;
            }
            legend(&mut chart, SeriesLabelPosition::LowerRight)
        }
    );
    Ok(Some(png))
}
