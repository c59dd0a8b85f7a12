#!/usr/bin/env python3
"""Atrophy of one visual area at a time in CORnet-Z (issue 16): the folders that
docs/experiments/cornet-areas.sh writes (OUT/V1, OUT/V2, OUT/V4, OUT/IT), as Markdown tables for
docs/RESULTS.md (standard library only):

    python3 bench/cornet_areas_table.py runs/cornet-areas [--iteration 5]

1. Cost and recovery per lesioned area: top-1 of the healthy model, then at the chosen iteration
   after injury (static regime: no relearning) and after retraining (R1000), mean +- sample sd
   over cycles, with what retraining won back (retrained - injured) and the share of the loss it
   won back; and the accuracy averaged over the whole injury (the area under each cycle's
   accuracy-vs-injury curve over the injury range, as summary.md ranks regimes) per regime.
2. The CKA diagonal at that iteration: each area's output (its max-pool) and the decoder,
   injured and retrained, against the healthy model, mean +- sd over cycles.
"""
import argparse
import csv
import glob
import json
import os
from collections import defaultdict

from tables import area, complete_cycles, mean_sd, npy_diagonal, read_curves

AREAS = ["V1", "V2", "V4", "IT"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--iteration", type=int, default=5)
    a = ap.parse_args()
    it = a.iteration
    print(f"Top-1 (%) at iteration {it}, mean ± sd over cycles:\n")
    print("| lesioned area | synapses of the area decayed | healthy | static | R1000 injured | "
          "R1000 retrained | won back (points) | share of the loss won back | "
          "averaged over the injury: static | R1000 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for lesion in AREAS:
        path = os.path.join(a.out, lesion, "metrics.csv")
        if not os.path.exists(path):
            print(f"| {lesion} | not run | | | | | | | | |")
            continue
        v = defaultdict(dict)  # (regime, state) -> {cycle: value}
        healthy = None
        rows = list(csv.DictReader(open(path)))
        run = json.load(open(os.path.join(a.out, lesion, "run.json")))
        # P3: iteration n has affected n/N of the area's synapses (N = the run's iterations).
        n_iter = run["config"]["injury"]["iterations"]
        partial = "" if run.get("finished") else " (unfinished)"
        for r in rows:
            if int(r["iteration"]) == 0:
                healthy = float(r["top1"])
            if int(r["iteration"]) != it:
                continue
            v[(r["regime"], r["state"])][int(r["cycle"])] = float(r["top1"])
        inj, ret = v[("R1000", "injured")], v[("R1000", "retrained")]
        both = sorted(set(inj) & set(ret))
        won = [ret[c] - inj[c] for c in both]
        share = [(ret[c] - inj[c]) / (healthy - inj[c]) for c in both if healthy - inj[c] > 0.01]
        _, curves = read_curves(path)
        auc = {g: mean_sd([area(curves[(g, c)]) for c in complete_cycles(curves, g, n_iter)])
               for g in ("static", "R1000")}
        print(f"| {lesion}{partial} | {100 * it / n_iter:.0f} % | {100 * healthy:.1f} | "
              f"{mean_sd(list(v[('static', 'injured')].values()))} | {mean_sd(list(inj.values()))} | "
              f"{mean_sd(list(ret.values()))} | {mean_sd(won)} | {mean_sd(share, 100, 0) + ' %' if share else '—'} | "
              f"{auc['static']} | {auc['R1000']} |")
    print(f"\nLinear CKA against the healthy model, same layer, iteration {it} (R1000), "
          "mean ± sd over cycles:\n")
    cols = None
    for lesion in AREAS:
        cka = os.path.join(a.out, lesion, "cka")
        if not os.path.isdir(cka):
            continue
        layers = open(os.path.join(cka, "layers.txt")).read().split()
        if cols is None:
            cols = [l for l in layers if l.endswith(".pool") or l == "decoder.linear"]
            print("| lesioned area | state | " + " | ".join(cols) + " |")
            print("|---|---|" + "---:|" * len(cols))
        idx = [layers.index(c) for c in cols]
        for state in ("injured", "retrained"):
            files = sorted(glob.glob(os.path.join(cka, f"R1000_c*_i{it}_{state}.npy")))
            if not files:
                continue
            d = [[npy_diagonal(f)[k] for f in files] for k in idx]
            cells = [mean_sd(col, 1.0, 3) for col in d]
            print(f"| {lesion} | {state} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
