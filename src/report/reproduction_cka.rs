//! Paper 000's CKA claims in the reproduction table: the diagonal CKA of the layers a value
//! names, beside the paper's rough value (docs/PROTOCOLS.md, P11).
use super::paper_values::PaperValue;
use super::reproduction::{agrees, describe, explanation, regime_for, Row};
use super::results::Results;
use crate::results::State;

/// The diagonal CKA of a run's layers, summarised.
#[derive(Clone, Copy, Debug)]
struct LayerCka {
    /// The layers' mean.
    mean: f64,
    /// Their largest value.
    max: f64,
    /// How many lie above the paper's value.
    above: usize,
    /// How many layers.
    n: usize,
}

/// The diagonal CKA (each layer against the same layer of the healthy model) of the layers
/// `v.layers` names, for the value's regime, iteration and state, averaged over cycles, with
/// the regime and whether it is the paper's own.
fn measured_cka(v: &PaperValue, r: &Results, iteration: usize) -> Option<(LayerCka, String, bool)> {
    let c = r.info.config.as_ref()?;
    let (regime, own) = regime_for(v, c)?;
    let state = match v.state.as_deref()? {
        "injured" => State::Injured,
        "recalibrated" => State::Recalibrated,
        "retrained" => State::Retrained,
        _ => return None,
    };
    let [first, last] = v.layers?;
    let (m, _) = r.mean_cka(&regime.name, iteration, state)?;
    let n = m.nrows().min(m.ncols());
    let diagonal: Vec<f64> = (first.max(1) - 1..last.min(n)).map(|i| m[[i, i]]).collect();
    if diagonal.is_empty() {
        return None;
    }
    let mean = diagonal.iter().sum::<f64>() / diagonal.len() as f64;
    let max = diagonal.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let above = diagonal.iter().filter(|&&x| x > v.mean).count();
    let n = diagonal.len();
    Some((
        LayerCka {
            mean,
            max,
            above,
            n,
        },
        regime.name.clone(),
        own,
    ))
}

/// The row of a CKA value: the named layers' mean beside the paper's rough value, with their
/// largest value and how many lie above it (the paper's "and below" speaks of all of them).
pub(super) fn cka_row(
    v: &PaperValue,
    r: &Results,
    iteration: usize,
    quick: bool,
    printed: String,
) -> Row {
    let measured = measured_cka(v, r, iteration);
    let (atrophy, difference, explained) = match &measured {
        Some((LayerCka { mean, max, above, n }, regime, own)) => (
            format!(
                "{mean:.2} (mean of {n} layers; largest {max:.2}, {above} above {}; regime {regime})",
                v.mean
            ),
            format!("{:+.2}", mean - v.mean),
            if quick || !own || !agrees(v, *mean) {
                explanation(v, quick, *own)
            } else {
                "—".to_string()
            },
        ),
        None => (
            "— (not in the run: no CKA of these layers in this state)".to_string(),
            "—".to_string(),
            if quick {
                explanation(v, quick, true)
            } else {
                "—".to_string()
            },
        ),
    };
    Row {
        what: describe(v, Some(iteration)),
        section: format!("{} {}", v.paper, v.section),
        paper: printed,
        atrophy,
        difference,
        within: if measured.is_some() {
            "no sd given".into()
        } else {
            "—".into()
        },
        explained,
    }
}
