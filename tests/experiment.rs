//! The injury and plasticity loop end to end on synthetic data: semantics, resume after SIGKILL,
//! config errors, shards.
#![cfg(feature = "torch")]
use std::path::Path;

/// The tiny experiment of the common helpers.
static CONFIG: std::sync::LazyLock<String> = std::sync::LazyLock::new(common::tiny_experiment);

mod common;
use common::atrophy_cmd as atrophy;
use common::metrics_without_seconds;

fn write_config(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

/// metrics.csv without its wall-time column, which is the one thing that differs between runs.

#[test]
fn run_resume_shard_and_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(tmp.path(), "exp.toml", &CONFIG);
    // Uninterrupted reference run.
    let full = tmp.path().join("full");
    let t_full = std::time::Instant::now();
    let out = atrophy(&["run", &cfg, "--out", full.to_str().unwrap()])
        .output()
        .unwrap();
    let full_ms = t_full.elapsed().as_millis() as u64;
    common::ok(&out);
    // Without a terminal there are no bars: every step says its last state on stderr instead.
    let said = String::from_utf8_lossy(&out.stderr);
    let steps = said.lines().filter(|l| l.starts_with("step ")).count();
    assert_eq!(steps, 2 * 2 * 3, "{said}");
    assert!(
        said.contains("step 12/12  static cycle 1 iteration 3: injured top-1"),
        "{said}"
    );
    let rows = metrics_without_seconds(&full);
    // header + 2 regimes x 2 cycles x (healthy + 3 x injured) + R200's 2 x 3 retrained rows
    assert_eq!(rows.len(), 1 + 2 * 2 * 4 + 2 * 3, "{rows:#?}");
    let parsed: Vec<Vec<&str>> = rows[1..].iter().map(|r| r.split(',').collect()).collect();
    for r in &parsed {
        let (it, frac): (usize, f64) = (r[2].parse().unwrap(), r[3].parse().unwrap());
        // P3: a fraction n/N of the synapses is affected after iteration n (per layer, so
        // the total is within rounding).
        assert!((frac - it as f64 / 3.0).abs() < 0.01, "{r:?}");
    }
    // Random selection depends on cycle and iteration only: at iteration 1 both regimes lose
    // the same synapses from the same healthy model, so their injured accuracy is identical.
    // Top-1 and loss: a strong healthy model can keep top-1 at 1 after a first decay in every
    // cycle, while the loss still tells the injuries apart.
    let first_injured = |regime: &str, cycle: &str| {
        let r = parsed
            .iter()
            .find(|r| r[0] == regime && r[1] == cycle && r[2] == "1" && r[4] == "injured")
            .unwrap();
        format!("{} {}", r[5], r[7])
    };
    assert_eq!(first_injured("R200", "0"), first_injured("static", "0"));
    assert_ne!(
        first_injured("R200", "0"),
        first_injured("R200", "1"),
        "cycles should differ"
    );
    let summary = std::fs::read_to_string(full.join("summary.csv")).unwrap();
    assert!(
        summary
            .lines()
            .any(|l| l.starts_with("R200,3,retrained,2,")),
        "{summary}"
    );
    let run_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(full.join("run.json")).unwrap()).unwrap();
    assert_eq!(run_json["finished"], true);
    assert_eq!(
        run_json["format_version"],
        atrophy::results::FORMAT_VERSION,
        "run.json names its format"
    );
    assert_eq!(run_json["seed"], 7);

    // Representation analyses: one CKA matrix per evaluated state, one tau per state, one
    // pathway row per synapse layer and state.
    let states = 2 * 2 * 3 + 2 * 3;
    let cka: Vec<_> = std::fs::read_dir(full.join("cka"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".npy"))
        .collect();
    assert_eq!(cka.len(), states, "{cka:?}");
    let layers = std::fs::read_to_string(full.join("cka/layers.txt")).unwrap();
    assert_eq!(layers.lines().count(), 11, "{layers}"); // conv,bn,relu,pool x2, linear1, relu3, linear2
    let m: ndarray::Array2<f64> =
        ndarray_npy::read_npy(full.join("cka/R200_c0_i1_injured.npy")).unwrap();
    assert_eq!(m.dim(), (11, 11));
    assert!(m.iter().all(|v| (-1e-9..=1.0 + 1e-9).contains(v)), "{m}");
    // The first layer's 1:1 CKA stays high after a third of its synapses decay to half.
    assert!(m[[0, 0]] > 0.5, "{m}");
    let taus = std::fs::read_to_string(full.join("rdm_tau.csv")).unwrap();
    assert_eq!(taus.lines().count(), 1 + states);
    let tau_of = |regime: &str| {
        taus.lines()
            .find(|l| l.starts_with(&format!("{regime},0,1,")))
            .unwrap()
            .rsplit(',')
            .next()
            .unwrap()
            .parse::<f64>()
            .unwrap()
    };
    assert_eq!(tau_of("R200"), tau_of("static"));
    assert!(tau_of("R200") > 0.0 && tau_of("R200") < 1.0);
    let pw = std::fs::read_to_string(full.join("pathways.csv")).unwrap();
    assert_eq!(pw.lines().count(), 1 + states * 4, "{pw}");

    // Killed with SIGKILL at random moments, and started again each time, it ends with the same
    // files (all but the wall-time column).
    let resumed = tmp.path().join("resumed");
    let kills = common::run_with_kills(
        &["run", &cfg, "--out", resumed.to_str().unwrap()],
        full_ms,
        42,
        40,
    );
    assert!(
        kills >= 2,
        "the run was never interrupted ({kills} kills): make the waits shorter"
    );
    assert_eq!(
        metrics_without_seconds(&resumed),
        rows,
        "resumed run differs from the uninterrupted one"
    );
    assert_eq!(
        std::fs::read(resumed.join("summary.csv")).unwrap(),
        std::fs::read(full.join("summary.csv")).unwrap()
    );
    for f in ["rdm_tau.csv", "pathways.csv"] {
        assert_eq!(
            std::fs::read(resumed.join(f)).unwrap(),
            std::fs::read(full.join(f)).unwrap(),
            "{f} differs after resume"
        );
    }
    // The matrices too, byte for byte: every CKA matrix, the RDMs and their labels.
    for sub in ["cka", "rdm"] {
        let names = |d: &Path| {
            let mut v: Vec<_> = std::fs::read_dir(d.join(sub))
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            v.sort();
            v
        };
        assert_eq!(names(&resumed), names(&full), "{sub}/ holds other files");
        for n in names(&full) {
            assert_eq!(
                std::fs::read(resumed.join(sub).join(&n)).unwrap(),
                std::fs::read(full.join(sub).join(&n)).unwrap(),
                "{sub}/{} differs after resume",
                n.to_string_lossy()
            );
        }
    }
    assert!(
        !resumed
            .join("state")
            .read_dir()
            .map(|mut d| d.next().is_some())
            .unwrap_or(false),
        "state files left after the end"
    );

    // The same folder with another config is refused, naming the field.
    let other = write_config(
        tmp.path(),
        "other.toml",
        &CONFIG.replace("cycles = 2", "cycles = 3"),
    );
    let out = atrophy(&["run", &other, "--out", full.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("different config") && err.contains("cycles"),
        "{err}"
    );

    // Two shards merged give the full run's tables. A shard never trains the healthy model: it
    // stops and names the command that makes it, then uses the one that command made.
    let exp = tmp.path().join("sharded");
    let exp_s = exp.to_str().unwrap();
    let out = atrophy(&["run", &cfg, "--shard", "0/2", "--out", exp_s])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no finished healthy model")
            && err.contains(&format!("--stage healthy --out {exp_s}")),
        "{err}"
    );
    assert!(!exp.join("healthy").exists(), "the shard trained nothing");
    common::ok(
        &atrophy(&["run", &cfg, "--stage", "healthy", "--out", exp_s])
            .output()
            .unwrap(),
    );
    assert!(exp.join("healthy/model.safetensors").is_file());
    assert!(!exp.join("healthy.lock").exists(), "lock released");
    let (s0, s1) = (exp.join("shard-0-of-2"), exp.join("shard-1-of-2"));
    for s in ["0/2", "1/2"] {
        let out = atrophy(&["run", &cfg, "--shard", s, "--out", exp_s])
            .output()
            .unwrap();
        common::ok(&out);
    }
    assert!(!s0.join("healthy").exists() && !s1.join("healthy").exists());
    let merged = tmp.path().join("merged");
    let out = atrophy(&[
        "merge",
        s0.to_str().unwrap(),
        s1.to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    common::ok(&out);
    assert_eq!(metrics_without_seconds(&merged), rows);
    // The merged run.json keeps the synapse counts the shards recorded (the whole network
    // here: injury reaches every synapse).
    let counts = |d: &Path| -> serde_json::Value {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("run.json")).unwrap()).unwrap();
        v["synapses"].clone()
    };
    assert_eq!(counts(&merged), counts(&full));
    assert!(counts(&merged)["total"].as_u64().unwrap() > 0);
    assert_eq!(counts(&merged)["total"], counts(&merged)["injurable"]);
    let out = atrophy(&[
        "merge",
        s0.to_str().unwrap(),
        "--out",
        tmp.path().join("m2").to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cycles [1]"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn runs_with_different_regimes_merge_into_the_full_run() {
    let tmp = tempfile::tempdir().unwrap();
    // R100 first, so R200 is the second regime of the full run but the only one of its own run:
    // its retraining draws must not depend on its position.
    let text = CONFIG.replacen(
        "[[regime]]",
        "[[regime]]\nname = \"R100\"\nimages = 100\nepochs = 1\nbatch_size = 50\nlr = 0.01\n\n[[regime]]",
        1,
    );
    let cfg = write_config(tmp.path(), "three.toml", &text);
    let run = |dir: &str, extra: &[&str]| {
        let d = tmp.path().join(dir);
        let mut args = vec!["run", &cfg, "--out", d.to_str().unwrap()];
        args.extend_from_slice(extra);
        common::ok(&atrophy(&args).output().unwrap());
        d
    };
    let full = run("full", &[]);
    let r200 = run("r200", &["--regimes", "R200"]);
    let rest = run("rest", &["--regimes", "R100,static"]);
    let merged = tmp.path().join("merged");
    let merge = |dirs: &[&Path], out: &Path| {
        let mut args = vec!["merge"];
        args.extend(dirs.iter().map(|d| d.to_str().unwrap()));
        args.extend(["--out", out.to_str().unwrap()]);
        atrophy(&args).output().unwrap()
    };
    common::ok(&merge(&[&r200, &rest], &merged));
    let sorted = |d: &Path| {
        let mut r = metrics_without_seconds(d);
        r.sort();
        r
    };
    let full_rows = sorted(&full);
    assert_eq!(full_rows.len(), 1 + 3 * 2 * 4 + 2 * 2 * 3);
    assert_eq!(sorted(&merged), full_rows);
    let rdm_tau = |d: &Path| {
        let mut l: Vec<String> = std::fs::read_to_string(d.join("rdm_tau.csv"))
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        l.sort();
        l
    };
    assert_eq!(rdm_tau(&merged), rdm_tau(&full));
    // The merged folder holds the regimes in the order the folders named them.
    let order: Vec<String> = std::fs::read_to_string(merged.join("metrics.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .fold(Vec::new(), |mut v, r| {
            if !v.contains(&r) {
                v.push(r)
            }
            v
        });
    assert_eq!(order, ["R200", "R100", "static"]);

    // The same regime twice, a missing regime cycle, or another injury are refused.
    let err = |o: std::process::Output| {
        assert!(!o.status.success());
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let e = err(merge(&[&r200, &full], &tmp.path().join("m1")));
    assert!(e.contains("cycle 0 of regime R200"), "{e}");
    let other = run(
        "other",
        &["--regimes", "R100", "--set", "injury.gamma=0.25"],
    );
    let e = err(merge(&[&r200, &other], &tmp.path().join("m2")));
    assert!(
        e.contains("different configs") && e.contains("`injury`"),
        "{e}"
    );
}

#[test]
fn invalid_configs_name_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        ("gamma = 0.5", "gamma = 1.5", "injury.gamma"),
        ("cycles = 2", "cycles = 0", "cycles"),
        ("images = 200", "images = 0", "regime[0] (R200).images"),
        ("lr = 0.01", "lr = -1.0", "regime[0] (R200).lr"),
        ("kind = \"decay\"", "kind = \"melt\"", "melt"),
        (
            "dataset = \"synthetic\"",
            "dataset = \"imagenet\"",
            "data.dataset",
        ),
        (
            "eval_images = 300",
            "eval_images = 300\ncolour = 1",
            "colour",
        ),
    ];
    for (from, to, needle) in cases {
        let cfg = write_config(tmp.path(), "exp.toml", &CONFIG.replacen(from, to, 1));
        let out = atrophy(&["run", &cfg, "--out", tmp.path().join("x").to_str().unwrap()])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{to} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(needle) && err.contains("exp.toml"),
            "{to}: {err}"
        );
    }
    assert!(
        !tmp.path().join("x").exists(),
        "an invalid config created the results folder"
    );
}

