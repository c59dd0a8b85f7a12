//! The experiment config's tests: parsing, and every refusal naming its field.
use super::*;

fn config(regime: &str) -> Result<ExperimentConfig, ConfigError> {
    let text = format!(
        "name = \"t\"\n[data]\ndataset = \"synthetic\"\n[healthy]\ncheckpoint = \"m\"\n\
         [injury]\nkind = \"decay\"\niterations = 2\n[[regime]]\nname = \"R\"\n{regime}"
    );
    ExperimentConfig::from_toml(&text, "t.toml")
}

#[test]
fn homeostasis_settings_parse_and_bad_values_name_the_regime_and_field() {
    let c = config("recalibrate_bn = 500\nbn_momentum = \"cumulative\"\nschedule = \"cosine\"")
        .unwrap();
    let r = &c.regimes[0];
    assert_eq!(r.recalibrate_bn, Some(500));
    assert_eq!(r.bn_momentum, Some(BnMomentum::Cumulative));
    assert_eq!(r.schedule, RetrainSchedule::Cosine);
    assert!(r.bn_train && !r.keep_optimizer && !r.nesterov);
    assert_eq!(
        config("bn_momentum = 0.3").unwrap().regimes[0].bn_momentum,
        Some(BnMomentum::Fixed(0.3))
    );
    let err = |regime: &str| config(regime).unwrap_err().to_string();
    let e = err("bn_momentum = 1.5");
    assert!(
        e.contains("t.toml") && e.contains("regime[0] (R).bn_momentum = 1.5 is out of range"),
        "{e}"
    );
    let e = err("bn_momentum = \"fast\"");
    assert!(e.contains("t.toml") && e.contains("cumulative"), "{e}");
    // 0 images: no recalibration, so a preset's homeostasis is one `--set` away.
    let off = config("recalibrate_bn = 0").unwrap();
    assert_eq!(off.regimes[0].recalibrate_bn, None);
    assert!(!off.regimes[0].uses_batch_norm());
    let e = err("momentum = 0.0\nnesterov = true");
    assert!(e.contains("regime[0] (R).nesterov"), "{e}");

    let c = config("recalibrate_bn = 500").unwrap();
    let e = c
        .check_against(false, false, 60_000)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("regime[0] (R).recalibrate_bn: the model has no BatchNorm"),
        "{e}"
    );
    let e = c.check_against(true, false, 400).unwrap_err().to_string();
    assert!(e.contains("regime[0] (R).recalibrate_bn = 500 is out of range: expected at most the 400 training images"), "{e}");
    assert!(c.check_against(true, false, 500).is_ok());
    // recalibrate_bn works on a TorchScript model; what retraining's momentum would need is
    // refused, with the setting that works named.
    assert!(c.check_against(true, true, 500).is_ok());
    let e = config("bn_momentum = 0.01")
        .unwrap()
        .check_against(true, true, 500)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("regime[0] (R).bn_momentum: a TorchScript model's BatchNorm")
            && e.contains("recalibrate_bn works"),
        "{e}"
    );
    let e = config("bn_train = false")
        .unwrap()
        .check_against(false, false, 10)
        .unwrap_err()
        .to_string();
    assert!(e.contains("regime[0] (R).bn_train"), "{e}");
    assert!(config("").unwrap().check_against(false, false, 10).is_ok());
    // Retraining in bfloat16: the built-in models only.
    let bf16 = config("precision = \"bf16\"").unwrap();
    assert!(bf16.check_against(true, false, 10).is_ok());
    let e = bf16.check_against(true, true, 10).unwrap_err().to_string();
    assert!(
        e.contains("regime[0] (R).precision: expected fp32 for a TorchScript model"),
        "{e}"
    );
    // A static regime does not retrain: its precision is never used.
    let still = config("static = true\nprecision = \"bf16\"").unwrap();
    assert!(still.check_against(true, true, 10).is_ok());
}

