//! `[battery]`: the visual test battery's settings (`analyses = [..., "battery"]`;
//! [`crate::battery`] has the tests).
use super::error::{invalid, out_of_range, ConfigError};
use crate::battery::Test;
use serde::{Deserialize, Serialize};

/// Settings of the visual test battery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatterySettings {
    /// The first N test images (default: 1,000, or the whole test set when smaller).
    #[serde(default)]
    pub images: Option<usize>,
    /// The tests to run (default: all five).
    #[serde(default = "all_tests")]
    pub tests: Vec<Test>,
    /// Contrast factors, 1 (as is) first.
    #[serde(default = "contrast")]
    pub contrast: Vec<f64>,
    /// Noise sds on the [0, 1] scale, 0 first.
    #[serde(default = "noise")]
    pub noise: Vec<f64>,
    /// Blur sds in pixels, 0 first.
    #[serde(default = "blur")]
    pub blur: Vec<f64>,
    /// Shares of 4 x 4 patches replaced by the mean, 0 first.
    #[serde(default = "fragmentation")]
    pub fragmentation: Vec<f64>,
}

fn all_tests() -> Vec<Test> {
    Test::ALL.to_vec()
}
fn contrast() -> Vec<f64> {
    Test::Contrast.default_levels()
}
fn noise() -> Vec<f64> {
    Test::Noise.default_levels()
}
fn blur() -> Vec<f64> {
    Test::Blur.default_levels()
}
fn fragmentation() -> Vec<f64> {
    Test::Fragmentation.default_levels()
}

impl Default for BatterySettings {
    fn default() -> Self {
        BatterySettings {
            images: None,
            tests: all_tests(),
            contrast: contrast(),
            noise: noise(),
            blur: blur(),
            fragmentation: fragmentation(),
        }
    }
}

impl BatterySettings {
    /// True when every setting is its default (then `run.json` leaves the section out).
    pub fn is_default(&self) -> bool {
        *self == BatterySettings::default()
    }

    /// The levels of `test`, unperturbed first.
    pub fn levels(&self, test: Test) -> Vec<f64> {
        match test {
            Test::Contrast => self.contrast.clone(),
            Test::Noise => self.noise.clone(),
            Test::Blur => self.blur.clone(),
            Test::Fragmentation => self.fragmentation.clone(),
            Test::Colour => Test::Colour.default_levels(),
        }
    }

    /// The tests' names and levels, in the order of `battery.csv`'s columns.
    pub fn columns(&self) -> Vec<(String, Vec<f64>)> {
        (self.tests.iter())
            .map(|&t| (word(t).to_string(), self.levels(t)))
            .collect()
    }

    /// The images a run on a test set of `test_len` images takes.
    pub fn image_count(&self, test_len: usize) -> usize {
        self.images.unwrap_or(1000.min(test_len))
    }

    /// Every problem with the levels and the image count, each naming its field
    /// (`battery.contrast`, ...).
    pub fn problems(&self, errors: &mut Vec<ConfigError>) {
        if self.images == Some(0) {
            errors.push(out_of_range("battery.images", 0, "at least 1"));
        }
        if self.tests.is_empty() {
            errors.push(invalid("battery.tests", "name at least one test"));
        }
        for test in [Test::Contrast, Test::Noise, Test::Blur, Test::Fragmentation] {
            let field = format!("battery.{}", word(test));
            let levels = self.levels(test);
            if levels.first() != Some(&test.identity()) {
                errors.push(invalid(
                    &field,
                    format!(
                        "the first level must be {} (the images as they are: the threshold's reference)",
                        test.identity()
                    ),
                ));
            }
            if let Some(bad) = levels.iter().find(|&&l| !test.allows(l)) {
                let range = match test {
                    Test::Contrast => "0 < c <= 1",
                    Test::Noise => "0 <= sd <= 1",
                    Test::Blur => "0 <= sd <= 10 pixels",
                    _ => "0 <= share <= 1",
                };
                errors.push(out_of_range(field, bad, range));
            }
        }
    }
}

/// The config word of a test.
pub fn word(test: Test) -> &'static str {
    match test {
        Test::Contrast => "contrast",
        Test::Noise => "noise",
        Test::Blur => "blur",
        Test::Fragmentation => "fragmentation",
        Test::Colour => "colour",
    }
}