#[test]
fn shipped_presets_are_valid() {
    for (name, _) in atrophy::cli::run::PRESETS {
        let cfg = atrophy::cli::run::load_config(name).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        assert_eq!(cfg.name, name);
    }
    let decay = atrophy::cli::run::load_config("moore-decay").unwrap();
    assert_eq!(
        (decay.cycles, decay.injury.iterations, decay.injury.gamma),
        (10, 10, 0.5)
    );
    let names: Vec<&str> = decay.regimes.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["R5000", "R1000", "R100", "static"]);
    let abl = atrophy::cli::run::load_config("moore-ablation").unwrap();
    assert_eq!(
        (
            abl.injury.iterations,
            abl.injury.fraction,
            abl.regimes[0].epochs,
            abl.regimes[0].batch_size
        ),
        (15, 0.2, 3, 40)
    );
    // The authors' code: momentum, weight decay, augmentation, their RDM reading.
    let r = &abl.regimes[0];
    assert_eq!((r.momentum, r.weight_decay, r.augment), (0.9, 5e-4, true));
    use atrophy::analysis::{RdmPairs, TauVariant};
    // Which images, which layer, which tau, which pairs, how many images the files keep.
    let reading = |a: &atrophy::experiment::AnalysisSettings| {
        (
            a.rdm_images_per_class,
            a.rdm_layer.clone(),
            a.kendall,
            a.kendall_pairs,
            a.rdm_file_images,
        )
    };
    assert_eq!(
        reading(&abl.analysis),
        (
            Some(100),
            Some("pool3".into()),
            TauVariant::B,
            RdmPairs::Full,
            1000
        )
    );
    let text = atrophy::cli::run::load_config("moore-ablation-text").unwrap();
    assert_eq!(text.regimes[0].momentum, 0.0);
    // The workshop text's RDM: every test image (CIFAR-10's 1,000 of each class), the
    // penultimate layer, tau-a over the upper triangles; its files keep 100 of each class.
    assert_eq!(
        reading(&text.analysis),
        (Some(1000), None, TauVariant::A, RdmPairs::Upper, 1000)
    );
}

