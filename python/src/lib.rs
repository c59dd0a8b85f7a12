//! `atrophy._atrophy`: the compiled core of the Python package, a thin layer over the
//! `atrophy-analysis` crate.
//!
//! The public functions, their docstrings and the argument checks a Python user meets first
//! live in `python/atrophy/__init__.py`; this module receives arrays already made float32 or
//! float64, computes with the GIL released (an input that is not C-ordered is first copied to C
//! order while the GIL is held), and turns an [`AnalysisError`] into a `ValueError` carrying the
//! kernel's own message (the same text the command line prints). The arrays are borrowed
//! read-only, but another Python thread that writes to one while the GIL is released changes
//! what the computation reads: do not.

use atrophy_analysis::{
    self as analysis, AnalysisError, CkaOptions, Estimator, Kernel, RdmPairs, TauVariant,
    ViewSource,
};
use ndarray::{ArrayView1, ArrayView2, CowArray, Ix2};
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// An analysis error as Python sees it: a `ValueError` with the kernel's message.
fn value_error(e: AnalysisError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A 2-D float array from numpy, in either precision.
#[derive(FromPyObject)]
enum Matrix<'py> {
    F32(PyReadonlyArray2<'py, f32>),
    F64(PyReadonlyArray2<'py, f64>),
}

/// A 1-D float array from numpy, in either precision.
#[derive(FromPyObject)]
enum Vector<'py> {
    F32(PyReadonlyArray1<'py, f32>),
    F64(PyReadonlyArray1<'py, f64>),
}

/// Row-major data the kernels can read; a Fortran-ordered or strided input is copied once.
fn standard<T: Clone>(a: ArrayView2<'_, T>) -> CowArray<'_, T, Ix2> {
    if a.is_standard_layout() {
        CowArray::from(a)
    } else {
        CowArray::from(a.as_standard_layout().into_owned())
    }
}

/// The precision of a [`Matrix`], to treat a list of layers generically.
trait Precision: analysis::Real + numpy::Element {
    fn of<'a, 'py>(m: &'a Matrix<'py>) -> Option<&'a PyReadonlyArray2<'py, Self>>;
}

impl Precision for f32 {
    fn of<'a, 'py>(m: &'a Matrix<'py>) -> Option<&'a PyReadonlyArray2<'py, f32>> {
        match m {
            Matrix::F32(a) => Some(a),
            Matrix::F64(_) => None,
        }
    }
}

impl Precision for f64 {
    fn of<'a, 'py>(m: &'a Matrix<'py>) -> Option<&'a PyReadonlyArray2<'py, f64>> {
        match m {
            Matrix::F64(a) => Some(a),
            Matrix::F32(_) => None,
        }
    }
}

fn estimator(unbiased: bool) -> Estimator {
    if unbiased {
        Estimator::Unbiased
    } else {
        Estimator::Biased
    }
}

fn parse_kernel(kernel: &str, sigma_fraction: f64) -> PyResult<Kernel> {
    match kernel {
        "linear" => Ok(Kernel::Linear),
        "rbf" => Ok(Kernel::Rbf { sigma_fraction }),
        other => Err(PyValueError::new_err(format!(
            "kernel must be \"linear\" or \"rbf\", got {other:?}"
        ))),
    }
}

#[pyfunction]
#[pyo3(signature = (x, y, kernel, unbiased, sigma_fraction))]
fn cka(
    py: Python<'_>,
    x: Matrix<'_>,
    y: Matrix<'_>,
    kernel: &str,
    unbiased: bool,
    sigma_fraction: f64,
) -> PyResult<f64> {
    let opts = CkaOptions {
        kernel: parse_kernel(kernel, sigma_fraction)?,
        estimator: estimator(unbiased),
    };
    match (x, y) {
        (Matrix::F32(x), Matrix::F32(y)) => {
            let (x, y) = (standard(x.as_array()), standard(y.as_array()));
            py.detach(|| analysis::cka(x.view(), y.view(), &opts))
        }
        (Matrix::F64(x), Matrix::F64(y)) => {
            let (x, y) = (standard(x.as_array()), standard(y.as_array()));
            py.detach(|| analysis::cka(x.view(), y.view(), &opts))
        }
        _ => return Err(mixed_precision()),
    }
    .map_err(value_error)
}

fn mixed_precision() -> PyErr {
    PyTypeError::new_err("internal: both arrays must have the same dtype (float32 or float64)")
}

/// All layers in precision `T`, row-major, or a `TypeError`.
fn same_precision<'a, T: Precision>(
    layers: &'a [Matrix<'_>],
) -> PyResult<Vec<CowArray<'a, T, Ix2>>> {
    layers
        .iter()
        .map(|m| {
            T::of(m)
                .map(|a| standard(a.as_array()))
                .ok_or_else(mixed_precision)
        })
        .collect()
}

/// The layer x layer CKA matrix of `xs` against `ys`, all in precision `T`.
fn matrix_of<T: Precision>(
    py: Python<'_>,
    xs: &[Matrix<'_>],
    ys: &[Matrix<'_>],
    unbiased: bool,
    minibatch: Option<usize>,
) -> PyResult<ndarray::Array2<f64>> {
    let (xs, ys) = (same_precision::<T>(xs)?, same_precision::<T>(ys)?);
    let a: Vec<ArrayView2<T>> = xs.iter().map(|x| x.view()).collect();
    let b: Vec<ArrayView2<T>> = ys.iter().map(|y| y.view()).collect();
    py.detach(|| match minibatch {
        None => analysis::cka_matrix(&a, &b, estimator(unbiased)),
        Some(batch) => {
            let (a, b) = (ViewSource::new(a)?, ViewSource::new(b)?);
            analysis::minibatch_cka_matrix(&a, &b, batch, estimator(unbiased), |_, _| {})
        }
    })
    .map_err(value_error)
}

#[pyfunction]
#[pyo3(signature = (xs, ys, unbiased, minibatch))]
fn cka_matrix<'py>(
    py: Python<'py>,
    xs: Vec<Matrix<'py>>,
    ys: Vec<Matrix<'py>>,
    unbiased: bool,
    minibatch: Option<usize>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let m = match xs.first() {
        Some(Matrix::F32(_)) => matrix_of::<f32>(py, &xs, &ys, unbiased, minibatch)?,
        _ => matrix_of::<f64>(py, &xs, &ys, unbiased, minibatch)?,
    };
    Ok(m.into_pyarray(py))
}

#[pyfunction]
fn rdm<'py>(py: Python<'py>, acts: Matrix<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let r = match acts {
        Matrix::F32(a) => {
            let a = standard(a.as_array());
            py.detach(|| analysis::rdm(a.view()))
        }
        Matrix::F64(a) => {
            let a = standard(a.as_array());
            py.detach(|| analysis::rdm(a.view()))
        }
    }
    .map_err(value_error)?;
    Ok(r.into_pyarray(py))
}

fn parse_variant(variant: &str) -> PyResult<TauVariant> {
    if matches!(variant, "a" | "b") {
        variant.parse().map_err(PyValueError::new_err)
    } else {
        Err(PyValueError::new_err(format!(
            "variant must be \"a\" or \"b\", got {variant:?}"
        )))
    }
}

fn parse_pairs(pairs: &str) -> PyResult<RdmPairs> {
    match pairs {
        "upper" => Ok(RdmPairs::Upper),
        "full" => Ok(RdmPairs::Full),
        other => Err(PyValueError::new_err(format!(
            "pairs must be \"upper\" or \"full\", got {other:?}"
        ))),
    }
}

/// Kendall's tau between two float64 vectors.
#[pyfunction]
fn kendall_tau_vectors(
    py: Python<'_>,
    a: PyReadonlyArray1<'_, f64>,
    b: PyReadonlyArray1<'_, f64>,
    variant: &str,
) -> PyResult<f64> {
    let variant = parse_variant(variant)?;
    let (a, b) = (contiguous(a.as_array()), contiguous(b.as_array()));
    py.detach(|| analysis::kendall_tau(&a, &b, variant))
        .map_err(value_error)
}

/// A vector as a slice: borrowed when contiguous, else copied.
fn contiguous<T: Clone>(a: ArrayView1<'_, T>) -> std::borrow::Cow<'_, [T]> {
    match a.to_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(a.to_vec()),
    }
}

/// Kendall's tau between two float64 RDMs over the entries `pairs` names.
#[pyfunction]
fn kendall_tau_rdms(
    py: Python<'_>,
    a: PyReadonlyArray2<'_, f64>,
    b: PyReadonlyArray2<'_, f64>,
    variant: &str,
    pairs: &str,
) -> PyResult<f64> {
    let (variant, pairs) = (parse_variant(variant)?, parse_pairs(pairs)?);
    let (a, b) = (standard(a.as_array()), standard(b.as_array()));
    py.detach(|| analysis::rdm_kendall_counts_over(a.view(), b.view(), pairs)?.tau(variant))
        .map_err(value_error)
}

/// How the top-k magnitude synapses of `current` differ from those of `reference`.
#[pyfunction]
fn pathway_overlap<'py>(
    py: Python<'py>,
    reference: Vector<'py>,
    current: Vector<'py>,
    k: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let change = match (reference, current) {
        (Vector::F32(r), Vector::F32(c)) => {
            let (r, c) = (contiguous(r.as_array()), contiguous(c.as_array()));
            py.detach(|| analysis::pathway_change(&r, &c, k))
        }
        (Vector::F64(r), Vector::F64(c)) => {
            let (r, c) = (contiguous(r.as_array()), contiguous(c.as_array()));
            py.detach(|| analysis::pathway_change(&r, &c, k))
        }
        _ => return Err(mixed_precision()),
    }
    .map_err(value_error)?;
    let d = PyDict::new(py);
    d.set_item("k", change.k)?;
    d.set_item("kept", change.kept)?;
    d.set_item("jaccard", change.jaccard)?;
    d.set_item("new_pathway", change.new_pathway)?;
    d.set_item("rescaled", change.rescaled)?;
    d.set_item("unchanged", change.unchanged)?;
    Ok(d)
}

/// The compiled core of `atrophy`; use the functions of the `atrophy` package instead.
#[pymodule]
fn _atrophy(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(cka, m)?)?;
    m.add_function(wrap_pyfunction!(cka_matrix, m)?)?;
    m.add_function(wrap_pyfunction!(rdm, m)?)?;
    m.add_function(wrap_pyfunction!(kendall_tau_vectors, m)?)?;
    m.add_function(wrap_pyfunction!(kendall_tau_rdms, m)?)?;
    m.add_function(wrap_pyfunction!(pathway_overlap, m)?)?;
    m.add("DEFAULT_SIGMA_FRACTION", analysis::DEFAULT_SIGMA_FRACTION)?;
    Ok(())
}
