//! One-off figures outside the report: a plain line chart and a grid of grey images, for the
//! plasticity demos.
use crate::report::legend::legend;
use crate::report::style::{both, line, pe, register_font, series_colour, Stroke, SIZE};
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

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
        SIZE,
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
                    Stroke::Solid,
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