/// The experiment's Gram-form CKA on libtorch agrees with the analysis kernel on plain arrays.
#[test]
fn experiment_cka_matches_the_analysis_kernel() {
    use tch::{Device, Kind, Tensor};
    tch::manual_seed(3);
    let x = Tensor::randn([60, 4, 3, 3], (Kind::Float, Device::Cpu));
    let y = (&x.flatten(1, -1).narrow(1, 0, 20) * 2.0
        + Tensor::randn([60, 20], (Kind::Float, Device::Cpu)))
    .relu();
    let (g, constant) =
        atrophy::experiment::analyses::normalised_grams(&[x.shallow_clone(), y.shallow_clone()]);
    assert_eq!(constant, vec![false, false]);
    let m = Vec::<f64>::try_from(g.mm(&g.tr()).flatten(0, -1)).unwrap();
    let to_nd = |t: &Tensor| {
        let t = t.flatten(1, -1);
        let (n, p) = (t.size()[0] as usize, t.size()[1] as usize);
        ndarray::Array2::from_shape_vec((n, p), Vec::<f32>::try_from(t.flatten(0, -1)).unwrap())
            .unwrap()
    };
    let want = atrophy::analysis::linear_cka(to_nd(&x).view(), to_nd(&y).view()).unwrap();
    // The kernel may multiply f32 inputs in f32 (its GEMM), hence 1e-6 rather than 1e-12.
    assert!((m[1] - want).abs() < 1e-6, "{} vs {want}", m[1]);
    assert!((m[0] - 1.0).abs() < 1e-12 && (m[3] - 1.0).abs() < 1e-12);
    let (_, constant) = atrophy::experiment::analyses::normalised_grams(&[Tensor::ones(
        [10, 5],
        (Kind::Float, Device::Cpu),
    )]);
    assert_eq!(constant, vec![true]);
}

