//! A visual test battery for the in-silico patient (issue "The in-silico patient"; to be
//! documented as docs/PROTOCOLS.md P14 when it is wired into experiments): each test perturbs
//! the test images at a few levels, from none to severe, and the network is evaluated as it is
//! at every level; its **threshold** is the level at which accuracy has fallen halfway from the
//! unperturbed value to chance.
//!
//! The perturbations work on one image at a time, as C x H x W bytes scaled to [0, 1], and
//! need no libtorch:
//! - contrast c: x' = m + c (x - m), m the image's mean over all its pixels and channels;
//! - noise sd: x' = clip(x + sd z, 0, 1), z standard normal from the caller's seeded stream;
//! - blur sd (pixels): a separable Gaussian kernel of radius ceil(3 sd), normalised to sum 1,
//!   edges replicated;
//! - fragmentation s (the incomplete-letters analogue): round(s P) of the image's P 4 x 4
//!   patches, chosen from the seeded stream, replaced by the image's mean of each channel;
//! - colour: luminance only, L = (19595 R + 38470 G + 7471 B + 32768) >> 16 on the bytes (PIL's
//!   `convert("L")`, the grey atrophy's image folders use), copied to the three channels.
//!
//! The unperturbed level of every test (contrast 1, sd 0, share 0) returns the image exactly.
use rand::Rng;

/// The tests of the battery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Test {
    /// Contrast reduced by a factor c in (0, 1].
    Contrast,
    /// Gaussian pixel noise of sd in [0, 1].
    Noise,
    /// Gaussian blur of sd in pixels.
    Blur,
    /// A share of 4 x 4 patches replaced by the mean.
    Fragmentation,
    /// Luminance only (one level).
    Colour,
}

impl Test {
    /// Every test, in the order of the tables.
    pub const ALL: [Test; 5] = [
        Test::Contrast,
        Test::Noise,
        Test::Blur,
        Test::Fragmentation,
        Test::Colour,
    ];

    /// The default levels, unperturbed first.
    pub fn default_levels(self) -> Vec<f64> {
        match self {
            Test::Contrast => vec![1.0, 0.5, 0.25, 0.125, 0.0625],
            Test::Noise => vec![0.0, 0.05, 0.1, 0.2, 0.4],
            Test::Blur => vec![0.0, 0.5, 1.0, 1.5, 2.0],
            Test::Fragmentation => vec![0.0, 0.2, 0.4, 0.6, 0.8],
            Test::Colour => vec![0.0, 1.0],
        }
    }

    /// The level that leaves an image as it is.
    pub fn identity(self) -> f64 {
        match self {
            Test::Contrast => 1.0,
            _ => 0.0,
        }
    }

    /// Whether `level` is allowed: contrast in (0, 1], noise sd in [0, 1], blur sd in [0, 10]
    /// pixels, fragmentation share in [0, 1], colour 0 (as is) or 1 (grey).
    pub fn allows(self, level: f64) -> bool {
        match self {
            Test::Contrast => level > 0.0 && level <= 1.0,
            Test::Noise | Test::Fragmentation => (0.0..=1.0).contains(&level),
            Test::Blur => (0.0..=10.0).contains(&level),
            Test::Colour => level == 0.0 || level == 1.0,
        }
    }

    /// Thresholds are interpolated in log level for contrast (its levels halve), else in level.
    pub fn log_scale(self) -> bool {
        self == Test::Contrast
    }
}

/// `image` (C x H x W bytes) perturbed by `test` at `level`, as floats in [0, 1]; `rng` draws
/// the noise and the patches.
pub fn perturb<R: Rng>(
    test: Test,
    level: f64,
    image: &[u8],
    (c, h, w): (usize, usize, usize),
    rng: &mut R,
) -> Vec<f32> {
    let x: Vec<f32> = image.iter().map(|&b| b as f32 / 255.0).collect();
    if level == test.identity() {
        return x;
    }
    match test {
        Test::Contrast => {
            let m = (x.iter().map(|&v| v as f64).sum::<f64>() / x.len() as f64) as f32;
            let c = level as f32;
            x.iter().map(|&v| m + c * (v - m)).collect()
        }
        Test::Noise => x
            .iter()
            .map(|&v| (v as f64 + level * crate::seed::standard_normal(rng)).clamp(0.0, 1.0) as f32)
            .collect(),
        Test::Blur => blur(&x, (c, h, w), level),
        Test::Fragmentation => fragment(&x, (c, h, w), level, rng),
        Test::Colour => {
            if c != 3 {
                return x;
            }
            let plane = h * w;
            let mut out = x.clone();
            for p in 0..plane {
                let [r, g, b] = [image[p], image[plane + p], image[2 * plane + p]].map(u32::from);
                let l = ((19595 * r + 38470 * g + 7471 * b + 32768) >> 16) as f32 / 255.0;
                for ch in 0..3 {
                    out[ch * plane + p] = l;
                }
            }
            out
        }
    }
}

