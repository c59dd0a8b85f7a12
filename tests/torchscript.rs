//! TorchScript models against PyTorch: the fixtures of tests/fixtures/torchscript were made by
//! tests/torchscript_fixtures.py with the project's own torch, which also recorded what PyTorch
//! computes on fixed inputs (tiny_resnet.expected.json).
#![cfg(feature = "torch")]
use atrophy::data::{Dataset, Normalization};
use atrophy::model::{script, Network};
use std::path::{Path, PathBuf};
use tch::{nn, Device, Kind, Tensor};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/torchscript")
        .join(name)
}

fn expected() -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(fixture("tiny_resnet.expected.json")).unwrap()).unwrap()
}

/// The images of `fixed_images` in the fixture script: pixel i = (37 i + 11 (i / 28)) mod 256,
/// label = index mod 10.
fn fixed_images(n: usize) -> Dataset {
    let images = (0..n * 28 * 28)
        .map(|i| ((i * 37 + (i / 28) * 11) % 256) as u8)
        .collect();
    Dataset {
        channels: 1,
        height: 28,
        width: 28,
        images,
        labels: (0..n).map(|i| (i % 10) as u8).collect(),
        classes: (0..10).map(|c| format!("class{c}")).collect(),
        superclasses: None,
    }
}

fn load(file: &Path) -> (nn::VarStore, Network) {
    let arch = script::architecture(file, 1, 28, 10, true).unwrap();
    let vs = nn::VarStore::new(Device::Cpu);
    let net = Network::new(&vs.root(), &arch).unwrap();
    (vs, net)
}

