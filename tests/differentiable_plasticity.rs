//! Differentiable plasticity (P8) against a plain re-implementation of its formulas, finite
//! differences, and the behaviour the task is built to show. The tests that draw from libtorch's
//! global generator hold `common::global_rng`, so that a parallel test's draw cannot fall between
//! another's seed and its weights.
#![cfg(feature = "torch")]
use atrophy::data::{synthetic, SyntheticSpec};
use atrophy::plasticity::differentiable::layer::Activation;
use atrophy::plasticity::differentiable::{classify, denoise, pattern, Eta, PlasticLinear};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tch::{nn, Device, Kind, Tensor};

mod common;
use common::global_rng;

fn set(t: &Tensor, values: &[f32]) {
    let mut t = t.shallow_clone();
    tch::no_grad(|| t.copy_(&Tensor::from_slice(values).view_as(&t)));
}

fn to_vec(t: &Tensor) -> Vec<f64> {
    Vec::<f64>::try_from(&t.flatten(0, -1).to_kind(Kind::Double)).unwrap()
}

/// P8 written out with explicit loops: y_j = sigma(sum_i (w_ij + alpha_ij H_ij) x_i + b_j),
/// H_ij <- eta x_i y_j + (1 - eta) H_ij.
struct Reference {
    w: Vec<Vec<f64>>,
    alpha: Vec<Vec<f64>>,
    b: Vec<f64>,
    eta: f64,
    hebb: Vec<Vec<f64>>,
}

impl Reference {
    fn step(&mut self, x: &[f64], input: Option<&[f64]>, sigma: fn(f64) -> f64) -> Vec<f64> {
        let (ni, no) = (self.w.len(), self.w[0].len());
        let y: Vec<f64> = (0..no)
            .map(|j| {
                let s: f64 = (0..ni)
                    .map(|i| (self.w[i][j] + self.alpha[i][j] * self.hebb[i][j]) * x[i])
                    .sum();
                sigma(s + self.b[j] + input.map_or(0.0, |v| v[j]))
            })
            .collect();
        for (row, &xi) in self.hebb.iter_mut().zip(x) {
            for (h, &yj) in row.iter_mut().zip(&y) {
                *h = self.eta * xi * yj + (1.0 - self.eta) * *h;
            }
        }
        y
    }
}

fn layer(ni: usize, no: usize, eta: Eta, bias: bool) -> (nn::VarStore, PlasticLinear, Reference) {
    tch::manual_seed(3);
    let vs = nn::VarStore::new(Device::Cpu);
    let l = PlasticLinear::new(&vs.root(), ni, no, eta, true, bias, 0.5).unwrap();
    let w: Vec<f32> = (0..ni * no)
        .map(|k| 0.3 * ((k as f32) * 0.7).sin())
        .collect();
    let a: Vec<f32> = (0..ni * no)
        .map(|k| 0.8 * ((k as f32) * 1.3).cos())
        .collect();
    set(&l.w, &w);
    set(l.alpha.as_ref().unwrap(), &a);
    let b: Vec<f32> = (0..no).map(|j| 0.1 * j as f32 - 0.05).collect();
    if let Some(t) = &l.bias {
        set(t, &b);
    }
    let grid = |v: &[f32]| {
        (0..ni)
            .map(|i| (0..no).map(|j| f64::from(v[i * no + j])).collect())
            .collect()
    };
    let r = Reference {
        w: grid(&w),
        alpha: grid(&a),
        b: if bias {
            b.iter().map(|&v| f64::from(v)).collect()
        } else {
            vec![0.0; no]
        },
        eta: eta.initial(),
        hebb: vec![vec![0.0; no]; ni],
    };
    (vs, l, r)
}

