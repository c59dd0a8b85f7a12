//! The course of the disease (docs/PROTOCOLS.md P13), read off each cycle's
//! accuracy-against-injury curve (the healthy model, then the last state of every iteration, as
//! in [`super::auc`]): the **onset**, the first fraction injured at which top-1 accuracy is at
//! least D points below healthy; the **reserve**, where it crosses halfway between healthy and
//! chance; and a **logistic fit** acc(f) = chance + (top - chance) / (1 + exp(k (f - f50))) by
//! least squares (f50, k and the residual). Crossings are linearly interpolated between the two
//! points around the first crossing (a curve that recovers afterwards keeps its first
//! crossing). Mean, sample sd and count over the cycles where each is defined.
use super::auc::last_state_curves;
use super::rows::MetricRow;

/// A statistic over cycles: mean, sample sd (NaN for one value) and how many cycles gave it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OverCycles {
    /// Mean.
    pub mean: f64,
    /// Sample sd (ddof = 1).
    pub sd: f64,
    /// Cycles that gave a value (the others: not reached, or no fit).
    pub n: usize,
}

impl OverCycles {
    fn of(values: &[f64]) -> Option<OverCycles> {
        (!values.is_empty()).then(|| {
            let (mean, sd) = crate::stats::mean_sd(values);
            OverCycles {
                mean,
                sd,
                n: values.len(),
            }
        })
    }
}

/// The course of one regime, over its complete cycles.
#[derive(Clone, Debug, PartialEq)]
pub struct CourseRow {
    /// Regime name.
    pub regime: String,
    /// Complete cycles.
    pub cycles: usize,
    /// Onset (fraction injured), over the cycles that reached it.
    pub onset: Option<OverCycles>,
    /// Reserve (fraction injured at halfway to chance), over the cycles that reached it.
    pub reserve: Option<OverCycles>,
    /// Fitted midpoint f50 (fraction injured).
    pub f50: Option<OverCycles>,
    /// Fitted steepness k (per unit of fraction injured).
    pub k: Option<OverCycles>,
    /// Root mean square residual of the fit (accuracy).
    pub residual: Option<OverCycles>,
    /// Why a number is missing, when one is.
    pub note: String,
}

/// The first `f` at which the curve `points` (fraction injured, accuracy; sorted, the healthy
/// model first) is at or below `level`, interpolated linearly from the point before; None when
/// it never is.
pub fn first_crossing(points: &[(f64, f64)], level: f64) -> Option<f64> {
    if points.first()?.1 <= level {
        return Some(points[0].0);
    }
    points.windows(2).find_map(|w| {
        let ((f0, a0), (f1, a1)) = (w[0], w[1]);
        (a1 <= level).then(|| f0 + (f1 - f0) * (a0 - level) / (a0 - a1))
    })
}

/// Onset: the first fraction injured at which accuracy is `drop` (a fraction: 0.05 for 5
/// points) or more below the healthy model's (the curve's first point).
pub fn onset(points: &[(f64, f64)], drop: f64) -> Option<f64> {
    first_crossing(points, points.first()?.1 - drop)
}

/// Reserve: the first fraction injured at which accuracy is halfway from healthy to `chance`.
pub fn reserve(points: &[(f64, f64)], chance: f64) -> Option<f64> {
    first_crossing(points, (points.first()?.1 + chance) / 2.0)
}

/// A logistic fit of a curve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Logistic {
    /// The plateau before the fall.
    pub top: f64,
    /// Steepness.
    pub k: f64,
    /// Midpoint.
    pub f50: f64,
    /// Root mean square residual.
    pub rms: f64,
}

impl Logistic {
    /// The fitted accuracy at `f` for chance level `chance`.
    pub fn at(&self, f: f64, chance: f64) -> f64 {
        chance + (self.top - chance) / (1.0 + (self.k * (f - self.f50)).clamp(-700.0, 700.0).exp())
    }
}

/// The fewest points a logistic fit takes (three parameters and one degree of freedom).
pub const FIT_MIN_POINTS: usize = 4;

/// Least-squares fit of acc(f) = chance + (top - chance) / (1 + exp(k (f - f50))) to `points`
/// by Levenberg-Marquardt from several starts (k in {2, 10, 50}, f50 at the reserve and at
/// quarters of the range), keeping the smallest residual. None with fewer than
/// [`FIT_MIN_POINTS`] points.
pub fn logistic_fit(points: &[(f64, f64)], chance: f64) -> Option<Logistic> {
    if points.len() < FIT_MIN_POINTS {
        return None;
    }
    let last = points.last()?.0;
    let mut starts_f50 = vec![0.25 * last, 0.5 * last, 0.75 * last];
    starts_f50.extend(reserve(points, chance));
    let mut best: Option<Logistic> = None;
    for &k in &[2.0, 10.0, 50.0] {
        for &f50 in &starts_f50 {
            let fit = levenberg_marquardt(points, chance, [points[0].1, k / last.max(1e-9), f50]);
            if best.is_none_or(|b| fit.rms < b.rms) {
                best = Some(fit);
            }
        }
    }
    best
}

