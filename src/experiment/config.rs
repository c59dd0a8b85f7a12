//! The experiment config as the runner uses it: the types and their checks live in
//! [`crate::config`] (they build without libtorch, for the report and the Python package); what
//! needs the data set loaded and the healthy model's training settings resolved is here.
use crate::config::error::{invalid, out_of_range};
pub use crate::config::experiment::*;
pub use crate::config::regime::{BnMomentum, RegimeConfig, RetrainSchedule, Rule, Source};

impl ExperimentConfig {
    /// Checks the config against the data set's sizes, known from its files' headers before any
    /// work: the evaluation and analysis images, the regimes' images and recalibration images
    /// (at most the training images the healthy model is to see), and the healthy model to
    /// train (its widths, that it fits in memory, its training settings). Every problem found
    /// is reported, not only the first. What needs the healthy model itself (its BatchNorm
    /// layers, the images a checkpoint held out) is checked once it is loaded.
    pub fn check_data(&self, split: &crate::data::Split) -> Result<(), ConfigError> {
        let mut errors = Vec::new();
        let (train, test) = (split.train.len(), split.test.len());
        if let Some(n) = self.data.eval_images.filter(|&n| n > test) {
            errors.push(out_of_range(
                "data.eval_images",
                n,
                &format!("at most the {test} images of the {} test set", split.name),
            ));
        }
        let eval = self.data.eval_images.unwrap_or(test).min(test);
        // The RDM takes its own images when rdm_images_per_class names them.
        let uses_images = self.analyses.iter().any(|a| match a {
            Analysis::Cka => true,
            Analysis::Rdm => self.analysis.rdm_images_per_class.is_none(),
            _ => false,
        });
        if uses_images && self.analysis.images > eval {
            errors.push(out_of_range(
                "analysis.images",
                self.analysis.images,
                &format!(
                    "at most the {eval} images of the evaluation set (data.eval_images), which \
                     the CKA and RDM analyses draw from"
                ),
            ));
        }
        let classes = split.test.num_classes();
        if self.analyses.contains(&Analysis::Rdm) && self.analysis.rdm_file_images < classes {
            errors.push(out_of_range(
                "analysis.rdm_file_images",
                self.analysis.rdm_file_images,
                &format!(
                    "at least one image of each of the {classes} classes of the {} test set",
                    split.name
                ),
            ));
        }
        let (seen, what) = self.seen_images(split);
        for (i, r) in self.regimes.iter().enumerate() {
            let at = format!("regime[{i}] ({})", r.name);
            if r.is_static {
                continue;
            }
            if let Some(n) = r.images.filter(|&n| n > seen && r.source != Source::Unseen) {
                errors.push(out_of_range(
                    format!("{at}.images"),
                    n,
                    &format!("at most {what}"),
                ));
            }
            if let Some(t) = self.healthy.train.as_ref().filter(|t| t.holdout.is_none()) {
                // A subset holds the rest of the training set out.
                let held_out = t.subset.map(|s| train.saturating_sub(s));
                errors.extend(r.unseen_problem(&at, held_out));
            }
            if let Some(n) = r.recalibrate_bn.filter(|&n| n > seen) {
                errors.push(out_of_range(
                    format!("{at}.recalibrate_bn"),
                    n,
                    &format!("at most {what}"),
                ));
            }
        }
        if let Some(n) = self.battery.images.filter(|&n| n > test) {
            if self.analyses.contains(&Analysis::Battery) {
                errors.push(out_of_range(
                    "battery.images",
                    n,
                    &format!("at most the {test} images of the {} test set", split.name),
                ));
            }
        }
        if let Some(t) = &self.healthy.train {
            if let Err(e) = t.to_spec(split) {
                errors.push(invalid("healthy.train", e.to_string()));
            }
        }
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(ConfigError::Several(errors)),
        }
    }

    /// How many training images the healthy model is to see (all, or all but those held out),
    /// with the words that name them in a message.
    fn seen_images(&self, split: &crate::data::Split) -> (usize, String) {
        let train = split.train.len();
        match &self.healthy.train {
            Some(t) => match (t.holdout, t.subset) {
                (Some(h), _) => (
                    train.saturating_sub(h),
                    format!(
                        "the {} training images the healthy model sees ({train} - holdout {h})",
                        train.saturating_sub(h)
                    ),
                ),
                (None, Some(s)) => (
                    s.min(train),
                    format!(
                        "the {} training images of [healthy.train] subset",
                        s.min(train)
                    ),
                ),
                (None, None) => (
                    train,
                    format!("the {train} images of the {} training set", split.name),
                ),
            },
            None => (
                train,
                format!("the {train} images of the {} training set", split.name),
            ),
        }
    }
}
