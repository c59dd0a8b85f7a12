#!/usr/bin/env python3
"""The visual test battery against injury (issue 32): a run's battery.csv (docs/PROTOCOLS.md
P14) as Markdown tables for docs/RESULTS.md (standard library only):

    python3 bench/battery_table.py runs/battery [--chance-margin 0.1]

1. Each test's threshold after every iteration (the regime's last state of the iteration:
   retrained for R1000, injured for static), mean +- sample sd over the cycles that gave one;
   `>max` counts the cycles whose accuracy never fell halfway to chance (the network tolerated
   the strongest level); `chance` where the unperturbed accuracy of the battery's images is
   within `--chance-margin` of chance in every cycle (a threshold is meaningless there).
2. Which function fails first: each test's tolerance relative to the healthy model's, per
   iteration, mean over cycles: the threshold over the healthy threshold for noise, blur and
   fragmentation (1 = as tolerant as healthy, 0 = no tolerance), and for contrast the number of
   halvings of contrast tolerated, log2(1 / threshold), over the healthy number; colour: the
   accuracy on luminance-only images over the accuracy as is (1 = colour not needed). A test
   "fails" at the first iteration whose mean relative tolerance is below one half; the table
   gives that fraction injured per regime and test (in the first iteration a state is at
   chance, every test fails).
"""
import argparse
import csv
import math
import statistics
from collections import defaultdict

from tables import LAST, run_iterations


def num(x):
    return float("nan") if x in ("", "NaN", "nan") else float(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("--chance-margin", type=float, default=0.1)
    a = ap.parse_args()
    n_iter = run_iterations(a.results)
    rows = list(csv.DictReader(open(f"{a.results}/battery.csv")))
    tests = [c[: -len("_threshold")] for c in rows[0] if c.endswith("_threshold")]
    levels = {t: [c for c in rows[0] if c.startswith(t + "@")] for t in tests}
    chance = 0.1  # CIFAR-10; the battery is run on the built-in 10-class data sets here
    last = {}  # (regime, cycle, iteration) -> row of the last state
    fraction = defaultdict(list)
    regimes = []
    for r in rows:
        key = (r["regime"], int(r["cycle"]), int(r["iteration"]))
        if r["regime"] not in regimes:
            regimes.append(r["regime"])
        if key not in last or LAST[r["state"]] > LAST[last[key]["state"]]:
            last[key] = r
    for (g, c, i), r in last.items():
        fraction[i].append(float(r["fraction_injured"]))
    its = sorted(i for i in fraction if i <= n_iter)
    pct = {i: f"{100 * statistics.mean(fraction[i]):.0f} %" for i in its}

    def at_chance(r):
        return float(r[levels[tests[0]][0]]) < chance + a.chance_margin

    print("Thresholds after each iteration (the regime's last state), mean ± sd over cycles; "
          "contrast: the contrast factor at which accuracy fell halfway to chance (lower = more "
          "sensitive); noise: sd on the [0, 1] scale; blur: sd in pixels; fragmentation: share "
          "of patches removed (higher = more tolerant); `>max` counts cycles that tolerated the "
          "strongest level:\n")
    shown = [t for t in tests if t != "colour"]
    print("| regime | injured | unperturbed top-1 | " + " | ".join(shown) + " | colour: grey / as is |")
    print("|---|---:|---:|" + "---:|" * (len(shown) + 1))
    relative = defaultdict(list)  # (regime, iteration, test) -> [per-cycle relative tolerance]
    for g in regimes:
        for i in its:
            rs = [r for (h, c, j), r in sorted(last.items()) if h == g and j == i]
            if not rs:
                continue
            base = [float(r[levels[tests[0]][0]]) for r in rs]
            cells = []
            if all(at_chance(r) for r in rs):
                cells = ["chance"] * len(shown)
            else:
                for t in shown:
                    v = [num(r[f"{t}_threshold"]) for r in rs if not at_chance(r)]
                    got = [x for x in v if not math.isnan(x)]
                    out = len(v) - len(got)
                    cell = "—" if not got else (f"{statistics.mean(got):.3f}" + (
                        f" ± {statistics.stdev(got):.3f}" if len(got) > 1 else ""))
                    cells.append(cell + (f" ({out} >max)" if out else ""))
            grey = [float(r["colour@1"]) / float(r["colour@0"]) for r in rs
                    if "colour@1" in r and not at_chance(r)]
            cells.append(f"{statistics.mean(grey):.2f}" if grey else
                         "chance" if all(at_chance(r) for r in rs) else "—")
            print(f"| {g} | {pct[i]} | {100 * statistics.mean(base):.1f} | " + " | ".join(cells) + " |")
            for r in rs:
                healthy = last.get((g, int(r["cycle"]), 0)) or last.get((regimes[0], int(r["cycle"]), 0))
                for t in tests:
                    relative[(g, i, t)].append(relative_tolerance(t, r, healthy, levels, at_chance))

    print("\nRelative tolerance (1 = healthy, 0 = none) after each iteration, mean over cycles; "
          "the fraction injured at which it first falls below one half:\n")
    print("| regime | " + " | ".join(tests) + " |")
    print("|---|" + "---:|" * len(tests))
    for g in regimes:
        cells = []
        for t in tests:
            fail = next((i for i in its if i > 0 and relative[(g, i, t)]
                         and statistics.mean(relative[(g, i, t)]) < 0.5), None)
            cells.append(pct[fail] if fail is not None else "not by the last iteration")
        print(f"| {g} | " + " | ".join(cells) + " |")
    print("\n| regime | injured | " + " | ".join(tests) + " |")
    print("|---|---:|" + "---:|" * len(tests))
    for g in regimes:
        for i in its:
            if not relative[(g, i, tests[0])]:
                continue
            cells = [f"{statistics.mean(relative[(g, i, t)]):.2f}" for t in tests]
            print(f"| {g} | {pct[i]} | " + " | ".join(cells) + " |")


def relative_tolerance(test, row, healthy, levels, at_chance):
    """The test's tolerance in `row` over the healthy model's (0 at chance); a threshold not
    reached counts as the strongest level (a lower bound of the tolerance)."""
    if at_chance(row):
        return 0.0
    if test == "colour":
        h = float(healthy["colour@1"]) / float(healthy["colour@0"])
        return (float(row["colour@1"]) / float(row["colour@0"])) / h
    strongest = float(levels[test][-1].split("@")[1])

    def tolerance(r):
        x = num(r[f"{test}_threshold"])
        x = strongest if math.isnan(x) else x
        return math.log2(1 / x) if test == "contrast" else x

    h = tolerance(healthy)
    return tolerance(row) / h if h > 0 else float("nan")


if __name__ == "__main__":
    main()
