//! Per-channel normalisation and seeded augmentation (4-pixel zero-padded random crop and
//! horizontal flip, the CIFAR recipe), applied while a batch is assembled.
use super::dataset::Dataset;
use rand::Rng;

/// Per-channel mean and standard deviation on a 0-1 pixel scale.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Normalization {
    /// Channel means.
    pub mean: Vec<f32>,
    /// Channel standard deviations.
    pub std: Vec<f32>,
}

impl Normalization {
    /// The published training-set statistics of a named data set, if it has them.
    pub fn known(name: &str) -> Option<Normalization> {
        let (mean, std): (&[f32], &[f32]) = match name {
            "cifar10" => (&[0.4914, 0.4822, 0.4465], &[0.2470, 0.2435, 0.2616]),
            "mnist" => (&[0.1307], &[0.3081]),
            "fashion-mnist" => (&[0.2860], &[0.3530]),
            _ => return None,
        };
        Some(Normalization {
            mean: mean.to_vec(),
            std: std.to_vec(),
        })
    }

    /// No normalisation: mean 0 and std 1 for each of `channels` channels, so the model sees
    /// pixels scaled to [0, 1].
    pub fn identity(channels: usize) -> Normalization {
        Normalization {
            mean: vec![0.0; channels],
            std: vec![1.0; channels],
        }
    }

    /// The published statistics of the data set, or those computed on its training images.
    pub fn for_dataset(name: &str, train: &Dataset) -> Normalization {
        Self::known(name).unwrap_or_else(|| {
            let (m, s) = train.channel_stats();
            Normalization {
                mean: m.iter().map(|&v| v as f32).collect(),
                std: s.iter().map(|&v| v.max(1e-6) as f32).collect(),
            }
        })
    }
}

/// The augmentation recipe.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Augment {
    /// Zero padding on every side before the random crop back to the original size (0 = no crop).
    pub pad: usize,
    /// Flip horizontally with probability 1/2.
    pub flip: bool,
    /// Cutout (DeVries & Taylor 2017): side of a square, centred on a uniformly drawn pixel and
    /// clipped at the border, set to 0 after normalisation (the data set's mean); 0 = none. An
    /// odd side is cut whole here (the authors' code cuts one pixel less); the usual 16 is even.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cutout: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Augment {
    /// The CIFAR recipe: 4-pixel padded random crop and horizontal flip.
    pub const CIFAR: Augment = Augment {
        pad: 4,
        flip: true,
        cutout: 0,
    };

    /// This recipe with a cutout square of side `cutout` (0 = none).
    pub fn with_cutout(self, cutout: usize) -> Augment {
        Augment { cutout, ..self }
    }
}

/// Writes the normalised (and, with `augment`, augmented) images at `indices` into `out`
/// (len = indices.len() * C*H*W, N x C x H x W order).
///
/// Padding happens in pixel space with value 0 before normalisation, as torchvision's
/// `RandomCrop(padding=4)` followed by `Normalize`; cutout after normalisation, as in its
/// authors' code (for even sides; see [`Augment::cutout`]). Random draws per image: the crop's row offset, its column offset, the flip,
/// then (with cutout only) the square's centre row and column, from `rng` in that order.
pub fn fill_batch<R: Rng>(
    data: &Dataset,
    indices: &[usize],
    norm: &Normalization,
    augment: Option<(Augment, &mut R)>,
    out: &mut [f32],
) {
    let (c, h, w) = (data.channels, data.height, data.width);
    let size = c * h * w;
    assert_eq!(
        out.len(),
        indices.len() * size,
        "batch buffer has the wrong length"
    );
    let scale: Vec<f32> = norm.std.iter().map(|s| 1.0 / (255.0 * s)).collect();
    let shift: Vec<f32> = norm
        .mean
        .iter()
        .zip(&norm.std)
        .map(|(m, s)| m / s)
        .collect();
    let mut augment = augment;
    for (b, &i) in indices.iter().enumerate() {
        let img = data.image(i);
        let dst = &mut out[b * size..(b + 1) * size];
        let mut hole = None;
        let (dy, dx, flip) = match augment.as_mut() {
            Some((a, rng)) => {
                let dy = if a.pad > 0 {
                    rng.random_range(0..=2 * a.pad) as isize - a.pad as isize
                } else {
                    0
                };
                let dx = if a.pad > 0 {
                    rng.random_range(0..=2 * a.pad) as isize - a.pad as isize
                } else {
                    0
                };
                let flip = a.flip && rng.random_bool(0.5);
                if a.cutout > 0 {
                    hole = Some((rng.random_range(0..h), rng.random_range(0..w), a.cutout));
                }
                (dy, dx, flip)
            }
            None => (0, 0, false),
        };
        for ch in 0..c {
            let src = &img[ch * h * w..(ch + 1) * h * w];
            let plane = &mut dst[ch * h * w..(ch + 1) * h * w];
            for y in 0..h {
                let sy = y as isize + dy;
                for x in 0..w {
                    let xx = if flip { w - 1 - x } else { x };
                    let sx = xx as isize + dx;
                    let p = if sy >= 0 && sy < h as isize && sx >= 0 && sx < w as isize {
                        src[sy as usize * w + sx as usize]
                    } else {
                        0
                    };
                    plane[y * w + x] = p as f32 * scale[ch] - shift[ch];
                }
            }
        }
        if let Some((cy, cx, side)) = hole {
            // The square spans [centre - side/2, centre - side/2 + side), as the authors' code.
            let (y0, y1) = (cy.saturating_sub(side / 2), (cy + side - side / 2).min(h));
            let (x0, x1) = (cx.saturating_sub(side / 2), (cx + side - side / 2).min(w));
            for ch in 0..c {
                let plane = &mut dst[ch * h * w..(ch + 1) * h * w];
                for y in y0..y1 {
                    plane[y * w + x0..y * w + x1].fill(0.0);
                }
            }
        }
    }
}
