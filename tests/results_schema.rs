//! The results tables through the typed schema, end to end: older folders still report, regime
//! names with commas and quotes, merged reports as complete as unmerged ones, and a layer that
//! injury makes constant recorded instead of stopping the run.
#![cfg(feature = "torch")]
use std::path::{Path, PathBuf};

mod common;
use common::{atrophy, ok};

static CONFIG: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    common::synthetic_config(
        r#"name = "schema"
seed = 3
cycles = 2
analyses = ["accuracy", "cka", "rdm", "pathways"]"#,
        100,
        r#"[injury]
kind = "decay"
iterations = 2
gamma = 0.5

[[regime]]
name = 'R200, "balanced"'
images = 200
batch_size = 50
lr = 0.01
balanced = true

[[regime]]
name = "static"
static = true

[analysis]
images = 16
"#,
    )
});

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

fn figures(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("figures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    v.sort();
    v
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A folder written by atrophy before the typed schema (commit 22d8c6b, config beside it) gives
/// the report it gave then: every figure, the summary tables, no error.
#[test]
fn a_results_folder_written_by_an_older_atrophy_still_reports() {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/results_v0");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v0");
    copy_dir(&fixture, &dir);
    ok(&atrophy(&["report", dir.to_str().unwrap()]));
    let want: Vec<String> = std::fs::read_to_string(fixture.join("figures.txt"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(figures(&dir), want);
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("id=\"summary\"") && html.contains("R200"));
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(md.contains("R200") && md.contains("static"), "{md}");
}

/// A regime name with a comma and quotes is written quoted, read back, summarised, drawn and
/// merged like any other.
#[test]
fn regime_names_with_commas_and_quotes_run_merge_and_report() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write(tmp.path(), "exp.toml", &CONFIG);
    let full = tmp.path().join("full");
    ok(&atrophy(&["run", &cfg, "--out", full.to_str().unwrap()]));
    let metrics = std::fs::read_to_string(full.join("metrics.csv")).unwrap();
    assert!(
        metrics
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("\"R200, \"\"balanced\"\"\",0,0,0,healthy,"),
        "{metrics}"
    );
    let summary = std::fs::read_to_string(full.join("summary.csv")).unwrap();
    assert!(
        summary.contains("\"R200, \"\"balanced\"\"\",2,retrained,2,"),
        "{summary}"
    );
    let html = std::fs::read_to_string(full.join("report.html")).unwrap();
    assert!(html.contains("R200, &quot;balanced&quot;"));
    assert!(full
        .join("cka")
        .join("R200, \"balanced\"_c1_i2_retrained.npy")
        .is_file());

    // Shards merged: the same tables, and every figure of the unmerged report.
    let mut parts = Vec::new();
    let exp = tmp.path().join("sharded");
    ok(&atrophy(&[
        "run",
        &cfg,
        "--stage",
        "healthy",
        "--out",
        exp.to_str().unwrap(),
    ]));
    for s in ["0/2", "1/2"] {
        ok(&atrophy(&[
            "run",
            &cfg,
            "--shard",
            s,
            "--out",
            exp.to_str().unwrap(),
        ]));
        parts.push(exp.join(format!("shard-{}-of-2", &s[..1])));
    }
    let merged = tmp.path().join("merged");
    ok(&atrophy(&[
        "merge",
        parts[0].to_str().unwrap(),
        parts[1].to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]));
    for f in ["summary.csv", "rdm_tau.csv", "pathways.csv"] {
        assert_eq!(
            std::fs::read(merged.join(f)).unwrap(),
            std::fs::read(full.join(f)).unwrap(),
            "{f}"
        );
    }
    ok(&atrophy(&["report", merged.to_str().unwrap()]));
    let unmerged = figures(&full);
    assert!(
        unmerged.iter().any(|f| f.starts_with("rdms_")),
        "{unmerged:?}"
    );
    assert!(unmerged.contains(&"healthy_training.png".to_string()));
    assert_eq!(figures(&merged), unmerged);
}

/// Ablating every synapse makes the penultimate layer the same for every image: its RDM is all
/// zeros and tau-b against the healthy RDM is undefined (as it is when a constant layer has no
/// RDM at all). The run goes on, the tau row holds NaN and the reason, and the report lists it.
#[test]
fn a_layer_made_constant_by_injury_is_recorded_not_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    let text = CONFIG
        .replace(
            "kind = \"decay\"\niterations = 2\ngamma = 0.5",
            "kind = \"ablation\"\niterations = 2\nfraction = 1.0",
        )
        .replace("cycles = 2", "cycles = 1")
        .replace("images = 16", "images = 16\nkendall = \"b\"");
    let cfg = write(tmp.path(), "exp.toml", &text);
    let out = tmp.path().join("out");
    let o = atrophy(&[
        "run",
        &cfg,
        "--out",
        out.to_str().unwrap(),
        "--regimes",
        "static",
    ]);
    ok(&o);
    let tau = std::fs::read_to_string(out.join("rdm_tau.csv")).unwrap();
    let rows: Vec<&str> = tau.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{tau}");
    for r in rows {
        assert!(
            r.starts_with("static,0,") && r.contains(",b,NaN,") && r.contains("undefined"),
            "{tau}"
        );
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("id=\"undefined\""), "no note in the report");
}

