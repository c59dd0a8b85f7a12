#!/usr/bin/env python3
"""The Python package `atrophy` against the tools a Python user would otherwise call, on the same
arrays in one process (bench/RESULTS.md, "The Python package"):

  Kendall tau-b      scipy.stats.kendalltau on the RDMs' upper triangles (extraction included)
  RDM                1 - np.corrcoef(acts)
  RSA (RDM + tau-a)  rsatoolbox: calc_rdm(method="correlation") twice + compare(method="tau-a")
  CKA, one pair      numpy: Kornblith et al.'s feature-space linear CKA (biased) and a
                     torch_cka-style Gram HSIC (unbiased, Song et al.), float64
  CKA, L x L layers  the same numpy functions in a double loop, against atrophy.cka_matrix

    python3 -m venv /tmp/pybench && /tmp/pybench/bin/pip install ./python numpy scipy rsatoolbox
    /tmp/pybench/bin/python bench/python_bench.py [--sizes 1000,10000] [--layers 54] [--json OUT]

Activations are seeded Gaussians (ReLU'd, b = a + noise); layer widths cycle through 64, 128,
256, 512, 1024. Where a reference would take too long (the L x L loops at n = 10,000), it is
timed on `--pairs` pairs, one of each (width, width) class in turn, and extrapolated to all L^2
pairs, and the table says so. Values are checked to agree (CKA to 1e-6, tau-b to 1e-9, tau-a to
1e-6) before any time is reported. Threads: numpy's BLAS and atrophy both use every core;
scipy's kendalltau is single-threaded.
"""
import argparse
import importlib.metadata
import json
import platform
import time

import numpy as np
import scipy
import scipy.stats

import atrophy
from analysis_bench import feature_space_linear_cka  # Kornblith et al.'s reference, beside this file

try:
    import rsatoolbox
    from rsatoolbox.data import Dataset
    from rsatoolbox.rdm import calc_rdm, compare
except ImportError:  # pragma: no cover
    rsatoolbox = None


def timed(f, repeat=1):
    """(best wall seconds over `repeat` calls, last value)."""
    best, value = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        value = f()
        best = min(best, time.perf_counter() - t)
    return best, value


def unbiased_hsic(k, l):
    # Song et al. 2012, as torch_cka and Nguyen et al. compute it from Gram matrices.
    n = k.shape[0]
    k, l = k.copy(), l.copy()
    np.fill_diagonal(k, 0)
    np.fill_diagonal(l, 0)
    one = np.ones(n)
    return (
        np.sum(k * l)
        + (one @ k @ one) * (one @ l @ one) / ((n - 1) * (n - 2))
        - 2 * (one @ k @ l @ one) / (n - 2)
    ) / (n * (n - 3))


def gram_unbiased_cka(x, y):
    k, l = x @ x.T, y @ y.T
    return unbiased_hsic(k, l) / np.sqrt(unbiased_hsic(k, k) * unbiased_hsic(l, l))


def agree(name, a, b, tol=1e-6):
    if not abs(a - b) <= tol * max(1.0, abs(b)):
        raise SystemExit(f"{name}: atrophy {a!r} and the reference {b!r} differ by more than {tol}")


