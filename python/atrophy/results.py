"""A results folder as pandas DataFrames: ``atrophy.load(DIR)``.

The tables and their column types come from ``schema.json`` beside this file, which is the Rust
side's schema (``src/results/schema.rs``) written out and checked by the Rust tests, so the two
languages read one list of columns.
"""

from __future__ import annotations

import json
import math
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import numpy as np

PathLike = Union[str, "os.PathLike[str]"]

_SCHEMA_FILE = Path(__file__).with_name("schema.json")
with open(_SCHEMA_FILE, encoding="utf-8") as _f:
    #: The results schema shared with the Rust side: tables, columns, types, states.
    SCHEMA: Dict[str, Any] = json.load(_f)

#: The states in the order the protocol visits them (the order of the ``state`` categorical).
STATES: List[str] = list(SCHEMA["states"])
_TABLES: Dict[str, Dict[str, Any]] = {t["name"]: t for t in SCHEMA["tables"]}
_SHARD = re.compile(r"^shard-(\d+)-of-(\d+)$")


def _pandas():
    try:
        import pandas
    except ImportError as e:  # pragma: no cover - exercised only without pandas
        raise ImportError(
            "atrophy.load returns pandas DataFrames: install the extra with "
            "`pip install ./python[pandas]` (or `pip install pandas`)"
        ) from e
    return pandas


def _dtype(kind: str):
    """The pandas dtype of a schema column type; every type the schema uses has one."""
    pd = _pandas()
    return {
        "str": str,
        "int": "int64",
        "float": "float64",
        "state": pd.CategoricalDtype(STATES, ordered=True),
        "category": "category",
    }[kind]


#: The schema's column types this package knows (a test checks that it knows all of them).
COLUMN_TYPES = ("str", "int", "float", "state", "category")


class ResultsError(ValueError):
    """A results folder that cannot be read: the message names the file and what was expected.

    >>> atrophy.load("no/such/folder")
    Traceback (most recent call last):
    ...
    atrophy.results.ResultsError: no/such/folder: not a folder (expected a results folder of `atrophy run`)
    """


@dataclass
class Rdm:
    """A representational dissimilarity matrix (1 - Pearson r) and the labels of its images.

    >>> rdm = atrophy.load("results/quick").rdm()            # doctest: +SKIP
    >>> rdm.values.shape == (len(rdm.labels), len(rdm.labels))  # doctest: +SKIP
    True
    """

    values: np.ndarray
    labels: np.ndarray


