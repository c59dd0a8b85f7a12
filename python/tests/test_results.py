"""``atrophy.load`` on results folders: the v0 fixture (written before format versions), a
partial run, a newer format refused, the schema shared with the Rust side, and missing pandas."""

import json
import sys

import numpy as np
import pandas as pd
import pytest

import atrophy
from atrophy import results as results_module


def test_every_schema_table_and_type_is_known_to_the_package():
    # schema.json is the Rust schema (checked by tests/python_schema.rs); a table or a column
    # type added there must be taught here, or this fails.
    schema = results_module.SCHEMA
    for t in schema["tables"]:
        assert isinstance(getattr(atrophy.Results, t["name"], None), property), t["name"]
        for c in t["columns"]:
            assert c["type"] in results_module.COLUMN_TYPES, (t["name"], c)
        if t.get("more"):
            assert t["more"]["type"] in results_module.COLUMN_TYPES
    assert results_module.STATES == ["healthy", "injured", "recalibrated", "retrained"]


def test_v0_folder_reads_with_typed_columns(v0):
    r = atrophy.load(v0)
    assert r.finished
    m = r.metrics
    assert m.dtypes["cycle"] == np.int64 and m.dtypes["iteration"] == np.int64
    assert m.dtypes["fraction_injured"] == np.float64 and m.dtypes["top1"] == np.float64
    assert isinstance(m.dtypes["state"], pd.CategoricalDtype)
    assert list(m.dtypes["state"].categories) == atrophy.results.STATES
    assert m.dtypes["state"].ordered
    assert m["class_3"].dtype == np.float64
    # The rows are the file's, value for value.
    raw = (v0 / "metrics.csv").read_text().splitlines()
    assert len(m) == len(raw) - 1
    first = raw[1].split(",")
    assert m.loc[0, "regime"] == first[0] and m.loc[0, "top1"] == float(first[5])
    # Sorting by state follows the protocol, not the alphabet.
    states = m.sort_values("state")["state"].astype(str).unique().tolist()
    assert states == [s for s in atrophy.results.STATES if s in states]
    assert r.summary.dtypes["cycles"] == np.int64
    assert set(r.tau["variant"].astype(str)) == {"a"} and "note" in r.tau.columns
    assert r.pathways.dtypes["k"] == np.int64
    assert r.training.dtypes["epoch"] == np.int64 and len(r.training) >= 1
    # Tables the run did not write: empty, with the schema's columns and types.
    assert r.superclass.empty and list(r.superclass.columns)[:5] == ["regime", "cycle", "iteration", "fraction_injured", "state"]
    assert r.battery.empty and r.divergence.empty and r.damage.empty
    assert r.config["name"] == "v0" and r.regimes == ["R200", "static"]


def test_cka_and_rdm_are_labelled(v0):
    r = atrophy.load(v0)
    layers = (v0 / "cka" / "layers.txt").read_text().split()
    c = r.cka("R200", 0, 1, "injured")
    assert list(c.index) == layers and list(c.columns) == layers
    assert c.index.name == "healthy" and c.columns.name == "injured"
    np.testing.assert_array_equal(c.to_numpy(), np.load(v0 / "cka" / "R200_c0_i1_injured.npy"))
    h = r.rdm()
    assert h.values.shape == (len(h.labels), len(h.labels))
    np.testing.assert_array_equal(h.labels, np.load(v0 / "rdm" / "labels.npy").astype(np.int64))
    s = r.rdm("R200", 0, 1, "injured")
    np.testing.assert_array_equal(s.values, np.load(v0 / "rdm" / "R200_c0_i1_injured.npy"))
    with pytest.raises(FileNotFoundError, match="R200_c0_i9_injured"):
        r.cka("R200", 0, 9, "injured")
    with pytest.raises(ValueError, match="expected one of healthy"):
        r.cka("R200", 0, 1, "sick")


def test_partial_run_reads_what_is_done(v0):
    lines = (v0 / "metrics.csv").read_text().splitlines()
    (v0 / "metrics.csv").write_text("\n".join(lines[:4]) + "\n")
    run = json.loads((v0 / "run.json").read_text())
    run["finished"] = False
    (v0 / "run.json").write_text(json.dumps(run))
    r = atrophy.load(v0)
    assert not r.finished and len(r.metrics) == 3


def test_newer_format_and_bad_folders_are_refused(v0, tmp_path):
    run = json.loads((v0 / "run.json").read_text())
    run["format_version"] = 99
    (v0 / "run.json").write_text(json.dumps(run))
    with pytest.raises(atrophy.ResultsError, match="format 99, newer than"):
        atrophy.load(v0)
    with pytest.raises(atrophy.ResultsError, match="not a folder"):
        atrophy.load(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(atrophy.ResultsError, match="no metrics.csv or run.json"):
        atrophy.load(tmp_path / "empty")


def test_a_corrupt_column_names_the_file(v0):
    text = (v0 / "metrics.csv").read_text().splitlines()
    cells = text[1].split(",")
    cells[1] = "zero"
    text[1] = ",".join(cells)
    (v0 / "metrics.csv").write_text("\n".join(text) + "\n")
    with pytest.raises(atrophy.ResultsError, match=r"metrics.csv: column 'cycle' is not int"):
        atrophy.load(v0).metrics


def test_figure_paths_and_missing_figures(v0):
    r = atrophy.load(v0)
    with pytest.raises(FileNotFoundError, match="atrophy report"):
        r.figure("accuracy")
    (v0 / "figures").mkdir()
    (v0 / "figures" / "accuracy_top1.png").write_bytes(b"\x89PNG")
    assert r.figure("accuracy") == v0 / "figures" / "accuracy_top1.png"
    assert r.figure("accuracy_top1").name == "accuracy_top1.png"


def test_without_pandas_the_error_names_the_extra(v0, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install \./python\[pandas\]"):
        atrophy.load(v0).metrics
