//! `reproduce 003`'s settings: paper 003's where it prints them, Miconi's where it leaves them
//! open; changed by `--set KEY=VALUE` and validated field by field.
use super::Part;
use crate::plasticity::differentiable::Eta;
use anyhow::{anyhow, bail, Result};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The settings of the reproduction: paper 003's where it prints them, Miconi's where it leaves
/// them open.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Paper003Config {
    /// Seed of every network and data stream.
    pub seed: u64,
    /// The pattern-reconstruction task.
    pub pattern: PatternSettings,
    /// The classification task.
    pub classify: ClassifySettings,
}

/// Pattern reconstruction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PatternSettings {
    /// Bits per pattern (paper 003: 961).
    pub size: usize,
    /// Training episodes, one optimizer step each (the paper's last printed value: 930).
    pub episodes: usize,
    /// Shares of the test pattern's bits set to zero, one run each (the text: "some bits").
    pub erased: Vec<f64>,
    /// Also run the non-plastic network of the same shape.
    pub baseline: bool,
    /// Adam's learning rate (Miconi: 3e-4).
    pub lr: f64,
    /// The Hebbian trace's rate, fixed (Miconi: 0.01).
    pub eta: f64,
    /// Episodes a printed "mean loss" averages over (Miconi's code prints every 10).
    pub window: usize,
}

/// Classification with a plastic or an ordinary last layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClassifySettings {
    /// Data set (`mnist`; `synthetic` for tests).
    pub dataset: String,
    /// Where it is (else the usual search).
    pub path: Option<PathBuf>,
    /// Epochs (250).
    pub epochs: usize,
    /// Random training images per epoch, one at a time (100).
    pub images: usize,
    /// Test images evaluated after every epoch (the whole MNIST test set: 10,000).
    pub eval_images: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// The plastic layer's eta.
    pub eta: f64,
}

impl Default for PatternSettings {
    fn default() -> Self {
        PatternSettings {
            size: 961,
            episodes: 930,
            erased: vec![0.05, 0.5],
            baseline: true,
            lr: 3e-4,
            eta: 0.01,
            window: 10,
        }
    }
}

impl Default for ClassifySettings {
    fn default() -> Self {
        ClassifySettings {
            dataset: "mnist".into(),
            path: None,
            epochs: 250,
            images: 100,
            eval_images: 10_000,
            lr: 1e-3,
            eta: 0.01,
        }
    }
}

/// What `--quick` changes: seconds on 2 cores, to check the pipeline.
pub const QUICK: &[&str] = &[
    "pattern.size=64",
    "pattern.episodes=40",
    "classify.epochs=3",
    "classify.images=20",
    "classify.eval_images=500",
];

impl Paper003Config {
    /// The defaults changed by `set` (`KEY=VALUE`, as `atrophy run --set`), validated.
    pub fn with(set: &[String]) -> Result<Self> {
        let text = toml::to_string(&Paper003Config::default())?;
        let o = crate::experiment::overrides::Overrides {
            set: set.to_vec(),
            ..Default::default()
        };
        let text =
            crate::experiment::overrides::apply(&text, "paper 003", &o).map_err(|e| anyhow!(e))?;
        let c: Paper003Config =
            toml::from_str(&text).map_err(|e| anyhow!("paper 003 config: {e}"))?;
        c.validate()?;
        Ok(c)
    }

    /// Checks every field; the error names it and says what was expected.
    pub fn validate(&self) -> Result<()> {
        let p = &self.pattern;
        let positive = |v: f64| v > 0.0 && v.is_finite();
        if p.size < 2 {
            bail!("pattern.size = {}: expected at least 2 bits", p.size);
        }
        if p.episodes == 0 || p.window == 0 || p.window > p.episodes {
            bail!(
                "pattern.episodes = {}, pattern.window = {}: expected 1 <= window <= episodes",
                p.episodes,
                p.window
            );
        }
        let repeated = (p.erased.iter().enumerate()).any(|(i, e)| p.erased[..i].contains(e));
        if p.erased.is_empty() || repeated || p.erased.iter().any(|e| !(0.0..1.0).contains(e)) {
            bail!(
                "pattern.erased = {:?}: expected one or more different shares, each 0 <= share < 1",
                p.erased
            );
        }
        if !positive(p.lr) || !positive(self.classify.lr) {
            bail!(
                "pattern.lr = {}, classify.lr = {}: expected positive numbers",
                p.lr,
                self.classify.lr
            );
        }
        Eta::Fixed(p.eta)
            .validate()
            .map_err(|e| anyhow!("pattern.eta: {e}"))?;
        Eta::Fixed(self.classify.eta)
            .validate()
            .map_err(|e| anyhow!("classify.eta: {e}"))?;
        let c = &self.classify;
        if c.epochs == 0 || c.images == 0 || c.eval_images == 0 {
            bail!(
                "classify.epochs = {}, classify.images = {}, classify.eval_images = {}: expected at least 1 each",
                c.epochs,
                c.images,
                c.eval_images
            );
        }
        crate::data::canonical_name(&c.dataset).map_err(|e| anyhow!("classify.dataset: {e}"))?;
        Ok(())
    }

    /// The parts, in the order they run.
    pub fn parts(&self) -> Vec<Part> {
        let networks: &[bool] = if self.pattern.baseline {
            &[true, false]
        } else {
            &[true]
        };
        let mut parts: Vec<Part> = (self.pattern.erased.iter())
            .flat_map(|&erased| {
                networks
                    .iter()
                    .map(move |&plastic| Part::Pattern { plastic, erased })
            })
            .collect();
        parts.extend([true, false].map(|plastic| Part::Classify { plastic }));
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_settings_name_their_field() {
        let err = |set: &str| {
            Paper003Config::with(&[set.to_string()])
                .unwrap_err()
                .to_string()
        };
        assert!(err("pattern.erased=[1.0]").contains("pattern.erased"));
        assert!(err("pattern.window=2000").contains("pattern.window"));
        assert!(err("pattern.eta=0").contains("pattern.eta"));
        assert!(err("classify.dataset=\"imagenet\"").contains("classify.dataset"));
        assert!(err("classify.epoch=3").contains("unknown field `epoch`"));
        assert!(err("pattern.erased=[0.5, 0.5]").contains("different shares"));
        assert!(err("classify.epochs=0").contains("classify.epochs"));
    }

    #[test]
    fn parts_cover_every_share_and_network() {
        let c = Paper003Config::default();
        let files: Vec<String> = c.parts().iter().map(Part::file).collect();
        assert_eq!(
            files,
            [
                "pattern-plastic-erased-0.05.csv",
                "pattern-non-plastic-erased-0.05.csv",
                "pattern-plastic-erased-0.5.csv",
                "pattern-non-plastic-erased-0.5.csv",
                "classify-plastic.csv",
                "classify-non-plastic.csv"
            ]
        );
        let q =
            Paper003Config::with(&QUICK.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        assert_eq!((q.pattern.size, q.classify.epochs), (64, 3));
    }
}
