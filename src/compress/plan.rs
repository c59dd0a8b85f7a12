//! Which filters to keep (P2), until the FLOPs of a forward pass are at most the requested
//! fraction of the original's. Two scopes:
//! - [`Scope::Layer`] (the default): every conv layer keeps the same fraction of its filters,
//!   its strongest by L1 norm, as Li et al. prune and as Torch-Pruning (Fang et al., the tool
//!   paper 000 cites) does unless told to prune globally.
//! - [`Scope::Global`]: filters compete across layers by L1 norm per weight (the L1 norm over the
//!   filter's cin x 3 x 3 weights divided by their number) and the weakest go first, one at a
//!   time. With BatchNorm after every conv a filter's scale carries no meaning, and weight decay
//!   shrinks the deep layers' filters most: pruning a VGG19-BN to a quarter of its FLOPs this way
//!   left one filter in each of its last 13 convs (docs/RESULTS.md, "The compressed origin").
//!
//! The VGG-style networks only (3 x 3 convolutions).
//!
//! Removing output filter k of a conv removes channel k of its BatchNorm and input channel k of
//! the next conv, or the matching input features of the first linear layer: the plan only says
//! which filters stay; [`super::apply`] keeps every dependent tensor consistent.
use crate::model::arch::{format_widths, Architecture, Stage};

