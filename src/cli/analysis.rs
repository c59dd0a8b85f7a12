//! The torch-free analysis commands: `cka`, `cka-matrix`, `rdm`, `kendall`, `rsa`.
//!
//! They read and write `.npy` so that numpy users can produce the inputs and check the outputs;
//! values print with full precision (shortest decimal that round-trips to the same f64).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use ndarray::Array2;

use crate::analysis::cka_matrix::NpyDirSource;
use crate::analysis::npy::{self, Dtype, Matrix, NpyFile};
use crate::analysis::{self, CkaOptions, Estimator, Kernel, TauVariant};

/// Kernel choice on the command line.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelArg {
    /// k(x, x') = x . x' (the CKA of paper 000).
    Linear,
    /// Gaussian kernel, bandwidth = --sigma-fraction x median pairwise distance.
    Rbf,
}

/// Kendall variant on the command line.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VariantArg {
    /// tau-a = (concordant - discordant) / all pairs; what RSA toolboxes use for RDMs.
    A,
    /// tau-b, corrected for ties (scipy.stats.kendalltau's default).
    B,
}

/// Centred kernel alignment between two representations of the same images.
///
/// X.npy and Y.npy hold activations with one row per image (n x p; conv maps of shape
/// n x C x H x W are flattened to n x C*H*W). Both need the same n. float32 input is multiplied
/// in float32 and reduced in float64; float64 input stays float64. Prints the CKA value.
#[derive(Args, Debug, Clone)]
#[command(after_help = "\
Examples:
  atrophy cka healthy/conv5.npy injured/conv5.npy
  atrophy cka a.npy b.npy --unbiased                 # unbiased HSIC (Song et al. 2012), n >= 4
  atrophy cka a.npy b.npy --kernel rbf --sigma-fraction 0.4

numpy check (linear, biased):
  x = x - x.mean(0); y = y - y.mean(0)
  np.linalg.norm(y.T @ x)**2 / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y))")]
pub struct CkaArgs {
    /// Activations of the first representation (.npy, n x ...).
    pub x: PathBuf,
    /// Activations of the second representation (.npy, same n).
    pub y: PathBuf,
    /// Kernel applied to each representation.
    #[arg(long, value_enum, default_value = "linear")]
    pub kernel: KernelArg,
    /// RBF bandwidth as a fraction of the median pairwise distance (Kornblith et al. use
    /// 0.2 to 0.8).
    #[arg(long, default_value_t = analysis::DEFAULT_SIGMA_FRACTION)]
    pub sigma_fraction: f64,
    /// Normalise the unbiased HSIC estimator instead of the biased one.
    #[arg(long)]
    pub unbiased: bool,
}

/// Layer x layer CKA matrix between two folders of activations.
///
/// Every .npy file in DIR_A and in DIR_B is one layer (sorted by file name); all files hold the
/// same n images in the same order. M[i][j] = CKA(layer i of A, layer j of B); its diagonal is
/// the 1:1 comparison when both folders hold the same layers. Writes M as OUT (.npy) and as CSV
/// beside it (same name, .csv), and prints the diagonal.
///
/// Exact mode keeps every layer in memory and costs ~ n^2/2 multiply-adds per feature.
/// --minibatch B computes minibatch CKA (Nguyen, Raghu & Kornblith 2021: unbiased HSIC summed
/// over minibatches of B images, then normalised), reading B rows of one layer at a time: memory
/// ~ 8 * layers * B^2 / 2 bytes whatever n and the layer widths (B = 1000: ~4 MB per layer).
#[derive(Args, Debug, Clone)]
#[command(after_help = "\
Examples:
  atrophy cka-matrix acts/healthy acts/injured --out cka.npy          # writes cka.npy + cka.csv
  atrophy cka-matrix acts/healthy acts/injured --minibatch 1000       # n = 10,000, many layers
  atrophy cka-matrix acts/healthy acts/healthy --unbiased")]
