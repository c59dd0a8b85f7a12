//! Data sets: CIFAR-10 and CIFAR-100 (binary distributions), MNIST and Fashion-MNIST (IDX), a deterministic
//! synthetic set, and folders of the user's own images; their location and download;
//! normalisation, augmentation and subsets.
//!
//! Images stay as bytes in memory ([`Dataset`]); [`fill_batch`] turns a batch of them into
//! normalised floats, augmenting on the way when asked.
pub mod cifar;
pub mod cifar100;
pub mod dataset;
pub mod error;
pub mod fetch;
pub mod folder;
pub mod idx;
pub mod locate;
pub mod subset;
pub mod synthetic;
pub mod transform;

pub use dataset::{Dataset, Split, Superclasses};
pub use error::DataError;
pub use locate::{canonical_name, load, load_or_fetch};
pub use subset::{balanced_subset, balanced_subset_among, random_subset};
pub use synthetic::{synthetic, SyntheticSpec};
pub use transform::{fill_batch, Augment, Normalization};
