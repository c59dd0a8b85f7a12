#!/usr/bin/env python3
"""1:1 layer CKA against the healthy model (the diagonal of the saved CKA matrices), mean over
cycles, for chosen regimes, iteration and layers of a results folder (standard library only).

    python3 bench/cka_diagonal.py RESULTS_DIR --iteration 6 [--regimes R1000,R5000] [--last 6]

Prints a Markdown table: one row per (regime, state), one column per layer (the last N layers
of cka/layers.txt), values mean +- sd over the cycles whose matrices exist.
"""
import argparse
import glob
import os
import statistics

from tables import npy_diagonal


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("--iteration", type=int, default=6)
    ap.add_argument("--regimes", default="")
    ap.add_argument("--last", type=int, default=6)
    a = ap.parse_args()
    cka = os.path.join(a.results, "cka")
    layers = open(os.path.join(cka, "layers.txt")).read().split()
    pick = list(range(len(layers)))[-a.last:]
    regimes = [r for r in a.regimes.split(",") if r]
    if not regimes:
        names = {os.path.basename(p).rsplit("_c", 1)[0] for p in glob.glob(os.path.join(cka, "*_c*_i*_*.npy"))}
        regimes = sorted(names)
    print("| regime | state | " + " | ".join(layers[i] for i in pick) + " |")
    print("|---|---|" + "---|" * len(pick))
    for g in regimes:
        for state in ("injured", "recalibrated", "retrained"):
            files = sorted(glob.glob(os.path.join(cka, f"{glob.escape(g)}_c*_i{a.iteration}_{state}.npy")))
            if not files:
                continue
            diag = [npy_diagonal(f) for f in files]
            cells = []
            for i in pick:
                v = [d[i] for d in diag]
                sd = statistics.stdev(v) if len(v) > 1 else 0.0
                cells.append(f"{statistics.mean(v):.2f} ± {sd:.2f}")
            print(f"| {g} | {state} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
