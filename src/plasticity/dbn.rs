//! Deep belief network (Hinton, Osindero & Teh 2006; P9): binary RBMs stacked by greedy
//! layer-wise contrastive divergence, then unrolled into a sigmoid MLP with a softmax output and
//! fine-tuned by backpropagation of the cross-entropy.
use super::rbm::Rbm;
use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut1, ArrayViewMut2, Axis};
use rand::seq::SliceRandom;
use rand::Rng;

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

use crate::seed::standard_normal as normal;

fn check_lr(lr: f64) -> Result<(), String> {
    if lr > 0.0 && lr.is_finite() {
        Ok(())
    } else {
        Err(format!(
            "the learning rate must be finite and > 0 (got {lr})"
        ))
    }
}

/// Layer sizes `[input, hidden...]`: at least the input, none of them zero.
fn check_sizes(sizes: &[usize], min_len: usize) -> Result<(), String> {
    if sizes.len() < min_len {
        return Err(if sizes.is_empty() {
            "the layer sizes are empty: give [input, hidden1, ...]".to_string()
        } else {
            format!("need at least {min_len} layer sizes [input, hidden1, ...], got {sizes:?}")
        });
    }
    if let Some(i) = sizes.iter().position(|&s| s == 0) {
        return Err(format!("layer {i} has size 0 in {sizes:?}"));
    }
    Ok(())
}

/// A stack of RBMs; layer `l + 1` models the hidden probabilities of layer `l`.
#[derive(Clone, Debug)]
pub struct Dbn {
    // Private so that consecutive layers always agree in width (checked in `from_layers`).
    layers: Vec<Rbm>,
}

impl Dbn {
    /// Greedy layer-wise pretraining: an RBM on `data` (rows with values in [0, 1]), then each
    /// next RBM on the hidden probabilities of the one below. `sizes` is `[input, hidden1, ...]`
    /// and `sizes[0]` must equal the data width. Each layer gets `epochs` passes of CD-`k` over
    /// shuffled minibatches of `batch` rows with learning rate `lr`. After every epoch
    /// `on_epoch(layer, epoch, err)` (layer from 0, epoch from 1) receives the layer's mean
    /// squared reconstruction error on its whole input (mean field, so it is comparable between
    /// epochs).
    #[allow(clippy::too_many_arguments)]
    pub fn pretrain<R: Rng>(
        data: ArrayView2<f64>,
        sizes: &[usize],
        epochs: usize,
        batch: usize,
        k: usize,
        lr: f64,
        rng: &mut R,
        mut on_epoch: impl FnMut(usize, usize, f64),
    ) -> Result<Dbn, String> {
        check_sizes(sizes, 2)?;
        if epochs == 0 {
            return Err("pretraining needs epochs >= 1".to_string());
        }
        if batch == 0 {
            return Err("pretraining needs a batch size >= 1".to_string());
        }
        if k == 0 {
            return Err("contrastive divergence needs k >= 1".to_string());
        }
        check_lr(lr)?;
        if data.nrows() == 0 {
            return Err("pretraining needs at least one data row".to_string());
        }
        if data.ncols() != sizes[0] {
            return Err(format!(
                "the data has {} columns but the input layer has {} units",
                data.ncols(),
                sizes[0]
            ));
        }
        // Binary RBMs read their visible units as probabilities; anything else is a caller bug.
        if let Some(x) = data.iter().find(|x| !(0.0..=1.0).contains(*x)) {
            return Err(format!("the data must lie in [0, 1] (found {x})"));
        }

        let mut layers = Vec::with_capacity(sizes.len() - 1);
        let mut input = data.to_owned();
        let mut order: Vec<usize> = (0..input.nrows()).collect();
        for (l, pair) in sizes.windows(2).enumerate() {
            let mut rbm = Rbm::new(pair[0], pair[1], rng);
            for epoch in 0..epochs {
                order.shuffle(rng);
                for rows in order.chunks(batch) {
                    rbm.cd_step(input.select(Axis(0), rows).view(), k, lr, rng)?;
                }
                on_epoch(l, epoch + 1, rbm.reconstruction_error(input.view()));
            }
            // Probabilities rather than samples feed the next layer: less noise, same mean.
            input = rbm.hidden_probs(input.view());
            layers.push(rbm);
        }
        Ok(Dbn { layers })
    }

