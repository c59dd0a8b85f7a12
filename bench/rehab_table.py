#!/usr/bin/env python3
"""Rehabilitation strategies compared (issue 18): each regime's accuracy at chosen injury levels
and the area under its accuracy-vs-injury curve, mean +- sample sd over cycles, as a Markdown
table for docs/RESULTS.md (standard library only):

    python3 bench/rehab_table.py runs/rehabilitation [--at 0.3,0.6,0.8] [--metric top1]

A regime's accuracy at an injury level is that of the last state of the iteration (retrained,
else recalibrated, else injured: what the regime ends the iteration with); the injured state
is shown beside it. The area is the trapezoid rule over the healthy model and the last state of
every iteration, divided by the fraction injured at the last iteration: the same number as
summary.md's ranking (which sorts by mean class-wise accuracy; `--metric mean_class` gives
that column). A level is the iteration whose fraction injured is nearest it (within 0.001: per-
layer quotas are rounded down, so 30 % may read 0.29999); the fractions are metrics.csv's,
which count the whole network's synapses. Only cycles that reached the run's last iteration
count.
"""
import argparse

from tables import area, complete_cycles, mean_sd, nearest_iteration, read_curves, run_iterations


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("--at", default="0.3,0.6,0.8")
    ap.add_argument("--metric", default="top1", choices=["top1", "mean_class"])
    a = ap.parse_args()
    levels = [float(x) for x in a.at.split(",")]
    order, curves = read_curves(f"{a.results}/metrics.csv", a.metric)
    iterations = run_iterations(a.results)
    head = " | ".join(f"{100 * x:.0f} % injured: after injury | last state" for x in levels)
    print(f"| regime | cycles | {head} | area under the curve |")
    print("|---|---:|" + "---:|---:|" * len(levels) + "---:|")
    for g in order:
        cyc = complete_cycles(curves, g, iterations)
        cells = []
        for x in levels:
            it = nearest_iteration(curves, g, cyc, x)
            inj, last = [], []
            for c in cyc if it is not None else []:
                _, v, vi = curves[(g, c)][it]
                last.append(v)
                if vi is not None:
                    inj.append(vi)
            cells += [mean_sd(inj), mean_sd(last)]
        aucs = [a for a in (area(curves[(g, c)]) for c in cyc) if a is not None]
        print(f"| {g} | {len(cyc)} | " + " | ".join(cells) + f" | {mean_sd(aucs)} |")


if __name__ == "__main__":
    main()
