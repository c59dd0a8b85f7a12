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
    let n = panels[0].1.nrows();
    let bounded = r.info.config.as_ref().map_or(String::new(), |c| {
        bounded_files(&c.analysis, n, r.rdm_classes())
    });
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
            "1 - Pearson r between the {layer} activations of every pair of RDM images, images sorted by class; {regime}, cycle 0, iteration {it}.{bounded}{}",
            match heatmap_blocks(n) {
                1 => String::new(),
                k => format!(" Drawn in blocks of {k} x {k} images, each the mean of its entries."),
            }
        ),
    }))
}

/// The caption's words when the RDM files keep fewer images than the RDMs tau compared
/// (`analysis.rdm_file_images`), or nothing: the `n` images drawn of `classes` classes.
fn bounded_files(a: &crate::config::AnalysisSettings, n: usize, classes: usize) -> String {
    let per = n / classes.max(1);
    match a.rdm_images_per_class {
        Some(k) if k * classes > n => format!(
            " Drawn from {n} of the {} RDM images (the first {per} of each class: the files keep \
             at most `rdm_file_images` = {}); Kendall's tau compares the RDMs of all of them.",
            k * classes,
            a.rdm_file_images
        ),
        None if a.images > n && a.images > a.rdm_file_images => format!(
            " Drawn from the first {per} images of each class (the files keep at most \
             `rdm_file_images` = {}); Kendall's tau compares the RDMs of all the analysis images.",
            a.rdm_file_images
        ),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::bounded_files;
    use crate::config::AnalysisSettings;

    #[test]
    fn the_caption_says_when_the_files_keep_fewer_images() {
        let mut a = AnalysisSettings {
            rdm_images_per_class: Some(1000),
            ..AnalysisSettings::default()
        };
        let words = bounded_files(&a, 1000, 10);
        assert!(
            words.contains("Drawn from 1000 of the 10000 RDM images (the first 100 of each class")
                && words.contains("`rdm_file_images` = 1000"),
            "{words}"
        );
        a.rdm_images_per_class = Some(100);
        assert_eq!(bounded_files(&a, 1000, 10), "");
        a.rdm_images_per_class = None;
        a.images = 5000;
        assert!(bounded_files(&a, 1000, 10).contains("the first 100 images of each class"));
        // Fewer analysis images than asked (a small evaluation set), none of them left out.
        a.images = 500;
        assert_eq!(bounded_files(&a, 300, 10), "");
    }
}
