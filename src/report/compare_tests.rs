use super::*;

/// A results folder of two cycles, regimes `R` (retrained) and `static`, 2 iterations, with
/// CKA matrices over `layers`; `drop` is how much accuracy each iteration costs; injury
/// confined to `injurable` of 1000 synapses when given.
fn folder(drop: f64, injurable: Option<u64>, layers: &[&str]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let share = injurable.map_or(1.0, |i| i as f64 / 1000.0);
    let mut m = String::from(
        "regime,cycle,iteration,fraction_injured,state,top1,mean_class,loss,seconds\n",
    );
    for (regime, states) in [
        ("R", &["injured", "retrained"][..]),
        ("static", &["injured"]),
    ] {
        for c in 0..2 {
            m.push_str(&format!("{regime},{c},0,0,healthy,0.9,0.9,1,0\n"));
            for it in 1..=2 {
                let f = share * it as f64 / 2.0;
                for st in states {
                    let lost = match (regime, *st) {
                        ("R", "retrained") => drop * it as f64,
                        ("R", _) => drop * it as f64 + 0.1,
                        _ => 3.0 * drop * it as f64,
                    };
                    let a = 0.9 - lost;
                    m.push_str(&format!("{regime},{c},{it},{f},{st},{a},{a},1,0\n"));
                }
            }
        }
    }
    std::fs::write(d.path().join("metrics.csv"), m).unwrap();
    let mut run = serde_json::json!({"finished": true, "config": {
        "name": "t", "data": {"dataset": "synthetic"},
        "injury": {"kind": "decay", "iterations": 2, "layers": []},
        "regime": [{"name": "R", "images": 10}, {"name": "static", "static": true}]
    }});
    if let Some(i) = injurable {
        run["config"]["injury"]["layers"] = serde_json::json!(["conv1"]);
        run["synapses"] = serde_json::json!({"total": 1000, "injurable": i});
    }
    std::fs::write(d.path().join("run.json"), run.to_string()).unwrap();
    let cka = d.path().join("cka");
    std::fs::create_dir_all(&cka).unwrap();
    std::fs::write(cka.join("layers.txt"), layers.join("\n")).unwrap();
    let n = layers.len();
    for (c, it) in (0..2).flat_map(|c| (1..=2).map(move |it| (c, it))) {
        for st in ["injured", "retrained"] {
            let m = ndarray::Array2::<f64>::from_elem((n, n), 0.5);
            let p = cka.join(format!("R_c{c}_i{it}_{st}.npy"));
            crate::analysis::npy::write_npy(p, &m).unwrap();
        }
    }
    d
}

#[test]
fn runs_are_drawn_together_and_ranked_by_the_accuracy_averaged_over_the_injury() {
    let (a, b) = (
        folder(0.05, Some(10), &["x", "y"]),
        folder(0.1, None, &["x", "y"]),
    );
    let out = tempfile::tempdir().unwrap();
    let runs = vec![
        ("V1".to_string(), a.path().to_path_buf()),
        ("all".to_string(), b.path().to_path_buf()),
    ];
    let c = compare(&runs, out.path(), 0.5).unwrap();
    let names: Vec<_> = c.figures.iter().map(|p| p.file_name().unwrap()).collect();
    assert_eq!(
        names,
        [
            "compare_top1.png",
            "compare_mean_class.png",
            "compare_cka_diagonal.png"
        ]
    );
    for f in &c.figures {
        assert!(f.is_file() && f.with_extension("svg").is_file());
    }
    let svg = std::fs::read_to_string(out.path().join("compare_top1.svg")).unwrap();
    // One curve per regime of each run, in its last state; a confined run's axis.
    for label in [
        "V1 R retrained (solid)",
        "V1 static injured (dashed)",
        "all R retrained (solid)",
        "all static injured (dashed)",
    ] {
        assert!(svg.contains(label), "{label} missing");
    }
    assert!(
        !svg.contains("V1 R injured"),
        "only the last state of a regime"
    );
    assert!(svg.contains("% of those each run"));
    // The CKA level counts the synapses injury could reach: iteration 1 is half of conv1
    // (0.5 % of the network, which would put iteration 2 nearest 0.5 unscaled).
    let svg = std::fs::read_to_string(out.path().join("compare_cka_diagonal.svg")).unwrap();
    for label in [
        "V1 R injured, 50 % of conv1 (dashed)",
        "V1 R retrained, 50 % of conv1 (solid)",
        "all R injured, 50 % (dashed)",
    ] {
        assert!(svg.contains(label), "{label} missing");
    }
    // Averaged over the injury (trapezoids over 0, 1/2, 1 of the range): 0.9, then
    // 0.9 - drop, 0.9 - 2 drop, i.e. 0.9 - drop for R and 0.9 - 3 drop for static.
    let md = std::fs::read_to_string(&c.markdown).unwrap();
    let (ranking, course) = md.split_once("# Course of the disease").unwrap();
    let rows: Vec<&str> = ranking
        .lines()
        .filter(|l| l.starts_with("| V1 |") || l.starts_with("| all |"))
        .collect();
    assert_eq!(rows.len(), 4, "{md}");
    // The course: every run's regimes; curves of 3 points are too short for the fit.
    let course_rows = course
        .lines()
        .filter(|l| l.starts_with("| V1 |") || l.starts_with("| all |"));
    assert_eq!(course_rows.count(), 4, "{course}");
    assert!(course.contains("fewer than 4 points"), "{course}");
    // Ranked by mean class-wise, as summary.md (here equal to top-1).
    assert!(
        rows[0].starts_with("| V1 | R | uniform | 2 | 85.0 ± 0.0 |"),
        "{md}"
    );
    assert!(
        rows[1].starts_with("| all | R | uniform | 2 | 80.0 ± 0.0 |"),
        "{md}"
    );
    assert!(
        rows[2].starts_with("| V1 | static | uniform | 2 | 75.0 ± 0.0 |"),
        "{md}"
    );
    assert!(
        rows[3].starts_with("| all | static | uniform | 2 | 60.0 ± 0.0 |"),
        "{md}"
    );
}

