//! The torch-free analysis commands: `cka` and `cka-matrix` here; `rdm`, `kendall` and `rsa`
//! in [`super::rsa`], re-exported.
//!
//! They read and write `.npy` so that numpy users can produce the inputs and check the outputs;
//! values print with full precision (shortest decimal that round-trips to the same f64).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use ndarray::Array2;

use crate::analysis::cka_matrix::NpyDirSource;
use crate::analysis::npy::{self, Dtype, Matrix, NpyFile};
use crate::analysis::{self, CkaOptions, Estimator, Kernel};

pub use super::rsa::*;

/// Kernel choice on the command line.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelArg {
    /// k(x, x') = x . x' (the CKA of paper 000).
    Linear,
    /// Gaussian kernel, bandwidth = --sigma-fraction x median pairwise distance.
    Rbf,
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
/// ~ 8 * layers * B^2 / 2 bytes (B = 1000: ~4 MB per layer) plus one B x p block of the widest
/// layer (p features, 4 bytes each), whatever n.
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

/// `path` with the extension `.csv` (the CSV copy written beside a `.npy`).
/// The CSV written beside the `.npy` at `path`; an error when `path` itself ends in `.csv`
/// (one file would overwrite the other).
pub(super) fn with_csv_extension(path: &Path) -> Result<PathBuf> {
    if path
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("csv"))
    {
        anyhow::bail!(
            "--out {}: the result is written as .npy with a .csv of the same name beside it; \
             give a name ending in .npy",
            path.display()
        );
    }
    Ok(path.with_extension("csv"))
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
    let csv = with_csv_extension(&args.out)?;
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
