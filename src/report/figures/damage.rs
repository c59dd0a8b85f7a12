//! The damage map of a progression model (docs/PROTOCOLS.md, "Progression"): each area's share
//! of synapses injured against iteration.
use super::Figure;
use crate::report::results::Results;
use anyhow::Result;
use std::path::Path;

/// The `damage` figure, when the run wrote `damage.csv`: the first regime's (every regime of a
/// cycle loses the same synapses), each area's share injured, mean over cycles.
pub fn damage(r: &Results, dir: &Path) -> Result<Option<Figure>> {
    damage_named(r, dir, "damage", "")
}

/// [`damage`] in `dir/{name}.png`, its title followed by `label` (`compare` draws one per run).
pub fn damage_named(r: &Results, dir: &Path, name: &str, label: &str) -> Result<Option<Figure>> {
    let (Some(rows), Some(regime)) = (&r.damage, r.regimes().into_iter().next()) else {
        return Ok(None);
    };
    let shares = crate::results::area_shares(rows, &regime);
    if shares.is_empty() {
        return Ok(None);
    }
    let series: Vec<(String, Vec<(f64, f64)>)> = (shares.into_iter())
        .map(|(area, points)| {
            let points = points.iter().map(|&(i, s)| (i as f64, 100.0 * s)).collect();
            (area, points)
        })
        .collect();
    let progression =
        (r.info.config.as_ref()).map_or("progression", |c| c.injury.progression.as_str());
    let png = super::line_chart(
        dir,
        name,
        &format!("Where the injury fell ({progression}){label}"),
        ("iteration", "synapses injured (% of the area's)"),
        &series,
        (0.0, 105.0),
    )?;
    Ok(Some(Figure {
        png,
        title: "Damage map".into(),
        caption: format!(
            "Share of each area's synapses injured after each iteration's injury ({regime}; every \
             regime of a cycle loses the same synapses), mean over cycles; per layer, with each \
             unit's damage load, in damage.csv."
        ),
    }))
}
