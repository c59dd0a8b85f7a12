//! The papers' figures, as PNG and SVG: accuracy against the fraction injured with +-1 sd bands
//! (paper 000 Fig. 2, paper 001 Fig. 2A), CKA heatmaps and diagonals (paper 000 Fig. 3), RDMs
//! sorted by class (paper 001 Fig. 3), Kendall's tau (paper 001 Fig. 2B), pathway overlap.
//! Colours come from viridis; text uses the DejaVu Sans font built into the program, so figures
//! render on machines without fontconfig or system fonts.
use super::results::{pathways_by_state, Results};
use crate::results::{curves, Curves, State};
use anyhow::{anyhow, Result};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;
use std::path::{Path, PathBuf};

static FONT: std::sync::Once = std::sync::Once::new();

fn register_font() {
    FONT.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
        for style in [
            FontStyle::Normal,
            FontStyle::Bold,
            FontStyle::Italic,
            FontStyle::Oblique,
        ] {
            let _ = plotters::style::register_font("sans-serif", style, bytes);
        }
    });
}

fn pe<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing failed: {e:?}")
}

fn viridis(t: f64) -> RGBColor {
    ViridisRGB::get_color(t.clamp(0.0, 1.0) as f32)
}

/// Colour of the i-th of n series: spread over viridis, avoiding its faint yellow end.
fn series_colour(i: usize, n: usize) -> RGBColor {
    viridis(if n <= 1 {
        0.3
    } else {
        0.85 * i as f64 / (n - 1) as f64
    })
}

/// Renders a figure to `NAME.png` and `NAME.svg` in `dir`; `$draw` is instantiated for each
/// backend.
macro_rules! both {
    ($dir:expr, $name:expr, $size:expr, $draw:expr) => {{
        let png: PathBuf = $dir.join(format!("{}.png", $name));
        let svg: PathBuf = $dir.join(format!("{}.svg", $name));
        {
            let root = BitMapBackend::new(&png, $size).into_drawing_area();
            root.fill(&WHITE).map_err(pe)?;
            $draw(&root)?;
            root.present().map_err(pe)?;
        }
        {
            let root = SVGBackend::new(&svg, $size).into_drawing_area();
            root.fill(&WHITE).map_err(pe)?;
            $draw(&root)?;
            root.present().map_err(pe)?;
        }
        png
    }};
}

/// A chart with f64 axes.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The legend box, in the same style on every figure.
fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    position: SeriesLabelPosition,
) -> Result<()> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font(("sans-serif", 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(pe)
}

/// A labelled line with a dot at every point; dashed when `dashed`.
fn line<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    xy: &[(f64, f64)],
    colour: RGBColor,
    label: &str,
    dashed: bool,
) -> Result<()> {
    let style = colour.stroke_width(2);
    let series = if dashed {
        chart
            .draw_series(DashedLineSeries::new(xy.to_vec(), 8, 5, style))
            .map_err(pe)?
    } else {
        chart
            .draw_series(LineSeries::new(xy.to_vec(), style))
            .map_err(pe)?
    };
    series
        .label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
    chart
        .draw_series(xy.iter().map(|&p| Circle::new(p, 3, colour.filled())))
        .map_err(pe)?;
    Ok(())
}

fn draw_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    y_desc: &str,
    c: &Curves,
    regimes: &[String],
    y_range: (f64, f64),
    overlay: Overlay,
) -> Result<()> {
    let Overlay { hline, marks } = overlay;
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .margin_right(30)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..100f64, y_range.0..y_range.1)
        .map_err(pe)?;
    chart
        .configure_mesh()
        .x_desc("synapses injured (%)")
        .y_desc(y_desc)
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(pe)?;
    if let Some((y, label)) = hline {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, y), (100.0, y)],
                6,
                4,
                BLACK.mix(0.6).stroke_width(1),
            ))
            .map_err(pe)?
            .label(label)
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.6)));
    }
    for ((regime, state), pts) in c {
        let i = regimes.iter().position(|r| r == regime).unwrap_or(0);
        let colour = series_colour(i, regimes.len());
        let xy: Vec<(f64, f64)> = pts.iter().map(|p| (100.0 * p.0, p.1)).collect();
        let mut band: Vec<(f64, f64)> = pts.iter().map(|p| (100.0 * p.0, p.1 + p.2)).collect();
        band.extend(pts.iter().rev().map(|p| (100.0 * p.0, p.1 - p.2)));
        chart
            .draw_series(std::iter::once(Polygon::new(band, colour.mix(0.15))))
            .map_err(pe)?;
        let retrained = *state == State::Retrained;
        let label = if retrained {
            format!("{regime} retrained (solid)")
        } else {
            format!("{regime} {state} (dashed)")
        };
        line(&mut chart, &xy, colour, &label, !retrained)?;
    }
    draw_marks(&mut chart, marks, regimes)?;
    legend(&mut chart, SeriesLabelPosition::LowerLeft)
}

