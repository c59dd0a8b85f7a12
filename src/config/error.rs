//! Why an experiment config is invalid: one error type whose messages name the field, its value
//! and what was expected.

/// Why an experiment config is invalid; every message names the field and what was expected,
/// and the value where one value is at fault (a combination of values is named by its field).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// The file is not valid TOML, or a field has the wrong type or an unknown name.
    #[error("{origin}: {message}")]
    Parse {
        /// The file (or preset) the text came from.
        origin: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A value is outside its range.
    #[error(transparent)]
    OutOfRange(#[from] crate::range::RangeError),
    /// A value or combination of values that cannot work, with what to do instead.
    #[error("{field}: {message}")]
    Invalid {
        /// The field.
        field: String,
        /// What is wrong and what is expected.
        message: String,
    },
    /// The `[injury]` section is invalid.
    #[error(transparent)]
    Injury(#[from] crate::injury::InjuryError),
    /// More than one value is wrong: every one of them, one per line.
    #[error("{} problems:\n  {}", .0.len(), .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n  "))]
    Several(Vec<ConfigError>),
    /// The file named in the message has an invalid value.
    // Not a `#[source]`: the message holds it already, and `{:#}` would print it twice.
    #[error("{origin}: {error}")]
    In {
        /// The file (or preset).
        origin: String,
        /// What is wrong.
        error: Box<ConfigError>,
    },
}

pub(crate) fn out_of_range(
    field: impl Into<String>,
    value: impl ToString,
    expected: &str,
) -> ConfigError {
    ConfigError::OutOfRange(crate::range::RangeError::new(
        field,
        value.to_string(),
        expected,
    ))
}

pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}
