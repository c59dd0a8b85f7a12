//! Where and how a curve chart's legend is drawn: in the corner where it hides the least, or,
//! when it has too many entries for any corner, beside the plot in a wider figure.
use crate::report::style::{diamond, pe, series_colour, Chart, CurvePlot, Stroke, SIZE};
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Legend entries above which a curve chart's legend goes beside the plot, not into a corner:
/// a taller box hides part of the curves in every corner.
pub const CORNER_ROWS: usize = 8;

/// Width added to a curve chart's figure for a legend beside the plot, at least: wider when a
/// label needs it ([`side_width`]).
pub const LEGEND_WIDTH: u32 = 330;

/// The width of a legend beside the plot: [`LEGEND_WIDTH`], or what the longest label needs at
/// 13 px (about 7.5 px a character, after a 42 px sample and the box's margins).
pub fn side_width(entries: &[Entry]) -> u32 {
    let longest = entries
        .iter()
        .map(|e| e.label.chars().count())
        .max()
        .unwrap_or(0);
    LEGEND_WIDTH.max(60 + (7.5 * longest as f64).ceil() as u32)
}

/// The legend box, in the same style on every figure.
pub fn legend<'a, DB: DrawingBackend + 'a>(
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

/// The size of a curve chart's figure with legend `entries`: [`SIZE`], wider by
/// [`side_width`] when the legend goes beside the plot.
pub fn curve_figure_size(entries: &[Entry]) -> (u32, u32) {
    if entries.len() > CORNER_ROWS {
        (SIZE.0 + side_width(entries), SIZE.1)
    } else {
        SIZE
    }
}

/// A [`curve_figure_size`] figure split into the chart's area and, with more than
/// [`CORNER_ROWS`] entries, the area beside it for the legend.
pub fn split_for_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    entries: &[Entry],
) -> (DrawingArea<DB, Shift>, Option<DrawingArea<DB, Shift>>) {
    if entries.len() > CORNER_ROWS {
        let (chart, side) = root.split_horizontally(SIZE.0);
        (chart, Some(side))
    } else {
        (root.clone(), None)
    }
}

/// What a legend entry shows beside its label.
#[derive(Clone, Copy, Debug)]
pub enum Sample {
    /// A curve: its colour and stroke.
    Line(RGBColor, Stroke),
    /// The dashed grey reference line (chance).
    Reference,
    /// The paper's figures: a black diamond.
    Diamond,
}

/// One legend entry.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The text.
    pub label: String,
    /// The sample drawn before it.
    pub sample: Sample,
}

/// The entries of a chart drawn by `curves_chart`, in the order plotters lists them: the
/// reference line `reference`, every curve, then the paper's marks under `marks`.
pub fn curve_entries(plot: &CurvePlot, reference: Option<&str>, marks: Option<&str>) -> Vec<Entry> {
    let mut out: Vec<Entry> = reference
        .map(|label| Entry {
            label: label.to_string(),
            sample: Sample::Reference,
        })
        .into_iter()
        .collect();
    for (regime, state) in plot.curves.keys() {
        let i = plot.regimes.iter().position(|r| r == regime).unwrap_or(0);
        let stroke = Stroke::of(*state);
        out.push(Entry {
            label: format!("{regime} {state} ({})", stroke.name()),
            sample: Sample::Line(series_colour(i, plot.regimes.len()), stroke),
        });
    }
    out.extend(marks.map(|label| Entry {
        label: label.to_string(),
        sample: Sample::Diamond,
    }));
    out
}

/// The legend in `area` beside the chart, top-aligned with the plot, in the corner legend's
/// style.
pub fn side_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
) -> Result<()> {
    const ROW: i32 = 19;
    let (top, left) = (40, 8);
    let height = ROW * entries.len() as i32 + 12;
    let width = area.dim_in_pixel().0 as i32 - 2 * left;
    area.draw(&Rectangle::new(
        [(left, top), (left + width, top + height)],
        BLACK.mix(0.4),
    ))
    .map_err(pe)?;
    for (k, e) in entries.iter().enumerate() {
        let y = top + 6 + ROW * k as i32 + ROW / 2;
        let (x0, x1) = (left + 10, left + 34);
        match e.sample {
            Sample::Line(colour, stroke) => {
                let style = colour.stroke_width(2);
                let (on, off) = match stroke {
                    Stroke::Solid => (24, 0),
                    Stroke::Dashed => (6, 4),
                    Stroke::Dotted => (2, 3),
                };
                dashes(area, (x0, x1), y, (on, off), style)?;
            }
            Sample::Reference => {
                // Dashed, as the line.
                dashes(area, (x0, x1), y, (6, 4), BLACK.mix(0.6).into())?;
            }
            Sample::Diamond => {
                let c = (x0 + x1) / 2;
                area.draw(&diamond(c, y, BLACK.filled())).map_err(pe)?;
            }
        }
        area.draw(&Text::new(
            e.label.clone(),
            (x1 + 8, y - 7),
            ("sans-serif", 13).into_font(),
        ))
        .map_err(pe)?;
    }
    Ok(())
}

