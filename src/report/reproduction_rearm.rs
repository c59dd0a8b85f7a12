//! A reproduction page that follows `docs/reproductions/arms.toml`: the rows' "explained by"
//! cells and the section "What the arms found", written anew from the page alone.
use super::{
    describe, iterations, printed, table_row, Row, FIGURES_HEADING, OTHER_REGIME_CELL, QUICK_CELL,
};
use crate::report::paper_values::{self, PaperValue};

/// The paper value a row of `paper`'s table shows, found by its first three cells (what,
/// where, the paper's value as printed).
pub(super) fn value_of_row(paper: &str, row: &Row) -> Option<&'static PaperValue> {
    (paper_values::values().iter())
        .filter(|v| v.paper == paper && row.section == format!("{} {}", v.paper, v.section))
        .find(|v| {
            row.paper == printed(v)
                && iterations(v)
                    .into_iter()
                    .any(|i| describe(v, i) == row.what)
        })
}

/// Whether a row's "explained by" cell comes from the arms ([`crate::report::arms::explain`]): not
/// "—", a reduced run's or another regime's.
fn from_arms(cell: &str) -> bool {
    cell.starts_with("unexplained") || cell.starts_with("arm ")
}

/// `md` (the page up to its table) with the section of what the arms its rows cite found.
pub(super) fn with_findings(mut md: String, paper: &str, rows: &[Row]) -> String {
    let cited: Vec<usize> = (rows.iter())
        .filter(|r| from_arms(&r.explained))
        .filter_map(|r| value_of_row(paper, r))
        .flat_map(crate::report::arms::covering)
        .collect();
    let findings = crate::report::arms::findings(paper, &cited);
    if !findings.is_empty() {
        md.push('\n');
        md.push_str(&findings);
    }
    md
}

/// A `reproduction.md` of paper 000 or 001 brought up to the current
/// `docs/reproductions/arms.toml`: every "explained by" cell that comes from the arms written
/// anew, and the section of their findings; the measured columns and the figures untouched.
/// This is how a
/// page whose run folder is gone (the committed ones under `docs/reproductions/`) follows a
/// new finding. An error names a row that no longer matches `docs/paper-values.toml`.
pub fn rearm(page: &str) -> anyhow::Result<String> {
    let paper = ["000", "001"]
        .into_iter()
        .find(|p| page.starts_with(&format!("# Reproduction of paper {p} ")))
        .ok_or_else(|| anyhow::anyhow!("not a reproduction page of paper 000 or 001"))?;
    // The findings section is written anew; the figures section after it is kept.
    let findings_at = page.find(crate::report::arms::FINDINGS_HEADING);
    let figures_at = page.find(FIGURES_HEADING);
    let body = &page[..findings_at.or(figures_at).unwrap_or(page.len())];
    let rest = figures_at.map_or("", |at| &page[at..]);
    let mut md = String::new();
    let mut rows = Vec::new();
    for line in body.trim_end().lines() {
        let cells: Vec<&str> = match line.strip_prefix("| ").and_then(|l| l.strip_suffix(" |")) {
            Some(inner) if !line.starts_with("| what the paper prints |") => {
                inner.split(" | ").collect()
            }
            _ => {
                md.push_str(line);
                md.push('\n');
                continue;
            }
        };
        let [what, section, paper_value, atrophy, difference, within, explained] = cells[..] else {
            anyhow::bail!("table row with {} cells, expected 7: {line}", cells.len());
        };
        let mut row = Row {
            what: what.into(),
            section: section.into(),
            paper: paper_value.into(),
            atrophy: atrophy.into(),
            difference: difference.into(),
            within: within.into(),
            explained: explained.into(),
        };
        if explained != "—"
            && explained != QUICK_CELL
            && explained != OTHER_REGIME_CELL
            && !from_arms(explained)
        {
            anyhow::bail!(
                "row `{what}` ({section}): its \"explained by\" cell is none that atrophy writes \
                 (`{explained}`); expected —, an arm's or a reduced run's"
            );
        }
        if from_arms(explained) {
            let v = value_of_row(paper, &row).ok_or_else(|| {
                anyhow::anyhow!(
                    "row `{what}` ({section}, paper {paper_value}) is no value of \
                     docs/paper-values.toml"
                )
            })?;
            row.explained = crate::report::arms::explain(v);
        }
        md.push_str(&table_row(&row));
        rows.push(row);
    }
    let mut md = with_findings(md, paper, &rows);
    if !rest.is_empty() {
        md.push('\n');
        md.push_str(rest);
    }
    Ok(md)
}
