//! The section "Figures" of `reproduction.md`: the run's figures that stand for the paper's,
//! linked relative to the page.
/// The heading of the page's section that [`figures_section`] writes.
pub const FIGURES_HEADING: &str = "## Figures";

/// The report's figures that stand for a paper's (the paper, the file name's start, what it
/// shows), in the order the page lists them. The diamonds of the paper's printed values are
/// drawn on the run of that paper's protocol only.
const PAPER_FIGURES: [(&str, &str, &str); 6] = [
    (
        "000",
        "accuracy_top1",
        "top-1 against the fraction decayed, mean ± sd over cycles (paper 000 Fig. 2); the \
         values the paper prints in its text are the diamonds",
    ),
    (
        "000",
        "cka_heatmaps",
        "layer x layer CKA against the healthy model, injured and retrained (paper 000 Fig. 3A, 3B)",
    ),
    (
        "000",
        "cka_diagonal",
        "each layer's CKA with the same layer of the healthy model (paper 000 Fig. 3C)",
    ),
    (
        "001",
        "accuracy_mean_class",
        "mean class-wise accuracy against the fraction ablated (paper 001 Fig. 2A); the values \
         the paper prints in its text are the diamonds",
    ),
    (
        "001",
        "rdm_tau",
        "Kendall's tau of each state's RDM against the healthy RDM (paper 001 Fig. 2B); the \
         paper's printed taus are the diamonds",
    ),
    (
        "001",
        "rdms",
        "the RDMs of the healthy, injured and retrained model (paper 001 Fig. 3)",
    ),
];

/// The section linking the figures of the run in `dir` that stand for `paper`'s
/// (`figures/*.png`, as `atrophy run` draws them), relative to the page; empty when there is
/// none.
pub(super) fn figures_section(paper: &str, dir: &std::path::Path) -> String {
    let mut found: Vec<String> = std::fs::read_dir(dir.join("figures"))
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".png"))
        .collect();
    found.sort();
    let mut md = String::new();
    for (_, start, what) in PAPER_FIGURES.iter().filter(|(p, _, _)| *p == paper) {
        for name in found.iter().filter(|n| {
            n.strip_prefix(start)
                .is_some_and(|rest| rest == ".png" || rest.starts_with('_'))
        }) {
            md.push_str(&format!(
                "- `figures/{name}`: {what}.\n\n  ![{start}](figures/{name})\n"
            ));
        }
    }
    if md.is_empty() {
        return md;
    }
    format!(
        "{FIGURES_HEADING}\n\nThe run's figures that stand for the paper's, beside this page in \
         `figures/` (with the others and their captions in `report.html`):\n\n{md}"
    )
}