#[test]
fn feed_forward_steps_match_the_formulas() {
    let _rng = global_rng();
    let (_vs, l, mut r) = layer(3, 2, Eta::Fixed(0.3), true);
    let mut trace = l.zero_trace(1);
    for t in 0..6 {
        let x: Vec<f64> = (0..3).map(|i| ((t * 3 + i) as f64 * 0.9).sin()).collect();
        let xt = Tensor::from_slice(&x).to_kind(Kind::Float).view([1, 3]);
        let (y, next) = l.forward(&xt, &trace, Activation::Sigmoid);
        trace = next;
        let want = r.step(&x, None, |s| 1.0 / (1.0 + (-s).exp()));
        for (g, w) in to_vec(&y).iter().zip(&want) {
            assert!((g - w).abs() < 1e-6, "step {t}: {g} vs {w}");
        }
        let hebb = to_vec(&l.hebb(&trace).unwrap());
        let want_h: Vec<f64> = r.hebb.iter().flatten().copied().collect();
        for (g, w) in hebb.iter().zip(&want_h) {
            assert!((g - w).abs() < 1e-5, "Hebb at step {t}: {g} vs {w}");
        }
    }
}

#[test]
fn recurrent_steps_match_the_formulas() {
    let _rng = global_rng();
    let (_vs, l, mut r) = layer(4, 4, Eta::Learned(0.2), false);
    let mut trace = l.zero_trace(1);
    let mut y = Tensor::zeros([1, 4], (Kind::Float, Device::Cpu));
    let mut y_ref = vec![0.0; 4];
    for t in 0..8 {
        let input: Vec<f64> = (0..4).map(|i| ((t * 4 + i) as f64 * 0.37).cos()).collect();
        let it = Tensor::from_slice(&input).to_kind(Kind::Float).view([1, 4]);
        let (ny, nt) = l.recurrent(&y, &it, &trace);
        (y, trace) = (ny, nt);
        y_ref = r.step(&y_ref.clone(), Some(&input), f64::tanh);
        for (g, w) in to_vec(&y).iter().zip(&y_ref) {
            assert!((g - w).abs() < 1e-5, "step {t}: {g} vs {w}");
        }
    }
}

#[test]
fn a_sequence_unrolled_equals_step_by_step_updates() {
    let _rng = global_rng();
    let (_vs, l, _) = layer(5, 4, Eta::Learned(0.3), true);
    let xs: Vec<Tensor> = (0..7)
        .map(|t| {
            (Tensor::arange(10, (Kind::Float, Device::Cpu)).view([2, 5]) * (0.1 * t as f64 + 0.2))
                .sin()
        })
        .collect();
    let seq = l.forward_sequence(&xs, Activation::Sigmoid);
    let mut trace = l.zero_trace(2);
    for (t, x) in xs.iter().enumerate() {
        let (y, next) = l.forward(x, &trace, Activation::Sigmoid);
        trace = next;
        assert!(y.allclose(&seq[t], 1e-5, 1e-6, false), "step {t}");
    }
    // Gradients agree too (eta is learned).
    let g = |ys: &[Tensor]| {
        let loss = ys.last().unwrap().square().sum(Kind::Float);
        Tensor::run_backward(&[&loss], &[&l.eta, l.alpha.as_ref().unwrap()], false, false)
    };
    let mut steps = Vec::new();
    let mut trace = l.zero_trace(2);
    for x in &xs {
        let (y, next) = l.forward(x, &trace, Activation::Sigmoid);
        trace = next;
        steps.push(y);
    }
    for (a, b) in g(&seq).iter().zip(g(&steps).iter()) {
        assert!(a.allclose(b, 1e-4, 1e-6, false));
    }
}

