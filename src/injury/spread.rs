//! How a damage load spreads over the connectome (docs/PROTOCOLS.md, "Progression"):
//! network diffusion (Raj et al. 2012), dx/dt = -beta L x, and its Fisher-Kolmogorov extension
//! with logistic growth, dx/dt = -rho L x + alpha x (1 - x), L = D - A the graph Laplacian.
use super::connectome::Connectome;

/// Largest eigenvalue bound of L = D - A: twice the largest weighted degree (Gershgorin).
fn spectrum_top(c: &Connectome) -> f64 {
    2.0 * c.degree.iter().cloned().fold(0.0, f64::max)
}

/// e^{-z} I_k(z) for k = 0..=n (modified Bessel functions of the first kind, scaled), by
/// Miller's backward recurrence I_{k-1} = (2k / z) I_k + I_{k+1}, normalised by the identity
/// I_0 + 2 sum_k I_k = e^z. Accurate to rounding for the orders that matter (those above about
/// z + 12 sqrt(z) + 25 are below 1e-17).
fn scaled_bessel_i(z: f64, n: usize) -> Vec<f64> {
    if z == 0.0 {
        let mut v = vec![0.0; n + 1];
        v[0] = 1.0;
        return v;
    }
    let start = n + 40 + (2.0 * z.sqrt()) as usize;
    let mut values = vec![0.0f64; start + 2];
    values[start] = 1e-300;
    for k in (1..=start).rev() {
        values[k - 1] = (2.0 * k as f64 / z) * values[k] + values[k + 1];
        if values[k - 1] > 1e250 {
            for v in &mut values[k - 1..] {
                *v *= 1e-250;
            }
        }
    }
    let sum = values[0] + 2.0 * values[1..=start].iter().sum::<f64>();
    values.truncate(n + 1);
    values.iter().map(|v| v / sum).collect()
}

/// exp(-beta L) x, by the Chebyshev expansion of exp(-beta lambda) on L's spectrum [0, top]:
/// with t = 2 lambda / top - 1 in [-1, 1] and z = beta top / 2,
/// exp(-beta lambda) = e^{-z} [I_0(z) + 2 sum_k (-1)^k I_k(z) T_k(t)]. The series is cut where
/// its terms fall below 1e-17 of the sum, so the result is exact to rounding; it needs only
/// products L v, which the sparse connectome gives in time linear in its edges.
pub fn diffuse(c: &Connectome, x: &[f64], beta: f64) -> Vec<f64> {
    let top = spectrum_top(c);
    let z = beta * top / 2.0;
    if z == 0.0 {
        return x.to_vec();
    }
    let terms = (z + 12.0 * z.sqrt() + 25.0).ceil() as usize;
    let coef = scaled_bessel_i(z, terms);
    // M = 2 L / top - I maps the spectrum onto [-1, 1]; T_k(M) x by the three-term recurrence.
    let m = |v: &[f64]| -> Vec<f64> {
        c.laplacian(v)
            .iter()
            .zip(v)
            .map(|(l, v)| 2.0 * l / top - v)
            .collect()
    };
    let mut out: Vec<f64> = x.iter().map(|v| coef[0] * v).collect();
    let mut prev = x.to_vec();
    let mut cur = m(x);
    for (k, &ck) in coef.iter().enumerate().skip(1) {
        let a = 2.0 * if k % 2 == 1 { -ck } else { ck };
        for (o, v) in out.iter_mut().zip(&cur) {
            *o += a * v;
        }
        if k == terms {
            break;
        }
        let mc = m(&cur);
        let next: Vec<f64> = mc.iter().zip(&prev).map(|(a, b)| 2.0 * a - b).collect();
        prev = std::mem::replace(&mut cur, next);
    }
    out
}

/// Integration steps per unit of time for Fisher-Kolmogorov: enough for classical RK4 to be
/// stable and accurate on the stiffest mode (rate 2 rho top + alpha): at least 10, and at least
/// 4 per unit of that rate.
pub fn fk_steps(c: &Connectome, rho: f64, alpha: f64) -> usize {
    let rate = rho * spectrum_top(c) + alpha;
    (4.0 * rate).ceil().max(10.0) as usize
}

/// x after `time` units of dx/dt = -rho L x + alpha x (1 - x), by classical fourth-order
/// Runge-Kutta with [`fk_steps`] steps per unit of time.
pub fn fisher_kolmogorov(c: &Connectome, x: &[f64], rho: f64, alpha: f64, time: usize) -> Vec<f64> {
    let steps = fk_steps(c, rho, alpha);
    let h = 1.0 / steps as f64;
    let f = |x: &[f64]| -> Vec<f64> {
        let lx = c.laplacian(x);
        x.iter()
            .zip(&lx)
            .map(|(v, l)| -rho * l + alpha * v * (1.0 - v))
            .collect()
    };
    let axpy = |x: &[f64], k: &[f64], a: f64| -> Vec<f64> {
        x.iter().zip(k).map(|(x, k)| x + a * k).collect()
    };
    let mut x = x.to_vec();
    for _ in 0..time * steps {
        let k1 = f(&x);
        let k2 = f(&axpy(&x, &k1, h / 2.0));
        let k3 = f(&axpy(&x, &k2, h / 2.0));
        let k4 = f(&axpy(&x, &k3, h));
        for i in 0..x.len() {
            x[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
        }
    }
    x
}

#[cfg(test)]
#[path = "spread_tests.rs"]
mod tests;
