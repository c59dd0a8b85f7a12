#!/usr/bin/env python3
"""Rehabilitation strategies compared (issue 18): each regime's accuracy at chosen injury levels
and the area under its accuracy-vs-injury curve, mean +- sample sd over cycles, as a Markdown
table for docs/RESULTS.md (standard library only):

    python3 bench/rehab_table.py runs/rehabilitation [--at 0.3,0.6,0.8] [--metric top1]

A regime's accuracy at an injury level is that of the last state of the iteration (retrained,
else recalibrated, else injured: what the regime ends the iteration with); the injured state
is shown beside it. The area is the trapezoid rule over the healthy model and the last state of
every iteration, divided by the fraction injured at the last iteration: the same number as
summary.md's ranking. `--at` matches the fractions of metrics.csv, which count the whole
network's synapses (a run with `[injury] layers` would need its layers' share).
"""
import argparse

from tables import area, complete_cycles, mean_sd, read_curves


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("--at", default="0.3,0.6,0.8")
    ap.add_argument("--metric", default="top1", choices=["top1", "mean_class"])
    a = ap.parse_args()
    levels = [float(x) for x in a.at.split(",")]
    order, curves = read_curves(f"{a.results}/metrics.csv", a.metric)
    head = " | ".join(f"{100 * x:.0f} % injured: after injury | last state" for x in levels)
    print(f"| regime | cycles | {head} | area under the curve |")
    print("|---|---:|" + "---:|---:|" * len(levels) + "---:|")
    for g in order:
        cyc = complete_cycles(curves, g)
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
        aucs = [area(curves[(g, c)]) for c in cyc]
        print(f"| {g} | {len(cyc)} | " + " | ".join(cells) + f" | {mean_sd(aucs)} |")


if __name__ == "__main__":
    main()
