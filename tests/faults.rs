//! Nothing lost, nothing silent: the faults a user meets, end to end on the tiny synthetic
//! experiment. A merge onto its own input, divergence in retraining and in healthy training, two
//! processes on one folder, early refusals, a full disk (a small tmpfs, as root) during the steps
//! and during the report, a read-only folder (a read-only bind mount, as root), SIGKILL during
//! the run; after each, a resume gives the bytes of an uninterrupted run.
#![cfg(feature = "torch")]
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{atrophy, metrics_without_seconds, ok};

/// The tiny experiment, written into `dir`.
fn config(dir: &Path) -> PathBuf {
    let p = dir.join("tiny.toml");
    std::fs::write(&p, common::tiny_experiment()).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every file under `dir` with its bytes, by path relative to `dir` (the wall times of
/// metrics.csv and run.json aside).
fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// The tables an uninterrupted run and a resumed one must agree on, byte for byte (metrics.csv
/// without its wall-time column).
fn tables(dir: &Path) -> Vec<(String, String)> {
    let mut t = vec![(
        "metrics.csv".to_string(),
        metrics_without_seconds(dir).join("\n"),
    )];
    for f in [
        "summary.csv",
        "rdm_tau.csv",
        "pathways.csv",
        "divergence.csv",
    ] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap_or_else(|_| "(none)".into());
        t.push((f.to_string(), text));
    }
    t
}

/// `atrophy merge A B --out A` (or inside A, or holding A) is refused before anything is
/// written: A's files keep their bytes and a later report reads them.
#[test]
fn merge_onto_an_input_is_refused_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path());
    let exp = tmp.path().join("x");
    ok(&atrophy(&[
        "run",
        s(&cfg),
        "--stage",
        "healthy",
        "--out",
        s(&exp),
    ]));
    for i in 0..2 {
        let shard = format!("{i}/2");
        ok(&atrophy(&[
            "run",
            s(&cfg),
            "--shard",
            &shard,
            "--out",
            s(&exp),
        ]));
    }
    let (a, b) = (exp.join("shard-0-of-2"), exp.join("shard-1-of-2"));
    let before = (snapshot(&a), snapshot(&b));
    let inside = a.join("merged");
    let a_other_spelling = exp.join("shard-1-of-2/../shard-0-of-2");
    let through_a_new_folder = exp.join("new/../shard-0-of-2");
    for (out, word) in [
        (&a, "is the input"),
        (&b, "is the input"),
        (&a_other_spelling, "is the input"),
        (&through_a_new_folder, "is the input"),
        (&inside, "lies inside the input"),
        (&exp, "holds the input"),
    ] {
        let o = atrophy(&["merge", s(&a), s(&b), "--out", s(out)]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "--out {}: {err}", out.display());
        assert!(err.contains(word), "--out {}: {err}", out.display());
    }
    assert!(!inside.exists(), "a refused merge created its folder");
    assert!(
        !exp.join("new").exists(),
        "a refused merge created a folder"
    );
    assert!(
        before == (snapshot(&a), snapshot(&b)),
        "a refused merge changed an input"
    );
    ok(&atrophy(&["report", s(&a)]));
    // Apart from the inputs it merges.
    let merged = exp.join("merged");
    ok(&atrophy(&["merge", s(&a), s(&b), "--out", s(&merged)]));
    assert!(merged.join("cka").read_dir().unwrap().count() > 0);
    for (name, bytes) in snapshot(&merged) {
        assert!(
            !bytes.is_empty() || name.ends_with(".lock"),
            "{name} is empty"
        );
    }
}

