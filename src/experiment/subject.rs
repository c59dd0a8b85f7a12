//! The model under study: the network with its VarStore, the names of its synapse tensors, the
//! input normalisation and the device, with the healthy weights and synapse states it returns
//! to at the start of every cycle. Every step of an experiment works on one of these.
use super::retrain::Pools;
use super::weights::{read_weights, restore, snapshot, write_weights};
use crate::checkpoint;
use crate::data::{Dataset, Normalization, Split};
use crate::injury::config::names_layer;
use crate::injury::{InjuryConfig, SynapseStates};
use crate::model::Network;
use crate::results::Evaluation;
use anyhow::{bail, Result};
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use tch::{nn, Device, Tensor};

/// The network being injured and retrained, and what every step needs to handle it.
pub struct Subject {
    /// Its variables.
    pub vs: nn::VarStore,
    /// The network.
    pub net: Network,
    /// The synapse tensors (`conv1.weight`, ..., `linearN.weight`), in forward order.
    pub synapse_names: Vec<String>,
    /// Input normalisation of the healthy model.
    pub norm: Normalization,
    /// Where it computes.
    pub device: Device,
    /// Which synapses are healthy, decaying or removed.
    pub states: SynapseStates,
    healthy_vars: Vec<(String, Tensor)>,
    healthy_states: SynapseStates,
    /// The progression model deciding where injuries fall (None: `uniform`), set up on the
    /// healthy model.
    pub disease: Option<crate::injury::Disease>,
    /// The training images the healthy model never saw (its training held them out), when
    /// its checkpoint records a training on a subset.
    pub unseen: Option<Vec<usize>>,
    /// The training images it trained on when it held some out (the complement of `unseen`).
    seen: Option<Vec<usize>>,
}

/// Every entry of `injury.layers` names one of the model's conv or linear layers, and together
/// they leave at least one to injure.
fn check_injured_layers(injury: &InjuryConfig, synapse_layers: &[String]) -> Result<()> {
    for p in &injury.layers {
        let named = p.trim_start_matches('!');
        if !synapse_layers.iter().any(|l| names_layer(named, l)) {
            bail!(
                "injury.layers: `{p}` matches no conv or linear layer of the model; they are {}",
                synapse_layers.join(", ")
            );
        }
    }
    if !synapse_layers.iter().any(|l| injury.injurable(l)) {
        bail!(
            "injury.layers = {:?} leaves no layer to injure; the conv and linear layers are {}",
            injury.layers,
            synapse_layers.join(", ")
        );
    }
    Ok(())
}

/// The training images the healthy model saw, and those it held out.
type SeenAndUnseen = (Option<Vec<usize>>, Option<Vec<usize>>);

/// The training images the healthy model saw and those it held out (None: all seen, as for a
/// model trained elsewhere), from the training record in its sidecar.
fn seen_and_unseen(
    checkpoint: &Path,
    meta: &checkpoint::CheckpointMeta,
    split: &Split,
) -> Result<SeenAndUnseen> {
    let t = &split.train;
    // A healthy model trained by atrophy records its training; one trained on a seeded
    // subset leaves the rest of the training set unseen (source = "unseen").
    let (seen, unseen) = match serde_json::from_value::<crate::train::HealthySpec>(
        meta.provenance["healthy"].clone(),
    ) {
        Ok(spec) if spec.dataset == split.name => spec.seen_and_held_out(t.len())?.unzip(),
        _ => (None, None),
    };
    // The held-out part is drawn again from the recorded seed; the sidecar's fingerprint
    // (written since 2026-11-30) says whether the draw still gives the same images.
    if let (Some(u), Some(want)) = (&unseen, meta.provenance["held_out"]["fnv1a"].as_str()) {
        if crate::train::held_out_fingerprint(u) != want {
            bail!(
                "healthy model {}: the {} training images it held out cannot be drawn again \
                 (the draw from its recorded seed gives other images, fingerprint {} instead \
                 of {want}: another version of the sampling code?); regimes with source = \
                 \"unseen\" could retrain on images it saw. Train the healthy model again",
                checkpoint.display(),
                u.len(),
                crate::train::held_out_fingerprint(u)
            );
        }
    }
    Ok((seen, unseen))
}

