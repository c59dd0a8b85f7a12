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

/// Inputs per reader in the default suite.
const SHORT: usize = 300;

// ---------------------------------------------------------------------------------------------
// .npy

/// A `.npy` file with this header dict (padded as numpy pads it) and data.
fn npy_bytes(dict: &str, data: &[u8], version: u8) -> Vec<u8> {
    let pre = if version == 1 { 10 } else { 12 };
    let mut h = dict.to_string();
    while !(pre + h.len() + 1).is_multiple_of(64) {
        h.push(' ');
    }
    h.push('\n');
    let mut b = b"\x93NUMPY".to_vec();
    b.extend([version, 0]);
    if version == 1 {
        b.extend((h.len() as u16).to_le_bytes());
    } else {
        b.extend((h.len() as u32).to_le_bytes());
    }
    b.extend(h.as_bytes());
    b.extend(data);
    b
}

fn f64_bytes(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Valid `.npy` files: (header dict, data, version).
fn npy_seeds() -> Vec<(String, Vec<u8>, u8)> {
    let vals: Vec<f64> = (0..24).map(|i| i as f64 * 0.5 - 3.0).collect();
    let f32s: Vec<u8> = vals
        .iter()
        .flat_map(|&x| (x as f32).to_le_bytes())
        .collect();
    let d = |descr: &str, fortran: bool, shape: &str| {
        format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
            if fortran { "True" } else { "False" }
        )
    };
    vec![
        (d("<f4", false, "(4, 2, 3)"), f32s.clone(), 1),
        (d("<f8", false, "(4, 6)"), f64_bytes(&vals), 1),
        (d("<f8", true, "(6, 4)"), f64_bytes(&vals), 1),
        (d("<f8", false, "(24,)"), f64_bytes(&vals), 1),
        (d("<f4", false, "(3, 8)"), f32s, 2),
        (d("<f8", false, "()"), f64_bytes(&vals[..1]), 1),
        (d("<f8", false, "(0, 5)"), vec![], 1),
    ]
}

/// Everything the crate reads from one `.npy` file, as a comparable fingerprint.
fn read_npy_all(path: &Path) -> Result<String, String> {
    let f = NpyFile::open(path).map_err(|e| e.to_string())?;
    let bits = |v: &mut dyn Iterator<Item = f64>| v.map(f64::to_bits).collect::<Vec<_>>();
    let mut out = format!("{:?} {:?} {} |", f.dtype, f.shape, f.fortran_order);
    let show = |r: Result<Vec<u64>, String>| match r {
        Ok(v) => format!("{v:?}"),
        Err(e) => format!("error: {e}"),
    };
    let mut errors = Vec::new();
    let mut part = |r: Result<Vec<u64>, String>| {
        if let Err(e) = &r {
            errors.push(e.clone());
        }
        out += &show(r);
        out += " | ";
    };
    part(
        f.read::<f64>()
            .map(|a| bits(&mut a.iter().copied()))
            .map_err(|e| e.to_string()),
    );
    part(
        f.read_matrix::<f32>()
            .map(|a| bits(&mut a.iter().map(|&x| x as f64)))
            .map_err(|e| e.to_string()),
    );
    part(
        f.read_rows::<f64>(0..f.rows().min(2))
            .map(|a| bits(&mut a.iter().copied()))
            .map_err(|e| e.to_string()),
    );
    part(
        npy::read_matrix(path)
            .map(|m| bits(&mut m.into_f64().iter().copied()))
            .map_err(|e| e.to_string()),
    );
    part(
        npy::read_vector(path)
            .map(|v| bits(&mut v.iter().copied()))
            .map_err(|e| e.to_string()),
    );
    // The partial reads may fail (a 0-d array is no matrix, a 2-D one no vector); each failure
    // must still name the file: surface the first one that does not.
    let name = name_of(path);
    if let Some(e) = errors.iter().find(|e| !e.contains(&name)) {
        return Err(e.clone());
    }
    Ok(out)
}

