//! The source papers' published accuracies (docs/PROTOCOLS.md P3, P4), so that a run of their
//! protocol can be read beside them: `summary.md` and the report page put each published figure
//! next to the run's value at the same iteration, regime and state.
//!
//! The papers print only a few numbers in their text (the rest is in figures that did not survive
//! extraction); those are all that is listed, in `docs/paper-values.toml`, and nothing is
//! interpolated.
use crate::config::ExperimentConfig;
use crate::injury::{InjuryKind, Scope, Selection};
use crate::report::paper_values::{self, PaperValue, Retraining};
use crate::report::results::{Confined, RunInfo};
use crate::results::{DivergenceRow, MetricRow, State, SummaryRow};
use anyhow::Result;

/// A published figure, in percent.
#[derive(Clone, Debug, PartialEq)]
pub struct Published {
    /// Mean over the paper's cycles.
    pub mean: f64,
    /// Sample sd over cycles, when the paper gives it.
    pub sd: Option<f64>,
    /// Whether the paper gives the number only roughly ("reduced by about 25% accuracy", "chance level").
    pub approximate: bool,
}

impl Published {
    /// A value of `docs/paper-values.toml`.
    fn of(v: &PaperValue) -> Published {
        Published {
            mean: v.mean,
            sd: v.sd,
            approximate: v.approximate,
        }
    }

    /// As a table cell: `76.6 ± 6.06`, or `≈ 68` for a rough figure.
    pub fn cell(&self) -> String {
        match (self.approximate, self.sd) {
            (true, _) => format!("≈ {:.0}", self.mean),
            // The sd as printed in the paper (shortest representation: 6.06, 21.8).
            (false, Some(sd)) => format!("{:.1} ± {sd}", self.mean),
            (false, None) => format!("{:.1}", self.mean),
        }
    }
}

/// Which paper's protocol a run follows, and the metric that paper reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paper {
    /// Paper 000 (Moore et al., decay with freezing, P3): top-1 accuracy.
    MooreDecay,
    /// Paper 001 (Moore et al., NeurIPS 2022 SVRHM, progressive ablation, P4): mean class-wise.
    MooreAblation,
}

impl Paper {
    /// The paper's short name.
    pub fn title(self) -> &'static str {
        match self {
            Paper::MooreDecay => "paper 000 (Moore et al., decay, P3)",
            Paper::MooreAblation => "paper 001 (Moore et al., ablation, P4)",
        }
    }

    /// The summary column of the metric the paper reports (`top1` or `mean_class`).
    pub fn metric(self) -> &'static str {
        match self {
            Paper::MooreDecay => "top1",
            Paper::MooreAblation => "mean_class",
        }
    }

    /// The paper whose protocol the run `run` (run.json) follows: [`Paper::of_config`], with
    /// injury reaching the whole network. Whether it does comes from the synapse counts
    /// (`synapses`: injurable = total); a folder without them counts as confined when its
    /// config names `[injury] layers`.
    pub fn of_run(run: &RunInfo) -> Option<Paper> {
        let config = run.config.as_ref()?;
        let whole = match run.synapses {
            Some(c) => c.injurable == c.total,
            None => config.injury.layers.is_empty(),
        };
        whole.then(|| Paper::of_config(config)).flatten()
    }

    /// The paper whose protocol `config` (run.json's `config`) follows: CIFAR-10 with random
    /// selection per layer (every layer loses the same share) and the paper's injury settings. `None` for anything else, so that no run is
    /// compared with numbers from a different protocol. Where injury may reach is
    /// [`Paper::of_run`]'s question.
    pub fn of_config(config: &ExperimentConfig) -> Option<Paper> {
        let inj = &config.injury;
        if config.data.dataset != "cifar10"
            || inj.selection != Selection::Random
            || inj.units
            || inj.scope != Scope::PerLayer
        {
            return None;
        }
        match inj.kind {
            InjuryKind::Decay if inj.gamma == 0.5 && inj.iterations == 10 => {
                Some(Paper::MooreDecay)
            }
            InjuryKind::Ablation if inj.fraction == 0.2 => Some(Paper::MooreAblation),
            _ => None,
        }
    }

    /// The paper's id in `docs/paper-values.toml`.
    pub fn id(self) -> &'static str {
        match self {
            Paper::MooreDecay => "000",
            Paper::MooreAblation => "001",
        }
    }

    /// Kendall's tau between the injured (or retrained) RDM and the healthy one that the paper
    /// prints for a regime (as [`Paper::published`] takes it): paper 001 gives 0.18 after the
    /// first ablation and 0.71 after its retraining (3 epochs on the full training set).
    pub fn published_tau(
        self,
        images: Option<u64>,
        epochs: u64,
        is_static: bool,
        iteration: usize,
        state: &str,
    ) -> Option<Published> {
        self.published_of("tau", images, epochs, is_static, iteration, state)
    }

    /// What the paper published (`docs/paper-values.toml`) in its metric for a regime
    /// retraining on `images` images for `epochs` epochs (`images` None = the whole training
    /// set; `static` regimes have no retraining) at `iteration` (0 = healthy) in `state`
    /// (`healthy`, `injured`, `retrained`).
    pub fn published(
        self,
        images: Option<u64>,
        epochs: u64,
        is_static: bool,
        iteration: usize,
        state: &str,
    ) -> Option<Published> {
        self.published_of(self.metric(), images, epochs, is_static, iteration, state)
    }

    /// [`Paper::published`] for `metric`.
    fn published_of(
        self,
        metric: &str,
        images: Option<u64>,
        epochs: u64,
        is_static: bool,
        iteration: usize,
        state: &str,
    ) -> Option<Published> {
        let r = Retraining {
            images,
            epochs,
            is_static,
        };
        paper_values::find(self.id(), metric, iteration, state, r).map(Published::of)
    }
}