/// `--healthy`, `--regimes` and `--set` change the config as if the file said so, and run.json
/// records the changed config.
#[test]
fn command_line_changes_run_from_a_trained_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(tmp.path(), "exp.toml", &CONFIG);
    let model = tmp.path().join("model");
    common::train_synthetic(&model, "8,M,16,M");
    let ckpt = model.join("model.safetensors");
    let res = tmp.path().join("res");
    let out = atrophy(&[
        "run",
        &cfg,
        "--out",
        res.to_str().unwrap(),
        "--healthy",
        ckpt.to_str().unwrap(),
        "--regimes",
        "static",
        "--set",
        "cycles=1",
        "--set",
        "analyses=[\"accuracy\"]",
    ])
    .output()
    .unwrap();
    common::ok(&out);
    let rows = metrics_without_seconds(&res);
    // header + 1 regime x 1 cycle x (healthy + 3 injured)
    assert_eq!(rows.len(), 1 + 4, "{rows:#?}");
    assert!(
        rows[1..].iter().all(|r| r.starts_with("static,0,")),
        "{rows:#?}"
    );
    assert!(
        !res.join("healthy").exists(),
        "the checkpoint was given: nothing to train"
    );
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(res.join("run.json")).unwrap()).unwrap();
    let text = run.to_string();
    assert!(text.contains("model.safetensors"), "{text}");
    assert!(!text.contains("R200"), "{text}");
}