#[test]
fn batch_rows_have_their_own_traces_and_a_batch_one_trace_is_shared() {
    let _rng = global_rng();
    let (_vs, l, _) = layer(3, 2, Eta::Fixed(0.5), false);
    let x = Tensor::from_slice(&[1.0f32, 0.5, -1.0, -0.3, 0.8, 0.2]).view([2, 3]);
    let (_, trace) = l.forward(&x, &l.zero_trace(2), Activation::Tanh);
    // Row 0 alone gives row 0's trace.
    let (_, t0) = l.forward(&x.narrow(0, 0, 1), &l.zero_trace(1), Activation::Tanh);
    assert!(trace.get(0).allclose(&t0.get(0), 1e-6, 1e-7, false));
    assert!(!trace.get(0).allclose(&trace.get(1), 1e-3, 1e-3, false));
    // A frozen trace of batch 1 applied to two rows equals applying it row by row.
    let both = l.pre_activation(&x, &t0);
    let row1 = l.pre_activation(&x.narrow(0, 1, 1), &t0);
    assert!(both.get(1).allclose(&row1.get(0), 1e-6, 1e-7, false));
}

/// Carrying Hebb itself and weighing it by alpha gives the same trace as carrying alpha * Hebb,
/// and a loss on the weighted trace has a gradient for alpha even when Hebb is detached.
#[test]
fn the_unweighted_trace_weighed_by_alpha_is_the_weighted_trace() {
    let _rng = global_rng();
    let (_vs, l, _) = layer(3, 2, Eta::Fixed(0.3), false);
    let xs = [
        Tensor::from_slice(&[1.0f32, 0.5, -1.0]).view([1, 3]),
        Tensor::from_slice(&[-0.3f32, 0.8, 0.2]).view([1, 3]),
    ];
    let (mut weighted, mut hebb) = (l.zero_trace(1), l.zero_trace(1));
    for x in &xs {
        let y = l.pre_activation(x, &weighted).tanh();
        weighted = l.update_trace(&weighted, x, &y);
        hebb = l.update_hebb(&hebb, x, &y);
    }
    assert!(l.weigh(&hebb).allclose(&weighted, 1e-6, 1e-7, false));
    let alpha = l.alpha.as_ref().unwrap();
    l.pre_activation(&xs[0], &l.weigh(&hebb.detach()))
        .sum(tch::Kind::Float)
        .backward();
    assert!(alpha.grad().abs().sum(tch::Kind::Float).double_value(&[]) > 0.0);
}

/// d loss / d (alpha, eta, w) by autograd through several trace updates equals central finite
/// differences of the same loss.
#[test]
fn gradients_through_the_trace_match_finite_differences() {
    let _rng = global_rng();
    let (_vs, l, _) = layer(3, 3, Eta::Learned(0.25), false);
    let inputs: Vec<Tensor> = (0..5)
        .map(|t| {
            Tensor::from_slice(&[
                (t as f32).sin(),
                (t as f32 * 1.7).cos(),
                0.4 - 0.2 * t as f32,
            ])
            .view([1, 3])
        })
        .collect();
    let loss = |l: &PlasticLinear| {
        let mut trace = l.zero_trace(1);
        let mut y = Tensor::zeros([1, 3], (Kind::Float, Device::Cpu));
        for x in &inputs {
            (y, trace) = l.recurrent(&y, x, &trace);
        }
        (&y - Tensor::from_slice(&[0.5f32, -0.5, 0.25]))
            .square()
            .sum(Kind::Float)
    };
    let out = loss(&l);
    let params = [l.alpha.as_ref().unwrap(), &l.eta, &l.w];
    let grads = Tensor::run_backward(&[&out], &params, false, false);
    for (p, g) in params.iter().zip(&grads) {
        let n = p.numel();
        let base = to_vec(p);
        let g = to_vec(g);
        let mut checked = 0;
        for k in 0..n {
            let h = 1e-2f32;
            let mut plus = base.iter().map(|&v| v as f32).collect::<Vec<_>>();
            plus[k] += h;
            set(p, &plus);
            let fp = tch::no_grad(|| loss(&l).double_value(&[]));
            plus[k] -= 2.0 * h;
            set(p, &plus);
            let fm = tch::no_grad(|| loss(&l).double_value(&[]));
            set(p, &base.iter().map(|&v| v as f32).collect::<Vec<_>>());
            let fd = (fp - fm) / (2.0 * f64::from(h));
            assert!(
                (fd - g[k]).abs() < 2e-3 + 2e-2 * fd.abs(),
                "entry {k}: autograd {} vs finite difference {fd}",
                g[k]
            );
            checked += usize::from(g[k].abs() > 1e-3);
        }
        assert!(
            checked > 0,
            "all gradients near zero: the check would be vacuous"
        );
    }
}

