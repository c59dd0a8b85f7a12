//! Checkpoints (`model.json` + `model.safetensors`): written, loaded, mutated.
use super::*;

/// Writes a tiny checkpoint (untrained; only the files matter) into `dir`.
pub(super) fn write_checkpoint(dir: &Path) -> CheckpointMeta {
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
pub(super) fn load_fingerprint(dir: &Path) -> Result<(String, Vec<String>), String> {
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

pub(super) fn run_checkpoint(inputs: usize, seed: u64) -> usize {
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
