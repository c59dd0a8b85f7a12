#!/usr/bin/env python3
"""The arms table of docs/RESULTS.md from a results folder's metrics.csv (standard library only).

For every regime (arm) and the chosen iterations: top-1 (or another metric) after the injury,
after BatchNorm recalibration when the arm has it, and after retraining, mean +- sample sd over
cycles, in percent; with the mean wall seconds per step.

    python3 bench/arms_table.py RESULTS_DIR [--iterations 1,3,6,8] [--metric top1]
"""
import argparse
import csv
import os
import statistics
from collections import OrderedDict, defaultdict


def cell(values):
    """Mean ± sample sd in percent; the value alone for one cycle (its sd is undefined)."""
    if not values:
        return "—"
    m = 100 * statistics.mean(values)
    if len(values) == 1:
        return f"{m:.1f}"
    return f"{m:.1f} ± {100 * statistics.stdev(values):.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("--iterations", default="1,3,6,8")
    ap.add_argument("--metric", default="top1")
    a = ap.parse_args()
    its = [int(i) for i in a.iterations.split(",")]
    rows = list(csv.DictReader(open(os.path.join(a.results, "metrics.csv"))))
    values = defaultdict(list)
    fraction = defaultdict(list)
    seconds = defaultdict(list)
    regimes = OrderedDict()
    for r in rows:
        key = (r["regime"], int(r["iteration"]), r["state"])
        regimes[r["regime"]] = True
        values[key].append(float(r[a.metric]))
        fraction[int(r["iteration"])].append(float(r["fraction_injured"]))
        if r["state"] != "healthy":
            seconds[r["regime"]].append(float(r["seconds"]))
    missing = [i for i in its if i not in fraction]
    if missing:
        print(f"(iterations {missing} are not in this run: left out)\n")
        its = [i for i in its if i in fraction]
    # Every regime's cycle starts from the same healthy model: one regime's rows are its cycles.
    first = next(iter(regimes), None)
    healthy = [v for (g, i, s), vs in values.items() if s == "healthy" and g == first for v in vs]
    print(f"healthy: {cell(healthy)} ({a.metric}, %)\n")
    head = ["arm"]
    for i in its:
        f = 100 * statistics.mean(fraction[i])
        head += [f"{f:.0f} %: injured", "recalibrated", "retrained"]
    head.append("s / step")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for g in regimes:
        cells = [g]
        for i in its:
            cells += [cell(values.get((g, i, s), [])) for s in ("injured", "recalibrated", "retrained")]
        # A step: injury and its evaluation, plus recalibration and retraining with theirs.
        steps = sum(len(v) for k, v in values.items() if k[0] == g and k[2] == "injured")
        per_step = sum(seconds[g]) / max(1, steps)
        cells.append(f"{per_step:.1f}")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