/// What atrophy reads of the module: the synapses are the conv and linear weights under their
/// PyTorch names, the parameter count is PyTorch's, every buffer is in the VarStore, and the
/// layers are those `activations` returns, in its order.
#[test]
fn describes_the_module_as_pytorch_names_it() {
    let want = expected();
    let arch = script::architecture(&fixture("tiny_resnet.pt"), 1, 28, 10, true).unwrap();
    let s = arch.torchscript.as_ref().unwrap();
    let names: Vec<&str> = s.synapses.iter().map(|(n, _)| n.as_str()).collect();
    let want_synapses: Vec<&str> = want["synapses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(names, want_synapses);
    assert_eq!(s.synapses[1].1, [8, 8, 3, 3]);
    assert_eq!(
        arch.parameter_count() as u64,
        want["parameters"].as_u64().unwrap()
    );
    assert_eq!(arch.synapse_layers(), want_synapses);
    let layers: Vec<&str> = want["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(s.layers, layers);
    assert!(arch.batch_norm);
    let (vs, net) = load(&fixture("tiny_resnet.pt"));
    let vars = vs.variables();
    for b in want["buffers"].as_array().unwrap() {
        assert!(vars.contains_key(b.as_str().unwrap()), "{b} not registered");
    }
    assert!(vars.contains_key("fc.weight") && vars.contains_key("stem.0.bias"));
    assert_eq!(net.layer_names(), layers);
    // The traced copy has no `activations`: no layers.
    let traced = script::architecture(&fixture("tiny_resnet_traced.pt"), 1, 28, 10, true).unwrap();
    assert!(traced.torchscript.unwrap().layers.is_empty());
}

/// Logits, loss and accuracy on fixed images equal PyTorch's for the same file (eval mode,
/// BatchNorm with the module's running statistics), and each layer of `activations` has the
/// shape PyTorch gave it.
#[test]
fn computes_what_pytorch_computes() {
    let want = expected();
    let (_vs, net) = load(&fixture("tiny_resnet.pt"));
    let n = want["images"].as_u64().unwrap() as usize;
    let data = fixed_images(n);
    let norm = Normalization {
        mean: vec![want["mean"].as_f64().unwrap() as f32],
        std: vec![want["std"].as_f64().unwrap() as f32],
    };
    let e = atrophy::train::evaluate(&net, &data, &norm, Device::Cpu, 16);
    assert!(
        (e.loss - want["loss"].as_f64().unwrap()).abs() < 1e-5,
        "{}",
        e.loss
    );
    assert!(
        (e.top1 - want["top1"].as_f64().unwrap()).abs() < 1e-9,
        "{}",
        e.top1
    );
    let x = Tensor::from_slice(&data.images[..2 * 784])
        .view([2, 1, 28, 28])
        .to_kind(Kind::Float)
        / 255.0;
    let x = (x - norm.mean[0] as f64) / norm.std[0] as f64;
    let (logits, acts) = tch::no_grad(|| {
        net.forward_capture_checked(&x, false, &net.layer_names())
            .unwrap()
    });
    let got: Vec<Vec<f32>> = Vec::try_from(logits).unwrap();
    for (g, w) in got.iter().zip(want["logits_first_two"].as_array().unwrap()) {
        for (a, b) in g.iter().zip(w.as_array().unwrap()) {
            assert!((*a as f64 - b.as_f64().unwrap()).abs() < 1e-5, "{a} vs {b}");
        }
    }
    for (name, t) in net.layer_names().iter().zip(&acts) {
        let shape: Vec<i64> = want["layer_shapes"][name]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        assert_eq!(&t.size()[1..], shape.as_slice(), "{name}");
    }
}

/// Why a TorchScript model trains in float32 only: under autocast the scripted fixture runs its
/// convolutions in bfloat16 (logits bfloat16, close to the float32 ones), but the traced one
/// calls `aten::_convolution`, which autocast does not cast, and fails; so `precision = bf16`
/// with a TorchScript model is refused before any training, naming the field.
#[test]
fn bf16_is_refused_for_torchscript_models_whose_traced_convolutions_autocast_misses() {
    use atrophy::train::{precision::autocast, HealthyOptions, Precision};
    let x = Tensor::from_slice(&fixed_images(4).images)
        .view([4, 1, 28, 28])
        .to_kind(Kind::Float)
        / 255.0;
    let under_autocast = |file: &str| {
        let (_vs, net) = load(&fixture(file));
        let script = net.torchscript().unwrap();
        let fp32 = tch::no_grad(|| script.forward(&x, false)).unwrap();
        let bf16 =
            tch::no_grad(|| autocast(Precision::Bf16, Device::Cpu, || script.forward(&x, false)));
        (fp32, bf16)
    };
    let (fp32, bf16) = under_autocast("tiny_resnet.pt");
    let bf16 = bf16.unwrap();
    assert_eq!((fp32.kind(), bf16.kind()), (Kind::Float, Kind::BFloat16));
    let gap = (bf16.to_kind(Kind::Float) - &fp32)
        .abs()
        .max()
        .double_value(&[]);
    let scale = fp32.abs().max().double_value(&[]);
    assert!(gap > 0.0 && gap < 0.05 * scale, "{gap} against {scale}");
    // The traced module's `aten::_convolution` is not cast: on a CPU with AVX512-BF16 it fails
    // on the bfloat16 input; on one without it (AVX2 only, 2026-12-07) it ran, within 0.3 % of
    // float32's scale. Either way atrophy refuses bf16 for TorchScript models (below).
    let (fp32, traced) = under_autocast("tiny_resnet_traced.pt");
    match traced {
        Err(e) => assert!(e.to_string().contains("CPUBFloat16Type"), "{e}"),
        Ok(out) => {
            assert_eq!(
                atrophy::train::precision::cpu_has_bf16(),
                Some(false),
                "a traced convolution ran on bfloat16 inputs on a CPU with AVX512-BF16"
            );
            let gap = (out.to_kind(Kind::Float) - &fp32)
                .abs()
                .max()
                .double_value(&[]);
            let scale = fp32.abs().max().double_value(&[]);
            assert!(gap < 0.05 * scale, "{gap} against {scale}");
        }
    }

    let split = atrophy::data::synthetic(&atrophy::data::SyntheticSpec {
        channels: 1,
        size: 28,
        train: 20,
        test: 10,
        ..Default::default()
    });
    let options: HealthyOptions = toml::from_str(&format!(
        "torchscript = \"{}\"\nprecision = \"bf16\"",
        fixture("tiny_resnet.pt").display()
    ))
    .unwrap();
    let e = options.to_spec(&split).unwrap_err().to_string();
    assert!(
        e.contains("precision = bf16 is out of range")
            && e.contains("fp32 for a TorchScript model"),
        "{e}"
    );
}

/// The VarStore shares storage with the module: a train-mode pass moves the running statistics
/// seen through the VarStore, an SGD step on the VarStore changes the module's output, and
/// restoring a snapshot brings the module's logits back bit for bit.
#[test]
fn varstore_and_module_share_parameters_and_buffers() {
    let (vs, net) = load(&fixture("tiny_resnet.pt"));
    let x = Tensor::rand([8, 1, 28, 28], (Kind::Float, Device::Cpu));
    let before = tch::no_grad(|| net.forward_t(&x, false));
    let snapshot: Vec<(String, Tensor)> = vs
        .variables()
        .into_iter()
        .map(|(n, t)| (n, t.copy()))
        .collect();
    let mean0 = vs.variables()["bn1.running_mean"].copy();
    let mut opt = atrophy::train::MaskedSgd::new(
        &vs,
        atrophy::train::SgdConfig {
            lr: 0.1,
            momentum: 0.0,
            weight_decay: 0.0,
            nesterov: false,
        },
    );
    let y = Tensor::from_slice(&[0i64, 1, 2, 3, 4, 5, 6, 7]);
    let loss = net.forward_t(&x, true).cross_entropy_for_logits(&y);
    opt.zero_grad();
    loss.backward();
    opt.step(0.1);
    let moved = vs.variables()["bn1.running_mean"].copy();
    assert!((moved - &mean0).abs().max().double_value(&[]) > 0.0);
    let after = tch::no_grad(|| net.forward_t(&x, false));
    assert!((&after - &before).abs().max().double_value(&[]) > 1e-4);
    let vars = vs.variables();
    tch::no_grad(|| {
        for (n, t) in &snapshot {
            vars[n].shallow_clone().copy_(t);
        }
    });
    let back = tch::no_grad(|| net.forward_t(&x, false));
    assert!(back.equal(&before));
}

/// Bad TorchScript input: each is an error naming the file and what was expected.
#[test]
fn bad_modules_are_refused_with_the_file_and_the_expectation() {
    let tmp = tempfile::tempdir().unwrap();
    let garbage = tmp.path().join("garbage.pt");
    std::fs::write(&garbage, b"not a zip archive").unwrap();
    let e = script::architecture(&garbage, 1, 28, 10, true)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("garbage.pt") && e.contains("not a TorchScript module"),
        "{e}"
    );
    let missing = tmp.path().join("missing.pt");
    let e = script::architecture(&missing, 1, 28, 10, true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.pt"), "{e}");
    let e = script::architecture(&fixture("no_synapses.pt"), 1, 28, 10, true)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no_synapses.pt") && e.contains("no convolution or linear weights"),
        "{e}"
    );
    let e = script::architecture(&fixture("bad_activations.pt"), 1, 28, 10, true)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("bad_activations.pt")
            && e.contains("returned a List")
            && e.contains("Dict[str, Tensor]"),
        "{e}"
    );
    let e = script::architecture(&fixture("tiny_resnet.pt"), 3, 32, 10, true)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("tiny_resnet.pt") && e.contains("N x 3 x 32 x 32"),
        "{e}"
    );
    let e = script::architecture(&fixture("tiny_resnet.pt"), 1, 28, 100, true)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("[2, 10]") && e.contains("expected [2, 100]"),
        "{e}"
    );
    // Layers asked of a model without `activations`.
    let (_vs, net) = load(&fixture("tiny_resnet_traced.pt"));
    let x = Tensor::zeros([2, 1, 28, 28], (Kind::Float, Device::Cpu));
    let e = net
        .forward_capture_checked(&x, false, &["stem".to_string()])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("activations(x)") && e.contains("docs/torchscript.md"),
        "{e}"
    );
}

