//! The command line end to end on synthetic data: train, eval, info, activations -> cka-matrix,
//! pathways, and clear errors for bad input.
#![cfg(feature = "torch")]
mod common;
use common::{atrophy, ok, train_synthetic};

#[test]
fn train_eval_info_activations_pathways() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let r = run.to_str().unwrap();
    let out = train_synthetic(&run, "8,M,16,M");
    assert!(out.contains("test top-1"), "{out}");
    let eval = ok(&atrophy(&["eval", r, "--json"]));
    let e: serde_json::Value = serde_json::from_str(&eval).unwrap();
    assert!(e["top1"].as_f64().unwrap() > 0.5, "{eval}");
    assert_eq!(e["confusion"].as_array().unwrap().len(), 10);
    let info = ok(&atrophy(&["info", &format!("{r}/model.safetensors")]));
    assert!(
        info.contains("conv2") && info.contains("parameters") && info.contains("FLOPs"),
        "{info}"
    );
    // The training beside its own log, compared as trainings: named by folder both, so refused
    // until labelled; a results folder does not mix with them.
    let cmp = tmp.path().join("cmp");
    let log = format!("{r}/train_log.csv");
    let c = cmp.to_str().unwrap();
    let o = atrophy(&["compare", r, &log, "--out", c]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("both labelled `run`"),
        "{err}"
    );
    ok(&atrophy(&[
        "compare", r, &log, "--labels", "a,b", "--out", c,
    ]));
    let md = std::fs::read_to_string(cmp.join("compare.md")).unwrap();
    assert!(md.contains("| a |") && md.contains("| b |"), "{md}");
    assert!(cmp.join("compare_training.png").is_file());
    let results = tmp.path().join("results");
    std::fs::create_dir_all(&results).unwrap();
    std::fs::write(results.join("metrics.csv"), "").unwrap();
    let o = atrophy(&["compare", r, results.to_str().unwrap(), "--out", c]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success()
            && err.contains("is a training")
            && err.contains(results.to_str().unwrap()),
        "{err}"
    );
    // --dataset is not silently ignored for an atrophy checkpoint: `info` refuses it, and
    // `activations` reads the data set it names (here one the model cannot take, or that is
    // not on this machine: refused either way, naming it).
    let o = atrophy(&["info", r, "--dataset", "mnist"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("--dataset applies to a bare TorchScript file"),
        "{err}"
    );
    let mnist_acts = tmp.path().join("mnist-acts");
    let o = atrophy(&[
        "activations",
        r,
        "--dataset",
        "mnist",
        "--layers",
        "conv1",
        "--n",
        "10",
        "--out",
        mnist_acts.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("mnist"), "{err}");

    // activations -> cka-matrix: a model against itself has CKA 1 on the diagonal.
    let acts = tmp.path().join("acts");
    ok(&atrophy(&[
        "activations",
        r,
        "--layers",
        "conv1,relu2,linear1",
        "--n",
        "64",
        "--out",
        acts.to_str().unwrap(),
    ]));
    let files: Vec<String> = std::fs::read_dir(&acts)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files.contains(&"000_conv1.npy".to_string()) && files.contains(&"labels.npy".to_string()),
        "{files:?}"
    );
    let m = tmp.path().join("m.npy");
    ok(&atrophy(&[
        "cka-matrix",
        acts.to_str().unwrap(),
        acts.to_str().unwrap(),
        "--out",
        m.to_str().unwrap(),
    ]));
    let mat: ndarray::Array2<f64> = ndarray_npy::read_npy(&m).unwrap();
    assert_eq!(mat.dim(), (3, 3));
    for i in 0..3 {
        assert!((mat[[i, i]] - 1.0).abs() < 1e-6, "{mat}");
    }
    let bad = atrophy(&[
        "activations",
        r,
        "--layers",
        "conv9",
        "--n",
        "8",
        "--out",
        acts.to_str().unwrap(),
    ]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("conv9"));

    // pathways: a model against itself keeps every top-k synapse unchanged.
    let p = ok(&atrophy(&["pathways", r, r, "--fraction", "0.1"]));
    let rows: Vec<Vec<&str>> = p
        .lines()
        .filter(|l| l.starts_with("conv") || l.starts_with("linear"))
        .map(|l| l.split_whitespace().collect())
        .collect();
    let names: Vec<&str> = rows.iter().map(|c| c[0]).collect();
    assert!(
        ["conv1", "conv2", "linear1"]
            .iter()
            .all(|n| names.contains(n)),
        "{p}"
    );
    // layer, synapses, k, jaccard, kept, new, rescaled, unchanged: all k kept and unchanged.
    for c in &rows {
        let k = c[2];
        assert_eq!(c[3..], ["1.000000", k, "0", "0", k], "{p}");
    }
}

