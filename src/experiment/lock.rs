//! A lock file that makes sure two processes never train the same healthy model at once, and
//! that does not outlive its holder.
//!
//! The file (`EXP/healthy.lock`) is created exclusively and names its holder: host, process id,
//! and a heartbeat (the file's modification time, touched every [`HEARTBEAT`] by a thread of the
//! holder). Another process takes over a lock whose holder is gone: on the same host, a process
//! id that no longer runs; on another host (a shared file system), a heartbeat older than
//! [`STALE_AFTER`]. So a holder killed by SIGKILL, a node failure or `scontrol requeue` leaves a
//! lock that the next process removes, and the healthy training resumes from its last epoch.
use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How often a holder refreshes its lock.
pub const HEARTBEAT: Duration = Duration::from_secs(30);
/// A lock from another host whose heartbeat is older than this is taken to be abandoned.
pub const STALE_AFTER: Duration = Duration::from_secs(300);

/// A held lock; dropping it stops the heartbeat and removes the file.
pub struct Lock {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    heartbeat: Option<std::thread::JoinHandle<()>>,
}

/// Who holds a lock file, as written in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// Host name of the holder.
    pub host: String,
    /// Process id of the holder on that host.
    pub pid: u32,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "process {} on {}", self.pid, self.host)
    }
}

/// This machine's host name (Linux: the kernel's; elsewhere `$HOSTNAME`).
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into())
}

fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        // Without /proc the heartbeat decides, as for another host.
        true
    }
}

/// Reads the holder named in a lock file (None if the file is gone or unreadable).
pub fn holder(path: &Path) -> Option<Holder> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut host = None;
    let mut pid = None;
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("host ") {
            host = Some(h.to_string());
        } else if let Some(p) = line.strip_prefix("pid ") {
            pid = p.trim().parse().ok();
        }
    }
    Some(Holder {
        host: host?,
        pid: pid?,
    })
}

/// Whether the lock at `path` has a live holder (false when there is no lock).
pub fn is_held(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    match holder(path) {
        Some(h) if h.host == host_name() => process_alive(h.pid),
        // Another host (or a lock being written): trust a recent heartbeat.
        _ => meta
            .modified()
            .ok()
            .and_then(|m| SystemTime::now().duration_since(m).ok())
            .is_none_or(|age| age < STALE_AFTER),
    }
}

impl Lock {
    /// Takes the lock at `path`, removing it first if its holder is gone. `Ok(None)` when a live
    /// process holds it.
    pub fn try_acquire(path: &Path) -> Result<Option<Lock>> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(mut f) => {
                    writeln!(f, "host {}\npid {}", host_name(), std::process::id())
                        .and_then(|_| f.sync_all())
                        .with_context(|| format!("writing {}", path.display()))?;
                    return Ok(Some(Lock::start(path)));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if is_held(path) {
                        return Ok(None);
                    }
                    // Abandoned: remove it and try once more (another process may win the race).
                    let _ = std::fs::remove_file(path);
                }
                Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
            }
        }
        Ok(None)
    }

    fn start(path: &Path) -> Lock {
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (path.to_path_buf(), stop.clone());
        let heartbeat = std::thread::spawn(move || {
            let tick = Duration::from_millis(200);
            let mut since = Duration::ZERO;
            while !s.load(Ordering::Relaxed) {
                std::thread::sleep(tick);
                since += tick;
                if since >= HEARTBEAT {
                    since = Duration::ZERO;
                    if let Ok(f) = std::fs::OpenOptions::new().append(true).open(&p) {
                        let _ = f.set_modified(SystemTime::now());
                    }
                }
            }
        });
        Lock {
            path: path.to_path_buf(),
            stop,
            heartbeat: Some(heartbeat),
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.heartbeat.take() {
            let _ = h.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_a_dead_holders_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("healthy.lock");
        let lock = Lock::try_acquire(&path).unwrap().expect("free");
        assert!(is_held(&path));
        assert_eq!(
            holder(&path).unwrap(),
            Holder {
                host: host_name(),
                pid: std::process::id()
            }
        );
        assert!(Lock::try_acquire(&path).unwrap().is_none(), "held");
        drop(lock);
        assert!(!path.exists(), "released on drop");
        // A lock left by a process that no longer runs (a killed holder) is taken over.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        std::fs::write(&path, format!("host {}\npid {dead}\n", host_name())).unwrap();
        assert!(!is_held(&path));
        let lock = Lock::try_acquire(&path)
            .unwrap()
            .expect("stale lock taken over");
        assert_eq!(holder(&path).unwrap().pid, std::process::id());
        drop(lock);
        // Another host's lock: held while its heartbeat is recent, abandoned when old.
        std::fs::write(&path, "host elsewhere-node-17\npid 1\n").unwrap();
        assert!(is_held(&path));
        let old = SystemTime::now() - STALE_AFTER - Duration::from_secs(1);
        std::fs::File::options()
            .append(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert!(!is_held(&path));
        assert!(Lock::try_acquire(&path).unwrap().is_some());
    }
}
