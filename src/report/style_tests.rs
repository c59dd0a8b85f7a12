use super::*;

/// The first column (from the left) of a `w` x `h` RGB buffer with a dark pixel.
fn first_inked_column(buf: &[u8], w: usize, h: usize) -> Option<usize> {
    (0..w).find(|&x| (0..h).any(|y| buf[3 * (y * w + x)] < 128))
}

/// `text` drawn in the figures' font at 40 px, its pen at x = 10: the first inked column.
fn ink_starts(text: &str) -> usize {
    register_font();
    let (w, h) = (120usize, 60usize);
    let mut buf = vec![255u8; 3 * w * h];
    {
        let area = BitMapBackend::with_buffer(&mut buf, (w as u32, h as u32)).into_drawing_area();
        area.draw_text(
            text,
            &("sans-serif", 40).into_font().color(&BLACK),
            (10, 10),
        )
        .unwrap();
        area.present().unwrap();
    }
    first_inked_column(&buf, w, h).unwrap()
}

/// PNG text places each glyph at its pen position plus its left side bearing (the patched
/// plotters, third_party/plotters/PATCH.md): DejaVu Sans' "I" has a bearing of 201/2048 em
/// (3.9 px at 40 px), "T" about none, so the ink of "I" starts about 4 px further right than
/// that of "T". Unpatched, both started at the pen.
#[test]
fn glyphs_are_placed_by_their_side_bearing() {
    let (i, t) = (ink_starts("I"), ink_starts("T"));
    assert!((3..=5).contains(&(i - t)), "I starts at {i}, T at {t}");
    assert!(t <= 10, "T starts at {t}, the pen at 10");
}

/// Thirty unordered series are each drawn their own way (hue and stroke), and the ten hues are
/// matplotlib's tab10, first blue (#1f77b4), then orange (#ff7f0e).
#[test]
fn distinct_series_differ_for_thirty() {
    let ways: Vec<(RGBColor, &str)> = (0..30)
        .map(|i| {
            let (c, s) = distinct_series(i);
            (c, s.name())
        })
        .collect();
    for i in 0..30 {
        for j in 0..i {
            assert_ne!(ways[i], ways[j], "series {i} and {j}");
        }
    }
    assert_eq!(ways[0], (RGBColor(0x1f, 0x77, 0xb4), Stroke::Solid.name()));
    assert_eq!(
        ways[11],
        (RGBColor(0xff, 0x7f, 0x0e), Stroke::Dashed.name())
    );
}
