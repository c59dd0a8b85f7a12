//! CIFAR-10 batch files in a folder and in a `.tar.gz`, including tars whose headers lie.
use super::*;

pub(super) const CIFAR_FILES: [&str; 6] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
    "test_batch.bin",
];
/// Records per batch file in the fixtures.
pub(super) const PER_BATCH: usize = 2;

pub(super) fn cifar_members() -> Vec<Vec<u8>> {
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
pub(super) fn cifar_tar(members: &[Vec<u8>]) -> Vec<u8> {
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
pub(super) fn tar_headers(tar: &[u8]) -> Vec<usize> {
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
pub(super) fn set_tar_size(tar: &mut [u8], at: usize, size: u64) {
    let mut h = tar::Header::new_old();
    h.as_mut_bytes().copy_from_slice(&tar[at..at + 512]);
    h.set_size(size);
    h.set_cksum();
    tar[at..at + 512].copy_from_slice(h.as_bytes());
}

pub(super) fn split_fingerprint(s: &atrophy::data::Split) -> (Fingerprint, Fingerprint) {
    (fingerprint(&s.train), fingerprint(&s.test))
}

pub(super) fn run_cifar(inputs: usize, seed: u64) -> usize {
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
