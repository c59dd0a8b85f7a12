//! Several results folders in one set of figures (`atrophy compare`): the same experiment run
//! on different layers (a lesion of V1, V2, V4 or IT), models or data sets, side by side. Each
//! regime of each run is one curve, that of its last state (retrained, else recalibrated, else
//! injured), against the fraction of the synapses its injury could reach; the CKA diagonals
//! near one injury level (runs that share their layers); and the runs' regimes ranked by the
//! accuracy averaged over the injury.
use super::figures::cka::{diagonal_size, draw_diagonals, Diagonal};
use super::legend::{curve_entries, curve_figure_size, curve_legend, split_for_legend};
use super::results::Results;
use super::style::{both, curves_chart, series_colour, CurvePlot, Stroke};
use crate::results::{auc_by_regime, Curves, MetricRow, State};
use anyhow::{bail, Result};
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// What `compare` wrote.
pub struct Comparison {
    /// The figures (PNG; an SVG lies beside each).
    pub figures: Vec<PathBuf>,
    /// `compare.md`: the regimes of every run ranked by the accuracy averaged over the injury.
    pub markdown: PathBuf,
    /// What was left out and why (runs whose CKA layers differ have no CKA figure).
    pub notes: Vec<String>,
}

/// Compares the results folders `runs` (label, folder) into `out`; CKA diagonals at the
/// iteration of each run nearest the fraction `level` of its injurable synapses. Trainings
/// (folders of `atrophy train`, or their `train_log.csv`) are compared as trainings
/// ([`super::trainings::compare`]); trainings and results folders do not mix.
pub fn compare(runs: &[(String, PathBuf)], out: &Path, level: f64) -> Result<Comparison> {
    if runs.is_empty() {
        bail!(
            "compare needs at least one results folder, got {}",
            runs.len()
        );
    }
    if !(0.0..=1.0).contains(&level) {
        bail!("--at {level} is out of range: expected a fraction injured in [0, 1], e.g. 0.6");
    }
    for (k, (label, dir)) in runs.iter().enumerate() {
        if let Some((_, other)) = runs[..k].iter().find(|(l, _)| l == label) {
            bail!(
                "{} and {} are both labelled `{label}`: give each folder its own label with \
                 --labels",
                other.display(),
                dir.display()
            );
        }
    }
    let trainings: Vec<&PathBuf> = (runs.iter())
        .map(|(_, p)| p)
        .filter(|p| super::trainings::log_of(p).is_some())
        .collect();
    match trainings.len() {
        0 => {}
        n if n == runs.len() => return super::trainings::compare(runs, out),
        _ => {
            let other = runs
                .iter()
                .find(|(_, p)| !trainings.contains(&p))
                .map(|(_, p)| p);
            bail!(
                "{} is a training (train_log.csv of `atrophy train`) but {} is not: compare \
                 trainings with trainings, results folders of `atrophy run` with results folders",
                trainings[0].display(),
                other.map_or_else(String::new, |p| p.display().to_string())
            );
        }
    }
    let results: Vec<(String, Results)> = runs
        .iter()
        .map(|(label, dir)| Ok((label.clone(), Results::read(dir)?)))
        .collect::<Result<_>>()?;
    // A confined run without its synapse counts would be drawn against the whole network's
    // synapses beside runs drawn against their layers': refused rather than misdrawn.
    for (_, r) in &results {
        if super::results::Confined::unknown(&r.info) {
            bail!(
                "{} confines injury to some layers but records no synapse counts (`synapses`, \
                 written since 2026-11-30), so its curves cannot share an axis with the others; \
                 run the same `atrophy run` command on the folder again to record them",
                r.dir.join("run.json").display()
            );
        }
    }
    super::style::register_font();
    std::fs::create_dir_all(out)?;
    let mut figures = accuracy(&results, out)?;
    let markdown = out.join("compare.md");
    crate::fsio::write_atomic(&markdown, ranking(&results).as_bytes())?;
    for (label, r) in &results {
        let name: String = (label.chars())
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let fig = super::figures::damage::damage_named(
            r,
            out,
            &format!("damage_{name}"),
            &format!(": {label}"),
        )?;
        figures.extend(fig.map(|f| f.png));
    }
    let mut notes = Vec::new();
    match different_layers(&results) {
        Some(note) => notes.push(note),
        None => figures.extend(cka_diagonals(&results, out, level)?),
    }
    Ok(Comparison {
        figures,
        markdown,
        notes,
    })
}

