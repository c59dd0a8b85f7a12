//! Reports: `atrophy report DIR` turns a results directory into figures (PNG and SVG in
//! `DIR/figures/`), one self-contained HTML page (`DIR/report.html`) and the accuracy per
//! iteration as Markdown tables (`DIR/summary.md`, beside the paper's figures for a paper's
//! protocol). It reads only the
//! results directory; a partial one gives a report of what exists, marked as partial.
pub mod arms;
pub mod battery;
pub mod compare;
pub mod course;
pub mod figures;
pub mod html;
pub mod legend;
pub mod paper;
pub mod paper_values;
pub mod reproduction;
#[cfg(feature = "torch")]
pub mod reproduction003;
mod reproduction_cka;
pub mod results;
pub mod style;
pub mod trainings;

use anyhow::Result;
use std::path::{Path, PathBuf};

/// What a report made.
pub struct Report {
    /// The HTML page.
    pub html: PathBuf,
    /// The Markdown tables (none before the first summary exists).
    pub markdown: Option<PathBuf>,
    /// The figures (PNG; SVG beside each).
    pub figures: Vec<PathBuf>,
    /// Whether the results were complete.
    pub finished: bool,
}

/// The default injury level of the CKA and RDM figures: paper 000's Fig. 3 shows 60 %.
pub const DEFAULT_LEVELS: [f64; 1] = [0.6];

