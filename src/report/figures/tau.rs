//! Kendall's tau of each state's RDM against the healthy RDM (paper 001 Fig. 2B).
use super::Figure;
use crate::report::results::Results;
use crate::report::style::{both, draw_curves, CurvePlot, SIZE};
use anyhow::Result;
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
    let png = both!(dir, "rdm_tau", SIZE, |root| draw_curves(root, &plot));
    Ok(Some(Figure {
        png,
        title: "Representational similarity (RDM, Kendall's tau)".into(),
        caption: format!("Kendall's tau-{variant} between the upper triangles of each state's RDM and the healthy model's (penultimate layer)."),
    }))
}
