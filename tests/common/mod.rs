//! Helpers shared by the integration tests that drive the `atrophy` binary.
#![allow(dead_code)] // each test crate uses its own subset
use std::path::Path;
use std::process::{Command, Output};

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