/// The place where a legend of `rows` entries hides the least of a curve chart: the curves
/// (sampled along each segment, so that a line crossing the box counts) and `marks` (x in %,
/// y in the plot's units; each weighs as much as 100 points of line, a hidden paper figure
/// being far worse than a hidden stretch of line). The four corners come first, then the
/// middles of the sides and the centre; ties go to the earlier.
pub fn legend_place(plot: &CurvePlot, marks: &[(f64, f64)], rows: usize) -> SeriesLabelPosition {
    const SAMPLES: usize = 16;
    let (y0, y1) = plot.y_range;
    // About the legend box's size on a SIZE chart: 35 % of the width, 22 px of ~500 per row.
    let (w, h) = (35.0, (0.045 * rows as f64 + 0.04) * (y1 - y0));
    let mut points: Vec<((f64, f64), f64)> = marks.iter().map(|&p| (p, 100.0)).collect();
    for pts in plot.curves.values() {
        for seg in pts.windows(2) {
            let ((xa, ya), (xb, yb)) = ((100.0 * seg[0].0, seg[0].1), (100.0 * seg[1].0, seg[1].1));
            for k in 0..=SAMPLES {
                let t = k as f64 / SAMPLES as f64;
                points.push(((xa + t * (xb - xa), ya + t * (yb - ya)), 1.0));
            }
        }
        points.extend(pts.iter().map(|p| ((100.0 * p.0, p.1), 1.0)));
    }
    let (left, centre, right) = (
        (0.0, w),
        (50.0 - w / 2.0, 50.0 + w / 2.0),
        (100.0 - w, 100.0),
    );
    let mid = (y0 + y1) / 2.0;
    let (low, middle, high) = ((y0, y0 + h), (mid - h / 2.0, mid + h / 2.0), (y1 - h, y1));
    use SeriesLabelPosition as P;
    let places = [
        (P::LowerLeft, left, low),
        (P::LowerRight, right, low),
        (P::UpperRight, right, high),
        (P::UpperLeft, left, high),
        (P::MiddleRight, right, middle),
        (P::MiddleLeft, left, middle),
        (P::UpperMiddle, centre, high),
        (P::LowerMiddle, centre, low),
        (P::MiddleMiddle, centre, middle),
    ];
    let hidden = |x: (f64, f64), y: (f64, f64)| -> f64 {
        points
            .iter()
            .filter(|((px, py), _)| (x.0..=x.1).contains(px) && (y.0..=y.1).contains(py))
            .map(|(_, weight)| weight)
            .sum()
    };
    let mut best = (f64::INFINITY, P::LowerLeft);
    for (place, x, y) in places {
        let cost = hidden(x, y);
        if cost < best.0 {
            best = (cost, place);
        }
    }
    best.1
}

/// The legend of a curve chart: beside the plot in `side` when the figure has room for it
/// there ([`split_for_legend`]), else in the corner where it hides least.
pub fn curve_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    side: Option<&DrawingArea<DB, Shift>>,
    plot: &CurvePlot,
    entries: &[Entry],
    marks: &[(f64, f64)],
) -> Result<()> {
    match side {
        Some(area) => side_legend(area, entries),
        None => legend(chart, legend_place(plot, marks, entries.len())),
    }
}