    /// A DBN from already trained RBMs; the hidden width of each must be the visible width of
    /// the next.
    pub fn from_layers(layers: Vec<Rbm>) -> Result<Dbn, String> {
        if layers.is_empty() {
            return Err("a DBN needs at least one RBM".to_string());
        }
        for (l, pair) in layers.windows(2).enumerate() {
            if pair[0].w.ncols() != pair[1].w.nrows() {
                return Err(format!(
                    "RBM {l} has {} hidden units but RBM {} has {} visible units",
                    pair[0].w.ncols(),
                    l + 1,
                    pair[1].w.nrows()
                ));
            }
        }
        for (l, r) in layers.iter().enumerate() {
            if r.b.len() != r.w.nrows() || r.c.len() != r.w.ncols() {
                return Err(format!("RBM {l} has biases that do not match its weights"));
            }
        }
        Ok(Dbn { layers })
    }

    /// The RBMs, bottom first.
    pub fn layers(&self) -> &[Rbm] {
        &self.layers
    }

    /// Layer sizes `[input, hidden1, ...]`.
    pub fn sizes(&self) -> Vec<usize> {
        std::iter::once(self.layers[0].w.nrows())
            .chain(self.layers.iter().map(|r| r.w.ncols()))
            .collect()
    }

    /// Hidden probabilities of every layer for `data`, bottom first.
    pub fn representations(&self, data: ArrayView2<f64>) -> Result<Vec<Array2<f64>>, String> {
        let width = self.layers[0].w.nrows();
        if data.ncols() != width {
            return Err(format!(
                "the data has {} columns but the DBN input has {width} units",
                data.ncols()
            ));
        }
        let mut out: Vec<Array2<f64>> = Vec::with_capacity(self.layers.len());
        for rbm in &self.layers {
            let h = rbm.hidden_probs(out.last().map_or(data, |a| a.view()));
            out.push(h);
        }
        Ok(out)
    }

    /// Each layer's mean squared reconstruction error on its own input (the data for the
    /// first layer, the hidden probabilities of the layer below for the others).
    pub fn reconstruction_errors(&self, data: ArrayView2<f64>) -> Result<Vec<f64>, String> {
        let reps = self.representations(data)?;
        Ok(self
            .layers
            .iter()
            .enumerate()
            .map(|(l, rbm)| {
                let input = if l == 0 { data } else { reps[l - 1].view() };
                rbm.reconstruction_error(input)
            })
            .collect())
    }
}

/// Gradient of the mean cross-entropy of a [`DbnClassifier`] on a batch, laid out like its
/// parameters.
#[derive(Clone, Debug)]
pub struct DbnGradient {
    /// Mean cross-entropy (natural log) on the batch.
    pub loss: f64,
    /// d loss / d weights, one matrix (inputs x outputs) per layer, softmax layer last.
    pub weights: Vec<Array2<f64>>,
    /// d loss / d biases, one vector per layer, softmax layer last.
    pub biases: Vec<Array1<f64>>,
}

/// A sigmoid MLP with a softmax output, trained by minibatch SGD on the cross-entropy. Built
/// from a pretrained [`Dbn`] (fine-tuning) or at random (the baseline without pretraining).
#[derive(Clone, Debug)]
pub struct DbnClassifier {
    // Private, with shape-preserving mutable views, so that forward passes cannot meet
    // mismatched shapes.
    weights: Vec<Array2<f64>>,
    biases: Vec<Array1<f64>>,
}

impl DbnClassifier {
    /// The DBN unrolled: each RBM's weights and hidden biases become a sigmoid layer, topped by
    /// a softmax layer of `classes` units with N(0, 0.01^2) weights and zero biases.
    pub fn from_dbn<R: Rng>(dbn: &Dbn, classes: usize, rng: &mut R) -> Result<Self, String> {
        check_classes(classes)?;
        let mut weights: Vec<Array2<f64>> = dbn.layers.iter().map(|r| r.w.clone()).collect();
        let mut biases: Vec<Array1<f64>> = dbn.layers.iter().map(|r| r.c.clone()).collect();
        let top = dbn.layers[dbn.layers.len() - 1].w.ncols();
        weights.push(Array2::from_shape_fn((top, classes), |_| {
            0.01 * normal(rng)
        }));
        biases.push(Array1::zeros(classes));
        Ok(DbnClassifier { weights, biases })
    }

