//! `atrophy reproduce PAPER --quick` end to end on the synthetic data set: the reduced run,
//! then reproduction.md with one row per number the paper prints (docs/paper-values.toml),
//! saying plainly that it is the reduced version.
#![cfg(feature = "torch")]
mod common;
use common::{atrophy, ok};

/// The rows reproduction.md must have for `paper`: one per printed number, one per iteration of
/// a number printed for a range of iterations.
fn expected_rows(paper: &str) -> usize {
    atrophy::report::paper_values::values()
        .iter()
        .filter(|v| v.paper == paper)
        .map(|v| v.iterations.map_or(1, |[a, b]| b - a + 1))
        .sum()
}

fn reproduce(paper: &str, extra: &[&str]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    reproduce_in(&tmp.path().join("r"), paper, extra).0
}

/// Runs `reproduce` into `out`: the table and what the command said on stderr.
fn reproduce_in(out: &std::path::Path, paper: &str, extra: &[&str]) -> (String, String) {
    let mut args = vec![
        "reproduce",
        paper,
        "--quick",
        "--set",
        "data.dataset=\"synthetic\"",
        "--set",
        "data.eval_images=300",
        "--set",
        "analysis.images=100",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = atrophy(&args);
    ok(&o);
    (
        std::fs::read_to_string(out.join("reproduction.md")).unwrap(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// With one cycle (as `--quick` runs) the sd over cycles is undefined: no atrophy cell (the
/// fourth column) prints one, and the page says so.
fn no_sd_from_one_cycle(md: &str) {
    assert!(md.contains("the value of its one cycle (no sd)"), "{md}");
    for row in table_rows(md) {
        let atrophy_cell = row.split(" | ").nth(3).unwrap();
        assert!(!atrophy_cell.contains('±'), "{row}");
    }
}

fn table_rows(md: &str) -> Vec<&str> {
    md.lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| what the paper prints"))
        .collect()
}

#[test]
fn reproduce_000_quick_has_every_paper_row() {
    let md = reproduce(
        "000",
        &[
            "--set",
            "regime.R5000.images=1500",
            "--set",
            "regime.*.recalibrate_bn=1000",
        ],
    );
    assert!(md.contains("Reduced run (`--quick`)"), "{md}");
    let rows = table_rows(&md);
    assert_eq!(rows.len(), expected_rows("000"), "{md}");
    for printed in ["| 93.3 |", "| 83.0 ± 1.87 |", "| 66.4 ± 6.12 |", "| 8.54 |"] {
        assert!(md.contains(printed), "{printed}: {md}");
    }
    no_sd_from_one_cycle(&md);
    assert!(
        rows.iter()
            .all(|r| r.ends_with("| reduced run (--quick) |")),
        "{md}"
    );
}

#[test]
fn reproduce_001_quick_has_every_paper_row() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let (md, _) = reproduce_in(&out, "001", &[]);
    // Again on the finished folder: the table is written from it, nothing is run again.
    let (again, said) = reproduce_in(&out, "001", &[]);
    assert!(said.contains("a finished run"), "{said}");
    assert_eq!(md, again);
    assert!(md.contains("Reduced run (`--quick`)"), "{md}");
    let rows = table_rows(&md);
    assert_eq!(rows.len(), expected_rows("001"), "{md}");
    for printed in [
        "| 92.3 |", "| 14.3 |", "| 91.9 |", "| 0.18 |", "| 0.71 |", "| 89.3 |",
    ] {
        assert!(md.contains(printed), "{printed}: {md}");
    }
    no_sd_from_one_cycle(&md);
}

/// Paper 003 and unknown papers are refused with what to do instead.
#[test]
fn other_papers_are_refused_clearly() {
    let o = atrophy(&["reproduce", "003", "--quick"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("atrophy plasticity pattern"),
        "{err}"
    );
    let o = atrophy(&["reproduce", "002"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("expected 000 or 001"),
        "{err}"
    );
}
