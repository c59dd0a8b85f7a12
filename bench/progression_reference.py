#!/usr/bin/env python3
"""Reference values for atrophy's network diffusion (src/injury/spread.rs), computed with scipy.

A hand-built weighted graph of 6 units (a chain with a shortcut and a leaf), a seed load, and
exp(-beta L) x0 from scipy.linalg.expm for several beta, L = D - A the combinatorial graph
Laplacian. Written to tests/fixtures/progression/diffusion.json; src/injury/spread_tests.rs checks
atrophy's Chebyshev expansion against it to 1e-10.

    python3 bench/progression_reference.py [--out tests/fixtures/progression]
"""
import argparse
import json
import os

import numpy as np
import scipy
import scipy.linalg

EDGES = [(0, 1, 0.5), (1, 2, 0.25), (2, 3, 0.4), (3, 4, 0.3), (1, 3, 0.1), (4, 5, 0.6)]
X0 = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
BETAS = [0.0, 0.3, 1.0, 4.0, 25.0]


def laplacian(n, edges):
    a = np.zeros((n, n))
    for i, j, w in edges:
        a[i, j] += w
        a[j, i] += w
    return np.diag(a.sum(axis=1)) - a


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default="tests/fixtures/progression")
    args = p.parse_args()
    lap = laplacian(6, EDGES)
    x0 = np.array(X0)
    cases = [
        {"beta": b, "x": (scipy.linalg.expm(-b * lap) @ x0).tolist()} for b in BETAS
    ]
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "diffusion.json"), "w") as f:
        json.dump(
            {
                "scipy": scipy.__version__,
                "edges": EDGES,
                "x0": X0,
                "cases": cases,
            },
            f,
            indent=1,
        )
        f.write("\n")


if __name__ == "__main__":
    main()
