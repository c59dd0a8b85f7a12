//! CIFAR-100 in its official binary distribution: `cifar-100-binary.tar.gz` read as a stream, or
//! the extracted `cifar-100-binary/` folder (`train.bin`, `test.bin`).
//!
//! Each record is the coarse label (0-19, the superclass), the fine label (0-99, the class),
//! then 3072 pixel bytes in C x H x W order as in CIFAR-10. Images are classified by their fine
//! label; the superclass of every class, read from the records (each class belongs to one),
//! lets evaluations measure superclass accuracy and how many errors stay within the true
//! superclass (the semantic errors of dementia patients; Tuladhar et al.).
use super::dataset::{Dataset, Split, Superclasses};
use super::error::{DataError, Result};
use std::path::Path;

/// Bytes of one record: the two labels and 3 x 32 x 32 pixels.
pub const RECORD_BYTES: usize = 2 + 3 * 32 * 32;
/// Records of the official training file.
pub const TRAIN_RECORDS: usize = 50_000;
/// Records of the official test file.
pub const TEST_RECORDS: usize = 10_000;
const FILES: [&str; 2] = ["train.bin", "test.bin"];

/// The 100 class names in fine-label order (`fine_label_names.txt` of the distribution).
pub const FINE: [&str; 100] = [
    "apple",
    "aquarium_fish",
    "baby",
    "bear",
    "beaver",
    "bed",
    "bee",
    "beetle",
    "bicycle",
    "bottle",
    "bowl",
    "boy",
    "bridge",
    "bus",
    "butterfly",
    "camel",
    "can",
    "castle",
    "caterpillar",
    "cattle",
    "chair",
    "chimpanzee",
    "clock",
    "cloud",
    "cockroach",
    "couch",
    "crab",
    "crocodile",
    "cup",
    "dinosaur",
    "dolphin",
    "elephant",
    "flatfish",
    "forest",
    "fox",
    "girl",
    "hamster",
    "house",
    "kangaroo",
    "keyboard",
    "lamp",
    "lawn_mower",
    "leopard",
    "lion",
    "lizard",
    "lobster",
    "man",
    "maple_tree",
    "motorcycle",
    "mountain",
    "mouse",
    "mushroom",
    "oak_tree",
    "orange",
    "orchid",
    "otter",
    "palm_tree",
    "pear",
    "pickup_truck",
    "pine_tree",
    "plain",
    "plate",
    "poppy",
    "porcupine",
    "possum",
    "rabbit",
    "raccoon",
    "ray",
    "road",
    "rocket",
    "rose",
    "sea",
    "seal",
    "shark",
    "shrew",
    "skunk",
    "skyscraper",
    "snail",
    "snake",
    "spider",
    "squirrel",
    "streetcar",
    "sunflower",
    "sweet_pepper",
    "table",
    "tank",
    "telephone",
    "television",
    "tiger",
    "tractor",
    "train",
    "trout",
    "tulip",
    "turtle",
    "wardrobe",
    "whale",
    "willow_tree",
    "wolf",
    "woman",
    "worm",
];

/// The 20 superclass names in coarse-label order (`coarse_label_names.txt`).
pub const COARSE: [&str; 20] = [
    "aquatic_mammals",
    "fish",
    "flowers",
    "food_containers",
    "fruit_and_vegetables",
    "household_electrical_devices",
    "household_furniture",
    "insects",
    "large_carnivores",
    "large_man-made_outdoor_things",
    "large_natural_outdoor_scenes",
    "large_omnivores_and_herbivores",
    "medium_mammals",
    "non-insect_invertebrates",
    "people",
    "reptiles",
    "small_mammals",
    "trees",
    "vehicles_1",
    "vehicles_2",
];

/// Reads CIFAR-100 from the `.tar.gz` archive or a folder holding `train.bin` and `test.bin`.
pub fn read_cifar100(path: &Path) -> Result<Split> {
    read_cifar100_with(path, [TRAIN_RECORDS, TEST_RECORDS])
}