pub struct CkaMatrixArgs {
    /// Folder of .npy activations, one file per layer (rows of the matrix).
    pub dir_a: PathBuf,
    /// Folder of .npy activations, one file per layer (columns of the matrix).
    pub dir_b: PathBuf,
    /// Where to write the matrix (.npy); the CSV goes beside it.
    #[arg(long, default_value = "cka_matrix.npy")]
    pub out: PathBuf,
    /// Minibatch CKA with minibatches of this many images (at least 4).
    #[arg(long, value_name = "B")]
    pub minibatch: Option<usize>,
    /// Exact mode: normalise the unbiased HSIC estimator (minibatch mode always does).
    #[arg(long)]
    pub unbiased: bool,
}

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
    /// tau-a or tau-b.
    #[arg(long, value_enum, default_value = "b")]
    pub variant: VariantArg,
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

fn with_csv_extension(path: &Path) -> PathBuf {
    path.with_extension("csv")
}

/// Runs `atrophy cka`.
pub fn run_cka(args: &CkaArgs) -> Result<()> {
    let opts = CkaOptions {
        kernel: match args.kernel {
            KernelArg::Linear => Kernel::Linear,
            KernelArg::Rbf => Kernel::Rbf {
                sigma_fraction: args.sigma_fraction,
            },
        },
        estimator: if args.unbiased {
            Estimator::Unbiased
        } else {
            Estimator::Biased
        },
    };
    let x = npy::read_matrix(&args.x)?;
    let y = npy::read_matrix(&args.y)?;
    let value = match (x, y) {
        (Matrix::F32(x), Matrix::F32(y)) => analysis::cka(x.view(), y.view(), &opts),
        (x, y) => analysis::cka(x.into_f64().view(), y.into_f64().view(), &opts),
    }
    .with_context(|| format!("CKA of {} and {}", args.x.display(), args.y.display()))?;
    println!("{value:?}");
    Ok(())
}

fn all_f32(files: &[NpyFile]) -> bool {
    files.iter().all(|f| f.dtype == Dtype::F32)
}

fn matrix_of<T: analysis::Real>(
    a: &NpyDirSource<T>,
    b: &NpyDirSource<T>,
    args: &CkaMatrixArgs,
) -> Result<Array2<f64>> {
    match args.minibatch {
        Some(batch) => {
            let quiet = !std::io::IsTerminal::is_terminal(&std::io::stderr());
            Ok(analysis::minibatch_cka_matrix(
                a,
                b,
                batch,
                Estimator::Unbiased,
                |done, total| {
                    if !quiet {
                        eprint!("\rminibatch {done}/{total}");
                        if done == total {
                            eprintln!();
                        }
                    }
                },
            )?)
        }
        None => {
            let la = a.read_all()?;
            let lb = b.read_all()?;
            let va: Vec<_> = la.iter().map(|x| x.view()).collect();
            let vb: Vec<_> = lb.iter().map(|x| x.view()).collect();
            let est = if args.unbiased {
                Estimator::Unbiased
            } else {
                Estimator::Biased
            };
            Ok(analysis::cka_matrix(&va, &vb, est)?)
        }
    }
}

