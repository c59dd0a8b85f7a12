"""Helpers shared by the bench/*_table.py scripts (standard library only)."""
import statistics


def mean_sd(v, scale=100.0, digits=1):
    """`mean ± sample sd` of `v` times `scale` (percent by default); `—` when `v` is empty, and
    sd 0 for one value."""
    if not v:
        return "—"
    sd = statistics.stdev(v) if len(v) > 1 else 0.0
    return f"{scale * statistics.mean(v):.{digits}f} ± {scale * sd:.{digits}f}"
