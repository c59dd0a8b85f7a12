//! Representation analyses as steps of an experiment (P5-P7): after every injured and retrained
//! state, the layer x layer CKA matrix against the healthy model, the RDM of one layer and its
//! Kendall tau against the healthy RDM, and the pathway overlaps.
//!
//! Linear CKA is computed in its Gram form on the device (n x n Gram matrices, n = the analysis
//! images): the healthy model's centred, normalised Grams are kept, and a whole matrix is one
//! product of the two stacks. Its agreement with `analysis::linear_cka` is tested.
use super::config::{Analysis, AnalysisSettings};
use super::subject::Subject;
use crate::analysis::{self, RdmPairs};
use crate::data::Dataset;
use crate::model::Op;
use crate::results::{PathwayRow, StateKey, TauRow};
use anyhow::{bail, Result};
use ndarray::Array2;
use std::borrow::Cow;
use std::path::Path;
use tch::{Device, Kind, Tensor};

/// The healthy model's references, computed once; [`Analyzer::measure`] compares a state with
/// them.
pub struct Analyzer {
    settings: AnalysisSettings,
    images: Dataset,
    rdm_images: Dataset,
    cka_layers: Vec<String>,
    rdm_layer: String,
    /// Which of the RDM images the written RDM files keep (`analysis.rdm_file_images`);
    /// `None`: all of them.
    rdm_file_rows: Option<Vec<usize>>,
    /// The healthy model's normalised Grams, and which of its layers are constant.
    healthy_grams: Option<(Tensor, Vec<bool>)>,
    /// The healthy RDM as its file keeps it, and the entries tau compares (of all the images).
    healthy_rdm: Option<(Array2<f64>, Vec<f64>)>,
    healthy_top: Vec<(String, Vec<f32>, Vec<usize>)>,
}

/// What one state's analyses give: the rows of `rdm_tau.csv` and `pathways.csv`.
#[derive(Default)]
pub struct Measured {
    /// Kendall tau against the healthy RDM.
    pub taus: Vec<TauRow>,
    /// Pathway overlaps, one per synapse layer.
    pub pathways: Vec<PathwayRow>,
}

/// Centred Gram matrices of `acts` (each n x features), normalised to unit Frobenius norm and
/// stacked as rows of an L x n^2 tensor (f64). A constant layer gives a zero row.
pub fn normalised_grams(acts: &[Tensor]) -> (Tensor, Vec<bool>) {
    let n = acts.first().map_or(0, |a| a.size()[0]);
    let device = acts.first().map_or(Device::Cpu, |a| a.device());
    // Each row written in place: stacking afterwards would copy L n^2 doubles once more.
    let rows = Tensor::zeros([acts.len() as i64, n * n], (Kind::Double, device));
    let mut constant = Vec::new();
    for (i, a) in acts.iter().enumerate() {
        // Centred in f64, multiplied in f32 (the n x p by p x n product is where the time goes,
        // p being up to 65,536 for a VGG conv map), accumulated into f64 afterwards.
        let x = a.flatten(1, -1).to_kind(Kind::Double);
        let x = (&x - x.mean_dim(0, true, Kind::Double)).to_kind(Kind::Float);
        let k = gram(&x).to_kind(Kind::Double);
        let norm = k.norm().double_value(&[]);
        constant.push(!(norm > 0.0 && norm.is_finite()));
        let mut row = rows.get(i as i64);
        if norm > 0.0 {
            row.copy_(&(k / norm).flatten(0, -1));
        } else {
            row.copy_(&k.flatten(0, -1));
        }
    }
    (rows, constant)
}

/// How many times [`gram`] halves the diagonal blocks before it multiplies them in full.
const GRAM_DEPTH: u32 = 3;

/// `x x^T` from its lower triangle, by halving: the block below the diagonal is one product of
/// the bottom rows with the top rows, and each diagonal block is split the same way,
/// [`GRAM_DEPTH`] times. At depth 3 that is 56 % of the full product's multiply-adds, most of
/// them in large products that the BLAS runs at full speed; measured 1.3x faster than the full
/// product on the benchmark-width vgg19_bn (bench/RESULTS.md), with equal values.
fn gram(x: &Tensor) -> Tensor {
    let n = x.size()[0];
    let k = Tensor::zeros([n, n], (x.kind(), x.device()));
    lower_gram(x, &k, 0, n, GRAM_DEPTH);
    let lower = k.tril(0);
    &lower + lower.tril(-1).tr()
}

