use super::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn image() -> (Vec<u8>, (usize, usize, usize)) {
    let shape = (3, 8, 8);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    ((0..3 * 64).map(|_| rng.random::<u8>()).collect(), shape)
}

fn floats(b: &[u8]) -> Vec<f32> {
    b.iter().map(|&v| v as f32 / 255.0).collect()
}

/// The unperturbed level of every test gives the image bit for bit.
#[test]
fn level_zero_is_the_identity() {
    let (img, shape) = image();
    for t in Test::ALL {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let out = perturb(t, t.identity(), &img, shape, &mut rng);
        assert_eq!(out, floats(&img), "{t:?}");
        assert_eq!(t.default_levels()[0], t.identity(), "{t:?}");
    }
}

/// Contrast and fragmentation by hand on a 1 x 4 x 4 image; blur's kernel sums to 1 and keeps a
/// constant image; grey by PIL's formula.
#[test]
fn formulas_by_hand() {
    let img: Vec<u8> = (0..16).map(|i| (i * 17) as u8).collect(); // 0, 17, ..., 255
    let shape = (1, 4, 4);
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let x = floats(&img);
    let m = x.iter().map(|&v| v as f64).sum::<f64>() / 16.0; // 0.5
    assert!((m - 0.5).abs() < 1e-7);
    let half = perturb(Test::Contrast, 0.5, &img, shape, &mut rng);
    for (o, v) in half.iter().zip(&x) {
        assert!((*o as f64 - (m + 0.5 * (*v as f64 - m))).abs() < 1e-6);
    }
    // One 4 x 4 patch: share 1 replaces it all by the mean, 0.4 of one patch rounds to none.
    let all = perturb(Test::Fragmentation, 1.0, &img, shape, &mut rng);
    assert!(all.iter().all(|&v| (v as f64 - m).abs() < 1e-6));
    assert_eq!(perturb(Test::Fragmentation, 0.4, &img, shape, &mut rng), x);
    for sd in [0.5, 1.0, 2.0] {
        let k = gaussian_kernel(sd);
        assert!((k.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(k.len(), 2 * (3.0 * sd).ceil() as usize + 1);
    }
    let flat = vec![100u8; 3 * 64];
    let b = perturb(Test::Blur, 1.5, &flat, (3, 8, 8), &mut rng);
    assert!(b.iter().all(|&v| (v - 100.0 / 255.0).abs() < 1e-6));
    // Grey: (19595 * 255 + 32768) >> 16 = 76 for pure red.
    let mut red = vec![0u8; 3 * 4];
    red[..4].fill(255);
    let g = perturb(Test::Colour, 1.0, &red, (3, 2, 2), &mut rng);
    assert!(g.iter().all(|&v| v == 76.0 / 255.0), "{g:?}");
}

/// Noise and patches come from the stream: the same seed gives the same image, another seed
/// another; noise stays in [0, 1].
#[test]
fn the_same_seed_gives_the_same_perturbed_image() {
    let (img, shape) = image();
    for t in [Test::Noise, Test::Fragmentation] {
        let level = t.default_levels()[2];
        let once = perturb(t, level, &img, shape, &mut ChaCha8Rng::seed_from_u64(5));
        let again = perturb(t, level, &img, shape, &mut ChaCha8Rng::seed_from_u64(5));
        let other = perturb(t, level, &img, shape, &mut ChaCha8Rng::seed_from_u64(6));
        assert_eq!(once, again);
        assert_ne!(once, other);
        assert!(once.iter().all(|v| (0.0..=1.0).contains(v)));
    }
}

/// Thresholds on hand-worked curves: linear, log (contrast), not reached, and the first
/// crossing of a curve that recovers.
#[test]
fn thresholds_by_hand() {
    let levels = [0.0, 0.1, 0.2, 0.4];
    // Halfway from 0.9 to 0.1 is 0.5: between 0.1 (0.7) and 0.2 (0.3), half way: 0.15.
    let t = threshold(&levels, &[0.9, 0.7, 0.3, 0.1], 0.1, false).unwrap();
    assert!((t - 0.15).abs() < 1e-12);
    assert_eq!(threshold(&levels, &[0.9, 0.8, 0.7, 0.6], 0.1, false), None);
    // Contrast halves: between 0.25 (0.7) and 0.125 (0.3), half way in log: sqrt(0.25 * 0.125).
    let c = [1.0, 0.5, 0.25, 0.125];
    let t = threshold(&c, &[0.9, 0.8, 0.7, 0.3], 0.1, true).unwrap();
    assert!((t - (0.25f64 * 0.125).sqrt()).abs() < 1e-12);
    // Non-monotone: crosses at 0.1 -> 0.2, recovers at 0.4; the first crossing counts.
    let t = threshold(&levels, &[0.9, 0.9, 0.1, 0.8], 0.1, false).unwrap();
    assert!((t - 0.15).abs() < 1e-12);
}

/// Levels out of range are refused by `allows`.
#[test]
fn levels_out_of_range() {
    assert!(!Test::Contrast.allows(1.5) && !Test::Contrast.allows(0.0));
    assert!(!Test::Noise.allows(-0.1) && Test::Noise.allows(0.4));
    assert!(!Test::Blur.allows(-1.0) && !Test::Colour.allows(0.5));
}
