//! Injury: the state of every synapse and the injuries of the papers — progressive decay with
//! freezing (P3), progressive ablation (P4), targeted variants (magnitude, Optimal Brain Damage,
//! first-order Taylor) and unit ablation — per layer or global.
//!
//! Everything here works on plain `f32` slices; `experiment` moves weights between libtorch and
//! these functions.
pub mod config;
pub mod connectome;
pub mod error;
pub mod inflict;
pub mod progression;
pub mod spread;
pub mod state;

pub use config::{InjuryConfig, InjuryKind, Scope, Selection};
pub use error::InjuryError;
pub use inflict::{ablation_quota, decay_quota, injure, injure_with, InjuryReport};
pub use progression::{Area, Disease, LayerDamage, Progression};
pub use state::{
    LayerSynapses, Synapse, SynapseCount, SynapseState, SynapseStates, ABLATED, HEALTHY,
};
