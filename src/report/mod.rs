//! Reports: `atrophy report DIR` turns a results directory into figures (PNG and SVG in
//! `DIR/figures/`) and one self-contained HTML page (`DIR/report.html`). It reads only the
//! results directory; a partial one gives a report of what exists, marked as partial.
pub mod figures;
pub mod html;
pub mod results;

use anyhow::Result;
use std::path::{Path, PathBuf};

/// What a report made.
pub struct Report {
    /// The HTML page.
    pub html: PathBuf,
    /// The figures (PNG; SVG beside each).
    pub figures: Vec<PathBuf>,
    /// Whether the results were complete.
    pub finished: bool,
}

/// Writes the figures and the page for the results in `dir`.
pub fn report(dir: &Path) -> Result<Report> {
    let r = results::Results::read(dir)?;
    let figs = figures::draw_all(&r, &dir.join("figures"))?;
    let page = html::page(&r, &figs)?;
    let html = dir.join("report.html");
    crate::fsio::write_atomic(&html, page.as_bytes())?;
    Ok(Report {
        html,
        figures: figs.into_iter().map(|f| f.png).collect(),
        finished: r.finished,
    })
}