/// A horizontal line from `x0` to `x1` at `y` in dashes `on` pixels long, `off` apart (one
/// solid line when `off` is 0).
fn dashes<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x0, x1): (i32, i32),
    y: i32,
    (on, off): (i32, i32),
    style: ShapeStyle,
) -> Result<()> {
    let mut x = x0;
    while x < x1 {
        let end = (x + on).min(x1);
        area.draw(&PathElement::new(vec![(x, y), (end, y)], style))
            .map_err(pe)?;
        x = end + off.max(1);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Curves, State};

    /// Calls `f` with a plot of `curves`, one regime each, on a y range of 0 to 1.
    fn with_plot<R>(curves: &[Vec<(f64, f64, f64)>], f: impl FnOnce(&CurvePlot) -> R) -> R {
        let mut c = Curves::new();
        for (i, pts) in curves.iter().enumerate() {
            c.insert((format!("r{i}"), State::Retrained), pts.clone());
        }
        let regimes: Vec<String> = (0..curves.len()).map(|i| format!("r{i}")).collect();
        f(&CurvePlot {
            title: "",
            x_desc: "",
            y_desc: "",
            curves: &c,
            regimes: &regimes,
            y_range: (0.0, 1.0),
        })
    }

    fn place(curves: &[Vec<(f64, f64, f64)>], marks: &[(f64, f64)]) -> &'static str {
        with_plot(curves, |plot| match legend_place(plot, marks, 3) {
            SeriesLabelPosition::LowerLeft => "lower left",
            SeriesLabelPosition::LowerRight => "lower right",
            SeriesLabelPosition::UpperRight => "upper right",
            SeriesLabelPosition::UpperLeft => "upper left",
            SeriesLabelPosition::MiddleRight => "middle right",
            _ => "elsewhere",
        })
    }

    /// The legend goes where it hides nothing, lower left when that is free, a side's middle
    /// when the corners are taken, and a paper mark weighs more than a stretch of line.
    #[test]
    fn the_legend_takes_the_emptiest_corner() {
        let high = vec![(0.0, 0.9, 0.0), (0.5, 0.85, 0.0), (1.0, 0.8, 0.0)];
        let low = vec![(0.0, 0.1, 0.0), (0.5, 0.12, 0.0), (1.0, 0.1, 0.0)];
        // A falling curve crosses the upper left and lower right corners.
        let falling = vec![(0.0, 0.95, 0.0), (1.0, 0.05, 0.0)];
        assert_eq!(place(std::slice::from_ref(&high), &[]), "lower left");
        assert_eq!(place(&[low], &[]), "upper right");
        assert_eq!(place(&[falling], &[]), "lower left");
        assert_eq!(
            place(std::slice::from_ref(&high), &[(10.0, 0.1)]),
            "lower right"
        );
        // Curves along the top and the bottom, marks in the lower corners: the middle of a side.
        let busy = [high, vec![(0.0, 0.1, 0.0), (1.0, 0.1, 0.0)]];
        assert_eq!(place(&busy, &[(10.0, 0.2), (90.0, 0.2)]), "middle right");
    }

    /// The entries list the reference line, every curve and the marks, in plotters' order, and
    /// a long legend makes the figure wider with an area beside the chart for it.
    #[test]
    fn a_long_legend_goes_beside_the_chart() {
        let curves = vec![vec![(0.0, 0.5, 0.0), (1.0, 0.4, 0.0)]; 9];
        let e = with_plot(&curves, |plot| {
            curve_entries(plot, Some("chance"), Some("paper"))
        });
        assert_eq!(e.len(), 11);
        assert_eq!(e[0].label, "chance");
        assert_eq!(e[1].label, "r0 retrained (solid)");
        assert_eq!(e[10].label, "paper");
        assert_eq!(curve_figure_size(&e[..8]), SIZE);
        assert_eq!(curve_figure_size(&e), (SIZE.0 + LEGEND_WIDTH, SIZE.1));
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("x.svg");
        let root = SVGBackend::new(&path, curve_figure_size(&e)).into_drawing_area();
        let (chart, side) = split_for_legend(&root, &e);
        assert_eq!(chart.dim_in_pixel(), SIZE);
        assert_eq!(side.unwrap().dim_in_pixel(), (LEGEND_WIDTH, SIZE.1));
        assert!(split_for_legend(&root, &e[..8]).1.is_none());
        // A label longer than the standard width widens the legend to fit it.
        let mut long = e.clone();
        long[1].label = "x".repeat(60);
        assert_eq!(side_width(&long), 60 + 450);
        assert_eq!(curve_figure_size(&long), (SIZE.0 + 510, SIZE.1));
    }
}
