//! Where layer activations come from: memory, a folder of `.npy` files, or any other
//! [`LayerSource`] that can hand out a few rows of one layer at a time (minibatch CKA reads
//! nothing else, which is what keeps its memory bounded).

use std::marker::PhantomData;
use std::ops::Range;
use std::path::{Path, PathBuf};

use ndarray::{s, Array2, ArrayView2};

use super::error::{AnalysisError, Result};
use super::linalg::Real;
use super::npy::NpyFile;

/// Activations of a list of layers for the same images, readable a few rows at a time.
pub trait LayerSource: Sync {
    /// Element type of the activations.
    type Elem: Real;
    /// Number of layers.
    fn n_layers(&self) -> usize;
    /// Number of images (rows), the same for every layer.
    fn n_rows(&self) -> usize;
    /// A name for layer `layer` (used in error messages).
    fn layer_name(&self, layer: usize) -> String;
    /// Rows `rows` of layer `layer`, flattened to `rows.len() x features`.
    fn read_rows(&self, layer: usize, rows: Range<usize>) -> Result<Array2<Self::Elem>>;
}

/// In-memory layers (views of `n x p_l` arrays).
pub struct ViewSource<'a, T> {
    layers: Vec<ArrayView2<'a, T>>,
}

impl<'a, T: Real> ViewSource<'a, T> {
    /// Wraps views that must all have the same number of rows.
    pub fn new(layers: Vec<ArrayView2<'a, T>>) -> Result<Self> {
        check_rows("CKA matrix (every layer needs one row per image)", &layers)?;
        Ok(Self { layers })
    }
}

impl<T: Real> LayerSource for ViewSource<'_, T> {
    type Elem = T;
    fn n_layers(&self) -> usize {
        self.layers.len()
    }
    fn n_rows(&self) -> usize {
        self.layers.first().map_or(0, |l| l.nrows())
    }
    fn layer_name(&self, layer: usize) -> String {
        format!("layer {layer}")
    }
    fn read_rows(&self, layer: usize, rows: Range<usize>) -> Result<Array2<T>> {
        Ok(self.layers[layer].slice(s![rows, ..]).to_owned())
    }
}

/// The `.npy` files of a directory, one layer each, ordered by file name; rows are read from
/// disk on demand, converted to `T`.
pub struct NpyDirSource<T> {
    files: Vec<NpyFile>,
    _elem: PhantomData<T>,
}

impl<T: Real> NpyDirSource<T> {
    /// Lists `dir/*.npy`, sorted by file name, and checks that they all have the same rows;
    /// `labels.npy` (the image labels `atrophy activations` writes beside the layers) is not a
    /// layer and is skipped.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| AnalysisError::io(dir, format!("cannot list directory: {e}")))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "npy") && p.is_file())
            .filter(|p| p.file_name().is_none_or(|n| n != "labels.npy"))
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(AnalysisError::io(
                dir,
                "no .npy files (one per layer) found",
            ));
        }
        let files = paths
            .iter()
            .map(NpyFile::open)
            .collect::<Result<Vec<_>>>()?;
        for f in &files[1..] {
            if f.rows() != files[0].rows() {
                return Err(AnalysisError::mismatch(
                    "CKA matrix: layers of one directory need the same images (first axis)",
                    &files[0].shape,
                    &f.shape,
                ));
            }
        }
        Ok(Self {
            files,
            _elem: PhantomData,
        })
    }

    /// The parsed headers, in layer order.
    pub fn files(&self) -> &[NpyFile] {
        &self.files
    }

    /// Every layer fully in memory (for the exact [`cka_matrix`]).
    pub fn read_all(&self) -> Result<Vec<Array2<T>>> {
        self.files.iter().map(|f| f.read_matrix::<T>()).collect()
    }
}

impl<T: Real> LayerSource for NpyDirSource<T> {
    type Elem = T;
    fn n_layers(&self) -> usize {
        self.files.len()
    }
    fn n_rows(&self) -> usize {
        self.files[0].rows()
    }
    fn layer_name(&self, layer: usize) -> String {
        self.files[layer].path.display().to_string()
    }
    fn read_rows(&self, layer: usize, rows: Range<usize>) -> Result<Array2<T>> {
        self.files[layer].read_rows(rows)
    }
}

pub(crate) fn check_rows<T>(what: &'static str, layers: &[ArrayView2<T>]) -> Result<()> {
    if let Some(bad) = layers.iter().find(|l| l.nrows() != layers[0].nrows()) {
        return Err(AnalysisError::mismatch(
            what,
            layers[0].shape(),
            bad.shape(),
        ));
    }
    Ok(())
}
