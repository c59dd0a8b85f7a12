//! Reading and writing arrays as numpy `.npy` files and CSV, so numpy users can check every
//! number atrophy computes.
//!
//! Reading supports little-endian `float32` and `float64` arrays of any rank in C or Fortran
//! order. A rank > 2 array (conv activations, images x channels x height x width) is flattened to
//! `n x (rest)`, the C*H*W flattening of PROTOCOLS P5. Rows of a C-order file can also be read in
//! ranges without loading the file ([`NpyFile::read_rows`]), which minibatch CKA uses to keep its
//! memory bounded. Writes are atomic: data goes to `NAME.<pid>.tmp` beside it, which is then
//! renamed to `NAME`.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, ArrayD, IxDyn};
use ndarray_npy::WriteNpyExt;

use super::error::{AnalysisError, Result};
use super::linalg::Real;

/// Bytes read from a file at a time, converted into the result block by block.
const READ_BLOCK_BYTES: usize = 4 << 20;

/// Element type of a `.npy` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    /// `<f4`.
    F32,
    /// `<f8`.
    F64,
}

impl Dtype {
    fn size(self) -> usize {
        match self {
            Dtype::F32 => 4,
            Dtype::F64 => 8,
        }
    }
}

/// A `.npy` file whose header has been parsed.
#[derive(Debug, Clone)]
pub struct NpyFile {
    /// Where it is.
    pub path: PathBuf,
    /// Element type.
    pub dtype: Dtype,
    /// Shape as stored.
    pub shape: Vec<usize>,
    /// Whether the data is in Fortran (column-major) order.
    pub fortran_order: bool,
    /// Byte offset of the data.
    data_offset: u64,
}

/// A matrix read from disk in the precision it was stored in.
#[derive(Debug, Clone)]
pub enum Matrix {
    /// Stored as float32.
    F32(Array2<f32>),
    /// Stored as float64.
    F64(Array2<f64>),
}

impl Matrix {
    /// Shape `[rows, cols]`.
    pub fn shape(&self) -> [usize; 2] {
        let d = match self {
            Matrix::F32(a) => a.dim(),
            Matrix::F64(a) => a.dim(),
        };
        [d.0, d.1]
    }

    /// The values as f64 (exact for f32 input).
    pub fn into_f64(self) -> Array2<f64> {
        match self {
            Matrix::F32(a) => a.mapv(f64::from),
            Matrix::F64(a) => a,
        }
    }
}

fn field<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    let at = header.find(&format!("'{name}'"))?;
    let rest = header[at + name.len() + 2..].trim_start();
    Some(rest.strip_prefix(':')?.trim_start())
}