/// What a curve figure draws besides the run's curves.
#[derive(Default)]
struct Overlay<'a> {
    /// A dashed horizontal reference line and its label (chance).
    hline: Option<(f64, &'a str)>,
    /// The paper's printed figures.
    marks: &'a [PaperMark],
}

/// A figure the paper printed, placed on the run's axes: (regime, x, y, sd) as fractions, with
/// `approximate` for numbers the paper gives only roughly.
#[derive(Clone, Debug)]
pub struct PaperMark {
    regime: String,
    x: f64,
    y: f64,
    sd: Option<f64>,
    approximate: bool,
}

/// The published figures of the paper whose protocol the run follows, for summary column
/// `metric`; none when the run follows no paper or the paper reports another metric.
fn paper_marks(r: &Results, metric: &str) -> Result<(Vec<PaperMark>, Option<&'static str>)> {
    let config = r.run.as_ref().map(|v| &v["config"]);
    let paper = config
        .and_then(super::paper::Paper::of_config)
        .filter(|p| p.metric() == metric);
    let (Some(p), Some(s)) = (paper, &r.summary) else {
        return Ok((Vec::new(), None));
    };
    let mut marks = Vec::new();
    for t in super::paper::tables(s, metric, config, Some(p))? {
        for row in &t.rows {
            for v in [&row.paper_injured, &row.paper_retrained]
                .into_iter()
                .flatten()
            {
                marks.push(PaperMark {
                    regime: t.regime.clone(),
                    x: row.fraction,
                    y: v.mean / 100.0,
                    sd: v.sd.map(|sd| sd / 100.0),
                    approximate: v.approximate,
                });
            }
        }
    }
    Ok((marks, Some(p.title())))
}

/// Paper figures as diamonds in the regime's colour (hollow: given only roughly), with +-1 sd bars.
fn draw_marks<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    marks: &[PaperMark],
    regimes: &[String],
) -> Result<()> {
    for (k, m) in marks.iter().enumerate() {
        let i = regimes.iter().position(|r| r == &m.regime).unwrap_or(0);
        let colour = series_colour(i, regimes.len());
        let (x, y) = (100.0 * m.x, m.y);
        if let Some(sd) = m.sd {
            chart
                .draw_series(std::iter::once(ErrorBar::new_vertical(
                    x,
                    y - sd,
                    y,
                    y + sd,
                    colour.stroke_width(2),
                    10,
                )))
                .map_err(pe)?;
        }
        let style = if m.approximate {
            colour.stroke_width(2)
        } else {
            colour.filled()
        };
        let diamond = move |(x, y): (i32, i32), s: ShapeStyle| {
            Polygon::new(vec![(x, y - 7), (x + 7, y), (x, y + 7), (x - 7, y)], s)
        };
        let drawn = chart
            .draw_series(std::iter::once(
                EmptyElement::at((x, y)) + diamond((0, 0), style),
            ))
            .map_err(pe)?;
        if k == 0 {
            drawn
                .label("paper (text figures, +-1 sd)")
                .legend(move |(x, y)| diamond((x + 10, y), BLACK.filled()));
        }
    }
    Ok(())
}

fn draw_heatmap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    m: &ndarray::Array2<f64>,
    axes: (&str, &str),
) -> Result<()> {
    let l = m.nrows() as i32;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(8)
        .x_label_area_size(35)
        .y_label_area_size(40)
        .build_cartesian_2d(0..l, 0..l)
        .map_err(pe)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(axes.0)
        .y_desc(axes.1)
        .label_style(("sans-serif", 11))
        .draw()
        .map_err(pe)?;
    chart
        .draw_series((0..l).flat_map(|i| {
            (0..l).map(move |j| {
                let v = m[[i as usize, j as usize]];
                let c = if v.is_finite() {
                    viridis(v)
                } else {
                    RGBColor(200, 200, 200)
                };
                Rectangle::new([(j, i), (j + 1, i + 1)], c.filled())
            })
        }))
        .map_err(pe)?;
    Ok(())
}

