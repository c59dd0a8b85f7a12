//! The course of the disease as a table (docs/PROTOCOLS.md P13), for `summary.md`, the report
//! page and `compare.md`: per regime, the onset, the reserve and the logistic fit's midpoint,
//! steepness and residual, mean ± sd over cycles.
use crate::config::ExperimentConfig;
use crate::results::course::{course_by_regime, OverCycles};
use crate::results::divergence::without_diverged_cycles;
use crate::results::{DivergenceRow, MetricRow};

/// The table's header.
pub const HEADER: [&str; 8] = [
    "regime",
    "cycles",
    "onset (% injured)",
    "reserve (% injured)",
    "fit: f50 (% injured)",
    "fit: k",
    "fit: rms residual (points)",
    "notes",
];

/// What the table shows, in words, for a run with `classes` classes and onset at `points`.
pub fn description(classes: usize, points: f64) -> String {
    format!(
        "From each cycle's top-1 accuracy against the synapses injured (the healthy model, then \
         the last state of every iteration): the onset, the first injury at which accuracy is \
         {points} points below healthy; the reserve, where it crosses halfway between healthy \
         and chance (chance: {:.1} %); and a least-squares fit of acc(f) = chance + (top - chance) / \
         (1 + exp(k (f - f50))). Crossings are interpolated linearly (the first, if a curve \
         recovers). Mean ± sd over cycles; a cycle that diverged is left out.",
        100.0 / classes.max(1) as f64
    )
}

/// The rows of the table for the run's `metrics`, or none when no regime has a complete cycle.
pub fn rows(
    metrics: &[MetricRow],
    divergence: &[DivergenceRow],
    config: Option<&ExperimentConfig>,
) -> Vec<Vec<String>> {
    let classes = metrics.first().map_or(10, |r| r.per_class.len().max(2));
    let iterations = super::results::run_iterations(config, metrics);
    let points = config.map_or(5.0, |c| c.analysis.onset_points);
    let counted = without_diverged_cycles(metrics, divergence, classes);
    let cell = |v: Option<OverCycles>, scale: f64, of: usize| match v {
        None => "not reached".to_string(),
        Some(o) if o.n == 1 => format!("{:.1}{}", scale * o.mean, partial(o.n, of)),
        Some(o) => format!(
            "{:.1} ± {:.1}{}",
            scale * o.mean,
            scale * o.sd,
            partial(o.n, of)
        ),
    };
    course_by_regime(&counted, iterations, 1.0 / classes as f64, points / 100.0)
        .into_iter()
        .map(|c| {
            let fit = |v: Option<OverCycles>, scale: f64| match v {
                None => "—".to_string(),
                some => cell(some, scale, c.cycles),
            };
            vec![
                c.regime.clone(),
                c.cycles.to_string(),
                cell(c.onset, 100.0, c.cycles),
                cell(c.reserve, 100.0, c.cycles),
                fit(c.f50, 100.0),
                fit(c.k, 1.0),
                fit(c.residual, 100.0),
                if c.note.is_empty() {
                    "—".into()
                } else {
                    c.note.clone()
                },
            ]
        })
        .collect()
}

fn partial(n: usize, of: usize) -> String {
    if n < of {
        format!(" ({n} of {of})")
    } else {
        String::new()
    }
}

/// The table as a Markdown section (empty without rows).
pub fn markdown(
    metrics: &[MetricRow],
    divergence: &[DivergenceRow],
    config: Option<&ExperimentConfig>,
) -> String {
    let rows = rows(metrics, divergence, config);
    if rows.is_empty() {
        return String::new();
    }
    let classes = metrics.first().map_or(10, |r| r.per_class.len().max(2));
    let points = config.map_or(5.0, |c| c.analysis.onset_points);
    let mut md = format!(
        "\n## Course of the disease\n\n{}\n\n| {} |\n|---|{}\n",
        description(classes, points),
        HEADER.join(" | "),
        "---:|".repeat(HEADER.len() - 2) + "---|"
    );
    for r in rows {
        md.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    md
}
