//! The figures a paper printed in its text, placed on the run's axes as diamonds in the regime's
//! colour: accuracies (paper 000 Fig. 2, paper 001 Fig. 2A) and Kendall's tau (paper 001 Fig. 2B).
use crate::report::paper::{tables, Paper};
use crate::report::results::Results;
use crate::report::style::{diamond, pe, series_colour, Chart};
use anyhow::Result;
use plotters::prelude::*;

/// A figure the paper printed, placed on the run's axes: (regime, x, y, sd) as fractions, with
/// `approximate` for numbers the paper gives only roughly.
#[derive(Clone, Debug)]
pub struct PaperMark {
    regime: String,
    x: f64,
    y: f64,
    sd: Option<f64>,
    approximate: bool,
}

impl PaperMark {
    /// Where the mark stands on a curve chart: x in % injured, y in the metric's units.
    pub fn position(&self) -> (f64, f64) {
        (100.0 * self.x, self.y)
    }
}

/// The published figures of the paper whose protocol the run follows, for summary column
/// `metric`, and the paper's title; none when the run follows no paper or the paper reports
/// another metric.
pub fn paper_marks(r: &Results, metric: &str) -> Result<(Vec<PaperMark>, Option<&'static str>)> {
    let config = r.info.config.as_ref();
    let paper = Paper::of_run(&r.info).filter(|p| p.metric() == metric);
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

/// The legend label of `marks`, none without marks. Only figures the paper printed with an sd
/// get bars, and the label says so only if one does.
pub fn marks_label(marks: &[PaperMark]) -> Option<&'static str> {
    if marks.is_empty() {
        None
    } else if marks.iter().any(|m| m.sd.is_some()) {
        Some("paper (text figures, +-1 sd)")
    } else {
        Some("paper (text figures)")
    }
}

/// Paper figures as diamonds in the regime's colour (hollow: given only roughly), with +-1 sd bars.
pub fn draw_marks<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    marks: &[PaperMark],
    regimes: &[String],
) -> Result<()> {
    let label = marks_label(marks).unwrap_or_default();
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
        let drawn = chart
            .draw_series(std::iter::once(
                EmptyElement::at((x, y)) + diamond(0, 0, style),
            ))
            .map_err(pe)?;
        if k == 0 {
            drawn
                .label(label)
                .legend(move |(x, y)| diamond(x + 10, y, BLACK.filled()));
        }
    }
    Ok(())
}

/// Kendall's tau the paper prints for the run's protocol, on the tau figure's axes: one mark per
/// regime whose settings the paper's figure belongs to.
pub fn tau_marks(r: &Results) -> Vec<PaperMark> {
    let (Some(c), Some(p)) = (r.info.config.as_ref(), Paper::of_run(&r.info)) else {
        return Vec::new();
    };
    let mut marks = Vec::new();
    for g in &c.regimes {
        let name = g.name.as_str();
        let images = g.images.map(|n| n as u64);
        let epochs = g.epochs as u64;
        let is_static = g.is_static;
        for state in ["injured", "retrained"] {
            let Some(v) = p.published_tau(images, epochs, is_static, 1, state) else {
                continue;
            };
            // The fraction injured at iteration 1, as the run measured it.
            let x = r
                .metrics
                .iter()
                .find(|m| m.key.regime == name && m.key.iteration == 1)
                .map(|m| m.key.fraction_injured);
            if let Some(x) = x {
                marks.push(PaperMark {
                    regime: name.to_string(),
                    x,
                    y: v.mean,
                    sd: v.sd,
                    approximate: v.approximate,
                });
            }
        }
    }
    marks
}
