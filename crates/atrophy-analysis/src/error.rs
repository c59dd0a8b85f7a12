//! The error type of the analysis kernels.
//!
//! Every quantity in this module is either a finite number or an [`AnalysisError`] that says why
//! it could not be computed. A constant layer, a too-small sample or mismatched shapes never turn
//! into a silent NaN that would poison a CKA matrix or a tau curve further downstream.

use std::path::PathBuf;

/// Why an analysis could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// Two inputs that must describe the same items (images, pairs, synapses) do not agree.
    #[error("shape mismatch in {what}: left has shape {left:?}, right has shape {right:?}")]
    ShapeMismatch {
        /// Which comparison was attempted, e.g. "linear CKA (rows = images)".
        what: &'static str,
        /// Shape of the first input.
        left: Vec<usize>,
        /// Shape of the second input.
        right: Vec<usize>,
    },
    /// An input has a shape the operation cannot use at all (e.g. a non-square RDM).
    #[error("bad shape for {what}: got {shape:?}, expected {expected}")]
    BadShape {
        /// The operation.
        what: &'static str,
        /// The shape received.
        shape: Vec<usize>,
        /// What was expected, in words.
        expected: &'static str,
    },
    /// The input has no variation, so the normalised quantity is 0/0.
    #[error("{what} is undefined: {which} has zero variance (a constant layer or vector)")]
    ZeroVariance {
        /// The quantity, e.g. "linear CKA".
        what: &'static str,
        /// Which input (or which row) is constant.
        which: String,
    },
    /// A similarity overflowed float64 (inputs of enormous magnitude): the normalised quantity
    /// would be inf / inf.
    #[error("{what} is undefined: {which} overflows (values too large; rescale the input)")]
    Overflow {
        /// The quantity, e.g. "linear CKA".
        what: &'static str,
        /// Which similarity overflowed.
        which: String,
    },
    /// Too few samples for the requested estimator.
    #[error("{what} needs at least {needed} samples, got {got}")]
    TooFewSamples {
        /// The estimator.
        what: &'static str,
        /// The minimum it needs (4 for the unbiased HSIC estimator).
        needed: usize,
        /// How many it got.
        got: usize,
    },
    /// A NaN or infinity in the input; comparing or ranking it would give meaningless results.
    #[error("{what}: input {which} contains a non-finite value at flat index {index}")]
    NonFinite {
        /// The operation.
        what: &'static str,
        /// Which input.
        which: &'static str,
        /// Flat (row-major) index of the first offending value.
        index: usize,
    },
    /// An invalid parameter value (e.g. a non-positive bandwidth fraction, k = 0).
    #[error("invalid parameter {name} = {value}: {reason}")]
    InvalidParameter {
        /// Parameter name as the user would write it.
        name: &'static str,
        /// The value received, formatted.
        value: String,
        /// What is allowed.
        reason: &'static str,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {message}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// Result alias for the analysis module.
pub type Result<T> = std::result::Result<T, AnalysisError>;

impl AnalysisError {
    /// Shorthand for a [`AnalysisError::ShapeMismatch`].
    pub(crate) fn mismatch(what: &'static str, left: &[usize], right: &[usize]) -> Self {
        Self::ShapeMismatch {
            what,
            left: left.to_vec(),
            right: right.to_vec(),
        }
    }

    /// Shorthand for an [`AnalysisError::Io`] error about `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, message: impl std::fmt::Display) -> Self {
        Self::Io {
            path: path.into(),
            message: message.to_string(),
        }
    }
}
