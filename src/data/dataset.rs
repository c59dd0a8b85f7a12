//! An image classification data set held in memory as raw bytes.
use super::error::{DataError, Result};

/// Images as unsigned bytes in N x C x H x W order, with one label per image.
///
/// Keeping the bytes (not floats) costs a quarter of the memory and lets augmentation work on
/// the exact pixels; conversion to normalised floats happens per batch.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// Channels per image.
    pub channels: usize,
    /// Image height.
    pub height: usize,
    /// Image width.
    pub width: usize,
    /// Pixel bytes, N x C x H x W.
    pub images: Vec<u8>,
    /// Labels in 0..classes.len().
    pub labels: Vec<u8>,
    /// Class names, indexed by label.
    pub classes: Vec<String>,
    /// The superclass of every class, for a data set that groups its classes (CIFAR-100).
    pub superclasses: Option<Superclasses>,
}

/// A grouping of a data set's classes into superclasses (CIFAR-100's 20 coarse labels).
#[derive(Clone, Debug, PartialEq)]
pub struct Superclasses {
    /// Superclass names, indexed by superclass.
    pub names: Vec<String>,
    /// The superclass of each class, indexed by class label.
    pub of_class: Vec<u8>,
}

/// The training and test parts of a data set.
#[derive(Clone, Debug)]
pub struct Split {
    /// The data set's name (`cifar10`, `cifar100`, `mnist`, `fashion-mnist`, `synthetic`, or
    /// `images:SIZE:rgb|gray` for an image folder).
    pub name: String,
    /// Training images.
    pub train: Dataset,
    /// Test images.
    pub test: Dataset,
}

impl Dataset {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when the set holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Bytes per image (C*H*W).
    pub fn image_size(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Number of classes.
    pub fn num_classes(&self) -> usize {
        self.classes.len()
    }

    /// The bytes of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        let s = self.image_size();
        &self.images[i * s..(i + 1) * s]
    }

    /// Number of images of each class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.num_classes()];
        for &l in &self.labels {
            counts[l as usize] += 1;
        }
        counts
    }

    /// A new data set made of the images at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Dataset {
        let s = self.image_size();
        let mut images = Vec::with_capacity(indices.len() * s);
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            images.extend_from_slice(self.image(i));
            labels.push(self.labels[i]);
        }
        Dataset {
            images,
            labels,
            classes: self.classes.clone(),
            superclasses: self.superclasses.clone(),
            ..*self
        }
    }

    /// Per-channel mean and standard deviation of the pixels on a 0-1 scale, computed in f64
    /// (population standard deviation, as torchvision's published statistics).
    pub fn channel_stats(&self) -> (Vec<f64>, Vec<f64>) {
        let plane = self.height * self.width;
        let mut sum = vec![0f64; self.channels];
        let mut sq = vec![0f64; self.channels];
        for img in self.images.chunks_exact(self.image_size()) {
            for c in 0..self.channels {
                let (mut s, mut q) = (0u64, 0u64);
                for &p in &img[c * plane..(c + 1) * plane] {
                    s += p as u64;
                    q += (p as u64) * (p as u64);
                }
                sum[c] += s as f64;
                sq[c] += q as f64;
            }
        }
        let count = (self.len() * plane) as f64;
        let mean: Vec<f64> = sum.iter().map(|s| s / count / 255.0).collect();
        let std = sq
            .iter()
            .zip(&mean)
            .map(|(q, m)| (q / count / (255.0 * 255.0) - m * m).max(0.0).sqrt())
            .collect();
        (mean, std)
    }

    /// Checks that every label is a valid class index; `what` names the source in the error.
    pub(crate) fn check_labels(&self, what: &std::path::Path) -> Result<()> {
        let k = self.num_classes();
        if let Some((i, l)) = self
            .labels
            .iter()
            .enumerate()
            .find(|(_, &l)| l as usize >= k)
        {
            return Err(DataError::format(
                what,
                format!(
                    "label {l} of record {i} is out of range: expected 0..{}",
                    k - 1
                ),
            ));
        }
        Ok(())
    }
}
