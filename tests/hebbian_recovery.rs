//! Recovery by a local rule (`rule = "oja"`): the update against hand-worked values and Oja's
//! fixed point, the unfolding of conv inputs against the convolution itself, and a run in which
//! only the chosen layer's healthy synapses change.
#![cfg(feature = "torch")]
use atrophy::experiment::hebbian::{oja_update, unfold};
use atrophy::model::Op;
use tch::{Device, Kind, Tensor};

mod common;

fn t(v: &[f32], shape: &[i64]) -> Tensor {
    Tensor::from_slice(v).view(shape)
}

/// dw_j = eta (<y_j x> - <y_j^2> w_j / c_j) / <|x|^2>, by hand with eta = 0.5: w = (1, 0), one
/// input x = (1, 1) (power 2), y = 1, c = 1: dw = 0.5 ((1, 1) - (1, 0)) / 2 = (0, 0.25). With
/// c = 4: 0.5 ((1, 1) - (0.25, 0)) / 2 = (0.1875, 0.25). Inputs (2, 2) and (0, 0): <y x> = (2, 2),
/// <y^2> = 2, power 4: 0.5 ((2, 2) - (2, 0)) / 4 = (0, 0.25) again: the step does not grow with
/// the input's scale. A unit that never responds does not move.
#[test]
fn oja_update_by_hand_and_its_fixed_point() {
    let w = t(&[1.0, 0.0], &[1, 2]);
    let x = t(&[1.0, 1.0], &[2, 1]);
    let y = w.matmul(&x);
    let got = |dw: Tensor| Vec::<f32>::try_from(dw.flatten(0, -1)).unwrap();
    assert_eq!(
        got(oja_update(&w, &x, &y, &t(&[1.0], &[1]), 0.5)),
        [0.0, 0.25]
    );
    assert_eq!(
        got(oja_update(&w, &x, &y, &t(&[4.0], &[1]), 0.5)),
        [0.1875, 0.25]
    );
    let x2 = t(&[2.0, 0.0, 2.0, 0.0], &[2, 2]);
    let y2 = w.matmul(&x2);
    assert_eq!(
        got(oja_update(&w, &x2, &y2, &t(&[1.0], &[1]), 0.5)),
        [0.0, 0.25]
    );
    let dead = t(&[0.0, 1.0], &[1, 2]);
    let x3 = t(&[1.0, 0.0], &[2, 1]);
    let y3 = dead.matmul(&x3);
    assert_eq!(
        got(oja_update(&dead, &x3, &y3, &t(&[1.0], &[1]), 0.5)),
        [0.0, 0.0]
    );
    // Inputs with variance 4 along the first axis, 1 along the second: w turns to +-(sqrt c, 0).
    tch::manual_seed(0);
    let scale = t(&[2.0, 1.0], &[2, 1]);
    let mut w = t(&[0.6, 0.8], &[1, 2]);
    let c = t(&[9.0], &[1]);
    for _ in 0..3000 {
        let x = Tensor::randn([2, 64], (Kind::Float, Device::Cpu)) * &scale;
        let y = w.matmul(&x);
        w = &w + oja_update(&w, &x, &y, &c, 0.05);
    }
    let v: Vec<f32> = Vec::try_from(w.flatten(0, -1)).unwrap();
    assert!((v[0].abs() - 3.0).abs() < 0.15 && v[1].abs() < 0.3, "{v:?}");
}

/// The unfolded conv input times the flattened filters is the convolution (without bias), for
/// VGG's 3x3 stride 1 and CORnet-Z's V1 7x7 stride 2; a linear layer's matrices are its input
/// and output transposed.
#[test]
fn unfolded_patches_reproduce_the_convolution() {
    tch::manual_seed(1);
    for (kernel, stride) in [(3usize, 1usize), (7, 2)] {
        let x = Tensor::randn([2, 3, 11, 11], (Kind::Float, Device::Cpu));
        let w = Tensor::randn(
            [4, 3, kernel as i64, kernel as i64],
            (Kind::Float, Device::Cpu),
        );
        let p = (kernel / 2) as i64;
        let out = x.conv2d(&w, None::<Tensor>, [stride as i64; 2], [p, p], [1, 1], 1);
        let op = Op::Conv {
            cin: 3,
            cout: 4,
            kernel,
            stride,
        };
        let (xm, ym) = unfold(&op, &x, &out);
        let again = w.flatten(1, -1).matmul(&xm);
        let diff = (again - &ym).abs().max().double_value(&[]);
        assert!(diff < 1e-4, "kernel {kernel}: {diff}");
        assert_eq!(xm.size(), [3 * (kernel * kernel) as i64, ym.size()[1]]);
    }
    let x = Tensor::randn([5, 6], (Kind::Float, Device::Cpu));
    let y = Tensor::randn([5, 2], (Kind::Float, Device::Cpu));
    let (xm, ym) = unfold(&Op::Linear { fin: 6, fout: 2 }, &x, &y);
    assert!(xm.equal(&x.tr()) && ym.equal(&y.tr()));
}

