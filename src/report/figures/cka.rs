//! Layer-wise CKA against the healthy model at one injury level (paper 000 Fig. 3): the mean
//! matrices after the injury and after retraining, and their diagonals (each layer against the
//! same layer of the healthy model).
use super::Figure;
use crate::report::legend::{legend, legend_place};
use crate::report::results::{Level, Results};
use crate::report::style::{
    both, draw_colourbar, draw_heatmap, line, pe, series_colour, CurvePlot, Stroke, SIZE,
};
use crate::results::{Curves, State};
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// The mean CKA matrices of one regime at one level: after the injury (over `cycles` cycles),
/// after recalibration and after retraining when the regime has them.
struct Matrices {
    inj: ndarray::Array2<f64>,
    cycles: usize,
    rec: Option<ndarray::Array2<f64>>,
    ret: Option<ndarray::Array2<f64>>,
}

impl Matrices {
    fn at(r: &Results, regime: &str, at: Level) -> Option<Matrices> {
        let (inj, cycles) = r.mean_cka(regime, at.iteration, State::Injured)?;
        let later = |s| r.mean_cka(regime, at.iteration, s).map(|m| m.0);
        Some(Matrices {
            inj,
            cycles,
            rec: later(State::Recalibrated),
            ret: later(State::Retrained),
        })
    }
}

/// The `cka_heatmaps_PCT` figure of `regime` at `at`: the injured, recalibrated (when the regime
/// recalibrates BatchNorm) and retrained matrices, mean over cycles, side by side; none without
/// injured matrices there.
pub fn cka_heatmaps(r: &Results, dir: &Path, regime: &str, at: Level) -> Result<Option<Figure>> {
    let Some(Matrices {
        inj,
        cycles,
        rec,
        ret,
    }) = Matrices::at(r, regime, at)
    else {
        return Ok(None);
    };
    let level = r.level_words(at.percent());
    // Two panels as always; a third for the recalibrated state, 565 pixels wide like the others.
    let panels_n = if rec.is_some() { 3 } else { 2 };
    let width = 1170 + 565 * (panels_n - 2);
    let png = both!(
        dir,
        format!("cka_heatmaps_{}", at.percent()),
        (width + 130, 600),
        |root: &DrawingArea<_, Shift>| -> Result<()> {
            let (left, bar) = root.split_horizontally(width);
            let panels = left.split_evenly((1, panels_n as usize));
            let axes = ("layer (model under test)", "layer (healthy)");
            draw_heatmap(
                &panels[0],
                &if cycles == 1 {
                    format!("{regime}: injured, {level} (one cycle)")
                } else {
                    format!("{regime}: injured, {level} (mean of {cycles} cycles)")
                },
                &inj,
                axes,
            )?;
            let later = [("recalibrated", &rec), ("retrained", &ret)];
            let shown = later.iter().filter(|(_, m)| rec.is_some() || m.is_some());
            for (panel, (name, m)) in panels[1..].iter().zip(shown) {
                if let Some(m) = m {
                    let title = format!("{regime}: {name}, {level}");
                    draw_heatmap(panel, &title, m, axes)?;
                }
            }
            draw_colourbar(&bar, "CKA")
        }
    );
    Ok(Some(Figure {
        png,
        title: format!("Layer-wise CKA against the healthy model at {level} injured"),
        caption: "M[i][j] = linear CKA(layer i of the healthy model, layer j of the injured / recalibrated / retrained model), mean over cycles; grey: undefined (constant layer).".into(),
    }))
}

/// The `cka_diagonal_PCT` figure of `regime` at `at`: the diagonals of the mean injured,
/// recalibrated and retrained matrices (those the run has) against the layer; none without injured matrices there.
pub fn cka_diagonal(r: &Results, dir: &Path, regime: &str, at: Level) -> Result<Option<Figure>> {
    let Some(Matrices { inj, rec, ret, .. }) = Matrices::at(r, regime, at) else {
        return Ok(None);
    };
    let states = [
        (Some(&inj), State::Injured),
        (rec.as_ref(), State::Recalibrated),
        (ret.as_ref(), State::Retrained),
    ];
    let n = states.iter().filter(|(m, _)| m.is_some()).count();
    let lines: Vec<Diagonal> = states
        .into_iter()
        .filter_map(|(m, state)| Some((m?, state)))
        .enumerate()
        .map(|(k, (m, state))| {
            // The state's stroke, as in the accuracy and tau figures.
            let stroke = Stroke::of(state);
            Diagonal {
                label: format!("{state} ({})", stroke.name()),
                colour: series_colour(k, n),
                stroke,
                values: m.diag().to_vec(),
            }
        })
        .collect();
    let title = format!(
        "1:1 layer CKA at {} injured ({regime})",
        r.level_words(at.percent())
    );
    let png = both!(
        dir,
        format!("cka_diagonal_{}", at.percent()),
        diagonal_size(&r.cka_layers),
        |root: &DrawingArea<_, Shift>| draw_diagonals(root, &title, &r.cka_layers, &lines)
    );
    Ok(Some(Figure {
        png,
        title: "1:1 layer CKA".into(),
        caption: "The diagonal of the CKA matrices: each layer against the same layer of the healthy model.".into(),
    }))
}

