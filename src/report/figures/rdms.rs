//! RDMs sorted by class (paper 001 Fig. 3): the healthy model's, and cycle 0's after the injury
//! and after retraining at one injury level, on one colour scale.
use super::Figure;
use crate::report::results::{Level, Results};
use crate::report::style::{both, draw_colourbar, draw_heatmap, heatmap_blocks};
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The `rdms_PCT` figure of `regime` at `at`; none without the healthy RDM or the images'
/// labels.
pub fn rdms(r: &Results, dir: &Path, regime: &str, at: Level) -> Result<Option<Figure>> {
    let Some(healthy) = r.rdm_by_class("healthy") else {
        return Ok(None);
    };
    let (it, level) = (at.iteration, r.level_words(at.percent()));
    let mut panels = vec![("healthy".to_string(), healthy)];
    for st in ["injured", "retrained"] {
        if let Some(m) = r.rdm_by_class(&format!("{regime}_c0_i{it}_{st}")) {
            panels.push((format!("{st}, {level}"), m));
        }
    }
    if panels.len() < 2 {
        // No state of this iteration has an RDM (a partial folder): nothing to compare.
        return Ok(None);
    }
    let vmax = panels
        .iter()
        .flat_map(|p| p.1.iter().copied())
        .fold(0.0f64, f64::max)
        .max(1e-12);
    // The layer the run's RDMs are of: the config's `analysis.rdm_layer`, else the default.
    let layer = match (r.info.config.as_ref()).and_then(|c| c.analysis.rdm_layer.as_deref()) {
        Some(l) => format!("`{l}`"),
        None => "penultimate-layer".to_string(),
    };
    let png = both!(
        dir,
        format!("rdms_{}", at.percent()),
        (1350, 470),
        |root: &DrawingArea<_, Shift>| -> Result<()> {
            let (left, bar) = root.split_horizontally(1220);
            let areas = left.split_evenly((1, 3));
            for (area, (title, m)) in areas.iter().zip(&panels) {
                let scaled = m.mapv(|v| v / vmax);
                draw_heatmap(
                    area,
                    &format!("RDM {title}"),
                    &scaled,
                    ("image (sorted by class)", "image (sorted by class)"),
                )?;
            }
            draw_colourbar(&bar, &format!("1-r / {vmax:.2}"))
        }
    );
    Ok(Some(Figure {
        png,
        title: "RDMs sorted by class".into(),
        caption: format!(
            "1 - Pearson r between the {layer} activations of every pair of analysis images, images sorted by class; {regime}, cycle 0, iteration {it}.{}",
            match heatmap_blocks(panels[0].1.nrows()) {
                1 => String::new(),
                k => format!(" Drawn in blocks of {k} x {k} images, each the mean of its entries."),
            }
        ),
    }))
}
