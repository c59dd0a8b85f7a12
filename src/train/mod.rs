//! Training and evaluation: SGD with momentum and weight decay that keeps frozen synapses
//! bitwise frozen, learning-rate schedules, the epoch loop, and classification metrics.
pub mod metrics;
pub mod schedule;
#[cfg(feature = "torch")]
pub mod fit;
#[cfg(feature = "torch")]
pub mod optim;

pub use metrics::Evaluation;
pub use schedule::LrSchedule;
#[cfg(feature = "torch")]
pub use fit::{evaluate, make_batch, train_epoch, EpochStats, TrainConfig};
#[cfg(feature = "torch")]
pub use optim::{MaskedSgd, SgdConfig};
#[cfg(feature = "torch")]
pub mod healthy;
#[cfg(feature = "torch")]
pub use healthy::{train_healthy, HealthyOptions, HealthySpec};