#[test]
fn bad_input_gives_clear_errors_and_nonzero_exit() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "eval".into(),
                tmp.path().join("nothing").display().to_string(),
            ],
            "nothing: no such checkpoint",
        ),
        (
            vec!["train".into(), "--dataset".into(), "imagenet".into()],
            "unknown data set `imagenet`",
        ),
        (
            vec![
                "train".into(),
                "--dataset".into(),
                "synthetic".into(),
                "--lr=-1".into(),
            ],
            "lr = -1 is out of range",
        ),
        (
            vec![
                "train".into(),
                "--dataset".into(),
                "synthetic".into(),
                "--schedule".into(),
                "linear".into(),
            ],
            "unknown schedule",
        ),
        (
            vec!["--device".into(), "tpu".into(), "eval".into(), "x".into()],
            "unknown device `tpu`",
        ),
        (
            vec!["run".into(), "no-such-preset".into()],
            "neither a config file nor a preset",
        ),
        (
            vec![
                "--device".into(),
                "cuda:7".into(),
                "eval".into(),
                "x".into(),
            ],
            "cuda",
        ),
        (vec!["compare".into(), "--out".into(), "x".into()], "<DIRS>"),
        (
            vec![
                "compare".into(),
                "a".into(),
                "b".into(),
                "--labels".into(),
                "V1".into(),
                "--out".into(),
                "x".into(),
            ],
            "--labels gives 1 labels for 2 folders",
        ),
        (
            vec!["--threads".into(), "0".into(), "info".into(), "x".into()],
            "--threads",
        ),
        (
            vec![
                "cka-matrix".into(),
                "a".into(),
                "b".into(),
                "--out".into(),
                "m.csv".into(),
            ],
            "give a name ending in .npy",
        ),
        (
            vec![
                "compress".into(),
                "nowhere".into(),
                "--flops-keep".into(),
                "2".into(),
                "--out".into(),
                "x".into(),
            ],
            "--flops-keep 2 is out of range",
        ),
        (
            vec![
                "eval".into(),
                "nowhere".into(),
                "--batch-size".into(),
                "0".into(),
            ],
            "--batch-size 0",
        ),
        (
            vec![
                "plasticity".into(),
                "neat-xor".into(),
                "--runs".into(),
                "0".into(),
            ],
            "--runs 0",
        ),
    ];
    for (args, needle) in cases {
        let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        let o = atrophy(&a);
        assert!(!o.status.success(), "{a:?} succeeded");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(needle), "{a:?}: {e}");
    }
}

#[test]
fn run_overrides_are_validated_like_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().to_str().unwrap();
    let err = |args: &[&str]| {
        let mut full = vec!["run", "quick", "--out", out];
        full.extend(args);
        let o = atrophy(&full);
        assert!(!o.status.success(), "{full:?} succeeded");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let e = err(&["--set", "cycles=0"]);
    assert!(
        e.contains("cycles = 0 is out of range") && e.contains("command-line changes"),
        "{e}"
    );
    let e = err(&["--regimes", "R999"]);
    assert!(e.contains("no regime named `R999`"), "{e}");
    let e = err(&["--set", "cycles"]);
    assert!(e.contains("expected KEY=VALUE"), "{e}");
    let e = err(&["--healthy", "/nonexistent/model.safetensors"]);
    assert!(e.contains("/nonexistent/model.safetensors"), "{e}");
    // Nothing was started.
    assert!(!tmp.path().join("metrics.csv").exists());
}

