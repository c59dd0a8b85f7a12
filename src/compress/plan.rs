//! Which filters to keep (P2): filters with the smallest L1 norm per weight (the L1 norm over
//! the filter's cin x 3 x 3 weights divided by their number, so that layers of different fan-in
//! compare) go first, one at a time, until the FLOPs of a forward pass are at most the
//! requested fraction of the original's. The VGG-style networks only (3 x 3 convolutions).
//!
//! Removing output filter k of a conv removes channel k of its BatchNorm and input channel k of
//! the next conv, or the matching input features of the first linear layer: the plan only says
//! which filters stay; [`super::apply`] keeps every dependent tensor consistent.
use crate::model::arch::{format_widths, Architecture, Stage};

/// The outcome of planning.
#[derive(Clone, Debug, PartialEq)]
pub struct PrunePlan {
    /// For each conv layer in order, the indices of the filters it keeps (ascending).
    pub keep: Vec<Vec<usize>>,
    /// The pruned architecture (same kind, new widths).
    pub arch: Architecture,
    /// Multiply-accumulates per image before and after.
    pub flops: (usize, usize),
    /// Trainable parameters before and after.
    pub params: (usize, usize),
}

/// Plans the pruning of `arch` to at most `flops_keep` of its FLOPs. `filter_l1[l][f]` is the L1
/// norm of filter f of conv layer l. Filters are ranked across layers by their mean absolute
/// weight (L1 / weights per filter), so layers of different fan-in compete fairly; ties go to
/// the later layer and the higher index, and every layer keeps at least one filter.
pub fn plan(
    arch: &Architecture,
    filter_l1: &[Vec<f64>],
    flops_keep: f64,
) -> Result<PrunePlan, String> {
    if !(flops_keep > 0.0 && flops_keep <= 1.0) {
        return Err(format!(
            "--flops-keep {flops_keep} is out of range: expected 0 < F <= 1"
        ));
    }
    if arch.is_cornet() || arch.torchscript.is_some() {
        return Err(format!(
            "compression plans the VGG-style built-in networks (3 x 3 convolutions in stages); \
             {} is not one",
            arch.kind
        ));
    }
    let stages = arch.stages().map_err(|e| e.to_string())?;
    let convs: Vec<usize> = stages
        .iter()
        .filter_map(|s| {
            if let Stage::Conv(w) = s {
                Some(*w)
            } else {
                None
            }
        })
        .collect();
    if convs.is_empty() {
        return Err(format!(
            "model `{}` has no convolutional filters to prune",
            arch.kind
        ));
    }
    if filter_l1.len() != convs.len() || filter_l1.iter().zip(&convs).any(|(n, &w)| n.len() != w) {
        return Err(format!(
            "filter norms for {} conv layers do not match the widths {}",
            filter_l1.len(),
            arch.widths
        ));
    }
    let with_widths = |alive: &[Vec<bool>]| with_widths(arch, &stages, alive);
    let original = arch.flops();
    let target = (flops_keep * original as f64).floor() as usize;
    let order = weakest_first(arch, &convs, filter_l1);
    let mut alive: Vec<Vec<bool>> = convs.iter().map(|&w| vec![true; w]).collect();
    let mut left: Vec<usize> = convs.clone();
    let mut current = with_widths(&alive);
    for &(_, l, f) in &order {
        if current.flops() <= target {
            break;
        }
        if left[l] == 1 {
            continue;
        }
        alive[l][f] = false;
        left[l] -= 1;
        current = with_widths(&alive);
    }
    if current.flops() > target {
        return Err(format!(
            "--flops-keep {flops_keep} cannot be met: with one filter left in every conv the model still needs {} of {} MACs ({:.4} %)",
            current.flops(),
            original,
            100.0 * current.flops() as f64 / original as f64
        ));
    }
    let keep = alive
        .iter()
        .map(|a| (0..a.len()).filter(|&i| a[i]).collect())
        .collect();
    Ok(PrunePlan {
        keep,
        flops: (original, current.flops()),
        params: (arch.parameter_count(), current.parameter_count()),
        arch: current,
    })
}

