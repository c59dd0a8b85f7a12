//! Every file reader under bad and degenerate input: a seeded mutation test.
//!
//! Valid files written here (.npy arrays, IDX images and labels plain and gzipped, CIFAR-10 batch
//! files in a folder and in a `.tar.gz`, a checkpoint's `model.json` and `model.safetensors`, the
//! TOML configs in `configs/`) are truncated (at random lengths and at header boundaries),
//! bit-flipped, overwritten, garbled, extended with duplicated or random chunks, or replaced by
//! random bytes; text (TOML, JSON, the .npy and safetensors headers) also gets token-level
//! mutations: a line deleted, duplicated or swapped, a number or string swapped for a huge,
//! negative, NaN or empty one. Each reader must then either succeed, consistently (reading the
//! same input twice gives the same result), or return an error whose message names the file.
//! A panic, or an error that leaves the user guessing which file is bad, fails the test; so would
//! a reader that believes a header claiming 2^40 elements and aborts on the allocation.
//!
//! The default suite runs a few hundred inputs per reader. The long run:
//! `cargo test --test robustness -- --ignored --nocapture` (add `--release` for speed)
//! tries `ATROPHY_ROBUSTNESS_INPUTS` inputs per reader (default 20000) from seed
//! `ATROPHY_ROBUSTNESS_SEED` (default 1) and prints how many inputs it tried.
//! A failing input is kept under `$TMPDIR/atrophy-robustness/` to reproduce it.
// The checkpoint and config readers need libtorch; the whole test runs with it.
#![cfg(feature = "torch")]
use atrophy::analysis::npy::{self, NpyFile};
use atrophy::checkpoint::{self, CheckpointMeta};
use atrophy::cli::run::load_config_with;
use atrophy::data::{cifar, idx, locate, synthetic, Dataset, Normalization, SyntheticSpec};
use atrophy::experiment::overrides::Overrides;
use atrophy::model::{Architecture, Network};
use rand::seq::IndexedRandom;
use rand::Rng;
use std::panic::catch_unwind;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[path = "robustness/harness.rs"]
mod harness;
#[path = "robustness/mutate.rs"]
mod mutate;
use harness::{name_of, non_finite, panic_text, ByDebug, Harness};
use mutate::{gzip, mutate, mutate_text, seeded, write_file};
#[path = "robustness/npy_files.rs"]
mod npy_files;
use npy_files::*;
#[path = "robustness/idx_files.rs"]
mod idx_files;
use idx_files::*;
#[path = "robustness/cifar_files.rs"]
mod cifar_files;
use cifar_files::*;
#[path = "robustness/checkpoint_files.rs"]
mod checkpoint_files;
use checkpoint_files::*;
#[path = "robustness/config_files.rs"]
mod config_files;
use config_files::*;

/// Inputs per reader in the default suite.
const SHORT: usize = 300;

// ---------------------------------------------------------------------------------------------
// Headers that claim far more than the file holds: an error, never an allocation of it.