#[test]
fn invalid_settings_are_errors() {
    let _rng = global_rng();
    let vs = nn::VarStore::new(Device::Cpu);
    for bad in [0.0, -0.1, 1.5, f64::NAN] {
        let e =
            PlasticLinear::new(&vs.root(), 2, 2, Eta::Fixed(bad), true, false, 0.01).unwrap_err();
        assert!(e.contains("0 < eta <= 1"), "{e}");
    }
    assert!(PlasticLinear::new(&vs.root(), 0, 2, Eta::Fixed(0.1), true, false, 0.01).is_err());
    let task = pattern::PatternTask {
        erased: 1.0,
        ..Default::default()
    };
    assert!(task.validate().unwrap_err().contains("erased"));
    // Patterns that do not fit the network.
    let net = PlasticLinear::new(&vs.root(), 8, 8, Eta::Fixed(0.1), true, false, 0.01).unwrap();
    let small = pattern::PatternTask {
        size: 6,
        ..Default::default()
    };
    let ep = small.episodes(1, Device::Cpu, &mut ChaCha8Rng::seed_from_u64(0));
    let e = pattern::run_episode(&net, &ep.inputs).unwrap_err();
    assert!(
        e.contains("patterns of 6 bits, but the network has 8 neurons"),
        "{e}"
    );
    let o = denoise::DenoiseOptions {
        noise_std: -1.0,
        ..Default::default()
    };
    assert!(o.validate().unwrap_err().contains("noise_std"));
}

#[test]
fn pattern_episodes_follow_miconis_protocol() {
    let _rng = global_rng();
    let task = pattern::PatternTask::default();
    assert_eq!(task.steps(), 5 * 2 * (6 + 4) + 6);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let ep = task.episodes(3, Device::Cpu, &mut rng);
    assert_eq!(ep.inputs.size(), [106, 3, 1000]);
    for b in 0..3 {
        let target = ep.targets.get(b);
        // Half the bits -1.
        assert_eq!(target.eq(-1.0).sum(Kind::Int64).int64_value(&[]), 500);
        let erased = ep.erased.get(b);
        assert_eq!(erased.sum(Kind::Float).double_value(&[]), 500.0);
        for t in 100..106 {
            // Test steps: 20 x the pattern where not erased, 0 where erased.
            let want = &target * 20.0 * (-&erased + 1.0);
            assert!(ep.inputs.get(t).get(b).equal(&want));
        }
        // Presentations: ten blocks of 6 steps showing one of the patterns, then 4 zero steps;
        // the target is among them.
        let mut shown = 0;
        for block in 0..10 {
            let first = ep.inputs.get(block * 10).get(b);
            for s in 1..6 {
                assert!(ep.inputs.get(block * 10 + s).get(b).equal(&first));
            }
            for s in 6..10 {
                assert_eq!(
                    ep.inputs
                        .get(block * 10 + s)
                        .get(b)
                        .abs()
                        .sum(Kind::Float)
                        .double_value(&[]),
                    0.0
                );
            }
            shown += i32::from(first.equal(&(&target * 20.0)));
        }
        assert_eq!(shown, 2, "the test pattern was shown twice");
    }
}

