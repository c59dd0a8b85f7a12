//! Finding a diverged network (non-finite weights) and recording it: the runner's half of
//! [`crate::results::divergence`], whose rule it applies.
use super::config::{Analysis, ExperimentConfig};
use crate::results::{Divergence, DivergenceRow, Evaluation, StateKey};
use tch::nn;

/// The name of the first variable (parameter or buffer, by name) holding a NaN or infinite
/// value, if any.
pub fn first_non_finite(vs: &nn::VarStore) -> Option<String> {
    let mut vars: Vec<(String, tch::Tensor)> = vs.variables().into_iter().collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    vars.into_iter()
        .find(|(_, t)| {
            t.is_floating_point() && !bool::try_from(t.isfinite().all()).unwrap_or(false)
        })
        .map(|(name, _)| name)
}

/// How the state just evaluated as `e` stands, with `non_finite` the first non-finite
/// variable of its network: a [`DivergenceRow`] when it diverged or exploded, noting what the
/// run does about it.
pub fn judge(
    cfg: &ExperimentConfig,
    key: &StateKey,
    e: &Evaluation,
    non_finite: Option<&str>,
) -> Option<DivergenceRow> {
    let kind = match non_finite {
        Some(_) => Divergence::Diverged,
        None => Divergence::of_loss(e.loss, e.per_class.len())?,
    };
    let mut note = Vec::new();
    match non_finite {
        Some(name) => note.push(format!("`{name}` holds non-finite values")),
        None if kind == Divergence::Diverged => note.push(format!("loss {}", e.loss)),
        None => note.push(format!(
            "loss {:e} > {} ln {}",
            e.loss,
            crate::results::divergence::EXPLODED_FACTOR,
            e.per_class.len()
        )),
    }
    if kind == Divergence::Diverged {
        let skipped: Vec<String> = cfg
            .analyses
            .iter()
            .filter(|a| **a != Analysis::Accuracy)
            .map(|a| format!("{a:?}").to_lowercase())
            .collect();
        if !skipped.is_empty() {
            note.push(format!("analyses skipped: {}", skipped.join(", ")));
        }
        let last = cfg.injury.iterations;
        note.push(if key.iteration < last {
            format!(
                "the cycle ends here: iterations {}-{last} not run",
                key.iteration + 1
            )
        } else {
            "the cycle's last iteration".to_string()
        });
    }
    Some(DivergenceRow {
        key: key.clone(),
        kind,
        top1: e.top1,
        loss: e.loss,
        note: note.join("; "),
    })
}
