//! The representational-similarity commands: `rdm` (1 - Pearson r between images), `kendall`
//! (Kendall's tau between two RDMs or vectors) and `rsa` (both RDMs and tau in one step).
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use ndarray::Array2;

use super::analysis::with_csv_extension;
use crate::analysis::npy::{self, Matrix, NpyFile};
use crate::analysis::{self, TauVariant};

/// Representational dissimilarity matrix: RDM[i][j] = 1 - Pearson r between the activation
/// vectors of images i and j.
///
/// ACTS.npy holds one row per image (n x p, or n x C x H x W flattened). The result is n x n,
/// symmetric, with an exact zero diagonal, computed in float64 (r clipped to [-1, 1] as
/// np.corrcoef does). An image whose activations are all equal is an error (r undefined).
#[derive(Args, Debug, Clone)]
#[command(after_help = "\
Examples:
  atrophy rdm penultimate.npy --out rdm.npy
  atrophy rdm penultimate.npy --out rdm.npy --csv          # also rdm.csv
  atrophy rdm penultimate.npy --out rdm.npy --dtype f32    # half the file
  atrophy rdm penultimate.npy --out pairs.npy --upper      # the n(n-1)/2 pairs only
  atrophy rsa healthy.npy injured.npy                      # RDMs and tau, no files between

numpy check: np.allclose(np.load('rdm.npy'), 1 - np.corrcoef(acts))
  with --upper: np.load('pairs.npy') == (1 - np.corrcoef(acts))[np.triu_indices(n, 1)]")]
pub struct RdmArgs {
    /// Activations, one row per image (.npy).
    pub acts: PathBuf,
    /// Where to write the RDM (.npy).
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the RDM as CSV beside OUT (same name, .csv).
    #[arg(long, conflicts_with = "upper")]
    pub csv: bool,
    /// Precision of the file: f64 (as computed) or f32 (half the size; each value rounded to
    /// float32 after the float64 computation, which can tie or untie nearly equal entries for
    /// Kendall's tau).
    #[arg(long, value_enum, default_value = "f64")]
    pub dtype: DtypeArg,
    /// Write only the strict upper triangle, row by row (a 1-D array of n(n-1)/2 values, each
    /// pair of images once): half the size, and `atrophy kendall` compares two such files as
    /// it compares two RDMs.
    #[arg(long)]
    pub upper: bool,
}

/// Element type of a written array.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DtypeArg {
    /// 32-bit floats.
    F32,
    /// 64-bit floats.
    F64,
}

/// Representational similarity of two sets of activations: both RDMs (1 - Pearson r), then
/// Kendall's tau between them, in one command and without writing the RDMs.
///
/// The same numbers as `atrophy rdm A.npy --out a.npy`, `atrophy rdm B.npy --out b.npy`,
/// `atrophy kendall a.npy b.npy`, without the two n x n files (800 MB each at n = 10,000).
/// Prints tau; the pair counts go to stderr.
#[derive(Args, Debug, Clone)]
#[command(after_help = "\
Examples:
  atrophy rsa healthy_pool3.npy injured_pool3.npy                 # tau-b over the RDM triangles
  atrophy rsa healthy_pool3.npy injured_pool3.npy --variant a     # tau-a, as rsatoolbox
  atrophy rsa healthy_pool3.npy injured_pool3.npy --pairs full    # as paper 001's authors' code

numpy/scipy check: ra, rb = 1 - np.corrcoef(a), 1 - np.corrcoef(b)
  scipy.stats.kendalltau(ra[np.triu_indices(n, 1)], rb[np.triu_indices(n, 1)])")]
pub struct RsaArgs {
    /// Activations of the first model or state, one row per image (.npy, n x p or n x C x H x W).
    pub a: PathBuf,
    /// Activations of the second, for the same images in the same order (any width).
    pub b: PathBuf,
    #[command(flatten)]
    pub tau: TauArgs,
}