/// A retraining that diverges is a result: the run finishes, every regime runs, the diverged
/// steps are in divergence.csv and summary.md, the rest of each diverged cycle is skipped and
/// the next cycle starts healthy; resumed after kills, the tables are those of an
/// uninterrupted run (NaN losses included).
#[test]
fn a_diverged_retraining_finishes_flagged_and_resumes_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path());
    let full = tmp.path().join("full");
    let args = |out: &Path| {
        vec![
            "run".to_string(),
            s(&cfg).to_string(),
            "--set".into(),
            "regime.R200.lr=1e30".into(),
            "--out".into(),
            s(out).to_string(),
        ]
    };
    let t = std::time::Instant::now();
    let a = args(&full);
    let o = atrophy(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let full_ms = t.elapsed().as_millis() as u64;
    ok(&o);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("R200 cycle 0 iteration 1 (retrained) diverged"),
        "{stderr}"
    );
    let metrics = metrics_without_seconds(&full);
    // static ran every iteration of both cycles.
    let static_rows = metrics.iter().filter(|r| r.starts_with("static,")).count();
    assert_eq!(static_rows, 2 * 4, "{metrics:#?}");
    // R200: healthy, injured and the diverged retrained state, in each cycle; nothing after.
    let r200: Vec<&String> = metrics.iter().filter(|r| r.starts_with("R200,")).collect();
    assert_eq!(r200.len(), 2 * 3, "{r200:#?}");
    assert!(r200
        .iter()
        .all(|r| !r.contains(",2,") && !r.contains(",3,")));
    let div = std::fs::read_to_string(full.join("divergence.csv")).unwrap();
    assert_eq!(div.lines().count(), 3, "{div}");
    assert!(
        div.contains("diverged") && div.contains("analyses skipped: cka, rdm, pathways"),
        "{div}"
    );
    assert!(
        div.contains("the cycle ends here: iterations 2-3 not run"),
        "{div}"
    );
    // No analysis row for a diverged state.
    let taus = std::fs::read_to_string(full.join("rdm_tau.csv")).unwrap();
    assert!(
        !taus
            .lines()
            .any(|l| l.starts_with("R200,") && l.contains(",retrained,")),
        "{taus}"
    );
    let md = std::fs::read_to_string(full.join("summary.md")).unwrap();
    assert!(md.contains("## Diverged and exploded states"), "{md}");
    assert!(
        md.contains("| R200 | 0 | — | — | diverged in 2 of 2 cycles"),
        "{md}"
    );
    // Ranked last: a regime without a curve never heads the ranking.
    let static_at = md.find("| static | 2 |").expect("static is ranked");
    let r200_at = md.find("| R200 | 0 |").unwrap();
    assert!(static_at < r200_at, "{md}");
    let html = std::fs::read_to_string(full.join("report.html")).unwrap();
    assert!(html.contains("id=\"diverged\""));
    // The NaN loss: an sd of NaN in summary.csv, however the NaN was read back.
    let summary = std::fs::read_to_string(full.join("summary.csv")).unwrap();
    let line = summary
        .lines()
        .find(|l| l.starts_with("R200,1,retrained,"))
        .unwrap();
    assert!(line.ends_with("NaN,NaN"), "{line}");

    let resumed = tmp.path().join("resumed");
    let b = args(&resumed);
    let b: Vec<&str> = b.iter().map(String::as_str).collect();
    let kills = common::run_with_kills(&b, full_ms, 28, 30);
    ok(&atrophy(&b));
    assert!(kills > 0, "the run was never interrupted");
    assert_eq!(tables(&full), tables(&resumed));
}

/// The stated rule, end to end: with a retraining that may blow up (lr 0.3, momentum 0.99),
/// every row of metrics.csv whose loss passes 100 ln 10 or is not finite is in divergence.csv,
/// and no other (the rule's edges are unit-tested in src/results/divergence.rs); the run ends.
#[test]
fn an_exploding_loss_is_warned_and_flagged_by_the_stated_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path());
    let out = tmp.path().join("r");
    let o = atrophy(&[
        "run",
        s(&cfg),
        "--set",
        "regime.R200.lr=0.3",
        "--set",
        "regime.R200.momentum=0.99",
        "--out",
        s(&out),
    ]);
    ok(&o);
    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let div = std::fs::read_to_string(out.join("divergence.csv")).unwrap_or_default();
    // Every row whose loss passes 100 ln 10 (or is not finite) is flagged, and no other.
    let header: Vec<&str> = metrics.lines().next().unwrap().split(',').collect();
    let loss_at = header.iter().position(|h| *h == "loss").unwrap();
    for l in metrics.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let loss: f64 = f[loss_at].parse().unwrap();
        let key = f[..5].join(",");
        let flagged = div.lines().any(|d| d.starts_with(&format!("{key},")));
        let rule = !loss.is_finite() || loss > 100.0 * 10f64.ln();
        assert_eq!(flagged, rule, "{l}\n{div}");
    }
}