#[test]
fn huge_claims_are_errors_not_allocations() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let expect_err = |what: &str, name: &str, r: Result<String, String>| match r {
        Err(e) => assert!(
            e.contains(name),
            "{what}: the error does not name {name}: {e}"
        ),
        Ok(v) => panic!("{what}: read as {v}"),
    };
    // .npy: shapes of 2^40 and 2^124 elements, a zero axis beside huge ones, a 4 GiB header.
    let p = t.join("huge.npy");
    for shape in [
        "(1099511627776,)",
        "(4611686018427387904, 4611686018427387904)",
        "(0, 4611686018427387904, 4611686018427387904)",
        "(4611686018427387904, 4611686018427387904, 0)",
        "(1099511627776, 1099511627776)",
    ] {
        let dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}");
        std::fs::write(&p, npy_bytes(&dict, &f64_bytes(&[1.0, 2.0]), 1)).unwrap();
        let r = catch_unwind(|| {
            npy::read_matrix(&p)
                .map(|m| format!("{:?}", m.shape()))
                .map_err(|e| e.to_string())
        });
        match r {
            Ok(r) => {
                // A zero axis makes an empty array, which may read fine; anything else fails.
                if !shape.contains("(0,") && !shape.contains(", 0)") {
                    expect_err(shape, "huge.npy", r)
                }
            }
            Err(e) => panic!("shape {shape}: panicked: {}", panic_text(&e)),
        }
    }
    let mut b = npy_bytes(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
        &f64_bytes(&[1.0, 2.0]),
        2,
    );
    b[8..12].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    std::fs::write(&p, &b).unwrap();
    expect_err("4 GiB header", "huge.npy", read_npy_all(&p));
    // The report's results folder: a CKA matrix whose header claims 2^40 x 2^40 values.
    let res = t.join("results");
    std::fs::create_dir_all(res.join("cka")).unwrap();
    std::fs::write(
        res.join("metrics.csv"),
        "regime,cycle,iteration,fraction_injured,state,top1,mean_class,loss,seconds\n",
    )
    .unwrap();
    let dict =
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }";
    std::fs::write(
        res.join("cka/R1_c0_i1_injured.npy"),
        npy_bytes(dict, &f64_bytes(&[1.0]), 1),
    )
    .unwrap();
    let r = catch_unwind(|| {
        atrophy::report::results::Results::read(&res)
            .map(|r| format!("{} CKA matrices", r.cka.len()))
            .map_err(|e| format!("{e:#}"))
    })
    .unwrap_or_else(|e| panic!("results folder: panicked: {}", panic_text(&e)));
    expect_err("results folder", "R1_c0_i1_injured.npy", r);
    // IDX: 2^32-1 images of 2^32-1 x 2^32-1 pixels; 2^40 pixels.
    let images = t.join("train-images-idx3-ubyte");
    let labels = t.join("train-labels-idx1-ubyte");
    let (_, lb) = idx_seed(2, 2, 2);
    std::fs::write(&labels, lb).unwrap();
    for dims in [
        [u32::MAX; 3],
        [1 << 20, 1 << 10, 1 << 10],
        [2, 0, 0],
        [0, 2, 2],
    ] {
        let mut ib = vec![0u8, 0, 8, 3];
        for d in dims {
            ib.extend(d.to_be_bytes());
        }
        ib.extend([0u8; 8]);
        std::fs::write(&images, ib).unwrap();
        let r = catch_unwind(|| {
            idx::read_pair(&images, &labels, &["c"; 10])
                .map(|d| format!("{} images", d.len()))
                .map_err(|e| e.to_string())
        })
        .unwrap_or_else(|e| panic!("IDX {dims:?}: panicked: {}", panic_text(&e)));
        expect_err(&format!("IDX {dims:?}"), "train-images-idx3-ubyte", r);
    }
    // A tar member claiming 2^40 and 2^62 bytes.
    let members = cifar_members();
    let tar = cifar_tar(&members);
    let archive = t.join("cifar-10-binary.tar.gz");
    for size in [1u64 << 40, 1 << 62] {
        let mut bad = tar.clone();
        set_tar_size(&mut bad, 0, size);
        std::fs::write(&archive, gzip(&bad)).unwrap();
        let r = catch_unwind(|| {
            cifar::read_cifar10_with(&archive, PER_BATCH)
                .map(|s| format!("{} images", s.train.len()))
                .map_err(|e| e.to_string())
        })
        .unwrap_or_else(|e| panic!("tar size {size}: panicked: {}", panic_text(&e)));
        expect_err(&format!("tar size {size}"), "cifar-10-binary.tar.gz", r);
    }
    // A checkpoint whose sidecar describes a network of 2^40 weights, or one that cannot exist.
    let ck = t.join("ck");
    write_checkpoint(&ck);
    let sidecar = ck.join("model.json");
    let good: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sidecar).unwrap()).unwrap();
    for (field, value) in [
        ("widths", serde_json::json!("1099511627776,M")),
        ("widths", serde_json::json!("1048576,1048576,M")),
        ("hidden", serde_json::json!([1099511627776u64])),
        ("hidden", serde_json::json!([0])),
        ("in_channels", serde_json::json!(1099511627776u64)),
        ("in_channels", serde_json::json!(0)),
        ("image_size", serde_json::json!(4294967296u64)),
        ("image_size", serde_json::json!(0)),
        ("num_classes", serde_json::json!(1099511627776u64)),
    ] {
        let mut v = good.clone();
        v["architecture"][field] = value.clone();
        std::fs::write(&sidecar, serde_json::to_vec(&v).unwrap()).unwrap();
        let r = catch_unwind(|| load_fingerprint(&ck).map(|(m, _)| m))
            .unwrap_or_else(|e| panic!("{field} = {value}: panicked: {}", panic_text(&e)));
        expect_err(&format!("{field} = {value}"), "model.json", r);
    }
    for (field, value) in [
        ("mean", serde_json::json!([])),
        ("std", serde_json::json!([0.5, 0.5])),
        ("std", serde_json::json!([0.0])),
        ("mean", serde_json::json!([1e39])),
    ] {
        let mut v = good.clone();
        v["normalization"][field] = value.clone();
        std::fs::write(&sidecar, serde_json::to_vec(&v).unwrap()).unwrap();
        let r = catch_unwind(|| load_fingerprint(&ck).map(|(m, _)| m))
            .unwrap_or_else(|e| panic!("{field} = {value}: panicked: {}", panic_text(&e)));
        expect_err(&format!("normalization.{field} = {value}"), "model.json", r);
    }
}