/// Runs `atrophy cka-matrix`.
pub fn run_cka_matrix(args: &CkaMatrixArgs) -> Result<()> {
    let probe_a = NpyDirSource::<f64>::open(&args.dir_a)?;
    let probe_b = NpyDirSource::<f64>::open(&args.dir_b)?;
    let names = |s: &NpyDirSource<f64>| -> Vec<String> {
        s.files()
            .iter()
            .map(|f| {
                f.path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
            .collect()
    };
    let (names_a, names_b) = (names(&probe_a), names(&probe_b));
    let m = if all_f32(probe_a.files()) && all_f32(probe_b.files()) {
        let a = NpyDirSource::<f32>::open(&args.dir_a)?;
        let b = NpyDirSource::<f32>::open(&args.dir_b)?;
        matrix_of(&a, &b, args)
    } else {
        matrix_of(&probe_a, &probe_b, args)
    }
    .with_context(|| {
        format!(
            "CKA matrix of {} and {}",
            args.dir_a.display(),
            args.dir_b.display()
        )
    })?;
    npy::write_npy(&args.out, &m)?;
    let csv = with_csv_extension(&args.out);
    npy::write_csv(&csv, &m)?;
    println!(
        "{} x {} CKA matrix written to {} and {}",
        m.nrows(),
        m.ncols(),
        args.out.display(),
        csv.display()
    );
    for i in 0..m.nrows().min(m.ncols()) {
        println!("{:?}\t{}\t{}", m[[i, i]], names_a[i], names_b[i]);
    }
    Ok(())
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
    if args.csv {
        let csv = with_csv_extension(&args.out);
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
    variant: VariantArg,
    a: &Path,
    b: &Path,
) -> Result<()> {
    let variant = match variant {
        VariantArg::A => TauVariant::A,
        VariantArg::B => TauVariant::B,
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Parser, Subcommand};
    use ndarray::{array, Array2};

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: Cmd,
    }

    #[derive(Subcommand)]
    enum Cmd {
        Rsa(RsaArgs),
        Cka(CkaArgs),
        CkaMatrix(CkaMatrixArgs),
        Rdm(RdmArgs),
        Kendall(KendallArgs),
    }

    fn run(args: &[&str]) -> Result<()> {
        let cli = Cli::try_parse_from(std::iter::once("atrophy").chain(args.iter().copied()))?;
        match cli.cmd {
            Cmd::Cka(a) => run_cka(&a),
            Cmd::CkaMatrix(a) => run_cka_matrix(&a),
            Cmd::Rdm(a) => run_rdm(&a),
            Cmd::Kendall(a) => run_kendall(&a),
            Cmd::Rsa(a) => run_rsa(&a),
        }
    }

    /// The arguments of one command, parsed as the command line would.
    fn parse<T: clap::FromArgMatches + clap::Args>(args: &[&str]) -> T {
        let m = T::augment_args(clap::Command::new("t"))
            .try_get_matches_from(std::iter::once("t").chain(args.iter().copied()))
            .unwrap();
        T::from_arg_matches(&m).unwrap()
    }

    #[test]
    fn rdm_in_f32_or_upper_triangle_and_rsa_give_the_two_step_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
        let a = Array2::from_shape_fn((9, 4), |(i, j)| {
            ((i * 5 + j * 7) % 13) as f64 + 0.1 * i as f64
        });
        let b = a.mapv(|v| (v + 1.0).ln());
        ndarray_npy::write_npy(p("a.npy"), &a).unwrap();
        ndarray_npy::write_npy(p("b.npy"), &b.mapv(|v| v as f32)).unwrap();
        run(&["rdm", &p("a.npy"), "--out", &p("ra.npy")]).unwrap();
        run(&["rdm", &p("b.npy"), "--out", &p("rb.npy")]).unwrap();
        let ra = npy::read_matrix(p("ra.npy")).unwrap().into_f64();
        // --dtype f32: the float64 RDM rounded once.
        run(&[
            "rdm",
            &p("a.npy"),
            "--out",
            &p("ra32.npy"),
            "--dtype",
            "f32",
        ])
        .unwrap();
        let f = NpyFile::open(p("ra32.npy")).unwrap();
        assert_eq!((f.dtype, f.shape.clone()), (Dtype::F32, vec![9, 9]));
        let ra32: Array2<f32> = f.read_matrix().unwrap();
        assert_eq!(ra32, ra.mapv(|v| v as f32));
        // --upper: the strict upper triangle, row by row.
        run(&["rdm", &p("a.npy"), "--out", &p("ua.npy"), "--upper"]).unwrap();
        run(&["rdm", &p("b.npy"), "--out", &p("ub.npy"), "--upper"]).unwrap();
        let ua = npy::read_vector(p("ua.npy")).unwrap();
        assert_eq!(ua.to_vec(), analysis::upper_triangle(ra.view()).unwrap());
        assert!(run(&["rdm", &p("a.npy"), "--out", &p("x.npy"), "--upper", "--csv"]).is_err());
        // Kendall over two RDMs, over their upper triangles, and rsa in one step: one count.
        let two_step: KendallArgs = parse(&[&p("ra.npy"), &p("rb.npy")]);
        let triangles: KendallArgs = parse(&[&p("ua.npy"), &p("ub.npy")]);
        let one_step: RsaArgs = parse(&[&p("a.npy"), &p("b.npy")]);
        let want = kendall_counts_of_files(&two_step).unwrap();
        assert_eq!(kendall_counts_of_files(&triangles).unwrap(), want);
        assert_eq!(rsa_counts(&one_step).unwrap(), want);
        assert_eq!(want.len, 36);
        let full: RsaArgs = parse(&[&p("a.npy"), &p("b.npy"), "--pairs", "full"]);
        let full_two: KendallArgs = parse(&[&p("ra.npy"), &p("rb.npy"), "--pairs", "full"]);
        assert_eq!(
            rsa_counts(&full).unwrap(),
            kendall_counts_of_files(&full_two).unwrap()
        );
        run(&["rsa", &p("a.npy"), &p("b.npy"), "--variant", "a"]).unwrap();
        // Different images on the two sides.
        ndarray_npy::write_npy(p("c.npy"), &a.slice(ndarray::s![..8, ..]).to_owned()).unwrap();
        let e = run(&["rsa", &p("a.npy"), &p("c.npy")]).unwrap_err();
        assert!(format!("{e:#}").contains("has 9 images but"), "{e:#}");
    }

    #[test]
    fn commands_run_end_to_end_on_npy_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
        let acts =
            Array2::from_shape_fn((12, 5), |(i, j)| ((i * 7 + j * 3) % 11) as f32 + i as f32);
        let other = acts.mapv(|v| v.sqrt());
        std::fs::create_dir(p("a")).unwrap();
        std::fs::create_dir(p("b")).unwrap();
        ndarray_npy::write_npy(p("a/l0.npy"), &acts).unwrap();
        ndarray_npy::write_npy(p("a/l1.npy"), &other).unwrap();
        ndarray_npy::write_npy(p("b/l0.npy"), &other).unwrap();
        run(&["cka", &p("a/l0.npy"), &p("a/l1.npy")]).unwrap();
        run(&[
            "cka",
            &p("a/l0.npy"),
            &p("a/l1.npy"),
            "--kernel",
            "rbf",
            "--unbiased",
        ])
        .unwrap();
        run(&["cka-matrix", &p("a"), &p("b"), "--out", &p("m.npy")]).unwrap();
        let m = npy::read_matrix(p("m.npy")).unwrap().into_f64();
        assert_eq!(m.dim(), (2, 1));
        assert!(
            (m[[1, 0]] - 1.0).abs() < 1e-6,
            "same layer on both sides: {m}"
        );
        assert!(std::fs::read_to_string(p("m.csv")).unwrap().lines().count() == 2);
        run(&[
            "cka-matrix",
            &p("a"),
            &p("b"),
            "--out",
            &p("mb.npy"),
            "--minibatch",
            "6",
        ])
        .unwrap();
        run(&["rdm", &p("a/l0.npy"), "--out", &p("r0.npy"), "--csv"]).unwrap();
        run(&["rdm", &p("a/l1.npy"), "--out", &p("r1.npy")]).unwrap();
        assert!(std::path::Path::new(&p("r0.csv")).exists());
        run(&["kendall", &p("r0.npy"), &p("r1.npy"), "--variant", "a"]).unwrap();
        run(&["kendall", &p("r0.npy"), &p("r1.npy"), "--pairs", "full"]).unwrap();
        ndarray_npy::write_npy(p("v0.npy"), &array![1.0, 2.0, 3.0]).unwrap();
        ndarray_npy::write_npy(p("v1.npy"), &array![1.0, 3.0, 2.0]).unwrap();
        run(&["kendall", &p("v0.npy"), &p("v1.npy")]).unwrap();
        let e = run(&["kendall", &p("v0.npy"), &p("v0.npy"), "--pairs", "full"]).unwrap_err();
        assert!(format!("{e:#}").contains("--pairs full"), "{e:#}");
        let e = run(&["kendall", &p("v0.npy"), &p("r0.npy")]).unwrap_err();
        assert!(format!("{e:#}").contains("[3]"), "{e:#}");
        let e = run(&["cka", &p("a/l0.npy"), &p("v0.npy")]).unwrap_err();
        assert!(format!("{e:#}").contains("[12, 5]"), "{e:#}");
    }
}
