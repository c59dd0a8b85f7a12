#!/usr/bin/env python3
"""Reference values for atrophy's analysis kernels, computed with numpy/scipy.

Writes small random inputs (.npy) and the values numpy/scipy compute from them (expected.json)
into tests/fixtures/analysis/; tests/analysis_reference.rs checks that atrophy agrees to ~1e-10.

    python3 bench/analysis_reference.py [--out tests/fixtures/analysis]

The implementations below follow Kornblith et al. 2019's reference code (linear and RBF CKA,
debiased HSIC) and use scipy.stats.kendalltau for tau-b. tau-a has no scipy variant, so it is
computed by an O(m^2) vectorised count of concordant and discordant pairs (fixtures are small).
RDM cases also carry tau over the whole flattened matrices (`*_full`), as paper 001's authors'
code computed it.
"""
import argparse
import json
import os

import numpy as np
import scipy
import scipy.stats


def gram_linear(x):
    return x @ x.T


def gram_rbf(x, threshold):
    dot = x @ x.T
    sq = np.diag(dot)
    d2 = -2 * dot + sq[:, None] + sq[None, :]
    return np.exp(-d2 / (2 * threshold**2 * np.median(d2)))


def center_gram(g, unbiased=False):
    g = g.copy()
    if unbiased:
        # Kornblith et al.'s debiased centring: <center(K), center(L)> = n(n-3) HSIC_1(K, L).
        n = g.shape[0]
        np.fill_diagonal(g, 0)
        means = np.sum(g, 0, dtype=np.float64) / (n - 2)
        means -= np.sum(means) / (2 * (n - 1))
        g -= means[:, None]
        g -= means[None, :]
        np.fill_diagonal(g, 0)
    else:
        means = np.mean(g, 0, dtype=np.float64)
        means -= np.mean(means) / 2
        g -= means[:, None]
        g -= means[None, :]
    return g


def cka(gx, gy, debiased=False):
    gx = center_gram(gx, debiased)
    gy = center_gram(gy, debiased)
    s = gx.ravel().dot(gy.ravel())
    return s / (np.linalg.norm(gx) * np.linalg.norm(gy))


def feature_space_linear_cka(x, y):
    x = x - np.mean(x, 0, keepdims=True)
    y = y - np.mean(y, 0, keepdims=True)
    xy = np.linalg.norm(x.T @ y) ** 2
    return xy / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y))


def hsic_unbiased(k, l):
    """Song et al. 2012, written out directly (independent of Kornblith's centring trick)."""
    n = k.shape[0]
    kt = k.copy()
    lt = l.copy()
    np.fill_diagonal(kt, 0)
    np.fill_diagonal(lt, 0)
    one = np.ones(n)
    t = np.trace(kt @ lt) + (one @ kt @ one) * (one @ lt @ one) / ((n - 1) * (n - 2))
    t -= 2 / (n - 2) * (one @ kt @ lt @ one)
    return t / (n * (n - 3))


def rdm(a):
    return 1 - np.corrcoef(a)


def exact(r):
    """The RDM mirrored from its strict upper triangle, with a zero diagonal."""
    u = np.triu(r, 1)
    return u + u.T


def tau_counts(x, y):
    dx = np.sign(x[:, None] - x[None, :])
    dy = np.sign(y[:, None] - y[None, :])
    iu = np.triu_indices(len(x), 1)
    prod = (dx * dy)[iu]
    return int(np.sum(prod > 0)), int(np.sum(prod < 0)), len(iu[0])


