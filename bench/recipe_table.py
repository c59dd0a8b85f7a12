#!/usr/bin/env python3
"""Healthy-training recipes side by side from their train_log.csv files (standard library only):
test top-1 at chosen epochs, the best epoch, and the median seconds per epoch, as a Markdown
table for docs/RESULTS.md:
    python3 bench/recipe_table.py LABEL=LOG.csv [LABEL=LOG.csv ...] [--epochs 10,20,30,60]
A log shorter than an epoch asked for shows a dash there.
"""
import csv
import statistics
import sys


def main(argv):
    epochs = [10, 20, 30, 60]
    logs = []
    for a in argv:
        if a.startswith("--epochs="):
            epochs = [int(x) for x in a.split("=", 1)[1].split(",")]
        elif "=" in a:
            label, path = a.split("=", 1)
            with open(path) as f:
                logs.append((label, list(csv.DictReader(f))))
    if not logs:
        sys.exit(__doc__)
    head = ["recipe"] + [f"epoch {e}" for e in epochs] + ["best (epoch)", "median s / epoch"]
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 1))
    for label, rows in logs:
        top1 = {int(r["epoch"]): 100 * float(r["test_top1"]) for r in rows}
        cells = [f"{top1[e]:.2f}" if e in top1 else "—" for e in epochs]
        best = max(top1, key=lambda e: top1[e])
        secs = statistics.median(float(r["seconds"]) for r in rows)
        print(f"| {label} | " + " | ".join(cells) + f" | {top1[best]:.2f} ({best}) | {secs:.0f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
