//! `reproduction.md`: every number a paper prints (`docs/paper-values.toml`) beside what a run
//! of its protocol measured, with the difference, whether it lies within the paper's sd, and
//! what explains a miss as far as it is known. Written by `atrophy reproduce` from the results
//! folder alone.
use super::paper_values::{self, PaperValue, Retraining};
use super::results::Results;
use crate::config::{ExperimentConfig, RegimeConfig};
use crate::results::State;

/// How a reduced run (`--quick`) differs from the paper's protocol, for the page's header.
pub const QUICK_NOTE: &str = "**Reduced run (`--quick`)**: small widths, a short healthy \
training, one cycle and fewer or shorter retrainings, to check the pipeline in minutes. Its \
numbers are not a reproduction and say nothing of the paper's; run without `--quick` for that.";

/// Retraining lifts accuracy "by a large margin" while it adds at least this many points.
pub const LARGE_MARGIN: f64 = 10.0;

/// Injured and retrained RDMs "no longer differ" once their mean taus are this close.
pub const TAU_SAME: f64 = 0.05;

/// A number printed without an sd agrees when atrophy's is this close: accuracies and limits
/// in % ablated within 2 points, taus within [`TAU_SAME`], CKA within [`CKA_CLOSE`]; a share
/// of parameters (a fact of the model, not a measurement) never.
pub fn close(metric: &str) -> Option<f64> {
    match metric {
        "top1" | "mean_class" | "ablated_until" | "tau_equal_from" => Some(2.0),
        "tau" => Some(TAU_SAME),
        "cka_diagonal" => Some(CKA_CLOSE),
        _ => None,
    }
}

/// Whether `measured` agrees with `v` by [`close`]: within the tolerance, or anywhere below an
/// upper bound (`at_most`, "0.4 and below") plus the tolerance.
pub fn agrees(v: &PaperValue, measured: f64) -> bool {
    close(&v.metric)
        .is_some_and(|c| (measured - v.mean).abs() <= c || (v.at_most && measured <= v.mean + c))
}

/// A CKA value the paper gives only roughly ("about 0.6", "0.4 and below") agrees within this.
pub const CKA_CLOSE: f64 = 0.1;

/// One row of the table.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// What the paper prints, in words.
    pub what: String,
    /// Where.
    pub section: String,
    /// The paper's value as printed.
    pub paper: String,
    /// atrophy's, mean ± sd over cycles.
    pub atrophy: String,
    /// atrophy - paper.
    pub difference: String,
    /// yes / no / no sd given.
    pub within: String,
    /// What explains a miss.
    pub explained: String,
}

/// The run's regime the value belongs to, or (a reduced run's regimes differ) the nearest:
/// the static one for a static value, else the first that retrains. The flag says whether it
/// is the paper's own.
pub(super) fn regime_for<'a>(
    v: &PaperValue,
    c: &'a ExperimentConfig,
) -> Option<(&'a RegimeConfig, bool)> {
    if let Some(r) = c
        .regimes
        .iter()
        .find(|r| v.regime.matches(Retraining::of(r)))
    {
        return Some((r, true));
    }
    let wants_static = v.regime.retrains == Some(false);
    c.regimes
        .iter()
        .find(|r| r.is_static == wants_static)
        .map(|r| (r, false))
}

/// Mean and sample sd of `values` (NaN, undefined, for one value), or None for none.
fn stats(values: &[f64]) -> Option<(f64, f64)> {
    let (m, sd) = (!values.is_empty()).then(|| crate::stats::mean_sd(values))?;
    Some((m, if values.len() < 2 { f64::NAN } else { sd }))
}

