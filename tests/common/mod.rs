//! Helpers shared by the integration tests that drive the `atrophy` binary.
#![allow(dead_code)] // each test crate uses its own subset
use std::path::Path;
use std::process::{Command, Output};

/// libtorch's global generator draws every network's initial weights (and the seed a test sets
/// on it is process-wide), so two tests of one binary that draw from it at once would change
/// each other's numbers: each such test holds this lock while it runs.
static GLOBAL_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Holds libtorch's global generator for the calling test (see `GLOBAL_RNG`).
pub fn global_rng() -> std::sync::MutexGuard<'static, ()> {
    GLOBAL_RNG.lock().unwrap_or_else(|e| e.into_inner())
}

/// The `atrophy` binary with `args`, on one libtorch thread: test binaries run in parallel on
/// two cores, and libtorch's default of one thread per core would oversubscribe them.
pub fn atrophy_cmd(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_atrophy"));
    c.args(args).env("ATROPHY_THREADS", "1");
    c
}

/// Runs `atrophy args` to completion.
pub fn atrophy(args: &[&str]) -> Output {
    atrophy_cmd(args).output().unwrap()
}

/// The standard output of a run that must have succeeded; otherwise fails showing its stderr.
pub fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Trains the small CNN with conv `widths` for one epoch on the synthetic data set into `dir`
/// (checkpoint `dir/model.safetensors`) and returns what it printed.
pub fn train_synthetic(dir: &Path, widths: &str) -> String {
    ok(&atrophy(&[
        "train",
        "--dataset",
        "synthetic",
        "--model",
        "small_cnn",
        "--widths",
        widths,
        "--epochs",
        "1",
        "--lr",
        "0.02",
        "--out",
        dir.to_str().unwrap(),
    ]))
}

/// A small CNN trained for one epoch on the synthetic data set into `dir`, loaded as the subject
/// of an experiment (injury by ablation, one iteration), with the data set.
#[cfg(feature = "torch")]
pub fn synthetic_subject(
    dir: &Path,
) -> (atrophy::experiment::subject::Subject, atrophy::data::Split) {
    train_synthetic(dir, "8,M,16,M");
    let split = atrophy::data::load_or_fetch("synthetic", None, false).unwrap();
    let injury: atrophy::injury::InjuryConfig =
        toml::from_str("kind = \"ablation\"\niterations = 1").unwrap();
    let s = atrophy::experiment::subject::Subject::load(
        &dir.join("model.safetensors"),
        &split,
        &injury,
        tch::Device::Cpu,
    )
    .unwrap();
    (s, split)
}

/// Runs `atrophy args` again and again, killing it with SIGKILL after a random wait between
/// `full_ms / 8` and `full_ms / 3` (`full_ms`: how long an uninterrupted run took), until a run
/// finishes; at most `attempts` starts. Returns how many times it was killed; a run that ends
/// with an error fails the test.
pub fn run_with_kills(args: &[&str], full_ms: u64, seed: u64, attempts: usize) -> usize {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut kills = 0;
    // What the last start said, to explain a start that fails.
    let said = tempfile::NamedTempFile::new().unwrap();
    for attempt in 0..attempts {
        let mut child = atrophy_cmd(args)
            .stdout(std::process::Stdio::null())
            .stderr(said.reopen().unwrap())
            .spawn()
            .unwrap();
        // Kill points spread over the run, the healthy training included.
        let wait_ms = rng.random_range(full_ms / 8..full_ms / 3).max(20) as u128;
        let t0 = std::time::Instant::now();
        while t0.elapsed().as_millis() < wait_ms {
            if let Some(s) = child.try_wait().unwrap() {
                assert!(
                    s.success(),
                    "attempt {attempt} failed: {}",
                    std::fs::read_to_string(said.path()).unwrap_or_default()
                );
                return kills;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        kills += 1;
    }
    kills
}

/// An experiment config on the synthetic data set: `head` (name, seed, cycles, ...), the data
/// (`eval_images` test images) and a small CNN trained for one epoch as the healthy model, then
/// `rest` (`[injury]`, the regimes, ...).
pub fn synthetic_config(head: &str, eval_images: usize, rest: &str) -> String {
    format!(
        r#"{head}

[data]
dataset = "synthetic"
eval_images = {eval_images}

[healthy.train]
model = "small_cnn"
widths = "8,M,16,M"
epochs = 1
batch_size = 64
lr = 0.02

{rest}"#
    )
}

/// A tiny experiment on the synthetic data set (small CNN, decay, R200 and static, all four
/// analyses): seconds per run.
pub fn tiny_experiment() -> String {
    synthetic_config(
        r#"name = "tiny"
seed = 7
cycles = 2
analyses = ["accuracy", "cka", "rdm", "pathways"]"#,
        300,
        r#"[injury]
kind = "decay"
iterations = 3
gamma = 0.5

[[regime]]
name = "R200"
images = 200
epochs = 1
batch_size = 50
lr = 0.01

[[regime]]
name = "static"
static = true

[analysis]
images = 120
kendall = "a"
pathways_fraction = 0.05
"#,
    )
}

/// The rows of `DIR/metrics.csv` without its wall-time column (the one column that differs
/// between runs that must agree).
pub fn metrics_without_seconds(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let sec = header.iter().position(|h| *h == "seconds").unwrap();
    text.lines()
        .map(|l| {
            l.split(',')
                .enumerate()
                .filter(|(i, _)| *i != sec)
                .map(|(_, v)| v)
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect()
}

/// Runs the experiment config `cfg` into `out` to completion (its output, if it succeeded).
pub fn run_experiment(cfg: &Path, out: &Path) -> String {
    ok(&atrophy(&[
        "run",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]))
}