/// The point of the task: within-episode learning through the trace completes erased bits; the
/// non-plastic network of the same shape cannot beat chance on them.
#[test]
fn plastic_network_completes_patterns_the_non_plastic_one_cannot() {
    let _rng = global_rng();
    let task = pattern::PatternTask {
        size: 48,
        patterns: 3,
        ..Default::default()
    };
    let mut o = pattern::PatternOptions {
        task,
        episodes: 200,
        batch: 8,
        lr: 1e-2,
        // 66 steps per episode: eta = 0.03 keeps the first presentation in the trace
        // (0.97^60 = 0.16) while letting a short test learn fast.
        eta: Eta::Fixed(0.03),
        plastic: true,
        seed: 1,
    };
    let tail = |c: &[pattern::PatternPoint]| {
        c[c.len() - 50..]
            .iter()
            .map(|p| p.error_erased)
            .sum::<f64>()
            / 50.0
    };
    let (_, _, plastic) = pattern::train(&o, Device::Cpu, |_| {}).unwrap();
    o.plastic = false;
    let (_, _, fixed) = pattern::train(&o, Device::Cpu, |_| {}).unwrap();
    let (p, f) = (tail(&plastic), tail(&fixed));
    eprintln!("erased-bit sign error: plastic {p:.3}, non-plastic {f:.3}");
    // Chance is 0.5; the tail's 50 x 8 episodes of erased bits put its standard error near
    // 0.005, so 0.47 is far below what the non-plastic network can reach by luck.
    assert!(
        f > 0.47,
        "non-plastic network beat chance on erased bits: {f}"
    );
    assert!(p < 0.2, "plastic network did not learn: {p}");
}

fn small_images() -> atrophy::data::Split {
    synthetic(&SyntheticSpec {
        channels: 1,
        size: 12,
        classes: 4,
        train: 200,
        test: 40,
        noise: 30,
        seed: 5,
    })
}

#[test]
fn only_the_plastic_autoencoder_remembers_earlier_frames() {
    let _rng = global_rng();
    let split = small_images();
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    for plastic in [true, false] {
        let o = denoise::DenoiseOptions {
            plastic,
            latent: 8,
            ..Default::default()
        };
        let vs = nn::VarStore::new(Device::Cpu);
        let net = denoise::DenoisingAutoencoder::new(&vs.root(), 12, &o).unwrap();
        let ep = denoise::draw_episodes(&split.train, &o, 4, Device::Cpu, &mut rng).unwrap();
        assert_eq!(ep.frames.size(), [o.steps() as i64, 4, 1, 12, 12]);
        let y = net.forward(&ep.frames, false);
        assert_eq!(y.size(), [4, 144]);
        // Change everything but the last (noisy) frame.
        let t = o.steps() as i64;
        let other = ep.frames.copy();
        let _ = other.narrow(0, 0, t - 1).fill_(0.5);
        let y2 = net.forward(&other, false);
        let same = y.allclose(&y2, 1e-6, 1e-7, false);
        assert_eq!(same, !plastic, "plastic = {plastic}");
    }
    let e = denoise::DenoisingAutoencoder::new(
        &nn::VarStore::new(Device::Cpu).root(),
        10,
        &denoise::DenoiseOptions::default(),
    )
    .unwrap_err();
    assert!(e.contains("multiple of 4"), "{e}");
}

#[test]
fn denoising_training_lowers_the_test_error() {
    let _rng = global_rng();
    let split = small_images();
    let o = denoise::DenoiseOptions {
        latent: 16,
        episodes: 60,
        batch: 8,
        lr: 3e-3,
        ..Default::default()
    };
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let test: Vec<_> = (0..2)
        .map(|_| denoise::draw_episodes(&split.test, &o, 8, Device::Cpu, &mut rng).unwrap())
        .collect();
    let (_vs, _net, curve) =
        denoise::train(&o, &split.train, &test, 30, Device::Cpu, |_| {}).unwrap();
    let first = curve[0].train_mse;
    let last = curve.last().unwrap();
    assert!(curve.iter().filter(|p| p.test_mse.is_some()).count() == 2);
    assert!(
        last.train_mse < 0.7 * first,
        "train MSE {first} -> {}",
        last.train_mse
    );
    // The test error, against the same network after one step (the same seed, so the same
    // initial weights).
    let one = denoise::DenoiseOptions {
        episodes: 1,
        ..o.clone()
    };
    let (_, _, start) = denoise::train(&one, &split.train, &test, 1, Device::Cpu, |_| {}).unwrap();
    let (before, after) = (start[0].test_mse.unwrap(), last.test_mse.unwrap());
    eprintln!("test MSE {before} -> {after}");
    assert!(after < 0.8 * before, "test MSE {before} -> {after}");
}