/// One row of the per-regime accuracy table: an iteration with its injured and retrained
/// values (mean, sd over cycles, in percent) and, for a paper protocol, the paper's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Iteration (0 = healthy).
    pub iteration: usize,
    /// Mean fraction of synapses injured.
    pub fraction: f64,
    /// Cycles behind the means.
    pub cycles: usize,
    /// Value after the injury (the healthy value at iteration 0).
    pub injured: Option<(f64, f64)>,
    /// Value after the injury and BatchNorm recalibration (homeostasis), if the regime has it.
    pub recalibrated: Option<(f64, f64)>,
    /// Value after retraining.
    pub retrained: Option<(f64, f64)>,
    /// Published value after the injury (healthy at iteration 0).
    pub paper_injured: Option<Published>,
    /// Published value after retraining.
    pub paper_retrained: Option<Published>,
}

/// A regime's table.
#[derive(Clone, Debug, PartialEq)]
pub struct RegimeTable {
    /// Regime name.
    pub regime: String,
    /// Rows by iteration.
    pub rows: Vec<Row>,
}

/// The tables of `summary` (summary.csv) for `metric` (`top1` or `mean_class`), one per regime in
/// order of first appearance, with `paper`'s figures where `config` (run.json's `config`) names
/// the regimes' settings.
pub fn tables(
    summary: &[SummaryRow],
    metric: &str,
    config: Option<&ExperimentConfig>,
    paper: Option<Paper>,
) -> Result<Vec<RegimeTable>> {
    let mut out: Vec<RegimeTable> = Vec::new();
    for r in summary {
        let regime = &r.regime;
        let iteration = r.iteration;
        let (m, sd) = r
            .metric(metric)
            .ok_or_else(|| anyhow::anyhow!("summary.csv has no metric `{metric}`"))?;
        let value = (100.0 * m, 100.0 * sd);
        let settings = config.and_then(|c| c.regimes.iter().find(|g| g.name == *regime));
        let images = settings.and_then(|g| g.images).map(|n| n as u64);
        let epochs = settings.map_or(0, |g| g.epochs as u64);
        let is_static = settings.is_none_or(|g| g.is_static);
        let published = |state: &str| {
            settings
                .and(paper)?
                .published(images, epochs, is_static, iteration, state)
        };
        let t = match out.iter_mut().position(|t| &t.regime == regime) {
            Some(k) => &mut out[k],
            None => {
                out.push(RegimeTable {
                    regime: regime.clone(),
                    rows: Vec::new(),
                });
                out.last_mut().unwrap()
            }
        };
        let row = match t.rows.iter().position(|w| w.iteration == iteration) {
            Some(k) => &mut t.rows[k],
            None => {
                t.rows.push(Row {
                    iteration,
                    fraction: r.fraction_injured,
                    cycles: r.cycles,
                    injured: None,
                    recalibrated: None,
                    retrained: None,
                    paper_injured: None,
                    paper_retrained: None,
                });
                t.rows.last_mut().unwrap()
            }
        };
        match r.state {
            State::Healthy | State::Injured => {
                row.injured = Some(value);
                row.paper_injured = published(r.state.as_str());
            }
            State::Recalibrated => row.recalibrated = Some(value),
            State::Retrained => {
                row.retrained = Some(value);
                row.paper_retrained = published("retrained");
            }
        }
    }
    for t in &mut out {
        t.rows.sort_by_key(|w| w.iteration);
    }
    Ok(out)
}

/// `mean ± sd` over `cycles` in percent with two decimals (the mean alone for one cycle), or
/// an em dash.
pub fn cell(v: Option<(f64, f64)>, cycles: usize) -> String {
    match v {
        Some((m, sd)) => crate::stats::mean_sd_text(m, sd, cycles, 2),
        None => "—".into(),
    }
}