def tau_a(x, y):
    c, d, n0 = tau_counts(x, y)
    return (c - d) / n0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "tests", "fixtures", "analysis"))
    ap.add_argument("--seed", type=int, default=20240601)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    cases = []

    # CKA: several shapes, p < n and p > n, related and unrelated representations,
    # one of them ReLU-like with a large mean (tests centring).
    for name, n, p1, p2, relation in [
        ("cka_small", 10, 3, 4, "related"),
        ("cka_wide", 24, 60, 45, "related"),
        ("cka_tall", 80, 7, 5, "independent"),
        ("cka_relu", 50, 20, 30, "relu"),
    ]:
        x = rng.standard_normal((n, p1))
        if relation == "related":
            y = x @ rng.standard_normal((p1, p2)) + 0.5 * rng.standard_normal((n, p2))
        elif relation == "relu":
            y = np.maximum(x @ rng.standard_normal((p1, p2)), 0) + 10.0
        else:
            y = rng.standard_normal((n, p2))
        np.save(os.path.join(args.out, f"{name}_x.npy"), x)
        np.save(os.path.join(args.out, f"{name}_y.npy"), y)
        kx, ky = gram_linear(x), gram_linear(y)
        cases.append({
            "kind": "cka", "name": name, "x": f"{name}_x.npy", "y": f"{name}_y.npy",
            "linear": float(feature_space_linear_cka(x, y)),
            "linear_gram": float(cka(kx, ky)),
            "linear_unbiased": float(cka(kx, ky, debiased=True)),
            "hsic_unbiased_xy": float(hsic_unbiased(kx, ky)),
            "hsic_unbiased_kornblith_xy": float(
                center_gram(kx, True).ravel() @ center_gram(ky, True).ravel() / (n * (n - 3))),
            "rbf": {str(t): float(cka(gram_rbf(x, t), gram_rbf(y, t))) for t in (0.2, 0.5, 0.8)},
            "rbf_unbiased": {str(t): float(cka(gram_rbf(x, t), gram_rbf(y, t), debiased=True))
                             for t in (0.8,)},
        })

    # RDMs and Kendall's tau between them.
    for name, n, p in [("rdm_small", 12, 5), ("rdm_mid", 60, 33)]:
        a = rng.standard_normal((n, p))
        b = a + rng.standard_normal((n, p))
        np.save(os.path.join(args.out, f"{name}_a.npy"), a)
        np.save(os.path.join(args.out, f"{name}_b.npy"), b)
        ra, rb = rdm(a), rdm(b)
        np.save(os.path.join(args.out, f"{name}_rdm_a.npy"), ra)
        iu = np.triu_indices(n, 1)
        cases.append({
            "kind": "rdm", "name": name, "a": f"{name}_a.npy", "b": f"{name}_b.npy",
            "rdm_a": f"{name}_rdm_a.npy",
            "tau_b": float(scipy.stats.kendalltau(ra[iu], rb[iu], variant="b").statistic),
            "tau_a": float(tau_a(ra[iu], rb[iu])),
            # Paper 001's authors' reading: the whole matrices, diagonal and both triangles, of
            # the RDMs as atrophy holds them (exactly symmetric, diagonal exactly 0; numpy's
            # 1 - corrcoef is both only up to rounding, which would break their ties).
            "tau_b_full": float(scipy.stats.kendalltau(
                exact(ra).ravel(), exact(rb).ravel(), variant="b").statistic),
            "tau_a_full": float(tau_a(exact(ra).ravel(), exact(rb).ravel())),
        })

    # Kendall's tau between vectors with many ties (x, y and joint).
    for name, m, levels in [("tau_ties", 300, 6), ("tau_few", 9, 3), ("tau_cont", 500, 0)]:
        if levels:
            x = rng.integers(0, levels, m).astype(np.float64)
            y = np.where(rng.random(m) < 0.4, x, rng.integers(0, levels, m)).astype(np.float64)
        else:
            x = rng.standard_normal(m)
            y = x + rng.standard_normal(m)
        np.save(os.path.join(args.out, f"{name}_x.npy"), x)
        np.save(os.path.join(args.out, f"{name}_y.npy"), y)
        c, d, n0 = tau_counts(x, y)
        cases.append({
            "kind": "tau", "name": name, "x": f"{name}_x.npy", "y": f"{name}_y.npy",
            "tau_b": float(scipy.stats.kendalltau(x, y, variant="b").statistic),
            "tau_a": float(tau_a(x, y)), "concordant": c, "discordant": d, "pairs": n0,
        })

    meta = {"numpy": np.__version__, "scipy": scipy.__version__, "seed": args.seed}
    with open(os.path.join(args.out, "expected.json.tmp"), "w") as f:
        json.dump({"generated_by": "bench/analysis_reference.py", "versions": meta,
                   "cases": cases}, f, indent=1)
    os.replace(os.path.join(args.out, "expected.json.tmp"), os.path.join(args.out, "expected.json"))
    print(f"wrote {len(cases)} cases to {os.path.normpath(args.out)}")


if __name__ == "__main__":
    main()
