//! The memory a network needs to train, estimated before anything is allocated, against the
//! machine's memory: a model that cannot fit is refused with the field that makes it so,
//! instead of a libtorch allocation failure (a panic) minutes or hours later.
use super::arch::{Architecture, Op};

/// Bytes per value (float32).
const BYTES: u128 = 4;

/// What training `arch` on batches of `batch` images needs, estimated in bytes: every
/// parameter four times (the weights, their gradient, the momentum buffer, and the healthy copy
/// an experiment restores each cycle from), every buffer (BatchNorm's running statistics) twice
/// (itself and the healthy copy), and every layer's output twice per image (kept for the
/// backward pass, and its gradient). Workspace of the kernels is not counted: the estimate
/// is a lower bound, so a refusal is certain, not a guess.
pub fn training_bytes(arch: &Architecture, batch: usize) -> u128 {
    let layers = arch.layers().unwrap_or_default();
    // BatchNorm's running mean and variance sit beside its scale and shift.
    let buffers: u128 = (layers.iter())
        .map(|l| match l.op {
            Op::BatchNorm { channels } => 2 * channels as u128,
            _ => 0,
        })
        .sum();
    let params = arch.parameter_count_u128();
    let activations: u128 = layers
        .iter()
        .map(|l| l.out_shape.iter().map(|&d| d as u128).product::<u128>())
        .sum();
    BYTES * (4 * params + 2 * buffers + 2 * activations * batch.max(1) as u128)
}

/// The memory a run may use: `$ATROPHY_MEMORY_BUDGET` (bytes, or with a suffix K, M, G, T:
/// `8G`), else the machine's memory (Linux: MemTotal of /proc/meminfo); None where neither is
/// known (then nothing is refused).
pub fn memory_budget() -> Result<Option<u128>, String> {
    if let Ok(v) = std::env::var("ATROPHY_MEMORY_BUDGET") {
        return parse_bytes(&v)
            .map(Some)
            .ok_or_else(|| format!("$ATROPHY_MEMORY_BUDGET = {v:?}: expected bytes, e.g. 8G"));
    }
    let Ok(text) = std::fs::read_to_string("/proc/meminfo") else {
        return Ok(None);
    };
    Ok(text
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u128>().ok())
        .map(|kb| kb * 1024))
}

/// `123`, `8G`, `512M`, `1.5T` as bytes (powers of 1024).
pub fn parse_bytes(s: &str) -> Option<u128> {
    let s = s.trim();
    let (num, unit) = match s.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&s[..i], s[i..].trim_end_matches(['B', 'b'])),
        None => (s, ""),
    };
    let scale: u128 = match unit.to_ascii_uppercase().as_str() {
        "" => 1,
        "K" | "KI" => 1 << 10,
        "M" | "MI" => 1 << 20,
        "G" | "GI" => 1 << 30,
        "T" | "TI" => 1 << 40,
        _ => return None,
    };
    let v: f64 = num.trim().parse().ok()?;
    (v.is_finite() && v > 0.0).then_some((v * scale as f64) as u128)
}

/// `bytes` in words: `36.0 GB`.
pub fn gigabytes(bytes: u128) -> String {
    format!("{:.1} GB", bytes as f64 / (1u128 << 30) as f64)
}

/// Why a model cannot be trained within the memory budget.
#[derive(Clone, Debug, PartialEq)]
pub enum BudgetError {
    /// `$ATROPHY_MEMORY_BUDGET` does not read as a size.
    BadBudget(String),
    /// The estimate exceeds the budget: the message says both and where the budget comes from.
    TooLarge(String),
}

/// Refuses training `arch` at `batch` when its estimate exceeds the budget (the host's memory:
/// a GPU's own is smaller, and libtorch says so when it runs out).
pub fn check_fits(arch: &Architecture, batch: usize) -> Result<(), BudgetError> {
    let Some(budget) = memory_budget().map_err(BudgetError::BadBudget)? else {
        return Ok(());
    };
    let need = training_bytes(arch, batch);
    if need <= budget {
        return Ok(());
    }
    Err(BudgetError::TooLarge(format!(
        "training it needs at least {} (its {} parameters four times, its layers' outputs for {} \
         images twice, in float32), more than the {} budget ({}); choose smaller widths or \
         batch_size",
        gigabytes(need),
        arch.parameter_count_u128(),
        batch,
        gigabytes(budget),
        if std::env::var("ATROPHY_MEMORY_BUDGET").is_ok() {
            "$ATROPHY_MEMORY_BUDGET"
        } else {
            "this machine's memory; $ATROPHY_MEMORY_BUDGET sets another"
        }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-worked: small_cnn-like stages 8,M on 28x28 grey images, 10 classes.
    #[test]
    fn the_estimate_counts_parameters_four_times_and_outputs_twice_per_image() {
        let a = Architecture::preset("small_cnn", Some("8,M"), 1, 28, 10).unwrap();
        let layers = a.layers().unwrap();
        let outputs: usize = layers
            .iter()
            .map(|l| l.out_shape.iter().product::<usize>())
            .sum();
        let bn: usize = layers
            .iter()
            .map(|l| match l.op {
                Op::BatchNorm { channels } => 2 * channels,
                _ => 0,
            })
            .sum();
        // Buffers (running mean and variance): stored twice, never trained.
        let params = a.parameter_count();
        assert_eq!(
            training_bytes(&a, 3),
            4 * (4 * params as u128 + 2 * bn as u128 + 2 * 3 * outputs as u128)
        );
    }

    #[test]
    fn byte_sizes_parse_with_suffixes() {
        assert_eq!(parse_bytes("123"), Some(123));
        assert_eq!(parse_bytes("8G"), Some(8 << 30));
        assert_eq!(parse_bytes("512MiB"), Some(512 << 20));
        assert_eq!(parse_bytes("1.5K"), Some(1536));
        for bad in ["", "-1", "8Q", "G", "NaN"] {
            assert_eq!(parse_bytes(bad), None, "{bad}");
        }
    }

    /// A 10^9-wide layer (the case: 36 GB in libtorch) is far beyond any laptop; the
    /// bench widths are not.
    #[test]
    fn a_billion_wide_layer_needs_more_than_a_laptop() {
        let wide = Architecture::preset("vgg19_bn", Some("1000000000,M"), 3, 32, 10).unwrap();
        assert!(training_bytes(&wide, 128) > 1 << 40);
        let bench = Architecture::preset("vgg19_bn", Some("bench"), 3, 32, 10).unwrap();
        assert!(training_bytes(&bench, 128) < 1 << 30);
    }
}
