//! Classification metrics from a confusion matrix: top-1, mean class-wise accuracy (paper 001's
//! metric: the mean over classes of per-class recall), per-class accuracy.
use serde::{Deserialize, Serialize};

/// The outcome of evaluating a model on a labelled set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Images evaluated.
    pub n: usize,
    /// Mean cross-entropy loss (NaN or infinite for a diverged network; JSON keeps them, as
    /// the strings `NaN`, `inf`, `-inf`).
    #[serde(with = "super::num::lossless")]
    pub loss: f64,
    /// Fraction of images whose top prediction is the label.
    #[serde(with = "super::num::lossless")]
    pub top1: f64,
    /// Mean over classes of per-class recall, over the classes the evaluated images hold (a
    /// class with no image has no recall; its `per_class` entry reads 0).
    #[serde(with = "super::num::lossless")]
    pub mean_class: f64,
    /// Recall of each class.
    #[serde(with = "super::num::lossless::vec")]
    pub per_class: Vec<f64>,
    /// confusion[true][predicted] counts.
    pub confusion: Vec<Vec<u64>>,
    /// Errors measured against superclasses, for a data set that has them (CIFAR-100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superclass: Option<SuperclassMetrics>,
}

/// Accuracy at the level of superclasses (CIFAR-100's 20 coarse labels): how often a
/// prediction lands in the right category, and how many errors do (the semantic errors that
/// dementia patients make, naming a dog a cat rather than a truck; Tuladhar et al.).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SuperclassMetrics {
    /// Fraction of images whose predicted class lies in the true class's superclass (correct
    /// predictions included).
    #[serde(with = "super::num::lossless")]
    pub top1: f64,
    /// Of the wrong predictions, the fraction whose predicted class lies in the true class's
    /// superclass; NaN when there is no error.
    #[serde(with = "super::num::lossless")]
    pub within_errors: f64,
}

impl SuperclassMetrics {
    /// Both metrics from `confusion[true][predicted]` and the superclass of every class.
    pub fn from_confusion(confusion: &[Vec<u64>], of_class: &[u8]) -> SuperclassMetrics {
        let (mut n, mut same, mut errors, mut within) = (0u64, 0u64, 0u64, 0u64);
        for (t, row) in confusion.iter().enumerate() {
            for (p, &count) in row.iter().enumerate() {
                let in_superclass = of_class[t] == of_class[p];
                n += count;
                same += if in_superclass { count } else { 0 };
                if p != t {
                    errors += count;
                    within += if in_superclass { count } else { 0 };
                }
            }
        }
        let ratio = |a: u64, b: u64| {
            if b == 0 {
                f64::NAN
            } else {
                a as f64 / b as f64
            }
        };
        SuperclassMetrics {
            top1: ratio(same, n),
            within_errors: ratio(within, errors),
        }
    }
}

impl Evaluation {
    /// Metrics from a confusion matrix and the summed loss.
    pub fn from_confusion(confusion: Vec<Vec<u64>>, loss_sum: f64) -> Evaluation {
        let n: u64 = confusion.iter().flatten().sum();
        let correct: u64 = (0..confusion.len()).map(|i| confusion[i][i]).sum();
        let per_class: Vec<f64> = confusion
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let t: u64 = row.iter().sum();
                if t == 0 {
                    0.0
                } else {
                    row[i] as f64 / t as f64
                }
            })
            .collect();
        // Classes absent from the evaluated set do not count towards the mean.
        let present: Vec<f64> = confusion
            .iter()
            .zip(&per_class)
            .filter(|(row, _)| row.iter().sum::<u64>() > 0)
            .map(|(_, &r)| r)
            .collect();
        Evaluation {
            n: n as usize,
            loss: if n > 0 { loss_sum / n as f64 } else { f64::NAN },
            top1: if n > 0 {
                correct as f64 / n as f64
            } else {
                0.0
            },
            mean_class: if present.is_empty() {
                0.0
            } else {
                present.iter().sum::<f64>() / present.len() as f64
            },
            per_class,
            confusion,
            superclass: None,
        }
    }

    /// The same evaluation with the superclass metrics of the grouping `of_class`.
    pub fn with_superclasses(mut self, of_class: &[u8]) -> Evaluation {
        self.superclass = Some(SuperclassMetrics::from_confusion(&self.confusion, of_class));
        self
    }

    /// Metrics from labels and predictions.
    pub fn from_predictions(
        labels: &[i64],
        predictions: &[i64],
        classes: usize,
        loss_sum: f64,
    ) -> Evaluation {
        let mut confusion = vec![vec![0u64; classes]; classes];
        for (&t, &p) in labels.iter().zip(predictions) {
            confusion[t as usize][p as usize] += 1;
        }
        Self::from_confusion(confusion, loss_sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn hand_worked_confusion() {
        // Class 0: 3 of 4 right; class 1: 1 of 1; class 2: 0 of 1.
        let e = Evaluation::from_predictions(&[0, 0, 0, 0, 1, 2], &[0, 0, 0, 1, 1, 0], 3, 6.0);
        assert_eq!(e.n, 6);
        assert!((e.top1 - 4.0 / 6.0).abs() < 1e-12);
        assert_eq!(e.per_class, vec![0.75, 1.0, 0.0]);
        assert!((e.mean_class - 1.75 / 3.0).abs() < 1e-12);
        assert_eq!(e.confusion[2][0], 1);
        assert_eq!(e.loss, 1.0);
    }

    /// By hand: classes {0, 1} form superclass 0 and {2} superclass 1. Of 10 images, 6 are
    /// right, 3 wrong within the superclass (0 -> 1 twice, 1 -> 0 once), 1 wrong across (2 -> 0).
    #[test]
    fn superclass_metrics_by_hand() {
        let confusion = vec![vec![3, 2, 0], vec![1, 1, 0], vec![1, 0, 2]];
        let e = Evaluation::from_confusion(confusion, 0.0).with_superclasses(&[0, 0, 1]);
        let s = e.superclass.unwrap();
        assert_eq!(s.top1, 9.0 / 10.0);
        assert_eq!(s.within_errors, 3.0 / 4.0);
        let perfect = Evaluation::from_confusion(vec![vec![2, 0], vec![0, 2]], 0.0)
            .with_superclasses(&[0, 1])
            .superclass
            .unwrap();
        assert_eq!(perfect.top1, 1.0);
        assert!(perfect.within_errors.is_nan());
    }
}
