//! CIFAR-100 in its binary distribution, on fixtures the tests make: archive and folder read
//! the same records, superclasses come from the records, bad files name the file and the
//! expectation, and evaluations on it carry the superclass metrics.
use atrophy::data::{cifar100, synthetic, Split, Superclasses, SyntheticSpec};
use std::path::Path;

/// 100 classes on 3 x 32 x 32; class c is in superclass c mod 20 (any grouping will do).
fn small() -> Split {
    let mut s = synthetic(&SyntheticSpec {
        channels: 3,
        size: 32,
        classes: 100,
        train: 300,
        test: 200,
        noise: 100,
        seed: 5,
    });
    let groups = Superclasses {
        names: cifar100::COARSE.iter().map(|n| n.to_string()).collect(),
        of_class: (0..100).map(|c| (c % 20) as u8).collect(),
    };
    s.train.superclasses = Some(groups.clone());
    s.test.superclasses = Some(groups);
    s
}

fn write_dir(dir: &Path, s: &Split) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, part) in [("train.bin", &s.train), ("test.bin", &s.test)] {
        let mut f = std::fs::File::create(dir.join(name)).unwrap();
        cifar100::write_file(part, &mut f).unwrap();
    }
}

fn tar_gz(dir: &Path, out: &Path) {
    let f = std::fs::File::create(out).unwrap();
    let gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
    let mut t = tar::Builder::new(gz);
    t.append_dir_all("cifar-100-binary", dir).unwrap();
    t.into_inner().unwrap().finish().unwrap();
}

#[test]
fn folder_and_archive_read_the_same_records_and_superclasses() {
    let tmp = tempfile::tempdir().unwrap();
    let s = small();
    let dir = tmp.path().join("cifar-100-binary");
    write_dir(&dir, &s);
    let archive = tmp.path().join("cifar-100-binary.tar.gz");
    tar_gz(&dir, &archive);
    for path in [&dir, &archive] {
        let got = cifar100::read_cifar100_with(path, [300, 200]).unwrap();
        assert_eq!(got.name, "cifar100");
        assert_eq!(got.train.images, s.train.images);
        assert_eq!(got.train.labels, s.train.labels);
        assert_eq!(got.test.images, s.test.images);
        assert_eq!(got.test.superclasses, s.test.superclasses);
        assert_eq!(got.train.classes[0], "apple");
        assert_eq!(got.train.classes[99], "worm");
        assert_eq!(
            got.train.superclasses.as_ref().unwrap().names[19],
            "vehicles_2"
        );
    }
    // The official reader expects 50,000 training records and says so, naming the file.
    let e = cifar100::read_cifar100(&dir).unwrap_err().to_string();
    assert!(
        e.contains("train.bin") && e.contains("expected 50000 records of 3074 bytes"),
        "{e}"
    );
    // Found by name under a data root.
    let found = atrophy::data::load("cifar-100", Some(tmp.path()));
    assert!(found.unwrap_err().to_string().contains("expected 50000"));
}

#[test]
fn bad_files_name_the_file_and_the_expectation() {
    let tmp = tempfile::tempdir().unwrap();
    let s = small();
    let dir = tmp.path().join("c");
    write_dir(&dir, &s);
    let read = || {
        cifar100::read_cifar100_with(&dir, [300, 200])
            .unwrap_err()
            .to_string()
    };
    // A record size of CIFAR-10 (3073 bytes): not a whole number of 3074-byte records.
    let test = std::fs::read(dir.join("test.bin")).unwrap();
    std::fs::write(dir.join("test.bin"), &test[..test.len() - 200]).unwrap();
    let e = read();
    assert!(
        e.contains("test.bin") && e.contains("records of 3074 bytes"),
        "{e}"
    );
    std::fs::write(dir.join("test.bin"), &test).unwrap();
    // A class that changes superclass between records.
    let mut train = std::fs::read(dir.join("train.bin")).unwrap();
    train[cifar100::RECORD_BYTES * 100] ^= 1;
    std::fs::write(dir.join("train.bin"), &train).unwrap();
    let e = read();
    assert!(
        e.contains("train.bin")
            && e.contains("record 100")
            && e.contains("one superclass per class"),
        "{e}"
    );
    train[cifar100::RECORD_BYTES * 100] = 20;
    std::fs::write(dir.join("train.bin"), &train).unwrap();
    let e = read();
    assert!(e.contains("out of range: expected 0..19 and 0..99"), "{e}");
    std::fs::remove_file(dir.join("train.bin")).unwrap();
    let e = read();
    assert!(e.contains("train.bin"), "{e}");
    let junk = tmp.path().join("cifar-100-binary.tar.gz");
    std::fs::write(&junk, b"not gzip").unwrap();
    let e = cifar100::read_cifar100_with(&junk, [300, 200])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("cifar-100-binary.tar.gz") && e.contains("gzipped tar"),
        "{e}"
    );
}

/// An evaluation on a data set with superclasses carries the superclass metrics of its own
/// confusion matrix.
#[cfg(feature = "torch")]
#[test]
fn evaluations_on_cifar100_measure_superclasses() {
    use atrophy::model::{Architecture, Network};
    let s = small();
    let arch = Architecture::preset("small_cnn", Some("4,M"), 3, 32, 100).unwrap();
    let vs = tch::nn::VarStore::new(tch::Device::Cpu);
    let net = Network::new(&vs.root(), &arch).unwrap();
    let norm = atrophy::data::Normalization::identity(3);
    let e = atrophy::train::evaluate(&net, &s.test, &norm, tch::Device::Cpu, 64);
    let got = e.superclass.clone().unwrap();
    let want = atrophy::results::SuperclassMetrics::from_confusion(
        &e.confusion,
        &s.test.superclasses.as_ref().unwrap().of_class,
    );
    assert_eq!(got, want);
    assert!(got.top1 >= e.top1);
    let row = atrophy::results::SuperclassRow::new(
        &atrophy::results::StateKey {
            regime: "R".into(),
            cycle: 0,
            iteration: 1,
            fraction_injured: 0.5,
            state: atrophy::results::State::Injured,
        },
        &e,
    )
    .unwrap();
    assert_eq!(row.superclass_top1, got.top1);
}
