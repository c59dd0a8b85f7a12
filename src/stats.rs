//! Small statistics shared by the results tables and the report.

/// Mean and sample standard deviation (ddof = 1, as the papers report over cycles; 0 for a
/// single finite value, NaN for none). Equal values give that value and exactly 0: the healthy
/// model's accuracy, the same in every cycle, must not read as 0.8889999999999999 +- 1e-16.
/// A non-finite value makes the sd NaN (and the mean what IEEE arithmetic gives), whatever the
/// NaN's bits: a table must not depend on how a NaN was stored and read back.
pub fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    if v.iter().any(|x| !x.is_finite()) {
        return (v.iter().sum::<f64>() / n, f64::NAN);
    }
    if v.iter().all(|x| x.to_bits() == v[0].to_bits()) {
        return (v[0], 0.0);
    }
    let m = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (m, 0.0);
    }
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (m, var.sqrt())
}

/// `mean ± sd` with `digits` decimals over `n` values, or the mean alone when fewer than two
/// values leave the sd undefined (a one-cycle run's "± 0.0" would claim a spread of zero).
pub fn mean_sd_text(mean: f64, sd: f64, n: usize, digits: usize) -> String {
    if n < 2 || !sd.is_finite() {
        format!("{mean:.digits$}")
    } else {
        format!("{mean:.digits$} ± {sd:.digits$}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_value_has_no_sd_in_text() {
        assert_eq!(super::mean_sd_text(89.714, 0.0, 1, 1), "89.7");
        assert_eq!(super::mean_sd_text(89.714, 0.0, 3, 2), "89.71 ± 0.00");
        assert_eq!(super::mean_sd_text(0.5, f64::NAN, 3, 1), "0.5");
    }

    use super::*;
    #[test]
    fn sample_sd_uses_ddof_1() {
        let (m, s) = mean_sd(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, 2.5);
        assert!((s - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(mean_sd(&[7.0]), (7.0, 0.0));
        // (3 * 0.889) / 3 is not 0.889 in floating point; equal values must stay exact.
        assert_ne!((0.889f64 + 0.889 + 0.889) / 3.0, 0.889);
        assert_eq!(mean_sd(&[0.889, 0.889, 0.889]), (0.889, 0.0));
    }

    /// Non-finite values give an sd of NaN however their NaNs are spelled (a NaN read back
    /// from a file may carry other bits than the one computed), and the mean IEEE gives.
    #[test]
    fn non_finite_values_give_nan_sd_whatever_their_bits() {
        let other_nan = f64::from_bits(f64::NAN.to_bits() ^ 1);
        assert!(other_nan.is_nan());
        for v in [
            vec![f64::NAN, f64::NAN],
            vec![f64::NAN, other_nan],
            vec![f64::NAN],
            vec![1.0, f64::NAN],
        ] {
            let (m, sd) = mean_sd(&v);
            assert!(m.is_nan() && sd.is_nan(), "{v:?}: {m} {sd}");
        }
        let (m, sd) = mean_sd(&[f64::INFINITY, f64::INFINITY]);
        assert!(m == f64::INFINITY && sd.is_nan());
        let (m, sd) = mean_sd(&[1.0, f64::INFINITY]);
        assert!(m == f64::INFINITY && sd.is_nan());
    }
}
