//! Kendall's tau of each state's RDM against the healthy RDM (paper 001 Fig. 2B).
use super::marks::{draw_marks, marks_label, tau_marks};
use super::Figure;
use crate::report::legend::{curve_entries, curve_figure_size, curve_legend, split_for_legend};
use crate::report::results::Results;
use crate::report::style::{both, curves_chart, CurvePlot};
use anyhow::Result;
use plotters::prelude::*;
use std::path::Path;

/// The `rdm_tau` figure, when `rdm_tau.csv` gives at least one line.
pub fn tau(r: &Results, dir: &Path) -> Result<Option<Figure>> {
    let Some((c, variant)) = r.tau_curves() else {
        return Ok(None);
    };
    let regimes = r.regimes();
    let x_desc = r.x_desc();
    let plot = CurvePlot {
        x_desc: &x_desc,
        title: &format!("Kendall tau-{variant} of the RDM against the healthy RDM"),
        y_desc: &format!("tau-{variant}"),
        curves: &c,
        regimes: &regimes,
        y_range: (-0.1, 1.0),
    };
    let marks = tau_marks(r);
    let avoid: Vec<(f64, f64)> = marks.iter().map(|m| m.position()).collect();
    let entries = curve_entries(&plot, None, marks_label(&marks));
    let png = both!(
        dir,
        "rdm_tau",
        curve_figure_size(&entries),
        |root: &DrawingArea<_, _>| -> Result<()> {
            let (area, side) = split_for_legend(root, &entries);
            let mut chart = curves_chart(&area, &plot, None)?;
            draw_marks(&mut chart, &marks, &regimes)?;
            curve_legend(&mut chart, side.as_ref(), &plot, &entries, &avoid)
        }
    );
    let analysis = r.info.config.as_ref().map(|c| &c.analysis);
    let pairs = match analysis.map(|a| a.kendall_pairs) {
        Some(crate::analysis::RdmPairs::Full) => "the whole matrices (diagonal and both triangles)",
        _ => "the upper triangles",
    };
    let layer = analysis
        .and_then(|a| a.rdm_layer.as_deref())
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