/// A PReLU model trains from the command line and `info` lists its learned slopes per layer;
/// without a terminal (no bars) each finished epoch still says its figures on stderr.
#[test]
fn prelu_model_trains_and_info_lists_its_slopes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("prelu");
    let o = out.to_str().unwrap();
    let trained = atrophy(&[
        "train",
        "--dataset",
        "synthetic",
        "--model",
        "small_cnn",
        "--widths",
        "4,M,8,M",
        "--activation",
        "prelu",
        "--epochs",
        "1",
        "--out",
        o,
    ]);
    ok(&trained);
    let said = String::from_utf8_lossy(&trained.stderr);
    assert!(
        said.contains("epoch   1/1  loss") && said.contains("test top-1"),
        "{said}"
    );
    let info = ok(&atrophy(&["info", o]));
    assert!(
        info.contains("PReLU slopes") && info.contains("prelu3"),
        "{info}"
    );
    let slopes = atrophy::checkpoint::prelu_slopes(&out).unwrap();
    let names: Vec<&str> = slopes.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["prelu1", "prelu2", "prelu3"]);
    assert_eq!(slopes[0].1.len(), 4);
    // Trained: the slopes have left their initial 0.25.
    assert!(slopes.iter().flat_map(|(_, v)| v).any(|&a| a != 0.25));
}

/// The training settings the sidecar of the model in `dir` records.
fn trained_with(dir: &std::path::Path) -> serde_json::Value {
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("model.json")).unwrap()).unwrap();
    meta["provenance"]["healthy"]["train"].clone()
}

/// `--recipe onecycle30` trains with the recipe's settings, a flag beside it wins (and
/// `--precision bf16` goes with it), and the sidecar records what was trained; an unknown recipe is refused before any data is read.
#[test]
fn train_with_a_recipe() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    ok(&atrophy(&[
        "train",
        "--dataset",
        "synthetic",
        "--widths",
        "8,M",
        "--recipe",
        "onecycle30",
        "--epochs",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]));
    let train = trained_with(&out);
    assert_eq!(train["epochs"], 1, "{train}");
    assert_eq!(train["label_smoothing"], 0.1, "{train}");
    assert_eq!(train["sgd"]["lr"], 0.1, "{train}");
    assert_eq!(train["sgd"]["nesterov"], true, "{train}");
    assert_eq!(train["schedule"]["kind"], "one_cycle", "{train}");
    assert_eq!(train["schedule"]["pct_start"], 0.25, "{train}");
    // Flags beside the recipe win, Nesterov included; without a recipe the defaults hold.
    let out2 = tmp.path().join("r2");
    ok(&atrophy(&[
        "train",
        "--dataset",
        "synthetic",
        "--widths",
        "8,M",
        "--recipe",
        "onecycle30",
        "--epochs",
        "1",
        "--lr",
        "0.05",
        "--label-smoothing",
        "0.2",
        "--nesterov=false",
        "--precision",
        "bf16",
        "--out",
        out2.to_str().unwrap(),
    ]));
    let train = trained_with(&out2);
    assert_eq!(train["precision"], "bf16", "{train}");
    assert_eq!(train["sgd"]["lr"], 0.05, "{train}");
    assert_eq!(train["label_smoothing"], 0.2, "{train}");
    assert_eq!(train["sgd"]["nesterov"], false, "{train}");
    assert_eq!(train["schedule"]["kind"], "one_cycle", "{train}");
    let out3 = tmp.path().join("r3");
    ok(&atrophy(&[
        "train",
        "--dataset",
        "synthetic",
        "--widths",
        "8,M",
        "--epochs",
        "1",
        "--out",
        out3.to_str().unwrap(),
    ]));
    let train = trained_with(&out3);
    assert_eq!(train["sgd"]["lr"], 0.01, "{train}");
    assert_eq!(train["sgd"]["nesterov"], false, "{train}");
    // No label smoothing: the sidecar leaves the field out.
    assert!(train["label_smoothing"].is_null(), "{train}");
    assert!(train["precision"].is_null(), "float32 is left out: {train}");
    assert_eq!(train["schedule"]["kind"], "constant", "{train}");
    let o = atrophy(&[
        "train",
        "--dataset",
        "cifar10",
        "--data",
        "/nonexistent",
        "--recipe",
        "fast",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("no such recipe") && !err.contains("nonexistent"),
        "{err}"
    );
}
