//! The associative-memory demos: the classic Hopfield network's capacity sweep and modern
//! Hopfield retrieval of half-masked patterns.
use super::demo_rng;
use crate::plasticity::hopfield::{modern_retrieve, overlap, random_patterns, Hopfield};

/// Settings of the classic Hopfield capacity sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct CapacityOptions {
    /// Network sizes N, swept in this order.
    pub sizes: Vec<usize>,
    /// Loads P / N tried for every size, in this order; P = round(load N), at least 1.
    pub loads: Vec<f64>,
    /// Asynchronous sweeps of one recall at most (it stops earlier when no unit flips).
    pub max_sweeps: usize,
    /// A pattern counts as recalled when the final state's overlap with it exceeds this.
    pub threshold: f64,
}

impl Default for CapacityOptions {
    /// The command's sweep: N = 100, 200, 500, 1000 at loads 0.02, 0.04, ..., 0.30; 30 sweeps;
    /// overlap above 0.95.
    fn default() -> Self {
        CapacityOptions {
            sizes: vec![100, 200, 500, 1000],
            loads: (1..=15).map(|k| 0.02 * k as f64).collect(),
            max_sweeps: 30,
            threshold: 0.95,
        }
    }
}

/// One point of the capacity sweep (a row of `hopfield_capacity.csv`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CapacityPoint {
    /// Units N.
    pub n: usize,
    /// The requested load P / N.
    pub load: f64,
    /// Patterns P stored.
    pub patterns: usize,
    /// Fraction of the stored patterns recalled.
    pub recall_rate: f64,
}

/// The classic Hopfield network's recall rate against load: for every size and load (sizes
/// outermost), stores P random +1/-1 patterns by the Hebbian rule, starts asynchronous recall
/// at each stored pattern, and counts the patterns whose final state overlaps them by more than
/// `threshold` (the breakdown lies near P = 0.138 N). `on_point` sees every point as it is done.
pub fn hopfield_capacity(
    o: &CapacityOptions,
    seed: u64,
    mut on_point: impl FnMut(&CapacityPoint),
) -> Result<Vec<CapacityPoint>, String> {
    let mut rng = demo_rng(seed);
    let mut points = Vec::with_capacity(o.sizes.len() * o.loads.len());
    for &n in &o.sizes {
        for &load in &o.loads {
            let p = ((load * n as f64).round() as usize).max(1);
            let patterns = random_patterns(p, n, &mut rng);
            let net = Hopfield::store(&patterns)?;
            let ok = patterns
                .iter()
                .filter(|pat| {
                    let mut s = (*pat).clone();
                    net.recall(&mut s, o.max_sweeps, &mut rng);
                    overlap(&s, pat) > o.threshold
                })
                .count();
            let point = CapacityPoint {
                n,
                load,
                patterns: p,
                recall_rate: ok as f64 / p as f64,
            };
            on_point(&point);
            points.push(point);
        }
    }
    Ok(points)
}

/// Settings of the modern Hopfield demo.
#[derive(Clone, Debug, PartialEq)]
pub struct ModernOptions {
    /// Pattern dimension d.
    pub d: usize,
    /// Loads P / d, in this order; P = floor(load d), at least 1.
    pub loads: Vec<f64>,
    /// Inverse temperature of the retrieval's softmax (positive).
    pub beta: f64,
}

impl Default for ModernOptions {
    /// The command's settings: d = 100, loads 0.1 to 8, beta = 1.
    fn default() -> Self {
        ModernOptions {
            d: 100,
            loads: vec![0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0],
            beta: 1.0,
        }
    }
}

/// One point of the modern Hopfield demo (a row of `modern_hopfield.csv`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModernPoint {
    /// Pattern dimension d.
    pub d: usize,
    /// The requested load P / d.
    pub load: f64,
    /// Patterns P stored.
    pub patterns: usize,
    /// Inverse temperature.
    pub beta: f64,
    /// Fraction of the patterns retrieved with every sign right.
    pub success_rate: f64,
}

/// Modern Hopfield retrieval at loads far beyond the classic capacity: for every load, stores P
/// random +1/-1 patterns of dimension d and queries each with its second half set to 0; a
/// retrieval succeeds when one update step gives every entry the sign of the stored pattern.
/// An invalid `beta` or `d` is an error.
pub fn modern_hopfield(o: &ModernOptions, seed: u64) -> Result<Vec<ModernPoint>, String> {
    let d = o.d;
    if d == 0 {
        return Err("d must be at least 1".into());
    }
    let mut rng = demo_rng(seed);
    let mut points = Vec::with_capacity(o.loads.len());
    for &load in &o.loads {
        let p = ((load * d as f64) as usize).max(1);
        let stored: Vec<Vec<f64>> = random_patterns(p, d, &mut rng)
            .into_iter()
            .map(|v| v.into_iter().map(f64::from).collect())
            .collect();
        let mut ok = 0;
        for x in &stored {
            let q: Vec<f64> = x
                .iter()
                .enumerate()
                .map(|(i, &v)| if i < d / 2 { v } else { 0.0 })
                .collect();
            let out = modern_retrieve(&stored, &q, o.beta)?;
            if out.iter().zip(x).all(|(o, v)| o.signum() == v.signum()) {
                ok += 1;
            }
        }
        points.push(ModernPoint {
            d,
            load,
            patterns: p,
            beta: o.beta,
            success_rate: ok as f64 / p as f64,
        });
    }
    Ok(points)
}
