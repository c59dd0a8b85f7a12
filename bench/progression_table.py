#!/usr/bin/env python3
"""Disease that spreads (issue 31): the runs docs/experiments/progression.sh writes (OUT/uniform,
OUT/diffusion-V1, ...), or any runs of one config that differ by their progression, as Markdown
tables for docs/RESULTS.md (standard library only):

    python3 bench/progression_table.py runs/progression [--runs uniform,diffusion-V1,...]
        [--cka-iteration 3]

1. Top-1 (%) per run and regime at every iteration (the last state of the iteration: retrained
   for R1000, injured for static), mean +- sample sd over the complete cycles, and the accuracy
   averaged over the injury (the area under each cycle's curve, as summary.md ranks regimes).
2. Each run against the first (`uniform`): the difference of the averaged accuracies and at each
   iteration, marked * where it exceeds the cycles' spread, i.e. |difference| > sd(a) + sd(b)
   (the two mean +- sd intervals do not overlap).
3. The damage map: each area's share of synapses injured after every iteration (damage.csv;
   every regime of a cycle loses the same synapses, so the first regime's rows), mean over
   cycles. A uniform run writes no damage.csv: its map is read from its fraction injured.
4. The CKA of each area's output (the `.pool` layers and the decoder) against the healthy model
   at `--cka-iteration`, per regime and state, mean +- sd over cycles.
"""
import argparse
import csv
import glob
import os
import statistics
from collections import defaultdict

from tables import area, complete_cycles, mean_sd, npy_diagonal, read_curves, run_iterations


def spread(v):
    v = [x for x in v if x is not None]
    return (statistics.mean(v), statistics.stdev(v) if len(v) > 1 else 0.0) if v else (None, None)


def compare_cell(a, b):
    """`difference (*)` in points between two lists of per-cycle values (b - a)."""
    (ma, sa), (mb, sb) = spread(a), spread(b)
    if ma is None or mb is None:
        return "—"
    d = 100 * (mb - ma)
    mark = " *" if abs(mb - ma) > sa + sb else ""
    return f"{d:+.1f}{mark}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--runs", default="uniform,diffusion-V1,staged-posterior,diffusion-IT,"
                    "staged-anterior,activity")
    ap.add_argument("--cka-iteration", type=int, default=3)
    a = ap.parse_args()
    runs = [r for r in a.runs.split(",") if os.path.exists(os.path.join(a.out, r, "metrics.csv"))]
    values = {}  # run -> (regimes, {(regime, iteration): [per-cycle value]}, {regime: [area]})
    n_iter = None
    for run in runs:
        d = os.path.join(a.out, run)
        n_iter = run_iterations(d)
        order, curves = read_curves(os.path.join(d, "metrics.csv"))
        per_it, areas = defaultdict(list), {}
        for g in order:
            cycles = complete_cycles(curves, g, n_iter)
            for c in cycles:
                for i in range(n_iter + 1):
                    per_it[(g, i)].append(curves[(g, c)][i][1])
            areas[g] = [area(curves[(g, c)]) for c in cycles]
        values[run] = (order, per_it, areas, len(complete_cycles(curves, order[0], n_iter)))
    if not runs:
        raise SystemExit(f"no runs with a metrics.csv under {a.out}")
    # Columns are labelled by the share of synapses injured, read from the first run's
    # metrics.csv (decay: n/N; ablation: 1 - (1 - fraction)^n).
    _, base_curves = read_curves(os.path.join(a.out, runs[0], "metrics.csv"))
    injured = defaultdict(list)
    for curve in base_curves.values():
        for i, point in curve.items():
            injured[i].append(point[0])

    def label(i):
        return f"{100 * statistics.mean(injured[i]):.1f}".removesuffix(".0") + " %"

    print("Top-1 (%) after each iteration (the regime's last state), mean ± sd over cycles:\n")
    its = list(range(1, n_iter + 1))
    print("| run | regime | cycles | " + " | ".join(label(i) for i in its)
          + " | averaged over the injury |")
    print("|---|---|---:|" + "---:|" * (len(its) + 1))
    for run in runs:
        order, per_it, areas, n = values[run]
        for g in order:
            cells = [mean_sd(per_it[(g, i)]) for i in its]
            print(f"| {run} | {g} | {n} | " + " | ".join(cells) + f" | {mean_sd(areas[g])} |")

    base = runs[0]
    print(f"\nDifference from `{base}` in points (run - {base}); * where it exceeds the cycles' "
          "spread (|difference| > sd + sd):\n")
    print("| run | regime | " + " | ".join(label(i) for i in its)
          + " | averaged |")
    print("|---|---|" + "---:|" * (len(its) + 1))
    for run in runs[1:]:
        order, per_it, areas, _ = values[run]
        border, bper_it, bareas, _ = values[base]
        for g in order:
            if g not in border:
                continue
            cells = [compare_cell(bper_it[(g, i)], per_it[(g, i)]) for i in its]
            print(f"| {run} | {g} | " + " | ".join(cells)
                  + f" | {compare_cell(bareas[g], areas[g])} |")

    print("\nShare of each area's synapses injured after each iteration (%), mean over cycles:\n")
    header = None
    for run in runs:
        path = os.path.join(a.out, run, "damage.csv")
        if not os.path.exists(path):
            print(f"- {run}: no damage.csv (uniform): every area at the run's fraction injured\n")
            continue
        rows = list(csv.DictReader(open(path)))
        first = rows[0]["regime"]
        share = defaultdict(lambda: defaultdict(lambda: [0.0, 0]))  # (it, cycle) -> area -> [inj, n]
        areas = []
        for r in rows:
            if r["regime"] != first:
                continue
            if r["area"] not in areas:
                areas.append(r["area"])
            s = share[(int(r["iteration"]), int(r["cycle"]))][r["area"]]
            s[0] += float(r["injured"]) * int(r["synapses"])
            s[1] += int(r["synapses"])
        if header is None:
            header = areas
            print("| run | iteration | " + " | ".join(areas) + " |")
            print("|---|---:|" + "---:|" * len(areas))
        for i in its:
            cells = []
            for ar in header:
                v = [s[ar][0] / s[ar][1] for (it, _), s in share.items() if it == i and s[ar][1]]
                cells.append(f"{100 * statistics.mean(v):.0f}" if v else "—")
            print(f"| {run} | {i} | " + " | ".join(cells) + " |")

    it = a.cka_iteration
    if not any(os.path.isdir(os.path.join(a.out, r, "cka")) for r in runs):
        return
    print(f"\nLinear CKA of each area's output against the healthy model after iteration {it} "
          f"({label(it)} injured), mean ± sd over cycles:\n")
    cols = None
    for run in runs:
        cka = os.path.join(a.out, run, "cka")
        if not os.path.isdir(cka):
            continue
        layers = open(os.path.join(cka, "layers.txt")).read().split()
        if cols is None:
            cols = [l for l in layers if l.endswith(".pool") or l == "decoder.linear"]
            print("| run | regime, state | " + " | ".join(cols) + " |")
            print("|---|---|" + "---:|" * len(cols))
        idx = [layers.index(c) for c in cols]
        for g, state in (("static", "injured"), ("R1000", "injured"), ("R1000", "retrained")):
            files = sorted(glob.glob(os.path.join(cka, f"{g}_c*_i{it}_{state}.npy")))
            if not files:
                continue
            d = [[npy_diagonal(f)[k] for f in files] for k in idx]
            print(f"| {run} | {g} {state} | " + " | ".join(mean_sd(c, 1.0, 2) for c in d) + " |")


if __name__ == "__main__":
    main()