/// A healthy training that diverges writes a model.json that reads back (NaN as "NaN"), and an
/// experiment refuses to start from it, saying so.
#[test]
fn a_diverged_healthy_model_reads_back_and_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path());
    let out = tmp.path().join("r");
    let o = atrophy(&[
        "run",
        s(&cfg),
        "--set",
        "healthy.train.lr=1e30",
        "--out",
        s(&out),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("has diverged") && err.contains("model.safetensors"),
        "{err}"
    );
    let sidecar = std::fs::read_to_string(out.join("healthy/model.json")).unwrap();
    assert!(sidecar.contains("\"NaN\""), "{sidecar}");
    // It reads back: eval and info work on it.
    ok(&atrophy(&["info", s(&out.join("healthy"))]));
    let json = ok(&atrophy(&["eval", s(&out.join("healthy")), "--json"]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["loss"], "NaN", "{json}");
}

/// Two `atrophy run` on one results folder: the second says who holds it and stops, before
/// writing anything; with --wait it waits and then finds the run finished. The finished folder
/// holds no lock.
#[test]
fn a_second_process_on_one_folder_is_refused_or_waits() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path());
    let out = tmp.path().join("r");
    let mut first = common::atrophy_cmd(&["run", s(&cfg), "--out", s(&out)])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lock = out.join("run.lock");
    let t = std::time::Instant::now();
    while !lock.exists() && t.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let second = atrophy(&["run", s(&cfg), "--out", s(&out)]);
    let finished_meanwhile = first.try_wait().unwrap().is_some();
    let err = String::from_utf8_lossy(&second.stderr);
    if !finished_meanwhile {
        assert!(!second.status.success(), "{err}");
        assert!(
            err.contains("is in use") && err.contains(&format!("process {}", first.id())),
            "{err}"
        );
        assert!(err.contains("--wait"), "{err}");
    }
    let waited = atrophy(&["run", s(&cfg), "--out", s(&out), "--wait"]);
    ok(&waited);
    assert!(first.wait().unwrap().success());
    assert!(!lock.exists());
}

/// Every check that the data set's size decides comes before any work: no folder is made,
/// the config file is named, and every problem is listed.
#[test]
fn bad_values_are_refused_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path());
    let out = tmp.path().join("r");
    for (set, says) in [
        (
            "regime.R200.images=100000",
            "regime[0] (R200).images = 100000 is out of range",
        ),
        (
            "data.eval_images=100000",
            "data.eval_images = 100000 is out of range",
        ),
        (
            "analysis.images=1000000000000",
            "analysis.images = 1000000000000 is out of range",
        ),
        (
            "analysis.rdm_file_images=1",
            "analysis.rdm_file_images = 1 is out of range",
        ),
        (
            "analysis.rdm_file_images=5",
            "analysis.rdm_file_images = 5 is out of range: expected at least one image of each of the 10 classes",
        ),
        ("healthy.train.epochs=1000000000000", "expected 1..=10000"),
        (
            "regime.R200.epochs=1000000000000",
            "regime[0] (R200).epochs",
        ),
        ("healthy.train.widths='0,M'", "bad width `0`"),
        ("healthy.train.widths='-8,M'", "bad width `-8`"),
        ("healthy.train.widths='1000000000,M'", "fits in memory"),
    ] {
        let o = atrophy(&["run", s(&cfg), "--set", set, "--out", s(&out)]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{set}: {err}");
        assert!(err.contains(says), "{set}: {err}");
        assert!(err.contains("tiny.toml"), "{set}: {err}");
        assert!(!out.exists(), "{set}: the results folder was made");
    }
    let o = atrophy(&[
        "run",
        s(&cfg),
        "--set",
        "regime.R200.images=100000",
        "--set",
        "data.eval_images=100000",
        "--out",
        s(&out),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("2 problems"), "{err}");
    // The memory budget can be set, and is named.
    let o = common::atrophy_cmd(&["run", s(&cfg), "--out", s(&out)])
        .env("ATROPHY_MEMORY_BUDGET", "100K")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("$ATROPHY_MEMORY_BUDGET") && err.contains("widths"),
        "{err}"
    );
    assert!(!out.exists());
}

/// Whether this process may mount (root, with mount available): the full-disk and read-only
/// cases need it and are skipped, saying so, elsewhere.
fn can_mount(at: &Path) -> bool {
    let probe = at.join("probe");
    std::fs::create_dir_all(&probe).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs", s(&probe)])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        let _ = Command::new("umount").arg(&probe).status();
    } else {
        eprintln!("SKIPPED: mounting a tmpfs needs root (the full-disk and read-only cases)");
    }
    ok
}

/// A mount that is undone when dropped.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn tmpfs(at: &Path, size: &str) -> Mounted {
    std::fs::create_dir_all(at).unwrap();
    let o = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs", s(at)])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    Mounted(at.to_path_buf())
}