impl Subject {
    /// Loads the healthy checkpoint, checks that it takes the images of `split` and that every
    /// entry of `injury.layers` names one of its layers.
    pub fn load(
        checkpoint: &Path,
        split: &Split,
        injury: &InjuryConfig,
        device: Device,
    ) -> Result<Subject> {
        let (vs, net, meta) = checkpoint::load(checkpoint, device)?;
        let arch = &meta.architecture;
        let t = &split.train;
        if !arch.takes(t) {
            bail!(
                "healthy model {} does not take {} images ({}x{}x{}, {} classes)",
                checkpoint.display(),
                split.name,
                t.channels,
                t.height,
                t.width,
                t.num_classes()
            );
        }
        if let Some(name) = super::divergence::first_non_finite(&vs) {
            bail!(
                "healthy model {} has diverged: its parameter or buffer `{name}` holds NaN or \
                 infinite values (its training's loss exploded; see the training log beside it). \
                 An experiment cannot start from it: train it again with a lower learning rate",
                checkpoint.display()
            );
        }
        let synapse_layers = arch.synapse_layers();
        check_injured_layers(injury, &synapse_layers)?;
        let synapse_names: Vec<String> = synapse_layers
            .iter()
            .map(|l| format!("{l}.weight"))
            .collect();
        let vars = vs.variables();
        let healthy_states = SynapseStates::healthy(
            synapse_layers
                .iter()
                .zip(&synapse_names)
                .map(|(l, n)| {
                    (
                        n.clone(),
                        vars[n].size().iter().map(|&d| d as usize).collect(),
                        injury.injurable(l),
                    )
                })
                .collect(),
        );
        let (seen, unseen) = seen_and_unseen(checkpoint, &meta, split)?;
        Ok(Subject {
            disease: None,
            unseen,
            seen,
            healthy_vars: snapshot(&vs),
            states: healthy_states.clone(),
            healthy_states,
            norm: meta.normalization.clone(),
            vs,
            net,
            synapse_names,
            device,
        })
    }

    /// The training images regimes draw from: those the healthy model saw, and those it did not.
    pub fn pools(&self) -> Pools<'_> {
        Pools {
            seen: self.seen.as_deref(),
            unseen: self.unseen.as_deref(),
        }
    }

    /// Back to the healthy weights and synapse states (the start of a cycle).
    pub fn reset(&mut self) {
        restore(&self.vs, &self.healthy_vars);
        self.states = self.healthy_states.clone();
    }

    /// Injures the synapses for `iteration` of the schedule (P3 decay, P4 ablation); `scores`
    /// ranks them for saliency-based selection.
    pub fn injure(
        &mut self,
        injury: &InjuryConfig,
        iteration: usize,
        scores: Option<&[Vec<f32>]>,
        rng: &mut ChaCha8Rng,
    ) -> Result<()> {
        let mut weights = self.synapses();
        crate::injury::injure_with(
            &mut self.states,
            &mut weights,
            scores,
            self.disease.as_ref(),
            injury,
            iteration,
            rng,
        )?;
        write_weights(&self.vs, &self.synapse_names, &weights);
        Ok(())
    }

    /// The synapse tensors as flat host vectors.
    pub fn synapses(&self) -> Vec<Vec<f32>> {
        read_weights(&self.vs, &self.synapse_names)
    }

    /// Top-1, mean class-wise and per-class accuracy and the loss on `set`, in eval mode.
    pub fn evaluate(&self, set: &Dataset) -> Evaluation {
        crate::train::evaluate(&self.net, set, &self.norm, self.device, 500)
    }

    /// Indices of the images of `set` the network classifies wrongly now, in eval mode, in
    /// increasing order.
    pub fn misclassified(&self, set: &Dataset) -> Vec<usize> {
        crate::train::misclassified(&self.net, set, &self.norm, self.device, 500)
    }
}
