//! Named recipes for a healthy training: settings that were measured together, chosen by name
//! (`atrophy train --recipe NAME`) instead of flag by flag. A flag given beside a recipe wins.
use super::options::HealthyOptions;

/// One recipe: the settings of [`HealthyOptions`] it fixes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recipe {
    /// Its name on the command line.
    pub name: &'static str,
    /// Epochs.
    pub epochs: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// Learning-rate schedule.
    pub schedule: &'static str,
    /// Nesterov momentum.
    pub nesterov: bool,
    /// Label smoothing of the cross-entropy.
    pub label_smoothing: f64,
}

/// The recipes, by name. `onecycle30`: 30 epochs, one-cycle learning rate peaking at 0.1
/// after 25 % of the steps, Nesterov momentum, label smoothing 0.1 (with the defaults: batch
/// 128, momentum 0.9, weight decay 5e-4, crop + flip on CIFAR); the bench-width vgg19_bn
/// reaches 89.71 % on CIFAR-10 in 30 epochs with it, the cosine schedule from 0.05 90.25 % in
/// 60 (docs/RESULTS.md, "A 30-epoch healthy recipe"); the healthy training of the paper presets
/// `moore-decay` and `moore-ablation`.
pub const RECIPES: [Recipe; 1] = [Recipe {
    name: "onecycle30",
    epochs: 30,
    lr: 0.1,
    schedule: "onecycle:0.25",
    nesterov: true,
    label_smoothing: 0.1,
}];

/// The recipe named `name`, or an error that lists the recipes.
pub fn find(name: &str) -> Result<&'static Recipe, String> {
    RECIPES.iter().find(|r| r.name == name).ok_or_else(|| {
        let names: Vec<&str> = RECIPES.iter().map(|r| r.name).collect();
        format!("no such recipe `{name}`; expected {}", names.join(", "))
    })
}

impl Recipe {
    /// `o` with this recipe's settings.
    pub fn apply(&self, mut o: HealthyOptions) -> HealthyOptions {
        o.epochs = self.epochs;
        o.lr = self.lr;
        o.schedule = self.schedule.to_string();
        o.nesterov = self.nesterov;
        o.label_smoothing = self.label_smoothing;
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every recipe's schedule parses, and an unknown name is refused naming the recipes.
    #[test]
    fn recipes_are_valid_and_named() {
        for r in RECIPES {
            crate::train::LrSchedule::parse(r.schedule)
                .unwrap_or_else(|e| panic!("{}: {e}", r.name));
            assert_eq!(find(r.name), Ok(&r));
        }
        let e = find("fast").unwrap_err();
        assert!(
            e.contains("no such recipe `fast`") && e.contains("onecycle30"),
            "{e}"
        );
    }

    /// The paper presets' healthy training is the onecycle30 recipe, setting for setting: the
    /// preset files and the recipe cannot drift apart.
    #[test]
    fn the_paper_presets_train_with_onecycle30() {
        let recipe = find("onecycle30").unwrap();
        for (name, text) in [
            (
                "moore-decay",
                include_str!("../../configs/moore-decay.toml"),
            ),
            (
                "moore-ablation",
                include_str!("../../configs/moore-ablation.toml"),
            ),
        ] {
            let v: toml::Value = toml::from_str(text).unwrap();
            let train: HealthyOptions = v["healthy"]["train"].clone().try_into().unwrap();
            assert_eq!(recipe.apply(train.clone()), train, "{name}");
        }
    }
}
