#!/usr/bin/env python3
"""Paper 000's Fig. 3 in numbers: the diagonal CKA (each layer against the same layer of the
healthy model) of a results folder at four injury levels, averaged over the early layers (1-7),
the later ones the paper names (22-48, 1-based in cka/layers.txt) and the last layer, for one
regime and its three states; and the pathway split (P7) at the same levels.

    python3 bench/cka_fig3_table.py runs/repro000 [REGIME=R1000] [ITERATIONS=2,4,6,8]

Standard library only (reads the .npy float64 matrices directly)."""
import ast
import csv
import glob
import os
import struct
import sys


def load_npy(path):
    b = open(path, "rb").read()
    if b[:6] != b"\x93NUMPY":
        sys.exit(f"{path}: not a .npy file")
    major = b[6]
    hl_size = 2 if major == 1 else 4
    hl = int.from_bytes(b[8:8 + hl_size], "little")
    header = ast.literal_eval(b[8 + hl_size:8 + hl_size + hl].decode())
    if header["descr"] != "<f8" or header["fortran_order"]:
        sys.exit(f"{path}: expected little-endian float64 in C order")
    n, m = header["shape"]
    v = struct.unpack(f"<{n * m}d", b[8 + hl_size + hl:8 + hl_size + hl + 8 * n * m])
    return [[v[i * m + j] for j in range(m)] for i in range(n)]


def mean(xs):
    return sum(xs) / len(xs)


def main():
    d = sys.argv[1]
    regime = sys.argv[2] if len(sys.argv) > 2 else "R1000"
    iterations = [int(i) for i in (sys.argv[3] if len(sys.argv) > 3 else "2,4,6,8").split(",")]
    layers = open(os.path.join(d, "cka", "layers.txt")).read().split()
    fraction = {}
    for row in csv.DictReader(open(os.path.join(d, "metrics.csv"))):
        if row["regime"] == regime:
            fraction[int(row["iteration"])] = float(row["fraction_injured"])
    print(f"{regime}, {len(layers)} layers; diagonal CKA, mean over cycles\n")
    print("| decayed | state | layers 1-7 | layers 22-48: mean | largest | above 0.4 | last layer |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for it in iterations:
        for state in ["injured", "recalibrated", "retrained"]:
            files = sorted(glob.glob(os.path.join(d, "cka", f"{regime}_c*_i{it}_{state}.npy")))
            if not files:
                continue
            ms = [load_npy(f) for f in files]
            n = len(ms[0])
            diag = [mean([m[i][i] for m in ms]) for i in range(n)]
            later = diag[21:48]
            print(f"| {100 * fraction.get(it, float('nan')):.0f} % | {state} | {mean(diag[:7]):.2f} | "
                  f"{mean(later):.2f} | {max(later):.2f} | {sum(x > 0.4 for x in later)} of {len(later)} | "
                  f"{diag[-1]:.2f} |")
    path = os.path.join(d, "pathways.csv")
    if os.path.exists(path):
        print("\nPathways (P7), top-k synapses of every layer against the healthy model's, summed over layers and cycles:\n")
        print("| decayed | state | k | moved (new pathway) | rescaled (same synapse, new value) | unchanged | mean Jaccard |")
        print("|---:|---|---:|---:|---:|---:|---:|")
        agg = {}
        for r in csv.DictReader(open(path)):
            if r["regime"] != regime:
                continue
            a = agg.setdefault((int(r["iteration"]), r["state"]), [0, 0, 0, []])
            a[0] += int(r["k"]); a[1] += int(r["new_pathway"]); a[2] += int(r["rescaled"])
            a[3].append(float(r["jaccard"]))
        for it in iterations:
            for state in ["injured", "retrained"]:
                a = agg.get((it, state))
                if a:
                    k, new, res, jac = a
                    print(f"| {100 * fraction.get(it, float('nan')):.0f} % | {state} | {k} | {new / k:.3f} | "
                          f"{res / k:.3f} | {(k - new - res) / k:.3f} | {mean(jac):.3f} |")


main()