    /// The same architecture (`sizes` = `[input, hidden...]`, then `classes` softmax units)
    /// without pretraining: Glorot-uniform hidden weights, so that the baseline is a fairly
    /// initialised network rather than a crippled one; softmax layer as in
    /// [`from_dbn`](Self::from_dbn); zero biases.
    pub fn random<R: Rng>(sizes: &[usize], classes: usize, rng: &mut R) -> Result<Self, String> {
        check_sizes(sizes, 1)?;
        check_classes(classes)?;
        let mut weights = Vec::with_capacity(sizes.len());
        let mut biases = Vec::with_capacity(sizes.len());
        for pair in sizes.windows(2) {
            let a = (6.0 / (pair[0] + pair[1]) as f64).sqrt();
            weights.push(Array2::from_shape_fn((pair[0], pair[1]), |_| {
                rng.random_range(-a..a)
            }));
            biases.push(Array1::zeros(pair[1]));
        }
        let top = sizes[sizes.len() - 1];
        weights.push(Array2::from_shape_fn((top, classes), |_| {
            0.01 * normal(rng)
        }));
        biases.push(Array1::zeros(classes));
        Ok(DbnClassifier { weights, biases })
    }

    /// Layer sizes `[input, hidden..., classes]`.
    pub fn sizes(&self) -> Vec<usize> {
        std::iter::once(self.weights[0].nrows())
            .chain(self.weights.iter().map(|w| w.ncols()))
            .collect()
    }

    /// Number of output classes.
    pub fn classes(&self) -> usize {
        self.weights[self.weights.len() - 1].ncols()
    }

    /// Weights per layer (inputs x outputs), softmax layer last.
    pub fn weights(&self) -> &[Array2<f64>] {
        &self.weights
    }

    /// Biases per layer, softmax layer last.
    pub fn biases(&self) -> &[Array1<f64>] {
        &self.biases
    }

