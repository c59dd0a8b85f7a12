//! Reports from results directories: figures present and not blank, partial runs marked, bad
//! folders refused, and the page loading in headless Chromium when it is installed.
#![cfg(feature = "torch")]
use std::path::Path;
use std::process::Command;

static CONFIG: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    common::synthetic_config(
        r#"name = "report-test"
seed = 1
cycles = 2
analyses = ["accuracy", "cka", "rdm", "pathways"]"#,
        200,
        r#"[injury]
kind = "ablation"
iterations = 3
fraction = 0.5

[[regime]]
name = "R300"
images = 300
lr = 0.01

[[regime]]
name = "static"
static = true

[analysis]
images = 100
"#,
    )
});

mod common;
use common::atrophy;

/// Fraction of pixels that differ from the top-left pixel (white background).
fn ink(png_path: &Path) -> f64 {
    let decoder = png::Decoder::new(std::fs::File::open(png_path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let px = info.color_type.samples();
    let first = &bytes[..px];
    let n = bytes.len() / px;
    bytes.chunks(px).filter(|p| p != &first).count() as f64 / n as f64
}

#[test]
fn report_of_a_run_has_every_figure_and_loads_in_a_browser() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("r.toml");
    std::fs::write(&cfg, &*CONFIG).unwrap();
    let out = tmp.path().join("res");
    let o = atrophy(&["run", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // `run` wrote the report at its end.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let figures = [
        "accuracy_top1",
        "accuracy_mean_class",
        "rdm_tau",
        "pathways",
        "cka_heatmaps_50",
        "cka_diagonal_50",
        "rdms_50",
        "healthy_training",
    ];
    for f in figures {
        let png = out.join("figures").join(format!("{f}.png"));
        let svg = out.join("figures").join(format!("{f}.svg"));
        assert!(png.is_file() && svg.is_file(), "{f} missing");
        let ink = ink(&png);
        assert!(ink > 0.02, "{f}.png is blank ({ink})");
        let svg_text = std::fs::read_to_string(&svg).unwrap();
        assert!(svg_text.contains("<text"), "{f}.svg has no text");
    }
    assert_eq!(html.matches("<img class=\"figure\"").count(), figures.len());
    assert!(
        !html.contains("id=\"partial\""),
        "a finished run is marked partial"
    );
    assert!(html.contains("id=\"summary\"") && html.contains("R300"));
    // The Markdown tables: every iteration of both regimes; a synthetic run follows no paper,
    // so no paper columns.
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("## Top-1 accuracy, R300 (2 cycles)"), "{md}");
    assert!(
        md.contains("## Mean class-wise accuracy, static (2 cycles)"),
        "{md}"
    );
    assert_eq!(md.matches("\n| 3 | ").count(), 4, "{md}");
    assert!(!md.contains("paper") && !html.contains("id=\"paper\""));

    // In headless Chromium (installed by .ci/run; skipped where it is absent).
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    if let Some(chromium) = chromium {
        let profile = tmp.path().join("profile");
        let shot = tmp.path().join("shot.png");
        let url = format!("file://{}", out.join("report.html").display());
        let flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ];
        let dom = Command::new(chromium)
            .args(flags)
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(["--dump-dom", &url])
            .output()
            .unwrap();
        assert!(
            dom.status.success(),
            "chromium failed: {}",
            String::from_utf8_lossy(&dom.stderr)
        );
        let dom = String::from_utf8_lossy(&dom.stdout);
        assert_eq!(
            dom.matches("class=\"figure\"").count(),
            figures.len(),
            "the browser's DOM lacks figures"
        );
        let o = Command::new(chromium)
            .args(flags)
            .arg(format!("--user-data-dir={}", profile.display()))
            .args([
                &format!("--screenshot={}", shot.display()),
                "--window-size=1400,3000",
                &url,
            ])
            .output()
            .unwrap();
        assert!(
            o.status.success() && shot.is_file(),
            "no screenshot: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(ink(&shot) > 0.05, "the rendered page is blank");
    } else {
        eprintln!("chromium not installed: browser check skipped");
    }

    // A partial folder (a run stopped early) still reports, marked partial.
    let mut run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    run["finished"] = serde_json::Value::Bool(false);
    std::fs::write(out.join("run.json"), serde_json::to_vec(&run).unwrap()).unwrap();
    let text = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let cut: Vec<&str> = text.lines().take(5).collect();
    std::fs::write(out.join("metrics.csv"), cut.join("\n") + "\n").unwrap();
    let o = atrophy(&["report", out.to_str().unwrap(), "--at", "0.5,0.9"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("partial"));
    assert!(
        out.join("figures/cka_heatmaps_75.png").is_file(),
        "no figure at the second level"
    );
    assert!(std::fs::read_to_string(out.join("report.html"))
        .unwrap()
        .contains("id=\"partial\""));

    // A report at other levels removes the per-level figures it no longer draws, and nothing
    // else in figures/.
    let figs = out.join("figures");
    for keep in ["my_notes.png", "cka_heatmaps_draft.png"] {
        std::fs::write(figs.join(keep), b"user file").unwrap();
    }
    let o = atrophy(&["report", out.to_str().unwrap(), "--at", "0.9"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for gone in ["cka_heatmaps_50", "cka_diagonal_50", "rdms_50"] {
        assert!(
            !figs.join(format!("{gone}.png")).exists(),
            "{gone}.png stayed"
        );
        assert!(
            !figs.join(format!("{gone}.svg")).exists(),
            "{gone}.svg stayed"
        );
    }
    for kept in [
        "cka_heatmaps_75.png",
        "my_notes.png",
        "cka_heatmaps_draft.png",
    ] {
        assert!(figs.join(kept).is_file(), "{kept} was removed");
    }

    // Not a results folder.
    let o = atrophy(&["report", tmp.path().to_str().unwrap()]);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("not an atrophy results directory") && e.contains("metrics.csv"),
        "{e}"
    );
}