/// Why the runs' CKA diagonals cannot share a figure (two runs with CKA on different layers:
/// the diagonals are compared layer by layer), or `None` when they can.
fn different_layers(results: &[(String, Results)]) -> Option<String> {
    let mut with_cka = results.iter().filter(|(_, r)| !r.cka.is_empty());
    let (first_label, first) = with_cka.next()?;
    let (label, r) = with_cka.find(|(_, r)| r.cka_layers != first.cka_layers)?;
    Some(format!(
        "no CKA figure: {} ({label}) and {} ({first_label}) have different layers, and the CKA \
         diagonals are compared layer by layer; compare runs of the same network for it",
        r.dir.display(),
        first.dir.display()
    ))
}

/// The state a regime ends each iteration with: retrained, else recalibrated, else injured.
fn last_state(curves: &Curves, regime: &str) -> Option<State> {
    [State::Retrained, State::Recalibrated, State::Injured]
        .into_iter()
        .find(|s| curves.contains_key(&(regime.to_string(), *s)))
}

/// The x axis: the network's synapses, or each run's injurable ones when any run is confined.
fn x_desc(results: &[(String, Results)]) -> String {
    match results.iter().find_map(|(_, r)| r.confined.as_ref()) {
        None => "synapses injured (%)".into(),
        Some(_) => "synapses injured (% of those each run's injury could reach)".into(),
    }
}

type Column = fn(&MetricRow) -> f64;

fn accuracy(results: &[(String, Results)], out: &Path) -> Result<Vec<PathBuf>> {
    let columns: [(&str, &str, Column); 2] = [
        ("top1", "top-1 accuracy", |m| m.top1),
        ("mean_class", "mean class-wise accuracy", |m| m.mean_class),
    ];
    let x_desc = x_desc(results);
    let chance = results[0].1.chance();
    let same_chance = results.iter().all(|(_, r)| r.chance() == chance);
    let chance = chance.filter(|_| same_chance).map(|c| (c, "chance"));
    let mut pngs = Vec::new();
    for (col, what, value) in columns {
        let mut curves = Curves::new();
        let mut names = Vec::new();
        for (label, r) in results {
            let c = r.metric_curves(value);
            for regime in r.regimes() {
                let Some(state) = last_state(&c, &regime) else {
                    continue;
                };
                // One run: its regimes' names suffice.
                let name = if results.len() == 1 {
                    regime.clone()
                } else {
                    format!("{label} {regime}")
                };
                curves.insert((name.clone(), state), c[&(regime, state)].clone());
                names.push(name);
            }
        }
        if curves.is_empty() {
            continue;
        }
        let plot = CurvePlot {
            title: &format!("{what}: the last state of every iteration"),
            x_desc: &x_desc,
            y_desc: what,
            curves: &curves,
            regimes: &names,
            y_range: (0.0, 1.0),
        };
        let avoid: Vec<(f64, f64)> = chance
            .map(|(y, _)| (0..=20).map(|k| (5.0 * k as f64, y)).collect())
            .unwrap_or_default();
        let entries = curve_entries(&plot, chance.map(|c| c.1), None);
        pngs.push(both!(
            out,
            format!("compare_{col}"),
            curve_figure_size(&entries),
            |root: &DrawingArea<_, _>| -> Result<()> {
                let (area, side) = split_for_legend(root, &entries);
                let mut chart = curves_chart(&area, &plot, chance)?;
                curve_legend(&mut chart, side.as_ref(), &plot, &entries, &avoid)
            }
        ));
    }
    Ok(pngs)
}