impl NpyFile {
    /// Opens `path` and parses its header.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        // Kept in one piece (about 90 lines): the header is read as one sequence of checks (magic,
        // version, length, dtype, order, shape, file size), each naming what it expected.
        let path = path.as_ref().to_path_buf();
        let err = |m: String| AnalysisError::io(&path, m);
        let mut f = File::open(&path).map_err(|e| err(format!("cannot open: {e}")))?;
        let file_len = f.metadata().map_err(|e| err(e.to_string()))?.len();
        let mut pre = [0u8; 10];
        f.read_exact(&mut pre)
            .map_err(|e| err(format!("not a .npy file (too short): {e}")))?;
        if &pre[..6] != b"\x93NUMPY" {
            return Err(err("not a .npy file (bad magic string)".into()));
        }
        let (len, start) = match pre[6] {
            1 => (u16::from_le_bytes([pre[8], pre[9]]) as usize, 10u64),
            2 | 3 => {
                let mut more = [0u8; 2];
                f.read_exact(&mut more).map_err(|e| err(e.to_string()))?;
                (
                    u32::from_le_bytes([pre[8], pre[9], more[0], more[1]]) as usize,
                    12u64,
                )
            }
            v => return Err(err(format!("unsupported .npy format version {v}"))),
        };
        if start + len as u64 > file_len {
            return Err(err(format!(
                "truncated header: it claims {len} bytes, the file has {file_len}"
            )));
        }
        let mut h = vec![0u8; len];
        f.read_exact(&mut h)
            .map_err(|e| err(format!("truncated header: {e}")))?;
        let h = String::from_utf8_lossy(&h).into_owned();
        let bad = |what: &str| err(format!("cannot parse .npy header field {what} in {h:?}"));
        let descr = field(&h, "descr").ok_or_else(|| bad("descr"))?;
        let descr = descr.trim_start_matches(['\'', '"']);
        let dtype = if descr.starts_with("<f4") || descr.starts_with("|f4") {
            Dtype::F32
        } else if descr.starts_with("<f8") || descr.starts_with("|f8") {
            Dtype::F64
        } else {
            let d: String = descr.chars().take_while(|c| *c != '\'').collect();
            return Err(err(format!(
                "dtype {d:?} is not supported; save float32 or float64 (little-endian) arrays"
            )));
        };
        let fortran_order = field(&h, "fortran_order")
            .ok_or_else(|| bad("fortran_order"))?
            .starts_with("True");
        let shape_txt = field(&h, "shape")
            .and_then(|s| s.strip_prefix('('))
            .ok_or_else(|| bad("shape"))?;
        let close = shape_txt.find(')').ok_or_else(|| bad("shape"))?;
        let shape = shape_txt[..close]
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.trim_end_matches('L').parse::<usize>())
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|_| bad("shape"))?;
        // Every size computed from the shape (rows x row length x element size) must fit in
        // memory's address range; empty axes aside, a larger shape cannot be in any file.
        let bytes = shape
            .iter()
            .filter(|&&d| d > 0)
            .try_fold(dtype.size(), |b, &d| b.checked_mul(d))
            .filter(|&b| b <= isize::MAX as usize);
        let Some(bytes) = bytes else {
            return Err(err(format!(
                "shape {shape:?} is too large: expected one whose data fits in a file"
            )));
        };
        // An empty axis means no data, whatever the others say.
        let bytes = if shape.contains(&0) { 0 } else { bytes };
        // More bytes than the shape holds is a file of another shape (or two files run
        // together): its rows would be read as the wrong ones, so it is refused, not truncated.
        let expected = start + len as u64 + bytes as u64;
        if file_len > expected {
            return Err(err(format!(
                "data longer than the header's shape {shape:?}: {file_len} bytes, expected \
                 exactly {expected} (a file of another shape, or with something appended)"
            )));
        }
        Ok(Self {
            path,
            dtype,
            shape,
            fortran_order,
            data_offset: start + len as u64,
        })
    }

    /// Number of rows (first axis), 1 for a 0-d array.
    pub fn rows(&self) -> usize {
        self.shape.first().copied().unwrap_or(1)
    }

    /// Product of all axes after the first: the width of the flattened `n x rest` matrix.
    pub fn row_len(&self) -> usize {
        self.shape.iter().skip(1).product()
    }

    fn err(&self, m: impl std::fmt::Display) -> AnalysisError {
        AnalysisError::io(&self.path, m)
    }

    /// Reads `count` elements starting at element `start` (in storage order) as `T`.
    fn read_elems<T: Real>(&self, start: usize, count: usize) -> Result<Vec<T>> {
        let mut f = File::open(&self.path).map_err(|e| self.err(e))?;
        let size = self.dtype.size();
        // Check the length before allocating: a header may claim more than the file holds.
        let file_len = f.metadata().map_err(|e| self.err(e))?.len();
        let end = self.data_offset + ((start + count) * size) as u64;
        if end > file_len {
            return Err(self.err(format!(
                "data shorter than the header's shape {:?}: {} bytes, expected at least {end}",
                self.shape, file_len
            )));
        }
        f.seek(SeekFrom::Start(self.data_offset + (start * size) as u64))
            .map_err(|e| self.err(e))?;
        // Blocks of a few MB converted straight into the result: one allocation of the array's
        // size, not a byte copy of the whole file beside it (which doubled the page faults of a
        // 800 MB RDM and most of `atrophy kendall`'s time).
        let mut out = Vec::with_capacity(count);
        let mut block = vec![0u8; count.min(READ_BLOCK_BYTES / size).max(1) * size];
        let mut left = count;
        while left > 0 {
            let elems = left.min(block.len() / size);
            let bytes = &mut block[..elems * size];
            f.read_exact(bytes).map_err(|e| {
                self.err(format!(
                    "data shorter than the header's shape {:?}: {e}",
                    self.shape
                ))
            })?;
            match self.dtype {
                Dtype::F32 => out.extend(
                    bytes
                        .chunks_exact(4)
                        .map(|c| T::from_f64(f32::from_le_bytes(c.try_into().unwrap()) as f64)),
                ),
                Dtype::F64 => out.extend(
                    bytes
                        .chunks_exact(8)
                        .map(|c| T::from_f64(f64::from_le_bytes(c.try_into().unwrap()))),
                ),
            }
            left -= elems;
        }
        Ok(out)
    }

    /// The whole array as `T`, in its stored shape, standard (C) layout.
    pub fn read<T: Real>(&self) -> Result<ArrayD<T>> {
        let count: usize = self.shape.iter().product();
        let data = self.read_elems::<T>(0, count)?;
        if self.fortran_order {
            let rev: Vec<usize> = self.shape.iter().rev().copied().collect();
            let a = ArrayD::from_shape_vec(IxDyn(&rev), data).map_err(|e| self.err(e))?;
            Ok(a.reversed_axes().as_standard_layout().into_owned())
        } else {
            ArrayD::from_shape_vec(IxDyn(&self.shape), data).map_err(|e| self.err(e))
        }
    }

    /// The array as an `n x rest` matrix of `T` (a 1-D array becomes `n x 1`).
    pub fn read_matrix<T: Real>(&self) -> Result<Array2<T>> {
        if self.shape.is_empty() {
            return Err(self.err("a 0-d array is not a matrix"));
        }
        let (n, p) = (self.rows(), self.row_len());
        self.read::<T>()?
            .into_shape_with_order((n, p))
            .map_err(|e| self.err(e))
    }

    /// Rows `range` of the `n x rest` matrix, reading only those bytes (C order only).
    pub fn read_rows<T: Real>(&self, range: Range<usize>) -> Result<Array2<T>> {
        if self.fortran_order {
            return Err(
                self.err("rows of a Fortran-order array are not contiguous; save it in C order")
            );
        }
        if range.end > self.rows() || range.start > range.end {
            return Err(self.err(format!(
                "rows {range:?} out of range for shape {:?}",
                self.shape
            )));
        }
        let p = self.row_len();
        let data = self.read_elems::<T>(range.start * p, range.len() * p)?;
        Array2::from_shape_vec((range.len(), p), data).map_err(|e| self.err(e))
    }
}

