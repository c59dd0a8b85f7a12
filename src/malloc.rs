//! Keeps freed memory in the process instead of handing it back to the kernel.
//!
//! libtorch allocates every activation and gradient afresh with the C library's `malloc`. glibc
//! serves blocks above 32 MiB (an early full-width vgg19_bn activation at batch 128 is 33.5 MB)
//! with a fresh `mmap` and unmaps them on `free`, so each forward pass faults in tens of
//! thousands of zeroed pages again; smaller blocks are trimmed off the heap's top in the same
//! way. Serving everything from the heap and never trimming it made the full-width model train
//! about 15 % faster and infer 10-18 % faster on the benchmark machine (bench/RESULTS.md); it is
//! what PyTorch's CPU tuning guide gets by preloading jemalloc or tcmalloc. The price is that
//! the process keeps its peak memory until it exits, as a caching GPU allocator does.
//!
//! The settings govern glibc's main arena, which serves the main thread, where libtorch allocates
//! tensors. Worker threads (rayon in the analysis kernels, libtorch's intra-op pool) allocate
//! from arenas of their own, which still `mmap` blocks too large for their 64 MiB heaps and
//! unmap heaps that fall empty: those behave as without the setting.
//!
//! Applied by the `atrophy` binary at start-up. `ATROPHY_MALLOC_TUNING=0` leaves glibc's
//! defaults, and so does any `MALLOC_*` or `GLIBC_TUNABLES` setting of the user's own.

/// Whether [`tune`] would change anything given `ATROPHY_MALLOC_TUNING` and the user's own
/// allocator settings (`vars`: the environment).
pub fn wanted(vars: impl IntoIterator<Item = (String, String)>) -> bool {
    let mut want = true;
    for (k, v) in vars {
        if k == "ATROPHY_MALLOC_TUNING" {
            want &= !matches!(v.as_str(), "0" | "false" | "off");
        }
        if k.starts_with("MALLOC_") || k == "GLIBC_TUNABLES" {
            want = false;
        }
    }
    want
}

/// Turns off `mmap` for large blocks and trimming of the heap, unless [`wanted`] says no for
/// this process's environment. Returns whether it did. Call it before the first large
/// allocation; later calls change nothing already allocated. A no-op outside glibc.
pub fn tune() -> bool {
    if !wanted(std::env::vars()) {
        return false;
    }
    apply()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn apply() -> bool {
    // SAFETY: mallopt only sets allocator parameters; it is safe to call at any time.
    unsafe {
        libc::mallopt(libc::M_MMAP_MAX, 0) == 1
            && libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX) == 1
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn apply() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::{apply, wanted};

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_user_can_opt_out_or_tune_glibc_themselves() {
        assert!(wanted(env(&[("HOME", "/root")])));
        assert!(wanted(env(&[("ATROPHY_MALLOC_TUNING", "1")])));
        assert!(!wanted(env(&[("ATROPHY_MALLOC_TUNING", "0")])));
        assert!(!wanted(env(&[("MALLOC_ARENA_MAX", "2")])));
        assert!(!wanted(env(&[(
            "GLIBC_TUNABLES",
            "glibc.malloc.mmap_max=0"
        )])));
    }

    /// glibc takes both settings (mallopt returns 1); elsewhere nothing is applied. (This sets
    /// them for the whole unit-test process, which is harmless.)
    #[test]
    fn the_settings_are_accepted_where_glibc_is_the_allocator() {
        let glibc = cfg!(all(target_os = "linux", target_env = "gnu"));
        assert_eq!(apply(), glibc);
    }
}