/// The CKA diagonals of every run with CKA matrices (its CKA regime, near `level`): after the
/// injury (dashed) and in the regime's last state (retrained solid, else recalibrated dotted),
/// in the run's colour. The runs must share their layers ([`different_layers`]).
fn cka_diagonals(results: &[(String, Results)], out: &Path, level: f64) -> Result<Option<PathBuf>> {
    let with_cka: Vec<&(String, Results)> =
        results.iter().filter(|(_, r)| !r.cka.is_empty()).collect();
    let Some((_, first)) = with_cka.first() else {
        return Ok(None);
    };
    let layers = &first.cka_layers;
    let mut lines = Vec::new();
    for (k, (label, r)) in with_cka.iter().enumerate() {
        debug_assert_eq!(&r.cka_layers, layers, "checked by different_layers");
        let Some(regime) = r.cka_regime() else {
            continue;
        };
        let Some(at) = r.levels_near(&regime, &[level]).into_iter().next() else {
            continue;
        };
        let colour = series_colour(k, with_cka.len());
        let last = [State::Retrained, State::Recalibrated]
            .into_iter()
            .find(|&s| r.mean_cka(&regime, at.iteration, s).is_some());
        for state in std::iter::once(State::Injured).chain(last) {
            if let Some((m, _)) = r.mean_cka(&regime, at.iteration, state) {
                let stroke = Stroke::of(state);
                lines.push(Diagonal {
                    label: format!(
                        "{label} {regime} {state}, {} ({})",
                        r.level_words(at.percent()),
                        stroke.name()
                    ),
                    colour,
                    stroke,
                    values: m.diag().to_vec(),
                });
            }
        }
    }
    if lines.is_empty() {
        return Ok(None);
    }
    let title = format!("1:1 layer CKA near {:.0} % injured", 100.0 * level);
    Ok(Some(both!(
        out,
        "compare_cka_diagonal",
        diagonal_size(layers),
        |root: &DrawingArea<_, _>| draw_diagonals(root, &title, layers, &lines)
    )))
}

/// Every run's regimes ranked by the accuracy averaged over the injury (summary.md's number and
/// order: mean class-wise first).
fn ranking(results: &[(String, Results)]) -> String {
    let mut rows = Vec::new();
    for (label, r) in results {
        let iterations = super::results::run_iterations(r.info.config.as_ref(), &r.metrics);
        let flagged =
            crate::results::divergence::flagged_cycles(&r.metrics, &r.divergence, r.classes);
        let counted = crate::results::divergence::without_diverged_cycles(
            &r.metrics,
            &r.divergence,
            r.classes,
        );
        let mut ranked = auc_by_regime(&counted, iterations);
        // A regime whose every cycle diverged has no curve, and still has a line.
        for name in r.regimes() {
            if !ranked.iter().any(|a| a.regime == name) && flagged.contains_key(&name) {
                ranked.push(crate::results::AucRow {
                    regime: name,
                    cycles: 0,
                    top1: (f64::NAN, f64::NAN),
                    mean_class: (f64::NAN, f64::NAN),
                });
            }
        }
        for a in ranked {
            let cycles: std::collections::BTreeSet<usize> = (r.metrics.iter())
                .filter(|m| m.key.regime == a.regime)
                .map(|m| m.key.cycle)
                .collect();
            let said = crate::results::divergence::describe(flagged.get(&a.regime), cycles.len());
            let injury = (r.info.config.as_ref())
                .map_or_else(|| "—".to_string(), |c| c.injury.progression_words());
            rows.push((label.clone(), r.dir.display().to_string(), a, said, injury));
        }
    }
    rows.sort_by(|a, b| crate::results::divergence::rank_order(a.2.mean_class.0, b.2.mean_class.0));
    let pct = |(m, sd): (f64, f64), n: usize| {
        if m.is_nan() {
            "—".to_string()
        } else {
            crate::stats::mean_sd_text(100.0 * m, 100.0 * sd, n, 1)
        }
    };
    let mut md = String::from(
        "# Runs compared: accuracy averaged over the injury\n\n\
         The area under each cycle's accuracy-vs-injury curve (the healthy model, then the last \
         state of every iteration), divided by the injury range; mean ± sd over complete \
         cycles, in percent, best mean class-wise first (as in each run's summary.md). A cycle \
         that diverged ended early and is not in the mean; one whose loss exploded is; both are \
         named in the last column. The progression says where each run's injury fell \
         (docs/PROTOCOLS.md, \"Progression\").\n\n\
         | run | regime | progression | cycles | mean class-wise | top-1 | folder | diverged or exploded |\n\
         |---|---|---|---:|---:|---:|---|---|\n",
    );
    for (label, dir, a, said, injury) in rows {
        md.push_str(&format!(
            "| {label} | {} | {injury} | {} | {} | {} | `{dir}` | {} |\n",
            a.regime,
            a.cycles,
            pct(a.mean_class, a.cycles),
            pct(a.top1, a.cycles),
            if said.is_empty() { "—" } else { &said }
        ));
    }
    md.push_str(&course(results));
    md.push_str(&damage(results));
    md.push_str(&battery(results));
    md
}

