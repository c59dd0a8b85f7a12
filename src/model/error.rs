//! Errors of the model module: every message names the setting or layer, the value found and
//! what was expected.

/// What can go wrong when describing, building or running a network.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// A conv-width list holds something that is neither a positive integer nor `M`.
    #[error("bad width `{token}` in `{widths}`: expected a positive integer or M (max-pool)")]
    BadWidth {
        /// The offending entry.
        token: String,
        /// The whole list.
        widths: String,
    },
    /// A model preset name that does not exist.
    #[error("unknown model `{name}`: expected vgg19_bn, vgg19, small_cnn, cornet_z or cornet_z32")]
    UnknownModel {
        /// The name asked for.
        name: String,
    },
    /// A setting of the architecture lies outside its allowed range.
    #[error(transparent)]
    OutOfRange(#[from] crate::range::RangeError),
    /// The last feature map holds more features than the machine can count.
    #[error("{channels} channels of {map}x{map} (widths `{widths}`, input size {image_size}) are too many features")]
    TooManyFeatures {
        /// Channels of the last map.
        channels: usize,
        /// Its side.
        map: usize,
        /// The widths.
        widths: String,
        /// The input size.
        image_size: usize,
    },
    /// The input is too small for the number of max-pools in the widths.
    #[error(
        "widths `{widths}`: a max-pool meets a {map}x{map} map; input size {image_size} does not survive that many pools"
    )]
    TooManyPools {
        /// The conv-width list.
        widths: String,
        /// Height = width of the feature map the failing pool meets.
        map: usize,
        /// Height = width of the input images.
        image_size: usize,
    },
    /// A layer name that the network does not have.
    #[error("no layer named `{name}`; the layers are: {}", layers.join(", "))]
    UnknownLayer {
        /// The name asked for.
        name: String,
        /// Every layer of the network, in forward order.
        layers: Vec<String>,
    },
    /// A TorchScript file that cannot be used, with what was expected.
    #[error("{}: {message}", file.display())]
    TorchScript {
        /// The file.
        file: std::path::PathBuf,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A layer analysis asked of a TorchScript model without an `activations` method.
    #[error("{}: layer analyses (CKA, RDMs, activations) need the model to name its layers, and it defines no method `activations(x)`; add one that returns a Dict[str, Tensor] of the layers' outputs (see docs/torchscript.md), or ask for the logits only", file.display())]
    NoActivations {
        /// The TorchScript file.
        file: std::path::PathBuf,
    },
}

impl ModelError {
    /// A [`ModelError::OutOfRange`] for `field` holding `value`.
    pub fn out_of_range(
        field: impl Into<String>,
        value: impl std::fmt::Display,
        expected: impl Into<String>,
    ) -> ModelError {
        ModelError::OutOfRange(crate::range::RangeError::new(field, value, expected))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::arch::parse_widths;
    use crate::model::Architecture;

    /// The messages are those of the string errors this type replaced, byte for byte.
    #[test]
    fn messages_are_unchanged() {
        assert_eq!(
            parse_widths("64,x,M").unwrap_err().to_string(),
            "bad width `x` in `64,x,M`: expected a positive integer or M (max-pool)"
        );
        assert_eq!(
            Architecture::preset("resnet", None, 3, 32, 10)
                .unwrap_err()
                .to_string(),
            "unknown model `resnet`: expected vgg19_bn, vgg19, small_cnn, cornet_z or cornet_z32"
        );
        assert_eq!(
            Architecture::preset("small_cnn", Some("8,M,8,M,8,M"), 1, 4, 10)
                .unwrap_err()
                .to_string(),
            "widths `8,M,8,M,8,M`: a max-pool meets a 1x1 map; input size 4 does not survive that many pools"
        );
        let mut a = Architecture::small_cnn(10);
        a.dropout = 1.5;
        assert_eq!(
            a.layers().unwrap_err().to_string(),
            "dropout = 1.5 is out of range: expected 0 <= p < 1"
        );
        let a = Architecture::small_cnn(1);
        assert_eq!(
            a.layers().unwrap_err().to_string(),
            "num_classes = 1 is out of range: expected at least 2"
        );
        let e = ModelError::UnknownLayer {
            name: "conv9".into(),
            layers: vec!["conv1".into(), "relu1".into()],
        };
        assert_eq!(
            e.to_string(),
            "no layer named `conv9`; the layers are: conv1, relu1"
        );
    }
}
