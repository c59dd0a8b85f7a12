//! MNIST and Fashion-MNIST in the IDX format, gzipped (as distributed) or plain.
//!
//! A big-endian header: magic 0x00000803 for images (then three u32 sizes N, H, W) or 0x00000801
//! for labels (then N), followed by unsigned bytes.
use super::dataset::{Dataset, Split};
use super::error::{DataError, Result};
use std::io::Read;
use std::path::{Path, PathBuf};

const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;

/// The four file stems of an MNIST-style data set, in the order train images, train labels,
/// test images, test labels.
pub const FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// Class names of Fashion-MNIST, in label order.
pub const FASHION_CLASSES: [&str; 10] = [
    "t-shirt/top",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle boot",
];

/// Finds `stem` or `stem.gz` in `dir`.
pub fn find_file(dir: &Path, stem: &str) -> Option<PathBuf> {
    [dir.join(stem), dir.join(format!("{stem}.gz"))]
        .into_iter()
        .find(|p| p.is_file())
}

/// Reads the whole file, decompressing it when it starts with the gzip magic bytes.
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 4);
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| DataError::format(path, format!("corrupt gzip stream: {e}")))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

fn header(bytes: &[u8], path: &Path, magic: u32, dims: usize) -> Result<Vec<usize>> {
    let need = 4 + 4 * dims;
    if bytes.len() < need {
        return Err(DataError::format(
            path,
            format!(
                "truncated: {} bytes, expected an IDX header of {need} bytes",
                bytes.len()
            ),
        ));
    }
    let word = |i: usize| u32::from_be_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap());
    if word(0) != magic {
        return Err(DataError::format(
            path,
            format!(
                "wrong magic number 0x{:08x}: expected 0x{magic:08x} ({})",
                word(0),
                if magic == IMAGES_MAGIC {
                    "IDX images"
                } else {
                    "IDX labels"
                }
            ),
        ));
    }
    let sizes: Vec<usize> = (1..=dims).map(|i| word(i) as usize).collect();
    if sizes.contains(&0) {
        return Err(DataError::format(
            path,
            format!("empty: dimensions {sizes:?}, expected every dimension to be at least 1"),
        ));
    }
    // In u128: three u32 sizes may multiply past u64.
    let expected = need as u128 + sizes.iter().map(|&s| s as u128).product::<u128>();
    if bytes.len() as u128 != expected {
        return Err(DataError::format(
            path,
            format!(
                "wrong size: {} bytes, expected {expected} for dimensions {sizes:?}",
                bytes.len()
            ),
        ));
    }
    Ok(sizes)
}

/// Reads one images file and its labels file into a data set.
pub fn read_pair(images: &Path, labels: &Path, classes: &[&str]) -> Result<Dataset> {
    let ib = read_maybe_gz(images)?;
    let lb = read_maybe_gz(labels)?;
    let dims = header(&ib, images, IMAGES_MAGIC, 3)?;
    let ldims = header(&lb, labels, LABELS_MAGIC, 1)?;
    if dims[0] != ldims[0] {
        return Err(DataError::format(
            labels,
            format!(
                "wrong record count: {} labels, expected {} (one per image in {})",
                ldims[0],
                dims[0],
                images.display()
            ),
        ));
    }
    let data = Dataset {
        channels: 1,
        height: dims[1],
        width: dims[2],
        images: ib[16..].to_vec(),
        labels: lb[8..].to_vec(),
        classes: classes.iter().map(|s| s.to_string()).collect(),
        superclasses: None,
    };
    data.check_labels(labels)?;
    Ok(data)
}

/// Reads an MNIST-style data set from a folder holding the four IDX files (gzipped or plain).
pub fn read_idx_dir(dir: &Path, name: &str, classes: &[&str]) -> Result<Split> {
    let mut paths = Vec::new();
    for stem in FILES {
        paths.push(find_file(dir, stem).ok_or_else(|| {
            DataError::io(
                dir.join(stem),
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!(
                        "missing: expected `{stem}` or `{stem}.gz` in {}",
                        dir.display()
                    ),
                ),
            )
        })?);
    }
    Ok(Split {
        name: name.into(),
        train: read_pair(&paths[0], &paths[1], classes)?,
        test: read_pair(&paths[2], &paths[3], classes)?,
    })
}

/// Writes a data set as an IDX images file and an IDX labels file (plain), for fixtures.
pub fn write_pair(data: &Dataset, images: &Path, labels: &Path) -> std::io::Result<()> {
    let mut ib = Vec::new();
    ib.extend(IMAGES_MAGIC.to_be_bytes());
    for d in [data.len(), data.height, data.width] {
        ib.extend((d as u32).to_be_bytes());
    }
    ib.extend_from_slice(&data.images);
    let mut lb = Vec::new();
    lb.extend(LABELS_MAGIC.to_be_bytes());
    lb.extend((data.len() as u32).to_be_bytes());
    lb.extend_from_slice(&data.labels);
    std::fs::write(images, ib)?;
    std::fs::write(labels, lb)
}
