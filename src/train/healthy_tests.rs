//! Tests of the healthy-training settings.
use super::*;

/// `augment` takes the config words it took as a string, defaults to `auto`, and names the
/// allowed values for any other word.
#[test]
fn augment_parses_the_config_words() {
    let parse = |text: &str| toml::from_str::<HealthyOptions>(text);
    assert_eq!(parse("").unwrap().augment, AugmentSetting::Auto);
    for (word, want) in [
        ("auto", AugmentSetting::Auto),
        ("on", AugmentSetting::On),
        ("off", AugmentSetting::Off),
    ] {
        let o = parse(&format!("augment = \"{word}\"")).unwrap();
        assert_eq!(o.augment, want);
        assert!(toml::to_string(&o)
            .unwrap()
            .contains(&format!("augment = \"{word}\"")));
    }
    let e = parse("augment = \"maybe\"").unwrap_err().to_string();
    assert!(
        e.contains("augment")
            && e.contains("unknown variant `maybe`, expected one of `auto`, `on`, `off`"),
        "{e}"
    );
    use crate::data::Augment;
    assert_eq!(
        AugmentSetting::Auto.resolve("cifar10"),
        Some(Augment::CIFAR)
    );
    assert_eq!(AugmentSetting::Auto.resolve("mnist"), None);
    assert_eq!(AugmentSetting::On.resolve("mnist"), Some(Augment::CIFAR));
    assert_eq!(AugmentSetting::Off.resolve("cifar10"), None);
}
