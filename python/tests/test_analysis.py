"""The Python package against numpy/scipy references, on random data of several shapes, with
ties, in float32, float64 and Fortran order, and every error path.

The references are written out here from their definitions (Kornblith et al. 2019's CKA code,
``1 - np.corrcoef``, ``scipy.stats.kendalltau``), independent of atrophy's kernels.
"""

import doctest

import numpy as np
import pytest
import scipy.stats

import atrophy


# --- references -------------------------------------------------------------------------------


def gram_rbf(x, fraction):
    dot = x @ x.T
    sq = np.diag(dot)
    d2 = -2 * dot + sq[:, None] + sq[None, :]
    return np.exp(-d2 / (2 * fraction**2 * np.median(d2)))


def centre(g, unbiased):
    g = g.copy()
    n = g.shape[0]
    if unbiased:
        np.fill_diagonal(g, 0)
        means = g.sum(0) / (n - 2)
        means -= means.sum() / (2 * (n - 1))
        g -= means[:, None]
        g -= means[None, :]
        np.fill_diagonal(g, 0)
    else:
        h = np.eye(n) - 1.0 / n
        g = h @ g @ h
    return g


def cka_reference(x, y, kernel="linear", unbiased=False, fraction=0.8):
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if kernel == "linear":
        gx, gy = x @ x.T, y @ y.T
    else:
        gx, gy = gram_rbf(x, fraction), gram_rbf(y, fraction)
    gx, gy = centre(gx, unbiased), centre(gy, unbiased)
    return np.sum(gx * gy) / (np.linalg.norm(gx) * np.linalg.norm(gy))


def tau_a_reference(x, y):
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    sx = np.sign(x[:, None] - x[None, :])
    sy = np.sign(y[:, None] - y[None, :])
    m = len(x)
    return np.sum(np.triu(sx * sy, 1)) / (m * (m - 1) / 2)


def upper(a):
    return a[np.triu_indices(a.shape[0], 1)]


RNG = np.random.default_rng(2026)


def acts(n, p, dtype=np.float64, order="C"):
    return np.asarray(RNG.normal(size=(n, p)), dtype=dtype, order=order)


# --- CKA --------------------------------------------------------------------------------------


