//! The TOML configs in `configs/`, mutated token by token and byte by byte.
use super::*;

pub(super) fn config_seeds() -> Vec<(String, String)> {
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

pub(super) fn run_config(inputs: usize, seed: u64) -> usize {
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