/// As [`read_cifar100`], with the record counts the two files must hold (tests use small
/// fixtures).
pub fn read_cifar100_with(path: &Path, records: [usize; 2]) -> Result<Split> {
    let files: Vec<Option<Vec<u8>>> = if path.is_dir() {
        FILES
            .iter()
            .map(|f| {
                let file = path.join(f);
                std::fs::read(&file)
                    .map(Some)
                    .map_err(|e| DataError::io(&file, e))
            })
            .collect::<Result<_>>()?
    } else {
        let limits = records.map(|r| r.saturating_mul(RECORD_BYTES));
        super::cifar::read_members(path, &FILES, &limits, "cifar-100-binary.tar.gz")?
    };
    let mut of_class: Vec<Option<u8>> = vec![None; FINE.len()];
    let mut parts = Vec::new();
    for ((name, bytes), want) in FILES.iter().zip(files).zip(records) {
        let file = path.join(name);
        let bytes = bytes.ok_or_else(|| {
            DataError::format(
                path,
                format!("archive holds no `{name}`: expected cifar-100-binary/{name}"),
            )
        })?;
        parts.push(parse(&bytes, want, &file, &mut of_class)?);
    }
    let of_class: Vec<u8> = of_class
        .iter()
        .enumerate()
        .map(|(c, s)| {
            s.ok_or_else(|| {
                DataError::format(
                    path,
                    format!(
                        "class {c} ({}) has no image: expected all 100 classes",
                        FINE[c]
                    ),
                )
            })
        })
        .collect::<Result<_>>()?;
    let superclasses = Superclasses {
        names: COARSE.iter().map(|s| s.to_string()).collect(),
        of_class,
    };
    let test = parts.pop().expect("two files");
    let train = parts.pop().expect("two files");
    let finish = |(images, labels): (Vec<u8>, Vec<u8>)| Dataset {
        channels: 3,
        height: 32,
        width: 32,
        images,
        labels,
        classes: FINE.iter().map(|s| s.to_string()).collect(),
        superclasses: Some(superclasses.clone()),
    };
    Ok(Split {
        name: "cifar100".into(),
        train: finish(train),
        test: finish(test),
    })
}

/// Pixels and fine labels of one file of `records` records; every class's superclass must be
/// the same in every record.
fn parse(
    bytes: &[u8],
    records: usize,
    file: &Path,
    of_class: &mut [Option<u8>],
) -> Result<(Vec<u8>, Vec<u8>)> {
    if !bytes.len().is_multiple_of(RECORD_BYTES) || bytes.len() / RECORD_BYTES != records {
        return Err(DataError::format(
            file,
            format!(
                "wrong record size or count: {} bytes, expected {records} records of {RECORD_BYTES} bytes (coarse label, fine label, 3072 pixels)",
                bytes.len()
            ),
        ));
    }
    let mut images = Vec::with_capacity(records * (RECORD_BYTES - 2));
    let mut labels = Vec::with_capacity(records);
    for (i, rec) in bytes.chunks_exact(RECORD_BYTES).enumerate() {
        let (coarse, fine) = (rec[0], rec[1]);
        if coarse as usize >= COARSE.len() || fine as usize >= FINE.len() {
            return Err(DataError::format(
                file,
                format!(
                    "record {i}: labels {coarse} (coarse) and {fine} (fine) out of range: expected 0..19 and 0..99"
                ),
            ));
        }
        match of_class[fine as usize] {
            Some(c) if c != coarse => {
                return Err(DataError::format(
                    file,
                    format!(
                        "record {i}: class {fine} ({}) in superclass {coarse}, but earlier records put it in {c}: expected one superclass per class",
                        FINE[fine as usize]
                    ),
                ))
            }
            _ => of_class[fine as usize] = Some(coarse),
        }
        labels.push(fine);
        images.extend_from_slice(&rec[2..]);
    }
    Ok((images, labels))
}

/// Writes a data set with superclasses in the CIFAR-100 binary format (for test fixtures).
pub fn write_file(data: &Dataset, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let s = data
        .superclasses
        .as_ref()
        .expect("a data set with superclasses");
    for i in 0..data.len() {
        let fine = data.labels[i];
        out.write_all(&[s.of_class[fine as usize], fine])?;
        out.write_all(data.image(i))?;
    }
    Ok(())
}