fn draw_colourbar<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, label: &str) -> Result<()> {
    let mut chart = ChartBuilder::on(area)
        .margin(20)
        .margin_right(45)
        .y_label_area_size(40)
        .caption(label, ("sans-serif", 13))
        .build_cartesian_2d(0..1, 0f64..1f64)
        .map_err(pe)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .label_style(("sans-serif", 11))
        .draw()
        .map_err(pe)?;
    chart
        .draw_series((0..100).map(|k| {
            Rectangle::new(
                [(0, k as f64 / 100.0), (1, (k + 1) as f64 / 100.0)],
                viridis(k as f64 / 100.0).filled(),
            )
        }))
        .map_err(pe)?;
    Ok(())
}

/// Mean over cycles of the CKA matrices of (regime, iteration, state).
fn mean_cka(
    r: &Results,
    regime: &str,
    iteration: usize,
    state: State,
) -> Option<(ndarray::Array2<f64>, usize)> {
    let ms: Vec<&ndarray::Array2<f64>> = r
        .cka
        .iter()
        .filter(|(k, _)| {
            k.starts_with(&format!("{regime}_c")) && k.ends_with(&format!("_i{iteration}_{state}"))
        })
        .map(|(_, v)| v)
        .collect();
    let first = ms.first()?;
    let mut sum = ndarray::Array2::<f64>::zeros(first.dim());
    for m in &ms {
        sum += *m;
    }
    Some((sum / ms.len() as f64, ms.len()))
}

/// The iteration whose mean fraction injured is closest to `target` (paper 000 shows 60 %).
fn iteration_near(r: &Results, regime: &str, target: f64) -> Option<(usize, f64)> {
    r.metrics
        .iter()
        .filter(|row| row.key.regime == regime && row.key.iteration != 0)
        .map(|row| (row.key.iteration, row.key.fraction_injured))
        .min_by(|a, b| (a.1 - target).abs().total_cmp(&(b.1 - target).abs()))
}

/// One figure of the report: its file, title and caption.
pub struct Figure {
    /// The PNG (an SVG lies beside it).
    pub png: PathBuf,
    /// Title.
    pub title: String,
    /// What it shows.
    pub caption: String,
}