/// Two processes asked for the same experiment's healthy model at once: one trains it, the
/// other waits for it and uses it; it is trained once.
#[test]
fn two_healthy_stages_at_once_train_the_model_once() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(
        tmp.path(),
        "c.toml",
        &CONFIG.replace("epochs = 1\nbatch_size = 64", "epochs = 3\nbatch_size = 64"),
    );
    let exp = tmp.path().join("exp");
    let exp_s = exp.to_str().unwrap();
    let args = ["run", &cfg, "--stage", "healthy", "--out", exp_s];
    let first = common::atrophy_cmd(&args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The second starts once the first holds the lock.
    let lock = exp.join("healthy.lock");
    let t = std::time::Instant::now();
    while !lock.exists() {
        assert!(t.elapsed().as_secs() < 60, "the first never took the lock");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let first_pid = first.id();
    let second = atrophy(&args).output().unwrap();
    let first = first.wait_with_output().unwrap();
    common::ok(&first);
    common::ok(&second);
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains(&format!(
            "waiting for the healthy model: process {} on",
            first_pid
        )) && err.contains(&format!("{}", exp.join("healthy").display())),
        "{err}"
    );
    // Trained once: 3 epochs in the log, not 6, and no lock left.
    let log = std::fs::read_to_string(exp.join("healthy/train_log.csv")).unwrap();
    assert_eq!(log.lines().count(), 1 + 3, "{log}");
    assert!(!lock.exists());
}