/// `arch` with only the `alive` filters of each conv layer of `stages`.
fn with_widths(arch: &Architecture, stages: &[Stage], alive: &[Vec<bool>]) -> Architecture {
    let mut k = 0;
    let new: Vec<Stage> = stages
        .iter()
        .map(|s| match s {
            Stage::Conv(_) => {
                let w = alive[k].iter().filter(|&&a| a).count();
                k += 1;
                Stage::Conv(w)
            }
            Stage::Pool => Stage::Pool,
        })
        .collect();
    Architecture {
        widths: format_widths(&new),
        ..arch.clone()
    }
}

/// Every filter as (mean absolute weight, layer, index), weakest first: the L1 norm is divided
/// by the filter's fan-in (input channels x 3 x 3) so that layers compete fairly; ties go to the
/// later layer and the higher index.
fn weakest_first(
    arch: &Architecture,
    convs: &[usize],
    filter_l1: &[Vec<f64>],
) -> Vec<(f64, usize, usize)> {
    let mut cin = arch.in_channels;
    let fan_in: Vec<f64> = convs
        .iter()
        .map(|&w| {
            let f = (cin * 9) as f64;
            cin = w;
            f
        })
        .collect();
    let mut order: Vec<(f64, usize, usize)> = filter_l1
        .iter()
        .enumerate()
        .flat_map(|(l, n)| {
            let fan = fan_in[l];
            n.iter().enumerate().map(move |(f, &v)| (v / fan, l, f))
        })
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)).then(b.2.cmp(&a.2)));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_weakest_filters_until_the_target_and_counts_by_hand() {
        // conv1: 1 -> 4, pool, conv2: 4 -> 2, pool, linear 2*7*7 -> 10 on 28x28 inputs.
        let arch = Architecture {
            widths: "4,M,2,M".into(),
            hidden: vec![],
            ..Architecture::small_cnn(10)
        };
        let norms = vec![
            vec![9.0 * 4.0, 9.0 * 1.0, 9.0 * 3.0, 9.0 * 2.0],
            vec![36.0 * 5.0, 36.0 * 6.0],
        ];
        let f0 = arch.flops();
        assert_eq!(f0, 4 * 9 * 784 + 4 * 2 * 9 * 196 + 2 * 49 * 10);
        // Dropping conv1's filter 1 (mean |w| 1) removes 9*784 + 2*9*196 MACs: 7056 + 3528.
        let p = plan(&arch, &norms, (f0 - 10_000) as f64 / f0 as f64).unwrap();
        assert_eq!(p.keep, vec![vec![0, 2, 3], vec![0, 1]]);
        assert_eq!(p.arch.widths, "3,M,2,M");
        assert_eq!(p.flops, (f0, 3 * 9 * 784 + 3 * 2 * 9 * 196 + 2 * 49 * 10));
        assert_eq!(
            p.params.1,
            (9 * 3 + 3) + 6 + (3 * 2 * 9 + 2) + 4 + (98 * 10 + 10)
        );
        // A tiny target leaves one filter per layer, then fails.
        let e = plan(&arch, &norms, 1e-6).unwrap_err();
        assert!(e.contains("cannot be met"), "{e}");
        assert!(plan(&arch, &norms, 1.5)
            .unwrap_err()
            .contains("out of range"));
        // Per weight, not raw L1: conv1's filter 1 has the smallest raw norm (9.5, over 9
        // weights: mean 1.06), conv2's filter 0 a larger one (30, over 36 weights: mean 0.83);
        // conv2's goes first.
        let norms = vec![
            vec![9.0 * 4.0, 9.5, 9.0 * 3.0, 9.0 * 2.0],
            vec![30.0, 36.0 * 6.0],
        ];
        // Any target below the original removes exactly one filter first.
        let p = plan(&arch, &norms, (f0 - 1) as f64 / f0 as f64).unwrap();
        assert_eq!(p.keep, vec![vec![0, 1, 2, 3], vec![1]]);
        // CORnet's 7 x 7 V1 is not a stage of 3 x 3 convolutions: refused.
        let e = plan(&Architecture::cornet_z(10, true), &norms, 0.5).unwrap_err();
        assert!(e.contains("cornet_z32"), "{e}");
    }
}
