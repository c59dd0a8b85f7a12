//! A lock file that makes sure two processes never train the same healthy model at once, and
//! that does not outlive its holder.
//!
//! The file (`EXP/healthy.lock`) is created exclusively, whole (written aside, then hard-linked
//! into place), and names its holder: host, process id,
//! the process's start time (so that a reused process id is not taken for the holder), a random
//! token, and a heartbeat (the file's modification time, touched every [`HEARTBEAT`] by a thread
//! of the holder). Another process takes over a lock whose holder is gone: on the same host, a
//! process that no longer runs; on another host (a shared file system), a heartbeat older than
//! [`STALE_AFTER`]. So a holder killed by SIGKILL, a node failure or `scontrol requeue` leaves a
//! lock that the next process removes, and the healthy training resumes from its last epoch.
//!
//! Taking over is a rename of the abandoned file to a name of one's own, then a check that the
//! file moved is the one found abandoned: two processes that both found it abandoned cannot
//! both win, and neither removes a lock the other has just created. A holder removes its lock on
//! drop only while the file still carries its token.
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
/// A lock file that names no holder and is older than this is taken to be abandoned: writing
/// a few lines takes far less.
pub const UNWRITTEN_AFTER: Duration = Duration::from_secs(10);

/// A held lock; dropping it stops the heartbeat and removes the file (if still its own).
pub struct Lock {
    path: PathBuf,
    token: String,
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
    /// The holder's start time (Linux: clock ticks since boot, /proc/PID/stat), when recorded.
    pub start: Option<u64>,
    /// The holder's random token, when recorded.
    pub token: Option<String>,
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

/// The start time of process `pid` (field 22 of /proc/PID/stat: clock ticks since boot).
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after its ')' are plain.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Whether the process `pid` started at `start` (when known) still runs on this host.
fn process_alive(pid: u32, start: Option<u64>) -> bool {
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
            && start.is_none_or(|s| start_time(pid) == Some(s))
    } else {
        // Without /proc the heartbeat decides, as for another host.
        true
    }
}

/// A token no other lock file will carry: the time, this process and a counter.
fn new_token() -> String {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let k = COUNT.fetch_add(1, Ordering::Relaxed);
    format!("{nanos:x}-{:x}-{k}", std::process::id())
}

/// Reads the holder named in a lock file (None if the file is gone or unreadable).
pub fn holder(path: &Path) -> Option<Holder> {
    let text = std::fs::read_to_string(path).ok()?;
    let (mut host, mut pid, mut start, mut token) = (None, None, None, None);
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("host ") {
            host = Some(h.to_string());
        } else if let Some(p) = line.strip_prefix("pid ") {
            pid = p.trim().parse().ok();
        } else if let Some(s) = line.strip_prefix("start ") {
            start = s.trim().parse().ok();
        } else if let Some(t) = line.strip_prefix("token ") {
            token = Some(t.trim().to_string());
        }
    }
    Some(Holder {
        host: host?,
        pid: pid?,
        start,
        token,
    })
}

/// Whether the lock at `path` has a live holder (false when there is no lock).
pub fn is_held(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    let age = meta
        .modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok());
    match holder(path) {
        Some(h) if h.host == host_name() => process_alive(h.pid, h.start),
        // Another host: trust a recent heartbeat.
        Some(_) => age.is_none_or(|age| age < STALE_AFTER),
        // Naming no holder: being written in place (where hard links fail), or left half
        // written by a holder killed in between (or by atrophy 0.1.0, which always wrote in
        // place). Only the first lasts.
        None => age.is_none_or(|age| age < UNWRITTEN_AFTER),
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
            let token = new_token();
            match create_whole(path, &token) {
                Ok(()) => return Ok(Some(Lock::start(path, token))),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let Ok(found) = std::fs::read(path) else {
                        continue; // gone meanwhile: try to create it
                    };
                    if is_held(path) || !take_over(path, &found)? {
                        return Ok(None);
                    }
                }
                Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
            }
        }
        Ok(None)
    }

    /// The lock file's text for this process.
    fn text(token: &str) -> String {
        let me = std::process::id();
        let start = start_time(me).map_or(String::new(), |s| format!("start {s}\n"));
        format!("host {}\npid {me}\n{start}token {token}\n", host_name())
    }

    fn start(path: &Path, token: String) -> Lock {
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
            token,
            stop,
            heartbeat: Some(heartbeat),
        }
    }
}

/// Creates the lock file at `path` (an `AlreadyExists` error when there is one) with its whole
/// text at once: written under a name of its own, then hard-linked into place, which fails if a
/// lock exists. A process killed at any moment leaves no lock or a complete one; created empty
/// and then written, a lock whose holder was killed in between named no holder and looked held
/// until it was [`STALE_AFTER`] old. Where hard links fail (some file systems) it is created
/// and written in place.
fn create_whole(path: &Path, token: &str) -> std::io::Result<()> {
    let text = Lock::text(token);
    let tmp = crate::fsio::temp_path(path);
    let linked = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|_| f.sync_all()))
        .and_then(|_| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()
        }
        other => other,
    }
}