/// Draws every figure the results allow into `dir`.
///
/// `levels` are the fractions injured (e.g. 0.6) at which CKA heatmaps, diagonals and RDMs are
/// drawn (the nearest iteration of each).
pub fn draw_all(r: &Results, dir: &Path, levels: &[f64]) -> Result<Vec<Figure>> {
    register_font();
    std::fs::create_dir_all(dir)?;
    let mut figs = Vec::new();
    let regimes = r.regimes();
    let chance = if r.classes() > 0 {
        Some((1.0 / r.classes() as f64, "chance"))
    } else {
        None
    };
    let size = (900, 600);
    for (col, what) in [
        ("top1", "top-1 accuracy"),
        ("mean_class", "mean class-wise accuracy"),
    ] {
        let c = curves(
            r.metrics
                .iter()
                .map(|m| (&m.key, if col == "top1" { m.top1 } else { m.mean_class })),
        );
        if c.is_empty() {
            continue;
        }
        let (marks, paper) = paper_marks(r, col)?;
        let png = both!(dir, format!("accuracy_{col}"), size, |root| draw_curves(
            root,
            &format!("{what} against injury (mean +- 1 sd over cycles)"),
            what,
            &c,
            &regimes,
            (0.0, 1.0),
            Overlay {
                hline: chance,
                marks: &marks
            }
        ));
        let mut caption = String::from("Dashed: right after the injury; solid: after retraining the healthy synapses. Bands: +-1 sample sd over cycles. Dashed grey: chance.");
        if let Some(p) = paper {
            caption.push_str(&format!(" Diamonds: the figures {p} prints in its text, in the regime's colour, with +-1 sd bars where given (hollow: given only roughly)."));
        }
        figs.push(Figure {
            png,
            title: format!("{what} against the fraction of synapses injured"),
            caption,
        });
    }
    if let Some(t) = &r.taus {
        let c = curves(t.iter().map(|row| (&row.key, row.tau)));
        if !c.is_empty() {
            let variant = t
                .first()
                .map(|row| row.variant.letter())
                .unwrap_or_default();
            let png = both!(dir, "rdm_tau", size, |root| draw_curves(
                root,
                &format!("Kendall tau-{variant} of the RDM against the healthy RDM"),
                &format!("tau-{variant}"),
                &c,
                &regimes,
                (-0.1, 1.0),
                Overlay::default()
            ));
            figs.push(Figure { png, title: "Representational similarity (RDM, Kendall's tau)".into(), caption: format!("Kendall's tau-{variant} between the upper triangles of each state's RDM and the healthy model's (penultimate layer).") });
        }
    }
    if let Some(p) = &r.pathways {
        // Mean Jaccard over layers per state, then curves over cycles.
        let per_state = pathways_by_state(p);
        let c = curves(per_state.iter().map(|(k, j)| (k, *j)));
        if !c.is_empty() {
            let png = both!(dir, "pathways", size, |root| draw_curves(
                root,
                "Overlap of the strongest synapses with the healthy model's",
                "Jaccard overlap of top-k (mean over layers)",
                &c,
                &regimes,
                (0.0, 1.0),
                Overlay::default()
            ));
            figs.push(Figure { png, title: "Pathways".into(), caption: "Jaccard overlap between each layer's top-k magnitude synapses and the healthy model's, averaged over layers.".into() });
        }
    }
    // CKA: the first retraining regime near 60 % injured (paper 000 Fig. 3), else any regime.
    let retraining: Vec<&String> = regimes
        .iter()
        .filter(|g| {
            r.cka
                .keys()
                .any(|k| k.starts_with(&format!("{g}_c")) && k.ends_with("_retrained"))
        })
        .collect();
    if let Some(regime) = retraining.first().copied().or(regimes.first()) {
        let mut seen = Vec::new();
        for &level in levels {
            let Some((it, frac)) = iteration_near(r, regime, level) else {
                continue;
            };
            if seen.contains(&it) {
                continue;
            }
            seen.push(it);
            let pct = (100.0 * frac).round() as i64;
            let inj = mean_cka(r, regime, it, State::Injured);
            let ret = mean_cka(r, regime, it, State::Retrained);
            if let Some((inj, cycles)) = &inj {
                let ret = ret.map(|r| r.0);
                let png = both!(
                    dir,
                    format!("cka_heatmaps_{pct}"),
                    (1300, 600),
                    |root: &DrawingArea<_, Shift>| -> Result<()> {
                        let (left, bar) = root.split_horizontally(1170);
                        let panels = left.split_evenly((1, 2));
                        let axes = ("layer (model under test)", "layer (healthy)");
                        draw_heatmap(
                            &panels[0],
                            &format!(
                                "{regime}: injured, {:.0} % (mean of {cycles} cycles)",
                                100.0 * frac
                            ),
                            inj,
                            axes,
                        )?;
                        if let Some(ret) = &ret {
                            draw_heatmap(
                                &panels[1],
                                &format!("{regime}: retrained, {:.0} %", 100.0 * frac),
                                ret,
                                axes,
                            )?;
                        }
                        draw_colourbar(&bar, "CKA")
                    }
                );
                figs.push(Figure { png, title: format!("Layer-wise CKA against the healthy model at {:.0} % injured", 100.0 * frac), caption: "M[i][j] = linear CKA(layer i of the healthy model, layer j of the injured / retrained model), mean over cycles; grey: undefined (constant layer).".into() });
                let layers = r.cka_layers.clone();
                let png = both!(
                    dir,
                    format!("cka_diagonal_{pct}"),
                    size,
                    |root: &DrawingArea<_, Shift>| -> Result<()> {
                        let l = inj.nrows();
                        let mut chart = ChartBuilder::on(root)
                            .caption(
                                format!(
                                    "1:1 layer CKA at {:.0} % injured ({regime})",
                                    100.0 * frac
                                ),
                                ("sans-serif", 22),
                            )
                            .margin(12)
                            .x_label_area_size(45)
                            .y_label_area_size(60)
                            .build_cartesian_2d(-0.5f64..l as f64 - 0.5, 0f64..1.05f64)
                            .map_err(pe)?;
                        chart
                            .configure_mesh()
                            .x_desc("layer")
                            .x_labels(l.min(20))
                            .y_desc("CKA(healthy, model)")
                            .x_label_formatter(&|x| {
                                // Ticks fall on whole layer indices only.
                                if (x - x.round()).abs() < 1e-9 && *x >= 0.0 {
                                    layers.get(x.round() as usize).cloned().unwrap_or_default()
                                } else {
                                    String::new()
                                }
                            })
                            .label_style(("sans-serif", 12))
                            .draw()
                            .map_err(pe)?;
                        for (k, (m, name)) in [(Some(inj), "injured"), (ret.as_ref(), "retrained")]
                            .into_iter()
                            .enumerate()
                        {
                            let Some(m) = m else { continue };
                            let colour = series_colour(k, 2);
                            let pts: Vec<(f64, f64)> = (0..l)
                                .map(|i| (i as f64, m[[i, i]]))
                                .filter(|p| p.1.is_finite())
                                .collect();
                            line(&mut chart, &pts, colour, name, false)?;
                        }
                        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
                        Ok(())
                    }
                );
                figs.push(Figure { png, title: "1:1 layer CKA".into(), caption: "The diagonal of the CKA matrices: each layer against the same layer of the healthy model.".into() });
            }
            // RDMs sorted by class: healthy, injured, retrained (cycle 0).
            if let (Some(h), Some(labels)) = (r.rdms.get("healthy"), &r.rdm_labels) {
                let mut order: Vec<usize> = (0..labels.len()).collect();
                order.sort_by_key(|&i| (labels[i], i));
                let sorted = |m: &ndarray::Array2<f64>| {
                    ndarray::Array2::from_shape_fn(m.dim(), |(i, j)| m[[order[i], order[j]]])
                };
                let mut panels = vec![("healthy".to_string(), sorted(h))];
                for st in ["injured", "retrained"] {
                    if let Some(m) = r.rdms.get(&format!("{regime}_c0_i{it}_{st}")) {
                        panels.push((format!("{st}, {:.0} %", 100.0 * frac), sorted(m)));
                    }
                }
                let vmax = panels
                    .iter()
                    .flat_map(|p| p.1.iter().copied())
                    .fold(0.0f64, f64::max)
                    .max(1e-12);
                let png = both!(
                    dir,
                    format!("rdms_{pct}"),
                    (1350, 470),
                    |root: &DrawingArea<_, Shift>| -> Result<()> {
                        let (left, bar) = root.split_horizontally(1220);
                        let areas = left.split_evenly((1, 3));
                        for (area, (title, m)) in areas.iter().zip(&panels) {
                            let scaled = m.mapv(|v| v / vmax);
                            draw_heatmap(
                                area,
                                &format!("RDM {title}"),
                                &scaled,
                                ("image (sorted by class)", "image (sorted by class)"),
                            )?;
                        }
                        draw_colourbar(&bar, &format!("1-r / {vmax:.2}"))
                    }
                );
                figs.push(Figure { png, title: "RDMs sorted by class".into(), caption: format!("1 - Pearson r between the penultimate-layer activations of every pair of analysis images, images sorted by class; {regime}, cycle 0, iteration {it}.") });
            }
        }
    }
    if let Some(t) = &r.train_log {
        let pts: Vec<(f64, f64, f64)> = t
            .iter()
            .map(|e| (e.epoch as f64, e.test_top1, e.train_accuracy))
            .collect();
        if !pts.is_empty() {
            let max_e = pts.iter().map(|p| p.0).fold(1.0, f64::max);
            let png = both!(dir, "healthy_training", size, |root: &DrawingArea<
                _,
                Shift,
            >|
             -> Result<()> {
                let mut chart = ChartBuilder::on(root)
                    .caption("Healthy model: accuracy per epoch", ("sans-serif", 22))
                    .margin(12)
                    .x_label_area_size(45)
                    .y_label_area_size(60)
                    .build_cartesian_2d(0f64..max_e + 0.5, 0f64..1f64)
                    .map_err(pe)?;
                chart
                    .configure_mesh()
                    .x_desc("epoch")
                    .y_desc("accuracy")
                    .label_style(("sans-serif", 14))
                    .draw()
                    .map_err(pe)?;
                for (k, name) in [(0usize, "test top-1"), (1, "train (augmented)")] {
                    let colour = series_colour(k, 2);
                    let xy: Vec<(f64, f64)> = pts
                        .iter()
                        .map(|p| (p.0, if k == 0 { p.1 } else { p.2 }))
                        .collect();
                    line(&mut chart, &xy, colour, name, false)?;
                }
                legend(&mut chart, SeriesLabelPosition::LowerRight)?;
                Ok(())
            });
            figs.push(Figure {
                png,
                title: "Healthy model".into(),
                caption:
                    "Test top-1 and training accuracy per epoch of the healthy model's training."
                        .into(),
            });
        }
    }
    Ok(figs)
}

