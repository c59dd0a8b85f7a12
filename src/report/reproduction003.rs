//! `reproduction.md` of paper 003: the values its text prints (`docs/paper-values.toml`) beside
//! what `atrophy reproduce 003` measured, each under every reading the text leaves open
//! (docs/PROTOCOLS.md, P8 and P11).
use super::paper_values::{self, PaperValue};
use super::reproduction::Row;
use crate::plasticity::differentiable::paper003::{mean_after, network, Paper003Results};

/// How a reduced run (`--quick`) differs, for the page's header.
pub const QUICK_NOTE: &str = "**Reduced run (`--quick`)**: 64-bit patterns, 40 episodes, 3 \
epochs of 20 images, to check the pipeline in seconds. Its numbers are not a reproduction and \
say nothing of the paper's; run without `--quick` for that.";

/// A printed "mean loss" and atrophy's agree when neither is more than this factor above the
/// other (the paper prints no sd, and its loss spans four orders of magnitude).
pub const FACTOR: f64 = 2.0;

/// A best accuracy the paper prints in whole percent and atrophy's agree within this many points.
pub const POINTS: f64 = 1.0;

/// The two quantities the paper's "mean loss" may be.
const READINGS: [(&str, bool); 2] = [
    (
        "sign error rate (what Miconi's code prints as its mean loss)",
        true,
    ),
    ("squared error per bit (the training loss)", false),
];

/// The cell of a row: "—" when it agrees, else what the run tried and what is left (`why`,
/// from [`pattern_why`] or [`classify_why`]).
fn explanation(quick: bool, agrees: bool, why: impl FnOnce() -> String) -> String {
    if quick {
        "reduced run (--quick)".into()
    } else if agrees {
        "—".into()
    } else {
        format!("unexplained; {}", why())
    }
}

/// What the pattern task's run tried, and what the text leaves open beyond it.
fn pattern_why(r: &Paper003Results) -> String {
    let shares: Vec<String> = (r.config.pattern.erased.iter())
        .map(|e| format!("{:.0} %", 100.0 * e))
        .collect();
    format!(
        "tried: both readings of the printed loss, {} of the bits erased, an \"epoch\" read as \
         one episode; candidates: another share of erased bits (\"some bits\"), another meaning \
         of \"epoch\"",
        shares.join(" and ")
    )
}

/// What the classification run tried (PROTOCOLS P8), and what the text leaves open beyond it.
fn classify_why(r: &Paper003Results) -> String {
    format!(
        "tried: one reading of the unspecified CNN (conv 32 - conv 64 - linear 128, PROTOCOLS \
         P8), Adam at lr {}, one seed; candidates: the paper's CNN (\"comparable to state of the \
         art\", not specified), its optimizer and learning rate (not printed)",
        r.config.classify.lr
    )
}

/// The rows of the pattern task's printed losses: one per share erased and reading.
fn pattern_rows(v: &PaperValue, r: &Paper003Results, quick: bool) -> Vec<Row> {
    let Some(epochs) = v.iteration else {
        return Vec::new();
    };
    let c = &r.config.pattern;
    let mut out = Vec::new();
    // The reading (share erased, quantity) under which the printed value agrees, if any.
    let mut agreeing: Option<String> = None;
    let mut misses: Vec<usize> = Vec::new();
    for &erased in &c.erased {
        let curve = (r.patterns.iter()).find(|p| p.plastic && p.erased == erased);
        for (reading, is_rate) in READINGS {
            let value = curve.and_then(|p| {
                let series: Vec<f64> = (p.points.iter())
                    .map(|x| {
                        if is_rate {
                            x.error
                        } else {
                            x.loss / c.size as f64
                        }
                    })
                    .collect();
                mean_after(&series, epochs, c.window)
            });
            let agrees = value.is_some_and(|m| {
                let (lo, hi) = if m < v.mean { (m, v.mean) } else { (v.mean, m) };
                hi <= FACTOR * lo
            });
            if agrees && agreeing.is_none() {
                agreeing = Some(format!(
                    "{:.0} % erased, {}",
                    100.0 * erased,
                    reading.split(" (").next().unwrap_or(reading)
                ));
            } else if value.is_some() && !agrees {
                misses.push(out.len());
            }
            out.push(Row {
                what: format!(
                    "pattern reconstruction mean loss after {epochs} epochs ({:.0} % of the bits \
                     erased), read as the {reading}",
                    100.0 * erased
                ),
                section: format!("{} {}", v.paper, v.section),
                paper: format!("{:.5}", v.mean),
                atrophy: match (value, curve) {
                    (Some(m), _) => format!("{m:.5} (episodes {}-{epochs})", epochs + 1 - c.window),
                    (None, Some(p)) => format!("— (the run has {} episodes)", p.points.len()),
                    (None, None) => "— (not run yet)".into(),
                },
                difference: value.map_or("—".into(), |m| format!("{:+.5}", m - v.mean)),
                within: if value.is_some() {
                    "no sd given".into()
                } else {
                    "—".into()
                },
                explained: if value.is_some() {
                    explanation(quick, agrees, || pattern_why(r))
                } else {
                    "—".into()
                },
            });
        }
    }
    // A reading that misses where another agrees is explained by that reading.
    if let (Some(reading), false) = (&agreeing, quick) {
        for i in misses {
            out[i].explained = format!("another reading: the value agrees under {reading}");
        }
    }
    out
}