fn run_npy(inputs: usize, seed: u64) -> usize {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("acts.npy");
    let seeds = npy_seeds();
    let mut rng = seeded(seed, 1);
    let mut h = Harness::new("npy", seed);
    for _ in 0..inputs {
        let (dict, data, version) = seeds.choose(&mut rng).unwrap();
        let good = npy_bytes(dict, data, *version);
        let pre = if *version == 1 { 10 } else { 12 };
        let hlen = good.len() - data.len();
        let (bytes, what) = if rng.random_bool(0.35) {
            // Token-level change of the header dict, framed with a correct length.
            let (d, what) = mutate_text(&mut rng, dict);
            let d = String::from_utf8_lossy(&d).trim_end().to_string();
            (npy_bytes(&d, data, *version), format!("header: {what}"))
        } else {
            let marks = [0, 6, 7, 8, pre, hlen - 1, hlen, hlen + 4, good.len()];
            mutate(&mut rng, &good, &marks)
        };
        std::fs::write(&path, &bytes).unwrap();
        h.check(
            &what,
            &["acts.npy"],
            &[&path],
            || read_npy_all(&path),
            |_| Ok(()),
        );
    }
    h.finish(started)
}

// ---------------------------------------------------------------------------------------------
// IDX

fn idx_seed(n: usize, h: usize, w: usize) -> (Vec<u8>, Vec<u8>) {
    let mut images = vec![0u8, 0, 8, 3];
    for d in [n, h, w] {
        images.extend((d as u32).to_be_bytes());
    }
    images.extend((0..n * h * w).map(|i| (i * 37 % 256) as u8));
    let mut labels = vec![0u8, 0, 8, 1];
    labels.extend((n as u32).to_be_bytes());
    labels.extend((0..n).map(|i| (i % 10) as u8));
    (images, labels)
}

type Fingerprint = (usize, usize, usize, Vec<u8>, Vec<u8>, usize);

fn fingerprint(d: &Dataset) -> Fingerprint {
    (
        d.channels,
        d.height,
        d.width,
        d.images.clone(),
        d.labels.clone(),
        d.classes.len(),
    )
}

/// A data set a reader returned must be one that the rest of atrophy can use.
fn sane_fingerprint(f: &Fingerprint) -> Result<(), String> {
    let d = Dataset {
        channels: f.0,
        height: f.1,
        width: f.2,
        images: f.3.clone(),
        labels: f.4.clone(),
        classes: vec![String::new(); f.5],
        superclasses: None,
    };
    if d.is_empty() || d.image_size() == 0 {
        return Err(format!(
            "an empty data set: {} images of {}x{}x{}",
            d.len(),
            d.channels,
            d.height,
            d.width
        ));
    }
    if d.images.len() != d.len() * d.image_size() {
        return Err(format!(
            "{} pixel bytes for {} images of {} bytes",
            d.images.len(),
            d.len(),
            d.image_size()
        ));
    }
    if d.labels.iter().any(|&l| l as usize >= d.num_classes()) {
        return Err("a label out of range".into());
    }
    Ok(())
}