/// A regime that retrains on the injured network's errors runs like any other and takes its
/// place in summary.md's ranking.
#[test]
fn an_error_targeted_regime_runs_and_is_ranked() {
    let tmp = tempfile::tempdir().unwrap();
    let text = CONFIG.replace("cycles = 2", "cycles = 1")
        + "\n[[regime]]\nname = \"R200errors\"\nimages = 200\nepochs = 1\nbatch_size = 50\nlr = 0.01\nsource = \"errors\"\n";
    let cfg = write_config(tmp.path(), "e.toml", &text);
    let out = tmp.path().join("out");
    common::ok(
        &atrophy(&[
            "run",
            &cfg,
            "--regimes",
            "R200errors,static",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap(),
    );
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("## Regimes ranked"), "{md}");
    assert!(
        md.contains("| R200errors | 1 |") && md.contains("| static | 1 |"),
        "{md}"
    );
    // The table script of docs/RESULTS.md computes the same area as summary.md, by itself.
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/rehab_table.py");
    let o = std::process::Command::new("python3")
        .arg(&script)
        .arg(&out)
        .args(["--metric", "mean_class"])
        .output()
        .expect("python3 runs bench/rehab_table.py");
    common::ok(&o);
    let table = String::from_utf8_lossy(&o.stdout);
    for regime in ["R200errors", "static"] {
        let cell = |text: &str, last: bool| -> String {
            let line = text
                .lines()
                .find(|l| l.starts_with(&format!("| {regime} |")))
                .unwrap_or_else(|| panic!("{regime} in {text}"));
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            // summary.md: | regime | cycles | mean class-wise | top-1 |; the script's last
            // column is the area.
            (if last {
                cells[cells.len() - 1]
            } else {
                cells[2]
            })
            .to_string()
        };
        assert_eq!(cell(&table, true), cell(&md, false), "{table}\n{md}");
    }
}

/// Retraining on images the healthy model never saw: with a healthy training on a subset it
/// runs; without one it stops and says how to make one.
#[test]
fn an_unseen_data_regime_needs_a_held_out_part() {
    let tmp = tempfile::tempdir().unwrap();
    let regime = "\n[[regime]]\nname = \"R100unseen\"\nimages = 100\nepochs = 1\nbatch_size = 50\nlr = 0.01\nsource = \"unseen\"\n";
    let base = CONFIG.replace("cycles = 2", "cycles = 1") + regime;
    let held = base.replace("lr = 0.02\n", "lr = 0.02\nholdout = 500\n");
    assert_ne!(held, base, "the healthy training got its subset");
    let cfg = write_config(tmp.path(), "held.toml", &held);
    let out = tmp.path().join("held");
    common::ok(
        &atrophy(&[
            "run",
            &cfg,
            "--regimes",
            "R100unseen",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap(),
    );
    // The held-out part is recorded: the checkpoint's training trained on 1500 images, and
    // the 500 others' fingerprint is checked when the model is loaded.
    let sidecar = out.join("healthy/model.json");
    let json = std::fs::read_to_string(&sidecar).unwrap();
    assert!(json.contains("\"train_subset\": 1500"), "{json}");
    let mut meta: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(meta["provenance"]["held_out"]["images"], 500, "{json}");
    meta["provenance"]["held_out"]["fnv1a"] = serde_json::json!("0123456789abcdef");
    std::fs::write(&sidecar, serde_json::to_string(&meta).unwrap()).unwrap();
    let o = atrophy(&[
        "run",
        &cfg,
        "--regimes",
        "R100unseen",
        "--out",
        out.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success()
            && err.contains("the 500 training images it held out cannot be drawn again"),
        "{err}"
    );
    // All held out, none, or a subset beside it: refused, naming both.
    for (healthy, want) in [
        (
            "holdout = 2000\n",
            "holdout = 2000 is out of range: expected 1 to 1999 of the 2000",
        ),
        ("holdout = 0\n", "holdout = 0 is out of range"),
        (
            "holdout = 100\nsubset = 1000\n",
            "holdout = 100 and subset = 1000 both given",
        ),
    ] {
        let text = base.replace("lr = 0.02\n", &format!("lr = 0.02\n{healthy}"));
        let cfg = write_config(tmp.path(), "bad.toml", &text);
        let o = atrophy(&[
            "run",
            &cfg,
            "--out",
            tmp.path().join("bad").to_str().unwrap(),
        ])
        .output()
        .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(want), "{err}");
        assert_eq!(err.matches(want).count(), 1, "said once: {err}");
    }
    let cfg = write_config(tmp.path(), "all.toml", &base);
    let o = atrophy(&[
        "run",
        &cfg,
        "--regimes",
        "R100unseen",
        "--out",
        tmp.path().join("all").to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "(R100unseen).source: source = \"unseen\" needs a healthy model that never saw"
        ) && err.contains("[healthy.train] holdout = H"),
        "{err}"
    );
}
