//! `atrophy data fetch`: downloads a data set from its official source into the cache, with a
//! progress bar and a checksum check (sha256, or the MD5 a distribution publishes). A file is written under a temporary name and renamed into
//! place only once its checksum matches, so the cache never holds a partial or corrupt file.
use super::error::{DataError, Result};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// What a downloaded file's checksum (sha256, or MD5 where the authors publish only that) is
/// computed over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checked {
    /// The file as downloaded.
    File,
    /// The gzip-decompressed content (robust to mirrors that recompress).
    Content,
}

/// The checksum a downloaded file must have, lowercase hex.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Digest {
    /// SHA-256.
    Sha256(String),
    /// MD5: what the CIFAR distributions publish next to their archives.
    Md5(String),
}

impl Digest {
    /// `sha256` or `md5`.
    pub fn kind(&self) -> &'static str {
        match self {
            Digest::Sha256(_) => "sha256",
            Digest::Md5(_) => "md5",
        }
    }

    /// The expected value.
    pub fn hex(&self) -> &str {
        match self {
            Digest::Sha256(h) | Digest::Md5(h) => h,
        }
    }
}

/// One file of a data set's distribution.
#[derive(Clone, Debug)]
pub struct Remote {
    /// File name in the cache folder.
    pub file: String,
    /// Where it is downloaded from.
    pub url: String,
    /// Expected checksum.
    pub digest: Digest,
    /// What the checksum covers.
    pub checked: Checked,
}

fn remote(base: &str, file: &str, sha256: &str, checked: Checked) -> Remote {
    Remote {
        file: file.into(),
        url: format!("{base}/{file}"),
        digest: Digest::Sha256(sha256.into()),
        checked,
    }
}

/// A file checked against the MD5 its distributor publishes (the CIFAR archives).
fn remote_md5(base: &str, file: &str, md5: &str) -> Remote {
    Remote {
        file: file.into(),
        url: format!("{base}/{file}"),
        digest: Digest::Md5(md5.into()),
        checked: Checked::File,
    }
}

/// The four IDX files of an MNIST-style data set at `base`, each checked by the SHA-256 of its
/// decompressed content, in the order training images, training labels, test images, test labels.
fn idx_files(base: &str, sha256: [&str; 4]) -> Vec<Remote> {
    let files = [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ];
    files
        .iter()
        .zip(sha256)
        .map(|(file, sha)| remote(base, file, sha, Checked::Content))
        .collect()
}

/// The official files of a data set. With `mirror`, files come from `MIRROR/FILE` instead.
pub fn manifest(name: &str, mirror: Option<&str>) -> Result<Vec<Remote>> {
    let pick = |official: &str| {
        mirror
            .map(|m| m.trim_end_matches('/').to_string())
            .unwrap_or_else(|| official.to_string())
    };
    let list = match name {
        // The MD5s published on the CIFAR page, of the archives as distributed (170,052,171 and
        // 168,513,733 bytes).
        "cifar10" => vec![remote_md5(
            &pick("https://www.cs.toronto.edu/~kriz"),
            "cifar-10-binary.tar.gz",
            "c32a1d4ab5d03f1284b67883e8d87530",
        )],
        "cifar100" => vec![remote_md5(
            &pick("https://www.cs.toronto.edu/~kriz"),
            "cifar-100-binary.tar.gz",
            "03b5dce01913d631647c71ecec9e9cb8",
        )],
        "mnist" => idx_files(
            &pick("https://ossci-datasets.s3.amazonaws.com/mnist"),
            [
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            ],
        ),
        "fashion-mnist" => idx_files(
            &pick("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com"),
            [
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            ],
        ),
        other => {
            return Err(DataError::Invalid(format!(
                "data set `{other}` has nothing to download (it is generated)"
            )))
        }
    };
    Ok(list)
}

/// sha256 of a file, or of its gzip-decompressed content.
pub fn sha256_of(path: &Path, checked: Checked) -> Result<String> {
    hash_of::<sha2::Sha256>(path, checked)
}

/// The checksum of `path` of the kind `want` is.
pub fn digest_of(path: &Path, checked: Checked, want: &Digest) -> Result<String> {
    match want {
        Digest::Sha256(_) => hash_of::<sha2::Sha256>(path, checked),
        Digest::Md5(_) => hash_of::<md5::Md5>(path, checked),
    }
}

fn hash_of<H: sha2::Digest>(path: &Path, checked: Checked) -> Result<String> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut reader: Box<dyn Read> = match checked {
        Checked::File => Box::new(std::io::BufReader::new(file)),
        Checked::Content => Box::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file))),
    };
    let mut hasher = H::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| DataError::format(path, format!("cannot read for checksum: {e}")))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Downloads every file of `files` into `dir` (skipping those already there with the right
/// checksum) and returns their paths. `progress` shows a bar per file.
pub fn fetch(files: &[Remote], dir: &Path, progress: bool) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
    // Parts of downloads a killed process left behind.
    crate::fsio::remove_stale_temporaries(dir, 0);
    let mut out = Vec::new();
    for r in files {
        let dest = dir.join(&r.file);
        if dest.is_file()
            && digest_of(&dest, r.checked, &r.digest).ok().as_deref() == Some(r.digest.hex())
        {
            out.push(dest);
            continue;
        }
        download_one(r, &dest, progress)?;
        out.push(dest);
    }
    Ok(out)
}

fn download_one(r: &Remote, dest: &Path, progress: bool) -> Result<()> {
    let fail = |message: String| DataError::Download {
        file: r.file.clone(),
        message,
    };
    let part = crate::fsio::temp_path(dest);
    let result = (|| {
        let response = ureq::get(&r.url)
            .call()
            .map_err(|e| fail(format!("{}: {e}", r.url)))?;
        let mut body = response.into_body();
        let total = body.content_length();
        let bar = if progress {
            crate::progress::bytes_bar(total, &r.file)
        } else {
            indicatif::ProgressBar::hidden()
        };
        let mut reader = body.as_reader();
        let mut file = std::fs::File::create(&part).map_err(|e| DataError::io(&part, e))?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(|e| fail(format!("{}: {e}", r.url)))?;
            if n == 0 {
                break;
            }
            file.write_all(&buf[..n])
                .map_err(|e| DataError::io(&part, e))?;
            bar.inc(n as u64);
        }
        file.sync_all().map_err(|e| DataError::io(&part, e))?;
        bar.finish_and_clear();
        let got = digest_of(&part, r.checked, &r.digest)
            .map_err(|e| fail(format!("downloaded file is unreadable: {e}")))?;
        if got != r.digest.hex() {
            return Err(fail(format!(
                "{} mismatch for {} from {}: expected {}, got {got} ({}); the file was discarded",
                r.digest.kind(),
                r.file,
                r.url,
                r.digest.hex(),
                if r.checked == Checked::Content {
                    "of the decompressed content"
                } else {
                    "of the file"
                }
            )));
        }
        crate::fsio::commit(&part, dest).map_err(|e| DataError::io(dest, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    result
}
