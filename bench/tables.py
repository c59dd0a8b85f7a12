"""Helpers shared by the bench/*_table.py scripts (standard library only)."""
import csv
import statistics
from collections import defaultdict

# The state a regime ends an iteration with: retrained, else recalibrated, else injured.
LAST = {"retrained": 3, "recalibrated": 2, "injured": 1, "healthy": 0}


def mean_sd(v, scale=100.0, digits=1):
    """`mean ± sample sd` of `v` times `scale` (percent by default), None values left out; `—`
    when nothing is left, and sd 0 for one value."""
    v = [x for x in v if x is not None]
    if not v:
        return "—"
    sd = statistics.stdev(v) if len(v) > 1 else 0.0
    return f"{scale * statistics.mean(v):.{digits}f} ± {scale * sd:.{digits}f}"


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


def complete_cycles(curves, regime):
    """The cycles of `regime` that reached the run's last iteration."""
    complete = max(len(v) for v in curves.values())
    return sorted(c for (h, c) in curves if h == regime and len(curves[(h, c)]) == complete)


def area(curve):
    """The area under one cycle's curve (healthy model, then the last state of every iteration)
    by the trapezoid rule, divided by the fraction injured at the last iteration: the accuracy
    averaged over the injury, as summary.md ranks regimes (src/results/auc.rs)."""
    pts = sorted((f, v) for f, v, _ in curve.values())
    if len(pts) < 2 or pts[-1][0] <= 0:
        return None  # no injury yet: no range to average over
    return sum((f1 - f0) * (v0 + v1) / 2 for (f0, v0), (f1, v1) in zip(pts, pts[1:])) / pts[-1][0]