mod common;

/// A TorchScript model through the whole loop from the command line: trained one epoch,
/// ablated twice (all layers but `fc`) and retrained, with CKA and RDMs on its `activations`
/// layers; every step's model is written back as TorchScript. Ablated synapses stay exactly 0
/// through retraining (momentum and weight decay included), `fc` keeps all its synapses, and
/// the written module holds the weights of the step's checkpoint.
#[test]
fn torchscript_model_runs_the_experiment_and_is_written_back() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("ts.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"
name = "ts"
seed = 3
cycles = 1
analyses = ["accuracy", "cka", "rdm", "pathways"]
save_models = true

[data]
dataset = "synthetic"
eval_images = 200

[healthy.train]
torchscript = "{}"
epochs = 1
batch_size = 64
lr = 0.02

[injury]
kind = "ablation"
iterations = 2
fraction = 0.3
layers = ["!fc"]

[[regime]]
name = "R200"
images = 200
epochs = 1
batch_size = 50
lr = 0.01
recalibrate_bn = 100

[analysis]
images = 100
"#,
            fixture("tiny_resnet.pt").display()
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    common::run_experiment(&cfg, &out);
    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    // Header, healthy, then per iteration injured, recalibrated (homeostasis works on a
    // TorchScript module's BatchNorm too) and retrained.
    assert_eq!(metrics.lines().count(), 1 + 1 + 2 * 3, "{metrics}");
    assert!(metrics.contains(",recalibrated,"), "{metrics}");
    let tau = std::fs::read_to_string(out.join("rdm_tau.csv")).unwrap();
    assert!(tau.lines().count() > 1, "{tau}");
    assert!(out.join("healthy/model.pt").is_file());
    let step = out.join("models/R200_c0_i2_retrained");
    let weights = atrophy::checkpoint::read_tensors(&step.join("model.safetensors")).unwrap();
    let get = |n: &str| &weights.iter().find(|(k, _)| k == n).unwrap().1;
    // The model after the first iteration (each step keeps its last state's model).
    let injured = atrophy::checkpoint::read_tensors(
        &out.join("models/R200_c0_i1_retrained/model.safetensors"),
    )
    .unwrap();
    for layer in ["stem.0", "conv1", "conv2", "down.0"] {
        let name = format!("{layer}.weight");
        let w = get(&name);
        let zeros = w.eq(0.0).sum(Kind::Int64).double_value(&[]) / w.numel() as f64;
        // 1 - 0.7^2 = 0.51 of the synapses ablated.
        assert!((0.45..0.57).contains(&zeros), "{layer}: {zeros} zeros");
        // Every synapse the first iteration ablated is still 0 after the second's retraining,
        // bit for bit (an ablated -0.0 stays -0.0), and the healthy ones moved.
        let before = &injured.iter().find(|(k, _)| *k == name).unwrap().1;
        let ablated = before.eq(0.0);
        let bits = |t: &tch::Tensor| t.masked_select(&ablated).view_dtype(Kind::Int);
        assert!(
            bits(w).equal(&bits(before)),
            "{layer}: an ablated synapse changed"
        );
        let healthy = ablated.logical_not().logical_and(&w.ne(0.0));
        assert!(
            !w.masked_select(&healthy)
                .equal(&before.masked_select(&healthy)),
            "{layer}: retraining changed nothing"
        );
    }
    assert_eq!(
        get("fc.weight").eq(0.0).sum(Kind::Int64).int64_value(&[]),
        0
    );
    // The written module carries the checkpoint's values, buffers included.
    let vs = nn::VarStore::new(Device::Cpu);
    let meta = atrophy::checkpoint::read_meta(&step).unwrap();
    let _net =
        Network::from_torchscript(&vs.root(), &meta.architecture, &step.join("model.pt")).unwrap();
    let vars = vs.variables();
    assert_eq!(vars.len(), weights.len());
    for (n, t) in &weights {
        assert!(vars[n].equal(t), "{n} differs in model.pt");
    }
    // And PyTorch opens it, when the project's Python environment is there.
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    if python.is_file() {
        let o = std::process::Command::new(python)
            .args([
                "-c",
                "import sys, torch; m = torch.jit.load(sys.argv[1]); \
                 w = m.conv1.weight; print(int((w == 0).sum()), w.numel())",
                step.join("model.pt").to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let text = common::ok(&o);
        let zeros = get("conv1.weight")
            .eq(0.0)
            .sum(Kind::Int64)
            .int64_value(&[]);
        assert_eq!(text.trim(), format!("{zeros} 576"));
    }
}

/// `info`, `eval` and `activations` take a bare TorchScript file with `--dataset`; without it
/// the error says so; a checkpoint's own `model.pt` opens as that checkpoint.
#[test]
fn commands_take_a_bare_torchscript_file() {
    let file = fixture("tiny_resnet.pt");
    let f = file.to_str().unwrap();
    let info = common::ok(&common::atrophy(&["info", f, "--dataset", "synthetic"]));
    assert!(
        info.contains("down.0")
            && info.contains("[16, 8, 3, 3]")
            && info.contains("parameters  2650"),
        "{info}"
    );
    assert!(info.contains("stem, block1, down, pool, fc"), "{info}");
    let eval = common::ok(&common::atrophy(&[
        "eval",
        f,
        "--dataset",
        "synthetic",
        "--json",
    ]));
    let e: serde_json::Value = serde_json::from_str(&eval).unwrap();
    assert_eq!(e["n"], 500);
    let o = common::atrophy(&["eval", f]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("tiny_resnet.pt") && err.contains("--dataset"),
        "{err}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let acts = tmp.path().join("acts");
    let listing = common::ok(&common::atrophy(&[
        "activations",
        f,
        "--dataset",
        "synthetic",
        "--layers",
        "block1,pool",
        "--n",
        "12",
        "--out",
        acts.to_str().unwrap(),
    ]));
    assert!(
        listing.contains("000_block1.npy [12, 8, 28, 28]"),
        "{listing}"
    );
    assert!(listing.contains("001_pool.npy [12, 16]"), "{listing}");
    // Imported as a checkpoint (0 epochs: taken as it is), then opened through its model.pt.
    let ck = tmp.path().join("ck");
    common::ok(&common::atrophy(&[
        "train",
        "--dataset",
        "synthetic",
        "--torchscript",
        f,
        "--epochs",
        "0",
        "--out",
        ck.to_str().unwrap(),
    ]));
    let again = common::ok(&common::atrophy(&[
        "eval",
        ck.join("model.pt").to_str().unwrap(),
        "--json",
    ]));
    let e2: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(e2["top1"], e["top1"]);
    assert_eq!(e2["loss"], e["loss"]);
    let o = common::atrophy(&[
        "train",
        "--dataset",
        "synthetic",
        "--epochs",
        "0",
        "--out",
        tmp.path().join("x").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("epochs"), "{err}");
}