/// The run's value of an accuracy or tau number: mean, sd over cycles, and the regime's name.
fn measured(v: &PaperValue, r: &Results, iteration: usize) -> Option<((f64, f64), String, bool)> {
    let c = r.info.config.as_ref()?;
    let (regime, own) = regime_for(v, c)?;
    let state = v.state.as_deref()?;
    let value = match v.metric.as_str() {
        "tau" => {
            let taus: Vec<f64> = (r.taus.iter().flatten())
                .filter(|t| {
                    t.key.regime == regime.name
                        && t.key.iteration == iteration
                        && t.key.state.as_str() == state
                })
                .map(|t| t.tau)
                .collect();
            stats(&taus)?
        }
        metric => {
            let rows: Vec<f64> = (r.metrics.iter())
                .filter(|m| {
                    m.key.regime == regime.name
                        && m.key.iteration == iteration
                        && m.key.state.as_str() == state
                })
                .map(|m| {
                    if metric == "top1" {
                        m.top1
                    } else {
                        m.mean_class
                    }
                })
                .map(|x| 100.0 * x)
                .collect();
            stats(&rows)?
        }
    };
    Some((value, regime.name.clone(), own))
}

/// Per iteration: the mean over cycles of the fraction injured and of `regime`'s `metric` in
/// `state`, both in %.
fn level_means(
    r: &Results,
    regime: &str,
    state: State,
    metric: &str,
) -> std::collections::BTreeMap<usize, (f64, f64)> {
    let mut by: std::collections::BTreeMap<usize, (Vec<f64>, Vec<f64>)> = Default::default();
    for m in (r.metrics.iter()).filter(|m| m.key.regime == regime && m.key.state == state) {
        let e = by.entry(m.key.iteration).or_default();
        e.0.push(100.0 * m.key.fraction_injured);
        e.1.push(
            100.0
                * if metric == "top1" {
                    m.top1
                } else {
                    m.mean_class
                },
        );
    }
    (by.into_iter())
        .filter_map(|(i, (f, x))| Some((i, (stats(&f)?.0, stats(&x)?.0))))
        .collect()
}

/// The retraining regime the paper's limits are read from: the paper's own (its condition), else
/// the first that retrains.
fn retraining_regime<'a>(c: &'a ExperimentConfig, paper: &str) -> Option<&'a RegimeConfig> {
    let own = paper_values::values()
        .iter()
        .find(|v| v.paper == paper && v.state.as_deref() == Some("retrained"))
        .and_then(|v| {
            c.regimes
                .iter()
                .find(|r| v.regime.matches(Retraining::of(r)))
        });
    own.or_else(|| c.regimes.iter().find(|r| !r.is_static))
}

/// The limits the paper states in words, as the run measures them: the last % ablated at which
/// retraining adds at least [`LARGE_MARGIN`] points (`ablated_until`), and the first at which
/// the injured and retrained taus are within [`TAU_SAME`] (`tau_equal_from`).
fn limit(v: &PaperValue, r: &Results) -> Option<(f64, String)> {
    let c = r.info.config.as_ref()?;
    let regime = retraining_regime(c, &v.paper)?;
    match v.metric.as_str() {
        "ablated_until" => {
            let metric = if v.paper == "001" {
                "mean_class"
            } else {
                "top1"
            };
            let injured = level_means(r, &regime.name, State::Injured, metric);
            let retrained = level_means(r, &regime.name, State::Retrained, metric);
            let last = (injured.iter())
                .filter(|(i, (_, a))| retrained.get(i).is_some_and(|(_, b)| b - a >= LARGE_MARGIN))
                .map(|(_, (f, _))| *f)
                .next_back()
                .unwrap_or(f64::NAN);
            Some((
                last,
                format!(
                    "last level at which retraining ({}) adds at least {LARGE_MARGIN} points",
                    regime.name
                ),
            ))
        }
        "tau_equal_from" => {
            let taus = r.taus.as_ref()?;
            let mean_tau = |state: State| -> Vec<(usize, f64, f64)> {
                let mut by: std::collections::BTreeMap<usize, (Vec<f64>, Vec<f64>)> =
                    Default::default();
                for t in taus
                    .iter()
                    .filter(|t| t.key.regime == regime.name && t.key.state == state)
                {
                    let e = by.entry(t.key.iteration).or_default();
                    e.0.push(100.0 * t.key.fraction_injured);
                    e.1.push(t.tau);
                }
                by.into_iter()
                    .filter_map(|(i, (f, x))| Some((i, stats(&f)?.0, stats(&x)?.0)))
                    .collect()
            };
            let (injured, retrained) = (mean_tau(State::Injured), mean_tau(State::Retrained));
            let first = injured.iter().find_map(|(i, f, a)| {
                let (_, _, b) = retrained.iter().find(|(j, _, _)| j == i)?;
                ((a - b).abs() <= TAU_SAME).then_some(*f)
            });
            Some((
                first.unwrap_or(f64::NAN),
                format!(
                    "first level at which injured and retrained taus ({}) are within {TAU_SAME}",
                    regime.name
                ),
            ))
        }
        "parameters" => {
            let (model, widths, share) = healthy_share(c)?;
            Some((share, format!("{model} widths {widths}")))
        }
        _ => None,
    }
}