    /// Mutable view of layer `layer`'s weights (the shape cannot change); `None` out of range.
    pub fn weight_mut(&mut self, layer: usize) -> Option<ArrayViewMut2<'_, f64>> {
        self.weights.get_mut(layer).map(|w| w.view_mut())
    }

    /// Mutable view of layer `layer`'s biases (the length cannot change); `None` out of range.
    pub fn bias_mut(&mut self, layer: usize) -> Option<ArrayViewMut1<'_, f64>> {
        self.biases.get_mut(layer).map(|b| b.view_mut())
    }

    fn check_input(&self, x: ArrayView2<f64>) -> Result<(), String> {
        let width = self.weights[0].nrows();
        if x.ncols() != width {
            return Err(format!(
                "the input has {} columns but the classifier expects {width}",
                x.ncols()
            ));
        }
        Ok(())
    }

    fn check_labels(&self, x: ArrayView2<f64>, labels: &[usize]) -> Result<(), String> {
        self.check_input(x)?;
        if labels.len() != x.nrows() {
            return Err(format!(
                "{} labels for {} input rows",
                labels.len(),
                x.nrows()
            ));
        }
        if x.nrows() == 0 {
            return Err("the input has no rows".to_string());
        }
        let classes = self.classes();
        if let Some((i, &y)) = labels.iter().enumerate().find(|(_, &y)| y >= classes) {
            return Err(format!(
                "label {y} at row {i} is out of range for {classes} classes"
            ));
        }
        Ok(())
    }

    /// Activations of every layer: the input, each sigmoid layer, then the logits (last).
    fn forward(&self, x: ArrayView2<f64>) -> Vec<Array2<f64>> {
        let last = self.weights.len() - 1;
        let mut acts = vec![x.to_owned()];
        for (l, (w, b)) in self.weights.iter().zip(&self.biases).enumerate() {
            let z = acts[l].dot(w) + b;
            acts.push(if l == last { z } else { z.mapv(sigmoid) });
        }
        acts
    }

    /// Class probabilities (softmax of the logits), one row per input row.
    pub fn probabilities(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, String> {
        self.check_input(x)?;
        let mut p = self.forward(x).pop().expect("forward yields the logits");
        for mut row in p.rows_mut() {
            // Shifting by the maximum keeps exp from overflowing; softmax is shift-invariant.
            let m = row.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
            row.mapv_inplace(|z| (z - m).exp());
            let s = row.sum();
            row /= s;
        }
        Ok(p)
    }

    /// Mean cross-entropy of the labels under the classifier.
    pub fn loss(&self, x: ArrayView2<f64>, labels: &[usize]) -> Result<f64, String> {
        self.check_labels(x, labels)?;
        let logits = self.forward(x).pop().expect("forward yields the logits");
        Ok(cross_entropy(&logits, labels).0)
    }

    /// Loss and its exact gradient by backpropagation.
    pub fn gradient(&self, x: ArrayView2<f64>, labels: &[usize]) -> Result<DbnGradient, String> {
        self.check_labels(x, labels)?;
        let mut acts = self.forward(x);
        let logits = acts.pop().expect("forward yields the logits");
        let (loss, mut delta) = cross_entropy(&logits, labels);
        let layers = self.weights.len();
        let mut weights = Vec::with_capacity(layers);
        let mut biases = Vec::with_capacity(layers);
        // `delta` is d loss / d pre-activation of layer l; `acts[l]` is that layer's input.
        for l in (0..layers).rev() {
            weights.push(acts[l].t().dot(&delta));
            biases.push(delta.sum_axis(Axis(0)));
            if l > 0 {
                let back = delta.dot(&self.weights[l].t());
                delta = back * acts[l].mapv(|a| a * (1.0 - a));
            }
        }
        weights.reverse();
        biases.reverse();
        Ok(DbnGradient {
            loss,
            weights,
            biases,
        })
    }

    /// One epoch of minibatch SGD over shuffled rows; returns the mean loss over the epoch's
    /// examples, each measured before its batch's update.
    pub fn train_epoch<R: Rng>(
        &mut self,
        x: ArrayView2<f64>,
        labels: &[usize],
        batch: usize,
        lr: f64,
        rng: &mut R,
    ) -> Result<f64, String> {
        self.check_labels(x, labels)?;
        if batch == 0 {
            return Err("training needs a batch size >= 1".to_string());
        }
        check_lr(lr)?;
        let mut order: Vec<usize> = (0..x.nrows()).collect();
        order.shuffle(rng);
        let mut total = 0.0;
        for rows in order.chunks(batch) {
            let xb = x.select(Axis(0), rows);
            let yb: Vec<usize> = rows.iter().map(|&i| labels[i]).collect();
            let g = self.gradient(xb.view(), &yb)?;
            total += g.loss * rows.len() as f64;
            for (w, gw) in self.weights.iter_mut().zip(&g.weights) {
                w.scaled_add(-lr, gw);
            }
            for (b, gb) in self.biases.iter_mut().zip(&g.biases) {
                b.scaled_add(-lr, gb);
            }
        }
        Ok(total / x.nrows() as f64)
    }

    /// The most probable class of each row.
    pub fn predict(&self, x: ArrayView2<f64>) -> Result<Vec<usize>, String> {
        self.check_input(x)?;
        let logits = self.forward(x).pop().expect("forward yields the logits");
        Ok(logits
            .rows()
            .into_iter()
            .map(|row| {
                // A plain scan instead of a sort by partial_cmp, so that NaN cannot panic.
                let mut best = 0;
                for (j, &z) in row.iter().enumerate() {
                    if z > row[best] {
                        best = j;
                    }
                }
                best
            })
            .collect())
    }

    /// Fraction of rows whose predicted class equals the label.
    pub fn accuracy(&self, x: ArrayView2<f64>, labels: &[usize]) -> Result<f64, String> {
        self.check_labels(x, labels)?;
        let pred = self.predict(x)?;
        let hits = pred.iter().zip(labels).filter(|(p, y)| p == y).count();
        Ok(hits as f64 / labels.len() as f64)
    }
}

fn check_classes(classes: usize) -> Result<(), String> {
    if classes < 2 {
        return Err(format!(
            "a classifier needs at least 2 classes (got {classes})"
        ));
    }
    Ok(())
}

/// Mean cross-entropy of `labels` under softmax(`logits`) and its gradient with respect to the
/// logits, (softmax - one-hot) / n.
fn cross_entropy(logits: &Array2<f64>, labels: &[usize]) -> (f64, Array2<f64>) {
    let n = logits.nrows() as f64;
    let mut grad = logits.clone();
    let mut loss = 0.0;
    for (mut row, &y) in grad.rows_mut().into_iter().zip(labels) {
        // Log-sum-exp around the maximum: exact and free of overflow for large logits.
        let m = row.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        let lse = m + row.iter().map(|z| (z - m).exp()).sum::<f64>().ln();
        loss += lse - row[y];
        row.mapv_inplace(|z| (z - lse).exp() / n);
        row[y] -= 1.0 / n;
    }
    (loss / n, grad)
}
