//! Reports: `atrophy report DIR` turns a results directory into figures (PNG and SVG in
//! `DIR/figures/`), one self-contained HTML page (`DIR/report.html`) and the accuracy per
//! iteration as Markdown tables (`DIR/summary.md`, beside the paper's figures for a paper's
//! protocol). It reads only the
//! results directory; a partial one gives a report of what exists, marked as partial.
pub mod figures;
pub mod html;
pub mod paper;
pub mod results;

use anyhow::Result;
use std::path::{Path, PathBuf};

/// What a report made.
pub struct Report {
    /// The HTML page.
    pub html: PathBuf,
    /// The Markdown tables (none before the first summary exists).
    pub markdown: Option<PathBuf>,
    /// The figures (PNG; SVG beside each).
    pub figures: Vec<PathBuf>,
    /// Whether the results were complete.
    pub finished: bool,
}

/// The default injury level of the CKA and RDM figures: paper 000's Fig. 3 shows 60 %.
pub const DEFAULT_LEVELS: [f64; 1] = [0.6];

/// Writes the figures and the page for the results in `dir`; CKA and RDM figures at the
/// fractions injured in `levels`.
pub fn report(dir: &Path, levels: &[f64]) -> Result<Report> {
    let r = results::Results::read(dir)?;
    if let Some(l) = levels.iter().find(|l| !(0.0..=1.0).contains(*l)) {
        anyhow::bail!("injury level {l} is out of range: expected fractions in [0, 1], e.g. 0.6");
    }
    let figs = figures::draw_all(&r, &dir.join("figures"), levels)?;
    let page = html::page(&r, &figs)?;
    let html = dir.join("report.html");
    crate::fsio::write_atomic(&html, page.as_bytes())?;
    let markdown = match &r.summary {
        Some(s) => {
            let path = dir.join("summary.md");
            let md = paper::markdown(&r.name(), s, r.run.as_ref(), r.finished)?;
            crate::fsio::write_atomic(&path, md.as_bytes())?;
            Some(path)
        }
        None => None,
    };
    Ok(Report {
        html,
        markdown,
        figures: figs.into_iter().map(|f| f.png).collect(),
        finished: r.finished,
    })
}