fn run_idx(inputs: usize, seed: u64) -> usize {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (train_i, train_l) = idx_seed(6, 5, 4);
    let (test_i, test_l) = idx_seed(3, 5, 4);
    let good = [train_i, train_l, test_i, test_l];
    let mut rng = seeded(seed, 2);
    let mut h = Harness::new("idx", seed);
    for _ in 0..inputs {
        for (k, stem) in idx::FILES.iter().enumerate() {
            let _ = std::fs::remove_file(dir.join(format!("{stem}.gz")));
            std::fs::write(dir.join(stem), &good[k]).unwrap();
        }
        // The mutated file: one of the four, plain or gzipped, the change made before or after
        // compression.
        let k = rng.random_range(0..4);
        let gz = rng.random_bool(0.4);
        let stem = idx::FILES[k];
        let _ = std::fs::remove_file(dir.join(stem));
        let path = if gz {
            dir.join(format!("{stem}.gz"))
        } else {
            dir.join(stem)
        };
        let marks: &[usize] = if k % 2 == 0 {
            &[0, 4, 8, 12, 16]
        } else {
            &[0, 4, 8]
        };
        let what = if gz && rng.random_bool(0.5) {
            let z = gzip(&good[k]);
            let n = z.len();
            let (b, w) = mutate(&mut rng, &z, &[0, 2, 3, 4, 10, n - 8, n - 4]);
            std::fs::write(&path, b).unwrap();
            format!("{stem}.gz (compressed bytes): {w}")
        } else {
            let (b, w) = mutate(&mut rng, &good[k], marks);
            write_file(&path, &b, gz);
            format!("{} (gzip {gz}): {w}", name_of(&path))
        };
        let name = name_of(&path);
        let classes = ["c"; 10];
        if rng.random_bool(0.5) {
            // The pair alone.
            let pair = (k / 2) * 2;
            let find = |j: usize| idx::find_file(dir, idx::FILES[j]).unwrap();
            let (images, labels) = (find(pair), find(pair + 1));
            h.check(
                &what,
                &[&name],
                &[&path],
                || {
                    idx::read_pair(&images, &labels, &classes)
                        .map(|d| fingerprint(&d))
                        .map_err(|e| e.to_string())
                },
                sane_fingerprint,
            );
        } else {
            // The folder, as `atrophy` finds and reads it.
            h.check(
                &what,
                &[&name],
                &[dir],
                || {
                    locate::read_at("fashion-mnist", dir)
                        .map(|s| (fingerprint(&s.train), fingerprint(&s.test)))
                        .map_err(|e| e.to_string())
                },
                |(a, b)| sane_fingerprint(a).and_then(|()| sane_fingerprint(b)),
            );
        }
    }
    h.finish(started)
}

// ---------------------------------------------------------------------------------------------
// CIFAR-10

const CIFAR_FILES: [&str; 6] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
    "test_batch.bin",
];
/// Records per batch file in the fixtures.
const PER_BATCH: usize = 2;

fn cifar_members() -> Vec<Vec<u8>> {
    (0..6)
        .map(|b| {
            let mut v = Vec::new();
            for r in 0..PER_BATCH {
                v.push(((b * 3 + r) % 10) as u8);
                v.extend((0..3072).map(|i| ((i * 7 + b * 13 + r) % 256) as u8));
            }
            v
        })
        .collect()
}

/// The uncompressed tar of the six members under `cifar-10-batches-bin/`.
fn cifar_tar(members: &[Vec<u8>]) -> Vec<u8> {
    let mut t = tar::Builder::new(Vec::new());
    for (name, bytes) in CIFAR_FILES.iter().zip(members) {
        let mut hd = tar::Header::new_gnu();
        hd.set_size(bytes.len() as u64);
        hd.set_mode(0o644);
        hd.set_cksum();
        t.append_data(&mut hd, format!("cifar-10-batches-bin/{name}"), &bytes[..])
            .unwrap();
    }
    t.into_inner().unwrap()
}

/// Offsets of the 512-byte headers in a tar made by [`cifar_tar`].
fn tar_headers(tar: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 512 <= tar.len() && tar[at..at + 512].iter().any(|&b| b != 0) {
        out.push(at);
        let mut h = tar::Header::new_old();
        h.as_mut_bytes().copy_from_slice(&tar[at..at + 512]);
        let size = h.entry_size().unwrap() as usize;
        at += 512 + size.div_ceil(512) * 512;
    }
    out
}

