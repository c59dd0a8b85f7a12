//! The table scripts of docs/RESULTS.md (`bench/*.py`, standard-library Python) against a
//! hand-worked run folder: the numbers the published tables come from.

/// Two complete cycles and a half-done third of `R`, and `static`, over 2 iterations: the
/// curves of `src/results/auc.rs`'s hand-worked test.
const METRICS: &str = "\
regime,cycle,iteration,fraction_injured,state,top1,mean_class
R,0,0,0,healthy,0.9,0.89
R,0,1,0.5,injured,0.1,0.09
R,0,1,0.5,retrained,0.7,0.69
R,0,2,1,injured,0.1,0.09
R,0,2,1,recalibrated,0.3,0.29
R,0,2,1,retrained,0.5,0.49
R,1,0,0,healthy,0.8,0.79
R,1,1,0.5,injured,0.1,0.09
R,1,1,0.5,retrained,0.7,0.69
R,1,2,1,injured,0.1,0.09
R,1,2,1,recalibrated,0.3,0.29
R,1,2,1,retrained,0.5,0.49
R,2,0,0,healthy,0.9,0.89
R,2,1,0.5,injured,0.2,0.19
static,0,0,0,healthy,0.9,0.89
static,0,1,0.5,injured,0.1,0.09
static,0,2,1,injured,0.1,0.09
static,1,0,0,healthy,0.8,0.79
static,1,1,0.5,injured,0.1,0.09
static,1,2,1,injured,0.1,0.09
";

#[test]
fn rehab_table_gives_the_hand_worked_areas_and_levels() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("metrics.csv"), METRICS).unwrap();
    std::fs::write(
        tmp.path().join("run.json"),
        r#"{"config": {"injury": {"iterations": 2}}}"#,
    )
    .unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/rehab_table.py");
    let o = std::process::Command::new("python3")
        .arg(&script)
        .arg(tmp.path())
        .args(["--at", "0.5,1.0"])
        .output()
        .expect("python3 runs bench/rehab_table.py");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = String::from_utf8_lossy(&o.stdout);
    // R: the half-done third cycle left out. At 50 %: injured 0.1, retrained 0.7 in both; at
    // 100 %: 0.1 and 0.5. Areas (0.5 (0.9 + 0.7) / 2 + 0.5 (0.7 + 0.5) / 2) / 1 = 0.7 and
    // 0.675: mean 0.6875, sd 0.025 / sqrt 2 = 0.0177.
    assert!(
        table
            .contains("| R | 2 | 10.0 ± 0.0 | 70.0 ± 0.0 | 10.0 ± 0.0 | 50.0 ± 0.0 | 68.8 ± 1.8 |"),
        "{table}"
    );
    // static: injured throughout; areas 0.3 and 0.275 (mean 0.2875, which the float sum puts
    // just below the half: 28.7).
    assert!(
        table.contains(
            "| static | 2 | 10.0 ± 0.0 | 10.0 ± 0.0 | 10.0 ± 0.0 | 10.0 ± 0.0 | 28.7 ± 1.8 |"
        ),
        "{table}"
    );
}

/// docs/RESULTS.md's numbers follow from the committed data: the tables made from committed
/// folders, the Hopfield crossings, arm 2's ingredients table against its logs, the papers'
/// quoted percentages against their texts (where ../shared/papers is present), the papers'
/// numbers in the tables against docs/paper-values.toml, the bench widths' share of the
/// parameters (bench/check_claims.py, which names every claim that does not).
#[test]
fn the_results_claims_follow_from_the_committed_data() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = std::process::Command::new("python3")
        .arg(root.join("bench/check_claims.py"))
        .args(["--atrophy", env!("CARGO_BIN_EXE_atrophy")])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}
