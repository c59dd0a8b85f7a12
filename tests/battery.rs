//! The visual test battery in an experiment: a row of `battery.csv` for every row of
//! `metrics.csv`, its unperturbed accuracy that of the state, the same tables after kills and
//! from shards, and bad settings refused before any work.
#![cfg(feature = "torch")]
use std::path::Path;

mod common;
use common::{atrophy, ok};

fn config(battery: &str) -> String {
    common::synthetic_config(
        "name = \"patient\"\nseed = 5\ncycles = 2\nanalyses = [\"accuracy\", \"battery\"]",
        500,
        &format!(
            "[injury]\nkind = \"decay\"\niterations = 3\n\n[[regime]]\nname = \"static\"\nstatic = true\n\n\
             [[regime]]\nname = \"R100\"\nimages = 100\nbatch_size = 50\nlr = 0.01\nmomentum = 0.9\n\n\
             [battery]\n{battery}\n"
        ),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

fn csv(dir: &Path, file: &str) -> Vec<Vec<String>> {
    std::fs::read_to_string(dir.join(file))
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

/// Row for row with metrics.csv; the unperturbed contrast level is the state's own evaluation
/// (the battery's 500 images are the whole synthetic test set, the evaluation set here);
/// thresholds are levels or NaN; kills and shards give the same file.
#[test]
fn battery_rows_follow_the_states_and_survive_kills_and_shards() {
    let tmp = tempfile::tempdir().unwrap();
    // Two tests of three levels keep the run short (the battery costs a forward pass over its
    // images per level and state).
    let cfg = write(
        tmp.path(),
        "b.toml",
        &config("tests = [\"contrast\", \"blur\"]\ncontrast = [1, 0.25, 0.0625]\nblur = [0, 1, 2]"),
    );
    let whole = tmp.path().join("whole");
    common::run_experiment(Path::new(&cfg), &whole);
    let battery = csv(&whole, "battery.csv");
    let metrics = csv(&whole, "metrics.csv");
    assert_eq!(battery.len(), metrics.len());
    let col = |h: &[String], name: &str| h.iter().position(|c| c == name).unwrap();
    let (c1, top1) = (col(&battery[0], "contrast@1"), col(&metrics[0], "top1"));
    assert_eq!(battery[0].len(), 5 + 2 * 4, "{:?}", battery[0]);
    assert!(battery[0].contains(&"blur@2".to_string()));
    for (b, m) in battery[1..].iter().zip(&metrics[1..]) {
        assert_eq!(b[..5], m[..5], "the same state");
        let (x, y): (f64, f64) = (b[c1].parse().unwrap(), m[top1].parse().unwrap());
        assert!((x - y).abs() <= 1.0 / 500.0, "{b:?} vs {m:?}");
    }
    let t = col(&battery[0], "contrast_threshold");
    assert!(battery[1..].iter().any(|r| r[t] != "NaN"));
    for r in &battery[1..] {
        let v: f64 = r[t].parse().unwrap();
        assert!(v.is_nan() || (0.0625..=1.0).contains(&v), "{r:?}");
    }

    // Killed at random moments from the same healthy model: the same file.
    let healthy = whole.join("healthy/model.safetensors");
    let args = |out: &Path| -> Vec<String> {
        [
            "run",
            &cfg,
            "--out",
            out.to_str().unwrap(),
            "--healthy",
            healthy.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec()
    };
    let timed = tmp.path().join("timed");
    let t0 = std::time::Instant::now();
    ok(&atrophy(
        &args(&timed).iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    let full_ms = t0.elapsed().as_millis() as u64;
    let killed = tmp.path().join("killed");
    let a = args(&killed);
    common::run_with_kills(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
        full_ms,
        3,
        60,
    );
    let bytes = |d: &Path| std::fs::read(d.join("battery.csv")).unwrap();
    assert_eq!(bytes(&whole), bytes(&killed));

    let sharded = tmp.path().join("sharded");
    for i in 0..2 {
        let mut a = args(&sharded);
        a.extend(["--shard".to_string(), format!("{i}/2")]);
        ok(&atrophy(&a.iter().map(String::as_str).collect::<Vec<_>>()));
    }
    let merged = tmp.path().join("merged");
    let shard = |i: usize| sharded.join(format!("shard-{i}-of-2"));
    ok(&atrophy(&[
        "merge",
        shard(0).to_str().unwrap(),
        shard(1).to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]));
    assert_eq!(bytes(&whole), bytes(&merged));
    // The report draws a threshold figure per test.
    ok(&atrophy(&["report", whole.to_str().unwrap()]));
    assert!(whole.join("figures/battery_contrast.png").is_file());
    let html = std::fs::read_to_string(whole.join("report.html")).unwrap();
    assert!(
        html.contains("<table id=\"battery\">"),
        "the report's battery section"
    );
    // compare.md lists each run's thresholds, healthy and after the last iteration.
    let cmp = tmp.path().join("cmp");
    ok(&atrophy(&[
        "compare",
        whole.to_str().unwrap(),
        merged.to_str().unwrap(),
        "--out",
        cmp.to_str().unwrap(),
    ]));
    let md = std::fs::read_to_string(cmp.join("compare.md")).unwrap();
    let (_, section) = md.split_once("# Visual test battery").unwrap();
    assert_eq!(
        section
            .lines()
            .filter(|l| l.starts_with("| whole |"))
            .count(),
        4,
        "{section}"
    );
}

/// An unknown test, a level out of range, a first level that is not the images as they are and
/// more images than the test set holds are refused, naming the field, before any folder exists.
#[test]
fn bad_battery_settings_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for (battery, want) in [
        ("tests = [\"color\"]", "unknown variant `color`"),
        (
            "contrast = [1, 1.5]",
            "battery.contrast = 1.5 is out of range",
        ),
        (
            "noise = [0.1, 0.2]",
            "battery.noise: the first level must be 0",
        ),
        ("images = 100000", "battery.images = 100000 is out of range"),
    ] {
        let cfg = write(tmp.path(), "bad.toml", &config(battery));
        let out = tmp.path().join("out");
        let o = atrophy(&["run", &cfg, "--out", out.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{battery}");
        assert!(err.contains(want), "{battery}: {err}");
        assert!(!out.exists(), "{battery}");
    }
}