/// Which Kendall's tau, over which RDM entries (`kendall` and `rsa`).
#[derive(Args, Debug, Clone)]
pub struct TauArgs {
    /// `b` (tau-b, corrected for ties: scipy.stats.kendalltau's and pandas' default, and
    /// atrophy's everywhere) or `a` (tau-a = (concordant - discordant) / all pairs, as RSA
    /// toolboxes compute it).
    #[arg(long, default_value = "b", value_parser = clap::value_parser!(TauVariant))]
    pub variant: TauVariant,
    /// Which entries of two RDMs: `upper` (each pair of images once) or `full` (the whole
    /// matrices, as paper 001's authors' code); RDMs only.
    #[arg(long, value_enum, default_value = "upper")]
    pub pairs: PairsArg,
}

/// Kendall's rank correlation tau between two RDMs or two vectors, exact, in O(m log m).
///
/// Two square 2-D arrays of the same shape are RDMs: their strict upper triangles (k = 1,
/// n(n-1)/2 values) are compared, or with `--pairs full` the whole matrices flattened (n^2
/// values, diagonal and both triangles: what paper 001's authors' code computed). Two 1-D arrays of the same length are compared as they are.
/// Ties in either input and joint ties are counted exactly (Knight 1966). Prints tau; the pair
/// counts go to stderr.
#[derive(Args, Debug, Clone)]
#[command(after_help = "\
Examples:
  atrophy kendall healthy_rdm.npy injured_rdm.npy              # tau-b
  atrophy kendall healthy_rdm.npy injured_rdm.npy --variant a  # tau-a, as RSA toolboxes
  atrophy kendall x.npy y.npy                                  # two 1-D vectors
  atrophy kendall healthy_rdm.npy injured_rdm.npy --pairs full # whole matrices, as paper 001's code

scipy check (tau-b): scipy.stats.kendalltau(a[np.triu_indices(n, 1)], b[np.triu_indices(n, 1)])
  with --pairs full:  scipy.stats.kendalltau(a.ravel(), b.ravel())")]
pub struct KendallArgs {
    /// First RDM (n x n) or vector (m).
    pub a: PathBuf,
    /// Second RDM or vector, same shape.
    pub b: PathBuf,
    #[command(flatten)]
    pub tau: TauArgs,
}

/// The entries of two RDMs Kendall's tau runs over, on the command line.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairsArg {
    /// The strict upper triangles: each pair of images once.
    Upper,
    /// The whole matrices flattened: diagonal and both triangles.
    Full,
}

/// The RDM of the activations in `path`, computed in float64.
fn rdm_of_file(path: &Path) -> Result<Array2<f64>> {
    match npy::read_matrix(path)? {
        Matrix::F32(a) => analysis::rdm(a.view()),
        Matrix::F64(a) => analysis::rdm(a.view()),
    }
    .with_context(|| format!("RDM of {}", path.display()))
}

/// Writes `a` to `path` as .npy in precision `dtype`.
fn write_as<D: ndarray::Dimension>(
    path: &Path,
    a: ndarray::Array<f64, D>,
    dtype: DtypeArg,
) -> Result<()> {
    match dtype {
        DtypeArg::F64 => npy::write_npy(path, &a)?,
        DtypeArg::F32 => npy::write_npy(path, &a.mapv(|v| v as f32))?,
    }
    Ok(())
}

/// Runs `atrophy rdm`.
pub fn run_rdm(args: &RdmArgs) -> Result<()> {
    let csv = if args.csv {
        Some(with_csv_extension(&args.out)?)
    } else {
        None
    };
    let r = rdm_of_file(&args.acts)?;
    let n = r.nrows();
    if args.upper {
        let pairs = ndarray::Array1::from(analysis::upper_triangle(r.view())?);
        drop(r);
        write_as(&args.out, pairs, args.dtype)?;
        println!(
            "upper triangle of the {n} x {n} RDM ({} pairs) written to {}",
            n * (n - 1) / 2,
            args.out.display()
        );
        return Ok(());
    }
    if let Some(csv) = csv {
        npy::write_csv(&csv, &r)?;
        println!("{n} x {n} RDM written as CSV to {}", csv.display());
    }
    write_as(&args.out, r, args.dtype)?;
    println!("{n} x {n} RDM written to {}", args.out.display());
    Ok(())
}

