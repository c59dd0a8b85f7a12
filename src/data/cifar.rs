//! CIFAR-10 in its official binary distribution: `cifar-10-binary.tar.gz` read as a stream (no
//! extraction), or the extracted `cifar-10-batches-bin/` folder.
//!
//! Each record is one label byte (0-9) then 3072 pixel bytes: 1024 red, 1024 green, 1024 blue,
//! each 32x32 row-major, which is already the C x H x W order the models take.
use super::dataset::{Dataset, Split};
use super::error::{DataError, Result};
use std::io::Read;
use std::path::Path;

/// Bytes of one record: the label and 3 x 32 x 32 pixels.
pub const RECORD_BYTES: usize = 1 + 3 * 32 * 32;
/// Records in each official batch file.
pub const RECORDS_PER_BATCH: usize = 10_000;
/// The class names, in label order.
pub const CLASSES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];
const TRAIN_FILES: [&str; 5] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
];
const TEST_FILE: &str = "test_batch.bin";

/// Reads CIFAR-10 from the `.tar.gz` archive or from a folder holding the six `.bin` files.
pub fn read_cifar10(path: &Path) -> Result<Split> {
    read_cifar10_with(path, RECORDS_PER_BATCH)
}

/// As [`read_cifar10`], with the number of records every batch file must hold (the official
/// files hold 10,000; tests use small fixtures).
pub fn read_cifar10_with(path: &Path, records_per_batch: usize) -> Result<Split> {
    let mut batches: Vec<Option<Vec<u8>>> = vec![None; 6];
    if path.is_dir() {
        for (slot, name) in TRAIN_FILES.iter().chain([&TEST_FILE]).enumerate() {
            let file = path.join(name);
            let bytes = std::fs::read(&file).map_err(|e| DataError::io(&file, e))?;
            batches[slot] = Some(bytes);
        }
    } else {
        read_archive(path, records_per_batch, &mut batches)?;
    }
    let mut train = empty();
    let mut test = empty();
    for (slot, bytes) in batches.into_iter().enumerate() {
        let name = if slot < 5 {
            TRAIN_FILES[slot]
        } else {
            TEST_FILE
        };
        let where_ = path.join(name);
        let bytes = bytes.ok_or_else(|| {
            DataError::format(
                path,
                format!(
                    "archive holds no `{name}`: expected the six files of cifar-10-batches-bin/"
                ),
            )
        })?;
        let target = if slot < 5 { &mut train } else { &mut test };
        parse_batch(&bytes, records_per_batch, &where_, target)?;
    }
    Ok(Split {
        name: "cifar10".into(),
        train,
        test,
    })
}

fn empty() -> Dataset {
    Dataset {
        channels: 3,
        height: 32,
        width: 32,
        images: Vec::new(),
        labels: Vec::new(),
        classes: CLASSES.iter().map(|s| s.to_string()).collect(),
        superclasses: None,
    }
}

/// Streams the gzipped tar and keeps the batch files' bytes (each `records` records long).
fn read_archive(path: &Path, records: usize, batches: &mut [Option<Vec<u8>>]) -> Result<()> {
    let names: Vec<&str> = TRAIN_FILES.iter().chain([&TEST_FILE]).copied().collect();
    let limits = vec![records.saturating_mul(RECORD_BYTES); names.len()];
    let found = read_members(path, &names, &limits, "cifar-10-binary.tar.gz")?;
    for (slot, bytes) in found.into_iter().enumerate() {
        batches[slot] = bytes;
    }
    Ok(())
}

/// Streams a gzipped tar and returns the bytes of the members whose file names are `names`
/// (in that order; `None` for a member it lacks). A member larger than its limit (from the tar
/// header, checked before allocating) is an error naming it; `what` names the archive expected.
pub(super) fn read_members(
    path: &Path,
    names: &[&str],
    limits: &[usize],
    what: &str,
) -> Result<Vec<Option<Vec<u8>>>> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let gz = flate2::read::GzDecoder::new(std::io::BufReader::new(file));
    let mut archive = tar::Archive::new(gz);
    let corrupt = |e: std::io::Error| {
        DataError::format(
            path,
            format!("not a readable gzipped tar archive ({e}): expected {what}"),
        )
    };
    let mut out = vec![None; names.len()];
    for entry in archive.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        let name = entry
            .path()
            .map_err(corrupt)?
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        let Some(name) = name else { continue };
        if let Some(slot) = names.iter().position(|f| *f == name) {
            let expected = limits[slot];
            if entry.size() > expected as u64 {
                return Err(DataError::format(
                    path.join(&name),
                    format!(
                        "wrong size: {} bytes, expected at most {expected}",
                        entry.size()
                    ),
                ));
            }
            let mut bytes = Vec::with_capacity(entry.size() as usize);
            entry.read_to_end(&mut bytes).map_err(corrupt)?;
            out[slot] = Some(bytes);
        }
    }
    Ok(out)
}

fn parse_batch(bytes: &[u8], records: usize, file: &Path, into: &mut Dataset) -> Result<()> {
    if !bytes.len().is_multiple_of(RECORD_BYTES) {
        return Err(DataError::format(
            file,
            format!(
                "truncated or corrupt: {} bytes is not a whole number of {RECORD_BYTES}-byte records",
                bytes.len()
            ),
        ));
    }
    let found = bytes.len() / RECORD_BYTES;
    if found != records {
        return Err(DataError::format(
            file,
            format!("wrong record count: found {found} records, expected {records}"),
        ));
    }
    for (i, rec) in bytes.chunks_exact(RECORD_BYTES).enumerate() {
        if rec[0] as usize >= CLASSES.len() {
            return Err(DataError::format(
                file,
                format!(
                    "label {} of record {i} is out of range: expected 0..9",
                    rec[0]
                ),
            ));
        }
        into.labels.push(rec[0]);
        into.images.extend_from_slice(&rec[1..]);
    }
    Ok(())
}

/// Writes a data set in the CIFAR-10 binary format (used to make test fixtures).
pub fn write_batch(data: &Dataset, out: &mut impl std::io::Write) -> std::io::Result<()> {
    for i in 0..data.len() {
        out.write_all(&[data.labels[i]])?;
        out.write_all(data.image(i))?;
    }
    Ok(())
}
