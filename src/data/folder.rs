//! A folder of the user's own images, laid out as `torchvision.datasets.ImageFolder` reads it:
//! `ROOT/CLASS/*.png|jpg|jpeg`, classes in sorted order of their folder names. Unlike
//! ImageFolder, only those three formats are read, and only at the top of each class folder
//! (images in subfolders are skipped). With `ROOT/train/`
//! and `ROOT/test/` both present, each is such a folder (with the same classes); otherwise the
//! images of each class, sorted by file name, go to the test set every fifth (the 5th, 10th,
//! ...) and to the training set otherwise, so the split needs no seed and never changes.
//!
//! The data set's name says how the images are read: `images` (resized to 32 x 32, RGB),
//! `images:SIZE` (SIZE x SIZE) or `images:SIZE:gray` (one grey channel, converted as PIL and
//! torchvision's `Grayscale` convert, before resizing). Resizing is bilinear to
//! exactly SIZE x SIZE (the aspect ratio is not kept, as torchvision's `Resize((S, S))`).
use super::dataset::{Dataset, Split};
use super::error::{DataError, Result};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// How an image folder is read: the side images are resized to, and the channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageSpec {
    /// Height = width after resizing.
    pub size: usize,
    /// 3 (RGB) or 1 (grey).
    pub channels: usize,
}

/// File extensions read (case-insensitive); other files are skipped, as ImageFolder skips the
/// formats it does not know (it knows more: bmp, ppm, pgm, tif, webp).
pub const EXTENSIONS: [&str; 3] = ["png", "jpg", "jpeg"];

impl ImageSpec {
    /// The spec named by `images[:SIZE[:gray|:rgb]]`; `None` for another data set's name.
    pub fn parse(name: &str) -> Result<Option<ImageSpec>> {
        let mut parts = name.split(':');
        if parts.next() != Some("images") {
            return Ok(None);
        }
        let bad = || {
            DataError::Invalid(format!(
                "data set `{name}`: expected images, images:SIZE or images:SIZE:gray (SIZE from 8 to 1024)"
            ))
        };
        let size = match parts.next() {
            None => 32,
            Some(s) => s
                .parse::<usize>()
                .ok()
                .filter(|s| (8..=1024).contains(s))
                .ok_or_else(bad)?,
        };
        let channels = match parts.next() {
            None | Some("rgb") => 3,
            Some("gray") | Some("grey") => 1,
            Some(_) => return Err(bad()),
        };
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(Some(ImageSpec { size, channels }))
    }

    /// The canonical name, `images:SIZE:rgb` or `images:SIZE:gray`, which checkpoints record.
    pub fn name(&self) -> String {
        let colour = if self.channels == 1 { "gray" } else { "rgb" };
        format!("images:{}:{colour}", self.size)
    }
}

/// The class folders of `root` in sorted order, each with its image files in sorted order.
fn classes(root: &Path) -> Result<Vec<(String, Vec<PathBuf>)>> {
    let entries = std::fs::read_dir(root).map_err(|e| DataError::io(root, e))?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        return Err(DataError::format(
            root,
            "no class folders: expected ROOT/CLASS/*.png|jpg (one folder per class)",
        ));
    }
    if dirs.len() > 256 {
        return Err(DataError::format(
            root,
            format!("{} class folders: at most 256 are supported", dirs.len()),
        ));
    }
    dirs.into_iter()
        .map(|d| {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&d)
                .map_err(|e| DataError::io(&d, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && p.extension().is_some_and(|x| {
                            EXTENSIONS.contains(&x.to_string_lossy().to_ascii_lowercase().as_str())
                        })
                })
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(DataError::format(
                    &d,
                    "empty class: expected at least one .png, .jpg or .jpeg image",
                ));
            }
            let name = d
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok((name, files))
        })
        .collect()
}