/// The healthy model's name, widths and share (%) of the full-width model's parameters: from
/// `[healthy.train]`, or from the sidecar (`model.json`) of `healthy.checkpoint`, which for a
/// model pruned by `atrophy compress` holds its pruned widths.
fn healthy_share(c: &ExperimentConfig) -> Option<(String, String, f64)> {
    use crate::model::Architecture;
    let arch = match (&c.healthy.train, &c.healthy.checkpoint) {
        (Some(t), _) => Architecture::preset(&t.model, t.widths.as_deref(), 3, 32, 10).ok()?,
        (None, Some(path)) => {
            let sidecar = if path.is_dir() {
                path.join("model.json")
            } else {
                path.with_extension("json")
            };
            let meta: serde_json::Value =
                serde_json::from_slice(&std::fs::read(sidecar).ok()?).ok()?;
            serde_json::from_value(meta.get("architecture")?.clone()).ok()?
        }
        (None, None) => return None,
    };
    let kind = arch.kind.clone();
    let full = Architecture::preset(&kind, Some("full"), 3, 32, 10).ok()?;
    let share = 100.0 * arch.parameter_count_u128() as f64 / full.parameter_count_u128() as f64;
    Some((kind, arch.widths.clone(), share))
}

/// What a number measures, in words.
pub(super) fn describe(v: &PaperValue, iteration: Option<usize>) -> String {
    let state = v.state.as_deref().unwrap_or("");
    match (v.metric.as_str(), iteration) {
        ("top1" | "mean_class", Some(0)) => format!("healthy {}", metric_words(&v.metric)),
        ("top1" | "mean_class", Some(i)) => {
            format!("{} {state} at iteration {i}", metric_words(&v.metric))
        }
        ("tau", Some(i)) => format!("Kendall's tau, {state} RDM at iteration {i}"),
        ("cka_diagonal", Some(i)) => match v.layers {
            Some([a, b]) => {
                format!("CKA with the healthy model, layers {a}-{b}, {state} at iteration {i}")
            }
            None => format!("CKA with the healthy model, {state} at iteration {i}"),
        },
        ("ablated_until", _) => "retraining recovers a large margin until (% ablated)".into(),
        ("tau_equal_from", _) => "injured and retrained RDMs stop differing at (% ablated)".into(),
        ("parameters", _) => "healthy model's share of VGG19's parameters (%)".into(),
        (m, _) => m.to_string(),
    }
}

fn metric_words(metric: &str) -> &'static str {
    if metric == "top1" {
        "top-1 (%)"
    } else {
        "mean class-wise (%)"
    }
}

/// What explains a miss of this number, from issue 30's arms (`docs/reproductions/arms.toml`);
/// a reduced run's misses are its reduction's.
pub(super) fn explanation(v: &PaperValue, quick: bool, own_regime: bool) -> String {
    if quick {
        return QUICK_CELL.into();
    }
    if !own_regime {
        return OTHER_REGIME_CELL.into();
    }
    super::arms::explain(v)
}

