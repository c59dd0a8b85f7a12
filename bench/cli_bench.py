#!/usr/bin/env python3
"""The command line as a user meets it, file reading and writing included: `atrophy rdm`,
`atrophy kendall` and `atrophy rsa` on .npy files against Python scripts doing the same with
numpy/scipy (bench/RESULTS.md, "The command line on files").

    cargo build --release
    python3 bench/cli_bench.py [--atrophy target/release/atrophy] [--n 10000] [--features 512]

Every command runs as its own process (interpreter start-up and imports included for Python,
as a user runs a script); the page cache is warm (the inputs were just written, and each pair
runs `--repeat` times). Each pair is timed `--repeat` times, best wall time kept; the full
float64 outputs are checked to agree (the `--dtype f32` and `--upper` variants are timed only).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

NUMPY_RDM = """
import sys, numpy as np
a = np.load(sys.argv[1])
np.save(sys.argv[2], 1 - np.corrcoef(a))
"""
SCIPY_KENDALL = """
import sys, numpy as np, scipy.stats
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
iu = np.triu_indices(a.shape[0], 1)
print(repr(float(scipy.stats.kendalltau(a[iu], b[iu]).statistic)))
"""
SCIPY_RSA = """
import sys, numpy as np, scipy.stats
ra, rb = (1 - np.corrcoef(np.load(p)) for p in sys.argv[1:3])
iu = np.triu_indices(ra.shape[0], 1)
print(repr(float(scipy.stats.kendalltau(ra[iu], rb[iu]).statistic)))
"""


def best(cmd, repeat):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        times.append(time.perf_counter() - t)
    return min(times), out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--atrophy", default="target/release/atrophy")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--features", type=int, default=512)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--dir", default=None, help="working folder (default: a temporary one)")
    args = ap.parse_args()
    work = args.dir or tempfile.mkdtemp(prefix="atrophy-cli-bench.")
    os.makedirs(work, exist_ok=True)
    p = lambda name: os.path.join(work, name)
    rng = np.random.default_rng(0)
    pre = rng.normal(size=(args.n, args.features)).astype(np.float32)
    np.save(p("a.npy"), np.maximum(pre, 0))
    np.save(p("b.npy"), np.maximum(pre + rng.normal(size=pre.shape).astype(np.float32), 0))
    py = [sys.executable, "-c"]
    at = [os.path.abspath(args.atrophy)]
    rows = []

    def pair(what, ref_cmd, ours_cmd, check=None):
        t_ref, out_ref = best(ref_cmd, args.repeat)
        t_ours, out_ours = best(ours_cmd, args.repeat)
        if check:
            check(out_ref, out_ours)
        rows.append((what, t_ref, t_ours))
        print(f"{what:<52} python {t_ref:7.2f} s   atrophy {t_ours:7.2f} s   {t_ref / t_ours:5.1f}x", flush=True)

    def same_rdm(*_):
        ref, ours = np.load(p("ref_rdm.npy")), np.load(p("rdm.npy"))
        assert np.allclose(ref, ours, atol=1e-9), "RDMs differ"

    def same_tau(ref, ours):
        assert abs(float(ref) - float(ours)) < 1e-9, (ref, ours)

    n = args.n
    pair("rdm, float64 n x n file", py + [NUMPY_RDM, p("a.npy"), p("ref_rdm.npy")],
         at + ["rdm", p("a.npy"), "--out", p("rdm.npy")], same_rdm)
    subprocess.run(at + ["rdm", p("b.npy"), "--out", p("rdm_b.npy")], check=True, capture_output=True)
    pair("rdm --dtype f32 (half the file)", py + [NUMPY_RDM, p("a.npy"), p("ref_rdm.npy")],
         at + ["rdm", p("a.npy"), "--out", p("rdm32.npy"), "--dtype", "f32"])
    pair("rdm --upper (the n(n-1)/2 pairs)", py + [NUMPY_RDM, p("a.npy"), p("ref_rdm.npy")],
         at + ["rdm", p("a.npy"), "--out", p("upper.npy"), "--upper"])
    pair("kendall on two n x n RDM files", py + [SCIPY_KENDALL, p("rdm.npy"), p("rdm_b.npy")],
         at + ["kendall", p("rdm.npy"), p("rdm_b.npy")], same_tau)
    pair("rsa: both RDMs + tau from the activations", py + [SCIPY_RSA, p("a.npy"), p("b.npy")],
         at + ["rsa", p("a.npy"), p("b.npy")], same_tau)
    print(f"(n = {n}, {args.features} features, float32 activations; folder {work})")


if __name__ == "__main__":
    main()
