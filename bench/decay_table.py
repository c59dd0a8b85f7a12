"""A results folder's accuracy and RDM tau per iteration as a markdown table (mean +- sample sd
over cycles), for docs/RESULTS.md:

    python3 bench/decay_table.py runs/resnet20/decay
"""
import csv
import statistics
import sys
from collections import defaultdict


def main(folder):
    rows = list(csv.DictReader(open(f"{folder}/summary.csv")))
    taus = defaultdict(list)
    try:
        for r in csv.DictReader(open(f"{folder}/rdm_tau.csv")):
            taus[(r["regime"], int(r["iteration"]), r["state"])].append(float(r["tau"]))
    except FileNotFoundError:
        pass
    fmt = lambda m, s: f"{100 * float(m):.1f} +- {100 * float(s):.1f}"
    def tau(k):
        v = taus.get(k)
        if not v:
            return ""
        sd = statistics.stdev(v) if len(v) > 1 else 0.0
        return f"{statistics.mean(v):.3f} +- {sd:.3f}"
    print("| regime | iteration | injured (%) | state | top-1 (%) | RDM tau vs healthy |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        it = int(r["iteration"])
        print(f"| {r['regime']} | {it} | {100 * float(r['fraction_injured']):.0f} | {r['state']} | "
              f"{fmt(r['top1_mean'], r['top1_sd'])} | {tau((r['regime'], it, r['state']))} |")


if __name__ == "__main__":
    main(sys.argv[1])