/// Runs `atrophy rsa`.
pub fn run_rsa(args: &RsaArgs) -> Result<()> {
    print_tau(&rsa_counts(args)?, args.tau.variant, &args.a, &args.b)
}

/// The Kendall pair counts of `atrophy rsa`.
pub fn rsa_counts(args: &RsaArgs) -> Result<analysis::KendallCounts> {
    let (ra, rb) = (rdm_of_file(&args.a)?, rdm_of_file(&args.b)?);
    if ra.dim() != rb.dim() {
        bail!(
            "{} has {} images but {} has {}; RSA compares the same images",
            args.a.display(),
            ra.nrows(),
            args.b.display(),
            rb.nrows()
        );
    }
    Ok(analysis::rdm_kendall_counts_over(
        ra.view(),
        rb.view(),
        pairs_of(args.tau.pairs),
    )?)
}

fn pairs_of(p: PairsArg) -> analysis::RdmPairs {
    match p {
        PairsArg::Upper => analysis::RdmPairs::Upper,
        PairsArg::Full => analysis::RdmPairs::Full,
    }
}

/// Runs `atrophy kendall`.
pub fn run_kendall(args: &KendallArgs) -> Result<()> {
    print_tau(
        &kendall_counts_of_files(args)?,
        args.tau.variant,
        &args.a,
        &args.b,
    )
}

/// The Kendall pair counts of `atrophy kendall`.
pub fn kendall_counts_of_files(args: &KendallArgs) -> Result<analysis::KendallCounts> {
    let fa = NpyFile::open(&args.a)?;
    let fb = NpyFile::open(&args.b)?;
    if fa.shape != fb.shape {
        bail!(
            "{} has shape {:?} but {} has shape {:?}; Kendall's tau needs the same shape",
            args.a.display(),
            fa.shape,
            args.b.display(),
            fb.shape
        );
    }
    let counts = match fa.shape.as_slice() {
        [n, m] if n == m => {
            let a = fa.read_matrix::<f64>()?;
            let b = fb.read_matrix::<f64>()?;
            analysis::rdm_kendall_counts_over(a.view(), b.view(), pairs_of(args.tau.pairs))?
        }
        [_] if args.tau.pairs == PairsArg::Full => bail!(
            "--pairs full compares whole RDMs; {} is a vector (drop --pairs)",
            args.a.display()
        ),
        [_] => {
            let a = fa.read_matrix::<f64>()?;
            let b = fb.read_matrix::<f64>()?;
            analysis::kendall_counts(a.as_slice().unwrap(), b.as_slice().unwrap())?
        }
        s => bail!(
            "{}: shape {s:?} is neither a square RDM (n x n) nor a vector (m)",
            args.a.display()
        ),
    };
    Ok(counts)
}

/// Prints tau (stdout, full precision) and the pair counts (stderr).
fn print_tau(
    counts: &analysis::KendallCounts,
    variant: TauVariant,
    a: &Path,
    b: &Path,
) -> Result<()> {
    let tau = counts
        .tau(variant)
        .with_context(|| format!("Kendall's {variant} of {} and {}", a.display(), b.display()))?;
    println!("{tau:?}");
    eprintln!(
        "{variant}: {} values, {} pairs, {} concordant, {} discordant, ties: {} in a, {} in b, \
         {} in both",
        counts.len,
        counts.pairs,
        counts.concordant(),
        counts.discordant,
        counts.ties_x,
        counts.ties_y,
        counts.ties_xy
    );
    Ok(())
}
