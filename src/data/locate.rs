//! Where data sets are found: at `--data PATH` (`[data] path`) when one is given, and only
//! there (the user said where: a wrong path is an error, not a silent fall-back to another
//! copy); else, in this order, `$ATROPHY_DATA`, the user cache directory (where `atrophy data
//! fetch` puts them), then Debian's `/usr/share/datasets/`. In each place the data set's own
//! subfolder (`ROOT/mnist`) is looked at before the place itself.
use super::cifar;
use super::cifar100;
use super::dataset::Split;
use super::error::{DataError, Result};
use super::folder::{read_folder, ImageSpec};
use super::idx;
use super::synthetic::{synthetic, SyntheticSpec};
use std::path::{Path, PathBuf};

/// The data sets atrophy reads.
pub const NAMES: [&str; 6] = [
    "cifar10",
    "cifar100",
    "mnist",
    "fashion-mnist",
    "synthetic",
    "images",
];

/// Canonical name of a data set, accepting common spellings (`cifar-10`, `fashion_mnist`, ...);
/// `images` for an image folder of any size (`images:64:gray`, see [`super::folder`]).
pub fn canonical_name(name: &str) -> Result<&'static str> {
    if ImageSpec::parse(name)?.is_some() {
        return Ok("images");
    }
    let n = name.to_ascii_lowercase().replace('_', "-");
    Ok(match n.as_str() {
        "cifar10" | "cifar-10" => "cifar10",
        "cifar100" | "cifar-100" => "cifar100",
        "mnist" => "mnist",
        "fashion-mnist" | "fashionmnist" | "fmnist" => "fashion-mnist",
        "synthetic" => "synthetic",
        _ => {
            return Err(DataError::Invalid(format!(
                "unknown data set `{name}`: expected one of {}",
                NAMES.join(", ")
            )))
        }
    })
}

/// The user cache folder of atrophy: `$ATROPHY_CACHE`, else the platform cache dir + `atrophy`.
pub fn cache_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("ATROPHY_CACHE") {
        return PathBuf::from(p);
    }
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("atrophy")
}

/// The roots searched for `name`, in order: the explicit one alone when given.
pub fn search_roots(name: &str, explicit: Option<&Path>) -> Vec<PathBuf> {
    let mut roots = Vec::new();
    if let Some(p) = explicit {
        roots.push(p.to_path_buf());
        return roots;
    }
    if let Some(p) = std::env::var_os("ATROPHY_DATA") {
        roots.push(PathBuf::from(p));
    }
    roots.push(cache_dir());
    roots.push(PathBuf::from("/usr/share/datasets"));
    let _ = name;
    roots
}

/// The file or folder under `root` that holds data set `name`, if any.
pub fn find_in(name: &str, root: &Path) -> Option<PathBuf> {
    // The named subfolder first: MNIST and Fashion-MNIST files have the same names, so a root
    // holding both in subfolders must not be read as whichever lies at its top.
    let mut candidates = vec![root.join(name), root.to_path_buf()];
    match name {
        "cifar10" => {
            let more: Vec<PathBuf> = candidates
                .iter()
                .flat_map(|c| {
                    [
                        c.join("cifar-10-binary.tar.gz"),
                        c.join("cifar-10-batches-bin"),
                    ]
                })
                .collect();
            candidates.extend(more);
            candidates.into_iter().find(|c| {
                (c.is_file() && c.to_string_lossy().ends_with(".tar.gz"))
                    || c.join("data_batch_1.bin").is_file()
            })
        }
        "cifar100" => {
            let more: Vec<PathBuf> = candidates
                .iter()
                .flat_map(|c| {
                    [
                        c.join("cifar-100-binary.tar.gz"),
                        c.join("cifar-100-binary"),
                    ]
                })
                .collect();
            candidates.extend(more);
            candidates.into_iter().find(|c| {
                (c.is_file() && c.to_string_lossy().ends_with(".tar.gz"))
                    || c.join("train.bin").is_file()
            })
        }
        _ => candidates
            .into_iter()
            .find(|c| idx::find_file(c, idx::FILES[0]).is_some()),
    }
}

/// Reads data set `name` from the file or folder `path` that holds it.
pub fn read_at(name: &str, path: &Path) -> Result<Split> {
    match name {
        "cifar10" => cifar::read_cifar10(path),
        "cifar100" => cifar100::read_cifar100(path),
        "mnist" => {
            let digits: Vec<String> = (0..10).map(|d| d.to_string()).collect();
            let refs: Vec<&str> = digits.iter().map(|s| s.as_str()).collect();
            idx::read_idx_dir(path, "mnist", &refs)
        }
        "fashion-mnist" => idx::read_idx_dir(path, "fashion-mnist", &idx::FASHION_CLASSES),
        other => Err(DataError::Invalid(format!(
            "data set `{other}` is not read from files"
        ))),
    }
}

/// Finds and reads a data set; `synthetic` is generated with the default spec; an image folder
/// (`images[:SIZE[:gray]]`) is read from `explicit`, which it needs.
pub fn load(name: &str, explicit: Option<&Path>) -> Result<Split> {
    if let Some(spec) = ImageSpec::parse(name)? {
        let Some(root) = explicit else {
            return Err(DataError::Invalid(format!(
                "data set `{name}` is a folder of your images: give it with --data ROOT (or [data] path = \"ROOT\"), laid out as ROOT/CLASS/*.png|jpg"
            )));
        };
        return read_folder(root, spec);
    }
    let name = canonical_name(name)?;
    if name == "synthetic" {
        return Ok(synthetic(&SyntheticSpec::default()));
    }
    let roots = search_roots(name, explicit);
    for root in &roots {
        if let Some(found) = find_in(name, root) {
            return read_at(name, &found);
        }
    }
    Err(DataError::NotFound {
        name: name.into(),
        searched: roots,
    })
}

/// As [`load`], but a data set found nowhere is first downloaded from its official source into
/// the cache (checksum-checked, see [`super::fetch`]), as a user on a fresh machine expects of
/// the main job. An explicit `path` that does not hold it is an error, never a download: the
/// user said where.
pub fn load_or_fetch(name: &str, explicit: Option<&Path>, progress: bool) -> Result<Split> {
    match load(name, explicit) {
        Err(DataError::NotFound { .. }) if explicit.is_none() => {
            let name = canonical_name(name)?;
            let dir = cache_dir().join(name);
            eprintln!(
                "data set `{name}` not found locally: downloading it into {}",
                dir.display()
            );
            let files =
                super::fetch::manifest(name, std::env::var("ATROPHY_MIRROR").ok().as_deref())?;
            super::fetch::fetch(&files, &dir, progress)?;
            load(name, None)
        }
        other => other,
    }
}
