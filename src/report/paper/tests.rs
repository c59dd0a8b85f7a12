//! Tests of the published figures, the tables beside them and the Markdown.
use super::*;
use serde_json::json;

/// A run.json config as the report reads it, typed.
fn typed(v: &serde_json::Value) -> ExperimentConfig {
    serde_json::from_value(v.clone()).unwrap()
}

/// A run.json's typed parts.
fn info(run: &serde_json::Value) -> RunInfo {
    RunInfo::of(run, std::path::Path::new("run.json"))
}

fn config(kind: &str) -> serde_json::Value {
    json!({
        "name": "moore-decay",
        "data": {"dataset": "cifar10"},
        "injury": {"kind": kind, "gamma": 0.5, "iterations": 10, "fraction": 0.2,
                   "selection": "random", "units": false},
        "regime": [
            {"name": "R1000", "images": 1000, "epochs": 1, "static": false},
            {"name": "static", "images": null, "epochs": 1, "static": true}
        ]
    })
}

fn summary() -> Vec<SummaryRow> {
    let text = "regime,iteration,state,cycles,fraction_injured,top1_mean,top1_sd,mean_class_mean,mean_class_sd\n\
        R1000,0,healthy,3,0,0.9,0,0.89,0\n\
        R1000,1,injured,3,0.1,0.6,0.05,0.59,0.05\n\
        R1000,1,retrained,3,0.1,0.8,0.01,0.79,0.01\n\
        R1000,6,injured,3,0.6,0.2,0.1,0.19,0.1\n\
        R1000,6,retrained,3,0.6,0.7,0.02,0.69,0.02\n\
        static,0,healthy,3,0,0.9,0,0.89,0\n\
        static,1,injured,3,0.1,0.6,0.05,0.59,0.05\n";
    // The loss columns the tables do not show.
    let with_loss: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let extra = if i == 0 { ",loss_mean,loss_sd" } else { ",1,0" };
            format!("{}{extra}\n", l.trim())
        })
        .collect();
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("summary.csv");
    std::fs::write(&p, with_loss).unwrap();
    crate::results::read_table(&p, |_| SummaryRow::header())
        .unwrap()
        .unwrap()
}

#[test]
fn only_the_papers_own_protocol_is_compared() {
    assert_eq!(
        Paper::of_config(&typed(&config("decay"))),
        Some(Paper::MooreDecay)
    );
    assert_eq!(
        Paper::of_config(&typed(&config("ablation"))),
        Some(Paper::MooreAblation)
    );
    let mut c = config("decay");
    c["data"]["dataset"] = json!("fashion-mnist");
    assert_eq!(Paper::of_config(&typed(&c)), None);
    let mut c = config("decay");
    c["injury"]["gamma"] = json!(0.7);
    assert_eq!(Paper::of_config(&typed(&c)), None);
    let mut c = config("decay");
    c["injury"]["selection"] = json!("magnitude");
    assert_eq!(Paper::of_config(&typed(&c)), None);
    let mut c = config("ablation");
    c["injury"]["units"] = json!(true);
    assert_eq!(Paper::of_config(&typed(&c)), None);
    let mut c = config("decay");
    c["injury"]["scope"] = json!("global");
    assert_eq!(
        Paper::of_config(&typed(&c)),
        None,
        "one quota over the network"
    );
    c["injury"]["scope"] = json!("per_layer");
    assert_eq!(Paper::of_config(&typed(&c)), Some(Paper::MooreDecay));

    // Injury confined to some layers is not the paper's; layers that reach every synapse are.
    let mut run = json!({"config": config("decay")});
    assert_eq!(Paper::of_run(&info(&run)), Some(Paper::MooreDecay));
    run["config"]["injury"]["layers"] = json!(["V1"]);
    assert_eq!(
        Paper::of_run(&info(&run)),
        None,
        "confined, no counts recorded"
    );
    run["synapses"] = json!({"total": 100, "injurable": 10});
    assert_eq!(Paper::of_run(&info(&run)), None);
    run["config"]["injury"]["layers"] = json!(["conv", "linear"]);
    run["synapses"] = json!({"total": 100, "injurable": 100});
    assert_eq!(Paper::of_run(&info(&run)), Some(Paper::MooreDecay));
}

