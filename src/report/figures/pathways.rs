//! Pathways: overlap of each state's strongest synapses with the healthy model's.
use super::Figure;
use crate::report::results::Results;
use crate::report::style::{both, draw_curves, CurvePlot, SIZE};
use anyhow::Result;
use std::path::Path;

/// The `pathways` figure, when `pathways.csv` gives at least one line.
pub fn pathways(r: &Results, dir: &Path) -> Result<Option<Figure>> {
    let Some(c) = r.pathway_curves() else {
        return Ok(None);
    };
    let regimes = r.regimes();
    let x_desc = r.x_desc();
    let plot = CurvePlot {
        x_desc: &x_desc,
        title: "Overlap of the strongest synapses with the healthy model's",
        y_desc: "Jaccard overlap of top-k (mean over layers)",
        curves: &c,
        regimes: &regimes,
        y_range: (0.0, 1.0),
    };
    let png = both!(dir, "pathways", SIZE, |root| draw_curves(root, &plot));
    Ok(Some(Figure {
        png,
        title: "Pathways".into(),
        caption: "Jaccard overlap between each layer's top-k magnitude synapses and the healthy model's, averaged over layers.".into(),
    }))
}
