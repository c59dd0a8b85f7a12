//! Progression models end to end (docs/PROTOCOLS.md, "Progression"): a diffusion from V1 through
//! a CORnet-Z on synthetic data, resumed after kills and run as shards, to the same tables; a
//! staged ablation that keeps its order; activity on a small CNN; and the settings refused.
#![cfg(feature = "torch")]
use std::path::Path;

mod common;
use common::{atrophy, ok};

fn config(injury: &str, regimes: &str) -> String {
    config_cycles(2, injury, regimes)
}

fn config_cycles(cycles: usize, injury: &str, regimes: &str) -> String {
    format!(
        r#"name = "spread"
seed = 2
cycles = {cycles}
analyses = ["accuracy"]

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
{injury}

{regimes}"#
    )
}

const REGIMES: &str = r#"[[regime]]
name = "static"
static = true

[[regime]]
name = "R100"
images = 100
epochs = 1
batch_size = 50
lr = 0.01
momentum = 0.9"#;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `damage.csv` as rows of (regime, cycle, iteration, layer, share injured).
fn damage(dir: &Path) -> Vec<(String, usize, usize, String, f64)> {
    let text = std::fs::read_to_string(dir.join("damage.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (
                c[0].to_string(),
                c[1].parse().unwrap(),
                c[2].parse().unwrap(),
                c[5].to_string(),
                c[8].parse().unwrap(),
            )
        })
        .collect()
}

/// A diffusion from V1: its first injury stays in V1 and V2 (V1's neighbours), every regime of a
/// cycle loses the same synapses, and a run killed again and again, or run as two shards and
/// merged, writes the same tables as an unbroken run.
#[test]
fn diffusion_from_v1_is_resumable_shardable_and_starts_at_v1() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write(
        tmp.path(),
        "diffusion.toml",
        // Four cycles, so that a run is long beside a process's start and a kill can fall
        // between steps.
        &config_cycles(
            4,
            "kind = \"decay\"\niterations = 4\nscope = \"global\"\nprogression = \"diffusion\"\norigin = [\"V1\"]",
            REGIMES,
        ),
    );
    let whole = tmp.path().join("whole");
    common::run_experiment(Path::new(&cfg), &whole);
    let rows = damage(&whole);
    // 2 regimes x 4 cycles x 4 iterations x 5 layers.
    assert_eq!(rows.len(), 160);
    for r in rows.iter().filter(|r| r.2 == 1) {
        if r.3 == "IT.conv" || r.3 == "decoder.linear" {
            assert_eq!(r.4, 0.0, "{r:?}");
        }
    }
    let v1 = rows.iter().find(|r| r.2 == 1 && r.3 == "V1.conv").unwrap();
    assert!(v1.4 > 0.0);
    let static_rows: Vec<_> = rows
        .iter()
        .filter(|r| r.0 == "static")
        .map(|r| (r.1, r.2, &r.3, r.4))
        .collect();
    let r100_rows: Vec<_> = rows
        .iter()
        .filter(|r| r.0 == "R100")
        .map(|r| (r.1, r.2, &r.3, r.4))
        .collect();
    assert_eq!(
        static_rows, r100_rows,
        "every regime of a cycle loses the same synapses"
    );

    // From the same healthy model (a one-epoch training killed before its end would start over
    // every time), timed, then killed at random moments until it finishes.
    let healthy = whole.join("healthy/model.safetensors");
    let with_healthy = |out: &Path| -> Vec<String> {
        ["run", &cfg, "--out", s(out), "--healthy", s(&healthy)]
            .map(String::from)
            .to_vec()
    };
    let timed = tmp.path().join("timed");
    let t0 = std::time::Instant::now();
    let a = with_healthy(&timed);
    ok(&atrophy(&a.iter().map(String::as_str).collect::<Vec<_>>()));
    let full_ms = t0.elapsed().as_millis() as u64;
    let killed = tmp.path().join("killed");
    let a = with_healthy(&killed);
    let kills = common::run_with_kills(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
        full_ms,
        11,
        60,
    );
    assert!(kills > 0);
    assert_eq!(
        common::metrics_without_seconds(&whole),
        common::metrics_without_seconds(&killed)
    );
    let bytes = |d: &Path| std::fs::read(d.join("damage.csv")).unwrap();
    assert_eq!(bytes(&whole), bytes(&killed));

    let sharded = tmp.path().join("sharded");
    for i in 0..2 {
        let mut a = with_healthy(&sharded);
        a.extend(["--shard".to_string(), format!("{i}/2")]);
        ok(&atrophy(&a.iter().map(String::as_str).collect::<Vec<_>>()));
    }
    let shard = |i: usize| sharded.join(format!("shard-{i}-of-2"));
    let merged = tmp.path().join("merged");
    ok(&atrophy(&[
        "merge",
        s(&shard(0)),
        s(&shard(1)),
        "--out",
        s(&merged),
    ]));
    assert_eq!(bytes(&whole), bytes(&merged));

    // `compare` draws each progression run's damage map and lists it, area by area.
    let cmp = tmp.path().join("compare");
    ok(&atrophy(&[
        "compare",
        s(&whole),
        s(&timed),
        "--out",
        s(&cmp),
    ]));
    assert!(cmp.join("damage_whole.png").is_file());
    assert!(cmp.join("damage_timed.png").is_file());
    let md = std::fs::read_to_string(cmp.join("compare.md")).unwrap();
    assert!(md.contains("# Where the injury fell"), "{md}");
    assert!(md.contains("| whole | V1 | "), "{md}");
}

