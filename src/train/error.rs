//! Errors of the train module: every message names the setting or parameter, the value found and
//! what was expected.
use crate::model::ModelError;

/// What can go wrong when checking training settings or setting up the optimizer.
///
/// Variants that wrap another module's error show its message after a prefix naming the
/// setting; they do not report it again as their [`std::error::Error::source`], so that a chain
/// printed with `{:#}` does not repeat it.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// A setting lies outside its allowed range.
    #[error(transparent)]
    OutOfRange(#[from] crate::range::RangeError),
    /// The memory budget (`$ATROPHY_MEMORY_BUDGET`) does not read.
    #[error("{0}")]
    Budget(String),
    /// A count that must not be smaller than `min`.
    #[error("{field} must be at least {min}")]
    TooSmall {
        /// The setting, e.g. `epochs`.
        field: String,
        /// The smallest allowed value.
        min: usize,
    },
    /// Nesterov momentum asked for with momentum 0.
    #[error("nesterov needs momentum > 0 (as in torch.optim.SGD)")]
    NesterovWithoutMomentum,
    /// A training subset of no images, or of more images than the training set holds.
    #[error("subset = {subset} is out of range: expected 1..={images}")]
    SubsetOutOfRange {
        /// The subset size asked for.
        subset: usize,
        /// Images in the training set.
        images: usize,
    },
    /// A held-out part that holds nothing or leaves nothing to train on.
    #[error("holdout = {holdout} is out of range: expected 1 to {} of the {images} training images held out (at least one left to train on)", images.saturating_sub(1))]
    HoldoutOutOfRange {
        /// The number of images to hold out.
        holdout: usize,
        /// Images in the training set.
        images: usize,
    },
    /// `holdout` and `subset` both given: each says which images train.
    #[error("holdout = {holdout} and subset = {subset} both given: keep one (holdout = H trains on the other N - H images, as subset = N - H does)")]
    HoldoutWithSubset {
        /// The number of images to hold out.
        holdout: usize,
        /// The subset size asked for.
        subset: usize,
    },
    /// The model or widths options do not make a valid architecture.
    #[error("model/widths: {0}")]
    Architecture(ModelError),
    /// The schedule option does not parse.
    #[error("schedule: {0}")]
    Schedule(ScheduleError),
    /// A mask names a parameter the optimizer does not update.
    #[error("no trainable parameter `{name}`")]
    UnknownParameter {
        /// The parameter's name.
        name: String,
    },
    /// A mask whose shape differs from its parameter's.
    #[error("mask for `{name}` has shape {shape:?}, expected {expected:?}")]
    MaskShape {
        /// The parameter's name.
        name: String,
        /// The mask's shape.
        shape: Vec<i64>,
        /// The parameter's shape.
        expected: Vec<i64>,
    },
    /// A mask on a parameter whose element kind is not a float kind.
    #[error("`{name}`: cannot mask a parameter of kind {kind}")]
    MaskKind {
        /// The parameter's name.
        name: String,
        /// The parameter's element kind, as libtorch names it (e.g. `Int64`).
        kind: String,
    },
    /// Saved optimizer state names a parameter the optimizer does not update.
    #[error("optimizer state names unknown parameter `{name}`")]
    UnknownBuffer {
        /// The parameter's name.
        name: String,
    },
    /// Saved optimizer state whose shape differs from its parameter's.
    #[error("optimizer state for `{name}` has shape {shape:?}, expected {expected:?}")]
    BufferShape {
        /// The parameter's name.
        name: String,
        /// The saved buffer's shape.
        shape: Vec<i64>,
        /// The parameter's shape.
        expected: Vec<i64>,
    },
}

impl TrainError {
    /// A [`TrainError::OutOfRange`] for `field` holding `value`.
    pub fn out_of_range(
        field: impl Into<String>,
        value: impl std::fmt::Display,
        expected: impl Into<String>,
    ) -> TrainError {
        TrainError::OutOfRange(crate::range::RangeError::new(field, value, expected))
    }
}