/// The best test accuracy (%) of the classifier with this last layer, and its epoch.
fn best(r: &Paper003Results, plastic: bool) -> Option<(f64, usize)> {
    let curve = r.classify.iter().find(|c| c.plastic == plastic)?;
    (curve.points.iter())
        .map(|p| (100.0 * p.test_accuracy, p.epoch))
        .fold(None, |b: Option<(f64, usize)>, x| match b {
            Some(b) if b.0 >= x.0 => Some(b),
            _ => Some(x),
        })
}

fn classify_row(v: &PaperValue, r: &Paper003Results, quick: bool) -> Row {
    let plastic = v.network.as_deref() == Some("plastic");
    let measured = best(r, plastic);
    Row {
        what: format!(
            "best test accuracy (%), {} last layer",
            if plastic {
                "plastic"
            } else {
                "ordinary (non-plastic)"
            }
        ),
        section: format!("{} {}", v.paper, v.section),
        paper: format!("{:.0}", v.mean),
        atrophy: measured.map_or("— (not run yet)".into(), |(a, e)| {
            format!("{a:.2} (epoch {e} of {})", r.config.classify.epochs)
        }),
        difference: measured.map_or("—".into(), |(a, _)| format!("{:+.2}", a - v.mean)),
        within: if measured.is_some() {
            "no sd given".into()
        } else {
            "—".into()
        },
        explained: match measured {
            Some((a, _)) => explanation(quick, (a - v.mean).abs() <= POINTS, || classify_why(r)),
            None => "—".into(),
        },
    }
}

/// The rows of the table, in the data file's order, then the classifiers' difference.
pub fn rows(r: &Paper003Results, quick: bool) -> Vec<Row> {
    let mut out = Vec::new();
    let values: Vec<&PaperValue> = (paper_values::values().iter())
        .filter(|v| v.paper == "003")
        .collect();
    for v in &values {
        match v.metric.as_str() {
            "mse" => out.extend(pattern_rows(v, r, quick)),
            "best_top1" => out.push(classify_row(v, r, quick)),
            _ => {}
        }
    }
    let printed = |plastic: bool| {
        (values.iter())
            .find(|v| v.metric == "best_top1" && v.network.as_deref() == Some(network(plastic)))
            .map(|v| v.mean)
    };
    if let (Some(p), Some(n)) = (printed(true), printed(false)) {
        let ours = best(r, false).zip(best(r, true)).map(|(n, p)| n.0 - p.0);
        out.push(Row {
            what: "best accuracy, ordinary minus plastic last layer (points)".into(),
            section: "003 III.C Classification".into(),
            paper: format!("{:+.0}", n - p),
            atrophy: ours.map_or("— (not run yet)".into(), |d| format!("{d:+.2}")),
            difference: ours.map_or("—".into(), |d| format!("{:+.2}", d - (n - p))),
            within: if ours.is_some() {
                "no sd given".into()
            } else {
                "—".into()
            },
            explained: match ours {
                // The paper's claim is the sign: plasticity did not help.
                Some(d) => explanation(quick, d >= 0.0, || classify_why(r)),
                None => "—".into(),
            },
        });
    }
    out
}