/// The "explained by" cell of a reduced run's number.
const QUICK_CELL: &str = "reduced run (--quick)";

/// The "explained by" cell of a number read from a regime that is not the paper's.
const OTHER_REGIME_CELL: &str =
    "not the paper's retraining (the run has no regime with its settings)";

/// The iterations a value's rows stand for: each of its range, else its one (or none).
fn iterations(v: &PaperValue) -> Vec<Option<usize>> {
    match (v.iteration, v.iterations) {
        (_, Some([a, b])) => (a..=b).map(Some).collect(),
        (i, None) => vec![i],
    }
}

/// The value as the paper prints it: one decimal for accuracies, two for taus and shares, a
/// rough value as roughly as the paper gives it.
fn printed(v: &PaperValue) -> String {
    let places = match v.metric.as_str() {
        "tau" | "parameters" => 2,
        _ => 1,
    };
    let rough = if v.metric == "cka_diagonal" { 1 } else { 0 };
    match (v.approximate, v.sd) {
        (true, _) => format!("≈ {:.rough$}", v.mean),
        (false, Some(sd)) => format!("{:.places$} ± {sd}", v.mean),
        (false, None) => format!("{:.places$}", v.mean),
    }
}

/// `d` with its sign and `digits` decimals; a difference that rounds to zero is "+0.0", never
/// "-0.0".
fn signed(d: f64, digits: usize) -> String {
    let s = format!("{d:+.digits$}");
    if s[1..].chars().all(|c| c == '0' || c == '.') {
        format!("+{}", &s[1..])
    } else {
        s
    }
}

/// The rows for `paper` (`000`, `001`) from the results `r`.
pub fn rows(paper: &str, r: &Results, quick: bool) -> Vec<Row> {
    let mut out = Vec::new();
    for v in paper_values::values().iter().filter(|v| v.paper == paper) {
        for iteration in iterations(v) {
            let printed = printed(v);
            if let ("cka_diagonal", Some(i)) = (v.metric.as_str(), iteration) {
                out.push(super::reproduction_cka::cka_row(v, r, i, quick, printed));
                continue;
            }
            let (value, note, own) = match (v.metric.as_str(), iteration) {
                ("top1" | "mean_class" | "tau", Some(i)) => match measured(v, r, i) {
                    Some((m, regime, own)) => (Some(m), format!("regime {regime}"), own),
                    None => (None, "not in the run".into(), true),
                },
                _ => match limit(v, r) {
                    Some((x, how)) => (Some((x, f64::NAN)), how, true),
                    None => (None, "not in the run".into(), true),
                },
            };
            let digits = if v.metric == "tau" { 3 } else { 1 };
            let atrophy = match value {
                Some((m, sd)) if sd.is_finite() => {
                    format!("{m:.digits$} ± {sd:.digits$} ({note})")
                }
                Some((m, _)) if m.is_finite() => format!("{m:.digits$} ({note})"),
                Some(_) => format!("never ({note})"),
                None => format!("— ({note})"),
            };
            let diff = value.map(|(m, _)| m - v.mean).filter(|d| d.is_finite());
            let within = match (diff, v.sd) {
                (None, _) => "—".to_string(),
                (Some(d), Some(sd)) => if d.abs() <= sd { "yes" } else { "no" }.to_string(),
                (Some(_), None) => "no sd given".to_string(),
            };
            let explained = match (diff, v.sd) {
                // A reduced run or another regime's number says so even when it agrees.
                _ if value.is_some() && (quick || !own) => explanation(v, quick, own),
                (Some(d), Some(sd)) if d.abs() <= sd => "—".to_string(),
                (Some(d), None) if agrees(v, v.mean + d) => "—".to_string(),
                (None, _) if value.is_none() => "—".to_string(),
                _ => explanation(v, quick, own),
            };
            out.push(Row {
                what: describe(v, iteration),
                section: format!("{} {}", v.paper, v.section),
                paper: printed,
                atrophy,
                difference: diff.map_or("—".into(), |d| signed(d, digits)),
                within,
                explained,
            });
        }
    }
    out
}