@pytest.mark.parametrize("n,p1,p2", [(10, 3, 5), (60, 40, 7), (200, 12, 300)])
@pytest.mark.parametrize("unbiased", [False, True])
def test_linear_cka_matches_numpy(n, p1, p2, unbiased):
    x = acts(n, p1)
    y = x[:, :1] * acts(n, p2) + 0.3 * acts(n, p2)
    got = atrophy.cka(x, y, unbiased=unbiased)
    assert got == pytest.approx(cka_reference(x, y, unbiased=unbiased), rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("fraction", [0.2, 0.8])
@pytest.mark.parametrize("unbiased", [False, True])
def test_rbf_cka_matches_numpy(fraction, unbiased):
    x, y = acts(30, 6), acts(30, 9)
    got = atrophy.cka(x, y, kernel="rbf", sigma_fraction=fraction, unbiased=unbiased)
    want = cka_reference(x, y, "rbf", unbiased, fraction)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_cka_float32_and_fortran_order_agree_with_float64():
    x, y = acts(80, 20), acts(80, 30)
    want = cka_reference(x, y)
    assert atrophy.cka(x.astype(np.float32), y.astype(np.float32)) == pytest.approx(want, rel=1e-5)
    assert atrophy.cka(np.asfortranarray(x), y) == pytest.approx(want, rel=1e-12)
    # A strided view (every other column) is read as it is, not as the memory behind it.
    assert atrophy.cka(x[:, ::2], y) == pytest.approx(cka_reference(x[:, ::2], y), rel=1e-12)
    # Mixed precisions and integer input are computed in float64.
    assert atrophy.cka(x.astype(np.float32), y) == pytest.approx(
        cka_reference(x.astype(np.float32), y), rel=1e-12
    )
    xi = RNG.integers(0, 5, size=(80, 4))
    assert atrophy.cka(xi, y) == pytest.approx(cka_reference(xi, y), rel=1e-12)


@pytest.mark.parametrize("unbiased", [False, True])
def test_cka_matrix_matches_pairwise(unbiased):
    layers = {"conv1": acts(50, 8), "conv2": acts(50, 30), "fc": acts(50, 3)}
    other = [v + 0.5 * acts(50, v.shape[1]) for v in layers.values()]
    m = atrophy.cka_matrix(layers, other, unbiased=unbiased)
    assert m.shape == (3, 3) and m.dtype == np.float64
    for i, x in enumerate(layers.values()):
        for j, y in enumerate(other):
            want = cka_reference(x, y, unbiased=unbiased)
            assert m[i, j] == pytest.approx(want, rel=1e-9, abs=1e-12)
    # ys defaults to xs: a symmetric matrix with a unit diagonal.
    s = atrophy.cka_matrix(list(layers.values()))
    assert np.allclose(s, s.T) and np.allclose(np.diag(s), 1.0)


def test_cka_matrix_float32_layers():
    xs = [acts(40, 10, np.float32), acts(40, 20, np.float32)]
    m = atrophy.cka_matrix(xs, xs)
    for i in range(2):
        for j in range(2):
            assert m[i, j] == pytest.approx(cka_reference(xs[i], xs[j]), rel=1e-5)


def test_minibatch_cka_matrix_is_the_mean_hsic_over_batches():
    x, y = acts(64, 10), acts(64, 12)
    # Nguyen et al.: HSIC_1 summed over minibatches, then normalised.
    def hsic1(a, b):
        n = a.shape[0]
        return np.sum(centre(a @ a.T, True) * centre(b @ b.T, True)) / (n * (n - 3))

    batches = [slice(i, i + 16) for i in range(0, 64, 16)]
    xy = sum(hsic1(x[b], y[b]) for b in batches)
    xx = sum(hsic1(x[b], x[b]) for b in batches)
    yy = sum(hsic1(y[b], y[b]) for b in batches)
    m = atrophy.cka_matrix([x], [y], minibatch=16)
    assert m[0, 0] == pytest.approx(xy / np.sqrt(xx * yy), rel=1e-9)


# --- RDM --------------------------------------------------------------------------------------


@pytest.mark.parametrize("n,p", [(2, 2), (17, 5), (120, 64)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rdm_is_one_minus_corrcoef(n, p, dtype):
    a = acts(n, p, dtype)
    r = atrophy.rdm(a)
    assert r.shape == (n, n) and r.dtype == np.float64
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert np.allclose(r, 1 - np.corrcoef(a.astype(np.float64)), atol=tol)
    assert np.array_equal(np.diag(r), np.zeros(n)) and np.array_equal(r, r.T)


def test_rdm_fortran_order():
    a = acts(30, 9)
    assert np.allclose(atrophy.rdm(np.asfortranarray(a)), 1 - np.corrcoef(a), atol=1e-12)


# --- Kendall's tau ----------------------------------------------------------------------------


@pytest.mark.parametrize("m", [2, 7, 500])
@pytest.mark.parametrize("levels", [None, 3, 20])
def test_tau_b_matches_scipy_with_ties(m, levels):
    if levels is None:
        x, y = RNG.normal(size=m), RNG.normal(size=m)
    else:
        x, y = RNG.integers(0, levels, m), RNG.integers(0, levels, m)
        if len(set(x)) < 2 or len(set(y)) < 2:
            x[0], x[-1], y[0], y[-1] = 0, 1, 0, 1
    want = scipy.stats.kendalltau(x, y).statistic
    assert atrophy.kendall_tau(x, y) == pytest.approx(want, abs=1e-12)
    assert atrophy.kendall_tau(x, y, variant="a") == pytest.approx(tau_a_reference(x, y), abs=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tau_over_rdm_triangles_and_full_matrices(dtype):
    a = atrophy.rdm(acts(40, 10, dtype))
    b = atrophy.rdm(acts(40, 10, dtype))
    # Rounding makes ties, as in real RDMs compared at low precision.
    a, b = np.round(a, 2), np.round(b, 2)
    up = scipy.stats.kendalltau(upper(a), upper(b)).statistic
    full = scipy.stats.kendalltau(a.ravel(), b.ravel()).statistic
    assert atrophy.kendall_tau(a, b) == pytest.approx(up, abs=1e-12)
    assert atrophy.kendall_tau(a, b, pairs="full") == pytest.approx(full, abs=1e-12)
    assert atrophy.kendall_tau(a, b, variant="a") == pytest.approx(
        tau_a_reference(upper(a), upper(b)), abs=1e-12
    )
    assert atrophy.kendall_tau(np.asfortranarray(a), b) == pytest.approx(up, abs=1e-12)


def test_tau_of_strided_vectors():
    x, y = RNG.normal(size=100), RNG.normal(size=100)
    want = scipy.stats.kendalltau(x[::3], y[::3]).statistic
    assert atrophy.kendall_tau(x[::3], y[::3]) == pytest.approx(want, abs=1e-12)


# --- pathways ---------------------------------------------------------------------------------


def test_pathway_overlap_against_a_numpy_count():
    w = RNG.normal(size=(16, 8, 3, 3))
    v = w.copy()
    v.flat[RNG.choice(w.size, 200, replace=False)] *= 0.5
    v.flat[RNG.choice(w.size, 50, replace=False)] = 0.0
    k = 100
    got = atrophy.pathway_overlap(w, v, k=k)
    # Top-k by magnitude, ties by the lower index (a stable sort of -|w|).
    top = lambda a: set(np.argsort(-np.abs(a.ravel()), kind="stable")[:k])
    ta, tb = top(w), top(v)
    kept = ta & tb
    same = sum(w.flat[i] == v.flat[i] for i in kept)
    assert got == {
        "k": k,
        "kept": len(kept),
        "jaccard": pytest.approx(len(kept) / len(ta | tb)),
        "new_pathway": k - len(kept),
        "rescaled": len(kept) - same,
        "unchanged": same,
    }
    # The default is 1 % of the layer's synapses, rounded half up.
    assert atrophy.pathway_overlap(w, v)["k"] == int(np.floor(w.size * 0.01 + 0.5))
    assert atrophy.pathway_overlap(w, v, fraction=0.5)["k"] == w.size // 2
    # float32 keeps the order of these magnitudes and keeps equal entries equal: the same counts.
    f32 = atrophy.pathway_overlap(w.astype(np.float32), v.astype(np.float32), k=k)
    assert f32 == got


# --- errors -----------------------------------------------------------------------------------


def raises(match, f, *args, **kwargs):
    with pytest.raises(ValueError, match=match):
        f(*args, **kwargs)


def test_errors_say_why():
    x = acts(10, 4)
    raises(r"shape mismatch.*\[10, 4\].*\[9, 4\]", atrophy.cka, x, acts(9, 4))
    raises(r"zero variance", atrophy.cka, x, np.ones((10, 3)))
    # Products that overflow: an error, never the NaN of inf / inf.
    huge = (x * 1e20).astype(np.float32)
    raises(r"overflows", atrophy.cka, huge, huge)
    raises(r"overflows", atrophy.cka_matrix, [huge], [huge])
    raises(r"at least 4 samples, got 3", atrophy.cka, x[:3], x[:3], unbiased=True)
    raises(r"non-finite value at flat index 5", atrophy.cka, np.where(np.arange(40).reshape(10, 4) == 5, np.nan, x), x)
    raises(r"kernel must be", atrophy.cka, x, x, kernel="cosine")
    raises(r"sigma_fraction", atrophy.cka, x, x, kernel="rbf", sigma_fraction=0.0)
    raises(r"must be 2-D.*\(10,\).*reshape", atrophy.cka, x[:, 0], x)
    raises(r"must be 2-D.*\(10, 4, 1\)", atrophy.rdm, x[:, :, None])
    raises(r"at least one layer", atrophy.cka_matrix, [], [x])
    raises(r"layer 1 of B", atrophy.cka_matrix, [x], [x, np.ones((10, 2))])
    raises(r"shape mismatch", atrophy.cka_matrix, [x], [acts(11, 4)])
    raises(r"minibatches of at least 4", atrophy.cka_matrix, [x], [x], minibatch=3)
    raises(r"minibatch must be a positive", atrophy.cka_matrix, [x], [x], minibatch=0)
    raises(r"RDM", atrophy.rdm, acts(1, 4))
    raises(r"zero variance", atrophy.rdm, np.vstack([x, np.ones(4)]))
    raises(r"same shape", atrophy.kendall_tau, np.arange(4), np.arange(5))
    raises(r"neither a square RDM", atrophy.kendall_tau, x, x)
    raises(r"variant must be", atrophy.kendall_tau, np.arange(4), np.arange(4), variant="c")
    raises(r"pairs must be", atrophy.kendall_tau, np.eye(3), np.eye(3), pairs="lower")
    raises(r"these are vectors", atrophy.kendall_tau, np.arange(4), np.arange(4), pairs="full")
    raises(r"constant", atrophy.kendall_tau, np.ones(5), np.arange(5))
    raises(r"non-finite value at flat index 1", atrophy.kendall_tau, np.array([1.0, np.nan, 2.0]), np.arange(3.0))
    raises(r"same layer", atrophy.pathway_overlap, x, acts(10, 5))
    raises(r"k must be between 1", atrophy.pathway_overlap, x, x, k=0)
    raises(r"k = 41: must be between 1 and the number of synapses", atrophy.pathway_overlap, x, x, k=41)
    raises(r"give k or fraction", atrophy.pathway_overlap, x, x, k=2, fraction=0.1)
    raises(r"fraction 1.5 is out of range", atrophy.pathway_overlap, x, x, fraction=1.5)
    with pytest.raises(TypeError, match="list or dict"):
        atrophy.cka_matrix(x, x)
    with pytest.raises(TypeError, match="real numeric array"):
        atrophy.rdm(np.array([["a", "b"], ["c", "d"]]))


def test_no_nan_is_ever_returned_for_an_all_tied_input():
    with pytest.raises(ValueError):
        atrophy.kendall_tau(np.zeros(10), np.zeros(10))


# --- documentation ----------------------------------------------------------------------------


def test_docstring_examples_run():
    failures, tried = doctest.testmod(atrophy, verbose=False)
    assert tried >= 15 and failures == 0
    for module in (atrophy.results, atrophy.runner, atrophy.scripting):
        failures, _ = doctest.testmod(module, extraglobs={"atrophy": atrophy}, verbose=False)
        assert failures == 0, module.__name__
    for name in atrophy.__all__:
        if callable(getattr(atrophy, name)):
            assert ">>>" in getattr(atrophy, name).__doc__, f"{name} has no example"


def test_gil_is_released_while_computing():
    # Two threads each computing a large Kendall's tau finish together in well under twice the
    # time of one only if the GIL is released; here we check the weaker, deterministic property
    # that a second Python thread makes progress while the kernel runs.
    import threading

    x, y = RNG.normal(size=2_000_000), RNG.normal(size=2_000_000)
    ticks = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(1)
            done.wait(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    before = len(ticks)
    atrophy.kendall_tau(x, y)
    during = len(ticks) - before
    done.set()
    t.join()
    assert during > 5
