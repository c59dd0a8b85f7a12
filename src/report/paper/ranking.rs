//! The sections of `summary.md` that read the run as a whole: the regimes ranked by accuracy
//! over the injury range, and every state that diverged.
use crate::results::divergence::{describe, flagged_cycles, rank_order, without_diverged_cycles};
use crate::results::{auc_by_regime, AucRow, Divergence, DivergenceRow, MetricRow};

/// The regimes ranked by accuracy averaged over the injury range ([`auc_by_regime`]), as a
/// Markdown section; empty when no cycle is complete.
pub(super) fn auc_table(
    metrics: &[MetricRow],
    divergence: &[DivergenceRow],
    iterations: usize,
) -> String {
    if iterations == 0 {
        return String::new();
    }
    let classes = metrics.first().map_or(0, |r| r.per_class.len());
    let mut rows = auc_by_regime(
        &without_diverged_cycles(metrics, divergence, classes),
        iterations,
    );
    let flagged = flagged_cycles(metrics, divergence, classes);
    // A regime whose every cycle diverged has no complete curve, and still has a line.
    for name in flagged.keys() {
        if !rows.iter().any(|r| r.regime == *name) {
            rows.push(AucRow {
                regime: name.clone(),
                cycles: 0,
                top1: (f64::NAN, f64::NAN),
                mean_class: (f64::NAN, f64::NAN),
            });
        }
    }
    if rows.is_empty() {
        return String::new();
    }
    rows.sort_by(|a, b| rank_order(a.mean_class.0, b.mean_class.0));
    let pct = |(m, sd): (f64, f64), n: usize| {
        if m.is_nan() {
            "—".to_string()
        } else {
            crate::stats::mean_sd_text(100.0 * m, 100.0 * sd, n, 1)
        }
    };
    let all_cycles = |regime: &str| {
        let mut c: Vec<usize> = (metrics.iter())
            .filter(|r| r.key.regime == regime)
            .map(|r| r.key.cycle)
            .collect();
        c.dedup();
        c.sort_unstable();
        c.dedup();
        c.len()
    };
    let flags = !flagged.is_empty();
    let mut md = String::from(
        "\n## Regimes ranked: accuracy averaged over the injury range\n\n\
         The area under each cycle's accuracy-vs-injury curve (the healthy model, then the last \
         state of every iteration: retrained, recalibrated or injured), divided by the fraction \
         injured at the last iteration; mean ± sd over complete cycles, in percent.",
    );
    if flags {
        md.push_str(
            " A cycle that diverged ended early and is not in the mean; one whose loss exploded \
             is, and both are named in the last column (see \"Diverged and exploded states\").\n\n\
             | regime | cycles | mean class-wise | top-1 | diverged or exploded |\n\
             |---|---:|---:|---:|---|\n",
        );
    } else {
        md.push_str("\n\n| regime | cycles | mean class-wise | top-1 |\n|---|---:|---:|---:|\n");
    }
    for r in rows {
        md.push_str(&format!(
            "| {} | {} | {} | {} |",
            r.regime,
            r.cycles,
            pct(r.mean_class, r.cycles),
            pct(r.top1, r.cycles)
        ));
        if flags {
            let said = describe(flagged.get(&r.regime), all_cycles(&r.regime));
            md.push_str(&format!(" {} |", if said.is_empty() { "—" } else { &said }));
        }
        md.push('\n');
    }
    md
}

/// Every state that diverged or exploded: `divergence.csv`'s rows, and the rows of
/// `metrics.csv` the rule flags that it does not hold (a folder written before it existed).
pub(super) fn divergence_table(metrics: &[MetricRow], divergence: &[DivergenceRow]) -> String {
    let classes = metrics.first().map_or(0, |r| r.per_class.len());
    let mut rows: Vec<DivergenceRow> = divergence.to_vec();
    for r in metrics {
        if let Some(kind) = Divergence::of_row(r, classes) {
            if !rows.iter().any(|d| d.key == r.key) {
                rows.push(DivergenceRow {
                    key: r.key.clone(),
                    kind,
                    top1: r.top1,
                    loss: r.loss,
                    note: "flagged by its loss".into(),
                });
            }
        }
    }
    if rows.is_empty() {
        return String::new();
    }
    let mut md = format!(
        "\n## Diverged and exploded states\n\n\
         Diverged: a weight or the loss is NaN or infinite; the cycle ends there and its \
         accuracy is not a prediction. Exploded: a finite loss above {} ln K (K classes). Their \
         rows stay in the tables above as measured.\n\n\
         | regime | cycle | iteration | state | kind | top-1 | loss | what was found, what the run did |\n\
         |---|---:|---:|---|---|---:|---:|---|\n",
        crate::results::divergence::EXPLODED_FACTOR
    );
    for d in rows {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {:.2} % | {:e} | {} |\n",
            d.key.regime,
            d.key.cycle,
            d.key.iteration,
            d.key.state,
            d.kind,
            100.0 * d.top1,
            d.loss,
            d.note
        ));
    }
    md
}
