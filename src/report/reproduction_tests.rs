use super::*;
use crate::report::arms::{self, FINDINGS_HEADING};

/// The page `atrophy reproduce 000` writes for the small results folder of the report's tests.
fn page() -> String {
    let d = crate::report::tests::results_dir("cifar10");
    let r = Results::read(d.path()).unwrap();
    markdown(
        "000",
        "moore-decay",
        &r,
        false,
        "atrophy reproduce 000 --out d",
    )
}

/// Every row of paper 000 and 001 is found again by its first three cells, as itself: the
/// cells a committed page keeps identify its paper value.
#[test]
fn every_row_identifies_its_paper_value() {
    for v in paper_values::values().iter().filter(|v| v.paper != "003") {
        for i in iterations(v) {
            let row = Row {
                what: describe(v, i),
                section: format!("{} {}", v.paper, v.section),
                paper: printed(v),
                atrophy: String::new(),
                difference: String::new(),
                within: String::new(),
                explained: String::new(),
            };
            assert_eq!(value_of_row(&v.paper, &row), Some(v), "{row:?}");
        }
    }
}

/// The cells name the arms; what each found is written once, under the table, for every arm a
/// cell cites and for no other.
#[test]
fn findings_are_written_once_under_the_table() {
    let md = page();
    let (table, findings) = md.split_once(FINDINGS_HEADING).expect(&md);
    for (i, a) in arms::arms().iter().enumerate() {
        let label = format!("**arm {} ({})**", a.id, a.name);
        let cited = table.contains(&format!("arm {} ({})", a.id, a.name));
        if let Some(f) = &a.finding {
            // A finding is written out in the section only, at most once.
            assert!(
                !table.contains(f.as_str()),
                "arm {}: finding in a cell",
                a.id
            );
            assert!(findings.matches(f.as_str()).count() <= 1, "{i}");
        }
        if !cited {
            assert!(!findings.contains(&label), "{label} listed but not cited");
        }
    }
    assert!(findings.contains("- **arm "), "{findings}");
}

/// A fresh page is already up to date; a stale cell and a stale section are written anew
/// from arms.toml, and the measured columns are left as they are.
#[test]
fn rearm_rewrites_stale_cells_and_findings_only() {
    let md = page();
    assert_eq!(rearm(&md).unwrap(), md);
    let stale_row = md
        .lines()
        .find(|l| l.starts_with("| ") && l.contains("| unexplained"))
        .expect("a row that misses");
    let cell = stale_row
        .rsplit(" | ")
        .next()
        .unwrap()
        .trim_end_matches(" |");
    let stale = md
        .replacen(cell, "unexplained; measured: partly arm 9 (gone): old", 1)
        .split(FINDINGS_HEADING)
        .next()
        .unwrap()
        .to_string()
        + FINDINGS_HEADING
        + "\n\n- **arm 9 (gone)**: old\n";
    assert_ne!(stale, md);
    assert_eq!(rearm(&stale).unwrap(), md);
    // A page without the section (as written before 2026-12-05) gains it.
    let old = md
        .split(FINDINGS_HEADING)
        .next()
        .unwrap()
        .trim_end()
        .to_string()
        + "\n";
    assert_eq!(rearm(&old).unwrap(), md);
    // The measured columns are the page's, even where a run would give other values.
    let healthy = md
        .lines()
        .find(|l| l.starts_with("| healthy top-1"))
        .unwrap();
    let measured = healthy.split(" | ").nth(3).unwrap();
    let changed = md.replacen(
        healthy,
        &healthy.replacen(measured, "12.3 (regime R1000)", 1),
        1,
    );
    assert_ne!(changed, md);
    assert_eq!(rearm(&changed).unwrap(), changed);
}

