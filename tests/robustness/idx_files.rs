//! IDX images and labels, plain and gzipped: seeds, fingerprints and the mutation run.
use super::*;

pub(super) fn idx_seed(n: usize, h: usize, w: usize) -> (Vec<u8>, Vec<u8>) {
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

pub(super) type Fingerprint = (usize, usize, usize, Vec<u8>, Vec<u8>, usize);

pub(super) fn fingerprint(d: &Dataset) -> Fingerprint {
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
pub(super) fn sane_fingerprint(f: &Fingerprint) -> Result<(), String> {
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

pub(super) fn run_idx(inputs: usize, seed: u64) -> usize {
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
