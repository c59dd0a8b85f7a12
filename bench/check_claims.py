#!/usr/bin/env python3
"""Checks that the numbers docs/RESULTS.md states follow from the committed data (standard
library only; run by tests/bench_tables.rs):
    python3 bench/check_claims.py [--atrophy target/release/atrophy]

1. Every row of the tables that bench/*_table.py makes from committed folders
   (docs/figures/rehabilitation, docs/figures/homeostasis-arms) appears in docs/RESULTS.md with
   the same "mean ± sd" cells, in order, under the same row label.
2. The Hopfield capacity crossings (the loads between which recall falls through 0.5, and where
   it first reaches 0) computed from docs/figures/p9/hopfield_capacity.csv are the ones the text
   states.
3. The table of arm 2's ingredients ("The ingredients one at a time"): each row's epoch-30
   top-1, best (epoch) and difference from the baseline follow from its log
   docs/figures/arm2/NAME.csv (NAME the row's first word).
4. Quotations of the papers: every double-quoted passage with a percentage written as the
   papers write it ("25%"; atrophy's own prose writes "25 %") in the docs, presets and
   reproduction pages is word for word in ../shared/papers/ (emphasis marks and line breaks
   aside; "..." joins parts quoted in order). Skipped where the papers are absent.
5. The papers' numbers in docs/RESULTS.md's tables (a column headed "paper 000", "paper 001"
   or "paper: ...", a row labelled "paper 000 ..." or "paper 001 ..."): every number is one
   docs/paper-values.toml holds for that paper (a mean or an sd; a rough value as roughly as
   the paper gives it), quoted passages and "(x % of healthy)" aside.
6. With --atrophy: the bench widths' share of VGG19-BN's parameters, from `atrophy info`.
Prints one line per check; exits 1 naming every claim that does not follow.
"""
import csv
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CELL = re.compile(r"(-?\d+(?:\.\d+)?) ± (\d+(?:\.\d+)?)")


def cells(row):
    """The "mean ± sd" cells of a Markdown table row, bold marks dropped."""
    return CELL.findall(row.replace("**", ""))


def label(row):
    return row.strip().strip("|").split("|")[0].strip().strip("*")


def table_rows_in_doc(script, folder, doc, problems):
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "bench", script), os.path.join(ROOT, folder)],
        capture_output=True, text=True, check=True).stdout
    rows = [l for l in out.splitlines() if l.startswith("| ") and cells(l)]
    doc_rows = [l for l in doc.splitlines() if l.startswith("| ") and cells(l)]
    for r in rows:
        same_label = [d for d in doc_rows if label(d) == label(r)]
        if not any(cells(d) == cells(r) for d in same_label):
            problems.append(f"{script} {folder}: row `{label(r)}` {cells(r)} is not in "
                            f"docs/RESULTS.md (rows of that label: {[cells(d) for d in same_label]})")
    print(f"{script} {folder}: {len(rows)} rows checked")


def hopfield(doc, problems):
    path = os.path.join(ROOT, "docs/figures/p9/hopfield_capacity.csv")
    by_n = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            by_n.setdefault(int(r["n"]), []).append((float(r["load"]), float(r["recall_rate"])))
    text = " ".join(doc.split())
    for n in (500, 1000):
        pts = sorted(by_n[n])
        cross = next((a, b) for a, b in zip(pts, pts[1:]) if a[1] >= 0.5 > b[1])
        zero = next(load for load, rate in pts if rate == 0)
        claim = f"between {cross[0][0]:.2f} and {cross[1][0]:.2f} for N = {n}"
        words = "between loads" if n == 500 else "between"
        if f"{words} {cross[0][0]:.2f} and {cross[1][0]:.2f} for N = {n}" not in text:
            problems.append(f"hopfield N = {n}: recall crosses 0.5 {claim}; the text says otherwise")
        if f"{zero:.2f} (N = {n})" not in text:
            problems.append(f"hopfield N = {n}: recall first reaches 0 at {zero:.2f}; not stated")
        print(f"hopfield N = {n}: crosses 0.5 {claim}, 0 at {zero:.2f}")
    pts = sorted(by_n[200])
    first_zero = next(load for load, rate in pts if rate == 0)
    if f"N = 200 first recalls none at {first_zero:.2f}" not in text:
        problems.append(f"hopfield N = 200: first zero at {first_zero:.2f}; not stated")


def ingredients(doc, problems):
    section = doc.split("### The ingredients one at a time", 1)[1].split("\n#", 1)[0]
    rows = [l for l in section.splitlines() if l.startswith("| ") and not l.startswith("| training")]

    def log(name):
        with open(os.path.join(ROOT, "docs/figures/arm2", f"{name}.csv")) as f:
            return [(int(r["epoch"]), 100 * float(r["test_top1"])) for r in csv.DictReader(f)]

    base = log("baseline")[-1][1]
    for row in rows:
        c = [x.strip() for x in row.strip().strip("|").split("|")]
        name = c[0].split()[0]
        epochs = log(name)
        last = epochs[-1][1]
        best = max(epochs, key=lambda e: (e[1], -e[0]))
        want = [f"{last:.2f}", f"{best[1]:.2f} ({best[0]})",
                "—" if name == "baseline" else f"{round(last, 2) - round(base, 2):+.2f}"]
        if c[2:5] != want:
            problems.append(f"ingredients: row `{name}` says {c[2:5]}, its log gives {want}")
    print(f"ingredients: {len(rows)} rows checked against docs/figures/arm2/")


