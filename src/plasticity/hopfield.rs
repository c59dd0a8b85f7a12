//! Associative memories (P9): the classic Hopfield network (Hebbian storage, asynchronous and
//! synchronous updates, energy) and modern continuous Hopfield retrieval (Ramsauer et al. 2020).
use rand::seq::SliceRandom;
use rand::Rng;

/// A classic Hopfield network of N +1/-1 units.
#[derive(Clone, Debug)]
pub struct Hopfield {
    /// Units.
    pub n: usize,
    /// W = (1/N) sum of outer products of the stored patterns, zero diagonal; row-major N x N.
    pub w: Vec<f32>,
}

impl Hopfield {
    /// Stores `patterns` (each N entries of +1/-1) by the Hebbian rule.
    pub fn store(patterns: &[Vec<i8>]) -> Result<Hopfield, String> {
        let n = patterns.first().map_or(0, |p| p.len());
        if n == 0 {
            return Err("no patterns to store".into());
        }
        if let Some((k, p)) = patterns
            .iter()
            .enumerate()
            .find(|(_, p)| p.len() != n || p.iter().any(|&x| x != 1 && x != -1))
        {
            return Err(format!("pattern {k} has {} entries or values other than +1/-1: expected {n} entries of +1/-1", p.len()));
        }
        let mut w = vec![0f32; n * n];
        for p in patterns {
            for i in 0..n {
                let pi = p[i] as f32 / n as f32;
                let row = &mut w[i * n..(i + 1) * n];
                for (j, x) in row.iter_mut().enumerate() {
                    *x += pi * p[j] as f32;
                }
            }
        }
        for i in 0..n {
            w[i * n + i] = 0.0;
        }
        Ok(Hopfield { n, w })
    }

    fn field(&self, s: &[i8], i: usize) -> f32 {
        self.w[i * self.n..(i + 1) * self.n]
            .iter()
            .zip(s)
            .map(|(w, &x)| w * x as f32)
            .sum()
    }

    /// E = -1/2 s' W s.
    pub fn energy(&self, s: &[i8]) -> f64 {
        -0.5 * (0..self.n)
            .map(|i| s[i] as f64 * self.field(s, i) as f64)
            .sum::<f64>()
    }

    /// One asynchronous sweep in random order: s_i <- sign(h_i) (unchanged when h_i = 0).
    /// Returns the number of units that flipped.
    pub fn sweep_async<R: Rng>(&self, s: &mut [i8], rng: &mut R) -> usize {
        let mut order: Vec<usize> = (0..self.n).collect();
        order.shuffle(rng);
        let mut flips = 0;
        for i in order {
            let h = self.field(s, i);
            let new = if h > 0.0 {
                1
            } else if h < 0.0 {
                -1
            } else {
                s[i]
            };
            if new != s[i] {
                s[i] = new;
                flips += 1;
            }
        }
        flips
    }

    /// One synchronous update of all units from the same state.
    pub fn step_sync(&self, s: &[i8]) -> Vec<i8> {
        (0..self.n)
            .map(|i| {
                let h = self.field(s, i);
                if h > 0.0 {
                    1
                } else if h < 0.0 {
                    -1
                } else {
                    s[i]
                }
            })
            .collect()
    }

    /// Asynchronous sweeps until no unit flips (or `max_sweeps`).
    pub fn recall<R: Rng>(&self, s: &mut [i8], max_sweeps: usize, rng: &mut R) {
        for _ in 0..max_sweeps {
            if self.sweep_async(s, rng) == 0 {
                break;
            }
        }
    }
}

/// Overlap m = (1/N) sum a_i b_i of two +1/-1 states.
pub fn overlap(a: &[i8], b: &[i8]) -> f64 {
    a.iter().zip(b).map(|(&x, &y)| (x * y) as f64).sum::<f64>() / a.len() as f64
}

/// Random +1/-1 patterns.
pub fn random_patterns<R: Rng>(count: usize, n: usize, rng: &mut R) -> Vec<Vec<i8>> {
    (0..count)
        .map(|_| {
            (0..n)
                .map(|_| if rng.random_bool(0.5) { 1 } else { -1 })
                .collect()
        })
        .collect()
}

/// Modern Hopfield retrieval: xi <- X softmax(beta X' xi), with the stored patterns as the
/// columns of X (given here as rows). Computed with a max-shifted softmax in f64.
pub fn modern_retrieve(patterns: &[Vec<f64>], xi: &[f64], beta: f64) -> Result<Vec<f64>, String> {
    let d = xi.len();
    if patterns.iter().any(|p| p.len() != d) {
        return Err(format!(
            "the query has {d} entries, a stored pattern another number"
        ));
    }
    if !(beta > 0.0 && beta.is_finite()) {
        return Err(format!(
            "beta = {beta} is out of range: expected a positive inverse temperature"
        ));
    }
    let scores: Vec<f64> = patterns
        .iter()
        .map(|p| beta * p.iter().zip(xi).map(|(a, b)| a * b).sum::<f64>())
        .collect();
    let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
    let z: f64 = e.iter().sum();
    let mut out = vec![0.0; d];
    for (p, w) in patterns.iter().zip(&e) {
        for (o, x) in out.iter_mut().zip(p) {
            *o += w / z * x;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// W = (1/N) sum p p' with a zero diagonal, entry by entry for two patterns of four units.
    #[test]
    fn storage_is_the_hebbian_outer_product_by_hand() {
        let p = [vec![1i8, -1, 1, -1], vec![1, 1, -1, -1]];
        let h = Hopfield::store(&p).unwrap();
        for i in 0..4 {
            for j in 0..4 {
                let want = if i == j {
                    0.0
                } else {
                    p.iter().map(|q| (q[i] * q[j]) as f64).sum::<f64>() / 4.0
                };
                assert_eq!(h.w[i * 4 + j] as f64, want, "W[{i}][{j}]");
            }
        }
    }

    /// X softmax(beta X' xi) by hand for two patterns in three dimensions, and a large beta
    /// returns the nearest pattern.
    #[test]
    fn modern_retrieval_is_a_softmax_of_the_similarities() {
        let x = [vec![1.0, 0.0, 0.0], vec![0.0, 1.0, 1.0]];
        let xi = [0.5, 0.2, 0.1];
        // Similarities 0.5 and 0.3; beta 2: weights e^1 / (e^1 + e^0.6), e^0.6 / (...).
        let (a, b) = (1f64.exp(), 0.6f64.exp());
        let (pa, pb) = (a / (a + b), b / (a + b));
        let got = modern_retrieve(&x, &xi, 2.0).unwrap();
        for (g, w) in got.iter().zip([pa, pb, pb]) {
            assert!((g - w).abs() < 1e-12, "{got:?}");
        }
        let sharp = modern_retrieve(&x, &xi, 200.0).unwrap();
        assert!(
            sharp.iter().zip(&x[0]).all(|(g, w)| (g - w).abs() < 1e-9),
            "{sharp:?}"
        );
    }
}