/// Sets the size field of the tar header at `at` to `size` (octal or base-256 as the tar crate
/// writes it) and fixes the header's checksum, so the archive is well-formed but lies.
fn set_tar_size(tar: &mut [u8], at: usize, size: u64) {
    let mut h = tar::Header::new_old();
    h.as_mut_bytes().copy_from_slice(&tar[at..at + 512]);
    h.set_size(size);
    h.set_cksum();
    tar[at..at + 512].copy_from_slice(h.as_bytes());
}

fn split_fingerprint(s: &atrophy::data::Split) -> (Fingerprint, Fingerprint) {
    (fingerprint(&s.train), fingerprint(&s.test))
}

fn run_cifar(inputs: usize, seed: u64) -> usize {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cifar-10-batches-bin");
    std::fs::create_dir_all(&dir).unwrap();
    let archive = tmp.path().join("cifar-10-binary.tar.gz");
    let members = cifar_members();
    let tar = cifar_tar(&members);
    let headers = tar_headers(&tar);
    let z = gzip(&tar);
    let mut rng = seeded(seed, 3);
    let mut h = Harness::new("cifar", seed);
    let read = |p: &Path| {
        cifar::read_cifar10_with(p, PER_BATCH)
            .map(|s| split_fingerprint(&s))
            .map_err(|e| e.to_string())
    };
    let sane = |(a, b): &(Fingerprint, Fingerprint)| {
        if a.3.len() != 5 * PER_BATCH * 3072 || b.3.len() != PER_BATCH * 3072 {
            return Err(format!("{} and {} pixel bytes", a.3.len(), b.3.len()));
        }
        if a.4.iter().chain(&b.4).any(|&l| l > 9) {
            return Err("a label out of range".into());
        }
        Ok(())
    };
    for _ in 0..inputs {
        match rng.random_range(0..4u32) {
            0 => {
                // The extracted folder, one member changed or missing.
                for (n, b) in CIFAR_FILES.iter().zip(&members) {
                    std::fs::write(dir.join(n), b).unwrap();
                }
                let k = rng.random_range(0..6);
                let file = dir.join(CIFAR_FILES[k]);
                let what = if rng.random_bool(0.05) {
                    std::fs::remove_file(&file).unwrap();
                    format!("{} removed", CIFAR_FILES[k])
                } else {
                    let (b, w) = mutate(&mut rng, &members[k], &[0, 1, 3073, 3074]);
                    std::fs::write(&file, b).unwrap();
                    format!("{}: {w}", CIFAR_FILES[k])
                };
                h.check(&what, &[CIFAR_FILES[k]], &[&dir], || read(&dir), sane);
            }
            1 => {
                // The archive's compressed bytes.
                let n = z.len();
                let (b, w) = mutate(&mut rng, &z, &[0, 2, 3, 4, 10, n - 8, n - 4]);
                std::fs::write(&archive, b).unwrap();
                let what = format!("archive (compressed bytes): {w}");
                h.check(
                    &what,
                    &["cifar-10-binary.tar.gz"],
                    &[&archive],
                    || read(&archive),
                    sane,
                );
            }
            2 => {
                // The tar inside a valid gzip stream: bytes, or a header's size field.
                let (t, what) = if rng.random_bool(0.3) {
                    let mut t = tar.clone();
                    let at = *headers.choose(&mut rng).unwrap();
                    let size = *[
                        0u64,
                        1,
                        3072,
                        3073,
                        3074,
                        2 * 3073 + 1,
                        1 << 20,
                        8_589_934_591,
                        1 << 40,
                        1 << 62,
                        u64::MAX,
                    ]
                    .choose(&mut rng)
                    .unwrap();
                    set_tar_size(&mut t, at, size);
                    (t, format!("tar header at {at} claims {size} bytes"))
                } else {
                    let mut marks = headers.clone();
                    marks.extend(headers.iter().flat_map(|h| [h + 124, h + 148, h + 512]));
                    let (t, w) = mutate(&mut rng, &tar, &marks);
                    (t, format!("tar bytes: {w}"))
                };
                std::fs::write(&archive, gzip(&t)).unwrap();
                h.check(
                    &what,
                    &["cifar-10-binary.tar.gz"],
                    &[&archive],
                    || read(&archive),
                    sane,
                );
            }
            _ => {
                // One member's records, in a well-formed archive.
                let k = rng.random_range(0..6);
                let (b, w) = mutate(&mut rng, &members[k], &[0, 1, 3073, 3074]);
                let mut m = members.clone();
                m[k] = b;
                std::fs::write(&archive, gzip(&cifar_tar(&m))).unwrap();
                let what = format!("archive member {}: {w}", CIFAR_FILES[k]);
                h.check(
                    &what,
                    &["cifar-10-binary.tar.gz"],
                    &[&archive],
                    || read(&archive),
                    sane,
                );
            }
        }
    }
    h.finish(started)
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

/// Writes a tiny checkpoint (untrained; only the files matter) into `dir`.
fn write_checkpoint(dir: &Path) -> CheckpointMeta {
    let arch = Architecture {
        kind: "small_cnn".into(),
        widths: "2,M,3,M".into(),
        batch_norm: true,
        hidden: vec![4],
        dropout: 0.0,
        in_channels: 1,
        image_size: 8,
        num_classes: 3,
        activation: Default::default(),
        torchscript: None,
    };
    let vs = tch::nn::VarStore::new(tch::Device::Cpu);
    let net = Network::new(&vs.root(), &arch).unwrap();
    let meta = CheckpointMeta {
        atrophy_version: "0.1.0".into(),
        architecture: arch,
        dataset: "synthetic".into(),
        normalization: Normalization {
            mean: vec![0.25],
            std: vec![0.5],
        },
        evaluation: None,
        provenance: serde_json::json!({"seed": 7, "epochs": 1, "lr": 0.01}),
    };
    checkpoint::save(&dir.join("model.safetensors"), &vs, &net, &meta).unwrap();
    meta
}

/// What a loaded checkpoint holds: its metadata and every tensor's name, shape and values.
fn load_fingerprint(dir: &Path) -> Result<(String, Vec<String>), String> {
    let (vs, _net, meta) = checkpoint::load(dir, tch::Device::Cpu).map_err(|e| format!("{e:#}"))?;
    let mut vars: Vec<String> = vs
        .variables()
        .into_iter()
        .map(|(n, t)| {
            let v: Vec<f32> = Vec::try_from(t.flatten(0, -1).to_kind(tch::Kind::Float)).unwrap();
            format!("{n} {:?} {:?}", t.size(), v)
        })
        .collect();
    vars.sort();
    Ok((format!("{meta:?}"), vars))
}

fn run_checkpoint(inputs: usize, seed: u64) -> usize {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_checkpoint(dir);
    let (weights, sidecar) = checkpoint::paths(dir);
    let good_json = std::fs::read_to_string(&sidecar).unwrap();
    let good_weights = std::fs::read(&weights).unwrap();
    let st_header = 8 + u64::from_le_bytes(good_weights[..8].try_into().unwrap()) as usize;
    let mut rng = seeded(seed, 4);
    let mut h = Harness::new("checkpoint", seed);
    let names = ["model.json", "model.safetensors"];
    for _ in 0..inputs {
        std::fs::write(&sidecar, &good_json).unwrap();
        std::fs::write(&weights, &good_weights).unwrap();
        let what = match rng.random_range(0..10u32) {
            0..=5 => {
                let (b, w) = mutate_text(&mut rng, &good_json);
                std::fs::write(&sidecar, b).unwrap();
                format!("model.json: {w}")
            }
            6 => {
                std::fs::remove_file(&sidecar).unwrap();
                "model.json removed".into()
            }
            7 => {
                // The safetensors header is JSON too: change it, keeping the framing right.
                let head = String::from_utf8_lossy(&good_weights[8..st_header]).into_owned();
                let (b, w) = mutate_text(&mut rng, &head);
                let mut f = (b.len() as u64).to_le_bytes().to_vec();
                f.extend(b);
                f.extend(&good_weights[st_header..]);
                std::fs::write(&weights, f).unwrap();
                format!("model.safetensors header: {w}")
            }
            _ => {
                let (b, w) = mutate(&mut rng, &good_weights, &[0, 8, st_header]);
                std::fs::write(&weights, b).unwrap();
                format!("model.safetensors: {w}")
            }
        };
        // What `atrophy info` reads (the sidecar alone), then what every other command loads.
        h.check(
            &what,
            &names,
            &[dir],
            || {
                let meta = checkpoint::read_meta(dir).map_err(|e| e.to_string());
                let loaded = load_fingerprint(dir);
                match (meta, loaded) {
                    (Ok(m), Ok(l)) => Ok((format!("{m:?}"), l)),
                    (Err(e), Ok(_)) => panic!("read_meta failed, load did not: {e}"),
                    // The error of load, unless it names neither file.
                    (Ok(_), Err(e)) => Err(e),
                    (Err(a), Err(b)) => Err(if names.iter().any(|n| b.contains(n)) {
                        a
                    } else {
                        b
                    }),
                }
            },
            |_| Ok(()),
        );
    }
    h.finish(started)
}

// ---------------------------------------------------------------------------------------------
// TOML configs

fn config_seeds() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| (name_of(&p), std::fs::read_to_string(&p).unwrap()))
        .collect();
    out.sort();
    assert!(out.len() >= 3, "configs/*.toml: {out:?}");
    out
}