/// Fills the lower triangle of the block `lo..hi` x `lo..hi` of `k` with `x x^T`.
fn lower_gram(x: &Tensor, k: &Tensor, lo: i64, hi: i64, depth: u32) {
    let n = hi - lo;
    if depth == 0 || n < 64 {
        let rows = x.narrow(0, lo, n);
        k.narrow(0, lo, n)
            .narrow(1, lo, n)
            .copy_(&rows.mm(&rows.tr()));
        return;
    }
    let mid = lo + n / 2;
    let below = x
        .narrow(0, mid, hi - mid)
        .mm(&x.narrow(0, lo, mid - lo).tr());
    k.narrow(0, mid, hi - mid)
        .narrow(1, lo, mid - lo)
        .copy_(&below);
    lower_gram(x, k, lo, mid, depth - 1);
    lower_gram(x, k, mid, hi, depth - 1);
}

/// The layer whose RDM is compared: `analysis.rdm_layer`, or by default the penultimate layer
/// (the input of the last linear layer; for a TorchScript model the output before the logits).
fn rdm_layer(s: &Subject, settings: &AnalysisSettings, all: &[String]) -> Result<String> {
    let layers = s.net.arch.layers()?;
    Ok(match &settings.rdm_layer {
        Some(l) if all.contains(l) => l.clone(),
        Some(l) => bail!(
            "analysis.rdm_layer: no layer `{l}`; the layers are {}",
            all.join(", ")
        ),
        // A TorchScript model's `activations` ends with the logits: the layer before them.
        None if s.net.torchscript().is_some() => all
            .iter()
            .rev()
            .nth(1)
            .or(all.last())
            .cloned()
            .unwrap_or_default(),
        // The penultimate layer: the input of the last linear layer.
        None => {
            let last_linear = layers
                .iter()
                .rposition(|l| matches!(l.op, Op::Linear { .. }))
                .unwrap_or(0);
            layers[last_linear.saturating_sub(1)].name.clone()
        }
    })
}

impl Analyzer {
    /// Prepares the analyses named in `analyses` for the healthy model `s`, on the first
    /// `settings.images` images of `eval` (the RDM on the first K images of each class of
    /// `test` with `rdm_images_per_class = K`); an error names a layer the model does not have,
    /// or a class with fewer than K test images.
    pub fn new(
        s: &Subject,
        eval: &Dataset,
        test: &Dataset,
        settings: &AnalysisSettings,
        analyses: &[Analysis],
    ) -> Result<Analyzer> {
        let n = settings.images.min(eval.len());
        let images = eval.select(&(0..n).collect::<Vec<_>>());
        let rdm_images = match settings.rdm_images_per_class {
            None => images.clone(),
            Some(k) => test.select(&first_per_class(&test.labels, test.num_classes(), k)?),
        };
        // At paper 001's text's n = 10,000 one RDM is 800 MB of f64, 37 GB for the 46 states of
        // a cycle of `moore-ablation-text`: more than the report can read back. The files are
        // for pictures; tau takes every image. `check_data` saw to at least one per class.
        let rdm_file_rows = (rdm_images.len() > settings.rdm_file_images).then(|| {
            let classes = rdm_images.num_classes().max(1);
            let k = settings.rdm_file_images / classes;
            up_to_per_class(&rdm_images.labels, classes, k)
        });
        let needs_layers = analyses.contains(&Analysis::Cka) || analyses.contains(&Analysis::Rdm);
        if let (Some(script), true) = (s.net.torchscript(), needs_layers) {
            if !script.has_activations() {
                bail!(
                    "analyses cka and rdm: {}",
                    crate::model::ModelError::NoActivations {
                        file: s
                            .net
                            .arch
                            .torchscript
                            .as_ref()
                            .map(|a| a.file.clone())
                            .unwrap_or_default()
                    }
                );
            }
        }
        let all = s.net.layer_names();
        let cka_layers = if settings.cka_layers.is_empty() {
            all.clone()
        } else {
            settings.cka_layers.clone()
        };
        if let Some(l) = cka_layers.iter().find(|l| !all.contains(l)) {
            bail!(
                "analysis.cka_layers: no layer `{l}`; the layers are {}",
                all.join(", ")
            );
        }
        let rdm_layer = rdm_layer(s, settings, &all)?;
        let mut a = Analyzer {
            settings: settings.clone(),
            images,
            rdm_images,
            cka_layers,
            rdm_layer,
            rdm_file_rows,
            healthy_grams: None,
            healthy_rdm: None,
            healthy_top: Vec::new(),
        };
        a.measure_healthy(s, analyses)?;
        Ok(a)
    }

