//! Restricted Boltzmann machine with binary units, trained by contrastive divergence (CD-k,
//! Hinton 2002; P9).
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::Rng;

/// A binary-binary RBM.
#[derive(Clone, Debug)]
pub struct Rbm {
    /// Weights, visible x hidden.
    pub w: Array2<f64>,
    /// Visible biases.
    pub b: Array1<f64>,
    /// Hidden biases.
    pub c: Array1<f64>,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn sample<R: Rng>(p: &Array2<f64>, rng: &mut R) -> Array2<f64> {
    p.mapv(|q| if rng.random::<f64>() < q { 1.0 } else { 0.0 })
}

impl Rbm {
    /// Small random weights (N(0, 0.01^2) by Box-Muller), zero biases.
    pub fn new<R: Rng>(visible: usize, hidden: usize, rng: &mut R) -> Rbm {
        let w = Array2::from_shape_fn((visible, hidden), |_| {
            0.01 * crate::seed::standard_normal(rng)
        });
        Rbm {
            w,
            b: Array1::zeros(visible),
            c: Array1::zeros(hidden),
        }
    }

    /// p(h = 1 | v) for a batch of visible rows.
    pub fn hidden_probs(&self, v: ArrayView2<f64>) -> Array2<f64> {
        (v.dot(&self.w) + &self.c).mapv(sigmoid)
    }

    /// p(v = 1 | h) for a batch of hidden rows.
    pub fn visible_probs(&self, h: ArrayView2<f64>) -> Array2<f64> {
        (h.dot(&self.w.t()) + &self.b).mapv(sigmoid)
    }

    /// One CD-k update on a batch (rows in {0, 1}) with learning rate `lr`; returns the mean
    /// squared reconstruction error of the first Gibbs step. Hidden states are sampled; the
    /// visible side of the chain carries probabilities (mean field), a common variance-reducing
    /// choice (Hinton 2010, "A practical guide"), where Hinton 2002 samples both.
    pub fn cd_step<R: Rng>(
        &mut self,
        v0: ArrayView2<f64>,
        k: usize,
        lr: f64,
        rng: &mut R,
    ) -> Result<f64, String> {
        if v0.ncols() != self.w.nrows() {
            return Err(format!(
                "batch has {} visible units, the RBM {}",
                v0.ncols(),
                self.w.nrows()
            ));
        }
        if k == 0 || !(lr > 0.0 && lr.is_finite()) {
            return Err(format!(
                "CD-k needs k >= 1 and lr > 0 (got k = {k}, lr = {lr})"
            ));
        }
        let n = v0.nrows() as f64;
        let ph0 = self.hidden_probs(v0);
        let mut h = sample(&ph0, rng);
        let mut recon = 0.0;
        let (mut vk, mut phk) = (v0.to_owned(), ph0.clone());
        for step in 0..k {
            let pv = self.visible_probs(h.view());
            if step == 0 {
                recon = (&pv - &v0).mapv(|d| d * d).mean().unwrap_or(0.0);
            }
            vk = pv;
            phk = self.hidden_probs(vk.view());
            h = sample(&phk, rng);
        }
        let dw = (v0.t().dot(&ph0) - vk.t().dot(&phk)) / n;
        self.w.scaled_add(lr, &dw);
        self.b.scaled_add(lr, &((&v0 - &vk).sum_axis(Axis(0)) / n));
        self.c
            .scaled_add(lr, &((&ph0 - &phk).sum_axis(Axis(0)) / n));
        Ok(recon)
    }

    /// Mean squared error of reconstructing `v` through the hidden probabilities.
    pub fn reconstruction_error(&self, v: ArrayView2<f64>) -> f64 {
        let r = self.visible_probs(self.hidden_probs(v).view());
        (&r - &v).mapv(|d| d * d).mean().unwrap_or(0.0)
    }

    /// Visible probabilities after `steps` of Gibbs sampling from random visible states.
    pub fn sample<R: Rng>(&self, count: usize, steps: usize, rng: &mut R) -> Array2<f64> {
        let mut v = Array2::from_shape_fn((count, self.w.nrows()), |_| {
            if rng.random_bool(0.5) {
                1.0
            } else {
                0.0
            }
        });
        let mut pv = v.clone();
        for _ in 0..steps {
            let h = sample(&self.hidden_probs(v.view()), rng);
            pv = self.visible_probs(h.view());
            v = sample(&pv, rng);
        }
        pv
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// CD-1 against its formula, replayed with the same generator: dw = (v0' ph0 - v1' ph1) / n,
    /// db = mean(v0 - v1), dc = mean(ph0 - ph1), v1 the visible probabilities of a sampled h0.
    #[test]
    fn cd1_update_follows_its_formula() {
        let mut rbm = Rbm::new(3, 2, &mut ChaCha8Rng::seed_from_u64(1));
        rbm.w = array![[0.5, -0.3], [0.2, 0.8], [-0.6, 0.1]];
        rbm.b = array![0.1, -0.2, 0.0];
        rbm.c = array![0.05, -0.1];
        let before = rbm.clone();
        let v0 = array![[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]];
        let (lr, n) = (0.1, 2.0);
        let err = rbm
            .cd_step(v0.view(), 1, lr, &mut ChaCha8Rng::seed_from_u64(9))
            .unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let ph0 = before.hidden_probs(v0.view());
        let h0 = sample(&ph0, &mut rng);
        let v1 = before.visible_probs(h0.view());
        let ph1 = before.hidden_probs(v1.view());
        let want_w = &before.w + &((v0.t().dot(&ph0) - v1.t().dot(&ph1)) * (lr / n));
        let want_b = &before.b + &((&v0 - &v1).sum_axis(Axis(0)) * (lr / n));
        let want_c = &before.c + &((&ph0 - &ph1).sum_axis(Axis(0)) * (lr / n));
        let close = |a: &Array2<f64>, b: &Array2<f64>| (a - b).iter().all(|d| d.abs() < 1e-12);
        assert!(close(&rbm.w, &want_w), "{} vs {want_w}", rbm.w);
        assert!((&rbm.b - &want_b).iter().all(|d| d.abs() < 1e-12));
        assert!((&rbm.c - &want_c).iter().all(|d| d.abs() < 1e-12));
        let want_err = (&v1 - &v0).mapv(|d| d * d).mean().unwrap();
        assert!((err - want_err).abs() < 1e-12);
        // The starting weights are N(0, 0.01^2): small, centred.
        let big = Rbm::new(100, 100, &mut ChaCha8Rng::seed_from_u64(2));
        let sd = (big.w.mapv(|x| x * x).mean().unwrap()).sqrt();
        assert!((sd - 0.01).abs() < 0.0005, "sd {sd}");
    }
}
