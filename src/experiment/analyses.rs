//! Representation analyses as steps of an experiment (P5-P7): after every injured and retrained
//! state, the layer x layer CKA matrix against the healthy model, the RDM of the penultimate
//! layer and its Kendall tau against the healthy RDM, and the pathway overlaps.
//!
//! Linear CKA is computed in its Gram form on the device (n x n Gram matrices, n = the analysis
//! images): the healthy model's centred, normalised Grams are kept, and a whole matrix is one
//! product of the two stacks. Its agreement with `analysis::linear_cka` is tested.
use crate::analysis::{self, TauVariant};
use crate::data::{Dataset, Normalization};
use crate::model::{Network, Op};
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::{Device, Kind, Tensor};

/// Settings of the representation analyses (`[analysis]` in the config).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisSettings {
    /// Images of the evaluation set used (its first n).
    #[serde(default = "d_n")]
    pub images: usize,
    /// Layers of the CKA matrix (names); empty = every layer.
    #[serde(default)]
    pub cka_layers: Vec<String>,
    /// Layer whose RDM is compared; default: the penultimate layer (the input of the last linear).
    #[serde(default)]
    pub rdm_layer: Option<String>,
    /// Kendall variant for RDMs: "a" (RSA toolboxes' choice) or "b".
    #[serde(default = "d_variant")]
    pub kendall: String,
    /// Top-k of each layer, as a fraction of its synapses.
    #[serde(default = "d_k")]
    pub pathways_fraction: f64,
}

fn d_n() -> usize {
    500
}
fn d_variant() -> String {
    "a".into()
}
fn d_k() -> f64 {
    0.01
}

impl Default for AnalysisSettings {
    fn default() -> Self {
        AnalysisSettings {
            images: d_n(),
            cka_layers: vec![],
            rdm_layer: None,
            kendall: d_variant(),
            pathways_fraction: d_k(),
        }
    }
}

impl AnalysisSettings {
    /// Checks the values, naming the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.images < 4 {
            return Err(format!(
                "analysis.images = {} is out of range: expected at least 4",
                self.images
            ));
        }
        if !matches!(self.kendall.as_str(), "a" | "b") {
            return Err(format!(
                "analysis.kendall = {:?}: expected \"a\" or \"b\"",
                self.kendall
            ));
        }
        if !(self.pathways_fraction > 0.0 && self.pathways_fraction <= 1.0) {
            return Err(format!(
                "analysis.pathways_fraction = {} is out of range: expected 0 < f <= 1",
                self.pathways_fraction
            ));
        }
        Ok(())
    }

    fn variant(&self) -> TauVariant {
        if self.kendall == "b" {
            TauVariant::B
        } else {
            TauVariant::A
        }
    }
}

/// One row of `rdm_tau.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TauRow {
    /// Which state: regime, cycle, iteration, fraction injured, state.
    pub tag: Tag,
    /// Kendall variant.
    pub variant: String,
    /// tau between this state's RDM and the healthy RDM.
    pub tau: f64,
}

/// One row of `pathways.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PathwayRow {
    /// Which state.
    pub tag: Tag,
    /// Synapse layer.
    pub layer: String,
    /// Top-k size.
    pub k: usize,
    /// Jaccard overlap with the healthy top-k.
    pub jaccard: f64,
    /// Indices new to the top-k.
    pub new_pathway: usize,
    /// Same index, different value.
    pub rescaled: usize,
}

/// The coordinates of an evaluated state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    /// Regime name.
    pub regime: String,
    /// Cycle.
    pub cycle: usize,
    /// Iteration.
    pub iteration: usize,
    /// Fraction injured.
    pub fraction_injured: f64,
    /// injured | retrained.
    pub state: String,
}

impl Tag {
    fn file_stem(&self) -> String {
        format!(
            "{}_c{}_i{}_{}",
            self.regime, self.cycle, self.iteration, self.state
        )
    }
}

/// The healthy model's references, computed once.
pub struct Analyzer {
    settings: AnalysisSettings,
    images: Dataset,
    norm: Normalization,
    device: Device,
    cka_layers: Vec<String>,
    rdm_layer: String,
    healthy_grams: Option<Tensor>,
    healthy_rdm: Option<Vec<f64>>,
    healthy_top: Vec<(String, Vec<f32>, Vec<usize>)>,
    wants: (bool, bool, bool),
}

