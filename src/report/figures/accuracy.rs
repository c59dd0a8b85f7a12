//! Accuracy against the fraction injured, mean +- 1 sd over cycles (paper 000 Fig. 2, paper 001
//! Fig. 2A), with chance and, for a paper's protocol, the figures the paper prints in its text.
use super::marks::{draw_marks, marks_label, paper_marks};
use super::Figure;
use crate::report::legend::{curve_entries, curve_figure_size, curve_legend, split_for_legend};
use crate::report::results::Results;
use crate::report::style::{both, curves_chart, CurvePlot};
use crate::results::MetricRow;
use crate::results::State;
use anyhow::Result;
use plotters::prelude::*;
use std::path::Path;

/// Reads one column of `metrics.csv`.
type Column = fn(&MetricRow) -> f64;

/// The accuracy figures: `accuracy_top1` and `accuracy_mean_class`, each drawn when the metrics
/// give at least one line.
pub fn accuracy(r: &Results, dir: &Path) -> Result<Vec<Figure>> {
    let columns: [(&str, &str, Column); 2] = [
        ("top1", "top-1 accuracy", |m| m.top1),
        ("mean_class", "mean class-wise accuracy", |m| m.mean_class),
    ];
    let regimes = r.regimes();
    let chance = r.chance().map(|c| (c, "chance"));
    let mut figs = Vec::new();
    let x_desc = r.x_desc();
    for (col, what, value) in columns {
        let c = r.metric_curves(value);
        if c.is_empty() {
            continue;
        }
        let (marks, paper) = paper_marks(r, col)?;
        let plot = CurvePlot {
            x_desc: &x_desc,
            title: &format!("{what} against injury (mean +- 1 sd over cycles)"),
            y_desc: what,
            curves: &c,
            regimes: &regimes,
            y_range: (0.0, 1.0),
        };
        let mut avoid: Vec<(f64, f64)> = marks.iter().map(|m| m.position()).collect();
        if let Some((y, _)) = chance {
            avoid.extend((0..=20).map(|k| (5.0 * k as f64, y)));
        }
        let entries = curve_entries(&plot, chance.map(|c| c.1), marks_label(&marks));
        let png = both!(
            dir,
            format!("accuracy_{col}"),
            curve_figure_size(&entries),
            |root: &DrawingArea<_, _>| -> Result<()> {
                let (area, side) = split_for_legend(root, &entries);
                let mut chart = curves_chart(&area, &plot, chance)?;
                draw_marks(&mut chart, &marks, &regimes)?;
                curve_legend(&mut chart, side.as_ref(), &plot, &entries, &avoid)
            }
        );
        let mut caption = String::from("Dashed: right after the injury; solid: after retraining the healthy synapses. Bands: +-1 sample sd over cycles.");
        if chance.is_some() {
            caption.push_str(" Dashed grey: chance.");
        }
        if r.metrics.iter().any(|m| m.key.state == State::Recalibrated) {
            caption.push_str(" Dotted: after the injury and a re-estimation of BatchNorm's running statistics (homeostasis), before any synapse relearns.");
        }
        if let Some(p) = paper {
            caption.push_str(&format!(" Diamonds: the figures {p} prints in its text, in the regime's colour, with +-1 sd bars where given (hollow: given only roughly)."));
        }
        figs.push(Figure {
            png,
            title: format!("{what} against the fraction of synapses injured"),
            caption,
        });
    }
    Ok(figs)
}