/// Reads a `.npy` as an `n x rest` matrix in its stored precision.
pub fn read_matrix(path: impl AsRef<Path>) -> Result<Matrix> {
    let f = NpyFile::open(path)?;
    Ok(match f.dtype {
        Dtype::F32 => Matrix::F32(f.read_matrix()?),
        Dtype::F64 => Matrix::F64(f.read_matrix()?),
    })
}

/// Reads a 1-D `.npy` as an f64 vector.
pub fn read_vector(path: impl AsRef<Path>) -> Result<Array1<f64>> {
    let f = NpyFile::open(path)?;
    if f.shape.len() != 1 {
        return Err(f.err(format!("expected a 1-D array, got shape {:?}", f.shape)));
    }
    Ok(Array1::from_vec(f.read_elems::<f64>(0, f.shape[0])?))
}

/// Writes through `write` atomically (crate::fsio: temporary file beside it, then rename).
fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> std::result::Result<(), String>,
) -> Result<()> {
    crate::fsio::write_atomic_with(path, |w| write(w).map_err(std::io::Error::other))
        .map_err(|e| AnalysisError::io(path, e.to_string()))
}

/// Writes an array of any dimension (f64, f32, or any element numpy reads) as `.npy`, atomically.
pub fn write_npy<A: ndarray_npy::WritableElement, D: ndarray::Dimension>(
    path: impl AsRef<Path>,
    a: &ndarray::Array<A, D>,
) -> Result<()> {
    write_atomic(path.as_ref(), |w| a.write_npy(w).map_err(|e| e.to_string()))
}