/// Levenberg-Marquardt on (top, k, f50) from `start`.
fn levenberg_marquardt(points: &[(f64, f64)], chance: f64, start: [f64; 3]) -> Logistic {
    let model = |p: &[f64; 3]| Logistic {
        top: p[0],
        k: p[1],
        f50: p[2],
        rms: 0.0,
    };
    let sse = |p: &[f64; 3]| -> f64 {
        let m = model(p);
        points
            .iter()
            .map(|&(f, a)| (a - m.at(f, chance)).powi(2))
            .sum()
    };
    let mut p = start;
    let mut cost = sse(&p);
    let mut lambda = 1e-3;
    for _ in 0..500 {
        // Normal equations J^T J and J^T r.
        let (mut jtj, mut jtr) = ([[0.0f64; 3]; 3], [0.0f64; 3]);
        for &(f, a) in points {
            let e = (p[1] * (f - p[2])).clamp(-700.0, 700.0).exp();
            let s = 1.0 / (1.0 + e);
            let amp = p[0] - chance;
            let j = [s, -amp * s * s * e * (f - p[2]), amp * s * s * e * p[1]];
            let r = a - model(&p).at(f, chance);
            for u in 0..3 {
                jtr[u] += j[u] * r;
                for v in 0..3 {
                    jtj[u][v] += j[u] * j[v];
                }
            }
        }
        let mut improved = false;
        while lambda < 1e12 {
            let mut a = jtj;
            for (u, row) in a.iter_mut().enumerate() {
                row[u] += lambda * jtj[u][u].max(1e-12);
            }
            let Some(d) = solve3(a, jtr) else {
                lambda *= 10.0;
                continue;
            };
            let q = [p[0] + d[0], p[1] + d[1], p[2] + d[2]];
            let c = sse(&q);
            if c.is_finite() && c < cost {
                let done = (cost - c) <= 1e-15 * cost.max(1e-300);
                p = q;
                cost = c;
                lambda = (lambda / 10.0).max(1e-12);
                improved = !done;
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    Logistic {
        rms: (cost / points.len() as f64).sqrt(),
        ..model(&p)
    }
}

/// Solves the 3 x 3 system a x = b by Gaussian elimination with partial pivoting.
fn solve3(mut a: [[f64; 3]; 3], mut b: [f64; 3]) -> Option<[f64; 3]> {
    for c in 0..3 {
        let p = (c..3).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[p][c].abs() < 1e-300 {
            return None;
        }
        a.swap(c, p);
        b.swap(c, p);
        for r in c + 1..3 {
            let m = a[r][c] / a[c][c];
            let pivot = a[c];
            for (x, p) in a[r][c..].iter_mut().zip(&pivot[c..]) {
                *x -= m * p;
            }
            b[r] -= m * b[c];
        }
    }
    let mut x = [0.0; 3];
    for c in (0..3).rev() {
        x[c] = (b[c] - (c + 1..3).map(|k| a[c][k] * x[k]).sum::<f64>()) / a[c][c];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// One [`CourseRow`] per regime (in order of first appearance) from the rows of `metrics.csv`:
/// top-1 accuracy, `chance` = 1 / classes, onset at `drop` below healthy (a fraction); a cycle
/// counts when it has its healthy row and every iteration up to `iterations`.
pub fn course_by_regime(
    rows: &[MetricRow],
    iterations: usize,
    chance: f64,
    drop: f64,
) -> Vec<CourseRow> {
    let mut out = Vec::new();
    for (regime, cycles) in last_state_curves(rows) {
        let (mut on, mut res, mut f50, mut k, mut rms) = (vec![], vec![], vec![], vec![], vec![]);
        let mut complete = 0;
        let mut short = false;
        for by_iteration in cycles.values() {
            if (0..=iterations).any(|i| !by_iteration.contains_key(&i)) {
                continue;
            }
            complete += 1;
            let points: Vec<(f64, f64)> = by_iteration
                .values()
                .map(|r| (r.key.fraction_injured, r.top1))
                .collect();
            on.extend(onset(&points, drop));
            res.extend(reserve(&points, chance));
            match logistic_fit(&points, chance) {
                Some(fit) => {
                    f50.push(fit.f50);
                    k.push(fit.k);
                    rms.push(fit.rms);
                }
                None => short = true,
            }
        }
        if complete == 0 {
            continue;
        }
        let mut notes = Vec::new();
        if short {
            notes.push(format!(
                "no logistic fit: a curve has fewer than {FIT_MIN_POINTS} points"
            ));
        }
        if on.len() < complete {
            notes.push(format!(
                "onset not reached in {} of {complete} cycles",
                complete - on.len()
            ));
        }
        if res.len() < complete {
            notes.push(format!(
                "reserve not reached in {} of {complete} cycles",
                complete - res.len()
            ));
        }
        out.push(CourseRow {
            regime,
            cycles: complete,
            onset: OverCycles::of(&on),
            reserve: OverCycles::of(&res),
            f50: OverCycles::of(&f50),
            k: OverCycles::of(&k),
            residual: OverCycles::of(&rms),
            note: notes.join("; "),
        });
    }
    out
}

#[cfg(test)]
#[path = "course_tests.rs"]
mod tests;
