//! Accuracy against the fraction injured, mean +- 1 sd over cycles (paper 000 Fig. 2, paper 001
//! Fig. 2A), with chance and, for a paper's protocol, the figures the paper prints in its text.
use super::marks::{draw_marks, paper_marks};
use super::Figure;
use crate::report::results::Results;
use crate::report::style::{both, curves_chart, legend, legend_corner, CurvePlot, SIZE};
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
    for (col, what, value) in columns {
        let c = r.metric_curves(value);
        if c.is_empty() {
            continue;
        }
        let (marks, paper) = paper_marks(r, col)?;
        let plot = CurvePlot {
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
        let rows = c.len() + usize::from(chance.is_some()) + usize::from(!marks.is_empty());
        let png = both!(
            dir,
            format!("accuracy_{col}"),
            SIZE,
            |root: &DrawingArea<_, _>| -> Result<()> {
                let mut chart = curves_chart(root, &plot, chance)?;
                draw_marks(&mut chart, &marks, &regimes)?;
                legend(&mut chart, legend_corner(&plot, &avoid, rows))
            }
        );
        let mut caption = String::from("Dashed: right after the injury; solid: after retraining the healthy synapses. Bands: +-1 sample sd over cycles. Dashed grey: chance.");
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