    /// What every later state is compared with: the healthy model's Gram matrices (CKA), its
    /// RDM, and its strongest synapses (pathways), for the analyses asked for.
    fn measure_healthy(&mut self, s: &Subject, analyses: &[Analysis]) -> Result<()> {
        if analyses.contains(&Analysis::Cka) {
            let (grams, constant) = normalised_grams(&self.capture(s, &self.cka_layers));
            for (layer, _) in self.cka_layers.iter().zip(&constant).filter(|(_, c)| **c) {
                eprintln!(
                    "warning: layer {layer} of the healthy model is constant (or not finite) over \
                 the analysis images: its CKA row is NaN in every state"
                );
            }
            self.healthy_grams = Some((grams, constant));
        }
        if analyses.contains(&Analysis::Rdm) {
            let rdm = self
                .rdm(s)
                .map_err(|e| anyhow::anyhow!("the healthy model's {e}"))?;
            let entries = self.entries(&rdm).map_err(anyhow::Error::msg)?;
            self.healthy_rdm = Some((self.for_file(&rdm).into_owned(), entries));
        }
        if analyses.contains(&Analysis::Pathways) {
            for (name, w) in s.synapse_names.iter().zip(s.synapses()) {
                let k = ((w.len() as f64 * self.settings.pathways_fraction).round() as usize)
                    .clamp(1, w.len());
                let top = analysis::top_k_indices(&w, k)?;
                self.healthy_top.push((name.clone(), w, top));
            }
        }
        Ok(())
    }

    /// Activations of `names` for `images`, each n x features, on the device.
    fn capture_on(&self, s: &Subject, images: &Dataset, names: &[String]) -> Vec<Tensor> {
        // Names were checked against the network when the analyzer was made.
        crate::train::capture_activations(&s.net, images, &s.norm, names, s.device)
            .expect("analysis layers exist")
            .into_iter()
            .map(|a| a.flatten(1, -1))
            .collect()
    }

    /// Activations of `names` for the CKA images.
    fn capture(&self, s: &Subject, names: &[String]) -> Vec<Tensor> {
        self.capture_on(s, &self.images, names)
    }

    /// The RDM entries tau compares, as the settings say.
    fn entries(&self, rdm: &Array2<f64>) -> Result<Vec<f64>, String> {
        match self.settings.kendall_pairs {
            RdmPairs::Upper => analysis::upper_triangle(rdm.view()).map_err(|e| e.to_string()),
            RdmPairs::Full => Ok(rdm.iter().copied().collect()),
        }
    }

