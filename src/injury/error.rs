//! Errors of the injury module: every message names the setting (as `injury.FIELD`), its value
//! and what was expected, or the layer whose data does not fit.
use super::config::Selection;

/// What can go wrong when checking an injury config or injuring a network.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum InjuryError {
    /// A setting lies outside its allowed range.
    #[error(transparent)]
    OutOfRange(#[from] crate::range::RangeError),
    /// A count that must not be smaller than `min`.
    #[error("{field} must be at least {min}")]
    TooSmall {
        /// The setting, e.g. `injury.saliency_batches`.
        field: String,
        /// The smallest allowed value.
        min: usize,
    },
    /// `units = true` with `kind = "decay"`.
    #[error(
        "injury.units = true needs injury.kind = \"ablation\" (whole units are ablated, not decayed)"
    )]
    UnitsNeedAblation,
    /// `units = true` with `scope = "global"`.
    #[error("injury.units = true works per layer: set injury.scope = \"per_layer\"")]
    UnitsNeedPerLayer,
    /// A progression with `scope = "per_layer"`.
    #[error(
        "injury.progression = \"{progression}\" decides which layers lose synapses, so the quota is \
         counted over the whole network: set injury.scope = \"global\" (per_layer gives every layer \
         the same share and leaves the progression nothing to decide)"
    )]
    ProgressionNeedsGlobal {
        /// The progression's word.
        progression: &'static str,
    },
    /// A progression with `units = true`.
    #[error("injury.progression = \"{progression}\" chooses single synapses: injury.units = true cannot go with it")]
    ProgressionWithUnits {
        /// The progression's word.
        progression: &'static str,
    },
    /// A progression with a selection other than random.
    #[error(
        "injury.progression = \"{progression}\" decides which synapses are injured, so \
         injury.selection must be \"random\" (it is {selection:?}; equal priorities are broken at random)"
    )]
    ProgressionWithSelection {
        /// The progression's word.
        progression: &'static str,
        /// The selection given.
        selection: Selection,
    },
    /// A progression asked for without its set-up ([`crate::injury::Disease`]).
    #[error("injury.progression = \"{progression}\" needs the disease set up on the network")]
    NoDisease {
        /// The progression's word.
        progression: &'static str,
    },
    /// The weights and the synapse states have a different number of layers.
    #[error("{weights} weight tensors for {layers} synapse layers")]
    LayerCount {
        /// Weight tensors given.
        weights: usize,
        /// Layers of synapse states.
        layers: usize,
    },
    /// A layer's weights and synapse states differ in length.
    #[error("{layer}: {weights} weights for {states} synapse states")]
    LayerSize {
        /// The layer's name.
        layer: String,
        /// Its number of weights.
        weights: usize,
        /// Its number of synapse states.
        states: usize,
    },
    /// A saliency-based selection was asked for without saliency scores.
    #[error("selection {selection:?} needs saliency scores")]
    NeedsScores {
        /// The selection (`Obd` or `Taylor`).
        selection: Selection,
    },
}

impl InjuryError {
    /// An [`InjuryError::OutOfRange`] for `field` holding `value`.
    pub fn out_of_range(
        field: impl Into<String>,
        value: impl std::fmt::Display,
        expected: impl Into<String>,
    ) -> InjuryError {
        InjuryError::OutOfRange(crate::range::RangeError::new(field, value, expected))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::injury::{injure, InjuryConfig, InjuryKind, Scope, SynapseStates};
    use rand::SeedableRng;

    fn decay() -> InjuryConfig {
        InjuryConfig {
            kind: InjuryKind::Decay,
            iterations: 10,
            gamma: 0.5,
            fraction: 0.2,
            selection: Selection::Random,
            scope: Scope::PerLayer,
            layers: vec![],
            units: false,
            saliency_batches: 1,
            ..InjuryConfig::with_defaults(InjuryKind::Decay, 10)
        }
    }

    fn message(cfg: InjuryConfig) -> String {
        cfg.validate().unwrap_err().to_string()
    }

    /// The messages are those of the string errors this type replaced, byte for byte.
    #[test]
    fn messages_are_unchanged() {
        assert_eq!(
            message(InjuryConfig {
                iterations: 0,
                ..decay()
            }),
            "injury.iterations = 0 is out of range: expected 1..=10000"
        );
        assert_eq!(
            message(InjuryConfig {
                gamma: 1.5,
                ..decay()
            }),
            "injury.gamma = 1.5 is out of range: expected 0 < gamma < 1"
        );
        assert_eq!(
            message(InjuryConfig {
                kind: InjuryKind::Ablation,
                fraction: 0.0,
                ..decay()
            }),
            "injury.fraction = 0 is out of range: expected 0 < fraction <= 1"
        );
        assert_eq!(
            message(InjuryConfig {
                units: true,
                ..decay()
            }),
            "injury.units = true needs injury.kind = \"ablation\" (whole units are ablated, not decayed)"
        );
        assert_eq!(
            message(InjuryConfig {
                kind: InjuryKind::Ablation,
                units: true,
                scope: Scope::Global,
                ..decay()
            }),
            "injury.units = true works per layer: set injury.scope = \"per_layer\""
        );
        assert_eq!(
            message(InjuryConfig {
                saliency_batches: 0,
                ..decay()
            }),
            "injury.saliency_batches must be at least 1"
        );

        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let mut states = SynapseStates::healthy(vec![("conv1.weight".into(), vec![2, 4], true)]);
        let e = injure(&mut states, &mut [], None, &decay(), 1, &mut rng).unwrap_err();
        assert_eq!(e.to_string(), "0 weight tensors for 1 synapse layers");
        let e = injure(
            &mut states,
            &mut [vec![0.0; 3]],
            None,
            &decay(),
            1,
            &mut rng,
        );
        assert_eq!(
            e.unwrap_err().to_string(),
            "conv1.weight: 3 weights for 8 synapse states"
        );
        let obd = InjuryConfig {
            selection: Selection::Obd,
            ..decay()
        };
        let e = injure(&mut states, &mut [vec![0.0; 8]], None, &obd, 1, &mut rng);
        assert_eq!(
            e.unwrap_err(),
            InjuryError::NeedsScores {
                selection: Selection::Obd
            }
        );
        assert_eq!(
            InjuryError::NeedsScores {
                selection: Selection::Taylor
            }
            .to_string(),
            "selection Taylor needs saliency scores"
        );
    }
}