def quotations(problems):
    papers = os.path.join(ROOT, "..", "shared", "papers")
    texts = sorted(glob.glob(os.path.join(papers, "00*.txt")))
    if not texts:
        print(f"quotations: skipped ({papers} is not here)")
        return

    def norm(t):
        return " ".join(t.replace("*", "").replace('\\"', '"').split())
    source = " ".join(norm(open(t).read()) for t in texts)
    files = ["README.md", "CHANGELOG.md", "docs/RESULTS.md", "docs/PROTOCOLS.md",
             "docs/paper-values.toml", "docs/reproductions/arms.toml"]
    files += sorted(os.path.relpath(f, ROOT) for f in
                    glob.glob(os.path.join(ROOT, "configs", "*.toml"))
                    + glob.glob(os.path.join(ROOT, "docs", "reproductions", "*.md")))
    count = 0
    for name in files:
        for q in re.findall(r'"([^"]{3,400})"', norm(open(os.path.join(ROOT, name)).read())):
            if not re.search(r"\d%", q):
                continue
            count += 1
            at = 0
            for part in (p.strip() for p in q.split("...")):
                found = source.find(part, at) if part else at
                if found < 0:
                    problems.append(f"quotations: {name} quotes \"{q}\", which no paper says "
                                    f"word for word (`{part}` not found)")
                    break
                at = found + len(part)
    print(f"quotations: {count} quoted passages with a percentage checked against {papers}")


def paper_numbers(doc, problems):
    try:
        import tomllib
    except ImportError:  # Python 3.10, which README allows, has no TOML reader
        print("paper numbers: skipped (this Python has no tomllib; 3.11+ does)")
        return
    with open(os.path.join(ROOT, "docs", "paper-values.toml"), "rb") as f:
        values = tomllib.load(f)["value"]
    printed = {}
    for v in values:
        nums = printed.setdefault(v["paper"], set())
        nums.add(f"{v['mean']:g}")
        if v.get("approximate"):
            nums.add(f"{v['mean']:.0f}")
        if "sd" in v:
            nums.add(f"{v['sd']:g}")

    def check(line, where, paper, cell):
        cell = re.sub(r'"[^"]*"', "", cell)
        cell = re.sub(r"\([^()]*% of healthy\)", "", cell)
        for tok in re.findall(r"\d+(?:\.\d+)?", cell):
            if f"{float(tok):g}" not in printed[paper]:
                problems.append(f"paper numbers: docs/RESULTS.md:{line} ({where}) gives {tok} for "
                                f"paper {paper}, which docs/paper-values.toml does not hold")

    lines = doc.splitlines()
    count = 0
    i = 0
    while i < len(lines):
        if not (lines[i].startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("|---")):
            i += 1
            continue
        head = [c.strip() for c in lines[i].strip().strip("|").split("|")]
        # A paper column names its paper; "paper: ..." columns sit in paper 000's sections.
        cols = {}
        for k, h in enumerate(head):
            m = re.match(r"^paper (000|001)( \(.*\))?$|^paper: ", h)
            if m:
                cols[k] = m.group(1) or "000"
        j = i + 2
        while j < len(lines) and lines[j].startswith("|"):
            cells = [c.strip() for c in lines[j].strip().strip("|").split("|")]
            for k, paper in cols.items():
                if k < len(cells):
                    check(j + 1, head[k], paper, cells[k])
                    count += 1
            m = re.match(r"^paper (000|001)\b", cells[0])
            if m:
                for c in cells[1:]:
                    check(j + 1, cells[0], m.group(1), c)
                count += len(cells) - 1
            j += 1
        i = j
    print(f"paper numbers: {count} table cells checked against docs/paper-values.toml")


def parameter_share(atrophy, doc, problems):
    def params(widths):
        out = subprocess.run([atrophy, "info", "--model", "vgg19_bn", "--widths", widths],
                             capture_output=True, text=True, check=True).stdout
        return int(re.search(r"^parameters\s+(\d+)", out, re.M).group(1))
    bench, full = params("bench"), params("full")
    claim = f"{100 * bench / full:.1f} % of VGG19-BN's parameters, {bench:,} of {full:,}"
    if claim not in " ".join(doc.split()):
        problems.append(f"parameter share: expected the text to say `{claim}`")
    print(f"parameters: bench {bench}, full {full}: {claim}")


def main():
    args = sys.argv[1:]
    doc = open(os.path.join(ROOT, "docs/RESULTS.md")).read()
    problems = []
    table_rows_in_doc("rehab_table.py", "docs/figures/rehabilitation", doc, problems)
    table_rows_in_doc("arms_table.py", "docs/figures/homeostasis-arms", doc, problems)
    hopfield(doc, problems)
    ingredients(doc, problems)
    quotations(problems)
    paper_numbers(doc, problems)
    if "--atrophy" in args:
        parameter_share(args[args.index("--atrophy") + 1], doc, problems)
    for p in problems:
        print("NOT FOLLOWING:", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