/// A row the paper values no longer hold is an error that names it; a page of no paper 000 or
/// 001 is refused.
#[test]
fn rearm_names_a_row_it_cannot_place() {
    let md = page();
    let row = md
        .lines()
        .find(|l| l.starts_with("| ") && l.contains("| unexplained"))
        .unwrap();
    let what = row.trim_start_matches("| ").split(" | ").next().unwrap();
    let broken = md.replacen(what, "a number no paper prints", 1);
    let e = rearm(&broken).unwrap_err().to_string();
    assert!(e.contains("`a number no paper prints`"), "{e}");
    // A cell atrophy does not write (a hand edit, an older format) is not kept silently.
    let cell = row.rsplit(" | ").next().unwrap().trim_end_matches(" |");
    let edited = md.replacen(cell, "my guess", 1);
    let e = rearm(&edited).unwrap_err().to_string();
    assert!(
        e.contains(&format!("`{what}`")) && e.contains("`my guess`"),
        "{e}"
    );
    assert!(rearm("# Reproduction of paper 003\n").is_err());
}

/// The pages committed under docs/reproductions/ follow docs/reproductions/arms.toml: after a
/// change to the arms, `ATROPHY_BLESS=1 cargo test --lib report::reproduction` rewrites their
/// "explained by" cells and findings (nothing else), and this test passes again.
#[test]
fn committed_pages_follow_the_arms() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reproductions");
    let bless = std::env::var_os("ATROPHY_BLESS").is_some();
    let mut stale = Vec::new();
    let mut pages = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if path.extension().is_none_or(|e| e != "md")
            || !(text.starts_with("# Reproduction of paper 000 ")
                || text.starts_with("# Reproduction of paper 001 "))
        {
            continue;
        }
        pages += 1;
        let fresh = rearm(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if fresh != text {
            if bless {
                crate::fsio::write_atomic(&path, fresh.as_bytes()).unwrap();
            } else {
                stale.push(path.display().to_string());
            }
        }
    }
    assert!(
        pages >= 4,
        "{pages} pages of paper 000 and 001 in {}",
        dir.display()
    );
    assert!(
        stale.is_empty(),
        "pages behind docs/reproductions/arms.toml: {}; refresh them with \
         `ATROPHY_BLESS=1 cargo test --lib report::reproduction`",
        stale.join(", ")
    );
}

/// The page links the run's figures that stand for the paper's, in the paper's order and
/// relative to the page, and no other; `rearm` keeps the section as it is.
#[test]
fn the_page_links_the_papers_figures() {
    let d = crate::report::tests::results_dir("cifar10");
    let figures = d.path().join("figures");
    std::fs::create_dir_all(&figures).unwrap();
    for name in [
        "rdm_tau.png",
        "accuracy_top1.png",
        "cka_heatmaps_60.png",
        "damage.png",
        "rdm_tau.svg",
    ] {
        std::fs::write(figures.join(name), b"").unwrap();
    }
    let r = Results::read(d.path()).unwrap();
    let md = markdown(
        "000",
        "moore-decay",
        &r,
        false,
        "atrophy reproduce 000 --out d",
    );
    let (before, section) = md.split_once(FIGURES_HEADING).expect(&md);
    assert!(
        before.contains(arms::FINDINGS_HEADING),
        "findings come first"
    );
    let links: Vec<&str> = section
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("![")?
                .split_once("](")?
                .1
                .strip_suffix(')')
        })
        .collect();
    assert_eq!(
        links,
        ["figures/accuracy_top1.png", "figures/cka_heatmaps_60.png"],
        "paper 000's figures only (rdm_tau stands for paper 001's Fig. 2B)"
    );
    assert_eq!(rearm(&md).unwrap(), md);
    let (table, _) = md.split_once(arms::FINDINGS_HEADING).unwrap();
    let stale = format!(
        "{table}{}\n\n- **arm 9 (gone)**: old\n\n{FIGURES_HEADING}{section}",
        arms::FINDINGS_HEADING
    );
    assert_eq!(rearm(&stale).unwrap(), md);
}

/// A difference that rounds to zero prints as +0.0 whatever its sign; others keep theirs.
#[test]
fn a_difference_that_rounds_to_zero_has_no_minus() {
    assert_eq!(signed(-0.04, 1), "+0.0");
    assert_eq!(signed(-0.0004, 3), "+0.000");
    assert_eq!(signed(-0.06, 1), "-0.1");
    assert_eq!(signed(0.04, 1), "+0.0");
    assert_eq!(signed(-12.34, 1), "-12.3");
    assert_eq!(signed(5.5, 1), "+5.5");
}
