//! Network definitions: the VGG family with configurable widths (`vgg19_bn`, compressed
//! variants, paper 001's `vgg19`) and a small CNN for 28x28 inputs; named layers; activation
//! capture; parameter and FLOP counts.
pub mod arch;
pub mod areas;
#[cfg(feature = "torch")]
pub mod batchnorm;
pub mod budget;
pub mod cornet;
pub mod error;
#[cfg(feature = "torch")]
pub mod network;
pub mod ops;
#[cfg(feature = "torch")]
pub mod script;
#[cfg(feature = "torch")]
pub mod script_bn;
pub mod widths;

pub use arch::{
    widths_by_name, Activation, Architecture, LayerSpec, Op, ScriptArch, Stage, BENCH_WIDTHS,
    VGG19_WIDTHS,
};
#[cfg(feature = "torch")]
pub use batchnorm::BnMode;
pub use error::ModelError;
#[cfg(feature = "torch")]
pub use network::Network;