/// A plain line chart (PNG + SVG named `name` in `dir`), one viridis colour per series: for the
/// plasticity demos and other one-off figures.
pub fn line_chart(
    dir: &Path,
    name: &str,
    title: &str,
    axes: (&str, &str),
    series: &[(String, Vec<(f64, f64)>)],
    y_range: (f64, f64),
) -> Result<PathBuf> {
    register_font();
    std::fs::create_dir_all(dir)?;
    let xs = series.iter().flat_map(|s| s.1.iter().map(|p| p.0));
    let (x0, x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    let (x0, x1) = if x0.is_finite() && x1 > x0 {
        (x0, x1)
    } else {
        (0.0, 1.0)
    };
    let png = both!(
        dir,
        name,
        (900, 600),
        |root: &DrawingArea<_, Shift>| -> Result<()> {
            let mut chart = ChartBuilder::on(root)
                .caption(title, ("sans-serif", 22))
                .margin(12)
                .margin_right(30)
                .x_label_area_size(45)
                .y_label_area_size(60)
                .build_cartesian_2d(x0..x1, y_range.0..y_range.1)
                .map_err(pe)?;
            chart
                .configure_mesh()
                .x_desc(axes.0)
                .y_desc(axes.1)
                .label_style(("sans-serif", 14))
                .draw()
                .map_err(pe)?;
            for (i, (label, pts)) in series.iter().enumerate() {
                line(
                    &mut chart,
                    pts,
                    series_colour(i, series.len()),
                    label,
                    false,
                )?;
            }
            legend(&mut chart, SeriesLabelPosition::UpperRight)
        }
    );
    Ok(png)
}

/// A grid of grey images (values in [0, 1], `side` x `side` each), one labelled row per entry of
/// `rows`: for reconstructions and samples of the plasticity demos.
pub fn image_grid(
    dir: &Path,
    name: &str,
    rows: &[(String, Vec<Vec<f64>>)],
    side: usize,
) -> Result<PathBuf> {
    register_font();
    std::fs::create_dir_all(dir)?;
    let cols = rows.iter().map(|r| r.1.len()).max().unwrap_or(1).max(1);
    let cell = 3 * side as u32;
    let (label_w, w, h) = (
        150u32,
        150 + cols as u32 * (cell + 4),
        rows.len() as u32 * (cell + 8) + 10,
    );
    let png = both!(
        dir,
        name,
        (w, h),
        |root: &DrawingArea<_, Shift>| -> Result<()> {
            for (r, (label, images)) in rows.iter().enumerate() {
                let y0 = 5 + r as i32 * (cell as i32 + 8);
                root.draw(&Text::new(
                    label.clone(),
                    (8, y0 + cell as i32 / 2 - 8),
                    ("sans-serif", 15).into_font(),
                ))
                .map_err(pe)?;
                for (c, img) in images.iter().enumerate() {
                    let x0 = label_w as i32 + c as i32 * (cell as i32 + 4);
                    for (k, &v) in img.iter().enumerate() {
                        let (py, px) = ((k / side) as i32, (k % side) as i32);
                        let g = (255.0 * (1.0 - v.clamp(0.0, 1.0))) as u8;
                        let (x, y) = (x0 + 3 * px, y0 + 3 * py);
                        root.draw(&Rectangle::new(
                            [(x, y), (x + 3, y + 3)],
                            RGBColor(g, g, g).filled(),
                        ))
                        .map_err(pe)?;
                    }
                }
            }
            Ok(())
        }
    );
    Ok(png)
}