/// A staged ablation from IT down (`anterior`) with retraining: no area loses a synapse before
/// the area before it in the order has lost half of its own, and the decoder (no stage) last.
#[test]
fn staged_ablation_keeps_its_order() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write(
        tmp.path(),
        "staged.toml",
        &config(
            "kind = \"ablation\"\niterations = 6\nfraction = 0.3\nscope = \"global\"\nprogression = \"staged\"\nstages = [\"anterior\"]\nstage_share = 0.5",
            REGIMES,
        ),
    );
    let out = tmp.path().join("out");
    common::run_experiment(Path::new(&cfg), &out);
    let rows = damage(&out);
    let order = ["IT.conv", "V4.conv", "V2.conv", "V1.conv"];
    let share = |regime: &str, c: usize, i: usize, layer: &str| {
        rows.iter()
            .find(|r| r.0 == regime && r.1 == c && r.2 == i && r.3 == layer)
            .unwrap()
            .4
    };
    let mut checked = 0;
    for r in &rows {
        if let Some(k) = order.iter().position(|l| *l == r.3) {
            if k > 0 && r.4 > 0.0 {
                assert!(share(&r.0, r.1, r.2, order[k - 1]) >= 0.5, "{r:?}");
                checked += 1;
            }
        }
        if r.3 == "decoder.linear" && r.4 > 0.0 {
            assert!(
                order.iter().all(|l| share(&r.0, r.1, r.2, l) == 1.0),
                "{r:?}"
            );
        }
    }
    assert!(checked > 0, "the disease reached a second area");
}

/// Activity on a small CNN: the run completes and its damage map has a row per layer and state.
#[test]
fn activity_runs_on_a_small_cnn() {
    let tmp = tempfile::tempdir().unwrap();
    let text = common::synthetic_config(
        "name = \"busy\"\nseed = 4\ncycles = 1\nanalyses = [\"accuracy\"]",
        100,
        "[injury]\nkind = \"decay\"\niterations = 3\nscope = \"global\"\nprogression = \"activity\"\nactivity_images = 50\n\n[[regime]]\nname = \"static\"\nstatic = true\n",
    );
    let cfg = write(tmp.path(), "busy.toml", &text);
    let out = tmp.path().join("out");
    common::run_experiment(Path::new(&cfg), &out);
    let rows = damage(&out);
    let layers: std::collections::BTreeSet<&String> = rows.iter().map(|r| &r.3).collect();
    assert!(layers.len() >= 3);
    assert_eq!(
        rows.len(),
        3 * layers.len(),
        "a row per layer and iteration"
    );
    assert!(rows.iter().filter(|r| r.2 == 3).all(|r| r.4 == 1.0));
}

/// `per_layer` beside a progression, and an origin naming no layer, are refused with the field
/// named, before any results folder is made.
#[test]
fn bad_progression_settings_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write(
        tmp.path(),
        "per_layer.toml",
        &config(
            "kind = \"decay\"\niterations = 2\nprogression = \"diffusion\"\norigin = [\"V1\"]",
            REGIMES,
        ),
    );
    let out = tmp.path().join("out");
    let o = atrophy(&["run", &cfg, "--out", s(&out)]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("injury.scope = \"global\""), "{err}");
    assert!(!out.exists());
    let cfg = write(
        tmp.path(),
        "origin.toml",
        &config(
            "kind = \"decay\"\niterations = 2\nscope = \"global\"\nprogression = \"diffusion\"\norigin = [\"PFC\"]",
            REGIMES,
        ),
    );
    let o = atrophy(&["run", &cfg, "--out", s(&tmp.path().join("out2"))]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("injury.origin") && err.contains("V1"), "{err}");
}
