//! The figures' shared style: the font, the colours, the PNG + SVG renderer (`both!`) and the
//! drawing blocks every figure family uses (legend, lines with dots, curves with +-1 sd bands,
//! heatmaps and their colour bar). Colours come from viridis; text uses the DejaVu Sans font
//! built into the program, so figures render on machines without fontconfig or system fonts.
use crate::report::legend::legend;
use crate::results::{Curves, State};
use anyhow::{anyhow, Result};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;

static FONT: std::sync::Once = std::sync::Once::new();

/// Registers the built-in DejaVu Sans as `sans-serif` in every style (once per process).
pub fn register_font() {
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

/// A plotters error as an `anyhow` one, in the words of its innermost cause (the I/O error
/// of a full disk reads "No space left on device", not as nested debug output).
pub fn pe<E: std::error::Error>(e: E) -> anyhow::Error {
    let mut cause: &dyn std::error::Error = &e;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    anyhow!("drawing failed: {cause}")
}

/// The viridis colour at `t` in [0, 1] (clamped).
pub fn viridis(t: f64) -> RGBColor {
    ViridisRGB::get_color(t.clamp(0.0, 1.0) as f32)
}

/// Colour of the i-th of n series: spread over viridis, avoiding its faint yellow end.
pub fn series_colour(i: usize, n: usize) -> RGBColor {
    viridis(if n <= 1 {
        0.3
    } else {
        0.85 * i as f64 / (n - 1) as f64
    })
}

/// matplotlib's `tab10`: ten hues told apart at a glance, for figures of many unordered
/// series, where neighbouring viridis shades are hard to tell apart.
const TAB10: [(u8, u8, u8); 10] = [
    (0x1f, 0x77, 0xb4),
    (0xff, 0x7f, 0x0e),
    (0x2c, 0xa0, 0x2c),
    (0xd6, 0x27, 0x28),
    (0x94, 0x67, 0xbd),
    (0x8c, 0x56, 0x4b),
    (0xe3, 0x77, 0xc2),
    (0x7f, 0x7f, 0x7f),
    (0xbc, 0xbd, 0x22),
    (0x17, 0xbe, 0xcf),
];

/// Colour and stroke of the i-th of many unordered series: the ten hues of `tab10`, solid,
/// then again dashed, then dotted, so that thirty series are each drawn their own way.
pub fn distinct_series(i: usize) -> (RGBColor, Stroke) {
    let (r, g, b) = TAB10[i % TAB10.len()];
    let stroke = match (i / TAB10.len()) % 3 {
        0 => Stroke::Solid,
        1 => Stroke::Dashed,
        _ => Stroke::Dotted,
    };
    (RGBColor(r, g, b), stroke)
}

/// Renders a figure to `NAME.png` and `NAME.svg` in `dir` and evaluates to the PNG's path;
/// `$draw` (a closure taking the root drawing area and returning `anyhow::Result<()>`) is
/// instantiated for each backend. Use it in a function returning `anyhow::Result`.
///
/// Each file is drawn under a temporary name (`NAME.png.<pid>.png`: the drawing library takes
/// the format from the extension) and renamed into place when whole, so a failure (a full disk)
/// leaves the previous figure or none, never a truncated one; the error names the file.
macro_rules! both {
    ($dir:expr, $name:expr, $size:expr, $draw:expr) => {{
        let png: std::path::PathBuf = $dir.join(format!("{}.png", $name));
        let svg: std::path::PathBuf = $dir.join(format!("{}.svg", $name));
        $crate::report::style::render!(BitMapBackend, png, $size, $draw);
        $crate::report::style::render!(SVGBackend, svg, $size, $draw);
        png
    }};
}

/// One half of [`both!`]: draws with the plotters backend `$backend` into a temporary file
/// beside `$file` and renames it into place (`return`s the error, naming `$file`, from the
/// function it is used in). A macro, like `both!`, because `$draw` is called with a different
/// drawing-area type for each backend.
macro_rules! render {
    ($backend:ident, $file:expr, $size:expr, $draw:expr) => {{
        use plotters::prelude::IntoDrawingArea as _;
        let file: &std::path::Path = &$file;
        let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("tmp");
        let tmp = file.with_extension(format!("{ext}.{}.{ext}", std::process::id()));
        let drawn = (|| -> anyhow::Result<()> {
            let root = plotters::prelude::$backend::new(&tmp, $size).into_drawing_area();
            root.fill(&plotters::prelude::WHITE)
                .map_err($crate::report::style::pe)?;
            $draw(&root)?;
            root.present().map_err($crate::report::style::pe)?;
            Ok(())
        })();
        if let Err(e) = drawn {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.context(format!("writing {}", file.display())));
        }
        // Names the file itself when it fails.
        $crate::fsio::commit(&tmp, file)?;
    }};
}
pub(crate) use both;
pub(crate) use render;

