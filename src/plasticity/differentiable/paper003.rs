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
use super::classify::{self, ClassifyPoint};
use super::pattern::{self, PatternPoint};
use super::Eta;
use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use tch::Device;

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

const PATTERN_HEADER: &str = "episode,loss,error,error_erased,eta";
const CLASSIFY_HEADER: &str = "epoch,train_loss,test_loss,test_accuracy,alpha_shift";

fn pattern_csv(points: &[PatternPoint]) -> String {
    let mut s = format!("{PATTERN_HEADER}\n");
    for p in points {
        let _ = writeln!(
            s,
            "{},{},{},{},{}",
            p.episode, p.loss, p.error, p.error_erased, p.eta
        );
    }
    s
}

fn classify_csv(points: &[ClassifyPoint]) -> String {
    let mut s = format!("{CLASSIFY_HEADER}\n");
    for p in points {
        let _ = writeln!(
            s,
            "{},{},{},{},{}",
            p.epoch, p.train_loss, p.test_loss, p.test_accuracy, p.alpha_shift
        );
    }
    s
}

/// The rows of a part's CSV as numbers, checked against `header`; errors name the file.
fn read_rows(path: &Path, header: &str) -> Result<Vec<Vec<f64>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut lines = text.lines();
    if lines.next() != Some(header) {
        bail!("{}: expected the header `{header}`", path.display());
    }
    let columns = header.split(',').count();
    lines
        .enumerate()
        .map(|(i, line)| {
            let row: Vec<f64> = line
                .split(',')
                .map(|v| v.parse::<f64>())
                .collect::<Result<_, _>>()
                .map_err(|e| anyhow!("{} line {}: {e}", path.display(), i + 2))?;
            if row.len() != columns {
                bail!(
                    "{} line {}: {} values, expected {columns}",
                    path.display(),
                    i + 2,
                    row.len()
                );
            }
            Ok(row)
        })
        .collect()
}

fn read_pattern(path: &Path) -> Result<Vec<PatternPoint>> {
    Ok(read_rows(path, PATTERN_HEADER)?
        .into_iter()
        .map(|r| PatternPoint {
            episode: r[0] as usize,
            loss: r[1],
            error: r[2],
            error_erased: r[3],
            eta: r[4],
        })
        .collect())
}

fn read_classify(path: &Path) -> Result<Vec<ClassifyPoint>> {
    Ok(read_rows(path, CLASSIFY_HEADER)?
        .into_iter()
        .map(|r| ClassifyPoint {
            epoch: r[0] as usize,
            train_loss: r[1],
            test_loss: r[2],
            test_accuracy: r[3],
            alpha_shift: r[4],
        })
        .collect())
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
                points: read_pattern(&file)?,
            }),
            Part::Classify { plastic } => r.classify.push(ClassifyCurve {
                plastic,
                points: read_classify(&file)?,
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
                pattern_csv(&curve)
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
                classify_csv(&curve)
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

    #[test]
    fn curves_read_back_as_written() {
        let points = vec![PatternPoint {
            episode: 1,
            loss: 2.5,
            error: 0.25,
            error_erased: 0.5,
            eta: 0.01,
        }];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.csv");
        std::fs::write(&path, pattern_csv(&points)).unwrap();
        let back = read_pattern(&path).unwrap();
        assert_eq!(
            (back[0].episode, back[0].loss, back[0].error),
            (1, 2.5, 0.25)
        );
        std::fs::write(&path, "episode,loss\n1,2\n").unwrap();
        let e = read_pattern(&path).unwrap_err().to_string();
        assert!(e.contains("p.csv") && e.contains("header"), "{e}");
    }
}