/// Where filters compete for survival.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Within each conv layer: every layer keeps the same fraction of its filters.
    #[default]
    Layer,
    /// Across the whole network, by L1 norm per weight.
    Global,
}

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
/// norm of filter f of conv layer l. Every layer keeps at least one filter.
/// - [`Scope::Layer`]: each layer of width w keeps `max(1, ceil(k w))` filters, its largest by L1
///   norm (ties: the lower index stays), for the largest fraction k that meets the target.
/// - [`Scope::Global`]: filters are ranked across layers by their mean absolute weight (L1 /
///   weights per filter) and removed weakest first; ties go to the later layer and the higher
///   index.
pub fn plan(
    arch: &Architecture,
    filter_l1: &[Vec<f64>],
    flops_keep: f64,
    scope: Scope,
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
    let with_widths: &dyn Fn(&[Vec<bool>]) -> Architecture = &with_widths;
    let original = arch.flops();
    let target = (flops_keep * original as f64).floor() as usize;
    let alive = match scope {
        Scope::Layer => layerwise(&convs, filter_l1, target, &with_widths),
        Scope::Global => global(arch, &convs, filter_l1, target, &with_widths),
    };
    let current = with_widths(&alive);
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

/// The filters each layer keeps when every layer keeps the same fraction k of its filters (its
/// strongest), k the largest of the fractions j / w that meets `target` (the widths grow with k,
/// and so do the FLOPs: a bisection over the sorted fractions finds it). Where even the smallest
/// fails, one filter per layer, for the caller to refuse.
fn layerwise(
    convs: &[usize],
    filter_l1: &[Vec<f64>],
    target: usize,
    with_widths: &dyn Fn(&[Vec<bool>]) -> Architecture,
) -> Vec<Vec<bool>> {
    // Exact fractions j / w as (j, w), compared by cross-multiplication.
    let mut fractions: Vec<(usize, usize)> = convs
        .iter()
        .flat_map(|&w| (1..=w).map(move |j| (j, w)))
        .collect();
    fractions.sort_by(|a, b| (a.0 * b.1).cmp(&(b.0 * a.1)));
    fractions.dedup_by(|a, b| a.0 * b.1 == b.0 * a.1);
    let alive_at = |(j, w): (usize, usize)| -> Vec<Vec<bool>> {
        convs
            .iter()
            .zip(filter_l1)
            .map(|(&width, norms)| {
                let kept = (j * width).div_ceil(w).clamp(1, width);
                let mut by_strength: Vec<usize> = (0..width).collect();
                by_strength.sort_by(|&a, &b| norms[b].total_cmp(&norms[a]).then(a.cmp(&b)));
                let mut alive = vec![false; width];
                for &f in &by_strength[..kept] {
                    alive[f] = true;
                }
                alive
            })
            .collect()
    };
    // The largest index whose fraction meets the target; the first if none does.
    let (mut lo, mut hi) = (0, fractions.len());
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if with_widths(&alive_at(fractions[mid])).flops() <= target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    alive_at(fractions[lo])
}

/// The filters that survive removing the weakest by L1 norm per weight, across layers, one at a
/// time until `target` is met or every layer is down to one filter.
fn global(
    arch: &Architecture,
    convs: &[usize],
    filter_l1: &[Vec<f64>],
    target: usize,
    with_widths: &dyn Fn(&[Vec<bool>]) -> Architecture,
) -> Vec<Vec<bool>> {
    let order = weakest_first(arch, convs, filter_l1);
    let mut alive: Vec<Vec<bool>> = convs.iter().map(|&w| vec![true; w]).collect();
    let mut left: Vec<usize> = convs.to_vec();
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
    alive
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
        let p = plan(
            &arch,
            &norms,
            (f0 - 10_000) as f64 / f0 as f64,
            Scope::Global,
        )
        .unwrap();
        assert_eq!(p.keep, vec![vec![0, 2, 3], vec![0, 1]]);
        assert_eq!(p.arch.widths, "3,M,2,M");
        assert_eq!(p.flops, (f0, 3 * 9 * 784 + 3 * 2 * 9 * 196 + 2 * 49 * 10));
        assert_eq!(
            p.params.1,
            (9 * 3 + 3) + 6 + (3 * 2 * 9 + 2) + 4 + (98 * 10 + 10)
        );
        // A tiny target leaves one filter per layer, then fails.
        let e = plan(&arch, &norms, 1e-6, Scope::Global).unwrap_err();
        assert!(e.contains("cannot be met"), "{e}");
        assert!(plan(&arch, &norms, 1.5, Scope::Layer)
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
        let p = plan(&arch, &norms, (f0 - 1) as f64 / f0 as f64, Scope::Global).unwrap();
        assert_eq!(p.keep, vec![vec![0, 1, 2, 3], vec![1]]);
        // CORnet's 7 x 7 V1 is not a stage of 3 x 3 convolutions: refused.
        let e = plan(&Architecture::cornet_z(10, true), &norms, 0.5, Scope::Layer).unwrap_err();
        assert!(e.contains("cornet_z32"), "{e}");
    }

    #[test]
    fn every_layer_keeps_the_same_fraction_of_its_strongest_filters() {
        // conv1: 1 -> 4, pool, conv2: 4 -> 2, pool, linear 2*7*7 -> 10 on 28x28 inputs.
        let arch = Architecture {
            widths: "4,M,2,M".into(),
            hidden: vec![],
            ..Architecture::small_cnn(10)
        };
        let macs = |a: usize, b: usize| a * 9 * 784 + a * b * 9 * 196 + b * 49 * 10;
        let f0 = arch.flops();
        assert_eq!(f0, macs(4, 2));
        // The fractions 1/4, 1/2, 3/4, 1 give widths (ceil(4k), ceil(2k)): (1,1), (2,1), (3,2),
        // (4,2). Exactly the MACs of (3, 2) keeps 3/4: conv1's three largest norms.
        let norms = vec![vec![36.0, 9.0, 27.0, 18.0], vec![180.0, 216.0]];
        let keep = |t: usize| (t as f64 + 0.5) / f0 as f64;
        let p = plan(&arch, &norms, keep(macs(3, 2)), Scope::Layer).unwrap();
        assert_eq!(p.keep, vec![vec![0, 2, 3], vec![0, 1]]);
        assert_eq!(p.flops, (f0, macs(3, 2)));
        // One MAC fewer: 1/2, conv1's two strongest and conv2's stronger.
        let p = plan(&arch, &norms, keep(macs(3, 2) - 1), Scope::Layer).unwrap();
        assert_eq!(p.keep, vec![vec![0, 2], vec![1]]);
        assert_eq!(p.arch.widths, "2,M,1,M");
        // Below (1, 1): refused, as globally.
        let e = plan(&arch, &norms, keep(macs(1, 1) - 1), Scope::Layer).unwrap_err();
        assert!(e.contains("cannot be met"), "{e}");
        // Ties keep the lower index.
        let flat = vec![vec![1.0; 4], vec![1.0; 2]];
        let p = plan(&arch, &flat, keep(macs(2, 1)), Scope::Layer).unwrap();
        assert_eq!(p.keep, vec![vec![0, 1], vec![0]]);
        // Weak deep filters (per weight 0.01 against conv1's >= 1) are what global ranking
        // takes first: conv2 goes down to one filter, and then conv1 loses its weakest. The
        // layer scope keeps both layers at the same fraction.
        let weak = vec![vec![36.0, 9.0, 27.0, 18.0], vec![0.36, 0.72]];
        let g = plan(&arch, &weak, keep(macs(3, 2) - 1), Scope::Global).unwrap();
        assert_eq!(g.arch.widths, "3,M,1,M");
        let l = plan(&arch, &weak, keep(macs(3, 2) - 1), Scope::Layer).unwrap();
        assert_eq!(l.arch.widths, "2,M,1,M");
    }

    /// The example of `atrophy compress --help`: a full-width `vgg19_bn` at `--flops-keep
    /// 0.087`, every layer by the same fraction, keeps about paper 000's 8.54 % of the
    /// parameters.
    #[test]
    fn the_help_example_keeps_about_the_papers_share_of_parameters() {
        let arch = Architecture::vgg19_bn(crate::model::widths::VGG19_WIDTHS, 10);
        let norms: Vec<Vec<f64>> = (arch.stages().unwrap().iter())
            .filter_map(|s| match s {
                Stage::Conv(w) => Some((0..*w).map(|f| f as f64).collect()),
                Stage::Pool => None,
            })
            .collect();
        let p = plan(&arch, &norms, 0.087, Scope::Layer).unwrap();
        let share = p.params.1 as f64 / p.params.0 as f64;
        assert!((0.083..0.087).contains(&share), "{share} {}", p.arch.widths);
    }
}
