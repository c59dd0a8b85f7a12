#!/usr/bin/env python3
"""Issue 30, arm 3: two runs of one paper's protocol from different healthy models side by side,
one regime, every state of every iteration (standard library only):

    python3 bench/origin_table.py --regime R1000 \
        from-scratch=docs/reproductions/000-recipe30-1cycle-metrics.csv \
        compressed=docs/reproductions/000-arm3-compressed-1cycle-metrics.csv
    python3 bench/origin_table.py --regime retrained --metric mean_class \
        from-scratch=docs/reproductions/001-recipe30-1cycle-metrics.csv \
        compressed=docs/reproductions/001-arm3-compressed-1cycle-metrics.csv

Top-1 (or `--metric mean_class`, paper 001's measure) in percent, mean ± sample sd over the
run's cycles (the value alone for one cycle), per iteration and state (injured, recalibrated,
retrained; the healthy model as iteration 0), and the difference of each later run from the
first.
"""
import argparse
import csv
from collections import defaultdict

from tables import mean_sd

STATES = ["healthy", "injured", "recalibrated", "retrained"]


def read(metrics_csv, regime, metric):
    """{(iteration, state): [`metric` per cycle]} and {iteration: fraction injured} of `regime`."""
    values, fractions = defaultdict(list), {}
    for r in csv.DictReader(open(metrics_csv)):
        if r["regime"] != regime:
            continue
        i = int(r["iteration"])
        values[(i, r["state"])].append(float(r[metric]))
        fractions[i] = float(r["fraction_injured"])
    if not values:
        raise SystemExit(f"{metrics_csv}: no rows of regime {regime}")
    return values, fractions


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--regime", default="R1000")
    p.add_argument("--metric", default="top1", choices=["top1", "mean_class"])
    p.add_argument("runs", nargs="+", metavar="NAME=METRICS_CSV")
    a = p.parse_args()
    runs = [(n, *read(path, a.regime, a.metric)) for n, path in (r.split("=", 1) for r in a.runs)]
    keys = sorted({k for _, v, _ in runs for k in v}, key=lambda k: (k[0], STATES.index(k[1])))
    head = ["iteration", "injured (%)", "state"] + [n for n, _, _ in runs]
    head += [f"{n} - {runs[0][0]}" for n, _, _ in runs[1:]]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * 3 + "---:|" * (len(head) - 3))
    mean = lambda v: sum(v) / len(v) if v else None
    for i, state in keys:
        frac = next((f[i] for _, _, f in runs if i in f), 0.0)
        cells = [str(i), f"{100 * frac:.0f}", state]
        cells += [mean_sd(v.get((i, state), [])) for _, v, _ in runs]
        base = mean(runs[0][1].get((i, state), []))
        for _, v, _ in runs[1:]:
            m = mean(v.get((i, state), []))
            cells.append("—" if m is None or base is None else f"{100 * (m - base):+.1f}")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
