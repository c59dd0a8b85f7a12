//! Differentiable Hebbian plasticity (P8; Miconi, Clune & Stanley 2018, used by paper 003), on
//! libtorch autograd through tch.
//!
//! A plastic connection carries a fixed weight `w`, learned by backpropagation, and a Hebbian
//! trace `Hebb` that changes during an episode, scaled by a learned plasticity coefficient
//! `alpha`: `y = sigma(x (w + alpha * Hebb))`, `Hebb <- eta x^T y + (1 - eta) Hebb`. Gradients
//! flow through the trace, so backpropagation through time learns *how* the network should
//! learn within an episode.
//!
//! - [`layer`]: the plastic layer, feed-forward and recurrent.
//! - [`pattern`]: Miconi's pattern-reconstruction task.
//! - [`denoise`]: convolutional denoising autoencoders with plastic layers after the encoder and
//!   the decoder (paper 003).
//! - [`classify`]: a plastic last layer against an ordinary softmax layer on MNIST (paper 003).
//! - [`paper003`]: both of paper 003's measured tasks as `atrophy reproduce 003` runs them.
pub mod classify;
pub mod denoise;
pub mod layer;
pub mod paper003;
pub mod pattern;

pub use layer::{Eta, PlasticLinear};