/// One cycle of the static regime with the accuracy and RDM analyses and `analysis` added to
/// `[analysis]`, in `dir/name`.
fn rdm_run(dir: &Path, name: &str, analysis: &str) -> PathBuf {
    let text = CONFIG
        .replace("cycles = 2", "cycles = 1")
        .replace(
            "analyses = [\"accuracy\", \"cka\", \"rdm\", \"pathways\"]",
            "analyses = [\"accuracy\", \"rdm\"]",
        )
        .replace("images = 16", &format!("images = 16\n{analysis}"));
    let cfg = write(dir, &format!("{name}.toml"), &text);
    let out = dir.join(name);
    ok(&atrophy(&[
        "run",
        &cfg,
        "--out",
        out.to_str().unwrap(),
        "--regimes",
        "static",
    ]));
    out
}

/// Paper 001's authors' RDM reading: the first K test images of each class, grouped by class,
/// and tau over the whole matrices.
#[test]
fn rdm_images_per_class_and_whole_matrix_tau() {
    let tmp = tempfile::tempdir().unwrap();
    let out = rdm_run(
        tmp.path(),
        "out",
        "rdm_images_per_class = 3\nkendall_pairs = \"full\"\nrdm_layer = \"pool2\"",
    );
    let labels = atrophy::analysis::npy::read_vector(out.join("rdm/labels.npy")).unwrap();
    let want: Vec<f64> = (0..10).flat_map(|c| [c as f64; 3]).collect();
    assert_eq!(labels.to_vec(), want);
    let healthy = atrophy::analysis::npy::read_matrix(out.join("rdm/healthy.npy"))
        .unwrap()
        .into_f64();
    assert_eq!(healthy.dim(), (30, 30));
    // tau recomputed from the saved RDMs over the whole matrices equals the table's.
    let injured = atrophy::analysis::npy::read_matrix(out.join("rdm/static_c0_i1_injured.npy"))
        .unwrap()
        .into_f64();
    let full = atrophy::analysis::rdm_kendall_counts_over(
        healthy.view(),
        injured.view(),
        atrophy::analysis::RdmPairs::Full,
    )
    .unwrap()
    // The config names no variant: the default, tau-b, as everywhere in atrophy.
    .tau(atrophy::analysis::TauVariant::B)
    .unwrap();
    let tau = std::fs::read_to_string(out.join("rdm_tau.csv")).unwrap();
    assert!(tau.lines().nth(1).unwrap().contains(",b,"), "{tau}");
    let first: f64 = tau
        .lines()
        .nth(1)
        .unwrap()
        .rsplit(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(first, full, "{tau}");
}

/// `rdm_file_images` bounds what the RDM files hold, not what tau compares: with 30 RDM images
/// and files of at most 20, each file is the sub-matrix of the first 2 images of each class of
/// the run that keeps them all, and the tau table is the same.
#[test]
fn rdm_files_keep_a_sub_matrix_and_tau_every_image() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = rdm_run(tmp.path(), "whole", "rdm_images_per_class = 3");
    let bounded = rdm_run(
        tmp.path(),
        "bounded",
        "rdm_images_per_class = 3\nrdm_file_images = 20",
    );
    let read = |dir: &Path, f: &str| {
        atrophy::analysis::npy::read_matrix(dir.join("rdm").join(f))
            .unwrap()
            .into_f64()
    };
    // Of each class's 3 images (grouped by class), the first 2.
    let rows: Vec<usize> = (0..10).flat_map(|c| [3 * c, 3 * c + 1]).collect();
    let labels = atrophy::analysis::npy::read_vector(bounded.join("rdm/labels.npy")).unwrap();
    let want: Vec<f64> = (0..10).flat_map(|c| [c as f64; 2]).collect();
    assert_eq!(labels.to_vec(), want);
    for f in [
        "healthy.npy",
        "static_c0_i1_injured.npy",
        "static_c0_i2_injured.npy",
    ] {
        let (w, b) = (read(&whole, f), read(&bounded, f));
        assert_eq!(w.dim(), (30, 30), "{f}");
        let sub = w
            .select(ndarray::Axis(0), &rows)
            .select(ndarray::Axis(1), &rows);
        assert_eq!(b, sub, "{f}");
    }
    assert_eq!(
        std::fs::read_to_string(whole.join("rdm_tau.csv")).unwrap(),
        std::fs::read_to_string(bounded.join("rdm_tau.csv")).unwrap()
    );
    // The report's RDM figure says what it draws.
    let said = "Drawn from 20 of the 30 RDM images (the first 2 of each class";
    let html = |dir: &Path| std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html(&bounded).contains(said),
        "no caption of the bounded files"
    );
    assert!(!html(&whole).contains("Drawn from"));
}
