#!/usr/bin/env python3
"""numpy/scipy side of the analysis-kernel benchmark (see bench/RESULTS.md, "Analysis kernels").

    python3 bench/analysis_bench.py --data /tmp/atrophy-bench          # generate data + time
    cargo run --release --no-default-features --example analysis_bench -- /tmp/atrophy-bench

Generates seeded random inputs once (as .npy, so the Rust side reads the very same numbers):
  acts_a.npy, acts_b.npy   10,000 x 512 float32 "penultimate layer" activations (ReLU of a
                           Gaussian; b = a's pre-activations + noise)
  cka_x.npy, cka_y.npy     10,000 x 4096 and 10,000 x 2048 float32 (y depends on x)
then times, one call each (repeat with --repeat):
  RDM          1 - np.corrcoef(A)                                  (float64, as numpy computes it)
  Kendall      scipy.stats.kendalltau(RDM_a[iu], RDM_b[iu])        (tau-b, 49,995,000 pairs)
  linear CKA   Kornblith et al.'s feature_space_linear_cka(X, Y)   (float32 input, and float64)
and writes the timings and values to DATA/python_results.json.
"""
import argparse
import json
import os
import platform
import time

import numpy as np
import scipy
import scipy.stats

try:
    from threadpoolctl import threadpool_info
except ImportError:  # pragma: no cover
    threadpool_info = None


def feature_space_linear_cka(x, y):
    # Kornblith et al. 2019, reference code (biased estimator).
    x = x - np.mean(x, 0, keepdims=True)
    y = y - np.mean(y, 0, keepdims=True)
    dot = np.linalg.norm(x.T.dot(y)) ** 2
    nx = np.linalg.norm(x.T.dot(x))
    ny = np.linalg.norm(y.T.dot(y))
    return dot / (nx * ny)


def generate(d, seed):
    rng = np.random.default_rng(seed)
    n = 10_000
    pre = rng.standard_normal((n, 512), dtype=np.float32)
    a = np.maximum(pre, 0)
    b = np.maximum(pre + rng.standard_normal((n, 512), dtype=np.float32), 0)
    np.save(os.path.join(d, "acts_a.npy"), a)
    np.save(os.path.join(d, "acts_b.npy"), b)
    x = rng.standard_normal((n, 4096), dtype=np.float32)
    w = rng.standard_normal((4096, 2048), dtype=np.float32) / 64
    y = np.maximum(x @ w, 0) + 0.1 * rng.standard_normal((n, 2048), dtype=np.float32)
    np.save(os.path.join(d, "cka_x.npy"), x)
    np.save(os.path.join(d, "cka_y.npy"), y.astype(np.float32))


def timed(f, repeat):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t)
    return best, out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", default="/tmp/atrophy-bench")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--skip", default="", help="comma list of rdm,kendall,cka to skip")
    args = ap.parse_args()
    os.makedirs(args.data, exist_ok=True)
    if not os.path.exists(os.path.join(args.data, "cka_y.npy")):
        generate(args.data, args.seed)
    skip = set(filter(None, args.skip.split(",")))
    res = {"numpy": np.__version__, "scipy": scipy.__version__, "machine": platform.processor(),
           "cpus": os.cpu_count(),
           "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                                   "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")},
           "threadpools": threadpool_info() if threadpool_info else None, "timings_s": {},
           "values": {}}
    a = np.load(os.path.join(args.data, "acts_a.npy"))
    b = np.load(os.path.join(args.data, "acts_b.npy"))
    if not skip >= {"rdm", "kendall"}:
        t, ra = timed(lambda: 1 - np.corrcoef(a), args.repeat)
        res["timings_s"]["rdm_10000x512"] = t
        res["values"]["rdm_a_0_1"] = float(ra[0, 1])
        print(f"RDM 10000x512 (1 - np.corrcoef): {t:.3f} s", flush=True)
        if "kendall" not in skip:
            rb = 1 - np.corrcoef(b)
            iu = np.triu_indices(ra.shape[0], 1)
            ua, ub = ra[iu], rb[iu]
            del ra, rb, iu
            t, tau = timed(lambda: scipy.stats.kendalltau(ua, ub).statistic, args.repeat)
            res["timings_s"]["kendalltau_b_49995000"] = t
            res["values"]["tau_b"] = float(tau)
            print(f"kendalltau (tau-b, {len(ua)} pairs): {t:.3f} s  tau = {tau!r}", flush=True)
            del ua, ub
    if "cka" not in skip:
        x = np.load(os.path.join(args.data, "cka_x.npy"))
        y = np.load(os.path.join(args.data, "cka_y.npy"))
        t, v = timed(lambda: feature_space_linear_cka(x, y), args.repeat)
        res["timings_s"]["linear_cka_f32_10000_4096_2048"] = t
        res["values"]["cka_f32"] = float(v)
        print(f"linear CKA float32 (n=10000, 4096 x 2048): {t:.3f} s  cka = {v!r}", flush=True)
        x, y = x.astype(np.float64), y.astype(np.float64)
        t, v = timed(lambda: feature_space_linear_cka(x, y), args.repeat)
        res["timings_s"]["linear_cka_f64_10000_4096_2048"] = t
        res["values"]["cka_f64"] = float(v)
        print(f"linear CKA float64 (n=10000, 4096 x 2048): {t:.3f} s  cka = {v!r}", flush=True)
    for p in res["threadpools"] or []:
        print(f"threadpool: {p.get('internal_api')} {p.get('version')} "
              f"arch={p.get('architecture')} threads={p.get('num_threads')}")
    with open(os.path.join(args.data, "python_results.json"), "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