/// Every run's battery thresholds: the healthy model's and those of the last state of the last
/// iteration, mean over cycles.
fn battery(results: &[(String, Results)]) -> String {
    let mut md = String::new();
    for (label, r) in results {
        for t in super::battery::thresholds(r) {
            md.push_str(&format!(
                "| {label} | {} | {} | {} | {} |\n",
                t.regime, t.test, t.healthy, t.last
            ));
        }
    }
    if md.is_empty() {
        return md;
    }
    format!(
        "\n# Visual test battery\n\nEach test's threshold (the level at which top-1 accuracy falls \
         halfway to chance; docs/PROTOCOLS.md P14) for the healthy model and after the last \
         iteration (its last state), mean over the cycles that reached it.\n\n\
         | run | regime | test | healthy | last iteration |\n|---|---|---|---:|---:|\n{md}"
    )
}

/// Every progression run's damage map: each area's share of synapses injured after each
/// iteration (the first regime's, mean over cycles), as the run's `damage.png` draws it.
fn damage(results: &[(String, Results)]) -> String {
    let mut md = String::new();
    for (label, r) in results {
        let (Some(rows), Some(regime)) = (&r.damage, r.regimes().into_iter().next()) else {
            continue;
        };
        for (area, points) in crate::results::area_shares(rows, &regime) {
            let shares: Vec<String> = (points.iter())
                .filter(|(i, _)| *i > 0)
                .map(|(_, s)| format!("{:.0}", 100.0 * s))
                .collect();
            md.push_str(&format!("| {label} | {area} | {} |\n", shares.join(", ")));
        }
    }
    if md.is_empty() {
        return md;
    }
    format!(
        "\n# Where the injury fell\n\nEach progression run's share of each area's synapses \
         injured (%) after iterations 1, 2, ... (its first regime; every regime of a cycle loses \
         the same synapses), mean over cycles, from damage.csv; drawn in `damage_<run>.png`. A \
         uniform run has no damage.csv.\n\n| run | area | injured after each iteration (%) |\n\
         |---|---|---|\n{md}"
    )
}

/// Every run's course of the disease (onset, reserve, logistic fit), run by run.
fn course(results: &[(String, Results)]) -> String {
    let mut md = String::new();
    for (label, r) in results {
        for row in super::course::rows(&r.metrics, &r.divergence, r.info.config.as_ref()) {
            md.push_str(&format!("| {label} | {} |\n", row.join(" | ")));
        }
    }
    if md.is_empty() {
        return md;
    }
    format!(
        "\n# Course of the disease\n\nEach run's onset, reserve and logistic fit, as in its \
         summary.md (docs/PROTOCOLS.md P13).\n\n| run | {} |\n|---|---|{}\n{md}",
        super::course::HEADER.join(" | "),
        "---:|".repeat(super::course::HEADER.len() - 2) + "---|"
    )
}

#[cfg(test)]
#[path = "compare_tests.rs"]
mod tests;
