//! Paper 003 reproduced (`atrophy reproduce 003`): its two measured tasks, each as the text
//! describes it, run part by part so that a stopped run resumes where it stopped.
//!
//! - **Pattern reconstruction** on 961-bit patterns ([`super::pattern`]), plastic and, as the
//!   baseline, non-plastic, once per share of erased bits: the text says only "some bits", so
//!   every share in `pattern.erased` is a reading (docs/PROTOCOLS.md, P8).
//! - **Classification** of MNIST with a plastic or an ordinary last layer ([`super::classify`]).
//!
//! Every part writes its learning curve to `parts/NAME.csv` (atomically) when it is done; a part
//! whose file is there is read back instead of run again. The config is kept in
//! `paper003.toml`, and a folder holding another config is refused.
mod config;
mod curves;

pub use config::{ClassifySettings, Paper003Config, PatternSettings, QUICK};

use super::classify::{self, ClassifyPoint};
use super::pattern::{self, PatternPoint};
use super::Eta;
use anyhow::{anyhow, bail, Context, Result};
use curves::{read_curve, to_csv};
use std::path::Path;
use tch::Device;

/// One unit of work: a network trained on one task.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Part {
    /// Pattern reconstruction with this share of erased bits.
    Pattern { plastic: bool, erased: f64 },
    /// MNIST classification.
    Classify { plastic: bool },
}

/// `plastic` or `non-plastic`.
pub fn network(plastic: bool) -> &'static str {
    if plastic {
        "plastic"
    } else {
        "non-plastic"
    }
}

impl Part {
    /// Its file name under `parts/`.
    pub fn file(&self) -> String {
        match self {
            Part::Pattern { plastic, erased } => {
                format!("pattern-{}-erased-{erased}.csv", network(*plastic))
            }
            Part::Classify { plastic } => format!("classify-{}.csv", network(*plastic)),
        }
    }

    /// Progress units (episodes or epochs).
    fn units(&self, c: &Paper003Config) -> usize {
        match self {
            Part::Pattern { .. } => c.pattern.episodes,
            Part::Classify { .. } => c.classify.epochs,
        }
    }
}

/// A pattern run's learning curve.
#[derive(Clone, Debug)]
pub struct PatternCurve {
    /// Plastic or the baseline.
    pub plastic: bool,
    /// Share of the test pattern's bits erased.
    pub erased: f64,
    /// One point per episode.
    pub points: Vec<PatternPoint>,
}

/// A classification run's learning curve.
#[derive(Clone, Debug)]
pub struct ClassifyCurve {
    /// Plastic last layer or ordinary.
    pub plastic: bool,
    /// One point per epoch.
    pub points: Vec<ClassifyPoint>,
}

/// What the reproduction measured so far.
#[derive(Clone, Debug)]
pub struct Paper003Results {
    /// Its settings.
    pub config: Paper003Config,
    /// The pattern runs done.
    pub patterns: Vec<PatternCurve>,
    /// The classification runs done.
    pub classify: Vec<ClassifyCurve>,
}

impl Paper003Results {
    /// Whether every part is done.
    pub fn finished(&self) -> bool {
        self.patterns.len() + self.classify.len() == self.config.parts().len()
    }
}

/// Mean of `values[n - window .. n]`: what a log printed after episode (or epoch) `n` of the
/// 1-based series, averaged over the last `window`; None when the series is shorter than `n`.
pub fn mean_after(values: &[f64], n: usize, window: usize) -> Option<f64> {
    (n >= window && n <= values.len() && window > 0)
        .then(|| values[n - window..n].iter().sum::<f64>() / window as f64)
}

/// Reads what is done in `dir` (none of it when nothing is).
pub fn read(dir: &Path) -> Result<Paper003Results> {
    let path = dir.join("paper003.toml");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let config: Paper003Config =
        toml::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let mut r = Paper003Results {
        config: config.clone(),
        patterns: Vec::new(),
        classify: Vec::new(),
    };
    for part in config.parts() {
        let file = dir.join("parts").join(part.file());
        if !file.exists() {
            continue;
        }
        match part {
            Part::Pattern { plastic, erased } => r.patterns.push(PatternCurve {
                plastic,
                erased,
                points: read_curve(&file)?,
            }),
            Part::Classify { plastic } => r.classify.push(ClassifyCurve {
                plastic,
                points: read_curve(&file)?,
            }),
        }
    }
    Ok(r)
}

