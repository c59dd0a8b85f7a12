"""atrophy from Python: run experiments, read their results as DataFrames, bring any torch model,
and the representation analyses on numpy arrays (CKA, RDMs, Kendall's tau, pathways).

- ``atrophy.run(config, ...)`` runs an experiment with the ``atrophy`` binary and returns
  ``atrophy.load(out)``: a :class:`Results` whose tables are typed pandas DataFrames (the
  ``pandas`` extra).
- ``atrophy.script(model, layers, path, input_shape)`` writes any ``torch.nn.Module`` as a
  TorchScript file atrophy injures, retrains and measures (needs torch, only there).

The kernels are those of the ``atrophy`` command line (Rust, exact, tested against
numpy/scipy); each call releases the GIL while it computes. Inputs may be float32 or float64
(other numeric types are converted to float64) in any memory order. A value that cannot be
computed (a constant layer, mismatched shapes, a NaN in the input) raises ``ValueError`` saying
why; no function returns a NaN.

>>> import numpy as np, atrophy
>>> rng = np.random.default_rng(0)
>>> healthy = rng.normal(size=(100, 64))
>>> injured = healthy + 0.5 * rng.normal(size=(100, 64))
>>> round(atrophy.cka(healthy, healthy), 6)
1.0
>>> 0.5 < atrophy.cka(healthy, injured) < 1.0
True
>>> tau = atrophy.kendall_tau(atrophy.rdm(healthy), atrophy.rdm(injured), variant="a")
>>> 0.0 < tau < 1.0
True
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Sequence, Union

import numpy as np

from . import _atrophy
from .results import Rdm, Results, ResultsError, load
from .runner import BinaryNotFoundError, RunError, run
from .scripting import ScriptError, script

__all__ = [
    "cka",
    "cka_matrix",
    "rdm",
    "kendall_tau",
    "pathway_overlap",
    "DEFAULT_SIGMA_FRACTION",
    "load",
    "Results",
    "ResultsError",
    "Rdm",
    "run",
    "RunError",
    "BinaryNotFoundError",
    "script",
    "ScriptError",
]
__version__ = "0.1.0"

#: Default RBF bandwidth, as a fraction of the median pairwise distance (Kornblith et al. 2019:
#: the median of all n^2 squared distances, the diagonal's zeros included).
DEFAULT_SIGMA_FRACTION: float = _atrophy.DEFAULT_SIGMA_FRACTION

ArrayLike = Any
Layers = Union[Sequence[ArrayLike], Mapping[str, ArrayLike]]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _floats(a: ArrayLike) -> np.ndarray:
    """``a`` as a float32 or float64 array (other numeric types become float64)."""
    a = np.asarray(a)
    if a.dtype in _FLOATS:
        return a
    if not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_) or np.iscomplexobj(a):
        raise TypeError(f"expected a real numeric array, got dtype {a.dtype}")
    return a.astype(np.float64)


def _activations(name: str, a: ArrayLike) -> np.ndarray:
    a = _floats(a)
    if a.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (n images x features), got shape {a.shape}; "
            f"flatten conv maps first: {name}.reshape(len({name}), -1)"
        )
    return a


def _same_precision(arrays: Sequence[np.ndarray]) -> list:
    """All float32 if all are float32, else all float64."""
    if all(a.dtype == np.float32 for a in arrays):
        return list(arrays)
    return [a.astype(np.float64, copy=False) for a in arrays]


def cka(
    x: ArrayLike,
    y: ArrayLike,
    kernel: str = "linear",
    unbiased: bool = False,
    sigma_fraction: float = DEFAULT_SIGMA_FRACTION,
) -> float:
    """Centred kernel alignment between two representations of the same images.

    ``x`` is n x p1 and ``y`` n x p2 (one row per image, the same images in the same order).
    ``kernel`` is ``"linear"`` or ``"rbf"`` (Gaussian, bandwidth ``sigma_fraction`` times the
    median pairwise distance); ``unbiased=True`` normalises the unbiased HSIC estimator
    (Song et al. 2012; needs n >= 4) instead of the biased one (Kornblith et al. 2019).

    Linear CKA is invariant to rotations and isotropic scaling of either representation:

    >>> import numpy as np, atrophy
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(50, 8))
    >>> q, _ = np.linalg.qr(rng.normal(size=(8, 8)))
    >>> round(atrophy.cka(x, 3.0 * x @ q), 9)
    1.0
    >>> round(atrophy.cka(x, x, kernel="rbf"), 9)
    1.0
    """
    x, y = _same_precision([_activations("x", x), _activations("y", y)])
    return _atrophy.cka(x, y, kernel, bool(unbiased), float(sigma_fraction))


def cka_matrix(
    xs: Layers,
    ys: Optional[Layers] = None,
    unbiased: Optional[bool] = None,
    minibatch: Optional[int] = None,
) -> np.ndarray:
    """Layer x layer linear CKA: entry (i, j) compares layer i of ``xs`` with layer j of ``ys``.

    ``xs`` and ``ys`` are lists of 2-D arrays (n images x features each, the same n images), or
    dicts of them (rows and columns then follow the dicts' order); ``ys`` defaults to ``xs``.
    Each layer is centred once and every Gram product computed once for the whole matrix, so
    an L x L matrix costs far less than L^2 calls of :func:`cka`. ``minibatch=B`` computes the
    minibatch CKA of Nguyen, Raghu & Kornblith (2021) over consecutive batches of B images
    with memory bounded by the batch. ``unbiased`` defaults to False for the exact matrix and
    to True with ``minibatch``, as in that paper.

    >>> import numpy as np, atrophy
    >>> rng = np.random.default_rng(2)
    >>> layers = {"conv1": rng.normal(size=(40, 16)), "conv2": rng.normal(size=(40, 32))}
    >>> m = atrophy.cka_matrix(layers)
    >>> m.shape, bool(np.allclose(np.diag(m), 1.0))
    ((2, 2), True)
    """
    a = _layer_list("xs", xs)
    b = a if ys is None else _layer_list("ys", ys)
    if not a or not b:
        raise ValueError("cka_matrix needs at least one layer on each side")
    layers = _same_precision(a + b)
    a, b = layers[: len(a)], layers[len(a) :]
    if minibatch is not None:
        minibatch = int(minibatch)
        if minibatch < 1:
            raise ValueError(f"minibatch must be a positive number of images, got {minibatch}")
    if unbiased is None:
        unbiased = minibatch is not None
    return _atrophy.cka_matrix(a, b, bool(unbiased), minibatch)


def _layer_list(name: str, layers: Layers) -> list:
    if isinstance(layers, np.ndarray):
        raise TypeError(f"{name} must be a list or dict of 2-D arrays (one per layer), not one array")
    items = layers.items() if isinstance(layers, Mapping) else enumerate(layers)
    return [_activations(f"{name}[{key!r}]", a) for key, a in items]


def rdm(acts: ArrayLike) -> np.ndarray:
    """Representational dissimilarity matrix: 1 - Pearson r between the images' activations.

    ``acts`` is n images x p features (flatten conv maps first); the result is n x n, float64,
    symmetric with a zero diagonal, equal to ``1 - np.corrcoef(acts)``. An image whose
    activations are all equal has no correlation and raises ``ValueError``.

    >>> import numpy as np, atrophy
    >>> acts = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.5], [3.0, 1.0, 0.0]])
    >>> bool(np.allclose(atrophy.rdm(acts), 1 - np.corrcoef(acts)))
    True
    """
    return _atrophy.rdm(_activations("acts", acts))


def kendall_tau(a: ArrayLike, b: ArrayLike, variant: str = "b", pairs: str = "upper") -> float:
    """Kendall's rank correlation between two RDMs or two vectors, exact, in O(m log m).

    Two square 2-D arrays of the same shape are RDMs: their strict upper triangles (each pair
    of images once) are compared, or with ``pairs="full"`` the whole matrices flattened
    (diagonal and both triangles, as paper 001's authors' code did). Two 1-D arrays are
    compared as they are. ``variant="b"`` corrects for ties (as ``scipy.stats.kendalltau``);
    ``"a"`` does not (as rsatoolbox's ``tau-a``). Ties are counted exactly (Knight 1966).

    >>> import atrophy
    >>> atrophy.kendall_tau([1, 2, 3, 4], [1, 3, 2, 4])
    0.6666666666666666
    >>> atrophy.kendall_tau([1, 1, 2, 3], [1, 2, 2, 3], variant="a")
    0.6666666666666666
    """
    a, b = _floats(a).astype(np.float64, copy=False), _floats(b).astype(np.float64, copy=False)
    if a.shape != b.shape:
        raise ValueError(
            f"a has shape {a.shape} but b has shape {b.shape}; Kendall's tau needs the same shape"
        )
    if a.ndim == 1:
        if pairs != "upper":
            raise ValueError(f'pairs="{pairs}" compares whole RDMs; these are vectors (drop pairs)')
        return _atrophy.kendall_tau_vectors(a, b, variant)
    if a.ndim == 2 and a.shape[0] == a.shape[1]:
        return _atrophy.kendall_tau_rdms(a, b, variant, pairs)
    raise ValueError(f"shape {a.shape} is neither a square RDM (n x n) nor a vector (m)")


def pathway_overlap(
    w_a: ArrayLike,
    w_b: ArrayLike,
    k: Optional[int] = None,
    fraction: Optional[float] = None,
) -> Dict[str, Union[int, float]]:
    """How a layer's strongest synapses moved: the top-k magnitude weights of ``w_b`` against
    those of ``w_a`` (for example healthy and retrained weights of one layer, any shape, the
    same shape on both sides; flattened in C order).

    ``k`` is the number of synapses in each top set, or ``fraction`` of the layer's synapses
    (rounded, at least 1; default 0.01, as ``atrophy pathways``). Returns a dict: ``k``;
    ``kept`` (in both top sets); ``jaccard`` (kept / union); ``new_pathway`` (in the new top
    set only: a new pathway); ``rescaled`` (kept, value changed); ``unchanged`` (kept, bitwise
    equal). Equal magnitudes are ranked by the lower index.

    >>> import numpy as np, atrophy
    >>> healthy = np.array([0.9, -0.8, 0.1, 0.05, 0.7])
    >>> retrained = np.array([0.9, -0.1, 0.1, 0.95, 0.6])
    >>> atrophy.pathway_overlap(healthy, retrained, k=3)
    {'k': 3, 'kept': 2, 'jaccard': 0.5, 'new_pathway': 1, 'rescaled': 1, 'unchanged': 1}
    """
    w_a, w_b = _floats(w_a), _floats(w_b)
    if w_a.shape != w_b.shape:
        raise ValueError(
            f"w_a has shape {w_a.shape} but w_b has shape {w_b.shape}; "
            "pathways compare the same layer's weights"
        )
    if k is not None and fraction is not None:
        raise ValueError("give k or fraction, not both")
    n = w_a.size
    if k is None:
        f = 0.01 if fraction is None else float(fraction)
        if not 0.0 < f <= 1.0:
            raise ValueError(f"fraction {f} is out of range: expected 0 < fraction <= 1")
        k = min(max(int(np.floor(n * f + 0.5)), 1), max(n, 1))
    elif int(k) < 1:
        raise ValueError(f"k must be between 1 and the number of synapses in the layer, got {k}")
    ra, rb = _same_precision([np.ravel(w_a), np.ravel(w_b)])
    return _atrophy.pathway_overlap(ra, rb, int(k))