/// Centred Gram matrices of `acts` (each n x features), normalised to unit Frobenius norm and
/// stacked as rows of an L x n^2 tensor (f64). A constant layer gives a zero row.
pub fn normalised_grams(acts: &[Tensor]) -> (Tensor, Vec<bool>) {
    let mut rows = Vec::new();
    let mut constant = Vec::new();
    for a in acts {
        // Centred in f64, multiplied in f32 (the n x p by p x n product is where the time goes,
        // p being up to 65,536 for a VGG conv map), accumulated into f64 afterwards.
        let x = a.flatten(1, -1).to_kind(Kind::Double);
        let x = (&x - x.mean_dim(0, true, Kind::Double)).to_kind(Kind::Float);
        let k = x.mm(&x.tr()).to_kind(Kind::Double);
        let norm = k.norm().double_value(&[]);
        constant.push(!(norm > 0.0 && norm.is_finite()));
        rows.push(if norm > 0.0 {
            (k / norm).flatten(0, -1)
        } else {
            k.flatten(0, -1)
        });
    }
    (Tensor::stack(&rows, 0), constant)
}

impl Analyzer {
    /// Prepares the analyses named in `analyses` for `net` in its healthy state.
    pub fn new(
        net: &Network,
        vs: &tch::nn::VarStore,
        eval: &Dataset,
        norm: &Normalization,
        settings: &AnalysisSettings,
        analyses: &[String],
        device: Device,
    ) -> Result<Analyzer, String> {
        let wants = (
            analyses.iter().any(|a| a == "cka"),
            analyses.iter().any(|a| a == "rdm"),
            analyses.iter().any(|a| a == "pathways"),
        );
        let n = settings.images.min(eval.len());
        let images = eval.select(&(0..n).collect::<Vec<_>>());
        let all = net.layer_names();
        let cka_layers = if settings.cka_layers.is_empty() {
            all.clone()
        } else {
            settings.cka_layers.clone()
        };
        for l in &cka_layers {
            if !all.contains(l) {
                return Err(format!(
                    "analysis.cka_layers: no layer `{l}`; the layers are {}",
                    all.join(", ")
                ));
            }
        }
        let layers = net.arch.layers().map_err(|e| e.to_string())?;
        let last_linear = layers
            .iter()
            .rposition(|l| matches!(l.op, Op::Linear { .. }))
            .unwrap_or(0);
        let rdm_layer = match &settings.rdm_layer {
            Some(l) if all.contains(l) => l.clone(),
            Some(l) => {
                return Err(format!(
                    "analysis.rdm_layer: no layer `{l}`; the layers are {}",
                    all.join(", ")
                ))
            }
            None => layers[last_linear.saturating_sub(1)].name.clone(),
        };
        let mut a = Analyzer {
            settings: settings.clone(),
            images,
            norm: norm.clone(),
            device,
            cka_layers,
            rdm_layer,
            healthy_grams: None,
            healthy_rdm: None,
            healthy_top: Vec::new(),
            wants,
        };
        if wants.0 {
            let acts = a.capture(net, &a.cka_layers.clone());
            a.healthy_grams = Some(normalised_grams(&acts).0);
        }
        if wants.1 {
            a.healthy_rdm = Some(a.rdm_upper(net)?.1);
        }
        if wants.2 {
            let names: Vec<String> = net
                .arch
                .synapse_layers()
                .iter()
                .map(|l| format!("{l}.weight"))
                .collect();
            for (name, w) in names.iter().zip(super::runner::read_weights(vs, &names)) {
                let k = ((w.len() as f64 * settings.pathways_fraction).round() as usize)
                    .clamp(1, w.len());
                let top = analysis::top_k_indices(&w, k).map_err(|e| e.to_string())?;
                a.healthy_top.push((name.clone(), w, top));
            }
        }
        Ok(a)
    }

    /// Activations of `names` for the analysis images, each n x features, on the device.
    fn capture(&self, net: &Network, names: &[String]) -> Vec<Tensor> {
        // Names were checked against the network when the analyzer was made.
        crate::train::capture_activations(net, &self.images, &self.norm, names, self.device)
            .expect("analysis layers exist")
            .into_iter()
            .map(|a| a.flatten(1, -1))
            .collect()
    }

    /// The RDM of the compared layer and its upper triangle.
    fn rdm_upper(&self, net: &Network) -> Result<(ndarray::Array2<f64>, Vec<f64>), String> {
        let a = &self.capture(net, std::slice::from_ref(&self.rdm_layer))[0];
        let (n, p) = (a.size()[0] as usize, a.size()[1] as usize);
        let flat =
            Vec::<f32>::try_from(a.to_device(Device::Cpu).to_kind(Kind::Float).flatten(0, -1))
                .map_err(|e| e.to_string())?;
        let arr = ndarray::Array2::from_shape_vec((n, p), flat).map_err(|e| e.to_string())?;
        let r = analysis::rdm(arr.view()).map_err(|e| format!("RDM of {}: {e}", self.rdm_layer))?;
        let u = analysis::upper_triangle(r.view()).map_err(|e| e.to_string())?;
        Ok((r, u))
    }

