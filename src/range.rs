//! The one error of a value outside its allowed range, shared by every setting's check (the
//! model's, the injury's, training's and the experiment config's), so that all of them read
//! `FIELD = VALUE is out of range: expected RANGE`.

/// A setting whose value lies outside its allowed range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} = {value} is out of range: expected {expected}")]
pub struct RangeError {
    /// The setting, e.g. `regime[0] (R1000).lr` or `dropout`.
    pub field: String,
    /// Its value, as written.
    pub value: String,
    /// The allowed range in words, e.g. `0 <= p < 1`.
    pub expected: String,
}

impl RangeError {
    /// `field` holding `value`, where `expected` was allowed.
    pub fn new(
        field: impl Into<String>,
        value: impl std::fmt::Display,
        expected: impl Into<String>,
    ) -> RangeError {
        RangeError {
            field: field.into(),
            value: value.to_string(),
            expected: expected.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_field_value_and_range() {
        assert_eq!(
            RangeError::new("dropout", 1.5, "0 <= p < 1").to_string(),
            "dropout = 1.5 is out of range: expected 0 <= p < 1"
        );
    }
}