#[test]
fn retraining_sources_parse_and_contradictions_name_the_regime_and_field() {
    let c = config(
        "images = 100
source = \"errors\"\nerrors_share = 0.5",
    )
    .unwrap();
    assert_eq!(c.regimes[0].source, Source::Errors);
    assert_eq!(c.regimes[0].errors_share, 0.5);
    let c = config("images = 100").unwrap();
    assert_eq!(
        (c.regimes[0].source, c.regimes[0].errors_share),
        (Source::Random, 1.0)
    );
    let err = |regime: &str| config(regime).unwrap_err().to_string();
    for (regime, want) in [
        (
            "static = true\nsource = \"errors\"",
            "regime[0] (R).source: a static regime does not retrain",
        ),
        (
            "static = true\nkeep_optimizer = true",
            "regime[0] (R).keep_optimizer: a static regime does not retrain",
        ),
        (
            "static = true\nlr = -1",
            "regime[0] (R).lr = -1 is out of range",
        ),
        (
            "source = \"errors\"",
            "regime[0] (R).source: source = \"errors\" draws R images",
        ),
        (
            "images = 10\nsource = \"errors\"\nfresh_draw = false",
            "regime[0] (R).fresh_draw",
        ),
        (
            "images = 10\nsource = \"errors\"\nerrors_share = 0",
            "regime[0] (R).errors_share = 0 is out of range",
        ),
        (
            "images = 10\nsource = \"errors\"\nbalanced = true",
            "regime[0] (R).source: balanced = true and another source",
        ),
        (
            "source = \"hardest\"",
            "unknown variant `hardest`, expected one of `random`, `balanced`, `errors`, `uncertain`, `unseen`",
        ),
        ("source = \"hardest\"", "t.toml: regime[0] (R): "),
        (
            "static = true\nsource = \"unseen\"",
            "regime[0] (R).source: a static regime does not retrain",
        ),
        (
            "source = \"unseen\"",
            "regime[0] (R).source: source = \"unseen\" draws R images",
        ),
        (
            "images = 10\nrule = \"oja\"\nnesterov = true",
            "regime[0] (R).nesterov: a local rule",
        ),
        (
            "images = 10\nrule = \"oja\"\nschedule = \"cosine\"",
            "regime[0] (R).schedule: a local rule",
        ),
        (
            "images = 10\nrule = \"oja\"\nbn_train = false",
            "regime[0] (R).bn_train: a local rule",
        ),
        (
            "images = 10\nrule = \"oja\"\nbn_momentum = 0.5",
            "regime[0] (R).bn_momentum: a local rule",
        ),
    ] {
        let e = err(regime);
        assert!(e.contains(want), "{regime}: {e}");
    }
}

/// An `unseen` regime meets a healthy model without held-out images before the healthy model
/// trains (with `[healthy.train]`) or as soon as the checkpoint is loaded, not at its turn.
#[test]
fn unseen_images_and_rule_layers_are_checked_before_any_step() {
    let trained = |healthy: &str, regime: &str| {
        let text = format!(
            "name = \"t\"\n[data]\ndataset = \"synthetic\"\n[healthy.train]\nepochs = 1\n{healthy}\n\
             [injury]\nkind = \"decay\"\niterations = 2\n[[regime]]\nname = \"U\"\n{regime}"
        );
        ExperimentConfig::from_toml(&text, "t.toml").map_err(|e| e.to_string())
    };
    let unseen = "images = 100\nsource = \"unseen\"";
    let e = trained("", unseen).unwrap_err();
    assert!(
        e.contains("regime[0] (U).source") && e.contains("holdout = H"),
        "{e}"
    );
    let e = trained("holdout = 50", unseen).unwrap_err();
    assert!(
        e.contains("regime[0] (U).images = 100 is out of range")
            && e.contains("at most the 50 training images the healthy model never saw"),
        "{e}"
    );
    assert!(trained("holdout = 100", unseen).is_ok());
    assert!(trained("subset = 300", unseen).is_ok());

    let layers: Vec<String> = ["conv1", "conv2", "linear1"].map(String::from).into();
    let c = config(unseen).unwrap();
    let e = c.check_regimes_fit(None, &layers).unwrap_err().to_string();
    assert!(
        e.contains("regime[0] (R).source") && e.contains("--holdout H"),
        "{e}"
    );
    let e = c
        .check_regimes_fit(Some(99), &layers)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("regime[0] (R).images = 100 is out of range")
            && e.contains("at most the 99 training images"),
        "{e}"
    );
    assert!(c.check_regimes_fit(Some(100), &layers).is_ok());
    let oja =
        |l: &str| config(&format!("images = 10\nrule = \"oja\"\nrule_layers = [{l}]")).unwrap();
    let e = oja("\"conv9\"")
        .check_regimes_fit(None, &layers)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("regime[0] (R).rule_layers") && e.contains("`conv9` matches no"),
        "{e}"
    );
    assert!(oja("\"!conv2\", \"conv\"")
        .check_regimes_fit(None, &layers)
        .is_ok());
    let e = oja("\"!conv7\"")
        .check_regimes_fit(None, &layers)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`!conv7` matches no"), "{e}");
}

/// Every problem of a config is reported at once, each naming its field.
#[test]
fn every_problem_is_listed() {
    let text =
        "name = \"t\"\ncycles = 0\n[data]\ndataset = \"nope\"\n[healthy]\ncheckpoint = \"m\"\n\
                [injury]\nkind = \"decay\"\niterations = 2\n[[regime]]\nname = \"R\"\nimages = 0\n\
                lr = -1";
    let e = ExperimentConfig::from_toml(text, "t.toml")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("t.toml: "), "{e}");
    for field in ["cycles = 0", "data.dataset", "regime[0] (R).images = 0"] {
        assert!(e.contains(field), "{field} missing: {e}");
    }
    assert!(e.contains("problems:"), "{e}");
}

/// Every experiment config the docs give a command for parses and validates as written (the
/// configs under `configs/` are the presets, checked by their own tests).
#[test]
fn documented_experiment_configs_are_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/experiments");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            if let Err(e) = ExperimentConfig::from_toml(&text, &path.display().to_string()) {
                panic!("{e}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 5, "{checked} configs in {}", dir.display());
}
