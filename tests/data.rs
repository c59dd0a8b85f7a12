//! Data readers, download, augmentation and subsets, on fixtures the tests make themselves.
use atrophy::data::{
    self, cifar, fetch, idx, synthetic, Augment, Dataset, Normalization, SyntheticSpec,
};
use rand::{Rng, SeedableRng};
use std::io::{Read, Write};
use std::path::Path;

fn small(channels: usize, size: usize, n: usize, seed: u64) -> data::Split {
    synthetic(&SyntheticSpec {
        channels,
        size,
        classes: 10,
        train: n * 5,
        test: n,
        noise: 100,
        seed,
    })
}

fn write_cifar_dir(dir: &Path, split: &data::Split, per_batch: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for b in 0..5 {
        let part = split
            .train
            .select(&(b * per_batch..(b + 1) * per_batch).collect::<Vec<_>>());
        let mut f = std::fs::File::create(dir.join(format!("data_batch_{}.bin", b + 1))).unwrap();
        cifar::write_batch(&part, &mut f).unwrap();
    }
    let mut f = std::fs::File::create(dir.join("test_batch.bin")).unwrap();
    cifar::write_batch(&split.test, &mut f).unwrap();
}

fn tar_gz(dir: &Path, out: &Path) {
    let f = std::fs::File::create(out).unwrap();
    let gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
    let mut t = tar::Builder::new(gz);
    t.append_dir_all("cifar-10-batches-bin", dir).unwrap();
    t.into_inner().unwrap().finish().unwrap();
}

#[test]
fn cifar_folder_and_archive_read_the_same_records() {
    let tmp = tempfile::tempdir().unwrap();
    let split = small(3, 32, 20, 1);
    let dir = tmp.path().join("cifar-10-batches-bin");
    write_cifar_dir(&dir, &split, 20);
    let archive = tmp.path().join("cifar-10-binary.tar.gz");
    tar_gz(&dir, &archive);
    let a = cifar::read_cifar10_with(&dir, 20).unwrap();
    let b = cifar::read_cifar10_with(&archive, 20).unwrap();
    assert_eq!(a.train.images, split.train.images);
    assert_eq!(a.train.labels, split.train.labels);
    assert_eq!(a.test.images, split.test.images);
    assert_eq!(b.train.images, a.train.images);
    assert_eq!(b.test.labels, a.test.labels);
    assert_eq!(b.train.classes[0], "airplane");
    // The official reader expects 10,000 records per file and says so, naming the file.
    let e = cifar::read_cifar10(&dir).unwrap_err().to_string();
    assert!(
        e.contains("data_batch_1.bin") && e.contains("expected 10000"),
        "{e}"
    );
}

#[test]
fn cifar_bad_files_name_the_file_and_the_expectation() {
    let tmp = tempfile::tempdir().unwrap();
    let split = small(3, 32, 20, 2);
    let dir = tmp.path().join("c");
    write_cifar_dir(&dir, &split, 20);
    // Truncated.
    let f = dir.join("data_batch_3.bin");
    let bytes = std::fs::read(&f).unwrap();
    std::fs::write(&f, &bytes[..bytes.len() - 100]).unwrap();
    let e = cifar::read_cifar10_with(&dir, 20).unwrap_err().to_string();
    assert!(
        e.contains("data_batch_3.bin") && e.contains("3073-byte records"),
        "{e}"
    );
    // Label out of range.
    let mut bytes = bytes.clone();
    bytes[3073 * 4] = 12;
    std::fs::write(&f, &bytes).unwrap();
    let e = cifar::read_cifar10_with(&dir, 20).unwrap_err().to_string();
    assert!(
        e.contains("data_batch_3.bin") && e.contains("label 12 of record 4") && e.contains("0..9"),
        "{e}"
    );
    // Missing.
    std::fs::remove_file(dir.join("test_batch.bin")).unwrap();
    let e = cifar::read_cifar10_with(&dir, 20).unwrap_err().to_string();
    assert!(e.contains("test_batch.bin"), "{e}");
    // Not an archive at all.
    let junk = tmp.path().join("cifar-10-binary.tar.gz");
    std::fs::write(&junk, b"this is not gzip").unwrap();
    let e = cifar::read_cifar10_with(&junk, 20).unwrap_err().to_string();
    assert!(
        e.contains("cifar-10-binary.tar.gz") && e.contains("gzipped tar"),
        "{e}"
    );
}

