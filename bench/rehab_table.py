#!/usr/bin/env python3
"""Rehabilitation strategies compared (issue 18): each regime's accuracy at chosen injury levels
and the area under its accuracy-vs-injury curve, mean +- sample sd over cycles, as a Markdown
table for docs/RESULTS.md (standard library only):

    python3 bench/rehab_table.py runs/rehabilitation [--at 0.3,0.6,0.8] [--metric top1]

A regime's accuracy at an injury level is that of the last state of the iteration (retrained,
else recalibrated, else injured: what the regime ends the iteration with); the injured state
is shown beside it. The area is the trapezoid rule over the healthy model and the last state of
every iteration, divided by the fraction injured at the last iteration: the same number as
summary.md's ranking.
"""
import argparse
import csv
from collections import defaultdict

from tables import mean_sd

LAST = {"retrained": 3, "recalibrated": 2, "injured": 1, "healthy": 0}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("--at", default="0.3,0.6,0.8")
    ap.add_argument("--metric", default="top1", choices=["top1", "mean_class"])
    a = ap.parse_args()
    levels = [float(x) for x in a.at.split(",")]
    # (regime, cycle, iteration) -> {state: (fraction, value)}
    states = defaultdict(dict)
    order = []
    for r in csv.DictReader(open(f"{a.results}/metrics.csv")):
        g = r["regime"]
        if g not in order:
            order.append(g)
        states[(g, int(r["cycle"]), int(r["iteration"]))][r["state"]] = (
            float(r["fraction_injured"]), float(r[a.metric]))
    curves = defaultdict(dict)  # (regime, cycle) -> {iteration: (fraction, last value, injured)}
    for (g, c, i), s in states.items():
        last = max(s, key=LAST.get)
        curves[(g, c)][i] = (s[last][0], s[last][1], s.get("injured", (0, None))[1])
    complete = max(len(v) for v in curves.values())
    head = " | ".join(f"{100 * x:.0f} % injured: after injury | last state" for x in levels)
    print(f"| regime | cycles | {head} | area under the curve |")
    print("|---|---:|" + "---:|---:|" * len(levels) + "---:|")
    for g in order:
        cyc = sorted(c for (h, c) in curves if h == g and len(curves[(h, c)]) == complete)
        cells = []
        for x in levels:
            inj, last = [], []
            for c in cyc:
                for f, v, vi in curves[(g, c)].values():
                    if abs(f - x) < 1e-6:
                        last.append(v)
                        if vi is not None:
                            inj.append(vi)
            cells += [mean_sd(inj), mean_sd(last)]
        aucs = []
        for c in cyc:
            pts = sorted((f, v) for f, v, _ in curves[(g, c)].values())
            area = sum((f1 - f0) * (v0 + v1) / 2 for (f0, v0), (f1, v1) in zip(pts, pts[1:]))
            aucs.append(area / pts[-1][0])
        print(f"| {g} | {len(cyc)} | " + " | ".join(cells) + f" | {mean_sd(aucs)} |")


if __name__ == "__main__":
    main()