/// Writes a matrix as CSV (no header, comma-separated, shortest round-trip decimal form of each
/// f64, so no precision is lost), atomically.
pub fn write_csv(path: impl AsRef<Path>, a: &Array2<f64>) -> Result<()> {
    write_atomic(path.as_ref(), |w| {
        for row in a.rows() {
            let mut first = true;
            for v in row {
                if !first {
                    w.write_all(b",").map_err(|e| e.to_string())?;
                }
                first = false;
                write!(w, "{v:?}").map_err(|e| e.to_string())?;
            }
            w.write_all(b"\n").map_err(|e| e.to_string())?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array3};
    use ndarray_npy::write_npy as raw_write;

    #[test]
    fn round_trips_and_flattens() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.npy");
        let a = array![[1.5, -2.0, 3.25], [4.0, 5.0, 1e-300]];
        write_npy(&p, &a).unwrap();
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "temporary files left: {left:?}");
        let back = read_matrix(&p).unwrap();
        assert_eq!(back.shape(), [2, 3]);
        assert_eq!(back.into_f64(), a);
        // 3-D f32, flattened to n x rest; and row ranges.
        let c = Array3::<f32>::from_shape_fn((4, 2, 3), |(i, j, k)| (i * 100 + j * 10 + k) as f32);
        let pc = dir.path().join("c.npy");
        raw_write(&pc, &c).unwrap();
        let f = NpyFile::open(&pc).unwrap();
        assert_eq!((f.dtype, f.rows(), f.row_len()), (Dtype::F32, 4, 6));
        let m = f.read_matrix::<f64>().unwrap();
        assert_eq!(m[[2, 4]], 211.0);
        let r = f.read_rows::<f32>(1..3).unwrap();
        assert_eq!(r.dim(), (2, 6));
        assert_eq!(r[[1, 5]], 212.0);
        // Fortran order is transposed back into C order.
        let t = a.t().as_standard_layout().into_owned().reversed_axes();
        let pf = dir.path().join("f.npy");
        raw_write(&pf, &t).unwrap();
        assert!(NpyFile::open(&pf).unwrap().fortran_order);
        assert_eq!(read_matrix(&pf).unwrap().into_f64(), a);
        // CSV keeps full precision.
        let pcsv = dir.path().join("m.csv");
        write_csv(&pcsv, &array![[0.1 + 0.2, 1.0]]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&pcsv).unwrap(),
            "0.30000000000000004,1.0\n"
        );
    }

    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ints.npy");
        raw_write(&p, &array![1i32, 2]).unwrap();
        let e = read_matrix(&p).unwrap_err().to_string();
        assert!(e.contains("ints.npy") && e.contains("<i4"), "{e}");
        let missing = dir.path().join("nope.npy");
        assert!(read_matrix(&missing)
            .unwrap_err()
            .to_string()
            .contains("nope.npy"));
    }

    /// A header that declares 10 rows over a file holding 100 (the rows of another array, or
    /// bytes appended) is refused, as a short file is; the exact length reads.
    #[test]
    fn data_longer_than_the_header_says_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ten = dir.path().join("ten.npy");
        let hundred = dir.path().join("hundred.npy");
        raw_write(&ten, &Array2::<f64>::zeros((10, 3))).unwrap();
        raw_write(&hundred, &Array2::<f64>::ones((100, 3))).unwrap();
        assert_eq!(read_matrix(&ten).unwrap().into_f64().dim(), (10, 3));
        let header_len = std::fs::read(&ten).unwrap().len() - 10 * 3 * 8;
        let mut spliced = std::fs::read(&ten).unwrap()[..header_len].to_vec();
        spliced.extend_from_slice(&std::fs::read(&hundred).unwrap()[header_len..]);
        std::fs::write(&ten, &spliced).unwrap();
        let e = read_matrix(&ten).unwrap_err().to_string();
        assert!(
            e.contains("ten.npy") && e.contains("data longer than the header's shape [10, 3]"),
            "{e}"
        );
        // One byte too many is refused too.
        let mut one_more = std::fs::read(&hundred).unwrap();
        one_more.push(0);
        std::fs::write(&hundred, &one_more).unwrap();
        assert!(read_matrix(&hundred).is_err());
    }
}