#[test]
fn published_figures_match_protocols_md() {
    let p = Paper::MooreDecay;
    let r1000 = |i, s| p.published(Some(1000), 1, false, i, s);
    assert_eq!(r1000(0, "healthy").unwrap().cell(), "93.3");
    assert_eq!(r1000(1, "retrained").unwrap().cell(), "76.6 ± 6.06");
    assert_eq!(r1000(6, "injured").unwrap().cell(), "15.0 ± 7.01");
    assert_eq!(r1000(6, "retrained").unwrap().cell(), "66.4 ± 6.12");
    assert_eq!(r1000(1, "injured").unwrap().cell(), "≈ 68");
    assert_eq!(r1000(2, "retrained"), None);
    assert_eq!(
        p.published(Some(5000), 1, false, 1, "retrained")
            .unwrap()
            .cell(),
        "83.0 ± 1.87"
    );
    assert_eq!(
        p.published(Some(100), 1, false, 1, "retrained")
            .unwrap()
            .cell(),
        "70.8 ± 21.8"
    );
    assert_eq!(
        p.published(Some(100), 1, false, 8, "retrained")
            .unwrap()
            .cell(),
        "≈ 10"
    );
    // A regime the paper did not run has no figure after retraining.
    assert_eq!(p.published(Some(2000), 1, false, 1, "retrained"), None);
    assert_eq!(p.published(Some(1000), 3, false, 1, "retrained"), None);
    let a = Paper::MooreAblation;
    assert_eq!(
        a.published(None, 3, false, 1, "retrained").unwrap().mean,
        91.9
    );
    assert_eq!(a.published(None, 3, true, 1, "retrained"), None);
    assert_eq!(a.published(None, 3, true, 1, "injured").unwrap().mean, 14.3);
}

#[test]
fn tables_pair_injured_and_retrained_with_the_paper() {
    let c = config("decay");
    let t = tables(
        &summary(),
        "top1",
        Some(&typed(&c)),
        Some(Paper::MooreDecay),
    )
    .unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(t[0].regime, "R1000");
    let it: Vec<usize> = t[0].rows.iter().map(|r| r.iteration).collect();
    assert_eq!(it, [0, 1, 6]);
    let six = &t[0].rows[2];
    assert!((six.injured.unwrap().0 - 20.0).abs() < 1e-12);
    assert!((six.retrained.unwrap().1 - 2.0).abs() < 1e-12);
    assert_eq!(six.paper_injured.as_ref().unwrap().mean, 15.0);
    assert_eq!(six.paper_retrained.as_ref().unwrap().mean, 66.4);
    assert_eq!(t[0].rows[0].paper_injured.as_ref().unwrap().mean, 93.3);
    // The static regime: no retraining, and the paper's only figure for it is the shared
    // first injury.
    assert!(t[1]
        .rows
        .iter()
        .all(|r| r.retrained.is_none() && r.paper_retrained.is_none()));
    assert!(t[1].rows[1].paper_injured.as_ref().unwrap().approximate);
}

#[test]
fn markdown_puts_the_paper_beside_the_run() {
    let run = json!({"config": config("decay")});
    let md = markdown("moore-decay", &summary(), &[], &[], &info(&run), true).unwrap();
    assert!(md.contains("paper 000"), "{md}");
    assert!(
        md.contains("| 6 | 60.0 % | 20.00 ± 10.00 | 70.00 ± 2.00 | 15.0 ± 7.01 | 66.4 ± 6.12 |"),
        "{md}"
    );
    assert!(!md.contains("Partial"));
    // A run that does not follow a paper gets the tables without paper columns.
    let mut c = config("decay");
    c["data"]["dataset"] = json!("mnist");
    let md = markdown(
        "other",
        &summary(),
        &[],
        &[],
        &info(&json!({"config": c})),
        false,
    )
    .unwrap();
    assert!(!md.contains("paper:"), "{md}");
    assert!(md.contains("Partial results"));
    assert!(
        md.contains("| 1 | 10.0 % | 60.00 ± 5.00 | 80.00 ± 1.00 |"),
        "{md}"
    );
}
