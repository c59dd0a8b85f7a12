//! The papers' figures, as PNG and SVG, one function per family, drawn by [`draw_all`] in this
//! order: accuracy against the fraction injured with +-1 sd bands (paper 000 Fig. 2, paper 001
//! Fig. 2A; [`accuracy`]), Kendall's tau (paper 001 Fig. 2B; [`tau`]), pathway overlap
//! ([`pathways`]), a progression model's damage map ([`damage`]), then at each injury level CKA heatmaps and diagonals (paper 000 Fig. 3;
//! [`cka`]) and RDMs sorted by class (paper 001 Fig. 3; [`rdms`]), and last the healthy model's
//! training ([`training`]). The shared style is in [`crate::report::style`]; what the figures
//! draw is prepared by [`Results`]. [`line_chart`] and [`image_grid`] draw the plasticity
//! demos' figures in the same style.
pub mod accuracy;
pub mod battery;
pub mod cka;
pub mod damage;
mod demos;
mod marks;
#[cfg(feature = "torch")]
pub mod paper003;
pub mod pathways;
pub mod rdms;
pub mod tau;
pub mod training;

pub use demos::{image_grid, line_chart};

use super::results::Results;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// One figure of the report: its file, title and caption.
pub struct Figure {
    /// The PNG (an SVG lies beside it).
    pub png: PathBuf,
    /// Title.
    pub title: String,
    /// What it shows.
    pub caption: String,
}

/// Draws every figure the results allow into `dir`.
///
/// `levels` are the fractions injured (e.g. 0.6) at which CKA heatmaps, diagonals and RDMs are
/// drawn (the nearest iteration of each, for the regime [`Results::cka_regime`] picks).
pub fn draw_all(r: &Results, dir: &Path, levels: &[f64]) -> Result<Vec<Figure>> {
    super::style::register_font();
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut figs = accuracy::accuracy(r, dir)?;
    figs.extend(tau::tau(r, dir)?);
    figs.extend(pathways::pathways(r, dir)?);
    figs.extend(damage::damage(r, dir)?);
    figs.extend(battery::battery(r, dir)?);
    if let Some(regime) = r.cka_regime() {
        for at in r.levels_near(&regime, levels) {
            figs.extend(cka::cka_heatmaps(r, dir, &regime, at)?);
            figs.extend(cka::cka_diagonal(r, dir, &regime, at)?);
            figs.extend(rdms::rdms(r, dir, &regime, at)?);
        }
    }
    figs.extend(training::training(r, dir)?);
    remove_stale_levels(dir, &figs)?;
    Ok(figs)
}

/// The per-level figures' names: `cka_heatmaps_60.png` is the heatmaps at 60 %.
const PER_LEVEL: [&str; 3] = ["cka_heatmaps_", "cka_diagonal_", "rdms_"];

/// Removes the per-level figures of an earlier report that this one did not draw (another
/// `--at`, or levels that moved), so that the per-level figures in `figures/` are those
/// `report.html` shows (figures of other names are left alone).
fn remove_stale_levels(dir: &Path, drawn: &[Figure]) -> Result<()> {
    let keep: Vec<_> = drawn
        .iter()
        .filter_map(|f| f.png.file_stem().map(|s| s.to_os_string()))
        .collect();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let (Some(stem), Some(ext)) = (path.file_stem(), path.extension()) else {
            continue;
        };
        let ours = PER_LEVEL.iter().any(|p| {
            stem.to_str()
                .and_then(|s| s.strip_prefix(p))
                .is_some_and(|pct| !pct.is_empty() && pct.bytes().all(|b| b.is_ascii_digit()))
        });
        if ours && (ext == "png" || ext == "svg") && !keep.iter().any(|k| k == stem) {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}