fn write_idx_dir(dir: &Path, split: &data::Split, gz: bool) {
    std::fs::create_dir_all(dir).unwrap();
    let pairs = [(&split.train, 0), (&split.test, 2)];
    for (d, k) in pairs {
        let (i, l) = (dir.join(idx::FILES[k]), dir.join(idx::FILES[k + 1]));
        idx::write_pair(d, &i, &l).unwrap();
        if gz {
            for p in [i, l] {
                let raw = std::fs::read(&p).unwrap();
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(&raw).unwrap();
                std::fs::write(
                    p.with_file_name(format!("{}.gz", p.file_name().unwrap().to_string_lossy())),
                    e.finish().unwrap(),
                )
                .unwrap();
                std::fs::remove_file(&p).unwrap();
            }
        }
    }
}

#[test]
fn idx_plain_and_gzipped_read_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let split = small(1, 28, 30, 3);
    write_idx_dir(&tmp.path().join("plain"), &split, false);
    write_idx_dir(&tmp.path().join("gz"), &split, true);
    let a = idx::read_idx_dir(&tmp.path().join("plain"), "mnist", &["0"; 10]).unwrap();
    let b = data::locate::read_at("fashion-mnist", &tmp.path().join("gz")).unwrap();
    assert_eq!(a.train.images, split.train.images);
    assert_eq!(b.train.images, split.train.images);
    assert_eq!(b.test.labels, split.test.labels);
    assert_eq!(
        (b.train.height, b.train.width, b.train.channels),
        (28, 28, 1)
    );
    assert_eq!(b.train.classes[9], "ankle boot");
}

#[test]
fn idx_bad_files_name_the_file_and_the_expectation() {
    let tmp = tempfile::tempdir().unwrap();
    let split = small(1, 28, 10, 4);
    let dir = tmp.path();
    write_idx_dir(dir, &split, false);
    let labels = dir.join(idx::FILES[1]);
    let images = dir.join(idx::FILES[0]);
    let good_labels = std::fs::read(&labels).unwrap();
    let good_images = std::fs::read(&images).unwrap();
    // Wrong magic.
    let mut b = good_images.clone();
    b[3] = 0x01;
    std::fs::write(&images, &b).unwrap();
    let e = data::locate::read_at("mnist", dir).unwrap_err().to_string();
    assert!(
        e.contains("train-images-idx3-ubyte")
            && e.contains("wrong magic number 0x00000801")
            && e.contains("0x00000803"),
        "{e}"
    );
    // Truncated.
    std::fs::write(&images, &good_images[..good_images.len() - 7]).unwrap();
    let e = data::locate::read_at("mnist", dir).unwrap_err().to_string();
    assert!(
        e.contains("train-images-idx3-ubyte") && e.contains("wrong size"),
        "{e}"
    );
    std::fs::write(&images, &good_images).unwrap();
    // Record count mismatch between images and labels.
    let mut b = good_labels[..good_labels.len() - 1].to_vec();
    b[7] -= 1;
    std::fs::write(&labels, &b).unwrap();
    let e = data::locate::read_at("mnist", dir).unwrap_err().to_string();
    assert!(
        e.contains("train-labels-idx1-ubyte") && e.contains("wrong record count"),
        "{e}"
    );
    // Label out of range.
    let mut b = good_labels.clone();
    b[8 + 5] = 10;
    std::fs::write(&labels, &b).unwrap();
    let e = data::locate::read_at("mnist", dir).unwrap_err().to_string();
    assert!(
        e.contains("train-labels-idx1-ubyte") && e.contains("label 10 of record 5"),
        "{e}"
    );
    // Corrupt gzip.
    std::fs::write(dir.join("t10k-images-idx3-ubyte.gz"), [0x1f, 0x8b, 0, 1, 2]).unwrap();
    std::fs::remove_file(dir.join("t10k-images-idx3-ubyte")).unwrap();
    std::fs::write(&labels, &good_labels).unwrap();
    let e = data::locate::read_at("mnist", dir).unwrap_err().to_string();
    assert!(
        e.contains("t10k-images-idx3-ubyte.gz") && e.contains("gzip"),
        "{e}"
    );
    // An explicit path that does not hold it is an error naming that path alone, whatever
    // $ATROPHY_DATA or the cache hold (no silent fall-back to another copy), and no download.
    for e in [
        data::load("mnist", Some(&tmp.path().join("nowhere"))).unwrap_err(),
        data::load_or_fetch("mnist", Some(&tmp.path().join("nowhere")), false).unwrap_err(),
    ] {
        let e = e.to_string();
        assert!(
            e.contains("nowhere") && e.contains("atrophy data fetch mnist"),
            "{e}"
        );
        assert_eq!(
            e.matches("\n  ").count(),
            1,
            "searched more than the path given: {e}"
        );
    }
}

