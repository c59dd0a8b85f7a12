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
    // The page links the figure that stands for the paper's Fig. 2.
    assert!(
        md.contains("![accuracy_top1](figures/accuracy_top1.png)"),
        "{md}"
    );
    assert!(
        rows.iter()
            .all(|r| r.ends_with("| reduced run (--quick) |")),
        "{md}"
    );
}

/// `--regimes` runs only the named regimes: the table still has every paper row, a number of a
/// regime that was not run is read from the nearest one run (its cell names it), the command
/// on the page repeats the flag, and the finished folder is recognised with it.
#[test]
fn reproduce_000_with_some_regimes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let extra = [
        "--regimes",
        "R1000,static",
        "--set",
        "regime.*.recalibrate_bn=500",
    ];
    let (md, _) = reproduce_in(&out, "000", &extra);
    let rows = table_rows(&md);
    assert_eq!(rows.len(), expected_rows("000"), "{md}");
    assert!(md.contains("--regimes R1000,static"), "{md}");
    assert!(
        !md.contains("(regime R5000)") && !md.contains("(regime R100)"),
        "{md}"
    );
    let r5000 = rows.iter().find(|r| r.contains("| 83.0 ± 1.87 |")).unwrap();
    assert!(r5000.contains("(regime R1000)"), "{r5000}");
    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert!(
        metrics
            .lines()
            .skip(1)
            .all(|l| l.starts_with("R1000,") || l.starts_with("static,")),
        "{metrics}"
    );
    let (again, said) = reproduce_in(&out, "000", &extra);
    assert!(said.contains("a finished run"), "{said}");
    assert_eq!(md, again);
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
    // The page links the figures that stand for the paper's Fig. 2A and 2B.
    for fig in ["accuracy_mean_class", "rdm_tau"] {
        assert!(
            md.contains(&format!("![{fig}](figures/{fig}.png)")),
            "{fig}: {md}"
        );
    }
}

/// Paper 001 as its workshop text reads (`--preset moore-ablation-text`): the plain VGG19 with
/// three dense layers, every paper row, and the page and the command that name the preset.
#[test]
fn reproduce_001_as_its_text_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let (md, _) = reproduce_in(
        &out,
        "001",
        &[
            "--preset",
            "moore-ablation-text",
            "--set",
            "injury.iterations=2",
            "--set",
            "regime.retrained.images=300",
        ],
    );
    assert!(
        md.contains(
            "Protocol: the preset `moore-ablation-text` (paper 001 as its workshop text reads)"
        ),
        "{md}"
    );
    assert!(md.contains("--preset moore-ablation-text"), "{md}");
    assert_eq!(table_rows(&md).len(), expected_rows("001"), "{md}");
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["config"]["healthy"]["train"]["model"], "vgg19", "{run}");
}

/// Unknown papers and presets are refused with the ones there are.
#[test]
fn unknown_papers_are_refused_clearly() {
    let o = atrophy(&["reproduce", "002"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("expected 000, 001 or 003"),
        "{err}"
    );
    let o = atrophy(&["reproduce", "000", "--preset", "moore-ablation-text"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success()
            && err.contains("--preset moore-ablation-text: paper 000 runs `moore-decay`"),
        "{err}"
    );
    let o = atrophy(&["reproduce", "003", "--preset", "moore-decay"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("--preset moore-decay: paper 003"),
        "{err}"
    );
}

fn reproduce_003(out: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "reproduce",
        "003",
        "--quick",
        "--set",
        "classify.dataset=\"synthetic\"",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    atrophy(&args)
}

/// Paper 003's reduced run: a row for every printed value under every reading (2 shares erased
/// x 2 readings per loss, one per classifier, and their difference), measured where the run
/// reaches the printed epoch; the figures; and a resumed run that redoes only the missing part
/// and writes the same table.
#[test]
fn reproduce_003_quick_has_every_paper_row_and_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    ok(&reproduce_003(&out, &[]));
    let md = std::fs::read_to_string(out.join("reproduction.md")).unwrap();
    assert!(md.contains("Reduced run (`--quick`)"), "{md}");
    let rows = table_rows(&md);
    let losses = rows
        .iter()
        .filter(|r| r.contains("mean loss after"))
        .count();
    assert_eq!(losses, 2 * 2 * 2, "{md}");
    assert_eq!(
        rows.iter()
            .filter(|r| r.contains("best test accuracy"))
            .count(),
        2
    );
    assert!(rows.iter().any(|r| r.contains("ordinary minus plastic")));
    // 40 episodes reach the loss printed after 10 epochs, not the one after 930.
    for r in rows.iter().filter(|r| r.contains("after 10 epochs")) {
        assert!(r.contains("(episodes 1-10)"), "{r}");
    }
    for r in rows.iter().filter(|r| r.contains("after 930 epochs")) {
        assert!(r.contains("the run has 40 episodes"), "{r}");
    }
    for f in [
        "pattern.png",
        "classify.png",
        "parts/pattern-plastic-erased-0.05.csv",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    // An untrained network copies the shown bits and is at chance on the erased ones: the
    // non-plastic twin's error over the first episodes is about half the share erased.
    let twin =
        std::fs::read_to_string(out.join("parts/pattern-non-plastic-erased-0.5.csv")).unwrap();
    let first: Vec<f64> = twin
        .lines()
        .skip(1)
        .take(10)
        .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    let mean = first.iter().sum::<f64>() / 10.0;
    assert!((mean - 0.25).abs() < 0.05, "{mean}");

    // Resume: a lost part is run again, the others are read back; the table is the same.
    std::fs::remove_file(out.join("parts/classify-plastic.csv")).unwrap();
    let kept = std::fs::read(out.join("parts/pattern-plastic-erased-0.5.csv")).unwrap();
    let o = reproduce_003(&out, &[]);
    ok(&o);
    let log = String::from_utf8_lossy(&o.stderr);
    let done: Vec<&str> = log.lines().filter(|l| l.contains(" done: ")).collect();
    assert_eq!(done.len(), 1, "{log}");
    assert!(
        done[0].starts_with("part 5 of 6 done: classify-plastic.csv"),
        "{log}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("reproduction.md")).unwrap(),
        md
    );
    assert_eq!(
        std::fs::read(out.join("parts/pattern-plastic-erased-0.5.csv")).unwrap(),
        kept
    );

    // Another place for the data is not another setting.
    ok(&reproduce_003(&out, &["--data", "/nonexistent/mnist"]));
    // Other settings in the same folder are refused, naming the folder's file.
    let o = reproduce_003(&out, &["--set", "pattern.episodes=50"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("paper003.toml"),
        "{err}"
    );
    // Flags of the injury protocols are refused for 003.
    let o = reproduce_003(&tmp.path().join("s"), &["--cycles", "2"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("--cycles"), "{err}");
}
