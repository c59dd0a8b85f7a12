"""Shared fixtures. The tests that need the ``atrophy`` binary or torch are skipped where they
are missing, except under ``ATROPHY_TEST_STRICT=1`` (set by scripts/test-python.sh, the README's
test command), where a missing binary or torch fails them: CI never passes by skipping."""

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"


def _missing(what: str):
    if os.environ.get("ATROPHY_TEST_STRICT") == "1":
        pytest.fail(f"{what} (ATROPHY_TEST_STRICT=1: scripts/test-python.sh provides it)")
    pytest.skip(what)


@pytest.fixture(scope="session")
def atrophy_bin():
    """The binary under test: $ATROPHY_BIN, else target/{release,debug}/atrophy, else PATH."""
    env = os.environ.get("ATROPHY_BIN")
    if env and os.access(env, os.X_OK):
        return env
    for p in (REPO / "target" / "release" / "atrophy", REPO / "target" / "debug" / "atrophy"):
        if p.is_file():
            os.environ["ATROPHY_BIN"] = str(p)
            return str(p)
    found = shutil.which("atrophy")
    if found:
        return found
    _missing("no atrophy binary (build it with `cargo build`, or set $ATROPHY_BIN)")


@pytest.fixture(scope="session")
def torch():
    try:
        import torch
    except ImportError:
        _missing("torch is not importable")
    return torch


@pytest.fixture
def v0(tmp_path):
    """A copy of the results folder written by atrophy 0.1.0 before format versions existed."""
    dst = tmp_path / "v0"
    shutil.copytree(FIXTURES / "results_v0", dst)
    return dst