/// Serves `files` (name -> bytes) over HTTP on 127.0.0.1 for `requests` requests.
fn serve(files: Vec<(String, Vec<u8>)>, requests: usize) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let mut s = stream.unwrap();
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            let path = req
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/')
                .to_string();
            match files.iter().find(|(name, _)| *name == path) {
                Some((_, body)) => {
                    let _ = write!(
                        s,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = s.write_all(body);
                }
                None => {
                    let _ = write!(
                        s,
                        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                }
            }
        }
    });
    format!("http://{addr}")
}

#[test]
fn fetch_checks_sha256_and_md5_and_leaves_no_partial_file() {
    let body: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&body).unwrap();
    let gz = gz.finish().unwrap();
    let sha_file = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&gz))
    };
    let sha_content = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&body))
    };
    let md5_file = {
        use md5::Digest;
        hex::encode(md5::Md5::digest(&gz))
    };
    let mut corrupt = gz.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 0xff;
    let base = serve(
        vec![("good.gz".into(), gz.clone()), ("bad.gz".into(), corrupt)],
        5,
    );
    let tmp = tempfile::tempdir().unwrap();
    let ok = vec![
        fetch::Remote {
            file: "a.gz".into(),
            url: format!("{base}/good.gz"),
            digest: fetch::Digest::Sha256(sha_file.clone()),
            checked: fetch::Checked::File,
        },
        fetch::Remote {
            file: "b.gz".into(),
            url: format!("{base}/good.gz"),
            digest: fetch::Digest::Sha256(sha_content),
            checked: fetch::Checked::Content,
        },
        fetch::Remote {
            file: "c.tar.gz".into(),
            url: format!("{base}/good.gz"),
            digest: fetch::Digest::Md5(md5_file.clone()),
            checked: fetch::Checked::File,
        },
    ];
    let got = fetch::fetch(&ok, tmp.path(), false).unwrap();
    assert_eq!(std::fs::read(&got[0]).unwrap(), gz);
    assert_eq!(std::fs::read(&got[1]).unwrap(), gz);
    assert_eq!(std::fs::read(&got[2]).unwrap(), gz);
    let bad_md5 = vec![fetch::Remote {
        file: "cifar-100-binary.tar.gz".into(),
        url: format!("{base}/bad.gz"),
        digest: fetch::Digest::Md5(md5_file),
        checked: fetch::Checked::File,
    }];
    let e = fetch::fetch(&bad_md5, tmp.path(), false)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("cifar-100-binary.tar.gz") && e.contains("md5 mismatch"),
        "{e}"
    );
    let bad = vec![fetch::Remote {
        file: "train-images-idx3-ubyte.gz".into(),
        url: format!("{base}/bad.gz"),
        digest: fetch::Digest::Sha256(sha_file),
        checked: fetch::Checked::File,
    }];
    let e = fetch::fetch(&bad, tmp.path(), false)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("train-images-idx3-ubyte.gz") && e.contains("sha256 mismatch"),
        "{e}"
    );
    let left: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut left_sorted = left.clone();
    left_sorted.sort();
    assert_eq!(
        left_sorted,
        vec!["a.gz", "b.gz", "c.tar.gz"],
        "a partial or corrupt file was left: {left:?}"
    );
}