/// A disk that fills during the steps: the run stops with an error naming the file it could
/// not write; moved to a disk with room, it resumes to the tables of an uninterrupted run. A
/// disk that fills during the report: the error names the figure or page, and no truncated
/// file is left.
#[test]
fn a_full_disk_names_the_file_and_the_run_resumes_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    if !can_mount(tmp.path()) {
        return;
    }
    let cfg = config(tmp.path());
    let full = tmp.path().join("full");
    common::run_experiment(&cfg, &full);
    let total: u64 = snapshot(&full).values().map(|b| b.len() as u64).sum();
    let mut filled = 0;
    // Disks from a fifth of what the run writes to most of it: each fills at another step.
    for (k, fraction) in [0.2, 0.5, 0.8].into_iter().enumerate() {
        let disk = tmp.path().join(format!("disk{k}"));
        let size = ((total as f64 * fraction) as u64 / 4096 + 1) * 4096;
        let m = tmpfs(&disk, &size.to_string());
        let out = disk.join("r");
        let o = atrophy(&["run", s(&cfg), "--out", s(&out)]);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        if o.status.success() {
            continue; // It fit after all (the report's figures are most of it).
        }
        assert!(
            err.contains("No space left on device") && err.contains(s(&disk)),
            "no file named: {err}"
        );
        filled += 1;
        let moved = tmp.path().join(format!("moved{k}"));
        let cp = Command::new("cp")
            .args(["-a", s(&out), s(&moved)])
            .status()
            .unwrap();
        assert!(cp.success());
        drop(m);
        common::run_experiment(&cfg, &moved);
        assert_eq!(tables(&full), tables(&moved), "disk of {size} bytes");
    }
    assert!(
        filled > 0,
        "no disk size filled up: the case was not tested"
    );
    // The report on a full disk: the tables fit, the figures do not.
    let disk = tmp.path().join("report-disk");
    let tables_size: u64 = ["metrics.csv", "summary.csv", "progress.json", "run.json"]
        .iter()
        .map(|f| std::fs::metadata(full.join(f)).unwrap().len())
        .sum();
    let m = tmpfs(&disk, &(((tables_size * 3) / 4096 + 4) * 4096).to_string());
    let out = disk.join("r");
    let copied = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "mkdir -p {o} && cp {f}/metrics.csv {f}/summary.csv {f}/run.json {o}/",
            o = s(&out),
            f = s(&full)
        ))
        .status()
        .unwrap();
    assert!(copied.success());
    let o = atrophy(&["report", s(&out)]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "the report fit: {err}");
    assert!(
        err.contains("No space left on device") && err.contains(s(&out)),
        "no file named: {err}"
    );
    assert!(!err.contains("BackendError"), "{err}");
    for (name, bytes) in snapshot(&out) {
        assert!(
            !name.contains(".tmp") && !name.ends_with(&format!(".{}.png", 0)),
            "{name}"
        );
        if name.ends_with(".png") {
            assert!(
                bytes.ends_with(&[0xAE, 0x42, 0x60, 0x82]),
                "{name} is truncated"
            );
        }
    }
    drop(m);
}