/// Writes `config` to `dir/paper003.toml`, or checks that the folder's is the same.
fn claim(dir: &Path, config: &Paper003Config) -> Result<()> {
    let path = dir.join("paper003.toml");
    let text = toml::to_string(config)?;
    match std::fs::read_to_string(&path) {
        Ok(old) => {
            let old: Paper003Config =
                toml::from_str(&old).map_err(|e| anyhow!("{}: {e}", path.display()))?;
            // Where the data lies is not a setting of the run: the same folder may be
            // resumed or re-tabled with the data elsewhere.
            let unplaced = |c: &Paper003Config| {
                let mut c = c.clone();
                c.classify.path = None;
                c
            };
            if unplaced(&old) != unplaced(config) {
                bail!(
                    "{} holds a paper 003 run with other settings; resume it with the same \
                     settings (--quick and --set as before) or choose another --out",
                    path.display()
                );
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir.join("parts"))
                .with_context(|| format!("cannot create {}", dir.display()))?;
            crate::fsio::write_atomic(&path, text.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))
        }
        Err(e) => Err(anyhow!("cannot read {}: {e}", path.display())),
    }
}

/// Runs every part not yet done in `dir`, then returns everything measured.
pub fn run(
    config: &Paper003Config,
    dir: &Path,
    device: Device,
    progress: bool,
) -> Result<Paper003Results> {
    config.validate()?;
    claim(dir, config)?;
    let parts = config.parts();
    let todo: Vec<Part> = (parts.iter().copied())
        .filter(|p| !dir.join("parts").join(p.file()).exists())
        .collect();
    let total: usize = todo.iter().map(|p| p.units(config)).sum();
    let bar = crate::progress::steps_bar_if(progress, total as u64, "paper 003");
    let mut split = None;
    let count = todo.len();
    for (k, part) in todo.into_iter().enumerate() {
        let started = std::time::Instant::now();
        let csv = match part {
            Part::Pattern { plastic, erased } => {
                let o = pattern::PatternOptions {
                    task: pattern::PatternTask {
                        size: config.pattern.size,
                        erased,
                        ..Default::default()
                    },
                    episodes: config.pattern.episodes,
                    batch: 1,
                    lr: config.pattern.lr,
                    eta: Eta::Fixed(config.pattern.eta),
                    plastic,
                    seed: config.seed,
                };
                let (_, _, curve) = pattern::train(&o, device, |p| {
                    bar.inc(1);
                    bar.set_message(format!(
                        "pattern, {}, {erased} erased: error {:.4}",
                        network(plastic),
                        p.error
                    ));
                })
                .map_err(|e| anyhow!("{}: {e}", part.file()))?;
                to_csv(&curve)
            }
            Part::Classify { plastic } => {
                let c = &config.classify;
                if split.is_none() {
                    split = Some(
                        crate::data::load_or_fetch(&c.dataset, c.path.as_deref(), progress)
                            .with_context(|| format!("classify.dataset `{}`", c.dataset))?,
                    );
                }
                let data = split.as_ref().expect("loaded above");
                let o = classify::ClassifyOptions {
                    epochs: c.epochs,
                    images_per_epoch: c.images,
                    plastic,
                    eta: c.eta,
                    lr: c.lr,
                    eval_images: c.eval_images,
                    seed: config.seed,
                };
                let curve = classify::train(&o, &data.train, &data.test, device, |p| {
                    bar.inc(1);
                    bar.set_message(format!(
                        "classify, {}: test accuracy {:.4}",
                        network(plastic),
                        p.test_accuracy
                    ));
                })
                .map_err(|e| anyhow!("{} (classify.dataset `{}`): {e}", part.file(), c.dataset))?;
                to_csv(&curve)
            }
        };
        let path = dir.join("parts").join(part.file());
        crate::fsio::write_atomic(&path, csv.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        // A line per part, for logs of runs in the background (the bar needs a terminal).
        bar.suspend(|| {
            eprintln!(
                "part {} of {} done: {} ({:.0} s; {} left)",
                parts.iter().position(|p| *p == part).unwrap_or(0) + 1,
                parts.len(),
                part.file(),
                started.elapsed().as_secs_f64(),
                count - k - 1
            )
        });
    }
    bar.finish_and_clear();
    read(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_after_averages_the_last_window() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(mean_after(&v, 2, 2), Some(1.5));
        assert_eq!(mean_after(&v, 5, 2), Some(4.5));
        assert_eq!(mean_after(&v, 5, 5), Some(3.0));
        assert_eq!(mean_after(&v, 6, 2), None);
        assert_eq!(mean_after(&v, 1, 2), None);
    }
}
