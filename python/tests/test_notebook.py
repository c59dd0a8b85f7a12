"""The example notebook (examples/atrophy_notebook.py, jupytext percent format) executes from
start to end in a Jupyter kernel, offline: PyTorch training, ``atrophy.script``, ``atrophy.run``
with two regimes, ``atrophy.load``, a matplotlib figure and ``atrophy.cka``."""

from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "atrophy_notebook.py"


def test_notebook_executes(atrophy_bin, torch, tmp_path, monkeypatch):
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("ATROPHY_BIN", atrophy_bin)
    monkeypatch.setenv("ATROPHY_EXAMPLE_DIR", str(tmp_path / "work"))
    nb = jupytext.read(NOTEBOOK)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "stream"
    )
    assert "linear CKA of conv2" in outputs
    assert (tmp_path / "work" / "accuracy.png").stat().st_size > 10_000
    assert (tmp_path / "work" / "results" / "metrics.csv").is_file()
