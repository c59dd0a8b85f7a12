"""Helpers shared by the bench/*_table.py scripts (standard library only)."""
import csv
import json
import statistics
from collections import defaultdict

# The state a regime ends an iteration with: retrained, else recalibrated, else injured.
LAST = {"retrained": 3, "recalibrated": 2, "injured": 1, "healthy": 0}


def mean_sd(v, scale=100.0, digits=1):
    """`mean ± sample sd` of `v` times `scale` (percent by default), None values left out; `—`
    when nothing is left, and the value alone for one value (its sd is undefined), as atrophy's
    own tables print it."""
    v = [x for x in v if x is not None]
    if not v:
        return "—"
    if len(v) == 1:
        return f"{scale * v[0]:.{digits}f}"
    return f"{scale * statistics.mean(v):.{digits}f} ± {scale * statistics.stdev(v):.{digits}f}"


def read_curves(metrics_csv, metric="top1"):
    """A run's curves from its metrics.csv: (regimes in run order, {(regime, cycle): {iteration:
    (fraction injured, value of the iteration's last state, value after injury or None)}})."""
    states = defaultdict(dict)  # (regime, cycle, iteration) -> {state: (fraction, value)}
    order = []
    for r in csv.DictReader(open(metrics_csv)):
        g = r["regime"]
        if g not in order:
            order.append(g)
        states[(g, int(r["cycle"]), int(r["iteration"]))][r["state"]] = (
            float(r["fraction_injured"]), float(r[metric]))
    curves = defaultdict(dict)
    for (g, c, i), s in states.items():
        last = max(s, key=LAST.get)
        curves[(g, c)][i] = (s[last][0], s[last][1], s.get("injured", (0, None))[1])
    return order, curves


def run_iterations(results_dir):
    """The number of injury iterations of the run in `results_dir` (run.json's config)."""
    with open(f"{results_dir}/run.json") as f:
        return json.load(f)["config"]["injury"]["iterations"]


def complete_cycles(curves, regime, iterations):
    """The cycles of `regime` whose curve has the healthy point and every iteration 1..N (N =
    `iterations`, the run's): a cycle a stopped run left half done is not one."""
    want = set(range(iterations + 1))
    return sorted(c for (h, c) in curves if h == regime and want <= set(curves[(h, c)]))


def nearest_iteration(curves, regime, cycles, level, tolerance=1e-3):
    """The iteration of `regime` whose fraction injured (mean over `cycles`) is nearest `level`,
    or None when none is within `tolerance` (per-layer quotas are rounded down, so 30 % may
    read 0.29999)."""
    fractions = defaultdict(list)
    for c in cycles:
        for i, (f, _, _) in curves[(regime, c)].items():
            fractions[i].append(f)
    best = min(fractions, key=lambda i: abs(statistics.mean(fractions[i]) - level), default=None)
    if best is None or abs(statistics.mean(fractions[best]) - level) > tolerance:
        return None
    return best


def npy_diagonal(path):
    """The diagonal of a square float .npy matrix (C order), with the standard library only."""
    import ast
    import struct
    from array import array

    with open(path, "rb") as f:
        assert f.read(6) == b"\x93NUMPY", f"{path}: not a .npy file"
        major = f.read(2)[0]
        (hlen,) = struct.unpack("<H" if major == 1 else "<I", f.read(2 if major == 1 else 4))
        header = ast.literal_eval(f.read(hlen).decode("latin1"))
        code = {"<f8": "d", "<f4": "f"}[header["descr"]]
        assert not header["fortran_order"], f"{path}: Fortran order"
        n, m = header["shape"]
        values = array(code, f.read())
    return [values[i * m + i] for i in range(min(n, m))]


def area(curve):
    """The area under one cycle's curve (healthy model, then the last state of every iteration)
    by the trapezoid rule, divided by the fraction injured at the last iteration: the accuracy
    averaged over the injury, as summary.md ranks regimes (src/results/auc.rs)."""
    pts = [curve[i][:2] for i in sorted(curve)]  # in iteration order, as auc.rs
    width = pts[-1][0] - pts[0][0] if pts else 0
    if len(pts) < 2 or width <= 0:
        return None  # no injury yet: no range to average over
    return sum((f1 - f0) * (v0 + v1) / 2 for (f0, v0), (f1, v1) in zip(pts, pts[1:])) / width