class Results:
    """One results folder of ``atrophy run``: finished, partial (a run still going or stopped),
    merged, or a sharded folder holding ``shard-i-of-n`` subfolders (read together, in memory).

    Tables are long-form DataFrames with typed columns (``state`` a categorical in protocol
    order); a table the run did not write is an empty DataFrame with the same columns.

    >>> r = atrophy.load("results/quick")                              # doctest: +SKIP
    >>> r.metrics.groupby(["regime", "iteration", "state"]).top1.mean()  # doctest: +SKIP
    """

    def __init__(self, path: PathLike):
        self.path = Path(path)
        if not self.path.is_dir():
            raise ResultsError(f"{self.path}: not a folder (expected a results folder of `atrophy run`)")
        shards = sorted(
            (p for p in self.path.iterdir() if p.is_dir() and _SHARD.match(p.name)),
            key=lambda p: int(_SHARD.match(p.name).group(1)),
        )
        own = (self.path / "run.json").is_file() or (self.path / "metrics.csv").is_file()
        #: The folders whose tables are read: the folder itself, or its shards.
        self.folders: List[Path] = [self.path] if own or not shards else shards
        if not any((f / "metrics.csv").is_file() or (f / "run.json").is_file() for f in self.folders):
            raise ResultsError(
                f"{self.path}: no metrics.csv or run.json (expected a results folder of "
                "`atrophy run`, or one holding its shard-i-of-n folders)"
            )
        self.run: Dict[str, Any] = self._run_record()
        self._cache: Dict[str, Any] = {}

    def _run_record(self) -> Dict[str, Any]:
        for f in self.folders:
            p = f / "run.json"
            if not p.is_file():
                continue
            try:
                run = json.loads(p.read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                raise ResultsError(f"{p}: not readable JSON ({e})") from e
            version = run.get("format_version", 0)
            if not isinstance(version, int) or version > SCHEMA["format_version"]:
                raise ResultsError(
                    f"{p}: results folder format {version}, newer than the "
                    f"{SCHEMA['format_version']} this atrophy package reads; install a newer one"
                )
            return run
        return {}

    def __repr__(self) -> str:
        name = self.config.get("name", "?")
        state = "finished" if self.finished else "partial"
        return f"<atrophy.Results {name!r} at {str(self.path)!r}: {state}, {len(self.folders)} folder(s)>"

    @property
    def config(self) -> Dict[str, Any]:
        """The experiment's config as ``run.json`` records it (every default filled in)."""
        return dict(self.run.get("config", {}))

    @property
    def finished(self) -> bool:
        """Whether every folder's run finished (a partial run's tables hold what is done)."""
        runs = []
        for f in self.folders:
            p = f / "run.json"
            runs.append(json.loads(p.read_text(encoding="utf-8")).get("finished", False) if p.is_file() else False)
        return bool(runs) and all(runs)

    @property
    def regimes(self) -> List[str]:
        """The regimes in the config's order (those the tables hold, when there is no config)."""
        names = [r["name"] for r in self.config.get("regime", [])]
        return names or list(dict.fromkeys(self.metrics["regime"]))

    def table(self, name: str):
        """The table ``name`` of the schema (``metrics``, ``summary``, ``tau``, ``pathways``,
        ``superclass``, ``battery``, ``damage``, ``divergence``, ``training``) as a DataFrame."""
        if name not in _TABLES:
            raise KeyError(f"no table {name!r}: expected one of {', '.join(_TABLES)}")
        if name not in self._cache:
            self._cache[name] = self._read(_TABLES[name])
        return self._cache[name].copy()

    def _read(self, t: Dict[str, Any]):
        pd = _pandas()
        parts = []
        seen_files = set()
        # The folder itself last: shards share the experiment's one healthy model (and its
        # training log) in the folder that holds them.
        for f in [*self.folders, self.path]:
            p = f / t["file"]
            if not p.is_file() or p.resolve() in seen_files:
                continue
            seen_files.add(p.resolve())
            parts.append(_read_csv(p, t))
        if not parts:
            cols = {c["name"]: pd.Series(dtype=_dtype(c["type"])) for c in t["columns"]}
            return pd.DataFrame(cols)
        df = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        if len(parts) > 1 and "cycle" in df.columns:
            keys = [k for k in ("regime", "cycle", "iteration", "state") if k in df.columns]
            order = {r: i for i, r in enumerate(self.regimes)}
            df = df.sort_values(keys, key=lambda s: s.map(order) if s.name == "regime" else s, kind="stable")
            df = df.reset_index(drop=True)
        return df

    @property
    def metrics(self):
        """``metrics.csv``: one row per evaluated state (top-1, mean class-wise accuracy, loss,
        seconds, ``class_k``)."""
        return self.table("metrics")

    @property
    def summary(self):
        """``summary.csv``: mean and sample sd over cycles per (regime, iteration, state). For a
        sharded folder, computed from the shards' ``metrics`` as ``atrophy merge`` computes it."""
        if len(self.folders) > 1:
            return summarize(self.metrics)
        return self.table("summary")

    @property
    def tau(self):
        """``rdm_tau.csv``: Kendall's tau between each state's RDM and the healthy RDM."""
        return self.table("tau")

    @property
    def pathways(self):
        """``pathways.csv``: top-k pathway overlap of each synapse layer with the healthy model."""
        return self.table("pathways")

    @property
    def superclass(self):
        """``superclass.csv``: superclass accuracy and errors within the superclass (CIFAR-100)."""
        return self.table("superclass")

    @property
    def battery(self):
        """``battery.csv``: accuracy under each perturbation of the visual test battery
        (``contrast@0.5``), and each test's threshold (``contrast_threshold``)."""
        return self.table("battery")

    @property
    def damage(self):
        """``damage.csv``: each layer's share injured and damage load (progression models)."""
        return self.table("damage")

    @property
    def divergence(self):
        """``divergence.csv``: states that diverged or exploded, and what the run did."""
        return self.table("divergence")

    @property
    def training(self):
        """``healthy/train_log.csv``: the healthy model's training, one row per epoch."""
        return self.table("training")

    @property
    def layers(self) -> List[str]:
        """The layers of the CKA matrices (``cka/layers.txt``)."""
        for f in [*self.folders, self.path]:
            p = f / "cka" / "layers.txt"
            if p.is_file():
                return [line for line in p.read_text(encoding="utf-8").splitlines() if line]
        return []

    def _state_file(self, folder: str, regime: str, cycle: int, iteration: int, state: str) -> Path:
        if state not in STATES:
            raise ValueError(f"state {state!r}: expected one of {', '.join(STATES)}")
        stem = f"{regime}_c{cycle}_i{iteration}_{state}.npy"
        for f in self.folders:
            p = f / folder / stem
            if p.is_file():
                return p
        raise FileNotFoundError(
            f"{self.path}: no {folder}/{stem} (the state was not measured yet, or the run did not "
            f"ask for the {folder} analysis; states measured: see .metrics)"
        )

    def cka(self, regime: str, cycle: int, iteration: int, state: str):
        """The layer x layer CKA matrix of a state against the healthy model: rows the healthy
        model's layers, columns the state's."""
        pd = _pandas()
        m = np.load(self._state_file("cka", regime, cycle, iteration, state))
        layers = self.layers
        if len(layers) != m.shape[0]:
            layers = [f"layer{i}" for i in range(m.shape[0])]
        return pd.DataFrame(
            m, index=pd.Index(layers, name="healthy"), columns=pd.Index(layers, name=state)
        )

    def rdm(self, regime: Optional[str] = None, cycle: int = 0, iteration: int = 0, state: str = "healthy") -> Rdm:
        """A state's RDM over the RDM images, with their labels; ``state="healthy"`` (the
        default) gives the healthy model's. RDMs are written for cycle 0, of at most
        ``[analysis] rdm_file_images`` images (1,000 by default): where the run compared more,
        the file is the sub-matrix of the first images of each class, and a tau computed from
        it is not the one in ``rdm_tau.csv``."""
        if state == "healthy":
            p = next((f / "rdm" / "healthy.npy" for f in self.folders if (f / "rdm" / "healthy.npy").is_file()), None)
            if p is None:
                raise FileNotFoundError(f"{self.path}: no rdm/healthy.npy (the run did not ask for the rdm analysis)")
        else:
            if regime is None:
                raise ValueError("rdm: name the regime of an injured, recalibrated or retrained state")
            p = self._state_file("rdm", regime, cycle, iteration, state)
        labels = p.parent / "labels.npy"
        return Rdm(np.load(p), np.load(labels).astype(np.int64) if labels.is_file() else np.array([]))

    def figure(self, name: str) -> Path:
        """The path of a figure ``atrophy report`` made (``figure("accuracy_top1")``; a prefix
        such as ``"accuracy"`` picks the first figure it begins)."""
        figures = sorted((self.path / "figures").glob("*.png")) if (self.path / "figures").is_dir() else []
        for p in figures:
            if p.stem == name:
                return p
        for p in figures:
            if p.stem.startswith(name):
                return p
        have = ", ".join(p.stem for p in figures) or "none: run `atrophy report DIR` first"
        raise FileNotFoundError(f"{self.path}/figures: no figure {name!r} (figures: {have})")


def _read_csv(path: Path, t: Dict[str, Any]):
    pd = _pandas()
    fixed = {c["name"]: c["type"] for c in t["columns"]}
    try:
        header = pd.read_csv(path, nrows=0).columns.tolist()
    except Exception as e:
        raise ResultsError(f"{path}: not a readable CSV table ({e})") from e
    missing = [c for c in fixed if c not in header and c not in t["optional"]]
    if missing:
        raise ResultsError(f"{path}: columns {missing} missing (expected {list(fixed)})")
    dtypes = {}
    unknown = []
    for c in header:
        kind = fixed.get(c) or (t["more"]["type"] if t.get("more") else None)
        if kind is None:
            unknown.append(c)
        else:
            dtypes[c] = kind
    if unknown:
        warnings.warn(
            f"{path}: columns {unknown} are not in this atrophy package's schema (a newer atrophy "
            "wrote them?); read with pandas' own types",
            stacklevel=4,
        )
    # Read as text first: ints and categories are converted after, so a message names the file.
    df = pd.read_csv(path, dtype={c: str for c in dtypes}, keep_default_na=False)
    for c, kind in dtypes.items():
        try:
            if kind == "float":
                df[c] = pd.to_numeric(df[c].replace("", "nan"), errors="raise").astype("float64")
            elif kind == "int":
                df[c] = df[c].astype("int64")
            elif kind == "state":
                bad = set(df[c]) - set(STATES)
                if bad:
                    raise ValueError(f"unknown states {sorted(bad)}")
                df[c] = df[c].astype(_dtype("state"))
            elif kind == "category":
                df[c] = df[c].astype("category")
        except (ValueError, TypeError) as e:
            raise ResultsError(f"{path}: column {c!r} is not {kind} ({e})") from e
    for c in t["optional"]:
        if c not in df.columns:
            df[c] = "" if fixed[c] == "str" else math.nan
    return df


def summarize(metrics):
    """Mean and sample sd over cycles per (regime, iteration, state), as ``summary.csv`` holds
    them (sd 0 for one cycle or equal values, NaN when a value is not finite)."""
    pd = _pandas()

    def mean_sd(v: np.ndarray):
        if len(v) == 0:
            return math.nan, math.nan
        if not np.all(np.isfinite(v)):
            return float(np.sum(v) / len(v)), math.nan
        if np.all(v == v[0]) or len(v) < 2:
            return float(v[0] if np.all(v == v[0]) else np.mean(v)), 0.0
        return float(np.sum(v) / len(v)), float(np.std(v, ddof=1))

    rows = []
    for (regime, iteration, state), g in metrics.groupby(["regime", "iteration", "state"], sort=False, observed=True):
        row = {"regime": regime, "iteration": iteration, "state": state, "cycles": len(g)}
        row["fraction_injured"] = mean_sd(g["fraction_injured"].to_numpy())[0]
        for m in ("top1", "mean_class", "loss"):
            row[f"{m}_mean"], row[f"{m}_sd"] = mean_sd(g[m].to_numpy())
        rows.append(row)
    t = _TABLES["summary"]
    df = pd.DataFrame(rows, columns=[c["name"] for c in t["columns"]])
    for c in t["columns"]:
        df[c["name"]] = df[c["name"]].astype(_dtype(c["type"]))
    return df


def load(path: PathLike) -> Results:
    """Reads a results folder of ``atrophy run`` (finished, partial, merged, sharded, or written
    by an earlier atrophy) as a :class:`Results`.

    >>> r = atrophy.load("results/quick")            # doctest: +SKIP
    >>> r.summary.query("state == 'retrained'")       # doctest: +SKIP
    """
    return Results(path)
