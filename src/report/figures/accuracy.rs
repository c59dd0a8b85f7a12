//! Accuracy against the fraction injured, mean +- 1 sd over cycles (paper 000 Fig. 2, paper 001
//! Fig. 2A), with chance and, for a paper's protocol, the figures the paper prints in its text.
use super::Figure;
use crate::report::results::Results;
use crate::report::style::{both, curves_chart, legend, pe, series_colour, Chart, CurvePlot, SIZE};
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
        let png = both!(
            dir,
            format!("accuracy_{col}"),
            SIZE,
            |root: &DrawingArea<_, _>| -> Result<()> {
                let mut chart = curves_chart(root, &plot, chance)?;
                draw_marks(&mut chart, &marks, &regimes)?;
                legend(&mut chart, SeriesLabelPosition::LowerLeft)
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

/// A figure the paper printed, placed on the run's axes: (regime, x, y, sd) as fractions, with
/// `approximate` for numbers the paper gives only roughly.
#[derive(Clone, Debug)]
struct PaperMark {
    regime: String,
    x: f64,
    y: f64,
    sd: Option<f64>,
    approximate: bool,
}

/// The published figures of the paper whose protocol the run follows, for summary column
/// `metric`, and the paper's title; none when the run follows no paper or the paper reports
/// another metric.
fn paper_marks(r: &Results, metric: &str) -> Result<(Vec<PaperMark>, Option<&'static str>)> {
    use crate::report::paper::{tables, Paper};
    let config = r.run.as_ref().map(|v| &v["config"]);
    let paper = config
        .and_then(Paper::of_config)
        .filter(|p| p.metric() == metric);
    let (Some(p), Some(s)) = (paper, &r.summary) else {
        return Ok((Vec::new(), None));
    };
    let mut marks = Vec::new();
    for t in tables(s, metric, config, Some(p))? {
        for row in &t.rows {
            for v in [&row.paper_injured, &row.paper_retrained]
                .into_iter()
                .flatten()
            {
                marks.push(PaperMark {
                    regime: t.regime.clone(),
                    x: row.fraction,
                    y: v.mean / 100.0,
                    sd: v.sd.map(|sd| sd / 100.0),
                    approximate: v.approximate,
                });
            }
        }
    }
    Ok((marks, Some(p.title())))
}

/// Paper figures as diamonds in the regime's colour (hollow: given only roughly), with +-1 sd bars.
fn draw_marks<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    marks: &[PaperMark],
    regimes: &[String],
) -> Result<()> {
    for (k, m) in marks.iter().enumerate() {
        let i = regimes.iter().position(|r| r == &m.regime).unwrap_or(0);
        let colour = series_colour(i, regimes.len());
        let (x, y) = (100.0 * m.x, m.y);
        if let Some(sd) = m.sd {
            chart
                .draw_series(std::iter::once(ErrorBar::new_vertical(
                    x,
                    y - sd,
                    y,
                    y + sd,
                    colour.stroke_width(2),
                    10,
                )))
                .map_err(pe)?;
        }
        let style = if m.approximate {
            colour.stroke_width(2)
        } else {
            colour.filled()
        };
        let diamond = move |(x, y): (i32, i32), s: ShapeStyle| {
            Polygon::new(vec![(x, y - 7), (x + 7, y), (x, y + 7), (x - 7, y)], s)
        };
        let drawn = chart
            .draw_series(std::iter::once(
                EmptyElement::at((x, y)) + diamond((0, 0), style),
            ))
            .map_err(pe)?;
        if k == 0 {
            drawn
                .label("paper (text figures, +-1 sd)")
                .legend(move |(x, y)| diamond((x + 10, y), BLACK.filled()));
        }
    }
    Ok(())
}