/// The size of a single-chart figure, in pixels.
pub const SIZE: (u32, u32) = (900, 600);

/// A diamond of half-width 7 pixels centred on `(x, y)`: the mark of a figure a paper printed,
/// on the plot and in its legend.
pub fn diamond(x: i32, y: i32, style: ShapeStyle) -> Polygon<(i32, i32)> {
    Polygon::new(vec![(x, y - 7), (x + 7, y), (x, y + 7), (x - 7, y)], style)
}

/// A chart with f64 axes.
pub type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// How a line is drawn: the state it shows, in every figure the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stroke {
    /// After retraining, and plain series.
    Solid,
    /// Right after the injury.
    Dashed,
    /// After BatchNorm recalibration (homeostasis).
    Dotted,
}

impl Stroke {
    /// The stroke of a state's line.
    pub fn of(state: State) -> Stroke {
        match state {
            State::Retrained => Stroke::Solid,
            State::Recalibrated => Stroke::Dotted,
            State::Healthy | State::Injured => Stroke::Dashed,
        }
    }

    /// Its name in legends and captions.
    pub fn name(self) -> &'static str {
        match self {
            Stroke::Solid => "solid",
            Stroke::Dashed => "dashed",
            Stroke::Dotted => "dotted",
        }
    }
}

/// A labelled line with a dot at every point, drawn with `stroke`.
pub fn line<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    xy: &[(f64, f64)],
    colour: RGBColor,
    label: &str,
    stroke: Stroke,
) -> Result<()> {
    let style = colour.stroke_width(2);
    let series = match stroke {
        Stroke::Dashed => chart
            .draw_series(DashedLineSeries::new(xy.to_vec(), 8, 5, style))
            .map_err(pe)?,
        Stroke::Dotted => chart
            .draw_series(DashedLineSeries::new(xy.to_vec(), 2, 4, style))
            .map_err(pe)?,
        Stroke::Solid => chart
            .draw_series(LineSeries::new(xy.to_vec(), style))
            .map_err(pe)?,
    };
    series.label(label).legend(move |(x, y)| {
        // The sample in the line's own stroke: four pieces, touching when solid.
        let piece = |k: i32| {
            let (start, len) = match stroke {
                Stroke::Solid => (6 * k, 6),
                Stroke::Dashed => (7 * k, 4),
                Stroke::Dotted => (6 * k, 2),
            };
            PathElement::new(
                vec![(x + start, y), (x + start + len, y)],
                colour.stroke_width(2),
            )
        };
        EmptyElement::at((0, 0)) + piece(0) + piece(1) + piece(2) + piece(3)
    });
    chart
        .draw_series(xy.iter().map(|&p| Circle::new(p, 3, colour.filled())))
        .map_err(pe)?;
    Ok(())
}

/// What a curve chart shows: its caption, y axis and y range, and the curves (one colour per
/// regime of `regimes`; x is the fraction injured, drawn in %).
pub struct CurvePlot<'a> {
    /// The caption.
    pub title: &'a str,
    /// The x axis' description ([`crate::report::results::Results::x_desc`]).
    pub x_desc: &'a str,
    /// The y axis' description.
    pub y_desc: &'a str,
    /// The curves: mean +- sd per (regime, state).
    pub curves: &'a Curves,
    /// Regime names in run order (they pick the colours).
    pub regimes: &'a [String],
    /// The y range.
    pub y_range: (f64, f64),
}

