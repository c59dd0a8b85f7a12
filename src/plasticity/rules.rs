//! Plasticity rules on a linear neuron v = w . u (P9, slides 004): Hebb, covariance, BCM with a
//! sliding threshold, Oja, the delta rule, and subtractive / multiplicative synaptic
//! normalisation. Each returns the weight change, or applies it, on plain slices.

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