#[test]
fn fetch_via_the_cli_with_a_mirror_names_the_file_on_mismatch() {
    // The mirror serves a file that is not the official MNIST: the official checksum must fail,
    // the error must name the file, and the cache must stay empty.
    let base = serve(
        vec![(
            "train-images-idx3-ubyte.gz".into(),
            b"\x1f\x8b not really".to_vec(),
        )],
        1,
    );
    let cache = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_atrophy"))
        .args(["data", "fetch", "mnist", "--mirror", &base])
        .env("ATROPHY_CACHE", cache.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("train-images-idx3-ubyte.gz"), "{err}");
    let files: Vec<_> = walk(cache.path());
    assert!(files.is_empty(), "cache holds {files:?}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn tiny(images: Vec<u8>, c: usize, h: usize, w: usize) -> Dataset {
    let n = images.len() / (c * h * w);
    Dataset {
        channels: c,
        height: h,
        width: w,
        images,
        labels: vec![0; n],
        classes: vec!["a".into(), "b".into()],
        superclasses: None,
    }
}

/// The 3x3 image 1..9 cropped at offset (dy, dx) from its 1-pixel padding, mirrored first when
/// `flip`: each output cell's source value, or None where it falls on the padding.
fn shifted_3x3(dy: i32, dx: i32, flip: bool) -> Vec<Option<i32>> {
    (0..9)
        .map(|k| {
            let (y, x) = (k / 3, k % 3);
            let xx = if flip { 2 - x } else { x };
            let (sy, sx) = (y + dy, xx + dx);
            ((0..3).contains(&sy) && (0..3).contains(&sx)).then_some(sy * 3 + sx + 1)
        })
        .collect()
}

#[test]
fn augmentation_crops_with_zero_padding_and_flips() {
    // One 1x3x3 image 1..9; identity normalisation on the 0-255 scale via std = 1/255.
    let d = tiny((1..=9).collect(), 1, 3, 3);
    let norm = Normalization {
        mean: vec![0.0],
        std: vec![1.0 / 255.0],
    };
    let mut out = vec![0f32; 9];
    data::fill_batch::<rand_chacha::ChaCha8Rng>(&d, &[0], &norm, None, &mut out);
    assert_eq!(out, (1..=9).map(|v| v as f32).collect::<Vec<_>>());
    // Over many draws, every crop offset in -1..=1 and both flips appear, and every output is a
    // shifted (zero-filled) and possibly mirrored copy of the input.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..400 {
        data::fill_batch(
            &d,
            &[0],
            &norm,
            Some((
                Augment {
                    pad: 1,
                    flip: true,
                    cutout: 0,
                },
                &mut rng,
            )),
            &mut out,
        );
        let mut matched = false;
        for dy in -1i32..=1 {
            for dx in -1i32..=1 {
                for flip in [false, true] {
                    let expect: Vec<f32> = shifted_3x3(dy, dx, flip)
                        .into_iter()
                        .map(|v| v.map_or(0.0, |v| v as f32))
                        .collect();
                    if expect == out {
                        seen.insert((dy, dx, flip));
                        matched = true;
                    }
                }
            }
        }
        assert!(matched, "not a crop/flip of the input: {out:?}");
    }
    assert_eq!(
        seen.len(),
        18,
        "some crop offsets or flips never occur: {seen:?}"
    );
    // Same seed, same batch.
    let mut a = vec![0f32; 9];
    let mut b = vec![0f32; 9];
    data::fill_batch(
        &d,
        &[0],
        &norm,
        Some((
            Augment::CIFAR,
            &mut rand_chacha::ChaCha8Rng::seed_from_u64(3),
        )),
        &mut a,
    );
    data::fill_batch(
        &d,
        &[0],
        &norm,
        Some((
            Augment::CIFAR,
            &mut rand_chacha::ChaCha8Rng::seed_from_u64(3),
        )),
        &mut b,
    );
    assert_eq!(a, b);
}

#[test]
fn normalisation_is_per_channel() {
    let d = tiny(vec![0, 255, 51, 102], 2, 1, 2);
    let norm = Normalization {
        mean: vec![0.5, 0.2],
        std: vec![0.5, 0.1],
    };
    let mut out = vec![0f32; 4];
    data::fill_batch::<rand_chacha::ChaCha8Rng>(&d, &[0], &norm, None, &mut out);
    let expect = [
        (0.0 - 0.5) / 0.5,
        (1.0 - 0.5) / 0.5,
        (0.2 - 0.2) / 0.1,
        (0.4 - 0.2) / 0.1,
    ];
    for (o, e) in out.iter().zip(expect) {
        assert!((o - e).abs() < 1e-5, "{out:?}");
    }
    let (m, s) = d.channel_stats();
    assert!((m[0] - 0.5).abs() < 1e-12 && (s[0] - 0.5).abs() < 1e-12);
}

#[test]
fn subsets_are_without_replacement_and_balanced_when_asked() {
    let split = small(1, 8, 100, 5);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let r = data::random_subset(split.train.len(), 137, &mut rng).unwrap();
    let uniq: std::collections::HashSet<_> = r.iter().collect();
    assert_eq!((r.len(), uniq.len()), (137, 137));
    assert!(r.iter().all(|&i| i < split.train.len()));
    let b = data::balanced_subset(&split.train, 100, &mut rng).unwrap();
    let counts = split.train.select(&b).class_counts();
    assert_eq!(counts, vec![10; 10]);
    let b = data::balanced_subset(&split.train, 103, &mut rng).unwrap();
    let mut counts = split.train.select(&b).class_counts();
    counts.sort();
    assert_eq!(counts, vec![10, 10, 10, 10, 10, 10, 10, 11, 11, 11]);
    assert!(data::random_subset(10, 11, &mut rng)
        .unwrap_err()
        .to_string()
        .contains("cannot draw 11"));
    assert!(data::balanced_subset(&split.train, 100_000, &mut rng).is_err());
}

