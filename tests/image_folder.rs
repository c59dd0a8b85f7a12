//! Image folders (`images[:SIZE[:gray]]`) on folders the tests paint themselves: classes in
//! sorted order, the fixed every-fifth test split, resizing, grey conversion, bad input, and a
//! model trained and evaluated on one from the command line.
use atrophy::data::folder::{read_folder, ImageSpec};
use std::path::Path;

mod common;

/// Writes a solid `rgb` image of `w` x `h` as `path` (PNG or JPEG by extension).
fn paint(path: &Path, w: u32, h: u32, rgb: [u8; 3]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    image::RgbImage::from_pixel(w, h, image::Rgb(rgb))
        .save(path)
        .unwrap();
}

/// Three classes, six images each, of mixed sizes and formats; class k is one solid colour.
fn stimuli(root: &Path) {
    let colours = [
        ("cat", [200, 10, 50]),
        ("car", [0, 120, 255]),
        ("tree", [30, 160, 30]),
    ];
    for (name, rgb) in colours {
        for i in 0..6 {
            let ext = if i % 2 == 0 { "png" } else { "jpg" };
            paint(
                &root.join(name).join(format!("{i:02}.{ext}")),
                40 + i,
                30,
                rgb,
            );
        }
    }
    std::fs::write(root.join("cat").join("notes.txt"), "not an image").unwrap();
}

#[test]
fn classes_sorted_every_fifth_image_tested_and_resized() {
    let tmp = tempfile::tempdir().unwrap();
    stimuli(tmp.path());
    let spec = ImageSpec::parse("images:16").unwrap().unwrap();
    let s = read_folder(tmp.path(), spec).unwrap();
    assert_eq!(s.name, "images:16:rgb");
    assert_eq!(s.train.classes, ["car", "cat", "tree"]);
    assert_eq!((s.train.len(), s.test.len()), (15, 3));
    assert_eq!(s.test.labels, [0, 1, 2]);
    assert_eq!(
        (s.train.channels, s.train.height, s.train.width),
        (3, 16, 16)
    );
    // A solid PNG stays exactly its colour through bilinear resizing, channel by channel.
    let cat_png = s.train.image(5); // cat's first image (00.png)
    assert!(cat_png[..256].iter().all(|&v| v == 200));
    assert!(cat_png[256..512].iter().all(|&v| v == 10));
    assert!(cat_png[512..].iter().all(|&v| v == 50));
    // JPEG is lossy: a solid colour comes back within a few levels.
    let car_jpg = s.train.image(1);
    assert!(
        car_jpg[512..].iter().all(|&v| v >= 245),
        "{:?}",
        &car_jpg[512..520]
    );
    let grey = read_folder(
        tmp.path(),
        ImageSpec::parse("images:8:gray").unwrap().unwrap(),
    )
    .unwrap();
    assert_eq!((grey.test.channels, grey.test.height), (1, 8));
    let cat = grey.test.image(1);
    // (200, 10, 50) in grey as PIL's convert("L"): (19595*200 + 38470*10 + 7471*50 + 32768)
    // >> 16 = 71 (Rec. 709 would give 53, the plain mean 87).
    assert!(cat.iter().all(|&v| v == 71), "{cat:?}");
    // Found through `load` with an explicit root; without one the error says how.
    assert_eq!(
        atrophy::data::load("images:16", Some(tmp.path()))
            .unwrap()
            .test
            .len(),
        3
    );
    let e = atrophy::data::load("images", None).unwrap_err().to_string();
    assert!(e.contains("--data ROOT"), "{e}");
    for bad in ["images:4", "images:32:cmyk", "images:x"] {
        let e = ImageSpec::parse(bad).unwrap_err().to_string();
        assert!(e.contains("images:SIZE:gray"), "{e}");
    }
}

#[test]
fn train_and_test_folders_are_used_as_given() {
    let tmp = tempfile::tempdir().unwrap();
    stimuli(&tmp.path().join("train"));
    stimuli(&tmp.path().join("test"));
    let spec = ImageSpec::parse("images").unwrap().unwrap();
    let s = read_folder(tmp.path(), spec).unwrap();
    assert_eq!((s.train.len(), s.test.len()), (18, 18));
    std::fs::rename(tmp.path().join("test/tree"), tmp.path().join("test/bush")).unwrap();
    let e = read_folder(tmp.path(), spec).unwrap_err().to_string();
    assert!(
        e.contains("test") && e.contains("expected the same class folders"),
        "{e}"
    );
}

#[test]
fn bad_folders_name_the_folder_or_file_and_the_expectation() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = ImageSpec::parse("images:16").unwrap().unwrap();
    let root = tmp.path().join("stimuli");
    stimuli(&root);
    std::fs::create_dir_all(root.join("empty")).unwrap();
    let e = read_folder(&root, spec).unwrap_err().to_string();
    assert!(e.contains("empty") && e.contains("empty class"), "{e}");
    std::fs::remove_dir(root.join("empty")).unwrap();
    std::fs::write(root.join("car").join("03.png"), b"not a png").unwrap();
    let e = read_folder(&root, spec).unwrap_err().to_string();
    assert!(
        e.contains("03.png") && e.contains("unreadable image"),
        "{e}"
    );
    let e = read_folder(&tmp.path().join("nowhere"), spec)
        .unwrap_err()
        .to_string();
    assert!(e.contains("nowhere") && e.contains("not a folder"), "{e}");
    let flat = tmp.path().join("flat");
    paint(&flat.join("a.png"), 8, 8, [1, 2, 3]);
    let e = read_folder(&flat, spec).unwrap_err().to_string();
    assert!(e.contains("no class folders"), "{e}");
    let few = tmp.path().join("few");
    paint(&few.join("a").join("1.png"), 8, 8, [1, 2, 3]);
    let e = read_folder(&few, spec).unwrap_err().to_string();
    assert!(e.contains("no test image"), "{e}");
}

#[cfg(feature = "torch")]
#[test]
fn a_model_trains_and_evaluates_on_an_image_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("stimuli");
    stimuli(&root);
    let out = tmp.path().join("run");
    let r = root.to_str().unwrap();
    common::ok(&common::atrophy(&[
        "train",
        "--dataset",
        "images:16",
        "--data",
        r,
        "--model",
        "small_cnn",
        "--widths",
        "4,M,8,M",
        "--epochs",
        "3",
        "--batch-size",
        "5",
        "--lr",
        "0.05",
        "--out",
        out.to_str().unwrap(),
    ]));
    let meta = atrophy::checkpoint::read_meta(&out).unwrap();
    assert_eq!(meta.dataset, "images:16:rgb");
    let text = common::ok(&common::atrophy(&[
        "eval",
        out.to_str().unwrap(),
        "--data",
        r,
        "--json",
    ]));
    let e: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(e["n"], 3);
}