#[test]
fn classifier_learns_and_evaluates_with_a_frozen_trace() {
    let _rng = global_rng();
    let split = synthetic(&SyntheticSpec {
        channels: 1,
        size: 28,
        classes: 3,
        train: 300,
        test: 60,
        noise: 40,
        seed: 8,
    });
    for plastic in [true, false] {
        let o = classify::ClassifyOptions {
            epochs: 4,
            images_per_epoch: 50,
            plastic,
            eval_images: 60,
            ..Default::default()
        };
        let curve = classify::train(&o, &split.train, &split.test, Device::Cpu, |_| {}).unwrap();
        assert_eq!(curve.len(), 4);
        let acc = curve.last().unwrap().test_accuracy;
        assert!(acc > 0.8, "plastic = {plastic}: accuracy {acc}");
        // The plasticity coefficients learn (the gradient reaches alpha through each step's
        // alpha * Hebb); the ordinary layer has none.
        let shift = curve.last().unwrap().alpha_shift;
        if plastic {
            assert!(shift > 1e-5, "alpha did not move: {shift}");
        } else {
            assert_eq!(shift, 0.0);
        }
    }
    // Evaluation reads the trace and never writes it: the trace is the same bit for bit after
    // it, a second evaluation gives the same numbers, and the trace is used (another trace,
    // another loss).
    let vs = nn::VarStore::new(Device::Cpu);
    tch::manual_seed(3);
    let net = classify::PlasticClassifier::new(&vs.root(), 28, 3, true, 0.01).unwrap();
    let trace = Tensor::randn([1, 128, 3], (Kind::Float, Device::Cpu)) * 0.5;
    let before = trace.copy();
    let first = classify::evaluate(&net, &trace, &split.test, 60, Device::Cpu);
    assert!(trace.equal(&before), "evaluation changed the trace");
    assert_eq!(
        first,
        classify::evaluate(&net, &trace, &split.test, 60, Device::Cpu)
    );
    let zero = net.last.zero_trace(1);
    let (_, other) = classify::evaluate(&net, &zero, &split.test, 60, Device::Cpu);
    assert_ne!(first.1, other, "the trace is not used");
    let bad = classify::ClassifyOptions {
        eta: 2.0,
        ..Default::default()
    };
    let e = classify::train(&bad, &split.train, &split.test, Device::Cpu, |_| {}).unwrap_err();
    assert!(e.contains("eta"), "{e}");
}

#[test]
fn pattern_demo_writes_curves_and_bad_options_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().to_str().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_atrophy"))
            .args(args)
            .env("ATROPHY_THREADS", "1")
            .output()
            .unwrap()
    };
    let o = run(&[
        "plasticity",
        "pattern",
        "--size",
        "16",
        "--episodes",
        "3",
        "--learn-eta",
        "--out",
        out,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(tmp.path().join("pattern.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 2 * 3);
    assert!(csv.lines().nth(1).unwrap().starts_with("plastic,1,"));
    assert!(csv.lines().nth(4).unwrap().starts_with("non-plastic,1,"));
    assert!(tmp.path().join("pattern.png").is_file());
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("plastic: sign error") && stdout.contains("non-plastic: sign error"));
    for (args, want) in [
        (vec!["pattern", "--eta", "0"], "0 < eta <= 1"),
        (vec!["pattern", "--size", "1"], "size must be >= 2"),
        (
            vec!["denoise", "--dataset", "cifar10"],
            "mnist or fashion-mnist",
        ),
        (vec!["classify", "--learn-eta"], "holds eta fixed"),
    ] {
        let mut full = vec!["plasticity"];
        full.extend(args);
        full.extend(["--out", out]);
        let o = run(&full);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(want), "{full:?}: {err}");
    }
}