#[test]
fn synthetic_is_deterministic() {
    let a = small(1, 28, 50, 9);
    let b = small(1, 28, 50, 9);
    let c = small(1, 28, 50, 10);
    assert_eq!(a.train.images, b.train.images);
    assert_ne!(a.train.images, c.train.images);
}

/// A data set found nowhere is downloaded before training starts; a failed download says which
/// file and leaves the cache empty.
#[cfg(feature = "torch")]
#[test]
fn training_fetches_a_missing_data_set_first() {
    let cache = tempfile::tempdir().unwrap();
    // With the cache redirected and $ATROPHY_DATA removed, only the system folder could hold it.
    if data::locate::find_in("mnist", Path::new("/usr/share/datasets")).is_some() {
        return; // this machine holds MNIST in a system folder: nothing to fetch
    }
    let base = serve(
        vec![(
            "train-images-idx3-ubyte.gz".into(),
            b"\x1f\x8b not MNIST".to_vec(),
        )],
        1,
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_atrophy"))
        .args([
            "train",
            "--dataset",
            "mnist",
            "--epochs",
            "1",
            "--out",
            cache.path().join("run").to_str().unwrap(),
        ])
        .env("ATROPHY_CACHE", cache.path())
        .env("ATROPHY_MIRROR", &base)
        .env_remove("ATROPHY_DATA")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("downloading") && err.contains("train-images-idx3-ubyte.gz"),
        "{err}"
    );
    assert!(
        walk(&cache.path().join("mnist")).is_empty(),
        "partial download left in the cache"
    );
}

/// Padding is zero *pixels*, normalised like every pixel (torchvision's RandomCrop then
/// Normalize): with mean 0.5 and std 0.5 a padded cell reads -1, not 0. The draws per image are
/// the row offset, the column offset, then the flip, replayed here from the same seed.
#[test]
fn padding_is_normalised_and_draws_come_in_the_documented_order() {
    let d = tiny((1..=9).map(|v| v * 20).collect(), 1, 3, 3);
    let norm = Normalization {
        mean: vec![0.5],
        std: vec![0.5],
    };
    let pixel = |v: f32| (v / 255.0 - 0.5) / 0.5;
    let aug = Augment {
        pad: 1,
        flip: true,
        cutout: 0,
    };
    for seed in 0..20 {
        let mut out = vec![0f32; 9];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        data::fill_batch(&d, &[0], &norm, Some((aug, &mut rng)), &mut out);
        let mut replay = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let dy = replay.random_range(0..=2usize) as i32 - 1;
        let dx = replay.random_range(0..=2usize) as i32 - 1;
        let flip = replay.random_bool(0.5);
        let want: Vec<f32> = shifted_3x3(dy, dx, flip)
            .into_iter()
            // A padded cell is a zero pixel, normalised: -1.
            .map(|v| v.map_or(-1.0, |v| pixel((v * 20) as f32)))
            .collect();
        assert!(
            out.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-6),
            "seed {seed}: {out:?} vs {want:?}"
        );
    }
    // The published training-set statistics; other data sets use their own images'.
    let known = |n: &str| Normalization::known(n).unwrap();
    assert_eq!(known("cifar10").mean, [0.4914, 0.4822, 0.4465]);
    assert_eq!(known("cifar10").std, [0.2470, 0.2435, 0.2616]);
    assert_eq!(
        (known("mnist").mean, known("mnist").std),
        (vec![0.1307], vec![0.3081])
    );
    let f = known("fashion-mnist");
    assert_eq!((f.mean, f.std), (vec![0.2860], vec![0.3530]));
    assert!(Normalization::known("cifar100").is_none());
    let (m, s) = d.channel_stats();
    let own = Normalization::for_dataset("cifar100", &d);
    assert_eq!(own.mean, vec![m[0] as f32]);
    assert_eq!(own.std, vec![s[0] as f32]);
}

/// In a root that holds one IDX data set at its top and another in `ROOT/fashion-mnist`, each
/// name finds its own: the named subfolder is looked at before the root itself (MNIST and
/// Fashion-MNIST files have the same names).
#[test]
fn a_data_sets_own_subfolder_comes_before_the_root() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write_idx_dir(root, &small(1, 28, 4, 1), false); // 20 / 4 images, at the top
    write_idx_dir(&root.join("fashion-mnist"), &small(1, 28, 6, 2), false); // 30 / 6
    let fashion = data::load("fashion-mnist", Some(root)).unwrap();
    assert_eq!((fashion.train.len(), fashion.test.len()), (30, 6));
    let mnist = data::load("mnist", Some(root)).unwrap();
    assert_eq!((mnist.train.len(), mnist.test.len()), (20, 4));
}
