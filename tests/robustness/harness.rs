//! The harness of the mutation test: run a reader on an input, catch panics, check the error
//! names the file and that a success is the same on a second read; keep failing inputs.
use std::fmt::Debug;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Counts and failures of one reader's run.
pub struct Harness {
    pub reader: &'static str,
    pub seed: u64,
    pub tried: usize,
    pub ok: usize,
    pub errors: usize,
    pub failures: Vec<String>,
}

impl Harness {
    pub fn new(reader: &'static str, seed: u64) -> Self {
        Harness {
            reader,
            seed,
            tried: 0,
            ok: 0,
            errors: 0,
            failures: Vec::new(),
        }
    }

    /// Runs `read` on the current input (files `inputs`, the mutated one named `names`), twice
    /// when it succeeds. It must not panic; an error must name one of `names`; a success must
    /// give the same value both times and pass `sane`.
    pub fn check<T: PartialEq + Debug>(
        &mut self,
        what: &str,
        names: &[&str],
        inputs: &[&Path],
        read: impl Fn() -> Result<T, String>,
        sane: impl Fn(&T) -> Result<(), String>,
    ) {
        self.tried += 1;
        let problem = match catch_unwind(AssertUnwindSafe(&read)) {
            Err(p) => Some(format!("panicked: {}", panic_text(&p))),
            Ok(Err(e)) if names.iter().any(|n| e.contains(n)) => {
                self.errors += 1;
                None
            }
            Ok(Err(e)) => Some(format!("the error does not name {names:?}: {e}")),
            Ok(Ok(first)) => match catch_unwind(AssertUnwindSafe(&read)) {
                Err(p) => Some(format!("the second read panicked: {}", panic_text(&p))),
                Ok(Err(e)) => Some(format!("read once, then failed: {e}")),
                Ok(Ok(second)) if second != first => {
                    Some("two reads of the same input differ".to_string())
                }
                Ok(Ok(_)) => match sane(&first) {
                    Ok(()) => {
                        self.ok += 1;
                        None
                    }
                    Err(e) => Some(format!("accepted an invalid input: {e}")),
                },
            },
        };
        if let Some(p) = problem {
            let kept = keep(self.reader, self.seed, self.tried, inputs);
            if self.failures.len() < 20 {
                self.failures.push(format!(
                    "[{} seed {} input {}] {what}: {p} (input kept in {})",
                    self.reader,
                    self.seed,
                    self.tried,
                    kept.display()
                ));
            }
        }
    }

    /// Fails with every problem found; else returns how many inputs were tried.
    pub fn finish(self, started: Instant) -> usize {
        eprintln!(
            "{}: {} inputs ({} read, {} rejected with an error naming the file) in {:.1} s",
            self.reader,
            self.tried,
            self.ok,
            self.errors,
            started.elapsed().as_secs_f64()
        );
        assert!(
            self.failures.is_empty(),
            "{} of {} inputs failed:\n{}",
            self.reader,
            self.tried,
            self.failures.join("\n")
        );
        self.tried
    }
}

pub fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".into())
}

/// Copies a failing input's files to `$TMPDIR/atrophy-robustness/READER-SEED-INPUT/`.
pub fn keep(reader: &str, seed: u64, input: usize, files: &[&Path]) -> PathBuf {
    let dir = std::env::temp_dir()
        .join("atrophy-robustness")
        .join(format!("{reader}-{seed}-{input}"));
    let _ = std::fs::create_dir_all(&dir);
    for f in files {
        if f.is_dir() {
            for e in std::fs::read_dir(f).into_iter().flatten().flatten() {
                let _ = std::fs::copy(e.path(), dir.join(e.file_name()));
            }
        } else if let Some(n) = f.file_name() {
            let _ = std::fs::copy(f, dir.join(n));
        }
    }
    dir
}

pub fn name_of(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// Whether `text` (a value's Debug form) holds a NaN or infinite number outside its strings.
pub fn non_finite(text: &str) -> bool {
    let (mut bare, mut quoted, mut escaped) = (String::new(), false, false);
    for c in text.chars() {
        match c {
            '\\' if quoted && !escaped => {
                escaped = true;
                continue;
            }
            '"' if !escaped => quoted = !quoted,
            c if !quoted => bare.push(c),
            _ => {}
        }
        escaped = false;
    }
    bare.split([' ', ',', '[', ']', '(', ')', '{', '}', ':'])
        .any(|t| matches!(t, "NaN" | "inf" | "-inf"))
}

/// A value compared by its Debug form, so that a NaN read twice counts as the same.
#[derive(Debug)]
pub struct ByDebug<T: Debug>(pub T);

impl<T: Debug> PartialEq for ByDebug<T> {
    fn eq(&self, other: &Self) -> bool {
        format!("{:?}", self.0) == format!("{:?}", other.0)
    }
}
