//! The report page: one self-contained HTML file (figures embedded as data URIs, SVGs in
//! `figures/`, linked) with the config, the healthy model, the tables of mean +- sd, the figures, timings and the
//! version.
use super::figures::Figure;
use super::results::Results;
use anyhow::{Context, Result};
use base64::Engine;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The run beside the paper whose protocol it follows, one table per regime.
fn paper_tables(
    h: &mut String,
    r: &Results,
    summary: &[crate::results::SummaryRow],
    p: super::paper::Paper,
) -> Result<()> {
    use super::paper::{cell, tables, Published};
    let config = r.info.config.as_ref();
    let metric = if p.metric() == "top1" {
        "top-1"
    } else {
        "mean class-wise"
    };
    h.push_str(&format!(
        "<h2 id=\"paper\">Beside {} ({metric}, %)</h2>\n<p>The paper's figures as printed in its text (&asymp;: given only roughly); also in <code>summary.md</code>.</p>\n",
        esc(p.title())
    ));
    for t in tables(summary, p.metric(), config, Some(p))? {
        let recalibrated = t.rows.iter().any(|w| w.recalibrated.is_some());
        let recal_head = if recalibrated {
            "<th>after recalibration</th>"
        } else {
            ""
        };
        h.push_str(&format!(
            "<h3>{}</h3>\n<table class=\"paper\"><tr><th>iteration</th><th>injured</th><th>after injury</th><th>paper</th>{recal_head}<th>after retraining</th><th>paper</th></tr>\n",
            esc(&t.regime)
        ));
        let pc = |v: &Option<Published>| v.as_ref().map_or(String::new(), |x| esc(&x.cell()));
        for w in &t.rows {
            let recal = if recalibrated {
                format!("<td>{}</td>", esc(&cell(w.recalibrated, w.cycles)))
            } else {
                String::new()
            };
            h.push_str(&format!(
                "<tr><td>{}</td><td>{:.1} %</td><td>{}</td><td>{}</td>{recal}<td>{}</td><td>{}</td></tr>\n",
                w.iteration,
                100.0 * w.fraction,
                esc(&cell(w.injured, w.cycles)),
                pc(&w.paper_injured),
                esc(&cell(w.retrained, w.cycles)),
                pc(&w.paper_retrained)
            ));
        }
        h.push_str("</table>\n");
    }
    Ok(())
}

/// The page as a string.
pub fn page(r: &Results, figs: &[Figure]) -> Result<String> {
    let name = r.name();
    let mut h = String::new();
    h.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>atrophy report: {}</title>\n<style>body{{font-family:sans-serif;max-width:1400px;margin:2em auto;padding:0 1em;color:#222}}table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}th{{background:#f0f0f0}}td:first-child,th:first-child{{text-align:left}}figure{{margin:1.5em 0}}img{{max-width:100%;border:1px solid #eee}}.partial{{background:#fff3cd;border:1px solid #e0c060;padding:.7em 1em}}pre{{background:#f6f6f6;padding:1em;overflow:auto;font-size:12px}}</style></head><body>\n",
        esc(&name)
    ));
    h.push_str(&format!("<h1>atrophy report: {}</h1>\n", esc(&name)));
    if !r.finished {
        h.push_str("<p class=\"partial\" id=\"partial\"><b>Partial results.</b> The run is still going or was stopped; this report shows what exists so far. Run the same <code>atrophy run</code> command to continue.</p>\n");
    }
    divergence_notice(&mut h, r);
    if let Some(run) = &r.run {
        // Steps done from the tables (run.json is written when a session starts and ends, so
        // its count lags behind a run still going or stopped); each step adds rows of its
        // (regime, cycle, iteration).
        let done: std::collections::BTreeSet<(&str, usize, usize)> = r
            .metrics
            .iter()
            .filter(|m| m.key.iteration > 0)
            .map(|m| (m.key.regime.as_str(), m.key.cycle, m.key.iteration))
            .collect();
        let number = |v: &serde_json::Value| v.as_u64().map_or("?".to_string(), |n| n.to_string());
        h.push_str(&format!(
            "<p>atrophy {} &middot; seed {} &middot; backend {} &middot; steps {} of {}</p>\n",
            esc(run["atrophy_version"].as_str().unwrap_or("?")),
            number(&run["seed"]),
            esc(&run["backend"]["device"]
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| "?".into())),
            done.len(),
            number(&run["steps_total"])
        ));
    }
    h.push_str("<h2>Summary (mean &plusmn; sample sd over cycles)</h2>\n");
    if let Some(s) = &r.summary {
        let injured = match &r.confined {
            Some(c) => format!("injured (of {})", esc(&c.names())),
            None => "injured".into(),
        };
        h.push_str(&format!("<table id=\"summary\"><tr><th>regime</th><th>iteration</th><th>state</th><th>cycles</th><th>{injured}</th><th>top-1</th><th>mean class-wise</th></tr>\n"));
        for row in s {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1} %</td><td>{:.2} &plusmn; {:.2} %</td><td>{:.2} &plusmn; {:.2} %</td></tr>\n",
                esc(&row.regime), row.iteration, row.state, row.cycles, 100.0 * row.fraction_injured, 100.0 * row.top1_mean, 100.0 * row.top1_sd, 100.0 * row.mean_class_mean, 100.0 * row.mean_class_sd
            ));
        }
        h.push_str("</table>\n");
        if let Some(p) = super::paper::Paper::of_run(&r.info) {
            paper_tables(&mut h, r, s, p)?;
        }
    }
    course_section(&mut h, r);
    battery_section(&mut h, r);
    h.push_str("<h2>Figures</h2>\n");
    for f in figs {
        let bytes =
            std::fs::read(&f.png).with_context(|| format!("reading {}", f.png.display()))?;
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        let svg = f.png.with_extension("svg");
        let svg_name = svg
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        h.push_str(&format!(
            "<figure><h3>{}</h3><img class=\"figure\" alt=\"{}\" src=\"data:image/png;base64,{b64}\"><figcaption>{} <a href=\"figures/{}\">SVG</a></figcaption></figure>\n",
            esc(&f.title), esc(&f.title), esc(&f.caption), esc(&svg_name)
        ));
    }
    undefined_section(&mut h, r);
    training_section(&mut h, r);
    if let Some(run) = &r.run {
        h.push_str("<h2>Timings</h2>\n<pre>");
        h.push_str(&esc(&serde_json::to_string_pretty(&run["timings"])?));
        h.push_str("</pre>\n<h2>Config</h2>\n<pre id=\"config\">");
        h.push_str(&esc(&serde_json::to_string_pretty(&run["config"])?));
        h.push_str("</pre>\n");
    }
    h.push_str(&format!(
        "<p><small>Made by atrophy {} from {}.</small></p>\n</body></html>\n",
        env!("CARGO_PKG_VERSION"),
        esc(&r.dir.display().to_string())
    ));
    Ok(h)
}