/// One line of a CKA-diagonal figure: each layer's CKA against the same layer of the healthy
/// model, in one state.
pub struct Diagonal {
    /// The legend's text.
    pub label: String,
    /// Its colour.
    pub colour: RGBColor,
    /// Its stroke.
    pub stroke: Stroke,
    /// One value per layer (NaN: undefined, left out).
    pub values: Vec<f64>,
}

/// The size of a CKA-diagonal figure: the label area under the plot grows with the longest
/// layer name, which stands upright so that long ones (`decoder.avgpool`) do not run into
/// their neighbours.
pub fn diagonal_size(layers: &[String]) -> (u32, u32) {
    (SIZE.0, SIZE.1 + label_area(layers) - 45)
}

fn label_area(layers: &[String]) -> u32 {
    let longest = layers.iter().map(|n| n.chars().count()).max().unwrap_or(0) as u32;
    (20 + 7 * longest).clamp(45, 200)
}

/// Draws `lines` against the layers `layers` under `title` (a [`diagonal_size`] area).
pub fn draw_diagonals<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    layers: &[String],
    lines: &[Diagonal],
) -> Result<()> {
    // Layers without a name (a layers.txt shorter than the matrices) still get their points.
    let l = (lines.iter().map(|d| d.values.len()))
        .max()
        .unwrap_or(0)
        .max(layers.len());
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(label_area(layers))
        .y_label_area_size(60)
        .build_cartesian_2d(-0.5f64..l as f64 - 0.5, 0f64..1.05f64)
        .map_err(pe)?;
    chart
        .configure_mesh()
        .x_desc("layer")
        .x_labels(l.min(20))
        .y_desc("CKA(healthy, model)")
        // The layer names are drawn upright below, one per tick.
        .x_label_formatter(&|_| String::new())
        .label_style(("sans-serif", 12))
        .draw()
        .map_err(pe)?;
    for d in lines {
        let pts: Vec<(f64, f64)> = (d.values.iter().enumerate())
            .map(|(i, &v)| (i as f64, v))
            .filter(|p| p.1.is_finite())
            .collect();
        line(&mut chart, &pts, d.colour, &d.label, d.stroke)?;
    }
    // The legend where it hides the fewest points: the lines as curves on a 0..1 x axis.
    let span = l.saturating_sub(1).max(1) as f64;
    let as_curves: Curves = (lines.iter().enumerate())
        .map(|(k, d)| {
            let pts = (d.values.iter().enumerate())
                .filter(|(_, v)| v.is_finite())
                .map(|(i, &v)| (i as f64 / span, v, 0.0))
                .collect();
            ((k.to_string(), State::Injured), pts)
        })
        .collect();
    let plot = CurvePlot {
        title,
        x_desc: "layer",
        y_desc: "CKA",
        curves: &as_curves,
        regimes: &[],
        y_range: (0.0, 1.05),
    };
    legend(&mut chart, legend_place(&plot, &[], lines.len()))?;
    // Every layer's name when there is room (16 pixels each), else every k-th.
    let (x0, _) = chart.backend_coord(&(0.0, 0.0));
    let (x1, _) = chart.backend_coord(&((l.max(2) - 1) as f64, 0.0));
    let room = (x1 - x0).max(1) as usize / l.max(2).saturating_sub(1).max(1);
    let step = 16usize.div_ceil(room.max(1)).max(1);
    let style = TextStyle::from(
        ("sans-serif", 12)
            .into_font()
            .transform(FontTransform::Rotate270),
    )
    .pos(Pos::new(HPos::Right, VPos::Center));
    for (i, name) in layers.iter().enumerate().step_by(step) {
        let (x, y) = chart.backend_coord(&(i as f64, 0.0));
        root.draw(&Text::new(name.clone(), (x, y + 6), style.clone()))
            .map_err(pe)?;
    }
    Ok(())
}