/// Writes the figures and the page for the results in `dir`; CKA and RDM figures at the
/// fractions injured in `levels`.
pub fn report(dir: &Path, levels: &[f64]) -> Result<Report> {
    let r = results::Results::read(dir)?;
    if let Some(l) = levels.iter().find(|l| !(0.0..=1.0).contains(*l)) {
        anyhow::bail!("--at {l} is out of range: expected fractions injured in [0, 1], e.g. 0.6");
    }
    // Figures a report killed mid-draw left under their temporary names.
    crate::fsio::remove_stale_temporaries(&dir.join("figures"), 0);
    let figs = figures::draw_all(&r, &dir.join("figures"), levels)?;
    let page = html::page(&r, &figs)?;
    let html = dir.join("report.html");
    crate::fsio::write_atomic(&html, page.as_bytes())?;
    let markdown = match &r.summary {
        Some(s) => {
            let path = dir.join("summary.md");
            let md = paper::markdown(&r.name(), s, &r.metrics, &r.divergence, &r.info, r.finished)?;
            crate::fsio::write_atomic(&path, md.as_bytes())?;
            Some(path)
        }
        None => None,
    };
    Ok(Report {
        html,
        markdown,
        figures: figs.into_iter().map(|f| f.png).collect(),
        finished: r.finished,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small results folder as `atrophy run` writes it, for a run of paper 000's protocol
    /// (CIFAR-10) or, with `dataset` changed, of no paper's.
    pub(super) fn results_dir(dataset: &str) -> tempfile::TempDir {
        results_dir_scaled(dataset, 1.0)
    }

    /// [`results_dir`] with every fraction injured multiplied by `scale`: an injury that
    /// reaches `scale` of the network's synapses.
    fn results_dir_scaled(dataset: &str, scale: f64) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        let mut metrics = String::from(
            "regime,cycle,iteration,fraction_injured,state,top1,mean_class,loss,seconds\n",
        );
        let mut summary = String::from("regime,iteration,state,cycles,fraction_injured,top1_mean,top1_sd,mean_class_mean,mean_class_sd,loss_mean,loss_sd\n");
        for it in 0..=10usize {
            let f = scale * it as f64 / 10.0;
            let states: &[&str] = if it == 0 {
                &["healthy"]
            } else {
                &["injured", "retrained"]
            };
            for (k, st) in states.iter().enumerate() {
                let acc = 0.9 - 0.05 * it as f64 + 0.03 * k as f64;
                for c in 0..2 {
                    let a = acc + 0.01 * c as f64;
                    metrics.push_str(&format!("R1000,{c},{it},{f},{st},{a},{a},1.0,2.0\n"));
                }
                summary.push_str(&format!(
                    "R1000,{it},{st},2,{f},{},0.007,{},0.007,1,0\n",
                    acc + 0.005,
                    acc + 0.005
                ));
            }
        }
        std::fs::write(d.path().join("metrics.csv"), metrics).unwrap();
        std::fs::write(d.path().join("summary.csv"), summary).unwrap();
        let run = serde_json::json!({
            "finished": true,
            "config": {
                "name": "moore-decay",
                "data": {"dataset": dataset},
                "injury": {"kind": "decay", "gamma": 0.5, "iterations": 10, "fraction": 0.2,
                           "selection": "random", "units": false},
                "regime": [{"name": "R1000", "images": 1000, "epochs": 1, "static": false}]
            }
        });
        std::fs::write(d.path().join("run.json"), run.to_string()).unwrap();
        d
    }

    /// The CKA figures of a paper 000 run show the regime of its Fig. 3 (R = 1000) even when
    /// another retraining regime comes first; a run of no paper's protocol shows the first.
    #[test]
    fn paper_000s_cka_figures_show_its_own_retraining() {
        for (dataset, expected) in [("cifar10", "R1000"), ("synthetic", "R5000")] {
            let d = results_dir(dataset);
            let metrics = std::fs::read_to_string(d.path().join("metrics.csv")).unwrap();
            let (header, rows) = metrics.split_once('\n').unwrap();
            let r5000 = rows.replace("R1000,", "R5000,");
            std::fs::write(
                d.path().join("metrics.csv"),
                format!("{header}\n{r5000}{rows}"),
            )
            .unwrap();
            let run = serde_json::json!({
                "finished": true,
                "config": {
                    "name": "moore-decay",
                    "data": {"dataset": dataset},
                    "injury": {"kind": "decay", "gamma": 0.5, "iterations": 10},
                    "regime": [
                        {"name": "R5000", "images": 5000, "epochs": 1},
                        {"name": "R1000", "images": 1000, "epochs": 1}
                    ]
                }
            });
            std::fs::write(d.path().join("run.json"), run.to_string()).unwrap();
            let cka = d.path().join("cka");
            std::fs::create_dir_all(&cka).unwrap();
            for regime in ["R5000", "R1000"] {
                let m = ndarray::Array2::<f64>::from_elem((2, 2), 0.5);
                let p = cka.join(format!("{regime}_c0_i1_retrained.npy"));
                crate::analysis::npy::write_npy(p, &m).unwrap();
            }
            let r = results::Results::read(d.path()).unwrap();
            assert_eq!(r.regimes(), ["R5000", "R1000"]);
            assert_eq!(r.cka_regime().as_deref(), Some(expected), "{dataset}");
        }
    }

    /// A number the paper prints without an sd agrees within 2 points (accuracy): the healthy
    /// model at 92.0 % beside 93.3 % needs no explanation, at 91.0 % it does.
    #[test]
    fn numbers_without_sd_agree_within_the_stated_tolerance() {
        for (healthy, agrees) in [(0.92, true), (0.91, false)] {
            let d = results_dir("cifar10");
            let path = d.path().join("metrics.csv");
            let metrics: String = std::fs::read_to_string(&path)
                .unwrap()
                .lines()
                .map(|l| {
                    let f: Vec<&str> = l.split(',').collect();
                    if f.get(4) == Some(&"healthy") {
                        format!(
                            "{},{},{},{},healthy,{healthy},{healthy},1.0,2.0\n",
                            f[0], f[1], f[2], f[3]
                        )
                    } else {
                        format!("{l}\n")
                    }
                })
                .collect();
            std::fs::write(&path, metrics).unwrap();
            let r = results::Results::read(d.path()).unwrap();
            let rows = reproduction::rows("000", &r, false);
            let row = rows.iter().find(|x| x.what.starts_with("healthy")).unwrap();
            assert_eq!(row.within, "no sd given");
            assert_eq!(row.explained == "—", agrees, "{row:?}");
        }
        assert_eq!(reproduction::close("tau"), Some(reproduction::TAU_SAME));
        assert_eq!(reproduction::close("parameters"), None);
    }

    /// Paper 000's CKA claim (layers 22-48 at 60 % decayed) is read from the diagonal of the
    /// cycles' mean CKA matrix, those layers only: a hand-made case.
    #[test]
    fn cka_rows_read_the_named_layers_of_the_mean_matrix() {
        let d = results_dir("cifar10");
        let cka = d.path().join("cka");
        std::fs::create_dir_all(&cka).unwrap();
        let n = 50;
        let names: Vec<String> = (1..=n).map(|i| format!("l{i}")).collect();
        std::fs::write(cka.join("layers.txt"), names.join("\n")).unwrap();
        for (c, value) in [(0, 0.2), (1, 0.4)] {
            // Layers outside 22-48 at 1.0 must not count; layer 30 stays at 0.9 in both cycles.
            let m = ndarray::Array2::<f64>::from_shape_fn((n, n), |(i, j)| match (i, j) {
                (29, 29) => 0.9,
                (i, j) if i == j && (21..48).contains(&i) => value,
                _ => 1.0,
            });
            let p = cka.join(format!("R1000_c{c}_i6_injured.npy"));
            crate::analysis::npy::write_npy(p, &m).unwrap();
        }
        let r = results::Results::read(d.path()).unwrap();
        let rows = reproduction::rows("000", &r, false);
        let row = rows
            .iter()
            .find(|x| x.what.contains("CKA") && x.what.contains("injured"))
            .unwrap();
        // Mean over cycles 0.3 on 26 layers, 0.9 on one: (26 * 0.3 + 0.9) / 27 = 0.3222.
        assert!(
            row.atrophy
                .starts_with("0.32 (mean of 27 layers; largest 0.90, 1 above 0.4"),
            "{row:?}"
        );
        assert_eq!(row.difference, "-0.08");
        assert_eq!(row.explained, "—");
        // "0.4 and below" is an upper bound: far below it still agrees, a bit above within 0.1.
        let v = crate::report::paper_values::values()
            .iter()
            .find(|v| v.metric == "cka_diagonal" && v.at_most)
            .unwrap();
        assert!(reproduction::agrees(v, 0.05) && reproduction::agrees(v, 0.5));
        assert!(!reproduction::agrees(v, 0.51));
        // No matrix after retraining: the row says so.
        let retrained = rows
            .iter()
            .find(|x| x.what.contains("CKA") && x.what.contains("retrained"))
            .unwrap();
        assert!(
            retrained.atrophy.starts_with("— (not in the run"),
            "{retrained:?}"
        );
    }

    #[test]
    fn a_paper_protocol_run_is_drawn_and_tabled_beside_the_paper() {
        let paper = results_dir("cifar10");
        let other = results_dir("mnist");
        let rp = report(paper.path(), &DEFAULT_LEVELS).unwrap();
        let ro = report(other.path(), &DEFAULT_LEVELS).unwrap();
        assert!(rp.finished && ro.finished);
        let svg = |d: &tempfile::TempDir| {
            std::fs::read_to_string(d.path().join("figures/accuracy_top1.svg")).unwrap()
        };
        assert!(svg(&paper).contains("paper (text figures, +-1 sd)"));
        assert!(!svg(&other).contains("paper (text figures"));
        // The diamonds and sd bars change the picture, not only the legend.
        let png = |d: &tempfile::TempDir| {
            std::fs::read(d.path().join("figures/accuracy_top1.png")).unwrap()
        };
        assert_ne!(png(&paper), png(&other));
        // Paper 000 reports top-1, so the mean class-wise figure has no marks.
        let mc =
            std::fs::read_to_string(paper.path().join("figures/accuracy_mean_class.svg")).unwrap();
        assert!(!mc.contains("paper (text figures"));
        let html = std::fs::read_to_string(&rp.html).unwrap();
        assert!(
            html.contains("id=\"paper\"") && html.contains("76.6 ± 6.06"),
            "no paper table"
        );
        assert!(html.contains("Diamonds: the figures paper 000"));
        let md = std::fs::read_to_string(rp.markdown.unwrap()).unwrap();
        assert!(
            md.contains("| 6 | 60.0 % | 60.50 ± 0.70 | 63.50 ± 0.70 | 15.0 ± 7.01 | 66.4 ± 6.12 |"),
            "{md}"
        );
        let html = std::fs::read_to_string(&ro.html).unwrap();
        assert!(!html.contains("id=\"paper\""));
    }

    /// A lesion of one area (10 % of the synapses) is drawn and tabled against that area's
    /// synapses, ending at 100 %, and is not compared with a paper's whole-network injury.
    #[test]
    fn an_injury_confined_to_some_layers_counts_their_synapses() {
        let d = results_dir_scaled("cifar10", 0.1);
        let path = d.path().join("run.json");
        let mut run: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        run["config"]["injury"]["layers"] = serde_json::json!(["V1"]);
        run["synapses"] = serde_json::json!({"total": 1000, "injurable": 100});
        std::fs::write(&path, run.to_string()).unwrap();
        let r = results::Results::read(d.path()).unwrap();
        let last = r.metrics.last().unwrap().key.fraction_injured;
        assert!((last - 1.0).abs() < 1e-12, "{last}");
        let rep = report(d.path(), &DEFAULT_LEVELS).unwrap();
        let md = std::fs::read_to_string(rep.markdown.unwrap()).unwrap();
        assert!(md.contains("confined to V1, which hold 10.00 %"), "{md}");
        assert!(
            md.contains("| iteration | injured synapses of V1 |"),
            "{md}"
        );
        assert!(md.contains("| 6 | 60.0 % |"), "{md}");
        assert!(
            !md.contains("paper:"),
            "a lesion of V1 is not paper 000's protocol"
        );
        let svg = std::fs::read_to_string(d.path().join("figures/accuracy_top1.svg")).unwrap();
        assert!(svg.contains("synapses of V1 injured (%)"));
        let html = std::fs::read_to_string(&rep.html).unwrap();
        assert!(html.contains("injured (of V1)"));

        // A whole-network injury, or a folder without the counts, keeps the network's fractions.
        run["synapses"] = serde_json::json!({"total": 1000, "injurable": 1000});
        assert_eq!(
            results::Confined::of(&results::RunInfo::of(&run, Path::new("run.json"))),
            None
        );
        run["synapses"] = serde_json::Value::Null;
        assert_eq!(
            results::Confined::of(&results::RunInfo::of(&run, Path::new("run.json"))),
            None
        );
    }

    /// Names from the folder reach the page escaped: a regime called `<b>R&1</b>` is text, not
    /// markup; the step count comes from the tables.
    #[test]
    fn names_are_escaped_on_the_page() {
        let d = results_dir("mnist");
        for f in ["metrics.csv", "summary.csv"] {
            let p = d.path().join(f);
            let text = std::fs::read_to_string(&p)
                .unwrap()
                .replace("R1000", "<b>R&1</b>");
            std::fs::write(&p, text).unwrap();
        }
        let path = d.path().join("run.json");
        let mut run: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        run["seed"] = serde_json::json!("<script>");
        run["steps_total"] = serde_json::json!(20);
        std::fs::write(&path, run.to_string()).unwrap();
        let r = report(d.path(), &DEFAULT_LEVELS).unwrap();
        let html = std::fs::read_to_string(r.html).unwrap();
        assert!(html.contains("&lt;b&gt;R&amp;1&lt;/b&gt;"), "not escaped");
        assert!(!html.contains("<b>R&1</b>") && !html.contains("<script>"));
        // 2 cycles x 10 iterations of one regime.
        assert!(
            html.contains("steps 20 of 20"),
            "steps counted from the tables"
        );
    }

    /// A 1,000 x 1,000 RDM is drawn in 8 x 8 blocks, each their mean: 125^2 rectangles, not 10^6
    /// (the SVG of a paper-001 RDM figure was 258 MB).
    #[test]
    fn large_heatmaps_are_drawn_in_blocks_of_their_mean() {
        assert_eq!(style::heatmap_blocks(54), 1);
        assert_eq!(style::heatmap_blocks(1000), 8);
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("h.svg");
        let m = ndarray::Array2::from_shape_fn((1000, 1000), |(i, j)| ((i / 8 + j / 8) % 2) as f64);
        {
            use plotters::prelude::*;
            style::register_font();
            let root = SVGBackend::new(&path, (500, 500)).into_drawing_area();
            style::draw_heatmap(&root, "t", &m, ("x", "y")).unwrap();
            root.present().unwrap();
        }
        let svg = std::fs::read_to_string(&path).unwrap();
        let rects = svg.matches("<rect").count();
        assert!(
            (125 * 125..125 * 125 + 50).contains(&rects),
            "{rects} rectangles"
        );
        // Blocks aligned with the 8 x 8 checkerboard keep its two colours exactly: no block
        // mixes them.
        let fills: std::collections::BTreeSet<&str> = svg
            .split("<rect")
            .skip(1)
            .filter_map(|r| r.split("fill=\"").nth(1)?.split('"').next())
            .collect();
        assert!(fills.len() <= 3, "{fills:?}"); // the two colours (and the background)
    }

    /// Paper 001's tau after the first ablation (0.18) and its retraining (0.71) stand on the
    /// tau figure of a run of its protocol, as diamonds.
    #[test]
    fn paper_001_tau_values_are_marked() {
        let d = tempfile::tempdir().unwrap();
        let mut metrics = String::from(
            "regime,cycle,iteration,fraction_injured,state,top1,mean_class,loss,seconds\n",
        );
        let mut tau = String::from("regime,cycle,iteration,fraction_injured,state,variant,tau\n");
        for it in 0..=2usize {
            let f = 1.0 - 0.8f64.powi(it as i32);
            let states: &[&str] = if it == 0 {
                &["healthy"]
            } else {
                &["injured", "retrained"]
            };
            for st in states {
                metrics.push_str(&format!("retrained,0,{it},{f},{st},0.5,0.5,1,1\n"));
                if it > 0 {
                    tau.push_str(&format!("retrained,0,{it},{f},{st},b,0.5\n"));
                }
            }
        }
        std::fs::write(d.path().join("metrics.csv"), metrics).unwrap();
        std::fs::write(d.path().join("rdm_tau.csv"), tau).unwrap();
        let rdm_dir = d.path().join("rdm");
        std::fs::create_dir_all(&rdm_dir).unwrap();
        let m = ndarray::array![[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]];
        for stem in [
            "healthy",
            "retrained_c0_i2_injured",
            "retrained_c0_i2_retrained",
        ] {
            crate::analysis::npy::write_npy(rdm_dir.join(format!("{stem}.npy")), &m).unwrap();
        }
        let labels = ndarray::array![1.0, 0.0, 1.0];
        crate::analysis::npy::write_npy(rdm_dir.join("labels.npy"), &labels).unwrap();
        let config = |epochs: u64| {
            serde_json::json!({"finished": true, "config": {
                "name": "moore-ablation", "data": {"dataset": "cifar10"},
                "injury": {"kind": "ablation", "fraction": 0.2, "iterations": 15,
                           "selection": "random", "units": false},
                "analysis": {"kendall_pairs": "full", "rdm_layer": "pool3"},
                "regime": [{"name": "retrained", "epochs": epochs, "static": false}]}})
        };
        let svg = |epochs: u64| {
            std::fs::write(d.path().join("run.json"), config(epochs).to_string()).unwrap();
            let r = report(d.path(), &DEFAULT_LEVELS).unwrap();
            let html = std::fs::read_to_string(r.html).unwrap();
            assert!(html.contains("the whole matrices") && html.contains("layer pool3"));
            // The RDM figure names the run's layer, not the default one.
            assert!(html.contains("the `pool3` activations"), "{html}");
            std::fs::read_to_string(d.path().join("figures/rdm_tau.svg")).unwrap()
        };
        // Paper 001 prints its taus without an sd, and the legend does not claim one.
        assert!(svg(3).contains("paper (text figures)"));
        // 0.18 after injury is shared by every regime; 0.71 only by the paper's retraining.
        assert!(svg(1).contains("paper (text figures"));
        assert_ne!(svg(1), svg(3));
    }
}
