//! Kendall's tau of each state's RDM against the healthy RDM (paper 001 Fig. 2B).
use super::marks::{draw_marks, tau_marks};
use super::Figure;
use crate::report::results::Results;
use crate::report::style::{both, curves_chart, legend, legend_corner, CurvePlot, SIZE};
use anyhow::Result;
use plotters::prelude::*;
use std::path::Path;

/// The `rdm_tau` figure, when `rdm_tau.csv` gives at least one line.
pub fn tau(r: &Results, dir: &Path) -> Result<Option<Figure>> {
    let Some((c, variant)) = r.tau_curves() else {
        return Ok(None);
    };
    let regimes = r.regimes();
    let plot = CurvePlot {
        title: &format!("Kendall tau-{variant} of the RDM against the healthy RDM"),
        y_desc: &format!("tau-{variant}"),
        curves: &c,
        regimes: &regimes,
        y_range: (-0.1, 1.0),
    };
    let marks = tau_marks(r);
    let avoid: Vec<(f64, f64)> = marks.iter().map(|m| m.position()).collect();
    let rows = c.len() + usize::from(!marks.is_empty());
    let png = both!(
        dir,
        "rdm_tau",
        SIZE,
        |root: &DrawingArea<_, _>| -> Result<()> {
            let mut chart = curves_chart(root, &plot, None)?;
            draw_marks(&mut chart, &marks, &regimes)?;
            legend(&mut chart, legend_corner(&plot, &avoid, rows))
        }
    );
    let analysis = r.run.as_ref().map(|v| &v["config"]["analysis"]);
    let pairs = match analysis.and_then(|a| a["kendall_pairs"].as_str()) {
        Some("full") => "the whole matrices (diagonal and both triangles)",
        _ => "the upper triangles",
    };
    let layer = analysis
        .and_then(|a| a["rdm_layer"].as_str())
        .map_or("penultimate layer".to_string(), |l| format!("layer {l}"));
    let mut caption = format!("Kendall's tau-{variant} between {pairs} of each state's RDM and the healthy model's ({layer}).");
    if !marks.is_empty() {
        caption.push_str(" Diamonds: the values the paper prints in its text.");
    }
    Ok(Some(Figure {
        png,
        title: "Representational similarity (RDM, Kendall's tau)".into(),
        caption,
    }))
}