/// An existing results folder on a read-only file system: the error names the file.
#[test]
fn a_read_only_folder_names_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    if !can_mount(tmp.path()) {
        return;
    }
    let cfg = config(tmp.path());
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let ro = tmp.path().join("ro");
    std::fs::create_dir_all(&ro).unwrap();
    let bind = |args: &[&str]| {
        let o = Command::new("mount").args(args).output().unwrap();
        if !o.status.success() {
            eprintln!(
                "SKIPPED: a read-only bind mount failed here: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        o.status.success()
    };
    if !bind(&["--bind", s(&src), s(&ro)]) {
        return;
    }
    let _m = Mounted(ro.clone());
    if !bind(&["-o", "remount,bind,ro", s(&ro)]) {
        return;
    }
    let o = atrophy(&["run", s(&cfg), "--out", s(&ro)]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("Read-only file system") && err.contains(s(&ro)),
        "{err}"
    );
}

/// An evaluation with non-finite numbers writes JSON that reads back to the same numbers
/// (serde_json alone writes `null`, which does not read as a number).
#[test]
fn non_finite_evaluations_round_trip_through_json() {
    let e = atrophy::results::Evaluation {
        n: 3,
        loss: f64::NAN,
        top1: 0.1,
        mean_class: f64::INFINITY,
        per_class: vec![f64::NEG_INFINITY, 0.5],
        confusion: vec![vec![1, 2], vec![0, 0]],
        superclass: None,
    };
    let json = serde_json::to_string(&e).unwrap();
    assert!(
        json.contains("\"loss\":\"NaN\"") && json.contains("\"top1\":0.1"),
        "{json}"
    );
    let back: atrophy::results::Evaluation = serde_json::from_str(&json).unwrap();
    assert!(back.loss.is_nan() && back.mean_class == f64::INFINITY);
    assert_eq!(back.per_class[0], f64::NEG_INFINITY);
    // A sidecar of atrophy 0.1.0 held `null` for a NaN: it reads as NaN.
    let old = json.replace("\"NaN\"", "null");
    let back: atrophy::results::Evaluation = serde_json::from_str(&old).unwrap();
    assert!(back.loss.is_nan());
}

/// `report` refuses a metrics.csv whose accuracies are no fractions (7.5, NaN), naming the
/// file, the row and the field; a NaN loss (a diverged state) is accepted.
#[test]
fn the_report_refuses_impossible_accuracies() {
    let tmp = tempfile::tempdir().unwrap();
    let head = "regime,cycle,iteration,fraction_injured,state,top1,mean_class,loss,seconds\n";
    let ok_rows = "R,0,0,0,healthy,0.9,0.9,0.3,0\nR,0,1,0.5,injured,0.5,0.5,NaN,1\n";
    std::fs::write(tmp.path().join("metrics.csv"), format!("{head}{ok_rows}")).unwrap();
    ok(&atrophy(&["report", s(tmp.path())]));
    for (bad, field) in [
        ("R,0,1,0.5,retrained,7.5,0.5,1,1\n", "top1 = 7.5"),
        ("R,0,1,0.5,retrained,0.5,NaN,1,1\n", "mean_class = NaN"),
        ("R,0,1,0.5,retrained,0.5,0.5,-1,1\n", "loss = -1"),
    ] {
        std::fs::write(
            tmp.path().join("metrics.csv"),
            format!("{head}{ok_rows}{bad}"),
        )
        .unwrap();
        let o = atrophy(&["report", s(tmp.path())]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{bad}");
        assert!(
            err.contains("metrics.csv row 4") && err.contains(field),
            "{bad}: {err}"
        );
    }
}

/// A checkpoint whose weights file is cut to 0-50 bytes is blamed on the weights file, not
/// on its sidecar.
#[test]
fn a_truncated_checkpoint_is_blamed_on_its_weights() {
    let tmp = tempfile::tempdir().unwrap();
    common::train_synthetic(tmp.path(), "8,M,16,M");
    let weights = tmp.path().join("model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    for n in [0, 8, 50] {
        std::fs::write(&weights, &bytes[..n]).unwrap();
        let o = atrophy(&["eval", s(tmp.path())]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success());
        assert!(
            err.contains("model.safetensors") && !err.contains("model.json:"),
            "{n} bytes: {err}"
        );
        assert!(err.contains("truncated"), "{n} bytes: {err}");
    }
}

/// run.json carries the results format's version: a folder of a newer format is refused with a
/// message that says so; older folders (no version) and this version's are read.
#[test]
fn a_newer_results_format_is_refused_and_older_ones_read() {
    let tmp = tempfile::tempdir().unwrap();
    let head = "regime,cycle,iteration,fraction_injured,state,top1,mean_class,loss,seconds\n";
    std::fs::write(
        tmp.path().join("metrics.csv"),
        format!("{head}R,0,0,0,healthy,0.9,0.9,0.3,0\n"),
    )
    .unwrap();
    let current = atrophy::results::FORMAT_VERSION;
    for (run, readable) in [
        ("{}".to_string(), true),
        (format!("{{\"format_version\": {current}}}"), true),
        (format!("{{\"format_version\": {}}}", current + 1), false),
    ] {
        std::fs::write(tmp.path().join("run.json"), &run).unwrap();
        let o = atrophy(&["report", s(tmp.path())]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.success(), readable, "{run}: {err}");
        if !readable {
            assert!(
                err.contains("run.json") && err.contains("newer than the"),
                "{err}"
            );
        }
    }
}

/// The report reads run.json's config typed: a config that does not read as this atrophy's
/// (a renamed field) is said, naming the field, instead of silently losing what the report
/// takes from it (the paper's figures).
#[test]
fn a_config_the_report_cannot_read_is_said() {
    let tmp = tempfile::tempdir().unwrap();
    let head = "regime,cycle,iteration,fraction_injured,state,top1,mean_class,loss,seconds\n";
    std::fs::write(
        tmp.path().join("metrics.csv"),
        format!("{head}R,0,0,0,healthy,0.9,0.9,0.3,0\n"),
    )
    .unwrap();
    let run = serde_json::json!({"config": {
        "name": "x", "data": {"dataset": "cifar10"},
        "injury": {"kind": "decay", "iterations": 10, "gamma_factor": 0.5},
        "regime": [{"name": "R", "images": 1000}]
    }});
    std::fs::write(tmp.path().join("run.json"), run.to_string()).unwrap();
    let o = atrophy(&["report", s(tmp.path())]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("does not read") && err.contains("gamma_factor"),
        "{err}"
    );
}