    /// `rdm` as its file keeps it: whole, or the rows and columns of [`Analyzer::rdm_file_rows`].
    fn for_file<'a>(&self, rdm: &'a Array2<f64>) -> Cow<'a, Array2<f64>> {
        match &self.rdm_file_rows {
            None => Cow::Borrowed(rdm),
            Some(rows) => Cow::Owned(select_square(rdm, rows)),
        }
    }

    /// The RDM of the compared layer; an error says why it is undefined (e.g. a constant layer).
    fn rdm(&self, s: &Subject) -> Result<Array2<f64>, String> {
        let a = &self.capture_on(s, &self.rdm_images, std::slice::from_ref(&self.rdm_layer))[0];
        let (n, p) = (a.size()[0] as usize, a.size()[1] as usize);
        let flat =
            Vec::<f32>::try_from(a.to_device(Device::Cpu).to_kind(Kind::Float).flatten(0, -1))
                .map_err(|e| e.to_string())?;
        let arr = Array2::from_shape_vec((n, p), flat).map_err(|e| e.to_string())?;
        analysis::rdm(arr.view()).map_err(|e| format!("RDM of {}: {e}", self.rdm_layer))
    }

    /// Creates the analyses' folders and writes the healthy references the report shows: the
    /// CKA layer names, the healthy RDM and the analysis images' labels.
    pub fn write_healthy(&self, out: &Path) -> Result<()> {
        if self.healthy_grams.is_some() {
            crate::fsio::write_atomic(
                &out.join("cka").join("layers.txt"),
                (self.cka_layers.join("\n") + "\n").as_bytes(),
            )?;
        }
        if let Some((rdm, _)) = &self.healthy_rdm {
            std::fs::create_dir_all(out.join("rdm"))?;
            analysis::npy::write_npy(out.join("rdm").join("healthy.npy"), rdm)?;
            let labels: ndarray::Array1<f64> = match &self.rdm_file_rows {
                None => self.rdm_images.labels.iter().map(|&l| l as f64).collect(),
                Some(rows) => rows
                    .iter()
                    .map(|&i| self.rdm_images.labels[i] as f64)
                    .collect(),
            };
            analysis::npy::write_npy(out.join("rdm").join("labels.npy"), &labels)?;
        }
        Ok(())
    }

    /// Measures the current state of `s`: writes `cka/KEY.npy` (and `rdm/KEY.npy` for cycle 0)
    /// and returns the new rows.
    pub fn measure(&self, s: &Subject, key: &StateKey, out: &Path) -> Result<Measured> {
        let mut m = Measured::default();
        if let Some((h, constant)) = &self.healthy_grams {
            self.write_cka(s, h, constant, key, out)?;
        }
        if let Some((_, healthy)) = &self.healthy_rdm {
            m.taus.push(self.tau(s, healthy, key, out)?);
        }
        if !self.healthy_top.is_empty() {
            for ((name, w0, top), w) in self.healthy_top.iter().zip(s.synapses()) {
                let c = analysis::pathways::pathway_change_from(top, w0, &w)?;
                m.pathways.push(PathwayRow {
                    key: key.clone(),
                    layer: name.trim_end_matches(".weight").into(),
                    k: c.k,
                    jaccard: c.jaccard,
                    new_pathway: c.new_pathway,
                    rescaled: c.rescaled,
                });
            }
        }
        Ok(m)
    }

    fn write_cka(
        &self,
        s: &Subject,
        healthy: &Tensor,
        healthy_constant: &[bool],
        key: &StateKey,
        out: &Path,
    ) -> Result<()> {
        let (g, constant) = normalised_grams(&self.capture(s, &self.cka_layers));
        let l = self.cka_layers.len();
        let mut flat =
            Vec::<f64>::try_from(healthy.mm(&g.tr()).to_device(Device::Cpu).flatten(0, -1))?;
        for (j, _) in constant.iter().enumerate().filter(|(_, c)| **c) {
            // CKA is undefined against a constant layer: recorded as NaN, and said so.
            eprintln!(
                "warning: layer {} is constant (or not finite) over the analysis images at {}: its CKA column is NaN",
                self.cka_layers[j],
                key.file_stem()
            );
            for i in 0..l {
                flat[i * l + j] = f64::NAN;
            }
        }
        // Against a layer constant in the healthy model CKA is undefined too (its Gram row is
        // zero, which would read as CKA 0).
        for (i, _) in healthy_constant.iter().enumerate().filter(|(_, c)| **c) {
            for j in 0..l {
                flat[i * l + j] = f64::NAN;
            }
        }
        let arr = Array2::from_shape_vec((l, l), flat)?;
        analysis::npy::write_npy(
            out.join("cka").join(format!("{}.npy", key.file_stem())),
            &arr,
        )?;
        Ok(())
    }

    /// Kendall's tau of this state's RDM against the healthy one. When it is undefined (a layer
    /// that injury made constant has no RDM; tau-b of a constant RDM) the row holds NaN and says
    /// why, and the run goes on.
    fn tau(&self, s: &Subject, healthy: &[f64], key: &StateKey, out: &Path) -> Result<TauRow> {
        let variant = self.settings.kendall;
        let rdm = self.rdm(s);
        if let (Ok(rdm), 0) = (&rdm, key.cycle) {
            // RDMs are n x n: kept for cycle 0 only, for the pictures of the report.
            let file = out.join("rdm").join(format!("{}.npy", key.file_stem()));
            analysis::npy::write_npy(file, &*self.for_file(rdm))?;
        }
        let tau = rdm.and_then(|rdm| {
            let entries = self.entries(&rdm)?;
            drop(rdm); // 800 MB at n = 10,000, not needed by Kendall's pairs
            analysis::kendall_tau(healthy, &entries, variant)
                .map_err(|e| format!("Kendall {variant} of {}: {e}", self.rdm_layer))
        });
        let (tau, note) = match tau {
            Ok(t) => (t, String::new()),
            Err(why) => {
                eprintln!("warning: at {}: {why}; written as NaN", key.file_stem());
                (f64::NAN, why)
            }
        };
        Ok(TauRow {
            key: key.clone(),
            variant,
            tau,
            note,
        })
    }

    /// Layer names of the CKA matrices.
    pub fn cka_layers(&self) -> &[String] {
        &self.cka_layers
    }
}