/// The normalised Gaussian kernel of sd `sd` pixels, radius ceil(3 sd).
pub fn gaussian_kernel(sd: f64) -> Vec<f64> {
    let r = (3.0 * sd).ceil() as i64;
    let k: Vec<f64> = (-r..=r)
        .map(|i| (-(i * i) as f64 / (2.0 * sd * sd)).exp())
        .collect();
    let sum: f64 = k.iter().sum();
    k.into_iter().map(|v| v / sum).collect()
}

fn blur(x: &[f32], (c, h, w): (usize, usize, usize), sd: f64) -> Vec<f32> {
    let k = gaussian_kernel(sd);
    let r = (k.len() / 2) as i64;
    let at = |i: i64, n: usize| i.clamp(0, n as i64 - 1) as usize;
    let mut rows = vec![0f32; x.len()];
    for ch in 0..c {
        for y in 0..h {
            for xx in 0..w {
                let s: f64 = (k.iter().enumerate())
                    .map(|(t, kv)| {
                        kv * x[ch * h * w + y * w + at(xx as i64 + t as i64 - r, w)] as f64
                    })
                    .sum();
                rows[ch * h * w + y * w + xx] = s as f32;
            }
        }
    }
    let mut out = vec![0f32; x.len()];
    for ch in 0..c {
        for y in 0..h {
            for xx in 0..w {
                let s: f64 = (k.iter().enumerate())
                    .map(|(t, kv)| {
                        kv * rows[ch * h * w + at(y as i64 + t as i64 - r, h) * w + xx] as f64
                    })
                    .sum();
                out[ch * h * w + y * w + xx] = s as f32;
            }
        }
    }
    out
}

fn fragment<R: Rng>(
    x: &[f32],
    (c, h, w): (usize, usize, usize),
    share: f64,
    rng: &mut R,
) -> Vec<f32> {
    let (ph, pw) = (h.div_ceil(4), w.div_ceil(4));
    let patches = ph * pw;
    let n = ((share * patches as f64).round() as usize).min(patches);
    let plane = h * w;
    let means: Vec<f32> = (0..c)
        .map(|ch| {
            (x[ch * plane..(ch + 1) * plane]
                .iter()
                .map(|&v| v as f64)
                .sum::<f64>()
                / plane as f64) as f32
        })
        .collect();
    let mut out = x.to_vec();
    for p in rand::seq::index::sample(rng, patches, n) {
        let (py, px) = (p / pw, p % pw);
        for ch in 0..c {
            for y in 4 * py..(4 * py + 4).min(h) {
                for xx in 4 * px..(4 * px + 4).min(w) {
                    out[ch * plane + y * w + xx] = means[ch];
                }
            }
        }
    }
    out
}

/// The threshold of one test: the level at which `accuracy` (one value per level of `levels`,
/// unperturbed first) first falls to halfway between its unperturbed value and `chance`,
/// linearly interpolated between the two levels around that first crossing (in log level
/// when `log`); None ("not reached") when it never does.
pub fn threshold(levels: &[f64], accuracy: &[f64], chance: f64, log: bool) -> Option<f64> {
    let target = (accuracy.first()? + chance) / 2.0;
    let scale = |v: f64| if log { v.ln() } else { v };
    (1..levels.len().min(accuracy.len())).find_map(|i| {
        let (a0, a1) = (accuracy[i - 1], accuracy[i]);
        if a1 > target {
            return None;
        }
        let (l0, l1) = (scale(levels[i - 1]), scale(levels[i]));
        let t = if a0 == a1 {
            1.0
        } else {
            (a0 - target) / (a0 - a1)
        };
        let l = l0 + t * (l1 - l0);
        Some(if log { l.exp() } else { l })
    })
}

#[cfg(test)]
mod tests;