/// `reproduction.md` for `paper` from the results `r` of `preset`, made by `command`.
pub fn markdown(paper: &str, preset: &str, r: &Results, quick: bool, command: &str) -> String {
    let title = match paper {
        "000" => "paper 000 (Moore et al., decay, P3)",
        "001" => "paper 001 (Moore et al., ablation, P4)",
        other => other,
    };
    let reading = match preset {
        "moore-ablation" => " (paper 001 as its authors' code ran it)",
        "moore-ablation-text" => " (paper 001 as its workshop text reads)",
        _ => "",
    };
    let mut md =
        format!("# Reproduction of {title}\n\nProtocol: the preset `{preset}`{reading}.\n\n");
    if quick {
        md.push_str(QUICK_NOTE);
        md.push_str("\n\n");
    }
    if !r.finished {
        md.push_str("**Partial results**: the run is still going or was stopped.\n\n");
    }
    let cycles = r.info.config.as_ref().map_or(0, |c| c.cycles);
    let paper_cycles = if paper == "000" {
        "10 cycles"
    } else {
        "cycles not stated"
    };
    let over = if cycles == 1 {
        "the value of its one cycle (no sd)".to_string()
    } else {
        format!("mean ± sample sd over {cycles} cycles")
    };
    md.push_str(&format!(
        "Made by `{command}` from `{}`. Every number the paper prints in its text \
         (`docs/paper-values.toml`, with its exact quote) beside the run's: {over} (the paper's: {paper_cycles}). \"Within\" compares the difference with \
         the paper's sd where it prints one. Limits the paper states in words are read by a \
         stated rule: \"a large margin\" is at least {LARGE_MARGIN} points, RDMs \"no longer \
         differ\" when their mean taus are within {TAU_SAME}. A number printed without an sd \
         agrees within 2 points (accuracies, % ablated), {TAU_SAME} (taus) or {CKA_CLOSE} (CKA, \
         its layers numbered as in the run's CKA layer list).\n\n",
        r.dir.display()
    ));
    if let Some(path) = r
        .info
        .config
        .as_ref()
        .and_then(|c| c.healthy.checkpoint.as_ref())
    {
        md.push_str(&format!(
            "The healthy model is the checkpoint `{}` (given by `--healthy`), not the preset's \
             own training.\n\n",
            path.display()
        ));
    }
    let rows = rows(paper, r, quick);
    md.push_str(&table(&rows));
    let mut md = with_findings(md, paper, &rows);
    let figures = figures_section(paper, &r.dir);
    if !figures.is_empty() {
        md.push('\n');
        md.push_str(&figures);
    }
    md
}

/// The rows as the page's Markdown table, with its header.
pub fn table(rows: &[Row]) -> String {
    let mut md = String::from(
        "| what the paper prints | where | paper | atrophy | difference | within one paper sd | explained by |\n\
         |---|---|---:|---:|---:|---|---|\n",
    );
    for row in rows {
        md.push_str(&table_row(row));
    }
    md
}

/// One row of [`table`], with its newline.
fn table_row(row: &Row) -> String {
    format!(
        "| {} | {} | {} | {} | {} | {} | {} |\n",
        row.what, row.section, row.paper, row.atrophy, row.difference, row.within, row.explained
    )
}

#[path = "reproduction_figures.rs"]
mod figures;
use figures::figures_section;
pub use figures::FIGURES_HEADING;

#[path = "reproduction_rearm.rs"]
mod rearm;
pub use rearm::rearm;
#[cfg(test)]
use rearm::value_of_row;
use rearm::with_findings;

#[cfg(test)]
#[path = "reproduction_tests.rs"]
mod tests;