/// Why a learning-rate schedule such as `step:30:0.1` does not parse.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    /// A number that does not parse as one.
    #[error("schedule `{spec}`: `{token}` is not a number")]
    NotANumber {
        /// The whole schedule.
        spec: String,
        /// The offending part.
        token: String,
    },
    /// A step interval that is not a whole number of epochs.
    #[error("schedule `{spec}`: `{token}` is not a whole number of epochs")]
    NotWholeEpochs {
        /// The whole schedule.
        spec: String,
        /// The offending part.
        token: String,
    },
    /// A step schedule that drops every 0 epochs, or by a factor that is not in (0, 1].
    #[error("schedule `{spec}`: step:EVERY:GAMMA needs EVERY >= 1 epochs and 0 < GAMMA <= 1")]
    StepRange {
        /// The whole schedule.
        spec: String,
    },
    /// A one-cycle warm-up fraction outside (0, 1).
    #[error("schedule `{spec}`: pct_start must be in (0, 1)")]
    PctStart {
        /// The whole schedule.
        spec: String,
    },
    /// A schedule of no known kind.
    #[error(
        "unknown schedule `{spec}`: expected constant, step:EVERY:GAMMA, cosine or onecycle[:PCT]"
    )]
    Unknown {
        /// The whole schedule.
        spec: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::LrSchedule;

    /// The messages are those of the string errors this type replaced, byte for byte.
    #[test]
    fn messages_are_unchanged() {
        let parse = |s: &str| LrSchedule::parse(s).unwrap_err().to_string();
        assert_eq!(
            parse("onecycle:x"),
            "schedule `onecycle:x`: `x` is not a number"
        );
        assert_eq!(
            parse("step:30:y"),
            "schedule `step:30:y`: `y` is not a number"
        );
        assert_eq!(
            parse("step:1.5:0.1"),
            "schedule `step:1.5:0.1`: `1.5` is not a whole number of epochs"
        );
        assert_eq!(
            parse("onecycle:1.5"),
            "schedule `onecycle:1.5`: pct_start must be in (0, 1)"
        );
        assert_eq!(
            parse("linear"),
            "unknown schedule `linear`: expected constant, step:EVERY:GAMMA, cosine or onecycle[:PCT]"
        );
        let schedule = TrainError::Schedule(LrSchedule::parse("linear").unwrap_err());
        assert_eq!(
            schedule.to_string(),
            "schedule: unknown schedule `linear`: expected constant, step:EVERY:GAMMA, cosine or onecycle[:PCT]"
        );
        let arch = crate::model::Architecture::preset("resnet", None, 3, 32, 10).unwrap_err();
        assert_eq!(
            TrainError::Architecture(arch).to_string(),
            "model/widths: unknown model `resnet`: expected vgg19_bn, vgg19, small_cnn, cornet_z or cornet_z32"
        );
        assert_eq!(
            TrainError::SubsetOutOfRange {
                subset: 0,
                images: 60000
            }
            .to_string(),
            "subset = 0 is out of range: expected 1..=60000"
        );
        assert_eq!(
            TrainError::UnknownParameter { name: "w".into() }.to_string(),
            "no trainable parameter `w`"
        );
        assert_eq!(
            TrainError::MaskShape {
                name: "w".into(),
                shape: vec![3],
                expected: vec![2, 2]
            }
            .to_string(),
            "mask for `w` has shape [3], expected [2, 2]"
        );
        assert_eq!(
            TrainError::MaskKind {
                name: "w".into(),
                kind: "Int64".into()
            }
            .to_string(),
            "`w`: cannot mask a parameter of kind Int64"
        );
        assert_eq!(
            TrainError::UnknownBuffer { name: "v".into() }.to_string(),
            "optimizer state names unknown parameter `v`"
        );
        assert_eq!(
            TrainError::BufferShape {
                name: "w".into(),
                shape: vec![3],
                expected: vec![2, 2]
            }
            .to_string(),
            "optimizer state for `w` has shape [3], expected [2, 2]"
        );
    }

    /// [`crate::train::TrainConfig::validate`]'s messages: each names the field, its value and the range ([`crate::range::RangeError`]'s form).
    #[cfg(feature = "torch")]
    #[test]
    fn validation_messages_name_field_value_and_range() {
        use crate::train::{SgdConfig, TrainConfig};
        let ok = TrainConfig {
            epochs: 1,
            batch_size: 8,
            sgd: SgdConfig {
                lr: 0.1,
                momentum: 0.9,
                weight_decay: 0.0,
                nesterov: false,
            },
            schedule: LrSchedule::Constant,
            augment: None,
            ..Default::default()
        };
        assert!(ok.validate().is_ok());
        let message = |change: &dyn Fn(&mut TrainConfig)| {
            let mut c = ok.clone();
            change(&mut c);
            c.validate().unwrap_err().to_string()
        };
        assert_eq!(message(&|c| c.epochs = 0), "epochs must be at least 1");
        assert_eq!(
            message(&|c| c.batch_size = 0),
            "batch_size must be at least 1"
        );
        assert_eq!(
            message(&|c| c.sgd.lr = -1.0),
            "lr = -1 is out of range: expected a positive number"
        );
        assert_eq!(
            message(&|c| c.sgd.momentum = 1.0),
            "momentum = 1 is out of range: expected 0 <= momentum < 1"
        );
        assert_eq!(
            message(&|c| {
                c.sgd.momentum = 0.0;
                c.sgd.nesterov = true
            }),
            "nesterov needs momentum > 0 (as in torch.optim.SGD)"
        );
        assert_eq!(
            message(&|c| c.sgd.weight_decay = -0.5),
            "weight_decay = -0.5 is out of range: expected a finite number >= 0"
        );
    }
}
