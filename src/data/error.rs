//! Errors of the data module: every message names the file and what was expected.
use std::path::PathBuf;

/// What can go wrong when reading, locating or downloading a data set.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file exists but does not hold what its format requires.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What was found and what was expected.
        message: String,
    },
    /// The data set was not found in any of the places searched.
    #[error("data set `{name}` not found; looked in:\n  {}\nGet it with `atrophy data fetch {name}`, or point `--data PATH` (or, without --data, $ATROPHY_DATA) at a folder that holds it", searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join("\n  "))]
    NotFound {
        /// The data set's name.
        name: String,
        /// Every place that was searched, in order.
        searched: Vec<PathBuf>,
    },
    /// A download failed or its checksum did not match.
    #[error("download of {file} failed: {message}")]
    Download {
        /// The file being downloaded.
        file: String,
        /// What happened.
        message: String,
    },
    /// A request that cannot be met with this data set (e.g. a subset larger than the set).
    #[error("{0}")]
    Invalid(String),
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }
    pub(crate) fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        DataError::Format {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Result type of the data module.
pub type Result<T> = std::result::Result<T, DataError>;
