//! The training images a healthy model held out (`holdout = H`, or `subset = N`): drawn again
//! from its recorded seed, and fingerprinted in its sidecar so that a draw that no longer gives
//! the same images is caught.
use super::healthy::HealthySpec;
use anyhow::Result;

impl HealthySpec {
    /// The training images this healthy model trained on and those it never saw, each in
    /// increasing order, when it trained on a seeded random subset (`subset = N`); `None` when it
    /// trained on all `n_train`.
    pub fn seen_and_held_out(&self, n_train: usize) -> Result<Option<(Vec<usize>, Vec<usize>)>> {
        let Some(r) = self.train_subset else {
            return Ok(None);
        };
        let drawn = crate::data::random_subset(
            n_train,
            r,
            &mut crate::seed::rng(self.seed, &[crate::seed::stream::HEALTHY_SUBSET]),
        )?;
        let mut was_seen = vec![false; n_train];
        for i in drawn {
            was_seen[i] = true;
        }
        let (seen, held): (Vec<usize>, Vec<usize>) = (0..n_train).partition(|&i| was_seen[i]);
        Ok(Some((seen, held)))
    }

    /// The training images this healthy model never saw, in increasing order, when it trained
    /// on a seeded random subset (`subset = N`); `None` when it trained on all `n_train`.
    pub fn held_out(&self, n_train: usize) -> Result<Option<Vec<usize>>> {
        Ok(self.seen_and_held_out(n_train)?.map(|(_, held)| held))
    }
}

/// What a healthy model's sidecar records of its making: the spec, the epochs trained and, for a
/// training that held images out, how many and their [`held_out_fingerprint`].
pub(super) fn provenance(
    spec: &HealthySpec,
    epochs: usize,
    n_train: usize,
) -> Result<serde_json::Value> {
    let mut p = serde_json::json!({ "healthy": spec, "epochs_trained": epochs });
    if let Some(held) = spec.held_out(n_train)? {
        p["held_out"] = serde_json::json!({
            "images": held.len(),
            "fnv1a": held_out_fingerprint(&held),
        });
    }
    Ok(p)
}

/// A fingerprint of held-out images (FNV-1a of their indices in increasing order, written as
/// decimal text joined by commas), so that a later draw of the held-out part that gives other
/// images (another version of the sampling code) is caught instead of retraining `unseen`
/// regimes on images the model saw.
pub fn held_out_fingerprint(held: &[usize]) -> String {
    let text: Vec<String> = held.iter().map(usize::to_string).collect();
    format!("{:016x}", crate::seed::name_key(&text.join(",")))
}