/// Removes the abandoned lock at `path` whose contents were `found`, unless another process has
/// replaced it meanwhile: the file is renamed to a name of this process's own (one rename of a
/// file can succeed), and put back if it is not the one found. True when `path` is now free.
fn take_over(path: &Path, found: &[u8]) -> Result<bool> {
    let aside = crate::fsio::temp_path(path).with_extension(new_token());
    match std::fs::rename(path, &aside) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(e).with_context(|| format!("moving {}", path.display())),
    }
    let moved = std::fs::read(&aside).unwrap_or_default();
    if moved != found {
        // Another process's fresh lock: back in place unless a newer one is there already
        // (a hard link does not replace an existing file).
        let _ = std::fs::hard_link(&aside, path);
        let _ = std::fs::remove_file(&aside);
        return Ok(false);
    }
    let _ = std::fs::remove_file(&aside);
    Ok(true)
}

impl Drop for Lock {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.heartbeat.take() {
            let _ = h.join();
        }
        // Only our own: a holder paused past STALE_AFTER may have been replaced.
        if holder(&self.path).and_then(|h| h.token) == Some(self.token.clone()) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The lock file of a results folder: `DIR/run.lock`.
pub const FOLDER_LOCK: &str = "run.lock";

/// Takes the lock of the results folder `dir` (`DIR/run.lock`) for as long as the returned
/// [`Lock`] lives. When a live process holds it: with `wait`, waits (saying so once) until it
/// is free; without, an error that names the holder and the lock file. A lock whose holder died
/// (or, from another host, stopped its heartbeat) is taken over.
pub fn hold_folder(dir: &Path, wait: bool) -> Result<Lock> {
    let path = dir.join(FOLDER_LOCK);
    let mut told = false;
    loop {
        if let Some(l) = Lock::try_acquire(&path)? {
            return Ok(l);
        }
        let who = holder(&path)
            .map(|h| h.to_string())
            .unwrap_or_else(|| "another process".into());
        if !wait {
            anyhow::bail!(
                "{} is in use: {who} is running in it (lock {}); wait for it to end, rerun with \
                 --wait to wait for it, or give another --out",
                dir.display(),
                path.display()
            );
        }
        if !told {
            eprintln!(
                "waiting: {who} is running in {} (lock {})",
                dir.display(),
                path.display()
            );
            told = true;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lock appears with its whole text (no temporary file left beside it); a lock file that
    /// names no holder (written in place by a holder killed before it wrote, or by 0.1.0) counts
    /// as held only while it is younger than UNWRITTEN_AFTER.
    #[test]
    fn a_lock_is_whole_or_abandoned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.lock");
        let lock = Lock::try_acquire(&path).unwrap().expect("free");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["run.lock"], "a temporary file was left");
        assert_eq!(holder(&path).unwrap().pid, std::process::id());
        drop(lock);
        std::fs::write(&path, "").unwrap();
        assert!(is_held(&path), "an empty lock may be being written");
        assert!(Lock::try_acquire(&path).unwrap().is_none());
        let old = SystemTime::now() - UNWRITTEN_AFTER - Duration::from_secs(1);
        std::fs::File::options()
            .append(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert!(!is_held(&path));
        let lock = Lock::try_acquire(&path)
            .unwrap()
            .expect("an unwritten lock is taken over");
        assert_eq!(holder(&path).unwrap().pid, std::process::id());
        drop(lock);
        assert!(!path.exists());
    }

    #[test]
    fn one_holder_at_a_time_and_a_dead_holders_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("healthy.lock");
        let lock = Lock::try_acquire(&path).unwrap().expect("free");
        assert!(is_held(&path));
        let h = holder(&path).unwrap();
        assert_eq!((h.host, h.pid), (host_name(), std::process::id()));
        assert_eq!(h.start, start_time(std::process::id()));
        assert!(h.token.is_some());
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

        // This very process id, started at another time: a reused id, not the holder.
        let me = std::process::id();
        std::fs::write(
            &path,
            format!("host {}\npid {me}\nstart 1\ntoken x\n", host_name()),
        )
        .unwrap();
        assert!(!is_held(&path));
        let lock = Lock::try_acquire(&path)
            .unwrap()
            .expect("a reused pid's lock taken over");
        // Replaced behind its back (it was paused past STALE_AFTER, say), a holder leaves the
        // new lock alone when it drops.
        std::fs::write(&path, "host elsewhere\npid 1\ntoken theirs\n").unwrap();
        drop(lock);
        assert_eq!(holder(&path).unwrap().token.as_deref(), Some("theirs"));

        // Two processes found the same lock abandoned; the first took it over and created its
        // own. The second's take-over must not remove that one.
        let stale = format!("host {}\npid {me}\nstart 1\ntoken old\n", host_name());
        std::fs::write(&path, &stale).unwrap();
        let winner = Lock::try_acquire(&path).unwrap().expect("first taker");
        assert!(!take_over(&path, stale.as_bytes()).unwrap(), "second taker");
        assert_eq!(holder(&path).unwrap().token, Some(winner.token.clone()));
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "a moved-aside file was left behind");
        drop(winner);
        assert!(!path.exists());
    }
}