/// With `rule_layers = ["conv1"]` and no supervised read-out, retraining changes conv1's healthy
/// synapses and nothing else, bit for bit; its ablated synapses stay 0. The static regime's
/// injured model of iteration 1 is the same injured model the Oja regime starts from.
#[test]
fn only_the_chosen_layers_healthy_synapses_change() {
    check_changed(false, &["conv1.weight"]);
    // A supervised read-out: the last layer (linear2) learns too, its bias included.
    check_changed(true, &["conv1.weight", "linear2.weight", "linear2.bias"]);
}

fn check_changed(supervised_last: bool, changing: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("oja.toml");
    let head = "name = \"oja\"\nseed = 2\ncycles = 1\nsave_models = true";
    let rest = r#"[injury]
kind = "ablation"
iterations = 1
fraction = 0.3

[[regime]]
name = "oja"
images = 200
batch_size = 50
rule = "oja"
rule_layers = ["conv1"]
supervised_last = SUPERVISED
hebbian_rate = 0.05

[[regime]]
name = "static"
static = true
"#
    .replace("SUPERVISED", &supervised_last.to_string());
    std::fs::write(&cfg, common::synthetic_config(head, 100, &rest)).unwrap();
    let out = tmp.path().join("out");
    common::run_experiment(&cfg, &out);
    let read = |d: &str| {
        atrophy::checkpoint::read_tensors(&out.join("models").join(d).join("model.safetensors"))
            .unwrap()
    };
    let injured = read("static_c0_i1_injured");
    let relearned = read("oja_c0_i1_retrained");
    for (name, a) in &injured {
        let b = &relearned.iter().find(|(n, _)| n == name).unwrap().1;
        if changing.contains(&name.as_str()) {
            // Biases are never ablated.
            let ablated = if name.ends_with("bias") {
                a.zeros_like().to_kind(Kind::Bool)
            } else {
                a.eq(0.0)
            };
            assert!(b.masked_select(&ablated).eq(0.0).all().int64_value(&[]) == 1);
            let healthy = ablated.logical_not();
            let changed = a.ne_tensor(b).logical_and(&healthy);
            let (c, h) = (
                changed.sum(Kind::Int64).int64_value(&[]),
                healthy.sum(Kind::Int64).int64_value(&[]),
            );
            // Most of them: a read-out weight whose input unit never fired in these batches
            // (ReLU) gets no gradient.
            assert!(c * 2 > h, "{name}: {c} of {h} healthy synapses changed");
        } else {
            assert!(a.equal(b), "{name} changed");
        }
    }
    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert!(
        metrics.contains("oja,0,1,") && metrics.contains(",retrained,"),
        "{metrics}"
    );
}

/// Bad local-rule settings name the regime and the field.
#[test]
fn bad_rule_settings_name_the_regime_and_field() {
    let base = "name = \"t\"\n[data]\ndataset = \"synthetic\"\n[healthy]\ncheckpoint = \"m\"\n[injury]\nkind = \"decay\"\niterations = 2\n[[regime]]\nname = \"R\"\n";
    let parse = |extra: &str| {
        atrophy::experiment::config::ExperimentConfig::from_toml(
            &format!("{base}{extra}"),
            "t.toml",
        )
        .and_then(|c| c.validate().map(|_| c))
        .unwrap_err()
        .to_string()
    };
    let e = parse("static = true\nrule = \"oja\"");
    assert!(
        e.contains("regime[0] (R).rule") && e.contains("static"),
        "{e}"
    );
    let e = parse("rule = \"oja\"\nhebbian_rate = 0.0");
    assert!(e.contains("regime[0] (R).hebbian_rate"), "{e}");
    let e = parse("rule_layers = [\"conv1\"]");
    assert!(e.contains("regime[0] (R).rule_layers"), "{e}");
    let e = parse("rule = \"stdp\"");
    assert!(
        e.contains("regime[0] (R)")
            && e.contains("rule")
            && e.contains("unknown variant `stdp`")
            && e.contains("backprop"),
        "{e}"
    );
    let c = atrophy::experiment::config::ExperimentConfig::from_toml(
        &format!("{base}rule = \"oja\""),
        "t.toml",
    )
    .unwrap();
    let e = c.check_against(true, true, 100).unwrap_err().to_string();
    assert!(
        e.contains("regime[0] (R).rule") && e.contains("TorchScript"),
        "{e}"
    );
}