    /// Writes the healthy RDM and the analysis images' labels (for pictures sorted by class).
    pub fn write_healthy(&self, net: &Network, out: &Path) -> anyhow::Result<()> {
        for (want, d) in [(self.wants.0, "cka"), (self.wants.1, "rdm")] {
            if want {
                std::fs::create_dir_all(out.join(d))?;
            }
        }
        if self.healthy_rdm.is_some() {
            let (r, _) = self.rdm_upper(net).map_err(anyhow::Error::msg)?;
            analysis::npy::write_npy(out.join("rdm").join("healthy.npy"), &r)?;
            let labels = ndarray::Array1::from_iter(self.images.labels.iter().map(|&l| l as f64));
            analysis::npy::write_npy(out.join("rdm").join("labels.npy"), &labels)?;
        }
        Ok(())
    }

    /// Measures the current state of `net`: writes `cka/TAG.npy` and returns the new rows.
    pub fn measure(
        &self,
        net: &Network,
        vs: &tch::nn::VarStore,
        tag: &Tag,
        out: &Path,
    ) -> anyhow::Result<(Vec<TauRow>, Vec<PathwayRow>)> {
        let (mut taus, mut paths) = (Vec::new(), Vec::new());
        if let Some(h) = &self.healthy_grams {
            let acts = self.capture(net, &self.cka_layers);
            let (g, constant) = normalised_grams(&acts);
            let m = h.mm(&g.tr()).to_device(Device::Cpu);
            let l = self.cka_layers.len();
            let mut flat = Vec::<f64>::try_from(m.flatten(0, -1))?;
            for (j, c) in constant.iter().enumerate() {
                if *c {
                    // CKA is undefined against a constant layer: recorded as NaN, and said so.
                    eprintln!("warning: layer {} is constant over the analysis images at {}: its CKA column is NaN", self.cka_layers[j], tag.file_stem());
                    for i in 0..l {
                        flat[i * l + j] = f64::NAN;
                    }
                }
            }
            let arr = ndarray::Array2::from_shape_vec((l, l), flat)?;
            analysis::npy::write_npy(
                out.join("cka").join(format!("{}.npy", tag.file_stem())),
                &arr,
            )?;
        }
        if let Some(h) = &self.healthy_rdm {
            let (rdm, cur) = self.rdm_upper(net).map_err(anyhow::Error::msg)?;
            // RDMs are n x n: kept for cycle 0 only, for the pictures of the report.
            if tag.cycle == 0 {
                analysis::npy::write_npy(
                    out.join("rdm").join(format!("{}.npy", tag.file_stem())),
                    &rdm,
                )?;
            }
            let tau = match analysis::kendall_tau(h, &cur, self.settings.variant()) {
                Ok(t) => t,
                Err(e) => {
                    // e.g. tau-b of a collapsed (constant) RDM: recorded as NaN, and said so.
                    eprintln!(
                        "warning: Kendall tau of {} at {} is undefined ({e}); written as NaN",
                        self.rdm_layer,
                        tag.file_stem()
                    );
                    f64::NAN
                }
            };
            taus.push(TauRow {
                tag: tag.clone(),
                variant: self.settings.kendall.clone(),
                tau,
            });
        }
        if !self.healthy_top.is_empty() {
            let names: Vec<String> = self.healthy_top.iter().map(|t| t.0.clone()).collect();
            for ((name, w0, top), w) in self
                .healthy_top
                .iter()
                .zip(super::runner::read_weights(vs, &names))
            {
                let c = analysis::pathways::pathway_change_from(top, w0, &w)?;
                paths.push(PathwayRow {
                    tag: tag.clone(),
                    layer: name.trim_end_matches(".weight").into(),
                    k: c.k,
                    jaccard: c.jaccard,
                    new_pathway: c.new_pathway,
                    rescaled: c.rescaled,
                });
            }
        }
        Ok((taus, paths))
    }

    /// Layer names of the CKA matrices, written once as `cka/layers.txt`.
    pub fn cka_layers(&self) -> &[String] {
        &self.cka_layers
    }

    /// Does any representation analysis run?
    pub fn active(&self) -> bool {
        self.wants.0 || self.wants.1 || self.wants.2
    }
}

/// `rdm_tau.csv`.
pub fn tau_csv(rows: &[TauRow]) -> String {
    let mut s = String::from("regime,cycle,iteration,fraction_injured,state,variant,tau\n");
    for r in rows {
        let t = &r.tag;
        s.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            t.regime, t.cycle, t.iteration, t.fraction_injured, t.state, r.variant, r.tau
        ));
    }
    s
}

/// `pathways.csv`.
pub fn pathways_csv(rows: &[PathwayRow]) -> String {
    let mut s = String::from(
        "regime,cycle,iteration,fraction_injured,state,layer,k,jaccard,new_pathway,rescaled\n",
    );
    for r in rows {
        let t = &r.tag;
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            t.regime,
            t.cycle,
            t.iteration,
            t.fraction_injured,
            t.state,
            r.layer,
            r.k,
            r.jaccard,
            r.new_pathway,
            r.rescaled
        ));
    }
    s
}