/// The visual test battery's thresholds per regime and test.
fn battery_section(h: &mut String, r: &Results) {
    let rows = super::battery::thresholds(r);
    if rows.is_empty() {
        return;
    }
    h.push_str(
        "<h2>Visual test battery</h2>\n<p>Each test's threshold: the level at which top-1 accuracy \
         falls halfway from its unperturbed value to chance (docs/PROTOCOLS.md P14), for the \
         healthy model and after the last iteration (its last state), mean over the cycles that \
         reached it; every level's accuracy is in <code>battery.csv</code>.</p>\n<table id=\"battery\">\
         <tr><th>regime</th><th>test</th><th>healthy</th><th>last iteration</th></tr>\n",
    );
    for t in rows {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&t.regime),
            esc(&t.test),
            esc(&t.healthy),
            esc(&t.last)
        ));
    }
    h.push_str("</table>\n");
}

/// The course of the disease (onset, reserve, logistic fit) per regime.
fn course_section(h: &mut String, r: &Results) {
    let config = r.info.config.as_ref();
    let rows = super::course::rows(&r.metrics, &r.divergence, config);
    if rows.is_empty() {
        return;
    }
    let points = config.map_or(5.0, |c| c.analysis.onset_points);
    h.push_str(&format!(
        "<h2>Course of the disease</h2>\n<p>{}</p>\n<table id=\"course\"><tr>",
        esc(&super::course::description(r.classes.max(2), points))
    ));
    for head in super::course::HEADER {
        h.push_str(&format!("<th>{}</th>", esc(head)));
    }
    h.push_str("</tr>\n");
    for row in rows {
        h.push_str("<tr>");
        for c in row {
            h.push_str(&format!("<td>{}</td>", esc(&c)));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

/// The notice of diverged or exploded states, naming each regime's cycles.
fn divergence_notice(h: &mut String, r: &Results) {
    let flagged = crate::results::divergence::flagged_cycles(&r.metrics, &r.divergence, r.classes);
    if !flagged.is_empty() {
        h.push_str("<div class=\"partial\" id=\"diverged\"><b>Diverged or exploded states.</b> Their rows are in the tables as measured; a diverged cycle ended at the state named (its accuracy is not a prediction) and is left out of the ranking; see <code>divergence.csv</code> and <code>summary.md</code>.<ul>\n");
        for (regime, cycles) in &flagged {
            let all: std::collections::BTreeSet<usize> = (r.metrics.iter())
                .filter(|m| m.key.regime == *regime)
                .map(|m| m.key.cycle)
                .collect();
            h.push_str(&format!(
                "<li>{}: {}</li>\n",
                esc(regime),
                esc(&crate::results::divergence::describe(
                    Some(cycles),
                    all.len()
                ))
            ));
        }
        h.push_str("</ul></div>\n");
    }
}

/// The states whose tau is undefined, with why.
fn undefined_section(h: &mut String, r: &Results) {
    if let Some(t) = &r.taus {
        let undefined: Vec<&crate::results::TauRow> =
            t.iter().filter(|row| !row.note.is_empty()).collect();
        if !undefined.is_empty() {
            h.push_str(&format!(
                "<h2 id=\"undefined\">Undefined values</h2>\n<p>Kendall's tau is undefined (NaN in <code>rdm_tau.csv</code>, left out of the figure) for {} state(s):</p>\n<ul>\n",
                undefined.len()
            ));
            for row in undefined {
                h.push_str(&format!(
                    "<li>{}: {}</li>\n",
                    esc(&row.key.file_stem()),
                    esc(&row.note)
                ));
            }
            h.push_str("</ul>\n");
        }
    }
}

/// The healthy model's training log as a table.
fn training_section(h: &mut String, r: &Results) {
    if let Some(t) = &r.train_log {
        h.push_str("<h2>Healthy model training</h2>\n<table><tr>");
        for c in crate::results::EpochRow::header() {
            h.push_str(&format!("<th>{}</th>", esc(&c)));
        }
        h.push_str("</tr>\n");
        // Whole numbers as they are, the others to four decimals.
        let shown = |x: f64| {
            if x.fract() == 0.0 {
                format!("{x}")
            } else {
                format!("{x:.4}")
            }
        };
        for e in t {
            h.push_str("<tr>");
            for v in [
                e.epoch as f64,
                e.lr,
                e.train_loss,
                e.train_accuracy,
                e.test_loss,
                e.test_top1,
                e.test_mean_class,
                e.seconds,
            ] {
                h.push_str(&format!("<td>{}</td>", shown(v)));
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n");
    }
}
