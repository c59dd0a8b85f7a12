//! The arms of issue 30 (`docs/reproductions/arms.toml`): the factors that may explain why a
//! paper's number is not reproduced, and what each measured arm found. `reproduction.md` reads
//! its "explained by" column from here.
use super::paper_values::PaperValue;
use serde::Deserialize;
use std::sync::LazyLock;

/// The file's text, built into the binary.
pub const SOURCE: &str = include_str!("../../docs/reproductions/arms.toml");

/// The paper values an arm may explain.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Numbers {
    /// `000`, `001` or `003`.
    pub paper: String,
    /// Their metrics.
    pub metrics: Vec<String>,
    /// Their states (absent: any).
    #[serde(default)]
    pub states: Option<Vec<String>>,
    /// The injury iterations [first, last] they belong to (absent: any).
    #[serde(default)]
    pub iterations: Option<[usize; 2]>,
    /// The retraining images R of the paper's regime they belong to (absent: any): an arm
    /// that ran R1000 alone says nothing of the paper's R5000 or R100 numbers.
    #[serde(default)]
    pub images: Option<u64>,
}

/// How far a measured arm explains its numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Not measured yet.
    Candidate,
    /// Measured: it explains the miss.
    Explains,
    /// Measured: it explains some of the gap.
    Partly,
    /// Measured: it does not explain it.
    No,
}

/// One arm.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arm {
    /// Its number in issue 30.
    pub id: u32,
    /// What it varies.
    pub name: String,
    /// The values it may explain.
    pub numbers: Vec<Numbers>,
    /// How far it explains them.
    pub status: Status,
    /// What was measured (measured arms only).
    #[serde(default)]
    pub finding: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    arm: Vec<Arm>,
}

/// Every arm of the file, in its order.
pub fn arms() -> &'static [Arm] {
    static ARMS: LazyLock<Vec<Arm>> = LazyLock::new(|| {
        toml::from_str::<File>(SOURCE)
            .unwrap_or_else(|e| panic!("docs/reproductions/arms.toml does not read: {e}"))
            .arm
    });
    &ARMS
}

impl Arm {
    /// Whether the arm may explain `v`.
    pub fn covers(&self, v: &PaperValue) -> bool {
        self.numbers.iter().any(|n| {
            n.paper == v.paper
                && n.metrics.contains(&v.metric)
                && n.states
                    .as_ref()
                    .is_none_or(|s| v.state.as_ref().is_some_and(|state| s.contains(state)))
                && n.iterations.is_none_or(|[a, b]| {
                    let (from, to) = match (v.iteration, v.iterations) {
                        (Some(i), _) => (i, i),
                        (None, Some([f, t])) => (f, t),
                        (None, None) => return false,
                    };
                    from <= b && a <= to
                })
                && n.images.is_none_or(|r| v.regime.images == Some(r))
        })
    }

    fn label(&self) -> String {
        format!("arm {} ({})", self.id, self.name)
    }