#[test]
fn mistakes_are_named() {
    let (a, b) = (
        folder(0.05, None, &["x", "y"]),
        folder(0.1, None, &["x", "z"]),
    );
    let out = tempfile::tempdir().unwrap();
    let one = vec![("a".to_string(), a.path().to_path_buf())];
    let e = compare(&[], out.path(), 0.6).err().unwrap().to_string();
    assert!(e.contains("at least one"), "{e}");
    // One folder: its regimes in their last states.
    let c = compare(&one, out.path(), 0.6).unwrap();
    let svg = std::fs::read_to_string(out.path().join("compare_top1.svg")).unwrap();
    assert!(svg.contains("R retrained (solid)") && svg.contains("static injured (dashed)"));
    assert!(!svg.contains("a R retrained"), "one run needs no label");
    assert!(c.markdown.is_file());
    let two = vec![one[0].clone(), ("b".to_string(), b.path().to_path_buf())];
    // Different layers: the accuracy figures and the ranking, no CKA figure, and why.
    let c = compare(&two, out.path(), 0.6).unwrap();
    assert!(c.markdown.is_file());
    assert!(!c
        .figures
        .iter()
        .any(|f| f.ends_with("compare_cka_diagonal.png")));
    let note = c.notes.join("\n");
    assert!(
        note.contains("different layers") && note.contains("(b)"),
        "{note}"
    );
    let e = compare(&two, out.path(), 1.5).err().unwrap().to_string();
    assert!(e.contains("out of range"), "{e}");
    let same = vec![one[0].clone(), ("a".to_string(), b.path().to_path_buf())];
    let e = compare(&same, out.path(), 0.6).err().unwrap().to_string();
    assert!(e.contains("both labelled `a`"), "{e}");
    // A confined run of an older atrophy, without its synapse counts.
    let old = folder(0.05, None, &["x", "y"]);
    let run = serde_json::json!({"config": {
        "name": "old", "data": {"dataset": "synthetic"},
        "injury": {"kind": "decay", "iterations": 2, "layers": ["V1"]},
        "regime": [{"name": "R", "images": 10}]
    }});
    std::fs::write(old.path().join("run.json"), run.to_string()).unwrap();
    let two = vec![
        one[0].clone(),
        ("old".to_string(), old.path().to_path_buf()),
    ];
    let e = compare(&two, out.path(), 0.6).err().unwrap().to_string();
    assert!(
        e.contains("run.json") && e.contains("synapse counts"),
        "{e}"
    );
    let missing = vec![one[0].clone(), ("c".into(), out.path().join("nothing"))];
    let e = format!("{:#}", compare(&missing, out.path(), 0.6).err().unwrap());
    assert!(e.contains("nothing") && e.contains("metrics.csv"), "{e}");
}