/// TOML has `nan` and `inf`: a weight decay of either is an error, in a regime as in the
/// healthy training (which is checked when the data set is known).
#[test]
fn non_finite_weight_decay_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("wd.toml");
    let spec = path.to_str().unwrap();
    let quick =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/quick.toml"))
            .unwrap();
    let split = synthetic(&SyntheticSpec::default());
    for v in ["nan", "inf", "-inf"] {
        let text = quick.replacen(
            "name = \"R1000\"",
            &format!("name = \"R1000\"\nweight_decay = {v}"),
            1,
        );
        std::fs::write(&path, text).unwrap();
        let e = format!(
            "{:#}",
            load_config_with(spec, &Overrides::default()).unwrap_err()
        );
        assert!(e.contains("wd.toml") && e.contains("weight_decay"), "{e}");
        let text = quick.replacen("weight_decay = 5e-4", &format!("weight_decay = {v}"), 1);
        std::fs::write(&path, text).unwrap();
        let c = load_config_with(spec, &Overrides::default()).unwrap();
        let e = c
            .healthy
            .train
            .unwrap()
            .to_spec(&split)
            .unwrap_err()
            .to_string();
        assert!(e.contains("weight_decay"), "{e}");
    }
}

// ---------------------------------------------------------------------------------------------
// The runs.

#[test]
fn npy_mutants_read_or_name_the_file() {
    run_npy(SHORT, 0);
}

#[test]
fn idx_mutants_read_or_name_the_file() {
    run_idx(SHORT, 0);
}

#[test]
fn cifar_mutants_read_or_name_the_file() {
    run_cifar(SHORT, 0);
}

#[test]
fn checkpoint_mutants_read_or_name_the_file() {
    run_checkpoint(SHORT, 0);
}

#[test]
fn config_mutants_read_or_name_the_file() {
    run_config(SHORT, 0);
}

/// A reader's run: (inputs, seed) -> inputs tried.
type Run = fn(usize, u64) -> usize;

/// The long run: `ATROPHY_ROBUSTNESS_INPUTS` inputs per reader (default 20000), from seed
/// `ATROPHY_ROBUSTNESS_SEED` (default 1).
#[test]
#[ignore = "long (minutes): cargo test --test robustness -- --ignored --nocapture"]
fn long_mutation_run_of_every_reader() {
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .map(|v| {
                v.parse::<u64>()
                    .unwrap_or_else(|_| panic!("{k}={v}: not a number"))
            })
            .unwrap_or(d)
    };
    let n = env("ATROPHY_ROBUSTNESS_INPUTS", 20_000) as usize;
    let seed = env("ATROPHY_ROBUSTNESS_SEED", 1);
    let started = Instant::now();
    let runs: [(&str, Run); 5] = [
        ("npy", run_npy),
        ("idx", run_idx),
        ("cifar", run_cifar),
        ("checkpoint", run_checkpoint),
        ("config", run_config),
    ];
    let mut failed = Vec::new();
    let mut total = 0;
    for (name, run) in runs {
        match catch_unwind(|| run(n, seed)) {
            Ok(tried) => total += tried,
            Err(e) => failed.push(format!("{name}: {}", panic_text(&e))),
        }
    }
    eprintln!(
        "long run, seed {seed}: {total} inputs in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}