/// Indices of the first `k` images of each class in `labels` (in their order), class by class:
/// paper 001's authors' RDM images. An error names a class with fewer than `k`.
pub fn first_per_class(labels: &[u8], classes: usize, k: usize) -> Result<Vec<usize>> {
    let out = up_to_per_class(labels, classes, k);
    let mut counts = vec![0; classes];
    for &i in &out {
        counts[labels[i] as usize] += 1;
    }
    if let Some((c, n)) = counts.iter().enumerate().find(|(_, &n)| n < k) {
        bail!("analysis.rdm_images_per_class = {k} is out of range: class {c} has {n} test images");
    }
    Ok(out)
}

/// Indices of the first `k` images of each class in `labels` (fewer where a class has fewer),
/// class by class.
fn up_to_per_class(labels: &[u8], classes: usize, k: usize) -> Vec<usize> {
    (0..classes)
        .flat_map(|c| {
            (0..labels.len())
                .filter(move |&i| labels[i] as usize == c)
                .take(k)
        })
        .collect()
}

/// The sub-matrix of the square `m` at `rows` x `rows`.
fn select_square(m: &Array2<f64>, rows: &[usize]) -> Array2<f64> {
    m.select(ndarray::Axis(0), rows)
        .select(ndarray::Axis(1), rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_images_of_each_class_grouped_by_class() {
        let labels = [2, 0, 1, 0, 2, 1, 0, 2];
        assert_eq!(
            first_per_class(&labels, 3, 2).unwrap(),
            vec![1, 3, 2, 5, 0, 4]
        );
        let e = first_per_class(&labels, 3, 4).unwrap_err().to_string();
        assert!(e.contains("class 0 has 3 test images"), "{e}");
    }

    #[test]
    fn up_to_k_of_each_class_takes_fewer_where_a_class_has_fewer() {
        let labels = [2, 0, 1, 0, 2, 1, 0, 2];
        assert_eq!(up_to_per_class(&labels, 3, 2), vec![1, 3, 2, 5, 0, 4]);
        assert_eq!(up_to_per_class(&labels, 4, 3), vec![1, 3, 6, 2, 5, 0, 4, 7]);
    }

    /// The Gram from its lower triangle equals the full product, for sizes that halving
    /// divides and does not divide, below and above the smallest block that is split.
    #[test]
    fn gram_from_the_lower_triangle_equals_the_full_product() {
        tch::manual_seed(1);
        for n in [1, 2, 3, 5, 8, 13, 40, 63, 64, 65, 130, 257] {
            let x = Tensor::randn([n, 9], (Kind::Double, tch::Device::Cpu));
            let want = x.mm(&x.tr());
            let got = gram(&x);
            let diff = (&got - &want).abs().max().double_value(&[]);
            assert!(diff < 1e-12, "n = {n}: {diff}");
            assert!(got.equal(&got.tr()), "n = {n}: not symmetric");
        }
    }
}