/// The run's accuracy per iteration as Markdown: one table per regime, with the paper's
/// figures beside the run's where the run follows a paper's protocol.
pub fn markdown(
    name: &str,
    summary: &[SummaryRow],
    metrics: &[MetricRow],
    divergence: &[DivergenceRow],
    run: &RunInfo,
    finished: bool,
) -> Result<String> {
    let config = run.config.as_ref();
    let paper = Paper::of_run(run);
    let mut md = format!("# {name}: accuracy per iteration\n\n");
    if !finished {
        md.push_str("**Partial results**: the run is still going or was stopped.\n\n");
    }
    md.push_str(
        "Mean ± sample sd (ddof = 1) over cycles, in percent. Iteration 0 is the healthy model.\n",
    );
    let confined = Confined::of(run);
    if let Some(c) = &confined {
        md.push_str(&format!(
            "Injury is confined to {}, which hold {:.2} % of the network's synapses; the injured \
             synapses are counted as a share of those.\n",
            c.names(),
            100.0 * c.share
        ));
    }
    let injured_head = match &confined {
        Some(c) => format!("injured synapses of {}", c.names()),
        None => "injured synapses".into(),
    };
    if let Some(p) = paper {
        md.push_str(&format!(
            "The run follows the protocol of {}; its published figures ({}) stand beside the run's, \
             where the paper's text gives one (≈: the paper gives it only roughly).\n",
            p.title(),
            if p.metric() == "top1" { "top-1" } else { "mean class-wise" }
        ));
    }
    md.push_str(&auc_table(
        metrics,
        divergence,
        super::results::run_iterations(config, metrics),
    ));
    md.push_str(&divergence_table(metrics, divergence));
    md.push_str(&super::course::markdown(metrics, divergence, config));
    let metrics: Vec<&str> = match paper {
        Some(p) if p.metric() == "mean_class" => vec!["mean_class", "top1"],
        _ => vec!["top1", "mean_class"],
    };
    for metric in metrics {
        let label = if metric == "top1" {
            "Top-1 accuracy"
        } else {
            "Mean class-wise accuracy"
        };
        let with_paper = paper.filter(|p| p.metric() == metric);
        for t in tables(summary, metric, config, with_paper)? {
            md.push_str(&regime_table(
                &t,
                label,
                &injured_head,
                with_paper.is_some(),
            ));
        }
    }
    Ok(md)
}

/// One regime's accuracy table as a Markdown section: a row per iteration, a column per state
/// the run measured, and the paper's figures beside them when `with_paper` and it prints any.
fn regime_table(t: &RegimeTable, label: &str, injured_head: &str, with_paper: bool) -> String {
    let cycles = t.rows.iter().map(|r| r.cycles).max().unwrap_or(0);
    let mut md = format!("\n## {label}, {} ({cycles} cycles)\n\n", t.regime);
    let paper_cols = with_paper
        && t.rows
            .iter()
            .any(|r| r.paper_injured.is_some() || r.paper_retrained.is_some());
    let retrained = t.rows.iter().any(|r| r.retrained.is_some());
    let recalibrated = t.rows.iter().any(|r| r.recalibrated.is_some());
    let mut head = vec!["iteration", injured_head, "after injury"];
    if recalibrated {
        head.push("after recalibration");
    }
    if retrained {
        head.push("after retraining");
    }
    if paper_cols {
        head.push("paper: after injury");
        if retrained {
            head.push("paper: after retraining");
        }
    }
    md.push_str(&format!(
        "| {} |\n|{}\n",
        head.join(" | "),
        "---:|".repeat(head.len())
    ));
    for r in &t.rows {
        let p = |v: &Option<Published>| v.as_ref().map_or(String::new(), Published::cell);
        let mut cells = vec![
            if r.iteration == 0 {
                "0 (healthy)".to_string()
            } else {
                r.iteration.to_string()
            },
            format!("{:.1} %", 100.0 * r.fraction),
            cell(r.injured, r.cycles),
        ];
        if recalibrated {
            // The healthy model is not recalibrated: its row repeats the healthy accuracy.
            cells.push(if r.iteration == 0 {
                cell(r.injured, r.cycles)
            } else {
                cell(r.recalibrated, r.cycles)
            });
        }
        if retrained {
            cells.push(cell(r.retrained, r.cycles));
        }
        if paper_cols {
            cells.push(p(&r.paper_injured));
            if retrained {
                cells.push(p(&r.paper_retrained));
            }
        }
        md.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    md
}

mod ranking;
use ranking::{auc_table, divergence_table};

#[cfg(test)]
mod tests;
