//! Plasticity rules on a linear neuron v = w . u (P9, slides 004): Hebb, covariance, BCM with a
//! sliding threshold, Oja, the delta rule, and subtractive / multiplicative synaptic
//! normalisation, on plain slices. Each rule updates the weights in place and returns the
//! neuron's response before the update (v, or y for the delta rule); the normalisations apply
//! a given change.

/// v = w . u, accumulated in f64.
pub fn response(w: &[f64], u: &[f64]) -> f64 {
    w.iter().zip(u).map(|(a, b)| a * b).sum()
}

fn check(w: &[f64], u: &[f64], eta: f64) -> Result<(), String> {
    if w.len() != u.len() {
        return Err(format!(
            "weights have {} entries, the input {}",
            w.len(),
            u.len()
        ));
    }
    if !(eta > 0.0 && eta.is_finite()) {
        return Err(format!(
            "eta = {eta} is out of range: expected a positive learning rate"
        ));
    }
    Ok(())
}

/// Hebb: dw = eta v u. Unstable: |w| grows without bound.
pub fn hebb(w: &mut [f64], u: &[f64], eta: f64) -> Result<f64, String> {
    check(w, u, eta)?;
    let v = response(w, u);
    w.iter_mut().zip(u).for_each(|(w, u)| *w += eta * v * u);
    Ok(v)
}

/// Covariance rule: dw = eta v (u - theta_u), with theta_u the mean input.
pub fn covariance(w: &mut [f64], u: &[f64], theta_u: &[f64], eta: f64) -> Result<f64, String> {
    check(w, u, eta)?;
    if theta_u.len() != u.len() {
        return Err(format!(
            "theta_u has {} entries, the input {}",
            theta_u.len(),
            u.len()
        ));
    }
    let v = response(w, u);
    for i in 0..w.len() {
        w[i] += eta * v * (u[i] - theta_u[i]);
    }
    Ok(v)
}

/// BCM: dw = eta v u (v - theta_v), then the threshold slides towards v^2:
/// theta_v += (v^2 - theta_v) / tau_theta. Returns v.
pub fn bcm(
    w: &mut [f64],
    u: &[f64],
    theta_v: &mut f64,
    eta: f64,
    tau_theta: f64,
) -> Result<f64, String> {
    check(w, u, eta)?;
    if tau_theta < 1.0 {
        return Err(format!(
            "tau_theta = {tau_theta} is out of range: expected >= 1 (in update steps)"
        ));
    }
    let v = response(w, u);
    let g = eta * v * (v - *theta_v);
    w.iter_mut().zip(u).for_each(|(w, u)| *w += g * u);
    *theta_v += (v * v - *theta_v) / tau_theta;
    Ok(v)
}

/// Oja: dw = eta v (u - v w). Converges to the unit first principal component.
pub fn oja(w: &mut [f64], u: &[f64], eta: f64) -> Result<f64, String> {
    check(w, u, eta)?;
    let v = response(w, u);
    for i in 0..w.len() {
        w[i] += eta * v * (u[i] - v * w[i]);
    }
    Ok(v)
}

/// Delta rule for a linear unit y = w . x: dw = eta (t - y) x. Returns y before the update.
pub fn delta(w: &mut [f64], x: &[f64], target: f64, eta: f64) -> Result<f64, String> {
    check(w, x, eta)?;
    let y = response(w, x);
    w.iter_mut()
        .zip(x)
        .for_each(|(w, x)| *w += eta * (target - y) * x);
    Ok(y)
}

/// Applies dw keeping the sum of the weights constant (subtractive normalisation: the mean of
/// dw is taken from every weight).
pub fn apply_subtractive(w: &mut [f64], dw: &[f64]) {
    let mean = dw.iter().sum::<f64>() / dw.len().max(1) as f64;
    w.iter_mut().zip(dw).for_each(|(w, d)| *w += d - mean);
}

/// Applies dw keeping the Euclidean norm of the weights constant (multiplicative normalisation).
pub fn apply_multiplicative(w: &mut [f64], dw: &[f64]) {
    let before = response(w, w).sqrt();
    w.iter_mut().zip(dw).for_each(|(w, d)| *w += d);
    let after = response(w, w).sqrt();
    if after > 0.0 {
        w.iter_mut().for_each(|w| *w *= before / after);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) {
        assert!(
            a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12),
            "{a:?} vs {b:?}"
        );
    }

    /// One step of every rule on w = (0.5, -1), u = (2, 1), so v = 0, and on w = (1, 2),
    /// u = (1, 1), so v = 3, worked by hand.
    #[test]
    fn one_step_of_each_rule_by_hand() {
        // v = 0: nothing Hebbian moves.
        let mut w = [0.5, -1.0];
        assert_eq!(hebb(&mut w, &[2.0, 1.0], 0.1).unwrap(), 0.0);
        close(&w, &[0.5, -1.0]);
        // v = 3, eta 0.1: Hebb dw = 0.3 u.
        let mut w = [1.0, 2.0];
        assert_eq!(hebb(&mut w, &[1.0, 1.0], 0.1).unwrap(), 3.0);
        close(&w, &[1.3, 2.3]);
        // Covariance, theta_u = (0.5, 2): dw = 0.3 (u - theta_u) = (0.15, -0.3).
        let mut w = [1.0, 2.0];
        covariance(&mut w, &[1.0, 1.0], &[0.5, 2.0], 0.1).unwrap();
        close(&w, &[1.15, 1.7]);
        assert!(covariance(&mut w, &[1.0, 1.0], &[0.5], 0.1)
            .unwrap_err()
            .contains("theta_u has 1 entries"));
        // BCM, theta_v = 1, tau 4: dw = 0.1 * 3 * (3 - 1) u = 0.6 u; theta += (9 - 1) / 4.
        let (mut w, mut theta) = ([1.0, 2.0], 1.0);
        bcm(&mut w, &[1.0, 1.0], &mut theta, 0.1, 4.0).unwrap();
        close(&w, &[1.6, 2.6]);
        assert_eq!(theta, 3.0);
        // Below the threshold (theta_v = 5 > v = 3): depression, dw = 0.1 * 3 * (-2) u.
        let (mut w, mut theta) = ([1.0, 2.0], 5.0);
        bcm(&mut w, &[1.0, 1.0], &mut theta, 0.1, 1.0).unwrap();
        close(&w, &[0.4, 1.4]);
        assert_eq!(theta, 9.0, "tau 1: the threshold jumps to v^2");
        assert!(bcm(&mut w, &[1.0, 1.0], &mut theta, 0.1, 0.5)
            .unwrap_err()
            .contains("tau_theta"));
        // Oja: dw = 0.1 * 3 * (u - 3 w) = 0.3 * ((1, 1) - (3, 6)) = (-0.6, -1.5).
        let mut w = [1.0, 2.0];
        oja(&mut w, &[1.0, 1.0], 0.1).unwrap();
        close(&w, &[0.4, 0.5]);
        // Delta, target 5: dw = 0.1 * (5 - 3) x = 0.2 x; returns y before the update.
        let mut w = [1.0, 2.0];
        assert_eq!(delta(&mut w, &[1.0, 1.0], 5.0, 0.1).unwrap(), 3.0);
        close(&w, &[1.2, 2.2]);
    }
}