/// The plastic network against its non-plastic twin at every printed point, as sign error
/// rates: what the plastic one learned within episodes.
fn baseline_table(r: &Paper003Results) -> String {
    let c = &r.config.pattern;
    let points: Vec<usize> = (paper_values::values().iter())
        .filter(|v| v.paper == "003" && v.metric == "mse")
        .filter_map(|v| v.iteration)
        .chain([c.episodes])
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut md = String::from("| erased | network |");
    for e in &points {
        md.push_str(&format!(" episodes {}-{e} |", e + 1 - c.window.min(*e)));
    }
    md.push_str("\n|---|---|");
    md.push_str(&"---:|".repeat(points.len()));
    md.push('\n');
    for p in &r.patterns {
        let errors: Vec<f64> = p.points.iter().map(|x| x.error).collect();
        md.push_str(&format!(
            "| {:.0} % | {} |",
            100.0 * p.erased,
            network(p.plastic)
        ));
        for &e in &points {
            md.push_str(&match mean_after(&errors, e, c.window) {
                Some(m) => format!(" {m:.5} |"),
                None => " — |".into(),
            });
        }
        md.push('\n');
    }
    md
}

/// `reproduction.md` of paper 003 from `r`, made by `command`, with figures `figures` (names of
/// PNGs beside it).
pub fn markdown(r: &Paper003Results, quick: bool, command: &str, figures: &[String]) -> String {
    let (p, c) = (&r.config.pattern, &r.config.classify);
    let mut md = String::from(
        "# Reproduction of paper 003 (Upadhyay & Bagad, differentiable plasticity, P8)\n\n",
    );
    if quick {
        md.push_str(QUICK_NOTE);
        md.push_str("\n\n");
    }
    if !r.finished() {
        md.push_str("**Partial results**: the run is still going or was stopped.\n\n");
    }
    let shares: Vec<String> = p
        .erased
        .iter()
        .map(|e| format!("{:.0} %", 100.0 * e))
        .collect();
    md.push_str(&format!(
        "Made by `{command}`. Every number the paper prints in its text (`docs/paper-values.toml`, \
         with its exact quote) beside the run's (one run each, seed {seed}; the paper gives no sd).\n\n\
         - **Pattern reconstruction**: {size}-bit patterns, Miconi's episode (5 patterns shown \
         twice, 6 steps each and 4 of zeros, then the degraded one for 6 steps; inputs x 20), a \
         fully recurrent plastic layer, Adam lr {lr}, eta {eta}, one episode per step, \
         {episodes} episodes; {baseline}. The text leaves open how many bits are erased (\"some \
         bits\"; run: {shares}), what an epoch is (read as one episode) and which quantity its \
         \"mean loss\" is, so each printed loss is shown under both readings, averaged over the \
         {window} episodes before it as Miconi's code prints it. A value agrees when neither is \
         more than {FACTOR} times the other.\n\
         - **Classification**: {dataset}, {epochs} epochs of {images} random training images fed \
         one at a time, the first {eval} test images after every epoch, a CNN ending in a \
         plastic or an ordinary softmax layer (docs/PROTOCOLS.md, P8). A best accuracy agrees \
         within {POINTS} point of the paper's whole percent.\n\n",
        seed = r.config.seed,
        size = p.size,
        lr = p.lr,
        eta = p.eta,
        episodes = p.episodes,
        baseline = if p.baseline {
            "the non-plastic network of the same shape beside it"
        } else {
            "no baseline"
        },
        shares = shares.join(", "),
        window = p.window,
        dataset = c.dataset,
        epochs = c.epochs,
        images = c.images,
        eval = c.eval_images,
    ));
    md.push_str(&super::reproduction::table(&rows(r, quick)));
    if !r.patterns.is_empty() {
        md.push_str(&format!(
            "\nSign error rate of the plastic network and its twin (mean of {} episodes):\n\n",
            p.window
        ));
        md.push_str(&baseline_table(r));
    }
    if !figures.is_empty() {
        md.push('\n');
        for f in figures {
            md.push_str(&format!("![{f}]({f})\n"));
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plasticity::differentiable::paper003::{Paper003Config, PatternCurve};
    use crate::plasticity::differentiable::pattern::PatternPoint;

    /// A plastic curve whose every episode has sign error `error` and squared error per bit
    /// `mse` over `size` bits.
    fn curve(erased: f64, error: f64, mse: f64, size: usize) -> PatternCurve {
        PatternCurve {
            plastic: true,
            erased,
            points: (1..=20)
                .map(|episode| PatternPoint {
                    episode,
                    loss: mse * size as f64,
                    error,
                    error_erased: 2.0 * error,
                    eta: 0.01,
                })
                .collect(),
        }
    }

    /// Hand-made curves: after 10 episodes the 5 % sign error (0.02) is within a factor of 2
    /// of the printed 0.02393, everything else is not; the rows of the other readings say the
    /// value agrees under that one, and the 930-epoch rows say the run is too short.
    #[test]
    fn each_reading_is_a_row_and_a_miss_names_the_reading_that_agrees() {
        let mut config = Paper003Config::default();
        config.pattern.episodes = 20;
        let size = config.pattern.size;
        let r = Paper003Results {
            config,
            patterns: vec![curve(0.05, 0.02, 0.2, size), curve(0.5, 0.25, 0.5, size)],
            classify: Vec::new(),
        };
        let rows = rows(&r, false);
        let at10: Vec<&Row> = rows
            .iter()
            .filter(|x| x.what.contains("after 10 epochs"))
            .collect();
        assert_eq!(at10.len(), 4);
        assert_eq!(at10[0].atrophy, "0.02000 (episodes 1-10)");
        assert_eq!(at10[0].explained, "—");
        for row in &at10[1..] {
            assert_eq!(
                row.explained,
                "another reading: the value agrees under 5 % erased, sign error rate",
                "{row:?}"
            );
        }
        assert_eq!(at10[1].atrophy, "0.20000 (episodes 1-10)");
        for row in rows.iter().filter(|x| x.what.contains("after 930 epochs")) {
            assert_eq!(row.atrophy, "— (the run has 20 episodes)");
        }
        // No classifier run yet: its rows say so.
        assert!(rows
            .iter()
            .filter(|x| x.what.contains("accuracy"))
            .all(|x| x.atrophy.starts_with("— (not run yet)")));
    }

    /// A miss no reading explains says what the run tried, from the run's own settings, and
    /// what is left: a pattern loss far from every reading, and best accuracies 3 and 5
    /// points above the paper's.
    #[test]
    fn a_miss_says_what_was_tried() {
        use crate::plasticity::differentiable::classify::ClassifyPoint;
        use crate::plasticity::differentiable::paper003::ClassifyCurve;
        let mut config = Paper003Config::default();
        config.pattern.episodes = 20;
        config.pattern.erased = vec![0.07];
        config.classify.lr = 0.002;
        let size = config.pattern.size;
        let classify = |plastic: bool, accuracy: f64| ClassifyCurve {
            plastic,
            points: vec![ClassifyPoint {
                epoch: 1,
                train_loss: 0.1,
                test_loss: 0.1,
                test_accuracy: accuracy,
                alpha_shift: 0.0,
            }],
        };
        let r = Paper003Results {
            config,
            patterns: vec![curve(0.07, 0.3, 0.9, size)],
            classify: vec![classify(false, 1.0), classify(true, 1.0)],
        };
        let rows = rows(&r, false);
        let at10 = (rows.iter())
            .find(|x| x.what.contains("after 10 epochs"))
            .unwrap();
        assert!(
            at10.explained.starts_with(
                "unexplained; tried: both readings of the printed loss, 7 % of the bits erased,"
            ) && at10.explained.contains("; candidates: "),
            "{at10:?}"
        );
        for row in rows
            .iter()
            .filter(|x| x.what.starts_with("best test accuracy"))
        {
            assert!(
                row.explained.starts_with("unexplained; tried: ")
                    && row
                        .explained
                        .contains("Adam at lr 0.002, one seed; candidates: "),
                "{row:?}"
            );
        }
        // Both at 100 %: the ordinary layer is not behind, as the paper's sign says.
        let difference = rows.last().unwrap();
        assert_eq!(difference.explained, "—", "{difference:?}");
    }
}
