//! The visual test battery: each test's threshold against the synapses injured, per regime.
use super::Figure;
use crate::report::results::Results;
use crate::results::auc::rank;
use anyhow::Result;
use std::collections::BTreeMap;
use std::path::Path;

/// Iteration -> cycle -> (state rank, fraction injured, threshold) of the last state.
type ByIteration = BTreeMap<usize, BTreeMap<usize, (u8, f64, f64)>>;

/// One figure per test of `battery.csv`: the threshold at the last state of every iteration
/// (the healthy model, then retrained, else recalibrated, else injured), mean over the cycles
/// whose threshold was reached, per regime.
pub fn battery(r: &Results, dir: &Path) -> Result<Vec<Figure>> {
    let Some((columns, rows)) = &r.battery else {
        return Ok(Vec::new());
    };
    let mut figs = Vec::new();
    for (test, levels, at) in crate::results::battery::tests_with_threshold(columns) {
        // regime -> iteration -> cycle -> (state rank, fraction, threshold)
        let mut last: BTreeMap<&str, ByIteration> = BTreeMap::new();
        for row in rows {
            let k = &row.key;
            let e = (last.entry(k.regime.as_str()).or_default())
                .entry(k.iteration)
                .or_default()
                .entry(k.cycle)
                .or_insert((0, 0.0, f64::NAN));
            if rank(k.state) >= e.0 {
                *e = (rank(k.state), k.fraction_injured, row.values[at]);
            }
        }
        let series: Vec<(String, Vec<(f64, f64)>)> = (r.regimes().iter())
            .filter_map(|regime| {
                let by = last.get(regime.as_str())?;
                let points = (by.values())
                    .filter_map(|cycles| {
                        let reached: Vec<&(u8, f64, f64)> =
                            cycles.values().filter(|v| v.2.is_finite()).collect();
                        let f = cycles.values().map(|v| v.1).sum::<f64>() / cycles.len() as f64;
                        (!reached.is_empty()).then(|| {
                            (
                                100.0 * f,
                                reached.iter().map(|v| v.2).sum::<f64>() / reached.len() as f64,
                            )
                        })
                    })
                    .collect();
                Some((regime.clone(), points))
            })
            .collect();
        if series.iter().all(|s| s.1.is_empty()) {
            continue;
        }
        let top = levels.iter().cloned().fold(0.0, f64::max);
        let name = format!("battery_{test}");
        let png = super::line_chart(
            dir,
            &name,
            &format!("Visual test battery: {test} threshold"),
            ("synapses injured (%)", threshold_words(test)),
            &series,
            (0.0, top * 1.05),
        )?;
        figs.push(Figure {
            png,
            title: format!("Battery: {test}"),
            caption: format!(
                "The {test} level at which top-1 accuracy falls halfway from its unperturbed value \
                 to chance (interpolated between the levels {levels:?}; lower contrast, more \
                 noise, blur or fragmentation tolerated is better), mean over the cycles that \
                 reached it; a missing point: no cycle reached it. From battery.csv."
            ),
        });
    }
    Ok(figs)
}

fn threshold_words(test: &str) -> &'static str {
    match test {
        "contrast" => "contrast factor at threshold",
        "noise" => "noise sd at threshold",
        "blur" => "blur sd (pixels) at threshold",
        "fragmentation" => "share of patches removed at threshold",
        _ => "level at threshold",
    }
}