    /// The numbers of `paper` it may explain, in words: "top1 of the injured state at
    /// iteration 1".
    fn numbers_in_words(&self, paper: &str) -> String {
        (self.numbers.iter().filter(|n| n.paper == paper))
            .map(|n| {
                let names: Vec<&str> = n.metrics.iter().map(|m| metric_name(m)).collect();
                let mut words = match names.split_last() {
                    Some((last, [])) => last.to_string(),
                    Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
                    None => String::new(),
                };
                if let Some(s) = &n.states {
                    let plural = if s.len() > 1 { "s" } else { "" };
                    words.push_str(&format!(" of the {} state{plural}", s.join(" and ")));
                }
                if let Some(r) = n.images {
                    words.push_str(&format!(" with R = {r}"));
                }
                if let Some([a, b]) = n.iterations {
                    words.push_str(&if a == b {
                        format!(" at iteration {a}")
                    } else {
                        format!(" at iterations {a}-{b}")
                    });
                }
                words
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// A metric of docs/paper-values.toml in words.
fn metric_name(metric: &str) -> &str {
    match metric {
        "top1" => "top-1",
        "mean_class" => "mean class-wise accuracy",
        "tau" => "Kendall's tau",
        "ablated_until" => "the recovery limit",
        "tau_equal_from" => "the level where the RDMs stop differing",
        "cka_diagonal" => "the CKA of layers",
        "parameters" => "the share of parameters",
        other => other,
    }
}

/// The entries of the file (their indices in [`arms`]) that may explain `v`.
pub fn covering(v: &PaperValue) -> Vec<usize> {
    (arms().iter().enumerate())
        .filter(|(_, a)| a.covers(v))
        .map(|(i, _)| i)
        .collect()
}

/// The "explained by" cell of a value that misses: the arm that explains it, else
/// "unexplained" with the arms measured (partly or not explaining) and the candidates left.
/// The cell names the arms; what each found is written once, under the table ([`findings`]).
pub fn explain(v: &PaperValue) -> String {
    let covering: Vec<&Arm> = covering(v).into_iter().map(|i| &arms()[i]).collect();
    if let Some(a) = covering.iter().find(|a| a.status == Status::Explains) {
        return a.label();
    }
    let measured: Vec<String> = (covering.iter())
        .filter(|a| matches!(a.status, Status::Partly | Status::No))
        .map(|a| {
            let how = if a.status == Status::Partly {
                "partly"
            } else {
                "not"
            };
            format!("{how} {}", a.label())
        })
        .collect();
    let candidates: Vec<String> = (covering.iter())
        .filter(|a| a.status == Status::Candidate)
        .map(|a| a.label())
        .collect();
    let mut cell = String::from("unexplained");
    if !measured.is_empty() {
        cell.push_str(&format!("; measured: {}", measured.join(", ")));
    }
    cell.push_str(&if candidates.is_empty() {
        "; no candidate left".to_string()
    } else {
        format!("; candidates: {}", candidates.join(", "))
    });
    cell
}

/// The heading of the page's section that [`findings`] writes.
pub const FINDINGS_HEADING: &str = "## What the arms found";

/// The section under a reproduction table of `paper`: every entry of the file among `cited`
/// (indices in [`arms`], from [`covering`]), in the file's order, with the numbers of `paper`
/// it concerns, how far it explains them and what it found; empty when none is cited.
pub fn findings(paper: &str, cited: &[usize]) -> String {
    let mut md = String::new();
    for (_, a) in arms().iter().enumerate().filter(|(i, _)| cited.contains(i)) {
        if md.is_empty() {
            md = format!(
                "{FINDINGS_HEADING}\n\nThe factors of issue 30 (`docs/reproductions/arms.toml`) that \
                 bear on the rows above that miss, each with the numbers it concerns:\n\n"
            );
        }
        let status = match a.status {
            Status::Explains => "explains them",
            Status::Partly => "explains part of the gap",
            Status::No => "does not explain them",
            Status::Candidate => "a candidate, not measured yet",
        };
        md.push_str(&format!(
            "- **{}**, for {}: {status}",
            a.label(),
            a.numbers_in_words(paper)
        ));
        if let Some(f) = &a.finding {
            md.push_str(&format!(". Measured: {f}"));
        }
        md.push('\n');
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::paper_values::values;

    /// Every arm reads, names metrics the paper values use, and a measured arm says what it
    /// found; every value of paper 000 and 001 has at least one arm.
    #[test]
    fn arms_cover_the_paper_values() {
        assert!(!arms().is_empty());
        for a in arms() {
            for n in &a.numbers {
                for m in &n.metrics {
                    assert!(
                        values()
                            .iter()
                            .any(|v| v.paper == n.paper && &v.metric == m),
                        "arm {}: paper {} prints no {m}",
                        a.id,
                        n.paper
                    );
                }
            }
            assert_eq!(
                a.finding.is_some(),
                a.status != Status::Candidate,
                "arm {}: a finding exactly when measured",
                a.id
            );
            // A page's table cell names the arm: a `|` would split it.
            assert!(
                !a.name.contains('|') && !a.finding.as_deref().unwrap_or("").contains('|'),
                "arm {}: no | in a name or finding",
                a.id
            );
        }
        for v in values().iter().filter(|v| v.paper != "003") {
            assert!(
                arms().iter().any(|a| a.covers(v)),
                "no arm for {} {}",
                v.paper,
                v.quote
            );
        }
    }

    /// The cell names an explaining arm alone, else the measured arms and the candidates.
    #[test]
    fn the_cell_says_what_was_measured_and_what_is_left() {
        let value = |f: &dyn Fn(&PaperValue) -> bool| values().iter().find(|v| f(v)).unwrap();
        let healthy = value(&|v| v.paper == "001" && v.state.as_deref() == Some("healthy"));
        let cell = explain(healthy);
        assert!(
            cell.starts_with("unexplained; measured: partly arm 2"),
            "{cell}"
        );
        // Arms 3 and 4 were measured for paper 001's healthy model and found not to explain
        // it; arm 3 at the scale of the authors' code is left.
        assert!(
            cell.contains("not arm 3 (the compressed origin model), not arm 4 (paper 001's text"),
            "{cell}"
        );
        assert!(
            cell.ends_with("; candidates: arm 3 (the compressed origin at the scale of paper 001's code: a full-width vgg19_bn pruned to a third of its FLOPs)"),
            "{cell}"
        );
        // After the first retraining, arm 4 as the text reads and its retraining with momentum
        // were measured and do not explain it; the full-width text network is left.
        let retrained = value(&|v| v.paper == "001" && v.state.as_deref() == Some("retrained"));
        let cell = explain(retrained);
        assert!(
            cell.contains("not arm 4 (paper 001's text model and training)"),
            "{cell}"
        );
        assert!(
            cell.contains("arm 4 (paper 001's text model retrained with momentum 0.9")
                && cell.ends_with("whether a wider network breaks down later)"),
            "{cell}"
        );
        // The text's network falls to chance after the later ablations, as the paper prints,
        // from the third on (the second left 18.2 %): a part of the gap, one cycle.
        let later_injuries = value(&|v| {
            v.paper == "001"
                && v.state.as_deref() == Some("injured")
                && v.iterations == Some([2, 15])
        });
        let cell = explain(later_injuries);
        assert!(
            cell.contains("partly arm 4 (paper 001's text model and training)"),
            "{cell}"
        );
        // The retraining batch cannot change the first injury, only what follows a retraining.
        let injured_at = |i: usize| {
            value(&|v| {
                v.paper == "000" && v.state.as_deref() == Some("injured") && v.iteration == Some(i)
            })
        };
        assert!(
            !explain(injured_at(1)).contains("arm 1 "),
            "{}",
            explain(injured_at(1))
        );
        // Arm 3 was measured for paper 000's first injury and found not to explain it.
        assert!(
            explain(injured_at(1)).contains("not arm 3 "),
            "{}",
            explain(injured_at(1))
        );
        assert!(
            explain(injured_at(6)).contains("arm 1 "),
            "{}",
            explain(injured_at(6))
        );
        // Arm 1 ran R1000 alone: it speaks of the paper's R1000 retraining, not of R5000's.
        let retrained_with = |r: u64| {
            value(&|v| {
                v.paper == "000"
                    && v.state.as_deref() == Some("retrained")
                    && v.iteration == Some(1)
                    && v.regime.images == Some(r)
            })
        };
        assert!(explain(retrained_with(1000)).contains("not arm 1 "));
        assert!(
            !explain(retrained_with(5000)).contains("arm 1 "),
            "{}",
            explain(retrained_with(5000))
        );
        let tau = value(&|v| v.metric == "tau");
        let cell = explain(tau);
        assert!(!cell.contains("arm 1 "), "{cell}");
        assert!(cell.contains("arm 4"), "{cell}");
    }
}