fn run_config(inputs: usize, seed: u64) -> usize {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("mutant.toml");
    let spec = path.to_str().unwrap().to_string();
    let seeds = config_seeds();
    let split = synthetic(&SyntheticSpec {
        channels: 3,
        size: 32,
        classes: 10,
        train: 20,
        test: 10,
        noise: 10,
        seed: 0,
    });
    let mut rng = seeded(seed, 5);
    let mut h = Harness::new("config", seed);
    for _ in 0..inputs {
        let (origin, good) = seeds.choose(&mut rng).unwrap();
        let (bytes, what) = mutate_text(&mut rng, good);
        std::fs::write(&path, bytes).unwrap();
        // Half the time through the command-line changes (`--set`, `--regimes`, `--healthy`).
        let o = if rng.random_bool(0.5) {
            let k = rng.random_range(0..=2);
            let regime = good
                .lines()
                .find_map(|l| l.strip_prefix("name = \"R"))
                .and_then(|l| l.split('"').next())
                .map(|r| format!("R{r}"));
            Overrides {
                set: [
                    "cycles=2",
                    "injury.gamma=0.25",
                    "data.eval_images=100",
                    "seed=3",
                ]
                .choose_multiple(&mut rng, k)
                .map(|s| s.to_string())
                .collect(),
                regimes: regime
                    .filter(|_| rng.random_bool(0.5))
                    .into_iter()
                    .collect(),
                healthy: rng
                    .random_bool(0.3)
                    .then(|| PathBuf::from("runs/x/model.safetensors")),
            }
        } else {
            Overrides::default()
        };
        h.check(
            &format!("{origin}: {what} ({o:?})"),
            &["mutant.toml"],
            &[&path],
            || {
                load_config_with(&spec, &o)
                    .map(ByDebug)
                    .map_err(|e| format!("{e:#}"))
            },
            |ByDebug(c)| {
                // healthy.train is checked against the data set at the start of a run: its
                // numbers matter only when that check passes.
                let mut c = c.clone();
                if c.healthy
                    .train
                    .as_ref()
                    .is_some_and(|t| t.to_spec(&split).is_err())
                {
                    c.healthy.train = None;
                }
                let text = format!("{c:?}");
                if non_finite(&text) {
                    return Err(format!("a NaN or infinite number in {text}"));
                }
                Ok(())
            },
        );
    }
    h.finish(started)
}

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
