//! CORnet-Z built in: the same function as the PyTorch module written from the paper, and
//! lesions confined to one visual area.
#![cfg(feature = "torch")]
use atrophy::model::{script, Network};
use std::path::{Path, PathBuf};
use tch::{nn, Device, Kind, Tensor};

mod common;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/torchscript")
        .join(name)
}

/// The built-in `cornet_z32` computes the function of CORnet-Z written in PyTorch from the
/// paper's description (fixture cornet_z32.pt): its parameter names are the PyTorch module's,
/// so the weights copy across by name, and the logits agree.
#[test]
fn builtin_cornet_z32_matches_the_pytorch_module() {
    let file = fixture("cornet_z32.pt");
    let (src_vs, src) = {
        let arch = script::architecture(&file, 3, 32, 10, true).unwrap();
        let vs = nn::VarStore::new(Device::Cpu);
        let net = Network::new(&vs.root(), &arch).unwrap();
        (vs, net)
    };
    let mut arch = atrophy::model::Architecture::cornet_z(10, true);
    arch.widths = "8,16,32,64".into();
    let vs = nn::VarStore::new(Device::Cpu);
    let net = Network::new(&vs.root(), &arch).unwrap();
    let mut theirs: Vec<String> = src_vs.variables().into_keys().collect();
    let mut ours: Vec<String> = vs.variables().into_keys().collect();
    theirs.sort();
    ours.sort();
    assert_eq!(ours, theirs);
    let src_vars = src_vs.variables();
    tch::no_grad(|| {
        for (n, mut v) in vs.variables() {
            v.copy_(&src_vars[&n]);
        }
    });
    assert_eq!(
        arch.parameter_count() as i64,
        src_vars.values().map(|t| t.numel() as i64).sum::<i64>()
    );
    let x = Tensor::randn([4, 3, 32, 32], (Kind::Float, Device::Cpu));
    let (a, b) = tch::no_grad(|| (net.forward_t(&x, false), src.forward_t(&x, false)));
    let diff = (&a - &b).abs().max().double_value(&[]);
    assert!(diff < 1e-5, "logits differ by {diff}");
    assert!(a.abs().max().double_value(&[]) > 1e-3);
}

/// `layers = ["V4"]` injures V4 alone: after a static decay run, every other area's weights
/// are bit for bit the healthy model's and V4's are not.
#[test]
fn a_lesion_confined_to_v4_leaves_the_other_areas_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("v4.toml");
    std::fs::write(
        &cfg,
        r#"
name = "v4"
seed = 1
cycles = 1
save_models = true
analyses = ["accuracy", "cka"]

[data]
dataset = "synthetic"
eval_images = 100

[healthy.train]
model = "cornet_z32"
widths = "8,8,16,16"
epochs = 1
batch_size = 64
lr = 0.02

[injury]
kind = "decay"
iterations = 2
gamma = 0.5
layers = ["V4"]

[[regime]]
name = "static"
static = true

[analysis]
images = 60
"#,
    )
    .unwrap();
    let out = tmp.path().join("out");
    let printed = common::run_experiment(&cfg, &out);
    // The summary printed at the end counts V4's synapses too.
    assert!(printed.contains("injury confined to V4"), "{printed}");
    assert!(printed.contains("100.0%"), "{printed}");
    let read = |p: PathBuf| atrophy::checkpoint::read_tensors(&p).unwrap();
    let healthy = read(out.join("healthy/model.safetensors"));
    let injured = read(out.join("models/static_c0_i2_injured/model.safetensors"));
    for (name, h) in &healthy {
        let i = &injured.iter().find(|(n, _)| n == name).unwrap().1;
        if name == "V4.conv.weight" {
            // Decay's last iteration marks every remaining synapse: all halved twice or once.
            let ratio = (i / h.where_self(&h.ne(0.0), &h.ones_like())).abs();
            assert!(ratio.max().double_value(&[]) <= 0.5 + 1e-6, "{name}");
        } else {
            assert!(i.equal(h), "{name} changed");
        }
    }
    let cka = std::fs::read_dir(out.join("cka")).unwrap().count();
    assert!(cka >= 2, "{cka} CKA files");
    // run.json records the synapses injury could reach (V4's weights), and the report counts
    // the injured ones among them: the last iteration has touched all of V4.
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    let numel = |n: &str| healthy.iter().find(|(k, _)| k == n).unwrap().1.numel() as u64;
    let total: u64 = healthy
        .iter()
        .filter(|(k, t)| k.ends_with(".weight") && t.dim() > 1)
        .map(|(k, _)| numel(k))
        .sum();
    assert_eq!(run["synapses"]["injurable"], numel("V4.conv.weight"));
    assert_eq!(run["synapses"]["total"], total);
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("| 2 | 100.0 % |"), "{md}");
}