/// `rgb` in grey as PIL's `convert("L")` computes it, and so torchvision's `Grayscale`: ITU-R
/// 601-2 luma in PIL's fixed point, L = (19595 R + 38470 G + 7471 B + 32768) >> 16 (the `image`
/// crate's own `to_luma8` weighs by Rec. 709 instead: another grey).
fn pil_grey(rgb: &image::RgbImage) -> image::GrayImage {
    image::GrayImage::from_fn(rgb.width(), rgb.height(), |x, y| {
        let [r, g, b] = rgb.get_pixel(x, y).0.map(u32::from);
        image::Luma([((19595 * r + 38470 * g + 7471 * b + 32768) >> 16) as u8])
    })
}

/// Decodes `file` and resizes it to `spec`, as C x H x W bytes.
fn decode(file: &Path, spec: ImageSpec) -> Result<Vec<u8>> {
    let img = image::open(file).map_err(|e| {
        DataError::format(
            file,
            format!("unreadable image ({e}): expected a PNG or JPEG file"),
        )
    })?;
    let side = spec.size as u32;
    let filter = image::imageops::FilterType::Triangle;
    if spec.channels == 1 {
        let g = image::imageops::resize(&pil_grey(&img.to_rgb8()), side, side, filter);
        return Ok(g.into_raw());
    }
    let rgb = image::imageops::resize(&img.to_rgb8(), side, side, filter);
    // Interleaved H x W x C to planar C x H x W, the layout the models take.
    let plane = spec.size * spec.size;
    let mut out = vec![0u8; 3 * plane];
    for (i, px) in rgb.into_raw().chunks_exact(3).enumerate() {
        for c in 0..3 {
            out[c * plane + i] = px[c];
        }
    }
    Ok(out)
}

/// The images of `files` (with their labels) as a data set of `classes`.
fn dataset(files: &[(PathBuf, u8)], classes: &[String], spec: ImageSpec) -> Result<Dataset> {
    let images: Vec<Vec<u8>> = files
        .par_iter()
        .map(|(f, _)| decode(f, spec))
        .collect::<Result<_>>()?;
    Ok(Dataset {
        channels: spec.channels,
        height: spec.size,
        width: spec.size,
        images: images.concat(),
        labels: files.iter().map(|(_, l)| *l).collect(),
        classes: classes.to_vec(),
        superclasses: None,
    })
}

fn labelled(classes: &[(String, Vec<PathBuf>)]) -> Vec<(PathBuf, u8)> {
    classes
        .iter()
        .enumerate()
        .flat_map(|(l, (_, files))| files.iter().map(move |f| (f.clone(), l as u8)))
        .collect()
}

/// Reads the image folder `root` as `spec` says.
pub fn read_folder(root: &Path, spec: ImageSpec) -> Result<Split> {
    if !root.is_dir() {
        return Err(DataError::format(
            root,
            "not a folder: expected ROOT/CLASS/*.png|jpg, or ROOT/train/CLASS/... and ROOT/test/CLASS/...",
        ));
    }
    let (train, test, names) = if root.join("train").is_dir() && root.join("test").is_dir() {
        let train = classes(&root.join("train"))?;
        let test = classes(&root.join("test"))?;
        let names: Vec<String> = train.iter().map(|(n, _)| n.clone()).collect();
        let test_names: Vec<String> = test.iter().map(|(n, _)| n.clone()).collect();
        if names != test_names {
            return Err(DataError::format(
                root.join("test"),
                format!(
                    "classes {test_names:?} differ from train/'s {names:?}: expected the same class folders"
                ),
            ));
        }
        (labelled(&train), labelled(&test), names)
    } else {
        let all = classes(root)?;
        let names: Vec<String> = all.iter().map(|(n, _)| n.clone()).collect();
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for (l, (_, files)) in all.iter().enumerate() {
            for (i, f) in files.iter().enumerate() {
                let to = if i % 5 == 4 { &mut test } else { &mut train };
                to.push((f.clone(), l as u8));
            }
        }
        (train, test, names)
    };
    if test.is_empty() {
        return Err(DataError::format(
            root,
            "no test image: a folder without train/ and test/ sends every fifth image of a class to the test set, so some class needs 5 images or more",
        ));
    }
    Ok(Split {
        name: spec.name(),
        train: dataset(&train, &names, spec)?,
        test: dataset(&test, &names, spec)?,
    })
}