/// Draws curves against the percentage of synapses injured, each with a +-1 sd band (solid:
/// retrained, dotted: recalibrated, dashed: injured), after an optional dashed grey horizontal reference line
/// `(y, label)`; returns the chart, its legend not yet drawn, for more marks.
pub fn curves_chart<'a, DB: DrawingBackend + 'a>(
    root: &'a DrawingArea<DB, Shift>,
    plot: &CurvePlot,
    hline: Option<(f64, &str)>,
) -> Result<Chart<'a, DB>> {
    let CurvePlot {
        title,
        x_desc,
        y_desc,
        curves,
        regimes,
        y_range,
    } = *plot;
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
        .x_desc(x_desc)
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
            // Dashed in the legend too: 6 on, 4 off, as the line.
            .legend(|(x, y)| {
                let style = BLACK.mix(0.6);
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (6, 0)], style)
                    + PathElement::new(vec![(10, 0), (16, 0)], style)
                    + PathElement::new(vec![(20, 0), (24, 0)], style)
            });
    }
    for ((regime, state), pts) in curves {
        let i = regimes.iter().position(|r| r == regime).unwrap_or(0);
        let colour = series_colour(i, regimes.len());
        let xy: Vec<(f64, f64)> = pts.iter().map(|p| (100.0 * p.0, p.1)).collect();
        let mut band: Vec<(f64, f64)> = pts.iter().map(|p| (100.0 * p.0, p.1 + p.2)).collect();
        band.extend(pts.iter().rev().map(|p| (100.0 * p.0, p.1 - p.2)));
        chart
            .draw_series(std::iter::once(Polygon::new(band, colour.mix(0.15))))
            .map_err(pe)?;
        let stroke = Stroke::of(*state);
        let label = format!("{regime} {state} ({})", stroke.name());
        line(&mut chart, &xy, colour, &label, stroke)?;
    }
    Ok(chart)
}

/// A curve chart ([`curves_chart`]) with its legend in the lower left and nothing else.
pub fn draw_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    plot: &CurvePlot,
) -> Result<()> {
    let mut chart = curves_chart(root, plot, None)?;
    legend(&mut chart, SeriesLabelPosition::LowerLeft)
}

/// Cells per side above which a heatmap is drawn in blocks ([`heatmap_blocks`]): a panel is
/// about 500 pixels wide, and a 1,000-image RDM drawn cell by cell made a 258 MB SVG.
pub const MAX_HEATMAP_CELLS: usize = 128;

/// The side of the square blocks a heatmap of `n` cells per side is drawn in: 1 up to
/// [`MAX_HEATMAP_CELLS`], else the smallest that leaves at most that many blocks per side.
pub fn heatmap_blocks(n: usize) -> usize {
    n.div_ceil(MAX_HEATMAP_CELLS).max(1)
}

/// A square heatmap of `m` (values in [0, 1] coloured by viridis, non-finite ones grey), row i
/// at y = i, column j at x = j, with axis descriptions `axes` (x, y). A matrix of more than
/// [`MAX_HEATMAP_CELLS`] rows is drawn in square blocks of [`heatmap_blocks`] cells, each the
/// mean of its finite entries (grey when it has none), on the same axes.
pub fn draw_heatmap<DB: DrawingBackend>(
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
    let n = m.nrows();
    let k = heatmap_blocks(n);
    let block_mean = |i0: usize, j0: usize| {
        let block = m.slice(ndarray::s![
            i0..(i0 + k).min(n),
            j0..(j0 + k).min(m.ncols())
        ]);
        let (sum, count) = block
            .iter()
            .filter(|v| v.is_finite())
            .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
        if count == 0 {
            f64::NAN
        } else {
            sum / count as f64
        }
    };
    let corners: Vec<(usize, usize)> = (0..n)
        .step_by(k)
        .flat_map(|i| (0..m.ncols()).step_by(k).map(move |j| (i, j)))
        .collect();
    chart
        .draw_series(corners.into_iter().map(|(i, j)| {
            let v = block_mean(i, j);
            let c = if v.is_finite() {
                viridis(v)
            } else {
                RGBColor(200, 200, 200)
            };
            let end = |x: usize, len: usize| (x + k).min(len) as i32;
            Rectangle::new(
                [(j as i32, i as i32), (end(j, m.ncols()), end(i, n))],
                c.filled(),
            )
        }))
        .map_err(pe)?;
    Ok(())
}

/// The viridis colour bar from 0 to 1 beside heatmaps, captioned `label`.
pub fn draw_colourbar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    label: &str,
) -> Result<()> {
    let mut chart = ChartBuilder::on(area)
        .margin(20)
        .margin_left(40)
        .right_y_label_area_size(40)
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

#[cfg(test)]
#[path = "style_tests.rs"]
mod tests;
