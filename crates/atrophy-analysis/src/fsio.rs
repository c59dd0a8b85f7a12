//! Atomic file writes: a reader (or a crash) never sees a half-written file.
use std::io::Write;
use std::path::{Path, PathBuf};

/// The temporary name a file is written under before it is renamed into place.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(format!(".{}.tmp", std::process::id()));
    path.with_file_name(name)
}

/// Removes the temporary files ([`temp_path`]: `NAME.<pid>.tmp`, or `NAME.EXT.<pid>.EXT` for
/// EXT `safetensors`, `pt`, `png` or `svg`, as the tensor, TorchScript and figure writers name
/// theirs) that processes
/// which no longer run left in `dir` and its subfolders (to `depth` levels): the litter of a run
/// killed mid-write. Files of a live process, and anything else (a user's `ckpt.100.pt`), stay.
/// Where processes cannot be looked up (no /proc), nothing is removed.
pub fn remove_stale_temporaries(dir: &Path, depth: usize) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            if depth > 0 {
                remove_stale_temporaries(&path, depth - 1);
            }
            continue;
        }
        let name = e.file_name().to_string_lossy().into_owned();
        // NAME.<pid>.tmp, or NAME.EXT.<pid>.EXT as the tensor and TorchScript writers name
        // theirs (a library that wants its own extension): the extension twice, so that a
        // user's `model.3.safetensors` is not taken for one.
        let parts: Vec<&str> = name.rsplitn(3, '.').collect();
        let [ext, pid, stem] = parts[..] else {
            continue;
        };
        let ours = match ext {
            "tmp" => true,
            "safetensors" | "pt" | "png" | "svg" => stem.ends_with(&format!(".{ext}")),
            _ => false,
        };
        if !ours {
            continue;
        }
        if let Ok(pid) = pid.parse::<u32>() {
            if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

/// Makes a finished temporary file `tmp` durable and moves it over `path`: its data synced,
/// renamed, then the folder synced so that the rename itself survives a power loss (best
/// effort where a folder cannot be opened). On error `tmp` is removed and `path` is left as it
/// was. For files a library writes itself (safetensors, TorchScript) under [`temp_path`].
pub fn commit(tmp: &Path, path: &Path) -> std::io::Result<()> {
    let result = (|| {
        std::fs::File::open(tmp)?.sync_all()?;
        std::fs::rename(tmp, path)?;
        sync_parent(path);
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    result.map_err(|e| named(e, "writing", path))
}

/// Syncs the folder holding `path` (its entries: a rename into it), where the platform allows.
fn sync_parent(path: &Path) {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d.to_path_buf(),
        None => PathBuf::from("."),
    };
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Writes `bytes` to `path` atomically: to a temporary file in the same folder, synced, then
/// renamed over `path`, and the folder synced.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// Writes through `fill` to a temporary file beside `path`, then renames it into place; on any
/// error the temporary file is removed and `path` is left as it was.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| named(e, "creating", dir))?;
    }
    let tmp = temp_path(path);
    let result = (|| {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        fill(&mut w)?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        sync_parent(path);
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| named(e, "writing", path))
}

/// `e` with what was being done and to which file in its message (an `io::Error` alone says
/// "No space left on device" and nothing of where); its kind is kept.
pub fn named(e: std::io::Error, doing: &str, path: &Path) -> std::io::Error {
    let prefix = format!("{doing} {}: ", path.display());
    if e.to_string().starts_with(&prefix) {
        return e;
    }
    std::io::Error::new(e.kind(), format!("{prefix}{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dead process's temporary file is removed, a live one's and other files stay.
    #[test]
    fn stale_temporaries_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("cka");
        std::fs::create_dir_all(&sub).unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = sub.join(format!("m.npy.{dead}.tmp"));
        let stale_tensors = sub.join(format!("w.safetensors.{dead}.safetensors"));
        let live = sub.join(format!("m.npy.{}.tmp", std::process::id()));
        let others = [
            sub.join("notes.tmp"),
            sub.join("step-3.weights.safetensors"),
            // A user's numbered files, whatever the number.
            sub.join(format!("ckpt.{dead}.pt")),
            sub.join(format!("model.{dead}.safetensors")),
        ];
        for p in [&stale, &stale_tensors, &live].into_iter().chain(&others) {
            std::fs::write(p, b"x").unwrap();
        }
        remove_stale_temporaries(dir.path(), 1);
        if Path::new("/proc/self").exists() {
            assert!(!stale.exists() && !stale_tensors.exists());
        }
        assert!(live.exists() && others.iter().all(|p| p.exists()));
    }
    #[test]
    fn failed_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_atomic(&p, b"old").unwrap();
        let err = write_atomic_with(&p, |w| {
            w.write_all(b"partial")?;
            Err(std::io::Error::other("boom"))
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "temporary file left behind"
        );
    }
}
