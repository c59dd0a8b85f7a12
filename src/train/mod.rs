//! Training and evaluation: SGD with momentum and weight decay that keeps frozen synapses
//! bitwise frozen, learning-rate schedules, the epoch loop, and classification metrics.
#[cfg(feature = "torch")]
pub(crate) mod epoch_state;
pub mod error;
#[cfg(feature = "torch")]
pub mod fit;
#[cfg(feature = "torch")]
pub mod optim;
pub mod options;
pub mod precision;
pub mod recipe;
pub mod schedule;

/// The plain evaluation record lives with the other results rows.
pub use crate::results::Evaluation;
pub use error::{ScheduleError, TrainError};
#[cfg(feature = "torch")]
pub use fit::{
    capture_activations, channels_last, evaluate, make_batch, misclassified, predictive_entropy,
    to_channels_last, train_epoch, Epoch, EpochStats, TrainConfig,
};
#[cfg(feature = "torch")]
pub use optim::{MaskedSgd, SgdConfig};
pub use options::{AugmentSetting, HealthyOptions, MAX_EPOCHS};
pub use precision::Precision;
pub use schedule::LrSchedule;
#[cfg(feature = "torch")]
pub mod healthy;
#[cfg(feature = "torch")]
mod held_out;
#[cfg(feature = "torch")]
pub use healthy::{finished_healthy, train_healthy, HealthySpec};
#[cfg(feature = "torch")]
pub use held_out::held_out_fingerprint;
