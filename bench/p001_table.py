#!/usr/bin/env python3
"""Paper 001's table from a `moore-ablation` results folder (standard library and the atrophy
binary): per iteration, the fraction ablated, mean class-wise accuracy after the ablation and
after retraining (and of the static regime), and Kendall's tau of the injured and retrained
RDMs against the healthy one under two readings: the run's (for `moore-ablation`, tau-b over
the whole matrices of 1,000 images, the authors' code; for `moore-ablation-text`, tau-a over
the upper triangles of all 10,000 test images) and, in the run's variant, over the upper
triangles recomputed with `atrophy kendall --pairs upper` from the saved RDMs of cycle 0 (the
rdm/ files keep at most `rdm_file_images` images, 1,000 by default; the column header says
how many).

    python3 bench/p001_table.py RESULTS_DIR [--atrophy target/release/atrophy] [--recal DIR]

With `--recal DIR`, a second table from a run of the same preset with `recalibrate_bn` (the
BatchNorm statistics re-estimated after each injury and after retraining): per iteration and
regime, mean class-wise accuracy after the injury, after the recalibration and after retraining,
and tau (the run's reading) of the same states.
"""
import argparse
import ast
import csv
import json
import os
import struct
import subprocess


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("--atrophy", default="target/release/atrophy")
    ap.add_argument("--retrained", default="retrained")
    ap.add_argument("--static", default="static")
    ap.add_argument("--recal", help="a results folder of the same preset run with recalibrate_bn")
    a = ap.parse_args()
    m, tau = read(a.results)
    run, files, variant = reading(a.results)

    def upper(it, state):
        f = os.path.join(a.results, "rdm", f"{a.retrained}_c0_i{it}_{state}.npy")
        if not os.path.exists(f):
            return None
        try:
            out = subprocess.run([a.atrophy, "kendall", os.path.join(a.results, "rdm", "healthy.npy"), f,
                                  "--variant", variant, "--pairs", "upper"], capture_output=True, text=True)
        except FileNotFoundError:
            return None  # no atrophy binary at --atrophy: the column reads "—"
        return float(out.stdout) if out.returncode == 0 else None

    def pct(r):
        return f"{100 * float(r['mean_class']):.1f}" if r else "—"

    def t(v):
        if v is None:
            return "—"
        cell = f"{v:.2f}"
        return "0.00" if cell == "-0.00" else cell  # a tau of -0.001 is no sign of anything

    h = m.get((a.retrained, 0, "healthy"))
    print(f"healthy mean class-wise: {pct(h)} %\n")
    print(f"| iteration | ablated | injured | retrained | static | {run}: injured | retrained | "
          f"{files}: injured | retrained |")
    print("|---|---|---|---|---|---|---|---|---|")
    it = 1
    while (a.retrained, it, "injured") in m:
        inj = m[(a.retrained, it, "injured")]
        f = 100 * float(inj["fraction_injured"])
        print(f"| {it} | {f:.1f} % | {pct(inj)} | {pct(m.get((a.retrained, it, 'retrained')))} | "
              f"{pct(m.get((a.static, it, 'injured')))} | {t(tau.get((a.retrained, it, 'injured')))} | "
              f"{t(tau.get((a.retrained, it, 'retrained')))} | {t(upper(it, 'injured'))} | {t(upper(it, 'retrained'))} |")
        it += 1
    if a.recal:
        recal_table(a.recal, pct, t)


def npy_header(path):
    """The header of a .npy file (a Python dict literal) and the offset of its data."""
    with open(path, "rb") as f:
        start = f.read(10)
        length = struct.unpack("<H", start[8:10])[0]
        return ast.literal_eval(f.read(length).decode("latin1")), 10 + length


def classes_of(labels):
    """How many classes a float64 labels.npy (rdm/labels.npy) holds."""
    head, offset = npy_header(labels)
    with open(labels, "rb") as f:
        f.seek(offset)
        data = f.read()
    return len(set(struct.unpack(f"<{len(data) // 8}d", data)))


def reading(folder):
    """Column names for the run's taus (its variant, pairs and number of RDM images, from
    run.json) and for the taus recomputed from the rdm/ files in the run's variant over the
    upper triangles (the files keep at most `rdm_file_images` images: a sub-matrix of the
    run's RDMs when there were more), and that variant."""
    cfg = json.load(open(os.path.join(folder, "run.json")))["config"].get("analysis", {})
    variant, pairs = cfg.get("kendall", "b"), cfg.get("kendall_pairs", "upper")
    healthy, labels = (os.path.join(folder, "rdm", f) for f in ("healthy.npy", "labels.npy"))
    k = cfg.get("rdm_images_per_class")
    if k and os.path.exists(labels):
        n = f"{k * classes_of(labels):,} images"
    elif k:
        n = f"{k} images of each class"
    else:
        n = f"the first {cfg.get('images', 500):,} images"
    run = f"tau-{variant} {pairs}, {n} (the run's)"
    m = f"{npy_header(healthy)[0]['shape'][0]:,} images" if os.path.exists(healthy) else "no rdm/ files"
    return run, f"tau-{variant} upper, {m} (rdm/ files)", variant


def read(folder):
    """Cycle 0's metrics rows and RDM taus, keyed by (regime, iteration, state)."""
    m, tau = {}, {}
    for r in csv.DictReader(open(os.path.join(folder, "metrics.csv"))):
        if r["cycle"] == "0":
            m[(r["regime"], int(r["iteration"]), r["state"])] = r
    path = os.path.join(folder, "rdm_tau.csv")
    if os.path.exists(path):
        for r in csv.DictReader(open(path)):
            if r["cycle"] == "0":
                tau[(r["regime"], int(r["iteration"]), r["state"])] = float(r["tau"])
    return m, tau


def recal_table(folder, pct, t):
    m, tau = read(folder)
    states = ("injured", "recalibrated", "retrained")
    print(f"\nWith recalibrate_bn ({folder}): mean class-wise accuracy (%) and tau (the run's reading)\n")
    print("| regime | iteration | ablated | " + " | ".join(states) + " | "
          + " | ".join(f"tau: {s}" for s in states) + " |")
    print("|---|---|---|" + "---|" * (2 * len(states)))
    for g in sorted({k[0] for k in m}):
        it = 1
        while (g, it, "injured") in m:
            f = 100 * float(m[(g, it, "injured")]["fraction_injured"])
            print(f"| {g} | {it} | {f:.1f} % | " + " | ".join(pct(m.get((g, it, s))) for s in states)
                  + " | " + " | ".join(t(tau.get((g, it, s))) for s in states) + " |")
            it += 1


if __name__ == "__main__":
    main()
