//! `atrophy slurm --submit` on a real Slurm: a single-node cluster on this machine
//! (`scripts/local-slurm.sh start`, Debian's slurm-wlm and munge, as root). The experiment's
//! jobs (healthy model, an array of 3 shards, merge + report) must give the tables of a
//! single-process run byte for byte (the seconds column aside), also when one array task is
//! requeued mid-run (`scontrol requeue`), as after a node failure.
//!
//! Needs a running Slurm, so it is ignored by `cargo test`; `.ci/run` starts the local cluster
//! and runs it (`cargo test --test slurm -- --ignored`), and says so when Slurm cannot be
//! installed. Run it yourself with:
//!
//!     sudo scripts/local-slurm.sh install && sudo scripts/local-slurm.sh start
//!     cargo test --test slurm -- --ignored --nocapture
#![cfg(feature = "torch")]
mod common;

use common::{atrophy, ok};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The tables that must agree, with the wall-time column of metrics.csv dropped.
fn tables(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let rows = common::metrics_without_seconds(dir);
    out.push(("metrics.csv".into(), rows.join("\n")));
    for f in ["summary.csv", "rdm_tau.csv", "pathways.csv"] {
        out.push((f.into(), std::fs::read_to_string(dir.join(f)).unwrap()));
    }
    out
}

fn slurm_running() -> bool {
    Command::new("sinfo")
        .args(["-h", "-o", "%T"])
        .output()
        .map(|o| {
            let s = String::from_utf8_lossy(&o.stdout);
            o.status.success()
                && s.lines()
                    .any(|l| l.starts_with("idle") || l.starts_with("mix"))
        })
        .unwrap_or(false)
}

/// JobState of `job` (for an array, of its first task still known), via scontrol.
fn job_states(job: &str) -> Vec<String> {
    let out = Command::new("scontrol")
        .args(["show", "job", job])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("JobState="))
        .map(String::from)
        .collect()
}

/// Waits until every task of `job` has left the queue; panics on a failed task or after
/// `limit`.
fn wait_done(job: &str, limit: Duration) {
    let t = Instant::now();
    loop {
        let states = job_states(job);
        if states
            .iter()
            .any(|s| s == "FAILED" || s == "CANCELLED" || s == "TIMEOUT")
        {
            panic!("job {job} ended badly: {states:?}");
        }
        if !states.is_empty() && states.iter().all(|s| s == "COMPLETED") {
            return;
        }
        assert!(
            t.elapsed() < limit,
            "job {job} not done after {limit:?}: {states:?}"
        );
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// The job ids `atrophy slurm --submit` printed: healthy, shard array, merge.
fn submitted(stdout: &str) -> (String, String, String) {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("submitted:"))
        .unwrap_or_else(|| panic!("no job ids in: {stdout}"));
    let ids: Vec<String> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect();
    assert_eq!(ids.len(), 3, "{line}");
    (ids[0].clone(), ids[1].clone(), ids[2].clone())
}

fn submit(cfg: &str, exp: &Path, extra: &[&str]) -> (String, String, String) {
    let mut args = vec![
        "slurm",
        cfg,
        "--shards",
        "3",
        "--out",
        exp.to_str().unwrap(),
        "--cpus-per-task",
        "1",
        "--submit",
    ];
    args.extend_from_slice(extra);
    submitted(&ok(&atrophy(&args)))
}

#[test]
#[ignore = "needs a running Slurm: scripts/local-slurm.sh start (as root), then --ignored"]
fn sharded_slurm_jobs_give_the_single_process_tables_also_after_a_requeue() {
    assert!(
        slurm_running(),
        "no Slurm node is up: run `sudo scripts/local-slurm.sh install && sudo scripts/local-slurm.sh start`"
    );
    // Inside the repository's target folder, where the Slurm jobs (same machine) can read it.
    let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let cfg = tmp.path().join("slurm-tiny.toml");
    std::fs::write(
        &cfg,
        common::tiny_experiment().replace("cycles = 2", "cycles = 3"),
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    let t = Instant::now();
    let single = tmp.path().join("single");
    ok(&atrophy(&[
        "--threads",
        "1",
        "run",
        cfg,
        "--out",
        single.to_str().unwrap(),
    ]));
    let single_s = t.elapsed().as_secs_f64();
    let want = tables(&single);

    // 1. Three shards through Slurm.
    let t = Instant::now();
    let exp = tmp.path().join("sharded");
    let (healthy, shards, merge) = submit(cfg, &exp, &[]);
    wait_done(&merge, Duration::from_secs(900));
    let slurm_s = t.elapsed().as_secs_f64();
    for job in [&healthy, &shards] {
        assert!(job_states(job).iter().all(|s| s == "COMPLETED"));
    }
    assert_eq!(tables(&exp.join("merged")), want);
    assert!(exp.join("merged/report.html").is_file());
    for i in 0..3 {
        assert!(
            !exp.join(format!("shard-{i}-of-3/healthy")).exists(),
            "shard {i} trained its own healthy model"
        );
    }
    eprintln!("single process {single_s:.1} s; healthy + 3 shards + merge on Slurm {slurm_s:.1} s");

    // 2. The same with array task 1 requeued once it has finished a step.
    let exp = tmp.path().join("requeued");
    let (_, shards, merge) = submit(cfg, &exp, &["--requeue"]);
    let progress = exp.join("shard-1-of-3/progress.json");
    let t = Instant::now();
    loop {
        let done = std::fs::read_to_string(&progress)
            .ok()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
            .and_then(|v| v["completed"].as_u64())
            .unwrap_or(0);
        if done >= 1 {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(600),
            "task 1 made no progress"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let task = format!("{shards}_1");
    let out = Command::new("scontrol")
        .args(["requeue", &task])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "scontrol requeue {task}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_done(&merge, Duration::from_secs(900));
    let restarts = Command::new("scontrol")
        .args(["show", "job", &task])
        .output()
        .unwrap();
    let restarts = String::from_utf8_lossy(&restarts.stdout);
    assert!(restarts.contains("Restarts=1"), "{restarts}");
    assert_eq!(tables(&exp.join("merged")), want);
}