def row(results, what, n, ref_name, ref_s, ours_s, goal, note=""):
    results.append(
        dict(what=what, n=n, reference=ref_name, reference_s=ref_s, atrophy_s=ours_s,
             ratio=ref_s / ours_s, goal=goal, note=note)
    )
    print(f"{what:<34} n={n:<6} {ref_name:<28} {ref_s:9.3f} s  atrophy {ours_s:8.3f} s  "
          f"{ref_s / ours_s:6.1f}x  (goal {goal}) {note}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--features", type=int, default=512)
    ap.add_argument("--layers", type=int, default=54)
    ap.add_argument("--pairs", type=int, default=10, help="pairs timed before extrapolating a slow reference")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    results = []
    for n in [int(s) for s in args.sizes.split(",")]:
        pre = rng.normal(size=(n, args.features)).astype(np.float32)
        a = np.maximum(pre, 0)
        b = np.maximum(pre + rng.normal(size=pre.shape).astype(np.float32), 0)
        repeat = 3 if n <= 2000 else 1

        # RDM
        t_np, r_np = timed(lambda: 1 - np.corrcoef(a), repeat)
        t_at, r_at = timed(lambda: atrophy.rdm(a), repeat)
        assert np.allclose(r_np, r_at, atol=1e-9)
        row(results, "RDM (1 - Pearson)", n, "1 - np.corrcoef", t_np, t_at, ">= 3x")
        rdm_a, rdm_b = r_at, atrophy.rdm(b)
        del r_np

        # Kendall tau-b over the upper triangles
        def scipy_tau():
            iu = np.triu_indices(n, 1)
            return scipy.stats.kendalltau(rdm_a[iu], rdm_b[iu]).statistic

        t_sp, tau_sp = timed(scipy_tau, repeat)
        t_at, tau_at = timed(lambda: atrophy.kendall_tau(rdm_a, rdm_b), repeat)
        agree("tau-b", tau_at, tau_sp, 1e-9)
        row(results, "Kendall tau-b (RDM triangles)", n, "scipy.stats.kendalltau", t_sp, t_at, ">= 10x")

        # rsatoolbox: both RDMs and tau-a
        if rsatoolbox is not None:
            def rsa():
                ra = calc_rdm(Dataset(a), method="correlation")
                rb = calc_rdm(Dataset(b), method="correlation")
                return float(compare(ra, rb, method="tau-a")[0, 0])

            def ours():
                return atrophy.kendall_tau(atrophy.rdm(a), atrophy.rdm(b), variant="a")

            t_rsa, tau_rsa = timed(rsa, repeat)
            t_at, tau_at = timed(ours, repeat)
            agree("tau-a", tau_at, tau_rsa, 1e-6)
            row(results, "RSA: 2 RDMs + tau-a", n, "rsatoolbox calc_rdm+compare", t_rsa, t_at, ">= 10x")
        del rdm_a, rdm_b

        # CKA, one pair (float64 in numpy; atrophy given the same float32 arrays it reduces in f64)
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        t_np, c_np = timed(lambda: feature_space_linear_cka(a64, b64), repeat)
        t_at, c_at = timed(lambda: atrophy.cka(a, b), repeat)
        agree("linear CKA", c_at, c_np)
        row(results, "linear CKA, one pair", n, "numpy feature-space (f64)", t_np, t_at, "parity")
        t_np, c_np = timed(lambda: gram_unbiased_cka(a64, b64), repeat)
        t_at, c_at = timed(lambda: atrophy.cka(a, b, unbiased=True), repeat)
        agree("unbiased CKA", c_at, c_np)
        row(results, "unbiased CKA, one pair", n, "numpy Gram HSIC (f64)", t_np, t_at, "parity")
        del a64, b64

        # L x L layer matrix
        widths = [64, 128, 256, 512, 1024]
        layers_a = [np.maximum(rng.normal(size=(n, widths[l % 5])), 0).astype(np.float32) for l in range(args.layers)]
        layers_b = [x + 0.5 * np.abs(rng.normal(size=x.shape)).astype(np.float32) for x in layers_a]
        L = args.layers
        # The references get float64 copies made beforehand, so their times are the CKA alone.
        a64s, b64s = [x.astype(np.float64) for x in layers_a], [x.astype(np.float64) for x in layers_b]
        for unbiased, ref, ref_name in [
            (False, feature_space_linear_cka, "numpy loop, feature-space"),
            (True, gram_unbiased_cka, "numpy loop, Gram HSIC"),
        ]:
            t_at, m_at = timed(lambda: atrophy.cka_matrix(layers_a, layers_b, unbiased=unbiased))
            budget = L * L if n <= 2000 else args.pairs
            # One pair of each (width of i, width of j) class in turn, so that the sample has the
            # layers' mix of widths on both sides (an even spread over the flattened matrix
            # took the second layer from two widths only: 2915 / 9 is 6 x 54).
            every = [(i, j) for i in range(L) for j in range(L)]
            widths = len({x.shape[1] for x in layers_a})
            by_class = [[(i, j) for (i, j) in every if (i % widths, j % widths) == (wi, wj)]
                        for wi in range(widths) for wj in range(widths)]
            pairs = every if budget >= L * L else [
                by_class[k % len(by_class)][k // len(by_class)] for k in range(budget)]
            t0 = time.perf_counter()
            for i, j in pairs:
                v = ref(a64s[i], b64s[j])
                agree(f"CKA matrix [{i},{j}]", m_at[i, j], v)
            t_ref = (time.perf_counter() - t0) * (L * L) / len(pairs)
            note = "" if len(pairs) == L * L else f"(reference timed on {len(pairs)} pairs, x{L * L // len(pairs)})"
            kind = "unbiased" if unbiased else "linear"
            row(results, f"{kind} CKA, {L} x {L} layers", n, ref_name, t_ref, t_at, ">= 3x", note)
        del layers_a, layers_b, a64s, b64s

    info = dict(
        python=platform.python_version(), numpy=np.__version__, scipy=scipy.__version__,
        rsatoolbox=importlib.metadata.version("rsatoolbox") if rsatoolbox else None,
        machine=platform.machine(), results=results,
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(info, f, indent=1)


if __name__ == "__main__":
    main()
