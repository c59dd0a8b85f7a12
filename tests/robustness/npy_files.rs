//! .npy files: valid seeds, everything read from one, and the mutation run.
use super::*;

/// A `.npy` file with this header dict (padded as numpy pads it) and data.
pub(super) fn npy_bytes(dict: &str, data: &[u8], version: u8) -> Vec<u8> {
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

pub(super) fn f64_bytes(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Valid `.npy` files: (header dict, data, version).
pub(super) fn npy_seeds() -> Vec<(String, Vec<u8>, u8)> {
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
pub(super) fn read_npy_all(path: &Path) -> Result<String, String> {
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

pub(super) fn run_npy(inputs: usize, seed: u64) -> usize {
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
